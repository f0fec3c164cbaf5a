/*
 * route_order.c: the records read back from the repartition streams are
 * applied at the end of their epoch, in (event time, source partition,
 * source offset) order, so that a shard's outputs do not depend on how the consumer
 * interleaved the input partitions that sent them (DESIGN.md,
 * "Scale-out", "Exact outputs with re-routed events").
 *
 * Design note.
 *   - Hold: a record the reader gives for an owned stream c is not
 *     offered to the pipeline: it is held (order.c) under its key, from
 *     the headers `retentiond.time` (the event time the sender decoded)
 *     and `retentiond.source: p:offset` (a record without them sorts
 *     after every other, by its repartition offset). It takes no tracker
 *     entry: the pool stays free for the input, and flow control never
 *     pauses the input partitions that must reach the boundary.
 *   - Apply: when the pipeline is about to enter the next epoch (the gate
 *     is due, kafka.c), every stream's held records are offered in key
 *     order, after the shard's own events of the epoch (its partition
 *     holds its first event of the next one). With several instances a
 *     stream is applied too just before its partition's statistics are
 *     published (stats.c), and what the sealed shard refuses after that
 *     right after the boundary (kafka.c flushes again; for one instance
 *     nothing is left then); and at shutdown, once what this process
 *     sent on is read back. Not when the input falls silent: a pause of
 *     the producers in an epoch would then decide the order, and a replay
 *     of the same input would not pause there. So at the end of a backlog
 *     the last epoch's re-routed records wait for the next epoch's events
 *     (or a shutdown).
 *   - Bound: at most ORDER_ITEMS_MAX records and ORDER_BYTES_MAX bytes
 *     over all streams. Past that a stream keeps its smallest keys and
 *     lets the others go; at the boundary it applies those, then reads
 *     its repartition partition again from the lowest offset let go up to
 *     where the reader was (a consumer of its own, outside the group, made
 *     at the first spill), keeping the next smallest keys, until a pass
 *     lets nothing go. A day of n re-routed records costs n / bound
 *     passes; below the bound, none.
 *   - Commits: the entry of a record applied here carries, instead of its
 *     offset, the repartition partition's floor minus one: the lowest
 *     offset of a record not yet applied (held, let go, or not read yet).
 *     Entries are begun in key order, so their offsets would not grow;
 *     floors do, and a stored floor is never past a record still to be
 *     applied. After each stream's round one more entry carries the new
 *     floor, and the shard's checkpoint position in its stream is set to
 *     its own floor (pipeline_stream_resume()): a checkpoint taken while
 *     records are held resumes before them.
 *
 * No personal data in logs.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "route.h"

#define ORDER_ITEMS_MAX	4096		/* records held over all streams */
#define ORDER_BYTES_MAX	(16u << 20)	/* and their payload bytes */
#define REREAD_WAIT_MS	"20"		/* the re-reader's fetch.wait.max.ms */
#define REREAD_POLL_MS	100
#define REREAD_STALL_MS	30000		/* no record for this long: give up */

static void
destroy(void *item)
{
	rd_kafka_message_destroy(item);
}

/* See route.h. */
void
route_order_new(struct route *r, const rd_kafka_conf_t *cc)
{
	r->order = order_new(ORDER_ITEMS_MAX, ORDER_BYTES_MAX);
	r->cc = rd_kafka_conf_dup(cc);
	for (int i = 0; i < ROUTE_VBASE; i++)
		r->next_read[i] = -1;
}

/* See route.h: before the reader is destroyed (the messages are its). */
void
route_order_free(struct route *r)
{
	order_free(r->order, destroy);
	r->order = NULL;
	if (r->rr != NULL) {
		rd_kafka_consumer_close(r->rr);
		rd_kafka_destroy(r->rr);
		r->rr = NULL;
	}
	if (r->cc != NULL)
		rd_kafka_conf_destroy(r->cc);
	r->cc = NULL;
}

/* rm's key: its headers' event time and "p:offset"; a record without
 * them (written by an older version) sorts after every other, by its
 * repartition offset. */
static struct order_key
source_key(const rd_kafka_message_t *rm)
{
	struct order_key	 key = { INT64_MAX, INT32_MAX, rm->offset };
	char			 src[48], when[24], *colon, *end, *tend;
	long			 p;
	long long		 off, t;

	if (route_header(rm, ROUTE_SOURCE_HEADER, src, sizeof(src)) == -1 ||
	    route_header(rm, ROUTE_TIME_HEADER, when, sizeof(when)) == -1 ||
	    (colon = strchr(src, ':')) == NULL)
		return key;
	*colon = '\0';
	p = strtol(src, &end, 10);
	off = strtoll(colon + 1, &colon, 10);
	t = strtoll(when, &tend, 10);
	if (*end != '\0' || *colon != '\0' || *tend != '\0' || p < 0 ||
	    p >= ROUTE_VBASE || off < 0)
		return key;
	key.time_ms = t;
	key.src = (int32_t)p;
	key.off = off;
	return key;
}

/* Offers rm to stream c's hold; what is let go is destroyed. */
static void
hold(struct route *r, int32_t c, rd_kafka_message_t *rm)
{
	struct order_item	 it = { source_key(rm), rm->offset, rm->len, rm };
	void			*evicted;

	if (!order_put(r->order, c, &it, 0, &evicted))
		rd_kafka_message_destroy(rm);
	if (evicted != NULL)
		rd_kafka_message_destroy(evicted);
}

/* See route.h. */
void
route_order_defer(struct kafka *k, struct route *r, rd_kafka_message_t *rm,
    int32_t c)
{
	METRICS_SET(kafka_up, 1);
	/* silent since it was written, not since it was read (gate.c) */
	gate_seen(k->gate, ROUTE_VBASE + c, kafka_written_ms(rm), 0);
	hold(r, c, rm);
}

/* See route.h. */
void
route_order_drop(struct route *r, int32_t c)
{
	if (r->order != NULL)
		order_drop_stream(r->order, c, destroy);
}

/* The floor of repartition partition rp: the lowest offset of a record
 * of an owned stream not applied yet (held, let go, or after the last
 * one read); -1 when unknown. */
static int64_t
floor_of(const struct route *r, int32_t rp)
{
	int64_t f = r->next_read[rp], m;

	for (int32_t c = rp; c < r->ninput; c += r->nrep)
		if (r->owned[c] && (m = order_min_pos(r->order, c)) >= 0 &&
		    (f < 0 || m < f))
			f = m;
	return f;
}

/* Waits, serving deliveries, until the tracker has a free entry: 0, or
 * -1 (a failure, or stopping and still none after FLUSH_STOP_MS). */
static int
entry_room(struct kafka *k)
{
	int64_t since = kafka_mono_ms();

	while (track_full(k->track)) {
		if (k->failed || (k->stop != NULL && *k->stop &&
		    kafka_mono_ms() - since > FLUSH_STOP_MS))
			return -1;
		notify_watchdog();
		rd_kafka_poll(k->producer, POLL_MS);
		kafka_store_complete(k);
	}
	return 0;
}

/* Records the pipeline refused as too early (several instances: a sealed
 * shard, a later epoch), given back to the hold after the round. */
struct kept {
	struct order_item	*v;
	size_t			 n, cap;
};

static void
keep(struct kept *kp, const struct order_item *it)
{
	if (kp->n == kp->cap) {
		kp->cap = kp->cap > 0 ? kp->cap * 2 : 16;
		if ((kp->v = realloc(kp->v, kp->cap * sizeof(*kp->v))) == NULL)
			fatal("realloc");
	}
	kp->v[kp->n++] = *it;
}

/* Offers v[0..n) (sorted, of stream c; freed here) in order under entries
 * at floor - 1; *last: the last key offered. 0, or -1 with the rest
 * destroyed unapplied (read again after a restart). */
static int
apply_sorted(struct kafka *k, struct pipeline *p, int32_t c,
    struct order_item *v, size_t n, int64_t floor, struct order_key *last,
    struct kept *kp)
{
	struct track_entry	*e;
	int32_t			 tid = ROUTE_VBASE + c % k->route->nrep;
	size_t			 i;

	for (i = 0; i < n && !k->failed && entry_room(k) == 0; i++) {
		e = track_begin(k->track, tid, floor - 1);
		*last = v[i].key;
		if (kafka_offer(k, p, v[i].item, e, ROUTE_VBASE + c) == PIPE_BLOCKED) {
			/* its entry's offset is below its own: ending it
			 * lets no commit pass it */
			track_end(e, 0);
			keep(kp, &v[i]);
		}
	}
	for (; i < n; i++)
		destroy(v[i].item);
	free(v);
	return k->failed || i < n ? -1 : 0;
}

/* The re-reader (made once), assigned repartition partition rp from lo:
 * 0, or -1 (k->failed set). */
static int
reread_start(struct kafka *k, struct route *r, int32_t rp, int64_t lo)
{
	rd_kafka_topic_partition_list_t	*l;
	rd_kafka_resp_err_t		 err;
	char				 why[512];

	if (r->rr == NULL && (r->rr = kafka_reader_new(r->cc, "re-read",
	    REREAD_WAIT_MS, why, sizeof(why))) == NULL) {
		log_msg(LOG_ERR, "%s; stopping", why);
		k->failed = 1;
		return -1;
	}
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, r->topic, rp)->offset = lo;
	err = rd_kafka_assign(r->rr, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_msg(LOG_ERR, "re-reading %s: %s; stopping", r->topic,
		    rd_kafka_err2str(err));
		k->failed = 1;
		return -1;
	}
	return 0;
}

/*
 * Reads stream c's repartition partition again from lo up to hi (where
 * the reader was), offering c's records to its hold (order_pass() says
 * which are wanted). 0, or -1 with k->failed set: a broker that gives
 * nothing for REREAD_STALL_MS stops the daemon, which resumes from its
 * checkpoint, rather than apply part of an epoch out of order.
 */
static int
reread(struct kafka *k, struct route *r, int32_t c, int64_t lo, int64_t hi)
{
	int32_t			 rp = c % r->nrep;
	int64_t			 at = lo, seen = kafka_mono_ms();
	rd_kafka_message_t	*rm;

	if (reread_start(k, r, rp, lo) == -1)
		return -1;
	while (at < hi && !k->failed) {
		notify_watchdog();
		rd_kafka_poll(k->producer, 0);	/* the round's deliveries */
		if ((rm = rd_kafka_consumer_poll(r->rr, REREAD_POLL_MS)) == NULL) {
			if (kafka_mono_ms() - seen < REREAD_STALL_MS)
				continue;
			log_msg(LOG_ERR, "re-reading %s [%" PRId32 "]: nothing for "
			    "%d s; stopping", r->topic, rp, REREAD_STALL_MS / 1000);
			k->failed = 1;
			break;
		}
		seen = kafka_mono_ms();
		if (rm->err == RD_KAFKA_RESP_ERR_NO_ERROR && rm->partition == rp &&
		    rm->offset >= at) {
			at = rm->offset + 1;
			if (rm->offset < hi && route_named_partition(rm) == c) {
				hold(r, c, rm);
				continue;
			}
		} else if (rm->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
		    rm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			log_warn_limited("route-reread", "re-reading %s: %s",
			    r->topic, rd_kafka_message_errstr(rm));
		rd_kafka_message_destroy(rm);
	}
	(void)rd_kafka_assign(r->rr, NULL);
	return at >= hi ? 0 : -1;
}

/* After a round of stream c: one entry at the new floor of its
 * repartition partition, and the shard's checkpoint position in its
 * stream at its own floor. */
static void
settle(struct kafka *k, struct pipeline *p, struct route *r, int32_t c)
{
	struct track_entry	*e;
	int32_t			 rp = c % r->nrep;
	int64_t			 f = floor_of(r, rp), own;

	if (f > 0 && entry_room(k) == 0) {
		e = track_begin(k->track, ROUTE_VBASE + rp, f - 1);
		track_end(e, 0);
	}
	if ((own = order_min_pos(r->order, c)) < 0)
		own = r->next_read[rp];
	if (own < 0)
		return;
	daemon_lock();
	pipeline_stream_resume(p, c, own);
	daemon_unlock();
}

/* See kafka.h. */
int
route_order_flush_one(struct kafka *k, struct pipeline *p, int32_t c)
{
	struct route		*r = k->route;
	struct order_key	 last = { INT64_MIN, -1, -1 };
	struct kept		 kp = { NULL, 0, 0 };
	struct order_item	*v;
	size_t			 n;
	int64_t			 lo, hi, floor;
	void			*evicted;
	int			 rc = 0;

	if (r == NULL || r->order == NULL || c < 0 || c >= r->ninput ||
	    !r->owned[c] || (order_count(r->order, c) == 0 &&
	    !order_spilled(r->order, c, &lo)))
		return 0;
	floor = floor_of(r, c % r->nrep);
	hi = r->next_read[c % r->nrep];
	for (;;) {
		v = order_take_all(r->order, c, &n);
		if ((rc = apply_sorted(k, p, c, v, n, floor, &last, &kp)) == -1 ||
		    !order_spilled(r->order, c, &lo))
			break;
		log_info("repartition stream of partition %" PRId32 ": more records "
		    "than the %d held, reading %s [%" PRId32 "] again from %" PRId64,
		    c, ORDER_ITEMS_MAX, r->topic, c % r->nrep, lo);
		order_pass(r->order, c, last);
		if ((rc = reread(k, r, c, lo, hi)) == -1)
			break;
	}
	order_pass_end(r->order, c);
	for (size_t i = 0; i < kp.n; i++)
		(void)order_put(r->order, c, &kp.v[i], 1, &evicted);
	free(kp.v);
	if (rc == 0)
		settle(k, p, r, c);
	return rc;
}

/* See kafka.h. */
int
route_order_flush(struct kafka *k, struct pipeline *p)
{
	struct route *r = k->route;

	if (r == NULL || r->order == NULL || !order_pending(r->order))
		return 0;
	for (int32_t c = 0; c < r->ninput; c++)
		if (route_order_flush_one(k, p, c) == -1)
			return -1;
	return 0;
}

/* See kafka.h: at shutdown the records this process sent on are read
 * back (for at most FLUSH_STOP_MS), then everything held is applied, so
 * that the last estimates and the checkpoint count them. */
void
route_order_finish(struct kafka *k, struct pipeline *p)
{
	struct route	*r = k->route;
	int64_t		 until = kafka_mono_ms() + FLUSH_STOP_MS;

	if (r == NULL || r->rep == NULL || k->failed || k->aborted)
		return;
	while (route_awaiting(r) && kafka_mono_ms() < until && !k->failed) {
		notify_watchdog();
		rd_kafka_poll(k->producer, 10);
		route_poll(k, p);
	}
	(void)route_order_flush(k, p);
}
