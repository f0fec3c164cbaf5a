/*
 * kafka.c: the Kafka consumer and producer adapters: handles, callbacks,
 * rebalances, consuming one message and delivery reports; producing is
 * produce.c's.
 *
 * Every librdkafka callback (rebalance, delivery, error, stats, commit) is
 * served from the work loop's polls (loop.c), on its thread; only the log
 * callback runs on librdkafka's threads, and log_msg() is thread-safe.
 *
 * Each consumed message takes an offset tracker entry (track.c), every
 * record it causes carries that entry as its opaque, and the delivery
 * report settles it; kafka_store_complete() stores what the tracker finds
 * complete. A failed delivery (final: librdkafka has already retried) marks
 * the loop failed, so that it stops, commits what is complete and returns
 * -1: that is an outage, retried by a restart.
 *
 * No single input may stop the daemon (docs/DESIGN.md, "Delivery"): a
 * record the broker refuses at delivery for itself goes to the DLQ
 * (produce.c), and its input completes when that is delivered.
 *
 * Revoked partitions: the producer is flushed (bounded), the pipeline is
 * checkpointed, complete offsets are stored and committed synchronously,
 * then the partitions are given up (their shards stay: kafka_durable.c).
 * Entries still pending after the flush are orphaned by the tracker and
 * store nothing on delivery.
 *
 * Checkpoints (kafka_durable.c, durable.c): an assigned partition is read
 * from the offset its state reflects (an explicit offset in the
 * assignment), not from the group's committed offset, and the offsets
 * stored for commit never pass the latest durable checkpoint
 * (track_set_cap()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "kafka.h"

/* Monotonic ms, for the epoch gate's idle rule. */
static int64_t
mono_ms(void)
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

static void	drop_held(void *, void *);

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
	METRICS_ADD(kafka_errors, 1);
	/* The outage has a key of its own: other errors must not hide it. */
	log_warn_limited(err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ?
	    "kafka-all-brokers-down" : rk == k->consumer ? "kafka-consumer-error" :
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

/* Delivery report: served by rd_kafka_poll(producer) on the work loop. A
 * record the broker refused for itself goes to the DLQ (produce.c)
 * and its input completes once that is delivered; any other failure is an
 * outage and stops the loop. */
static void
dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka		*k = opaque;
	struct track_entry	*e = m->_private;

	kafka_observe_delivery(k, m);
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && kafka_refused_record(m->err) &&
	    !k->failed && kafka_redirect_refused(k, m, e) == 0) {
		if (e != NULL)
			track_delivered(e, 1);	/* the redirect is pending now */
		return;
	}
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		METRICS_ADD(delivery_failed, 1);
		log_partition(LOG_ERR, rd_kafka_topic_name(m->rkt), m->partition,
		    "delivery to %s [%" PRId32 "] failed: %s%s",
		    rd_kafka_topic_name(m->rkt), m->partition,
		    rd_kafka_err2str(m->err),
		    m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ?
		    " (the DLQ topic refuses even a 1 KiB record: check its "
		    "max.message.bytes)" : "");
		k->failed = 1;
	} else {
		METRICS_ADD(produced, 1);
		METRICS_SET(kafka_up, 1);
	}
	if (e != NULL)
		track_delivered(e, m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* ---- offsets -------------------------------------------------------- */

/* See kafka.h. */
void
kafka_store_offset(void *arg, int32_t partition, int64_t last)
{
	struct kafka		*k = arg;
	rd_kafka_resp_err_t	 err;

	if (partition >= ROUTE_VBASE) {		/* a repartition partition */
		route_store(k, partition, last);
		return;
	}
	/* rd_kafka_offset_store() stores last + 1, the next one to read. */
	err = rd_kafka_offset_store(k->input, partition, last);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn_limited("kafka-store", "storing offset of %s [%" PRId32
		    "] failed: %s", k->topic_input, partition,
		    rd_kafka_err2str(err));
	else
		k->stored++;
}

/* Stores, per partition, the offset of the last input whose outputs (and
 * every earlier input's) are all delivered. */
void
kafka_store_complete(struct kafka *k)
{
	track_advance(k->track, kafka_store_offset, k);
}

/* Waits (bounded) for outstanding deliveries, stores complete offsets and
 * commits them synchronously. Skipped for a lost assignment, whose
 * partitions already belong to someone else. */
void
kafka_commit_complete(struct kafka *k, int flush_ms)
{
	rd_kafka_resp_err_t err;

	if (rd_kafka_flush(k->producer, flush_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("producer flush: %d outputs still without a delivery "
		    "report after %d ms", rd_kafka_outq_len(k->producer), flush_ms);
	kafka_store_complete(k);
	route_commit(k, 0);
	err = rd_kafka_commit(k->consumer, NULL, 0);
	/* commit_cb counts it: librdkafka reports synchronous commits there
	 * too. */
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		log_warnx("offset commit failed: %s", rd_kafka_err2str(err));
}

/* ---- rebalance ------------------------------------------------------ */

/* Drops the cached committed offsets (kafka_update_lag fetches them). */
static void
forget_committed(struct kafka *k)
{
	if (k->committed != NULL)
		rd_kafka_topic_partition_list_destroy(k->committed);
	k->committed = NULL;
}

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

static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
    rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct kafka		*k = opaque;
	rd_kafka_error_t	*error = NULL;
	rd_kafka_resp_err_t	 aerr = RD_KAFKA_RESP_ERR_NO_ERROR;
	int			 coop, i, lost;
	char			 ids[256];

	coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	forget_committed(k);		/* the assignment changes */
	k->assign_gen++;
	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		kafka_durable_prefetch(k, parts);	/* images from Kafka */
		for (i = 0; i < parts->cnt; i++) {
			track_assign(k->track, parts->elems[i].partition);
			gate_assign(k->gate, parts->elems[i].partition, mono_ms());
			/* resume where the state is, not where the group is */
			kafka_durable_assign(k, parts->elems[i].partition,
			    &parts->elems[i].offset);
			/* where it stands until a message is read
			 * (input_position()) */
			if (parts->elems[i].partition < ROUTE_VBASE)
				k->assigned_at[parts->elems[i].partition] =
				    parts->elems[i].offset >= 0 ?
				    parts->elems[i].offset : ASSIGNED_COMMIT;
		}
		fetch_assign(k, parts);	/* before it fetches: fetch.c */
		if (coop)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, parts);
		if (k->paused)
			rd_kafka_pause_partitions(rk, parts);
		for (i = 0; i < parts->cnt; i++)	/* assigned now */
			kafka_durable_resumed(k, parts->elems[i].partition,
			    parts->elems[i].offset);
		route_assign(k, parts);
		METRICS_SET(kafka_up, 1);
		ready_group(1);
		format_parts(parts, ids, sizeof(ids));
		log_info("assigned %d partition(s) of %s: [%s]", parts->cnt,
		    k->topic_input, ids);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		lost = rd_kafka_assignment_lost(rk);
		if (!lost)
			(void)kafka_checkpoint(k, 1, FLUSH_REVOKE_MS);
		if (lost)
			ready_group(0);
		else
			kafka_commit_complete(k, FLUSH_REVOKE_MS);
		for (i = 0; i < parts->cnt; i++) {	/* orphans what is in flight */
			int orphan = 0;

			track_revoke(k->track, parts->elems[i].partition);
			gate_revoke(k->gate, parts->elems[i].partition, drop_held,
			    &orphan);
			kafka_durable_revoke(k, parts->elems[i].partition);
		}
		route_revoke(k, parts, drop_held, &(int){ 0 });
		if (coop)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, NULL);
		fetch_revoke(k, parts);
		format_parts(parts, ids, sizeof(ids));
		log_info("%s %d partition(s) of %s: [%s]", lost ? "lost" : "revoked",
		    parts->cnt, k->topic_input, ids);
		break;
	default:
		log_warnx("rebalance failed: %s", rd_kafka_err2str(err));
		ready_group(0);
		track_revoke_all(k->track);
		{
			int orphan = 0;

			gate_revoke_all(k->gate, drop_held, &orphan);
			route_revoke(k, NULL, drop_held, &orphan);
		}
		if (coop)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, NULL);
		fetch_revoke(k, NULL);
		break;
	}
	if (error != NULL) {
		log_warnx("rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	} else if (aerr != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("rebalance: %s", rd_kafka_err2str(aerr));
}

/* ---- handles -------------------------------------------------------- */

/* The producer's message.max.bytes: what one record may take, which the
 * DLQ must respect (dlq.c). */
static size_t
producer_max_bytes(rd_kafka_conf_t *pc)
{
	char	val[32];
	size_t	vlen = sizeof(val);
	long	n;

	if (rd_kafka_conf_get(pc, "message.max.bytes", val, &vlen) !=
	    RD_KAFKA_CONF_OK || (n = strtol(val, NULL, 10)) <= 0)
		return 1000000;		/* librdkafka's default */
	return (size_t)n;
}

/* Creates the consumer and producer from cfg (topic names are copied;
 * a reload does not change them). New handle or NULL with errbuf and
 * errno EINVAL when librdkafka refused the configuration. */
struct kafka *
kafka_new(const struct config *cfg, char *errbuf, size_t errlen)
{
	struct kafka	*k;
	rd_kafka_conf_t	*cc = NULL, *pc = NULL;
	char		 err[512], val[16];
	size_t		 vlen = sizeof(val);
	int		 saved;

	k = xcalloc(1, sizeof(*k));
	k->track = track_new(TRACK_POOL);
	k->gate = gate_new();
	k->durable = durable_new(cfg);
	snprintf(k->topic_input, sizeof(k->topic_input), "%s", cfg->topic_input);
	snprintf(k->topics[OUT_ALERT], sizeof(k->topics[0]), "%s", cfg->topic_alerts);
	snprintf(k->topics[OUT_SUGGESTION], sizeof(k->topics[0]), "%s",
	    cfg->topic_suggestions);
	snprintf(k->topics[OUT_ESTIMATES], sizeof(k->topics[0]), "%s",
	    cfg->topic_estimates);
	snprintf(k->topics[OUT_DLQ], sizeof(k->topics[0]), "%s", cfg->topic_dlq);
	k->idle_ms = (int64_t)cfg->idle_seconds * 1000;
	METRICS_SET(consumer_lag, -1);

	if (kafka_build_confs(cfg, &cc, &pc, errbuf, errlen) == -1)
		goto fail;
	rd_kafka_conf_set_opaque(cc, k);
	rd_kafka_conf_set_log_cb(cc, log_cb);
	rd_kafka_conf_set_error_cb(cc, error_cb);
	if (route_new(k, cfg, cc, errbuf, errlen) == -1 ||
	    stats_new(k, cfg, cc, errbuf, errlen) == -1 ||
	    ckpt_topic_new(k, cfg, cc, errbuf, errlen) == -1)
		goto fail;
	if (rd_kafka_conf_get(cc, "enable.auto.commit", val, &vlen) == RD_KAFKA_CONF_OK)
		k->auto_commit = strcmp(val, "true") == 0;
	k->max_msg_bytes = producer_max_bytes(pc);
	rd_kafka_conf_set_stats_cb(cc, stats_cb);
	rd_kafka_conf_set_rebalance_cb(cc, rebalance_cb);
	rd_kafka_conf_set_offset_commit_cb(cc, commit_cb);
	rd_kafka_conf_set_opaque(pc, k);
	rd_kafka_conf_set_log_cb(pc, log_cb);
	rd_kafka_conf_set_error_cb(pc, error_cb);
	rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);
	rd_kafka_conf_set_stats_cb(pc, kafka_producer_stats_cb);
	kafka_queue_bounds(k, pc);

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
	/* Rebalances, errors and stats come through the consumer's queue,
	 * messages through their partitions' (fetch.c). */
	rd_kafka_poll_set_consumer(k->consumer);
	if (fetch_new(k, errbuf, errlen) == -1)
		goto fail;
	if ((k->input = rd_kafka_topic_new(k->consumer, k->topic_input, NULL)) == NULL) {
		snprintf(errbuf, errlen, "topic %s: %s", k->topic_input,
		    rd_kafka_err2str(rd_kafka_last_error()));
		goto fail;
	}
	/* The producer learns where the outputs go now, not at the first
	 * output: a handle makes it ask for the topic's leaders, which took
	 * up to a second at the first alert or estimate (the deliveries the
	 * tracker waits for, so the first inputs waited with them). */
	for (int i = 0; i < OUT__COUNT; i++)
		if (k->topics[i][0] != '\0')
			k->out[i] = rd_kafka_topic_new(k->producer, k->topics[i], NULL);
	return k;
fail:
	saved = rd_kafka_last_error() == RD_KAFKA_RESP_ERR__INVALID_ARG ?
	    EINVAL : EIO;
	if (cc != NULL)
		rd_kafka_conf_destroy(cc);
	if (pc != NULL)
		rd_kafka_conf_destroy(pc);
	kafka_free(k);
	errno = saved;
	return NULL;
}

/* Destroys both handles (the consumer is closed by kafka_run; closing an
 * unclosed one here is harmless) and frees k. NULL-safe. */
void
kafka_free(struct kafka *k)
{
	if (k == NULL)
		return;
	forget_committed(k);
	route_free(k);
	stats_free(k);
	ckpt_topic_free(k);
	if (k->input != NULL)
		rd_kafka_topic_destroy(k->input);
	for (int i = 0; i < OUT__COUNT; i++)
		if (k->out[i] != NULL)
			rd_kafka_topic_destroy(k->out[i]);
	if (k->consumer != NULL) {
		k->closing = 1;
		if (!rd_kafka_consumer_closed(k->consumer))
			rd_kafka_consumer_close(k->consumer);
		fetch_free(k);	/* its queues go first */
		rd_kafka_destroy(k->consumer);
	}
	if (k->producer != NULL) {
		rd_kafka_flush(k->producer, FLUSH_STOP_MS);
		rd_kafka_destroy(k->producer);
	}
	kafka_drop_held(k);
	gate_free(k->gate);
	track_free(k->track);
	durable_free(k->durable);
	free(k);
}

/* ---- consuming ------------------------------------------------------ */

/* A message the gate holds, with its tracker entry (still open). */
struct held {
	rd_kafka_message_t	*rm;
	struct track_entry	*entry;
};

/* The shard of a source: its partition, or a repartition stream's. */
#define SOURCE_SHARD(src)	((src) >= ROUTE_VBASE ? (src) - ROUTE_VBASE : (src))

/* See kafka.h: a consumed message to the pipeline under the daemon lock.
 * On PIPE_BLOCKED the message stays (the caller holds it, entry open);
 * else its entry ends and it is destroyed. Returns the result. */
enum pipeline_result
kafka_offer(struct kafka *k, struct pipeline *p, rd_kafka_message_t *rm,
    struct track_entry *entry, int32_t src)
{
	struct emit_ctx		 ctx = { k, entry };
	struct message		 m;
	enum pipeline_result	 r;
	double			 t0;

	kafka_to_message(k, rm, &m);
	m.partition = SOURCE_SHARD(src);
	m.rerouted = src >= ROUTE_VBASE;
	k->current = rm;
	t0 = now_s();
	daemon_lock();
	r = pipeline_run(p, &m, kafka_emit, &ctx);
	daemon_unlock();
	k->current = NULL;
	if (r == PIPE_BLOCKED)
		return r;
	metrics_observe_processing(now_s() - t0);
	METRICS_ADD(consumed, 1);
	/* On an error outputs may be missing: the offset must never be
	 * stored. */
	track_end(entry, r == PIPE_ERROR);
	if (r == PIPE_ERROR) {
		if (!k->aborted) {
			log_partition(LOG_ERR, m.topic, m.partition, "processing %s "
			    "[%" PRId32 "] offset %" PRId64 " failed; stopping so "
			    "that it is read again", m.topic, m.partition, m.offset);
			k->failed = 1;
		}
	}
	rd_kafka_message_destroy(rm);
	return r;
}

/* Holds a message the pipeline refused as too early (front) or one behind
 * it. A repartition stream is paused when its queue is long (gate.c); an
 * input partition is not: fetch.c stops reading it while it holds, and
 * what was fetched of it waits in its queue. */
static void
hold(struct kafka *k, struct pipeline *p, rd_kafka_message_t *rm,
    struct track_entry *entry, int front, int32_t part)
{
	struct held *h = xcalloc(1, sizeof(*h));

	h->rm = rm;
	h->entry = entry;
	gate_hold(k->gate, part, h, front ? pipeline_blocked_epoch(p) : 0, front);
	if (part >= ROUTE_VBASE && !gate_paused(k->gate, part) &&
	    (gate_queued(k->gate, part) >= GATE_QUEUE_MAX ||
	    gate_held(k->gate) >= GATE_HELD_MAX)) {
		route_pause(k, part, 1);
		gate_set_paused(k->gate, part, 1);
	}
	METRICS_SET(held_messages, (int64_t)gate_held(k->gate));
}

/* Processes one consumed message; destroys it, or holds it (epoch gate),
 * or sends it to its employee's partition (route.c). */
void
kafka_consume(struct kafka *k, struct pipeline *p, rd_kafka_message_t *rm)
{
	if (rm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (rm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			gate_seen(k->gate, rm->partition, mono_ms(), 1);
		else {
			METRICS_ADD(kafka_errors, 1);
			log_warn_limited("kafka-consume", "consume: %s",
			    rd_kafka_message_errstr(rm));
		}
		rd_kafka_message_destroy(rm);
		return;
	}
	if (!route_divert(k, rm))
		kafka_consume_from(k, p, rm, rm->partition, rm->partition);
}

/* See kafka.h. */
void
kafka_consume_from(struct kafka *k, struct pipeline *p, rd_kafka_message_t *rm,
    int32_t src, int32_t tid)
{
	struct track_entry	*entry;

	if ((entry = track_begin(k->track, tid, rm->offset)) == NULL) {
		rd_kafka_message_destroy(rm);
		return;
	}
	METRICS_SET(kafka_up, 1);
	gate_seen(k->gate, src, kafka_written_ms(rm), 0);
	if (gate_holding(k->gate, src))
		hold(k, p, rm, entry, 0, src);	/* in order, behind the held one */
	else if (kafka_offer(k, p, rm, entry, src) == PIPE_BLOCKED)
		hold(k, p, rm, entry, 1, src);
}

/* Offers a partition's held messages again, in order, until one is still
 * too early; resumes the partition when none is left. */
static void
release(struct kafka *k, struct pipeline *p, int32_t part)
{
	struct held *h;

	while (!k->failed && (h = gate_pop(k->gate, part)) != NULL) {
		if (part < ROUTE_VBASE && route_send_held(k, h->rm, h->entry)) {
			free(h);	/* queued behind a held one, now sent on */
			continue;
		}
		if (kafka_offer(k, p, h->rm, h->entry, part) == PIPE_BLOCKED) {
			gate_hold(k->gate, part, h, pipeline_blocked_epoch(p), 1);
			break;
		}
		free(h);
	}
	if (!gate_holding(k->gate, part) && gate_paused(k->gate, part)) {
		gate_set_paused(k->gate, part, 0);
		if (!k->paused)
			route_pause(k, part, 0);
	}
}

/*
 * Input partition part's position: after the last message read from it,
 * else the offset it was assigned at. librdkafka reports no position
 * after an assignment until a message of the partition is consumed, and
 * a partition assigned at its end (a restart after everything was read)
 * consumes none until a record arrives: its position is then the state's
 * offset it was assigned at, or the group's committed offset (asked once;
 * none: lo, auto.offset.reset=earliest). -1 while the coordinator has not
 * answered (asked again).
 */
static int64_t
input_position(struct kafka *k, int32_t part, int64_t lo)
{
	rd_kafka_topic_partition_list_t	*l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_t	*e;
	int64_t				 pos, *at = &k->assigned_at[part];

	e = rd_kafka_topic_partition_list_add(l, k->topic_input, part);
	pos = rd_kafka_position(k->consumer, l) == RD_KAFKA_RESP_ERR_NO_ERROR ?
	    e->offset : RD_KAFKA_OFFSET_INVALID;
	if (pos < 0 && *at == ASSIGNED_COMMIT && rd_kafka_committed(k->consumer,
	    l, WATERMARK_MS) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    e->err == RD_KAFKA_RESP_ERR_NO_ERROR)
		*at = e->offset >= 0 ? e->offset : ASSIGNED_NONE;
	rd_kafka_topic_partition_list_destroy(l);
	if (pos >= 0 || *at >= 0)
		return pos >= 0 ? pos : *at;
	return *at == ASSIGNED_NONE ? lo : -1;
}

/* See kafka.h. */
int
kafka_caught_up(struct kafka *k, int32_t part)
{
	int64_t lo, hi, pos;

	if (part >= ROUTE_VBASE)
		return route_caught_up(k, part);
	if (rd_kafka_query_watermark_offsets(k->consumer, k->topic_input, part, &lo,
	    &hi, WATERMARK_MS) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    (pos = input_position(k, part, lo)) < 0)
		return 0;	/* asked again at the next step */
	if (pos >= hi)
		return 1;
	gate_more(k->gate, part);	/* a burst is on its way */
	return 0;
}

/* See kafka.h. */
int
kafka_gate_step(struct kafka *k, struct pipeline *p)
{
	struct emit_ctx	ctx = { k, NULL };
	struct held	*h;
	long		epoch;
	int		rc, shared;
	int32_t		part;
	uint64_t	idle = 0;
	int64_t		now = mono_ms();

	/* several instances: the shared statistics decide (stats.c) */
	if ((shared = stats_due(k, p, now, &epoch)) == 0 ||
	    (shared < 0 && !gate_due(k->gate, now, k->idle_ms, &epoch)))
		return 0;
	for (part = shared < 0 ? gate_next_idle(k->gate, -1, now, k->idle_ms) : -1;
	    part >= 0; part = gate_next_idle(k->gate, part, now, k->idle_ms)) {
		if (!kafka_caught_up(k, part))
			return 0;
		idle += part < ROUTE_VBASE;	/* input partitions: the counter
						 * shows where wall time entered */
	}
	/* the records read back in the closing epoch, in their fixed order,
	 * after the shards' own events of it (route_order.c) */
	if (route_order_flush(k, p) == -1)
		return 0;
	/* The boundary's outputs belong to a held message that crossed it
	 * (its entry is open until it is offered again): its partition's
	 * offset is not committed before they are delivered. */
	if ((part = gate_next_holding(k->gate, -1)) >= 0 &&
	    (h = gate_head(k->gate, part)) != NULL)
		ctx.entry = h->entry;
	daemon_lock();
	rc = pipeline_advance(p, epoch, kafka_emit, &ctx);
	daemon_unlock();
	if (rc == -1) {
		if (!k->aborted)
			log_msg(LOG_ERR, "entering epoch %ld failed; stopping", epoch);
		k->failed = 1;
		return 0;
	}
	METRICS_ADD(idle_crossings, idle);	/* the rule let these cross */
	/* with several instances, what a sealed shard refused above
	 * (route_order.c; a no-op for one instance, which held none) */
	(void)route_order_flush(k, p);
	for (part = gate_next_holding(k->gate, -1); part >= 0 && !k->failed;
	    part = gate_next_holding(k->gate, part))
		release(k, p, part);
	METRICS_SET(held_messages, (int64_t)gate_held(k->gate));
	return 1;
}

/* gate_revoke()'s drop: the message is not processed; an orphaned entry
 * (after track_revoke()) leaves the tracker without storing, and at
 * shutdown (failed) it keeps its offset from being stored. */
static void
drop_held(void *arg, void *item)
{
	struct held *h = item;
	int *failed = arg;

	track_end(h->entry, *failed);
	rd_kafka_message_destroy(h->rm);
	free(h);
}

/* See kafka.h. */
void
kafka_drop_held(struct kafka *k)
{
	int failed = 1;

	gate_revoke_all(k->gate, drop_held, &failed);
	k->assign_gen++;	/* nothing is assigned any more */
	METRICS_SET(held_messages, 0);
}
