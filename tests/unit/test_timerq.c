/*
 * test_timerq.c: state/timerq.c, the rescoring timers. Against a plain
 * reference (an array searched for its minimum) under random sets,
 * requeues, removals and pops: the same records pop in the same order,
 * ties in the same minute by (hash of the id, id) whatever the insertion
 * order; due times round up to the minute and never fire early; a record
 * knows its heap position. Also window_next_change(), which the timers
 * are computed from, and in the pipeline: timers fire at their own times
 * whatever other events come, and the epoch's rescoring of a shard comes
 * after the event that crosses the boundary (an exit at that instant keeps
 * its own exposure). A queue restored from a table at once pops as one
 * filled record by record, also after lazily postponed timers.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../pipeline/stages.h"
#include "../../state/table.h"
#include "check.h"

#define N	300

static struct table *tab;	/* the records queued, in a table */
static struct employee *recs[N];
static char ids[N][16];
static int64_t ref_due[N];	/* minute * 60000, -1 not queued */

static unsigned long long rng = 7;

static unsigned
rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng >> 33) % n);
}

static uint32_t
tie_of(const struct employee *e)
{
	return (uint32_t)table_hash_mix(table_hash_bytes(TABLE_HASH_INIT, e->id,
	    strlen(e->id)));
}

/* The reference's first record due at or before until, -1 if none. */
static int
ref_first(int64_t until)
{
	int best = -1;

	for (int i = 0; i < N; i++) {
		if (ref_due[i] < 0 || ref_due[i] > until)
			continue;
		if (best < 0 || ref_due[i] < ref_due[best] ||
		    (ref_due[i] == ref_due[best] && (tie_of(recs[i]) < tie_of(recs[best]) ||
		    (tie_of(recs[i]) == tie_of(recs[best]) &&
		    strcmp(recs[i]->id, recs[best]->id) < 0))))
			best = i;
	}
	return best;
}

/* N fresh records in a new table, ids PREFIX0000.., none queued in the
 * reference. */
static void
reset_recs(const char *prefix)
{
	int created;

	table_free(tab);
	tab = table_new();
	CHECK(tab != NULL);
	if (tab == NULL)
		exit(1);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "%s%04d", prefix, i);
		recs[i] = table_put(tab, ids[i], &created);
		CHECK(recs[i] != NULL);
		if (recs[i] == NULL)
			exit(1);
		ref_due[i] = -1;
	}
}

/* Which of recs[] e is. */
static int
idx_of(const struct employee *e)
{
	for (int i = 0; i < N; i++)
		if (recs[i] == e)
			return i;
	return -1;
}

static void
test_against_reference(int64_t t0)
{
	struct timerq *q;
	struct employee *e;
	int64_t due, until;
	size_t queued = 0;
	int i, bad_order = 0, bad_pos = 0;

	reset_recs("E");
	q = timerq_new(tab);
	CHECK(q != NULL);
	if (q == NULL)
		return;
	for (int step = 0; step < 20000; step++) {
		i = (int)rnd(N);
		switch (rnd(4)) {
		case 0:
		case 1:	/* (re)queue, with many ties within few minutes */
			due = t0 + (int64_t)rnd(40) * 60000 - (int64_t)rnd(60000);
			CHECK(timerq_set(q, recs[i], due) == 0);
			queued += ref_due[i] < 0;
			ref_due[i] = (int64_t)timerq_minute(due) * 60000;
			CHECK(ref_due[i] >= due && ref_due[i] - due < 60000);
			break;
		case 2:
			timerq_remove(q, recs[i]);
			queued -= ref_due[i] >= 0;
			ref_due[i] = -1;
			CHECK(recs[i]->timer_pos == 0 && recs[i]->due_min == 0);
			break;
		default:
			until = t0 + (int64_t)rnd(40) * 60000 - 30000;
			e = timerq_pop(q, until, &due);
			i = ref_first(until);
			if ((e == NULL) != (i < 0) || (e != NULL && e != recs[i]))
				bad_order++;
			if (e != NULL) {
				if (due != ref_due[idx_of(e)] || due > until)
					bad_order++;
				ref_due[idx_of(e)] = -1;
				queued--;
				CHECK(e->timer_pos == 0);
			}
			break;
		}
		CHECK(timerq_count(q) == queued);
	}
	for (i = 0; i < N; i++)
		if ((ref_due[i] >= 0) != (recs[i]->timer_pos != 0) ||
		    (ref_due[i] >= 0 && (int64_t)recs[i]->due_min * 60000 != ref_due[i]))
			bad_pos++;
	CHECK(bad_order == 0);
	CHECK(bad_pos == 0);
	/* drain: non-decreasing due times */
	for (int64_t last = INT64_MIN; (e = timerq_pop(q, INT64_MAX, &due)) != NULL; last = due)
		CHECK(due >= last);
	CHECK(timerq_count(q) == 0 && timerq_next_ms(q) == INT64_MAX);
	timerq_free(q);
}

/* Lazy postponing: dues mostly moved later (a far record's refresh), at
 * times earlier, over a wide range of minutes, with pops in between: the
 * pop order is the reference's, entry for entry. A record moved later
 * keeps its heap position (the move is lazy), and a postponed first
 * entry is neither popped nor reported at its old time. */
static void
test_lazy_later(int64_t t0)
{
	struct timerq *q;
	struct employee *e;
	int64_t due, until = t0, d;
	size_t queued = 0;
	int i, bad_order = 0, moved = 0, kept_pos = 0, pops = 0, later = 0;

	reset_recs("L");
	q = timerq_new(tab);
	CHECK(q != NULL);
	if (q == NULL)
		return;
	for (int step = 0; step < 30000; step++) {
		i = (int)rnd(N);
		if (rnd(3) != 0) {	/* set: later mostly, earlier at times */
			uint32_t pos = recs[i]->timer_pos;
			int64_t old = ref_due[i];

			d = rnd(8) == 0 ? -(int64_t)rnd(2000) : (int64_t)rnd(3000);
			due = (old >= 0 ? old : until) + d * 60000 - (int64_t)rnd(60000);
			if (due < until)
				due = until;	/* never in the clock's past */
			CHECK(timerq_set(q, recs[i], due) == 0);
			queued += old < 0;
			ref_due[i] = (int64_t)timerq_minute(due) * 60000;
			/* a far entry (timerq.c) is moved at once */
			later += old >= 0 && ref_due[i] >= old;
			if (old >= 0 && ref_due[i] >= old &&
			    old < ((1LL << 27) - 1) * 60000) {
				moved++;
				kept_pos += recs[i]->timer_pos == pos;
			}
			continue;
		}
		until += (int64_t)rnd(30) * 60000;
		while ((e = timerq_pop(q, until, &due)) != NULL) {
			int r = ref_first(until);

			if (r < 0 || e != recs[r] || due != ref_due[r])
				bad_order++;
			ref_due[idx_of(e)] = -1;
			queued--;
			pops++;
		}
		if (ref_first(until) >= 0)
			bad_order++;	/* one is due that was not popped */
	}
	CHECK(bad_order == 0);
	printf("lazy: %d moved later (%d near), %d kept position, %d popped\n",
	    later, moved, kept_pos, pops);
	CHECK(later > 5000 && moved > 1000 && kept_pos == moved && pops > 1000);
	CHECK(timerq_count(q) == queued);
	/* drain: the rest in the reference's order */
	while ((i = ref_first(INT64_MAX)) >= 0) {
		e = timerq_pop(q, INT64_MAX, &due);
		CHECK(e == recs[i] && due == ref_due[i]);
		ref_due[i] = -1;
	}
	CHECK(timerq_pop(q, INT64_MAX, &due) == NULL && timerq_count(q) == 0);
	/* a postponed first entry: not reported or popped at its old time */
	CHECK(timerq_set(q, recs[0], t0) == 0 && timerq_set(q, recs[1], t0 + 5 * 60000) == 0);
	CHECK(timerq_set(q, recs[0], t0 + 10 * 60000) == 0);
	CHECK(timerq_next_ms(q) == t0 + 5 * 60000);
	CHECK(timerq_pop(q, t0 + 9 * 60000, &due) == recs[1] && due == t0 + 5 * 60000);
	CHECK(timerq_pop(q, t0 + 9 * 60000, &due) == NULL);
	CHECK(timerq_next_ms(q) == t0 + 10 * 60000 && recs[0]->due_min * 60000LL == t0 + 10 * 60000);
	timerq_remove(q, recs[0]);
	CHECK(timerq_count(q) == 0 && timerq_next_ms(q) == INT64_MAX);
	timerq_free(q);
}

/* The same minute, two insertion orders: the same pop order. */
static void
test_ties(void)
{
	struct table *ta = table_new(), *tb = table_new();
	struct timerq *a = timerq_new(ta), *b = timerq_new(tb);
	struct employee *x, *y, loose;
	int64_t t = 1735689600000LL, d1, d2;
	int same = 1, created;

	CHECK(ta && tb && a && b);
	if (!ta || !tb || !a || !b)
		return;
	for (int i = 0; i < 50; i++)	/* b's table in the other order */
		snprintf(ids[i], sizeof(ids[i]), "tie-%d", i);
	for (int i = 0; i < 50; i++) {
		CHECK((x = table_put(ta, ids[i], &created)) != NULL);
		CHECK(x != NULL && timerq_set(a, x, t) == 0);
	}
	for (int i = 0; i < 50; i++) {
		CHECK((y = table_put(tb, ids[49 - i], &created)) != NULL);
		/* same minute: t + 1 ms rounds up */
		CHECK(y != NULL && timerq_set(b, y, t + 1) == 0);
	}
	/* a record that is not the queue's table's is refused */
	memset(&loose, 0, sizeof(loose));
	loose.id = ids[3];
	CHECK(timerq_set(a, &loose, t) == -1 && loose.timer_pos == 0);
	CHECK(table_index(ta, &loose, NULL) == UINT32_MAX);
	CHECK(table_record(ta, table_index(ta, table_get(ta, ids[7]), NULL)) ==
	    table_get(ta, ids[7]));
	CHECK(table_index(tb, table_get(tb, ids[49]), NULL) == 0);
	CHECK(timerq_next_ms(a) == t && timerq_next_ms(b) == t + 60000);
	CHECK(timerq_pop(b, t + 59999, &d2) == NULL);	/* never early */
	while ((x = timerq_pop(a, INT64_MAX, &d1)) != NULL) {
		y = timerq_pop(b, INT64_MAX, &d2);
		if (y == NULL || strcmp(x->id, y->id) != 0)
			same = 0;
	}
	CHECK(same);
	CHECK(timerq_count(b) == 0);
	/* removing what is not queued is harmless */
	timerq_remove(a, table_get(ta, ids[0]));
	CHECK(timerq_count(a) == 0);
	timerq_free(a);
	timerq_free(b);
	table_free(ta);
	table_free(tb);
	timerq_free(NULL);
	CHECK(timerq_minute(-5) == 0 && timerq_minute(0) == 0 && timerq_minute(1) == 1 &&
	    timerq_minute(60000) == 1 && timerq_minute(60001) == 2);
}

/* timerq_restore() (a checkpoint's timers coming back): the heap built
 * at once from a table's due minutes pops as the timerq_set() of each
 * record does, ties included, and its positions let records be removed
 * and requeued as usual; a queue that is not empty is refused. Two
 * tables of the same records: one queued record by record (a third then
 * postponed), one restored. */
static void
test_restore(void)
{
	struct table *t[2] = { table_new(), table_new() };
	struct timerq *q[2] = { timerq_new(t[0]), timerq_new(t[1]) };
	struct employee *e, *x, *y;
	char id[32];
	size_t it = 0;
	int64_t dx, dy, base = 28000000LL * 60000;
	int created, n = 0, same = 1, popped = 0;

	CHECK(t[0] && t[1] && q[0] && q[1]);
	if (!t[0] || !t[1] || !q[0] || !q[1])
		return;
	for (int i = 0; i < 2000; i++) {
		/* few distinct minutes (ties by hash and id), a tenth unqueued */
		uint32_t due = rnd(10) == 0 ? 0 : (uint32_t)(base / 60000 + rnd(40));

		snprintf(id, sizeof(id), "R-%d", i);
		for (int k = 0; k < 2; k++)
			if ((e = table_put(t[k], id, &created)) != NULL)
				e->due_min = due;
	}
	while ((e = table_next(t[0], &it)) != NULL)
		if (e->due_min != 0) {
			CHECK(timerq_set(q[0], e, (int64_t)e->due_min * 60000) == 0);
			n++;
		}
	/* a third moved later in q[0] (lazily: their entries keep the old
	 * minute) and in t[1]'s records alike: restored from the real dues,
	 * the same order */
	it = 0;
	while ((e = table_next(t[0], &it)) != NULL)
		if (e->due_min != 0 && rnd(3) == 0) {
			uint32_t later = e->due_min + 1 + rnd(50);

			CHECK(timerq_set(q[0], e, (int64_t)later * 60000) == 0);
			table_get(t[1], e->id)->due_min = later;
		}
	CHECK(timerq_restore(q[1]) == 0 && (int)timerq_count(q[1]) == n);
	CHECK(timerq_restore(q[1]) == -1);	/* not empty */
	for (int k = 0; k < 2; k++) {			/* positions hold */
		timerq_remove(q[k], table_get(t[k], "R-7"));
		CHECK(timerq_set(q[k], table_get(t[k], "R-8"), base + 90 * 60000) == 0);
	}
	CHECK(table_get(t[1], "R-7")->timer_pos == 0);
	n = (int)timerq_count(q[0]);
	CHECK((int)timerq_count(q[1]) == n);
	for (;;) {
		x = timerq_pop(q[0], INT64_MAX, &dx);
		y = timerq_pop(q[1], INT64_MAX, &dy);
		if (x == NULL || y == NULL) {
			same &= x == y;
			break;
		}
		same &= strcmp(x->id, y->id) == 0 && dx == dy;
		popped++;
	}
	CHECK(same && popped == n && popped > 1000);
	for (int k = 0; k < 2; k++) {
		timerq_free(q[k]);
		table_free(t[k]);
	}
}

static void
test_window_next_change(void)
{
	struct window w;
	struct tally c;
	const int64_t M = WINDOW_MONTH_MS, m0 = 660 * M;

	memset(&w, 0, sizeof(w));
	memset(&c, 0, sizeof(c));
	CHECK(window_next_change(&w, m0) == INT64_MAX);
	window_add(&w, m0 + 10 * MS_PER_DAY, 3);
	window_add(&w, m0 + 2 * M + MS_PER_DAY, 1);
	/* the first entry leaves at month 12, the second at month 14 */
	CHECK(window_next_change(&w, m0 + 3 * M) == m0 + 12 * M);
	CHECK(window_next_change(&w, m0 + 12 * M) == m0 + 14 * M);
	/* an entry of a later month enters at its month's start */
	CHECK(window_next_change(&w, m0 - 5 * M) == m0);
	CHECK(window_next_change(&w, m0 + M) == m0 + 2 * M);
	/* at the change the window's sum differs from just before it */
	CHECK(window_sum(&w, m0 + 12 * M - 1) != window_sum(&w, m0 + 12 * M));
	window_add(&c, m0 + 5 * M, 1);
	CHECK(window_next_change(&c, m0 + 5 * M) == m0 + 17 * M);
	CHECK(window_next_change(&c, m0 + 17 * M) == INT64_MAX);
}

static int
drop(void *arg, const struct output *o)
{
	(void)arg;
	(void)o;
	return 0;
}

static void
run_event(struct pipeline *p, const char *type, const char *who, int seq,
    const char *when, const char *data)
{
	struct message m;
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\",\"id\":\"%s-%d\","
	    "\"source\":\"t\",\"type\":\"%s\",\"subject\":\"%s\",\"time\":\"%s\","
	    "\"data\":%s}", who, seq, type, who, when, data);
	memset(&m, 0, sizeof(m));
	m.key = who;
	m.keylen = strlen(who);
	m.value = buf;
	m.len = strlen(buf);
	m.topic = "hr.events";
	CHECK(pipeline_run_all(p, &m, drop, NULL) == PIPE_OK);
}

/* scored_ms of id (by pipeline_each, the page's iteration), -1 if absent. */
static int64_t
scored_at(struct pipeline *p, const char *id)
{
	struct employee *e;
	size_t sh = 0, it = 0;

	while ((e = pipeline_each(p, &sh, &it)) != NULL)
		if (strcmp(e->id, id) == 0)
			return emp_ms(e->scored_s);
	return -1;
}

/* In the pipeline: with year-long epochs and a 3-day refresh, an employee
 * without events of their own is rescored by their timers at their own
 * times (day 3, 6, 9 before an event of day 10 of someone else), not at
 * whichever event happens to move the clock: an extra event of a third
 * employee in between changes nothing about it. */
static void
test_pipeline_timers(int extra)
{
	static const char hire[] = "{\"department\":\"Ops\",\"job_level\":2,"
	    "\"salary\":50000}";
	struct pipeline_config cfg;
	struct pipeline *p;
	char err[256];
	const int64_t t0 = 1735689600000LL;	/* 2025-01-01 */

	pipeline_config_defaults(&cfg);
	cfg.epoch_hours = 24 * 365;
	cfg.rescore_interval_hours = 72;
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	run_event(p, "hr.employee.hired", "E1", 0, "2025-01-01T00:00:00Z", hire);
	run_event(p, "hr.employee.hired", "E2", 0, "2025-01-01T00:00:00Z", hire);
	CHECK(scored_at(p, "E1") == t0);
	if (extra)
		run_event(p, "hr.employee.hired", "E3", 0, "2025-01-05T07:00:00Z", hire);
	run_event(p, "hr.survey.submitted", "E2", 1, "2025-01-11T00:00:00Z",
	    "{\"satisfaction\":60}");
	CHECK(scored_at(p, "E1") == t0 + 9 * MS_PER_DAY);
	CHECK(scored_at(p, "E2") == t0 + 10 * MS_PER_DAY);
	if (extra)	/* hired on day 4 + 7 h: due on day 7 + 7 h */
		CHECK(scored_at(p, "E3") == t0 + 7 * MS_PER_DAY + 7 * 3600000);
	pipeline_free(p);
}

/*
 * The epoch's rescoring of a shard comes after its first event at or after
 * the boundary, not before: an exit at the boundary's very instant (HR
 * times are often midnights) must close its own exposure interval with
 * d = 1. Scored first, the interval would be closed a moment earlier by a
 * censoring score and the exit left as a zero-length piece with the
 * covariates at its end, the largest months-since-raise of anyone: in this
 * company the fit then put 16 on that coefficient (ridge-limited
 * separation), where it is under 1 otherwise.
 */
static void
test_boundary_exit(void)
{
	static const char hire[] = "{\"department\":\"Ops\",\"job_level\":2,"
	    "\"salary\":40000}";
	struct pipeline_config cfg;
	struct pipeline *p;
	json_t *j, *coef, *v;
	const char *k;
	char err[256], id[16], when[32], *js;
	double worst = 0;

	pipeline_config_defaults(&cfg);
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "B%d", i);
		snprintf(when, sizeof(when), "2024-01-0%dT00:00:00Z", 1 + i % 5);
		run_event(p, "hr.employee.hired", id, 0, when, hire);
	}
	run_event(p, "hr.employee.exited", "B0", 1, "2024-03-05T00:00:00Z",
	    "{\"voluntary\":true}");
	run_event(p, "hr.survey.submitted", "B9", 1, "2024-03-20T00:00:00Z",
	    "{\"satisfaction\":50}");	/* its boundary fits with B0's exit */
	js = pipeline_model_json(p);
	j = js != NULL ? json_loads(js, 0, NULL) : NULL;
	coef = json_object_get(json_object_get(j, "hazard"), "coefficients");
	CHECK(json_integer_value(json_object_get(json_object_get(j, "hazard"), "exits")) == 1);
	CHECK(json_object_size(coef) > 0);
	json_object_foreach(coef, k, v)
		if (fabs(json_number_value(v)) > worst)
			worst = fabs(json_number_value(v));
	printf("largest hazard coefficient after a boundary exit: %.3f\n", worst);
	CHECK(worst < 3);
	json_decref(j);
	free(js);
	pipeline_free(p);
}

int
main(void)
{
	test_against_reference(1735689600000LL);
	test_lazy_later(1735689600000LL);
	/* about the last minute of the key's field (timerq.c): far timers
	 * and near ones, moved across it both ways, in the same order */
	test_against_reference(((1LL << 27) - 20) * 60000);
	test_lazy_later(((1LL << 27) - 50000) * 60000);
	/* and the last minute of all (saturated) */
	test_against_reference(((int64_t)UINT32_MAX - 40) * 60000);
	test_ties();
	test_restore();
	test_window_next_change();
	pipeline_global_init();
	test_pipeline_timers(0);
	test_pipeline_timers(1);
	test_boundary_exit();
	return check_exit("test_timerq");
}
