/*
 * gate.c: the epoch gate's bookkeeping: which input partitions hold a
 * message the pipeline refused as too early (PIPE_BLOCKED), which are
 * idle, and when the pipeline may enter the next epoch.
 *
 * Design note (DESIGN.md, "The determinism rule"). The pipeline scores
 * with the model of one epoch; a shard may enter epoch k only once every
 * partition's contribution to k is final. A partition's contribution is
 * final when its next message belongs to epoch k or later (the gate holds
 * that message, and the Kafka code stops reading the partition), or when it is
 * idle: caught up with its high watermark (the consumer reported its end,
 * and the Kafka code confirms it with the broker) and silent for [model]
 * idle_seconds. gate_due() says when every assigned partition is one or
 * the other, and which epoch that allows: the smallest epoch a held
 * message needs. Wall time enters only through the idle rule, and only
 * matters for a partition that is silent across a boundary.
 *
 * Silent means silent at the broker: the time counts from when the
 * partition's newest record was written (its Kafka timestamp, which the
 * Kafka code passes as a time on our clock), not from when we happened to
 * read it, nor from when the other partitions reached the boundary. A
 * backlog written long ago (a backfill, a restart after downtime, a
 * consumer slowed by broker trouble) is therefore idle as soon as it is
 * read to its end, and the wait, when there is one, is the producer's own
 * silence: a partition that keeps receiving records never needs the rule
 * (its next record crosses the boundary by itself), and one that went
 * quiet waits idle_seconds after its last record, once. Until a record of
 * the partition has been seen since its assignment, the assignment time
 * stands in (nothing is known of the producer then). Why crossing this way
 * keeps an epoch's contribution an offset prefix: DESIGN.md.
 *
 * Messages behind a held one queue behind it, so a partition's messages
 * reach the pipeline in order. An input partition that holds is not read
 * further (fetch.c: what was fetched of it waits in its own queue). A
 * repartition stream holds nothing here: its records wait for the end of
 * their epoch in route_order.c, and the gate knows the stream as a source
 * that is busy or idle (route.c marks it complete). (The pause of a stream
 * at GATE_QUEUE_MAX held, or GATE_HELD_MAX in all, is kept for a stream
 * that would hold here.)
 *
 * Scale-out (issue 9): the partitions here are those assigned to this
 * instance. With several instances the others' partitions report their
 * crossing through the shared statistics topic, and stats.c decides the
 * boundary instead of gate_due(), from gate_source() of each owned source
 * and the records of the others.
 *
 * No Kafka here: a held message is an opaque item of the caller's.
 *
 * Cost: the ids are sparse (input partitions from 0, repartition streams
 * from 4096: daemon/kafka.h), so the walks over every source (gate_due()
 * on each turn of the work loop, the crossing's gate_next_idle() and
 * gate_next_holding()) go through the ids in use, kept in order, not
 * through the whole array.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct gate_item {
	void		 *item;
	struct gate_item *next;
};

struct gate_part {
	int		 assigned;
	int		 eof;		/* at the high watermark */
	int		 seen;		/* a record since the assignment */
	int64_t		 last_ms;	/* newest record written (or assignment) */
	long		 epoch;		/* the epoch the head needs */
	struct gate_item *head, *tail;
	size_t		 queued;	/* items held */
	int		 paused;	/* by the gate (kafka.c) */
	int		 listed;	/* in ids */
};

struct gate {
	struct gate_part *parts;	/* indexed by partition */
	int32_t		  nparts;
	int32_t		 *ids;		/* the partitions of parts in use, */
	int32_t		  nids;		/* ascending */
	size_t		  held;
};

struct gate *
gate_new(void)
{
	return xcalloc(1, sizeof(struct gate));
}

/* Every held item must have been taken (gate_revoke()) first. */
void
gate_free(struct gate *g)
{
	if (g == NULL)
		return;
	free(g->parts);
	free(g->ids);
	free(g);
}

static struct gate_part *
part(struct gate *g, int32_t partition)
{
	int32_t n;

	if (partition < 0)
		return NULL;
	if (partition >= g->nparts) {
		n = partition + 1 > g->nparts * 2 ? partition + 1 : g->nparts * 2;
		if ((g->parts = realloc(g->parts, (size_t)n * sizeof(*g->parts))) == NULL)
			fatal("realloc");
		memset(g->parts + g->nparts, 0,
		    (size_t)(n - g->nparts) * sizeof(*g->parts));
		g->nparts = n;
	}
	if (!g->parts[partition].listed) {
		int32_t i = g->nids;

		/* grown a power of two at a time */
		if ((g->nids & (g->nids - 1)) == 0 && (g->ids = realloc(g->ids,
		    (size_t)(g->nids > 0 ? g->nids * 2 : 1) * sizeof(*g->ids))) == NULL)
			fatal("realloc");
		for (; i > 0 && g->ids[i - 1] > partition; i--)
			g->ids[i] = g->ids[i - 1];
		g->ids[i] = partition;
		g->nids++;
		g->parts[partition].listed = 1;
	}
	return &g->parts[partition];
}

/* The index in g->ids of the first id above after. */
static int32_t
first_after(const struct gate *g, int32_t after)
{
	int32_t lo = 0, hi = g->nids;

	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;

		if (g->ids[mid] <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The partition is ours; silent since now_ms. */
void
gate_assign(struct gate *g, int32_t partition, int64_t now_ms)
{
	struct gate_part *gp = part(g, partition);

	if (gp == NULL)
		return;
	gp->assigned = 1;
	gp->eof = 0;
	gp->seen = 0;
	gp->last_ms = now_ms;
}

/* The partition is given up: each held item goes to drop(arg, item), in
 * order. */
void
gate_revoke(struct gate *g, int32_t partition, void (*drop)(void *, void *),
    void *arg)
{
	struct gate_part *gp = part(g, partition);
	struct gate_item *it;

	if (gp == NULL)
		return;
	gp->assigned = 0;
	gp->paused = 0;
	while ((it = gp->head) != NULL) {
		gp->head = it->next;
		g->held--;
		gp->queued--;
		drop(arg, it->item);
		free(it);
	}
	gp->tail = NULL;
}

/* Every partition given up (shutdown, a failed rebalance). */
void
gate_revoke_all(struct gate *g, void (*drop)(void *, void *), void *arg)
{
	for (int32_t i = 0; i < g->nids; i++)
		gate_revoke(g, g->ids[i], drop, arg);
}

/* A record of the partition arrived, written at written_ms on the gate's
 * clock (eof: the consumer's end-of-partition report instead, written_ms
 * unused). The partition's silence counts from its newest record: record
 * timestamps need not grow (a producer's clock, a retried batch). */
void
gate_seen(struct gate *g, int32_t partition, int64_t written_ms, int eof)
{
	struct gate_part *gp = part(g, partition);

	if (gp == NULL)
		return;
	gp->eof = eof;
	if (eof)
		return;
	if (!gp->seen || written_ms > gp->last_ms)
		gp->last_ms = written_ms;
	gp->seen = 1;
}

/* The partition is known to be complete (route.c: a repartition stream
 * this instance alone feeds and has read back): at its end, silent since
 * silent_ms, even if its newest record is younger. */
void
gate_complete(struct gate *g, int32_t partition, int64_t silent_ms)
{
	struct gate_part *gp = part(g, partition);

	if (gp == NULL)
		return;
	gp->last_ms = silent_ms;
	gp->seen = 1;
	gp->eof = 1;
}

/* The broker says the partition has more than the consumer read: not at
 * its end until the consumer reports the end again. */
void
gate_more(struct gate *g, int32_t partition)
{
	struct gate_part *gp = part(g, partition);

	if (gp != NULL)
		gp->eof = 0;
}

/* 1 if the partition holds messages. */
int
gate_holding(const struct gate *g, int32_t partition)
{
	return partition >= 0 && partition < g->nparts &&
	    g->parts[partition].head != NULL;
}

size_t
gate_held(const struct gate *g)
{
	return g->held;
}

/* Holds item at the end of the partition's queue (front: at its head,
 * needing epoch; behind a held one the epoch is not known yet and not
 * needed). */
void
gate_hold(struct gate *g, int32_t partition, void *item, long epoch, int front)
{
	struct gate_part *gp = part(g, partition);
	struct gate_item *it = xcalloc(1, sizeof(*it));

	it->item = item;
	if (front || gp->head == NULL) {
		it->next = gp->head;
		gp->head = it;
		if (gp->tail == NULL)
			gp->tail = it;
		gp->epoch = epoch;
	} else {
		gp->tail->next = it;
		gp->tail = it;
	}
	gp->queued++;
	g->held++;
}

/* Items the partition holds. */
size_t
gate_queued(const struct gate *g, int32_t partition)
{
	return gate_holding(g, partition) ? g->parts[partition].queued : 0;
}

/* Whether the gate paused the partition (the caller's pause_partitions). */
void
gate_set_paused(struct gate *g, int32_t partition, int paused)
{
	struct gate_part *gp = part(g, partition);

	if (gp != NULL)
		gp->paused = paused;
}

int
gate_paused(const struct gate *g, int32_t partition)
{
	return partition >= 0 && partition < g->nparts && g->parts[partition].paused;
}

/* The partition's first held item, left in place; NULL when none. */
void *
gate_head(const struct gate *g, int32_t partition)
{
	return gate_holding(g, partition) ? g->parts[partition].head->item : NULL;
}

/* Takes the partition's first held item; NULL when none. */
void *
gate_pop(struct gate *g, int32_t partition)
{
	struct gate_part *gp;
	struct gate_item *it;
	void *item;

	if (!gate_holding(g, partition))
		return NULL;
	gp = &g->parts[partition];
	it = gp->head;
	if ((gp->head = it->next) == NULL)
		gp->tail = NULL;
	g->held--;
	gp->queued--;
	item = it->item;
	free(it);
	return item;
}

/* 1 when the pipeline may enter a new epoch: some partition holds a
 * message and every assigned partition holds one or is idle; *epoch is
 * then the smallest epoch a held message needs. */
int
gate_due(const struct gate *g, int64_t now_ms, int64_t idle_ms, long *epoch)
{
	long min = LONG_MAX;

	for (int32_t i = 0; i < g->nids; i++) {
		const struct gate_part *gp = &g->parts[g->ids[i]];

		if (gp->head != NULL) {
			if (gp->epoch < min)
				min = gp->epoch;
			continue;
		}
		if (gp->assigned && !(gp->eof && now_ms - gp->last_ms >= idle_ms))
			return 0;	/* still delivering this epoch */
	}
	if (min == LONG_MAX)
		return 0;
	*epoch = min;
	return 1;
}

/* The next partition after `after` (-1: from the start) that is assigned,
 * holds nothing and counts as idle at now_ms, or -1: the caller confirms
 * with the broker that it is caught up (the end it last reported may be
 * stale when a burst just arrived). */
int32_t
gate_next_idle(const struct gate *g, int32_t after, int64_t now_ms, int64_t idle_ms)
{
	for (int32_t i = first_after(g, after); i < g->nids; i++) {
		const struct gate_part *gp = &g->parts[g->ids[i]];

		if (gp->assigned && gp->head == NULL && gp->eof &&
		    now_ms - gp->last_ms >= idle_ms)
			return g->ids[i];
	}
	return -1;
}

/* The next partition after `after` (-1: from the start) that holds
 * messages, or -1. */
int32_t
gate_next_holding(const struct gate *g, int32_t after)
{
	for (int32_t i = first_after(g, after); i < g->nids; i++)
		if (g->parts[g->ids[i]].head != NULL)
			return g->ids[i];
	return -1;
}

/* Where a source of the gate stands for the shared statistics (stats.c),
 * which decide the boundary themselves when several instances share the
 * input: GATE_SRC_HOLDING with *epoch the epoch its held message needs,
 * GATE_SRC_IDLE (assigned, at its end and silent for idle_ms: the caller
 * confirms the end with the broker), GATE_SRC_BUSY (assigned, still
 * delivering this epoch) or GATE_SRC_NONE (not ours). */
int
gate_source(const struct gate *g, int32_t id, int64_t now_ms, int64_t idle_ms,
    long *epoch)
{
	const struct gate_part *gp;

	if (id < 0 || id >= g->nparts)
		return GATE_SRC_NONE;
	gp = &g->parts[id];
	if (gp->head != NULL) {
		*epoch = gp->epoch;
		return GATE_SRC_HOLDING;
	}
	if (!gp->assigned)
		return GATE_SRC_NONE;
	return gp->eof && now_ms - gp->last_ms >= idle_ms ? GATE_SRC_IDLE :
	    GATE_SRC_BUSY;
}

/* 1 when the partition is assigned to this instance. */
int
gate_assigned(const struct gate *g, int32_t id)
{
	return id >= 0 && id < g->nparts && g->parts[id].assigned;
}

/* See daemon.h: every assigned source read to its end and silent, none
 * holding (the work loop's quiet input, durable_quiet()). */
int
gate_quiet(const struct gate *g, int64_t now_ms, int64_t idle_ms)
{
	int assigned = 0;

	for (int32_t i = 0; i < g->nids; i++) {
		const struct gate_part *gp = &g->parts[g->ids[i]];

		if (gp->head != NULL)
			return 0;
		if (!gp->assigned)
			continue;
		if (!gp->eof || now_ms - gp->last_ms < idle_ms)
			return 0;
		assigned = 1;
	}
	return assigned;
}
