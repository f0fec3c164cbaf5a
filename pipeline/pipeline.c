/*
 * pipeline.c: pipeline_run() strings the stages together.
 *
 * Per message: decode -> epoch gate -> dedup -> (state_erase | state_apply:
 * record and the shard's statistics in one call) -> score -> decide ->
 * encode -> emit. Before the event applies, the shard's rescoring timers
 * due before its time fire (rescore.c); after it, a pass that removes
 * leavers older than keep_exited_days once per day of the shard's clock,
 * and the epoch's rescoring of the shard when this is its first event at
 * or after the epoch's boundary. A new employee over max_employees goes
 * to the DLQ.
 *
 * Epochs (DESIGN.md, "The determinism rule"). Event time is cut into
 * epochs of epoch_hours; the pipeline is in one epoch at a time and scores
 * with that epoch's fit (state/fit.c). A message of a later epoch is
 * refused with PIPE_BLOCKED, before anything changes: the caller holds it
 * until every partition has reached that epoch and then calls
 * pipeline_advance(), which refits from every shard's statistics in
 * partition order and publishes the boundary's estimates, and the month's
 * budget plans when the boundary starts a calendar month (epoch.c). Events
 * of the current or an earlier epoch (late ones) apply at once. Before the
 * epoch gate, an event dated too far after the wall clock is held in its
 * shard or sent to the DLQ (future(), held.c).
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

#include "pipeline_int.h"

void
pipeline_config_defaults(struct pipeline_config *c)
{
	memset(c, 0, sizeof(*c));
	c->model.forgetting_rls = 0.9999;
	c->model.forgetting_hazard = 1.0;
	c->model.l2 = 4.0;	/* prior sd 0.5 per SD: MODELS.md, "Honest with little data" */
	c->model.horizon_days = 180;
	c->model.alert_threshold = 0.5;
	c->features.max_attr_features = 24;
	c->features.max_levels = 8;
	c->threshold = 0.5;
	c->clear_threshold = 0.4;
	c->critical_threshold = 0.75;
	c->warmup_max_se = 0.5;
	c->confidence_z = 1.2816;	/* one-sided 90 % */
	c->horizon_days = 180;
	c->training_hour_cost = 50;
	c->care_action_cost = 200;
	c->promotion_raise_percent = 10;
	c->weight_retention = 1.0;
	c->weight_satisfaction = 0.3;
	c->weight_ability = 0.2;
	c->department_budget_per_month = 50000;
	c->suggestions_max = 3;
	c->rescore_interval_hours = 720;
	c->epoch_hours = 24;
	c->future_tolerance_s = 3600;
	c->future_horizon_days = 400;
	c->max_held = 10000;
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
	p->epoch = p->blocked_epoch = -1;
	if (p->cfg.epoch_hours < 1)
		p->cfg.epoch_hours = 24;
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
	remote_free_all(p);
	plan_share_free(p);
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
	int epoch_hours = p->cfg.epoch_hours;
	uint8_t key[ERASURE_KEY_BYTES];

	/* the erasure key too: the erased sets are hashed under it */
	memcpy(key, p->cfg.erasure_key, sizeof(key));
	p->cfg = *cfg;
	p->cfg.features = keep;
	p->cfg.dedup_capacity = dedup;
	p->cfg.epoch_hours = epoch_hours;	/* epochs are numbered by it */
	memcpy(p->cfg.erasure_key, key, sizeof(key));
	sync_model_config(&p->cfg);
	model_set_config(p->model, &p->cfg.model);
}

struct shard *
pipeline_shard_get(struct pipeline *p, int32_t partition)
{
	int i = partition < 0 ? 0 : partition % SHARDS_MAX;
	struct shard *s;

	if ((s = p->shards[i]) != NULL)
		return s;
	if ((s = shard_new(p, partition)) == NULL)
		return NULL;
	remote_release(p, i);	/* the shard is the contribution now */
	p->shards[i] = s;
	p->models[i] = s->model;
	if (i + 1 > p->nshards)
		p->nshards = i + 1;
	return s;
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

void
pipeline_put(struct pipeline *p, enum output_kind kind, const char *key, char *json)
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
const struct envelope *
pipeline_envelope(const struct pipeline *p, struct envelope *buf, int64_t time_ms)
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
publish_alert(struct pipeline *p, struct shard *sh, struct employee *e,
    const struct alert_msg *m)
{
	struct envelope env;

	if (m->firing) {
		p->stats.alerts_firing++;
		p->stats.alerts_open++;
	} else {
		p->stats.alerts_resolved++;
		p->stats.alerts_open--;
	}
	model_note_alert(sh->model, e, m->firing);
	report_note_alert(p->report, m->firing, m->event_time_ms);
	put_at(p, OUT_ALERT, e->id, encode_alert(m, pipeline_envelope(p, &env, m->event_time_ms)),
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
	pipeline_put(p, OUT_SUGGESTION, e->id,
	    encode_suggestion(&m, pipeline_envelope(p, &env, now_ms)));
}

/* The counter of openings held for reason why (not HOLD_NONE). */
static uint64_t *
held_counter(struct pipeline *p, enum alert_hold why)
{
	switch (why) {
	case HOLD_WARMUP:
		return &p->stats.alerts_held;
	case HOLD_UNCERTAIN:
		return &p->stats.alerts_uncertain;
	case HOLD_BACKFILL:
		return &p->stats.alerts_backfill_held;
	default:
		return &p->stats.alerts_budget_held;
	}
}

/* See pipeline_int.h. */
void
pipeline_assess(struct pipeline *p, struct shard *sh, struct employee *e,
    int64_t now_ms, const char *cause)
{
	struct score		s;

	if (e->hired_s == 0 || (e->flags & EMP_EXITED)) {
		timerq_remove(sh->timers, e);
		return;		/* provisional records have no tenure to score */
	}
	rescore_score(p, sh, e, now_ms, &s);
	pipeline_decide(p, sh, e, now_ms, cause, &s);
}

/* See pipeline_int.h. */
void
pipeline_decide(struct pipeline *p, struct shard *sh, struct employee *e,
    int64_t now_ms, const char *cause, const struct score *sp)
{
	struct score		s = *sp;
	struct alert_msg	m;
	struct alert_gate	g;

	/* The alert policy (decide.c): warm-up, confidence, backfill window,
	 * budget; a score it holds back is counted by its reason. */
	if (p->cfg.alert_budget_per_month > 0 && sh->budget == NULL &&
	    (sh->budget = decide_budget_new()) == NULL) {
		p->failed = 1;
		return;
	}
	g.wall_ms = p->msg != NULL ? p->msg->wall_ms : 0;
	g.budget = sh->budget;
	if (decide_alert(&p->cfg, e, &s, now_ms, cause, model_version(p->model), &g, &m)) {
		publish_alert(p, sh, e, &m);
		if (m.firing)
			publish_suggestion(p, e, &s, m.alert_id, now_ms);
	} else if (g.held != HOLD_NONE)
		(*held_counter(p, g.held))++;
	rescore_schedule(p, sh, e, now_ms, &s);
}

/* Removes e as an erasure does (state_erase(): the shard's statistics
 * first, then the record's memory is wiped) and keeps the counters true. */
static void
forget(struct pipeline *p, struct shard *sh, struct employee *e)
{
	char id[EMPLOYEE_ID_MAX + 1];

	snprintf(id, sizeof(id), "%s", e->id);	/* e is wiped on the way */
	timerq_remove(sh->timers, e);
	if (e->flags & EMP_FIRING)
		p->stats.alerts_open--;		/* the episode ends silently */
	if (e->flags & EMP_EXITED)
		p->exited--;
	if (state_erase(sh->model, sh->table, id) == 1)
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
 * One pass over the shard per day of its clock. table_erase() wipes the
 * record in place and moves nothing, so removing the record just returned
 * keeps the iteration valid.
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
		if ((e->flags & EMP_EXITED) && emp_ms(e->exit_s) <= cutoff) {
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
	if (!created && emp_time(ev->time_ms) < emp_ms(e->last_event_s))
		p->stats.late_events++;
	was_exited = (e->flags & EMP_EXITED) != 0;
	/* all or nothing: a refused event leaves record and model as they were */
	if (state_apply(sh->model, e, ev, why, sizeof(why)) == -1) {
		reject(p, msg, why, REASON_NOT_APPLICABLE);
		if (created && table_erase(sh->table, ev->subject) == 1)
			p->nemployees--;
		return;
	}
	p->stats.events_by_type[ev->type]++;
	sh->events++;
	if (ev->time_ms > sh->clock_ms)
		sh->clock_ms = ev->time_ms;
	if (!was_exited && (e->flags & EMP_EXITED)) {
		p->exited++;
		report_note_exit(p->report, e->dept, (e->flags & EMP_VOLUNTARY) != 0,
		    ev->time_ms);
		if (decide_exit(&p->cfg, e, sh->clock_ms, ev->id, model_version(p->model), &m))
			publish_alert(p, sh, e, &m);
	} else if (was_exited && !(e->flags & EMP_EXITED))
		p->exited--;	/* rehired */
	else
		pipeline_assess(p, sh, e, sh->clock_ms, ev->id);
}

/* Time that cannot be poisoned (DESIGN.md): an event dated after the
 * wall clock plus the tolerance would move the shard's clock into the
 * future. Within the horizon it is held in its shard (duplicates dropped
 * first) and applied once the shard's clock reaches it; beyond the horizon,
 * or with max_held already held, it goes to the DLQ. Returns 1 when msg
 * was handled here (*rc set), 0 when it applies now. */
static int
future(struct pipeline *p, const struct message *msg, enum pipeline_result *rc)
{
	int64_t w = msg->wall_ms, t = p->ev.time_ms;
	struct shard *sh;

	if (w <= 0 || t <= w + (int64_t)p->cfg.future_tolerance_s * 1000)
		return 0;
	*rc = PIPE_REJECTED;
	if (t > w + (int64_t)p->cfg.future_horizon_days * MS_PER_DAY) {
		reject(p, msg, "time: later than future_horizon_days after now",
		    REASON_FUTURE);
		return 1;
	}
	if ((sh = pipeline_shard_get(p, msg->partition)) == NULL) {
		p->failed = 1;
		return 1;
	}
	if (heldq_count(sh->held) >= p->cfg.max_held) {
		reject(p, msg, "time: in the future, and max_held events are held",
		    REASON_HELD_FULL);
		return 1;
	}
	*rc = PIPE_DUPLICATE;
	if (dedup_check(sh->dedup, p->ev.source, p->ev.id)) {
		p->stats.duplicates++;
		return 1;
	}
	*rc = PIPE_OK;
	if (heldq_push(sh->held, msg, t) == -1)
		p->failed = 1;
	else
		p->stats.held_total++;
	return 1;
}

/* Applies the held messages the shard's clock has reached, in time order
 * (the clock does not move: they are not later than it). */
static void
release_held(struct pipeline *p, struct shard *sh, const struct message *cur)
{
	struct msg_header hdrs[HELD_HEADERS_MAX];
	struct message m;
	char why[ERRBUF_MAX];
	int reason = -1;

	while (!p->failed && heldq_next_ms(sh->held) <= sh->clock_ms) {
		memset(&m, 0, sizeof(m));
		if (!heldq_first_due(sh->held, sh->clock_ms, &m, hdrs))
			break;
		m.topic = cur->topic;
		m.partition = cur->partition;
		m.wall_ms = cur->wall_ms;	/* the backfill window's clock */
		p->msg = &m;
		if (decode_event(&m, &p->ev, why, sizeof(why), &reason) == -1)
			reject(p, &m, why, reason);	/* it decoded when held */
		else if (p->ev.type == EV_ERASED) {
			p->stats.events_by_type[EV_ERASED]++;
			sh->events++;
			erase(p, sh, p->ev.subject);
		} else if (shard_erased(sh, &p->cfg, p->ev.subject))
			p->stats.erased_dropped++;	/* erased while it was held */
		else
			apply(p, sh, &m);
		heldq_drop_first(sh->held);
	}
	p->msg = cur;
}

enum pipeline_result
pipeline_run(struct pipeline *p, const struct message *msg, pipeline_emit_fn emit,
    void *arg)
{
	struct shard	*sh;
	char		 why[ERRBUF_MAX];
	int		 reason = -1;
	long		 k;
	enum pipeline_result rc = PIPE_OK;

	p->emit = emit;
	p->arg = arg;
	p->msg = msg;
	p->failed = 0;
	if (decode_event(msg, &p->ev, why, sizeof(why), &reason) == -1) {
		reject(p, msg, why, reason);
		rc = PIPE_REJECTED;
		goto out;
	}
	if (future(p, msg, &rc))
		goto out;
	if ((k = remote_blocked_epoch(p, msg->partition,
	    pipeline_epoch_of(p, p->ev.time_ms))) > p->epoch) {
		p->blocked_epoch = k;	/* nothing else changed */
		p->msg = NULL;
		return PIPE_BLOCKED;
	}
	if ((sh = pipeline_shard_get(p, msg->partition)) == NULL) {
		p->failed = 1;
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
	/* timers due before the event's time fire first, at their own time */
	rescore_due(p, sh, p->ev.time_ms - 1);
	if (p->ev.type == EV_ERASED) {
		p->stats.events_by_type[EV_ERASED]++;
		sh->events++;
		erase(p, sh, p->ev.subject);
	} else
		apply(p, sh, msg);
	release_held(p, sh, msg);
	if (sh->clock_ms - sh->expired_ms >= MS_PER_DAY)
		expire_leavers(p, sh);
	rescore_epoch(p, sh);
	if (sh->clock_ms > p->clock_ms)
		p->clock_ms = sh->clock_ms;
out:
	/* Whatever the result (PIPE_BLOCKED returned above), the shard's
	 * state now reflects msg: a checkpoint resumes after it. */
	if ((sh = pipeline_shard_get(p, msg->partition)) == NULL)
		p->failed = 1;
	else
		shard_note(sh, msg);
	p->msg = NULL;
	return p->failed ? PIPE_ERROR : rc;
}

/* See pipeline.h. */
int
pipeline_sent_on(struct pipeline *p, const struct message *msg)
{
	struct shard *sh = pipeline_shard_get(p, msg->partition);

	if (sh == NULL)
		return -1;
	shard_note(sh, msg);
	return 0;
}

void
pipeline_stats(const struct pipeline *p, struct pipeline_stats *out)
{
	*out = p->stats;
	out->employees = 0;
	out->events_held = 0;
	for (int i = 0; i < SHARDS_MAX; i++)
		if (p->shards[i] != NULL) {
			out->employees += table_count(p->shards[i]->table);
			out->events_held += heldq_count(p->shards[i]->held);
		}
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
	if (i == REASON_FUTURE)
		return "future";
	if (i == REASON_HELD_FULL)
		return "held_full";
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
	return p->clock_ms > emp_ms(e->last_event_s) ? p->clock_ms : emp_ms(e->last_event_s);
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
	if (e->hired_s != 0 && !(e->flags & EMP_EXITED))
		model_score_copy(p->model, e, now, &s);
	else {
		s.risk = (e->flags & EMP_EXITED) ? 0.0 : NAN;
		s.expected_tenure_days = (e->flags & EMP_EXITED) && emp_ms(e->hired_s) ?
		    (double)(emp_ms(e->exit_s) - emp_ms(e->hired_s)) / MS_PER_DAY : NAN;
	}
	return encode_employee(e, &s, p->features, now, p->cfg.horizon_days,
	    strtab_name(features_departments(p->features), e->dept));
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
	if ((e = find(p, id)) == NULL || e->hired_s == 0 || (e->flags & EMP_EXITED))
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
			if (e->hired_s != 0 && !(e->flags & EMP_EXITED))
				model_score(p->shards[i]->model, e,
				    at_ms > 0 ? at_ms : now_for(p, e), NULL);
			pipeline_put(p, OUT_ESTIMATES, e->id, encode_score_line(e, p->cfg.horizon_days));
		}
	}
	return p->failed ? -1 : 0;
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
