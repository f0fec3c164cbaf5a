#!/usr/bin/env bash
# The systemd units: `systemd-analyze verify` is clean for the service and
# the socket, and `systemd-analyze security --offline=true` rates the
# service's exposure at 1.5 or lower. The units are checked as installed:
# @BINDIR@ replaced by a directory holding the built binary (verify wants
# ExecStart= to exist), and the man pages reachable through MANPATH (verify
# runs man(1) for Documentation=). Also asserts the settings retentiond
# relies on (Type=notify, the watchdog, reload by SIGHUP, exit 6 final).
set -u
cd "$(dirname "$0")/../.."
command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

mkdir -p "$tmp/bin" "$tmp/units" "$tmp/man/man8" "$tmp/man/man5"
bin=${RETENTIOND:-build/retentiond}
if [ -x "$bin" ]; then cp "$bin" "$tmp/bin/retentiond"; else cp /bin/true "$tmp/bin/retentiond"; fi
sed "s|@BINDIR@|$tmp/bin|g" deploy/retentiond.service.in >"$tmp/units/retentiond.service"
cp deploy/retentiond.socket "$tmp/units/"
cp docs/retentiond.8 "$tmp/man/man8/"
cp docs/retentiond.conf.5 "$tmp/man/man5/"

if grep -q '@BINDIR@' "$tmp/units/retentiond.service"; then
	echo "FAIL @BINDIR@ left in the unit"; fail=1
fi

# verify: any output is a finding
out=$(cd "$tmp/units" && MANPATH="$tmp/man" SYSTEMD_LOG_LEVEL=notice \
	systemd-analyze verify retentiond.service retentiond.socket 2>&1); rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "FAIL systemd-analyze verify (exit $rc):"; echo "$out" | sed 's/^/    /'; fail=1
else
	echo "verify: clean"
fi

# security: the overall exposure, e.g. "Overall exposure level for
# retentiond.service: 1.2 OK"
out=$(systemd-analyze security --offline=true --no-pager "$tmp/units/retentiond.service" 2>&1)
score=$(echo "$out" | sed -n 's/.*Overall exposure level for retentiond.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
	echo "FAIL no exposure score:"; echo "$out" | tail -n 20 | sed 's/^/    /'; fail=1
elif awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }'; then
	echo "security: exposure $score (<= 1.5)"
else
	echo "FAIL security: exposure $score > 1.5"; echo "$out" | grep '✗' | sed 's/^/    /'; fail=1
fi

# what the daemon's behaviour depends on
for want in 'Type=notify' 'WatchdogSec=' 'ExecReload=/bin/kill -HUP $MAINPID' \
    'RestartPreventExitStatus=6' 'StateDirectory=retentiond' \
    "ExecStart=$tmp/bin/retentiond -c /etc/retentiond/retentiond.conf" \
    'LoadCredential=sasl-password:/etc/retentiond/sasl-password'; do
	grep -qxF -- "$want" "$tmp/units/retentiond.service" ||
		grep -q -- "^$want" "$tmp/units/retentiond.service" ||
		{ echo "FAIL unit lacks $want"; fail=1; }
done
exit $fail
