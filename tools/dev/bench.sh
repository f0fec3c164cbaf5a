#!/usr/bin/env bash
# bench.sh: `make bench`. One table: every figure beside its ceiling,
# measured in the same run on the same events (the machine is shared and
# noisy: the ratios are what count). See docs/BENCH.md.
#
#   tools/dev/bench.sh [BUILD]
#
# Rows (the goals are issue 13's; PASS/FAIL is information, the exit status
# is 0 whenever every measurement ran):
#   pipeline      bench_pipeline replay (from memory, one shard) vs
#                 bench_pipeline parse (jansson only), same file, per CPU
#                 second (and per wall second beside)
#   end to end    daemon ([model] idle_seconds 1) on a mockbroker in another
#                 process, kcat producing while it consumes, until its
#                 committed offsets reach the end, vs the lower of a bare
#                 librdkafka consumer of the same topic (bench_kafka
#                 consume) and parse-only; beside them, the pipeline's
#                 own work on the daemon's shards (bench_pipeline
#                 replay -p PARTITIONS of the same events, per CPU second)
#   latency       after the company's history (the warm-up), live survey
#                 responses at a steady rate that open and close alert
#                 episodes (threshold 0.2: the company's risks stay under
#                 0.31), the alerts whose caused_by names one of them, vs
#                 the same events produced and consumed back with no
#                 daemon (one hop; the daemon's path is two)
#   memory        RSS after loading the sized companies minus before
#   events/s      the sized companies, slowest over fastest (per CPU second)
#   checkpoint    the largest company's checkpoint written and restored
#                 (bench_pipeline -k) vs `cat` of the same file
#   rescoring     model_score on every record at 1M vs one exp per record
# Lost data (a mock partition over its 5 MiB, a short consumer) fails the
# run (exit 1), as does any step that breaks; a latency run without a
# sample prints its row as n/a and fails the run after the table.
#
# Environment: BENCH_EMPLOYEES (3600) and BENCH_MONTHS (48): the company of
# the first three rows; BENCH_SIZES ("10000 100000 1000000") and
# BENCH_SIZE_MONTHS (1): the sized companies (history scaled down so that
# 1M fits in a few minutes); BENCH_RATE (200 events/s) and
# BENCH_LATENCY_EVENTS (6000): the live workload; BENCH_PARTITIONS (32,
# raised to fit the input); BENCH_SEED (1);
# BENCH_DEADLINE (600 s per broker step); BENCH_CONF: extra lines for the
# daemon's configuration (both broker rows); BENCH_E2E_CONF and
# BENCH_LATENCY_CONF: each row's own lines (the defaults below; a key in
# both BENCH_CONF and one of them is an error); BENCH_SAMPLES=FILE: the
# latency samples ("sent latency_ms"), the round trip's in FILE.rtt;
# BENCH_PERF=FILE: `perf record` of the end-to-end daemon, from the start
# of the produce to the last commit, into FILE (perf report -i), with
# BENCH_PERF_OPTS ("-F 499 -g"; e.g. "-F 199 --call-graph dwarf" through
# libraries built without frame pointers);
# BENCH_ROWS: the rows to measure, any of
# "pipeline e2e latency sizes" (the default: all; sizes is the sized
# companies: memory, events/s, checkpoint, rescoring), e.g.
# BENCH_ROWS=pipeline BENCH_SIZES="10000 100000" for the CPU rows alone.
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${1:-${BUILD:-build}}
EMPLOYEES=${BENCH_EMPLOYEES:-3600}
MONTHS=${BENCH_MONTHS:-48}
SIZES=${BENCH_SIZES:-10000 100000 1000000}
SIZE_MONTHS=${BENCH_SIZE_MONTHS:-1}
RATE=${BENCH_RATE:-200}
LAT_EVENTS=${BENCH_LATENCY_EVENTS:-6000}
# The end-to-end daemon: without the idle rule's one wait of 30 s at the
# end of the burst (docs/BENCH.md, "end to end").
E2E_CONF=${BENCH_E2E_CONF-$'[model]\nidle_seconds = 1'}
# The latency daemon: a threshold suited to the bench company, whose risks
# stay under 0.31 (0.25 at the 99th percentile): at the default 0.5 no
# event of it opens an episode (docs/BENCH.md, "latency").
LAT_CONF=${BENCH_LATENCY_CONF-$'[alerts]\nthreshold = 0.2\nclear_threshold = 0.12'}
PARTITIONS=${BENCH_PARTITIONS:-32}
SEED=${BENCH_SEED:-1}
DEADLINE=${BENCH_DEADLINE:-600}
RD="$BUILD/retentiond"
ROWS=${BENCH_ROWS:-pipeline e2e latency sizes}
# want ROW: ROW is among BENCH_ROWS
want() { case " $ROWS " in *" $1 "*) return 0 ;; esac; return 1; }
for r in $ROWS; do
	case $r in pipeline | e2e | latency | sizes) ;;
	*) echo "bench: BENCH_ROWS: unknown row '$r' (pipeline e2e latency sizes)" >&2; exit 2 ;;
	esac
done

for b in retentiond gencompany mockbroker bench_pipeline bench_kafka; do
	[ -x "$BUILD/$b" ] || { echo "bench: $BUILD/$b not built (make all)" >&2; exit 1; }
done
command -v kcat >/dev/null || { echo "bench: kcat not installed (tools/dev/deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/retentiond-bench.XXXXXX)
pid=""; broker=""; perf=""
. tools/dev/lib.sh
cleanup() {
	[ -z "$perf" ] || kill -INT "$perf" 2>/dev/null || true
	stop_daemon "$pid"
	stop_daemon "$broker"
	rm -rf "$tmp"
}
trap cleanup EXIT
status=0	# 1: a row could not be measured (the table still prints)
trap 'exit 130' INT TERM

fail() { echo "bench: $*" >&2; exit 1; }
now() { date +%s.%N; }
calc() { awk "BEGIN { $1 }" </dev/null; }
# "name value" lines of a tool's output -> value of name
get() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# A start date such that a history of $1 months ends before today (the
# first of the month, $1 + 1 months back).
start_for() { date -u -d "$(date -u +%Y-%m-01) -$(($1 + 1)) months" +%F; }

# The daemon's configuration; $1 the state directory, $2 the bootstrap
# list, $3 the step's own lines (before BENCH_CONF's; no key in both).
write_conf() {
	cat <<EOF
[kafka]
bootstrap.servers = $2
group.id = retentiond-bench
auto.offset.reset = earliest
session.timeout.ms = 6000
# as bench_kafka's consumers: see FETCH_WAIT_MS there
fetch.wait.max.ms = 10
[state]
directory = $1
[http]
listen =
[log]
level = info
EOF
	[ -z "${3:-}" ] || printf '%s\n' "$3"
	[ -z "${BENCH_CONF:-}" ] || printf '%s\n' "$BENCH_CONF"
}

# start_broker NAME TOPIC:PARTS...: a mockbroker in the background; sets
# $broker and $bootstrap.
start_broker() {
	local f="$tmp/$1.servers"; shift
	local args=()
	for t in "$@"; do args+=(-t "$t"); done
	"$BUILD/mockbroker" -f "$f" "${args[@]}" 2>"$tmp/broker.log" &
	broker=$!
	local end=$((SECONDS + 20))
	while [ ! -s "$f" ]; do
		kill -0 "$broker" 2>/dev/null && [ $SECONDS -lt $end ] ||
			fail "mockbroker did not start: $(tail -n 3 "$tmp/broker.log")"
		sleep 0.1
	done
	bootstrap=$(head -n1 "$f")
}

# start_daemon NAME [CONF]: retentiond on $bootstrap, fresh state, CONF
# the step's own configuration lines; waits until it has its partitions
# and says it is ready (its consumer knows the lag: it has fetched; up to
# 3 s after the assignment here, which a produce started at once waited
# for). Sets $pid.
start_daemon() {
	mkdir -p "$tmp/$1"
	write_conf "$tmp/$1" "$bootstrap" "${2:-}" >"$tmp/$1.conf"
	: >"$tmp/$1.log"	# grep's, before the daemon writes
	"$RD" -c "$tmp/$1.conf" 2>"$tmp/$1.log" &
	pid=$!
	local end=$((SECONDS + 60))
	until grep -q "assigned [1-9][0-9]* partition" "$tmp/$1.log" &&
	    grep -q '^<[0-9]>ready$' "$tmp/$1.log"; do
		kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ] ||
			fail "retentiond did not get its partitions or get ready: $(tail -n 3 "$tmp/$1.log")"
		sleep 0.1
	done
}

gen() {	# employees months out.jsonl [--kafka-format]
	local n=$1 m=$2 out=$3; shift 3
	"$BUILD/gencompany" --employees "$n" --months "$m" --seed "$SEED" \
		--start "$(start_for "$m")" "$@" >"$out"
}

echo "retentiond bench: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -sr), build $BUILD, $(date -u +%FT%TZ), rows: $ROWS" >&2

# room for the largest company: at the default max_employees (500 000) the
# 1M rows would measure half a million records and a DLQ
write_conf "$tmp" "" | sed '/^bootstrap/d; s/^level = info/level = warning/;
	s/^directory = .*/&\nmax_employees = 4000000/' >"$tmp/replay.conf"

# --- the company of rows 1-3 ---
if want pipeline || want e2e || want latency; then
gen "$EMPLOYEES" "$MONTHS" "$tmp/c.jsonl"
gen "$EMPLOYEES" "$MONTHS" "$tmp/c.tsv" --kafka-format
events=$(wc -l <"$tmp/c.jsonl")
kib=$(($(wc -c <"$tmp/c.jsonl") / 1024))
echo "bench: company $EMPLOYEES employees, $MONTHS months: $events events, $kib KiB" >&2
fi

if want pipeline || want e2e; then	# parse-only is the ceiling of both
"$BUILD/bench_pipeline" parse "$tmp/c.jsonl" >"$tmp/parse.out"
[ "$(get "$tmp/parse.out" parsed)" = "$events" ] || fail "parse-only parsed $(get "$tmp/parse.out" parsed) of $events"
parse_rate=$(get "$tmp/parse.out" parse_per_second)
parse_cpu_rate=$(get "$tmp/parse.out" parse_per_cpu_second)
fi
if want pipeline; then
"$BUILD/bench_pipeline" replay -c "$tmp/replay.conf" "$tmp/c.jsonl" >"$tmp/replay.out"
[ "$(get "$tmp/replay.out" events)" = "$events" ] || fail "replay ran $(get "$tmp/replay.out" events) of $events"
replay_rate=$(get "$tmp/replay.out" replay_per_second)
replay_cpu_rate=$(get "$tmp/replay.out" replay_per_cpu_second)
fi

# Room for the company on the broker: at least twice the input over the
# mock's 5 MiB per partition (record overhead), or the run fails on the
# watermark check.
if want e2e || want latency; then
need=$(((kib * 2 + 5119) / 5120))
[ "$PARTITIONS" -ge "$need" ] || PARTITIONS=$need
fi

# produce_history: kcat writes the company to hr.events on $bootstrap while
# the daemon $pid reads it; returns once the group's committed offsets
# reach the end (every output delivered), and sets $committed_at to when
# bench_kafka saw them there (its own exit, a watermark check and the
# handle's destruction, about 0.2 s, is not the daemon's time).
produce_history() {
	local tc
	kcat -P -b "$bootstrap" -t hr.events -X partitioner=murmur2_random -K $'\t' <"$tmp/c.tsv"
	tc=$(now)
	"$BUILD/bench_kafka" committed -b "$bootstrap" -t hr.events -g retentiond-bench \
		-n "$events" -T "$DEADLINE" >"$tmp/committed.out" || fail "the daemon did not commit every event (see above)"
	committed_at=$(calc "printf \"%.3f\", $tc + $(get "$tmp/committed.out" seconds)")
}

# --- end to end: kcat produces while the daemon consumes ---
if want e2e; then
echo "bench: end to end over $PARTITIONS partitions" >&2
start_broker e2e "hr.events:$PARTITIONS"
start_daemon e2e "$E2E_CONF"
if [ -n "${BENCH_PERF:-}" ]; then
	perf record -q ${BENCH_PERF_OPTS:--F 499 -g} -o "$BENCH_PERF" -p "$pid" 2>"$tmp/perf.log" &
	perf=$!
fi
t0=$(now)
produce_history
t1=$committed_at
if [ -n "$perf" ]; then
	kill -INT "$perf"; wait "$perf" || true; perf=""
fi
e2e_rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
# the daemon's CPU time (user + system) over the wall time: what it
# waited for, it did not spend
e2e_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / hz }' "/proc/$pid/stat")
echo "bench: end to end $(calc "printf \"%.1f\", $t1 - $t0") s, the daemon's CPU $e2e_cpu s" >&2
stop_daemon "$pid"; pid=""
e2e_rate=$(calc "printf \"%.0f\", $events / ($t1 - $t0)")
"$BUILD/bench_kafka" consume -b "$bootstrap" -t hr.events -n "$events" -T "$DEADLINE" \
	>"$tmp/consume.out" || fail "the bare consumer did not read every event (see above)"
consume_rate=$(get "$tmp/consume.out" per_second)
stop_daemon "$broker"; broker=""
# the same events through the pipeline in memory on as many shards as the
# daemon had (murmur2 of the key, as kcat placed them): what of the
# daemon's CPU is the pipeline's
"$BUILD/bench_pipeline" replay -c "$tmp/replay.conf" -p "$PARTITIONS" "$tmp/c.tsv" >"$tmp/shards.out"
[ "$(get "$tmp/shards.out" events)" = "$events" ] || fail "replay over $PARTITIONS shards ran $(get "$tmp/shards.out" events) of $events"
shards_cpu_rate=$(get "$tmp/shards.out" replay_per_cpu_second)
fi

# --- latency at a steady rate: round trip first, then through the daemon ---
# The live workload (bench_kafka.c, -L): survey responses at a steady rate,
# stamped with live times, of the employees on staff at the end of the
# history, which the daemon has learnt first (produce_history); the round
# trip sends the same events at the same rate through the same broker
# with no daemon.
if want latency; then
warm=$((LAT_EVENTS / 3 < 5 * RATE ? LAT_EVENTS / 3 : 5 * RATE))	# see bench_kafka.c
echo "bench: latency, $LAT_EVENTS live events at $RATE/s after the history" >&2
start_broker lat "hr.events:$PARTITIONS" bench.echo:4 hr.attrition.alerts:4
lat() {	# TOPIC OUTTOPIC MATCH OUT [SAMPLES]
	"$BUILD/bench_kafka" latency -L -b "$bootstrap" -t "$1" -o "$2" -f "$tmp/c.tsv" \
		-n "$LAT_EVENTS" -w "$warm" -r "$RATE" -m "$3" -T "$DEADLINE" \
		${5:+-s "$5"} >"$4"
}
lat bench.echo bench.echo id "$tmp/rtt.out" "${BENCH_SAMPLES:+$BENCH_SAMPLES.rtt}" || fail "round trip failed"
[ "$(get "$tmp/rtt.out" samples)" = $((LAT_EVENTS - warm)) ] ||
	fail "round trip: $(get "$tmp/rtt.out" samples) of $((LAT_EVENTS - warm)) came back"
start_daemon lat "$LAT_CONF"
produce_history		# the warm-up: the model learns the company
lat hr.events hr.attrition.alerts caused_by "$tmp/lat.out" "${BENCH_SAMPLES:-}" || {
	# no sample is a measurement that could not be made, but the other
	# rows are still worth their table: the run fails at the end
	echo "bench: no alert named an event of the latency run after its warm-up" >&2
	status=1
}
stop_daemon "$pid"; pid=""
stop_daemon "$broker"; broker=""
fi

# --- sized companies: events/s, memory, rescoring ---
want sizes || SIZES=""
for n in $SIZES; do
	echo "bench: $n employees, $SIZE_MONTHS month(s)" >&2
	gen "$n" "$SIZE_MONTHS" "$tmp/s.jsonl"
	ck=()
	[ "$n" = "${SIZES##* }" ] && mkdir -m 700 "$tmp/ckpt" && ck=(-k "$tmp/ckpt")
	"$BUILD/bench_pipeline" replay -c "$tmp/replay.conf" "${ck[@]}" "$tmp/s.jsonl" >"$tmp/size.$n"
	[ "$(get "$tmp/size.$n" events)" = "$(wc -l <"$tmp/s.jsonl")" ] || fail "sized replay of $n incomplete"
	rm -f "$tmp/s.jsonl"
done
sizes=($SIZES)
largest=""
[ ${#sizes[@]} -eq 0 ] || largest=${sizes[${#sizes[@]} - 1]}
if [ -n "$largest" ]; then
# `cat` of the checkpoint just written and restored (so in the page cache,
# as it was for the restore): the best of three, timed by bash (ms)
ckpt=$(get "$tmp/size.$largest" checkpoint_path)
[ -s "$ckpt" ] || fail "no checkpoint of the $largest company"
cat_s=$(TIMEFORMAT=%3R; for i in 1 2 3; do
	{ time cat "$ckpt" >/dev/null; } 2>&1
done | sort -n | head -n 1)
cat_s=$(calc "x = $cat_s; if (x < 0.001) x = 0.001; print x")	# bash's resolution
rm -rf "$tmp/ckpt"
fi

# --- the table ---
# row FIGURE MEASURED AGAINST RATIO GOAL VERDICT
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@"; }
# verdict RATIO OP LIMIT
verdict() { calc "x = ($1 $2 $3) ? \"PASS\" : \"FAIL\"; print x"; }
k() { calc "printf \"%.1fk\", $1 / 1000"; }
human() { calc "n = $1; if (n >= 1000000) printf \"%gM\", n / 1e6; else if (n >= 1000) printf \"%gk\", n / 1e3; else print n"; }

echo
echo "input: company of $EMPLOYEES employees over $MONTHS months, ${events:-no} events (${kib:-0} KiB JSONL); sized companies: $SIZE_MONTHS month(s) of history"
echo
row figure measured "against, same run" ratio goal result
row --- --- --- --- --- ---
if want pipeline; then
# per CPU second (both are one thread): the machine's other load stretches
# wall time, not the work; the wall figures are beside them
r=$(calc "printf \"%.2f\", $replay_cpu_rate / $parse_cpu_rate")
row "pipeline (replay from memory)" "$(k "$replay_cpu_rate") events/s" \
	"jansson parse-only $(k "$parse_cpu_rate")/s (per CPU second; wall $(k "$replay_rate") / $(k "$parse_rate"))" \
	"$r" ">= 0.7" "$(verdict "$r" ">=" 0.7)"
fi

if want e2e; then
ceil=$(calc "x = $consume_rate < $parse_rate ? $consume_rate : $parse_rate; print x")
ceil_name=$(calc "x = $consume_rate < $parse_rate ? \"bare consumer\" : \"parse-only\"; print x")
r=$(calc "printf \"%.2f\", $e2e_rate / $ceil")
idle=$(printf '%s\n' "$E2E_CONF" "${BENCH_CONF:-}" | awk -F' *= *' '$1 == "idle_seconds" { v = $2 } END { print v }')
row "end to end through the broker on loopback${idle:+ (idle_seconds = $idle)}" \
	"$(k "$e2e_rate") events/s ($(k "$(calc "print $events / $e2e_cpu")") per daemon CPU second)" \
	"$ceil_name $(k "$ceil")/s (consumer $(k "$consume_rate"), parse $(k "$parse_rate"); the pipeline alone on $PARTITIONS shards $(k "$shards_cpu_rate") per CPU second)" "$r" ">= 0.6" "$(verdict "$r" ">=" 0.6)"
fi

if want latency; then
thr=$(printf '%s\n' "$LAT_CONF" "${BENCH_CONF:-}" | awk -F' *= *' '$1 == "threshold" { v = $2 } END { print v }')
lat_name="event-to-alert latency p50 / p99 at $RATE/s${thr:+ (threshold $thr)}"
lp50=$(get "$tmp/lat.out" p50_ms); lp99=$(get "$tmp/lat.out" p99_ms)
rp50=$(get "$tmp/rtt.out" p50_ms); rp99=$(get "$tmp/rtt.out" p99_ms)
if [ -n "$lp99" ]; then
r=$(calc "printf \"%.2f\", $lp99 / $rp99")
row "$lat_name" \
	"$lp50 / $lp99 ms ($(get "$tmp/lat.out" samples) alerts)" \
	"round trip $rp50 / $rp99 ms ($((LAT_EVENTS - warm)) events; one hop, the daemon's path two)" "$r (p99)" "<= 2" "$(verdict "$r" "<=" 2)"
else
row "$lat_name" \
	"n/a (no alert named an event after the warm-up)" \
	"round trip $rp50 / $rp99 ms ($((LAT_EVENTS - warm)) events; one hop, the daemon's path two)" "-" "<= 2" "n/a"
fi
fi

if want sizes; then
for n in $SIZES; do
	[ "$n" = "${sizes[0]}" ] && [ ${#sizes[@]} -gt 2 ] && continue
	b=$(get "$tmp/size.$n" bytes_per_record)
	rec=$(get "$tmp/size.$n" records)
	mib=$(calc "printf \"%.0f\", ($(get "$tmp/size.$n" rss_after) - $(get "$tmp/size.$n" rss_before)) / 1048576")
	r=$(calc "printf \"%.2f\", $b / 400")
	row "memory per employee, $(human "$n")" "$b B" "RSS +$mib MiB over $rec records" \
		"$r (of goal)" "<= 400 B" "$(verdict "$b" "<=" 400)"
done

rates=""; all=""
for n in $SIZES; do
	x=$(get "$tmp/size.$n" replay_per_cpu_second)	# see the pipeline row
	rates="$rates${rates:+ / }$(human "$n"): $(k "$x")"
	all="$all $x"
done
r=$(echo $all | tr ' ' '\n' | sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f", lo / hi }')
row "events/s by company size" "$rates" "each other (slowest / fastest; per CPU second)" "$r" ">= 0.8" "$(verdict "$r" ">=" 0.8)"

f=$tmp/size.$largest
cw=$(get "$f" checkpoint_write_seconds); cr=$(get "$f" checkpoint_restore_seconds)
cb=$(get "$f" checkpoint_bytes)
r=$(calc "printf \"%.1f\", $cr / $cat_s")
row "checkpoint write / restore, $(human "$largest")" \
	"$(calc "printf \"%.0f / %.0f ms (%.0f MiB, %.0f B per record)\", $cw * 1000, $cr * 1000, $cb / 1048576, $cb / $(get "$f" records)")" \
	"cat $(calc "printf \"%.1f\", $cat_s * 1000") ms (write $(calc "printf \"%.1f\", $cw / $cat_s")x)" \
	"$r (restore)" "restore <= 5" "$(verdict "$r" "<=" 5)"

rs=$(get "$f" rescore_seconds); es=$(get "$f" exp_seconds)
r=$(calc "if ($es > 0) printf \"%.1f\", $rs / $es; else print \"-\"")
row "rescoring every employee once, $(human "$largest")" \
	"$(calc "printf \"%.1f\", $rs * 1000") ms ($(get "$f" rescored) model_score)" \
	"one exp per record $(calc "printf \"%.2f\", $es * 1000") ms" "$r" "<= 5" \
	"$([ "$r" = - ] && echo n/a || verdict "$r" "<=" 5)"
fi

want pipeline && want e2e && want latency || exit $status	# what the line below names
echo
echo "also: replay outputs $(get "$tmp/replay.out" alerts) alerts, $(get "$tmp/replay.out" suggestions) suggestions;" \
	"end to end max RSS $((e2e_rss / 1024)) MiB; bare consumer $(get "$tmp/consume.out" messages) messages;" \
	"latency run sent $(get "$tmp/lat.out" sent), max $(get "$tmp/lat.out" max_ms) ms (round trip max $(get "$tmp/rtt.out" max_ms) ms)"
exit $status
