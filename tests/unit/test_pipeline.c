/*
 * test_pipeline.c: the pipeline's own stages (decide.c, encode.c) and
 * pipeline_run() through its public interface: hysteresis and alert ids,
 * plans within budget, the what-if body parser, encoded messages that parse
 * back, and a small company run message by message (duplicates, rejects,
 * erasure, provisional records, suggestions that never raise the risk).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../pipeline/stages.h"
#include "check.h"

static void
test_hysteresis(void)
{
	struct pipeline_config	cfg;
	struct employee		e;
	struct score		s;
	struct alert_msg	m;
	char			first[ID_HEX_LEN + 1];

	pipeline_config_defaults(&cfg);	/* 0.5 / 0.4 / 0.75 */
	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "E1");
	memset(&s, 0, sizeof(s));

	s.risk = 0.3;
	CHECK(decide_alert(&cfg, &e, &s, 1000, "ev-1", 1, &m) == 0);
	s.risk = 0.6;
	CHECK(decide_alert(&cfg, &e, &s, 2000, "ev-2", 1, &m) == 1);
	CHECK(m.firing == 1 && m.critical == 0);
	CHECK_STR(m.reason, "threshold");
	CHECK_STR(m.caused_by, "ev-2");
	CHECK(strlen(m.alert_id) == ID_HEX_LEN);
	memcpy(first, m.alert_id, sizeof(first));
	s.risk = 0.45;		/* between the thresholds: the episode stays open */
	CHECK(decide_alert(&cfg, &e, &s, 3000, "ev-3", 1, &m) == 0);
	CHECK(e.flags & EMP_FIRING);
	s.risk = 0.39;
	CHECK(decide_alert(&cfg, &e, &s, 4000, "ev-4", 1, &m) == 1);
	CHECK(m.firing == 0);
	CHECK_STR(m.reason, "risk_fell");
	CHECK_STR(m.alert_id, first);	/* one id per episode */
	s.risk = 0.8;
	CHECK(decide_alert(&cfg, &e, &s, 5000, "ev-5", 1, &m) == 1);
	CHECK(m.firing == 1 && m.critical == 1);
	CHECK(strcmp(m.alert_id, first) != 0);
	CHECK(decide_exit(&cfg, &e, 6000, "ev-6", 1, &m) == 1);
	CHECK_STR(m.reason, "exited");
	CHECK(decide_exit(&cfg, &e, 7000, "ev-7", 1, &m) == 0);	/* nothing open */
	CHECK(e.episode == 2);
}

static void
test_ids(void)
{
	char a[ID_HEX_LEN + 1], b[ID_HEX_LEN + 1];

	decide_make_id(a, "E1", "ev-1", "5");
	decide_make_id(b, "E1", "ev-1", "5");
	CHECK_STR(a, b);
	decide_make_id(b, "E1", "ev-15", "");	/* parts are separated */
	CHECK(strcmp(a, b) != 0);
	decide_make_id(b, "E2", "ev-1", "5");
	CHECK(strcmp(a, b) != 0);
	for (size_t i = 0; i < ID_HEX_LEN; i++)
		CHECK(strchr("0123456789abcdef", a[i]) != NULL);
}

static void
test_plan(void)
{
	struct allocation cand[5], out[5];
	double spend, retained;
	const double cost[5] = { 3000, 500, 2000, 800, 10000 };
	const double value[5] = { 1e-4, 5e-4, 2e-4, 1e-5, 9e-4 };
	int n;

	memset(cand, 0, sizeof(cand));
	for (int i = 0; i < 5; i++) {
		cand[i].action.cost = cost[i];
		cand[i].action.value = value[i];
		cand[i].risk_before = 0.6;
		cand[i].action.risk_after = 0.5;
	}
	n = decide_plan(4000, cand, 5, out, &spend, &retained);
	/* by value: 10000 (does not fit), 500, 2000, 3000 (does not fit), 800 */
	CHECK(n == 3);
	CHECK_NEAR(out[0].action.cost, 500, 0);
	CHECK_NEAR(out[1].action.cost, 2000, 0);
	CHECK_NEAR(out[2].action.cost, 800, 0);
	CHECK_NEAR(spend, 3300, 1e-9);
	CHECK(spend <= 4000);
	CHECK_NEAR(retained, 0.3, 1e-12);
	CHECK(decide_plan(100, cand, 5, out, &spend, &retained) == 0);
}

static int
parse(const char *body, struct action *a, int max, char *err)
{
	return whatif_parse_actions(body, strlen(body), a, max, err, 128);
}

static void
test_parse_actions(void)
{
	struct action a[4];
	char err[128];
	const char *ok = "{\"actions\":[{\"action\":\"incentive\",\"amount\":3000},"
	    "{\"action\":\"promotion\",\"amount\":1}]}";

	CHECK(whatif_parse_actions(ok, strlen(ok), a, 4, err, sizeof(err)) == 2);
	CHECK(a[0].kind == ACT_INCENTIVE && a[0].amount == 3000);
	CHECK(a[1].kind == ACT_PROMOTION);
	CHECK(parse("[{\"action\":\"care\",\"amount\":2}]", a, 4, err) == 1);
	CHECK(parse("[{\"action\":\"bribe\",\"amount\":2}]", a, 4, err) == -1);
	CHECK(strstr(err, "action") != NULL);
	CHECK(parse("[{\"action\":\"care\",\"amount\":-2}]", a, 4, err) == -1);
	CHECK(parse("[{\"action\":\"care\"}]", a, 4, err) == -1);
	CHECK(parse("{\"actions\":5}", a, 4, err) == -1);
	CHECK(parse("not json", a, 4, err) == -1);
	CHECK(parse("[{\"action\":\"care\",\"amount\":1},"
	    "{\"action\":\"care\",\"amount\":1}]", a, 1, err) == -1);
}

static void
test_encode_alert(void)
{
	struct alert_msg m;
	json_t *j;
	char *s;

	memset(&m, 0, sizeof(m));
	snprintf(m.alert_id, sizeof(m.alert_id), "%032d", 7);
	m.employee_id = "E\"1";
	m.firing = 1;
	m.reason = "threshold";
	m.score.risk = 0.625;
	m.score.expected_tenure_days = 410.4;
	m.score.ndrivers = 1;
	m.score.drivers[0].feature = "months_since_raise";
	m.score.drivers[0].contribution = 0.41;
	m.horizon_days = 180;
	m.event_time_ms = 1772323200000LL;	/* 2026-03-01 */
	m.caused_by = "clock";
	m.model_version = 17;
	CHECK((s = encode_alert(&m)) != NULL);
	CHECK((j = json_loads(s, 0, NULL)) != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "employee_id")), "E\"1");
	CHECK_STR(json_string_value(json_object_get(j, "status")), "firing");
	CHECK_STR(json_string_value(json_object_get(j, "severity")), "warning");
	CHECK_STR(json_string_value(json_object_get(j, "event_time")), "2026-03-01T00:00:00Z");
	CHECK_NEAR(json_number_value(json_object_get(j, "risk")), 0.625, 1e-9);
	CHECK_NEAR(json_number_value(json_object_get(j, "expected_tenure_days")), 410, 0);
	CHECK(json_array_size(json_object_get(j, "drivers")) == 1);
	CHECK(json_integer_value(json_object_get(j, "model_version")) == 17);
	json_decref(j);
	free(s);
}

/* ---- pipeline_run through its public interface ---------------------- */

struct sink {
	int	n[OUT__COUNT];
	char	last_error[ERRBUF_MAX];
	int	suggestions_checked, bad_suggestions;
	int	tombstones;		/* records without a value, by key E40 */
};

static int
collect(void *arg, const struct output *o)
{
	struct sink *k = arg;
	json_t *j, *acts, *a;
	size_t i;

	if (o->value == NULL) {
		k->tombstones += o->kind != OUT_ESTIMATES && o->kind != OUT_DLQ &&
		    strcmp(o->key, "E40") == 0;
		return 0;
	}
	k->n[o->kind]++;
	if (o->kind == OUT_DLQ)
		snprintf(k->last_error, sizeof(k->last_error), "%s", o->error);
	if (o->kind == OUT_SUGGESTION && (j = json_loadb(o->value, o->len, 0, NULL)) != NULL) {
		const char *type = json_string_value(json_object_get(j, "type"));
		double before = json_number_value(json_object_get(j, "risk_before"));

		if (type != NULL && strcmp(type, "suggestion") == 0) {
			acts = json_object_get(j, "actions");
			json_array_foreach(acts, i, a) {
				k->suggestions_checked++;
				if (json_number_value(json_object_get(a, "risk_after")) >
				    before + 1e-12 ||
				    json_number_value(json_object_get(a, "cost")) <= 0)
					k->bad_suggestions++;
			}
		}
		json_decref(j);
	}
	return 0;
}

static enum pipeline_result
feed(struct pipeline *p, struct sink *k, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum pipeline_result
feed(struct pipeline *p, struct sink *k, const char *key, const char *fmt, ...)
{
	static long offset;
	struct message m;
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memset(&m, 0, sizeof(m));
	m.key = key;
	m.keylen = key ? strlen(key) : 0;
	m.value = buf;
	m.len = strlen(buf);
	m.topic = "hr.events";
	m.offset = offset++;
	return pipeline_run(p, &m, collect, k);
}

#define EV "{\"specversion\":\"1.0\",\"id\":\"%s-%d\",\"source\":\"t\",\"type\":\"%s\"," \
	"\"subject\":\"%s\",\"time\":\"%s\",\"data\":%s}"

static void
test_company(void)
{
	struct pipeline_config	 cfg;
	struct pipeline_stats	 st;
	struct pipeline		*p;
	struct sink		 k;
	char			 err[256], id[16], when[32], *js;
	int			 seq = 0;

	pipeline_config_defaults(&cfg);
	cfg.alert_min_exits = 5;
	cfg.threshold = 0.2;
	cfg.clear_threshold = 0.1;
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	memset(&k, 0, sizeof(k));

	/* 60 hires; low satisfaction ones leave within months. */
	for (int i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "E%d", i);
		CHECK(feed(p, &k, id, EV, "h", seq++, "hr.employee.hired", id,
		    "2025-01-01T00:00:00Z", "{\"department\":\"Ops\",\"job_level\":2,"
		    "\"salary\":50000,\"attributes\":{\"gender\":\"f\"}}") == PIPE_OK);
	}
	for (int i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "E%d", i);
		CHECK(feed(p, &k, id, EV "%s", "s", seq++, "hr.survey.submitted", id,
		    "2025-02-01T00:00:00Z", i < 30 ? "{\"satisfaction\":20}" :
		    "{\"satisfaction\":85}", "") == PIPE_OK);
	}
	for (int i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "E%d", i);
		snprintf(when, sizeof(when), "2025-%02d-15T00:00:00Z", 3 + i / 4);
		CHECK(feed(p, &k, id, EV, "x", seq++, "hr.employee.exited", id, when,
		    "{\"voluntary\":true}") == PIPE_OK);
	}
	/* a month later everybody still there is rescored by the clock */
	CHECK(feed(p, &k, "E59", EV, "s", seq++, "hr.survey.submitted", "E59",
	    "2025-09-01T00:00:00Z", "{\"satisfaction\":85}") == PIPE_OK);
	CHECK(k.n[OUT_ALERT] > 0);
	CHECK(k.suggestions_checked > 0);
	CHECK(k.bad_suggestions == 0);

	/* the same source+id again: applied once */
	CHECK(feed(p, &k, "E59", EV, "s", seq - 1, "hr.survey.submitted", "E59",
	    "2025-09-01T00:00:00Z", "{\"satisfaction\":85}") == PIPE_DUPLICATE);
	/* rejected with a reason, counted */
	CHECK(feed(p, &k, "E58", EV, "r", seq++, "hr.review.completed", "E58",
	    "2025-09-02T00:00:00Z", "{\"rating\":9}") == PIPE_REJECTED);
	CHECK(k.n[OUT_DLQ] == 1 && strstr(k.last_error, "rating") != NULL);
	CHECK(feed(p, &k, "E57", EV, "r", seq++, "hr.review.completed", "E58",
	    "2025-09-02T00:00:00Z", "{\"rating\":3}") == PIPE_REJECTED);
	/* provisional, then erased everywhere */
	CHECK(feed(p, &k, "N1", EV, "s", seq++, "hr.survey.submitted", "N1",
	    "2025-09-03T00:00:00Z", "{\"satisfaction\":50}") == PIPE_OK);
	CHECK((js = pipeline_employee_json(p, "E40")) != NULL);
	free(js);
	CHECK(feed(p, &k, "E40", "{\"specversion\":\"1.0\",\"id\":\"z\",\"source\":\"t\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"E40\","
	    "\"time\":\"2025-09-04T00:00:00Z\"}") == PIPE_OK);
	CHECK(pipeline_employee_json(p, "E40") == NULL);

	pipeline_stats(p, &st);
	CHECK(st.duplicates == 1);
	CHECK(st.rejected == 2);
	CHECK(st.provisional_created == 1);
	CHECK(st.erasures == 1);
	CHECK(st.events_by_type[EV_HIRED] == 60);
	CHECK(st.employees == 60);		/* 60 + N1 - E40 */
	CHECK(st.employees_active == 40);	/* minus the 20 who left */
	CHECK(st.alerts_firing >= st.alerts_resolved);
	CHECK(st.outputs[OUT_ALERT] == (uint64_t)k.n[OUT_ALERT]);
	/* the erasure deleted E40's key from the alerts and suggestions */
	CHECK(k.tombstones == 2 && st.tombstones == 2);
	CHECK(pipeline_publish_estimates(p, collect, &k) == 0);
	CHECK(k.n[OUT_ESTIMATES] >= 1);
	pipeline_free(p);
}

int
main(void)
{
	pipeline_global_init();
	test_hysteresis();
	test_ids();
	test_plan();
	test_parse_actions();
	test_encode_alert();
	test_company();
	return check_exit("test_pipeline");
}
