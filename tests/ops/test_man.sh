#!/usr/bin/env bash
# The man pages render without a groff warning, retentiond.conf(5)
# documents every section and key of the shipped example config (which the
# unit test test_config holds to the real defaults), with the same default,
# and retentiond(8) documents every option that `retentiond -h` lists.
set -u
cd "$(dirname "$0")/../.."
command -v groff >/dev/null 2>&1 || { echo "groff not installed"; exit 77; }
fail=0
for page in docs/retentiond.8 docs/retentiond.conf.5; do
	out=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
	if [ -n "$out" ]; then echo "FAIL $page:"; echo "$out" | sed 's/^/    /'; fail=1; fi
done

# the rendered text, without hyphenation or adjustment
text5=$(sed '1i .nh\n.na' docs/retentiond.conf.5 | groff -man -Tutf8 -P-cbou -rLL=200n 2>/dev/null)
section=""
n=0
while IFS= read -r line; do
	case "$line" in
	'['*']'*) section=${line%%]*}; section=${section#[}
		grep -qF "[$section]" <<<"$text5" || { echo "FAIL section [$section] undocumented"; fail=1; }
		;;
	'#'[a-z]*=*)
		key=${line#\#}; key=${key%%=*}; key=${key% }
		val=${line#*= }; [ "$val" = "${line}" ] && val=""
		n=$((n + 1))
		# e.g. "threshold (number, (0, 1), default: 0.5)"
		entry=$(grep -E "^ *$key \(" <<<"$text5" | head -n 1)
		if [ -z "$entry" ]; then
			echo "FAIL [$section] $key undocumented"; fail=1
		elif [ -n "$val" ] && [[ $entry != *"default: $val)"* ]]; then
			echo "FAIL [$section] $key: example says $val, man page: $entry"; fail=1
		fi
		;;
	esac
done <deploy/retentiond.conf
[ $n -ge 30 ] || { echo "FAIL only $n keys found in deploy/retentiond.conf"; fail=1; }

bin=${RETENTIOND:-build/retentiond}
if [ -x "$bin" ]; then
	text8=$(groff -man -Tutf8 -P-cbou -rLL=200n docs/retentiond.8 2>/dev/null)
	for opt in $("$bin" -h | grep -oE -- '--[a-z-]+|(^|[ ,])-[a-zA-Z]\b' | tr -d ' ,' | sort -u); do
		grep -qF -- "$opt" <<<"$text8" || { echo "FAIL option $opt not in retentiond.8"; fail=1; }
	done
fi
echo "$n keys checked"
exit $fail
