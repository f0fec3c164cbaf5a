/*
 * track.c: the in-order offset tracker behind at-least-once delivery.
 *
 * Design note: each input message gets an entry from a fixed pool; the
 * entry counts the outputs it caused that have no delivery report yet
 * (`pending`), and every produced record carries the entry as its opaque
 * (kafka.c). Entries of one partition form a FIFO in consumption order. An
 * input offset is handed to the store callback only when its entry and
 * every entry before it in the same partition are complete (no pending
 * outputs, none failed), so the committed offset never passes a message
 * whose outputs might be lost. A failed entry blocks its partition for
 * good: the work loop stops, and the daemon reads the events from the
 * failed one on again after its restart.
 *
 * Memory is bounded: the pool caps in-flight input messages, and the work
 * loop never consumes without a free entry (track_full()).
 *
 * Revoked partitions: track_revoke() bumps the partition's generation.
 * Entries still pending then are orphaned: they leave the FIFO when
 * complete without storing anything, since the partition may belong to
 * another consumer by then.
 *
 * Checkpoints: with a cap set (track_set_cap()), what is stored never
 * passes the next offset of the partition's latest durable checkpoint, so
 * the group's committed offset never runs ahead of the state on disk.
 *
 * The tracker knows nothing of Kafka: offsets are int64_t, partitions
 * int32_t, and storing is the caller's callback. All calls come from the
 * work loop's thread (delivery reports and rebalances are served there).
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

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
	int64_t			 done;		/* last complete offset, -1 none */
	int64_t			 stored;	/* last offset handed to store, -1 */
	int			 capped;	/* store no offset >= cap */
	int64_t			 cap;		/* next offset of the checkpoint */
};

struct track {
	struct track_entry	*pool;		/* npool entries */
	struct track_entry	*free_list;
	size_t			 inflight;	/* entries in use */
	struct track_part	**parts;	/* indexed by partition id */
	int32_t			 nparts;
	/* The ids in use, so that a turn's track_advance() visits those only
	 * (repartition ids start at 4096: daemon/kafka.h). */
	int32_t			*used;
	int32_t			 nused;
};

/* A tracker of npool entries, all free. New (track_free()); dies on OOM. */
struct track *
track_new(size_t npool)
{
	struct track	*t;
	size_t		 i;

	t = xcalloc(1, sizeof(*t));
	t->pool = xcalloc(npool, sizeof(*t->pool));
	for (i = 0; i < npool; i++)
		t->pool[i].next = i + 1 < npool ? &t->pool[i + 1] : NULL;
	t->free_list = npool > 0 ? &t->pool[0] : NULL;
	return t;
}

/* Frees t and every entry (pending ones included). NULL-safe. */
void
track_free(struct track *t)
{
	int32_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++)
		free(t->parts[i]);
	free(t->parts);
	free(t->used);
	free(t->pool);
	free(t);
}

/* The record of a partition, created on first use; NULL if partition < 0. */
static struct track_part *
track_part(struct track *t, int32_t partition)
{
	int32_t n;

	if (partition < 0)
		return NULL;
	if (partition >= t->nparts) {
		n = partition + 1 > t->nparts * 2 ? partition + 1 : t->nparts * 2;
		t->parts = realloc(t->parts, (size_t)n * sizeof(*t->parts));
		if (t->parts == NULL)
			fatal("realloc");
		memset(t->parts + t->nparts, 0,
		    (size_t)(n - t->nparts) * sizeof(*t->parts));
		t->nparts = n;
	}
	if (t->parts[partition] == NULL) {
		/* one more id: grown a power of two at a time */
		if ((t->nused & (t->nused - 1)) == 0 && (t->used = realloc(t->used,
		    (size_t)(t->nused > 0 ? t->nused * 2 : 1) * sizeof(*t->used))) == NULL)
			fatal("realloc");
		t->used[t->nused++] = partition;
		t->parts[partition] = xcalloc(1, sizeof(struct track_part));
		t->parts[partition]->partition = partition;
		t->parts[partition]->done = t->parts[partition]->stored = -1;
	}
	return t->parts[partition];
}

/*
 * Takes a free entry for a message just consumed, open (its outputs are
 * still being emitted) until track_end(). Borrowed; NULL for a negative
 * partition. The caller made sure one is free (!track_full()).
 */
struct track_entry *
track_begin(struct track *t, int32_t partition, int64_t offset)
{
	struct track_part	*tp;
	struct track_entry	*e = t->free_list;

	if ((tp = track_part(t, partition)) == NULL)
		return NULL;
	if (e == NULL)
		fatalx("offset tracker: no free entry (consumed while full)");
	t->free_list = e->next;
	t->inflight++;
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

/* All outputs of e are emitted; failed: some may be missing, so its offset
 * (and every later one of the partition) must never be stored. */
void
track_end(struct track_entry *e, int failed)
{
	e->open = 0;
	if (failed)
		e->failed = 1;
}

/* One more output of e awaits its delivery report. */
void
track_output(struct track_entry *e)
{
	e->pending++;
}

/* The delivery report of one output of e: ok, or failed for good. */
void
track_delivered(struct track_entry *e, int ok)
{
	if (!ok)
		e->failed = 1;
	e->pending--;
}

/* Where e's input came from: its partition and offset. */
void
track_entry_source(const struct track_entry *e, int32_t *partition,
    int64_t *offset)
{
	*partition = e->part != NULL ? e->part->partition : -1;
	*offset = e->offset;
}

/* The partition is ours (again). */
void
track_assign(struct track *t, int32_t partition)
{
	struct track_part *tp;

	if ((tp = track_part(t, partition)) != NULL) {
		tp->assigned = 1;
		tp->done = tp->stored = -1;
	}
}

static void	store_capped(struct track_part *, track_store_fn, void *);

/* The partition resumes at next_offset, where its state stands: what lies
 * before counts as complete and is stored as far as the cap allows, so
 * that the group's offset reaches the state even when nothing more is read
 * (a partition restored or taken back at its end, ahead of the commit). */
void
track_resume(struct track *t, int32_t partition, int64_t next_offset,
    track_store_fn store, void *arg)
{
	struct track_part *tp;

	if ((tp = track_part(t, partition)) == NULL || !tp->assigned ||
	    next_offset - 1 <= tp->done)
		return;
	tp->done = next_offset - 1;
	store_capped(tp, store, arg);
}

/* What may be stored of tp now: its last complete offset, below the cap. */
static void
store_capped(struct track_part *tp, track_store_fn store, void *arg)
{
	int64_t v = tp->done;

	if (tp->capped && v > tp->cap - 1)
		v = tp->cap - 1;
	if (v >= 0 && v > tp->stored) {
		tp->stored = v;
		store(arg, tp->partition, v);
	}
}

/* From now on the partition's stored offsets stay below next_offset, the
 * next input offset of its latest durable checkpoint (-1: none yet, store
 * nothing); stores what that allows now. */
void
track_set_cap(struct track *t, int32_t partition, int64_t next_offset,
    track_store_fn store, void *arg)
{
	struct track_part *tp;

	if ((tp = track_part(t, partition)) == NULL)
		return;
	tp->capped = 1;
	tp->cap = next_offset;
	if (tp->assigned)
		store_capped(tp, store, arg);
}

/* The partition is given up: what is still in flight is orphaned. */
void
track_revoke(struct track *t, int32_t partition)
{
	struct track_part *tp;

	if ((tp = track_part(t, partition)) == NULL)
		return;
	tp->assigned = 0;
	tp->gen++;
}

/* Every assigned partition is given up (a failed rebalance). */
void
track_revoke_all(struct track *t)
{
	int32_t	i;

	for (i = 0; i < t->nparts; i++)
		if (t->parts[i] != NULL && t->parts[i]->assigned) {
			t->parts[i]->assigned = 0;
			t->parts[i]->gen++;
		}
}

/* Pops the complete prefix of one partition's FIFO and stores the offset
 * of the last one, if the partition is still ours. */
static void
track_advance_part(struct track *t, struct track_part *tp, track_store_fn store,
    void *arg)
{
	struct track_entry	*e;
	int64_t			 last = -1;

	while ((e = tp->head) != NULL && !e->open && e->pending == 0 && !e->failed) {
		if (e->gen == tp->gen && tp->assigned)
			last = e->offset;
		tp->head = e->next;
		if (tp->head == NULL)
			tp->tail = NULL;
		e->next = t->free_list;
		e->part = NULL;
		t->free_list = e;
		t->inflight--;
	}
	if (last >= 0) {
		tp->done = last;
		store_capped(tp, store, arg);
	}
}

/* Frees the complete prefix of every partition, calling store(arg,
 * partition, offset) with the last complete offset of each assigned one. */
void
track_advance(struct track *t, track_store_fn store, void *arg)
{
	struct track_part *tp;

	for (int32_t i = 0; i < t->nused; i++)
		if ((tp = t->parts[t->used[i]])->head != NULL)
			track_advance_part(t, tp, store, arg);
}

/* Input messages whose entries are in use. */
size_t
track_inflight(const struct track *t)
{
	return t->inflight;
}

/* 1 when no entry is free: consuming must wait for deliveries. */
int
track_full(const struct track *t)
{
	return t->free_list == NULL;
}
