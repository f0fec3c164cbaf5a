/*
 * erased.c: the set of erased employees of a shard, as keyed hashes.
 *
 * Members are SipHash-2-4 values of the ids (siphash.c), never the ids: a
 * checkpoint then proves that an id was erased only to whoever holds the
 * key. A sorted array: lookups are a binary search per event (erasures
 * are rare, so the set is small and insertion's memmove is cheap), and
 * the checkpoint writes it in order, so equal sets give equal bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "serial.h"
#include "table.h"

#define ERASED_MAX (1u << 24)	/* 128 MiB of hashes: a file beyond is invalid */

struct erased {
	uint64_t	*v;		/* sorted, distinct */
	size_t		 n, cap;
};

/* Returns a new empty set, NULL on ENOMEM. */
struct erased *
erased_new(void)
{
	return calloc(1, sizeof(struct erased));
}

/* Frees s; NULL is a no-op. */
void
erased_free(struct erased *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s);
}

/* Index of the first member >= h. */
static size_t
lower_bound(const struct erased *s, uint64_t h)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->v[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Returns 1 if h is in s. */
int
erased_has(const struct erased *s, uint64_t h)
{
	size_t i = lower_bound(s, h);

	return i < s->n && s->v[i] == h;
}

/* Adds h; returns 0 (also when present), -1 on ENOMEM or when full. */
int
erased_add(struct erased *s, uint64_t h)
{
	size_t i = lower_bound(s, h), cap;
	uint64_t *v;

	if (i < s->n && s->v[i] == h)
		return 0;
	if (s->n >= ERASED_MAX)
		return -1;
	if (s->n == s->cap) {
		cap = s->cap ? s->cap * 2 : 64;
		if ((v = realloc(s->v, cap * sizeof(*v))) == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(*s->v));
	s->v[i] = h;
	s->n++;
	return 0;
}

size_t
erased_count(const struct erased *s)
{
	return s->n;
}

/* Appends s to w: u64 count, then the members in ascending order. */
void
erased_save(const struct erased *s, struct wbuf *w)
{
	wbuf_u64(w, s->n);
	for (size_t i = 0; i < s->n; i++)
		wbuf_u64(w, s->v[i]);
}

/* Reads an erased_save() section into the empty set s; members must be
 * strictly ascending. Returns 0, or -1 with the reader failed. */
int
erased_load(struct erased *s, struct rbuf *r)
{
	uint64_t n = rbuf_u64(r), h, prev = 0;

	if (s->n != 0 || n > rbuf_left(r) / 8 || n > ERASED_MAX)
		return rbuf_fail(r) - 1;
	if (n > 0 && (s->v = malloc((size_t)n * sizeof(*s->v))) == NULL)
		return rbuf_fail(r) - 1;
	s->cap = (size_t)n;
	for (uint64_t i = 0; i < n; i++) {
		h = rbuf_u64(r);
		if (i > 0 && h <= prev)
			return rbuf_fail(r) - 1;
		s->v[s->n++] = prev = h;
	}
	return r->failed ? -1 : 0;
}
