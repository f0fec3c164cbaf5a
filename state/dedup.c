/*
 * dedup.c: "was this source+id seen recently?" in bounded memory.
 *
 * Keeps the 64-bit hashes of the last `capacity` new pairs: a ring in
 * arrival order (for eviction) plus an open-addressed set (linear probing,
 * at most half full, deletion by backward shift so no tombstones). Memory
 * is about 24 bytes per remembered pair. The ring is reserved at
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

struct dedup {
	uint64_t	*ring;		/* capacity hashes, arrival order */
	size_t		 cap, n, head;
	uint64_t	*set;		/* 0 = empty */
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

/* Removes h from the set, shifting later members of its cluster back. */
static void
set_remove(struct dedup *d, uint64_t h)
{
	size_t i = (size_t)h & d->mask, j, k;

	while (d->set[i] != h) {
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
			k = (size_t)d->set[j] & d->mask;
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

/* Doubles the set while it would be over half full with one more pair;
 * the ring says what it holds. On ENOMEM the set stays as it is. */
static void
grow(struct dedup *d)
{
	size_t slots = d->mask + 1, i, k, at;
	uint64_t *ns;

	if ((d->n + 1) * 2 <= slots || slots >= d->max_slots)
		return;
	if ((ns = calloc(slots * 2, sizeof(*ns))) == NULL)
		return;
	at = (d->head + d->cap - d->n) % d->cap;
	for (i = 0; i < d->n; i++) {
		uint64_t h = d->ring[(at + i) % d->cap];

		k = (size_t)h & (slots * 2 - 1);
		while (ns[k] != 0)
			k = (k + 1) & (slots * 2 - 1);
		ns[k] = h;
	}
	free(d->set);
	d->set = ns;
	d->mask = slots * 2 - 1;
}

/* Returns 1 if source+id is among the last `capacity` new pairs (and
 * leaves the window as is), 0 if not (and records it, evicting the
 * oldest when full). */
int
dedup_check(struct dedup *d, const char *source, const char *id)
{
	uint64_t h = pair_hash(source ? source : "", id ? id : "");
	size_t i = (size_t)h & d->mask;

	while (d->set[i] != 0) {
		if (d->set[i] == h)
			return 1;
		i = (i + 1) & d->mask;
	}
	grow(d);
	if (d->n == d->cap || (d->n + 1) * 2 > d->mask + 1)	/* full: the oldest goes */
		set_remove(d, d->ring[(d->head + d->cap - d->n--) % d->cap]);
	/* a doubling or the hole may have moved our insertion point */
	i = (size_t)h & d->mask;
	while (d->set[i] != 0)
		i = (i + 1) & d->mask;
	d->set[i] = h;
	d->ring[d->head] = h;
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
	size_t k;

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
		k = (size_t)h & d->mask;
		while (d->set[k] != 0 && d->set[k] != h)
			k = (k + 1) & d->mask;
		if (d->set[k] == h)
			return rbuf_fail(r) - 1;
		d->set[k] = h;
		d->ring[d->head] = h;
		d->head = (d->head + 1) % d->cap;
		d->n++;
	}
	return r->failed ? -1 : 0;
}
