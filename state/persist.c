/*
 * persist.c: how long today's survey answers hold, measured from the
 * data, for the risk over the horizon (MODELS.md, "Risk, tenure, drivers").
 *
 * The hazard is fitted on the covariates in force (correct for the hazard
 * now), but a risk over H days that holds today's survey answers for the
 * whole horizon overstates both ends: an extreme answer is followed, at
 * the next survey, by one closer to the mean (noise and real change). So
 * for the survey covariates (satisfaction, engagement, intent to stay,
 * work-life balance) the score uses the expected deviation over the
 * horizon. From consecutive surveys of the same person, deviations d from
 * the epoch's mean: rho = sum d_prev d_new / sum d_prev^2 per mean gap tau
 * between the surveys; a deviation is expected to shrink as rho^(s / tau)
 * after s days, so over the horizon its mean weight is
 *
 *	f = (rho^(H / tau) - 1) / ((H / tau) log rho)	(1 when rho >= 1)
 *
 * and the score's linear predictor takes b_j z_j f_j for those covariates.
 * The sums are per shard, forgotten with the hazard's factor and merged by
 * addition in shard order at each boundary (fit.c), so f is the same to
 * the bit for any interleaving.
 */
#include <math.h>
#include <string.h>

#include "model_internal.h"

#define PERSIST_MIN_PAIRS 30	/* fewer: answers are assumed to hold (f = 1) */

/* See model_internal.h. */
void
persist_pair(struct persist *p, const double *mean, const double *prev,
    const double *now, double gap_days)
{
	double dp, dn;

	if (!(gap_days > 0) || !isfinite(gap_days))
		return;
	for (int j = 0; j < PERSIST_COVARIATES; j++) {
		if (!isfinite(prev[j]) || !isfinite(now[j]) || !isfinite(mean[j]))
			continue;
		dp = prev[j] - mean[j];
		dn = now[j] - mean[j];
		p->n[j] += 1;
		p->gap_days[j] += gap_days;
		p->xx[j] += dp * dp;
		p->xy[j] += dp * dn;
	}
}

/* See model_internal.h. */
void
persist_decay(struct persist *p, double factor)
{
	if (!(factor > 0 && factor < 1))
		return;
	for (int j = 0; j < PERSIST_COVARIATES; j++) {
		p->n[j] *= factor;
		p->gap_days[j] *= factor;
		p->xx[j] *= factor;
		p->xy[j] *= factor;
	}
}

/* See model_internal.h. */
void
persist_add(struct persist *dst, const struct persist *src)
{
	for (int j = 0; j < PERSIST_COVARIATES; j++) {
		dst->n[j] += src->n[j];
		dst->gap_days[j] += src->gap_days[j];
		dst->xx[j] += src->xx[j];
		dst->xy[j] += src->xy[j];
	}
}

/* See model_internal.h. */
void
persist_factors(const struct persist *p, double horizon_days, double *f)
{
	double rho, tau, k;

	for (int j = 0; j < PERSIST_COVARIATES; j++) {
		f[j] = 1;
		if (!(p->n[j] >= PERSIST_MIN_PAIRS) || !(p->xx[j] > 0) ||
		    !(horizon_days > 0))
			continue;
		rho = p->xy[j] / p->xx[j];
		tau = p->gap_days[j] / p->n[j];
		if (!(rho < 1) || !(tau > 0))
			continue;
		if (rho < 1e-3)
			rho = 1e-3;
		k = horizon_days / tau;
		f[j] = (pow(rho, k) - 1) / (k * log(rho));
	}
}

/* See model_internal.h. */
void
persist_save(const struct persist *p, struct wbuf *w)
{
	wbuf_u32(w, PERSIST_COVARIATES);
	for (int j = 0; j < PERSIST_COVARIATES; j++) {
		wbuf_f64(w, p->n[j]);
		wbuf_f64(w, p->gap_days[j]);
		wbuf_f64(w, p->xx[j]);
		wbuf_f64(w, p->xy[j]);
	}
}

/* See model_internal.h. */
int
persist_load(struct persist *p, struct rbuf *r)
{
	if (rbuf_u32(r) != PERSIST_COVARIATES)
		return rbuf_fail(r) - 1;
	for (int j = 0; j < PERSIST_COVARIATES && !r->failed; j++) {
		p->n[j] = rbuf_f64(r);
		p->gap_days[j] = rbuf_f64(r);
		p->xx[j] = rbuf_f64(r);
		p->xy[j] = rbuf_f64(r);
		if (!(p->n[j] >= 0) || !(p->gap_days[j] >= 0) || !(p->xx[j] >= 0) ||
		    !isfinite(p->n[j]) || !isfinite(p->gap_days[j]) ||
		    !isfinite(p->xx[j]) || !isfinite(p->xy[j]))
			rbuf_fail(r);
	}
	return r->failed ? -1 : 0;
}

/* See model_internal.h. */
uint64_t
persist_digest(const struct persist *p, uint64_t d)
{
	return table_hash_bytes(d, p, sizeof(*p));
}
