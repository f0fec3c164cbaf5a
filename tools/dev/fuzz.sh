#!/bin/sh
# tools/dev/fuzz.sh [SECONDS]: runs every libFuzzer target tests/fuzz/fuzz_*.c for
# SECONDS each (default 60) under AddressSanitizer and UBSan, then prints a
# summary line per target (runs, exec/s, coverage, corpus) and exits non-zero
# if any target crashed, leaked or timed out.
#
# The project library is built with clang into $FUZZ_BUILD (default
# build-fuzz) with -fsanitize=fuzzer-no-link,address,undefined, so the
# decoder, config parser etc. are instrumented; each target links it with
# -fsanitize=fuzzer. libFuzzer writes new inputs into the FIRST corpus
# directory: that is a scratch one under $FUZZ_BUILD/corpus/, kept between
# runs; the seed corpus tests/fuzz/corpus/<name> is only read. Crashing
# inputs land in $FUZZ_BUILD/artifacts/; promote the interesting ones to the
# seed corpus by hand. A tests/fuzz/<target>.dict is used when present.
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
	"$B/bin/$t" "$@" >"$log" 2>&1 || rc=$?
	# last status line: "#N DONE cov: C ft: F corp: K/S exec/s: E rss: R"
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
	eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
	cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || true)
	ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || true)
	corp=$(echo "$last" | grep -o 'corp: [^ ]*' | sed 's/corp: //' || true)
	if [ $rc -eq 0 ]; then status=ok; else status="FAILED (exit $rc, see $log)"; bad=1; fi
	line="$t: $status, runs ${runs:-?}, exec/s ${eps:-?}, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
	summary="$summary$line
"
	[ $rc -eq 0 ] || tail -n 40 "$log" >&2
done
printf '%s' "$summary"
exit $bad
