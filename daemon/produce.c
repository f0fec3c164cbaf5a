/*
 * produce.c: producing for the Kafka adapter: the pipeline's emit callback
 * (kafka_emit()), the DLQ's records, and what a refused record becomes.
 *
 * No single input may stop the daemon (docs/DESIGN.md, "Delivery"):
 *   - a DLQ copy too large for the producer's message.max.bytes is cut to
 *     fit (the arithmetic is dlq.c's), with headers that say so;
 *   - an output the producer refuses for its size goes to the DLQ in its
 *     place (output.topic);
 *   - a record the broker refuses at delivery for itself (dr_cb in
 *     kafka.c calls kafka_redirect_refused()) goes to the DLQ likewise, and
 *     a refused DLQ record goes again as a stub of DLQ_STUB_BYTES.
 * What is left (an unknown topic, a fatal error, a stub refused too) is an
 * outage or a configuration error: the loop stops (k->failed).
 *
 * A full producer queue is answered by serving delivery reports and
 * retrying the same record (backpressure), so memory stays bounded; not
 * from inside a delivery report (k->in_dr), where polling is not allowed.
 * kafka_produce_record() is that loop for the internal topics' records
 * (route_send.c's forwards, stats.c's statistics).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "kafka.h"

/* 1 for a delivery the broker refused for the record itself (its size or
 * form), not for an outage: per message, so it is redirected. */
int
kafka_refused_record(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
	    err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE ||
	    err == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

/* A record on its way to the producer: key and value (borrowed, possibly
 * cut) and, for the DLQ, its headers and their size on the wire. */
struct rec {
	const char		*topic;
	const void		*key, *value;
	size_t			 keylen, len;
	rd_kafka_headers_t	*hdrs;		/* new, or NULL */
	size_t			 hbytes;
};

static void
rec_header(struct rec *r, const char *name, const void *val, size_t vlen)
{
	rd_kafka_header_add(r->hdrs, name, -1, val, (ssize_t)vlen);
	r->hbytes += dlq_header_cost(strlen(name), vlen);
}

/* Headers a DLQ record sets itself; an input's header by one of these
 * names is not copied. */
static int
dlq_own_header(const char *name)
{
	return strcmp(name, "error") == 0 || strcmp(name, "truncated") == 0 ||
	    strcmp(name, "output.topic") == 0 || strncmp(name, "source.", 7) == 0 ||
	    strncmp(name, "original.", 9) == 0;
}

/*
 * The headers of a DLQ record into r (a new list): why and where from,
 * the topic a refused output was meant for (out_topic; NULL for a rejected
 * input), then the input's own (binary-mode ce_* make the record
 * repairable) while they take at most copy_max bytes.
 */
static void
dlq_headers(const struct kafka *k, const struct output *o, const char *why,
    const char *out_topic, size_t copy_max, struct rec *r)
{
	rd_kafka_headers_t	*orig;
	char			 part[16], off[24];
	const char		*name, *src;
	const void		*val;
	size_t			 vlen, i, cost, copied = 0;

	r->hdrs = rd_kafka_headers_new(8);
	r->hbytes = 0;
	src = o->source_topic != NULL ? o->source_topic : "";
	snprintf(part, sizeof(part), "%" PRId32, o->source_partition);
	snprintf(off, sizeof(off), "%" PRId64, o->source_offset);
	rec_header(r, "error", why, strlen(why));
	rec_header(r, "source.topic", src, strlen(src));
	rec_header(r, "source.partition", part, strlen(part));
	rec_header(r, "source.offset", off, strlen(off));
	if (out_topic != NULL) {	/* the value is an output, not the input */
		rec_header(r, "output.topic", out_topic, strlen(out_topic));
		return;
	}
	if (k->current == NULL || k->current->offset != o->source_offset ||
	    k->current->partition != o->source_partition ||
	    rd_kafka_message_headers(k->current, &orig) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	for (i = 0; rd_kafka_header_get_all(orig, i, &name, &val, &vlen) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
		cost = dlq_header_cost(strlen(name), vlen);
		if (dlq_own_header(name) || cost > copy_max - copied)
			continue;
		copied += cost;
		rec_header(r, name, val, vlen);
	}
}

/*
 * Cuts a DLQ record that does not fit message.max.bytes (dlq.c): the
 * input's headers at most a quarter of the limit, the key to DLQ_KEY_MAX
 * bytes, the value to what is left, and headers that say so.
 */
static void
dlq_cut(struct kafka *k, const struct output *o, const char *why,
    const char *out_topic, struct rec *r)
{
	char size[DLQ_NUM_MAX], hash[DLQ_HASH_MAX], ksize[DLQ_NUM_MAX];

	rd_kafka_headers_destroy(r->hdrs);
	dlq_headers(k, o, why, out_topic, k->max_msg_bytes / 4, r);
	dlq_describe(o->value, o->len, size, hash);
	rec_header(r, "truncated", "true", 4);
	rec_header(r, "original.size", size, strlen(size));
	rec_header(r, "original.fnv1a64", hash, strlen(hash));
	if (r->keylen > DLQ_KEY_MAX) {
		snprintf(ksize, sizeof(ksize), "%zu", r->keylen);
		rec_header(r, "original.key_size", ksize, strlen(ksize));
		r->keylen = DLQ_KEY_MAX;
	}
	r->len = dlq_prefix_len(k->max_msg_bytes, r->keylen, r->hbytes, r->len);
	METRICS_ADD(dlq_truncated, 1);
	log_warn_limited("dlq-truncated", "a DLQ record of %zu bytes does not "
	    "fit message.max.bytes (%zu): its first %zu bytes are kept", o->len,
	    k->max_msg_bytes, r->len);
}

/* One try of r; its headers are the message's on success. */
static rd_kafka_resp_err_t
produce_once(struct kafka *k, const struct kafka_record *r)
{
	/* The macros below do not parenthesise their arguments; librdkafka
	 * copies key and value. */
	void	*key = r->keylen > 0 ? (void *)(uintptr_t)r->key : NULL;
	void	*value = r->len > 0 ? (void *)(uintptr_t)r->value : NULL;

	return rd_kafka_producev(k->producer,
	    RD_KAFKA_V_TOPIC(r->topic),
	    RD_KAFKA_V_PARTITION(r->partition),
	    RD_KAFKA_V_KEY(key, r->keylen),
	    RD_KAFKA_V_VALUE(value, r->len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_OPAQUE(r->opaque),
	    RD_KAFKA_V_HEADERS(r->headers),
	    RD_KAFKA_V_END);
}

/*
 * Produces r; its headers belong to the message, or are destroyed. On a
 * full queue, serves delivery reports and retries (backpressure). Returns
 * 0; 1 when the producer refuses this record for its size (*errp; the
 * caller decides); -1 to stop (a permanent error, logged, or a stop while
 * the queue was full).
 */
static int
produce_rec(struct emit_ctx *ctx, struct rec *r, rd_kafka_resp_err_t *errp)
{
	struct kafka		*k = ctx->k;
	rd_kafka_resp_err_t	 err;
	struct kafka_record	 kr = { r->topic, RD_KAFKA_PARTITION_UA, r->key,
	    r->value, r->keylen, r->len, r->hdrs, ctx->entry };

	for (;;) {
		if ((err = produce_once(k, &kr)) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			r->hdrs = NULL;		/* the message's now */
			if (ctx->entry != NULL)
				track_output(ctx->entry);
			return 0;
		}
		/* Full: let deliveries drain the queue, then retry; not from
		 * a delivery report (no polling inside a callback). */
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || k->in_dr)
			break;
		k->queue_full = 1;	/* flow control pauses after this input */
		log_warn_limited("kafka-queue-full", "producer queue full, "
		    "waiting for deliveries");
		notify_watchdog();
		rd_kafka_poll(k->producer, POLL_MS);
		if (k->failed || *k->stop)
			break;
	}
	if (r->hdrs != NULL)
		rd_kafka_headers_destroy(r->hdrs);
	r->hdrs = NULL;
	*errp = err;
	if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
		return 1;
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && !k->in_dr) {
		if (!k->failed)
			k->aborted = 1;
	} else {
		log_msg(LOG_ERR, "producing to %s failed: %s", r->topic,
		    rd_kafka_err2str(err));
		k->failed = 1;
	}
	return -1;
}

/* See kafka.h. Not from a delivery report (it polls). */
int
kafka_produce_record(struct kafka *k, struct kafka_record *r)
{
	rd_kafka_resp_err_t err;

	for (;;) {
		if ((err = produce_once(k, r)) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			r->headers = NULL;	/* the message's now */
			return 0;
		}
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		notify_watchdog();
		rd_kafka_poll(k->producer, POLL_MS);	/* deliveries drain it */
		if (k->failed || *k->stop) {
			k->aborted = !k->failed;
			goto out;
		}
	}
	log_msg(LOG_ERR, "producing to %s failed: %s", r->topic,
	    rd_kafka_err2str(err));
	k->failed = 1;
out:
	if (r->headers != NULL)
		rd_kafka_headers_destroy(r->headers);
	r->headers = NULL;
	return -1;
}

/* One DLQ record for o with the reason why; cut to fit when it does not.
 * 0, or -1 to stop (a cut record refused too is a configuration error). */
static int
emit_dlq(struct emit_ctx *ctx, const struct output *o, const char *why,
    const char *out_topic)
{
	struct kafka		*k = ctx->k;
	struct rec		 r;
	rd_kafka_resp_err_t	 err;
	int			 rc;

	memset(&r, 0, sizeof(r));
	r.topic = k->topics[OUT_DLQ];
	r.key = o->key;
	r.keylen = o->keylen;
	r.value = o->value;
	r.len = o->len;
	dlq_headers(k, o, why, out_topic, SIZE_MAX, &r);
	if (!dlq_fits(k->max_msg_bytes, r.keylen, r.hbytes, r.len))
		dlq_cut(k, o, why, out_topic, &r);
	if ((rc = produce_rec(ctx, &r, &err)) == 1) {
		log_msg(LOG_ERR, "producing to %s failed: %s (message.max.bytes "
		    "%zu is too small for a DLQ record)", r.topic,
		    rd_kafka_err2str(err), k->max_msg_bytes);
		k->failed = 1;
		rc = -1;
	}
	return rc;
}

/* The headers of an output other than the DLQ's: the value's content-type
 * (plain JSON or a structured-mode CloudEvent, as the pipeline framed it).
 * New list or NULL; rd_kafka_producev() steals it on success. */
static rd_kafka_headers_t *
output_headers(const struct output *o)
{
	rd_kafka_headers_t *hdrs;

	if (o->content_type == NULL)
		return NULL;
	hdrs = rd_kafka_headers_new(1);
	rd_kafka_header_add(hdrs, "content-type", -1, o->content_type, -1);
	return hdrs;
}

/*
 * A DLQ record the broker refused, sent again as a stub: its own headers
 * (why, where from, what was cut; the input's are dropped), the value cut
 * to DLQ_STUB_BYTES, and original.* describing the value the refused
 * record held when it does not say already. 0, or -1 to stop.
 */
static int
dlq_stub(struct emit_ctx *ctx, const rd_kafka_message_t *m)
{
	rd_kafka_headers_t	*mh;
	struct rec		 r;
	rd_kafka_resp_err_t	 err;
	char			 size[DLQ_NUM_MAX], hash[DLQ_HASH_MAX];
	const char		*name;
	const void		*val;
	size_t			 vlen, i;
	int			 cut = 0;

	memset(&r, 0, sizeof(r));
	r.topic = rd_kafka_topic_name(m->rkt);
	r.key = m->key;
	r.keylen = m->key_len < DLQ_KEY_MAX ? m->key_len : DLQ_KEY_MAX;
	r.value = m->payload;
	r.len = m->len < DLQ_STUB_BYTES ? m->len : DLQ_STUB_BYTES;
	r.hdrs = rd_kafka_headers_new(8);
	if (rd_kafka_message_headers(m, &mh) == RD_KAFKA_RESP_ERR_NO_ERROR)
		for (i = 0; rd_kafka_header_get_all(mh, i, &name, &val, &vlen) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
			if (!dlq_own_header(name))
				continue;
			cut |= strcmp(name, "truncated") == 0;
			rec_header(&r, name, val, vlen);
		}
	if (m->key_len > DLQ_KEY_MAX) {
		snprintf(size, sizeof(size), "%zu", m->key_len);
		rec_header(&r, "original.key_size", size, strlen(size));
	}
	if (!cut) {
		dlq_describe(m->payload, m->len, size, hash);
		rec_header(&r, "truncated", "true", 4);
		rec_header(&r, "original.size", size, strlen(size));
		rec_header(&r, "original.fnv1a64", hash, strlen(hash));
	}
	METRICS_ADD(dlq_truncated, 1);
	if (produce_rec(ctx, &r, &err) == 0)
		return 0;
	if (!ctx->k->failed)
		log_msg(LOG_ERR, "producing to %s failed: %s", r.topic,
		    rd_kafka_err2str(err));
	ctx->k->failed = 1;
	return -1;
}

/*
 * A record the broker refused for itself (say a topic's max.message.bytes
 * below our message.max.bytes): an output goes to the DLQ in its place,
 * cut to fit; a DLQ record goes again as a stub. Called from the delivery
 * report, so a full queue is not waited for (k->in_dr). 0 when sent (e
 * has one more output pending; a refused timed estimate is only counted),
 * -1 when it cannot be: a stub refused too, a full queue.
 */
int
kafka_redirect_refused(struct kafka *k, const rd_kafka_message_t *m,
    struct track_entry *e)
{
	struct emit_ctx	 ctx = { k, e };
	struct output	 o;
	const char	*topic = rd_kafka_topic_name(m->rkt);
	char		 why[512];
	int		 rc;

	METRICS_ADD(outputs_refused, 1);
	log_warn_limited("broker-refused", "a record of %zu bytes to %s was "
	    "refused by the broker (%s): it goes to the DLQ", m->len, topic,
	    rd_kafka_err2str(m->err));
	if (strcmp(topic, k->topics[OUT_DLQ]) == 0 && m->len <= DLQ_STUB_BYTES)
		return -1;	/* the DLQ topic refuses even a stub */
	if (e == NULL)
		return 0;	/* a timed estimate: the next one replaces it */
	k->in_dr = 1;
	if (strcmp(topic, k->topics[OUT_DLQ]) == 0)
		rc = dlq_stub(&ctx, m);
	else {
		memset(&o, 0, sizeof(o));
		o.kind = OUT_DLQ;
		o.key = m->key;
		o.keylen = m->key_len;
		o.value = m->payload;
		o.len = m->len;
		o.source_topic = k->topic_input;
		track_entry_source(e, &o.source_partition, &o.source_offset);
		snprintf(why, sizeof(why), "output to %s refused by the broker: "
		    "%s", topic, rd_kafka_err2str(m->err));
		rc = emit_dlq(&ctx, &o, why, topic);
	}
	k->in_dr = 0;
	return rc;
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

/*
 * The pipeline's emit callback: one record to the topic of its kind.
 * Rejected inputs go to the DLQ (cut to fit when too large); an output the
 * producer refuses for its size goes to the DLQ in its place, so that no
 * single input can stop the daemon. Returns 0, or -1 (pipeline_run then
 * returns PIPE_ERROR) on a real outage or a stop.
 */
int
kafka_emit(void *arg, const struct output *o)
{
	struct emit_ctx		*ctx = arg;
	struct kafka		*k = ctx->k;
	struct rec		 r;
	rd_kafka_resp_err_t	 err;
	char			 why[512];
	int			 rc;

	if ((int)o->kind < 0 || (int)o->kind >= OUT__COUNT)
		return -1;
	if (o->kind == OUT_DLQ)
		return emit_dlq(ctx, o, o->error != NULL ? o->error : "rejected",
		    NULL);
	memset(&r, 0, sizeof(r));
	r.topic = k->topics[o->kind];
	r.key = o->key;
	r.keylen = o->keylen;
	r.value = o->value;
	r.len = o->len;
	r.hdrs = output_headers(o);
	if ((rc = produce_rec(ctx, &r, &err)) == 0)
		observe_alert(o);
	if (rc != 1)
		return rc;
	METRICS_ADD(outputs_refused, 1);
	log_warn_limited("output-refused", "an output of %zu bytes to %s was "
	    "refused (%s)%s", o->len, r.topic, rd_kafka_err2str(err),
	    o->source_topic != NULL ? ": it goes to the DLQ" : "");
	if (o->source_topic == NULL)
		return 0;	/* a timed publication: the next one replaces it */
	snprintf(why, sizeof(why), "output to %s refused by the producer: %s",
	    r.topic, rd_kafka_err2str(err));
	return emit_dlq(ctx, o, why, r.topic);
}
