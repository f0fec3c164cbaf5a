# Sourced by the ops tests that inspect an installed tree (test_install.sh,
# test_deb.sh). They set fail=0 first and exit $fail at the end.

check() {	# description, test...: a failed test prints FAIL and sets fail=1
	local what=$1; shift
	if "$@"; then :; else echo "FAIL $what"; fail=1; fi
}

# The files `make install` puts under share/retentiond, compared with their
# sources: the schemas, the OpenAPI document as served (the build's bundle),
# the dashboard, the alerting rules.
check_share() {	# installed share/retentiond directory
	local share=$1 f
	for f in docs/schemas/*.json; do
		check "share: schemas/${f##*/}" cmp -s "$f" "$share/schemas/${f##*/}"
	done
	check "share: openapi.json (the served bundle)" cmp -s "$BUILD/gen/openapi.json" "$share/openapi.json"
	check "share: grafana-dashboard.json" cmp -s deploy/grafana-dashboard.json "$share/grafana-dashboard.json"
	check "share: retentiond.rules.yml" cmp -s deploy/retentiond.rules.yml "$share/retentiond.rules.yml"
}
