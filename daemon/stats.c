/*
 * stats.c: shared statistics across instances (DESIGN.md, "Scale-out",
 * shared statistics; issue 9 item 3). When several instances share the
 * input, each owns some partitions, but every instance's epoch model must
 * be the merge of all partitions' contributions in partition order. Each
 * instance publishes the contribution of every shard it owns to the
 * stats topic and reads the whole topic back, so that every instance
 * merges the same images (its own shards from memory: the same values,
 * tests/unit/test_remote.c) and enters the same epochs.
 *
 * Design note.
 *   - A record: "RST1", the input topic, the partition, the pipeline
 *     epoch e it was made in (the statistics are the shard's contribution
 *     to the next boundary after e), the epoch its next message needs
 *     (-1: idle), the shard's image (pipeline_contrib_save(); empty when
 *     the partition has no statistics), then the count of events applied
 *     in the partition, for the estimates' `events`. The count comes
 *     after the image so that an older reader, which stops there, still
 *     reads the record; an older writer's record ends at the image, and
 *     is read with its count unknown (logged; the estimates' `events`
 *     then leave the partition out). Keyed "<topic>:<partition>:
 *     <e mod 2>", placed in partition murmur2(key) mod the stats topic's
 *     partition count (from metadata: any count works), so compaction
 *     keeps a partition's last two records.
 *   - When: an owned partition publishes for epoch e once it is final
 *     (DESIGN point a): each of its sources (the input partition and its
 *     repartition stream) holds a message of a later epoch, or is idle
 *     (at its end, confirmed with the broker, silent for idle_seconds).
 *     An idle partition publishes only once some record for e names an
 *     epoch (otherwise no boundary is wanted, as with one instance: the
 *     gate waits for a held message). Publishing seals the shard
 *     (pipeline_seal()): what arrives before the boundary is applied
 *     after it, so the shard stays what was published.
 *   - The boundary: once every input partition has a record for e, the
 *     pipeline enters the smallest epoch a record needs, after loading
 *     the images of the partitions it does not own into their remote
 *     slots (pipeline_remote_load()). Every instance sees the same
 *     records, so every instance enters the same sequence of epochs and
 *     forgets by the same factors. A partition that holds a message many
 *     epochs ahead publishes again at each boundary the group enters
 *     before it (the same statistics, forgotten once more).
 *   - An instance that owns every input partition (or none yet, at its
 *     start) keeps the in-memory path: stats_due() says -1 and the gate
 *     decides alone, without the topic.
 *   - Reading: a consumer outside the group (assign only, never commits)
 *     reads every partition of the stats topic from its beginning, and
 *     keeps per input partition the few records of the current epoch and
 *     later.
 *
 *   - Joining: nothing is published or entered before the reader has
 *     read the topic to its end once. An instance behind the group
 *     (every partition has a record made in an epoch after its own)
 *     joins it there (join()): its owned shards take the records their
 *     previous owners published, sealed as published.
 *
 *   - A record is produced only once everything produced before it is
 *     delivered (delivered()): the forwards its partitions sent on
 *     before crossing are then in the repartition topic when another
 *     instance reads the record (route_source_crossed()).
 *
 *   - The month's plans: the reader reads the candidates topic too, and
 *     stats_plans.c exchanges the plan candidates there (cands_step()
 *     each turn once the reader caught up, cands_alone() when this
 *     instance is alone again).
 *
 * Not handled (DESIGN.md says so): a partition that moves to another
 * instance between its record and the boundary may be published twice
 * for one epoch, with different statistics if the new owner's shard
 * differs.
 *
 * No personal data here: records hold aggregates only.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kafka.h"
#include "stats_int.h"
#include "../state/serial.h"

#define STATS_TOPIC	"retentiond.stats"
#define STATS_MAGIC	0x31545352U	/* "RST1" (the events count after the
					 * image is optional) */
#define STATS_KEEP	4	/* records kept per input partition */
#define STATS_BATCH	256	/* records read per loop turn, at most */
#define IDLE		LONG_MAX	/* needs: no message waits */
#define STATS_FETCH_WAIT_MS "10"	/* the reader's fetch.wait.max.ms */
#define START_RETRY_MS	5000
#define STATS_FLUSH_MS	500	/* a turn's wait for deliveries, at most */

struct srec {
	long	 epoch;		/* made in this pipeline epoch; LONG_MIN empty */
	long	 needs;		/* epoch its next message needs; IDLE */
	uint8_t	*img;		/* the image (NULL, 0: no statistics) */
	size_t	 len;
	uint64_t events;	/* applied in the partition (0: unknown) */
};

struct stats {
	char		 topic[256];
	rd_kafka_conf_t	*conf;		/* the reader's, until it is made */
	rd_kafka_t	*reader;	/* the whole stats topic; NULL until shared */
	int		 reading;	/* assigned */
	int		 caught_up;	/* read to its end once */
	int64_t		 tried_ms;	/* the last start_reading() attempt */
	int32_t		 ninput, nstats;	/* partition counts, 0 unknown */
	int32_t		 counted_owned;	/* owned when ninput was asked */
	int32_t		 owned;		/* input partitions assigned, as */
	unsigned	 owned_gen;	/* counted at this k->assign_gen */
	struct srec	 rec[ROUTE_VBASE][STATS_KEEP];
	long		 published[ROUTE_VBASE];	/* epoch of our last record */
	long		 loaded[ROUTE_VBASE];	/* epoch of the image loaded */
	struct cands	*cands;		/* the plans' (stats_plans.c) */
};

/* See kafka.h. */
int
stats_new(struct kafka *k, const struct config *cfg, const rd_kafka_conf_t *cc,
    char *errbuf, size_t errlen)
{
	struct stats *s = xcalloc(1, sizeof(*s));

	k->stats = s;
	snprintf(s->topic, sizeof(s->topic), "%s", cfg->topic_stats[0] != '\0' ?
	    cfg->topic_stats : STATS_TOPIC);
	for (int i = 0; i < ROUTE_VBASE; i++) {
		s->published[i] = s->loaded[i] = LONG_MIN;
		for (int j = 0; j < STATS_KEEP; j++)
			s->rec[i][j].epoch = LONG_MIN;
	}
	s->conf = rd_kafka_conf_dup(cc);
	s->cands = cands_new(cfg);
	return 0;
}

/* See kafka.h. NULL-safe. */
void
stats_free(struct kafka *k)
{
	struct stats *s = k->stats;

	if (s == NULL)
		return;
	if (s->reader != NULL) {
		rd_kafka_consumer_close(s->reader);
		rd_kafka_destroy(s->reader);
	}
	if (s->conf != NULL)
		rd_kafka_conf_destroy(s->conf);
	for (int i = 0; i < ROUTE_VBASE; i++)
		for (int j = 0; j < STATS_KEEP; j++)
			free(s->rec[i][j].img);
	cands_free(s->cands);
	free(s);
	k->stats = NULL;
}

/* The record of partition c made in epoch e, or NULL. */
static struct srec *
find(struct stats *s, int32_t c, long e)
{
	for (int j = 0; j < STATS_KEEP; j++)
		if (s->rec[c][j].epoch == e)
			return &s->rec[c][j];
	return NULL;
}

/* Keeps a record (img copied): it replaces one of the same epoch (the
 * newer one counts), else an empty or the oldest slot, unless it is older
 * than every record kept. */
static void
keep(struct stats *s, int32_t c, long e, long needs, const void *img, size_t len,
    uint64_t events)
{
	struct srec *r = find(s, c, e), *old = NULL;

	for (int j = 0; r == NULL && j < STATS_KEEP; j++)
		if (s->rec[c][j].epoch == LONG_MIN)
			r = &s->rec[c][j];
	/* else the oldest, when older than e (records of one partition come
	 * from two of the topic's partitions, so not in epoch order) */
	for (int j = 0; old == NULL && r == NULL && j < STATS_KEEP; j++)
		if (s->rec[c][j].epoch < e)
			old = &s->rec[c][j];
	for (int j = 0; old != NULL && j < STATS_KEEP; j++)
		if (s->rec[c][j].epoch < old->epoch)
			old = &s->rec[c][j];
	if (r == NULL)
		r = old;
	if (r == NULL)
		return;
	free(r->img);
	r->img = NULL;
	r->len = 0;
	if (len > 0) {
		r->img = xcalloc(1, len);
		memcpy(r->img, img, len);
		r->len = len;
	}
	r->epoch = e;
	r->needs = needs;
	r->events = events;
}

/* Forgets the records made before epoch e: they are spent. */
static void
prune(struct stats *s, long e)
{
	for (int32_t c = 0; c < s->ninput; c++)
		for (int j = 0; j < STATS_KEEP; j++)
			if (s->rec[c][j].epoch != LONG_MIN && s->rec[c][j].epoch < e) {
				free(s->rec[c][j].img);
				s->rec[c][j].img = NULL;
				s->rec[c][j].len = 0;
				s->rec[c][j].epoch = LONG_MIN;
			}
}

/* Starts reading the whole stats topic (creating it where the cluster
 * allows). 0, or -1 (its partition count unknown yet: asked again after
 * START_RETRY_MS, the metadata requests block the loop). */
static int
start_reading(struct kafka *k, struct stats *s, int64_t now)
{
	rd_kafka_topic_partition_list_t *l;
	char err[512];

	if (s->reading)
		return 0;
	if (now - s->tried_ms < START_RETRY_MS)
		return -1;
	s->tried_ms = now;
	/* every boundary waits for the others' records: fetch at once */
	if (s->reader == NULL && (s->reader = kafka_reader_new(s->conf, "stats",
	    STATS_FETCH_WAIT_MS, err, sizeof(err))) == NULL) {
		log_msg(LOG_ERR, "%s; stopping", err);
		k->failed = 1;
		return -1;
	}
	kafka_create_topic(k, s->topic, s->ninput);
	if ((s->nstats = kafka_partition_count(k->producer, s->topic, 3)) <= 0)
		return -1;
	l = rd_kafka_topic_partition_list_new(s->nstats);
	for (int32_t i = 0; i < s->nstats; i++)
		rd_kafka_topic_partition_list_add(l, s->topic, i)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	/* the plans' candidates come through the same reader */
	if (cands_assign(k, s->cands, s->ninput, l) == -1 ||
	    rd_kafka_assign(s->reader, l) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_topic_partition_list_destroy(l);
		return -1;
	}
	rd_kafka_topic_partition_list_destroy(l);
	s->reading = 1;
	log_info("sharing statistics through %s (%" PRId32 " partitions) for %s "
	    "(%" PRId32 ")", s->topic, s->nstats, k->topic_input, s->ninput);
	return 0;
}

/* 1 once the reader has read every partition of the topic to the end
 * its fetches reported (asked until it has, once): only then do the
 * records kept say where the group is, so that an instance neither joins
 * an epoch nor publishes for one before it knows the newest. */
static int
caught_up(struct stats *s)
{
	rd_kafka_topic_partition_list_t *l;
	int64_t lo, hi, pos;
	int done = 1;

	if (s->caught_up)
		return 1;
	l = rd_kafka_topic_partition_list_new(s->nstats);
	for (int32_t i = 0; i < s->nstats; i++)
		rd_kafka_topic_partition_list_add(l, s->topic, i);
	if (rd_kafka_position(s->reader, l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		done = 0;
	for (int i = 0; i < l->cnt && done; i++) {
		pos = l->elems[i].offset;
		if (rd_kafka_get_watermark_offsets(s->reader, s->topic,
		    l->elems[i].partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    hi < 0 || (pos >= 0 ? pos : lo) < hi)
			done = 0;
	}
	rd_kafka_topic_partition_list_destroy(l);
	return s->caught_up = done;
}

/* One record read back; a malformed one (logged) or one of another
 * input is skipped. */
static void
read_one(struct kafka *k, struct stats *s, const rd_kafka_message_t *rm)
{
	char		 topic[256];
	struct rbuf	 r;
	uint32_t	 c, len;
	int64_t		 e, needs;
	uint64_t	 events = 0;
	const void	*img;
	int		 counted;

	if (rm->err != RD_KAFKA_RESP_ERR_NO_ERROR || rm->payload == NULL)
		return;
	rbuf_init(&r, rm->payload, rm->len);
	if (rbuf_u32(&r) != STATS_MAGIC)
		goto bad;
	rbuf_str(&r, topic, sizeof(topic));
	c = rbuf_u32(&r);
	e = rbuf_i64(&r);
	needs = rbuf_i64(&r);
	len = rbuf_u32(&r);
	img = rbuf_take(&r, len);
	/* the count of events: absent from an older instance's record; what
	 * follows it (a later addition) is skipped */
	if ((counted = rbuf_left(&r) != 0))
		events = rbuf_u64(&r);
	if (r.failed || c >= ROUTE_VBASE || e < -1 || needs < -1 ||
	    (needs >= 0 && needs <= e))
		goto bad;
	if (strcmp(topic, k->topic_input) != 0)
		return;		/* another input's instances share the topic */
	if (!counted)
		log_warn_limited("stats-old", "%s [%" PRId32 "] offset %" PRId64 ": "
		    "statistics of %s [%" PRIu32 "] from an older retentiond, "
		    "without its count of events: read, the estimates' events "
		    "leave the partition out", s->topic, rm->partition, rm->offset,
		    topic, c);
	keep(s, (int32_t)c, (long)e, needs < 0 ? IDLE : (long)needs, img, len,
	    events);
	/* its owner is past every epoch before the one it needs: the
	 * repartition streams stop waiting for it (route.c) */
	route_source_crossed(k, (int32_t)c, needs < 0 ? IDLE : (long)needs);
	return;
bad:
	log_warn_limited("stats-bad", "%s [%" PRId32 "] offset %" PRId64 ": not a "
	    "statistics record, skipped", s->topic, rm->partition, rm->offset);
}

/* See kafka.h. */
void
stats_poll(struct kafka *k)
{
	struct stats		*s = k->stats;
	rd_kafka_message_t	*rm;

	if (s == NULL || !s->reading)
		return;
	for (int i = 0; i < STATS_BATCH; i++) {
		if ((rm = rd_kafka_consumer_poll(s->reader, 0)) == NULL)
			break;
		if (!cands_read(k, s->cands, rm))
			read_one(k, s, rm);
		rd_kafka_message_destroy(rm);
	}
}

/* 1 when several instances share the input: this one owns some of its
 * partitions, not all. The partitions owned are counted again after a
 * rebalance, not on every turn (a walk of ROUTE_VBASE ids was 9 % of the
 * daemon's time end to end), and the input's partition count is asked
 * again when that number changes. */
static int
shared(struct kafka *k, struct stats *s)
{
	int32_t n, owned = s->owned;

	if (s->owned_gen != k->assign_gen) {
		owned = 0;
		for (int32_t c = 0; c < ROUTE_VBASE; c++)
			owned += gate_assigned(k->gate, c);
		s->owned = owned;
		s->owned_gen = k->assign_gen;
	}
	if (owned > 0 && (owned != s->counted_owned || s->ninput == 0)) {
		s->counted_owned = owned;
		n = kafka_partition_count(k->consumer, k->topic_input, 1);
		s->ninput = n > 0 && n <= ROUTE_VBASE ? n : 0;
	}
	return owned > 0 && s->ninput > 0 && owned < s->ninput;
}

/* Sends one record (a copy of w's bytes) to its partition; 0, or -1
 * (k->failed or k->aborted set). */
static int
send_record(struct kafka *k, struct stats *s, int32_t c, long e,
    const struct wbuf *w)
{
	char			 key[300];
	int			 keylen;
	struct kafka_record	 rec;

	keylen = snprintf(key, sizeof(key), "%s:%" PRId32 ":%ld", k->topic_input,
	    c, ((e % 2) + 2) % 2);
	rec = (struct kafka_record){ s->topic, partitioner_partition(
	    PARTITIONER_MURMUR2, key, (size_t)keylen, s->nstats), key, w->p,
	    (size_t)keylen, w->len, NULL, NULL };
	return kafka_produce_record(k, &rec);
}

/* Publishes partition c's contribution made in epoch e and seals its
 * shard; 0 or -1. */
static int
publish(struct kafka *k, struct stats *s, struct pipeline *p, int32_t c, long e,
    long needs)
{
	struct emit_ctx	 ctx = { k, NULL };
	struct wbuf	 w;
	size_t		 at, start;
	uint64_t	 events = 0;
	int		 rc;

	/* its re-routed records held are part of it (route_order.c) */
	if (route_order_flush_one(k, p, c) == -1)
		return -1;
	wbuf_init(&w);
	wbuf_u32(&w, STATS_MAGIC);
	wbuf_str(&w, k->topic_input);
	wbuf_u32(&w, (uint32_t)c);
	wbuf_i64(&w, e);
	wbuf_i64(&w, needs == IDLE ? -1 : needs);
	at = wbuf_mark_u32(&w);
	start = w.len;
	/* The timers' outputs are tied to no input: a checkpoint, written
	 * after a flush, caps the commits that could pass them. */
	daemon_lock();
	rc = pipeline_seal(p, c, kafka_emit, &ctx);
	if (rc == 0 && pipeline_contrib_save(p, c, &w, &events) == -1)
		w.len = start;		/* no statistics for it anywhere */
	daemon_unlock();
	wbuf_patch_u32(&w, at, (uint32_t)(w.len - start));
	wbuf_u64(&w, events);	/* after the image: older readers stop there */
	rc = rc == -1 || w.failed ? -1 : 0;
	if (rc == -1) {
		if (!k->aborted)
			log_msg(LOG_ERR, "sealing the statistics of %s [%" PRId32 "] "
			    "failed; stopping", k->topic_input, c);
		k->failed = 1;
	} else if ((rc = send_record(k, s, c, e, &w)) == 0) {
		keep(s, c, e, needs, w.p + start, w.len - start - 8, events);
		s->published[c] = e;
	}
	wbuf_free(&w);
	return rc;
}

/* 1 when some record made in epoch e names an epoch: a boundary is
 * wanted, so an idle partition may publish. */
static int
wanted(struct stats *s, long e)
{
	const struct srec *r;

	for (int32_t c = 0; c < s->ninput; c++)
		if ((r = find(s, c, e)) != NULL && r->needs != IDLE)
			return 1;
	return 0;
}

/* 1 once everything produced so far is delivered (waited for at most
 * STATS_FLUSH_MS; 0: asked again next turn). A record tells the others
 * that its partition crossed (route_source_crossed()), and they count
 * its repartition records of the closing epoch as all there once their
 * reader reaches the end the broker reports after that news: so the
 * forwards sent before the crossing must be written (acknowledged by the
 * broker) before the record is produced, not merely queued, since they
 * go to another topic. */
static int
delivered(struct kafka *k)
{
	if (rd_kafka_outq_len(k->producer) == 0)
		return 1;
	if (rd_kafka_flush(k->producer, STATS_FLUSH_MS) == RD_KAFKA_RESP_ERR_NO_ERROR)
		return !k->failed;
	log_warn_limited("stats-flush", "statistics postponed: %d outputs without "
	    "a delivery report after %d ms", rd_kafka_outq_len(k->producer),
	    STATS_FLUSH_MS);
	return 0;
}

/* Whether owned partition c is final for the boundary after the current
 * epoch as the gate knows it: -1 not yet, else 0 with *needs (IDLE: no
 * source holds a message, each is idle). */
static int
final(struct kafka *k, int32_t c, int64_t now, long *needs)
{
	long ep;

	*needs = IDLE;
	for (int32_t src = c; src <= ROUTE_VBASE + c; src += ROUTE_VBASE) {
		ep = IDLE;
		switch (gate_source(k->gate, src, now, k->idle_ms, &ep)) {
		case GATE_SRC_BUSY:
			return -1;
		case GATE_SRC_HOLDING:
			if (ep < *needs)
				*needs = ep;
			break;
		default:
			break;
		}
	}
	return 0;
}

/* 1 when the broker confirms every idle source of c is at its end (asked
 * only once c is otherwise ready to publish: a round trip each). */
static int
confirmed(struct kafka *k, int32_t c, int64_t now)
{
	long ep;

	for (int32_t src = c; src <= ROUTE_VBASE + c; src += ROUTE_VBASE)
		if (gate_source(k->gate, src, now, k->idle_ms, &ep) == GATE_SRC_IDLE &&
		    !kafka_caught_up(k, src))
			return 0;
	return 1;
}

/* Loads the images of the partitions this instance does not own, made in
 * epoch e, into their remote slots; 0, or -1 (k->failed set). */
static int
load_remote(struct kafka *k, struct stats *s, struct pipeline *p, long e)
{
	char		 err[256];
	struct srec	*r;
	struct rbuf	 rb;
	int		 rc = 0;

	daemon_lock();
	for (int32_t c = 0; c < s->ninput && rc == 0; c++) {
		if (gate_assigned(k->gate, c) || s->loaded[c] == e ||
		    (r = find(s, c, e)) == NULL)
			continue;
		if (r->len == 0)
			pipeline_remote_drop(p, c);
		else {
			rbuf_init(&rb, r->img, r->len);
			if ((rc = pipeline_remote_load(p, c, &rb, r->events, err,
			    sizeof(err))) == -1)
				log_msg(LOG_ERR, "statistics of %s [%" PRId32 "] from "
				    "%s: %s; stopping", k->topic_input, c, s->topic, err);
		}
		s->loaded[c] = e;
	}
	daemon_unlock();
	if (rc == -1)
		k->failed = 1;
	return rc;
}

/* The newest epoch after e in which every input partition has a record,
 * or e: this instance is behind the group when it is later (its own
 * partitions' records there were made by their previous owners). */
static long
group_epoch(struct stats *s, long e)
{
	long best = e, y;

	for (int j = 0; j < STATS_KEEP; j++) {
		y = s->rec[0][j].epoch;
		if (y <= best)
			continue;
		for (int32_t c = 1; c < s->ninput && y != LONG_MIN; c++)
			if (find(s, c, y) == NULL)
				y = LONG_MIN;
		if (y != LONG_MIN)
			best = y;
	}
	return best;
}

/* Brings the pipeline, behind the group, to epoch y, in which every
 * partition has a record: its owned shards take their records (their
 * previous owners' contributions, which the others merge) and are sealed
 * as published, so that the next boundary merges here what it merges
 * there. 0, or -1 (k->failed set). */
static int
join(struct kafka *k, struct stats *s, struct pipeline *p, long y)
{
	struct emit_ctx	 ctx = { k, NULL };
	char		 err[256] = "";
	struct srec	*r;
	struct rbuf	 rb;
	long		 was = pipeline_epoch(p);
	int		 rc;

	daemon_lock();
	rc = pipeline_join_epoch(p, y);
	for (int32_t c = 0; c < s->ninput && rc == 0; c++) {
		if (!gate_assigned(k->gate, c) || (r = find(s, c, y)) == NULL)
			continue;
		/* the timers the old epoch left fire first, as at a seal */
		if ((rc = pipeline_seal(p, c, kafka_emit, &ctx)) == 0) {
			rbuf_init(&rb, r->img, r->len);
			rc = pipeline_contrib_adopt(p, c, r->len > 0 ? &rb : NULL,
			    r->events, err, sizeof(err));
		}
		s->published[c] = y;
	}
	daemon_unlock();
	if (rc == -1) {
		if (!k->aborted)
			log_msg(LOG_ERR, "joining the group's epoch %ld failed%s%s; "
			    "stopping", y, err[0] != '\0' ? ": " : "", err);
		k->failed = 1;
		return -1;
	}
	log_info("%s: behind the group (epoch %ld), joining it at epoch %ld",
	    k->topic_input, was, y);
	return 0;
}

/* See kafka.h. */
int
stats_due(struct kafka *k, struct pipeline *p, int64_t now, long *epoch)
{
	struct stats	*s = k->stats;
	const struct srec *r;
	long		 e = pipeline_epoch(p), needs, target = IDLE;

	if (s == NULL)
		return -1;
	if (!shared(k, s)) {
		cands_alone(s->cands, p);
		return -1;
	}
	if (start_reading(k, s, now) == -1 || !caught_up(s))
		return 0;
	cands_step(k, s->cands, p, s->ninput);
	if (k->failed)
		return 0;
	if ((target = group_epoch(s, e)) > e) {
		if (join(k, s, p, target) == -1)
			return 0;
		e = target;
	}
	target = IDLE;
	prune(s, e);
	for (int32_t c = 0; c < s->ninput && !k->failed; c++) {
		if (!gate_assigned(k->gate, c) || s->published[c] == e ||
		    final(k, c, now, &needs) == -1 ||
		    (needs == IDLE && !wanted(s, e)) || !confirmed(k, c, now))
			continue;
		if (!delivered(k) || publish(k, s, p, c, e, needs) == -1)
			return 0;
	}
	for (int32_t c = 0; c < s->ninput; c++) {
		if ((gate_assigned(k->gate, c) && s->published[c] != e) ||
		    (r = find(s, c, e)) == NULL)
			return 0;	/* not final yet, or not read yet */
		if (r->needs < target)
			target = r->needs;
	}
	if (target == IDLE || load_remote(k, s, p, e) == -1)
		return 0;
	*epoch = target;
	return 1;
}
