/*
 * rescore.c: when an employee is scored without an event of their own.
 *
 * Design (DESIGN.md, "Records and rescoring"). Nothing sweeps a shard on a
 * clock. An employee is scored
 *
 *   - at each of their events (pipeline.c, apply());
 *   - once per epoch with the new epoch's model, which changed for
 *     everyone: the whole shard, at its clock, right after its first event
 *     at or after the boundary has applied (rescore_epoch()). After, not
 *     before: an exit at the boundary's instant (HR times are often
 *     midnights) must close its own exposure interval with d = 1, not find
 *     it closed a moment earlier by a censoring score, which would leave a
 *     zero-length exit piece with the covariates at its end and skew the
 *     hazard's fit;
 *   - between those only when due: every scoring computes the next time at
 *     which something about the employee can change what the model says
 *     (rescore_schedule()) and, when that is before the next boundary,
 *     queues it in the shard's timers (state/timerq.c). A shard's timers
 *     fire when an event moves its clock past them, scored at their own
 *     time and before that event applies (a timer due at the event's very
 *     instant waits until after it, for the same reason as above); those a
 *     closing epoch leaves fire at its boundary, with its model, before the
 *     refit (rescore_close_epoch()).
 *
 * What can change between two scorings without an event: a 12-month
 * window gains or loses an entry (a step in a covariate); the risk drifts
 * continuously with tenure and months since a raise, a promotion or a
 * manager change, and may cross what the alert decision tests (the risk's
 * lower bound reaching the threshold while no episode is open, its upper
 * bound falling below the clear threshold while one is); the quality
 * figures want a refresh of at most rescore_interval_hours (capped at 30
 * days). A tenure band boundary is not a step: the risk integrates the
 * baseline over the horizon, which is continuous in tenure. The crossing
 * is looked for only when that quantity is within CROSS_MARGIN of the
 * threshold it could cross, by scoring a copy at the candidate due time
 * (at most the next boundary) and bisecting to the minute when the side
 * differs; further away the drift of one epoch cannot reach it in
 * practice, and the next epoch's rescoring catches it anyway, one epoch
 * late at worst (the resolution the daily sweep had).
 *
 * Every score the pipeline makes (rescore_score(), for events, timers
 * and boundaries alike) adds the standard error and the drivers only
 * when the decision or the look-ahead can read them (far_below()); an
 * epoch's rescoring is mostly of employees far below the threshold.
 *
 * Every time here is a function of the input alone (event times and
 * epoch boundaries), so the outputs are too: the determinism rule holds,
 * and a replay gives what a daemon gives.
 */
#include <math.h>
#include <stdint.h>

#include "pipeline_int.h"

#define REFRESH_MAX_MS	(30 * MS_PER_DAY)	/* quality figures' refresh */
#define CROSS_MARGIN	0.05	/* risk distance worth a look-ahead */

static int64_t
boundary_after(const struct pipeline *p)
{
	return (int64_t)(p->epoch + 1) * p->cfg.epoch_hours * 3600000;
}

/* The quantity the alert decision compares for e, and 1 in *flip when a
 * score s would change e's alert state by the score alone (decide.c): an
 * open episode closes when the risk's upper bound falls below
 * clear_threshold; none opens unless the model knows e well enough
 * (warmup_max_se) and the risk's lower bound reaches the threshold. The
 * holds that do not depend on the score (backfill window, budget) are
 * left to the next scoring. */
static double
watched(const struct pipeline *p, const struct employee *e, const struct score *s,
    int *flip)
{
	double v;

	if (e->flags & EMP_FIRING) {
		v = decide_risk_upper(&p->cfg, s);
		*flip = v < p->cfg.clear_threshold;
		return v;
	}
	v = decide_risk_lower(&p->cfg, s);
	*flip = v >= p->cfg.threshold && s->risk >= p->cfg.threshold &&
	    !(p->cfg.warmup_max_se > 0 && !(s->eta_se <= p->cfg.warmup_max_se));
	return v;
}

/* 1 when e has no episode open and s's risk is more than CROSS_MARGIN
 * below the threshold: the risk's lower bound is at most the risk, so
 * neither the alert decision nor the look-ahead (crossing()) reads more
 * of the score than the risk. Most of an epoch's rescorings are here. */
static int
far_below(const struct pipeline *p, const struct employee *e, const struct score *s)
{
	return !(e->flags & EMP_FIRING) && s->risk < p->cfg.threshold - CROSS_MARGIN;
}

/* See pipeline_int.h. */
void
rescore_score(struct pipeline *p, struct shard *sh, struct employee *e,
    int64_t now_ms, struct score *s)
{
	model_score_risk(sh->model, e, now_ms, s);
	if (!far_below(p, e, s))
		model_score_detail(sh->model, s);
}

/* The first minute in (now_ms, until_ms) at which the score of e under
 * the epoch's model flips the alert state, or until_ms when it does not
 * by then (see the file comment for where it looks). */
static int64_t
crossing(struct pipeline *p, struct shard *sh, const struct employee *e,
    int64_t now_ms, const struct score *now, int64_t until_ms)
{
	struct score	s;
	double		v, target;
	int64_t		lo = now_ms, hi = until_ms, mid;
	int		flip;

	if (far_below(p, e, now))
		return until_ms;	/* and now has no standard error */
	target = (e->flags & EMP_FIRING) ? p->cfg.clear_threshold : p->cfg.threshold;
	v = watched(p, e, now, &flip);
	if (flip || !(fabs(v - target) < CROSS_MARGIN))
		return until_ms;	/* held (the next scoring tries again), or far */
	model_score_copy(sh->model, e, until_ms, &s);
	(void)watched(p, e, &s, &flip);
	if (!flip)
		return until_ms;
	while (hi - lo > 60000) {	/* flips at hi, not at lo */
		mid = lo + (hi - lo) / 2;
		model_score_copy(sh->model, e, mid, &s);
		(void)watched(p, e, &s, &flip);
		if (flip)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/* See pipeline_int.h. */
void
rescore_schedule(struct pipeline *p, struct shard *sh, struct employee *e,
    int64_t now_ms, const struct score *s)
{
	int64_t until = boundary_after(p), due, w, refresh;

	refresh = (int64_t)p->cfg.rescore_interval_hours * 3600000;
	if (refresh <= 0 || refresh > REFRESH_MAX_MS)
		refresh = REFRESH_MAX_MS;
	due = now_ms + refresh;
	if ((w = window_next_change(&e->manager_changes, now_ms)) < due)
		due = w;
	if ((w = window_next_change(&e->training, now_ms)) < due)
		due = w;
	if ((w = window_next_change(&e->care, now_ms)) < due)
		due = w;
	if (due > until)
		due = until;
	due = crossing(p, sh, e, now_ms, s, due);
	if (due >= until) {
		timerq_remove(sh->timers, e);	/* the boundary rescores e */
		return;
	}
	if (timerq_set(sh->timers, e, due) == -1)
		p->failed = 1;
}

/* See pipeline_int.h. */
void
rescore_due(struct pipeline *p, struct shard *sh, int64_t until_ms)
{
	struct employee	*e;
	int64_t		 due;

	while (!p->failed && (e = timerq_pop(sh->timers, until_ms, &due)) != NULL)
		pipeline_assess(p, sh, e, due, "clock");
}

/* See pipeline_int.h. */
void
rescore_close_epoch(struct pipeline *p)
{
	for (int i = 0; i < p->nshards && !p->failed; i++)
		if (p->shards[i] != NULL)
			rescore_due(p, p->shards[i], INT64_MAX);
}

/* See pipeline_int.h. */
void
rescore_epoch(struct pipeline *p, struct shard *sh)
{
	struct employee	*e;
	size_t		 it = 0;

	if (sh->scored_epoch >= p->epoch ||
	    sh->clock_ms < (int64_t)p->epoch * p->cfg.epoch_hours * 3600000)
		return;
	sh->scored_epoch = p->epoch;
	while ((e = table_next(sh->table, &it)) != NULL && !p->failed)
		pipeline_assess(p, sh, e, sh->clock_ms, "clock");
}
