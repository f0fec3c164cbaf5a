/*
 * model.c: the facade over the online estimators (model.h): exposure
 * pieces for the hazard model, the two RLS relations, scoring, and the
 * bookkeeping that feeds live quality (quality.c).
 *
 * Design notes.
 *
 * One event. state_apply() (apply.c) checks an event against the record
 * first and calls the model only for an event that applies, in two
 * halves around the change of the record: model_pre_apply() closes the
 * exposure interval with the covariates as they were, model_post_apply()
 * feeds the RLS relations and quality from the record as it is now. A
 * refused event therefore leaves every statistic here untouched.
 *
 * Exposure. Each hired, not exited employee has an open interval
 * [interval_start_ms, next event). model_pre_apply() closes it with the
 * covariates the record has before the event applies, split at tenure-band
 * edges and into pieces of at most PIECE_MAX_DAYS (time-dependent
 * covariates such as months since a raise are evaluated at each piece's
 * midpoint). The last piece ends in d = 1 only for a voluntary exit;
 * involuntary exits censor. An event older than the open interval's start
 * (late, out of order) adds no exposure, since that time was already
 * counted; a late voluntary exit still adds its event (a zero-length piece
 * with d = 1) so no exit is lost. Provisional records (no hire) have no
 * tenure and add nothing.
 *
 * Censored exposure. Staff who stay add time at risk without events: a
 * score closes an open interval of ACCRUE_MIN_DAYS or more with d = 0, and
 * so does each epoch boundary without a score (model_accrue_batch(), for
 * intervals of a week or more: pipeline/rescore.c), so stayers are not
 * under-counted against leavers, whose exit closes their last one.
 *
 * Left truncation (truncation.c): exposure counts from an entry floor
 * detected from the data, max(hire, first exit - 30 days) when the history
 * before the first exit is too long to have shown no exit, else from each
 * hire. Before any exit is known nobody is at risk yet: open intervals are
 * neither closed nor moved, so the stretch the floor keeps is still
 * counted once it is known (with the covariates the record has then).
 * observation_start_ms, when set, is the floor instead (an override:
 * exits before it are ignored).
 *
 * Covariates. Unknown values (NaN) are imputed with the running mean of
 * the values seen for that covariate (over the records as events update
 * them, known values only; 0 before the first), and values beyond +-Z_CLIP pooled SDs are clipped, so one
 * absurd value cannot swamp the fit. hazard.c standardises: z_j = (x_j -
 * mean_j) / sd_j with the pooled exposure-weighted moments of its own fit.
 *
 * Time. Rates are per year of 365.25 days (12 * DAYS_PER_MONTH); windows
 * are 365 days as in table.h. Everything runs on event time.
 *
 * Per-employee bookkeeping lives in the model fields of struct employee
 * (table.h); the model itself keeps only anonymous aggregates, so
 * model_forget() (from state_erase()) just takes an erased record's
 * contribution out of them.
 * model_note_alert() gets a const record, so alert outcomes are synced
 * lazily from decide's fields (alert_fired_ms, EMP_FIRING,
 * EMP_EVER_ALERTED) whenever the model next sees the record mutable: at
 * its next score and at its exit.
 *
 * Nothing here allocates after model_new().
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "model_internal.h"

#define PIECE_MAX_DAYS	91.0
#define ACCRUE_MIN_DAYS	1.0	/* censored exposure closed at scores */
#define DAYS_PER_YEAR_H	(12 * DAYS_PER_MONTH)	/* 365.25 */

enum model_flag {
	MODEL_IN_TREE      = 1 << 0,	/* e->risk is in the histogram */
	MODEL_EVER_COUNTED = 1 << 1	/* counted as alerted in its groups */
};

static int64_t
horizon_ms(const struct model *m)
{
	return (int64_t)(m->fit->cfg.horizon_days > 0 ? m->fit->cfg.horizon_days : 180) *
	    MS_PER_DAY;
}

/*
 * Every GSL status is checked where it is returned; GSL must never abort
 * the daemon on its own. Its error handler is process-wide, so it is set
 * once at start-up rather than by each model.
 */
void
model_global_init(void)
{
	gsl_set_error_handler_off();
}

/* The shard's own statistics; 0 or -1 on ENOMEM. */
static int
shard_init(struct model *m, struct features *feat, struct model_fit *fit)
{
	m->feat = feat;
	m->fit = fit;
	for (int i = 0; i < FEATURES_MAX; i++)
		if (features_is_clock(i))
			m->clocks |= (uint64_t)1 << i;
	rls_init(&m->sat, 3, 1);
	rls_init(&m->abil, 2, 1);
	m->hz = hazard_new(fit->dim, fit->cfg.l2, 1);
	m->q = quality_new();
	m->pay = pay_new();
	return m->hz == NULL || m->q == NULL || m->pay == NULL ? -1 : 0;
}

/* new; NULL with errbuf on a bad config or ENOMEM. features: borrowed. */
struct model *
model_new(const struct model_config *cfg, struct features *feat,
    char *errbuf, size_t errlen)
{
	struct model *m;

	if (feat == NULL) {
		snprintf(errbuf, errlen, "model: no feature registry");
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto nomem;
	if ((m->fit = model_fit_new(cfg, feat)) == NULL)
		goto nomem;
	m->owns_fit = 1;
	if (shard_init(m, feat, m->fit) == -1)
		goto nomem;
	return m;
nomem:
	snprintf(errbuf, errlen, "model: %s", strerror(ENOMEM));
	model_free(m);
	return NULL;
}

/* See model.h. */
struct model *
model_new_shard(struct model *base, char *errbuf, size_t errlen)
{
	struct model *m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    shard_init(m, base->feat, base->fit) == -1) {
		snprintf(errbuf, errlen, "model: %s", strerror(ENOMEM));
		model_free(m);
		return NULL;
	}
	return m;
}

/* NULL is a no-op. */
void
model_free(struct model *m)
{
	if (m == NULL)
		return;
	hazard_free(m->hz);
	quality_free(m->q);
	pay_free(m->pay);
	if (m->owns_fit)
		model_fit_free(m->fit);
	free(m);
}

/* New forgetting, ridge, horizon and threshold for every shard (the
 * configuration lives in the shared fit); the next boundary's fit uses
 * them. */
void
model_set_config(struct model *m, const struct model_config *cfg)
{
	m->fit->cfg = *cfg;
	hazard_set_config(m->fit->hz, cfg->l2, 1);
}

/* The epoch of the scoring model: outputs carry it as model_version. */
long
model_version(const struct model *m)
{
	return m->fit->epoch;
}

long
model_exits(const struct model *m)
{
	return hazard_exits(m->fit->hz);
}

struct features *
model_features(const struct model *m)
{
	return m->feat;
}

/* Covariates a shard's statistics take: the registry's as of the last
 * boundary (the fit's), so that an attribute some shard registers mid-epoch
 * joins everyone's statistics at the same boundary. */
static int
model_dim(const struct model *m)
{
	return m->fit->dim;
}

/* Raw x (registry order) with unknowns imputed with the epoch's means
 * and outliers clipped at the epoch's standardiser, into z (raw units,
 * registry order), for the fit's first n registry covariates. */
void
model_prepare(const struct model *m, const double *x, int n, double *z)
{
	const struct model_fit *f = m->fit;
	struct hazard_view hv;
	double mean, sd, v;
	int j, k;

	hazard_view(f->hz, &hv);
	for (j = 0; j < n; j++) {
		v = isfinite(x[j]) ? x[j] : f->std_w[j] > 0 ? f->std_mean[j] : 0;
		k = f->pos[j];	/* clipped where the fit has a spread for it */
		if (k >= 0 && k < hv.dim && hv.active[k] && hv.sd[k] > 0) {
			mean = hv.mu[k];
			sd = hv.sd[k];
			if (v > mean + Z_CLIP * sd)
				v = mean + Z_CLIP * sd;
			else if (v < mean - Z_CLIP * sd)
				v = mean - Z_CLIP * sd;
		}
		z[j] = v;
	}
}

/* Weighted Welford step (West 1979) for each known covariate. */
static void
std_update(struct model *m, const double *x, int n, double w)
{
	double delta;
	int j;

	if (!(w > 0))
		return;
	for (j = 0; j < n; j++) {
		if (!isfinite(x[j]))
			continue;
		m->std_w[j] += w;
		delta = x[j] - m->std_mean[j];
		m->std_mean[j] += delta * w / m->std_w[j];
		m->std_m2[j] += w * delta * (x[j] - m->std_mean[j]);
	}
}

/* One piece [t0, t1) with e's covariates at its midpoint. */
static void
expose_piece(struct model *m, struct employee *e, int n, int band,
    int64_t t0, int64_t t1, int d)
{
	double dt_years = (double)(t1 - t0) / (double)MS_PER_DAY / DAYS_PER_YEAR_H;

	features_vector(m->feat, e, t0 + (t1 - t0) / 2, m->x);
	if (m->plan != NULL && m->plan->n == n)	/* a batch's: the same values */
		model_plan_prepare(m->plan, m->x, m->z);
	else
		model_prepare(m, m->x, n, m->z);
	(void)hazard_accumulate(m->hz, band, dt_years, d, m->z);
}

/* Exposure over [start, end), split at band edges and PIECE_MAX_DAYS. */
static void
expose(struct model *m, struct employee *e, int64_t start, int64_t end, int d_last)
{
	int64_t t = start, next, edge, cap = (int64_t)(PIECE_MAX_DAYS * MS_PER_DAY);
	int n = model_dim(m), band;

	while (t < end) {
		band = hazard_band(model_tenure_days(e, t));
		next = end;
		if (band + 1 < HAZARD_BANDS) {
			edge = emp_ms(e->hired_s) +
			    (int64_t)(hazard_band_edge_days[band + 1] * (double)MS_PER_DAY);
			if (edge > t && edge < next)
				next = edge;
		}
		if (next - t > cap)
			next = t + cap;
		expose_piece(m, e, n, band, t, next, next == end ? d_last : 0);
		t = next;
	}
}

/* x of the satisfaction relation for a survey at t: 1, then incentives
 * (% of salary) and care events over the 12-month window at t (window.c),
 * as the record held them before the survey. */
static void
sat_x(const struct employee *e, int64_t t, double x[3])
{
	x[0] = 1;
	x[1] = window_sum(&e->incentive, t);
	x[2] = window_count(&e->care, t);
}

/* x of the ability relation for an assessment at t: 1, then training
 * hours over the 12-month window at t, the assessment's own included. */
static void
abil_x(const struct employee *e, int64_t t, double x[3])
{
	x[0] = 1;
	x[1] = window_sum(&e->training, t);
	x[2] = 0;	/* the ability relation has two terms */
}

/* The person's previous observation of the relation ev feeds, while the
 * record still holds it, for rls_note_pair() once ev is learnt. */
static void
take_prev(const struct employee *e, const struct hr_event *ev,
    struct model_prev *prev)
{
	prev->ok = 0;
	prev->survey_gap_days = 0;
	if (ev->type == EV_SURVEY && (e->flags & EMP_HAS_SURVEY) &&
	    emp_ms(e->survey_s) < emp_time(ev->time_ms)) {
		sat_x(e, emp_ms(e->survey_s), prev->x);
		prev->y = e->satisfaction;
		prev->ok = 1;
		prev->survey[0] = e->satisfaction;
		prev->survey[1] = e->engagement;
		prev->survey[2] = e->intent_to_stay;
		prev->survey[3] = e->work_life_balance;
		prev->survey_gap_days = (double)(emp_time(ev->time_ms) - emp_ms(e->survey_s)) /
		    (double)MS_PER_DAY;
	} else if (ev->type == EV_TRAINING && (e->flags & EMP_HAS_ABILITY) &&
	    emp_ms(e->ability_s) < emp_time(ev->time_ms)) {
		abil_x(e, emp_ms(e->ability_s), prev->x);
		prev->y = e->ability;
		prev->ok = 1;
	}
}

/* The entry floor of left truncation (file comment). */
static int64_t
entry_floor(const struct model *m)
{
	return truncation_floor(&m->fit->trunc, &m->trunc,
	    m->fit->cfg.observation_start_ms);
}

/* Start of e's open interval as counted: no earlier than hire or floor. */
static int64_t
interval_start(const struct employee *e, int64_t floor)
{
	int64_t start = emp_ms(e->interval_start_s) > emp_ms(e->hired_s) ? emp_ms(e->interval_start_s) :
	    emp_ms(e->hired_s);

	return start < floor ? floor : start;
}

/* See model_internal.h: closes the exposure interval up to ev with the
 * covariates the record has before ev changes it. */
void
model_pre_apply(struct model *m, struct employee *e, const struct hr_event *ev,
    struct model_prev *prev)
{
	int64_t start, floor, end = emp_time(ev->time_ms);
	int vol = ev->type == EV_EXITED && ev->voluntary;

	take_prev(e, ev, prev);
	if (ev->type == EV_ERASED)
		return;
	if (ev->type == EV_EXITED)
		truncation_note_exit(&m->trunc, end);	/* exits are reported */
	if (e->hired_s == 0 || (e->flags & EMP_EXITED))
		return;
	floor = entry_floor(m);
	if (end <= floor)
		return;		/* before the observation window: not at risk yet */
	start = interval_start(e, floor);
	if (end > start) {
		expose(m, e, start, end, vol);
		e->interval_start_s = emp_s(end);
		return;
	}
	e->interval_start_s = emp_s(start);
	if (vol)	/* late exit: its time at risk is already counted */
		expose_piece(m, e, model_dim(m), hazard_band(model_tenure_days(e, end)),
		    end, end, 1);
}

/* Censored exposure: an employee who stays active adds time at risk
 * without any event. When a score at now_ms finds the open interval at
 * least ACCRUE_MIN_DAYS long, it is closed there with d = 0 (scores and
 * each boundary's model_accrue_batch() call it as event time advances), so
 * stayers are not under-counted against leavers, whose last interval
 * their exit closes. */
static void
accrue(struct model *m, struct employee *e, int64_t now_ms)
{
	int64_t start, floor, end = emp_time(now_ms);	/* as the record keeps it */

	if (e->hired_s == 0 || (e->flags & EMP_EXITED) ||
	    (floor = entry_floor(m)) == INT64_MAX)
		return;
	start = interval_start(e, floor);
	if (end - start < (int64_t)(ACCRUE_MIN_DAYS * MS_PER_DAY))
		return;
	expose(m, e, start, end, 0);
	e->interval_start_s = emp_s(end);
}

/* See model.h. */
void
model_accrue(struct model *m, struct employee *e, int64_t now_ms)
{
	accrue(m, e, now_ms);
}

/* Pieces gathered per band for hazard_accumulate_batch(). */
#define BATCH_ROWS	HAZARD_BATCH_MAX
struct model_batch {
	int	n[HAZARD_BANDS];
	double	dt[HAZARD_BANDS][BATCH_ROWS];
	double	x[HAZARD_BANDS][BATCH_ROWS][FEATURES_MAX];
};

/* See model.h. */
struct model_batch *
model_batch_new(void)
{
	struct model_batch *b = malloc(sizeof(*b));	/* rows: scratch */

	if (b != NULL)
		memset(b->n, 0, sizeof(b->n));
	return b;
}

void
model_batch_free(struct model_batch *b)
{
	free(b);
}

static void
batch_flush(struct model *m, struct model_batch *b, int k)
{
	(void)hazard_accumulate_batch(m->hz, k, b->n[k], b->dt[k], &b->x[k][0][0],
	    FEATURES_MAX);
	b->n[k] = 0;
}

/* See model.h: accrue() with the pieces that need no split (one band, at
 * most PIECE_MAX_DAYS: nearly all of a boundary's one-day pieces) added
 * in batches per band; the others as accrue() adds them. */
void
model_accrue_batch(struct model *m, struct model_batch *b,
    struct employee *const *es, int n, int64_t now_ms, double min_days)
{
	int64_t start, floor, end = emp_time(now_ms), mid;
	int i, k, dim = model_dim(m);

	if ((floor = entry_floor(m)) == INT64_MAX)
		return;
	for (i = 0; i < n; i++) {
		struct employee *e = es[i];

		if (e->hired_s == 0 || (e->flags & EMP_EXITED))
			continue;
		start = interval_start(e, floor);
		if (end - start < (int64_t)((min_days > ACCRUE_MIN_DAYS ? min_days :
		    ACCRUE_MIN_DAYS) * MS_PER_DAY))
			continue;
		k = hazard_band(model_tenure_days(e, start));
		if (k != hazard_band(model_tenure_days(e, end)) ||
		    end - start > (int64_t)(PIECE_MAX_DAYS * MS_PER_DAY)) {
			expose(m, e, start, end, 0);
		} else {
			mid = start + (end - start) / 2;
			features_vector(m->feat, e, mid, m->x);
			model_prepare(m, m->x, dim, b->x[k][b->n[k]]);
			b->dt[k][b->n[k]] = (double)(end - start) / (double)MS_PER_DAY /
			    DAYS_PER_YEAR_H;
			if (++b->n[k] == BATCH_ROWS)
				batch_flush(m, b, k);
		}
		e->interval_start_s = emp_s(end);
	}
	for (k = 0; k < HAZARD_BANDS; k++)
		batch_flush(m, b, k);
}

/* Takes decide's alert fields into the per-employee bookkeeping. */
static void
sync_alerts(struct model *m, struct employee *e)
{
	if (e->alert_fired_s != 0 && e->alert_fired_s != e->alert_last_s) {
		e->alert_last_s = e->alert_fired_s;
		/* one outcome per alert; a new one while another waits merges */
		if (e->alert_eval_s == 0)
			e->alert_eval_s = e->alert_fired_s;
	}
}

/* Keeps e's protected levels (and ever-alerted) in the group counts. */
static void
sync_groups(struct model *m, struct employee *e)
{
	int k;
	long a;

	if ((e->flags & EMP_EVER_ALERTED) && !(e->model_flags & MODEL_EVER_COUNTED)) {
		e->model_flags |= MODEL_EVER_COUNTED;
		for (k = 0; k < PROTECTED_MAX; k++)
			quality_group(m->q, k, emp_prot_counted(e, k), 0, 1);
	}
	a = (e->model_flags & MODEL_EVER_COUNTED) ? 1 : 0;
	for (k = 0; k < emp_prot_names(e); k++) {	/* the rest are 0 and 0 */
		uint8_t level = emp_prot_level(e, k), counted = emp_prot_counted(e, k);

		if (level == counted)
			continue;
		quality_group(m->q, k, counted, -1, -a);
		quality_group(m->q, k, level, 1, a);
		/* the level is nonzero or counted is: k has its room already */
		(void)emp_prot_put(e, k, level, level);
	}
}

/* Quality bookkeeping when e leaves at t, voluntarily or not. */
static void
model_exit(struct model *m, struct employee *e, int64_t t, int voluntary)
{
	int64_t h = horizon_ms(m);
	double leaver = NAN;
	int had;

	sync_alerts(m, e);
	sync_groups(m, e);
	if (e->model_flags & MODEL_IN_TREE) {
		leaver = e->risk;
		quality_update_risk(m->q, leaver, -1);
		e->model_flags &= ~(uint32_t)MODEL_IN_TREE;
	}
	if (voluntary) {
		if (!isnan(leaver))
			quality_exit(m->q, leaver);
		had = (e->flags & EMP_FIRING) ||
		    (e->alert_last_s != 0 && t >= emp_ms(e->alert_last_s) &&
		     t - emp_ms(e->alert_last_s) <= h);
		quality_exit_alerted(m->q, had);
	}
	if (e->calib_s != 0 && t >= emp_ms(e->calib_s)) {
		if (t - emp_ms(e->calib_s) > h)
			quality_calibration(m->q, e->calib_decile, e->calib_risk, 0);
		else if (voluntary)
			quality_calibration(m->q, e->calib_decile, e->calib_risk, 1);
		/* else: involuntary inside the horizon censors it */
	}
	e->calib_s = 0;
	if (e->alert_eval_s != 0 && t >= emp_ms(e->alert_eval_s)) {
		if (t - emp_ms(e->alert_eval_s) > h)
			quality_alert_outcome(m->q, 0);
		else if (voluntary)
			quality_alert_outcome(m->q, 1);
	}
	e->alert_eval_s = 0;
}

/* See model_internal.h: what the model learns from ev once the record
 * holds it: the RLS relations, quality at an exit, the imputation means. */
void
model_post_apply(struct model *m, struct employee *e, const struct hr_event *ev,
    const struct model_prev *prev)
{
	int64_t t = emp_time(ev->time_ms);
	double x[3];

	switch (ev->type) {
	case EV_HIRED:
		if (e->hired_s != 0 && emp_ms(e->interval_start_s) < emp_ms(e->hired_s))
			e->interval_start_s = e->hired_s;
		truncation_note_hire(&m->trunc, emp_ms(e->hired_s));
		break;
	case EV_SURVEY:
		if (!ev_has(ev->satisfaction))
			break;
		sat_x(e, t, x);
		if (rls_add(&m->sat, x, ev->satisfaction) == 0 && prev->ok)
			rls_note_pair_fit(&m->sat, &m->fit->sat, 1, prev->x,
			    prev->y, x, ev->satisfaction);
		if (prev->survey_gap_days > 0) {
			double now[PERSIST_COVARIATES] = { e->satisfaction,
			    e->engagement, e->intent_to_stay, e->work_life_balance };
			double mean[PERSIST_COVARIATES];

			for (int j = 0; j < PERSIST_COVARIATES; j++)	/* the epoch's */
				mean[j] = m->fit->std_w[j] > 0 ? m->fit->std_mean[j] : NAN;
			persist_pair(&m->pers, mean, prev->survey, now,
			    prev->survey_gap_days);
		}
		break;
	case EV_TRAINING:
		if (!ev_has(ev->assessment))
			break;
		abil_x(e, t, x);
		if (rls_add(&m->abil, x, ev->assessment) == 0 && prev->ok)
			rls_note_pair_fit(&m->abil, &m->fit->abil, 1, prev->x,
			    prev->y, x, ev->assessment);
		break;
	case EV_EXITED:
		model_exit(m, e, t, ev->voluntary);
		break;
	default:
		break;
	}
	/* the imputation means: the record's known values after the event */
	if (e->hired_s != 0 && !(e->flags & EMP_EXITED)) {
		features_vector(m->feat, e, t, m->x);
		std_update(m, m->x, model_dim(m), 1.0);
	}
}

/* model_score_risk() after the score s of e: quality's per-employee
 * bookkeeping, the risk histogram (held: e's risk in it before, or -1),
 * calibration snapshots, alert outcomes, groups. */
static void
score_book(struct model *m, struct employee *e, int64_t now_ms,
    const struct score *s, double held)
{
	int64_t h = horizon_ms(m);

	e->risk = s->risk;
	e->expected_tenure_days = s->expected_tenure_days;
	e->scored_s = emp_s(now_ms);
	if (e->hired_s == 0 || (e->flags & EMP_EXITED))
		return;

	quality_update_risk(m->q, held, s->risk);
	e->model_flags |= MODEL_IN_TREE;

	/* calibration: resolve a snapshot whose horizon passed, open one */
	if (e->calib_s != 0 && now_ms - emp_ms(e->calib_s) >= h) {
		quality_calibration(m->q, e->calib_decile, e->calib_risk, 0);
		e->calib_s = 0;
	}
	if (e->calib_s == 0) {
		e->calib_s = emp_s(now_ms);
		e->calib_risk = s->risk;
		e->calib_decile = quality_decile(m->q, s->risk);
	}

	sync_alerts(m, e);
	if (e->alert_eval_s != 0 && now_ms - emp_ms(e->alert_eval_s) > h) {
		quality_alert_outcome(m->q, 0);
		e->alert_eval_s = 0;
	}
	sync_groups(m, e);
}

/* See model.h. Also keeps quality's per-employee bookkeeping current
 * (score_book()). */
void
model_score_risk(struct model *m, struct employee *e, int64_t now_ms,
    struct score *s)
{
	/* while in the histogram, e->risk is the value held there (only
	 * this function sets it, and an exit takes it out first) */
	double held = (e->model_flags & MODEL_IN_TREE) ? e->risk : -1;

	accrue(m, e, now_ms);
	model_score_compute(m, e, now_ms, &m->sw, s);
	score_book(m, e, now_ms, s, held);
}

/* See model.h: model_score_risk() of each in turn, with the fit's plan
 * made once (score.c): the same steps on the same values in the same
 * order, so the same bits in every record and statistic. */
void
model_score_risk_batch(struct model *m, struct employee *const *e, int n,
    int64_t now_ms, struct score *out)
{
	struct score_plan pl;
	double held;
	int i;

	model_plan(m, &pl);
	m->plan = &pl;		/* for the pieces the scores close */
	for (i = 0; i < n; i++) {
		if (i + 1 < n)	/* the next record's lines while this one scores */
			for (size_t o = 0; o < sizeof(struct employee); o += 64)
				__builtin_prefetch((const char *)e[i + 1] + o);
		held = (e[i]->model_flags & MODEL_IN_TREE) ? e[i]->risk : -1;
		accrue(m, e[i], now_ms);
		model_score_compute_plan(m, e[i]->hired_s == 0 ||
		    (e[i]->flags & EMP_EXITED) ? NULL : &pl, e[i], now_ms, &m->sw,
		    &out[i]);
		score_book(m, e[i], now_ms, &out[i], held);
	}
	m->plan = NULL;
}

/* See model.h. */
void
model_score_detail_at(struct model *m, const struct employee *e, int64_t now_ms,
    struct score *s)
{
	struct score again;

	model_score_compute(m, e, now_ms, &m->sw, &again);
	model_score_detail_from(m, &m->sw, s);
}

/* See model.h. */
void
model_score_detail(const struct model *m, struct score *s)
{
	model_score_detail_from(m, &m->sw, s);
}

/* See model.h: without out, the parts nobody reads are not made. */
void
model_score(struct model *m, struct employee *e, int64_t now_ms, struct score *out)
{
	struct score s;

	model_score_risk(m, e, now_ms, &s);
	if (out != NULL) {
		model_score_detail(m, &s);
		*out = s;
	}
}

/* See model_internal.h: out of memory leaves the salary uncounted. */
void
model_note_salary(struct model *m, int dept, int job_level, double salary)
{
	(void)pay_note(m->pay, dept, job_level, salary);
}

/* Anonymous counts only: per-employee outcomes are synced from decide's
 * fields at the next score or exit; see the file comment. */
void
model_note_alert(struct model *m, const struct employee *e, int firing)
{
	(void)e;
	if (firing)
		m->alerts_fired++;
	else
		m->alerts_cleared++;
}

/* See model_internal.h. Called once, by state_erase() before the record
 * is wiped: e's contribution to the risk histogram and to the fairness
 * counts is taken out; an open calibration snapshot or pending alert
 * outcome lives in e and goes with it. Resolved aggregates (concordance
 * pairs, calibration sums) stay: they no longer name anyone. */
void
model_forget(struct model *m, const struct employee *e)
{
	long a = (e->model_flags & MODEL_EVER_COUNTED) ? 1 : 0;
	int k;

	if (e->model_flags & MODEL_IN_TREE)
		quality_update_risk(m->q, e->risk, -1);
	for (k = 0; k < PROTECTED_MAX; k++)
		quality_group(m->q, k, emp_prot_counted(e, k), -1, -a);
}

/* See model.h: the epoch's, as made at its boundary (fit.c). */
void
model_estimates(struct model *m, struct model_estimates *out)
{
	*out = m->fit->est;
}

/* See model_internal.h: every statistic of the shard and the epoch of the
 * fit it uses, none of the scratch. */
uint64_t
model_digest(const struct model *m)
{
	uint64_t h = TABLE_HASH_INIT;

	h = rls_digest(&m->sat, h);
	h = rls_digest(&m->abil, h);
	h = hazard_digest(m->hz, h);
	h = quality_digest(m->q, h);
	h = pay_digest(m->pay, h);
	h = STATE_DIGEST(h, m->std_w);
	h = STATE_DIGEST(h, m->std_mean);
	h = STATE_DIGEST(h, m->std_m2);
	h = STATE_DIGEST(h, m->alerts_fired);
	h = STATE_DIGEST(h, m->alerts_cleared);
	h = truncation_digest(&m->trunc, h);
	h = persist_digest(&m->pers, h);
	h = truncation_digest(&m->fit->trunc, h);
	return STATE_DIGEST(h, m->fit->epoch);
}
