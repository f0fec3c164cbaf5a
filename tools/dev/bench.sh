#!/usr/bin/env bash
# bench.sh: `make bench`. Prints figures, never pass/fail.
#
#   tools/dev/bench.sh [BUILD]
#
# Generates a synthetic company (tools/sim/gencompany.c, about 200k events) and
# measures, in the same run and on the same file:
#   (a) replay: `retentiond --replay FILE` through the real pipeline, no
#       Kafka: events/s, wall time, max RSS, memory per employee (max RSS
#       minus that of a one-event replay, over the employees in state);
#   (b) the ceiling: jansson parse-only of every line (tools/dev/bench_parse.c);
#   (c) end to end: `retentiond --embedded-broker`, events produced with
#       kcat, timed until the daemon's committed offsets reach the end of
#       hr.events (so every output was delivered too).
# Environment: BENCH_EMPLOYEES (3600), BENCH_MONTHS (60), BENCH_SEED (1),
# BENCH_E2E=0 skips (c), BENCH_DEADLINE (seconds for (c), 300).
set -euo pipefail
cd "$(dirname "$0")/../.."

BUILD=${1:-${BUILD:-build}}
EMPLOYEES=${BENCH_EMPLOYEES:-3600}
MONTHS=${BENCH_MONTHS:-60}
SEED=${BENCH_SEED:-1}
DEADLINE=${BENCH_DEADLINE:-300}
PY=/usr/bin/python3
RD="$BUILD/retentiond"

for b in retentiond gencompany bench_parse; do
	[ -x "$BUILD/$b" ] || { echo "bench: $BUILD/$b not built (make all)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/retentiond-bench.XXXXXX)
pid=""
. tools/dev/lib.sh
cleanup() {
	stop_daemon "$pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
# elapsed START END -> seconds with 3 decimals
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }'; }

# Max RSS (KiB) and wall seconds of a command, its stdout to a file.
# /usr/bin/time when there, else python's getrusage of the child.
measure() {	# outfile command...
	local out=$1; shift
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >"$out" 2>>"$tmp/stderr" || {
			echo "bench: $* failed:" >&2; tail -n 5 "$tmp/stderr" >&2; exit 1; }
	else
		"$PY" - "$tmp/time" "$out" "$@" <<'EOF'
import resource, subprocess, sys, time
t0 = time.monotonic()
with open(sys.argv[2], "wb") as out:
    subprocess.run(sys.argv[3:], stdout=out, check=True)
wall = time.monotonic() - t0
with open(sys.argv[1], "w") as f:
    f.write("%.2f %d\n" % (wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
EOF
	fi
	read -r M_WALL M_RSS <"$tmp/time"
}

cat >"$tmp/bench.conf" <<EOF
[kafka]
group.id = retentiond-bench
auto.offset.reset = earliest
session.timeout.ms = 6000
[state]
directory = $tmp
[http]
listen =
[log]
level = warning
EOF

echo "retentiond bench: $(nproc) cores, $(uname -sr), build $BUILD"

# Generate.
gen_cmd="$BUILD/gencompany --employees $EMPLOYEES --months $MONTHS --seed $SEED --truth truth.json"
t0=$(now)
"$BUILD/gencompany" --employees "$EMPLOYEES" --months "$MONTHS" --seed "$SEED" \
	--truth "$tmp/truth.json" >"$tmp/events.jsonl"
t1=$(now)
"$BUILD/gencompany" --employees "$EMPLOYEES" --months "$MONTHS" --seed "$SEED" \
	--kafka-format >"$tmp/events.tsv"
events=$(wc -l <"$tmp/events.jsonl")
bytes=$(wc -c <"$tmp/events.jsonl")
gen_s=$(elapsed "$t0" "$t1")
employees=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["counts"]; print(c["employees"] - c["erasures"])' "$tmp/truth.json")

# (b) ceiling: parse only.
read -r _ _ _ parsed _ parse_s _ parse_rate < <("$BUILD/bench_parse" "$tmp/events.jsonl")

# (a) replay, and a one-event replay for the base RSS.
head -n1 "$tmp/events.jsonl" >"$tmp/one.jsonl"
measure "$tmp/one.out" "$RD" --replay "$tmp/one.jsonl" -c "$tmp/bench.conf"
base_rss=$M_RSS
measure "$tmp/replay.out" "$RD" --replay "$tmp/events.jsonl" -c "$tmp/bench.conf"
replay_s=$M_WALL
replay_rss=$M_RSS
outputs=$(wc -l <"$tmp/replay.out")
dlq=$(grep -c '"topic":"hr.events.dlq"' "$tmp/replay.out" || true)
per_emp=$(awk -v a="$replay_rss" -v b="$base_rss" -v n="$employees" \
	'BEGIN { if (n > 0) printf "%.2f", (a - b) / n; else print "-" }')

# (c) end to end through the embedded broker.
e2e_s="-"; e2e_rate="-"; produce_s="-"; e2e_rss="-"; e2e_note=""
if [ "${BENCH_E2E:-1}" != 0 ] && command -v kcat >/dev/null; then
	"$RD" --embedded-broker -c "$tmp/bench.conf" 2>"$tmp/daemon.log" &
	pid=$!
	end=$((SECONDS + 20))
	while [ ! -s "$tmp/bootstrap.servers" ] && kill -0 "$pid" 2>/dev/null &&
	    [ $SECONDS -lt $end ]; do sleep 0.1; done
	if [ -s "$tmp/bootstrap.servers" ]; then
		bootstrap=$(head -n1 "$tmp/bootstrap.servers")
		t0=$(now)
		kcat -P -b "$bootstrap" -t hr.events -K $'\t' <"$tmp/events.tsv"
		t1=$(now)
		produce_s=$(elapsed "$t0" "$t1")
		if "$PY" - "$bootstrap" "$events" "$DEADLINE" "$pid" <<'EOF'
import os, sys, time
from confluent_kafka import Consumer, TopicPartition
bootstrap, n, deadline, pid = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "retentiond-bench",
              "enable.auto.commit": False, "log_level": 2})
end = time.monotonic() + deadline
while time.monotonic() < end:
    try:
        os.kill(pid, 0)
        t = c.list_topics("hr.events", timeout=5).topics["hr.events"]
        tps = [TopicPartition("hr.events", p) for p in t.partitions]
        done = sum(max(x.offset, 0) for x in c.committed(tps, timeout=5))
        if done >= n:
            sys.exit(0)
    except ProcessLookupError:
        sys.exit(2)
    except Exception:
        pass
    time.sleep(0.05)
sys.exit(1)
EOF
		then
			t2=$(now)
			e2e_s=$(elapsed "$t0" "$t2")
			e2e_rate=$(rate "$events" "$e2e_s")
		else
			e2e_note="(did not catch up within ${DEADLINE} s)"
		fi
		e2e_rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo -)
	else
		e2e_note="(embedded broker did not start; see below)"
		tail -n 5 "$tmp/daemon.log" >&2 || true
	fi
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
fi

mb() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f MiB", k / 1024; else print "-" }'; }
echo
echo "input: $events events ($((bytes / 1024)) KiB JSONL), $employees employees in state at the end"
printf '%-40s %10s %10s %12s %12s\n' "measure" "events" "seconds" "events/s" "max RSS"
printf '%-40s %10s %10s %12s %12s\n' "gencompany (generate)" "$events" "$gen_s" "$(rate "$events" "$gen_s")" "-"
printf '%-40s %10s %10s %12s %12s\n' "(b) jansson parse-only (ceiling)" "$parsed" "$parse_s" "$parse_rate" "-"
printf '%-40s %10s %10s %12s %12s\n' "(a) retentiond --replay" "$events" "$replay_s" "$(rate "$events" "$replay_s")" "$(mb "$replay_rss")"
printf '%-40s %10s %10s %12s %12s\n' "    one-event replay (base)" 1 "-" "-" "$(mb "$base_rss")"
printf '%-40s %10s %10s %12s %12s\n' "    kcat produce only" "$events" "$produce_s" "$(rate "$events" "$produce_s")" "-"
printf '%-40s %10s %10s %12s %12s %s\n' "(c) end to end (produce -> committed)" "$events" "$e2e_s" "$e2e_rate" "$(mb "$e2e_rss")" "$e2e_note"
echo
echo "replay: $outputs output lines, $dlq to the DLQ; memory per employee ${per_emp} KiB (max RSS - base) / employees"
echo
echo "commands (in a temporary directory):"
echo "  $gen_cmd > events.jsonl      (and --kafka-format > events.tsv)"
echo "  $BUILD/bench_parse events.jsonl"
echo "  /usr/bin/time -f '%e %M' $RD --replay events.jsonl -c bench.conf > replay.out"
echo "  $RD --embedded-broker -c bench.conf &"
echo "  kcat -P -b \$(cat bootstrap.servers) -t hr.events -K '\\t' < events.tsv"
echo "  then poll the committed offsets of group retentiond-bench on hr.events until they sum to $events"
echo "bench.conf:"
sed 's/^/  /' "$tmp/bench.conf"
