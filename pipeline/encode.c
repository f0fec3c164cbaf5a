/*
 * encode.c: output messages as JSON (CONTRACT.md). jansson lives here, in
 * the decoder (decode.c, decode_data.c) and in the what-if body parser
 * (whatif.c) only.
 *
 * Numbers go out with 6 significant digits; a value that is not finite
 * (an estimate not yet defined) goes out as null, and so does a time of 0
 * (the event-time clock before any event: unknown).
 *
 * With an envelope (struct envelope, stages.h: the `[output] format =
 * cloudevents` setting), a published message is a CloudEvent in the
 * structured content mode, JSON format: the plain payload becomes `data`
 * unchanged, `id` is the payload's own id (alert_id and the status, since
 * an episode's two messages share alert_id; suggestion_id, plan_id; a hash
 * of the payload for estimates, which have none), `type`
 * names the kind, `subject` the employee where there is one, and `time`
 * is the occurrence in event time, left out when unknown.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stages.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(6))

static const int band_months[HAZARD_BANDS + 1] = { 0, 3, 12, 24, 60, -1 };

/* New JSON number, or null when x is not finite. */
static json_t *
jreal(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *
jtime(int64_t ms)
{
	char buf[40];

	time_format_rfc3339(ms, buf, sizeof(buf));
	return json_string(buf);
}

/* jtime(), or null for 0: the clock before any event, an unknown time. */
static json_t *
jtime_known(int64_t ms)
{
	return ms != 0 ? jtime(ms) : json_null();
}

/* Dumps and frees root. New string or NULL. */
static char *
finish(json_t *root)
{
	char *s;

	if (root == NULL)
		return NULL;
	s = json_dumps(root, DUMP_FLAGS);
	json_decref(root);
	return s;
}

/*
 * Dumps root (stolen) as is when env is NULL, else as the `data` of a
 * structured-mode CloudEvent of the given type, id (NULL: a hash of the
 * dumped payload) and subject (NULL: none). New string or NULL.
 */
static char *
finish_as(json_t *root, const struct envelope *env, const char *type,
    const char *id, const char *subject)
{
	char hash[ID_HEX_LEN + 1], *data;
	json_t *ce;

	if (env == NULL || root == NULL)
		return finish(root);
	if (id == NULL) {
		if ((data = json_dumps(root, DUMP_FLAGS)) == NULL) {
			json_decref(root);
			return NULL;
		}
		decide_make_id(hash, type, data, NULL);
		free(data);
		id = hash;
	}
	ce = json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "specversion", "1.0",
	    "id", id,
	    "source", env->source,
	    "type", type,
	    "datacontenttype", "application/json");
	if (ce == NULL) {
		json_decref(root);
		return NULL;
	}
	if (subject != NULL)
		json_object_set_new(ce, "subject", json_string(subject));
	if (env->time_ms != 0)
		json_object_set_new(ce, "time", jtime(env->time_ms));
	json_object_set_new(ce, "data", root);
	return finish(ce);
}

static json_t *
drivers_json(const struct score *s)
{
	json_t *a = json_array();

	for (int i = 0; i < s->ndrivers; i++)
		json_array_append_new(a, json_pack("{s:s, s:o}",
		    "feature", s->drivers[i].feature ? s->drivers[i].feature : "",
		    "contribution", jreal(s->drivers[i].contribution)));
	return a;
}

char *
encode_alert(const struct alert_msg *m, const struct envelope *env)
{
	const char *status = m->firing ? "firing" : "resolved";
	char id[ID_HEX_LEN + 16];

	/* An episode's firing and resolved messages share alert_id, but
	 * CloudEvents consumers may drop a second event with the same source
	 * and id as a duplicate: the status makes the two distinct. */
	snprintf(id, sizeof(id), "%s-%s", m->alert_id, status);
	return finish_as(json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:i, s:o, s:o, s:s, s:o, s:s, s:I}",
	    "alert_id", m->alert_id,
	    "employee_id", m->employee_id,
	    "status", status,
	    "severity", m->critical ? "critical" : "warning",
	    "risk", jreal(m->score.risk),
	    "risk_lower", jreal(m->risk_lower),
	    "horizon_days", m->horizon_days,
	    "expected_tenure_days", jreal(round(m->score.expected_tenure_days)),
	    "drivers", drivers_json(&m->score),
	    "reason", m->reason,
	    "event_time", jtime(m->event_time_ms),
	    "caused_by", m->caused_by,
	    "model_version", (json_int_t)m->model_version),
	    env, CE_TYPE_ALERT, id, m->employee_id);
}

static json_t *
action_json(const struct action *a)
{
	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "action", decide_action_name(a->kind),
	    "amount", jreal(a->amount),
	    "cost", jreal(round(a->cost * 100.0) / 100.0),
	    "risk_after", jreal(a->risk_after),
	    "satisfaction_gain", jreal(a->satisfaction_gain),
	    "ability_gain", jreal(a->ability_gain),
	    "expected_tenure_gain_days", jreal(round(a->expected_tenure_gain_days)),
	    "confidence", jreal(a->confidence));
}

char *
encode_suggestion(const struct suggestion_msg *m, const struct envelope *env)
{
	json_t *acts = json_array();

	for (int i = 0; i < m->nactions; i++)
		json_array_append_new(acts, action_json(&m->actions[i]));
	return finish_as(json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:s}",
	    "type", "suggestion",
	    "suggestion_id", m->suggestion_id,
	    "employee_id", m->employee_id,
	    "model_version", (json_int_t)m->model_version,
	    "risk_before", jreal(m->risk_before),
	    "actions", acts,
	    "note", "associations learned from observational data, not proven causes; "
	    "supports a human decision"),
	    env, CE_TYPE_SUGGESTION, m->suggestion_id, m->employee_id);
}

char *
encode_plan(const struct plan_msg *m, const struct envelope *env)
{
	json_t *allocs = json_array();

	for (int i = 0; i < m->nallocations; i++) {
		const struct allocation *a = &m->allocations[i];
		json_array_append_new(allocs, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}",
		    "employee_id", a->employee_id,
		    "action", decide_action_name(a->action.kind),
		    "amount", jreal(a->action.amount),
		    "cost", jreal(round(a->action.cost * 100.0) / 100.0),
		    "risk_before", jreal(a->risk_before),
		    "risk_after", jreal(a->action.risk_after)));
	}
	return finish_as(json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I}",
	    "type", "plan",
	    "plan_id", m->plan_id,
	    "department", m->department,
	    "month", m->month,
	    "budget", jreal(m->budget),
	    "allocations", allocs,
	    "spend", jreal(round(m->spend * 100.0) / 100.0),
	    "expected_retained", jreal(m->expected_retained),
	    "model_version", (json_int_t)m->model_version),
	    env, CE_TYPE_PLAN, m->plan_id, NULL);
}

static json_t *
quality_json(const struct quality_estimate *q)
{
	json_t *cal = json_array(), *ir = json_object(), *flagged = json_array();

	for (int i = 0; i < CALIBRATION_BINS; i++)
		json_array_append_new(cal, json_pack("{s:o, s:o, s:I}",
		    "predicted", jreal(q->calib_predicted[i]),
		    "observed", jreal(q->calib_observed[i]),
		    "n", (json_int_t)q->calib_n[i]));
	for (int i = 0; i < q->ngroups && i < 64; i++) {
		const char *attr = q->groups[i].attribute, *lvl = q->groups[i].level;
		json_t *g;

		if (attr == NULL || lvl == NULL)
			continue;
		if ((g = json_object_get(ir, attr)) == NULL) {
			g = json_object();
			json_object_set_new(ir, attr, g);
		}
		json_object_set_new(g, lvl, jreal(q->groups[i].impact_ratio));
		if (isfinite(q->groups[i].impact_ratio) && q->groups[i].impact_ratio < 0.8 &&
		    q->groups[i].n >= IMPACT_MIN_GROUP)
			json_array_append_new(flagged, json_pack("{s:s, s:s}",
			    "attribute", attr, "level", lvl));
	}
	return json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "concordance", jreal(q->concordance),
	    "concordance_pairs", (json_int_t)q->concordance_pairs,
	    "calibration", cal,
	    "calibration_error", jreal(q->calibration_error),
	    "alert_precision", jreal(q->alert_precision),
	    "alert_recall", jreal(q->alert_recall),
	    "impact_ratios", ir,
	    "impact_flagged", flagged);
}

char *
encode_estimates(const struct model_estimates *m, long version, int64_t event_time_ms,
    uint64_t events, int horizon_days, const struct envelope *env)
{
	const struct rls_estimate *s = &m->satisfaction, *a = &m->ability;
	const struct hazard_estimate *h = &m->hazard;
	json_t *bands = json_array(), *coef = json_object(), *se = json_object();
	json_t *refs = json_array(), *weak = json_array();

	for (int k = 0; k < HAZARD_BANDS; k++) {
		json_t *range = band_months[k + 1] < 0 ?
		    json_pack("[i, n]", band_months[k]) :
		    json_pack("[i, i]", band_months[k], band_months[k + 1]);
		json_array_append_new(bands, json_pack("{s:o, s:o}",
		    "band_months", range, "per_year", jreal(h->per_year[k])));
	}
	for (int i = 0; i < h->dim; i++) {
		if (h->names[i] == NULL)
			continue;
		if (h->reference[i]) {	/* held at 0: the others are against it */
			json_array_append_new(refs, json_string(h->names[i]));
			continue;
		}
		json_object_set_new(coef, h->names[i], jreal(h->coef[i]));
		json_object_set_new(se, h->names[i], jreal(h->coef_se[i]));
		if (h->sd[i] > 0 && h->data_share[i] < HAZARD_SUFFICIENT_SHARE)
			json_array_append_new(weak, json_string(h->names[i]));
	}
	return finish_as(json_pack("{s:I, s:o, s:I, s:i,"
	    " s:{s:o, s:o, s:o, s:{s:o, s:o, s:o}, s:I},"
	    " s:{s:o, s:o, s:{s:o, s:o}, s:I},"
	    " s:{s:o, s:o, s:o, s:b, s:I, s:o, s:o, s:o, s:b, s:o},"
	    " s:o, s:o, s:o}",
	    "model_version", (json_int_t)version,
	    "event_time", jtime_known(event_time_ms),
	    "events", (json_int_t)events,
	    "horizon_days", horizon_days,
	    "satisfaction", "s0", jreal(s->coef[0]), "alpha", jreal(s->coef[1]),
	    "care", jreal(s->coef[2]), "se", "s0", jreal(s->se[0]),
	    "alpha", jreal(s->se[1]), "care", jreal(s->se[2]), "n", (json_int_t)s->n,
	    "ability", "a0", jreal(a->coef[0]), "gamma", jreal(a->coef[1]),
	    "se", "a0", jreal(a->se[0]), "gamma", jreal(a->se[1]), "n", (json_int_t)a->n,
	    "hazard", "baseline", bands, "coefficients", coef, "standard_errors", se,
	    "standardised", 1, "exits", (json_int_t)h->exits,
	    "exposure_years", jreal(h->exposure_years),
	    "reference_levels", refs, "insufficient", weak,
	    "insufficient_data", h->insufficient_data, "prior_sd", jreal(h->prior_sd),
	    "kappa", jreal(m->kappa),
	    "kappa_se", jreal(m->kappa_se),
	    "quality", quality_json(&m->quality)),
	    env, CE_TYPE_ESTIMATES, NULL, NULL);
}

char *
encode_employee(const struct employee *e, const struct score *s,
    const struct features *f, int64_t now_ms, int horizon_days, const char *department)
{
	double	x[FEATURES_MAX];
	int	dim = features_dim(f);
	json_t	*feat = json_object(), *state;

	/* features_vector does not change f; the cast keeps its API simple */
	features_vector((struct features *)(uintptr_t)f, e, now_ms, x);
	for (int i = 0; i < dim && i < FEATURES_MAX; i++)
		json_object_set_new(feat, features_name(f, i), jreal(x[i]));
	state = json_pack("{s:o, s:i, s:o, s:o, s:o, s:b, s:o}",
	    "department", department ? json_string(department) : json_null(),
	    "job_level", e->job_level,
	    "hired", e->hired_s ? jtime(emp_ms(e->hired_s)) : json_null(),
	    "tenure_days", e->hired_s ? jreal(floor((double)(now_ms - emp_ms(e->hired_s)) /
	    MS_PER_DAY)) : json_null(),
	    "last_event", jtime(emp_ms(e->last_event_s)),
	    "provisional", (e->flags & EMP_PROVISIONAL) != 0,
	    "features", feat);
	if (e->flags & EMP_EXITED)
		json_object_set_new(state, "exited", jtime(emp_ms(e->exit_s)));
	return finish(json_pack("{s:s, s:o, s:i, s:o, s:o, s:s, s:b, s:o, s:o}",
	    "employee_id", e->id,
	    "risk", jreal(s->risk),
	    "horizon_days", horizon_days,
	    "expected_tenure_days", jreal(round(s->expected_tenure_days)),
	    "drivers", drivers_json(s),
	    "status", (e->flags & EMP_EXITED) ? "exited" : "active",
	    "alert_firing", (e->flags & EMP_FIRING) != 0,
	    "scored_at", jtime(now_ms),
	    "state", state));
}

char *
encode_whatif(const char *id, double risk_before, const struct score *after,
    int horizon_days)
{
	return finish(json_pack("{s:s, s:o, s:o, s:o, s:i, s:o}",
	    "employee_id", id,
	    "risk_before", jreal(risk_before),
	    "risk_after", jreal(after->risk),
	    "expected_tenure_days", jreal(round(after->expected_tenure_days)),
	    "horizon_days", horizon_days,
	    "drivers", drivers_json(after)));
}

char *
encode_score_line(const struct employee *e, int horizon_days)
{
	return finish(json_pack("{s:s, s:o, s:i, s:o, s:s}",
	    "employee_id", e->id,
	    "risk", jreal(e->risk),
	    "horizon_days", horizon_days,
	    "expected_tenure_days", jreal(round(e->expected_tenure_days)),
	    "status", (e->flags & EMP_EXITED) ? "exited" : "active"));
}

/* --- The checkpoint dump (--dump-checkpoint): every field, exactly --- */

static char *
finish_exact(json_t *root)
{
	char *s;

	if (root == NULL)
		return NULL;
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
	json_decref(root);
	return s;
}

/* Event time as RFC 3339, or null for 0 (never). */
static json_t *
jtime0(int64_t ms)
{
	return ms != 0 ? jtime(ms) : json_null();
}

/* A window's held months that hold something: [month start, value],
 * oldest first. */
static json_t *
window_json(const struct window *w)
{
	json_t *a = json_array();

	for (int32_t m = w->month - (WINDOW_MONTHS - 1); m <= w->month; m++) {
		float v = w->v[((m % WINDOW_MONTHS) + WINDOW_MONTHS) % WINDOW_MONTHS];

		if (v != 0.0f)
			json_array_append_new(a, json_pack("[o, o]",
			    jtime((int64_t)m * WINDOW_MONTH_MS), jreal(v)));
	}
	return a;
}

static json_t *
tally_json(const struct tally *w)
{
	json_t *a = json_array();

	for (int32_t m = w->month - (WINDOW_MONTHS - 1); m <= w->month; m++) {
		int n = w->n[((m % WINDOW_MONTHS) + WINDOW_MONTHS) % WINDOW_MONTHS];

		if (n != 0)
			json_array_append_new(a, json_pack("[o, i]",
			    jtime((int64_t)m * WINDOW_MONTH_MS), n));
	}
	return a;
}

static json_t *
record_attrs_json(const struct employee *e, const struct features *f)
{
	json_t *o = json_object();
	const char *name, *level;
	char key[2 * EVENT_STR_MAX + 2];
	uint64_t has = emp_attr_has(e);

	for (int s = 0; s < ATTR_FEATURES_MAX; s++) {
		if (!(has & (1ULL << s)) ||
		    features_attr_slot_describe(f, s, &name, &level) == -1)
			continue;
		snprintf(key, sizeof(key), "%s%s%s", name, level ? "=" : "",
		    level ? level : "");
		json_object_set_new(o, key, jreal(emp_attr_get(e, s)));
	}
	return o;
}

static json_t *
record_protected_json(const struct employee *e, const struct features *f)
{
	json_t *o = json_object();
	const char *l;

	for (int k = 0; k < features_protected_count(f) && k < PROTECTED_MAX; k++)
		if ((l = features_protected_level(f, k, emp_prot_level(e, k))) != NULL)
			json_object_set_new(o, features_protected_name(f, k),
			    json_string(l));
	return o;
}

/* The model's bookkeeping in the record: changes with the model, not
 * only with the input. */
static json_t *
record_model_json(const struct employee *e)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:i, s:o, s:o}",
	    "interval_start", jtime0(emp_ms(e->interval_start_s)),
	    "risk", jreal(e->risk),
	    "expected_tenure_days", jreal(e->expected_tenure_days),
	    "scored", jtime0(emp_ms(e->scored_s)),
	    "flags", (int)e->model_flags,
	    "calibration_start", jtime0(emp_ms(e->calib_s)),
	    "calibration_risk", jreal(e->calib_risk),
	    "calibration_decile", e->calib_decile,
	    "alert_evaluation", jtime0(emp_ms(e->alert_eval_s)),
	    "alert_last", jtime0(emp_ms(e->alert_last_s)));
}

char *
encode_record(const struct employee *e, struct features *f)
{
	const char *dept = strtab_name(features_departments(f), e->dept);
	char manager[17], cause[33];

	snprintf(manager, sizeof(manager), "%016llx", (unsigned long long)e->manager);
	snprintf(cause, sizeof(cause), "%016llx%016llx",	/* (employee, cause) */
	    (unsigned long long)e->alert_h[0], (unsigned long long)e->alert_h[1]);
	return finish_exact(json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:i, s:o,"
	    " s:s, s:o, s:o, s:o, s:o,"
	    " s:{s:o, s:o, s:o, s:o, s:o}, s:{s:o, s:o, s:o}, s:{s:o, s:o},"
	    " s:{s:o, s:o, s:o, s:o}, s:o, s:o, s:o, s:{s:i, s:o, s:s}}",
	    "employee_id", e->id, "flags", (int)e->flags,
	    "hired", jtime0(emp_ms(e->hired_s)), "exited", jtime0(emp_ms(e->exit_s)),
	    "last_event", jtime0(emp_ms(e->last_event_s)),
	    "department", dept ? json_string(dept) : json_null(),
	    "job_level", e->job_level, "salary", jreal(e->salary),
	    "manager_hash", manager, "manager_since", jtime0(emp_ms(e->manager_since_s)),
	    "last_raise", jtime0(emp_ms(e->last_raise_s)),
	    "last_raise_pct", jreal(e->last_raise_pct),
	    "last_promotion", jtime0(emp_ms(e->last_promotion_s)),
	    "survey", "satisfaction", jreal(e->satisfaction),
	    "engagement", jreal(e->engagement), "intent_to_stay", jreal(e->intent_to_stay),
	    "work_life_balance", jreal(e->work_life_balance), "time", jtime0(emp_ms(e->survey_s)),
	    "review", "rating", jreal(e->rating), "potential", jreal(e->potential),
	    "time", jtime0(emp_ms(e->review_s)),
	    "ability", "value", jreal(e->ability), "time", jtime0(emp_ms(e->ability_s)),
	    "windows", "incentive", window_json(&e->incentive),
	    "training", window_json(&e->training), "care", tally_json(&e->care),
	    "manager_changes", tally_json(&e->manager_changes),
	    "attributes", record_attrs_json(e, f),
	    "protected", record_protected_json(e, f),
	    "model", record_model_json(e),
	    "episode", "count", (int)e->episode, "fired", jtime0(emp_ms(e->alert_fired_s)),
	    "cause_hash", cause));
}

char *
encode_shard_meta(const char *topic, int32_t partition, int64_t next_offset,
    int64_t clock_ms, uint64_t messages, size_t erased, uint64_t erased_dropped)
{
	return finish_exact(json_pack("{s:s, s:i, s:I, s:o, s:I, s:I, s:I}",
	    "topic", topic, "partition", (int)partition,
	    "next_offset", (json_int_t)next_offset, "clock", jtime0(clock_ms),
	    "messages", (json_int_t)messages, "erased", (json_int_t)erased,
	    "erased_events_dropped", (json_int_t)erased_dropped));
}
