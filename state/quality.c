/*
 * quality.c: live, prequential quality of the hazard model (MODEL.md).
 * Only anonymous aggregates live here; per-employee bookkeeping (which
 * risk an employee holds in the histogram, an open calibration snapshot,
 * a pending alert) sits in the model fields of struct employee, so erasing
 * a record leaves nothing behind that names it.
 *
 * Definitions:
 *
 * - Concordance (Harrell's C, prequential): at each voluntary exit, the
 *   leaver's risk as last scored before the exit is compared with the
 *   current risk of every other active (hired, scored, not exited)
 *   employee. A pair is concordant when the leaver's risk is higher, a tie
 *   (half) when equal. C = (concordant + ties / 2) / pairs, summed over all
 *   exits so far. Risks live in a histogram of QUALITY_RISK_BINS equal
 *   bins of 0..1 with a sum per block of BLOCK_BINS bins: a score moves
 *   one count and one block sum (every active employee is rescored each
 *   epoch, so this is the frequent operation), an exit or a decile
 *   counts below a bin in at most 2 * 256 steps (a Fenwick tree took 17
 *   scattered steps per update, each a likely cache miss); risks closer
 *   than 1/65536 count as ties.
 *
 * - Calibration: model.c takes at most one snapshot (risk, decile) per
 *   employee per horizon and resolves it when the outcome is known:
 *   voluntary exit within the horizon (1), still employed at its end or
 *   leaving later (0); an involuntary exit inside the horizon censors it
 *   (dropped). Deciles are of the current risks of active employees at the
 *   snapshot (mid-rank), so bin 9 is the riskiest tenth. Per decile:
 *   mean predicted risk and observed exit rate of resolved snapshots.
 *
 *   The expected calibration error (ECE) is the mean over resolved
 *   snapshots of |mean predicted - observed| of their decile.
 *
 * - Alert precision: alerts whose employee then left voluntarily within
 *   horizon_days of firing / alerts resolved that way or whose horizon
 *   passed. Recall: voluntary exits with an alert firing at the exit or
 *   fired within horizon_days before / all voluntary exits.
 *
 * - Impact ratios: per level of each protected attribute, employees ever
 *   alerted / employees seen with that level; the ratio is that rate over
 *   the reference rate, the highest among the attribute's levels of at
 *   least IMPACT_MIN_GROUP employees (among all levels when none is that
 *   large), so a smaller level can exceed 1 (below 0.8 is the four-fifths
 *   rule's flag).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "model_internal.h"

#define BLOCK_BINS	256	/* bins per block sum */

struct quality {
	int32_t	*count;		/* per bin, QUALITY_RISK_BINS */
	int32_t	 block[QUALITY_RISK_BINS / BLOCK_BINS];	/* sums of count */
	long	active;
	double	conc;		/* concordant + ties / 2 */
	long	pairs;
	double	cal_pred[CALIBRATION_BINS], cal_obs[CALIBRATION_BINS];
	long	cal_n[CALIBRATION_BINS];
	long	alerts_hit, alerts_resolved;
	long	exits_alerted, exits;
	long	group_n[PROTECTED_MAX][QUALITY_LEVELS];
	long	group_alerted[PROTECTED_MAX][QUALITY_LEVELS];
};

/* new; NULL on ENOMEM. */
struct quality *
quality_new(void)
{
	struct quality *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->count = calloc(QUALITY_RISK_BINS, sizeof(int32_t));
	if (q->count == NULL) {
		quality_free(q);
		return NULL;
	}
	return q;
}

/* NULL is a no-op. */
void
quality_free(struct quality *q)
{
	if (q == NULL)
		return;
	free(q->count);
	free(q);
}

static int
risk_bin(double r)
{
	int b;

	if (!(r > 0))
		return 0;
	b = (int)(r * QUALITY_RISK_BINS);
	return b >= QUALITY_RISK_BINS ? QUALITY_RISK_BINS - 1 : b;
}

static void
bin_add(struct quality *q, int bin, int32_t dv)
{
	q->count[bin] += dv;
	q->block[bin / BLOCK_BINS] += dv;
}

/* Active employees in bins < bin. */
static long
count_below(const struct quality *q, int bin)
{
	long s = 0;
	int i;

	for (i = 0; i < bin / BLOCK_BINS; i++)
		s += q->block[i];
	for (i = bin - bin % BLOCK_BINS; i < bin; i++)
		s += q->count[i];
	return s;
}

/* See model_internal.h. */
void
quality_update_risk(struct quality *q, double old_risk, double new_risk)
{
	/* a risk that stays in its bin changes nothing */
	if (old_risk >= 0 && new_risk >= 0 && risk_bin(old_risk) == risk_bin(new_risk))
		return;
	if (old_risk >= 0) {
		bin_add(q, risk_bin(old_risk), -1);
		q->active--;
	}
	if (new_risk >= 0) {
		bin_add(q, risk_bin(new_risk), 1);
		q->active++;
	}
}

long
quality_active(const struct quality *q)
{
	return q->active;
}

/* See model_internal.h. */
void
quality_exit(struct quality *q, double leaver_risk)
{
	int bin = risk_bin(leaver_risk);

	q->conc += (double)count_below(q, bin) + 0.5 * q->count[bin];
	q->pairs += q->active;
}

/* See model_internal.h. */
int
quality_decile(const struct quality *q, double risk)
{
	int bin = risk_bin(risk), d;
	double rank;

	if (q->active <= 0)
		d = risk > 0 ? (int)(risk * CALIBRATION_BINS) : 0;	/* no peers yet */
	else {
		rank = (double)count_below(q, bin) + 0.5 * q->count[bin];
		d = (int)(CALIBRATION_BINS * rank / (double)q->active);
	}
	return d < 0 ? 0 : d >= CALIBRATION_BINS ? CALIBRATION_BINS - 1 : d;
}

/* See model_internal.h. */
void
quality_calibration(struct quality *q, int decile, double predicted, int outcome)
{
	if (decile < 0 || decile >= CALIBRATION_BINS || !isfinite(predicted))
		return;
	q->cal_n[decile]++;
	q->cal_pred[decile] += predicted;
	q->cal_obs[decile] += outcome ? 1 : 0;
}

void
quality_alert_outcome(struct quality *q, int exited_in_horizon)
{
	q->alerts_resolved++;
	q->alerts_hit += exited_in_horizon ? 1 : 0;
}

void
quality_exit_alerted(struct quality *q, int had_alert)
{
	q->exits++;
	q->exits_alerted += had_alert ? 1 : 0;
}

/* See model_internal.h; out-of-range groups are ignored. */
void
quality_group(struct quality *q, int k, int level, long dn, long dalerted)
{
	if (k < 0 || k >= PROTECTED_MAX || level <= 0 || level >= QUALITY_LEVELS)
		return;
	q->group_n[k][level] += dn;
	q->group_alerted[k][level] += dalerted;
}

/* See model_internal.h. */
int
quality_remap(struct quality *q, const struct idmap *m)
{
	long (*n)[QUALITY_LEVELS], (*a)[QUALITY_LEVELS];
	int k, l, mk, ml;

	n = calloc(PROTECTED_MAX, sizeof(*n));
	a = calloc(PROTECTED_MAX, sizeof(*a));
	if (n == NULL || a == NULL) {
		free(n);
		free(a);
		return -1;
	}
	for (k = 0; k < PROTECTED_MAX; k++)
		for (l = 1; l < QUALITY_LEVELS; l++) {
			if ((mk = idmap_protected(m, k)) < 0 ||
			    (ml = idmap_level(m, k, l)) <= 0)
				continue;
			n[mk][ml] += q->group_n[k][l];
			a[mk][ml] += q->group_alerted[k][l];
		}
	memcpy(q->group_n, n, sizeof(q->group_n));
	memcpy(q->group_alerted, a, sizeof(q->group_alerted));
	free(n);
	free(a);
	return 0;
}

/* See model_internal.h: the counts, in the order of src; not the
 * histogram, which stays each shard's. */
void
quality_sum(struct quality *dst, const struct quality *const *src, int n)
{
	int s, b, k, l;

	dst->conc = 0;
	dst->pairs = 0;
	memset(dst->cal_pred, 0, sizeof(dst->cal_pred));
	memset(dst->cal_obs, 0, sizeof(dst->cal_obs));
	memset(dst->cal_n, 0, sizeof(dst->cal_n));
	dst->alerts_hit = dst->alerts_resolved = 0;
	dst->exits_alerted = dst->exits = 0;
	memset(dst->group_n, 0, sizeof(dst->group_n));
	memset(dst->group_alerted, 0, sizeof(dst->group_alerted));
	for (s = 0; s < n; s++) {
		const struct quality *q = src[s];

		if (q == NULL)
			continue;
		dst->conc += q->conc;
		dst->pairs += q->pairs;
		for (b = 0; b < CALIBRATION_BINS; b++) {
			dst->cal_pred[b] += q->cal_pred[b];
			dst->cal_obs[b] += q->cal_obs[b];
			dst->cal_n[b] += q->cal_n[b];
		}
		dst->alerts_hit += q->alerts_hit;
		dst->alerts_resolved += q->alerts_resolved;
		dst->exits_alerted += q->exits_alerted;
		dst->exits += q->exits;
		for (k = 0; k < PROTECTED_MAX; k++)
			for (l = 0; l < QUALITY_LEVELS; l++) {
				dst->group_n[k][l] += q->group_n[k][l];
				dst->group_alerted[k][l] += q->group_alerted[k][l];
			}
	}
}

static void	sort_by_name(int *, int, const struct features *, int);
static void	estimate_groups(const struct quality *, const struct features *, int,
		    struct quality_estimate *);

/* See model_internal.h. Names are borrowed from f; groups come in name
 * order. */
void
quality_estimate(const struct quality *q, const struct features *f,
    struct quality_estimate *out)
{
	double gap = 0;
	long n = 0;
	int b, i, nk, korder[PROTECTED_MAX];

	memset(out, 0, sizeof(*out));
	out->concordance = q->pairs > 0 ? q->conc / (double)q->pairs : NAN;
	out->concordance_pairs = q->pairs;
	for (b = 0; b < CALIBRATION_BINS; b++) {
		out->calib_n[b] = q->cal_n[b];
		out->calib_predicted[b] = q->cal_n[b] ? q->cal_pred[b] / (double)q->cal_n[b] : NAN;
		out->calib_observed[b] = q->cal_n[b] ? q->cal_obs[b] / (double)q->cal_n[b] : NAN;
		/* ECE: n_b |mean predicted - observed| summed, over all n */
		gap += fabs(q->cal_pred[b] - q->cal_obs[b]);
		n += q->cal_n[b];
	}
	out->calibration_error = n > 0 ? gap / (double)n : NAN;
	out->alert_precision = q->alerts_resolved ?
	    (double)q->alerts_hit / (double)q->alerts_resolved : NAN;
	out->alert_recall = q->exits ? (double)q->exits_alerted / (double)q->exits : NAN;

	nk = f != NULL ? features_protected_count(f) : 0;
	if (nk > PROTECTED_MAX)
		nk = PROTECTED_MAX;
	sort_by_name(korder, nk, f, -1);
	for (i = 0; i < nk; i++)
		estimate_groups(q, f, korder[i], out);
}

/* Insertion sort of ids[0..n) by name: protected names (k < 0) or the
 * level names of protected name k. Ids are interned in arrival order, so
 * the output order must come from the names. n is small. */
static void
sort_by_name(int *ids, int n, const struct features *f, int k)
{
	const char *a, *b;
	int i, j, t;

	for (i = 0; i < n; i++)
		if (k < 0)
			ids[i] = i;
	for (i = 1; i < n; i++) {
		t = ids[i];
		a = k < 0 ? features_protected_name(f, t) : features_protected_level(f, k, t);
		for (j = i; j > 0; j--) {
			b = k < 0 ? features_protected_name(f, ids[j - 1]) :
			    features_protected_level(f, k, ids[j - 1]);
			if (b == NULL || a == NULL || strcmp(b, a) <= 0)
				break;
			ids[j] = ids[j - 1];
		}
		ids[j] = t;
	}
}

/* The groups of protected name k, in level name order. */
static void
estimate_groups(const struct quality *q, const struct features *f, int k,
    struct quality_estimate *out)
{
	/* The reference is the highest rate among groups large enough to
	 * estimate one (IMPACT_MIN_GROUP), or among all when none is: a group
	 * of three must not set the bar for everyone else. */
	int lorder[QUALITY_LEVELS], nl = 0, min_n = 0, l, i, x;
	double best = 0;

	for (l = 1; l < QUALITY_LEVELS; l++)
		if (q->group_n[k][l] >= IMPACT_MIN_GROUP)
			min_n = IMPACT_MIN_GROUP;
	for (l = 1; l < QUALITY_LEVELS; l++) {
		if (q->group_n[k][l] <= 0)
			continue;
		lorder[nl++] = l;
		if (q->group_n[k][l] >= min_n &&
		    (double)q->group_alerted[k][l] / (double)q->group_n[k][l] > best)
			best = (double)q->group_alerted[k][l] / (double)q->group_n[k][l];
	}
	sort_by_name(lorder, nl, f, k);
	for (x = 0; x < nl; x++) {
		const char *name, *level;

		l = lorder[x];
		if (out->ngroups >= (int)(sizeof(out->groups) / sizeof(out->groups[0])))
			return;
		name = features_protected_name(f, k);
		level = features_protected_level(f, k, l);
		if (name == NULL || level == NULL)
			continue;
		i = out->ngroups++;
		out->groups[i].attribute = name;
		out->groups[i].level = level;
		out->groups[i].n = q->group_n[k][l];
		out->groups[i].rate = (double)q->group_alerted[k][l] /
		    (double)q->group_n[k][l];
		/* with no alert in any level every ratio is 1 */
		out->groups[i].impact_ratio = best > 0 ? out->groups[i].rate / best : 1;
	}
}

/* See model_internal.h: the risk histogram and every count. */
uint64_t
quality_digest(const struct quality *q, uint64_t d)
{
	d = STATE_DIGEST(d, q->block);
	d = table_hash_bytes(d, q->count, QUALITY_RISK_BINS * sizeof(int32_t));
	d = STATE_DIGEST(d, q->active);
	d = STATE_DIGEST(d, q->conc);
	d = STATE_DIGEST(d, q->pairs);
	d = STATE_DIGEST(d, q->cal_pred);
	d = STATE_DIGEST(d, q->cal_obs);
	d = STATE_DIGEST(d, q->cal_n);
	d = STATE_DIGEST(d, q->alerts_hit);
	d = STATE_DIGEST(d, q->alerts_resolved);
	d = STATE_DIGEST(d, q->exits_alerted);
	d = STATE_DIGEST(d, q->exits);
	d = STATE_DIGEST(d, q->group_n);
	return STATE_DIGEST(d, q->group_alerted);
}

/* See model_internal.h: the histogram sparsely (bins in use), then every
 * count; groups as their non-zero (attribute, level) cells. */
void
quality_save(const struct quality *q, struct wbuf *w)
{
	size_t at;
	uint32_t n = 0;
	int b, k, l;

	at = wbuf_mark_u32(w);
	for (b = 0; b < QUALITY_RISK_BINS; b++)
		if (q->count[b] != 0) {
			wbuf_u32(w, (uint32_t)b);
			wbuf_u32(w, (uint32_t)q->count[b]);
			n++;
		}
	wbuf_patch_u32(w, at, n);
	wbuf_f64(w, q->conc);
	wbuf_i64(w, q->pairs);
	for (b = 0; b < CALIBRATION_BINS; b++) {
		wbuf_f64(w, q->cal_pred[b]);
		wbuf_f64(w, q->cal_obs[b]);
		wbuf_i64(w, q->cal_n[b]);
	}
	wbuf_i64(w, q->alerts_hit);
	wbuf_i64(w, q->alerts_resolved);
	wbuf_i64(w, q->exits_alerted);
	wbuf_i64(w, q->exits);
	at = wbuf_mark_u32(w);
	n = 0;
	for (k = 0; k < PROTECTED_MAX; k++)
		for (l = 0; l < QUALITY_LEVELS; l++)
			if (q->group_n[k][l] != 0 || q->group_alerted[k][l] != 0) {
				wbuf_u16(w, (uint16_t)(k * QUALITY_LEVELS + l));
				wbuf_i64(w, q->group_n[k][l]);
				wbuf_i64(w, q->group_alerted[k][l]);
				n++;
			}
	wbuf_patch_u32(w, at, n);
}

/* See model_internal.h: into a quality with nothing in it yet. */
int
quality_load(struct quality *q, struct rbuf *r)
{
	uint32_t n = rbuf_u32(r), i, bin, c;
	long active = 0;
	int b, prev = -1;

	if (q->active != 0 || n > QUALITY_RISK_BINS)
		return rbuf_fail(r) - 1;
	for (i = 0; i < n && !r->failed; i++) {
		bin = rbuf_u32(r);
		c = rbuf_u32(r);
		/* ascending, in range, and no bin above INT32_MAX */
		if ((int64_t)bin <= prev || bin >= QUALITY_RISK_BINS || c == 0 ||
		    c > INT32_MAX || active + (long)c > INT32_MAX) {
			rbuf_fail(r);
			break;
		}
		prev = (int)bin;
		bin_add(q, (int)bin, (int32_t)c);
		active += (long)c;
	}
	q->active = active;
	q->conc = rbuf_f64(r);
	q->pairs = rbuf_i64(r);
	for (b = 0; b < CALIBRATION_BINS; b++) {
		q->cal_pred[b] = rbuf_f64(r);
		q->cal_obs[b] = rbuf_f64(r);
		q->cal_n[b] = rbuf_i64(r);
		if (!isfinite(q->cal_pred[b]) || !isfinite(q->cal_obs[b]) ||
		    q->cal_n[b] < 0)
			rbuf_fail(r);
	}
	q->alerts_hit = rbuf_i64(r);
	q->alerts_resolved = rbuf_i64(r);
	q->exits_alerted = rbuf_i64(r);
	q->exits = rbuf_i64(r);
	if (!isfinite(q->conc) || q->conc < 0 || q->pairs < 0 || q->alerts_hit < 0 ||
	    q->alerts_hit > q->alerts_resolved || q->exits_alerted < 0 ||
	    q->exits_alerted > q->exits)
		rbuf_fail(r);
	n = rbuf_u32(r);
	if (n > PROTECTED_MAX * QUALITY_LEVELS)
		rbuf_fail(r);
	for (i = 0; i < n && !r->failed; i++) {
		uint16_t kl = rbuf_u16(r);
		long gn = (long)rbuf_i64(r), ga = (long)rbuf_i64(r);

		if (kl >= PROTECTED_MAX * QUALITY_LEVELS) {
			rbuf_fail(r);
			break;
		}
		/* counts may go below 0 only transiently: erasure keeps them >= 0 */
		q->group_n[kl / QUALITY_LEVELS][kl % QUALITY_LEVELS] = gn;
		q->group_alerted[kl / QUALITY_LEVELS][kl % QUALITY_LEVELS] = ga;
	}
	return r->failed ? -1 : 0;
}
