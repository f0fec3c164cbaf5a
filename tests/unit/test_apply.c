/*
 * test_apply.c: event effects on a record (state_apply) and the 12-month
 * windows, including late and out-of-order events; apply never allocates;
 * a refused event leaves the record and the model's statistics
 * byte-identical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../state/model_internal.h"
#include "check.h"

#define DAY MS_PER_DAY
#define T0 1735689600000LL	/* 2025-01-01T00:00:00Z */

#include "alloccount.h"

#if COUNT_ALLOCS
static void *volatile alloc_sink;	/* keeps the compiler from eliding malloc */
#endif

static struct features *feat;
static struct model *mdl;	/* over feat */

static void
ev_new(struct hr_event *ev, enum event_type type, int64_t t_ms)
{
	event_init(ev);
	ev->type = type;
	ev->time_ms = t_ms;
	snprintf(ev->subject, sizeof(ev->subject), "E1");
	snprintf(ev->source, sizeof(ev->source), "test");
}

static int
apply(struct employee *e, const struct hr_event *ev)
{
	char err[128];

	err[0] = '\0';
	return state_apply(mdl, e, ev, err, sizeof(err));
}

static void
emp_new(struct employee *e)
{
	memset(e, 0, sizeof(*e));
	e->id = "E1";
	e->flags = EMP_PROVISIONAL;
	e->dept = -1;
}

static void
hire(struct employee *e, int64_t t, const char *dept, int level, double salary)
{
	struct hr_event ev;

	ev_new(&ev, EV_HIRED, t);
	snprintf(ev.department, sizeof(ev.department), "%s", dept);
	ev.job_level = level;
	ev.salary = salary;
	snprintf(ev.manager_id, sizeof(ev.manager_id), "M1");
	CHECK(apply(e, &ev) == 0);
}

static void
test_window(void)
{
	struct window w;
	struct tally c;
	const int64_t M = WINDOW_MONTH_MS, m0 = (T0 / M + 1) * M;	/* a month start */
	int i;

	memset(&w, 0, sizeof(w));
	/* out of order, several in one month */
	window_add(&w, m0 + 100 * DAY, 5);	/* month 3 */
	window_add(&w, m0 + 10 * DAY, 2);	/* month 0 */
	window_add(&w, m0 + 20 * DAY, 1);	/* month 0 */
	CHECK_NEAR(window_sum(&w, m0 + 100 * DAY), 8, 0);
	CHECK_NEAR(window_sum(&w, m0 + 40 * DAY), 3, 0);	/* month 1: not yet 5 */
	window_add(&w, m0 + 400 * DAY, 7);	/* month 13: months 0 and 1 go */
	CHECK_NEAR(window_sum(&w, m0 + 400 * DAY), 12, 0);
	CHECK_NEAR(window_sum(&w, m0 + 200 * DAY), 5, 0);	/* held months up to month 6 */
	window_add(&w, m0 + 10 * DAY, 100);	/* older than every month held: dropped */
	CHECK_NEAR(window_sum(&w, m0 + 400 * DAY), 12, 0);

	/* the edges: an entry counts from the start of its month and leaves
	 * when the twelfth month after it begins; that is when it is due */
	memset(&w, 0, sizeof(w));
	window_add(&w, m0 + 5 * DAY, 3);
	CHECK_NEAR(window_sum(&w, m0 - 1), 0, 0);
	CHECK_NEAR(window_sum(&w, m0), 3, 0);
	CHECK_NEAR(window_sum(&w, m0 + 12 * M - 1), 3, 0);
	CHECK_NEAR(window_sum(&w, m0 + 12 * M), 0, 0);
	CHECK(window_next_change(&w, m0 - DAY) == m0);
	CHECK(window_next_change(&w, m0 + DAY) == m0 + 12 * M);
	CHECK(window_next_change(&w, m0 + 12 * M) == INT64_MAX);
	/* before 1970, into a zeroed window */
	memset(&w, 0, sizeof(w));
	window_add(&w, -400 * DAY, 2);
	CHECK_NEAR(window_sum(&w, -399 * DAY), 2, 0);
	CHECK_NEAR(window_sum(&w, 0), 0, 0);

	/* counts: per month, saturating at 255, jumps clear what they pass */
	memset(&c, 0, sizeof(c));
	for (i = 0; i < 300; i++)
		window_add(&c, m0 + (int64_t)i * 60000, 1);
	CHECK(window_count(&c, m0) == 255);
	window_add(&c, m0 + M, 1);
	CHECK(window_count(&c, m0 + M) == 256);
	CHECK(window_next_change(&c, m0 + 2 * M) == m0 + 12 * M);
	window_add(&c, m0 + 100 * M, 1);
	CHECK(window_count(&c, m0 + 100 * M) == 1);
	CHECK(window_count(&c, m0 + 95 * M) == 0);
}

static void
test_compensation(void)
{
	struct employee e;
	struct hr_event ev;

	emp_new(&e);
	hire(&e, T0, "Sales", 3, 50000);
	CHECK(!(e.flags & EMP_PROVISIONAL));
	CHECK(emp_ms(e.hired_s) == T0 && emp_ms(e.last_promotion_s) == T0);
	CHECK(e.salary == 50000 && e.job_level == 3 && e.dept >= 0);
	CHECK_STR(strtab_name(features_departments(feat), e.dept), "Sales");
	CHECK(e.manager != 0 && emp_ms(e.manager_since_s) == T0);

	/* raise by amount: 5000 on 50000 = 10 %, salary 55000 */
	ev_new(&ev, EV_COMPENSATION, T0 + 100 * DAY);
	ev.comp_kind = COMP_RAISE;
	ev.amount = 5000;
	CHECK(apply(&e, &ev) == 0);
	CHECK_NEAR(e.salary, 55000, 1e-9);
	CHECK_NEAR(e.last_raise_pct, 10, 1e-9);
	CHECK(emp_ms(e.last_raise_s) == T0 + 100 * DAY);
	CHECK_NEAR(window_sum(&e.incentive, T0 + 100 * DAY), 10, 1e-5);

	/* bonus: % of the salary in force before it (55000), salary unchanged */
	ev_new(&ev, EV_COMPENSATION, T0 + 200 * DAY);
	ev.comp_kind = COMP_BONUS;
	ev.amount = 5500;
	CHECK(apply(&e, &ev) == 0);
	CHECK_NEAR(e.salary, 55000, 1e-9);
	CHECK(emp_ms(e.last_raise_s) == T0 + 100 * DAY);
	CHECK_NEAR(window_sum(&e.incentive, T0 + 200 * DAY), 20, 1e-5);
	/* a year after the raise only the bonus is left */
	CHECK_NEAR(window_sum(&e.incentive, T0 + 100 * DAY + 12 * WINDOW_MONTH_MS),
	    10, 1e-5);

	/* raise with new_salary: pct from 55000, salary from new_salary */
	ev_new(&ev, EV_COMPENSATION, T0 + 300 * DAY);
	ev.comp_kind = COMP_RAISE;
	ev.amount = 2750;
	ev.new_salary = 57750;
	CHECK(apply(&e, &ev) == 0);
	CHECK_NEAR(e.salary, 57750, 1e-9);
	CHECK_NEAR(e.last_raise_pct, 5, 1e-9);

	/* a late raise lands in the window at its time, but does not
	 * replace the newer salary or last raise */
	ev_new(&ev, EV_COMPENSATION, T0 + 50 * DAY);
	ev.comp_kind = COMP_RAISE;
	ev.amount = 577.5;
	CHECK(apply(&e, &ev) == 0);
	CHECK_NEAR(e.salary, 57750, 1e-9);
	CHECK(emp_ms(e.last_raise_s) == T0 + 300 * DAY);
	CHECK_NEAR(window_sum(&e.incentive, T0 + 50 * DAY), 1, 1e-5);
	CHECK(emp_ms(e.last_event_s) == T0 + 300 * DAY);

	/* equity only feeds the window */
	ev_new(&ev, EV_COMPENSATION, T0 + 310 * DAY);
	ev.comp_kind = COMP_EQUITY;
	ev.amount = 11550;
	CHECK(apply(&e, &ev) == 0);
	CHECK_NEAR(e.salary, 57750, 1e-9);
	CHECK_NEAR(window_sum(&e.incentive, T0 + 310 * DAY), 10 + 10 + 5 + 1 + 20, 1e-4);

	/* provisional employee, no salary: pct from new_salary - amount */
	emp_new(&e);
	ev_new(&ev, EV_COMPENSATION, T0);
	ev.comp_kind = COMP_RAISE;
	ev.amount = 4000;
	ev.new_salary = 44000;
	CHECK(apply(&e, &ev) == 0);
	CHECK_NEAR(e.last_raise_pct, 10, 1e-9);
	CHECK_NEAR(e.salary, 44000, 1e-9);
	CHECK(e.flags & EMP_PROVISIONAL);
	/* the hire arrives later, dated before the raise: the newer salary stays */
	hire(&e, T0 - 200 * DAY, "Sales", 2, 40000);
	CHECK_NEAR(e.salary, 44000, 1e-9);
	CHECK(!(e.flags & EMP_PROVISIONAL) && emp_ms(e.hired_s) == T0 - 200 * DAY);

	/* a bonus without amount is refused and changes nothing */
	ev_new(&ev, EV_COMPENSATION, T0 + DAY);
	ev.comp_kind = COMP_BONUS;
	{
		struct employee before = e;
		char err[64] = "";

		CHECK(state_apply(mdl, &e, &ev, err, sizeof(err)) == -1);
		CHECK(err[0] != '\0');
		CHECK(memcmp(&before, &e, sizeof(e)) == 0);
	}
}

static void
test_latest_and_windows(void)
{
	struct employee e;
	struct hr_event ev;
	int64_t now = T0 + 400 * DAY;

	emp_new(&e);
	hire(&e, T0, "R&D", 5, 80000);

	/* surveys: newest by time wins, whatever the arrival order */
	ev_new(&ev, EV_SURVEY, T0 + 200 * DAY);
	ev.satisfaction = 70;
	ev.engagement = 60;
	CHECK(apply(&e, &ev) == 0);
	ev_new(&ev, EV_SURVEY, T0 + 100 * DAY);
	ev.satisfaction = 30;
	ev.engagement = 20;
	ev.intent_to_stay = 10;
	CHECK(apply(&e, &ev) == 0);
	CHECK(e.flags & EMP_HAS_SURVEY);
	CHECK(e.satisfaction == 70 && e.engagement == 60);
	CHECK(!ev_has(e.intent_to_stay));	/* absent in the newest survey */
	CHECK(emp_ms(e.survey_s) == T0 + 200 * DAY);

	/* reviews */
	ev_new(&ev, EV_REVIEW, T0 + 150 * DAY);
	ev.rating = 4;
	CHECK(apply(&e, &ev) == 0);
	ev_new(&ev, EV_REVIEW, T0 + 120 * DAY);
	ev.rating = 2;
	ev.potential = 1;
	CHECK(apply(&e, &ev) == 0);
	CHECK(e.rating == 4 && emp_ms(e.review_s) == T0 + 150 * DAY);
	CHECK(e.flags & EMP_HAS_REVIEW);

	/* training: hours in the window by event time, newest assessment */
	ev_new(&ev, EV_TRAINING, T0 + 300 * DAY);
	ev.hours = 8;
	ev.assessment = 75;
	CHECK(apply(&e, &ev) == 0);
	ev_new(&ev, EV_TRAINING, T0 + 20 * DAY);	/* months before the window */
	ev.hours = 16;
	ev.assessment = 40;
	CHECK(apply(&e, &ev) == 0);
	/* now's window starts at T0 + 60.625 d (T0 is 6 h into a month) */
	ev_new(&ev, EV_TRAINING, T0 + 61 * DAY);	/* its oldest month: in */
	ev.hours = 4;
	CHECK(apply(&e, &ev) == 0);
	ev_new(&ev, EV_TRAINING, T0 + 60 * DAY);	/* the month before: out */
	ev.hours = 2;
	CHECK(apply(&e, &ev) == 0);
	CHECK(e.ability == 75 && emp_ms(e.ability_s) == T0 + 300 * DAY);
	CHECK_NEAR(window_sum(&e.training, now), 12, 1e-12);
	CHECK_NEAR(window_sum(&e.training, T0 + 300 * DAY), 30, 1e-12);

	/* care */
	ev_new(&ev, EV_CARE, T0 + 390 * DAY);
	ev.care_kind = CARE_MENTORING;
	CHECK(apply(&e, &ev) == 0);
	ev_new(&ev, EV_CARE, T0 + 10 * DAY);
	CHECK(apply(&e, &ev) == 0);
	CHECK(window_count(&e.care, now) == 1);

	/* manager: same manager is no change; a new one is */
	ev_new(&ev, EV_MANAGER, T0 + 100 * DAY);
	snprintf(ev.manager_id, sizeof(ev.manager_id), "M1");
	CHECK(apply(&e, &ev) == 0);
	CHECK(window_count(&e.manager_changes, T0 + 250 * DAY) == 0);
	CHECK(emp_ms(e.manager_since_s) == T0);
	ev_new(&ev, EV_MANAGER, T0 + 250 * DAY);
	snprintf(ev.manager_id, sizeof(ev.manager_id), "M2");
	CHECK(apply(&e, &ev) == 0);
	CHECK(window_count(&e.manager_changes, T0 + 250 * DAY) == 1);
	CHECK(emp_ms(e.manager_since_s) == T0 + 250 * DAY);
	/* a late change to M3 before M2: counted, M2 stays current */
	ev_new(&ev, EV_MANAGER, T0 + 200 * DAY);
	snprintf(ev.manager_id, sizeof(ev.manager_id), "M3");
	CHECK(apply(&e, &ev) == 0);
	CHECK(window_count(&e.manager_changes, T0 + 250 * DAY) == 2);
	CHECK(emp_ms(e.manager_since_s) == T0 + 250 * DAY);

	/* promotion */
	ev_new(&ev, EV_PROMOTION, T0 + 350 * DAY);
	ev.job_level = 6;
	ev.new_salary = 90000;
	CHECK(apply(&e, &ev) == 0);
	CHECK(e.job_level == 6 && e.salary == 90000);
	CHECK(emp_ms(e.last_promotion_s) == T0 + 350 * DAY);
	ev_new(&ev, EV_PROMOTION, T0 + 330 * DAY);	/* older: ignored */
	ev.job_level = 9;
	CHECK(apply(&e, &ev) == 0);
	CHECK(e.job_level == 6);
	CHECK(emp_ms(e.last_event_s) == T0 + 390 * DAY);

	/* exit, then a second exit is refused; a rehire after it works */
	ev_new(&ev, EV_EXITED, T0 + 395 * DAY);
	ev.voluntary = 1;
	CHECK(apply(&e, &ev) == 0);
	CHECK((e.flags & (EMP_EXITED | EMP_VOLUNTARY)) == (EMP_EXITED | EMP_VOLUNTARY));
	CHECK(emp_ms(e.exit_s) == T0 + 395 * DAY);
	{
		struct employee before = e;
		char err[64] = "";

		ev.voluntary = 0;
		CHECK(state_apply(mdl, &e, &ev, err, sizeof(err)) == -1);
		CHECK(strstr(err, "exited") != NULL);
		CHECK(memcmp(&before, &e, sizeof(e)) == 0);
		/* a hire dated before the exit is a duplicate */
		ev_new(&ev, EV_HIRED, T0 + 10 * DAY);
		ev.job_level = 1;
		ev.salary = 1;
		CHECK(state_apply(mdl, &e, &ev, err, sizeof(err)) == -1);
		CHECK(memcmp(&before, &e, sizeof(e)) == 0);
	}
	hire(&e, T0 + 500 * DAY, "R&D", 4, 85000);
	CHECK(!(e.flags & (EMP_EXITED | EMP_VOLUNTARY)) && e.exit_s == 0);
	CHECK(emp_ms(e.hired_s) == T0 + 500 * DAY && e.job_level == 4);

	/* involuntary exit of a provisional record, then its late hire */
	emp_new(&e);
	ev_new(&ev, EV_EXITED, T0 + 50 * DAY);
	ev.voluntary = 0;
	CHECK(apply(&e, &ev) == 0);
	CHECK((e.flags & EMP_EXITED) && !(e.flags & EMP_VOLUNTARY));
	hire(&e, T0, "R&D", 2, 60000);
	CHECK((e.flags & EMP_EXITED) && !(e.flags & EMP_PROVISIONAL));
	CHECK(emp_ms(e.exit_s) == T0 + 50 * DAY && emp_ms(e.hired_s) == T0);
}

/* One refused event: false with err empty or when the record or any of
 * the model's statistics moved. */
static int
refused_untouched(struct employee *e, const struct hr_event *ev, const char *why)
{
	static struct employee before;	/* memcpy: padding bytes count too */
	uint64_t d0 = model_digest(mdl);
	long v0 = model_version(mdl);
	char err[128] = "";
	int ok;

	memcpy(&before, e, sizeof(before));
	ok = state_apply(mdl, e, ev, err, sizeof(err)) == -1 &&
	    strstr(err, why) != NULL &&
	    memcmp(&before, e, sizeof(before)) == 0 &&
	    model_digest(mdl) == d0 && model_version(mdl) == v0;
	if (!ok)
		fprintf(stderr, "refusal \"%s\": got \"%s\"\n", why, err);
	return ok;
}

/* Every refusal in apply.c, on a record whose next accepted event moves
 * the model (hired, active, an open exposure interval, a survey and an
 * assessment for the RLS pairs), and again once it has exited. Each
 * refused event is a day after the one before, so that applying any part
 * of it would close exposure; accepted events at the end show that the
 * digest notices. */
static void
test_refusals(void)
{
	struct employee e;
	struct hr_event ev;
	uint64_t d0;
	int64_t t = T0 + 100 * DAY;	/* each refusal a day later */

	emp_new(&e);
	hire(&e, T0, "Ops", 2, 40000);
	ev_new(&ev, EV_SURVEY, T0 + 30 * DAY);
	ev.satisfaction = 60;
	CHECK(apply(&e, &ev) == 0);
	ev_new(&ev, EV_TRAINING, T0 + 40 * DAY);
	ev.hours = 5;
	ev.assessment = 50;
	CHECK(apply(&e, &ev) == 0);
	CHECK(emp_ms(e.interval_start_s) == T0 + 40 * DAY);

	/* a second hire of an active employee */
	ev_new(&ev, EV_HIRED, t += DAY);
	snprintf(ev.department, sizeof(ev.department), "Sales");
	ev.job_level = 3;
	ev.salary = 50000;
	ev.nattrs = 1;
	snprintf(ev.attrs[0].name, EVENT_STR_MAX, "overtime");
	snprintf(ev.attrs[0].str, EVENT_STR_MAX, "yes");
	CHECK(refused_untouched(&e, &ev, "already hired"));
	ev_new(&ev, EV_REVIEW, t += DAY);
	ev.potential = 2;
	CHECK(refused_untouched(&e, &ev, "review without rating"));
	ev_new(&ev, EV_SURVEY, t += DAY);
	ev.engagement = 40;
	CHECK(refused_untouched(&e, &ev, "survey without satisfaction"));
	ev_new(&ev, EV_COMPENSATION, t += DAY);
	ev.comp_kind = COMP_BONUS;
	CHECK(refused_untouched(&e, &ev, "compensation without amount"));
	ev.comp_kind = COMP_RAISE;	/* neither amount nor new_salary */
	ev.time_ms = t += DAY;
	CHECK(refused_untouched(&e, &ev, "compensation without amount"));
	ev_new(&ev, EV_TRAINING, t += DAY);
	ev.assessment = 90;
	CHECK(refused_untouched(&e, &ev, "training without hours"));
	ev_new(&ev, EV_MANAGER, t += DAY);
	CHECK(refused_untouched(&e, &ev, "manager change without manager_id"));
	ev_new(&ev, EV__COUNT, t += DAY);
	CHECK(refused_untouched(&e, &ev, "unknown event type"));

	/* the control: accepted, the model moves (exposure up to t, the
	 * satisfaction relation) */
	d0 = model_digest(mdl);
	ev_new(&ev, EV_CARE, t);
	CHECK(apply(&e, &ev) == 0);
	CHECK(model_digest(mdl) != d0 && emp_ms(e.interval_start_s) == t);
	d0 = model_digest(mdl);
	ev_new(&ev, EV_SURVEY, t + DAY);
	ev.satisfaction = 40;
	CHECK(apply(&e, &ev) == 0);
	CHECK(model_digest(mdl) != d0);

	/* exited: a second exit, and a hire dated before the exit */
	d0 = model_digest(mdl);
	ev_new(&ev, EV_EXITED, T0 + 200 * DAY);
	ev.voluntary = 1;
	CHECK(apply(&e, &ev) == 0);
	CHECK(model_digest(mdl) != d0);
	ev_new(&ev, EV_EXITED, T0 + 250 * DAY);
	ev.voluntary = 1;
	CHECK(refused_untouched(&e, &ev, "already exited"));
	ev_new(&ev, EV_HIRED, T0 + 150 * DAY);
	ev.job_level = 1;
	ev.salary = 1;
	CHECK(refused_untouched(&e, &ev, "already hired"));
}

static void
test_no_alloc(void)
{
	struct employee e;
	struct hr_event ev[6];
	long before;
	int i, rc = 0;

	emp_new(&e);
	hire(&e, T0, "Ops", 2, 30000);
	ev_new(&ev[0], EV_SURVEY, T0 + DAY);
	ev[0].satisfaction = 50;
	ev_new(&ev[1], EV_COMPENSATION, T0 + 2 * DAY);
	ev[1].comp_kind = COMP_RAISE;
	ev[1].amount = 300;
	ev_new(&ev[2], EV_TRAINING, T0 + 3 * DAY);
	ev[2].hours = 2;
	ev[2].assessment = 60;
	ev_new(&ev[3], EV_PROFILE, T0 + 4 * DAY);
	ev[3].nattrs = 3;
	snprintf(ev[3].attrs[0].name, EVENT_STR_MAX, "overtime");
	snprintf(ev[3].attrs[0].str, EVENT_STR_MAX, "yes");
	snprintf(ev[3].attrs[1].name, EVENT_STR_MAX, "distance_km");
	ev[3].attrs[1].is_num = 1;
	ev[3].attrs[1].num = 12;
	snprintf(ev[3].attrs[2].name, EVENT_STR_MAX, "Gender");
	snprintf(ev[3].attrs[2].str, EVENT_STR_MAX, "F");
	ev_new(&ev[4], EV_MANAGER, T0 + 5 * DAY);
	snprintf(ev[4].manager_id, sizeof(ev[4].manager_id), "M9");
	ev_new(&ev[5], EV_PROMOTION, T0 + 6 * DAY);
	ev[5].job_level = 3;
	ev[5].new_salary = 40000;

#if COUNT_ALLOCS
	/* a shard's first salary of a (department, level) takes its pay
	 * histogram (pay.c); nothing after that */
	for (i = 0; i < 6; i++) {
		ev[i].time_ms += DAY;
		rc |= apply(&e, &ev[i]);
	}
	before = nallocs;
	for (i = 0; i < 6000; i++) {
		ev[i % 6].time_ms += DAY;
		rc |= apply(&e, &ev[i % 6]);
	}
	CHECK(nallocs == before);
	/* the counter itself works */
	alloc_sink = malloc(16);
	CHECK(nallocs == before + 1);
	free(alloc_sink);
#else
	(void)before;
	for (i = 0; i < 6000; i++)
		rc |= apply(&e, &ev[i % 6]);
	fprintf(stderr, "sanitizer build: allocation count not checked\n");
#endif
	CHECK(rc == 0);
	CHECK(e.job_level == 3 && e.flags & EMP_HAS_SURVEY);
}

int
main(void)
{
	struct features_config cfg;
	struct model_config mc = { .forgetting_rls = 0.9999, .forgetting_hazard = 1,
	    .l2 = 1, .horizon_days = 180, .alert_threshold = 0.5 };
	char err[128];

	model_global_init();
	memset(&cfg, 0, sizeof(cfg));
	feat = features_new(&cfg);
	CHECK(feat != NULL);
	if (feat == NULL || (mdl = model_new(&mc, feat, err, sizeof(err))) == NULL) {
		CHECK(!"model_new");
		return check_exit("test_apply");
	}
	test_window();
	test_compensation();
	test_latest_and_windows();
	test_refusals();
	test_no_alloc();
	model_free(mdl);
	features_free(feat);
	return check_exit("test_apply");
}
