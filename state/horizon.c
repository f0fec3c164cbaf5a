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
#include <string.h>

#include "model_internal.h"

#define Z_SCORE		4.0	/* SDs a score takes a covariate out, at most */

/* See model_internal.h: everything model_horizon_lp() reads of the fit,
 * computed here by the same expressions it used per score, so the values
 * and the predictor are the same bits. */
void
model_plan(const struct model *m, struct score_plan *pl)
{
	const struct model_fit *f = m->fit;
	struct hazard_view hv;
	int i, j, k, n = f->dim;

	hazard_view(f->hz, &hv);
	pl->n = n;
	pl->half_months = (f->cfg.horizon_days > 0 ? f->cfg.horizon_days : 180) /
	    2.0 / DAYS_PER_MONTH;
	pl->shrink = hv.shrink;
	pl->clocks = m->clocks;
	for (j = 0; j < n; j++) {	/* registry order: model_prepare() */
		pl->imp[j] = f->std_w[j] > 0 ? f->std_mean[j] : 0;
		pl->lo[j] = -INFINITY;
		pl->hi[j] = INFINITY;
		k = f->pos[j];
		if (k >= 0 && k < hv.dim && hv.active[k] && hv.sd[k] > 0) {
			pl->hi[j] = hv.mu[k] + Z_CLIP * hv.sd[k];
			pl->lo[j] = hv.mu[k] - Z_CLIP * hv.sd[k];
		}
	}
	for (i = 0; i < n; i++) {	/* fit order */
		pl->r[i] = f->perm[i];
		pl->zok[i] = i < hv.dim && hv.active[i];
		pl->mu[i] = pl->zok[i] ? hv.mu[i] : 0;
		pl->sd[i] = pl->zok[i] ? hv.sd[i] : 1;
		pl->b[i] = i < hv.dim ? hv.b[i] : 0;
		pl->pf[i] = f->perm[i] < PERSIST_COVARIATES ? f->pers_f[f->perm[i]] : 1;
	}
}

/* See model_internal.h. */
void
model_plan_prepare(const struct score_plan *pl, const double *x, double *v)
{
	double t;

	for (int j = 0; j < pl->n; j++) {
		t = isfinite(x[j]) ? x[j] : pl->imp[j];
		v[j] = t > pl->hi[j] ? pl->hi[j] : t < pl->lo[j] ? pl->lo[j] : t;
	}
}

/* The linear predictor of e at now_ms for the risk over the horizon, in
 * the fit's order: x the raw covariates (registry order) with the clocks
 * (months since a raise, a promotion, with the manager) taken at the
 * horizon's midpoint, as they will have grown by then (no reset foreseen),
 * v them imputed and clipped (model_prepare()), z the standardised values
 * (at most Z_SCORE SDs out: a clock covariate measured over a short
 * stretch of exposure has a small SD, and a score months later would
 * otherwise extrapolate its effect many SDs out), w z weighted for the
 * horizon (survey answers regress toward the mean, persist.c); returns
 * gamma * b . w (hazard.c's shrinkage). pl is model_plan() of m's fit:
 * one plan serves a whole batch of records (model_score_risk_batch()). */
double
model_plan_lp(const struct model *m, const struct score_plan *pl,
    const struct employee *e, int64_t now_ms, double *x, double *v, double *z,
    double *w)
{
	double eta = 0, t;
	int i, j, n = pl->n;

	features_vector(m->feat, e, now_ms, x);
	for (j = 0; j < n; j++)		/* the clocks at the midpoint */
		if ((pl->clocks >> j & 1) && isfinite(x[j]))
			x[j] += pl->half_months;
	model_plan_prepare(pl, x, v);
	for (i = 0; i < n; i++) {
		t = v[pl->r[i]];
		/* the fit knows nothing of the shape beyond the exposure it saw */
		t = pl->zok[i] && isfinite(t) ? (t - pl->mu[i]) / pl->sd[i] : 0;
		z[i] = t > Z_SCORE ? Z_SCORE : t < -Z_SCORE ? -Z_SCORE : t;
		w[i] = z[i] * pl->pf[i];
		eta += pl->b[i] * w[i];
	}
	return eta * pl->shrink;	/* honest with little data */
}

/* model_plan_lp() with a plan of its own. */
double
model_horizon_lp(const struct model *m, const struct employee *e, int64_t now_ms,
    double *x, double *v, double *z, double *w)
{
	struct score_plan pl;

	model_plan(m, &pl);
	return model_plan_lp(m, &pl, e, now_ms, x, v, z, w);
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
static double
band_rate(const struct model *m, int k)
{
	double lb = hazard_log_baseline(m->fit->hz, k);

	/* score.c's cache when it holds these bits: the same exp() */
	if (m->rate_ok && memcmp(&m->rate_log[k], &lb, sizeof(lb)) == 0)
		return m->rate[k];
	return exp(lb);
}

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
			lk = band_rate(m, k) * mult * (hi - lo);
			acc += lk;
			var += lk * lk * hazard_band_var(m->fit->hz, k);
		}
		a = hi;
	}
	*base_var = acc > 0 ? var / (acc * acc) : hazard_band_var(m->fit->hz, k0);
	return acc / (12 * DAYS_PER_MONTH);
}

/*
 * How far a new fit can move any score's log cumulative hazard over the
 * horizon from the old fit's, for the same record at the same time
 * (model.h, model_drift()). log H = log C + eta: C a positive sum of the
 * bands' baselines (log C moves at most by the largest change of a log
 * baseline), eta = sum_i a_i c_i(v_i) with a_i = shrink * b_i * (the
 * survey persistence factor) and c_i(v) = clip((v - mu_i) / sd_i, +-Z)
 * (horizon.c). Per covariate, a' c'(v) - a c(v) is piecewise linear in
 * v, so its largest |.| over every v is at a breakpoint (mu +- Z sd of
 * either fit) or at the limits (Z |a' - a|); an unknown value takes the
 * epoch's imputation mean, which moves v itself by |mean' - mean|, at
 * most |a'| / sd' in eta per unit. The sum of those is a bound for every
 * employee at once, with nothing kept per record.
 */

/* a_i, mu_i, sd_i of registry covariate r under the fit (a = 0 when the
 * fit does not take r). */
static void
drift_coef(const struct model *m, int r, struct model_drift_coef *c)
{
	const struct model_fit *f = m->fit;
	struct hazard_view hv;
	int i = f->pos[r];

	hazard_view(f->hz, &hv);
	c->a = 0;
	c->mu = 0;
	c->sd = 1;
	c->mean = f->std_w[r] > 0 ? f->std_mean[r] : 0;
	if (i < 0 || i >= hv.dim || i >= f->dim || !hv.active[i] || !(hv.sd[i] > 0))
		return;
	c->a = hv.shrink * hv.b[i] * (r < PERSIST_COVARIATES ? f->pers_f[r] : 1);
	c->mu = hv.mu[i];
	c->sd = hv.sd[i];
}

/* See model.h. */
void
model_drift_note(const struct model *m, struct model_drift *d)
{
	const struct model_fit *f = m->fit;
	int r, k;

	d->epoch = f->epoch;
	d->dim = f->dim;
	for (k = 0; k < HAZARD_BANDS; k++)
		d->logbase[k] = hazard_log_baseline(f->hz, k);
	for (r = 0; r < f->dim && r < FEATURES_MAX; r++)
		drift_coef(m, r, &d->c[r]);
}

static double
clipz(const struct model_drift_coef *c, double v)
{
	double z = (v - c->mu) / c->sd;

	return z > Z_SCORE ? Z_SCORE : z < -Z_SCORE ? -Z_SCORE : z;
}

/* max over v of |n.a c_n(v) - o.a c_o(v)| (see above). */
static double
coef_drift(const struct model_drift_coef *o, const struct model_drift_coef *n)
{
	double bp[4], worst = Z_SCORE * fabs(n->a - o->a), x;
	int j;

	bp[0] = o->mu - Z_SCORE * o->sd;
	bp[1] = o->mu + Z_SCORE * o->sd;
	bp[2] = n->mu - Z_SCORE * n->sd;
	bp[3] = n->mu + Z_SCORE * n->sd;
	for (j = 0; j < 4; j++) {
		x = fabs(n->a * clipz(n, bp[j]) - o->a * clipz(o, bp[j]));
		if (x > worst)
			worst = x;
	}
	x = fabs(n->mean - o->mean) / n->sd;	/* an imputed value moved */
	return worst + fabs(n->a) * (x < 2 * Z_SCORE ? x : 2 * Z_SCORE);
}

/* See model.h. */
double
model_drift(const struct model_drift *before, const struct model *m)
{
	static const struct model_drift_coef none = { 0, 0, 1, 0 };
	struct model_drift_coef c;
	double base = 0, eta = 0, x;
	int r, k, n = m->fit->dim;

	if (before->epoch < 0 || m->fit->epoch < 0)
		return INFINITY;
	for (k = 0; k < HAZARD_BANDS; k++)
		if ((x = fabs(hazard_log_baseline(m->fit->hz, k) - before->logbase[k])) > base)
			base = x;
	for (r = 0; r < n && r < FEATURES_MAX; r++) {
		drift_coef(m, r, &c);
		eta += coef_drift(r < before->dim ? &before->c[r] : &none, &c);
	}
	return isfinite(base + eta) ? base + eta : INFINITY;
}
