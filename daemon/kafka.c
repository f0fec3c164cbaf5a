/*
 * kafka.c: the Kafka consumer and producer adapters and the work loop.
 *
 * One thread (the caller of kafka_run) polls the consumer, runs each
 * message through the pipeline under the daemon lock, produces what the
 * pipeline emits, serves the producer's delivery reports and stores input
 * offsets. Every librdkafka callback (rebalance, delivery, error, stats,
 * commit) is served from this thread's polls; only the log callback runs on
 * librdkafka's threads, and log_msg() is thread-safe.
 *
 * Design note: at least once, in order. Each input message gets a tracker
 * entry from a fixed pool; the entry counts the outputs it caused that
 * have no delivery report yet (`pending`), and every produced record
 * carries the entry as its opaque. Entries of one partition form a FIFO
 * in consumption order. An input offset is stored only when its entry and
 * every entry before it in the same partition are complete (no pending
 * outputs, none failed), so the committed offset never passes a message
 * whose outputs might be lost. A failed delivery (final: librdkafka has
 * already retried) blocks its partition for good: the loop logs, stops,
 * commits what is complete and returns -1, so that systemd restarts the
 * daemon and the events from the failed one on are read again.
 *
 * Commits: librdkafka's auto-commit (enable.auto.commit, every
 * auto.commit.interval.ms) writes the *stored* offsets, which suits this
 * scheme: storing is the decision, committing is mere transport, and one
 * commit request per second costs less than one per message. Synchronous
 * commits happen where it matters: before giving partitions up in a
 * rebalance and at shutdown. A configuration with enable.auto.commit=false
 * gets an explicit asynchronous commit every second instead.
 *
 * Memory is bounded: the pool caps in-flight input messages (the consumer
 * is paused above TRACK_PAUSE_AT and resumed below TRACK_RESUME_AT, and
 * never polled without a free entry), and a full producer queue is
 * answered by serving delivery reports and retrying the same record.
 *
 * Revoked partitions: the producer is flushed (bounded), complete offsets
 * are stored and committed synchronously, then the partitions are given
 * up. Entries still pending after the flush are orphaned (their
 * partition's generation moved on) and free themselves on delivery without
 * storing anything.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "daemon.h"

#define POLL_MS			100
#define TRACK_POOL		8192	/* in-flight input messages, at most */
#define TRACK_PAUSE_AT		4096	/* pause the consumer at this many */
#define TRACK_RESUME_AT		1024	/* and resume below this many */
#define HEADERS_MAX		64	/* input headers passed to the pipeline */
#define FLUSH_REVOKE_MS		10000
#define FLUSH_STOP_MS		10000
#define STATUS_INTERVAL_MS	5000
#define COMMIT_INTERVAL_MS	1000	/* only with enable.auto.commit=false */

struct track_part;

/* One input message whose outputs are not all acknowledged yet. */
struct track_entry {
	struct track_part	*part;
	struct track_entry	*next;		/* FIFO of the partition, or free list */
	int64_t			 offset;
	unsigned		 gen;		/* part->gen when consumed */
	int			 pending;	/* outputs without a delivery report */
	int			 open;		/* pipeline_run still emitting */
	int			 failed;	/* an output's delivery failed */
};

/* Per input partition, allocated once and kept (entries point at it). */
struct track_part {
	int32_t			 partition;
	struct track_entry	*head, *tail;
	unsigned		 gen;		/* bumped on revoke */
	int			 assigned;
};

struct kafka {
	rd_kafka_t		*consumer, *producer;
	rd_kafka_topic_t	*input;		/* for rd_kafka_offset_store() */
	char			 topic_input[256];
	char			 topics[OUT__COUNT][256];
	int			 estimates_interval_s;
	int			 auto_commit;	/* enable.auto.commit in force */

	struct track_entry	*pool;		/* TRACK_POOL entries */
	struct track_entry	*free_list;
	size_t			 inflight;	/* entries in use */
	struct track_part	**parts;	/* indexed by partition id */
	int32_t			 nparts;
	int			 paused;

	struct msg_header	 headers[HEADERS_MAX];
	const rd_kafka_message_t *current;	/* the input being processed */

	volatile int		*stop;
	int			 failed;	/* permanent error: exit non-zero */
	int			 aborted;	/* stop while the producer was full */
	uint64_t		 stored;	/* offsets stored, for the status line */
};

/* What emit_cb needs: the adapter and the entry of the input (NULL for
 * outputs not caused by a message, such as timed estimates). */
struct emit_ctx {
	struct kafka		*k;
	struct track_entry	*entry;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- configuration ---------------------------------------------------- */

/* Keys whose values may be secret: errors name the key, never the value. */
static int
secret_key(const char *key)
{
	return strstr(key, "password") != NULL || strstr(key, "secret") != NULL ||
	    strstr(key, ".pem") != NULL || strstr(key, "sasl.oauthbearer.config") != NULL;
}

/* "file:line: " or "file: " when the key came from code (line 0). */
static void
kv_error(char *errbuf, size_t errlen, const struct config *cfg, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
kv_error(char *errbuf, size_t errlen, const struct config *cfg, int line,
    const char *fmt, ...)
{
	const char	*file = cfg->path[0] != '\0' ? cfg->path : "config";
	va_list		 ap;
	int		 n;

	if (line > 0)
		n = snprintf(errbuf, errlen, "%s:%d: ", file, line);
	else
		n = snprintf(errbuf, errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* The line of a [kafka] key, 0 if unset or set in code. */
static int
kafka_key_line(const struct config *cfg, const char *key)
{
	int i;

	for (i = 0; i < cfg->nkafka; i++)
		if (strcmp(cfg->kafka[i].key, key) == 0)
			return cfg->kafka[i].line;
	return 0;
}

/* Sets a default of ours unless the file sets the key. -1 only on a bug. */
static int
set_default(const struct config *cfg, rd_kafka_conf_t *conf, const char *key,
    const char *value, char *errbuf, size_t errlen)
{
	char err[512];

	if (config_kafka_get(cfg, key) != NULL)
		return 0;
	if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errlen, "kafka default %s=%s: %s", key, value, err);
		return -1;
	}
	return 0;
}

/*
 * Builds the consumer and producer configurations from our defaults and
 * the [kafka] keys, without creating handles. A key goes to both; it is
 * an error only when neither accepts it, or when one finds its value
 * invalid. New confs in *cc and *pc, or -1 with "file:line: reason".
 */
static int
build_confs(const struct config *cfg, rd_kafka_conf_t **cc, rd_kafka_conf_t **pc,
    char *errbuf, size_t errlen)
{
	rd_kafka_conf_t		*c, *p;
	rd_kafka_conf_res_t	 rc, rp;
	char			 errc[512], errp[512];
	const struct config_kv	*kv;
	int			 i;

	c = rd_kafka_conf_new();
	p = rd_kafka_conf_new();
	/* Ours first, so that the file overrides them. */
	if (set_default(cfg, c, "group.id", "retentiond", errbuf, errlen) == -1 ||
	    set_default(cfg, c, "auto.offset.reset", "earliest", errbuf, errlen) == -1 ||
	    set_default(cfg, c, "enable.auto.commit", "true", errbuf, errlen) == -1 ||
	    set_default(cfg, c, "auto.commit.interval.ms", "1000", errbuf, errlen) == -1 ||
	    set_default(cfg, c, "statistics.interval.ms", "5000", errbuf, errlen) == -1 ||
	    set_default(cfg, p, "enable.idempotence", "true", errbuf, errlen) == -1 ||
	    set_default(cfg, p, "linger.ms", "5", errbuf, errlen) == -1)
		goto fail;

	for (i = 0; i < cfg->nkafka; i++) {
		kv = &cfg->kafka[i];
		if (strcmp(kv->key, "enable.auto.offset.store") == 0) {
			kv_error(errbuf, errlen, cfg, kv->line, "[kafka] %s is "
			    "managed by retentiond (offsets are stored after "
			    "delivery)", kv->key);
			goto fail;
		}
		errc[0] = errp[0] = '\0';
		rc = rd_kafka_conf_set(c, kv->key, kv->value, errc, sizeof(errc));
		rp = rd_kafka_conf_set(p, kv->key, kv->value, errp, sizeof(errp));
		if (rc == RD_KAFKA_CONF_OK && rp == RD_KAFKA_CONF_OK)
			continue;
		if (rc == RD_KAFKA_CONF_UNKNOWN && rp == RD_KAFKA_CONF_UNKNOWN) {
			kv_error(errbuf, errlen, cfg, kv->line,
			    "[kafka] %s: unknown librdkafka property", kv->key);
			goto fail;
		}
		if (rc == RD_KAFKA_CONF_INVALID || rp == RD_KAFKA_CONF_INVALID) {
			if (secret_key(kv->key))
				kv_error(errbuf, errlen, cfg, kv->line,
				    "[kafka] %s: invalid value", kv->key);
			else
				kv_error(errbuf, errlen, cfg, kv->line, "[kafka] %s",
				    rc == RD_KAFKA_CONF_INVALID ? errc : errp);
			goto fail;
		}
		/* One accepted it and the other does not know it: fine. */
	}
	/* Ours last: at-least-once depends on them. */
	if (rd_kafka_conf_set(c, "enable.auto.offset.store", "false", errc,
	    sizeof(errc)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(c, "enable.partition.eof", "false", errc,
	    sizeof(errc)) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errlen, "kafka: %s", errc);
		goto fail;
	}
	*cc = c;
	*pc = p;
	return 0;
fail:
	rd_kafka_conf_destroy(c);
	rd_kafka_conf_destroy(p);
	return -1;
}

/* A file a key names must exist and be readable; dir_ok for CA paths. */
static int
check_file(const struct config *cfg, const char *key, int dir_ok, char *errbuf,
    size_t errlen)
{
	const char	*path = config_kafka_get(cfg, key);
	struct stat	 st;
	int		 line = kafka_key_line(cfg, key);

	if (path == NULL || path[0] == '\0')
		return 0;
	if (dir_ok && strcmp(path, "probe") == 0)
		return 0;
	if (stat(path, &st) == -1) {
		kv_error(errbuf, errlen, cfg, line, "[kafka] %s: %s: %s", key, path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !(dir_ok && S_ISDIR(st.st_mode))) {
		kv_error(errbuf, errlen, cfg, line, "[kafka] %s: %s: not a %s", key,
		    path, dir_ok ? "file or directory" : "regular file");
		return -1;
	}
	if (access(path, R_OK) == -1) {
		kv_error(errbuf, errlen, cfg, line, "[kafka] %s: %s: %s", key, path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* security.protocol and sasl.* must make a usable whole. */
static int
check_sasl(const struct config *cfg, char *errbuf, size_t errlen)
{
	const char	*proto = config_kafka_get(cfg, "security.protocol");
	const char	*mech = config_kafka_get(cfg, "sasl.mechanisms");
	const char	*mkey = "sasl.mechanisms";
	const char	*method;
	int		 sasl, line;

	if (mech == NULL) {
		mech = config_kafka_get(cfg, "sasl.mechanism");
		mkey = "sasl.mechanism";
	}
	sasl = proto != NULL && strncasecmp(proto, "SASL_", 5) == 0;
	if (!sasl) {
		if (mech != NULL) {
			kv_error(errbuf, errlen, cfg, kafka_key_line(cfg, mkey),
			    "[kafka] %s is set but security.protocol is %s, so "
			    "SASL is not used (SASL_PLAINTEXT or SASL_SSL?)", mkey,
			    proto != NULL ? proto : "plaintext (default)");
			return -1;
		}
		return 0;
	}
	if (mech == NULL) {
		mech = "GSSAPI";	/* librdkafka's default: Kerberos */
		mkey = "security.protocol";
	}
	line = kafka_key_line(cfg, mkey);
	if (strcasecmp(mech, "PLAIN") == 0 || strncasecmp(mech, "SCRAM-", 6) == 0) {
		if (config_kafka_get(cfg, "sasl.username") == NULL ||
		    config_kafka_get(cfg, "sasl.password") == NULL) {
			kv_error(errbuf, errlen, cfg, line, "[kafka] SASL mechanism "
			    "%s needs sasl.username and sasl.password", mech);
			return -1;
		}
	} else if (strcasecmp(mech, "OAUTHBEARER") == 0) {
		method = config_kafka_get(cfg, "sasl.oauthbearer.method");
		if (method != NULL && strcasecmp(method, "oidc") == 0) {
			if (config_kafka_get(cfg, "sasl.oauthbearer.client.id") == NULL ||
			    config_kafka_get(cfg, "sasl.oauthbearer.token.endpoint.url") == NULL) {
				kv_error(errbuf, errlen, cfg, line, "[kafka] "
				    "OAUTHBEARER with method oidc needs "
				    "sasl.oauthbearer.client.id and "
				    "sasl.oauthbearer.token.endpoint.url");
				return -1;
			}
		} else if (config_kafka_get(cfg, "sasl.oauthbearer.config") == NULL) {
			kv_error(errbuf, errlen, cfg, line, "[kafka] OAUTHBEARER needs "
			    "sasl.oauthbearer.method=oidc (with client id and token "
			    "endpoint) or sasl.oauthbearer.config");
			return -1;
		}
	}
	return 0;
}

/* Checks the [kafka] keys with librdkafka's parser, the files they name and
 * the SASL settings, without creating handles (for -t and reload). 0, or
 * -1 with "file:line: reason". */
int
kafka_check_config(const struct config *cfg, char *errbuf, size_t errlen)
{
	static const char *const files[] = {
		"ssl.certificate.location", "ssl.key.location",
		"ssl.crl.location", "ssl.keystore.location",
		"sasl.kerberos.keytab",
	};
	rd_kafka_conf_t	*c, *p;
	const char	*bs;
	size_t		 i;

	if (build_confs(cfg, &c, &p, errbuf, errlen) == -1)
		return -1;
	rd_kafka_conf_destroy(c);
	rd_kafka_conf_destroy(p);
	bs = config_kafka_get(cfg, "bootstrap.servers");
	if (bs == NULL)
		bs = config_kafka_get(cfg, "metadata.broker.list");
	if (bs == NULL || bs[0] == '\0') {
		kv_error(errbuf, errlen, cfg, kafka_key_line(cfg, "bootstrap.servers"),
		    "[kafka] bootstrap.servers is not set (or run with "
		    "--embedded-broker)");
		return -1;
	}
	if (check_file(cfg, "ssl.ca.location", 1, errbuf, errlen) == -1)
		return -1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (check_file(cfg, files[i], 0, errbuf, errlen) == -1)
			return -1;
	return check_sasl(cfg, errbuf, errlen);
}

/* ---- callbacks ---------------------------------------------------------- */

/* librdkafka's threads: its lines at their own syslog level. The warning
 * that a property of the other client type is ignored is expected (keys go
 * to both handles) and demoted to debug. */
static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "will be ignored by this") != NULL)
		level = LOG_DEBUG;
	log_msg(level, "kafka %s: %s: %s", rd_kafka_name(rk), fac, buf);
}

static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka	*k = opaque;
	char		 fatal_reason[512];
	rd_kafka_resp_err_t ferr;

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		ferr = rd_kafka_fatal_error(rk, fatal_reason, sizeof(fatal_reason));
		log_msg(LOG_ERR, "kafka %s: fatal error: %s: %s", rd_kafka_name(rk),
		    rd_kafka_err2name(ferr), fatal_reason);
		k->failed = 1;
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		METRICS_SET(kafka_up, 0);
	log_warn_limited(rk == k->consumer ? "kafka-consumer-error" :
	    "kafka-producer-error", "kafka %s: %s: %s", rd_kafka_name(rk),
	    rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Statistics JSON every statistics.interval.ms: only the broker states are
 * read (a broker object carries "state":"UP"; other objects use other key
 * names or lower case), which needs no JSON parser here. */
static int
stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	METRICS_SET(kafka_up, strstr(json, "\"state\":\"UP\"") != NULL);
	return 0;
}

static void
commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		METRICS_ADD(commits, 1);
	else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		METRICS_ADD(commit_failed, 1);
		log_warn_limited("kafka-commit", "offset commit failed: %s",
		    rd_kafka_err2str(err));
	}
}

/* Delivery report: served by rd_kafka_poll(producer) on the work loop. */
static void
dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka		*k = opaque;
	struct track_entry	*e = m->_private;

	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		METRICS_ADD(delivery_failed, 1);
		log_msg(LOG_ERR, "delivery to %s [%" PRId32 "] failed: %s",
		    rd_kafka_topic_name(m->rkt), m->partition,
		    rd_kafka_err2str(m->err));
		k->failed = 1;
		if (e != NULL)
			e->failed = 1;
	} else {
		METRICS_ADD(produced, 1);
		METRICS_SET(kafka_up, 1);
	}
	if (e != NULL)
		e->pending--;
}

/* ---- tracking ---------------------------------------------------------- */

static struct track_part *
track_part(struct kafka *k, int32_t partition)
{
	int32_t n;

	if (partition < 0)
		return NULL;
	if (partition >= k->nparts) {
		n = partition + 1 > k->nparts * 2 ? partition + 1 : k->nparts * 2;
		k->parts = realloc(k->parts, (size_t)n * sizeof(*k->parts));
		if (k->parts == NULL)
			fatal("realloc");
		memset(k->parts + k->nparts, 0,
		    (size_t)(n - k->nparts) * sizeof(*k->parts));
		k->nparts = n;
	}
	if (k->parts[partition] == NULL) {
		k->parts[partition] = xcalloc(1, sizeof(struct track_part));
		k->parts[partition]->partition = partition;
	}
	return k->parts[partition];
}

/* Takes a free entry for a message just consumed; the caller made sure
 * one is free. */
static struct track_entry *
track_begin(struct kafka *k, struct track_part *tp, int64_t offset)
{
	struct track_entry *e = k->free_list;

	k->free_list = e->next;
	k->inflight++;
	e->part = tp;
	e->next = NULL;
	e->offset = offset;
	e->gen = tp->gen;
	e->pending = 0;
	e->open = 1;
	e->failed = 0;
	if (tp->tail != NULL)
		tp->tail->next = e;
	else
		tp->head = e;
	tp->tail = e;
	return e;
}

/* Pops the complete prefix of one partition's FIFO and stores the offset
 * after the last one, if the partition is still ours. */
static void
track_advance_part(struct kafka *k, struct track_part *tp)
{
	struct track_entry	*e;
	int64_t			 last = -1;
	rd_kafka_resp_err_t	 err;

	while ((e = tp->head) != NULL && !e->open && e->pending == 0 && !e->failed) {
		if (e->gen == tp->gen && tp->assigned)
			last = e->offset;
		tp->head = e->next;
		if (tp->head == NULL)
			tp->tail = NULL;
		e->next = k->free_list;
		e->part = NULL;
		k->free_list = e;
		k->inflight--;
	}
	if (last < 0)
		return;
	/* rd_kafka_offset_store() stores last + 1, the next one to read. */
	err = rd_kafka_offset_store(k->input, tp->partition, last);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn_limited("kafka-store", "storing offset of %s [%" PRId32
		    "] failed: %s", k->topic_input, tp->partition,
		    rd_kafka_err2str(err));
	else
		k->stored++;
}

static void
track_advance(struct kafka *k)
{
	int32_t i;

	for (i = 0; i < k->nparts; i++)
		if (k->parts[i] != NULL && k->parts[i]->head != NULL)
			track_advance_part(k, k->parts[i]);
}

/* ---- flow control --------------------------------------------------- */

static void
set_paused(struct kafka *k, int pause)
{
	rd_kafka_topic_partition_list_t	*parts = NULL;
	rd_kafka_resp_err_t		 err;

	if (rd_kafka_assignment(k->consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	err = pause ? rd_kafka_pause_partitions(k->consumer, parts) :
	    rd_kafka_resume_partitions(k->consumer, parts);
	rd_kafka_topic_partition_list_destroy(parts);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_warnx("%s consumer failed: %s", pause ? "pausing" : "resuming",
		    rd_kafka_err2str(err));
		return;
	}
	k->paused = pause;
	log_msg(LOG_NOTICE, "%s consumption: %zu input messages await delivery",
	    pause ? "pausing" : "resuming", k->inflight);
}

/* ---- rebalance ------------------------------------------------------ */

/* "0,1,5" from a partition list, truncated with "..." when long: the ids
 * make the operator's (and the tests') view of the assignment. */
static void
format_parts(const rd_kafka_topic_partition_list_t *parts, char *buf, size_t len)
{
	size_t	off = 0;
	int	i, n;

	buf[0] = '\0';
	for (i = 0; i < parts->cnt; i++) {
		n = snprintf(buf + off, len - off, "%s%" PRId32, i > 0 ? "," : "",
		    parts->elems[i].partition);
		if (n < 0 || (size_t)n >= len - off) {
			if (len > 4)
				snprintf(buf + (off < len - 4 ? off : len - 4),
				    len - (off < len - 4 ? off : len - 4), "...");
			return;
		}
		off += (size_t)n;
	}
}

/* Waits (bounded) for outstanding deliveries, stores complete offsets and
 * commits them synchronously. Skipped for a lost assignment, whose
 * partitions already belong to someone else. */
static void
commit_complete(struct kafka *k, int flush_ms)
{
	rd_kafka_resp_err_t err;

	if (rd_kafka_flush(k->producer, flush_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("producer flush: %d outputs still without a delivery "
		    "report after %d ms", rd_kafka_outq_len(k->producer), flush_ms);
	track_advance(k);
	err = rd_kafka_commit(k->consumer, NULL, 0);
	/* commit_cb counts it: librdkafka reports synchronous commits there
	 * too. */
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		log_warnx("offset commit failed: %s", rd_kafka_err2str(err));
}

static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kafka		*k = opaque;
	struct track_part	*tp;
	rd_kafka_error_t	*error = NULL;
	rd_kafka_resp_err_t	 aerr = RD_KAFKA_RESP_ERR_NO_ERROR;
	int			 coop, i, lost;
	char			 ids[256];

	coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		for (i = 0; i < parts->cnt; i++)
			if ((tp = track_part(k, parts->elems[i].partition)) != NULL)
				tp->assigned = 1;
		if (coop)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, parts);
		if (k->paused)
			rd_kafka_pause_partitions(rk, parts);
		METRICS_SET(kafka_up, 1);
		format_parts(parts, ids, sizeof(ids));
		log_info("assigned %d partition(s) of %s: [%s]", parts->cnt,
		    k->topic_input, ids);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		lost = rd_kafka_assignment_lost(rk);
		if (!lost)
			commit_complete(k, FLUSH_REVOKE_MS);
		for (i = 0; i < parts->cnt; i++) {
			if ((tp = track_part(k, parts->elems[i].partition)) == NULL)
				continue;
			tp->assigned = 0;
			tp->gen++;	/* orphans what is still in flight */
		}
		if (coop)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, NULL);
		format_parts(parts, ids, sizeof(ids));
		log_info("%s %d partition(s) of %s: [%s]", lost ? "lost" : "revoked",
		    parts->cnt, k->topic_input, ids);
		break;
	default:
		log_warnx("rebalance failed: %s", rd_kafka_err2str(err));
		for (i = 0; i < k->nparts; i++)
			if (k->parts[i] != NULL && k->parts[i]->assigned) {
				k->parts[i]->assigned = 0;
				k->parts[i]->gen++;
			}
		if (coop)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, NULL);
		break;
	}
	if (error != NULL) {
		log_warnx("rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (aerr != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("rebalance: %s", rd_kafka_err2str(aerr));
}

/* ---- handles -------------------------------------------------------- */

/* Creates the consumer and producer from cfg (topic names are copied;
 * a reload does not change them). New handle or NULL with errbuf. */
struct kafka *
kafka_new(const struct config *cfg, char *errbuf, size_t errlen)
{
	struct kafka	*k;
	rd_kafka_conf_t	*cc = NULL, *pc = NULL;
	char		 err[512], val[16];
	size_t		 vlen = sizeof(val);
	int		 i;

	k = xcalloc(1, sizeof(*k));
	k->pool = xcalloc(TRACK_POOL, sizeof(*k->pool));
	for (i = 0; i < TRACK_POOL; i++)
		k->pool[i].next = i + 1 < TRACK_POOL ? &k->pool[i + 1] : NULL;
	k->free_list = &k->pool[0];
	snprintf(k->topic_input, sizeof(k->topic_input), "%s", cfg->topic_input);
	snprintf(k->topics[OUT_ALERT], sizeof(k->topics[0]), "%s", cfg->topic_alerts);
	snprintf(k->topics[OUT_SUGGESTION], sizeof(k->topics[0]), "%s",
	    cfg->topic_suggestions);
	snprintf(k->topics[OUT_ESTIMATES], sizeof(k->topics[0]), "%s",
	    cfg->topic_estimates);
	snprintf(k->topics[OUT_DLQ], sizeof(k->topics[0]), "%s", cfg->topic_dlq);
	k->estimates_interval_s = cfg->estimates_interval_s;
	METRICS_SET(consumer_lag, -1);

	if (build_confs(cfg, &cc, &pc, errbuf, errlen) == -1)
		goto fail;
	if (rd_kafka_conf_get(cc, "enable.auto.commit", val, &vlen) == RD_KAFKA_CONF_OK)
		k->auto_commit = strcmp(val, "true") == 0;
	rd_kafka_conf_set_opaque(cc, k);
	rd_kafka_conf_set_log_cb(cc, log_cb);
	rd_kafka_conf_set_error_cb(cc, error_cb);
	rd_kafka_conf_set_stats_cb(cc, stats_cb);
	rd_kafka_conf_set_rebalance_cb(cc, rebalance_cb);
	rd_kafka_conf_set_offset_commit_cb(cc, commit_cb);
	rd_kafka_conf_set_opaque(pc, k);
	rd_kafka_conf_set_log_cb(pc, log_cb);
	rd_kafka_conf_set_error_cb(pc, error_cb);
	rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);

	/* rd_kafka_new() owns the conf on success only. */
	if ((k->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof(err))) == NULL) {
		snprintf(errbuf, errlen, "consumer: %s", err);
		goto fail;
	}
	cc = NULL;
	if ((k->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, err, sizeof(err))) == NULL) {
		snprintf(errbuf, errlen, "producer: %s", err);
		goto fail;
	}
	pc = NULL;
	/* Rebalances, errors and stats come through the consumer's queue. */
	rd_kafka_poll_set_consumer(k->consumer);
	if ((k->input = rd_kafka_topic_new(k->consumer, k->topic_input, NULL)) == NULL) {
		snprintf(errbuf, errlen, "topic %s: %s", k->topic_input,
		    rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	return k;
fail:
	if (cc != NULL)
		rd_kafka_conf_destroy(cc);
	if (pc != NULL)
		rd_kafka_conf_destroy(pc);
	kafka_free(k);
	return NULL;
}

/* Destroys both handles (the consumer is closed by kafka_run; closing an
 * unclosed one here is harmless) and frees k. NULL-safe. */
void
kafka_free(struct kafka *k)
{
	int32_t i;

	if (k == NULL)
		return;
	if (k->input != NULL)
		rd_kafka_topic_destroy(k->input);
	if (k->consumer != NULL) {
		if (!rd_kafka_consumer_closed(k->consumer))
			rd_kafka_consumer_close(k->consumer);
		rd_kafka_destroy(k->consumer);
	}
	if (k->producer != NULL) {
		rd_kafka_flush(k->producer, FLUSH_STOP_MS);
		rd_kafka_destroy(k->producer);
	}
	for (i = 0; i < k->nparts; i++)
		free(k->parts[i]);
	free(k->parts);
	free(k->pool);
	free(k);
}

/* ---- producing ------------------------------------------------------ */

/* The pipeline's emit callback: one record to the topic of its kind. On a
 * full queue, serves delivery reports and retries (backpressure). Returns
 * 0, or -1 (pipeline_run then returns PIPE_ERROR). */
static int
emit_cb(void *arg, const struct output *o)
{
	struct emit_ctx		*ctx = arg;
	struct kafka		*k = ctx->k;
	rd_kafka_headers_t	*hdrs = NULL, *orig;
	rd_kafka_resp_err_t	 err;
	char			 part[16], off[24];
	const char		*name;
	const void		*val;
	void			*key, *value;	/* librdkafka copies them */
	size_t			 vlen, i;

	if ((int)o->kind < 0 || (int)o->kind >= OUT__COUNT)
		return -1;
	/* The macros below do not parenthesise their arguments. */
	key = o->keylen > 0 ? (void *)(uintptr_t)o->key : NULL;
	value = o->len > 0 ? (void *)(uintptr_t)o->value : NULL;
	for (;;) {
		if (o->kind == OUT_DLQ) {
			hdrs = rd_kafka_headers_new(8);
			snprintf(part, sizeof(part), "%" PRId32, o->source_partition);
			snprintf(off, sizeof(off), "%" PRId64, o->source_offset);
			rd_kafka_header_add(hdrs, "error", -1,
			    o->error != NULL ? o->error : "rejected", -1);
			rd_kafka_header_add(hdrs, "source.topic", -1,
			    o->source_topic != NULL ? o->source_topic : "", -1);
			rd_kafka_header_add(hdrs, "source.partition", -1, part, -1);
			rd_kafka_header_add(hdrs, "source.offset", -1, off, -1);
			/* The input's own headers too (binary-mode ce_* make
			 * the record repairable), unless they clash. */
			if (k->current != NULL && k->current->offset == o->source_offset &&
			    k->current->partition == o->source_partition &&
			    rd_kafka_message_headers(k->current, &orig) ==
			    RD_KAFKA_RESP_ERR_NO_ERROR) {
				for (i = 0; rd_kafka_header_get_all(orig, i, &name,
				    &val, &vlen) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
					if (strcmp(name, "error") == 0 ||
					    strncmp(name, "source.", 7) == 0)
						continue;
					rd_kafka_header_add(hdrs, name, -1, val,
					    (ssize_t)vlen);
				}
			}
		}
		err = rd_kafka_producev(k->producer,
		    RD_KAFKA_V_TOPIC(k->topics[o->kind]),
		    RD_KAFKA_V_KEY(key, o->keylen),
		    RD_KAFKA_V_VALUE(value, o->len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_OPAQUE(ctx->entry),
		    RD_KAFKA_V_HEADERS(hdrs),
		    RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			break;		/* the headers belong to the message now */
		if (hdrs != NULL)
			rd_kafka_headers_destroy(hdrs);
		hdrs = NULL;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			log_msg(LOG_ERR, "producing to %s failed: %s",
			    k->topics[o->kind], rd_kafka_err2str(err));
			k->failed = 1;
			return -1;
		}
		/* Full: let deliveries drain the queue, then retry. */
		log_warn_limited("kafka-queue-full", "producer queue full, "
		    "waiting for deliveries");
		notify_watchdog();
		rd_kafka_poll(k->producer, POLL_MS);
		if (k->failed)
			return -1;
		if (*k->stop) {
			k->aborted = 1;
			return -1;
		}
	}
	if (ctx->entry != NULL)
		ctx->entry->pending++;
	if (o->kind == OUT_ALERT && o->event_time_ms > 0) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		metrics_observe_event_to_alert((double)now.tv_sec +
		    now.tv_nsec / 1e9 - (double)o->event_time_ms / 1000.0);
	}
	return 0;
}

/* ---- the work loop -------------------------------------------------- */

/* Consumer lag: high watermark minus position, summed over the assigned
 * partitions whose both ends are known (cached, no request). */
static void
update_lag(struct kafka *k)
{
	rd_kafka_topic_partition_list_t	*parts = NULL;
	int64_t				 lag = 0, lo, hi;
	int				 known = 0, i;

	if (rd_kafka_assignment(k->consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (parts->cnt > 0 && rd_kafka_position(k->consumer, parts) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		for (i = 0; i < parts->cnt; i++) {
			rd_kafka_topic_partition_t *p = &parts->elems[i];

			if (rd_kafka_get_watermark_offsets(k->consumer, p->topic,
			    p->partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
			    hi < 0)
				continue;
			/* Nothing consumed yet: from the low watermark
			 * (auto.offset.reset=earliest). */
			lag += hi - (p->offset >= 0 ? p->offset : (lo >= 0 ? lo : hi));
			known++;
		}
	}
	METRICS_SET(consumer_lag, known > 0 ? lag : -1);
	rd_kafka_topic_partition_list_destroy(parts);
}

/* Processes one consumed message; destroys it. */
static void
handle_message(struct kafka *k, struct pipeline *p, rd_kafka_message_t *rm)
{
	struct track_part	*tp;
	struct emit_ctx		 ctx;
	struct message		 m;
	rd_kafka_headers_t	*hdrs;
	enum pipeline_result	 r;
	const char		*name;
	const void		*val;
	size_t			 vlen, n = 0;
	double			 t0;

	if (rm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (rm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			log_warn_limited("kafka-consume", "consume: %s",
			    rd_kafka_message_errstr(rm));
		rd_kafka_message_destroy(rm);
		return;
	}
	if ((tp = track_part(k, rm->partition)) == NULL) {
		rd_kafka_message_destroy(rm);
		return;
	}
	METRICS_SET(kafka_up, 1);
	ctx.k = k;
	ctx.entry = track_begin(k, tp, rm->offset);

	memset(&m, 0, sizeof(m));
	m.key = rm->key;
	m.keylen = rm->key_len;
	m.value = rm->payload;
	m.len = rm->len;
	m.topic = rd_kafka_topic_name(rm->rkt);
	m.partition = rm->partition;
	m.offset = rm->offset;
	if (rd_kafka_message_headers(rm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		while (n < HEADERS_MAX && rd_kafka_header_get_all(hdrs, n, &name,
		    &val, &vlen) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			k->headers[n].name = name;
			k->headers[n].value = val;
			k->headers[n].len = vlen;
			n++;
		}
		if (n == HEADERS_MAX)
			log_warn_limited("kafka-headers", "message with more than "
			    "%d headers: the rest are ignored", HEADERS_MAX);
	}
	m.headers = n > 0 ? k->headers : NULL;
	m.nheaders = n;

	k->current = rm;
	t0 = now_s();
	daemon_lock();
	r = pipeline_run(p, &m, emit_cb, &ctx);
	daemon_unlock();
	metrics_observe_processing(now_s() - t0);
	k->current = NULL;
	METRICS_ADD(consumed, 1);
	ctx.entry->open = 0;
	if (r == PIPE_ERROR) {
		/* Outputs may be missing: the offset must never be stored. */
		ctx.entry->failed = 1;
		if (!k->aborted) {
			log_msg(LOG_ERR, "processing %s [%" PRId32 "] offset %" PRId64
			    " failed; stopping so that it is read again",
			    m.topic, m.partition, m.offset);
			k->failed = 1;
		}
	}
	rd_kafka_message_destroy(rm);
}

/* Publishes the model estimates (timer, shutdown) under the lock. */
static void
publish_estimates(struct kafka *k, struct pipeline *p)
{
	struct emit_ctx	ctx = { k, NULL };
	int		rc;

	daemon_lock();
	rc = pipeline_publish_estimates(p, emit_cb, &ctx);
	daemon_unlock();
	if (rc == -1 && !k->aborted)
		log_warnx("publishing model estimates failed");
}

/*
 * Subscribes to the input topic and runs until *stop (returns 0) or a
 * permanent error (a failed delivery, a fatal producer error, a failed
 * pipeline run: returns -1, offsets after the failure not committed).
 */
int
kafka_run(struct kafka *k, struct pipeline *p, volatile int *stop,
    volatile int *reload)
{
	rd_kafka_topic_partition_list_t	*sub;
	rd_kafka_resp_err_t		 err;
	rd_kafka_message_t		*rm;
	int64_t				 t, last_status, last_est, last_commit;
	uint64_t			 consumed_at_status = 0;
	double				 rate;

	k->stop = stop;
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, k->topic_input, RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(k->consumer, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_msg(LOG_ERR, "subscribing to %s: %s", k->topic_input,
		    rd_kafka_err2str(err));
		return -1;
	}
	METRICS_SET(ready, 1);
	notify_ready();
	log_info("consuming %s", k->topic_input);
	last_status = last_est = last_commit = now_ms();

	while (!*stop && !k->failed) {
		notify_watchdog();
		if (*reload) {
			*reload = 0;
			daemon_reload(p);
		}
		rd_kafka_poll(k->producer, 0);
		track_advance(k);
		if (!k->paused && k->inflight >= TRACK_PAUSE_AT)
			set_paused(k, 1);
		else if (k->paused && k->inflight < TRACK_RESUME_AT)
			set_paused(k, 0);

		if (k->free_list == NULL)	/* never poll without an entry */
			rd_kafka_poll(k->producer, POLL_MS);
		else if ((rm = rd_kafka_consumer_poll(k->consumer, POLL_MS)) != NULL)
			handle_message(k, p, rm);

		t = now_ms();
		if (k->estimates_interval_s > 0 &&
		    t - last_est >= (int64_t)k->estimates_interval_s * 1000) {
			last_est = t;
			publish_estimates(k, p);
		}
		if (!k->auto_commit && t - last_commit >= COMMIT_INTERVAL_MS) {
			last_commit = t;
			err = rd_kafka_commit(k->consumer, NULL, 1);
			if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
			    err != RD_KAFKA_RESP_ERR__NO_OFFSET)
				log_warn_limited("kafka-commit", "offset commit: %s",
				    rd_kafka_err2str(err));
		}
		if (t - last_status >= STATUS_INTERVAL_MS) {
			update_lag(k);
			rate = (double)(metrics.consumed - consumed_at_status) * 1000.0 /
			    (double)(t - last_status);
			consumed_at_status = metrics.consumed;
			last_status = t;
			notify_status("%s %s: %.1f msg/s, %" PRIu64 " consumed, %"
			    PRIu64 " produced, lag %" PRId64 "%s",
			    metrics.kafka_up ? "consuming" : "brokers unreachable,",
			    k->topic_input, rate, metrics.consumed, metrics.produced,
			    metrics.consumer_lag, k->paused ? ", paused" : "");
		}
	}

	METRICS_SET(ready, 0);
	if (!k->failed && !k->aborted)
		publish_estimates(k, p);
	log_info("stopping: delivering outputs and committing offsets");
	commit_complete(k, FLUSH_STOP_MS);
	/* Close leaves the group; its revoke commits what completed since. */
	err = rd_kafka_consumer_close(k->consumer);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("closing the consumer: %s", rd_kafka_err2str(err));
	if (k->failed) {
		log_msg(LOG_ERR, "stopped after a permanent error: %" PRIu64
		    " deliveries failed", metrics.delivery_failed);
		return -1;
	}
	return 0;
}
