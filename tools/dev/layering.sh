#!/bin/sh
# Includes point downwards (daemon -> pipeline -> state) and each third-party
# library stays in its own files. Prints the offending lines and fails.
cd "$(dirname "$0")/../.." || exit 1
bad=0
up() { grep -n "$1" $2 2>/dev/null && bad=1; }
up '#include *"\.\./\(pipeline\|daemon\)/' 'state/*.[ch]'
up '#include *"\.\./daemon/' 'pipeline/*.[ch]'
lib() {	# header pattern, allowed files (regex)
	for f in state/*.[ch] pipeline/*.[ch] daemon/*.[ch]; do
		echo "$f" | grep -Eq "$2" && continue
		grep -Hn "#include *<$1" "$f" && bad=1
	done
}
lib 'librdkafka/' '^daemon/(kafka\.h|embedded\.c)$'
# kafka.h brings librdkafka along: only the Kafka adapter's files use it.
for f in daemon/*.[ch]; do
	echo "$f" | grep -Eq '^daemon/(kafka|kafka_conf|kafka_durable|ckpt_topic|produce|loop|flow|lag|fetch|route|route_send|stats|stats_plans|topics)\.c$|^daemon/(route|ckpt_topic_int|stats_int)\.h$' && continue
	grep -Hn '#include *"kafka\.h"' "$f" && bad=1
done
lib 'jansson' '^pipeline/(decode|decode_data|encode|whatif)\.c$|^daemon/replay\.c$'
lib 'gsl/' '^state/(rls|hazard|model|quality)\.c$'
lib 'systemd/' '^daemon/(notify|journal)\.c$'
lib 'microhttpd' '^daemon/http\.c$'
lib 'ini\.h' '^daemon/config\.c$'
for f in state/*.c pipeline/*.c; do
	grep -Hn '\b\(printf\|fprintf\|exit\|abort\|syslog\|fopen\)\s*(' "$f" && bad=1
done
[ $bad -eq 0 ] && echo "layering: ok"
exit $bad
