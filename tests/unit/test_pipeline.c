/*
 * test_pipeline.c: the pipeline's own stages (decide.c, encode.c) and
 * pipeline_run() through its public interface: hysteresis and alert ids,
 * plans within budget, the what-if body parser, encoded messages that parse
 * back, and a small company run message by message (duplicates, rejects,
 * erasure, provisional records, suggestions that never raise the risk),
 * the limits on state (max_employees, keep_exited_days), and outputs
 * framed plain or as CloudEvents.
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
	e.id = "E1";
	memset(&s, 0, sizeof(s));

	s.risk = 0.3;
	CHECK(decide_alert(&cfg, &e, &s, 1000, "ev-1", 1, NULL, &m) == 0);
	s.risk = 0.6;
	CHECK(decide_alert(&cfg, &e, &s, 2000, "ev-2", 1, NULL, &m) == 1);
	CHECK(m.firing == 1 && m.critical == 0);
	CHECK_STR(m.reason, "threshold");
	CHECK_STR(m.caused_by, "ev-2");
	CHECK(strlen(m.alert_id) == ID_HEX_LEN);
	memcpy(first, m.alert_id, sizeof(first));
	s.risk = 0.45;		/* between the thresholds: the episode stays open */
	CHECK(decide_alert(&cfg, &e, &s, 3000, "ev-3", 1, NULL, &m) == 0);
	CHECK(e.flags & EMP_FIRING);
	s.risk = 0.39;
	CHECK(decide_alert(&cfg, &e, &s, 4000, "ev-4", 1, NULL, &m) == 1);
	CHECK(m.firing == 0);
	CHECK_STR(m.reason, "risk_fell");
	CHECK_STR(m.alert_id, first);	/* one id per episode */
	s.risk = 0.8;
	CHECK(decide_alert(&cfg, &e, &s, 5000, "ev-5", 1, NULL, &m) == 1);
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
	CHECK(parse("{\"actions\":[{\"action\":\"care\",\"amount\":2}]}", a, 4, err) == 1);
	/* the contract's body is an object: a bare array is refused */
	CHECK(parse("[{\"action\":\"care\",\"amount\":2}]", a, 4, err) == -1);
	CHECK(strstr(err, "actions") != NULL);
	CHECK(parse("{\"actions\":[{\"action\":\"bribe\",\"amount\":2}]}", a, 4, err) == -1);
	CHECK(strstr(err, "action") != NULL);
	CHECK(parse("{\"actions\":[{\"action\":\"care\",\"amount\":-2}]}", a, 4, err) == -1);
	CHECK(parse("{\"actions\":[{\"action\":\"care\"}]}", a, 4, err) == -1);
	/* an amount over its bound is told the bound */
	CHECK(parse("{\"actions\":[{\"action\":\"incentive\",\"amount\":1e12}]}", a, 4, err) == -1);
	CHECK(strstr(err, "1000000000") != NULL);
	CHECK(parse("{\"actions\":[{\"action\":\"incentive\",\"amount\":1e9}]}", a, 4, err) == 1);
	CHECK(parse("{\"actions\":[{\"action\":\"promotion\",\"amount\":6}]}", a, 4, err) == -1);
	CHECK(strstr(err, "at most 5") != NULL);
	CHECK(parse("{\"actions\":5}", a, 4, err) == -1);
	CHECK(parse("not json", a, 4, err) == -1);
	CHECK(parse("{\"actions\":[{\"action\":\"care\",\"amount\":1},"
	    "{\"action\":\"care\",\"amount\":1}]}", a, 1, err) == -1);
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
	CHECK((s = encode_alert(&m, NULL)) != NULL);
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
	return pipeline_run_all(p, &m, collect, k);
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
	cfg.warmup_max_se = 0;	/* the alert policy: test_decide.c */
	cfg.confidence_z = 0;
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
	/* the ones who stay were promoted: months since a promotion carries
	 * information (without, it is tenure for everyone, and its effect on
	 * the fit an artefact of how the exposure was cut), so a promotion
	 * is an action that can help */
	for (int i = 30; i < 60; i++) {
		snprintf(id, sizeof(id), "E%d", i);
		CHECK(feed(p, &k, id, EV, "c", seq++, "hr.promotion.granted", id,
		    "2025-02-02T00:00:00Z", "{\"job_level\":3}") == PIPE_OK);
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

/* ---- output framing: plain and CloudEvents ---------------------------- */

struct framing {
	int	 n[OUT__COUNT], plans, resolved, bad;
	/* the estimates' ids: the first, the one before the last, the last
	 * (epoch boundaries publish some in between) */
	char	 est_id[3][ID_HEX_LEN + 1];
	int	 nest;
	json_t	*last_estimates;		/* plain mode: the last one */
};

/* The string member name of o, or "" (never NULL, for CHECK_STR). */
static const char *
str_of(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

/* Counts a failed expectation in k->bad and reports where. */
#define FRAME_CHECK(k, cond) do { \
	if (!(cond)) { \
		(k)->bad++; \
		fprintf(stderr, "%s:%d: framing: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

/* Counts o, checks its media type and returns its value parsed (new),
 * NULL when it does not parse. */
static json_t *
framed(struct framing *k, const struct output *o, const char *content_type)
{
	json_t *j;

	k->n[o->kind]++;
	FRAME_CHECK(k, o->content_type != NULL &&
	    strcmp(o->content_type, content_type) == 0);
	FRAME_CHECK(k, (j = json_loadb(o->value, o->len, 0, NULL)) != NULL);
	return j;
}

/* Emit callback for plain outputs: the payload itself, application/json. */
static int
collect_plain(void *arg, const struct output *o)
{
	struct framing *k = arg;
	json_t *j;

	if ((j = framed(k, o, "application/json")) == NULL)
		return 0;
	FRAME_CHECK(k, json_object_get(j, "specversion") == NULL);
	if (o->kind == OUT_ESTIMATES) {
		json_decref(k->last_estimates);
		k->last_estimates = j;
	} else
		json_decref(j);
	return 0;
}

/* Emit callback for CloudEvents outputs: every attribute checked against
 * the payload in `data`. */
static int
collect_ce(void *arg, const struct output *o)
{
	struct framing *k = arg;
	const char *type, *id_field = NULL, *kind;
	json_t *j, *d;

	if ((j = framed(k, o, "application/cloudevents+json")) == NULL)
		return 0;
	d = json_object_get(j, "data");
	FRAME_CHECK(k, json_is_object(d));
	FRAME_CHECK(k, strcmp(str_of(j, "specversion"), "1.0") == 0);
	FRAME_CHECK(k, strcmp(str_of(j, "source"), "/test/retention") == 0);
	FRAME_CHECK(k, strcmp(str_of(j, "datacontenttype"), "application/json") == 0);
	type = str_of(j, "type");
	kind = str_of(d, "type");
	switch (o->kind) {
	case OUT_ALERT: {
		char want[128];

		FRAME_CHECK(k, strcmp(type, "com.retentiond.attrition.alert") == 0);
		/* firing and resolved share alert_id: the status tells them apart */
		snprintf(want, sizeof(want), "%s-%s", str_of(d, "alert_id"), str_of(d, "status"));
		FRAME_CHECK(k, strcmp(str_of(j, "id"), want) == 0 && str_of(d, "alert_id")[0]);
		FRAME_CHECK(k, strcmp(str_of(j, "time"), str_of(d, "event_time")) == 0);
		if (strcmp(str_of(d, "status"), "resolved") == 0)
			k->resolved++;
		break;
	}
	case OUT_SUGGESTION:
		if (strcmp(kind, "plan") == 0) {
			k->plans++;
			FRAME_CHECK(k, strcmp(type, "com.retentiond.retention.plan") == 0);
			id_field = "plan_id";
		} else {
			FRAME_CHECK(k, strcmp(type, "com.retentiond.retention.suggestion") == 0);
			id_field = "suggestion_id";
		}
		FRAME_CHECK(k, str_of(j, "time")[0] != '\0');
		break;
	case OUT_ESTIMATES:
		FRAME_CHECK(k, strcmp(type, "com.retentiond.model.estimates") == 0);
		FRAME_CHECK(k, strlen(str_of(j, "id")) == ID_HEX_LEN);
		/* the clock before any event: no time attribute at all */
		FRAME_CHECK(k, json_is_null(json_object_get(d, "event_time")) ?
		    json_object_get(j, "time") == NULL :
		    strcmp(str_of(j, "time"), str_of(d, "event_time")) == 0);
		if (k->nest >= 2)
			memcpy(k->est_id[1], k->est_id[2], sizeof(k->est_id[1]));
		snprintf(k->est_id[k->nest == 0 ? 0 : 2], ID_HEX_LEN + 1, "%s",
		    str_of(j, "id"));
		k->nest++;
		break;
	default:
		FRAME_CHECK(k, 0);
	}
	if (id_field != NULL)
		FRAME_CHECK(k, strcmp(str_of(j, "id"), str_of(d, id_field)) == 0 &&
		    str_of(j, "id")[0] != '\0');
	/* subject: the employee where there is one */
	if (json_object_get(d, "employee_id") != NULL)
		FRAME_CHECK(k, strcmp(str_of(j, "subject"), str_of(d, "employee_id")) == 0);
	else
		FRAME_CHECK(k, json_object_get(j, "subject") == NULL);
	json_decref(j);
	return 0;
}

/* One event of test_company's kind through emit. */
static void
feed_one(struct pipeline *p, pipeline_emit_fn emit, struct framing *k,
    const char *tag, int seq, const char *type, const char *id, const char *when,
    const char *data)
{
	struct message m;
	char buf[1024];

	snprintf(buf, sizeof(buf), EV, tag, seq, type, id, when, data);
	memset(&m, 0, sizeof(m));
	m.key = id;
	m.keylen = strlen(id);
	m.value = buf;
	m.len = strlen(buf);
	CHECK(pipeline_run_all(p, &m, emit, k) == PIPE_OK);
}

/* test_company's workload in short: hires, surveys (half of them low),
 * exits of low ones over the months, then a survey in a later month. The
 * exits end the warm-up, the clock's sweeps fire alerts with suggestions
 * and each new month brings a plan. */
static void
feed_framing(struct pipeline *p, pipeline_emit_fn emit, struct framing *k)
{
	char id[16], when[32];
	int i;

	for (i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "F%d", i);
		feed_one(p, emit, k, "fh", i, "hr.employee.hired", id, "2025-01-01T00:00:00Z",
		    "{\"department\":\"Ops\",\"job_level\":2,\"salary\":50000}");
	}
	for (i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "F%d", i);
		feed_one(p, emit, k, "fs", i, "hr.survey.submitted", id, "2025-02-01T00:00:00Z",
		    i < 30 ? "{\"satisfaction\":20}" : "{\"satisfaction\":85}");
	}
	for (i = 30; i < 60; i++) {	/* as in test_company() */
		snprintf(id, sizeof(id), "F%d", i);
		feed_one(p, emit, k, "fc", i, "hr.promotion.granted", id,
		    "2025-02-02T00:00:00Z", "{\"job_level\":3}");
	}
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "F%d", i);
		snprintf(when, sizeof(when), "2025-%02d-15T00:00:00Z", 3 + i / 4);
		feed_one(p, emit, k, "fx", i, "hr.employee.exited", id, when,
		    "{\"voluntary\":true}");
	}
	feed_one(p, emit, k, "fs", 99, "hr.survey.submitted", "F59", "2025-09-01T00:00:00Z",
	    "{\"satisfaction\":85}");
}

static void
test_output_framing(void)
{
	struct pipeline_config	 cfg;
	struct pipeline		*p;
	struct framing		 k;
	char			 err[256];

	pipeline_config_defaults(&cfg);
	CHECK(cfg.output_format == OUTPUT_PLAIN);
	CHECK_STR(cfg.output_source, OUTPUT_SOURCE_DEFAULT);
	cfg.warmup_max_se = 0;	/* the alert policy: test_decide.c */
	cfg.confidence_z = 0;
	cfg.threshold = 0.2;
	cfg.clear_threshold = 0.1;

	/* plain: the estimates before any event say event_time null */
	memset(&k, 0, sizeof(k));
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	CHECK(pipeline_publish_estimates(p, collect_plain, &k) == 0);
	CHECK(k.last_estimates != NULL &&
	    json_is_null(json_object_get(k.last_estimates, "event_time")));
	feed_framing(p, collect_plain, &k);
	CHECK(pipeline_publish_estimates(p, collect_plain, &k) == 0);
	CHECK_STR(str_of(k.last_estimates, "event_time"), "2025-09-01T00:00:00Z");
	CHECK(k.n[OUT_ALERT] > 0 && k.n[OUT_SUGGESTION] > 0);
	CHECK(k.bad == 0);
	json_decref(k.last_estimates);
	pipeline_free(p);

	/* CloudEvents: each kind wrapped, ids from the payload */
	memset(&k, 0, sizeof(k));
	cfg.output_format = OUTPUT_CLOUDEVENTS;
	snprintf(cfg.output_source, sizeof(cfg.output_source), "/test/retention");
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	CHECK(pipeline_publish_estimates(p, collect_ce, &k) == 0);
	feed_framing(p, collect_ce, &k);
	CHECK(pipeline_publish_estimates(p, collect_ce, &k) == 0);
	CHECK(pipeline_publish_estimates(p, collect_ce, &k) == 0);
	CHECK(k.n[OUT_ALERT] > k.resolved && k.resolved > 0);
	CHECK(k.n[OUT_SUGGESTION] > k.plans && k.plans > 0);
	CHECK(k.nest >= 3);
	/* a hash of the payload: new content, new id; the same, the same */
	CHECK(strcmp(k.est_id[0], k.est_id[1]) != 0);
	CHECK_STR(k.est_id[1], k.est_id[2]);
	CHECK(k.bad == 0);
	/* GET /v1/model stays plain whatever the topics carry */
	{
		char *s = pipeline_model_json(p);
		json_t *j = s != NULL ? json_loads(s, 0, NULL) : NULL;

		CHECK(j != NULL && json_object_get(j, "specversion") == NULL &&
		    json_object_get(j, "model_version") != NULL);
		json_decref(j);
		free(s);
	}
	pipeline_free(p);
}

/* Feeds one event of type at when for id (data may be "{}"). */
static enum pipeline_result
event(struct pipeline *p, struct sink *k, const char *id, const char *type,
    const char *when, const char *data)
{
	static int seq;

	return feed(p, k, id, EV, "l", seq++, type, id, when, data);
}

#define HIRE "{\"department\":\"Ops\",\"job_level\":2,\"salary\":50000}"

/*
 * [state] max_employees: an event for a new id over the limit goes to the
 * DLQ with the reason and is counted, known ids still apply, and room an
 * erasure makes admits a new one. keep_exited_days: a leaver's record goes
 * that long after the exit in event time, counted, exactly as an erasure
 * takes it; recent leavers and those who stay remain.
 */
static void
test_limits(void)
{
	struct pipeline_config	 cfg;
	struct pipeline_stats	 st;
	struct pipeline		*p;
	struct sink		 k;
	char			 err[256], *js;
	const char		*reason;

	pipeline_config_defaults(&cfg);
	CHECK(cfg.max_employees == 500000 && cfg.keep_exited_days == 730);
	cfg.max_employees = 3;
	cfg.keep_exited_days = 30;
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	memset(&k, 0, sizeof(k));
	CHECK(event(p, &k, "E1", "hr.employee.hired", "2025-01-01T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(event(p, &k, "E2", "hr.employee.hired", "2025-01-01T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(event(p, &k, "E3", "hr.employee.hired", "2025-01-01T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(k.n[OUT_DLQ] == 0);
	event(p, &k, "E4", "hr.employee.hired", "2025-01-02T00:00:00Z", HIRE);
	CHECK(k.n[OUT_DLQ] == 1);
	CHECK(strstr(k.last_error, "max_employees = 3") != NULL);
	CHECK(strstr(k.last_error, "E4") == NULL);	/* no id in the reason */
	CHECK((js = pipeline_employee_json(p, "E4")) == NULL);
	/* a provisional record is a new one too; known ids still apply */
	event(p, &k, "N1", "hr.survey.submitted", "2025-01-02T00:00:00Z",
	    "{\"satisfaction\":50}");
	CHECK(k.n[OUT_DLQ] == 2);
	CHECK(event(p, &k, "E1", "hr.survey.submitted", "2025-01-03T00:00:00Z",
	    "{\"satisfaction\":50}") == PIPE_OK);
	CHECK(k.n[OUT_DLQ] == 2);
	pipeline_stats(p, &st);
	CHECK(st.employees == 3 && st.employees_refused == 2);
	reason = pipeline_reject_reason_name(DR__COUNT + 3);
	CHECK(reason != NULL && strcmp(reason, "employee_limit") == 0);
	CHECK(st.rejected_by_reason[DR__COUNT + 3] == 2);
	/* an erasure makes room */
	CHECK(event(p, &k, "E2", "hr.employee.erased", "2025-01-04T00:00:00Z",
	    "{}") == PIPE_OK);
	CHECK(event(p, &k, "E4", "hr.employee.hired", "2025-01-05T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(k.n[OUT_DLQ] == 2);

	/* leavers: E1 on 1 February, E3 on 1 March */
	CHECK(event(p, &k, "E1", "hr.employee.exited", "2025-02-01T00:00:00Z",
	    "{\"voluntary\":true}") == PIPE_OK);
	CHECK(event(p, &k, "E3", "hr.employee.exited", "2025-03-01T00:00:00Z",
	    "{\"voluntary\":false}") == PIPE_OK);
	CHECK((js = pipeline_employee_json(p, "E1")) != NULL);	/* 28 days */
	free(js);
	pipeline_stats(p, &st);
	CHECK(st.leavers_expired == 0 && st.employees == 3);
	CHECK(event(p, &k, "E4", "hr.survey.submitted", "2025-03-05T00:00:00Z",
	    "{\"satisfaction\":60}") == PIPE_OK);
	CHECK(pipeline_employee_json(p, "E1") == NULL);		/* 32 days */
	CHECK((js = pipeline_employee_json(p, "E3")) != NULL);	/* 4 days */
	free(js);
	pipeline_stats(p, &st);
	CHECK(st.leavers_expired == 1 && st.employees == 2);
	CHECK(st.employees_active == 1);
	CHECK(event(p, &k, "E4", "hr.survey.submitted", "2025-04-05T00:00:00Z",
	    "{\"satisfaction\":60}") == PIPE_OK);
	CHECK(pipeline_employee_json(p, "E3") == NULL);
	pipeline_stats(p, &st);
	CHECK(st.leavers_expired == 2 && st.employees == 1);
	CHECK(st.employees_active == 1 && st.erasures == 1);
	CHECK((js = pipeline_employee_json(p, "E4")) != NULL);
	free(js);
	/* the room leavers leave admits new employees */
	CHECK(event(p, &k, "E5", "hr.employee.hired", "2025-04-06T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(event(p, &k, "E6", "hr.employee.hired", "2025-04-06T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(k.n[OUT_DLQ] == 2);

	/* keep_exited_days = 0 keeps leavers */
	cfg.keep_exited_days = 0;
	pipeline_reconfigure(p, &cfg);
	CHECK(event(p, &k, "E5", "hr.employee.exited", "2025-05-01T00:00:00Z",
	    "{\"voluntary\":true}") == PIPE_OK);
	CHECK(event(p, &k, "E4", "hr.survey.submitted", "2027-05-01T00:00:00Z",
	    "{\"satisfaction\":60}") == PIPE_OK);
	CHECK((js = pipeline_employee_json(p, "E5")) != NULL);
	free(js);
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
	test_output_framing();
	test_limits();
	return check_exit("test_pipeline");
}
