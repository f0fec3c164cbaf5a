/*
 * horizon.c: the linear predictor a risk over the horizon uses, and its
 * variance under the coefficients' covariance (model.h,
 * model_lp_variance(), for the alert policy's confidence), and the
 * cumulative hazard over the horizon with its baselines' variance.
 *
 * The hazard is fitted on the covariates in force; a risk over H days
 * integrates it forward, so the covariates are taken as they are expected
 * to be over the horizon (MODELS.md, "Risk, tenure, drivers"): clocks at
 * the horizon's midpoint, survey answers weighted by how long they hold
 * (persist.c), everything shrunk by the fit's heuristic factor (hazard.c).
 */
#include <math.h>

#include "model_internal.h"

#define Z_SCORE		4.0	/* SDs a score takes a covariate out, at most */

/* The linear predictor of e at now_ms for the risk over the horizon, in
 * the fit's order: x the raw covariates (registry order) with the clocks
 * (months since a raise, a promotion, with the manager) taken at the
 * horizon's midpoint, as they will have grown by then (no reset foreseen),
 * v them imputed and clipped, z the standardised values (at most Z_SCORE
 * SDs out: a clock covariate measured over a short stretch of exposure
 * has a small SD, and a score months later would otherwise extrapolate
 * its effect many SDs out), w z weighted for the horizon (survey answers
 * regress toward the mean, persist.c); returns gamma * b . w (hazard.c's
 * shrinkage). */
double
model_horizon_lp(const struct model *m, const struct employee *e, int64_t now_ms,
    double *x, double *v, double *z, double *w)
{
	const struct model_fit *f = m->fit;
	struct hazard_view hv;
	double eta = 0, half_months = (f->cfg.horizon_days > 0 ? f->cfg.horizon_days :
	    180) / 2.0 / DAYS_PER_MONTH;
	int i, n = f->dim;

	hazard_view(f->hz, &hv);
	features_vector(m->feat, e, now_ms, x);
	for (i = 0; i < n; i++)		/* clocks at the horizon's midpoint */
		if ((m->clocks >> i & 1) && isfinite(x[i]))
			x[i] += half_months;
	model_prepare(m, x, n, v);
	for (i = 0; i < n; i++) {
		z[i] = hazard_view_z(&hv, i, v[f->perm[i]]);
		/* the fit knows nothing of the shape beyond the exposure it saw */
		z[i] = z[i] > Z_SCORE ? Z_SCORE : z[i] < -Z_SCORE ? -Z_SCORE : z[i];
		w[i] = z[i] * (f->perm[i] < PERSIST_COVARIATES ? f->pers_f[f->perm[i]] : 1);
		eta += (i < hv.dim ? hv.b[i] : 0) * w[i];
	}
	return eta * hv.shrink;	/* honest with little data */
}

/* See model_internal.h. */
double
model_fit_lp_var(const struct model_fit *f, const double *w)
{
	double g = hazard_shrinkage(f->hz);

	return g * g * hazard_lp_variance(f->hz, w, f->dim);
}

/* See model.h: gamma^2 w' Cov(b) w with w as model_horizon_lp() makes it. */
double
model_lp_variance(struct model *m, const struct employee *e, int64_t now_ms)
{
	double x[FEATURES_MAX], v[FEATURES_MAX], z[FEATURES_MAX], w[FEATURES_MAX];
	if (e->hired_s == 0 || (e->flags & EMP_EXITED))
		return 0;
	(void)model_horizon_lp(m, e, now_ms, x, v, z, w);
	return model_fit_lp_var(m->fit, w);
}


/*
 * The cumulative baseline-times-multiplier hazard over tenure [a, b] days,
 * and into *base_var the variance of its log from the band baselines:
 * L = sum_k L_k, so d log L / d log lambda0_k = L_k / L, and with the
 * bands' estimates independent var(log L) = sum_k (L_k / L)^2 var_k
 * (delta method). A horizon that runs into a band with few exits carries
 * that band's uncertainty in the share of the risk it contributes, not
 * the uncertainty of the band the employee is in today: a band just
 * entered by a cohort (its first exits against little booked exposure)
 * is what makes risks jump, and its weight is what the policy must see.
 */
double
model_horizon_cum(const struct model *m, double mult, double a, double b,
    double *base_var)
{
	double lo, hi, lk, acc = 0, var = 0;
	int k, k0 = hazard_band(a);

	for (k = k0; k < HAZARD_BANDS && a < b; k++) {
		lo = a;
		hi = k + 1 < HAZARD_BANDS ? hazard_band_edge_days[k + 1] : b;
		if (hi > b)
			hi = b;
		if (hi > lo) {
			lk = exp(hazard_log_baseline(m->fit->hz, k)) * mult * (hi - lo);
			acc += lk;
			var += lk * lk * hazard_band_var(m->fit->hz, k);
		}
		a = hi;
	}
	*base_var = acc > 0 ? var / (acc * acc) : hazard_band_var(m->fit->hz, k0);
	return acc / (12 * DAYS_PER_MONTH);
}
