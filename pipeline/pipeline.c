/*
 * pipeline.c: pipeline_run() strings the stages together.
 *
 * Per message: decode -> dedup -> (state_erase | state_apply: record and
 * model in one call) -> score -> decide -> encode -> emit. Then, in event
 * time: a pass that removes leavers older than keep_exited_days once per
 * day of the shard's clock, a rescoring sweep of the shard when its clock
 * has moved rescore_interval_hours, budget plans when the global clock
 * enters a new calendar month, estimates every estimates_interval_events
 * events. A new employee over max_employees goes to the DLQ.
 *
 * Invariants: an employee lives in exactly one shard (its events share a
 * partition because the key is the employee id); every output is encoded
 * into a new string and freed right after the emit call; p->failed records
 * an emit or encode failure and turns the result into PIPE_ERROR.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shard.h"
#include "stages.h"

#define SHARDS_MAX 4096			/* partitions of the input topic */
#define REASON_NOT_APPLICABLE DR__COUNT	/* state_apply refused the event */
#define REASON_EMPLOYEE_LIMIT (DR__COUNT + 1)	/* max_employees reached */
#define ESTIMATES_KEY "retentiond"	/* key of hr.model.estimates: the model name */

struct pipeline {
	struct pipeline_config	 cfg;
	struct features		*features;
	struct model		*model;
	struct shard		*shards[SHARDS_MAX];
	struct pipeline_stats	 stats;
	uint64_t		 exited;	/* employees in state that left */
	size_t			 nemployees;	/* records in all shards */
	int64_t			 clock_ms;	/* max over shards */
	int			 plan_month;	/* year * 12 + month - 1; -1 none */
	uint64_t		 since_estimates;
	struct hr_event		 ev;		/* reused per message */
	/* the emit context of the current call */
	pipeline_emit_fn	 emit;
	void			*arg;
	const struct message	*msg;
	int			 failed;
	/* plan scratch, grown as needed (monthly, not per event) */
	struct allocation	*cand, *alloc;
	size_t			 cap;
	struct report_state	*report;	/* the page's series (report.c) */
};

void
pipeline_config_defaults(struct pipeline_config *c)
{
	memset(c, 0, sizeof(*c));
	c->model.forgetting_rls = 0.9999;
	c->model.forgetting_hazard = 1.0;
	c->model.l2 = 1.0;
	c->model.horizon_days = 180;
	c->model.alert_threshold = 0.5;
	c->features.max_attr_features = 24;
	c->features.max_levels = 8;
	c->threshold = 0.5;
	c->clear_threshold = 0.4;
	c->critical_threshold = 0.75;
	c->alert_min_exits = 20;
	c->horizon_days = 180;
	c->training_hour_cost = 50;
	c->care_action_cost = 200;
	c->promotion_raise_percent = 10;
	c->weight_retention = 1.0;
	c->weight_satisfaction = 0.3;
	c->weight_ability = 0.2;
	c->department_budget_per_month = 50000;
	c->suggestions_max = 3;
	c->rescore_interval_hours = 24;
	c->estimates_interval_events = 10000;
	c->dedup_capacity = 1 << 20;
	c->max_employees = 500000;
	c->keep_exited_days = 730;
	c->output_format = OUTPUT_PLAIN;
	snprintf(c->output_source, sizeof(c->output_source), "%s", OUTPUT_SOURCE_DEFAULT);
}

/* The model sees the alert settings it needs for its bookkeeping. */
static void
sync_model_config(struct pipeline_config *c)
{
	c->model.horizon_days = c->horizon_days;
	c->model.alert_threshold = c->threshold;
}

struct pipeline *
pipeline_new(const struct pipeline_config *cfg, char *errbuf, size_t errlen)
{
	struct pipeline *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	p->cfg = *cfg;
	sync_model_config(&p->cfg);
	p->plan_month = -1;
	if ((p->features = features_new(&p->cfg.features)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	if ((p->model = model_new(&p->cfg.model, p->features, errbuf, errlen)) == NULL)
		goto fail;
	if ((p->report = report_state_new()) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		goto fail;
	}
	return p;
fail:
	pipeline_free(p);
	return NULL;
}

void
pipeline_free(struct pipeline *p)
{
	if (p == NULL)
		return;
	for (int i = 0; i < SHARDS_MAX; i++)
		shard_free(p->shards[i]);
	model_free(p->model);
	features_free(p->features);
	free(p->cand);
	free(p->alloc);
	report_state_free(p->report);
	free(p);
}

void
pipeline_reconfigure(struct pipeline *p, const struct pipeline_config *cfg)
{
	/* The structure (features, dedup size) stays; decisions change. */
	struct features_config keep = p->cfg.features;
	size_t dedup = p->cfg.dedup_capacity;
	uint8_t key[ERASURE_KEY_BYTES];

	/* the erasure key too: the erased sets are hashed under it */
	memcpy(key, p->cfg.erasure_key, sizeof(key));
	p->cfg = *cfg;
	p->cfg.features = keep;
	p->cfg.dedup_capacity = dedup;
	memcpy(p->cfg.erasure_key, key, sizeof(key));
	sync_model_config(&p->cfg);
	model_set_config(p->model, &p->cfg.model);
}

static int
shard_index(int32_t partition)
{
	return partition < 0 ? 0 : partition % SHARDS_MAX;
}

static struct shard *
shard_get(struct pipeline *p, int32_t partition)
{
	int i = shard_index(partition);

	if (p->shards[i] == NULL)
		p->shards[i] = shard_new(&p->cfg, partition);
	return p->shards[i];
}

/* Emits a record of kind under key (value NULL: a tombstone) and counts
 * it in *count once the emit call took it. */
static void
send(struct pipeline *p, enum output_kind kind, const char *key,
    const char *value, int64_t event_time_ms, uint64_t *count)
{
	struct output o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.key = key;
	o.keylen = strlen(key);
	o.value = value;
	o.len = value != NULL ? strlen(value) : 0;
	o.event_time_ms = event_time_ms;
	if (value != NULL)	/* a tombstone has no content */
		o.content_type = p->cfg.output_format == OUTPUT_CLOUDEVENTS ?
		    "application/cloudevents+json" : "application/json";
	if (p->msg != NULL) {
		o.source_topic = p->msg->topic;
		o.source_partition = p->msg->partition;
		o.source_offset = p->msg->offset;
	}
	if (p->emit(p->arg, &o) == -1)
		p->failed = 1;
	else
		(*count)++;
}

/* Emits one output; takes ownership of json (NULL marks a failure). */
static void
put_at(struct pipeline *p, enum output_kind kind, const char *key, char *json,
    int64_t event_time_ms)
{
	if (json == NULL) {
		p->failed = 1;
		return;
	}
	send(p, kind, key, json, event_time_ms, &p->stats.outputs[kind]);
	free(json);
}

static void
put(struct pipeline *p, enum output_kind kind, const char *key, char *json)
{
	put_at(p, kind, key, json, 0);
}

/* A record with the key and no value: on a compacted topic it deletes
 * what was published under the key. */
static void
put_tombstone(struct pipeline *p, enum output_kind kind, const char *key)
{
	send(p, kind, key, NULL, 0, &p->stats.tombstones);
}

/* The CloudEvents envelope for an output about time_ms (0: unknown), in
 * *buf; NULL when outputs are plain. */
static const struct envelope *
envelope(const struct pipeline *p, struct envelope *buf, int64_t time_ms)
{
	if (p->cfg.output_format != OUTPUT_CLOUDEVENTS)
		return NULL;
	buf->source = p->cfg.output_source;
	buf->time_ms = time_ms;
	return buf;
}

static void
reject(struct pipeline *p, const struct message *m, const char *why, int reason)
{
	struct output o;

	p->stats.rejected++;
	if (reason >= 0 && reason < 16)
		p->stats.rejected_by_reason[reason]++;
	memset(&o, 0, sizeof(o));
	o.kind = OUT_DLQ;
	o.key = m->key;
	o.keylen = m->keylen;
	o.value = m->value;
	o.len = m->len;
	o.error = why;
	o.source_topic = m->topic;
	o.source_partition = m->partition;
	o.source_offset = m->offset;
	if (p->emit(p->arg, &o) == -1)
		p->failed = 1;
	else
		p->stats.outputs[OUT_DLQ]++;
}

static void
publish_alert(struct pipeline *p, struct employee *e, const struct alert_msg *m)
{
	struct envelope env;

	if (m->firing) {
		p->stats.alerts_firing++;
		p->stats.alerts_open++;
	} else {
		p->stats.alerts_resolved++;
		p->stats.alerts_open--;
	}
	model_note_alert(p->model, e, m->firing);
	report_note_alert(p->report, m->firing, m->event_time_ms);
	put_at(p, OUT_ALERT, e->id, encode_alert(m, envelope(p, &env, m->event_time_ms)),
	    m->event_time_ms);
}

static void
publish_suggestion(struct pipeline *p, struct employee *e, const struct score *s,
    const char *alert_id, int64_t now_ms)
{
	struct suggestion_msg m;
	struct envelope env;
	int max = p->cfg.suggestions_max;

	memset(&m, 0, sizeof(m));
	if (max > ACTIONS_MAX)
		max = ACTIONS_MAX;
	m.nactions = decide_actions(&p->cfg, p->model, e, now_ms, s, m.actions, max);
	if (m.nactions == 0)
		return;		/* nothing predicted to help at a positive value */
	decide_make_id(m.suggestion_id, e->id, alert_id, "suggestion");
	m.employee_id = e->id;
	m.risk_before = s->risk;
	m.model_version = model_version(p->model);
	put(p, OUT_SUGGESTION, e->id, encode_suggestion(&m, envelope(p, &env, now_ms)));
}

/* Scores e at now_ms and publishes what changes. */
static void
assess(struct pipeline *p, struct employee *e, int64_t now_ms, const char *cause)
{
	struct score		s;
	struct alert_msg	m;

	if (e->hired_ms == 0 || (e->flags & EMP_EXITED))
		return;		/* provisional records have no tenure to score */
	model_score(p->model, e, now_ms, &s);
	/* Warm-up: a hazard fitted on a handful of exits ranks noise. Until
	 * it has seen alert_min_exits, scores are kept but no episode opens
	 * (open ones can still resolve). */
	if (!(e->flags & EMP_FIRING) && model_exits(p->model) < p->cfg.alert_min_exits) {
		if (s.risk >= p->cfg.threshold)
			p->stats.alerts_held++;
		return;
	}
	if (!decide_alert(&p->cfg, e, &s, now_ms, cause, model_version(p->model), &m))
		return;
	publish_alert(p, e, &m);
	if (m.firing)
		publish_suggestion(p, e, &s, m.alert_id, now_ms);
}

static void
sweep(struct pipeline *p, struct shard *sh)
{
	struct employee *e;
	size_t it = 0;

	while ((e = table_next(sh->table, &it)) != NULL && !p->failed)
		assess(p, e, sh->clock_ms, "clock");
	sh->swept_ms = sh->clock_ms;
}

static int
month_index(int64_t ms, char out[8])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (out != NULL)
		snprintf(out, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000,
		    (unsigned)(tm.tm_mon + 1) % 100);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static int
grow_plan_scratch(struct pipeline *p, size_t need)
{
	struct allocation *c, *a;
	size_t cap = p->cap ? p->cap : 256;

	if (need <= p->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((c = realloc(p->cand, cap * sizeof(*c))) == NULL)
		return -1;
	p->cand = c;
	if ((a = realloc(p->alloc, cap * sizeof(*a))) == NULL)
		return -1;
	p->alloc = a;
	p->cap = cap;
	return 0;
}

/* One plan per department with at-risk employees, for the month now_ms is in. */
static void
publish_plans(struct pipeline *p, int64_t now_ms)
{
	struct strtab	*depts = features_departments(p->features);
	struct plan_msg	 m;
	struct envelope	 env;
	struct employee	*e;
	struct score	 s;
	struct action	 best;
	char		 month[8];

	month_index(now_ms, month);
	for (int d = 0; d < strtab_count(depts) && !p->failed; d++) {
		size_t n = 0;

		for (int i = 0; i < SHARDS_MAX; i++) {
			size_t it = 0;

			if (p->shards[i] == NULL)
				continue;
			while ((e = table_next(p->shards[i]->table, &it)) != NULL) {
				if (e->dept != d || !(e->flags & EMP_FIRING) ||
				    (e->flags & EMP_EXITED))
					continue;
				s.risk = e->risk;
				s.expected_tenure_days = e->expected_tenure_days;
				if (decide_actions(&p->cfg, p->model, e, now_ms, &s, &best, 1) != 1)
					continue;
				if (grow_plan_scratch(p, n + 1) == -1) {
					p->failed = 1;
					return;
				}
				p->cand[n].employee_id = e->id;
				p->cand[n].action = best;
				p->cand[n].risk_before = e->risk;
				n++;
			}
		}
		if (n == 0)
			continue;
		memset(&m, 0, sizeof(m));
		m.department = strtab_name(depts, d);
		memcpy(m.month, month, sizeof(m.month));
		m.budget = p->cfg.department_budget_per_month;
		m.allocations = p->alloc;
		m.nallocations = decide_plan(m.budget, p->cand, (int)n, p->alloc,
		    &m.spend, &m.expected_retained);
		m.model_version = model_version(p->model);
		decide_make_id(m.plan_id, "plan", m.department, month);
		{
			char key[EVENT_STR_MAX + 8];

			snprintf(key, sizeof(key), "dept:%s", m.department);
			put(p, OUT_SUGGESTION, key, encode_plan(&m, envelope(p, &env, now_ms)));
		}
		p->stats.plans++;
		report_note_plan(p->report, d, &m);
	}
}

int
pipeline_publish_estimates(struct pipeline *p, pipeline_emit_fn emit, void *arg)
{
	struct model_estimates *est;
	struct envelope env;
	uint64_t events = 0;

	if ((est = malloc(sizeof(*est))) == NULL)
		return -1;
	for (int i = 0; i < EV__COUNT; i++)
		events += p->stats.events_by_type[i];
	model_estimates(p->model, est);
	report_note_estimates(p);
	p->emit = emit;
	p->arg = arg;
	p->failed = 0;
	put(p, OUT_ESTIMATES, ESTIMATES_KEY, encode_estimates(est,
	    model_version(p->model), p->clock_ms, events, p->cfg.horizon_days,
	    envelope(p, &env, p->clock_ms)));
	free(est);
	p->since_estimates = 0;
	return p->failed ? -1 : 0;
}

/* Removes e as an erasure does (state_erase(): model first, then the
 * record's memory is wiped) and keeps the counters true. */
static void
forget(struct pipeline *p, struct shard *sh, struct employee *e)
{
	char id[EMPLOYEE_ID_MAX + 1];

	memcpy(id, e->id, sizeof(id));	/* e is wiped on the way */
	if (e->flags & EMP_FIRING)
		p->stats.alerts_open--;		/* the episode ends silently */
	if (e->flags & EMP_EXITED)
		p->exited--;
	if (state_erase(p->model, sh->table, id) == 1)
		p->nemployees--;
	explicit_bzero(id, sizeof(id));
}

/* Erasure: every trace of the employee goes; only the count remains, and
 * the keyed hash that keeps later events for the id out. */
static void
erase(struct pipeline *p, struct shard *sh, const char *id)
{
	struct employee *e = table_get(sh->table, id);

	p->stats.erasures++;
	if (erased_add(sh->erased, shard_erasure_hash(&p->cfg, id)) == -1)
		p->failed = 1;
	/* the employee's alerts and suggestions leave the compacted topics */
	put_tombstone(p, OUT_ALERT, id);
	put_tombstone(p, OUT_SUGGESTION, id);
	if (e != NULL)
		forget(p, sh, e);
}

/*
 * Limits: what the state may hold is bounded, whatever the input.
 *
 * Storage limitation: keep_exited_days after the exit, in event time (a
 * replay removes the same records at the same point), a leaver's record
 * is removed as an erasure removes it; only leavers_expired counts it.
 * One pass over the shard per day of its clock. table_erase() leaves a
 * tombstone, so removing the record just returned keeps the iteration
 * valid.
 */
static void
expire_leavers(struct pipeline *p, struct shard *sh)
{
	struct employee	*e;
	size_t		 it = 0;
	int64_t		 cutoff;

	sh->expired_ms = sh->clock_ms;
	if (p->cfg.keep_exited_days <= 0)
		return;
	cutoff = sh->clock_ms - (int64_t)p->cfg.keep_exited_days * MS_PER_DAY;
	while ((e = table_next(sh->table, &it)) != NULL)
		if ((e->flags & EMP_EXITED) && e->exit_ms <= cutoff) {
			p->stats.leavers_expired++;
			forget(p, sh, e);
		}
}

/*
 * The record of the event's subject, created when new, unless that would
 * pass max_employees: then the event goes to the DLQ with the reason and
 * is counted (memory per employee is bounded, so the limit bounds the
 * state). NULL when refused, or out of memory (p->failed).
 */
static struct employee *
admit(struct pipeline *p, struct shard *sh, const struct message *msg,
    int *created)
{
	struct employee	*e;
	char		 why[ERRBUF_MAX];

	if (p->cfg.max_employees > 0 && p->nemployees >= p->cfg.max_employees &&
	    (e = table_get(sh->table, p->ev.subject)) == NULL) {
		p->stats.employees_refused++;
		snprintf(why, sizeof(why), "employee limit reached ([state] "
		    "max_employees = %zu): a new employee is not admitted",
		    p->cfg.max_employees);
		reject(p, msg, why, REASON_EMPLOYEE_LIMIT);
		return NULL;
	}
	if ((e = table_put(sh->table, p->ev.subject, created)) == NULL) {
		p->failed = 1;
		return NULL;
	}
	if (*created)
		p->nemployees++;
	return e;
}

static void
apply(struct pipeline *p, struct shard *sh, const struct message *msg)
{
	struct hr_event	*ev = &p->ev;
	struct employee	*e;
	struct alert_msg m;
	char		 why[ERRBUF_MAX];
	int		 created, was_exited;

	if ((e = admit(p, sh, msg, &created)) == NULL)
		return;
	if (created && ev->type != EV_HIRED)
		p->stats.provisional_created++;
	if (!created && ev->time_ms < e->last_event_ms)
		p->stats.late_events++;
	was_exited = (e->flags & EMP_EXITED) != 0;
	/* all or nothing: a refused event leaves record and model as they were */
	if (state_apply(p->model, e, ev, why, sizeof(why)) == -1) {
		reject(p, msg, why, REASON_NOT_APPLICABLE);
		if (created && table_erase(sh->table, ev->subject) == 1)
			p->nemployees--;
		return;
	}
	p->stats.events_by_type[ev->type]++;
	if (ev->time_ms > sh->clock_ms)
		sh->clock_ms = ev->time_ms;
	if (!was_exited && (e->flags & EMP_EXITED)) {
		p->exited++;
		report_note_exit(p->report, e->dept, (e->flags & EMP_VOLUNTARY) != 0,
		    ev->time_ms);
		if (decide_exit(&p->cfg, e, sh->clock_ms, ev->id, model_version(p->model), &m))
			publish_alert(p, e, &m);
	} else if (was_exited && !(e->flags & EMP_EXITED))
		p->exited--;	/* rehired */
	else
		assess(p, e, sh->clock_ms, ev->id);
}

enum pipeline_result
pipeline_run(struct pipeline *p, const struct message *msg, pipeline_emit_fn emit,
    void *arg)
{
	struct shard	*sh;
	char		 why[ERRBUF_MAX];
	int		 reason = -1, month;
	enum pipeline_result rc = PIPE_OK;

	p->emit = emit;
	p->arg = arg;
	p->msg = msg;
	p->failed = 0;
	if ((sh = shard_get(p, msg->partition)) == NULL) {
		p->failed = 1;
		goto out;
	}
	shard_note(sh, msg);
	if (decode_event(msg, &p->ev, why, sizeof(why), &reason) == -1) {
		reject(p, msg, why, reason);
		rc = PIPE_REJECTED;
		goto out;
	}
	/* Erasure sticks: a later or late event for an erased id is dropped,
	 * not sent to the DLQ, whose copy would keep what erasure removed. */
	if (p->ev.type != EV_ERASED && shard_erased(sh, &p->cfg, p->ev.subject)) {
		p->stats.erased_dropped++;
		rc = PIPE_ERASED;
		goto out;
	}
	if (dedup_check(sh->dedup, p->ev.source, p->ev.id)) {
		p->stats.duplicates++;
		rc = PIPE_DUPLICATE;
		goto out;
	}
	if (p->ev.type == EV_ERASED) {
		p->stats.events_by_type[EV_ERASED]++;
		erase(p, sh, p->ev.subject);
	} else
		apply(p, sh, msg);
	if (sh->clock_ms - sh->expired_ms >= MS_PER_DAY)
		expire_leavers(p, sh);
	if (sh->swept_ms == 0)
		sh->swept_ms = sh->clock_ms;
	else if (sh->clock_ms - sh->swept_ms >=
	    (int64_t)p->cfg.rescore_interval_hours * 3600000)
		sweep(p, sh);
	if (sh->clock_ms > p->clock_ms) {
		p->clock_ms = sh->clock_ms;
		month = month_index(p->clock_ms, NULL);
		if (p->plan_month >= 0 && month != p->plan_month)
			publish_plans(p, p->clock_ms);
		p->plan_month = month;
	}
	if (p->cfg.estimates_interval_events > 0 &&
	    ++p->since_estimates >= (uint64_t)p->cfg.estimates_interval_events &&
	    pipeline_publish_estimates(p, emit, arg) == -1)
		p->failed = 1;
out:
	p->msg = NULL;
	return p->failed ? PIPE_ERROR : rc;
}

void
pipeline_stats(const struct pipeline *p, struct pipeline_stats *out)
{
	*out = p->stats;
	out->employees = 0;
	for (int i = 0; i < SHARDS_MAX; i++)
		if (p->shards[i] != NULL)
			out->employees += table_count(p->shards[i]->table);
	out->employees_active = out->employees - p->exited;
	out->clock_ms = p->clock_ms;
}

const char *
pipeline_reject_reason_name(int i)
{
	if (i >= 0 && i < DR__COUNT)
		return decode_reason_name(i);
	if (i == REASON_NOT_APPLICABLE)
		return "not_applicable";
	if (i == REASON_EMPLOYEE_LIMIT)
		return "employee_limit";
	return NULL;
}

static struct employee *
find(struct pipeline *p, const char *id)
{
	struct employee *e;

	for (int i = 0; i < SHARDS_MAX; i++)
		if (p->shards[i] != NULL && (e = table_get(p->shards[i]->table, id)) != NULL)
			return e;
	return NULL;
}

/* The time an employee is scored at outside the event flow: the clock. */
static int64_t
now_for(const struct pipeline *p, const struct employee *e)
{
	return p->clock_ms > e->last_event_ms ? p->clock_ms : e->last_event_ms;
}

char *
pipeline_employee_json(struct pipeline *p, const char *id)
{
	struct employee	*e;
	struct score	 s;
	int64_t		 now;

	if ((e = find(p, id)) == NULL)
		return NULL;
	now = now_for(p, e);
	memset(&s, 0, sizeof(s));
	if (e->hired_ms != 0 && !(e->flags & EMP_EXITED))
		model_score_copy(p->model, e, now, &s);
	else {
		s.risk = (e->flags & EMP_EXITED) ? 0.0 : NAN;
		s.expected_tenure_days = (e->flags & EMP_EXITED) && e->hired_ms ?
		    (double)(e->exit_ms - e->hired_ms) / MS_PER_DAY : NAN;
	}
	return encode_employee(e, &s, p->features, now, p->cfg.horizon_days,
	    strtab_name(features_departments(p->features), e->dept));
}

char *
pipeline_model_json(struct pipeline *p)
{
	struct model_estimates *est;
	uint64_t events = 0;
	char *s;

	if ((est = malloc(sizeof(*est))) == NULL)
		return NULL;
	for (int i = 0; i < EV__COUNT; i++)
		events += p->stats.events_by_type[i];
	model_estimates(p->model, est);
	s = encode_estimates(est, model_version(p->model), p->clock_ms, events,
	    p->cfg.horizon_days, NULL);
	free(est);
	return s;
}

long
pipeline_estimates(struct pipeline *p, struct model_estimates *out)
{
	model_estimates(p->model, out);
	return model_version(p->model);
}

char *
pipeline_whatif_json(struct pipeline *p, const char *id, const char *body, size_t len,
    char *errbuf, size_t errlen)
{
	struct action	 acts[16];
	struct employee	*e;
	struct score	 before, after;
	int		 n;
	int64_t		 now;

	errbuf[0] = '\0';
	if ((e = find(p, id)) == NULL || e->hired_ms == 0 || (e->flags & EMP_EXITED))
		return NULL;	/* errbuf empty: unknown */
	if ((n = whatif_parse_actions(body, len, acts, 16, errbuf, errlen)) == -1)
		return NULL;
	now = now_for(p, e);
	model_score_copy(p->model, e, now, &before);
	decide_whatif(&p->cfg, p->model, e, now, acts, n, &after);
	return encode_whatif(e->id, before.risk, &after, p->cfg.horizon_days);
}

int
pipeline_dump_scores(struct pipeline *p, int64_t at_ms, pipeline_emit_fn emit, void *arg)
{
	struct employee *e;

	p->emit = emit;
	p->arg = arg;
	p->failed = 0;
	for (int i = 0; i < SHARDS_MAX && !p->failed; i++) {
		size_t it = 0;

		if (p->shards[i] == NULL)
			continue;
		while ((e = table_next(p->shards[i]->table, &it)) != NULL && !p->failed) {
			if (e->hired_ms != 0 && !(e->flags & EMP_EXITED))
				model_score(p->model, e, at_ms > 0 ? at_ms : now_for(p, e), NULL);
			put(p, OUT_ESTIMATES, e->id, encode_score_line(e, p->cfg.horizon_days));
		}
	}
	return p->failed ? -1 : 0;
}

/* For shard.c. */
struct shard **
pipeline_slot(struct pipeline *p, int32_t partition)
{
	return &p->shards[shard_index(partition)];
}

void
pipeline_account(struct pipeline *p, const struct shard *sh, int sign)
{
	uint64_t exited, firing;

	shard_census(sh, &exited, &firing);
	p->exited += (uint64_t)sign * exited;
	p->stats.alerts_open += (uint64_t)sign * firing;
	p->nemployees += (size_t)sign * table_count(sh->table);
	if (sign > 0 && sh->clock_ms > p->clock_ms)
		p->clock_ms = sh->clock_ms;
}

struct features *
pipeline_features(struct pipeline *p)
{
	return p->features;
}

const struct pipeline_config *
pipeline_cfg(const struct pipeline *p)
{
	return &p->cfg;
}

/* For report.c. */
void
pipeline_source(struct pipeline *p, struct report_source *src)
{
	src->rs = p->report;
	src->features = p->features;
	src->model = p->model;
	src->cfg = &p->cfg;
	src->clock_ms = p->clock_ms;
}

struct employee *
pipeline_each(struct pipeline *p, size_t *shard, size_t *it)
{
	struct employee *e;

	for (; *shard < SHARDS_MAX; (*shard)++, *it = 0)
		if (p->shards[*shard] != NULL &&
		    (e = table_next(p->shards[*shard]->table, it)) != NULL)
			return e;
	return NULL;
}
