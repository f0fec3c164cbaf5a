/*
 * test_encode.c: pipeline/encode.c's output messages, parsed back with
 * jansson and checked field by field against CONTRACT.md: the exact set
 * of keys, types, rounding (cents, whole days), a value that is not finite
 * going out as null, and times as RFC 3339 UTC. (The what-if body parser
 * is not tested here.)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../pipeline/stages.h"
#include "check.h"

#define T_MAR1	1772323200000LL		/* 2026-03-01T00:00:00Z */

/* Parses s (and frees it); NULL and a failed check when not a JSON object. */
static json_t *
parse(char *s)
{
	json_t *j = NULL;

	CHECK(s != NULL);
	if (s != NULL) {
		j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
		free(s);
	}
	CHECK(json_is_object(j));
	return j;
}

/* 1 when object j has exactly the n keys listed. */
static int
has_keys(const json_t *j, const char *const *keys, size_t n)
{
	if (!json_is_object(j) || json_object_size(j) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (json_object_get(j, keys[i]) == NULL)
			return 0;
	return 1;
}
#define HAS_KEYS(j, ...) has_keys((j), (const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static const char *
str(const json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

static double
num(const json_t *j, const char *k)
{
	const json_t *v = json_object_get(j, k);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int
is_null(const json_t *j, const char *k)
{
	return json_is_null(json_object_get(j, k));
}

static void
test_alert(void)
{
	struct alert_msg m;
	json_t *j, *d;

	memset(&m, 0, sizeof(m));
	snprintf(m.alert_id, sizeof(m.alert_id), "%032x", 0xabcu);
	m.employee_id = "E-1";
	m.firing = 0;
	m.critical = 1;
	m.reason = "risk_fell";
	m.score.risk = NAN;
	m.risk_lower = 0.125;
	m.score.expected_tenure_days = 399.5;	/* rounds to 400 */
	m.score.ndrivers = 2;
	m.score.drivers[0].feature = "satisfaction";
	m.score.drivers[0].contribution = -0.25;
	m.score.drivers[1].feature = NULL;	/* goes out as "" */
	m.score.drivers[1].contribution = INFINITY;
	m.horizon_days = 90;
	m.event_time_ms = T_MAR1 + 1500;	/* milliseconds kept when there are any */
	m.caused_by = "ev-9";
	m.model_version = 12;
	if ((j = parse(encode_alert(&m, NULL))) == NULL)
		return;
	CHECK(HAS_KEYS(j, "alert_id", "employee_id", "status", "severity", "risk",
	    "risk_lower", "horizon_days", "expected_tenure_days", "drivers", "reason", "event_time",
	    "caused_by", "model_version"));
	CHECK_STR(str(j, "alert_id"), m.alert_id);
	CHECK_STR(str(j, "employee_id"), "E-1");
	CHECK_STR(str(j, "status"), "resolved");
	CHECK_STR(str(j, "severity"), "critical");
	CHECK(is_null(j, "risk"));		/* NaN -> null */
	CHECK_NEAR(num(j, "risk_lower"), 0.125, 0);
	CHECK(json_integer_value(json_object_get(j, "horizon_days")) == 90);
	CHECK_NEAR(num(j, "expected_tenure_days"), 400, 0);
	CHECK_STR(str(j, "reason"), "risk_fell");
	CHECK_STR(str(j, "event_time"), "2026-03-01T00:00:01.500Z");
	CHECK_STR(str(j, "caused_by"), "ev-9");
	CHECK(json_is_integer(json_object_get(j, "model_version")));
	CHECK(json_integer_value(json_object_get(j, "model_version")) == 12);
	d = json_object_get(j, "drivers");
	CHECK(json_array_size(d) == 2);
	CHECK(HAS_KEYS(json_array_get(d, 0), "feature", "contribution"));
	CHECK_STR(str(json_array_get(d, 0), "feature"), "satisfaction");
	CHECK_NEAR(num(json_array_get(d, 0), "contribution"), -0.25, 1e-12);
	CHECK_STR(str(json_array_get(d, 1), "feature"), "");
	CHECK(is_null(json_array_get(d, 1), "contribution"));	/* inf -> null */
	json_decref(j);

	m.firing = 1;
	m.critical = 0;
	m.score.risk = 0.123456789;
	if ((j = parse(encode_alert(&m, NULL))) == NULL)
		return;
	CHECK_STR(str(j, "status"), "firing");
	CHECK_STR(str(j, "severity"), "warning");
	CHECK_NEAR(num(j, "risk"), 0.123457, 1e-12);	/* 6 significant digits */
	json_decref(j);
}

static void
fill_action(struct action *a, enum action_kind k, double amount, double cost)
{
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->amount = amount;
	a->cost = cost;
	a->risk_after = 0.3;
	a->satisfaction_gain = 2.5;
	a->ability_gain = 0;
	a->expected_tenure_gain_days = 30.6;
	a->confidence = NAN;
}

static void
test_suggestion(void)
{
	struct suggestion_msg m;
	json_t *j, *a;

	memset(&m, 0, sizeof(m));
	snprintf(m.suggestion_id, sizeof(m.suggestion_id), "%032d", 5);
	m.employee_id = "E\\2";
	m.risk_before = 0.55;
	m.nactions = 2;
	fill_action(&m.actions[0], ACT_CARE, 2, 400.004);
	fill_action(&m.actions[1], ACT_TRAINING, 24, 1200);
	m.actions[1].confidence = 0.5;
	m.model_version = 3;
	if ((j = parse(encode_suggestion(&m, NULL))) == NULL)
		return;
	CHECK(HAS_KEYS(j, "type", "suggestion_id", "employee_id", "model_version",
	    "risk_before", "actions", "note"));
	CHECK_STR(str(j, "type"), "suggestion");
	CHECK_STR(str(j, "suggestion_id"), m.suggestion_id);
	CHECK_STR(str(j, "employee_id"), "E\\2");
	CHECK(json_integer_value(json_object_get(j, "model_version")) == 3);
	CHECK_NEAR(num(j, "risk_before"), 0.55, 1e-12);
	CHECK(str(j, "note") != NULL && strstr(str(j, "note"), "not proven causes") != NULL);
	a = json_object_get(j, "actions");
	CHECK(json_array_size(a) == 2);
	CHECK(HAS_KEYS(json_array_get(a, 0), "action", "amount", "cost", "risk_after",
	    "satisfaction_gain", "ability_gain", "expected_tenure_gain_days", "confidence"));
	CHECK_STR(str(json_array_get(a, 0), "action"), "care");
	CHECK_NEAR(num(json_array_get(a, 0), "amount"), 2, 0);
	CHECK_NEAR(num(json_array_get(a, 0), "cost"), 400, 0);	/* cents */
	CHECK_NEAR(num(json_array_get(a, 0), "risk_after"), 0.3, 1e-12);
	CHECK_NEAR(num(json_array_get(a, 0), "satisfaction_gain"), 2.5, 1e-12);
	CHECK_NEAR(num(json_array_get(a, 0), "ability_gain"), 0, 0);
	CHECK_NEAR(num(json_array_get(a, 0), "expected_tenure_gain_days"), 31, 0);
	CHECK(is_null(json_array_get(a, 0), "confidence"));
	CHECK_STR(str(json_array_get(a, 1), "action"), "training");
	CHECK_NEAR(num(json_array_get(a, 1), "confidence"), 0.5, 1e-12);
	json_decref(j);

	m.nactions = 0;		/* an empty list is still a list */
	if ((j = parse(encode_suggestion(&m, NULL))) == NULL)
		return;
	CHECK(json_is_array(json_object_get(j, "actions")));
	CHECK(json_array_size(json_object_get(j, "actions")) == 0);
	json_decref(j);
}

static void
test_plan(void)
{
	struct allocation al[2];
	struct plan_msg m;
	json_t *j, *a;

	memset(&m, 0, sizeof(m));
	memset(al, 0, sizeof(al));
	al[0].employee_id = "E1";
	fill_action(&al[0].action, ACT_INCENTIVE, 1500, 1500.126);
	al[0].risk_before = 0.6;
	al[1].employee_id = "E2";
	fill_action(&al[1].action, ACT_PROMOTION, 1, 5000);
	al[1].risk_before = NAN;
	snprintf(m.plan_id, sizeof(m.plan_id), "%032d", 9);
	m.department = "Ops";
	snprintf(m.month, sizeof(m.month), "2026-03");
	m.budget = 50000;
	m.spend = 6500.126;
	m.expected_retained = 0.5;
	m.nallocations = 2;
	m.allocations = al;
	m.model_version = 44;
	if ((j = parse(encode_plan(&m, NULL))) == NULL)
		return;
	CHECK(HAS_KEYS(j, "type", "plan_id", "department", "month", "budget",
	    "allocations", "spend", "expected_retained", "model_version"));
	CHECK_STR(str(j, "type"), "plan");
	CHECK_STR(str(j, "plan_id"), m.plan_id);
	CHECK_STR(str(j, "department"), "Ops");
	CHECK_STR(str(j, "month"), "2026-03");
	CHECK_NEAR(num(j, "budget"), 50000, 0);
	CHECK_NEAR(num(j, "spend"), 6500.13, 1e-9);
	CHECK_NEAR(num(j, "expected_retained"), 0.5, 1e-12);
	CHECK(json_integer_value(json_object_get(j, "model_version")) == 44);
	a = json_object_get(j, "allocations");
	CHECK(json_array_size(a) == 2);
	CHECK(HAS_KEYS(json_array_get(a, 0), "employee_id", "action", "amount", "cost",
	    "risk_before", "risk_after"));
	CHECK_STR(str(json_array_get(a, 0), "employee_id"), "E1");
	CHECK_STR(str(json_array_get(a, 0), "action"), "incentive");
	CHECK_NEAR(num(json_array_get(a, 0), "amount"), 1500, 0);
	CHECK_NEAR(num(json_array_get(a, 0), "cost"), 1500.13, 1e-9);
	CHECK_NEAR(num(json_array_get(a, 0), "risk_before"), 0.6, 1e-12);
	CHECK_NEAR(num(json_array_get(a, 0), "risk_after"), 0.3, 1e-12);
	CHECK_STR(str(json_array_get(a, 1), "action"), "promotion");
	CHECK(is_null(json_array_get(a, 1), "risk_before"));
	json_decref(j);
}

static void
test_estimates(void)
{
	static struct model_estimates m;
	json_t *j, *s, *a, *h, *b, *q;

	memset(&m, 0, sizeof(m));
	m.satisfaction.coef[0] = 50;
	m.satisfaction.coef[1] = 0.8;
	m.satisfaction.coef[2] = NAN;
	m.satisfaction.se[0] = 1;
	m.satisfaction.se[1] = 0.1;
	m.satisfaction.se[2] = NAN;
	m.satisfaction.n = 100;
	m.ability.coef[0] = 40;
	m.ability.coef[1] = 0.3;
	m.ability.se[0] = 2;
	m.ability.se[1] = INFINITY;
	m.ability.n = 7;
	for (int k = 0; k < HAZARD_BANDS; k++)
		m.hazard.per_year[k] = 0.1 * (k + 1);
	m.hazard.per_year[4] = NAN;
	m.hazard.dim = 5;
	m.hazard.names[0] = "satisfaction";
	m.hazard.names[1] = NULL;	/* a slot without a name is left out */
	m.hazard.names[2] = "ability";
	m.hazard.names[3] = "overtime=no";	/* the reference level */
	m.hazard.reference[3] = 1;
	m.hazard.names[4] = "overtime=yes";
	m.hazard.coef[4] = 0.6;
	m.hazard.coef_se[4] = 0.4;
	m.hazard.sd[0] = m.hazard.sd[2] = m.hazard.sd[4] = 1;
	m.hazard.data_share[0] = 0.9;
	m.hazard.data_share[2] = 0.7;
	m.hazard.data_share[4] = 0.2;		/* mostly the prior */
	m.hazard.prior_sd = 0.5;
	m.hazard.insufficient_data = 0;
	m.quality.calibration_error = 0.025;
	m.hazard.coef[0] = -0.5;
	m.hazard.coef_se[0] = 0.1;
	m.hazard.coef[2] = -0.2;
	m.hazard.coef_se[2] = NAN;
	m.hazard.exits = 21;
	m.hazard.exposure_years = 123.5;
	m.kappa = 0.04;
	m.kappa_se = NAN;
	m.quality.concordance = NAN;
	m.quality.concordance_pairs = 0;
	m.quality.alert_precision = 0.5;
	m.quality.alert_recall = NAN;
	m.quality.ngroups = 2;
	m.quality.groups[0].attribute = "gender";
	m.quality.groups[0].level = "f";
	m.quality.groups[0].impact_ratio = 0.7;
	m.quality.groups[0].n = IMPACT_MIN_GROUP;
	m.quality.groups[1].attribute = "gender";
	m.quality.groups[1].level = "m";
	m.quality.groups[1].impact_ratio = 0.5;
	m.quality.groups[1].n = IMPACT_MIN_GROUP - 1;	/* too small to flag */
	m.quality.calib_predicted[0] = 0.1;
	m.quality.calib_observed[0] = NAN;
	m.quality.calib_n[0] = 4;

	if ((j = parse(encode_estimates(&m, 77, T_MAR1, 1000, 180, NULL))) == NULL)
		return;
	CHECK(HAS_KEYS(j, "model_version", "event_time", "events", "horizon_days",
	    "satisfaction", "ability", "hazard", "kappa", "kappa_se", "quality"));
	CHECK(json_integer_value(json_object_get(j, "model_version")) == 77);
	CHECK_STR(str(j, "event_time"), "2026-03-01T00:00:00Z");
	CHECK(json_integer_value(json_object_get(j, "events")) == 1000);
	CHECK(json_integer_value(json_object_get(j, "horizon_days")) == 180);
	CHECK_NEAR(num(j, "kappa"), 0.04, 1e-12);
	CHECK(is_null(j, "kappa_se"));

	s = json_object_get(j, "satisfaction");
	CHECK(HAS_KEYS(s, "s0", "alpha", "care", "se", "n"));
	CHECK_NEAR(num(s, "s0"), 50, 0);
	CHECK_NEAR(num(s, "alpha"), 0.8, 1e-12);
	CHECK(is_null(s, "care"));
	CHECK(HAS_KEYS(json_object_get(s, "se"), "s0", "alpha", "care"));
	CHECK(is_null(json_object_get(s, "se"), "care"));
	CHECK(json_integer_value(json_object_get(s, "n")) == 100);
	a = json_object_get(j, "ability");
	CHECK(HAS_KEYS(a, "a0", "gamma", "se", "n"));
	CHECK_NEAR(num(a, "gamma"), 0.3, 1e-12);
	CHECK(HAS_KEYS(json_object_get(a, "se"), "a0", "gamma"));
	CHECK(is_null(json_object_get(a, "se"), "gamma"));
	CHECK(json_integer_value(json_object_get(a, "n")) == 7);

	h = json_object_get(j, "hazard");
	CHECK(HAS_KEYS(h, "baseline", "coefficients", "standard_errors", "standardised",
	    "exits", "exposure_years", "reference_levels", "insufficient",
	    "insufficient_data", "prior_sd"));
	/* the reference level is named, not published as a coefficient */
	CHECK(json_array_size(json_object_get(h, "reference_levels")) == 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(h, "reference_levels"), 0)),
	    "overtime=no");
	CHECK(json_object_get(json_object_get(h, "coefficients"), "overtime=no") == NULL);
	CHECK_NEAR(num(json_object_get(h, "coefficients"), "overtime=yes"), 0.6, 1e-12);
	CHECK(json_array_size(json_object_get(h, "insufficient")) == 1);
	CHECK_STR(json_string_value(json_array_get(json_object_get(h, "insufficient"), 0)),
	    "overtime=yes");
	CHECK(json_is_false(json_object_get(h, "insufficient_data")));
	CHECK_NEAR(num(h, "prior_sd"), 0.5, 1e-12);
	b = json_object_get(h, "baseline");
	CHECK(json_array_size(b) == HAZARD_BANDS);
	CHECK(HAS_KEYS(json_array_get(b, 0), "band_months", "per_year"));
	CHECK(json_integer_value(json_array_get(json_object_get(json_array_get(b, 0),
	    "band_months"), 1)) == 3);
	CHECK_NEAR(num(json_array_get(b, 1), "per_year"), 0.2, 1e-12);
	/* the last band is open-ended: [60, null] */
	CHECK(json_integer_value(json_array_get(json_object_get(json_array_get(b, 4),
	    "band_months"), 0)) == 60);
	CHECK(json_is_null(json_array_get(json_object_get(json_array_get(b, 4),
	    "band_months"), 1)));
	CHECK(is_null(json_array_get(b, 4), "per_year"));
	CHECK(HAS_KEYS(json_object_get(h, "coefficients"), "satisfaction", "ability",
	    "overtime=yes"));
	CHECK_NEAR(num(json_object_get(h, "coefficients"), "satisfaction"), -0.5, 1e-12);
	CHECK(is_null(json_object_get(h, "standard_errors"), "ability"));
	CHECK(json_is_true(json_object_get(h, "standardised")));
	CHECK(json_integer_value(json_object_get(h, "exits")) == 21);
	CHECK_NEAR(num(h, "exposure_years"), 123.5, 1e-9);

	q = json_object_get(j, "quality");
	CHECK(HAS_KEYS(q, "concordance", "concordance_pairs", "calibration",
	    "calibration_error", "alert_precision", "alert_recall", "impact_ratios",
	    "impact_flagged"));
	CHECK_NEAR(num(q, "calibration_error"), 0.025, 1e-12);
	CHECK(is_null(q, "concordance"));
	CHECK(is_null(q, "alert_recall"));
	CHECK_NEAR(num(q, "alert_precision"), 0.5, 1e-12);
	CHECK(json_array_size(json_object_get(q, "calibration")) == CALIBRATION_BINS);
	CHECK(HAS_KEYS(json_array_get(json_object_get(q, "calibration"), 0),
	    "predicted", "observed", "n"));
	CHECK(is_null(json_array_get(json_object_get(q, "calibration"), 0), "observed"));
	CHECK(json_integer_value(json_object_get(json_array_get(json_object_get(q,
	    "calibration"), 0), "n")) == 4);
	CHECK(HAS_KEYS(json_object_get(q, "impact_ratios"), "gender"));
	CHECK(HAS_KEYS(json_object_get(json_object_get(q, "impact_ratios"), "gender"),
	    "f", "m"));
	CHECK_NEAR(num(json_object_get(json_object_get(q, "impact_ratios"), "gender"), "m"),
	    0.5, 1e-12);
	/* below 0.8 and large enough: only f */
	CHECK(json_array_size(json_object_get(q, "impact_flagged")) == 1);
	CHECK_STR(str(json_array_get(json_object_get(q, "impact_flagged"), 0), "level"), "f");
	CHECK_STR(str(json_array_get(json_object_get(q, "impact_flagged"), 0), "attribute"),
	    "gender");
	json_decref(j);
}

static void
test_employee(void)
{
	struct pipeline_config cfg;
	struct features *f;
	struct employee e;
	struct score s;
	json_t *j, *st, *feat;
	int64_t hired = T_MAR1 - 400 * MS_PER_DAY - 5;

	pipeline_config_defaults(&cfg);
	CHECK((f = features_new(&cfg.features)) != NULL);
	if (f == NULL)
		return;
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	e.id = "E9";
	e.dept = -1;
	e.job_level = 4;
	e.salary = 55000;
	e.hired_s = emp_s(hired);
	e.last_event_s = emp_s(T_MAR1 - MS_PER_DAY);
	e.flags = EMP_FIRING;
	s.risk = 0.42;
	s.expected_tenure_days = 1000.4;
	if ((j = parse(encode_employee(&e, &s, f, T_MAR1, 180, "Ops"))) == NULL)
		goto out;
	CHECK(HAS_KEYS(j, "employee_id", "risk", "horizon_days", "expected_tenure_days",
	    "drivers", "status", "alert_firing", "scored_at", "state"));
	CHECK_STR(str(j, "employee_id"), "E9");
	CHECK_NEAR(num(j, "risk"), 0.42, 1e-12);
	CHECK(json_integer_value(json_object_get(j, "horizon_days")) == 180);
	CHECK_NEAR(num(j, "expected_tenure_days"), 1000, 0);
	CHECK(json_array_size(json_object_get(j, "drivers")) == 0);
	CHECK_STR(str(j, "status"), "active");
	CHECK(json_is_true(json_object_get(j, "alert_firing")));
	CHECK_STR(str(j, "scored_at"), "2026-03-01T00:00:00Z");
	st = json_object_get(j, "state");
	CHECK(HAS_KEYS(st, "department", "job_level", "hired", "tenure_days", "last_event",
	    "provisional", "features"));
	CHECK_STR(str(st, "department"), "Ops");
	CHECK(json_integer_value(json_object_get(st, "job_level")) == 4);
	/* the record keeps whole seconds (table.h) */
	CHECK_STR(str(st, "hired"), "2025-01-24T23:59:59Z");
	CHECK_NEAR(num(st, "tenure_days"), 400, 0);	/* whole days, floored */
	CHECK_STR(str(st, "last_event"), "2026-02-28T00:00:00Z");
	CHECK(json_is_false(json_object_get(st, "provisional")));
	feat = json_object_get(st, "features");
	CHECK(json_is_object(feat) && json_object_size(feat) == (size_t)features_dim(f));
	/* no survey yet: satisfaction is unknown, so null */
	CHECK(json_object_get(feat, "satisfaction") != NULL);
	CHECK(is_null(feat, "satisfaction"));
	json_decref(j);

	/* provisional, exited, no department */
	e.flags = EMP_PROVISIONAL | EMP_EXITED;
	e.hired_s = 0;
	e.exit_s = emp_s(T_MAR1 - 2 * MS_PER_DAY);
	s.risk = NAN;
	if ((j = parse(encode_employee(&e, &s, f, T_MAR1, 180, NULL))) == NULL)
		goto out;
	CHECK_STR(str(j, "status"), "exited");
	CHECK(is_null(j, "risk"));
	CHECK(json_is_false(json_object_get(j, "alert_firing")));
	st = json_object_get(j, "state");
	CHECK(HAS_KEYS(st, "department", "job_level", "hired", "tenure_days", "last_event",
	    "provisional", "features", "exited"));
	CHECK(is_null(st, "department"));
	CHECK(is_null(st, "hired"));
	CHECK(is_null(st, "tenure_days"));
	CHECK(json_is_true(json_object_get(st, "provisional")));
	CHECK_STR(str(st, "exited"), "2026-02-27T00:00:00Z");
	json_decref(j);
out:
	features_free(f);
}

static void
test_whatif_and_score_line(void)
{
	struct employee e;
	struct score after;
	json_t *j;

	memset(&after, 0, sizeof(after));
	after.risk = 0.25;
	after.expected_tenure_days = NAN;
	after.ndrivers = 1;
	after.drivers[0].feature = "months_since_raise";
	after.drivers[0].contribution = 0.1;
	if ((j = parse(encode_whatif("E3", 0.5, &after, 365))) == NULL)
		return;
	CHECK(HAS_KEYS(j, "employee_id", "risk_before", "risk_after",
	    "expected_tenure_days", "horizon_days", "drivers"));
	CHECK_STR(str(j, "employee_id"), "E3");
	CHECK_NEAR(num(j, "risk_before"), 0.5, 1e-12);
	CHECK_NEAR(num(j, "risk_after"), 0.25, 1e-12);
	CHECK(is_null(j, "expected_tenure_days"));
	CHECK(json_integer_value(json_object_get(j, "horizon_days")) == 365);
	CHECK_STR(str(json_array_get(json_object_get(j, "drivers"), 0), "feature"),
	    "months_since_raise");
	json_decref(j);

	memset(&e, 0, sizeof(e));
	e.id = "E4";
	e.risk = 0.9;
	e.expected_tenure_days = 10.5;
	e.flags = EMP_EXITED;
	if ((j = parse(encode_score_line(&e, 30))) == NULL)
		return;
	CHECK(HAS_KEYS(j, "employee_id", "risk", "horizon_days", "expected_tenure_days",
	    "status"));
	CHECK_STR(str(j, "employee_id"), "E4");
	CHECK_NEAR(num(j, "risk"), 0.9, 1e-12);
	CHECK(json_integer_value(json_object_get(j, "horizon_days")) == 30);
	CHECK_NEAR(num(j, "expected_tenure_days"), 11, 0);
	CHECK_STR(str(j, "status"), "exited");
	json_decref(j);
}

int
main(void)
{
	pipeline_global_init();
	test_alert();
	test_suggestion();
	test_plan();
	test_estimates();
	test_employee();
	test_whatif_and_score_line();
	return check_exit("test_encode");
}
