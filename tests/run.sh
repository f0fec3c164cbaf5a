#!/usr/bin/env bash
# Runs every test of a clean checkout and prints one closing line:
# "N passed, N failed[, N skipped]". A test is
#   - a unit test binary $BUILD/tests/test_*         (from tests/unit/test_*.c)
#   - a fuzz target replaying its corpus $BUILD/fuzz/fuzz_* tests/fuzz/corpus/<name>
#   - an executable tests/*/test_*.sh or tests/*/test_*.py
# Exit status 0 passes, 77 skips, anything else (a crash too) fails.
# TESTS=pattern runs only the tests whose name matches.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
export BUILD RETENTIOND="$BUILD/retentiond" PYTHON=/usr/bin/python3
pass=0; fail=0; skip=0; failed=()
logdir="$BUILD/test-logs"; mkdir -p "$logdir"
# The hostile corpus is generated, not committed (its readers take HOSTILE_DIR).
export HOSTILE_DIR="$BUILD/hostile"
"$PYTHON" tests/hostile/make_corpus.py "$HOSTILE_DIR" || { echo "cannot generate the hostile corpus" >&2; exit 1; }

run() {	# name, command...
	local name=$1; shift
	[[ -n "${TESTS:-}" && "$name" != *${TESTS}* ]] && return
	local log="$logdir/${name//\//_}.log" start=$SECONDS rc
	"$@" >"$log" 2>&1 </dev/null; rc=$?
	if [ $rc -eq 0 ]; then pass=$((pass+1)); echo "PASS $name ($((SECONDS-start))s)"
	elif [ $rc -eq 77 ]; then skip=$((skip+1)); echo "SKIP $name: $(tail -n1 "$log")"
	else fail=$((fail+1)); failed+=("$name"); echo "FAIL $name (exit $rc)"; tail -n 30 "$log" | sed 's/^/    /'
	fi
}

for t in "$BUILD"/tests/test_*; do [ -x "$t" ] && run "unit/${t##*/}" "$t"; done
for t in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$t" ] || continue
	n=${t##*/}; run "fuzz-corpus/$n" "$t" "tests/fuzz/corpus/${n#fuzz_}"
done
for t in tests/*/test_*.sh tests/*/test_*.py; do
	[ -x "$t" ] || continue
	case "$t" in *.py) run "${t#tests/}" "$PYTHON" "$t" ;; *) run "${t#tests/}" "$t" ;; esac
done

[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]} (logs in $logdir)"
if [ $skip -gt 0 ]; then echo "$pass passed, $fail failed, $skip skipped"
else echo "$pass passed, $fail failed"; fi
[ $fail -eq 0 ]
