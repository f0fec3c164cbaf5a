/*
 * kafka.c: the Kafka consumer and producer adapters: handles, callbacks,
 * rebalances, consuming one message, producing and delivery reports.
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
 * -1.
 *
 * Flow control (kafka_flow_control(), every turn of the loop) pauses the
 * whole assignment for either of two reasons, each set and cleared on its
 * own with hysteresis: too many inputs await delivery (PAUSE_INFLIGHT, the
 * tracker's pool), or the producer's queue is half full or was found full
 * (PAUSE_QUEUE). It resumes only when no reason is left, and only the
 * partitions no other part of the daemon holds paused for its own reason.
 * Pausing early matters: a record that still meets a full queue is retried
 * inside emit_cb while serving delivery reports, under the daemon lock,
 * which the HTTP side then waits for; pausing at half the queue keeps that
 * rare, and memory bounded either way.
 *
 * Revoked partitions: the producer is flushed (bounded), complete offsets
 * are stored and committed synchronously, then the partitions are given
 * up. Entries still pending after the flush are orphaned by the tracker
 * and store nothing on delivery.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "kafka.h"

/* What emit_cb needs: the adapter and the entry of the input (NULL for
 * outputs not caused by a message, such as timed estimates). */
struct emit_ctx {
	struct kafka		*k;
	struct track_entry	*entry;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

/* The producer's statistics: the highest average round-trip time among
 * its brokers that had requests in the interval; kept as it was through
 * an idle one. Each broker object has "rtt": { "min":.., "max":..,
 * "avg":.., "sum":.., "cnt":.. } (other window objects have other names),
 * which needs no JSON parser here. */
static int
producer_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	const char	*p = json, *avg, *cnt, *end;
	long long	 v, high = -1;

	while ((p = strstr(p, "\"rtt\":")) != NULL) {
		p += 6;
		end = strchr(p, '}');
		avg = strstr(p, "\"avg\":");
		cnt = strstr(p, "\"cnt\":");
		if (end == NULL || avg == NULL || avg > end || cnt == NULL ||
		    cnt > end || strtoll(cnt + 6, NULL, 10) <= 0)
			continue;
		v = strtoll(avg + 6, NULL, 10);
		if (v > high)
			high = v;
	}
	if (high >= 0)
		METRICS_SET(kafka_rtt_us, (int64_t)high);
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
	int64_t			 us = rd_kafka_message_latency(m);

	if (us >= 0) {
		metrics_observe_delivery((double)us / 1e6);
		if (us > (int64_t)DELIVERY_SLOW_MS * 1000) {
			METRICS_ADD(deliveries_slow, 1);	/* kafka_warn_slow() */
			if (us > k->slow_max_us)
				k->slow_max_us = us;
		}
	}
	if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		METRICS_ADD(delivery_failed, 1);
		log_msg(LOG_ERR, "delivery to %s [%" PRId32 "] failed: %s",
		    rd_kafka_topic_name(m->rkt), m->partition,
		    rd_kafka_err2str(m->err));
		k->failed = 1;
	} else {
		METRICS_ADD(produced, 1);
		METRICS_SET(kafka_up, 1);
	}
	if (e != NULL)
		track_delivered(e, m->err == RD_KAFKA_RESP_ERR_NO_ERROR);
}

/* ---- offsets -------------------------------------------------------- */

/* The tracker's store callback: last is the partition's last complete
 * input; what gets committed is the next one to read. */
static void
store_offset(void *arg, int32_t partition, int64_t last)
{
	struct kafka		*k = arg;
	rd_kafka_resp_err_t	 err;

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
	track_advance(k->track, store_offset, k);
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
	err = rd_kafka_commit(k->consumer, NULL, 0);
	/* commit_cb counts it: librdkafka reports synchronous commits there
	 * too. */
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		log_warnx("offset commit failed: %s", rd_kafka_err2str(err));
}

/* ---- flow control --------------------------------------------------- */

/* Pauses or resumes the whole assignment; k->paused follows on success. */
void
kafka_set_paused(struct kafka *k, int pause)
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
	METRICS_SET(consumer_paused, pause);
	if (pause)
		log_warn_limited("kafka-pause", "pausing consumption: %zu inputs "
		    "and %d outputs await delivery", track_inflight(k->track),
		    rd_kafka_outq_len(k->producer));
	else
		log_msg(LOG_NOTICE, "resuming consumption: %zu inputs and %d "
		    "outputs await delivery", track_inflight(k->track),
		    rd_kafka_outq_len(k->producer));
}

/* Sets reason in *reasons when on holds, clears it when off does (between
 * the two it stays as it was); counts a pause of it in *pauses. */
static void
pause_reason(unsigned *reasons, unsigned reason, int on, int off,
    uint64_t *pauses)
{
	if (on && !(*reasons & reason)) {
		*reasons |= reason;
		__atomic_fetch_add(pauses, 1, __ATOMIC_RELAXED);
	} else if (off)
		*reasons &= ~reason;
}

/*
 * Flow control, once a turn of the work loop: PAUSE_INFLIGHT from the
 * tracker (TRACK_PAUSE_AT / TRACK_RESUME_AT), PAUSE_QUEUE from the
 * producer's queue (half of queue.buffering.max.messages / a quarter, or a
 * full queue met by emit_cb, which the kbytes limit can cause at any
 * count: then it resumes at half of what was queued). The assignment is
 * paused while any reason holds; a failed pause or resume is tried again
 * next turn.
 */
void
kafka_flow_control(struct kafka *k)
{
	size_t	inflight = track_inflight(k->track);
	int	queued = rd_kafka_outq_len(k->producer);
	int	resume_at = k->queue_resume_at;

	METRICS_SET(producer_queue, (int64_t)queued);
	if (k->queue_full && queued / 2 < resume_at)
		resume_at = queued / 2;
	pause_reason(&k->pause_reasons, PAUSE_INFLIGHT, inflight >= TRACK_PAUSE_AT,
	    inflight < TRACK_RESUME_AT, &metrics.pauses_inflight);
	pause_reason(&k->pause_reasons, PAUSE_QUEUE, k->queue_full ||
	    queued >= k->queue_pause_at, queued <= resume_at, &metrics.pauses_queue);
	if (!(k->pause_reasons & PAUSE_QUEUE))
		k->queue_full = 0;
	if ((k->pause_reasons != 0) != (k->paused != 0))
		kafka_set_paused(k, k->pause_reasons != 0);
}

/* Says, in one warning, how many deliveries were slow (DELIVERY_SLOW_MS)
 * since the last call and the slowest; nothing when none was. Called on
 * the status timer, so that a slow cluster makes one line per interval. */
void
kafka_warn_slow(struct kafka *k)
{
	uint64_t slow = metrics.deliveries_slow;	/* this thread writes it */

	if (slow == k->slow_reported)
		return;
	log_warnx("deliveries slow: %" PRIu64 " output(s) acknowledged more than "
	    "%d ms after they were produced, the slowest after %.1f s (brokers "
	    "slow, failing or unreachable)", slow - k->slow_reported,
	    DELIVERY_SLOW_MS, (double)k->slow_max_us / 1e6);
	k->slow_reported = slow;
	k->slow_max_us = 0;
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
	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		for (i = 0; i < parts->cnt; i++)
			track_assign(k->track, parts->elems[i].partition);
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
			kafka_commit_complete(k, FLUSH_REVOKE_MS);
		for (i = 0; i < parts->cnt; i++)	/* orphans what is in flight */
			track_revoke(k->track, parts->elems[i].partition);
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
		track_revoke_all(k->track);
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

/* Flow control's producer queue bounds from queue.buffering.max.messages. */
static void
queue_bounds(struct kafka *k, const rd_kafka_conf_t *pc)
{
	char	val[32];
	size_t	len = sizeof(val);
	long	max = 100000;	/* librdkafka's default */

	if (rd_kafka_conf_get(pc, "queue.buffering.max.messages", val, &len) ==
	    RD_KAFKA_CONF_OK)
		max = strtol(val, NULL, 10);
	k->queue_pause_at = max >= 2 ? (int)(max / 2) : 1;
	k->queue_resume_at = (int)(max / 4);
}

/* Creates the consumer and producer from cfg (topic names are copied;
 * a reload does not change them). New handle or NULL with errbuf. */
struct kafka *
kafka_new(const struct config *cfg, char *errbuf, size_t errlen)
{
	struct kafka	*k;
	rd_kafka_conf_t	*cc = NULL, *pc = NULL;
	char		 err[512], val[16];
	size_t		 vlen = sizeof(val);

	k = xcalloc(1, sizeof(*k));
	k->track = track_new(TRACK_POOL);
	snprintf(k->topic_input, sizeof(k->topic_input), "%s", cfg->topic_input);
	snprintf(k->topics[OUT_ALERT], sizeof(k->topics[0]), "%s", cfg->topic_alerts);
	snprintf(k->topics[OUT_SUGGESTION], sizeof(k->topics[0]), "%s",
	    cfg->topic_suggestions);
	snprintf(k->topics[OUT_ESTIMATES], sizeof(k->topics[0]), "%s",
	    cfg->topic_estimates);
	snprintf(k->topics[OUT_DLQ], sizeof(k->topics[0]), "%s", cfg->topic_dlq);
	k->estimates_interval_s = cfg->estimates_interval_s;
	METRICS_SET(consumer_lag, -1);

	if (kafka_build_confs(cfg, &cc, &pc, errbuf, errlen) == -1)
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
	rd_kafka_conf_set_stats_cb(pc, producer_stats_cb);
	queue_bounds(k, pc);

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
	track_free(k->track);
	free(k);
}

/* ---- producing ------------------------------------------------------ */

/* The headers of a DLQ record: why and where from, then the input's own
 * (binary-mode ce_* make the record repairable) unless they clash. New
 * list: rd_kafka_producev() steals it on success. */
static rd_kafka_headers_t *
dlq_headers(const struct kafka *k, const struct output *o)
{
	rd_kafka_headers_t	*hdrs, *orig;
	char			 part[16], off[24];
	const char		*name;
	const void		*val;
	size_t			 vlen, i;

	hdrs = rd_kafka_headers_new(8);
	snprintf(part, sizeof(part), "%" PRId32, o->source_partition);
	snprintf(off, sizeof(off), "%" PRId64, o->source_offset);
	rd_kafka_header_add(hdrs, "error", -1,
	    o->error != NULL ? o->error : "rejected", -1);
	rd_kafka_header_add(hdrs, "source.topic", -1,
	    o->source_topic != NULL ? o->source_topic : "", -1);
	rd_kafka_header_add(hdrs, "source.partition", -1, part, -1);
	rd_kafka_header_add(hdrs, "source.offset", -1, off, -1);
	if (k->current == NULL || k->current->offset != o->source_offset ||
	    k->current->partition != o->source_partition ||
	    rd_kafka_message_headers(k->current, &orig) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return hdrs;
	for (i = 0; rd_kafka_header_get_all(orig, i, &name, &val, &vlen) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
		if (strcmp(name, "error") == 0 || strncmp(name, "source.", 7) == 0)
			continue;
		rd_kafka_header_add(hdrs, name, -1, val, (ssize_t)vlen);
	}
	return hdrs;
}

/* The headers of any record: the DLQ's, or the value's content-type (plain
 * JSON or a structured-mode CloudEvent, as the pipeline framed it). New
 * list or NULL; rd_kafka_producev() steals it on success. */
static rd_kafka_headers_t *
output_headers(const struct kafka *k, const struct output *o)
{
	rd_kafka_headers_t *hdrs;

	if (o->kind == OUT_DLQ)
		return dlq_headers(k, o);
	if (o->content_type == NULL)
		return NULL;
	hdrs = rd_kafka_headers_new(1);
	rd_kafka_header_add(hdrs, "content-type", -1, o->content_type, -1);
	return hdrs;
}

/* The event-to-alert histogram, from the alert's event time to now. */
static void
observe_alert(const struct output *o)
{
	struct timespec now;

	if (o->kind != OUT_ALERT || o->event_time_ms <= 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	metrics_observe_event_to_alert((double)now.tv_sec +
	    now.tv_nsec / 1e9 - (double)o->event_time_ms / 1000.0);
}

/* The pipeline's emit callback: one record to the topic of its kind. On a
 * full queue, serves delivery reports and retries (backpressure). Returns
 * 0, or -1 (pipeline_run then returns PIPE_ERROR). */
static int
emit_cb(void *arg, const struct output *o)
{
	struct emit_ctx		*ctx = arg;
	struct kafka		*k = ctx->k;
	rd_kafka_headers_t	*hdrs;
	rd_kafka_resp_err_t	 err;
	void			*key, *value;	/* librdkafka copies them */

	if ((int)o->kind < 0 || (int)o->kind >= OUT__COUNT)
		return -1;
	/* The macros below do not parenthesise their arguments. */
	key = o->keylen > 0 ? (void *)(uintptr_t)o->key : NULL;
	value = o->len > 0 ? (void *)(uintptr_t)o->value : NULL;
	for (;;) {
		hdrs = output_headers(k, o);
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
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			log_msg(LOG_ERR, "producing to %s failed: %s",
			    k->topics[o->kind], rd_kafka_err2str(err));
			k->failed = 1;
			return -1;
		}
		/* Full: let deliveries drain the queue, then retry; flow
		 * control pauses the consumer after this input. */
		k->queue_full = 1;
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
		track_output(ctx->entry);
	observe_alert(o);
	return 0;
}

/* ---- consuming ------------------------------------------------------ */

/* Consumer lag: high watermark minus position, summed over the assigned
 * partitions whose both ends are known (cached, no request). */
void
kafka_update_lag(struct kafka *k)
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
void
kafka_consume(struct kafka *k, struct pipeline *p, rd_kafka_message_t *rm)
{
	struct emit_ctx		 ctx;
	struct message		 m;
	rd_kafka_headers_t	*hdrs;
	enum pipeline_result	 r;
	const char		*name;
	const void		*val;
	size_t			 vlen, n = 0;
	double			 t0;

	if (rm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (rm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			METRICS_ADD(kafka_errors, 1);
			log_warn_limited("kafka-consume", "consume: %s",
			    rd_kafka_message_errstr(rm));
		}
		rd_kafka_message_destroy(rm);
		return;
	}
	ctx.k = k;
	if ((ctx.entry = track_begin(k->track, rm->partition, rm->offset)) == NULL) {
		rd_kafka_message_destroy(rm);
		return;
	}
	METRICS_SET(kafka_up, 1);

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
	/* On an error outputs may be missing: the offset must never be
	 * stored. */
	track_end(ctx.entry, r == PIPE_ERROR);
	if (r == PIPE_ERROR) {
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
void
kafka_publish_estimates(struct kafka *k, struct pipeline *p)
{
	struct emit_ctx	ctx = { k, NULL };
	int		rc;

	daemon_lock();
	rc = pipeline_publish_estimates(p, emit_cb, &ctx);
	daemon_unlock();
	if (rc == -1 && !k->aborted)
		log_warnx("publishing model estimates failed");
}
