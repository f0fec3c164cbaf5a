#!/usr/bin/env bash
# demo.sh: `make demo`. Installs what is missing, builds, starts retentiond
# with its embedded broker, streams a synthetic company (tools/sim/gencompany.c)
# into hr.events and follows the alerts, suggestions and model estimates
# (tools/dev/demo_watch.py) until the daemon has caught up; then stops the
# daemon with SIGTERM and says where the logs are. No Kafka needed.
#
# Environment: DEMO_EMPLOYEES (300), DEMO_MONTHS (24), DEMO_SEED (42),
# DEMO_DEADLINE (seconds to catch up, 75), BUILD (build), DEMO_NO_BUILD=1
# (use the binaries in $BUILD as they are).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
EMPLOYEES=${DEMO_EMPLOYEES:-300}
MONTHS=${DEMO_MONTHS:-24}
SEED=${DEMO_SEED:-42}
DEADLINE=${DEMO_DEADLINE:-75}
PY=/usr/bin/python3

say() { printf '\n== %s\n' "$*"; }

if [ -z "${DEMO_NO_BUILD:-}" ]; then
	say "dependencies"
	tools/dev/deps.sh
	say "build"
	make -j2 BUILD="$BUILD" all >/dev/null
fi

state=$(mktemp -d /tmp/retentiond-demo.XXXXXX)
conf="$state/demo.conf"
log="$state/retentiond.log"
pid=""

. tools/dev/lib.sh
cleanup() {
	stop_daemon "$pid"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The state directory is this run's; the HTTP port only when it is free.
http=127.0.0.1:9464
if ! "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 9464))' 2>/dev/null; then
	http=""
fi
sed -e "s|^directory *=.*|directory = $state|" -e "s|^listen *=.*|listen = $http|" \
	deploy/demo.conf >"$conf"
group=$(sed -n 's/^group\.id *= *//p' "$conf" | head -n1)
"$BUILD/retentiond" -t --embedded-broker -c "$conf" >/dev/null

say "retentiond --embedded-broker (log: $log)"
"$BUILD/retentiond" --embedded-broker -c "$conf" 2>"$log" &
pid=$!
end=$((SECONDS + 20))
until [ -s "$state/bootstrap.servers" ]; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "retentiond exited early; its log:" >&2; tail -n 20 "$log" >&2; exit 1
	fi
	if [ $SECONDS -ge $end ]; then
		echo "no $state/bootstrap.servers after 20 s" >&2; exit 1
	fi
	sleep 0.1
done
bootstrap=$(head -n1 "$state/bootstrap.servers")
echo "broker at $bootstrap, pid $pid"

say "a company of $EMPLOYEES over $MONTHS months (seed $SEED)"
"$BUILD/gencompany" --employees "$EMPLOYEES" --months "$MONTHS" --seed "$SEED" \
	--erasures 2 --kafka-format --truth "$state/truth.json" >"$state/events.tsv"
events=$(wc -l <"$state/events.tsv")
start=$SECONDS
kcat -P -b "$bootstrap" -t hr.events -K $'\t' -X queue.buffering.max.ms=50 \
	<"$state/events.tsv"
echo "$events events produced to hr.events in $((SECONDS - start)) s"

say "alerts and suggestions as they come"
rc=0
"$PY" tools/dev/demo_watch.py --bootstrap "$bootstrap" --group "$group" \
	--events "$events" --truth "$state/truth.json" --deadline "$DEADLINE" --pid "$pid" \
	${http:+--http "$http"} || rc=$?

say "stopping retentiond"
kill -TERM "$pid"
drc=0
wait "$pid" || drc=$?
pid=""
echo "retentiond exited with status $drc"
echo "logs and data: $state (retentiond.log, events.tsv, truth.json, demo.conf)"
[ $rc -eq 0 ] && [ $drc -eq 0 ]
