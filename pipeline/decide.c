/*
 * decide.c: from scores to decisions: alert episodes with hysteresis,
 * next-best retention actions, and department budget plans.
 *
 * Like ntpd's engine, this file only decides; pipeline.c emits. Effects of
 * actions are predicted through the fitted relations (MODEL.md):
 *   incentive  -> satisfaction + alpha * (amount / salary * 100)
 *   care       -> satisfaction + care * n
 *   training   -> ability + gamma * hours
 *   promotion  -> job level + 1, salary * (1 + raise%), promotion clock
 *                 reset (what the hr.promotion.granted event does)
 * and the hazard model rescoring a modified copy of the record. These are
 * associations learned from observational data, not causal effects; the
 * messages support a human decision and never are one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages.h"
#include "../state/serial.h"

static const char *const action_names[ACT__COUNT] = {
	"incentive", "training", "care", "promotion"
};

/* Amounts tried per kind: % of yearly salary, hours, actions, levels. */
static const double action_amounts[ACT__COUNT][ACTION_OPTIONS] = {
	{ 2.0, 5.0, 10.0 },
	{ 8.0, 24.0, 40.0 },
	{ 1.0, 2.0, 4.0 },
	{ 1.0, 1.0, 1.0 },
};

const char *
decide_action_name(enum action_kind k)
{
	return (unsigned)k < ACT__COUNT ? action_names[k] : "unknown";
}

int
decide_action_parse(const char *s, enum action_kind *k)
{
	for (int i = 0; i < ACT__COUNT; i++)
		if (strcmp(s, action_names[i]) == 0) {
			*k = (enum action_kind)i;
			return 0;
		}
	return -1;
}

static void
hash_part(uint64_t h[2], const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		h[0] = (h[0] ^ (unsigned char)*s) * 0x100000001b3ULL;
		h[1] = (h[1] ^ (unsigned char)*s) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
	}
	h[0] = (h[0] ^ 0xff) * 0x100000001b3ULL;	/* separator */
	h[1] = (h[1] ^ 0xfe) * 0x100000001b3ULL;
}

static const uint64_t id_init[2] = { 0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL };

/* The id of the parts hashed into h so far, then c. */
static void
finish_id(char out[ID_HEX_LEN + 1], uint64_t h[2], const char *c)
{
	hash_part(h, c);
	snprintf(out, ID_HEX_LEN + 1, "%016llx%016llx",
	    (unsigned long long)table_hash_mix(h[0]),
	    (unsigned long long)table_hash_mix(h[1] ^ h[0]));
}

void
decide_make_id(char out[ID_HEX_LEN + 1], const char *a, const char *b, const char *c)
{
	uint64_t h[2] = { id_init[0], id_init[1] };

	hash_part(h, a);
	hash_part(h, b);
	finish_id(out, h, c);
}

static double
clamp(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

static void
fill_alert(const struct pipeline_config *cfg, const struct employee *e,
    const struct score *s, int64_t now_ms, const char *caused_by, long version,
    struct alert_msg *m)
{
	char when[24];
	uint64_t h[2] = { e->alert_h[0], e->alert_h[1] };

	memset(m, 0, sizeof(*m));
	/* One id per episode: the employee, the input that opened it and its
	 * event time. Replaying the same input yields the same id. The record
	 * keeps the hash over the first two (the input's id may be 256 bytes),
	 * the same as decide_make_id() makes of the three. */
	snprintf(when, sizeof(when), "%lld", (long long)emp_ms(e->alert_fired_s));
	finish_id(m->alert_id, h, when);
	m->employee_id = e->id;
	if (s != NULL) {
		m->score = *s;
		m->risk_lower = decide_risk_lower(cfg, s);
	} else {
		m->score.risk = e->risk;
		m->score.expected_tenure_days = e->expected_tenure_days;
		m->risk_lower = NAN;	/* an exit: no interval */
	}
	m->critical = m->score.risk >= cfg->critical_threshold;
	m->horizon_days = cfg->horizon_days;
	m->event_time_ms = now_ms;
	m->caused_by = caused_by;
	m->model_version = version;
}

/*
 * The alert policy (DESIGN.md, "Alerts"; MODELS.md, "The alert policy").
 *
 * risk = 1 - exp(-L e^eta) with L the baseline's cumulative hazard over
 * the horizon and eta = b . z. Shifting eta by -k se gives the risk at the
 * lower end of eta's interval in closed form, 1 - (1 - risk)^exp(-k se),
 * and by +k se the upper end, so the bounds need only the score: no
 * second pass through the model.
 * se (struct score's eta_se) adds the variance of the baselines of the
 * bands the horizon crosses, from their exits and their prior (the
 * neighbouring band's rate), to the coefficients', z' Cov(b) z; their
 * covariance is left out.
 *
 * An episode opens when, in this order, (1) the model knows enough about
 * this employee: se <= warmup_max_se (warm-up by information), (2) the
 * lower bound reaches threshold (confident opening), (3) the event time
 * is within backfill_window_days of the wall clock, (4) the department
 * has budget left in the shard for the event-time month. A score that
 * fails a step is held, counted by its reason, and opens later if it
 * still qualifies then (the next score after the model learns more, the
 * clock reaches the window, the month changes). It closes when the risk
 * is confidently below clear_threshold: its upper bound, the risk at
 * eta + k se, falls below it. The claim is withdrawn on the same evidence
 * it was made on; closing on the point risk ended episodes at every dip
 * of a risk the model knew only roughly (a band's first weeks, the step
 * into a band with no exits yet), and a leaver whose episode had closed
 * so came back only if the lower bound passed the threshold again, which
 * most did not (EVALUATION.md). The hysteresis band runs from the upper
 * bound at clear_threshold to the lower bound at threshold: widest where
 * the model is least sure, which is where its scores move most.
 *
 * risk_shifted(): the risk at eta + dir * k se (dir -1 or +1); the point
 * risk when k is 0; a fit that knows nothing bounds nothing (0 or 1).
 */
static double
risk_shifted(const struct pipeline_config *cfg, const struct score *s,
    double dir)
{
	double k = cfg->confidence_z, r = clamp(s->risk, 0.0, 1.0);

	if (!(k > 0))
		return r;
	if (!isfinite(s->eta_se))
		return dir < 0 ? 0.0 : 1.0;
	return clamp(-expm1(log1p(-r) * exp(dir * k * s->eta_se)),
	    dir < 0 ? 0.0 : r, dir < 0 ? r : 1.0);
}

double
decide_risk_lower(const struct pipeline_config *cfg, const struct score *s)
{
	return risk_shifted(cfg, s, -1);
}

/* The upper bound closes an episode (see above). */
double
decide_risk_upper(const struct pipeline_config *cfg, const struct score *s)
{
	return risk_shifted(cfg, s, 1);
}

/* Openings per department in one shard for one event-time month. */
struct alert_budget {
	int	month[DEPARTMENTS_MAX + 1];	/* pipeline_month_index(); the
						 * last slot: no department */
	int	used[DEPARTMENTS_MAX + 1];
};

struct alert_budget *
decide_budget_new(void)
{
	return calloc(1, sizeof(struct alert_budget));
}

void
decide_budget_free(struct alert_budget *b)
{
	free(b);
}

void
decide_budget_save(const struct alert_budget *b, struct wbuf *w)
{
	uint32_t n = 0;
	int	 i;

	for (i = 0; b != NULL && i <= DEPARTMENTS_MAX; i++)
		n += b->used[i] > 0;
	wbuf_u32(w, n);
	for (i = 0; b != NULL && i <= DEPARTMENTS_MAX; i++)
		if (b->used[i] > 0) {
			wbuf_u32(w, (uint32_t)i);
			wbuf_i64(w, b->month[i]);
			wbuf_u32(w, (uint32_t)b->used[i]);
		}
}

int
decide_budget_load(struct alert_budget **out, struct rbuf *r)
{
	struct alert_budget *b;
	uint32_t n = rbuf_u32(r), i, slot, used;
	int64_t	 month;

	if (r->failed || n > DEPARTMENTS_MAX + 1)
		return -1;
	decide_budget_free(*out);
	*out = NULL;
	if (n == 0)
		return 0;
	if ((b = decide_budget_new()) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		slot = rbuf_u32(r);
		month = rbuf_i64(r);
		used = rbuf_u32(r);
		if (r->failed || slot > DEPARTMENTS_MAX || used == 0 ||
		    used > INT32_MAX || month < INT32_MIN || month > INT32_MAX ||
		    b->used[slot] != 0) {
			decide_budget_free(b);
			return -1;
		}
		b->month[slot] = (int)month;
		b->used[slot] = (int)used;
	}
	*out = b;
	return 0;
}

/* 1 and one opening spent when dept has budget left in month, else 0. */
static int
budget_take(struct alert_budget *b, int budget, int dept, int month)
{
	int i = dept >= 0 && dept < DEPARTMENTS_MAX ? dept : DEPARTMENTS_MAX;

	if (b->month[i] != month) {
		b->month[i] = month;
		b->used[i] = 0;
	}
	if (b->used[i] >= budget)
		return 0;
	b->used[i]++;
	return 1;
}

/* Why a score over the threshold does not open an episode (the order of
 * the policy's steps), or HOLD_NONE when it opens. */
static enum alert_hold
open_hold(const struct pipeline_config *cfg, const struct employee *e,
    const struct score *s, int64_t now_ms, struct alert_gate *g)
{
	int64_t wall = g != NULL ? g->wall_ms : 0;

	if (cfg->warmup_max_se > 0 && !(s->eta_se <= cfg->warmup_max_se))
		return HOLD_WARMUP;
	if (decide_risk_lower(cfg, s) < cfg->threshold)
		return HOLD_UNCERTAIN;
	if (cfg->backfill_window_days > 0 && wall > 0 &&
	    now_ms < wall - (int64_t)cfg->backfill_window_days * MS_PER_DAY)
		return HOLD_BACKFILL;
	if (cfg->alert_budget_per_month > 0 && g != NULL && g->budget != NULL &&
	    !budget_take(g->budget, cfg->alert_budget_per_month, e->dept,
	    pipeline_month_index(now_ms, NULL)))
		return HOLD_BUDGET;
	return HOLD_NONE;
}

int
decide_alert(const struct pipeline_config *cfg, struct employee *e,
    const struct score *s, int64_t now_ms, const char *caused_by, long version,
    struct alert_gate *g, struct alert_msg *m)
{
	enum alert_hold why;

	if (g != NULL)
		g->held = HOLD_NONE;
	if (!(e->flags & EMP_FIRING) && s->risk >= cfg->threshold) {
		if ((why = open_hold(cfg, e, s, now_ms, g)) != HOLD_NONE) {
			if (g != NULL)
				g->held = why;
			return 0;
		}
		e->flags |= EMP_FIRING | EMP_EVER_ALERTED;
		if (e->episode < UINT16_MAX)	/* the record's width */
			e->episode++;
		e->alert_fired_s = emp_s(now_ms);
		e->alert_h[0] = id_init[0];
		e->alert_h[1] = id_init[1];
		hash_part(e->alert_h, e->id);
		hash_part(e->alert_h, caused_by);
		fill_alert(cfg, e, s, now_ms, caused_by, version, m);
		m->firing = 1;
		m->reason = "threshold";
		return 1;
	}
	if ((e->flags & EMP_FIRING) &&
	    decide_risk_upper(cfg, s) < cfg->clear_threshold) {
		fill_alert(cfg, e, s, now_ms, caused_by, version, m);
		e->flags &= ~(uint32_t)EMP_FIRING;
		m->firing = 0;
		m->reason = "risk_fell";
		return 1;
	}
	return 0;
}

int
decide_exit(const struct pipeline_config *cfg, struct employee *e, int64_t now_ms,
    const char *caused_by, long version, struct alert_msg *m)
{
	if (!(e->flags & EMP_FIRING))
		return 0;
	fill_alert(cfg, e, NULL, now_ms, caused_by, version, m);
	e->flags &= ~(uint32_t)EMP_FIRING;
	m->firing = 0;
	m->reason = "exited";
	return 1;
}

/* Confidence in an effect b*x given its standard error: the probability
 * mass of a normal estimate on the estimated side of zero, approximated
 * by 1 - se/|b| clipped to 0..1 (0 when the sign is not established). */
static double
confidence_of(double coef, double se)
{
	if (!isfinite(coef) || coef == 0.0)
		return 0.0;
	if (!isfinite(se))
		return 0.0;
	return clamp(1.0 - se / fabs(coef), 0.0, 1.0);
}

/* The record as it would be after action a, for scoring. */
static void
apply_action(const struct model_estimates *est, const struct pipeline_config *cfg,
    struct employee *c, int64_t now_ms, const struct action *a,
    double *dsat, double *dabil)
{
	const double *sat = est->satisfaction.coef, *abl = est->ability.coef;
	double pct, ds = 0.0, da = 0.0;

	if (!(c->flags & EMP_HAS_SURVEY)) {
		/* No survey yet: start from the fitted satisfaction relation. */
		c->satisfaction = sat[0] +
		    sat[1] * window_sum(&c->incentive, now_ms) +
		    sat[2] * window_count(&c->care, now_ms);
		c->flags |= EMP_HAS_SURVEY;
	}
	if (!(c->flags & EMP_HAS_ABILITY)) {
		c->ability = abl[0] + abl[1] *
		    window_sum(&c->training, now_ms);
		c->flags |= EMP_HAS_ABILITY;
	}
	switch (a->kind) {
	case ACT_INCENTIVE:
		pct = c->salary > 0 ? a->amount / c->salary * 100.0 : 0.0;
		ds = sat[1] * pct;
		window_add(&c->incentive, now_ms, pct);
		break;
	case ACT_TRAINING:
		da = abl[1] * a->amount;
		window_add(&c->training, now_ms, a->amount);
		break;
	case ACT_CARE:
		ds = sat[2] * a->amount;
		for (int i = 0; i < (int)a->amount && i < EMP_WINDOW_MAX; i++)
			window_add(&c->care, now_ms, 1.0);
		break;
	case ACT_PROMOTION:
		/* Exactly what state_apply() makes of the hr.promotion.granted
		 * event that carries it out: level, salary (so relative pay)
		 * and the promotion clock. Its pay rise is not a compensation
		 * event, so it is not incentive u and moves no satisfaction. */
		pct = cfg->promotion_raise_percent * a->amount;
		c->job_level += (int)a->amount;
		c->salary *= 1.0 + pct / 100.0;
		c->last_promotion_s = emp_s(now_ms);
		break;
	default:
		break;
	}
	c->satisfaction = clamp(c->satisfaction + ds, 0.0, 100.0);
	c->ability = clamp(c->ability + da, 0.0, 100.0);
	*dsat += ds;
	*dabil += da;
}

static double
action_cost(const struct pipeline_config *cfg, const struct employee *e,
    enum action_kind k, double amount)
{
	switch (k) {
	case ACT_INCENTIVE:
		return amount;
	case ACT_TRAINING:
		return amount * cfg->training_hour_cost;
	case ACT_CARE:
		return amount * cfg->care_action_cost;
	case ACT_PROMOTION:
		/* a year of the raise that comes with it */
		return e->salary * cfg->promotion_raise_percent / 100.0 * amount;
	default:
		return 0.0;
	}
}

static double
action_confidence(const struct model_estimates *est, enum action_kind k)
{
	const struct hazard_estimate *h = &est->hazard;
	double via = 0.0, hz = 0.0;
	const char *feature = k == ACT_TRAINING ? "ability" :
	    k == ACT_PROMOTION ? "months_since_promotion" : "satisfaction";

	for (int i = 0; i < h->dim; i++)
		if (h->names[i] != NULL && strcmp(h->names[i], feature) == 0)
			hz = confidence_of(h->coef[i], h->coef_se[i]);
	switch (k) {
	case ACT_INCENTIVE:
		via = confidence_of(est->satisfaction.coef[1], est->satisfaction.se[1]);
		break;
	case ACT_PROMOTION:
		via = 1.0;	/* the change of record is the action itself */
		break;
	case ACT_CARE:
		via = confidence_of(est->satisfaction.coef[2], est->satisfaction.se[2]);
		break;
	case ACT_TRAINING:
		via = confidence_of(est->ability.coef[1], est->ability.se[1]);
		break;
	default:
		break;
	}
	return via * hz;
}

/* qsort: higher value first. */
static int
by_value(const void *a, const void *b)
{
	double x = ((const struct action *)a)->value, y = ((const struct action *)b)->value;

	return (x < y) - (x > y);
}

static int
by_alloc_value(const void *a, const void *b)
{
	return by_value(&((const struct allocation *)a)->action,
	    &((const struct allocation *)b)->action);
}

/* Scores e after the n actions; fills the effect fields of the last one. */
static void
score_after(const struct pipeline_config *cfg, struct model *model,
    const struct model_estimates *est, const struct employee *e, int64_t now_ms,
    const struct action *acts, int n, struct score *after, double *dsat,
    double *dabil)
{
	struct employee copy = *e;

	*dsat = *dabil = 0.0;
	for (int i = 0; i < n; i++)
		apply_action(est, cfg, &copy, now_ms, &acts[i], dsat, dabil);
	model_score_copy(model, &copy, now_ms, after);
}

int
decide_actions(const struct pipeline_config *cfg, struct model *model,
    const struct employee *e, int64_t now_ms, const struct score *before,
    struct action *out, int max)
{
	struct model_estimates	est;
	struct action		best[ACT__COUNT], a;
	struct score		base, after;
	double			ds, da;
	int			n = 0;

	model_estimates(model, &est);
	/* The baseline goes through the same imputation as the actions (a
	 * missing survey or assessment filled from the fitted relations), so
	 * that the difference is the action's alone. */
	score_after(cfg, model, &est, e, now_ms, NULL, 0, &base, &ds, &da);
	for (int k = 0; k < ACT__COUNT; k++) {
		best[k].value = -INFINITY;
		for (int o = 0; o < ACTION_OPTIONS; o++) {
			if (k == ACT_PROMOTION && (o > 0 || e->job_level >= 15))
				break;
			memset(&a, 0, sizeof(a));
			a.kind = (enum action_kind)k;
			a.amount = action_amounts[k][o];
			if (k == ACT_INCENTIVE)	/* percent of salary -> currency */
				a.amount = round(e->salary * a.amount / 100.0);
			a.cost = action_cost(cfg, e, a.kind, a.amount);
			if (a.amount <= 0 || a.cost <= 0)
				continue;
			score_after(cfg, model, &est, e, now_ms, &a, 1, &after,
			    &a.satisfaction_gain, &a.ability_gain);
			/* Never suggest what the model says raises the risk. */
			if (after.risk > base.risk)
				continue;
			a.risk_after = clamp(before->risk - (base.risk - after.risk), 0.0, 1.0);
			a.expected_tenure_gain_days = after.expected_tenure_days -
			    base.expected_tenure_days;
			a.confidence = action_confidence(&est, a.kind);
			a.value = (cfg->weight_retention * (base.risk - after.risk) +
			    cfg->weight_satisfaction * a.satisfaction_gain / 100.0 +
			    cfg->weight_ability * a.ability_gain / 100.0) / a.cost;
			if (a.value > best[k].value)
				best[k] = a;
		}
	}
	/* Rank the best option of each kind by value per cost. */
	for (int k = 0; k < ACT__COUNT; k++)
		if (isfinite(best[k].value) && best[k].value > 0)
			best[n++] = best[k];
	qsort(best, (size_t)n, sizeof(best[0]), by_value);
	if (n > max)
		n = max;
	memcpy(out, best, (size_t)n * sizeof(best[0]));
	return n;
}

void
decide_whatif(const struct pipeline_config *cfg, struct model *model,
    const struct employee *e, int64_t now_ms, const struct action *acts, int n,
    struct score *after)
{
	struct model_estimates	est;
	double			ds, da;

	model_estimates(model, &est);
	score_after(cfg, model, &est, e, now_ms, acts, n, after, &ds, &da);
}

int
decide_plan(double budget, struct allocation *cand, int ncand,
    struct allocation *out, double *spend, double *retained)
{
	int n = 0;

	*spend = *retained = 0.0;
	/* Greedy by value per cost: each candidate is already the best action
	 * of its employee, one action per employee; take what fits. */
	qsort(cand, (size_t)ncand, sizeof(cand[0]), by_alloc_value);
	for (int i = 0; i < ncand; i++) {
		if (cand[i].action.cost <= 0 || *spend + cand[i].action.cost > budget)
			continue;
		out[n++] = cand[i];
		*spend += cand[i].action.cost;
		*retained += cand[i].risk_before - cand[i].action.risk_after;
	}
	return n;
}
