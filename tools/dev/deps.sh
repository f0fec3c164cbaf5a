#!/bin/sh
# Installs the Debian packages retentiond needs to build, test and run its
# demo, when any is missing. Used by `make demo`, `make test` (via .ci/run)
# and the README's two commands.
set -e
PKGS="build-essential pkg-config librdkafka-dev libjansson-dev libgsl-dev
libsystemd-dev libinih-dev libmicrohttpd-dev kcat python3 python3-confluent-kafka
python3-jsonschema python3-prometheus-client clang libclang-rt-14-dev systemd
curl python3-numpy time make gcc chromium tidy
debhelper dpkg-dev lintian prometheus"
# Commands that may come from another package than Debian's (nodesource's
# nodejs ships npm itself): the package is installed only when the command
# is missing. npm fetches the pinned npm tools of tests/node.
CMDS="node:nodejs npm:npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
for c in $CMDS; do
	command -v "${c%%:*}" >/dev/null 2>&1 || missing="$missing ${c#*:}"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
