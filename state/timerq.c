/*
 * timerq.c: a shard's rescoring timers, a binary min-heap of records keyed
 * by the event time at which each is next due.
 *
 * Design: an entry is 8 bytes (issue 13 item 2; 16 before), a 32-bit key
 * and the record's index in the shard's table, which the queue is made
 * over (it reads a record through table_record()); the record keeps its
 * heap index + 1 in timer_pos (0: not queued), so that rescheduling and
 * removing an employee (erasure, expiry) are O(log n) without a search, and
 * its due minute in due_min, so that a checkpointed record brings its timer
 * back (timerq_set() again after loading). Due times are whole minutes
 * (rounded up: a timer never fires before the time asked for), 32 bits of
 * minutes since 1970. Entries with the same minute pop in the order of a
 * hash of the id and then the id itself: the order depends on the input
 * alone, never on insertion order or addresses, so outputs caused by
 * timers are deterministic. The key holds the minute in its top MIN_BITS
 * bits (up to the year 2225; event times end at 2100, table.h) and the
 * top TIE_BITS bits of the id's hash below, so that keys compare as the
 * order does; equal keys are told apart by what they leave out, read
 * from the records (the rest of the hash, then the id): 1 comparison in
 * 2^TIE_BITS of those in one minute. A minute past the field (a far
 * timer, never in practice) gets the key KEY_FAR, the same for all, and
 * far entries compare by their records' minutes; so a far entry is never
 * postponed lazily (below) but moved at once, and the order is exactly
 * the same as with full keys. The heap only grows (doubling); nothing
 * else allocates. A restored shard's timers are put back by
 * timerq_restore(), which builds the heap bottom-up in O(n) (a million
 * records: one pass instead of a million sifts up); since no two entries
 * compare equal, it pops in the same order as the timerq_set() of each.
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

#define MIN_BITS	27	/* minutes since 1970 up to the year 2225 */
#define TIE_BITS	(32 - MIN_BITS)
#define FIELD_FAR	((1u << MIN_BITS) - 1)	/* this minute and later */
#define KEY_FAR		(FIELD_FAR << TIE_BITS)	/* a far entry's key */

struct timer {
	uint32_t	 key;		/* minute field << TIE_BITS | tie's top */
	uint32_t	 idx;		/* the record's index in the table */
};

struct timerq {
	struct table	*t;		/* borrowed: the records queued */
	struct timer	*h;
	size_t		 n, cap;
};

/* Returns a new empty queue of records of t (borrowed: it must outlive
 * the queue), or NULL on ENOMEM. */
struct timerq *
timerq_new(struct table *t)
{
	struct timerq *q = calloc(1, sizeof(struct timerq));

	if (q != NULL)
		q->t = t;
	return q;
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

static uint32_t
tie_of(const struct employee *e)
{
	return (uint32_t)table_hash_mix(table_hash_bytes(TABLE_HASH_INIT, e->id,
	    strlen(e->id)));
}

/* The minute field of minute m. */
static uint32_t
field(uint32_t m)
{
	return m >= FIELD_FAR ? FIELD_FAR : m;
}

/* The key of minute m for a record whose id hashes to tie. */
static uint32_t
key_of(uint32_t m, uint32_t tie)
{
	return m >= FIELD_FAR ? KEY_FAR : m << TIE_BITS | tie >> MIN_BITS;
}

static struct employee *
rec(const struct timerq *q, const struct timer *a)
{
	return table_record(q->t, a->idx);
}

/* 1 if a pops before b: the keys, then on equal keys what they leave out
 * (far entries' minutes, the rest of the tie, the id), from the records. */
static int
before(const struct timerq *q, const struct timer *a, const struct timer *b)
{
	const struct employee *x, *y;
	uint32_t tx, ty;

	if (a->key != b->key)
		return a->key < b->key;
	x = rec(q, a);
	y = rec(q, b);
	if (a->key == KEY_FAR && x->due_min != y->due_min)
		return x->due_min < y->due_min;
	if ((tx = tie_of(x)) != (ty = tie_of(y)))
		return tx < ty;
	return strcmp(x->id, y->id) < 0;
}

static void
place(struct timerq *q, size_t i, struct timer t)
{
	q->h[i] = t;
	rec(q, &t)->timer_pos = (uint32_t)(i + 1);
}

static void
sift_up(struct timerq *q, size_t i)
{
	struct timer t = q->h[i];

	while (i > 0 && before(q, &t, &q->h[(i - 1) / 2])) {
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
		if (c + 1 < q->n && before(q, &q->h[c + 1], &q->h[c]))
			c++;
		if (!before(q, &q->h[c], &t))
			break;
		place(q, i, q->h[c]);
		i = c;
	}
	place(q, i, t);
}

/* Puts entry i, whose key changed either way, back in order. */
static void
resift(struct timerq *q, size_t i)
{
	struct employee *e = rec(q, &q->h[i]);

	sift_down(q, i);
	sift_up(q, (size_t)e->timer_pos - 1);
}

/* Takes entry i out of the heap. */
static void
take(struct timerq *q, size_t i)
{
	rec(q, &q->h[i])->timer_pos = 0;
	if (--q->n == i)
		return;
	place(q, i, q->h[q->n]);
	resift(q, i);
}

/* Queues e (a record of q's table, borrowed; it must stay there until
 * removed or popped) to be due at the minute at or after due_ms,
 * replacing its earlier due time. Returns 0, or -1 on ENOMEM or when e
 * is not in the table (e is then not queued). */
int
timerq_set(struct timerq *q, struct employee *e, int64_t due_ms)
{
	uint32_t m = timerq_minute(due_ms), idx;
	uint64_t h;
	size_t i;

	if (e->timer_pos != 0) {
		i = e->timer_pos - 1;
		if (q->h[i].key == KEY_FAR) {
			/* far entries are ordered by their records' minutes:
			 * moved eagerly, either way (far timers are rare) */
			if (m != e->due_min) {
				e->due_min = m;
				q->h[i].key = key_of(m, tie_of(e));
				resift(q, i);
			}
			return 0;
		}
		/* later (or equal): the entry's key stays as a lower bound,
		 * put right when it reaches the top (settle()), and the heap
		 * is not even read (the entry is at most the old due: a cache
		 * miss saved at a million records); earlier than the entry:
		 * the key decreases, the entry can only move up */
		if (m < e->due_min && m < q->h[i].key >> TIE_BITS) {
			q->h[i].key = m << TIE_BITS |
			    (q->h[i].key & ((1u << TIE_BITS) - 1));
			sift_up(q, i);
		}
		e->due_min = m;
		return 0;
	}
	if ((idx = table_index(q->t, e, &h)) == UINT32_MAX)
		return -1;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 256;
		struct timer *nh = realloc(q->h, cap * sizeof(*nh));

		if (nh == NULL) {
			e->due_min = 0;
			return -1;
		}
		q->h = nh;
		q->cap = cap;
	}
	e->due_min = m;
	q->h[q->n].key = key_of(m, (uint32_t)h);
	q->h[q->n].idx = idx;
	sift_up(q, q->n++);
	return 0;
}

/* Takes e out of q if it is queued. */
void
timerq_remove(struct timerq *q, struct employee *e)
{
	if (e->timer_pos != 0 && e->timer_pos <= q->n &&
	    rec(q, &q->h[e->timer_pos - 1]) == e)
		take(q, e->timer_pos - 1);
	e->timer_pos = 0;
	e->due_min = 0;
}

/* Makes the first entry current (see the top of the file), looking no
 * further than until_min: a first entry whose bound is later than that
 * has a real minute later still, and is left as it is. An entry is
 * current when its minute field is its record's (the tie's bits are the
 * id's, they never change). */
static void
settle(struct timerq *q, uint32_t until_min)
{
	uint32_t f, d;

	while (q->n != 0 && (f = q->h[0].key >> TIE_BITS) <= field(until_min) &&
	    f != field(d = rec(q, &q->h[0])->due_min)) {
		/* stale: f is below d's field, so not far, and its tie
		 * bits are the record's */
		q->h[0].key = d >= FIELD_FAR ? KEY_FAR : d << TIE_BITS |
		    (q->h[0].key & ((1u << TIE_BITS) - 1));
		sift_down(q, 0);
	}
}

/* The due time of the first record in ms, INT64_MAX when empty. */
int64_t
timerq_next_ms(struct timerq *q)
{
	settle(q, UINT32_MAX);
	return q->n == 0 ? INT64_MAX :
	    (int64_t)rec(q, &q->h[0])->due_min * 60000;
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
	if (q->n == 0)
		return NULL;
	e = rec(q, &q->h[0]);
	if ((int64_t)e->due_min * 60000 > until_ms)
		return NULL;
	*due_ms = (int64_t)e->due_min * 60000;
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

/* Queues every record of q's table that has a due minute (a restored
 * shard: its records' due_min came from the checkpoint) into the empty
 * q, in O(n). 0, or -1 when q is not empty or on ENOMEM (q is then left
 * empty and the records unqueued). */
int
timerq_restore(struct timerq *q)
{
	struct employee *e;
	size_t it = 0, n = table_count(q->t), i;

	if (q->n != 0)
		return -1;
	if (n > q->cap) {	/* room for every record: one pass, not two */
		struct timer *h = realloc(q->h, n * sizeof(*h));

		if (h == NULL)
			return -1;
		q->h = h;
		q->cap = n;
	}
	while ((e = table_next(q->t, &it)) != NULL && q->n < n) {
		if (e->due_min == 0)
			continue;
		q->h[q->n].key = key_of(e->due_min, tie_of(e));
		q->h[q->n].idx = (uint32_t)(it - 1);
		e->timer_pos = (uint32_t)++q->n;
	}
	for (i = q->n / 2; i-- > 0;)
		sift_down(q, i);
	return 0;
}
