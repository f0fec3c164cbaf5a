#!/bin/sh
# tools/dev/deb.sh OUTDIR (`make deb`): builds the Debian package from debian/
# with `dpkg-buildpackage -us -uc -b` and leaves the .deb, .changes and
# .buildinfo in OUTDIR, the build log in OUTDIR/build.log.
#
# dpkg-buildpackage builds in place and writes its results into the parent
# directory, so it runs on a copy of the tree under OUTDIR: the files git
# tracks or would track (build directories and node_modules stay out), or,
# outside a git checkout, the tree without those. debian/changelog and the
# Makefile's VERSION must agree. DEB_BUILD_OPTIONS defaults to parallel=2.
set -eu
cd "$(dirname "$0")/../.."
[ $# -eq 1 ] || { echo "usage: tools/dev/deb.sh OUTDIR" >&2; exit 2; }
for t in dpkg-buildpackage dpkg-parsechangelog dh; do
	command -v $t >/dev/null 2>&1 ||
		{ echo "deb: $t not found (tools/deps.sh installs debhelper, dpkg-dev)" >&2; exit 77; }
done
version=$(dpkg-parsechangelog -S Version)
make_version=$(sed -n 's/^VERSION *:= *//p' Makefile)
if [ "$version" != "$make_version" ]; then
	echo "deb: debian/changelog says $version, the Makefile $make_version" >&2
	exit 1
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
work=$out/src
src=$work/retentiond-$version
rm -rf "$work"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# --ignore-failed-read: a file deleted but not yet committed
	git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$src"
else
	tar --exclude='./build*' --exclude=./tests/node/node_modules --exclude=./.git \
		-cf - . | tar -xf - -C "$src"
fi
echo "deb: building retentiond $version in $src (log: $out/build.log)" >&2
# Run from `make test`, the environment carries the caller's BUILD (an
# absolute path into the checkout), MAKEFLAGS and the test runner's
# variables: none of them may reach the package build.
if ! (cd "$src" && env -u BUILD -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
    -u TESTS -u RETENTIOND -u PYTHON -u SAN \
    DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
    dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "deb: dpkg-buildpackage failed" >&2
	exit 1
fi
rm -f "$out"/retentiond*_"$version"_*.deb "$out"/retentiond_"$version"_*.changes \
	"$out"/retentiond_"$version"_*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
rm -rf "$work"
ls "$out"/*.deb
