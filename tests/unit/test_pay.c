/*
 * test_pay.c: state/pay.c's publishing over many cells and shards. The
 * medians of salaries split over four shards are those of one pay that
 * saw them all, for every cell (salaries spread over the whole bin range,
 * so that the block sums' walk is taken through many blocks); a boundary
 * publishes exactly the cells some shard changed since the last one; a
 * checkpoint round trip keeps the counts (the digest) and which cells are
 * still to be published; pay_touch_all() republishes every cell.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../state/table.h"
#include "../../state/model_internal.h"
#include "check.h"

#define SHARDS	4
#define DEPTS	40
#define SENTINEL 12345.0

static unsigned long long seed = 99;

static double
uniform(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(seed >> 11) / 9007199254740992.0;
}

/* A salary between 10 and 1e9, log-uniform: every block of bins. */
static double
salary(void)
{
	return exp(log(10) + uniform() * (log(1e9) - log(10)));
}

/* Notes n salaries of random cells into one of the shards and into all. */
static void
note_some(struct pay **shard, struct pay *all, int n)
{
	for (int i = 0; i < n; i++) {
		int d = (int)(uniform() * DEPTS), l = 1 + (int)(uniform() * 15);
		double v = salary();

		CHECK(pay_note(shard[(int)(uniform() * SHARDS)], d, l, v) == 0);
		CHECK(pay_note(all, d, l, v) == 0);
	}
}

/* 1 when f and g hold the same median (or both none) for every cell. */
static int
same_medians(const struct features *f, const struct features *g)
{
	for (int d = 0; d < DEPTS; d++)
		for (int l = 1; l < PAY_LEVELS; l++) {
			double a = features_pay_median(f, d, l), b = features_pay_median(g, d, l);

			if (!(a == b || (isnan(a) && isnan(b))))
				return 0;
		}
	return 1;
}

static void
set_all(struct features *f, double v)
{
	for (int d = 0; d < DEPTS; d++)
		for (int l = 1; l < PAY_LEVELS; l++)
			features_set_pay_median(f, d, l, v);
}

static void
test_merged(void)
{
	struct features *f = features_new(NULL), *g = features_new(NULL);
	struct pay *sh[SHARDS], *all = pay_new();
	int known = 0, changed = 0, d, l;

	for (int s = 0; s < SHARDS; s++)
		sh[s] = pay_new();
	note_some(sh, all, 20000);
	pay_publish(sh, SHARDS, f);
	pay_publish(&all, 1, g);
	CHECK(same_medians(f, g));
	for (d = 0; d < DEPTS; d++)
		for (l = 1; l < PAY_LEVELS; l++)
			known += !isnan(features_pay_median(f, d, l));
	CHECK(known > DEPTS * 14);
	/* nothing changed: nothing published */
	set_all(f, SENTINEL);
	pay_publish(sh, SHARDS, f);
	for (d = 0; d < DEPTS; d++)
		for (l = 1; l < PAY_LEVELS; l++)
			CHECK(features_pay_median(f, d, l) == SENTINEL);
	/* one salary into one shard's cell: that cell alone, merged over
	 * every shard that has it */
	CHECK(pay_note(sh[2], 7, 3, 5e4) == 0 && pay_note(all, 7, 3, 5e4) == 0);
	pay_publish(sh, SHARDS, f);
	pay_publish(&all, 1, g);
	for (d = 0; d < DEPTS; d++)
		for (l = 1; l < PAY_LEVELS; l++) {
			double v = features_pay_median(f, d, l);

			if (d == 7 && l == 3)
				CHECK(v == features_pay_median(g, d, l));
			else
				changed += v != SENTINEL;
		}
	CHECK(changed == 0);
	/* every cell of one shard again */
	set_all(f, SENTINEL);
	pay_touch_all(sh[1]);
	pay_publish(sh, SHARDS, f);
	CHECK(same_medians(f, g));
	for (int s = 0; s < SHARDS; s++)
		pay_free(sh[s]);
	pay_free(all);
	features_free(f);
	features_free(g);
}

static void
test_round_trip(void)
{
	struct features *f = features_new(NULL), *g = features_new(NULL);
	struct pay *sh[SHARDS], *back[SHARDS], *all = pay_new();
	struct wbuf w;
	struct rbuf r;

	for (int s = 0; s < SHARDS; s++)
		sh[s] = pay_new();
	note_some(sh, all, 5000);
	for (int s = 0; s < SHARDS; s++) {
		wbuf_init(&w);
		pay_save(sh[s], &w);
		CHECK(!w.failed);
		rbuf_init(&r, w.p, w.len);
		back[s] = pay_new();
		CHECK(pay_load(back[s], &r) == 0 && r.pos == r.len);
		CHECK(pay_digest(back[s], 1) == pay_digest(sh[s], 1));
		wbuf_free(&w);
	}
	/* the restored cells are still to be published */
	set_all(f, SENTINEL);
	set_all(g, SENTINEL);
	pay_publish(back, SHARDS, f);
	pay_publish(sh, SHARDS, g);
	CHECK(same_medians(f, g));
	CHECK(features_pay_median(f, 0, 1) != SENTINEL);
	for (int s = 0; s < SHARDS; s++) {
		pay_free(sh[s]);
		pay_free(back[s]);
	}
	pay_free(all);
	features_free(f);
	features_free(g);
}

int
main(void)
{
	test_merged();
	test_round_trip();
	return check_exit("test_pay");
}
