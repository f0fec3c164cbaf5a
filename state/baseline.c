/*
 * baseline.c: the tenure bands' baseline rates of the hazard model
 * (hazard.c), and the variance of their logs, from each band's exits and
 * exposure at its mean multiplier.
 *
 * Each band's rate is a Poisson rate with a gamma prior (MODELS.md, "Fit:
 * moments"): a band's rate is not known apart from its neighbours', it is
 * like them. The prior of band k is centred on band k - 1's estimate,
 * carried across the band edge by the tenure profile below, and weighs
 * BAND_PRIOR_EXITS pseudo-exits: a coefficient of variation of 1/2, the
 * band's rate within a factor e^(+-1) of its neighbour's at 95 %. Band 0's
 * is centred on the pooled rate of all bands. So
 *
 *	lambda_k = (D_k + a) / (W_k E_k + a / mu_k),
 *	mu_0 = pooled, mu_k = lambda_(k-1) * f_k
 *
 * A band nobody has reached yet (W_k = D_k = 0) takes its prior mean; a
 * band just entered moves from it as its exits come, instead of jumping
 * with its first few (a band two weeks old, a dozen exits against two
 * weeks of exposure, came out at twice its later rate with the former
 * weight of a quarter of an exit, and opened a wave of alerts).
 *
 * The tenure profile f_k: through the first year the neighbour's rate is
 * carried as it is; from there on it falls as a power of tenure,
 * f_k = (t_k / t_(k-1))^-DECLINE with t the bands' middles. Job matching
 * (Jovanovic 1979) predicts a hazard of leaving that rises while a match
 * is learnt and falls once the poor matches have gone, and a hazard that
 * falls with tenure is the regular finding of job-duration studies. The
 * size is a judgement, not a measurement: DECLINE 1/3, a fifth less per
 * doubling of tenure. It decides only what a band without data predicts
 * and gives way to the band's exits (after a few dozen the data hold
 * nearly all the weight). The pooled rate it replaces (all bands seen,
 * by exposure) put the first months' low rate and the first year's high
 * one into a band years away: right when the next band is like the
 * average, 40 % high at two years on the generator, whose hazard falls
 * from there (MODELS.md, "Fit: moments"; EVALUATION.md).
 *
 * Variance of log lambda_k (delta method): 1 / (D_k + a) from the band's
 * own exits and prior, plus the prior mean's own variance weighted by the
 * prior's share, (a / (D_k + a))^2 var(log mu_k), with var(log mu_k) the
 * neighbour's; the pooled rate's is 1 / (D + a0). A band without data
 * thus has 1/a plus its neighbour's, the uncertainty of an extrapolation
 * one band out, and a second empty band out adds 1/a again.
 */
#include <math.h>

#include "model_internal.h"

#define PRIOR_RATE		0.1	/* per year: the pooled rate's prior */
#define POOLED_PRIOR_EXITS	0.25	/* its weight */
#define BAND_PRIOR_EXITS	4.0	/* a: a band's prior weight (CV 1/2) */
#define DECLINE			(1.0 / 3)	/* the tenure profile after a year */
#define DECLINE_FROM_MONTHS	12.0

/* Middles of the bands in months (the open band: 5 to 10 years). */
static const double band_mid_months[HAZARD_BANDS] = { 1.5, 7.5, 18, 42, 90 };

/* f_k: the neighbour's rate carried into band k (k >= 1). */
static double
tenure_profile(int k)
{
	double lo_months = hazard_band_edge_days[k] / DAYS_PER_MONTH;

	if (lo_months < DECLINE_FROM_MONTHS)
		return 1;
	return pow(band_mid_months[k] / band_mid_months[k - 1], -DECLINE);
}

/* See model_internal.h. */
void
hazard_baselines(const double *d, const double *we, double *logbase,
    double *var)
{
	double dsum = 0, wsum = 0, mu, mu_var, lam, share;
	int k;

	for (k = 0; k < HAZARD_BANDS; k++) {
		dsum += d[k];
		wsum += we[k];
	}
	mu = (dsum + POOLED_PRIOR_EXITS) / (wsum + POOLED_PRIOR_EXITS / PRIOR_RATE);
	mu_var = 1 / (dsum + POOLED_PRIOR_EXITS);
	for (k = 0; k < HAZARD_BANDS; k++) {
		if (k > 0) {
			mu = exp(logbase[k - 1]) * tenure_profile(k);
			mu_var = var[k - 1];
		}
		lam = (d[k] + BAND_PRIOR_EXITS) / (we[k] + BAND_PRIOR_EXITS / mu);
		share = BAND_PRIOR_EXITS / (d[k] + BAND_PRIOR_EXITS);
		logbase[k] = log(lam);
		var[k] = 1 / (d[k] + BAND_PRIOR_EXITS) + share * share * mu_var;
	}
}
