/*
 * test_quality.c: live quality aggregates (state/quality.c). The histogram
 * concordance must equal Harrell's C computed by brute force over the same
 * stream of rescorings and exits; calibration bins must add up.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "../../state/model_internal.h"
#include "check.h"

#define POP 3000

/* Streams rescorings and exits through q and a brute-force C; risks on a
 * grid of `grid` values when grid > 0, continuous otherwise. */
static void
run_concordance(gsl_rng *rng, int grid, double tol)
{
	static double risk[POP];
	static int active[POP];
	struct quality *q = quality_new();
	struct quality_estimate est;
	double conc = 0, r;
	long pairs = 0;
	int i, j, step, nactive = POP;

	CHECK(q != NULL);
	for (i = 0; i < POP; i++) {
		r = gsl_rng_uniform(rng) * 0.6;
		risk[i] = grid > 0 ? floor(r * grid) / grid : r;
		active[i] = 1;
		quality_update_risk(q, -1, risk[i]);
	}
	CHECK(quality_active(q) == POP);
	for (step = 0; step < 20000 && nactive > 10; step++) {
		i = (int)gsl_rng_uniform_int(rng, POP);
		if (!active[i])
			continue;
		if (gsl_rng_uniform(rng) < 0.9) {	/* rescore */
			r = gsl_rng_uniform(rng) * 0.6;
			r = grid > 0 ? floor(r * grid) / grid : r;
			quality_update_risk(q, risk[i], r);
			risk[i] = r;
			continue;
		}
		/* a voluntary exit: leaver out, then compared with the rest */
		active[i] = 0;
		nactive--;
		quality_update_risk(q, risk[i], -1);
		quality_exit(q, risk[i]);
		for (j = 0; j < POP; j++) {
			if (!active[j])
				continue;
			pairs++;
			conc += risk[i] > risk[j] ? 1 : risk[i] == risk[j] ? 0.5 : 0;
		}
	}
	CHECK(quality_active(q) == nactive);
	quality_estimate(q, NULL, &est);
	CHECK(est.concordance_pairs == pairs);
	CHECK(pairs > 0);
	CHECK_NEAR(est.concordance, conc / (double)pairs, tol);
	/* risks unrelated to who leaves: C near one half */
	CHECK_NEAR(est.concordance, 0.5, 0.05);
	printf("grid %d: C histogram %.9f brute force %.9f over %ld pairs\n",
	    grid, est.concordance, conc / (double)pairs, pairs);
	quality_free(q);
}

static void
test_calibration(void)
{
	struct quality *q = quality_new();
	struct quality_estimate est;
	long total = 0;
	int i, b;

	CHECK(q != NULL);
	quality_estimate(q, NULL, &est);
	CHECK(isnan(est.concordance));
	CHECK(isnan(est.alert_precision) && isnan(est.alert_recall));
	CHECK(isnan(est.calib_predicted[0]) && est.calib_n[0] == 0);
	CHECK(isnan(est.calibration_error));	/* nothing resolved yet */

	/* 1000 active risks 0.000 .. 0.999: deciles by rank */
	for (i = 0; i < 1000; i++)
		quality_update_risk(q, -1, i / 1000.0);
	CHECK(quality_decile(q, 0.0) == 0);
	CHECK(quality_decile(q, 0.0895) == 0);	/* 90 below of 1000 */
	CHECK(quality_decile(q, 0.1005) == 1);
	CHECK(quality_decile(q, 0.5505) == 5);
	CHECK(quality_decile(q, 0.999) == 9);
	CHECK(quality_decile(q, 1.0) == 9);

	/* decile 2: predicted 0.2, 0.3, 0.4 with outcomes 1, 0, 0 */
	quality_calibration(q, 2, 0.2, 1);
	quality_calibration(q, 2, 0.3, 0);
	quality_calibration(q, 2, 0.4, 0);
	/* decile 9: one snapshot */
	quality_calibration(q, 9, 0.9, 1);
	quality_calibration(q, 10, 0.9, 1);	/* ignored */
	quality_calibration(q, -1, 0.9, 1);	/* ignored */
	quality_estimate(q, NULL, &est);
	CHECK(est.calib_n[2] == 3);
	CHECK_NEAR(est.calib_predicted[2], 0.3, 1e-12);
	CHECK_NEAR(est.calib_observed[2], 1.0 / 3, 1e-12);
	CHECK(est.calib_n[9] == 1);
	CHECK_NEAR(est.calib_observed[9], 1.0, 1e-12);
	for (b = 0; b < CALIBRATION_BINS; b++) {
		total += est.calib_n[b];
		if (b != 2 && b != 9)
			CHECK(est.calib_n[b] == 0 && isnan(est.calib_predicted[b]));
	}
	CHECK(total == 4);
	/* ECE: n |predicted - observed| per decile, over the 4 snapshots:
	 * decile 2: 3 |0.3 - 1/3| = 0.1; decile 9: |0.9 - 1| = 0.1 */
	CHECK_NEAR(est.calibration_error, 0.2 / 4, 1e-12);

	/* alerts: 1 of 4 resolved alerts was followed by an exit; 2 of 3
	 * voluntary exits had an alert */
	quality_alert_outcome(q, 1);
	quality_alert_outcome(q, 0);
	quality_alert_outcome(q, 0);
	quality_alert_outcome(q, 0);
	quality_exit_alerted(q, 1);
	quality_exit_alerted(q, 1);
	quality_exit_alerted(q, 0);
	quality_estimate(q, NULL, &est);
	CHECK_NEAR(est.alert_precision, 0.25, 1e-12);
	CHECK_NEAR(est.alert_recall, 2.0 / 3, 1e-12);
	quality_free(q);
	quality_free(NULL);
}

/* Registers gender level `lvl` in m's feature registry through a real hire. */
static void
hire_with_gender(struct model *m, const char *lvl)
{
	struct employee e;
	struct hr_event ev;
	char err[128];

	memset(&e, 0, sizeof(e));
	e.dept = -1;
	e.flags = EMP_PROVISIONAL;
	event_init(&ev);
	ev.type = EV_HIRED;
	ev.time_ms = 1700000000000LL;
	snprintf(ev.department, sizeof(ev.department), "Ops");
	ev.job_level = 1;
	ev.salary = 1000;
	snprintf(ev.attrs[0].name, sizeof(ev.attrs[0].name), "Gender");
	snprintf(ev.attrs[0].str, sizeof(ev.attrs[0].str), "%s", lvl);
	ev.nattrs = 1;
	CHECK(state_apply(m, &e, &ev, err, sizeof(err)) == 0);
	CHECK(emp_prot_level(&e, 0) != 0);
}

static const struct quality_estimate *qe_group_est;

static double
ratio_of(const char *level)
{
	for (int i = 0; i < qe_group_est->ngroups; i++)
		if (strcmp(qe_group_est->groups[i].level, level) == 0)
			return qe_group_est->groups[i].impact_ratio;
	return NAN;
}

/* Impact ratios: alert rate of each group over the highest rate among
 * groups of at least IMPACT_MIN_GROUP; a tiny group does not set the bar. */
static void
test_impact_ratios(void)
{
	struct features_config fc = { .max_attr_features = 8, .max_levels = 8 };
	struct model_config mc = { .forgetting_rls = 1, .forgetting_hazard = 1, .l2 = 1,
	    .horizon_days = 180, .alert_threshold = 0.5 };
	struct features *f = features_new(&fc);
	struct quality *q = quality_new();
	struct quality_estimate est;
	struct model *m;
	char err[128];

	CHECK(f != NULL && q != NULL);
	m = model_new(&mc, f, err, sizeof(err));
	CHECK(m != NULL);
	if (f == NULL || q == NULL || m == NULL)
		return;
	hire_with_gender(m, "f");
	hire_with_gender(m, "m");
	hire_with_gender(m, "x");
	CHECK(features_protected_count(f) == 1);
	quality_group(q, 0, 1, 100, 20);	/* f: 0.20 */
	quality_group(q, 0, 2, 100, 10);	/* m: 0.10 */
	quality_group(q, 0, 3, 3, 3);		/* x: 1.00, three people */
	quality_estimate(q, f, &est);
	qe_group_est = &est;
	CHECK(est.ngroups == 3);
	CHECK_NEAR(ratio_of("f"), 1.0, 1e-12);
	CHECK_NEAR(ratio_of("m"), 0.5, 1e-12);
	CHECK_NEAR(ratio_of("x"), 5.0, 1e-12);
	/* once every group is small, the highest of all is the reference */
	quality_group(q, 0, 1, -90, -18);	/* f: 10, 0.2 */
	quality_group(q, 0, 2, -90, -9);	/* m: 10, 0.1 */
	quality_estimate(q, f, &est);
	CHECK_NEAR(ratio_of("x"), 1.0, 1e-12);
	CHECK_NEAR(ratio_of("m"), 0.1, 1e-12);
	quality_free(q);
	model_free(m);
	features_free(f);
}

int
main(void)
{
	gsl_rng *rng;

	model_global_init();
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 11);
	run_concordance(rng, 1000, 1e-12);	/* exact: many true ties */
	run_concordance(rng, 0, 1e-3);		/* continuous: bin ties only */
	test_calibration();
	test_impact_ratios();
	gsl_rng_free(rng);
	return check_exit("test_quality");
}
