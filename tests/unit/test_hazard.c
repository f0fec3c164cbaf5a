/*
 * test_hazard.c: the piecewise-exponential hazard model (state/hazard.c).
 * A simulated cohort with known baseline and coefficients is cut into
 * exposure pieces; the online (moment) fit must land on the exact batch
 * penalised Poisson fit, and both on the true values. The online fit
 * standardises internally, so its estimates are taken back to the units
 * of the pieces before the comparison.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../../state/model_internal.h"
#include "check.h"
#include "hazard_batch.h"

#define DIM	3
#define PEOPLE	6000
#define PIECES_MAX (PEOPLE * 16)
#define NP	(HAZARD_BANDS + DIM)
#ifndef TEST_SEED
#define TEST_SEED 7
#endif

static const double l0_true[HAZARD_BANDS] = { 0.30, 0.18, 0.12, 0.09, 0.06 };
static const double b_true[DIM] = { 0.5, -0.4, 0.2 };

static struct hazard_piece pieces[PIECES_MAX];
static double zs[PIECES_MAX][DIM];
static size_t npieces;

static void
add_piece(int band, double dt, int d, const double *z)
{
	int j;

	if (npieces >= PIECES_MAX)
		return;
	for (j = 0; j < DIM; j++)
		zs[npieces][j] = z[j];
	pieces[npieces].band = band;
	pieces[npieces].dt_years = dt;
	pieces[npieces].d = d;
	pieces[npieces].z = zs[npieces];
	npieces++;
}

/* One person from tenure 0 to exit or censoring; z[1] changes once. */
static void
simulate_person(gsl_rng *rng)
{
	double z[DIM], t = 0, cens, change, target, acc = 0, end, rate, lin;
	int j, k, done = 0;

	for (j = 0; j < DIM; j++)
		z[j] = gsl_ran_gaussian(rng, 1.0);
	cens = 0.5 + gsl_rng_uniform(rng) * 7.5;	/* years of follow-up */
	change = gsl_rng_uniform(rng) * 6;
	target = gsl_ran_exponential(rng, 1.0);		/* cumulative hazard at exit */
	while (!done) {
		k = hazard_band(t * 365.25);
		end = k + 1 < HAZARD_BANDS ? hazard_band_edge_days[k + 1] / 365.25 : 1e9;
		if (change > t && change < end)
			end = change;
		if (cens < end)
			end = cens;
		lin = 0;
		for (j = 0; j < DIM; j++)
			lin += b_true[j] * z[j];
		rate = l0_true[k] * exp(lin);
		if (acc + rate * (end - t) >= target) {
			add_piece(k, (target - acc) / rate, 1, z);
			done = 1;
		} else {
			add_piece(k, end - t, 0, z);
			acc += rate * (end - t);
			if (end >= cens)
				done = 1;
			if (end == change)
				z[1] = gsl_ran_gaussian(rng, 1.0);
			t = end;
		}
	}
}

static void
shuffle(gsl_rng *rng)
{
	size_t i, j;
	struct hazard_piece tmp;

	for (i = npieces - 1; i > 0; i--) {
		j = gsl_rng_uniform_int(rng, i + 1);
		tmp = pieces[i], pieces[i] = pieces[j], pieces[j] = tmp;
	}
}

static void
test_online_vs_batch(gsl_rng *rng)
{
	struct hazard *h;
	double on[NP], on_se[NP], ba[NP], ba_se[NP], truth[NP], maxd = 0, maxz = 0, maxds = 0;
	char err[128];
	long exits = 0;
	size_t i;
	int j, k, it;

	for (i = 0; i < PEOPLE; i++)
		simulate_person(rng);
	shuffle(rng);
	CHECK(npieces < PIECES_MAX);
	h = hazard_new(DIM, 1.0, 1.0);
	CHECK(h != NULL);
	for (i = 0; i < npieces; i++) {
		CHECK(hazard_update(h, pieces[i].band, pieces[i].dt_years,
		    pieces[i].d, pieces[i].z) == 0);
		exits += pieces[i].d;
	}
	CHECK(hazard_refresh(h, 1) == 0);
	hazard_theta(h, on, on_se);
	/* per SD and at the pooled mean -> per unit and at z = 0 */
	for (j = 0; j < DIM; j++) {
		double mean, sd;

		hazard_standardiser(h, j, &mean, &sd);
		CHECK(sd > 0.5 && sd < 2);
		on[HAZARD_BANDS + j] /= sd;
		on_se[HAZARD_BANDS + j] /= sd;
		for (k = 0; k < HAZARD_BANDS; k++)
			on[k] -= on[HAZARD_BANDS + j] * mean;
	}
	it = hazard_fit_batch(pieces, npieces, DIM, 1.0, ba, ba_se, err, sizeof(err));
	CHECK(it > 0);
	if (it <= 0)
		fprintf(stderr, "batch: %s\n", err);
	CHECK(hazard_exits(h) == exits);
	for (j = 0; j < NP; j++) {
		truth[j] = j < HAZARD_BANDS ? log(l0_true[j]) : b_true[j - HAZARD_BANDS];
		if (fabs(on[j] - ba[j]) > maxd)
			maxd = fabs(on[j] - ba[j]);
		/* the moment fit lands on the exact batch fit to within
		 * a standard error */
		CHECK_NEAR(on[j], ba[j], 1.0 * ba_se[j]);
		if (fabs(on[j] - ba[j]) / ba_se[j] > maxds)
			maxds = fabs(on[j] - ba[j]) / ba_se[j];
		/* its coefficients' standard errors agree too (the baselines'
		 * are about the pooled mean, not z = 0, so they differ) */
		if (j >= HAZARD_BANDS)
			CHECK_NEAR(on_se[j], ba_se[j], 0.15 * ba_se[j]);
		/* and both recover the truth within 4 standard errors */
		CHECK(fabs(ba[j] - truth[j]) < 4 * ba_se[j]);
		CHECK(fabs(on[j] - truth[j]) < 4 * ba_se[j]);
		if (fabs(on[j] - truth[j]) / ba_se[j] > maxz)
			maxz = fabs(on[j] - truth[j]) / ba_se[j];
	}
	printf("%zu pieces, %ld exits, batch in %d iterations\n", npieces, exits, it);
	printf("max |online - batch| %.4f (%.2f se); max |online - true| / batch se %.2f\n",
	    maxd, maxds, maxz);
	for (j = 0; j < NP; j++)
		printf("  theta[%d] true %+.3f batch %+.3f (se %.3f) online %+.3f (se %.3f)\n",
		    j, truth[j], ba[j], ba_se[j], on[j], on_se[j]);
	hazard_free(h);
}

static void
test_grow_and_invalid(void)
{
	struct hazard *h = hazard_new(2, 4.0, 1.0);
	double z[3] = { 1, -1, 2 }, th[HAZARD_BANDS + 3], se[HAZARD_BANDS + 3];
	double b0;
	int i;

	CHECK(h != NULL);
	for (i = 0; i < 40; i++) {	/* exits only where z0 = 1 */
		z[0] = i % 2 ? 1 : -1;
		CHECK(hazard_update(h, 1, 0.5, i % 4 == 1, z) == 0);
	}
	z[0] = 1;
	b0 = hazard_coef(h, 0);
	CHECK(b0 > 0);		/* exits with z0 = 1 raise b0 */
	CHECK(hazard_grow(h, 3) == 0);
	CHECK(hazard_dim(h) == 3);
	CHECK(hazard_coef(h, 0) == b0);
	hazard_theta(h, th, se);
	CHECK(th[HAZARD_BANDS + 2] == 0);
	CHECK_NEAR(se[HAZARD_BANDS + 2], 0.5, 1e-12);	/* 1 / sqrt(l2) */
	CHECK(hazard_grow(h, FEATURES_MAX + 1) == -1);
	CHECK(hazard_update(h, HAZARD_BANDS, 0.5, 0, z) == -1);
	CHECK(hazard_update(h, 0, -1, 0, z) == -1);
	CHECK(hazard_update(h, 0, 0.5, 2, z) == -1);
	z[2] = NAN;
	CHECK(hazard_update(h, 0, 0.5, 0, z) == -1);
	CHECK(hazard_exits(h) == 10);
	/* bands */
	CHECK(hazard_band(-5) == 0);
	CHECK(hazard_band(91) == 0);
	CHECK(hazard_band(92) == 1);
	CHECK(hazard_band(400) == 2);
	CHECK(hazard_band(800) == 3);
	CHECK(hazard_band(5000) == 4);
	hazard_free(h);
	hazard_free(NULL);
}

/* With forgetting, a baseline that triples is followed. */
static void
test_forgetting(gsl_rng *rng)
{
	struct hazard *h = hazard_new(0, 1.0, 0.999), *g = hazard_new(0, 1.0, 1.0);
	double rate, t;
	int i, d;

	CHECK(h != NULL && g != NULL);
	for (i = 0; i < 60000; i++) {
		rate = i < 30000 ? 0.1 : 0.3;
		t = gsl_ran_exponential(rng, 1 / rate);
		d = t < 0.25;
		CHECK(hazard_update(h, 2, d ? t : 0.25, d, NULL) == 0);
		CHECK(hazard_update(g, 2, d ? t : 0.25, d, NULL) == 0);
	}
	CHECK_NEAR(exp(hazard_log_baseline(h, 2)), 0.3, 0.05);
	CHECK(exp(hazard_log_baseline(g, 2)) < 0.25);
	printf("forgetting 0.999: rate %.3f (true 0.3), without: %.3f\n",
	    exp(hazard_log_baseline(h, 2)), exp(hazard_log_baseline(g, 2)));
	hazard_free(h);
	hazard_free(g);
}

/* A band nobody has reached yet takes its neighbour's rate, carried
 * across the edge by the tenure profile (baseline.c): as it is within the
 * first year, falling as tenure^(-1/3) of the bands' middles (1.5, 7.5,
 * 18, 42, 90 months) from there; the variance of its log grows by 1/a
 * (a = 4 pseudo-exits) a band out. */
/* hazard_accumulate_batch() adds what as many hazard_accumulate() calls
 * add, summed in another order: the same fit to rounding; rows it cannot
 * take (non-finite, dt <= 0) are skipped as the single calls refuse them,
 * and more than HAZARD_BATCH_MAX rows are refused. */
static void
test_accumulate_batch(gsl_rng *rng)
{
	struct hazard *one = hazard_new(DIM, 1.0, 1.0), *bat = hazard_new(DIM, 1.0, 1.0);
	double x[HAZARD_BATCH_MAX][DIM], dt[HAZARD_BATCH_MAX], ta[NP], tb[NP];
	int band, r, j, n;

	CHECK(one != NULL && bat != NULL);
	for (int round = 0; round < 40; round++) {
		band = round % HAZARD_BANDS;
		n = 1 + (int)gsl_rng_uniform_int(rng, HAZARD_BATCH_MAX);
		for (r = 0; r < n; r++) {
			for (j = 0; j < DIM; j++)
				x[r][j] = 3 + gsl_ran_gaussian(rng, 2.0) * (j + 1);
			dt[r] = r % 17 == 5 ? 0 : gsl_rng_uniform(rng) * 0.1;
			if (r % 23 == 7)
				x[r][1] = NAN;
			(void)hazard_accumulate(one, band, dt[r], 0, x[r]);
		}
		CHECK(hazard_accumulate_batch(bat, band, n, dt, &x[0][0], DIM) == 0);
		for (r = 0; r < 3; r++) {	/* exits, so that the fit is solved */
			for (j = 0; j < DIM; j++)
				x[0][j] = 3 + gsl_ran_gaussian(rng, 2.0);
			CHECK(hazard_accumulate(one, band, 0, 1, x[0]) == 0);
			CHECK(hazard_accumulate(bat, band, 0, 1, x[0]) == 0);
		}
	}
	CHECK(hazard_accumulate_batch(bat, 0, HAZARD_BATCH_MAX + 1, dt, &x[0][0], DIM) == -1);
	CHECK(hazard_refresh(one, 1) == 0 && hazard_refresh(bat, 1) == 0);
	CHECK_NEAR(hazard_exposure_years(bat), hazard_exposure_years(one),
	    1e-12 * hazard_exposure_years(one));
	hazard_theta(one, ta, NULL);
	hazard_theta(bat, tb, NULL);
	for (j = 0; j < NP; j++)
		CHECK_NEAR(tb[j], ta[j], 1e-9);
	for (j = 0; j < DIM; j++) {
		double ma, sa, mb, sb;

		hazard_standardiser(one, j, &ma, &sa);
		hazard_standardiser(bat, j, &mb, &sb);
		CHECK_NEAR(mb, ma, 1e-9 * fabs(ma));
		CHECK_NEAR(sb, sa, 1e-9 * sa);
	}
	hazard_free(one);
	hazard_free(bat);
}

static void
test_empty_band(gsl_rng *rng)
{
	struct hazard *h = hazard_new(0, 4.0, 1.0), *g = hazard_new(0, 4.0, 1.0);
	double t, want;
	int i, d;

	CHECK(h != NULL && g != NULL);
	for (i = 0; i < 20000; i++) {
		t = gsl_ran_exponential(rng, 1 / 0.3);
		d = t < 0.25;
		CHECK(hazard_update(h, i % 2, d ? t : 0.25, d, NULL) == 0);
		CHECK(hazard_update(g, 0, d ? t : 0.25, d, NULL) == 0);
	}
	CHECK(hazard_refresh(h, 1) == 0);
	CHECK(hazard_refresh(g, 1) == 0);
	CHECK_NEAR(exp(hazard_log_baseline(h, 0)), 0.3, 0.03);
	want = exp(hazard_log_baseline(h, 1));
	CHECK_NEAR(want, 0.3, 0.03);
	want *= pow(18 / 7.5, -1.0 / 3);
	CHECK_NEAR(exp(hazard_log_baseline(h, 2)), want, 1e-9 * want);
	want *= pow(42 / 18.0, -1.0 / 3);
	CHECK_NEAR(exp(hazard_log_baseline(h, 3)), want, 1e-9 * want);
	want *= pow(90 / 42.0, -1.0 / 3);
	CHECK_NEAR(exp(hazard_log_baseline(h, 4)), want, 1e-9 * want);
	/* within the first year: the neighbour's rate as it is */
	CHECK_NEAR(exp(hazard_log_baseline(g, 1)), exp(hazard_log_baseline(g, 0)), 1e-9);
	/* an extrapolation is less certain, the further the more */
	CHECK(hazard_band_var(h, 1) < 0.01);
	CHECK_NEAR(hazard_band_var(h, 2), 0.25 + hazard_band_var(h, 1), 1e-12);
	CHECK_NEAR(hazard_band_var(h, 3), 0.25 + hazard_band_var(h, 2), 1e-12);
	hazard_free(h);
	hazard_free(g);
}

/* A band just entered moves from its neighbour's rate as its exits come:
 * a handful of exits against little exposure does not make it jump. */
static void
test_band_entered(gsl_rng *rng)
{
	struct hazard *h = hazard_new(0, 4.0, 1.0);
	double t;
	int i, d;

	CHECK(h != NULL);
	for (i = 0; i < 20000; i++) {
		t = gsl_ran_exponential(rng, 1 / 0.2);
		d = t < 0.25;
		CHECK(hazard_update(h, 0, d ? t : 0.25, d, NULL) == 0);
	}
	/* band 1: 4 exits in 5 person-years (0.8 a year by itself) */
	for (i = 0; i < 20; i++)
		CHECK(hazard_update(h, 1, 0.25, i < 4, NULL) == 0);
	CHECK(hazard_refresh(h, 1) == 0);
	/* (4 + 4) / (5 + 4 / 0.2) = 0.32 */
	CHECK_NEAR(exp(hazard_log_baseline(h, 1)),
	    8 / (5 + 4 / exp(hazard_log_baseline(h, 0))), 1e-9);
	CHECK(exp(hazard_log_baseline(h, 1)) < 0.4);
	hazard_free(h);
}

/*
 * Honest with little data: a fixed covariate (a reference level) stays
 * at 0 with no data share; the data share of a real effect grows with
 * the exits; the heuristic shrinkage of the linear predictor is near 0
 * for pure noise and near 1 for a strong effect with many exits; the
 * linear predictor's variance is z' Cov z.
 */
static void
test_information(gsl_rng *rng)
{
	double z[3], share_small = 0, share_big = 0, g_noise = 1, g_signal = 0, se[HAZARD_BANDS + 3];
	double th[HAZARD_BANDS + 3], e0[3] = { 1, 0, 0 };
	int n, i, j, k, d;

	for (k = 0; k < 3; k++) {
		struct hazard *h = hazard_new(3, 4.0, 1.0);

		CHECK(h != NULL);
		hazard_set_fixed(h, 2, 1);
		n = k == 0 ? 300 : 30000;
		for (i = 0; i < n; i++) {
			for (j = 0; j < 3; j++)
				z[j] = gsl_ran_gaussian(rng, 1);
			/* k 0, 1: z0 doubles the hazard per SD; k 2: nothing does */
			d = gsl_rng_uniform(rng) < 1 - exp(-0.2 * 0.5 *
			    exp(k < 2 ? 0.7 * z[0] : 0));
			CHECK(hazard_update(h, 1, 0.5, d, z) == 0);
		}
		CHECK(hazard_refresh(h, 1) == 0);
		CHECK(hazard_coef(h, 2) == 0);
		CHECK(hazard_data_share(h, 2) == 0);
		if (k == 0)
			share_small = hazard_data_share(h, 0);
		if (k == 1) {
			share_big = hazard_data_share(h, 0);
			g_signal = hazard_shrinkage(h);
			hazard_theta(h, th, se);
			CHECK_NEAR(hazard_lp_variance(h, e0, 3), se[HAZARD_BANDS] * se[HAZARD_BANDS],
			    1e-12);
			CHECK_NEAR(hazard_coef(h, 0), 0.7, 0.1);
		}
		if (k == 2)
			g_noise = hazard_shrinkage(h);
		hazard_free(h);
	}
	printf("data share %.3f at 300 pieces, %.3f at 30000; shrinkage %.3f signal, %.3f noise\n",
	    share_small, share_big, g_signal, g_noise);
	CHECK(share_small > 0 && share_small < share_big && share_big > 0.98);
	CHECK(g_signal > 0.95 && g_signal <= 1);
	CHECK(g_noise >= 0 && g_noise < 0.5);
}

int
main(void)
{
	gsl_rng *rng;

	model_global_init();
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, TEST_SEED);
	test_online_vs_batch(rng);
	test_grow_and_invalid();
	test_forgetting(rng);
	test_empty_band(rng);
	test_accumulate_batch(rng);
	test_band_entered(rng);
	test_information(rng);
	gsl_rng_free(rng);
	return check_exit("test_hazard");
}
