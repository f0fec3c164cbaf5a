/*
 * dedup.c: "was this source+id seen recently?" in bounded memory.
 *
 * Keeps the 64-bit hashes of the last `capacity` new pairs: a ring in
 * arrival order (for eviction) plus an open-addressed set of positions in
 * the ring (linear probing, at most 3/4 full, deletion by backward shift
 * so no tombstones). A set slot is 32 bits: the ring position + 1 in its
 * low p bits (2^p > capacity; 0 empty) and the top 32 - p bits of the
 * pair's hash above them, a tag, so that a probe reads the ring (a cache
 * miss at a million pairs) only when the tag matches: 11 bits at the
 * default capacity of 2^20, so 1 probe in 2048. A slot's home is the
 * hash's low 32 bits scaled to the set's size (multiply and shift), so
 * the size need not be a power of 2. The ring is reserved at dedup_new()
 * but touched only as it fills; the set, whose pages a hash would touch
 * all at once, starts at SET_MIN slots and grows as pairs arrive in steps
 * of a quarter of a power of 2 (5/4, 6/5, 7/6, 8/7: step()), the last
 * step only to the 4/3 of the capacity that a full window needs, so a
 * shard that has seen few events holds little. Memory is 8 bytes per
 * remembered pair in the ring and 5.3 to 6.7 in the set (issue 13 item
 * 2: 5.3 to 10.7 while it doubled, 8 to 16 at half full and the hashes
 * themselves, twice as much, before that; at 100k employees 9.2 B
 * against 10.5). Only those steps allocate (4 per doubling); when one
 * fails, the window just evicts its oldest early.
 *
 * Only hashes are stored, so two different pairs with the same hash look
 * like a repeat. With a well-mixed 64-bit hash and n pairs remembered, a
 * new pair is wrongly taken for a duplicate with probability about
 * n / 2^64: for n = 10^6 that is 5e-14 per event, i.e. one false drop in
 * roughly 2e13 events. (The tag only decides whether to compare the full
 * hashes; it never decides a match.) The pair is hashed as source, a NUL
 * byte, id, so ("ab","c") and ("a","bc") differ.
 */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "serial.h"
#include "table.h"

#define SET_MIN	1024
#define DEDUP_CAPACITY_MAX ((size_t)1 << 30)	/* positions fit in a slot */

struct dedup {
	uint64_t	*ring;		/* capacity hashes, arrival order */
	size_t		 cap, n, head;
	uint32_t	*set;		/* tag << pbits | ring position + 1, 0 empty */
	size_t		 nslots;
	size_t		 max_slots;	/* the set's bound: 4/3 of cap, rounded up */
	unsigned	 pbits;		/* 2^pbits > cap */
	uint32_t	 pmask;		/* 2^pbits - 1 */
};

/* Returns a new dedup window for capacity pairs (>= 1), NULL on ENOMEM. */
struct dedup *
dedup_new(size_t capacity)
{
	struct dedup *d;

	if (capacity == 0)
		capacity = 1;
	if (capacity > DEDUP_CAPACITY_MAX)
		capacity = DEDUP_CAPACITY_MAX;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->cap = capacity;
	while (((size_t)1 << d->pbits) <= capacity)
		d->pbits++;
	d->pmask = (uint32_t)(((uint64_t)1 << d->pbits) - 1);
	d->max_slots = (capacity * 4 + 2) / 3 + 1;	/* a full window is <= 3/4 */
	d->nslots = d->max_slots < SET_MIN ? d->max_slots : SET_MIN;
	d->ring = calloc(capacity, sizeof(*d->ring));
	d->set = calloc(d->nslots, sizeof(*d->set));
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

/* The home slot of hash h. */
static size_t
home(const struct dedup *d, uint64_t h)
{
	return (size_t)(((h & 0xffffffffu) * (uint64_t)d->nslots) >> 32);
}

/* The tag bits of hash h, in place above the position bits. */
static uint32_t
tag(const struct dedup *d, uint64_t h)
{
	unsigned tb = 32 - d->pbits;

	return (uint32_t)((h >> (64 - tb)) << d->pbits);
}

static size_t
next(const struct dedup *d, size_t i)
{
	return i + 1 == d->nslots ? 0 : i + 1;
}

/* The hash a set slot's value v stands for. */
static uint64_t
at(const struct dedup *d, uint32_t v)
{
	return d->ring[(v & d->pmask) - 1];
}

/* Removes ring position pos from the set, shifting later members of its
 * cluster back. */
static void
set_remove(struct dedup *d, size_t pos)
{
	size_t i = home(d, d->ring[pos]), j, k;

	while ((d->set[i] & d->pmask) != pos + 1) {
		if (d->set[i] == 0)
			return;
		i = next(d, i);
	}
	j = i;
	for (;;) {
		d->set[i] = 0;
		for (;;) {
			j = next(d, j);
			if (d->set[j] == 0)
				return;
			k = home(d, at(d, d->set[j]));
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
	uint64_t h = d->ring[pos];
	size_t i = home(d, h);

	while (d->set[i] != 0)
		i = next(d, i);
	d->set[i] = tag(d, h) | (uint32_t)(pos + 1);
}

/* 1 if h is in the set. */
static int
set_has(const struct dedup *d, uint64_t h)
{
	size_t i = home(d, h);
	uint32_t t = tag(d, h);

	for (; d->set[i] != 0; i = next(d, i))
		if ((d->set[i] & ~d->pmask) == t && at(d, d->set[i]) == h)
			return 1;
	return 0;
}

/* 1 when one more pair would fill the set past 3/4. */
static int
crowded(const struct dedup *d)
{
	return (d->n + 1) * 4 > d->nslots * 3;
}

/* The set's size after n slots: a quarter of the power of 2 at or below
 * n more (1024, 1280, 1536, 1792, 2048, 2560, ...), at most max_slots. */
static size_t
step(const struct dedup *d, size_t n)
{
	size_t p = 1;

	while (p <= n / 2)
		p *= 2;
	n += p / 4 > 0 ? p / 4 : 1;
	return n < d->max_slots ? n : d->max_slots;
}

/* Grows the set a step (up to max_slots) while it would be over 3/4 full with
 * one more pair; the ring says what it holds. On ENOMEM the set stays as
 * it is. */
static void
grow(struct dedup *d)
{
	size_t slots, i, first;
	uint32_t *ns;

	if (!crowded(d) || d->nslots >= d->max_slots)
		return;
	slots = step(d, d->nslots);
	if ((ns = calloc(slots, sizeof(*ns))) == NULL)
		return;
	free(d->set);
	d->set = ns;
	d->nslots = slots;
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
	if (d->n == d->cap || crowded(d))	/* full: the oldest goes */
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

/* The set's size after n pairs have come in one at a time from empty
 * (grow() before each), so that a restored window evicts as the saved
 * one would have (crowded() reads the size). */
static size_t
slots_after(const struct dedup *d, size_t n)
{
	size_t slots = d->nslots;

	while (n * 4 > slots * 3 && slots < d->max_slots)
		slots = step(d, slots);
	return slots;
}

/* Puts ring position pos into the set unless its hash is there already
 * (one probe for both); 0, or -1 for a repeat. */
static int
set_insert_new(struct dedup *d, size_t pos)
{
	uint64_t h = d->ring[pos];
	size_t i = home(d, h);
	uint32_t t = tag(d, h);

	for (; d->set[i] != 0; i = next(d, i))
		if ((d->set[i] & ~d->pmask) == t && at(d, d->set[i]) == h)
			return -1;
	d->set[i] = t | (uint32_t)(pos + 1);
	return 0;
}

/* Reads a dedup_save() section into d, which must be empty (new). When
 * the section holds more hashes than d's capacity, the oldest are
 * skipped. A zero hash or a repeated one is invalid. Returns 0, or -1
 * with the reader failed.
 *
 * A restore puts up to a million hashes back (issue 13, the checkpoint
 * row): the set is made at once at the size the pairs one by one would
 * have grown it to (the same slots, in the same order, so the same set),
 * and the slots of a batch are prefetched before any is probed, since
 * each is a cache miss in megabytes of set. */
int
dedup_load(struct dedup *d, struct rbuf *r)
{
	enum { BATCH = 16 };
	uint64_t n = rbuf_u64(r), skip, keep, h, i, k, b;
	const unsigned char *p;
	uint32_t *ns;
	size_t slots;

	if (r->failed || d->n != 0 || n > rbuf_left(r) / 8 ||
	    (p = rbuf_take(r, 8 * n)) == NULL)
		return rbuf_fail(r) - 1;
	skip = n > d->cap ? n - d->cap : 0;
	keep = n - skip;
	if ((slots = slots_after(d, keep)) != d->nslots) {
		if ((ns = calloc(slots, sizeof(*ns))) == NULL)
			return rbuf_fail(r) - 1;	/* no memory to grow: refuse */
		free(d->set);
		d->set = ns;
		d->nslots = slots;
	}
	if (keep * 4 > d->nslots * 3)	/* as crowded() before the last */
		return rbuf_fail(r) - 1;
	for (i = 0; i < n; i++) {	/* the skipped ones are checked too */
		memcpy(&h, p + 8 * i, 8);
		if ((h = le64toh(h)) == 0)
			return rbuf_fail(r) - 1;
		if (i >= skip)
			d->ring[i - skip] = h;
	}
	for (i = 0; i < keep; i += b) {
		b = keep - i < BATCH ? keep - i : BATCH;
		for (k = 0; k < b; k++)
			__builtin_prefetch(&d->set[home(d, d->ring[i + k])], 1);
		for (k = 0; k < b; k++)
			if (set_insert_new(d, (size_t)(i + k)) == -1)
				return rbuf_fail(r) - 1;
	}
	d->n = keep;
	d->head = keep % d->cap;
	return 0;
}
