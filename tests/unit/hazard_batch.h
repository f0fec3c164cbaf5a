/*
 * hazard_batch.h: the exact batch fit of the piecewise-exponential hazard
 * model, the reference that test_hazard.c holds the online moment fit of
 * state/hazard.c against. Test code only: the daemon never fits in batch.
 * Included by the one test that uses it; everything here is static.
 */
#ifndef RETENTIOND_HAZARD_BATCH_H
#define RETENTIOND_HAZARD_BATCH_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "../../state/model_internal.h"

#define BATCH_ETA_MAX 30.0	/* exp() argument clamp, as in hazard.c */

/* One exposure piece: band k, dt_years at risk, d = 1 when it ends in a
 * voluntary exit, z[dim] covariates (borrowed). */
struct hazard_piece {
	int		 band;
	double		 dt_years;
	int		 d;
	const double	*z;
};

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
		if (eta > BATCH_ETA_MAX)
			eta = BATCH_ETA_MAX;
		ll += pc[i].d * eta - pc[i].dt_years * exp(eta);
	}
	for (j = 0; j < HAZARD_BANDS + dim; j++) {
		dv = theta[j] - hazard_prior_mean(j);
		ll -= 0.5 * dv * dv / hazard_prior_var(j, l2);
	}
	return ll;
}

/* Batch penalised Poisson fit (Newton / IRLS with step halving) of the
 * exact likelihood and the prior of state/hazard.c, in the units of the
 * pieces' z: theta[HAZARD_BANDS + dim], se (may be NULL). Returns the
 * number of iterations, or -1 with errbuf. Allocates. */
static int
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
			if (eta > BATCH_ETA_MAX)
				eta = BATCH_ETA_MAX;
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

#endif
