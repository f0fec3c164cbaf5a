/*
 * route.c: one employee, one record, whatever producer sent the events
 * (DESIGN.md, "Scale-out: one employee, one record"). An input message
 * whose key is absent or whose partition is not its subject's canonical
 * partition (partitioner.c: murmur2 of the employee id modulo the
 * input's partition count, as the Java client places it) is not applied
 * where it arrived: it is produced to the repartition topic, keyed by the
 * subject, with the header `retentiond.partition` naming the canonical
 * partition, and the owner of that partition applies it to the
 * partition's shard.
 *
 * Design note.
 *   - Placement: canonical partition c goes to repartition partition
 *     c mod R (R: the repartition topic's partition count from metadata),
 *     so any R works; with R >= N (the daemon asks the Admin API for N
 *     partitions) every repartition partition serves one input partition.
 *   - Sources: the repartition stream of c (the records of partition
 *     c mod R that name c) is a second ordered source of shard c. The
 *     epoch gate treats it like a partition: gate id ROUTE_VBASE + c, held,
 *     idle and caught up like one (route_caught_up()). Key-less events
 *     always take this path, so that an employee sent without a key keeps
 *     one path.
 *   - Crossing: an input partition crosses an epoch boundary at its first
 *     event of the next epoch, also one it would send on (later_epoch():
 *     that one waits at its partition, held by the gate, and is sent on
 *     once the pipeline has entered its epoch). Nothing of a later epoch
 *     reaches a stream, so a stream is final for the boundary once what
 *     was sent to it is read back (alone_complete(), for an instance that
 *     owns every input partition); a boundary costs one round trip
 *     through the repartition topic, for which the loop polls the
 *     input only briefly (route_poll_ms()).
 *   - Reading: a second consumer handle, outside the group, assigned the
 *     repartition partitions of the owned input partitions; it starts at
 *     the group's committed offset of that repartition partition.
 *   - Offsets: the tracker entries of repartition partition r (id
 *     ROUTE_VBASE + r) complete as input entries do; the offset of r is
 *     committed (by the group's consumer, explicitly) only while this
 *     instance owns every input partition that maps to r, so a committed
 *     offset is never past a record another instance still has to apply.
 *     Otherwise the new owner reads r again from the last commit and the
 *     shards' duplicate filter drops what was applied already.
 *   - The re-routed input completes (and its offset is stored) when the
 *     repartition record is delivered: at least once, ids stable.
 *
 * No personal data in logs: subjects are never printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "route.h"

#define ROUTE_BATCH	256	/* repartition messages per loop turn, at most */
#define METADATA_MS	5000
#define COMMIT_EVERY_MS	1000
#define READER_WAIT_MS	"20"	/* see route_new() */
/* The input's poll while records are due back from the reader: a busy
 * input returns at once, an idle one costs the boundary this much. The
 * two handles cannot share one wait. */
#define AWAIT_MS	5


/* See kafka.h. cc is the consumer's configuration (not consumed). */
int
route_new(struct kafka *k, const struct config *cfg, const rd_kafka_conf_t *cc,
    char *errbuf, size_t errlen)
{
	struct route	*r = xcalloc(1, sizeof(*r));

	k->route = r;
	r->partitioner = cfg->partitioner;
	if (cfg->topic_repartition[0] != '\0')
		snprintf(r->topic, sizeof(r->topic), "%s", cfg->topic_repartition);
	else
		snprintf(r->topic, sizeof(r->topic), "%.240s.repartition",
		    cfg->topic_input);
	for (int i = 0; i < ROUTE_VBASE; i++) {
		r->commit_at[i] = r->resume[i] = r->assigned_at[i] = -1;
		r->crossed[i] = -1;
	}
	route_sender_init(r);
	if (r->partitioner == PARTITIONER_NONE)
		return 0;
	/* Outside the group: never commits, never joins (no subscribe). A
	 * short fetch wait: a boundary waits for the records sent to the
	 * streams to come back, and a broker that answers a long poll only
	 * at its end (the mock cluster) would add fetch.wait.max.ms (500 by
	 * default) to each boundary; an idle reader then asks every 20 ms. */
	if ((r->rep = kafka_reader_new(cc, "repartition", READER_WAIT_MS, errbuf,
	    errlen)) == NULL)
		return -1;
	route_order_new(r, cc);
	return 0;
}

/* See kafka.h. NULL-safe. */
void
route_free(struct kafka *k)
{
	struct route *r = k->route;

	if (r == NULL)
		return;
	route_order_free(r);	/* its messages are the reader's */
	kafka_reader_free(r->rep);
	free(r);
	k->route = NULL;
}

/* Both partition counts: the input's at every assignment (partitions added
 * to the input move employees' canonical partitions: said in the log),
 * the repartition topic's once; 0 when unknown. */
static int
counts(struct kafka *k, struct route *r)
{
	int32_t n = kafka_partition_count(k->consumer, k->topic_input, 5);

	if (n > 0 && r->ninput > 0 && n != r->ninput)
		log_warnx("%s now has %" PRId32 " partitions, not %" PRId32 ": "
		    "employees' canonical partitions moved, so an employee's "
		    "earlier events stay in another record (add partitions to a "
		    "new input topic instead)", k->topic_input, n, r->ninput);
	if (n > 0)
		r->ninput = n;
	if (r->ninput > ROUTE_VBASE) {
		log_warn_limited("route-count", "%s has %" PRId32 " partitions, more "
		    "than the %d repartitioning supports: events are applied where "
		    "they arrive", k->topic_input, r->ninput, ROUTE_VBASE);
		r->ninput = 0;
		return 0;
	}
	if (r->ninput > 0 && r->nrep == 0) {
		if (!r->created) {
			r->created = 1;
			kafka_create_topic(k, r->topic, r->ninput);
		}
		r->nrep = kafka_partition_count(k->producer, r->topic, 5);
		if (r->nrep > ROUTE_VBASE)
			r->nrep = 0;
		if (r->nrep > 0)
			log_info("repartitioning through %s (%" PRId32 " partitions) "
			    "for %s (%" PRId32 ")", r->topic, r->nrep,
			    k->topic_input, r->ninput);
	}
	return r->ninput > 0 && r->nrep > 0;
}

/* 1 when every input partition that maps to repartition partition rp is
 * ours: only then may its offset be committed. */
static int
owns_all(const struct route *r, int32_t rp)
{
	for (int32_t c = rp; c < r->ninput; c += r->nrep)
		if (!r->owned[c])
			return 0;
	return 1;
}

/* 1 when some owned input partition maps to rp. */
static int
needed(const struct route *r, int32_t rp)
{
	for (int32_t c = rp; c < r->ninput; c += r->nrep)
		if (r->owned[c])
			return 1;
	return 0;
}

/* The group's committed offsets of the repartition partitions in l (into
 * l; BEGINNING where none). */
static void
committed_offsets(struct kafka *k, rd_kafka_topic_partition_list_t *l)
{
	if (l->cnt == 0 || rd_kafka_committed(k->consumer, l, METADATA_MS) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		for (int i = 0; i < l->cnt; i++)
			l->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    l->elems[i].offset < 0)
			l->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
}

/* See kafka.h. */
void
route_resume_at(struct kafka *k, int32_t c, int64_t next)
{
	if (k->route != NULL && c >= 0 && c < ROUTE_VBASE)
		k->route->resume[c] = next;
}

/* A repartition partition read afresh starts at the lowest checkpoint
 * position of the shards it feeds, never after the committed offset when
 * one of them has none; a position is used once. */
static void
resume_offsets(struct route *r, rd_kafka_topic_partition_list_t *l)
{
	for (int i = 0; i < l->cnt; i++) {
		int32_t rp = l->elems[i].partition;
		int64_t at = -1;
		int known = 1;

		for (int32_t c = rp; c < r->ninput; c += r->nrep) {
			if (!r->owned[c])
				continue;
			if (r->resume[c] < 0)
				known = 0;
			else if (at < 0 || r->resume[c] < at)
				at = r->resume[c];
			r->resume[c] = -1;
		}
		if (at >= 0 && (known || (l->elems[i].offset >= 0 &&
		    at < l->elems[i].offset)))
			l->elems[i].offset = at;
	}
}

/* The reader's assignment from r->owned: partitions kept stay where they
 * are, except those in reseek (a partition gained from another owner may
 * have records of it that nobody applied: from the committed offset). */
static void
reassign(struct kafka *k, struct route *r, const unsigned char *reseek)
{
	rd_kafka_topic_partition_list_t *l, *fresh, *cur = NULL;
	rd_kafka_topic_partition_t *e;
	int64_t at;

	l = rd_kafka_topic_partition_list_new(r->nrep);
	fresh = rd_kafka_topic_partition_list_new(r->nrep);
	(void)rd_kafka_assignment(r->rep, &cur);
	if (cur != NULL)
		(void)rd_kafka_position(r->rep, cur);
	for (int32_t rp = 0; rp < r->nrep; rp++) {
		if (!needed(r, rp)) {
			if (r->reading[rp])
				track_revoke(k->track, ROUTE_VBASE + rp);
			r->reading[rp] = 0;
			r->assigned_at[rp] = -1;
			continue;
		}
		e = cur != NULL ? rd_kafka_topic_partition_list_find(cur, r->topic, rp) : NULL;
		/* nothing read since the last assignment: where that put it */
		at = e != NULL && e->offset >= 0 ? e->offset : r->assigned_at[rp];
		if (r->reading[rp] && !reseek[rp] && at >= 0)
			rd_kafka_topic_partition_list_add(l, r->topic, rp)->offset = at;
		else {
			rd_kafka_topic_partition_list_add(fresh, r->topic, rp);
			/* read from a position of another owner's: what this
			 * process sent there before may lie behind it */
			r->readback[rp] = r->forwarded[rp];
			r->next_read[rp] = -1;
			r->commit_at[rp] = -1;	/* an earlier reading's */
			for (int32_t c = rp; c < r->ninput; c += r->nrep)
				route_order_drop(r, c);	/* read again */
		}
		if (!r->reading[rp])
			track_assign(k->track, ROUTE_VBASE + rp);
		r->reading[rp] = 1;
	}
	committed_offsets(k, fresh);
	resume_offsets(r, fresh);
	for (int i = 0; i < fresh->cnt; i++)
		rd_kafka_topic_partition_list_add(l, r->topic,
		    fresh->elems[i].partition)->offset = fresh->elems[i].offset;
	for (int i = 0; i < l->cnt; i++) {
		r->assigned_at[l->elems[i].partition] =
		    l->elems[i].offset >= 0 ? l->elems[i].offset : -1;
	}
	if (rd_kafka_assign(r->rep, l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("repartition reader: assigning %s failed", r->topic);
	if (k->paused && l->cnt > 0)
		rd_kafka_pause_partitions(r->rep, l);
	if (cur != NULL)
		rd_kafka_topic_partition_list_destroy(cur);
	rd_kafka_topic_partition_list_destroy(fresh);
	rd_kafka_topic_partition_list_destroy(l);
}

/* Marks (1) or unmarks (0) the shard of input partition c to be dropped
 * (drop_given_up()). */
static void
give_up(struct route *r, int32_t c, int on)
{
	if (c < 0 || c >= ROUTE_VBASE || r->given_up[c] == on)
		return;
	r->given_up[c] = (unsigned char)on;
	r->ngiven_up += on ? 1 : -1;
}

/* See kafka.h: the input partitions in parts are ours now. */
void
route_assign(struct kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
	struct route *r = k->route;
	unsigned char reseek[ROUTE_VBASE] = { 0 };

	for (int i = 0; r != NULL && i < parts->cnt; i++)
		give_up(r, parts->elems[i].partition, 0);
	if (r == NULL || r->rep == NULL || !counts(k, r))
		return;
	for (int i = 0; i < parts->cnt; i++) {
		int32_t c = parts->elems[i].partition;

		if (c < 0 || c >= r->ninput)
			continue;
		r->nowned += !r->owned[c];
		r->owned[c] = 1;
		gate_assign(k->gate, ROUTE_VBASE + c, kafka_mono_ms());
		reseek[c % r->nrep] = 1;
	}
	reassign(k, r, reseek);
}

/* See kafka.h: the input partitions in parts are given up; their streams'
 * held messages go to drop(arg, item). */
void
route_revoke(struct kafka *k, const rd_kafka_topic_partition_list_t *parts,
    void (*drop)(void *, void *), void *arg)
{
	struct route *r = k->route;
	unsigned char reseek[ROUTE_VBASE] = { 0 };

	for (int i = 0; r != NULL && parts != NULL && i < parts->cnt; i++)
		give_up(r, parts->elems[i].partition, 1);
	if (r == NULL || r->rep == NULL || r->nrep == 0)
		return;
	for (int i = 0; parts != NULL && i < parts->cnt; i++) {
		int32_t c = parts->elems[i].partition;

		if (c < 0 || c >= r->ninput)
			continue;
		r->nowned -= r->owned[c];
		r->owned[c] = 0;
		gate_revoke(k->gate, ROUTE_VBASE + c, drop, arg);
		route_order_drop(r, c);
	}
	if (parts == NULL)		/* everything */
		for (int32_t c = 0; c < r->ninput; c++)
			if (r->owned[c]) {
				r->nowned--;
				r->owned[c] = 0;
				give_up(r, c, 1);
				gate_revoke(k->gate, ROUTE_VBASE + c, drop, arg);
				route_order_drop(r, c);
			}
	reassign(k, r, reseek);
}

/* See route.h: rm's header name as a string in buf (of len); 0, or -1
 * when absent, empty or too long. */
int
route_header(const rd_kafka_message_t *rm, const char *name, char *buf, size_t len)
{
	rd_kafka_headers_t	*h;
	const void		*v;
	size_t			 n;

	if (rd_kafka_message_headers(rm, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    v == NULL || n == 0 || n >= len)
		return -1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

/* See route.h: the canonical partition a repartition record names; -1 if
 * none. */
int32_t
route_named_partition(const rd_kafka_message_t *rm)
{
	char	 buf[16], *end;
	long	 n;

	if (route_header(rm, ROUTE_HEADER, buf, sizeof(buf)) == -1)
		return -1;
	n = strtol(buf, &end, 10);
	return *end == '\0' && n >= 0 && n < ROUTE_VBASE ? (int32_t)n : -1;
}

/* See route.h. Only the process's own records count: another instance's
 * in the same partition say nothing of whether ours are back (counting
 * them let a boundary pass before the last of ours was read, which was
 * then held to the end of the next epoch), and a record read twice (a
 * partition read again) counts once. */
void
route_read_own(struct route *r, int32_t rp, const char *hdr)
{
	const char	*colon = strrchr(hdr, ':');
	char		*end;
	size_t		 len = strlen(r->sender);
	unsigned long long n;

	if (rp < 0 || rp >= ROUTE_VBASE || colon == NULL || len == 0 ||
	    (size_t)(colon - hdr) != len || memcmp(hdr, r->sender, len) != 0 ||
	    colon[1] < '0' || colon[1] > '9')
		return;
	errno = 0;
	n = strtoull(colon + 1, &end, 10);
	if (errno == 0 && *end == '\0' && n + 1 > r->readback[rp])
		r->readback[rp] = n + 1;
}

/* See route.h. */
void
route_sender_init(struct route *r)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(r->sender, sizeof(r->sender), "%lld.%09ld-%ld",
	    (long long)ts.tv_sec, ts.tv_nsec, (long)getpid());
}

/* One message of the reader: an end of partition marks every owned
 * stream of it; a record for an owned partition is held until the end of
 * its epoch (route_order.c). */
static void
consume_one(struct kafka *k, struct pipeline *p, struct route *r,
    rd_kafka_message_t *rm)
{
	int32_t c;

	if (rm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		for (c = rm->partition; c < r->ninput; c += r->nrep)
			if (r->owned[c])
				gate_seen(k->gate, ROUTE_VBASE + c, kafka_mono_ms(), 1);
		rd_kafka_message_destroy(rm);
		return;
	}
	if (rm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_warn_limited("route-consume", "repartition reader: %s",
		    rd_kafka_message_errstr(rm));
		rd_kafka_message_destroy(rm);
		return;
	}
	if (rm->partition >= 0 && rm->partition < ROUTE_VBASE) {
		char buf[64];

		if (route_header(rm, ROUTE_SENDER_HEADER, buf, sizeof(buf)) == 0)
			route_read_own(r, rm->partition, buf);
		r->next_read[rm->partition] = rm->offset + 1;
	}
	c = route_named_partition(rm);
	if (c < 0 || c >= r->ninput || !r->owned[c] || c % r->nrep != rm->partition) {
		rd_kafka_message_destroy(rm);	/* another owner's, or not ours */
		return;
	}
	METRICS_ADD(repartition_consumed, 1);
	route_order_defer(k, r, rm, c);	/* applied at its epoch's end */
}

/* Commits the offsets of the repartition partitions this instance alone
 * may commit (owns_all()); async or synchronous. */
void
route_commit(struct kafka *k, int async)
{
	struct route *r = k->route;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t err;

	if (r == NULL || r->rep == NULL)
		return;
	l = rd_kafka_topic_partition_list_new(8);
	for (int32_t rp = 0; rp < r->nrep; rp++) {
		int64_t at = r->commit_at[rp];

		if (at < 0 || !r->reading[rp] || !owns_all(r, rp))
			continue;
		/* never past a stream's position in its partition's newest
		 * image: a new owner without the image (refused, or none yet)
		 * reads the stream from the commit */
		for (int32_t c = rp; c < r->ninput; c += r->nrep)
			if (ckpt_topic_rep_cap(k, c) < at)
				at = ckpt_topic_rep_cap(k, c);
		if (at == r->commit_at[rp])
			r->commit_at[rp] = -1;	/* else again after the next image */
		if (at > 0)
			rd_kafka_topic_partition_list_add(l, r->topic, rp)->offset = at;
	}
	if (l->cnt > 0) {
		err = rd_kafka_commit(k->consumer, l, async);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
			log_warn_limited("route-commit", "committing %s: %s",
			    r->topic, rd_kafka_err2str(err));
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* See kafka.h: the tracker found repartition partition id - ROUTE_VBASE
 * complete up to last. */
void
route_store(struct kafka *k, int32_t id, int64_t last)
{
	struct route *r = k->route;

	if (r != NULL && id >= ROUTE_VBASE && id < 2 * ROUTE_VBASE)
		r->commit_at[id - ROUTE_VBASE] = last + 1;
}

/*
 * The shards of partitions given up (revoked or lost, not assigned again
 * since) are dropped: their employees are another instance's now, served
 * there (GET /v1/employees/{id} answers 404 here) and their memory is
 * freed. After the revoke callback, which commits (and checkpoints) first.
 */
static void
drop_given_up(struct route *r, struct pipeline *p)
{
	for (int32_t c = 0; c < ROUTE_VBASE && r->ngiven_up > 0; c++) {
		if (!r->given_up[c])
			continue;
		r->ngiven_up--;
		r->given_up[c] = 0;
		daemon_lock();
		pipeline_shard_drop(p, c);
		daemon_unlock();
		log_info("partition %" PRId32 " given up: its employees' records "
		    "dropped", c);
	}
}

static void	mark_complete(struct kafka *, struct route *);

/* 1 while records sent to a stream this process reads are not back: a
 * boundary may wait for them (the partitions that sent them hold), so the
 * loop waits briefly for the input, then turns to the reader
 * (route_poll_ms()). */
int
route_awaiting(const struct route *r)
{
	for (int32_t rp = 0; rp < r->nrep; rp++)
		if (r->reading[rp] && r->readback[rp] < r->forwarded[rp])
			return 1;
	return 0;
}

/* See kafka.h. */
int
route_poll_ms(struct kafka *k)
{
	struct route *r = k->route;

	return r != NULL && r->rep != NULL && route_awaiting(r) ? AWAIT_MS : POLL_MS;
}

/* See kafka.h: drops the shards given up, then at most ROUTE_BATCH
 * messages of the reader, while the tracker has room; the periodic
 * commit. */
void
route_poll(struct kafka *k, struct pipeline *p)
{
	struct route *r = k->route;
	rd_kafka_message_t *rm;
	int64_t now;

	if (r == NULL)
		return;
	drop_given_up(r, p);
	if (r->rep == NULL)
		return;
	for (int i = 0; i < ROUTE_BATCH && !k->failed && !track_full(k->track); i++) {
		if ((rm = rd_kafka_consumer_poll(r->rep, 0)) == NULL)
			break;
		consume_one(k, p, r, rm);
	}
	mark_complete(k, r);	/* before the gate's step, which follows */
	if ((now = kafka_mono_ms()) - r->last_commit_ms >= COMMIT_EVERY_MS) {
		r->last_commit_ms = now;
		route_commit(k, 1);
	}
}

/* The reader's position in repartition partition rp: after the last record
 * it gave, else (librdkafka's position is unset until a record is
 * consumed after each assignment) the offset it was assigned at; negative
 * when it reads from the beginning and has read nothing yet. A stream
 * assigned at its end stays there until a record arrives, and must count
 * as read to its end meanwhile (route_caught_up()). */
static int64_t
reader_position(struct route *r, int32_t rp)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	int64_t pos;

	rd_kafka_topic_partition_list_add(l, r->topic, rp);
	pos = rd_kafka_position(r->rep, l) == RD_KAFKA_RESP_ERR_NO_ERROR ?
	    l->elems[0].offset : RD_KAFKA_OFFSET_INVALID;
	rd_kafka_topic_partition_list_destroy(l);
	return pos >= 0 ? pos : r->assigned_at[rp];
}

/*
 * 1 when this instance alone feeds repartition partition rp and has read
 * back everything: it owns every input partition (so no other instance
 * forwards), has read as many records from rp as it produced to it, and
 * the reader is at rp's end as last reported (which covers what earlier
 * runs left there). The streams of rp then count as idle at once: once
 * every input partition holds or is idle, nothing more can be on its way
 * to them, and waiting [model] idle_seconds at each boundary for an empty
 * stream would only slow the gate down.
 */
static int
alone_complete(struct kafka *k, struct route *r, int32_t rp)
{
	int64_t lo, hi, pos;

	if (r->nowned != r->ninput || !r->reading[rp] ||
	    r->readback[rp] < r->forwarded[rp] ||
	    rd_kafka_get_watermark_offsets(r->rep, r->topic, rp, &lo, &hi) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR || hi < 0)
		return 0;
	pos = reader_position(r, rp);
	return (pos >= 0 ? pos : lo) >= hi && (pos >= 0 || lo >= 0);
}

/*
 * 1 when no input partition another instance owns can still send records
 * of the pipeline's epoch: each has been said to be past it
 * (route_source_crossed()). Always 1 for an instance that owns them all.
 */
static int
others_past(struct kafka *k, const struct route *r)
{
	long cur;

	if (r->nowned == r->ninput)
		return 1;
	if (k->pipeline == NULL)
		return 0;
	daemon_lock();
	cur = pipeline_epoch(k->pipeline);
	daemon_unlock();
	for (int32_t c = 0; c < r->ninput; c++)
		if (!r->owned[c] && r->crossed[c] <= cur)
			return 0;
	return 1;
}

/* The streams of every repartition partition found complete count as
 * idle (their silence backdated past idle_seconds): alone_complete(), or,
 * with other instances, every record sent from here back and every other
 * owner past the epoch (others_past()); route_caught_up() then asks the
 * broker for the end, which covers what the others sent. */
static void
mark_complete(struct kafka *k, struct route *r)
{
	int64_t long_ago = kafka_mono_ms() - k->idle_ms - 1;
	int alone = r->nowned == r->ninput;

	if (!others_past(k, r))
		return;
	for (int32_t rp = 0; rp < r->nrep; rp++) {
		if (alone ? !alone_complete(k, r, rp) : !r->reading[rp] ||
		    r->readback[rp] < r->forwarded[rp])
			continue;
		for (int32_t c = rp; c < r->ninput; c += r->nrep) {
			int32_t id = ROUTE_VBASE + c;

			if (gate_holding(k->gate, id) ||
			    gate_next_idle(k->gate, id - 1, kafka_mono_ms(),
			    k->idle_ms) == id)
				continue;	/* holds, or idle already */
			gate_complete(k->gate, id, long_ago);
		}
	}
}

/* See daemon.h: the shared statistics report that input partition p,
 * owned by another instance, is in epoch (its next event is of that epoch
 * or later, and what it sent on before is delivered). */
void
route_source_crossed(struct kafka *k, int32_t p, long epoch)
{
	struct route *r = k->route;

	if (r != NULL && p >= 0 && p < ROUTE_VBASE && epoch > r->crossed[p])
		r->crossed[p] = epoch;
}

/* See kafka.h: 1 when the reader has read the stream of gate id (its
 * repartition partition) to its end. */
int
route_caught_up(struct kafka *k, int32_t id)
{
	struct route *r = k->route;
	int32_t rp;
	int64_t lo, hi, pos;

	if (r == NULL || r->rep == NULL || r->nrep == 0)
		return 1;
	rp = (id - ROUTE_VBASE) % r->nrep;
	if (r->readback[rp] < r->forwarded[rp]) {
		gate_seen(k->gate, id, kafka_mono_ms(), 0);
		return 0;	/* what we sent there is not back yet */
	}
	if (alone_complete(k, r, rp))
		return 1;
	/* The producer asks: the reader's connection may be waiting in a
	 * long-polling fetch of an empty partition (fetch.wait.max.ms). */
	if (rd_kafka_query_watermark_offsets(k->producer, r->topic, rp, &lo, &hi,
	    WATERMARK_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return 0;
	pos = reader_position(r, rp);
	if ((pos >= 0 ? pos : lo) >= hi)
		return 1;
	gate_seen(k->gate, id, kafka_mono_ms(), 0);
	return 0;
}

static void
pause_rep(struct route *r, int32_t rp, int pause)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);

	rd_kafka_topic_partition_list_add(l, r->topic, rp);
	if (pause)
		rd_kafka_pause_partitions(r->rep, l);
	else
		rd_kafka_resume_partitions(r->rep, l);
	rd_kafka_topic_partition_list_destroy(l);
}

/* See kafka.h: the gate pauses (1) or resumes (0) the stream of gate id.
 * A repartition partition is paused only when every owned stream in it
 * holds: a stream still delivering its epoch must not wait behind
 * another's held messages. */
void
route_pause(struct kafka *k, int32_t id, int pause)
{
	struct route *r = k->route;
	int32_t rp, c;

	if (r == NULL || r->rep == NULL || r->nrep == 0)
		return;
	rp = (id - ROUTE_VBASE) % r->nrep;
	if (pause)
		for (c = rp; c < r->ninput; c += r->nrep)
			if (r->owned[c] && !gate_holding(k->gate, ROUTE_VBASE + c))
				return;
	pause_rep(r, rp, pause);
}

/* See kafka.h: flow control pauses or resumes the whole reader (resuming
 * skips what the gate paused). */
void
route_set_paused(struct kafka *k, int pause)
{
	struct route *r = k->route;

	if (r == NULL || r->rep == NULL)
		return;
	for (int32_t rp = 0; rp < r->nrep; rp++) {
		int gated = 1;

		if (!r->reading[rp])
			continue;
		for (int32_t c = rp; c < r->ninput; c += r->nrep)
			if (r->owned[c] && !gate_paused(k->gate, ROUTE_VBASE + c))
				gated = 0;
		if (pause || !gated)
			pause_rep(r, rp, pause);
	}
}
