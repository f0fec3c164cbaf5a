/*
 * test_rls.c: recursive least squares (state/rls.c). Without forgetting it
 * must equal batch OLS (GSL's multifit) in coefficients and standard
 * errors; with forgetting it must follow a parameter that changes.
 */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_multifit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../../state/model_internal.h"
#include "check.h"

#define N 400

static void
test_equals_ols(gsl_rng *rng)
{
	gsl_matrix *X = gsl_matrix_alloc(N, 3), *cov = gsl_matrix_alloc(3, 3);
	gsl_vector *y = gsl_vector_alloc(N), *c = gsl_vector_alloc(3);
	gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(N, 3);
	struct rls r;
	double x[3], yi, coef[3], se[3], chisq, maxd = 0, maxs = 0;
	int i, j;

	CHECK(X && cov && y && c && w);
	rls_init(&r, 3, 1.0);
	for (i = 0; i < N; i++) {
		x[0] = 1;
		x[1] = gsl_ran_exponential(rng, 4.0);		/* % of salary */
		x[2] = (double)gsl_ran_poisson(rng, 1.5);	/* care events */
		yi = 55 + 0.9 * x[1] + 2.5 * x[2] + gsl_ran_gaussian(rng, 8.0);
		for (j = 0; j < 3; j++)
			gsl_matrix_set(X, (size_t)i, (size_t)j, x[j]);
		gsl_vector_set(y, (size_t)i, yi);
		CHECK(rls_update(&r, x, yi) == 0);
	}
	CHECK(gsl_multifit_linear(X, y, c, cov, &chisq, w) == GSL_SUCCESS);
	rls_estimate(&r, coef, se);
	for (j = 0; j < 3; j++) {
		double d = fabs(coef[j] - gsl_vector_get(c, (size_t)j));
		double ds = fabs(se[j] - sqrt(gsl_matrix_get(cov, (size_t)j, (size_t)j)));

		CHECK_NEAR(coef[j], gsl_vector_get(c, (size_t)j), 1e-6);
		CHECK_NEAR(se[j], sqrt(gsl_matrix_get(cov, (size_t)j, (size_t)j)), 1e-6);
		maxd = d > maxd ? d : maxd;
		maxs = ds > maxs ? ds : maxs;
	}
	CHECK(r.n == N);
	/* the truth is recovered within a few standard errors */
	CHECK(fabs(coef[1] - 0.9) < 4 * se[1]);
	CHECK(fabs(coef[2] - 2.5) < 4 * se[2]);
	printf("rls vs ols: max |coef diff| %.3g, max |se diff| %.3g; alpha %.3f se %.3f\n",
	    maxd, maxs, coef[1], se[1]);

	/* invalid input changes nothing */
	x[0] = 1, x[1] = NAN, x[2] = 0;
	CHECK(rls_update(&r, x, 1.0) == -1);
	x[1] = 1;
	CHECK(rls_update(&r, x, INFINITY) == -1);
	CHECK(r.n == N);

	gsl_multifit_linear_free(w);
	gsl_matrix_free(X);
	gsl_matrix_free(cov);
	gsl_vector_free(y);
	gsl_vector_free(c);
}

static void
test_tracks_change(gsl_rng *rng)
{
	struct rls fast, slow;
	double x[2], yv, cf[2], sf[2], cs[2], ss[2];
	int i;

	rls_init(&fast, 2, 0.98);
	rls_init(&slow, 2, 1.0);
	for (i = 0; i < 2000; i++) {
		double slope = i < 1000 ? 0.25 : 0.6;

		x[0] = 1;
		x[1] = gsl_rng_uniform(rng) * 40;		/* training hours */
		yv = 45 + slope * x[1] + gsl_ran_gaussian(rng, 3.0);
		CHECK(rls_update(&fast, x, yv) == 0);
		CHECK(rls_update(&slow, x, yv) == 0);
		if (i == 999) {
			rls_estimate(&fast, cf, sf);
			CHECK_NEAR(cf[1], 0.25, 0.05);
		}
	}
	rls_estimate(&fast, cf, sf);
	rls_estimate(&slow, cs, ss);
	CHECK_NEAR(cf[1], 0.6, 0.05);
	CHECK_NEAR(cf[0], 45, 2.0);
	/* without forgetting the estimate is stuck between the regimes */
	CHECK(cs[1] < 0.5 && cs[1] > 0.35);
	/* effective sample under forgetting is about 1 / (1 - f) */
	CHECK_NEAR(fast.weight, 50, 1);
	CHECK(sf[1] > ss[1]);
	printf("forgetting 0.98: gamma %.3f (true 0.6), without: %.3f\n", cf[1], cs[1]);
}

static void
test_degenerate(void)
{
	struct rls r;
	double x[3] = { 1, 0, 0 }, coef[3], se[3];
	int i;

	rls_init(&r, 3, 1.0);
	rls_estimate(&r, coef, se);
	CHECK(isnan(coef[0]) && isnan(se[0]));
	for (i = 0; i < 10; i++) {
		x[1] = i;
		CHECK(rls_update(&r, x, 50 + 2 * i) == 0);	/* care never varies */
	}
	rls_estimate(&r, coef, se);
	CHECK_NEAR(coef[0], 50, 1e-6);
	CHECK_NEAR(coef[1], 2, 1e-6);
	CHECK(isfinite(coef[2]) && fabs(coef[2]) < 1e-6);
	CHECK(isnan(se[2]));
}

int
main(void)
{
	gsl_rng *rng;

	model_global_init();
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 42);
	test_equals_ols(rng);
	test_tracks_change(rng);
	test_degenerate();
	gsl_rng_free(rng);
	return check_exit("test_rls");
}
