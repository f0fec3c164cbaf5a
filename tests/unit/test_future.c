/*
 * test_future.c: time that cannot be poisoned (DESIGN.md). With the wall
 * clock given to every message: a survey dated 2099-12-31 goes to the DLQ
 * and changes no other output (without the wall clock it switches the
 * alerts off: the test can see the difference); a raise dated next month
 * is held, leaves the record and the clock alone, and is applied once the
 * shard's clock reaches its time; max_held bounds what is held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../pipeline/pipeline.h"
#include "../../state/serial.h"
#include "check.h"

#define PEOPLE	80
#define DAY_S	86400LL
#define T0	1735689600LL		/* 2025-01-01 */
#define WALL	(T0 + 400 * DAY_S)	/* "now" for the company below */

struct outs {
	int	firing, dlq, total;
	char	last_error[ERRBUF_MAX];
	char	*text;			/* every non-DLQ output, in order */
	size_t	len;
};

static int
collect(void *arg, const struct output *o)
{
	struct outs *k = arg;

	k->total++;
	if (o->kind == OUT_DLQ) {
		k->dlq++;
		snprintf(k->last_error, sizeof(k->last_error), "%s", o->error);
		return 0;
	}
	if (o->kind == OUT_ALERT && strstr(o->value, "\"firing\"") != NULL)
		k->firing++;
	k->text = realloc(k->text, k->len + o->keylen + o->len + 3);
	memcpy(k->text + k->len, o->key, o->keylen);
	k->len += o->keylen;
	k->text[k->len++] = ' ';
	memcpy(k->text + k->len, o->value, o->len);
	k->len += o->len;
	k->text[k->len++] = '\n';
	k->text[k->len] = '\0';
	return 0;
}

static void
when(long long t_s, char out[32])
{
	time_t t = (time_t)t_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static enum pipeline_result
feed(struct pipeline *p, struct outs *k, int64_t wall_ms, const char *type,
    const char *who, const char *at, const char *data)
{
	struct message m;
	char buf[1024];

	/* ids from the content: runs with and without an extra event agree */
	snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\",\"id\":\"%s-%s-%s\","
	    "\"source\":\"t\",\"type\":\"%s\",\"subject\":\"%s\",\"time\":\"%s\","
	    "\"data\":%s}", who, at, type + 3, type, who, at, data);
	memset(&m, 0, sizeof(m));
	m.value = buf;
	m.len = strlen(buf);
	m.topic = "hr.events";
	m.partition = 0;
	m.offset = 0;
	m.wall_ms = wall_ms;
	return pipeline_run_all(p, &m, collect, k);
}

static struct pipeline *
new_pipeline(size_t max_held)
{
	struct pipeline_config cfg;
	char err[256];
	struct pipeline *p;

	pipeline_config_defaults(&cfg);
	cfg.threshold = 0.08;
	cfg.clear_threshold = 0.05;
	cfg.warmup_max_se = 0;	/* the alert policy: test_decide.c */
	cfg.confidence_z = 0;
	cfg.max_held = max_held;
	p = pipeline_new(&cfg, err, sizeof(err));
	CHECK(p != NULL);
	return p;
}

/* A small company over a year, the poisoned survey (if any) in the middle. */
static void
company(struct pipeline *p, struct outs *k, int64_t wall_ms, int poison)
{
	char at[32], data[256], who[16];
	int i, d, gone[PEOPLE] = { 0 };

	for (i = 0; i < PEOPLE; i++) {
		snprintf(who, sizeof(who), "P%02d", i);
		when(T0 + i * 3600, at);
		snprintf(data, sizeof(data), "{\"department\":\"Ops\",\"job_level\":2,"
		    "\"salary\":%d}", 40000 + 100 * i);
		feed(p, k, wall_ms, "hr.employee.hired", who, at, data);
	}
	for (d = 10; d < 360; d += 10) {
		for (i = 0; i < PEOPLE; i++) {
			snprintf(who, sizeof(who), "P%02d", i);
			when(T0 + d * DAY_S + i * 60, at);
			if (gone[i])
				continue;
			if (i % 9 == d % 9 && d > 60 && i < PEOPLE / 2) {
				feed(p, k, wall_ms, "hr.employee.exited", who, at,
				    "{\"voluntary\":true}");
				gone[i] = 1;
				continue;
			}
			snprintf(data, sizeof(data), "{\"satisfaction\":%d}",
			    i < PEOPLE / 2 ? 15 + (i * 7 + d) % 20 : 60 + (i + d) % 30);
			feed(p, k, wall_ms, "hr.survey.submitted", who, at, data);
		}
		if (poison && d == 100)
			feed(p, k, wall_ms, "hr.survey.submitted", "P77",
			    "2099-12-31T00:00:00Z", "{\"satisfaction\":50}");
	}
}

static void
test_poison(void)
{
	struct outs a = { 0 }, b = { 0 }, c = { 0 };
	struct pipeline *pa = new_pipeline(100), *pb = new_pipeline(100),
	    *pc = new_pipeline(100);
	struct pipeline_stats st;

	company(pa, &a, WALL * 1000, 0);
	company(pb, &b, WALL * 1000, 1);
	CHECK(a.firing >= 5);
	CHECK(b.dlq == 1 && a.dlq == 0);
	CHECK(strstr(b.last_error, "future_horizon_days") != NULL);
	/* every other output the same, byte for byte */
	CHECK(b.firing == a.firing);
	CHECK(b.total == a.total + 1);
	CHECK(a.text != NULL && b.text != NULL && strcmp(a.text, b.text) == 0);
	pipeline_stats(pb, &st);
	CHECK(st.clock_ms < WALL * 1000);
	CHECK(st.rejected_by_reason[DR__COUNT + 1] == 1);
	CHECK(strcmp(pipeline_reject_reason_name(DR__COUNT + 1), "future") == 0);
	/* without the wall clock the survey moves the clock to 2099 */
	company(pc, &c, 0, 1);
	pipeline_stats(pc, &st);
	printf("firing: %d, poisoned %d, unprotected %d\n", a.firing, b.firing,
	    c.firing);
	CHECK(c.firing != a.firing || st.clock_ms > WALL * 1000);
	pipeline_free(pa);
	pipeline_free(pb);
	pipeline_free(pc);
	free(a.text);
	free(b.text);
	free(c.text);
}

/* The held raise survives a checkpoint round trip, byte for byte. */
static void
held_round_trip(const struct pipeline *p)
{
	struct wbuf e, a, b;
	struct rbuf r;
	struct pipeline *q = new_pipeline(1);
	char err[256];

	wbuf_init(&e);
	wbuf_init(&a);
	wbuf_init(&b);
	CHECK(pipeline_epoch_save(p, &e) == 0 && pipeline_shard_save(p, 0, &a) == 0);
	rbuf_init(&r, e.p, e.len);
	CHECK(pipeline_epoch_load(q, &r, err, sizeof(err)) == 0);
	rbuf_init(&r, a.p, a.len);
	CHECK(pipeline_shard_load(q, 0, &r, err, sizeof(err)) == 0);
	CHECK(pipeline_shard_save(q, 0, &b) == 0);
	CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
	CHECK(memmem(a.p, a.len, "\"amount\":5000", 13) != NULL);
	pipeline_free(q);
	wbuf_free(&e);
	wbuf_free(&a);
	wbuf_free(&b);
}

static void
test_held(void)
{
	struct outs k = { 0 };
	struct pipeline *p = new_pipeline(1);
	struct pipeline_stats st;
	int64_t wall = (T0 + 150 * DAY_S) * 1000;	/* 2025-05-31 */
	char *j;

	feed(p, &k, wall, "hr.employee.hired", "H1", "2025-01-01T00:00:00Z",
	    "{\"department\":\"Ops\",\"job_level\":2,\"salary\":50000}");
	feed(p, &k, wall, "hr.employee.hired", "H2", "2025-01-02T00:00:00Z",
	    "{\"department\":\"Ops\",\"job_level\":2,\"salary\":50000}");
	/* a raise effective next month: held */
	CHECK(feed(p, &k, wall, "hr.compensation.changed", "H1",
	    "2025-07-01T00:00:00Z", "{\"kind\":\"raise\",\"amount\":5000}") == PIPE_OK);
	pipeline_stats(p, &st);
	CHECK(st.events_held == 1 && st.held_total == 1);
	CHECK(st.events_by_type[EV_COMPENSATION] == 0);
	CHECK(st.clock_ms < wall);
	j = pipeline_employee_json(p, "H1");
	CHECK(j != NULL && strstr(j, "\"last_event\":\"2025-01-01") != NULL);
	free(j);
	held_round_trip(p);
	/* one more while one is held: over max_held, to the DLQ */
	feed(p, &k, wall, "hr.compensation.changed", "H2", "2025-08-01T00:00:00Z",
	    "{\"kind\":\"bonus\",\"amount\":500}");
	CHECK(k.dlq == 1 && strstr(k.last_error, "max_held") != NULL);
	/* the month comes: an event of the shard at or after the raise's
	 * time applies it */
	wall = (T0 + 185 * DAY_S) * 1000;
	feed(p, &k, wall, "hr.survey.submitted", "H2", "2025-07-02T00:00:00Z",
	    "{\"satisfaction\":50}");
	pipeline_stats(p, &st);
	CHECK(st.events_held == 0 && st.events_by_type[EV_COMPENSATION] == 1);
	j = pipeline_employee_json(p, "H1");
	CHECK(j != NULL && strstr(j, "\"last_event\":\"2025-07-01") != NULL);
	free(j);
	pipeline_free(p);
	free(k.text);
}

int
main(void)
{
	pipeline_global_init();
	test_poison();
	test_held();
	return check_exit("test_future");
}
