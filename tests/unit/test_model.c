/*
 * test_model.c: the model facade (state/model.c) on a simulated company
 * streamed through the real per-event call (state_apply). The simulator's
 * truths: satisfaction = 50 + p_i + 0.8 u + 3 c + noise, assessment =
 * 40 + 0.3 v + noise, voluntary hazard 0.25/y * exp(-0.04 (s - 55)), so
 * kappa = 0.04 per satisfaction point.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "../../state/model.h"
#include "check.h"

#define PEOPLE	2500
#define EV_MAX	200000
#define T0	1577836800000LL		/* 2020-01-01 */
#define T_END	(T0 + 5 * MS_PER_YEAR)
#define SALARY	50000.0

enum sim_kind { S_HIRE, S_BONUS, S_CARE, S_TRAIN, S_SURVEY, S_EXIT };

struct sim_ev {
	int64_t	t;
	int	who, kind, vol;
	double	a, b;
};

static struct sim_ev evs[EV_MAX];
static int nev;
static long vol_exits;

static void
push(int64_t t, int who, int kind, double a, double b, int vol)
{
	if (nev >= EV_MAX || t >= T_END)
		return;
	evs[nev].t = t, evs[nev].who = who, evs[nev].kind = kind;
	evs[nev].a = a, evs[nev].b = b, evs[nev].vol = vol;
	nev++;
}

static int
cmp_ev(const void *pa, const void *pb)
{
	const struct sim_ev *a = pa, *b = pb;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return a->who - b->who;
}

/* One employee's life, month by month. */
static void
simulate(gsl_rng *rng, int who)
{
	int64_t hire = T0 + (int64_t)(gsl_rng_uniform(rng) * 2 * MS_PER_YEAR), t;
	int64_t bt[80], ct[80], tt[80];
	double bv[80], tv[80], p = gsl_ran_gaussian(rng, 12), s = NAN, u, c, v, lam;
	int nb = 0, nc = 0, nt = 0, m, i;

	push(hire, who, S_HIRE, gsl_rng_uniform(rng) < 0.5, 0, 0);
	for (m = 0; m < 72; m++) {
		t = hire + (int64_t)m * 30 * MS_PER_DAY;
		if (t >= T_END)
			return;
		if (gsl_rng_uniform(rng) < 0.15 && nb < 80) {
			bt[nb] = t + 3 * MS_PER_DAY;
			bv[nb] = 2 + 8 * gsl_rng_uniform(rng);
			push(bt[nb], who, S_BONUS, bv[nb], 0, 0);
			nb++;
		}
		if (gsl_rng_uniform(rng) < 0.1 && nc < 80) {
			ct[nc] = t + 7 * MS_PER_DAY;
			push(ct[nc++], who, S_CARE, 0, 0, 0);
		}
		if (gsl_rng_uniform(rng) < 0.12 && nt < 80) {
			tt[nt] = t + 11 * MS_PER_DAY;
			tv[nt] = 4 + 36 * gsl_rng_uniform(rng);
			nt++;
			for (v = 0, i = 0; i < nt; i++)
				if (tt[i] > tt[nt - 1] - MS_PER_YEAR)
					v += tv[i];
			push(tt[nt - 1], who, S_TRAIN, tv[nt - 1],
			    40 + 0.3 * v + gsl_ran_gaussian(rng, 5), 0);
		}
		if (m % 6 == 1) {
			int64_t ts = t + 15 * MS_PER_DAY;

			for (u = 0, i = 0; i < nb; i++)
				if (bt[i] >= ts - MS_PER_YEAR && bt[i] < ts)
					u += bv[i];
			for (c = 0, i = 0; i < nc; i++)
				if (ct[i] >= ts - MS_PER_YEAR && ct[i] < ts)
					c += 1;
			s = 50 + p + 0.8 * u + 3 * c + gsl_ran_gaussian(rng, 5);
			s = s < 0 ? 0 : s > 100 ? 100 : s;
			push(ts, who, S_SURVEY, s, 0, 0);
		}
		lam = 0.25 * (isnan(s) ? 1 : exp(-0.04 * (s - 55)));
		if (gsl_rng_uniform(rng) < -expm1(-lam * 30 / 365.25)) {
			if (t + 20 * MS_PER_DAY < T_END)
				vol_exits++;
			push(t + 20 * MS_PER_DAY, who, S_EXIT, 0, 0, 1);
			return;
		}
		if (gsl_rng_uniform(rng) < -expm1(-0.03 * 30 / 365.25)) {
			push(t + 21 * MS_PER_DAY, who, S_EXIT, 0, 0, 0);
			return;
		}
	}
}

static void
to_event(const struct sim_ev *s, struct hr_event *ev, int seq)
{
	event_init(ev);
	snprintf(ev->subject, sizeof(ev->subject), "E%05d", s->who);
	snprintf(ev->id, sizeof(ev->id), "sim-%d", seq);
	snprintf(ev->source, sizeof(ev->source), "test");
	ev->time_ms = s->t;
	switch (s->kind) {
	case S_HIRE:
		ev->type = EV_HIRED;
		snprintf(ev->department, sizeof(ev->department), "R&D");
		ev->job_level = 3;
		ev->salary = SALARY;
		ev->nattrs = 1;
		snprintf(ev->attrs[0].name, sizeof(ev->attrs[0].name), "Gender");
		snprintf(ev->attrs[0].str, sizeof(ev->attrs[0].str), "%s", s->a ? "f" : "m");
		break;
	case S_BONUS:
		ev->type = EV_COMPENSATION;
		ev->comp_kind = COMP_BONUS;
		ev->amount = s->a / 100 * SALARY;
		break;
	case S_CARE:
		ev->type = EV_CARE;
		ev->care_kind = CARE_MENTORING;
		break;
	case S_TRAIN:
		ev->type = EV_TRAINING;
		ev->hours = s->a;
		ev->assessment = s->b;
		break;
	case S_SURVEY:
		ev->type = EV_SURVEY;
		ev->satisfaction = s->a;
		break;
	default:
		ev->type = EV_EXITED;
		ev->voluntary = s->vol;
		break;
	}
}

/* What decide does, reduced to the bookkeeping the model reads. */
static void
mini_decide(struct model *m, struct employee *e, int64_t now)
{
	if (e->flags & EMP_EXITED) {
		if (e->flags & EMP_FIRING) {
			e->flags &= ~(uint32_t)EMP_FIRING;
			model_note_alert(m, e, 0);
		}
		return;
	}
	if (!(e->flags & EMP_FIRING) && e->risk >= 0.2) {
		e->flags |= EMP_FIRING | EMP_EVER_ALERTED;
		e->alert_fired_ms = now;
		model_note_alert(m, e, 1);
	} else if ((e->flags & EMP_FIRING) && e->risk < 0.15) {
		e->flags &= ~(uint32_t)EMP_FIRING;
		model_note_alert(m, e, 0);
	}
}

static int
feature_index(struct features *f, const char *name)
{
	int j;

	for (j = 0; j < features_dim(f); j++)
		if (strcmp(features_name(f, j), name) == 0)
			return j;
	return -1;
}

int
main(void)
{
	struct features_config fc = { .max_attr_features = 8, .max_levels = 4 };
	struct model_config mc = { .forgetting_rls = 1.0, .forgetting_hazard = 1.0,
	    .l2 = 1.0, .horizon_days = 180, .alert_threshold = 0.2 };
	struct features *f;
	struct model *m;
	struct table *tab;
	struct employee *e, copy, *probe = NULL;
	struct hr_event ev;
	struct model_estimates est;
	struct score sc, sc2;
	char err[256];
	gsl_rng *rng;
	int64_t next_sweep = T0, now = T0;
	size_t it;
	int i, created, js, applied = 0;
	long v0, gn = 0, epoch = -1;
	double prev, lo, hi, exp0;

	model_global_init();
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(rng, 2024);
	for (i = 0; i < PEOPLE; i++)
		simulate(rng, i);
	qsort(evs, (size_t)nev, sizeof(evs[0]), cmp_ev);

	f = features_new(&fc);
	tab = table_new();
	CHECK(f != NULL && tab != NULL);
	m = model_new(&mc, f, err, sizeof(err));
	CHECK(m != NULL);
	if (m == NULL || f == NULL || tab == NULL)
		return check_exit("test_model");

	for (i = 0; i < nev; i++) {
		now = evs[i].t;
		if (now / MS_PER_DAY > epoch) {	/* daily epochs, as the pipeline */
			epoch = now / MS_PER_DAY;
			CHECK(model_advance(m, &m, 1, epoch) == 0);
		}
		if (now >= next_sweep) {	/* the clock's rescoring sweep */
			for (it = 0; (e = table_next(tab, &it)) != NULL;) {
				model_score(m, e, now, NULL);
				mini_decide(m, e, now);
			}
			next_sweep = now + 30 * MS_PER_DAY;
		}
		to_event(&evs[i], &ev, i);
		e = table_put(tab, ev.subject, &created);
		CHECK(e != NULL);
		if (state_apply(m, e, &ev, err, sizeof(err)) != 0)
			continue;
		applied++;
		model_score(m, e, now, NULL);
		mini_decide(m, e, now);
	}
	CHECK(applied == nev);
	CHECK(model_advance(m, &m, 1, ++epoch) == 0);
	CHECK(model_version(m) == epoch);
	CHECK(model_advance(m, &m, 1, epoch) == -1);	/* not backwards */
	model_estimates(m, &est);
	js = feature_index(f, "satisfaction");
	CHECK(js >= 0);

	printf("%d events, %ld voluntary exits, %ld in the hazard fit, %.0f person-years\n",
	    nev, vol_exits, est.hazard.exits, est.hazard.exposure_years);
	printf("satisfaction: s0 %.2f (%.2f) alpha %.3f (%.3f) care %.3f (%.3f) n %ld\n",
	    est.satisfaction.coef[0], est.satisfaction.se[0], est.satisfaction.coef[1],
	    est.satisfaction.se[1], est.satisfaction.coef[2], est.satisfaction.se[2],
	    est.satisfaction.n);
	printf("ability: a0 %.2f (%.2f) gamma %.4f (%.4f) n %ld\n",
	    est.ability.coef[0], est.ability.se[0], est.ability.coef[1],
	    est.ability.se[1], est.ability.n);
	printf("kappa %.4f (se %.4f), true 0.04; b_sat %.3f per sd %.2f\n",
	    est.kappa, est.kappa_se, est.hazard.coef[js], est.hazard.sd[js]);
	printf("concordance %.3f over %ld pairs; precision %.3f recall %.3f\n",
	    est.quality.concordance, est.quality.concordance_pairs,
	    est.quality.alert_precision, est.quality.alert_recall);
	for (i = 0; i < CALIBRATION_BINS; i++)
		printf("  decile %d: n %ld predicted %.3f observed %.3f\n", i,
		    est.quality.calib_n[i], est.quality.calib_predicted[i],
		    est.quality.calib_observed[i]);

	/* the relations are recovered */
	CHECK(fabs(est.satisfaction.coef[1] - 0.8) < 4 * est.satisfaction.se[1]);
	CHECK(fabs(est.satisfaction.coef[2] - 3.0) < 4 * est.satisfaction.se[2]);
	CHECK(fabs(est.ability.coef[1] - 0.3) < 4 * est.ability.se[1]);
	CHECK(fabs(est.ability.coef[0] - 40) < 4 * est.ability.se[0]);
	/* kappa: right sign, near the truth */
	CHECK(est.kappa > 0);
	CHECK(fabs(est.kappa - 0.04) < 4 * est.kappa_se + 0.005);
	CHECK(est.hazard.coef[js] < 0);
	/* every voluntary exit of a hired employee is one event in the fit */
	CHECK(est.hazard.exits == vol_exits);
	/* live quality */
	CHECK(est.quality.concordance > 0.55 && est.quality.concordance < 1);
	CHECK(est.quality.alert_recall >= 0 && est.quality.alert_recall <= 1);
	CHECK(est.quality.alert_precision >= 0 && est.quality.alert_precision <= 1);
	lo = hi = 0;
	for (i = 0; i < 3; i++) {
		lo += est.quality.calib_observed[i] / 3;
		hi += est.quality.calib_observed[CALIBRATION_BINS - 1 - i] / 3;
	}
	CHECK(hi > lo);
	CHECK(est.quality.ngroups == 2);
	for (i = 0; i < est.quality.ngroups; i++) {
		CHECK_STR(est.quality.groups[i].attribute, "gender");
		CHECK(est.quality.groups[i].impact_ratio > 0 &&
		    est.quality.groups[i].impact_ratio <= 1);
		gn += est.quality.groups[i].n;
	}
	CHECK(gn == PEOPLE);
	for (i = 0; i < est.hazard.dim; i++)
		CHECK(strcmp(est.hazard.names[i], "gender") != 0);

	/* an active employee with a survey */
	for (it = 0; (e = table_next(tab, &it)) != NULL;)
		if (!(e->flags & EMP_EXITED) && (e->flags & EMP_HAS_SURVEY)) {
			probe = e;
			break;
		}
	CHECK(probe != NULL);
	if (probe == NULL)
		return check_exit("test_model");

	/* scoring: risk falls as satisfaction rises (b_sat < 0); the copy
	 * leaves model and record alone */
	model_score(m, probe, now, &sc);
	CHECK(sc.risk > 0 && sc.risk < 1);
	CHECK(sc.expected_tenure_days >= (double)(now - probe->hired_ms) / MS_PER_DAY);
	CHECK(sc.ndrivers >= 1);
	for (i = 1; i < sc.ndrivers; i++)
		CHECK(fabs(sc.drivers[i].contribution) <= fabs(sc.drivers[i - 1].contribution));
	v0 = model_version(m);
	copy = *probe;
	prev = 2;
	exp0 = 0;
	for (i = 0; i <= 10; i++) {
		copy.satisfaction = 10 + 8 * i;
		model_score_copy(m, &copy, now, &sc2);
		CHECK(sc2.risk < prev);
		CHECK(sc2.expected_tenure_days > exp0);
		prev = sc2.risk;
		exp0 = sc2.expected_tenure_days;
	}
	copy = *probe;
	model_score_copy(m, &copy, now, &sc2);
	CHECK_NEAR(sc2.risk, sc.risk, 1e-15);
	CHECK(model_version(m) == v0);
	CHECK(memcmp(&copy, probe, sizeof(copy)) == 0);
	/* the risk horizon: a longer one gives a higher risk */
	mc.horizon_days = 365;
	model_set_config(m, &mc);
	model_score_copy(m, &copy, now, &sc2);
	CHECK(sc2.risk > sc.risk);
	mc.horizon_days = 180;
	model_set_config(m, &mc);

	/* a late event adds no exposure and does not move the interval (the
	 * score above may have closed censored exposure: read it after) */
	{
		int64_t start = probe->interval_start_ms;
		double years;

		CHECK(model_advance(m, &m, 1, ++epoch) == 0);
		model_estimates(m, &est);
		years = est.hazard.exposure_years;

		event_init(&ev);
		ev.type = EV_CARE;
		snprintf(ev.subject, sizeof(ev.subject), "%s", probe->id);
		ev.time_ms = start - 10 * MS_PER_DAY;
		CHECK(state_apply(m, probe, &ev, err, sizeof(err)) == 0);
		CHECK(probe->interval_start_ms == start);
		CHECK(model_advance(m, &m, 1, ++epoch) == 0);
		model_estimates(m, &est);
		CHECK(est.hazard.exposure_years == years);
		/* a later one closes [start, t) */
		ev.time_ms = start + 10 * MS_PER_DAY;
		CHECK(state_apply(m, probe, &ev, err, sizeof(err)) == 0);
		CHECK(probe->interval_start_ms == ev.time_ms);
		model_estimates(m, &est);
		CHECK(est.hazard.exposure_years == years);	/* not before ... */
		CHECK(model_advance(m, &m, 1, ++epoch) == 0);	/* ... the boundary */
		model_estimates(m, &est);
		CHECK_NEAR(est.hazard.exposure_years - years, 10 / 365.25, 1e-9);
	}

	/* a provisional record: no exposure, no score (a care event: a survey
	 * would rightly move the satisfaction relation) */
	e = table_put(tab, "P0001", &created);
	CHECK(e != NULL && created);
	event_init(&ev);
	ev.type = EV_CARE;
	ev.time_ms = now;
	snprintf(ev.subject, sizeof(ev.subject), "P0001");
	v0 = model_version(m);
	CHECK(state_apply(m, e, &ev, err, sizeof(err)) == 0);
	CHECK(model_version(m) == v0);
	model_score(m, e, now, &sc);
	CHECK(sc.risk == 0 && sc.ndrivers == 0);

	/* erasure takes the employee out of the fairness counts */
	CHECK(state_erase(m, tab, probe->id) == 1);
	CHECK(model_advance(m, &m, 1, ++epoch) == 0);
	model_estimates(m, &est);
	gn = 0;
	for (i = 0; i < est.quality.ngroups; i++)
		gn += est.quality.groups[i].n;
	CHECK(gn == PEOPLE - 1);

	model_free(m);
	model_free(NULL);
	table_free(tab);
	features_free(f);
	gsl_rng_free(rng);
	return check_exit("test_model");
}
