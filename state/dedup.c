/*
 * dedup.c: "was this source+id seen recently?" in bounded memory.
 *
 * Keeps the 64-bit hashes of the last `capacity` new pairs: a ring in
 * arrival order (for eviction) plus an open-addressed set of positions in
 * the ring (32 bits a slot: position + 1, 0 empty; linear probing on the
 * hash at that position, at most half full, deletion by backward shift so
 * no tombstones). Memory is 8 bytes per remembered pair in the ring and 8
 * to 16 in the set (issue 13 item 2: the set held the hashes themselves,
 * twice as much, before). The ring is reserved at
 * dedup_new() but touched only as it fills; the set, whose pages a hash
 * would touch all at once, starts at SET_MIN slots and doubles as pairs
 * arrive, up to twice the capacity, so a shard that has seen few events
 * holds little. Only those doublings allocate (log2 of the capacity
 * times); when one fails, the window just evicts its oldest early.
 *
 * Only hashes are stored, so two different pairs with the same hash look
 * like a repeat. With a well-mixed 64-bit hash and n pairs remembered, a
 * new pair is wrongly taken for a duplicate with probability about
 * n / 2^64: for n = 10^6 that is 5e-14 per event, i.e. one false drop in
 * roughly 2e13 events. The pair is hashed as source, a NUL byte, id, so
 * ("ab","c") and ("a","bc") differ.
 */
#include <stdlib.h>
#include <string.h>

#include "serial.h"
#include "table.h"

#define SET_MIN	1024
#define DEDUP_CAPACITY_MAX ((size_t)1 << 30)	/* positions fit in a slot */

struct dedup {
	uint64_t	*ring;		/* capacity hashes, arrival order */
	size_t		 cap, n, head;
	uint32_t	*set;		/* ring position + 1, 0 = empty */
	size_t		 mask;
	size_t		 max_slots;	/* the set's bound: 2 * cap, a power of 2 */
};

/* Returns a new dedup window for capacity pairs (>= 1), NULL on ENOMEM. */
struct dedup *
dedup_new(size_t capacity)
{
	struct dedup *d;
	size_t n = 8;

	if (capacity == 0)
		capacity = 1;
	if (capacity > DEDUP_CAPACITY_MAX)
		capacity = DEDUP_CAPACITY_MAX;
	while (n < capacity * 2)
		n <<= 1;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->cap = capacity;
	d->max_slots = n;
	if (n > SET_MIN)
		n = SET_MIN;
	d->mask = n - 1;
	d->ring = calloc(capacity, sizeof(*d->ring));
	d->set = calloc(n, sizeof(*d->set));
	if (d->ring == NULL || d->set == NULL) {
		dedup_free(d);
		return NULL;
	}
	return d;
}

/* Frees d; NULL is a no-op. */
void
dedup_free(struct dedup *d)
{
	if (d == NULL)
		return;
	free(d->ring);
	free(d->set);
	free(d);
}

static uint64_t
pair_hash(const char *source, const char *id)
{
	static const char sep = '\0';
	uint64_t h = TABLE_HASH_INIT;

	h = table_hash_bytes(h, source, strlen(source));
	h = table_hash_bytes(h, &sep, 1);
	h = table_hash_bytes(h, id, strlen(id));
	h = table_hash_mix(h);
	return h == 0 ? 1 : h;		/* 0 marks an empty slot */
}

/* The hash a set slot's value v (ring position + 1) stands for. */
static uint64_t
at(const struct dedup *d, uint32_t v)
{
	return d->ring[v - 1];
}

/* Removes ring position pos from the set, shifting later members of its
 * cluster back. */
static void
set_remove(struct dedup *d, size_t pos)
{
	size_t i = (size_t)d->ring[pos] & d->mask, j, k;

	while (d->set[i] != pos + 1) {
		if (d->set[i] == 0)
			return;
		i = (i + 1) & d->mask;
	}
	j = i;
	for (;;) {
		d->set[i] = 0;
		for (;;) {
			j = (j + 1) & d->mask;
			if (d->set[j] == 0)
				return;
			k = (size_t)at(d, d->set[j]) & d->mask;
			/* Move set[j] into the hole at i unless its home k lies
			 * cyclically in (i, j]. */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		d->set[i] = d->set[j];
		i = j;
	}
}

/* Puts ring position pos (its hash already in the ring) into the set. */
static void
set_insert(struct dedup *d, size_t pos)
{
	size_t i = (size_t)d->ring[pos] & d->mask;

	while (d->set[i] != 0)
		i = (i + 1) & d->mask;
	d->set[i] = (uint32_t)(pos + 1);
}

/* 1 if h is in the set. */
static int
set_has(const struct dedup *d, uint64_t h)
{
	size_t i = (size_t)h & d->mask;

	for (; d->set[i] != 0; i = (i + 1) & d->mask)
		if (at(d, d->set[i]) == h)
			return 1;
	return 0;
}

/* Doubles the set while it would be over half full with one more pair;
 * the ring says what it holds. On ENOMEM the set stays as it is. */
static void
grow(struct dedup *d)
{
	size_t slots = d->mask + 1, i, first;
	uint32_t *ns;

	if ((d->n + 1) * 2 <= slots || slots >= d->max_slots)
		return;
	if ((ns = calloc(slots * 2, sizeof(*ns))) == NULL)
		return;
	free(d->set);
	d->set = ns;
	d->mask = slots * 2 - 1;
	first = (d->head + d->cap - d->n) % d->cap;
	for (i = 0; i < d->n; i++)
		set_insert(d, (first + i) % d->cap);
}

/* Returns 1 if source+id is among the last `capacity` new pairs (and
 * leaves the window as is), 0 if not (and records it, evicting the
 * oldest when full). */
int
dedup_check(struct dedup *d, const char *source, const char *id)
{
	uint64_t h = pair_hash(source ? source : "", id ? id : "");

	if (set_has(d, h))
		return 1;
	grow(d);
	if (d->n == d->cap || (d->n + 1) * 2 > d->mask + 1)	/* full: the oldest goes */
		set_remove(d, (d->head + d->cap - d->n--) % d->cap);
	d->ring[d->head] = h;
	set_insert(d, d->head);
	d->head = (d->head + 1) % d->cap;
	d->n++;
	return 0;
}

/* Appends the window to w: u64 count, then the hashes oldest first. */
void
dedup_save(const struct dedup *d, struct wbuf *w)
{
	size_t i, at = (d->head + d->cap - d->n) % d->cap;

	wbuf_u64(w, d->n);
	for (i = 0; i < d->n; i++)
		wbuf_u64(w, d->ring[(at + i) % d->cap]);
}

/* Reads a dedup_save() section into d, which must be empty (new). When
 * the section holds more hashes than d's capacity, the oldest are
 * skipped. A zero hash or a repeated one is invalid. Returns 0, or -1
 * with the reader failed. */
int
dedup_load(struct dedup *d, struct rbuf *r)
{
	uint64_t n = rbuf_u64(r), h, i;

	if (d->n != 0 || n > rbuf_left(r) / 8)
		return rbuf_fail(r) - 1;
	for (i = 0; i < n; i++) {
		if ((h = rbuf_u64(r)) == 0)
			return rbuf_fail(r) - 1;
		if (n - i > d->cap)
			continue;
		grow(d);	/* the set follows the pairs, as in dedup_check() */
		if ((d->n + 1) * 2 > d->mask + 1)
			return rbuf_fail(r) - 1;	/* no memory to grow: refuse */
		if (set_has(d, h))
			return rbuf_fail(r) - 1;
		d->ring[d->head] = h;
		set_insert(d, d->head);
		d->head = (d->head + 1) % d->cap;
		d->n++;
	}
	return r->failed ? -1 : 0;
}
