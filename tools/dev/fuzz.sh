#!/bin/sh
# tools/dev/fuzz.sh [SECONDS]: runs every libFuzzer target tests/fuzz/fuzz_*.c for
# SECONDS each (default 60) under AddressSanitizer and UBSan, minimises its
# seed corpus, then prints a summary line per target (runs, exec/s,
# coverage, corpus) and exits non-zero if any target crashed, leaked or
# timed out. SECONDS=0 only minimises.
#
# The project library is built with clang into $FUZZ_BUILD (default
# build-fuzz) with -fsanitize=fuzzer-no-link,address,undefined, so the
# decoder, config parser etc. are instrumented; each target links it with
# -fsanitize=fuzzer. libFuzzer writes new inputs into the FIRST corpus
# directory: that is a scratch one under $FUZZ_BUILD/corpus/; the seed
# corpus tests/fuzz/corpus/<name> is only read during the run. After a clean
# run, `-merge=1` of the seed corpus and the scratch one into a fresh
# directory keeps the smallest set of inputs that covers what both cover;
# that set replaces the seed corpus and the scratch is emptied, so the
# committed corpus stays minimal (review it with git status before
# committing). Crashing inputs land in $FUZZ_BUILD/artifacts/ and are never
# merged; promote the interesting ones to the seed corpus by hand, then run
# with SECONDS=0. A tests/fuzz/<target>.dict is used when present.
# FUZZ_TARGETS="fuzz_decode" limits the targets; FUZZ_MAX_LEN the input size.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-60}
B=${FUZZ_BUILD:-build-fuzz}
maxlen=${FUZZ_MAX_LEN:-16384}
PKGS="rdkafka jansson gsl libsystemd inih libmicrohttpd"

command -v clang >/dev/null 2>&1 || { echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 77; }

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
warn="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough -Wpointer-arith -Wcast-qual -Wundef -Wwrite-strings -Wno-unused-parameter"
cppflags="-std=c11 -D_GNU_SOURCE $(pkg-config --cflags $PKGS)"
libs="$(pkg-config --libs $PKGS) -lpthread -lm"

echo "fuzz: building the instrumented library in $B" >&2
make -s -j2 BUILD="$B" CC=clang CFLAGS="$cflags" LDFLAGS="$san" "$B/libretentiond.a" >&2

mkdir -p "$B/bin" "$B/corpus" "$B/artifacts" "$B/logs"

# merge_corpus TARGET SEED SCRATCH: -merge=1 of SEED and SCRATCH into a
# fresh directory (no -max_len: seeds are kept whole), which then replaces
# SEED; SCRATCH is emptied. SEED is left as it was if the merge fails.
merge_corpus() {
	m_bin=$B/bin/$1 m_seed=$2 m_scratch=$3 m_new=$B/merged/$1
	m_log=$B/logs/$1.merge.log
	rm -rf "$m_new"
	mkdir -p "$m_new"
	m_from=$m_scratch
	[ -d "$m_seed" ] && m_from="$m_seed $m_scratch"
	# shellcheck disable=SC2086	# two directory names without spaces
	"$m_bin" -merge=1 -timeout=10 -rss_limit_mb=2048 "$m_new" $m_from >"$m_log" 2>&1 || {
		echo "fuzz: $1: merge failed, see $m_log" >&2; return 1; }
	[ -n "$(ls "$m_new")" ] || { echo "fuzz: $1: merge kept nothing" >&2; return 1; }
	rm -rf "$m_seed"
	mv "$m_new" "$m_seed"
	find "$m_scratch" -mindepth 1 -delete
}

targets=${FUZZ_TARGETS:-$(ls tests/fuzz/fuzz_*.c | sed 's|.*/||; s|\.c$||')}
summary=""
bad=0
for t in $targets; do
	src=tests/fuzz/$t.c
	[ -f "$src" ] || { echo "fuzz: no $src" >&2; bad=1; continue; }
	echo "fuzz: $t for ${secs}s" >&2
	# shellcheck disable=SC2086
	clang $cppflags $cflags $warn -fsanitize=fuzzer -o "$B/bin/$t" "$src" \
		"$B/libretentiond.a" $libs
	scratch=$B/corpus/$t
	seed=tests/fuzz/corpus/${t#fuzz_}
	mkdir -p "$scratch"
	set -- -max_total_time="$secs" -max_len="$maxlen" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$B/artifacts/$t-"
	[ -f "tests/fuzz/$t.dict" ] && set -- "$@" -dict="tests/fuzz/$t.dict"
	set -- "$@" "$scratch"
	[ -d "$seed" ] && set -- "$@" "$seed"
	log=$B/logs/$t.log
	rc=0
	if [ "$secs" -gt 0 ]; then
		"$B/bin/$t" "$@" >"$log" 2>&1 || rc=$?
	else
		: >"$log"
	fi
	before=$(ls "$seed" 2>/dev/null | wc -l)
	if [ $rc -eq 0 ]; then
		merge_corpus "$t" "$seed" "$scratch" || rc=$?
	fi
	after=$(ls "$seed" 2>/dev/null | wc -l)
	# last status line: "#N DONE cov: C ft: F corp: K/S exec/s: E rss: R"
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
	eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
	cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || true)
	ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || true)
	corp=$(echo "$last" | grep -o 'corp: [^ ]*' | sed 's/corp: //' || true)
	if [ $rc -eq 0 ]; then status=ok; else status="FAILED (exit $rc, see $log)"; bad=1; fi
	line="$t: $status, runs ${runs:-?}, exec/s ${eps:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, seed files $before -> $after"
	summary="$summary$line
"
	[ $rc -eq 0 ] || tail -n 40 "$log" >&2
done
printf '%s' "$summary"
exit $bad
