#!/usr/bin/env bash
# deploy/retentiond.rules.yml, the Prometheus alerting rules: `promtool
# check rules` accepts them (syntax, PromQL, templates, lint), `promtool test
# rules` runs tests/ops/rules_test.yml against them, and every alert of the
# file has a case there in which it fires. That the rules' metrics are
# served is checked by test_dashboard.py.
set -u
cd "$(dirname "$0")/../.."
command -v promtool >/dev/null 2>&1 || { echo "promtool not installed (prometheus)"; exit 77; }
rules=deploy/retentiond.rules.yml
cases=tests/ops/rules_test.yml
fail=0

if out=$(promtool check rules "$rules" 2>&1); then
	echo "check rules: $(echo "$out" | grep -o '[0-9]* rules found')"
else
	echo "FAIL promtool check rules:"; echo "$out" | sed 's/^/    /'; fail=1
fi
if out=$(promtool test rules "$cases" 2>&1); then
	echo "test rules: $(echo "$out" | tail -n 1 | tr -s ' ')"
else
	echo "FAIL promtool test rules:"; echo "$out" | sed 's/^/    /'; fail=1
fi

# an alert tested only for silence would pass with any expression
for a in $(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$rules"); do
	n=$(awk -v a="$a" '$1 == "alertname:" && $2 == a { want = 1; next }
	    want && $1 == "exp_alerts:" { if ($2 != "[]") n++; want = 0 }
	    END { print n + 0 }' "$cases")
	if [ "$n" -eq 0 ]; then
		echo "FAIL $a: no case in $cases where it fires"; fail=1
	else
		echo "$a: fires in $n case(s)"
	fi
done
exit $fail
