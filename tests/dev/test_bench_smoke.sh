#!/usr/bin/env bash
# test_bench_smoke.sh: `make bench` still runs end to end (tools/dev/bench.sh
# on tiny companies) and prints its table: every row, a number in each
# measured figure and ratio, a verdict. Never asserts a speed: the figures
# of a run this small mean nothing (see docs/BENCH.md for real ones).
# The latency daemon's alert thresholds are lowered further, so that the
# live survey responses of a small company open episodes, which the
# latency row needs: two years of a 1 000-person company teach its model
# enough for a survey to move a risk (at six months of 300 no survey
# opened one), and 1 500 events reach each employee once (an episode
# a small model does not close again opens no second time).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
command -v kcat >/dev/null || { echo "kcat not installed"; exit 77; }

out=$(mktemp /tmp/retentiond-bench-smoke.XXXXXX)
trap 'rm -f "$out"' EXIT
BENCH_EMPLOYEES=1000 BENCH_MONTHS=24 BENCH_SIZES="200 400 800" BENCH_SIZE_MONTHS=1 \
BENCH_LATENCY_EVENTS=1500 BENCH_RATE=1000 BENCH_PARTITIONS=4 BENCH_DEADLINE=60 \
BENCH_LATENCY_CONF=$'[alerts]\nthreshold = 0.1\nclear_threshold = 0.05' \
	tools/dev/bench.sh "$BUILD" >"$out"
cat "$out"

num='[0-9]+(\.[0-9]+)?'
fails=0
# check_row PREFIX MEASURED_REGEX: the row exists once, its measured
# figure matches, its ratio is a number and its result a verdict.
check_row() {
	local rows
	rows=$(grep -E "^\| $1" "$out" || true)
	if [ "$(printf '%s\n' "$rows" | grep -c .)" != 1 ]; then
		echo "FAIL: expected one row '$1', got: ${rows:-none}"; fails=$((fails + 1)); return
	fi
	awk -F' \\| ' -v m="$2" -v n="^$num" -v name="$1" '{
		if ($2 !~ m) { print "FAIL: " name ": measured \"" $2 "\" does not match " m; bad = 1 }
		if ($4 !~ n) { print "FAIL: " name ": ratio \"" $4 "\" is not a number"; bad = 1 }
		if ($6 !~ /^(PASS|FAIL) \|$/) { print "FAIL: " name ": result \"" $6 "\""; bad = 1 }
	} END { exit bad }' <<<"$rows" || fails=$((fails + 1))
}
check_row "pipeline \\(replay from memory\\)" "^$num[k]? events/s$"
check_row "end to end through the broker" "^$num[k]? events/s \\($num[k]? per daemon CPU second\\)$"
check_row "event-to-alert latency" "^$num / $num ms \\([1-9][0-9]* alerts\\)$"
check_row "memory per employee, 400" "^-?[0-9]+ B$"
check_row "memory per employee, 800" "^-?[0-9]+ B$"
check_row "events/s by company size" "^200: $num[k]? / 400: $num[k]? / 800: $num[k]?$"
check_row "rescoring every employee once, 800" "^$num ms \\([1-9][0-9]* model_score\\)$"
check_row "checkpoint write / restore, 800" "^$num / $num ms \\($num MiB, [1-9][0-9]* B per record\\)$"
if grep -Eqi '\b(nan|inf)\b' "$out"; then echo "FAIL: nan or inf in the table"; fails=$((fails + 1)); fi

# BENCH_ROWS measures the rows it names and prints no other
BENCH_ROWS=pipeline BENCH_EMPLOYEES=300 BENCH_MONTHS=6 tools/dev/bench.sh "$BUILD" >"$out"
check_row "pipeline \\(replay from memory\\)" "^$num[k]? events/s$"
[ "$(grep -c '^| ' "$out")" = 3 ] ||
	{ echo "FAIL: BENCH_ROWS=pipeline printed other rows:"; cat "$out"; fails=$((fails + 1)); }
[ $fails -eq 0 ] && echo "bench smoke: ok"
exit $((fails > 0))
