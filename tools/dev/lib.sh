# tools/dev/lib.sh: shell helpers shared by tools/demo.sh and tools/dev/bench.sh
# (sourced, not run).

# stop_daemon PID: SIGTERM, up to 10 s for the flush and commit, then SIGKILL.
# A PID that is empty or already gone is fine.
stop_daemon() {
	local p=$1
	[ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.2; done
	kill -KILL "$p" 2>/dev/null || true
}
