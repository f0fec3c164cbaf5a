/*
 * rescore.c: when an employee is scored without an event of their own.
 *
 * Design (DESIGN.md, "Records and rescoring"). Nothing sweeps a shard on a
 * clock, and a new epoch's model does not rescore everyone. An employee is
 * scored
 *
 *   - at each of their events (pipeline.c, apply());
 *   - when due: every scoring computes the next time at which something
 *     about the employee can change what the model says
 *     (rescore_schedule()) and queues it in the shard's timers
 *     (state/timerq.c), past the next boundary too. A shard's timers fire
 *     when an event moves its clock past them, scored at their own time
 *     and before that event applies; one due at the event's very instant
 *     waits until after it (an exit at an HR midnight must close its own
 *     exposure interval with d = 1, not find it closed a moment earlier by
 *     a censoring score), and those at the boundary's instant fire right
 *     after the shard's first event of the epoch (rescore_epoch()). Those
 *     a closing epoch leaves fire at its boundary, with its model, before
 *     the refit (rescore_close_epoch(), rescore_close_shard()); those of
 *     epochs the stream skips fire at their own times once the next model
 *     is in.
 *   - at a boundary, with the new model, when it can change what the
 *     decision says: a near record (an episode open, or a risk whose
 *     cumulative hazard over the horizon is within a factor exp(NEAR_LOG)
 *     of the threshold's) is due at the next boundary at the latest; when
 *     the new model can move any record's log cumulative hazard by more
 *     than DRIFT_LOG (model_drift(), a bound from the two fits alone;
 *     rescore_new_model()), the whole shard is, at its clock, right after
 *     its first event at or after the boundary (rescore_epoch()).
 *
 * A far record's score is then up to rescore_interval_hours old (30 days
 * by default): what the record, the quality figures and the far side of
 * the decision read. The hazard's fit must not wait that long for the
 * stayers' time at risk, which their scores used to close: the boundary
 * closes every active record's open exposure of EXPOSE_MIN_DAYS or more a
 * second before it, without scoring, in batches (rescore_close_shard(),
 * model_accrue_batch()), as part of the shard's contribution.
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
 * practice, and a near record is rescored at the next boundary anyway.
 *
 * Every score the pipeline makes (rescore_score(), for events, timers
 * and boundaries alike) adds the standard error and the drivers only
 * when the decision or the look-ahead can read them (far_below()); a
 * boundary that rescores everyone scores mostly employees far below it,
 * RESCORE_BATCH records at a time (rescore_batch(): the scores of the
 * batch with the fit's plan made once, then each decision in order; the
 * same bits as one pipeline_assess() after another).
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
#define DRIFT_LOG	0.69	/* log H a new model moves: everyone rescored */
#define EXPOSE_BATCH	256	/* records per model_accrue_batch() */
#define EXPOSE_MIN_DAYS	7.0	/* open exposure a boundary closes, at least */
#define NEAR_LOG	0.69	/* log H below the threshold's: near */
#define RESCORE_BATCH	64	/* records per model_score_risk_batch() */

static int64_t
boundary_after(const struct pipeline *p)
{
	return pipeline_epoch_start(p, p->epoch + 1);
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
	p->stats.scorings++;
	model_score_risk(sh->model, e, now_ms, s);
	if (!far_below(p, e, s))
		model_score_detail(sh->model, s);
}

/* pipeline_assess() of the active records e[0..n) at now_ms in turn, with
 * their scores made first in one model_score_risk_batch(): the same steps
 * in the same order for every statistic (a score reads nothing that a
 * decision or a timer writes), so the same bits as n pipeline_assess(). */
static void
rescore_batch(struct pipeline *p, struct shard *sh, struct employee *const *e,
    int n, int64_t now_ms)
{
	struct score s[RESCORE_BATCH];
	int i;

	if (n <= 0)
		return;
	model_score_risk_batch(sh->model, e, n, now_ms, s);
	for (i = 0; i < n && !p->failed; i++) {
		p->stats.scorings++;
		if (!far_below(p, e[i], &s[i]))
			model_score_detail_at(sh->model, e[i], now_ms, &s[i]);
		pipeline_decide(p, sh, e[i], now_ms, "clock", &s[i]);
	}
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

/* The lowest risk at which a record without an open episode counts as
 * near (file comment): its cumulative hazard over the horizon is within
 * a factor exp(NEAR_LOG) of the threshold's, and never further from the
 * threshold than CROSS_MARGIN (the look-ahead's reach). */
static double
near_risk(struct pipeline *p)
{
	double r;

	if (p->near_for != p->cfg.threshold) {
		r = -expm1(log1p(-p->cfg.threshold) * exp(-NEAR_LOG));
		p->near_risk = r < p->cfg.threshold - CROSS_MARGIN ? r :
		    p->cfg.threshold - CROSS_MARGIN;
		p->near_for = p->cfg.threshold;
	}
	return p->near_risk;
}

/* The first epoch boundary after t_ms. */
static int64_t
next_boundary(const struct pipeline *p, int64_t t_ms)
{
	return t_ms >= 0 ? pipeline_epoch_start(p, pipeline_epoch_of(p, t_ms) + 1) : 0;
}

/* The longest stretch between two scorings of an active record. */
static int64_t
refresh_ms(const struct pipeline *p)
{
	int64_t refresh = (int64_t)p->cfg.rescore_interval_hours * 3600000;

	return refresh <= 0 || refresh > REFRESH_MAX_MS ? REFRESH_MAX_MS : refresh;
}

/* See pipeline_int.h. */
void
rescore_schedule(struct pipeline *p, struct shard *sh, struct employee *e,
    int64_t now_ms, const struct score *s)
{
	int64_t nb = boundary_after(p), start = pipeline_epoch_start(p, p->epoch);
	int64_t due, w;

	/* a timer of an epoch the stream skipped fires once the next model
	 * is in, at its own time: the near see that model at its start */
	if (now_ms < start)
		nb = start;
	else if (nb <= now_ms)	/* not expected: timers fire within their epoch */
		nb = next_boundary(p, now_ms);

	due = now_ms + refresh_ms(p);
	if ((w = window_next_change(&e->manager_changes, now_ms)) < due)
		due = w;
	if ((w = window_next_change(&e->training, now_ms)) < due)
		due = w;
	if ((w = window_next_change(&e->care, now_ms)) < due)
		due = w;
	/* near: the next epoch's model may change the decision */
	if (due > nb && ((e->flags & EMP_FIRING) || s->risk >= near_risk(p)))
		due = nb;
	if (due <= nb)
		due = crossing(p, sh, e, now_ms, s, due);
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

/* Closes the open exposure of every active record of sh at until_ms
 * when it is at least min_days long, in batches (model_accrue_batch()). */
static void
expose_shard(struct pipeline *p, struct shard *sh, int64_t until_ms, double min_days)
{
	struct employee		*e, *batch[EXPOSE_BATCH];
	struct model_batch	*b;
	size_t			 it = 0;
	int			 n = 0;

	if ((b = model_batch_new()) == NULL) {
		p->failed = 1;
		return;
	}
	while ((e = table_next(sh->table, &it)) != NULL) {
		if (e->hired_s == 0 || (e->flags & EMP_EXITED))
			continue;
		batch[n++] = e;
		if (n == EXPOSE_BATCH) {
			model_accrue_batch(sh->model, b, batch, n, until_ms, min_days);
			n = 0;
		}
	}
	model_accrue_batch(sh->model, b, batch, n, until_ms, min_days);
	model_batch_free(b);
}

/* See pipeline_int.h. */
void
rescore_close_shard(struct pipeline *p, struct shard *sh)
{
	rescore_due(p, sh, boundary_after(p) - 1);
	/* a second before the boundary: an exit at its instant (HR
	 * midnights) still closes an interval of its own with d = 1 */
	if (!p->failed)
		expose_shard(p, sh, boundary_after(p) - 1000, EXPOSE_MIN_DAYS);
}

/* See pipeline_int.h. */
void
rescore_close_epoch(struct pipeline *p)
{
	for (int i = 0; i < p->nshards && !p->failed; i++)
		if (p->shards[i] != NULL)
			rescore_close_shard(p, p->shards[i]);
}

/* See pipeline_int.h. */
void
rescore_expose_final(struct pipeline *p)
{
	for (int i = 0; i < p->nshards && !p->failed; i++)
		if (p->shards[i] != NULL)
			expose_shard(p, p->shards[i], p->shards[i]->clock_ms, 0);
}

/* See pipeline_int.h. */
void
rescore_new_model(struct pipeline *p, const struct model_drift *before)
{
	if (model_drift(before, p->model) > DRIFT_LOG) {
		p->stats.epochs_rescored_all++;
		return;		/* rescore_epoch() sweeps each shard */
	}
	p->stats.epochs_rescored_near++;
	for (int i = 0; i < p->nshards; i++)	/* their near wait at the boundary */
		if (p->shards[i] != NULL)
			p->shards[i]->scored_epoch = p->epoch;
}

/* See pipeline_int.h. */
void
rescore_epoch(struct pipeline *p, struct shard *sh)
{
	int64_t start = pipeline_epoch_start(p, p->epoch);
	struct employee *e, *batch[RESCORE_BATCH];
	size_t it = 0;
	int n = 0;

	if (sh->clock_ms < start)
		return;
	if (sh->scored_epoch >= p->epoch) {
		/* the near records' timers at the boundary's very instant,
		 * which waited for the event there, fire right after it */
		if (sh->clock_ms == start)
			rescore_due(p, sh, sh->clock_ms);
		return;
	}
	sh->scored_epoch = p->epoch;	/* the model moved far: everyone */
	while (!p->failed && (e = table_next(sh->table, &it)) != NULL) {
		if (e->scored_s != 0 && emp_ms(e->scored_s) >= start)
			continue;	/* scored in this epoch already */
		if (e->hired_s == 0 || (e->flags & EMP_EXITED)) {
			rescore_batch(p, sh, batch, n, sh->clock_ms);	/* in order */
			n = 0;
			pipeline_assess(p, sh, e, sh->clock_ms, "clock");
			continue;
		}
		batch[n++] = e;
		if (n == RESCORE_BATCH) {
			rescore_batch(p, sh, batch, n, sh->clock_ms);
			n = 0;
		}
	}
	rescore_batch(p, sh, batch, n, sh->clock_ms);
}
