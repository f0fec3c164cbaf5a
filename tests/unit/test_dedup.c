/*
 * test_dedup.c: state/dedup.c, the window of recently seen source+id
 * pairs: seen and new, eviction at capacity in arrival order of new
 * pairs, and, against a plain reference list, random traffic through
 * many evictions (the set's deletion by backward shift).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../state/serial.h"
#include "../../state/table.h"
#include "check.h"

static void
test_seen_new(void)
{
	struct dedup *d = dedup_new(1000);

	CHECK(d != NULL);
	CHECK(dedup_check(d, "hris", "a") == 0);
	CHECK(dedup_check(d, "hris", "a") == 1);
	CHECK(dedup_check(d, "hris", "a") == 1);
	CHECK(dedup_check(d, "other", "a") == 0);	/* id unique per source */
	CHECK(dedup_check(d, "hrisa", "") == 0);	/* no concatenation clash */
	CHECK(dedup_check(d, "hris", "a") == 1);
	CHECK(dedup_check(d, "h", "risa") == 0);
	CHECK(dedup_check(d, NULL, "n") == 0);		/* NULL is the empty string */
	CHECK(dedup_check(d, "", "n") == 1);
	dedup_free(d);
}

static void
test_capacity(void)
{
	struct dedup *d = dedup_new(1000);
	char id[32];
	int i, bad = 0;

	/* the last 1000 are remembered, older ones are forgotten */
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "ev-%d", i);
		if (dedup_check(d, "s", id) != 0)
			bad++;
	}
	CHECK(bad == 0);
	for (i = 4000; i < 5000; i++) {
		snprintf(id, sizeof(id), "ev-%d", i);
		if (dedup_check(d, "s", id) != 1)
			bad++;
	}
	CHECK(bad == 0);
	/* 3999 was evicted; seeing it again is new and evicts 4000 */
	CHECK(dedup_check(d, "s", "ev-3999") == 0);
	CHECK(dedup_check(d, "s", "ev-4000") == 0);
	CHECK(dedup_check(d, "s", "ev-4999") == 1);
	CHECK(dedup_check(d, "s", "ev-3999") == 1);
	dedup_free(d);

	for (size_t cap = 0; cap <= 1; cap++) {	/* capacity 0 behaves as 1 */
		CHECK((d = dedup_new(cap)) != NULL);
		CHECK(dedup_check(d, "s", "x") == 0);
		CHECK(dedup_check(d, "s", "x") == 1);
		CHECK(dedup_check(d, "s", "y") == 0);
		CHECK(dedup_check(d, "s", "x") == 0);
		dedup_free(d);
	}
	dedup_free(NULL);

	/* a repeat does not refresh a pair: eviction follows first sight */
	d = dedup_new(3);
	CHECK(dedup_check(d, "s", "a") == 0);
	CHECK(dedup_check(d, "s", "b") == 0);
	CHECK(dedup_check(d, "s", "c") == 0);
	CHECK(dedup_check(d, "s", "a") == 1);
	CHECK(dedup_check(d, "s", "d") == 0);	/* evicts a, not b */
	CHECK(dedup_check(d, "s", "b") == 1);
	CHECK(dedup_check(d, "s", "a") == 0);	/* evicts b */
	CHECK(dedup_check(d, "s", "c") == 1);	/* window: c, d, a */
	dedup_free(d);
}

#define UNIVERSE 200

/* Reference: the last cap new pairs, oldest first. */
struct ref {
	int	*q;
	size_t	 cap, n;
};

static int
ref_check(struct ref *r, int x)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->q[i] == x)
			return 1;
	if (r->n == r->cap) {
		memmove(r->q, r->q + 1, (r->cap - 1) * sizeof(*r->q));
		r->n--;
	}
	r->q[r->n++] = x;
	return 0;
}

/* Random traffic over a small universe, so pairs recur, are evicted and
 * come back many times; every answer must match the reference. */
static void
test_against_reference(size_t cap, uint32_t seed)
{
	struct dedup *d = dedup_new(cap);
	struct ref r = { calloc(cap, sizeof(int)), cap, 0 };
	char id[16];
	int bad = 0, seen = 0;

	CHECK(d != NULL && r.q != NULL);
	if (d == NULL || r.q == NULL)
		goto out;
	for (int i = 0; i < 20000; i++) {
		int x, want, got;

		seed = seed * 1664525u + 1013904223u;
		x = (int)((seed >> 8) % (cap < UNIVERSE ? UNIVERSE : cap * 3 / 2));
		snprintf(id, sizeof(id), "%d", x);
		want = ref_check(&r, x);
		got = dedup_check(d, x % 2 ? "odd" : "even", id);
		if (got != want)
			bad++;
		seen += got;
	}
	CHECK(bad == 0);
	CHECK(seen > 0);	/* the traffic did repeat */
	if (bad != 0)
		fprintf(stderr, "capacity %zu: %d answers differ\n", cap, bad);
out:
	free(r.q);
	dedup_free(d);
}

/* A window saved and loaded into a fresh one past the set's first size
 * (it grows on the way, as dedup_check() grows it) answers the same. */
static void
test_save_load(void)
{
	struct dedup *a = dedup_new(6000), *b = dedup_new(6000);
	struct wbuf w;
	struct rbuf r;
	char id[16];
	int bad = 0;

	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "%d", i);
		(void)dedup_check(a, "s", id);
	}
	wbuf_init(&w);
	dedup_save(a, &w);
	rbuf_init(&r, w.p, w.len);
	CHECK(dedup_load(b, &r) == 0);
	for (int i = 0; i < 5500; i++) {
		snprintf(id, sizeof(id), "%d", i);
		if (dedup_check(b, "s", id) != (i < 5000))
			bad++;
	}
	CHECK(bad == 0);
	wbuf_free(&w);
	dedup_free(a);
	dedup_free(b);
}

/* A full window saved and loaded evicts as the original goes on to:
 * the same answers for the same traffic afterwards (the set restored at
 * the size the pairs grew it to); into a smaller window only the newest
 * come back; a repeated or zero hash is refused. */
static void
test_load_evicts_alike(void)
{
	struct dedup *a = dedup_new(3000), *b = dedup_new(3000), *c = dedup_new(100),
	    *d = dedup_new(100);
	struct wbuf w, bad;
	struct rbuf r;
	char id[16];
	int differ = 0, small = 0;

	for (int i = 0; i < 4000; i++) {	/* full, past evictions */
		snprintf(id, sizeof(id), "%d", i);
		(void)dedup_check(a, "s", id);
	}
	wbuf_init(&w);
	dedup_save(a, &w);
	rbuf_init(&r, w.p, w.len);
	CHECK(dedup_load(b, &r) == 0 && rbuf_left(&r) == 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof(id), "%d", (i * 7919) % 9000);
		differ += dedup_check(a, "s", id) != dedup_check(b, "s", id);
	}
	CHECK(differ == 0);
	rbuf_init(&r, w.p, w.len);
	CHECK(dedup_load(c, &r) == 0);
	for (int i = 3900; i < 4000; i++) {	/* the last 100 of the 4000 */
		snprintf(id, sizeof(id), "%d", i);
		small += dedup_check(c, "s", id) != 1;
	}
	CHECK(small == 0);
	CHECK(dedup_check(c, "s", "3899") == 0);	/* older: skipped */
	wbuf_init(&bad);
	wbuf_u64(&bad, 3);
	wbuf_u64(&bad, 5);
	wbuf_u64(&bad, 6);
	wbuf_u64(&bad, 5);		/* twice */
	rbuf_init(&r, bad.p, bad.len);
	CHECK(dedup_load(d, &r) == -1 && r.failed);
	wbuf_free(&bad);
	dedup_free(d);
	d = dedup_new(100);
	wbuf_init(&bad);
	wbuf_u64(&bad, 2);
	wbuf_u64(&bad, 0);		/* zero: never a hash */
	wbuf_u64(&bad, 6);
	rbuf_init(&r, bad.p, bad.len);
	CHECK(dedup_load(d, &r) == -1 && r.failed);
	wbuf_free(&bad);
	wbuf_free(&w);
	dedup_free(a);
	dedup_free(b);
	dedup_free(c);
	dedup_free(d);
}

int
main(void)
{
	test_seen_new();
	test_capacity();
	test_against_reference(1, 1);
	test_against_reference(2, 2);
	test_against_reference(7, 3);
	test_against_reference(64, 4);
	test_against_reference(150, 5);
	test_against_reference(199, 6);
	/* over half the set's first size: the set doubles on the way */
	test_against_reference(3000, 7);
	test_against_reference(7000, 8);
	test_save_load();
	test_load_evicts_alike();
	return check_exit("test_dedup");
}
