/*
 * hazard.c: piecewise-exponential proportional hazards (MODEL.md, relation
 * 3), fitted online.
 *
 *	lambda(t | z) = lambda0_k * exp(b . z),  k = band(tenure t)
 *
 * theta = [log lambda0_1..K, b_1..d] (rates per year of 365.25 days). An
 * exposure piece (band k, dt years, d in {0,1}, z) adds
 *
 *	d * (theta . x) - dt * exp(theta . x),   x = [e_k, z]
 *
 * to the log-likelihood: a Poisson GLM with offset log dt. The online fit
 * is the extended Kalman filter / online Newton step for that GLM, with
 * forgetting f per piece, in its implicit (posterior-mode) form:
 *
 *	P <- P / f                      (forget; variances capped at the prior)
 *	theta' = theta + P x (d - mu'),  mu' = dt exp(theta' . x)
 *	P <- (P^-1 + mu' x x')^-1        (Sherman-Morrison, O(p^2))
 *
 * theta' is the mode of the Gaussian N(theta, P) times the piece's
 * likelihood. It moves along P x, so only the scalar eta' = theta' . x
 * has to be solved (implicit_mu()); evaluating mu at the new point rather
 * than the old one (the explicit EKF step) cannot overshoot on a rare
 * exit and makes early, badly linearised steps far less sticky. A step
 * is still clipped to STEP_MAX per entry as a guard.
 *
 * started from the prior mean with P = prior covariance: log lambda0_k ~
 * N(log 0.1, 4), b_j ~ N(0, 1/l2). With f = 1 this tracks the penalised
 * maximum-likelihood fit that hazard_fit_batch() computes exactly (tests
 * compare the two). Standard errors are sqrt(diag P).
 *
 * Forgetting inflates P in directions that get no information; capping
 * each variance at its prior value (a congruence scaling D P D, which keeps
 * P positive semi-definite) stops that wind-up.
 *
 * Memory for HAZARD_P_MAX parameters is taken at hazard_new(), so new
 * covariates (attributes registering late) join without allocation: their
 * coefficient starts at 0 with the prior variance and no covariance.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "model_internal.h"

#define PRIOR_LOG_RATE	(-2.302585092994046)	/* log 0.1 per year */
#define PRIOR_BASE_VAR	4.0
#define STEP_MAX	2.0	/* largest change of one parameter per piece */
#define ETA_MAX		30.0	/* exp() argument clamp */
#define L2_MIN		1e-4

/* 0-3 months, 3-12 months, 1-2 years, 2-5 years, 5 years+ */
const double hazard_band_edge_days[HAZARD_BANDS] = {
	0, 3 * DAYS_PER_MONTH, 12 * DAYS_PER_MONTH, 24 * DAYS_PER_MONTH,
	60 * DAYS_PER_MONTH
};

struct hazard {
	int	dim;		/* covariates */
	double	l2;
	double	forgetting;
	double	theta[HAZARD_P_MAX];
	double	*p;		/* HAZARD_P_MAX^2, row-major, stride HAZARD_P_MAX */
	double	px[HAZARD_P_MAX];	/* scratch */
	long	exits;
	double	exposure_years;
};

#define P(h, i, j) ((h)->p[(size_t)(i) * HAZARD_P_MAX + (size_t)(j)])

/* Band of a tenure in days (negative counts as 0). */
int
hazard_band(double tenure_days)
{
	int k;

	for (k = HAZARD_BANDS - 1; k > 0; k--)
		if (tenure_days >= hazard_band_edge_days[k])
			return k;
	return 0;
}

/* Prior mean of parameter j (baseline log rates first). */
double
hazard_prior_mean(int j)
{
	return j < HAZARD_BANDS ? PRIOR_LOG_RATE : 0;
}

/* Prior variance of parameter j under ridge l2. */
double
hazard_prior_var(int j, double l2)
{
	if (j < HAZARD_BANDS)
		return PRIOR_BASE_VAR;
	return 1 / (l2 > L2_MIN ? l2 : L2_MIN);
}

/* new; NULL on ENOMEM or a bad dim. */
struct hazard *
hazard_new(int dim, double l2, double forgetting)
{
	struct hazard *h;
	int j;

	if (dim < 0 || dim > FEATURES_MAX)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->p = calloc((size_t)HAZARD_P_MAX * HAZARD_P_MAX, sizeof(double));
	if (h->p == NULL) {
		free(h);
		return NULL;
	}
	hazard_set_config(h, l2, forgetting);
	for (j = 0; j < HAZARD_BANDS; j++) {
		h->theta[j] = hazard_prior_mean(j);
		P(h, j, j) = hazard_prior_var(j, h->l2);
	}
	if (hazard_grow(h, dim) != 0) {
		hazard_free(h);
		return NULL;
	}
	return h;
}

/* NULL is a no-op. */
void
hazard_free(struct hazard *h)
{
	if (h == NULL)
		return;
	free(h->p);
	free(h);
}

/* New ridge and forgetting; the ridge applies to coefficients added later
 * and to the variance cap. */
void
hazard_set_config(struct hazard *h, double l2, double forgetting)
{
	h->l2 = l2 > L2_MIN ? l2 : L2_MIN;
	h->forgetting = forgetting > 0 && forgetting <= 1 ? forgetting : 1;
}

int
hazard_dim(const struct hazard *h)
{
	return h->dim;
}

/* See model_internal.h. */
int
hazard_grow(struct hazard *h, int dim)
{
	int j, i, p;

	if (dim > FEATURES_MAX)
		return -1;
	for (j = h->dim; j < dim; j++) {
		p = HAZARD_BANDS + j;
		h->theta[p] = 0;
		for (i = 0; i < HAZARD_P_MAX; i++)
			P(h, i, p) = P(h, p, i) = 0;
		P(h, p, p) = hazard_prior_var(p, h->l2);
	}
	if (dim > h->dim)
		h->dim = dim;
	return 0;
}

/* Forgetting step with the variance cap (see the file comment). */
static void
hazard_forget(struct hazard *h, int np)
{
	double s[HAZARD_P_MAX], cap, inv = 1 / h->forgetting;
	int i, j, scaled = 0;

	for (i = 0; i < np; i++) {
		cap = hazard_prior_var(i, h->l2);
		s[i] = 1;
		if (P(h, i, i) * inv > cap) {
			s[i] = sqrt(cap / (P(h, i, i) * inv));
			scaled = 1;
		}
	}
	for (i = 0; i < np; i++)
		for (j = 0; j < np; j++)
			P(h, i, j) *= inv * (scaled ? s[i] * s[j] : 1);
}

/*
 * mu at the root eta' of  eta' = eta + s (d - dt exp(eta')): the mode of
 * N(eta, s) times one Poisson term. The left side minus the right grows
 * strictly in eta', so the root is unique and bracketed by eta and
 * eta + s (d - dt exp(eta)); Newton with bisection as a fallback.
 */
static double
implicit_mu(double eta, double s, double dt, int d)
{
	double lo, hi, x, f, fp, step;
	int i;

	if (dt <= 0)
		return 0;
	x = eta + s * (d - dt * exp(eta));
	lo = x < eta ? x : eta;
	hi = x < eta ? eta : x;
	if (hi > ETA_MAX)
		hi = ETA_MAX;
	if (lo > hi)
		lo = hi;
	x = eta;
	for (i = 0; i < 100; i++) {
		f = x - eta - s * (d - dt * exp(x));
		if (f > 0)
			hi = x;
		else
			lo = x;
		fp = 1 + s * dt * exp(x);
		step = f / fp;
		x -= step;
		if (!(x > lo && x < hi))
			x = 0.5 * (lo + hi);
		if (fabs(step) < 1e-12 || hi - lo < 1e-12)
			break;
	}
	return dt * exp(x > ETA_MAX ? ETA_MAX : x);
}

/* See model_internal.h. */
int
hazard_update(struct hazard *h, int band, double dt_years, int d, const double *z)
{
	int np = HAZARD_BANDS + h->dim, i, j;
	double eta, mu, s, g, step, big;

	if (band < 0 || band >= HAZARD_BANDS || !(dt_years >= 0) ||
	    !isfinite(dt_years) || (d != 0 && d != 1))
		return -1;
	for (j = 0; j < h->dim; j++)
		if (!isfinite(z[j]))
			return -1;
	if (dt_years == 0 && d == 0)
		return 0;	/* no information */
	if (h->forgetting < 1)
		hazard_forget(h, np);

	eta = h->theta[band] + hazard_linear(h, z, h->dim);
	if (eta > ETA_MAX)
		eta = ETA_MAX;

	/* px = P x, x = e_band + [0, z] */
	for (i = 0; i < np; i++) {
		double acc = P(h, i, band);
		const double *row = &P(h, i, HAZARD_BANDS);

		for (j = 0; j < h->dim; j++)
			acc += row[j] * z[j];
		h->px[i] = acc;
	}
	s = h->px[band];
	for (j = 0; j < h->dim; j++)
		s += z[j] * h->px[HAZARD_BANDS + j];
	if (!(s >= 0) || !isfinite(s))
		return -1;

	/* implicit step: mu at the new linear predictor (see the file comment) */
	mu = implicit_mu(eta, s, dt_years, d);
	g = d - mu;
	big = 0;
	for (i = 0; i < np; i++)
		if (fabs(h->px[i] * g) > big)
			big = fabs(h->px[i] * g);
	step = big > STEP_MAX ? STEP_MAX / big : 1;
	for (i = 0; i < np; i++)
		h->theta[i] += h->px[i] * g * step;

	/* Sherman-Morrison */
	g = mu / (1 + mu * s);
	if (g > 0)
		for (i = 0; i < np; i++) {
			double gi = g * h->px[i];
			double *row = &P(h, i, 0);

			for (j = 0; j < np; j++)
				row[j] -= gi * h->px[j];
		}
	h->exits += d;
	h->exposure_years += dt_years;
	return 0;
}

double
hazard_log_baseline(const struct hazard *h, int band)
{
	return h->theta[band];
}

/* See model_internal.h. */
double
hazard_linear(const struct hazard *h, const double *z, int n)
{
	double acc = 0;
	int j;

	if (n > h->dim)
		n = h->dim;
	for (j = 0; j < n; j++)
		acc += h->theta[HAZARD_BANDS + j] * z[j];
	return acc;
}

double
hazard_coef(const struct hazard *h, int j)
{
	return j >= 0 && j < h->dim ? h->theta[HAZARD_BANDS + j] : 0;
}

/* See model_internal.h. */
void
hazard_theta(const struct hazard *h, double *theta, double *se)
{
	int np = HAZARD_BANDS + h->dim, i;

	for (i = 0; i < np; i++) {
		if (theta != NULL)
			theta[i] = h->theta[i];
		if (se != NULL)
			se[i] = sqrt(P(h, i, i) > 0 ? P(h, i, i) : 0);
	}
}

long
hazard_exits(const struct hazard *h)
{
	return h->exits;
}

double
hazard_exposure_years(const struct hazard *h)
{
	return h->exposure_years;
}

/* Penalised log-likelihood of theta over the pieces. */
static double
batch_loglik(const struct hazard_piece *pc, size_t n, int dim, double l2,
    const double *theta)
{
	double ll = 0, eta, dv;
	size_t i;
	int j;

	for (i = 0; i < n; i++) {
		eta = theta[pc[i].band];
		for (j = 0; j < dim; j++)
			eta += theta[HAZARD_BANDS + j] * pc[i].z[j];
		if (eta > ETA_MAX)
			eta = ETA_MAX;
		ll += pc[i].d * eta - pc[i].dt_years * exp(eta);
	}
	for (j = 0; j < HAZARD_BANDS + dim; j++) {
		dv = theta[j] - hazard_prior_mean(j);
		ll -= 0.5 * dv * dv / hazard_prior_var(j, l2);
	}
	return ll;
}

/* See model_internal.h. */
int
hazard_fit_batch(const struct hazard_piece *pc, size_t n, int dim, double l2,
    double *theta, double *se, char *errbuf, size_t errlen)
{
	gsl_matrix *hm = NULL;
	gsl_vector *g = NULL, *delta = NULL;
	double trial[HAZARD_P_MAX], x[HAZARD_P_MAX], ll, ll_new, eta, mu, t, big;
	int np = HAZARD_BANDS + dim, it, rc = -1, a, b, halvings;
	size_t i;

	if (dim < 0 || dim > FEATURES_MAX) {
		snprintf(errbuf, errlen, "hazard: bad dimension %d", dim);
		return -1;
	}
	hm = gsl_matrix_alloc((size_t)np, (size_t)np);
	g = gsl_vector_alloc((size_t)np);
	delta = gsl_vector_alloc((size_t)np);
	if (hm == NULL || g == NULL || delta == NULL) {
		snprintf(errbuf, errlen, "hazard: %s", strerror(ENOMEM));
		goto fail;
	}
	for (a = 0; a < np; a++)
		theta[a] = hazard_prior_mean(a);
	ll = batch_loglik(pc, n, dim, l2, theta);
	for (it = 1; it <= 200; it++) {
		/* gradient and negative Hessian of the penalised likelihood */
		gsl_matrix_set_zero(hm);
		for (a = 0; a < np; a++) {
			double v = hazard_prior_var(a, l2);

			gsl_vector_set(g, (size_t)a, -(theta[a] - hazard_prior_mean(a)) / v);
			gsl_matrix_set(hm, (size_t)a, (size_t)a, 1 / v);
		}
		for (i = 0; i < n; i++) {
			memset(x, 0, sizeof(double) * (size_t)np);
			x[pc[i].band] = 1;
			for (a = 0; a < dim; a++)
				x[HAZARD_BANDS + a] = pc[i].z[a];
			eta = 0;
			for (a = 0; a < np; a++)
				eta += theta[a] * x[a];
			if (eta > ETA_MAX)
				eta = ETA_MAX;
			mu = pc[i].dt_years * exp(eta);
			for (a = 0; a < np; a++) {
				if (x[a] == 0)
					continue;
				*gsl_vector_ptr(g, (size_t)a) += x[a] * (pc[i].d - mu);
				for (b = 0; b < np; b++)
					*gsl_matrix_ptr(hm, (size_t)a, (size_t)b) += mu * x[a] * x[b];
			}
		}
		if (gsl_linalg_cholesky_decomp1(hm) != GSL_SUCCESS ||
		    gsl_linalg_cholesky_solve(hm, g, delta) != GSL_SUCCESS) {
			snprintf(errbuf, errlen, "hazard: Hessian not positive definite");
			goto fail;
		}
		/* step halving until the penalised likelihood does not fall */
		for (t = 1, halvings = 0; halvings < 40; halvings++, t /= 2) {
			for (a = 0; a < np; a++)
				trial[a] = theta[a] + t * gsl_vector_get(delta, (size_t)a);
			ll_new = batch_loglik(pc, n, dim, l2, trial);
			if (ll_new >= ll - 1e-12 * fabs(ll))
				break;
		}
		big = 0;
		for (a = 0; a < np; a++) {
			if (fabs(trial[a] - theta[a]) > big)
				big = fabs(trial[a] - theta[a]);
			theta[a] = trial[a];
		}
		ll = ll_new;
		if (big < 1e-10)
			break;
	}
	if (it > 200) {
		snprintf(errbuf, errlen, "hazard: no convergence");
		goto fail;
	}
	if (se != NULL) {
		/* hm holds the Cholesky factor at the previous iterate; at
		 * convergence that is the optimum to within 1e-10 */
		if (gsl_linalg_cholesky_invert(hm) != GSL_SUCCESS) {
			snprintf(errbuf, errlen, "hazard: cannot invert the Hessian");
			goto fail;
		}
		for (a = 0; a < np; a++)
			se[a] = sqrt(gsl_matrix_get(hm, (size_t)a, (size_t)a));
	}
	rc = it;
fail:
	gsl_matrix_free(hm);
	gsl_vector_free(g);
	gsl_vector_free(delta);
	return rc;
}
