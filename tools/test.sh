#!/bin/sh
# The README's test command: installs missing Debian packages, builds, and
# runs the whole suite (`make test`). Extra arguments go to make, e.g.
# `tools/test.sh check` for the sanitizer run.
set -e
cd "$(dirname "$0")/.."
tools/dev/deps.sh
exec make -j2 "${@:-test}"
