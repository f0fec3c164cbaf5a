#!/bin/sh
# Installs the Debian packages retentiond needs to build, test and run its
# demo, when any is missing. Used by `make demo`, `make test` (via .ci/run)
# and the README's two commands.
set -e
PKGS="build-essential pkg-config librdkafka-dev libjansson-dev libgsl-dev
libsystemd-dev libinih-dev libmicrohttpd-dev kcat python3 python3-confluent-kafka
python3-jsonschema python3-prometheus-client clang libclang-rt-14-dev systemd
curl python3-numpy time make gcc chromium tidy"
# Tests drive the CloudEvents SDK and linters through node and npm; a machine
# whose node came from elsewhere (it bundles npm) keeps it.
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
