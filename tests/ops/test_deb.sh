#!/usr/bin/env bash
# The Debian package: `make deb` builds it into a temp dir (dpkg-buildpackage
# -us -uc -b on a copy of the tree); lintian has no error or warning to
# report (nor an info tag that is not overridden with a reason); the
# package holds what `make install PREFIX=/usr` lays out, with
# /usr/share/retentiond and the configuration as a conffile; its installed
# units pass `systemd-analyze verify` in a root made of the package and the
# host's systemd units; its maintainer scripts never enable or start the
# service (postinst run for real with DPKG_ROOT and the systemd helpers
# stubbed: it creates the root-only credential and keeps an existing one;
# postrm purge removes it). The build's duration is printed.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
for t in dpkg-buildpackage dh lintian dpkg-deb systemd-analyze; do
	command -v $t >/dev/null 2>&1 || { echo "$t not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
. tests/ops/checks.sh

start=$SECONDS
if ! make -s BUILD="$BUILD" deb DEBDIR="$tmp/out" >"$tmp/make.log" 2>&1; then
	echo "FAIL make deb:"; tail -n 40 "$tmp/make.log" | sed 's/^/    /'; exit 1
fi
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
deb=$(ls "$tmp/out"/retentiond_"$version"_*.deb 2>/dev/null | head -n 1)
changes=$(ls "$tmp/out"/retentiond_"$version"_*.changes 2>/dev/null | head -n 1)
echo "make deb: $((SECONDS - start)) s"
if [ -z "$deb" ] || [ -z "$changes" ]; then
	echo "FAIL no retentiond_${version}_*.deb/.changes in $tmp/out: $(ls "$tmp/out")"; exit 1
fi
check "package version $version" [ "$(dpkg-deb -f "$deb" Version)" = "$version" ]

# lintian: E and W fail, and so does an I tag without an override
lintian --fail-on error,warning --info --display-level ">=pedantic" --show-overrides "$changes" \
	>"$tmp/lintian.log" 2>&1; rc=$?
tags=$(grep -E '^[EWIPX]: ' "$tmp/lintian.log")
if [ $rc -ne 0 ] || [ -n "$tags" ]; then
	echo "FAIL lintian (exit $rc):"; grep -v '^N:' "$tmp/lintian.log" | sed 's/^/    /'; fail=1
else
	echo "lintian: clean ($(grep -c '^O: ' "$tmp/lintian.log" 2>/dev/null || true) override(s), each with a reason in debian/)"
fi

# contents
root=$tmp/root
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$tmp/control"
share=$root/usr/share/retentiond
check "binary" test -x "$root/usr/bin/retentiond"
check "binary runs" bash -c "'$root/usr/bin/retentiond' -V | grep -qx 'retentiond $version'"
check "config is a conffile" grep -qx /etc/retentiond/retentiond.conf "$tmp/control/conffiles"
check "shipped config valid" "$root/usr/bin/retentiond" -t -c "$root/etc/retentiond/retentiond.conf" 2>/dev/null
check "credential not shipped" test ! -e "$root/etc/retentiond/sasl-password"
check "man pages" test -s "$root/usr/share/man/man8/retentiond.8.gz" -a \
	-s "$root/usr/share/man/man5/retentiond.conf.5.gz"
check_share "$share"
unitdir=$(cd "$root" && ls -d lib/systemd/system usr/lib/systemd/system 2>/dev/null | head -n 1)
check "units installed" test -n "$unitdir" -a -f "$root/$unitdir/retentiond.service" -a \
	-f "$root/$unitdir/retentiond.socket"
check "ExecStart=/usr/bin/retentiond" grep -qx \
	'ExecStart=/usr/bin/retentiond -c /etc/retentiond/retentiond.conf' "$root/$unitdir/retentiond.service"

# systemd-analyze verify, as installed: the package's files over the host's
# units (the targets the unit names) and kill(1) (its ExecReload=)
vroot=$tmp/vroot
cp -a "$root" "$vroot"
mkdir -p "$vroot/$unitdir" "$vroot/bin"
cp -a -n /lib/systemd/system/. "$vroot/$unitdir/" 2>/dev/null
cp /bin/kill "$vroot/bin/kill"
mkdir -p "$tmp/man"
cp -a "$root/usr/share/man/." "$tmp/man/"
out=$(cd "$vroot/$unitdir" && MANPATH="$tmp/man" SYSTEMD_LOG_LEVEL=notice \
	systemd-analyze verify --root="$vroot" retentiond.service retentiond.socket 2>&1); rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
	echo "FAIL systemd-analyze verify of the installed units (exit $rc):"; echo "$out" | sed 's/^/    /'
	fail=1
else
	echo "systemd-analyze verify: clean"
fi

# maintainer scripts: nothing may enable or start the units
scripts="$tmp/control/postinst $tmp/control/prerm $tmp/control/postrm"
check "postinst, prerm, postrm present" test -x "$tmp/control/postinst" -a \
	-x "$tmp/control/prerm" -a -x "$tmp/control/postrm"
check "no maintainer script starts the units" bash -c "! grep -hE \
	'deb-systemd-invoke +(start|restart)|systemctl +(start|restart|enable)' $scripts"
# debhelper's postinst re-enables the units only where the administrator
# had enabled them (was-enabled): every 'enable' sits in such a block
check "postinst enables only what was enabled" awk '
	/was-enabled/ { inside = 1 } /^[[:space:]]*fi$/ { inside = 0 }
	/deb-systemd-helper enable/ && !inside { bad = 1 } END { exit bad }' "$tmp/control/postinst"
check "upgrade: try-restart (only if running)" grep -q 'deb-systemd-invoke try-restart' "$tmp/control/postinst"
check "remove: stop" grep -q 'deb-systemd-invoke stop' "$tmp/control/prerm"

# run them for real on a DPKG_ROOT, with every systemd helper a stub that
# logs its arguments (and says "not enabled, not installed")
mkdir -p "$tmp/stubs"
for s in systemctl deb-systemd-helper deb-systemd-invoke; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\ncase "$*" in *was-enabled*|*debian-installed*|*is-enabled*) exit 1 ;; esac\nexit 0\n' \
		"$s" "$tmp/calls" >"$tmp/stubs/$s"
	chmod +x "$tmp/stubs/$s"
done
: >"$tmp/calls"
maint() { PATH="$tmp/stubs:$PATH" DPKG_ROOT="$root" sh "$tmp/control/$1" "${@:2}" >/dev/null 2>&1; }
cred=$root/etc/retentiond/sasl-password
check "postinst configure (install)" maint postinst configure
check "postinst made the credential, empty, mode 600" bash -c \
	"[ -f '$cred' ] && [ ! -s '$cred' ] && [ \$(stat -c %a '$cred') = 600 ]"
echo s3cret >"$cred"
check "postinst configure (upgrade)" maint postinst configure 0.0.1
check "postinst keeps an existing credential" grep -qx s3cret "$cred"
check "postrm purge" maint postrm purge
check "postrm purge removed the credential" test ! -e "$cred"
check "debhelper's snippets ran (helpers called)" grep -q 'deb-systemd-helper update-state' "$tmp/calls"
if grep -qE 'start|enable ' "$tmp/calls"; then
	echo "FAIL a maintainer script asked to start or enable:"; sed 's/^/    /' "$tmp/calls"; fail=1
fi
[ $fail -eq 0 ] && echo "package ok: $(basename "$deb"), $(dpkg-deb -c "$deb" | wc -l) entries"
exit $fail
