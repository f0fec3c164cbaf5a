#!/usr/bin/env bash
# `make install DESTDIR=... PREFIX=/usr` lays out the tree a package would
# ship: the binary, the units with @BINDIR@ substituted, the example config
# (world-readable: the service runs as a dynamic user), an empty private
# sasl-password credential, both man pages, and under share/retentiond the
# schemas, the OpenAPI document as served, the dashboard and the alerting
# rules. The installed binary accepts the installed config, a second install
# keeps an edited config, and `make uninstall` removes all but /etc.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
fail=0
. tests/ops/checks.sh
mode() { stat -c %a "$1" 2>/dev/null; }

if ! make -s BUILD="$BUILD" install DESTDIR="$root" PREFIX=/usr >"$tmp/log" 2>&1; then
	echo "FAIL make install:"; tail -n 30 "$tmp/log" | sed 's/^/    /'; exit 1
fi

unit=$root/usr/lib/systemd/system/retentiond.service
conf=$root/etc/retentiond/retentiond.conf
check "binary" test -x "$root/usr/bin/retentiond"
check "binary mode" [ "$(mode "$root/usr/bin/retentiond")" = 755 ]
check "service unit" test -f "$unit"
check "no @BINDIR@ left" bash -c "! grep -q @BINDIR@ '$unit'"
check "ExecStart uses /usr/bin" grep -qx 'ExecStart=/usr/bin/retentiond -c /etc/retentiond/retentiond.conf' "$unit"
check "socket unit" test -f "$root/usr/lib/systemd/system/retentiond.socket"
check "config" cmp -s deploy/retentiond.conf "$conf"
check "config mode 644" [ "$(mode "$conf")" = 644 ]
check "credential file" test -f "$root/etc/retentiond/sasl-password"
check "credential mode 600" [ "$(mode "$root/etc/retentiond/sasl-password")" = 600 ]
check "credential empty" test ! -s "$root/etc/retentiond/sasl-password"
check "retentiond.8" test -s "$root/usr/share/man/man8/retentiond.8"
check "retentiond.conf.5" test -s "$root/usr/share/man/man5/retentiond.conf.5"
check "version" bash -c "'$root/usr/bin/retentiond' -V | grep -q '^retentiond [0-9]'"
check "installed config valid" "$root/usr/bin/retentiond" -t -c "$conf"
share=$root/usr/share/retentiond
check_share "$share"

# an upgrade keeps the administrator's config and credential
echo "# edited" >>"$conf"
echo "s3cret" >"$root/etc/retentiond/sasl-password"
if make -s BUILD="$BUILD" install DESTDIR="$root" PREFIX=/usr >"$tmp/log" 2>&1; then
	check "edited config kept" grep -qx '# edited' "$conf"
	check "credential kept" grep -qx 's3cret' "$root/etc/retentiond/sasl-password"
else
	echo "FAIL second make install"; tail -n 20 "$tmp/log"; fail=1
fi
[ $fail -eq 0 ] && echo "install tree ok: $(cd "$root" && find . -type f | sort | tr '\n' ' ')"

# uninstall takes back all of it but the administrator's /etc/retentiond
if make -s BUILD="$BUILD" uninstall DESTDIR="$root" PREFIX=/usr >"$tmp/log" 2>&1; then
	left=$(cd "$root" && find . -type f | sort | tr '\n' ' ')
	check "uninstall leaves only /etc/retentiond (left: $left)" \
		[ "$left" = "./etc/retentiond/retentiond.conf ./etc/retentiond/sasl-password " ]
	check "uninstall removes share/retentiond" test ! -e "$share"
else
	echo "FAIL make uninstall"; tail -n 20 "$tmp/log"; fail=1
fi
exit $fail
