/*
 * score.c: the score of one record under the epoch's fit (model.h, struct
 * score): the risk over the horizon, the expected tenure, the standard
 * error of the log hazard and the drivers. model.c's model_score() adds
 * the bookkeeping around it (exposure, quality); model_score_copy() is
 * this alone.
 *
 * Cost. Every active employee is scored at each event and when due
 * (pipeline/rescore.c: at most rescore_interval_hours apart, at a boundary
 * when near the threshold, everyone when the model moved far), and a new
 * model epoch's whole-population rescoring runs this once per record.
 * Two halves:
 * model_score_compute() makes what every score needs (the risk, which
 * decides, and the expected tenure, which the record keeps), and
 * model_score_detail_from() what only an alert decision near its
 * threshold and a published output read: the standard error, whose
 * quadratic form w' Cov(b) w is a chain of dim^2 / 2 dependent additions
 * (the single largest cost of a score), and the drivers. A score far from
 * any threshold skips the second (model_score_risk()). Both read the fit's
 * solution through one hazard_view() instead of a call per covariate, the
 * band baselines' exp() come from a cache refreshed when the fit's
 * baselines change (the risk's horizon reads it too, horizon.c), and the
 * drivers are picked in one pass. Every value
 * is computed as before, in the same order of operations, so scores are
 * the same to the bit (DESIGN.md, "The determinism rule").
 */
#include <string.h>

#include "model_internal.h"

#define DAYS_PER_YEAR_H	(12 * DAYS_PER_MONTH)	/* 365.25 */
#define TENURE_CAP_DAYS	(40 * DAYS_PER_YEAR_H)	/* expected tenure horizon */
#define ETA_CLAMP	30.0
#define DRIVER_MIN	1e-12	/* |contribution| below this is no driver */

/* exp() of each band's log baseline of the fit: per year. The cache in m
 * is keyed by the log baselines' bits, so it can never be stale. */
static const double *
base_rates(struct model *m, const struct hazard_view *hv)
{
	int k;

	if (!m->rate_ok || memcmp(m->rate_log, hv->logbase, sizeof(m->rate_log)) != 0) {
		memcpy(m->rate_log, hv->logbase, sizeof(m->rate_log));
		for (k = 0; k < HAZARD_BANDS; k++)
			m->rate[k] = exp(hv->logbase[k]);
		m->rate_ok = 1;
	}
	return m->rate;
}

/* Expected total tenure in days given survival to t0 (truncated at
 * TENURE_CAP_DAYS): t0 + integral of S(t)/S(t0), piecewise closed form;
 * rate[] the bands' baselines per year. */
static double
expected_tenure(const double *rate, double mult, double t0)
{
	double s = 1, total = t0, a = t0, hi, r, len, em;
	int k;

	for (k = hazard_band(t0); k < HAZARD_BANDS && a < TENURE_CAP_DAYS; k++) {
		hi = k + 1 < HAZARD_BANDS ? hazard_band_edge_days[k + 1] : TENURE_CAP_DAYS;
		if (hi > TENURE_CAP_DAYS)
			hi = TENURE_CAP_DAYS;
		if (hi <= a)
			continue;
		len = hi - a;
		r = rate[k] * mult / DAYS_PER_YEAR_H;
		em = expm1(-r * len);	/* one call: exp(-r len) is 1 + em */
		total += r * len > 1e-12 ? s * -em / r : s * len;
		s *= 1 + em;
		a = hi;
	}
	return total;
}

/*
 * Drivers: what moved the log hazard, largest |.| first, zero ones left
 * out: b_i * z_i against the average person for a numeric covariate; for
 * a level of a categorical one against its reference level (b_i * x_i /
 * sd_i), so someone at the reference has no driver from that attribute.
 * One pass keeps the DRIVERS_MAX largest in order; a tie goes to the
 * covariate first in the fit's order.
 */
static void
drivers(const struct model *m, const struct hazard_view *hv, const double *v,
    const double *z, struct score *out)
{
	const struct model_fit *f = m->fit;
	double	contrib[FEATURES_MAX], cabs[FEATURES_MAX], b;
	int	top[DRIVERS_MAX], n = f->dim, ntop = 0, i, p;

	for (i = 0; i < n; i++) {
		b = i < hv->dim ? hv->b[i] : 0;
		contrib[i] = b * z[i];
		if (f->onehot[i] && i < hv->dim && hv->active[i] && hv->sd[i] > 0)
			contrib[i] = b * v[f->perm[i]] / hv->sd[i];
		contrib[i] *= hv->shrink;
		cabs[i] = fabs(contrib[i]);
		if (!(cabs[i] > DRIVER_MIN))
			continue;
		for (p = ntop; p > 0 && cabs[i] > cabs[top[p - 1]]; p--)
			;
		if (p == DRIVERS_MAX)
			continue;
		if (ntop < DRIVERS_MAX)
			ntop++;
		for (int q = ntop - 1; q > p; q--)	/* the last one falls off */
			top[q] = top[q - 1];
		top[p] = i;
	}
	for (p = 0; p < ntop; p++) {
		out->drivers[p].feature = features_name(m->feat, f->perm[top[p]]);
		out->drivers[p].contribution = contrib[top[p]];
	}
	out->ndrivers = ntop;
}

/* See model_internal.h. Everything runs in the fit's (name) order, so the
 * sums do not depend on the order attributes registered in. */
void
model_score_compute(struct model *m, const struct employee *e, int64_t now_ms,
    struct score_work *sw, struct score *out)
{
	struct score_plan pl;

	if (e->hired_s == 0 || (e->flags & EMP_EXITED)) {
		model_score_compute_plan(m, NULL, e, now_ms, sw, out);
		return;
	}
	model_plan(m, &pl);
	model_score_compute_plan(m, &pl, e, now_ms, sw, out);
}

/* See model_internal.h (pl may be NULL for a record not scored). */
void
model_score_compute_plan(struct model *m, const struct score_plan *pl,
    const struct employee *e, int64_t now_ms, struct score_work *sw,
    struct score *out)
{
	const struct model_fit *f = m->fit;
	struct hazard_view hv;
	const double *rate;
	double eta, mult, t0;

	memset(out, 0, sizeof(*out));
	out->eta_se = NAN;	/* until score_detail() */
	sw->scored = 0;
	if (e->hired_s == 0)
		return;		/* provisional: no tenure, not scored (risk 0) */
	if (e->flags & EMP_EXITED) {
		out->expected_tenure_days = model_tenure_days(e, emp_ms(e->exit_s));
		return;
	}
	hazard_view(f->hz, &hv);
	rate = base_rates(m, &hv);	/* before model_horizon_cum(), which reads it */
	eta = model_plan_lp(m, pl, e, now_ms, sw->x, sw->v, sw->z, sw->w);
	eta = eta > ETA_CLAMP ? ETA_CLAMP : eta < -ETA_CLAMP ? -ETA_CLAMP : eta;
	mult = exp(eta);
	t0 = model_tenure_days(e, now_ms);
	out->risk = -expm1(-model_horizon_cum(m, mult, t0,
	    t0 + (f->cfg.horizon_days > 0 ? f->cfg.horizon_days : 180), &sw->base_var));
	out->expected_tenure_days = expected_tenure(rate, mult, t0);
	sw->scored = 1;
}

/* See model_internal.h. */
void
model_score_detail_from(const struct model *m, const struct score_work *sw,
    struct score *out)
{
	const struct model_fit *f = m->fit;
	struct hazard_view hv;

	if (!sw->scored) {	/* provisional or exited: no interval, no drivers */
		out->eta_se = 0;
		return;
	}
	hazard_view(f->hz, &hv);
	/* the log hazard's standard error, for the alert policy: the
	 * baselines' of the bands the horizon crosses (horizon.c) and the
	 * linear predictor's; a fit never solved has no covariance and knows
	 * nothing */
	out->eta_se = f->epoch < 0 ? INFINITY :
	    sqrt(model_fit_lp_var(f, sw->w) + sw->base_var);
	drivers(m, &hv, sw->v, sw->z, out);
}

/* See model.h: no statistics, no record, no dimension change. */
void
model_score_copy(struct model *m, const struct employee *e, int64_t now_ms,
    struct score *out)
{
	struct score_work sw;

	model_score_compute(m, e, now_ms, &sw, out);
	model_score_detail_from(m, &sw, out);
}
