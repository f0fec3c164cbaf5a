/*
 * report.c: the aggregates behind the daemon's page (daemon/page.c).
 *
 * Two kinds of figures. Those that describe the present (active employees
 * per department, open alerts, the risk histogram) are counted from the
 * records when a report is asked for: O(employees), on an HTTP request,
 * never on the event path. Those that describe the past (alerts and exits
 * per month, the latest plan per department, the histogram at the last
 * estimates publication) cannot be recounted, because exited and erased
 * records do not keep them, so pipeline.c calls the report_note_*() hooks
 * where it publishes and the counts live here.
 *
 * Monthly series are rings of REPORT_MONTHS slots indexed by event-time
 * month (year * 12 + month). The ring follows the latest month seen: when
 * an event enters a later month the slots in between are cleared, and an
 * event older than the ring's span is not counted (it would fall into a
 * slot that now means a later month). Memory is fixed at creation, so no
 * hook allocates.
 *
 * Everything here is anonymous except pipeline_report_at_risk(), which the
 * daemon serves only on the employee view. The monthly counts, like the
 * counters of /metrics, survive an erasure: they name nobody, and the
 * record they came from is gone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stages.h"

#define REPORT_DEPTS_MAX 1024		/* as many as features interns */

struct dept_series {
	uint32_t	exits[REPORT_MONTHS];
	int		has_plan;
	char		plan_month[8];
	double		plan_budget, plan_spend, plan_retained;
	int		plan_allocations;
};

struct report_state {
	int			 first_month, last_month;	/* -1: none yet */
	uint32_t		 firing[REPORT_MONTHS], resolved[REPORT_MONTHS];
	uint32_t		 exits_vol[REPORT_MONTHS], exits_other[REPORT_MONTHS];
	struct dept_series	*dept;				/* REPORT_DEPTS_MAX */
	int			 has_prev;
	struct report_risk	 risk_prev;
};

struct report_state *
report_state_new(void)
{
	struct report_state *rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	if ((rs->dept = calloc(REPORT_DEPTS_MAX, sizeof(*rs->dept))) == NULL) {
		free(rs);
		return NULL;
	}
	rs->first_month = rs->last_month = -1;
	return rs;
}

void
report_state_free(struct report_state *rs)
{
	if (rs == NULL)
		return;
	free(rs->dept);
	free(rs);
}

static int
month_of(int64_t ms)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

static void
month_name(int month, char out[8])
{
	unsigned y = (unsigned)(month / 12) % 10000, m = (unsigned)(month % 12) + 1;

	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '\0';
}

static void
clear_slot(struct report_state *rs, int slot)
{
	rs->firing[slot] = rs->resolved[slot] = 0;
	rs->exits_vol[slot] = rs->exits_other[slot] = 0;
	for (int d = 0; d < REPORT_DEPTS_MAX; d++)
		rs->dept[d].exits[slot] = 0;
}

/* The ring slot of the month t_ms falls in, advancing the ring when it is
 * later than any seen; -1 when it is older than the ring's span. */
static int
slot_for(struct report_state *rs, int64_t t_ms)
{
	int	month = month_of(t_ms);

	if (rs->last_month < 0) {
		rs->first_month = rs->last_month = month;
		return month % REPORT_MONTHS;
	}
	if (month > rs->last_month) {
		int from = month - rs->last_month > REPORT_MONTHS ?
		    month - REPORT_MONTHS + 1 : rs->last_month + 1;

		for (int m = from; m <= month; m++)
			clear_slot(rs, m % REPORT_MONTHS);
		rs->last_month = month;
	}
	if (month <= rs->last_month - REPORT_MONTHS)
		return -1;
	if (month < rs->first_month)
		rs->first_month = month;
	return month % REPORT_MONTHS;
}

void
report_note_alert(struct report_state *rs, int firing, int64_t t_ms)
{
	int	s;

	if (rs == NULL || (s = slot_for(rs, t_ms)) < 0)
		return;
	if (firing)
		rs->firing[s]++;
	else
		rs->resolved[s]++;
}

void
report_note_exit(struct report_state *rs, int dept, int voluntary, int64_t t_ms)
{
	int	s;

	if (rs == NULL || (s = slot_for(rs, t_ms)) < 0)
		return;
	if (voluntary)
		rs->exits_vol[s]++;
	else
		rs->exits_other[s]++;
	if (dept >= 0 && dept < REPORT_DEPTS_MAX)
		rs->dept[dept].exits[s]++;
}

void
report_note_plan(struct report_state *rs, int dept, const struct plan_msg *m)
{
	struct dept_series *d;

	if (rs == NULL || dept < 0 || dept >= REPORT_DEPTS_MAX)
		return;
	d = &rs->dept[dept];
	d->has_plan = 1;
	memcpy(d->plan_month, m->month, sizeof(d->plan_month));
	d->plan_budget = m->budget;
	d->plan_spend = m->spend;
	d->plan_retained = m->expected_retained;
	d->plan_allocations = m->nallocations;
}

/* 1 for an employee who counts as active: hired, not exited. */
static int
is_active(const struct employee *e)
{
	return e->hired_s != 0 && !(e->flags & EMP_EXITED);
}

static int
risk_bin(double risk)
{
	int	b = (int)(risk * REPORT_RISK_BINS);

	if (b < 0)
		b = 0;
	return b >= REPORT_RISK_BINS ? REPORT_RISK_BINS - 1 : b;
}

/* The last scores of active, scored employees, now. */
static void
risk_snapshot(struct pipeline *p, const struct report_source *src,
    struct report_risk *out)
{
	struct employee	*e;
	size_t		 sh = 0, it = 0;
	double		 sum = 0;

	memset(out, 0, sizeof(*out));
	while ((e = pipeline_each(p, &sh, &it)) != NULL) {
		if (!is_active(e) || e->scored_s == 0 || isnan(e->risk))
			continue;
		out->bins[risk_bin(e->risk)]++;
		out->scored++;
		out->above += e->risk >= src->cfg->threshold;
		sum += e->risk;
	}
	out->mean = out->scored > 0 ? sum / (double)out->scored : NAN;
	out->clock_ms = src->clock_ms;
	out->model_version = model_version(src->model);
}

void
report_note_estimates(struct pipeline *p)
{
	struct report_source	src;

	pipeline_source(p, &src);
	if (src.rs == NULL)
		return;
	risk_snapshot(p, &src, &src.rs->risk_prev);
	src.rs->has_prev = 1;
}

/* Months from the first with data to the latest, at most REPORT_MONTHS,
 * with department exits copied alongside. */
static void
fill_months(const struct report_state *rs, struct report *r)
{
	int	from, n;

	r->nmonths = 0;
	if (rs->last_month < 0)
		return;
	from = rs->first_month > rs->last_month - REPORT_MONTHS + 1 ?
	    rs->first_month : rs->last_month - REPORT_MONTHS + 1;
	n = rs->last_month - from + 1;
	for (int i = 0; i < n; i++) {
		int			 s = (from + i) % REPORT_MONTHS;
		struct report_month	*m = &r->months[i];

		month_name(from + i, m->month);
		m->alerts_firing = rs->firing[s];
		m->alerts_resolved = rs->resolved[s];
		m->exits_voluntary = rs->exits_vol[s];
		m->exits_other = rs->exits_other[s];
		for (int d = 0; d < r->ndepts; d++)
			r->depts[d].exits[i] = rs->dept[d].exits[s];
	}
	r->nmonths = n;
}

static void
fill_departments(struct pipeline *p, struct report *r)
{
	struct employee	*e;
	size_t		 sh = 0, it = 0;

	while ((e = pipeline_each(p, &sh, &it)) != NULL) {
		if (!is_active(e) || e->dept < 0 || e->dept >= r->ndepts)
			continue;
		r->depts[e->dept].active++;
		r->active++;
		if (e->flags & EMP_FIRING) {
			r->depts[e->dept].at_risk++;
			r->at_risk++;
		}
	}
}

static void
fill_plans(const struct report_state *rs, struct report *r)
{
	for (int d = 0; d < r->ndepts; d++) {
		const struct dept_series	*s = &rs->dept[d];
		struct report_dept		*o = &r->depts[d];

		if (!(o->has_plan = s->has_plan))
			continue;
		memcpy(o->plan_month, s->plan_month, sizeof(o->plan_month));
		o->plan_budget = s->plan_budget;
		o->plan_spend = s->plan_spend;
		o->plan_retained = s->plan_retained;
		o->plan_allocations = s->plan_allocations;
	}
}

struct report *
pipeline_report(struct pipeline *p)
{
	struct report_source	 src;
	struct report		*r;
	struct strtab		*depts;

	pipeline_source(p, &src);
	if (src.rs == NULL || (r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	depts = features_departments(src.features);
	r->ndepts = strtab_count(depts);
	if (r->ndepts > REPORT_DEPTS_MAX)
		r->ndepts = REPORT_DEPTS_MAX;
	if (r->ndepts > 0 &&
	    (r->depts = calloc((size_t)r->ndepts, sizeof(*r->depts))) == NULL) {
		free(r);
		return NULL;
	}
	for (int d = 0; d < r->ndepts; d++)
		r->depts[d].name = strtab_name(depts, d);
	r->clock_ms = src.clock_ms;
	r->model_version = model_version(src.model);
	r->model_exits = model_exits(src.model);
	r->warmup_max_se = src.cfg->warmup_max_se;
	r->confidence_z = src.cfg->confidence_z;
	r->threshold = src.cfg->threshold;
	r->clear_threshold = src.cfg->clear_threshold;
	r->horizon_days = src.cfg->horizon_days;
	fill_departments(p, r);
	fill_months(src.rs, r);
	fill_plans(src.rs, r);
	risk_snapshot(p, &src, &r->risk);
	if ((r->has_prev = src.rs->has_prev))
		r->risk_prev = src.rs->risk_prev;
	pipeline_stats(p, &r->stats);
	model_estimates(src.model, &r->est);
	return r;
}

void
pipeline_report_free(struct report *r)
{
	if (r == NULL)
		return;
	free(r->depts);
	free(r);
}

static int
by_risk_desc(const void *a, const void *b)
{
	double ra = ((const struct report_employee *)a)->risk;
	double rb = ((const struct report_employee *)b)->risk;

	return (ra < rb) - (ra > rb);
}

/* Keeps the max riskiest of the employees with an open alert: the array
 * is filled, then each newcomer replaces the least risky when riskier.
 * Drivers come from a fresh score of a copy (model_score_copy), so asking
 * changes nothing in the model. */
int
pipeline_report_at_risk(struct pipeline *p, struct report_employee *out, int max)
{
	struct report_source	 src;
	struct employee		*e;
	struct score		 s;
	size_t			 sh = 0, it = 0;
	int			 n = 0, low = 0;
	int64_t			 now;

	pipeline_source(p, &src);
	while (max > 0 && (e = pipeline_each(p, &sh, &it)) != NULL) {
		if (!is_active(e) || !(e->flags & EMP_FIRING))
			continue;
		if (n == max && e->risk <= out[low].risk)
			continue;
		now = src.clock_ms > emp_ms(e->last_event_s) ? src.clock_ms : emp_ms(e->last_event_s);
		model_score_copy(src.model, e, now, &s);
		struct report_employee *o = &out[n < max ? n++ : low];

		snprintf(o->id, sizeof(o->id), "%s", e->id);
		o->department = strtab_name(features_departments(src.features), e->dept);
		o->risk = s.risk;
		o->expected_tenure_days = s.expected_tenure_days;
		o->alert_fired_ms = emp_ms(e->alert_fired_s);
		o->ndrivers = s.ndrivers;
		memcpy(o->drivers, s.drivers, sizeof(o->drivers));
		for (int i = low = 0; i < n; i++)
			if (out[i].risk < out[low].risk)
				low = i;
	}
	qsort(out, (size_t)n, sizeof(*out), by_risk_desc);
	return n;
}
