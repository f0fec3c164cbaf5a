/*
 * pay.c: pay medians per (department, job level) that merge across shards.
 *
 * Each shard counts the salaries it sees in a fixed-bin histogram per
 * (department, job level): PAY_BINS bins of 1 % width in log salary from
 * PAY_LO up (about 10 to 7e9 in any currency; values outside land in the
 * end bins). Counts are integers, so the sum of the shards' histograms is
 * the same whatever the order of events and of shards, and so is the
 * median read from it (linear interpolation inside its bin, about 0.5 %
 * accurate). At an epoch boundary pay_publish() sums the cells any shard
 * changed since the last boundary and writes their medians into the
 * feature registry, where features_vector() reads them for relative pay
 * during the epoch: scoring never sees a median that moved mid-epoch.
 *
 * A cell's bins are allocated the first time a shard sees a salary for
 * that (department, level): the only allocation on an event, bounded by
 * PAY_CELLS per shard.
 *
 * Publishing is on the epoch boundary's path (pipeline_advance(), every
 * boundary of a backfill), so it touches only what changed: each shard
 * keeps a bitmap of the cells it marked dirty (a superset: a set bit may
 * name a cell already published), and the boundary ORs the shards'
 * bitmaps instead of asking every shard about each of the PAY_CELLS
 * cells. A cell also keeps the sum of each run of PAY_BLOCK bins, so the
 * median's walk steps over blocks and then into one block, not over up
 * to PAY_BINS bins times the shards. Both are indexes over the counts,
 * which stay the only state (saved, digested): the medians are the same
 * numbers, since the sums are integers whatever their grouping.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "model_internal.h"

#define PAY_BINS	2048
#define PAY_LO		2.302585092994046	/* log 10 */
#define PAY_W		0.009950330853168083	/* log 1.01 */
#define PAY_BLOCK	64			/* bins a block sum covers */
#define PAY_BLOCKS	(PAY_BINS / PAY_BLOCK)
#define PAY_WORDS	((PAY_CELLS + 63) / 64)

struct pay_cell {
	uint32_t	bin[PAY_BINS];
	uint32_t	block[PAY_BLOCKS];	/* sums of PAY_BLOCK bins */
	uint32_t	total;
	int		dirty;		/* changed since the last pay_publish() */
};

struct pay {
	struct pay_cell	*cell[PAY_CELLS];
	uint64_t	 marked[PAY_WORDS];	/* cells maybe dirty (bit c) */
};

static void
mark(struct pay *p, int c)
{
	p->marked[c / 64] |= (uint64_t)1 << (c % 64);
}

/* new; NULL on ENOMEM. */
struct pay *
pay_new(void)
{
	return calloc(1, sizeof(struct pay));
}

/* NULL is a no-op. */
void
pay_free(struct pay *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < PAY_CELLS; i++)
		free(p->cell[i]);
	free(p);
}

/* The cell index of (dept, job_level), -1 when out of range. */
int
pay_cell_index(int dept, int job_level)
{
	if (dept < 0 || dept >= PAY_DEPT_MAX || job_level < 1 ||
	    job_level >= PAY_LEVELS)
		return -1;
	return dept * PAY_LEVELS + job_level;
}

static int
bin_of(double salary)
{
	double b = (log(salary) - PAY_LO) / PAY_W;

	if (!(b > 0))
		return 0;
	return b >= PAY_BINS - 1 ? PAY_BINS - 1 : (int)b;
}

/* See model_internal.h. */
int
pay_note(struct pay *p, int dept, int job_level, double salary)
{
	int c = pay_cell_index(dept, job_level), b;
	struct pay_cell *pc;

	if (c < 0 || !isfinite(salary) || !(salary > 0))
		return 0;
	if ((pc = p->cell[c]) == NULL &&
	    (pc = p->cell[c] = calloc(1, sizeof(*pc))) == NULL)
		return -1;
	if (pc->total == UINT32_MAX)
		return 0;	/* saturated: the median no longer moves */
	b = bin_of(salary);
	pc->bin[b]++;
	pc->block[b / PAY_BLOCK]++;
	pc->total++;
	pc->dirty = 1;
	mark(p, c);
	return 0;
}

/* Median of the summed histograms cell[0..n-1] (n >= 1 cells of one
 * (department, level), one per shard that has it), NaN below
 * PAY_MIN_SAMPLES: the first bin at which the running count reaches half
 * the total, found through the block sums (a block holds that bin when it
 * is the first whose running count reaches half). */
static double
merged_median(struct pay_cell *const *cell, int n)
{
	uint64_t total = 0, cum = 0, nb;
	double half;
	int s, k, b;

	for (s = 0; s < n; s++)
		total += cell[s]->total;
	if (total < PAY_MIN_SAMPLES)
		return NAN;
	half = (double)total / 2;
	for (k = 0; k < PAY_BLOCKS; k++) {
		for (nb = 0, s = 0; s < n; s++)
			nb += cell[s]->block[k];
		if (nb > 0 && (double)(cum + nb) >= half)
			break;
		cum += nb;
	}
	for (b = k * PAY_BLOCK; k < PAY_BLOCKS && b < (k + 1) * PAY_BLOCK; b++) {
		for (nb = 0, s = 0; s < n; s++)
			nb += cell[s]->bin[b];
		if (nb > 0 && (double)(cum + nb) >= half)
			return exp(PAY_LO + ((double)b + (half - (double)cum) /
			    (double)nb) * PAY_W);
		cum += nb;
	}
	return NAN;	/* not reached */
}

/* Publishes cell c if a shard changed it (the shards that have it in
 * cell[], scratch room for n), and clears their dirty flags. */
static void
publish_cell(struct pay *const *src, int n, int c, struct pay_cell **cell,
    struct features *f)
{
	int s, k = 0, dirty = 0;

	for (s = 0; s < n; s++)
		if (src[s] != NULL && src[s]->cell[c] != NULL) {
			cell[k] = src[s]->cell[c];
			dirty |= cell[k++]->dirty;
		}
	if (!dirty)
		return;
	features_set_pay_median(f, c / PAY_LEVELS, c % PAY_LEVELS,
	    merged_median(cell, k));
	while (k-- > 0)
		cell[k]->dirty = 0;
}

/* See model_internal.h (n <= MODEL_SHARDS_MAX). The cells in ascending
 * order, as a walk over all of them would take them: only the marked
 * ones can be dirty. */
void
pay_publish(struct pay *const *src, int n, struct features *f)
{
	uint64_t any[PAY_WORDS] = { 0 }, w;
	struct pay_cell *cell[MODEL_SHARDS_MAX];
	int s, i;

	if (n > MODEL_SHARDS_MAX)
		n = MODEL_SHARDS_MAX;
	for (s = 0; s < n; s++)
		if (src[s] != NULL)
			for (i = 0; i < PAY_WORDS; i++) {
				any[i] |= src[s]->marked[i];
				src[s]->marked[i] = 0;
			}
	for (i = 0; i < PAY_WORDS; i++)
		for (w = any[i]; w != 0; w &= w - 1)
			publish_cell(src, n, i * 64 + __builtin_ctzll(w), cell, f);
}

/* See model_internal.h. */
void
pay_touch_all(struct pay *p)
{
	for (int c = 0; c < PAY_CELLS; c++)
		if (p->cell[c] != NULL) {
			p->cell[c]->dirty = 1;
			mark(p, c);
		}
}

/* See model_internal.h. */
void
pay_remap(struct pay *dst, struct pay *src, const struct idmap *m)
{
	int c, to;

	for (c = 0; c < PAY_CELLS; c++) {
		if (src->cell[c] == NULL)
			continue;
		to = pay_cell_index(idmap_dept(m, c / PAY_LEVELS), c % PAY_LEVELS);
		if (to >= 0 && dst->cell[to] == NULL) {
			dst->cell[to] = src->cell[c];
			src->cell[c] = NULL;
			if (dst->cell[to]->dirty)
				mark(dst, to);
		}
	}
}

/* See model_internal.h: the counts of every cell in use. */
uint64_t
pay_digest(const struct pay *p, uint64_t d)
{
	for (int c = 0; c < PAY_CELLS; c++)
		if (p->cell[c] != NULL) {
			d = STATE_DIGEST(d, c);
			d = STATE_DIGEST(d, p->cell[c]->bin);
			d = STATE_DIGEST(d, p->cell[c]->total);
		}
	return d;
}

/* See model_internal.h: each cell in use, its bins in use (the empty
 * blocks skipped: a checkpoint saves every shard's cells). */
void
pay_save(const struct pay *p, struct wbuf *w)
{
	size_t at = wbuf_mark_u32(w), bat;
	uint32_t n = 0, nb;

	for (int c = 0; c < PAY_CELLS; c++) {
		const struct pay_cell *pc = p->cell[c];

		if (pc == NULL)
			continue;
		wbuf_u32(w, (uint32_t)c);
		wbuf_u8(w, (uint8_t)pc->dirty);
		bat = wbuf_mark_u32(w);
		nb = 0;
		for (int k = 0; k < PAY_BLOCKS; k++)
			for (int b = k * PAY_BLOCK; pc->block[k] != 0 &&
			    b < (k + 1) * PAY_BLOCK; b++)
				if (pc->bin[b] != 0) {
					wbuf_u16(w, (uint16_t)b);
					wbuf_u32(w, pc->bin[b]);
					nb++;
				}
		wbuf_patch_u32(w, bat, nb);
		n++;
	}
	wbuf_patch_u32(w, at, n);
}

/* See model_internal.h: into a pay with no cell yet. */
int
pay_load(struct pay *p, struct rbuf *r)
{
	uint32_t n = rbuf_u32(r), i, c, nb, j, cnt;
	struct pay_cell *pc;
	int prev = -1, pb;

	if (n > PAY_CELLS)
		return rbuf_fail(r) - 1;
	for (i = 0; i < n && !r->failed; i++) {
		c = rbuf_u32(r);
		if (r->failed || (int64_t)c <= prev || c >= PAY_CELLS || p->cell[c] != NULL)
			return rbuf_fail(r) - 1;
		prev = (int)c;
		if ((pc = p->cell[c] = calloc(1, sizeof(*pc))) == NULL)
			return rbuf_fail(r) - 1;
		if ((pc->dirty = rbuf_u8(r) != 0))
			mark(p, (int)c);
		nb = rbuf_u32(r);
		if (nb > PAY_BINS)
			return rbuf_fail(r) - 1;
		for (j = 0, pb = -1; j < nb && !r->failed; j++) {
			uint16_t b = rbuf_u16(r);

			cnt = rbuf_u32(r);
			if ((int)b <= pb || b >= PAY_BINS || cnt == 0 ||
			    pc->total > UINT32_MAX - cnt)
				return rbuf_fail(r) - 1;
			pb = b;
			pc->bin[b] = cnt;
			pc->block[b / PAY_BLOCK] += cnt;
			pc->total += cnt;
		}
	}
	return r->failed ? -1 : 0;
}
