/*
 * test_decide.c: pipeline/decide.c on its own.
 *
 *   - alert hysteresis at its exact edges, thresholds changed mid-episode,
 *     and what the warm-up leaves to decide_alert (an open episode still
 *     resolves; the gate itself is pipeline.c's, checked through
 *     pipeline_run());
 *   - decide_actions() on a model fitted to a small deterministic company:
 *     ranking by value, one option per kind, costs, consistency with
 *     decide_whatif(), the weights, the promotion ceiling;
 *   - decide_plan() under a budget; decide_make_id() stable across builds.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/stages.h"
#include "check.h"
#include "../../state/serial.h"

#define T0	1704067200000LL		/* 2024-01-01 */
#define MONTH	(30 * MS_PER_DAY)
#define PEOPLE	600
#define SALARY	60000.0

static void
test_hysteresis_edges(void)
{
	struct pipeline_config	cfg;
	struct employee		e;
	struct score		s;
	struct alert_msg	m;
	char			id[ID_HEX_LEN + 1];

	pipeline_config_defaults(&cfg);
	cfg.threshold = 0.5;
	cfg.clear_threshold = 0.4;
	cfg.critical_threshold = 0.75;
	memset(&e, 0, sizeof(e));
	e.id = "E7";
	memset(&s, 0, sizeof(s));

	s.risk = 0.5;		/* at the threshold: fires */
	CHECK(decide_alert(&cfg, &e, &s, 1000, "ev-a", 3, NULL, &m) == 1);
	CHECK(m.firing == 1 && m.critical == 0);
	CHECK(e.flags & EMP_FIRING && e.flags & EMP_EVER_ALERTED);
	CHECK(e.episode == 1 && emp_ms(e.alert_fired_s) == 1000);
	decide_make_id(id, "E7", "ev-a", "1000");	/* employee, cause, time */
	CHECK_STR(m.alert_id, id);
	CHECK(m.model_version == 3 && m.event_time_ms == 1000);
	CHECK(m.horizon_days == cfg.horizon_days);
	memcpy(id, m.alert_id, sizeof(id));
	s.risk = 0.99;		/* already firing: no second message */
	CHECK(decide_alert(&cfg, &e, &s, 2000, "ev-b", 3, NULL, &m) == 0);
	s.risk = 0.4;		/* at the clear threshold: stays open */
	CHECK(decide_alert(&cfg, &e, &s, 3000, "ev-c", 3, NULL, &m) == 0);
	CHECK(e.flags & EMP_FIRING);

	/* SIGHUP raises both thresholds mid-episode: the open episode
	 * resolves only below the new clear threshold. */
	cfg.threshold = 0.9;
	cfg.clear_threshold = 0.3;
	s.risk = 0.35;
	CHECK(decide_alert(&cfg, &e, &s, 4000, "ev-d", 4, NULL, &m) == 0);
	s.risk = 0.2999;
	CHECK(decide_alert(&cfg, &e, &s, 5000, "ev-e", 4, NULL, &m) == 1);
	CHECK(m.firing == 0);
	CHECK_STR(m.reason, "risk_fell");
	CHECK_STR(m.alert_id, id);	/* the id of the episode it closes */
	CHECK_STR(m.caused_by, "ev-e");
	CHECK_NEAR(m.score.risk, 0.2999, 0);
	CHECK(!(e.flags & EMP_FIRING) && (e.flags & EMP_EVER_ALERTED));

	/* critical at exactly the critical threshold */
	cfg.threshold = 0.5;
	s.risk = 0.75;
	CHECK(decide_alert(&cfg, &e, &s, 6000, "ev-f", 5, NULL, &m) == 1);
	CHECK(m.critical == 1 && e.episode == 2);
	/* the exit resolution carries the record's last score */
	e.risk = 0.61;
	e.expected_tenure_days = 812;
	CHECK(decide_exit(&cfg, &e, 7000, "ev-g", 5, &m) == 1);
	CHECK_STR(m.reason, "exited");
	CHECK(m.firing == 0 && m.critical == 0);
	CHECK_NEAR(m.score.risk, 0.61, 0);
	CHECK_NEAR(m.score.expected_tenure_days, 812, 0);
}

/* What the warm-up leaves alone: an episode that is open (opened before a
 * reload tightened [alerts] warmup_max_se) resolves as usual, and an exit
 * resolves it. */
static void
test_warmup_decide(void)
{
	struct pipeline_config	cfg;
	struct employee		e;
	struct score		s;
	struct alert_msg	m;

	pipeline_config_defaults(&cfg);
	cfg.warmup_max_se = 1e-9;	/* nobody is known this well */
	memset(&e, 0, sizeof(e));
	e.id = "W1";
	memset(&s, 0, sizeof(s));
	s.eta_se = 1;
	e.flags = EMP_FIRING | EMP_EVER_ALERTED;
	e.episode = 1;
	s.risk = cfg.clear_threshold / 20;	/* confidently below, se 1 */
	CHECK(decide_alert(&cfg, &e, &s, 1000, "ev-1", 1, NULL, &m) == 1);
	CHECK(m.firing == 0);
	e.flags |= EMP_FIRING;
	CHECK(decide_exit(&cfg, &e, 2000, "ev-2", 1, &m) == 1);
	CHECK(!(e.flags & EMP_FIRING));
}

/* ---- the alert policy (decide.c) ------------------------------------ */

/* A score with risk r and log-hazard standard error se. */
static struct score
score_of(double r, double se)
{
	struct score s;

	memset(&s, 0, sizeof(s));
	s.risk = r;
	s.eta_se = se;
	return s;
}

/* Thresholds 0.5 / 0.4 / 0.75, z of 90 %, no warm-up; a fresh record. */
static void
policy_setup(struct pipeline_config *cfg, struct employee *e, const char *id)
{
	memset(e, 0, sizeof(*e));
	e->id = id;
	pipeline_config_defaults(cfg);
	cfg->threshold = 0.5;
	cfg->clear_threshold = 0.4;
	cfg->critical_threshold = 0.75;
	cfg->warmup_max_se = 0;
	cfg->confidence_z = 1.2816;
}

/* The lower bound in closed form: the risk at eta - z se. */
static void
test_risk_lower(void)
{
	struct pipeline_config	cfg;
	struct score		s = score_of(0.6, 0.5);
	struct employee		e;
	double			want = 1 - pow(0.4, exp(-1.2816 * 0.5));

	policy_setup(&cfg, &e, "R1");
	CHECK_NEAR(decide_risk_lower(&cfg, &s), want, 1e-12);
	CHECK(decide_risk_lower(&cfg, &s) < s.risk);
	s.eta_se = INFINITY;			/* a fit that knows nothing */
	CHECK(decide_risk_lower(&cfg, &s) == 0);
	s.eta_se = 0;				/* no uncertainty: the point */
	CHECK_NEAR(decide_risk_lower(&cfg, &s), 0.6, 1e-15);
	cfg.confidence_z = 0;			/* off: the point, whatever se */
	s.eta_se = 3;
	CHECK_NEAR(decide_risk_lower(&cfg, &s), 0.6, 0);
	s = score_of(1.0, 0.5);			/* certain exit stays certain */
	cfg.confidence_z = 2;
	CHECK_NEAR(decide_risk_lower(&cfg, &s), 1.0, 0);
}

/* The upper bound, the risk at eta + z se, mirrors the lower one. */
static void
test_risk_upper(void)
{
	struct pipeline_config	cfg;
	struct score		s = score_of(0.3, 0.5);
	struct employee		e;
	double			want = 1 - pow(0.7, exp(1.2816 * 0.5));

	policy_setup(&cfg, &e, "U1");
	CHECK_NEAR(decide_risk_upper(&cfg, &s), want, 1e-12);
	CHECK(decide_risk_upper(&cfg, &s) > s.risk);
	s.eta_se = INFINITY;			/* knows nothing: could be 1 */
	CHECK(decide_risk_upper(&cfg, &s) == 1);
	s.eta_se = 0;
	CHECK_NEAR(decide_risk_upper(&cfg, &s), 0.3, 1e-15);
	cfg.confidence_z = 0;			/* off: the point, whatever se */
	s.eta_se = 3;
	CHECK_NEAR(decide_risk_upper(&cfg, &s), 0.3, 0);
	s = score_of(0.0, 0.5);			/* no hazard stays none */
	cfg.confidence_z = 2;
	CHECK_NEAR(decide_risk_upper(&cfg, &s), 0.0, 0);
}

/* A point estimate over the threshold with wide uncertainty does not
 * open; the same risk known precisely does, and the alert carries the
 * bound. Once open, the episode closes only when the risk is confidently
 * below clear_threshold (its bound at eta + z se; hysteresis both ways),
 * and reopening needs the confident bound again, so a model that moves
 * does not make it flap. */
static void
test_confident_opening(void)
{
	struct pipeline_config	cfg;
	struct employee		e;
	struct score		s;
	struct alert_msg	m;
	struct alert_gate	g = { 0, NULL, HOLD_NONE };

	policy_setup(&cfg, &e, "C1");
	s = score_of(0.6, 0.5);			/* bound 0.383: not confident */
	CHECK(decide_alert(&cfg, &e, &s, 1000, "ev-1", 1, &g, &m) == 0);
	CHECK(g.held == HOLD_UNCERTAIN && !(e.flags & EMP_FIRING));
	CHECK(e.episode == 0);
	s = score_of(0.9, 0.5);			/* bound 0.70: confident */
	CHECK(decide_alert(&cfg, &e, &s, 2000, "ev-2", 1, &g, &m) == 1);
	CHECK(g.held == HOLD_NONE && m.firing == 1);
	CHECK_NEAR(m.risk_lower, decide_risk_lower(&cfg, &s), 0);
	CHECK(m.risk_lower >= cfg.threshold && m.risk_lower < s.risk);
	CHECK(m.critical == 1);			/* severity by the point risk */

	/* the model moves: under the threshold, over clear: stays open */
	s = score_of(0.45, 0.9);
	CHECK(decide_alert(&cfg, &e, &s, 3000, "ev-3", 2, &g, &m) == 0);
	CHECK(e.flags & EMP_FIRING);
	s = score_of(0.55, 0.05);
	CHECK(decide_alert(&cfg, &e, &s, 4000, "ev-4", 3, &g, &m) == 0);
	/* below clear, but not confidently: the bound at eta + z se is
	 * still over it, and the episode stays open */
	s = score_of(0.3, 0.9);
	CHECK(decide_risk_upper(&cfg, &s) >= cfg.clear_threshold);
	CHECK(decide_alert(&cfg, &e, &s, 4500, "ev-4b", 3, &g, &m) == 0);
	s = score_of(0.39, 0.05);		/* upper bound 0.41 */
	CHECK(decide_alert(&cfg, &e, &s, 4700, "ev-4c", 3, &g, &m) == 0);
	CHECK(e.flags & EMP_FIRING);
	s = score_of(0.35, 0.05);		/* confidently below clear: resolves */
	CHECK(decide_risk_upper(&cfg, &s) < cfg.clear_threshold);
	CHECK(decide_alert(&cfg, &e, &s, 5000, "ev-5", 4, &g, &m) == 1);
	CHECK(m.firing == 0);
	CHECK_STR(m.reason, "risk_fell");
	/* back over the threshold but not confidently: no new episode */
	s = score_of(0.55, 0.5);
	CHECK(decide_alert(&cfg, &e, &s, 6000, "ev-6", 5, &g, &m) == 0);
	CHECK(g.held == HOLD_UNCERTAIN && e.episode == 1);
	/* an exit resolution carries no interval */
	s = score_of(0.9, 0.01);
	CHECK(decide_alert(&cfg, &e, &s, 7000, "ev-7", 5, &g, &m) == 1);
	CHECK(decide_exit(&cfg, &e, 8000, "ev-8", 5, &m) == 1);
	CHECK(isnan(m.risk_lower));
}

/* Warm-up by information: the log hazard's standard error must be at
 * most warmup_max_se, however high the risk. */
static void
test_warmup_information(void)
{
	struct pipeline_config	cfg;
	struct employee		e;
	struct score		s;
	struct alert_msg	m;
	struct alert_gate	g = { 0, NULL, HOLD_NONE };

	policy_setup(&cfg, &e, "W9");
	cfg.warmup_max_se = 0.5;
	cfg.confidence_z = 0;
	s = score_of(0.99, 0.51);
	CHECK(decide_alert(&cfg, &e, &s, 1000, "ev-1", 1, &g, &m) == 0);
	CHECK(g.held == HOLD_WARMUP);
	s = score_of(0.99, NAN);		/* unknown counts as not known */
	CHECK(decide_alert(&cfg, &e, &s, 1500, "ev-2", 1, &g, &m) == 0);
	CHECK(g.held == HOLD_WARMUP);
	s = score_of(0.51, 0.5);		/* at the bound: known enough */
	CHECK(decide_alert(&cfg, &e, &s, 2000, "ev-3", 2, &g, &m) == 1);
	CHECK(g.held == HOLD_NONE && m.firing == 1);
	/* warm-up first: with both on, a wide se is counted as warm-up */
	cfg.confidence_z = 1.2816;
	memset(&e, 0, sizeof(e));
	s = score_of(0.6, 0.8);
	CHECK(decide_alert(&cfg, &e, &s, 3000, "ev-4", 2, &g, &m) == 0);
	CHECK(g.held == HOLD_WARMUP);
}

/* *b through a checkpoint section and back: the same bytes again, and
 * malformed sections refused without touching *b. */
static void
budget_persists(struct alert_budget **b)
{
	struct wbuf	 w, w2, bad;
	struct rbuf	 r;
	struct alert_budget *none = NULL;

	wbuf_init(&w);
	wbuf_init(&w2);
	wbuf_init(&bad);
	decide_budget_save(*b, &w);
	rbuf_init(&r, w.p, w.len);
	CHECK(decide_budget_load(b, &r) == 0 && rbuf_left(&r) == 0 && *b != NULL);
	decide_budget_save(*b, &w2);
	CHECK(w.len == w2.len && memcmp(w.p, w2.p, w.len) == 0);
	/* a duplicate slot, a zero count, a truncated section */
	wbuf_u32(&bad, 2);
	for (int i = 0; i < 2; i++) {
		wbuf_u32(&bad, 7);
		wbuf_i64(&bad, 660);
		wbuf_u32(&bad, 1);
	}
	rbuf_init(&r, bad.p, bad.len);
	CHECK(decide_budget_load(&none, &r) == -1 && none == NULL);
	rbuf_init(&r, bad.p, bad.len - 1);
	CHECK(decide_budget_load(&none, &r) == -1 && none == NULL);
	bad.len = 0;
	wbuf_u32(&bad, 1);
	wbuf_u32(&bad, 7);
	wbuf_i64(&bad, 660);
	wbuf_u32(&bad, 0);
	rbuf_init(&r, bad.p, bad.len);
	CHECK(decide_budget_load(&none, &r) == -1 && none == NULL);
	/* nothing spent saves as none and loads as no budget */
	bad.len = 0;
	decide_budget_save(NULL, &bad);
	rbuf_init(&r, bad.p, bad.len);
	CHECK(decide_budget_load(&none, &r) == 0 && none == NULL);
	wbuf_free(&w);
	wbuf_free(&w2);
	wbuf_free(&bad);
}

/* The monthly budget per department: openings beyond it in the same
 * event-time month are held (and open in a later month); other
 * departments have their own; holds for other reasons spend nothing. */
static void
test_budget(void)
{
	struct pipeline_config	cfg;
	struct employee		e[4];
	struct score		s = score_of(0.9, 0.0);
	struct alert_msg	m;
	struct alert_gate	g = { 0, NULL, HOLD_NONE };
	static const char *const ids[4] = { "B0", "B1", "B2", "B3" };
	const int64_t		jan = 1735689600000LL, feb = jan + 31 * MS_PER_DAY;

	policy_setup(&cfg, &e[0], "B0");
	cfg.alert_budget_per_month = 2;
	CHECK((g.budget = decide_budget_new()) != NULL);
	if (g.budget == NULL)
		return;
	memset(e, 0, sizeof(e));
	for (int i = 0; i < 4; i++) {
		e[i].id = ids[i];
		e[i].dept = i < 3 ? 7 : -1;	/* the last: no department */
	}
	/* a warm-up hold first: it must not spend the budget */
	cfg.warmup_max_se = 0.1;
	s.eta_se = 0.2;
	CHECK(decide_alert(&cfg, &e[0], &s, jan, "ev-0", 1, &g, &m) == 0);
	CHECK(g.held == HOLD_WARMUP);
	cfg.warmup_max_se = 0;
	s.eta_se = 0;
	CHECK(decide_alert(&cfg, &e[0], &s, jan + 1, "ev-1", 1, &g, &m) == 1);
	CHECK(decide_alert(&cfg, &e[1], &s, jan + 2, "ev-2", 1, &g, &m) == 1);
	CHECK(decide_alert(&cfg, &e[2], &s, jan + 3, "ev-3", 1, &g, &m) == 0);
	CHECK(g.held == HOLD_BUDGET && !(e[2].flags & EMP_FIRING));
	CHECK(decide_alert(&cfg, &e[3], &s, jan + 4, "ev-4", 1, &g, &m) == 1);
	budget_persists(&g.budget);
	/* a resolution frees nothing within the month */
	s.risk = 0.1;
	CHECK(decide_alert(&cfg, &e[0], &s, jan + 5, "ev-5", 1, &g, &m) == 1);
	s.risk = 0.9;
	CHECK(decide_alert(&cfg, &e[2], &s, jan + 6, "ev-6", 1, &g, &m) == 0);
	CHECK(g.held == HOLD_BUDGET);
	/* the next month has a budget again */
	CHECK(decide_alert(&cfg, &e[2], &s, feb, "ev-7", 2, &g, &m) == 1);
	CHECK(g.held == HOLD_NONE && (e[2].flags & EMP_FIRING));
	/* budget 0 is off, whatever was spent */
	cfg.alert_budget_per_month = 0;
	CHECK(decide_alert(&cfg, &e[0], &s, feb + 1, "ev-8", 2, &g, &m) == 1);
	decide_budget_free(g.budget);
	decide_budget_free(NULL);
}

/* Backfill: openings only for event times within the window before the
 * wall clock; wall_ms 0 (no clock) turns the check off. */
static void
test_backfill_decide(void)
{
	struct pipeline_config	cfg;
	struct employee		e;
	struct score		s = score_of(0.9, 0.0);
	struct alert_msg	m;
	const int64_t		wall = 1750000000000LL;
	struct alert_gate	g = { wall, NULL, HOLD_NONE };

	policy_setup(&cfg, &e, "K1");
	cfg.backfill_window_days = 30;
	CHECK(decide_alert(&cfg, &e, &s, wall - 31 * MS_PER_DAY, "ev-1", 1, &g, &m) == 0);
	CHECK(g.held == HOLD_BACKFILL);
	g.wall_ms = 0;
	CHECK(decide_alert(&cfg, &e, &s, wall - 31 * MS_PER_DAY, "ev-2", 1, &g, &m) == 1);
	s.risk = 0.1;
	CHECK(decide_alert(&cfg, &e, &s, wall - 30 * MS_PER_DAY, "ev-3", 1, &g, &m) == 1);
	s.risk = 0.9;
	g.wall_ms = wall;
	CHECK(decide_alert(&cfg, &e, &s, wall - 30 * MS_PER_DAY, "ev-4", 1, &g, &m) == 1);
	CHECK(g.held == HOLD_NONE);
}

/* ---- the warm-up gate through pipeline_run() ------------------------ */

struct count {
	int	firing, resolved;
};

static int
count_alerts(void *arg, const struct output *o)
{
	struct count *c = arg;

	if (o->kind == OUT_ALERT) {
		if (strstr(o->value, "\"status\":\"firing\"") != NULL)
			c->firing++;
		else if (strstr(o->value, "\"status\":\"resolved\"") != NULL)
			c->resolved++;
	}
	return 0;
}

static int64_t run_wall_ms;	/* the wall clock run_event() gives */

/* One CloudEvent of employee G1 as a keyless message on hr.events. */
static enum pipeline_result
run_event(struct pipeline *p, struct count *c, const char *type, const char *when,
    const char *data)
{
	static int seq;
	char buf[512];
	struct message m = { .value = buf, .topic = "hr.events", .offset = seq,
	    .wall_ms = run_wall_ms };

	m.len = (size_t)snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\","
	    "\"id\":\"w-%d\",\"source\":\"t\",\"type\":\"%s\",\"subject\":\"G1\","
	    "\"time\":\"%s\",\"data\":%s}", seq++, type, when, data);
	return pipeline_run_all(p, &m, count_alerts, c);
}

static void
test_warmup_gate(void)
{
	struct pipeline_config	 cfg;
	struct pipeline_stats	 st;
	struct pipeline		*p;
	struct count		 c = { 0, 0 };
	char			 err[ERRBUF_MAX];

	pipeline_config_defaults(&cfg);
	cfg.warmup_max_se = 0.5;	/* one employee, no exit: se >= 2 */
	cfg.threshold = 0.0;		/* every score is at or above it */
	cfg.clear_threshold = 0.0;
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	CHECK(run_event(p, &c, "hr.employee.hired", "2025-01-01T00:00:00Z",
	    "{\"department\":\"Ops\",\"job_level\":2,\"salary\":40000}") == PIPE_OK);
	CHECK(run_event(p, &c, "hr.survey.submitted", "2025-02-01T00:00:00Z",
	    "{\"satisfaction\":10}") == PIPE_OK);
	pipeline_stats(p, &st);
	CHECK(c.firing == 0);
	CHECK(st.alerts_held >= 1);	/* would have fired */

	cfg.warmup_max_se = 0;		/* warm-up off: the next score opens one */
	pipeline_reconfigure(p, &cfg);
	CHECK(run_event(p, &c, "hr.survey.submitted", "2025-03-01T00:00:00Z",
	    "{\"satisfaction\":11}") == PIPE_OK);
	CHECK(c.firing == 1);

	/* back in warm-up (a reload), the open episode can still resolve */
	cfg.warmup_max_se = 0.5;
	cfg.threshold = 1.0;
	cfg.clear_threshold = 1.0;	/* every risk is below it */
	pipeline_reconfigure(p, &cfg);
	CHECK(run_event(p, &c, "hr.survey.submitted", "2025-04-01T00:00:00Z",
	    "{\"satisfaction\":12}") == PIPE_OK);
	CHECK(c.resolved == 1 && c.firing == 1);
	pipeline_free(p);
}

/* The backfill window through pipeline_run(): the model learns from the
 * history, but an opening for an event time further than the window
 * before the message's wall clock is held and counted; the first score
 * within the window opens. */
static void
test_backfill_gate(void)
{
	struct pipeline_config	 cfg;
	struct pipeline_stats	 st;
	struct pipeline		*p;
	struct count		 c = { 0, 0 };
	char			 err[ERRBUF_MAX];

	pipeline_config_defaults(&cfg);
	cfg.warmup_max_se = 0;
	cfg.confidence_z = 0;
	cfg.threshold = 0.0;		/* every score is at or above it */
	cfg.clear_threshold = 0.0;
	cfg.backfill_window_days = 30;
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	CHECK(time_parse_rfc3339("2025-06-01T00:00:00Z", &run_wall_ms) == 0);
	CHECK(run_event(p, &c, "hr.employee.hired", "2025-01-01T00:00:00Z",
	    "{\"department\":\"Ops\",\"job_level\":2,\"salary\":40000}") == PIPE_OK);
	CHECK(run_event(p, &c, "hr.survey.submitted", "2025-03-01T00:00:00Z",
	    "{\"satisfaction\":10}") == PIPE_OK);
	pipeline_stats(p, &st);
	CHECK(c.firing == 0);
	CHECK(st.alerts_backfill_held >= 2);	/* both scores, and sweeps */
	CHECK(st.events_by_type[EV_SURVEY] == 1);	/* applied all the same */
	CHECK(run_event(p, &c, "hr.survey.submitted", "2025-05-10T00:00:00Z",
	    "{\"satisfaction\":11}") == PIPE_OK);
	CHECK(c.firing == 1);
	run_wall_ms = 0;
	pipeline_free(p);
}

/* ---- decide_actions on a fitted model ------------------------------- */

static uint32_t lcg = 12345;

static double
unit_rand(void)
{
	lcg = lcg * 1103515245u + 12345u;
	return (double)((lcg >> 8) & 0xffff) / 65536.0;
}

static void
event_at(struct hr_event *ev, enum event_type t, int who, int64_t when, int seq)
{
	event_init(ev);
	ev->type = t;
	ev->time_ms = when;
	snprintf(ev->id, sizeof(ev->id), "d-%d", seq);
	snprintf(ev->source, sizeof(ev->source), "test_decide");
	snprintf(ev->subject, sizeof(ev->subject), "P%d", who);
}

struct world {
	struct features	*f;
	struct model	*m;
	struct table	*tab;
	int		 seq;
};

static void
apply(struct world *w, struct hr_event *ev)
{
	char err[ERRBUF_MAX];
	int created;
	struct employee *e = table_put(w->tab, ev->subject, &created);

	if (e == NULL)
		return;
	CHECK(state_apply(w->m, e, ev, err, sizeof(err)) == 0);
	model_score(w->m, e, ev->time_ms, NULL);
}

/* PEOPLE hires; in month 1..4 a bonus, care, training with an assessment
 * and a survey whose satisfaction follows 45 + 0.8 u + 3 c; voluntary
 * exits afterwards, likelier with low satisfaction and low ability; the
 * whole table rescored monthly so that stayers add exposure. */
static void
fit_company(struct world *w)
{
	static double sat[PEOPLE], abl[PEOPLE];
	struct hr_event ev;
	struct employee *e;
	size_t it;

	for (int i = 0; i < PEOPLE; i++) {
		event_at(&ev, EV_HIRED, i, T0 + i * 1000, w->seq++);
		snprintf(ev.department, sizeof(ev.department), "D%d", i % 3);
		ev.job_level = 2 + i % 3;
		ev.salary = SALARY;
		apply(w, &ev);
	}
	for (int i = 0; i < PEOPLE; i++) {
		double pct = (double)(i % 6) * 2.0, care = i % 3, hours = (i % 5) * 10.0;

		event_at(&ev, EV_COMPENSATION, i, T0 + MONTH, w->seq++);
		ev.comp_kind = COMP_BONUS;
		ev.amount = SALARY * pct / 100.0;
		if (pct > 0)
			apply(w, &ev);
		for (int k = 0; k < care; k++) {
			event_at(&ev, EV_CARE, i, T0 + 2 * MONTH + k, w->seq++);
			ev.care_kind = CARE_MENTORING;
			apply(w, &ev);
		}
		abl[i] = 40 + 0.3 * hours + (unit_rand() - 0.5) * 6;
		event_at(&ev, EV_TRAINING, i, T0 + 3 * MONTH, w->seq++);
		ev.hours = hours;
		ev.assessment = abl[i];
		apply(w, &ev);
		sat[i] = 45 + 0.8 * pct + 3 * care + (unit_rand() - 0.5) * 10;
		event_at(&ev, EV_SURVEY, i, T0 + 4 * MONTH, w->seq++);
		ev.satisfaction = sat[i];
		apply(w, &ev);
	}
	/* The model scores with the fit of its epoch (state/fit.c): one
	 * epoch a month here, entered as the pipeline enters its days. */
	CHECK(model_advance(w->m, &w->m, 1, 4) == 0);
	for (int month = 5; month < 36; month++) {
		int64_t now = T0 + month * MONTH;

		for (int i = 0; i < PEOPLE; i++) {
			double lam = 0.03 * exp(-0.08 * (sat[i] - 55) - 0.05 * (abl[i] - 45));

			snprintf(ev.subject, sizeof(ev.subject), "P%d", i);
			if ((e = table_get(w->tab, ev.subject)) == NULL ||
			    (e->flags & EMP_EXITED) || unit_rand() >= lam)
				continue;
			event_at(&ev, EV_EXITED, i, now + i, w->seq++);
			ev.voluntary = 1;
			apply(w, &ev);
		}
		for (it = 0; (e = table_next(w->tab, &it)) != NULL;)
			if (!(e->flags & EMP_EXITED))
				model_score(w->m, e, now, NULL);
		CHECK(model_advance(w->m, &w->m, 1, month) == 0);
	}
}

static struct employee *
some_stayer(struct world *w, int i)
{
	struct employee *e;
	char id[16];

	for (; i < PEOPLE; i++) {
		snprintf(id, sizeof(id), "P%d", i);
		if ((e = table_get(w->tab, id)) != NULL && !(e->flags & EMP_EXITED))
			return e;
	}
	return NULL;
}

static void
test_actions(struct world *w)
{
	struct pipeline_config	cfg;
	struct model_estimates	est;
	struct action		all[ACTIONS_MAX], one[1];
	struct score		base, after;
	struct employee		*e, copy;
	int64_t			now = T0 + 36 * MONTH;
	int			n, seen[ACT__COUNT] = { 0 };

	pipeline_config_defaults(&cfg);
	model_estimates(w->m, &est);
	/* the fit is what the actions lean on: signs as simulated */
	CHECK(est.satisfaction.coef[1] > 0 && est.satisfaction.coef[2] > 0);
	CHECK(est.ability.coef[1] > 0);
	CHECK(est.hazard.exits > 50);
	CHECK(est.kappa > 0);

	CHECK((e = some_stayer(w, 0)) != NULL);
	if (e == NULL)
		return;
	copy = *e;
	decide_whatif(&cfg, w->m, e, now, NULL, 0, &base);
	n = decide_actions(&cfg, w->m, e, now, &base, all, ACTIONS_MAX);
	CHECK(memcmp(&copy, e, sizeof(copy)) == 0);	/* scores copies only */
	CHECK(n >= 2 && n <= ACTIONS_MAX);
	for (int i = 0; i < n; i++) {
		const struct action *a = &all[i];
		double gain;

		CHECK((unsigned)a->kind < ACT__COUNT && seen[a->kind]++ == 0);
		CHECK(a->amount > 0 && a->cost > 0 && a->value > 0);
		CHECK(a->confidence >= 0 && a->confidence <= 1);
		CHECK(a->risk_after <= base.risk);	/* never raises the risk */
		if (i > 0)
			CHECK(all[i - 1].value >= a->value);	/* best first */
		/* the same action through the what-if scores the same */
		decide_whatif(&cfg, w->m, e, now, a, 1, &after);
		CHECK_NEAR(after.risk, a->risk_after, 1e-12);
		/* value is the weighted gain per unit of cost */
		gain = cfg.weight_retention * (base.risk - a->risk_after) +
		    cfg.weight_satisfaction * a->satisfaction_gain / 100.0 +
		    cfg.weight_ability * a->ability_gain / 100.0;
		CHECK_NEAR(a->value * a->cost, gain, 1e-9);
		switch (a->kind) {
		case ACT_INCENTIVE:
			CHECK_NEAR(a->cost, a->amount, 0);
			CHECK(a->ability_gain == 0 && a->satisfaction_gain > 0);
			break;
		case ACT_TRAINING:
			CHECK_NEAR(a->cost, a->amount * cfg.training_hour_cost, 1e-9);
			CHECK(a->satisfaction_gain == 0 && a->ability_gain > 0);
			break;
		case ACT_CARE:
			CHECK_NEAR(a->cost, a->amount * cfg.care_action_cost, 1e-9);
			break;
		case ACT_PROMOTION:
			CHECK_NEAR(a->amount, 1, 0);
			CHECK_NEAR(a->cost, e->salary * cfg.promotion_raise_percent / 100, 1e-9);
			break;
		default:
			break;
		}
	}
	/* max = 1 is the head of the ranking */
	CHECK(decide_actions(&cfg, w->m, e, now, &base, one, 1) == 1);
	CHECK(one[0].kind == all[0].kind && one[0].value == all[0].value);

	/* only ability counts: training alone can have a positive value */
	cfg.weight_retention = 0;
	cfg.weight_satisfaction = 0;
	cfg.weight_ability = 1;
	n = decide_actions(&cfg, w->m, e, now, &base, all, ACTIONS_MAX);
	CHECK(n == 1 && all[0].kind == ACT_TRAINING);

	/* no promotion above level 15 */
	pipeline_config_defaults(&cfg);
	copy.job_level = 15;
	n = decide_actions(&cfg, w->m, &copy, now, &base, all, ACTIONS_MAX);
	for (int i = 0; i < n; i++)
		CHECK(all[i].kind != ACT_PROMOTION);
}

static void
test_plan_budget(void)
{
	struct allocation cand[8], out[8];
	double spend, retained, want_spend = 0, want_retained = 0;
	int n;

	memset(cand, 0, sizeof(cand));
	for (int i = 0; i < 8; i++) {
		cand[i].employee_id = "x";
		cand[i].action.cost = 1000.0 * (i + 1);
		cand[i].action.value = 1.0 / (i + 1);	/* cheapest is best */
		cand[i].risk_before = 0.5;
		cand[i].action.risk_after = 0.5 - 0.01 * (i + 1);
	}
	cand[7].action.cost = 0;	/* free actions are not plans */
	n = decide_plan(10000, cand, 8, out, &spend, &retained);
	/* 1000 + 2000 + 3000 + 4000 = 10000 fits exactly; nothing more does */
	CHECK(n == 4);
	for (int i = 0; i < n; i++) {
		want_spend += out[i].action.cost;
		want_retained += out[i].risk_before - out[i].action.risk_after;
		if (i > 0)
			CHECK(out[i - 1].action.value >= out[i].action.value);
	}
	CHECK_NEAR(spend, 10000, 1e-9);
	CHECK_NEAR(spend, want_spend, 1e-9);
	CHECK_NEAR(retained, want_retained, 1e-12);
	CHECK_NEAR(retained, 0.10, 1e-12);
	/* a larger budget skips what does not fit and takes what still does */
	n = decide_plan(12500, cand, 8, out, &spend, &retained);
	CHECK(n == 4 && spend <= 12500);
	CHECK(decide_plan(0, cand, 8, out, &spend, &retained) == 0);
	CHECK(spend == 0 && retained == 0);
	CHECK(decide_plan(1e9, cand, 0, out, &spend, &retained) == 0);
}

/* Ids are a contract: consumers de-duplicate on them across restarts and
 * upgrades, so the same parts must give the same id in every build. The
 * values below were taken from this implementation; a change of the hash
 * changes them and must be a deliberate, documented break. */
static void
test_make_id(void)
{
	static const struct {
		const char *a, *b, *c, *id;
	} golden[] = {
		{ "plan", "Ops", "2026-03", "1b8faf4690d17481ab76a801766316c7" },
		{ "E1", "ev-1", "1772323200000", "69074228a888f560ea600dc70baed3d5" },
		{ "E1", "a1b2", "suggestion", "c86e43c51554a16c7bc829275c11278a" },
	};
	char id[ID_HEX_LEN + 1], other[ID_HEX_LEN + 1];

	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		decide_make_id(id, golden[i].a, golden[i].b, golden[i].c);
		CHECK_STR(id, golden[i].id);
	}
	decide_make_id(id, "plan", "Op", "s2026-03");	/* parts stay apart */
	CHECK(strcmp(id, golden[0].id) != 0);
	decide_make_id(id, "plan", "Ops", NULL);	/* NULL is the empty part */
	decide_make_id(other, "plan", "Ops", "");
	CHECK_STR(id, other);
	CHECK(decide_action_parse("care", &(enum action_kind){ 0 }) == 0);
	CHECK(decide_action_parse("Care", &(enum action_kind){ 0 }) == -1);
	CHECK_STR(decide_action_name(ACT_PROMOTION), "promotion");
	CHECK_STR(decide_action_name((enum action_kind)99), "unknown");
}

int
main(void)
{
	struct pipeline_config cfg;
	struct world w = { 0 };
	char err[ERRBUF_MAX];

	pipeline_global_init();
	test_hysteresis_edges();
	test_warmup_decide();
	test_risk_lower();
	test_risk_upper();
	test_confident_opening();
	test_warmup_information();
	test_budget();
	test_backfill_decide();
	test_warmup_gate();
	test_backfill_gate();
	test_plan_budget();
	test_make_id();

	pipeline_config_defaults(&cfg);
	w.f = features_new(&cfg.features);
	w.tab = table_new();
	CHECK(w.f != NULL && w.tab != NULL);
	if (w.f != NULL && (w.m = model_new(&cfg.model, w.f, err, sizeof(err))) != NULL) {
		fit_company(&w);
		test_actions(&w);
	}
	CHECK(w.m != NULL);
	model_free(w.m);
	table_free(w.tab);
	features_free(w.f);
	return check_exit("test_decide");
}
