#!/usr/bin/env bash
# Golden tests of `retentiond -t`: every tests/ops/config/NAME.conf with a
# NAME.err must be rejected with exit 6 and the first line of stderr equal
# to NAME.err ("file:line: reason"; a '*' in NAME.err matches anything, for
# messages worded by librdkafka); every ok_*.conf and the shipped example
# deploy/retentiond.conf must be accepted with exit 0. Also: a missing file,
# and @credential: resolved from $CREDENTIALS_DIRECTORY.
set -u
cd "$(dirname "$0")/../.."
bin=${RETENTIOND:-build/retentiond}
[ -x "$bin" ] || { echo "no $bin (run make first)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
unset CREDENTIALS_DIRECTORY

# git does not keep modes: set the ones these files are about (secrets)
chmod 0644 tests/ops/config/token.public tests/ops/config/client.key \
	tests/ops/config/secret_clear_public.conf tests/ops/config/secret_oauth_client.conf
chmod 0640 tests/ops/config/secret_clear_group.conf
# (sasl_plaintext_protocol.conf is about the protocol: its clear password
# must not be what refuses it)
chmod 0600 tests/ops/config/ok_secret_private.conf tests/ops/config/sasl_plaintext_protocol.conf

# glob-free match: '*' is the only special character
matches() {	# line pattern
	local s=$1 p=$2 part first=1
	[[ $p != *'*'* ]] && { [ "$s" = "$p" ]; return; }
	while [ -n "$p" ]; do
		part=${p%%\**}
		if [ "$part" = "$p" ]; then p=""; else p=${p#*\*}; fi
		[ -z "$part" ] && { first=0; continue; }
		if [ $first -eq 1 ]; then
			[ "${s:0:${#part}}" = "$part" ] || return 1
			s=${s:${#part}}
		else
			[[ $s == *"$part"* ]] || return 1
			s=${s#*"$part"}
		fi
		first=0
	done
	return 0
}

# retentiond -t must give exit status $1 for config $2
run_t() {
	local want=$1 conf=$2 rc
	"$bin" -t -c "$conf" >"$tmp/out" 2>"$tmp/err"; rc=$?
	n=$((n + 1))
	if [ $rc -ne "$want" ]; then
		echo "FAIL $conf: exit $rc, want $want"; sed 's/^/    /' "$tmp/err"; fail=1
		return 1
	fi
	return 0
}

for conf in tests/ops/config/*.conf; do
	name=${conf%.conf}
	if [ -f "$name.err" ]; then
		run_t 6 "$conf" || continue
		got=$(head -n 1 "$tmp/err" | sed -E 's/^<[0-9]>//; s/^retentiond: (error: )?//')
		want=$(head -n 1 "$name.err")
		if ! matches "$got" "$want"; then
			echo "FAIL $conf"; echo "    got:  $got"; echo "    want: $want"; fail=1
		fi
	elif [[ ${conf##*/} == ok_* ]]; then
		run_t 0 "$conf"
	else
		echo "FAIL $conf: neither ok_*.conf nor with a .err file"; fail=1
	fi
done

# the shipped example is valid as it is
run_t 0 deploy/retentiond.conf

# a file that does not exist
if run_t 6 "$tmp/absent.conf"; then
	grep -q "absent.conf: No such file or directory" "$tmp/err" ||
		{ echo "FAIL absent.conf: $(cat "$tmp/err")"; fail=1; }
fi

# @credential: comes from $CREDENTIALS_DIRECTORY; the secret is never printed
mkdir "$tmp/creds"
printf 'Sup3r;secret\n' >"$tmp/creds/sasl-password"
chmod 0600 "$tmp/creds/sasl-password"
cat >"$tmp/sasl.conf" <<CONF
[kafka]
bootstrap.servers = localhost:9092
security.protocol = SASL_PLAINTEXT
sasl.mechanisms = PLAIN
sasl.username = retentiond
sasl.password = @credential:sasl-password
CONF
CREDENTIALS_DIRECTORY=$tmp/creds run_t 0 "$tmp/sasl.conf"
rm "$tmp/creds/sasl-password"
if CREDENTIALS_DIRECTORY=$tmp/creds run_t 6 "$tmp/sasl.conf"; then
	grep -q "sasl.conf:6: .*sasl-password" "$tmp/err" ||
		{ echo "FAIL missing credential: $(cat "$tmp/err")"; fail=1; }
fi
printf 'Sup3r;secret\n' >"$tmp/creds/sasl-password"
# a credential others can read is refused like any secret file
chmod 0644 "$tmp/creds/sasl-password"
if CREDENTIALS_DIRECTORY=$tmp/creds run_t 6 "$tmp/sasl.conf"; then
	grep -q "sasl.conf:6: \[kafka\] sasl.password: .*sasl-password: mode 0644 lets group or others access it (chmod 600)" "$tmp/err" ||
		{ echo "FAIL public credential: $(cat "$tmp/err")"; fail=1; }
fi
chmod 0600 "$tmp/creds/sasl-password"
# @file: the same rule: 0640 refused, 0600 accepted; the secret never shown
printf 'Sup3r;secret\n' >"$tmp/pw"
chmod 0640 "$tmp/pw"
sed "s|@credential:sasl-password|@file:$tmp/pw|" "$tmp/sasl.conf" >"$tmp/file.conf"
if run_t 6 "$tmp/file.conf"; then
	grep -q "file.conf:6: \[kafka\] sasl.password: $tmp/pw: mode 0640 lets group or others access it (chmod 600)" "$tmp/err" ||
		{ echo "FAIL public @file: $(cat "$tmp/err")"; fail=1; }
	grep -q "Sup3r" "$tmp/err" && { echo "FAIL the secret appears in the output"; fail=1; }
fi
chmod 0600 "$tmp/pw"
run_t 0 "$tmp/file.conf"
sed -i 's/^sasl.mechanisms = PLAIN/sasl.mechanisms = NO-SUCH-MECHANISM/' "$tmp/sasl.conf"
CREDENTIALS_DIRECTORY=$tmp/creds "$bin" -t -c "$tmp/sasl.conf" >"$tmp/out" 2>&1
if grep -q "Sup3r" "$tmp/out"; then
	echo "FAIL the secret appears in the output"; fail=1
fi

# a state directory that others may write, or that is not the user's, is
# refused at start (exit 6) before anything is read or written in it
mkdir -m 0700 "$tmp/state" && chmod 0777 "$tmp/state"
printf '[kafka]\nbootstrap.servers = 127.0.0.1:1\n[state]\ndirectory = %s\n' \
	"$tmp/state" >"$tmp/state.conf"
timeout 30 "$bin" -c "$tmp/state.conf" >"$tmp/out" 2>"$tmp/err"; rc=$?
n=$((n + 1))
if [ $rc -ne 6 ] || ! grep -q "\[state\] directory $tmp/state: writable by group or others" "$tmp/err"; then
	echo "FAIL state directory 0777: exit $rc: $(cat "$tmp/err")"; fail=1
fi
[ -e "$tmp/state/erasure.key" ] && { echo "FAIL a key was written into the 0777 directory"; fail=1; }

# [alerts] min_exits, from before warm-up was by information, still starts
# the daemon, with a warning that names its line (config.c, legacy_warmup())
printf '[kafka]\nbootstrap.servers = localhost:9092\n[alerts]\nthreshold = 0.6\nmin_exits = 20\n' \
	>"$tmp/legacy.conf"
if run_t 0 "$tmp/legacy.conf"; then
	grep -q "legacy.conf:5: min_exits is deprecated and ignored" "$tmp/err" ||
		{ echo "FAIL legacy min_exits: $(cat "$tmp/err")"; fail=1; }
fi
sed -i 's/^min_exits = 20/min_exits = 0/' "$tmp/legacy.conf"
if run_t 0 "$tmp/legacy.conf"; then
	grep -q "legacy.conf:5: min_exits is deprecated: .* 0 is read as warmup_max_se = 0" "$tmp/err" ||
		{ echo "FAIL legacy min_exits = 0: $(cat "$tmp/err")"; fail=1; }
fi

echo "$n configurations checked"
exit $fail
