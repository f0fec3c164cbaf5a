#!/usr/bin/env bash
# The OpenAPI document, linted by a real OpenAPI linter: Redocly CLI
# (npm @redocly/cli, pinned in tests/node/package-lock.json, installed there
# by `npm ci` when missing) with its strict recommended rules, on
# docs/openapi.json and on the self-contained copy the build embeds and the
# daemon serves ($BUILD/gen/openapi.json). A copy of docs/openapi.json with a
# dangling reference must fail, so a linter that checks nothing cannot pass.
# Skips (77) only when npm is absent. That responses agree with the
# document is checked by the integration tests (openapi_check.py).
set -u
cd "$(dirname "$0")/../.."
root=$PWD
BUILD=${BUILD:-build}
command -v npm >/dev/null 2>&1 || { echo "npm not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
node=tests/node
# No update checks, no telemetry: the lint runs offline.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

# npm ci again when the lock file changed since the last install; flock
# because two builds' test runs may share the checkout.
if [ ! -x $node/node_modules/.bin/redocly ] ||
    [ $node/package-lock.json -nt $node/node_modules/.package-lock.json ]; then
	if ! flock $node npm ci --prefix $node --no-audit --no-fund >"$tmp/npm.log" 2>&1; then
		echo "FAIL npm ci in $node:"; tail -n 20 "$tmp/npm.log" | sed 's/^/    /'; exit 1
	fi
fi
redocly=$root/$node/node_modules/.bin/redocly
echo "redocly $("$redocly" --version 2>/dev/null | head -n 1)"

lint() {	# config, document
	(cd $node && "$redocly" lint --format=stylish --config "$1" "$2") >"$tmp/lint.log" 2>&1
}
for pair in "redocly.yaml $root/docs/openapi.json" \
    "redocly-served.yaml $BUILD/gen/openapi.json"; do
	set -- $pair
	case $2 in /*) doc=$2 ;; *) doc=$root/$2 ;; esac
	if [ ! -f "$doc" ]; then
		echo "FAIL $doc missing (make builds it)"; fail=1; continue
	fi
	if lint "$1" "$doc"; then
		echo "lint $doc: clean"
	else
		echo "FAIL redocly lint $doc:"; grep -v '[║╔╚]' "$tmp/lint.log" | sed 's/^/    /'; fail=1
	fi
done

# the linter must be able to fail: one reference that leads nowhere
mkdir -p "$tmp/docs"
cp -r docs/schemas "$tmp/docs/"
sed 's|schemas/estimates.json|schemas/no-such-file.json|' docs/openapi.json >"$tmp/docs/openapi.json"
if lint redocly.yaml "$tmp/docs/openapi.json"; then
	echo "FAIL a dangling reference passed the lint"; fail=1
elif grep -q no-unresolved-refs "$tmp/lint.log"; then
	echo "a dangling reference fails the lint (no-unresolved-refs)"
else
	echo "FAIL the broken copy failed for another reason:"; sed 's/^/    /' "$tmp/lint.log"; fail=1
fi
exit $fail
