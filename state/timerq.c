/*
 * timerq.c: a shard's rescoring timers, a binary min-heap of records keyed
 * by the event time at which each is next due.
 *
 * Design: an entry is (due minute, tie, record), 16 bytes; the record keeps
 * its heap index + 1 in timer_pos (0: not queued), so that rescheduling and
 * removing an employee (erasure, expiry) are O(log n) without a search, and
 * its due minute in due_min, so that a checkpointed record brings its timer
 * back (timerq_set() again after loading). Due times are whole minutes
 * (rounded up: a timer never fires before the time asked for), 32 bits of
 * minutes since 1970. Entries with the same minute pop in the order of a
 * hash of the id and then the id itself: the order depends on the input
 * alone, never on insertion order or addresses, so outputs caused by
 * timers are deterministic. The heap only grows (doubling); nothing else
 * allocates. A restored shard's timers are put back by timerq_restore(),
 * which builds the heap bottom-up in O(n) (a million records: one pass
 * instead of a million sifts up); since no two entries compare equal, it
 * pops in the same order as the timerq_set() of each.
 *
 * Moving a due time later is lazy: a record scored again mostly moves its
 * timer later (a far record's refresh: days to weeks ahead), and sifting
 * it down through a heap holding the whole shard every time was the cost
 * of scoring at a million records. So an entry's minute is only a lower
 * bound of its record's due_min (the real one): a later due is written to
 * the record alone, an earlier one also to the entry (and sifted up).
 * The heap is ordered by the entries' keys, so the first entry has the
 * least bound; when it is stale (its minute before its record's), it is
 * given the real minute and sifted down before anything is popped or
 * reported, until the first entry is current. A current first entry's
 * real key is at most every other entry's bound, hence at most every
 * other real key: the pop order is exactly that of an eager heap, and a
 * record that moved later many times is sifted once. Each record keeps
 * its one entry; the checkpoint saves due_min, the real due.
 */
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct timer {
	uint32_t	 due_min;
	uint32_t	 tie;		/* hash of the id */
	struct employee	*e;
};

struct timerq {
	struct timer	*h;
	size_t		 n, cap;
};

/* Returns a new empty queue, or NULL on ENOMEM. */
struct timerq *
timerq_new(void)
{
	return calloc(1, sizeof(struct timerq));
}

/* Frees q; the records it points to are left alone (their timer_pos is not
 * reset: the table is freed with it). NULL is a no-op. */
void
timerq_free(struct timerq *q)
{
	if (q == NULL)
		return;
	free(q->h);
	free(q);
}

/* The minute at or after t_ms (0 for times before 1970, saturated at the
 * largest minute). */
uint32_t
timerq_minute(int64_t t_ms)
{
	int64_t m;

	if (t_ms <= 0)
		return 0;
	m = (t_ms + 59999) / 60000;
	return m > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)m;
}

/* 1 if a pops before b. */
static int
before(const struct timer *a, const struct timer *b)
{
	if (a->due_min != b->due_min)
		return a->due_min < b->due_min;
	if (a->tie != b->tie)
		return a->tie < b->tie;
	return strcmp(a->e->id, b->e->id) < 0;
}

static void
place(struct timerq *q, size_t i, struct timer t)
{
	q->h[i] = t;
	t.e->timer_pos = (uint32_t)(i + 1);
}

static void
sift_up(struct timerq *q, size_t i)
{
	struct timer t = q->h[i];

	while (i > 0 && before(&t, &q->h[(i - 1) / 2])) {
		place(q, i, q->h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(q, i, t);
}

static void
sift_down(struct timerq *q, size_t i)
{
	struct timer t = q->h[i];
	size_t c;

	while ((c = 2 * i + 1) < q->n) {
		if (c + 1 < q->n && before(&q->h[c + 1], &q->h[c]))
			c++;
		if (!before(&q->h[c], &t))
			break;
		place(q, i, q->h[c]);
		i = c;
	}
	place(q, i, t);
}

/* Takes entry i out of the heap. */
static void
take(struct timerq *q, size_t i)
{
	struct employee *moved;

	q->h[i].e->timer_pos = 0;
	if (--q->n == i)
		return;
	moved = q->h[q->n].e;
	place(q, i, q->h[q->n]);
	sift_down(q, i);
	sift_up(q, (size_t)moved->timer_pos - 1);
}

/* Queues e (borrowed; it must stay valid until removed or popped) to be
 * due at the minute at or after due_ms, replacing its earlier due time.
 * Returns 0, or -1 on ENOMEM (e is then not queued). */
int
timerq_set(struct timerq *q, struct employee *e, int64_t due_ms)
{
	struct timer t;
	size_t i;

	t.due_min = timerq_minute(due_ms);
	if (e->timer_pos != 0) {
		/* later (or equal): the entry's key stays as a lower bound,
		 * put right when it reaches the top (settle()), and the heap
		 * is not even read (the entry is at most the old due: a cache
		 * miss saved at a million records); earlier than the entry:
		 * the key decreases, the entry can only move up */
		i = e->timer_pos - 1;
		if (t.due_min < e->due_min && t.due_min < q->h[i].due_min) {
			q->h[i].due_min = t.due_min;
			sift_up(q, i);
		}
		e->due_min = t.due_min;
		return 0;
	}
	e->due_min = t.due_min;
	t.tie = (uint32_t)table_hash_mix(table_hash_bytes(TABLE_HASH_INIT, e->id,
	    strlen(e->id)));
	t.e = e;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct timer *h = realloc(q->h, cap * sizeof(*h));

		if (h == NULL) {
			e->due_min = 0;
			return -1;
		}
		q->h = h;
		q->cap = cap;
	}
	q->h[q->n] = t;
	sift_up(q, q->n++);
	return 0;
}

/* Takes e out of q if it is queued. */
void
timerq_remove(struct timerq *q, struct employee *e)
{
	if (e->timer_pos != 0 && e->timer_pos <= q->n && q->h[e->timer_pos - 1].e == e)
		take(q, e->timer_pos - 1);
	e->timer_pos = 0;
	e->due_min = 0;
}

/* Makes the first entry current (see the top of the file), looking no
 * further than until_min: a first entry whose bound is later than that
 * has a real minute later still, and is left as it is. */
static void
settle(struct timerq *q, uint32_t until_min)
{
	while (q->n != 0 && q->h[0].due_min <= until_min &&
	    q->h[0].due_min != q->h[0].e->due_min) {
		q->h[0].due_min = q->h[0].e->due_min;
		sift_down(q, 0);
	}
}

/* The due time of the first record in ms, INT64_MAX when empty. */
int64_t
timerq_next_ms(struct timerq *q)
{
	settle(q, UINT32_MAX);
	return q->n == 0 ? INT64_MAX : (int64_t)q->h[0].due_min * 60000;
}

/* Removes and returns the first record due at or before until_ms
 * (borrowed), with its due time in *due_ms; NULL when none is. */
struct employee *
timerq_pop(struct timerq *q, int64_t until_ms, int64_t *due_ms)
{
	struct employee *e;

	if (until_ms < 0)
		return NULL;
	settle(q, until_ms / 60000 >= UINT32_MAX ? UINT32_MAX :
	    (uint32_t)(until_ms / 60000));
	if (q->n == 0 || (int64_t)q->h[0].due_min * 60000 > until_ms)
		return NULL;
	e = q->h[0].e;
	*due_ms = (int64_t)q->h[0].due_min * 60000;
	take(q, 0);
	e->due_min = 0;
	return e;
}

/* Returns the number of queued records. */
size_t
timerq_count(const struct timerq *q)
{
	return q->n;
}

/* Queues every record of t that has a due minute (a restored shard: its
 * records' due_min came from the checkpoint) into the empty q, in O(n).
 * 0, or -1 when q is not empty or on ENOMEM (q is then left empty and
 * the records unqueued). */
int
timerq_restore(struct timerq *q, struct table *t)
{
	struct employee *e;
	size_t it = 0, n = table_count(t), i;

	if (q->n != 0)
		return -1;
	if (n > q->cap) {	/* room for every record: one pass, not two */
		struct timer *h = realloc(q->h, n * sizeof(*h));

		if (h == NULL)
			return -1;
		q->h = h;
		q->cap = n;
	}
	while ((e = table_next(t, &it)) != NULL && q->n < n) {
		if (e->due_min == 0)
			continue;
		q->h[q->n].due_min = e->due_min;
		q->h[q->n].tie = (uint32_t)table_hash_mix(table_hash_bytes(
		    TABLE_HASH_INIT, e->id, strlen(e->id)));
		q->h[q->n].e = e;
		e->timer_pos = (uint32_t)++q->n;
	}
	for (i = q->n / 2; i-- > 0;)
		sift_down(q, i);
	return 0;
}
