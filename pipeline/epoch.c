/*
 * epoch.c: the pipeline's epochs (DESIGN.md, "The determinism rule"):
 * entering an epoch (pipeline_advance(): the refit, the boundary's
 * estimates, the month's budget plans), the helpers for a single ordered
 * stream (pipeline_run_all(), pipeline_finish()) and the checkpoint hooks
 * of the model side (a shard's statistics and held events, the epoch
 * state). pipeline.c runs the messages; pipeline_int.h is what both see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline_int.h"

/* See stages.h. */
int
pipeline_month_index(int64_t ms, char out[8])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (out != NULL)
		snprintf(out, 8, "%04u-%02u", (unsigned)(tm.tm_year + 1900) % 10000,
		    (unsigned)(tm.tm_mon + 1) % 100);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* See pipeline_int.h. */
int
plan_scratch(struct pipeline *p, size_t need)
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

/* See pipeline_int.h. */
int
plan_departments_by_name(struct strtab *depts, int *order)
{
	int n = strtab_count(depts), i, j, t;

	for (i = 0; i < n; i++) {
		t = i;
		for (j = i; j > 0 && strcmp(strtab_name(depts, order[j - 1]),
		    strtab_name(depts, t)) > 0; j--)
			order[j] = order[j - 1];
		order[j] = t;
	}
	return n;
}

/* See pipeline_int.h. */
int
plan_shard_candidates(struct pipeline *p, int i, int d, int64_t now_ms, int n)
{
	struct employee	*e;
	struct score	 s;
	struct action	 best;
	size_t		 it = 0;

	if (p->shards[i] == NULL)
		return n;
	while ((e = table_next(p->shards[i]->table, &it)) != NULL) {
		if (e->dept != d || !(e->flags & EMP_FIRING) ||
		    (e->flags & EMP_EXITED))
			continue;
		s.risk = e->risk;
		s.expected_tenure_days = e->expected_tenure_days;
		if (decide_actions(&p->cfg, p->model, e, now_ms, &s, &best, 1) != 1)
			continue;
		if (plan_scratch(p, (size_t)n + 1) == -1)
			return -1;
		p->cand[n].employee_id = e->id;
		p->cand[n].action = best;
		p->cand[n].risk_before = e->risk;
		n++;
	}
	return n;
}

/* See pipeline_int.h. */
void
plan_put(struct pipeline *p, const char *dept, int n, int64_t now_ms,
    long version)
{
	struct plan_msg	 m;
	struct envelope	 env;
	char		 key[EVENT_STR_MAX + 8];

	memset(&m, 0, sizeof(m));
	m.department = dept;
	pipeline_month_index(now_ms, m.month);
	m.budget = p->cfg.department_budget_per_month;
	m.allocations = p->alloc;
	m.nallocations = decide_plan(m.budget, p->cand, n, p->alloc,
	    &m.spend, &m.expected_retained);
	m.model_version = version;
	decide_make_id(m.plan_id, "plan", m.department, m.month);
	snprintf(key, sizeof(key), "dept:%s", m.department);
	pipeline_put(p, OUT_SUGGESTION, key,
	    encode_plan(&m, pipeline_envelope(p, &env, now_ms)));
	p->stats.plans++;
	report_note_plan(p->report, strtab_find(features_departments(p->features),
	    dept), &m);
}

/* One plan per department with at-risk employees, for the month now_ms
 * is in, departments in name order, each department's candidates (an
 * at-risk employee's best action) shards in partition order. */
static void
publish_plans(struct pipeline *p, int64_t now_ms)
{
	struct strtab	*depts = features_departments(p->features);
	int		 order[DEPARTMENTS_MAX], nd, n;

	nd = plan_departments_by_name(depts, order);
	for (int x = 0; x < nd && !p->failed; x++) {
		n = 0;
		for (int i = 0; i < p->nshards && n >= 0; i++)
			n = plan_shard_candidates(p, i, order[x], now_ms, n);
		if (n == -1) {
			p->failed = 1;
			return;
		}
		if (n > 0)
			plan_put(p, strtab_name(depts, order[x]), n, now_ms,
			    model_version(p->model));
	}
}

/* See pipeline_int.h. */
uint64_t
pipeline_events_applied(const struct pipeline *p)
{
	uint64_t events = 0;

	/* every partition's count, so that with several instances each
	 * publishes what one would (DESIGN.md, "Shared statistics") */
	for (int i = 0; i < p->nshards; i++)
		events += p->shards[i] != NULL ? p->shards[i]->events :
		    remote_events(p, i);
	return events;
}

/* The epoch's estimates, as of event time at_ms. */
static void
put_estimates(struct pipeline *p, int64_t at_ms)
{
	struct model_estimates *est;
	struct envelope env;

	if ((est = malloc(sizeof(*est))) == NULL) {
		p->failed = 1;
		return;
	}
	model_estimates(p->model, est);
	report_note_estimates(p);
	pipeline_put(p, OUT_ESTIMATES, ESTIMATES_KEY, encode_estimates(est,
	    model_version(p->model), at_ms, pipeline_events_applied(p),
	    p->cfg.horizon_days, pipeline_envelope(p, &env, at_ms)));
	free(est);
}

/* See pipeline.h: the epoch's model as the estimates record. */
char *
pipeline_model_json(struct pipeline *p)
{
	struct model_estimates *est;
	char *s;

	if ((est = malloc(sizeof(*est))) == NULL)
		return NULL;
	model_estimates(p->model, est);
	s = encode_estimates(est, model_version(p->model), p->clock_ms,
	    pipeline_events_applied(p), p->cfg.horizon_days, NULL);
	free(est);
	return s;
}

long
pipeline_estimates(struct pipeline *p, struct model_estimates *out)
{
	model_estimates(p->model, out);
	return model_version(p->model);
}

/* See pipeline_int.h. */
int64_t
pipeline_epoch_start(const struct pipeline *p, long k)
{
	return (int64_t)k * p->cfg.epoch_hours * 3600000;
}

/* See pipeline_int.h. */
long
pipeline_epoch_of(const struct pipeline *p, int64_t t_ms)
{
	return (long)(t_ms / ((int64_t)p->cfg.epoch_hours * 3600000));
}

long
pipeline_epoch(const struct pipeline *p)
{
	return p->epoch;
}

long
pipeline_blocked_epoch(const struct pipeline *p)
{
	return p->blocked_epoch;
}

/* See pipeline.h: the tests of pipeline_run(), future() first. */
long
pipeline_event_epoch(const struct pipeline *p, const struct hr_event *ev,
    int64_t wall_ms)
{
	long k;

	if (wall_ms > 0 && ev->time_ms > wall_ms +
	    (int64_t)p->cfg.future_tolerance_s * 1000)
		return -1;
	k = pipeline_epoch_of(p, ev->time_ms);
	return k > p->epoch ? k : -1;
}

/*
 * Enters epoch `epoch`. With close, the closing epoch's timers that are
 * still queued fire first, at their own times and with its model (their
 * scores are part of each shard's contribution, a function of the shard's
 * input; rescore.c); then the refit. Shutdown (pipeline_finish()) does
 * not fire them: the input has not reached their times.
 */
static int
advance(struct pipeline *p, long epoch, pipeline_emit_fn emit, void *arg,
    int close)
{
	long prev = p->epoch;
	int64_t at = pipeline_epoch_start(p, epoch);
	struct model_drift before;

	if (epoch <= prev)
		return 0;
	p->emit = emit;
	p->arg = arg;
	p->msg = NULL;
	p->failed = 0;
	if (close)
		rescore_close_epoch(p);
	if (!close)
		rescore_expose_final(p);
	model_drift_note(p->model, &before);
	if (p->failed || model_advance(p->model, p->models, p->nshards, epoch) == -1)
		return -1;
	p->epoch = epoch;
	rescore_new_model(p, &before);
	if (prev < 0)
		return 0;	/* the first boundary: nothing to report yet */
	put_estimates(p, at);
	if (pipeline_month_index(pipeline_epoch_start(p, prev), NULL) !=
	    pipeline_month_index(at, NULL)) {
		if (p->plans != NULL)	/* several instances: plan_share.c */
			plan_share_keep(p, at);
		else
			publish_plans(p, at);
	}
	return p->failed ? -1 : 0;
}

/* See pipeline.h. */
int
pipeline_advance(struct pipeline *p, long epoch, pipeline_emit_fn emit, void *arg)
{
	return advance(p, epoch, emit, arg, 1);
}

int
pipeline_publish_estimates(struct pipeline *p, pipeline_emit_fn emit, void *arg)
{
	p->emit = emit;
	p->arg = arg;
	p->msg = NULL;
	p->failed = 0;
	put_estimates(p, p->clock_ms);
	return p->failed ? -1 : 0;
}

/* See pipeline.h. */
enum pipeline_result
pipeline_run_all(struct pipeline *p, const struct message *msg,
    pipeline_emit_fn emit, void *arg)
{
	enum pipeline_result rc = pipeline_run(p, msg, emit, arg);

	if (rc != PIPE_BLOCKED)
		return rc;
	if (pipeline_advance(p, p->blocked_epoch, emit, arg) == -1)
		return PIPE_ERROR;
	return pipeline_run(p, msg, emit, arg);
}

/* See pipeline.h. */
int
pipeline_finish(struct pipeline *p, pipeline_emit_fn emit, void *arg)
{
	if (p->epoch < 0)
		return pipeline_publish_estimates(p, emit, arg);
	return advance(p, p->epoch + 1, emit, arg, 0);
}

/* See pipeline.h: the shard's statistics, then its held messages. */
int
pipeline_shard_save(const struct pipeline *p, int32_t partition, struct wbuf *w)
{
	const struct shard *sh = p->shards[partition < 0 ? 0 : partition % SHARDS_MAX];

	if (sh == NULL)
		return -1;
	if (model_shard_save(sh->model, w) == -1)
		return -1;
	heldq_save(sh->held, w);
	return w->failed ? -1 : 0;
}

/* See pipeline.h. */
int
pipeline_shard_load(struct pipeline *p, int32_t partition, struct rbuf *r,
    char *errbuf, size_t errlen)
{
	int i = partition < 0 ? 0 : partition % SHARDS_MAX;
	struct shard *sh;

	if (p->shards[i] != NULL) {
		snprintf(errbuf, errlen, "shard %d: already in use", i);
		return -1;
	}
	if ((sh = pipeline_shard_get(p, partition)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (model_shard_load(sh->model, r, errbuf, errlen) == -1)
		return -1;
	if (heldq_load(sh->held, r, p->cfg.max_held) == -1) {
		snprintf(errbuf, errlen, "held events: invalid");
		return -1;
	}
	return 0;
}

/* See pipeline.h. */
void
pipeline_shard_drop(struct pipeline *p, int32_t partition)
{
	int i = partition < 0 ? 0 : partition % SHARDS_MAX;
	struct shard *sh = p->shards[i];
	struct employee *e;
	size_t it = 0;

	if (sh == NULL)
		return;
	while ((e = table_next(sh->table, &it)) != NULL) {
		if (e->flags & EMP_EXITED)
			p->exited--;
		p->nemployees--;
	}
	shard_free(sh);
	p->shards[i] = NULL;
	p->models[i] = NULL;
}

/* See pipeline_int.h. */
int
pipeline_epoch_reset(struct pipeline *p, char *errbuf, size_t errlen)
{
	struct features	*f;
	struct model	*m;
	struct report_state *rs;

	for (int i = 0; i < SHARDS_MAX; i++)
		if (p->shards[i] != NULL) {
			snprintf(errbuf, errlen, "partition %d: state present", i);
			return -1;
		}
	if ((f = features_new(&p->cfg.features)) == NULL ||
	    (m = model_new(&p->cfg.model, f, errbuf, errlen)) == NULL) {
		features_free(f);
		if (f == NULL)
			snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if ((rs = report_state_new()) == NULL) {
		model_free(m);
		features_free(f);
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	/* the remote contributions are in the old registry's ids */
	remote_free_all(p);
	plan_share_forget(p);	/* of the old epochs */
	model_free(p->model);
	features_free(p->features);
	report_state_free(p->report);
	p->features = f;
	p->model = m;
	p->report = rs;
	memset(p->models, 0, sizeof(p->models));
	p->nshards = 0;
	p->epoch = p->blocked_epoch = -1;
	p->exited = 0;
	p->nemployees = 0;
	return 0;
}

/* See pipeline.h: the epoch and the model's epoch state. */
int
pipeline_epoch_save(const struct pipeline *p, struct wbuf *w)
{
	wbuf_i64(w, p->epoch);
	return model_epoch_save(p->model, w);
}

/* See pipeline.h. */
int
pipeline_epoch_load(struct pipeline *p, struct rbuf *r, char *errbuf, size_t errlen)
{
	int64_t epoch = rbuf_i64(r);

	if (p->epoch != -1 || p->nshards != 0 || epoch < -1 || r->failed) {
		snprintf(errbuf, errlen, "epoch state: %s", r->failed ? "truncated" :
		    "bad epoch, or the pipeline is not fresh");
		return -1;
	}
	if (model_epoch_load(p->model, r, errbuf, errlen) == -1)
		return -1;
	if (model_version(p->model) != (long)epoch) {
		snprintf(errbuf, errlen, "epoch state: epochs disagree");
		return -1;
	}
	p->epoch = (long)epoch;
	return 0;
}

