/*
 * test_decode.c: CloudEvents decoding and validation (pipeline/decode.c):
 * every event type valid and invalid, both content modes and the
 * content-type rule that picks one, key mismatch, UTF-8, size and depth
 * limits, duplicate keys, RFC 3339 times, and that reasons are one line
 * without personal data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/pipeline.h"
#include "check.h"

#define T0 "2026-03-01T00:00:00Z"
#define T0_MS 1772323200000LL		/* 2026-03-01T00:00:00Z */

static char big[MESSAGE_MAX_BYTES * 2];

/* A structured-mode event of type with data (raw JSON text or NULL). */
static const char *
event_json(const char *type, const char *data)
{
	static char buf[8192];

	if (data != NULL)
		snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\",\"id\":\"ev-1\","
		    "\"source\":\"/hris\",\"type\":\"%s\",\"subject\":\"SECRETID\","
		    "\"time\":\"" T0 "\",\"data\":%s}", type, data);
	else
		snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\",\"id\":\"ev-1\","
		    "\"source\":\"/hris\",\"type\":\"%s\",\"subject\":\"SECRETID\","
		    "\"time\":\"" T0 "\"}", type);
	return buf;
}

static int
decode_kv(const void *value, size_t len, const char *key, struct hr_event *ev,
    int *reason, char *err, size_t errlen)
{
	struct message m;

	memset(&m, 0, sizeof(m));
	m.value = value;
	m.len = len;
	m.key = key;
	m.keylen = key != NULL ? strlen(key) : 0;
	m.topic = "hr.events";
	*reason = -1;
	return decode_event(&m, ev, err, errlen, reason);
}

/* Decodes s (no key); returns the reason code, or -1 when accepted. Checks
 * the reason's shape on failure. */
static int
reason_of(const char *s, struct hr_event *ev)
{
	char err[ERRBUF_MAX];
	int reason, rc;

	rc = decode_kv(s, strlen(s), NULL, ev, &reason, err, sizeof(err));
	if (rc == 0)
		return -1;
	CHECK(rc == -1);
	CHECK(err[0] != '\0');
	CHECK(strchr(err, '\n') == NULL);
	CHECK(strstr(err, "SECRET") == NULL);
	CHECK(reason >= 0 && reason < DR__COUNT);
	return reason;
}

struct data_case {
	const char	*type;
	const char	*data;		/* JSON text, NULL: no data member */
	int		 want;		/* reason, or -1 accepted */
};

#define OK (-1)
static const struct data_case cases[] = {
	/* hired */
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3,\"salary\":50000}", OK },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3.0,\"salary\":0}", OK },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":15,\"salary\":1,"
	    "\"manager_id\":\"M1\",\"location\":\"Berlin\",\"attributes\":{}}", OK },
	{ "hr.employee.hired", "{\"job_level\":3,\"salary\":50000}", DR_MISSING_FIELD },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"salary\":50000}", DR_MISSING_FIELD },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3}", DR_MISSING_FIELD },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":null,\"salary\":1}", DR_MISSING_FIELD },
	{ "hr.employee.hired", "{\"department\":7,\"job_level\":3,\"salary\":1}", DR_BAD_TYPE },
	{ "hr.employee.hired", "{\"department\":\"\",\"job_level\":3,\"salary\":1}", DR_BAD_TYPE },
	{ "hr.employee.hired", "{\"department\":\"S\\u0001\",\"job_level\":3,\"salary\":1}", DR_BAD_TYPE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":\"3\",\"salary\":1}", DR_BAD_TYPE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3.5,\"salary\":1}", DR_BAD_TYPE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":0,\"salary\":1}", DR_OUT_OF_RANGE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":16,\"salary\":1}", DR_OUT_OF_RANGE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":99999999999,\"salary\":1}", DR_OUT_OF_RANGE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":1e10,\"salary\":1}", DR_OUT_OF_RANGE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3,\"salary\":-1}", DR_OUT_OF_RANGE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3,\"salary\":1e400}", DR_OUT_OF_RANGE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3,\"salary\":\"1\"}", DR_BAD_TYPE },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3,\"salary\":1,"
	    "\"manager_id\":\"\"}", DR_BAD_ID },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3,\"salary\":1,"
	    "\"manager_id\":\"M\\u007f\"}", DR_BAD_ID },
	{ "hr.employee.hired", "{\"department\":\"Sales\",\"job_level\":3,\"salary\":1,"
	    "\"location\":[]}", DR_BAD_TYPE },
	{ "hr.employee.hired", "{\"department\":\"0123456789012345678901234567890123456789"
	    "012345678901234567890123\",\"job_level\":3,\"salary\":1}", DR_TOO_LONG },
	{ "hr.employee.hired", "{\"department\":\"012345678901234567890123456789012345678"
	    "901234567890123456789012\",\"job_level\":3,\"salary\":1}", OK },	/* 63 bytes */
	{ "hr.employee.hired", "[1]", DR_BAD_TYPE },
	{ "hr.employee.hired", "\"x\"", DR_BAD_TYPE },
	{ "hr.employee.hired", NULL, DR_MISSING_FIELD },
	{ "hr.employee.hired", "null", DR_MISSING_FIELD },
	/* review */
	{ "hr.review.completed", "{\"rating\":1}", OK },
	{ "hr.review.completed", "{\"rating\":5,\"potential\":3}", OK },
	{ "hr.review.completed", "{\"rating\":4.5,\"potential\":null}", OK },
	{ "hr.review.completed", "{}", DR_MISSING_FIELD },
	{ "hr.review.completed", "{\"rating\":0.99}", DR_OUT_OF_RANGE },
	{ "hr.review.completed", "{\"rating\":5.01}", DR_OUT_OF_RANGE },
	{ "hr.review.completed", "{\"rating\":true}", DR_BAD_TYPE },
	{ "hr.review.completed", "{\"rating\":3,\"potential\":0}", DR_OUT_OF_RANGE },
	{ "hr.review.completed", "{\"rating\":3,\"potential\":3.5}", DR_OUT_OF_RANGE },
	{ "hr.review.completed", "{\"rating\":3,\"potential\":\"high\"}", DR_BAD_TYPE },
	/* survey */
	{ "hr.survey.submitted", "{\"satisfaction\":0}", OK },
	{ "hr.survey.submitted", "{\"satisfaction\":100,\"engagement\":0,\"intent_to_stay\":50,"
	    "\"work_life_balance\":100}", OK },
	{ "hr.survey.submitted", "{\"engagement\":10}", DR_MISSING_FIELD },
	{ "hr.survey.submitted", "{\"satisfaction\":-0.1}", DR_OUT_OF_RANGE },
	{ "hr.survey.submitted", "{\"satisfaction\":100.5}", DR_OUT_OF_RANGE },
	{ "hr.survey.submitted", "{\"satisfaction\":50,\"engagement\":101}", DR_OUT_OF_RANGE },
	{ "hr.survey.submitted", "{\"satisfaction\":50,\"intent_to_stay\":-1}", DR_OUT_OF_RANGE },
	{ "hr.survey.submitted", "{\"satisfaction\":50,\"work_life_balance\":\"ok\"}", DR_BAD_TYPE },
	/* compensation */
	{ "hr.compensation.changed", "{\"kind\":\"raise\",\"amount\":2000,\"new_salary\":52000}", OK },
	{ "hr.compensation.changed", "{\"kind\":\"bonus\",\"amount\":500}", OK },
	{ "hr.compensation.changed", "{\"kind\":\"equity\",\"amount\":-10}", OK },
	{ "hr.compensation.changed", "{\"amount\":500}", DR_MISSING_FIELD },
	{ "hr.compensation.changed", "{\"kind\":\"bonus\"}", DR_MISSING_FIELD },
	{ "hr.compensation.changed", "{\"kind\":\"Bonus\",\"amount\":1}", DR_OUT_OF_RANGE },
	{ "hr.compensation.changed", "{\"kind\":\"bonus\\u0000x\",\"amount\":1}", DR_NOT_JSON },
	{ "hr.compensation.changed", "{\"kind\":1,\"amount\":1}", DR_BAD_TYPE },
	{ "hr.compensation.changed", "{\"kind\":\"raise\",\"amount\":\"1\"}", DR_BAD_TYPE },
	{ "hr.compensation.changed", "{\"kind\":\"raise\",\"amount\":1,\"new_salary\":-5}", DR_OUT_OF_RANGE },
	/* training */
	{ "hr.training.completed", "{\"hours\":0}", OK },
	{ "hr.training.completed", "{\"hours\":8,\"cost\":400,\"skill\":\"sql\",\"assessment\":100}", OK },
	{ "hr.training.completed", "{\"cost\":4}", DR_MISSING_FIELD },
	{ "hr.training.completed", "{\"hours\":-1}", DR_OUT_OF_RANGE },
	{ "hr.training.completed", "{\"hours\":1,\"cost\":-1}", DR_OUT_OF_RANGE },
	{ "hr.training.completed", "{\"hours\":1,\"assessment\":100.1}", DR_OUT_OF_RANGE },
	{ "hr.training.completed", "{\"hours\":1,\"skill\":{}}", DR_BAD_TYPE },
	/* promotion */
	{ "hr.promotion.granted", "{\"job_level\":4}", OK },
	{ "hr.promotion.granted", "{\"job_level\":4,\"new_salary\":60000}", OK },
	{ "hr.promotion.granted", "{\"new_salary\":60000}", DR_MISSING_FIELD },
	{ "hr.promotion.granted", "{\"job_level\":4.2}", DR_BAD_TYPE },
	{ "hr.promotion.granted", "{\"job_level\":-4}", DR_OUT_OF_RANGE },
	{ "hr.promotion.granted", "{\"job_level\":4,\"new_salary\":\"x\"}", DR_BAD_TYPE },
	/* care */
	{ "hr.care.provided", "{\"kind\":\"mentoring\"}", OK },
	{ "hr.care.provided", "{\"kind\":\"flexible_work\",\"cost\":0}", OK },
	{ "hr.care.provided", "{\"kind\":\"other\",\"cost\":10.5}", OK },
	{ "hr.care.provided", "{\"cost\":1}", DR_MISSING_FIELD },
	{ "hr.care.provided", "{\"kind\":\"massage\"}", DR_OUT_OF_RANGE },
	{ "hr.care.provided", "{\"kind\":\"wellness\",\"cost\":-0.5}", DR_OUT_OF_RANGE },
	/* manager */
	{ "hr.manager.changed", "{\"manager_id\":\"M7\"}", OK },
	{ "hr.manager.changed", "{}", DR_MISSING_FIELD },
	{ "hr.manager.changed", "{\"manager_id\":7}", DR_BAD_TYPE },
	{ "hr.manager.changed", "{\"manager_id\":\"a\\nb\"}", DR_BAD_ID },
	/* profile */
	{ "hr.profile.updated", "{\"attributes\":{\"overtime\":\"yes\",\"distance_km\":12}}", OK },
	{ "hr.profile.updated", "{\"attributes\":{}}", OK },
	{ "hr.profile.updated", "{}", DR_MISSING_FIELD },
	{ "hr.profile.updated", "{\"attributes\":[]}", DR_BAD_TYPE },
	{ "hr.profile.updated", "{\"attributes\":{\"x\":true}}", DR_BAD_TYPE },
	{ "hr.profile.updated", "{\"attributes\":{\"x\":null}}", DR_BAD_TYPE },
	{ "hr.profile.updated", "{\"attributes\":{\"x\":{\"y\":1}}}", DR_BAD_TYPE },
	{ "hr.profile.updated", "{\"attributes\":{\"\":1}}", DR_BAD_TYPE },
	{ "hr.profile.updated", "{\"attributes\":{\"a\\tb\":1}}", DR_BAD_TYPE },
	{ "hr.profile.updated", "{\"attributes\":{\"x\":\"a\\u0085\"}}", DR_BAD_TYPE },
	{ "hr.profile.updated", "{\"attributes\":{\"x\":1,\"x\":2}}", DR_NOT_JSON },
	{ "hr.profile.updated", "{\"attributes\":{\"x\":\"0123456789012345678901234567890123456"
	    "789012345678901234567890123\"}}", DR_TOO_LONG },
	{ "hr.profile.updated", "{\"attributes\":{\"0123456789012345678901234567890123456"
	    "789012345678901234567890123\":1}}", DR_TOO_LONG },
	/* exited */
	{ "hr.employee.exited", "{\"voluntary\":true}", OK },
	{ "hr.employee.exited", "{\"voluntary\":false,\"reason\":\"relocation\"}", OK },
	{ "hr.employee.exited", "{}", DR_MISSING_FIELD },
	{ "hr.employee.exited", "{\"voluntary\":1}", DR_BAD_TYPE },
	{ "hr.employee.exited", "{\"voluntary\":\"true\"}", DR_BAD_TYPE },
	{ "hr.employee.exited", "{\"voluntary\":true,\"reason\":5}", DR_BAD_TYPE },
	/* erased */
	{ "hr.employee.erased", NULL, OK },
	{ "hr.employee.erased", "{}", OK },
	{ "hr.employee.erased", "null", OK },
	{ "hr.employee.erased", "{\"requested_by\":\"dpo\"}", OK },
	{ "hr.employee.erased", "[]", DR_BAD_TYPE },
	{ "hr.employee.erased", "\"gone\"", DR_BAD_TYPE },
	/* forward compatible: unknown fields anywhere are ignored */
	{ "hr.review.completed", "{\"rating\":3,\"new_field\":{\"a\":[1,2,{\"b\":null}]}}", OK },
	/* unknown type */
	{ "hr.employee.promoted", "{}", DR_UNKNOWN_TYPE },
	{ "HR.EMPLOYEE.HIRED", "{}", DR_UNKNOWN_TYPE },
	{ "", "{}", DR_UNKNOWN_TYPE },
};

static void
test_table(void)
{
	struct hr_event ev;
	size_t i;
	int got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = reason_of(event_json(cases[i].type, cases[i].data), &ev);
		if (got != cases[i].want)
			fprintf(stderr, "case %zu (%s %s): got %s, want %s\n", i,
			    cases[i].type, cases[i].data ? cases[i].data : "-",
			    got < 0 ? "accepted" : decode_reason_name(got),
			    cases[i].want < 0 ? "accepted" : decode_reason_name(cases[i].want));
		CHECK(got == cases[i].want);
	}
}

static void
test_fields(void)
{
	struct hr_event ev;

	CHECK(reason_of(event_json("hr.employee.hired", "{\"department\":\"Sales\","
	    "\"job_level\":3,\"salary\":50000.5,\"manager_id\":\"M1\",\"location\":\"Köln\","
	    "\"attributes\":{\"overtime\":\"yes\",\"distance_km\":12.5}}"), &ev) == -1);
	CHECK(ev.type == EV_HIRED);
	CHECK_STR(ev.id, "ev-1");
	CHECK_STR(ev.source, "/hris");
	CHECK_STR(ev.subject, "SECRETID");
	CHECK(ev.time_ms == T0_MS);
	CHECK_STR(ev.department, "Sales");
	CHECK(ev.job_level == 3);
	CHECK_NEAR(ev.salary, 50000.5, 0);
	CHECK_STR(ev.manager_id, "M1");
	CHECK_STR(ev.location, "Köln");
	CHECK(ev.nattrs == 2);
	CHECK_STR(ev.attrs[0].name, "overtime");
	CHECK(ev.attrs[0].is_num == 0);
	CHECK_STR(ev.attrs[0].str, "yes");
	CHECK_STR(ev.attrs[1].name, "distance_km");
	CHECK(ev.attrs[1].is_num == 1);
	CHECK_NEAR(ev.attrs[1].num, 12.5, 0);
	CHECK(!ev_has(ev.rating));

	CHECK(reason_of(event_json("hr.review.completed", "{\"rating\":4}"), &ev) == -1);
	CHECK(ev.type == EV_REVIEW);
	CHECK_NEAR(ev.rating, 4, 0);
	CHECK(!ev_has(ev.potential));

	CHECK(reason_of(event_json("hr.survey.submitted", "{\"satisfaction\":61,"
	    "\"work_life_balance\":40}"), &ev) == -1);
	CHECK(ev.type == EV_SURVEY);
	CHECK_NEAR(ev.satisfaction, 61, 0);
	CHECK(!ev_has(ev.engagement));
	CHECK(!ev_has(ev.intent_to_stay));
	CHECK_NEAR(ev.work_life_balance, 40, 0);

	CHECK(reason_of(event_json("hr.compensation.changed", "{\"kind\":\"equity\","
	    "\"amount\":1500}"), &ev) == -1);
	CHECK(ev.type == EV_COMPENSATION);
	CHECK(ev.comp_kind == COMP_EQUITY);
	CHECK_NEAR(ev.amount, 1500, 0);
	CHECK(!ev_has(ev.new_salary));

	CHECK(reason_of(event_json("hr.training.completed", "{\"hours\":7.5,\"cost\":300,"
	    "\"skill\":\"sql\",\"assessment\":81}"), &ev) == -1);
	CHECK(ev.type == EV_TRAINING);
	CHECK_NEAR(ev.hours, 7.5, 0);
	CHECK_NEAR(ev.cost, 300, 0);
	CHECK_STR(ev.skill, "sql");
	CHECK_NEAR(ev.assessment, 81, 0);

	CHECK(reason_of(event_json("hr.promotion.granted", "{\"job_level\":5.0,"
	    "\"new_salary\":70000}"), &ev) == -1);
	CHECK(ev.type == EV_PROMOTION);
	CHECK(ev.job_level == 5);
	CHECK_NEAR(ev.new_salary, 70000, 0);

	CHECK(reason_of(event_json("hr.care.provided", "{\"kind\":\"team_activity\"}"), &ev) == -1);
	CHECK(ev.type == EV_CARE);
	CHECK(ev.care_kind == CARE_TEAM_ACTIVITY);
	CHECK(!ev_has(ev.cost));

	CHECK(reason_of(event_json("hr.manager.changed", "{\"manager_id\":\"M9\"}"), &ev) == -1);
	CHECK(ev.type == EV_MANAGER);
	CHECK_STR(ev.manager_id, "M9");

	CHECK(reason_of(event_json("hr.profile.updated", "{\"attributes\":{\"Gender\":\"f\"}}"),
	    &ev) == -1);
	CHECK(ev.type == EV_PROFILE);
	CHECK(ev.nattrs == 1);
	CHECK_STR(ev.attrs[0].name, "Gender");

	CHECK(reason_of(event_json("hr.employee.exited", "{\"voluntary\":true,"
	    "\"reason\":\"pay\"}"), &ev) == -1);
	CHECK(ev.type == EV_EXITED);
	CHECK(ev.voluntary == 1);
	CHECK_STR(ev.reason, "pay");
	CHECK(reason_of(event_json("hr.employee.exited", "{\"voluntary\":false}"), &ev) == -1);
	CHECK(ev.voluntary == 0);

	CHECK(reason_of(event_json("hr.employee.erased", NULL), &ev) == -1);
	CHECK(ev.type == EV_ERASED);
}

/* attributes: exactly EVENT_ATTRS_MAX pass, one more is rejected. */
static void
test_attr_limit(void)
{
	char data[4096];
	struct hr_event ev;
	size_t n;
	int i;

	for (int extra = 0; extra <= 1; extra++) {
		n = (size_t)snprintf(data, sizeof(data), "{\"attributes\":{");
		for (i = 0; i < EVENT_ATTRS_MAX + extra; i++)
			n += (size_t)snprintf(data + n, sizeof(data) - n, "%s\"a%d\":%d",
			    i ? "," : "", i, i);
		snprintf(data + n, sizeof(data) - n, "}}");
		if (extra == 0) {
			CHECK(reason_of(event_json("hr.profile.updated", data), &ev) == -1);
			CHECK(ev.nattrs == EVENT_ATTRS_MAX);
			CHECK_STR(ev.attrs[EVENT_ATTRS_MAX - 1].name, "a63");
		} else
			CHECK(reason_of(event_json("hr.profile.updated", data), &ev) ==
			    DR_OUT_OF_RANGE);
	}
}

/* Envelope attributes: presence, types, specversion, lengths. */
static void
test_envelope(void)
{
	static const struct { const char *json; int want; } env[] = {
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", OK },
		{ "{\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_MISSING_FIELD },
		{ "{\"specversion\":\"1.0\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_MISSING_FIELD },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_MISSING_FIELD },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_MISSING_FIELD },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"time\":\"" T0 "\"}", DR_MISSING_FIELD },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\"}", DR_MISSING_FIELD },
		{ "{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_BAD_TYPE },
		{ "{\"specversion\":1.0,\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_BAD_TYPE },
		{ "{\"specversion\":\"1.0\",\"id\":1,\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_BAD_TYPE },
		{ "{\"specversion\":\"1.0\",\"id\":\"\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_BAD_TYPE },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\\u001b\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_BAD_TYPE },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":[],"
		  "\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_BAD_TYPE },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":{},\"time\":\"" T0 "\"}", DR_BAD_TYPE },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":1772323200}", DR_BAD_TYPE },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"yesterday\"}", DR_BAD_TIME },
		/* employee ids: empty, control, C1, noncharacter, valid non-ASCII */
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"\",\"time\":\"" T0 "\"}", DR_BAD_ID },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E\\u0000\",\"time\":\"" T0 "\"}", DR_NOT_JSON },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E\\u0009\",\"time\":\"" T0 "\"}", DR_BAD_ID },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E\\u009b\",\"time\":\"" T0 "\"}", DR_BAD_ID },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E\\uffff\",\"time\":\"" T0 "\"}", DR_BAD_ID },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E\\ud800\",\"time\":\"" T0 "\"}", DR_NOT_JSON },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"Jürgen 李 \\ud83d\\ude00\",\"time\":\"" T0 "\"}", OK },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\",\"datacontenttype\":\"application/json\"}", OK },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.employee.erased\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\",\"datacontenttype\":\"text/xml\"}", DR_BAD_TYPE },
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"hr.review.completed\","
		  "\"subject\":\"E1\",\"time\":\"" T0 "\",\"data_base64\":\"eyJ9\"}", DR_BAD_TYPE },
		/* not JSON / not an object / trailing data / raw invalid UTF-8 */
		{ "", DR_NOT_JSON },
		{ "   ", DR_NOT_JSON },
		{ "not json", DR_NOT_JSON },
		{ "[]", DR_BAD_TYPE },
		{ "{}", DR_MISSING_FIELD },
		{ "{\"a\":1} {}", DR_NOT_JSON },
		{ "{\"a\":1", DR_NOT_JSON },
		{ "{\"a\":\"\xc3\x28\"}", DR_NOT_JSON },
		{ "{\"a\":\"\xed\xa0\x80\"}", DR_NOT_JSON },
		{ "{\"a\":\"\xc0\xaf\"}", DR_NOT_JSON },
		{ "{\"a\":NaN}", DR_NOT_JSON },
		{ "{\"a\":Infinity}", DR_NOT_JSON },
		/* duplicate keys at the top level */
		{ "{\"specversion\":\"1.0\",\"id\":\"1\",\"id\":\"2\",\"source\":\"s\","
		  "\"type\":\"hr.employee.erased\",\"subject\":\"E1\",\"time\":\"" T0 "\"}", DR_NOT_JSON },
	};
	struct hr_event ev;
	size_t i;
	int got;

	for (i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		got = reason_of(env[i].json, &ev);
		if (got != env[i].want)
			fprintf(stderr, "envelope case %zu: got %s, want %s\n", i,
			    got < 0 ? "accepted" : decode_reason_name(got),
			    env[i].want < 0 ? "accepted" : decode_reason_name(env[i].want));
		CHECK(got == env[i].want);
	}
}

/* Lengths of id (256), source (256) and subject (128): at and over the bound. */
static void
test_lengths(void)
{
	char s[1024], idv[300], subj[200];
	struct hr_event ev;

	memset(idv, 'i', sizeof(idv));
	memset(subj, 'E', sizeof(subj));
	/* id */
	snprintf(s, sizeof(s), "{\"specversion\":\"1.0\",\"id\":\"%.*s\",\"source\":\"s\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\",\"time\":\"" T0 "\"}",
	    EVENT_ID_MAX, idv);
	CHECK(reason_of(s, &ev) == -1);
	CHECK(strlen(ev.id) == EVENT_ID_MAX);
	snprintf(s, sizeof(s), "{\"specversion\":\"1.0\",\"id\":\"%.*s\",\"source\":\"s\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\",\"time\":\"" T0 "\"}",
	    EVENT_ID_MAX + 1, idv);
	CHECK(reason_of(s, &ev) == DR_TOO_LONG);
	/* source */
	snprintf(s, sizeof(s), "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"%.*s\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\",\"time\":\"" T0 "\"}",
	    EVENT_SOURCE_MAX, idv);
	CHECK(reason_of(s, &ev) == -1);
	CHECK(strlen(ev.source) == EVENT_SOURCE_MAX);
	snprintf(s, sizeof(s), "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"%.*s\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\",\"time\":\"" T0 "\"}",
	    EVENT_SOURCE_MAX + 1, idv);
	CHECK(reason_of(s, &ev) == DR_TOO_LONG);
	/* subject */
	snprintf(s, sizeof(s), "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"%.*s\",\"time\":\"" T0 "\"}",
	    EMPLOYEE_ID_MAX, subj);
	CHECK(reason_of(s, &ev) == -1);
	CHECK(strlen(ev.subject) == EMPLOYEE_ID_MAX);
	snprintf(s, sizeof(s), "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"%.*s\",\"time\":\"" T0 "\"}",
	    EMPLOYEE_ID_MAX + 1, subj);
	CHECK(reason_of(s, &ev) == DR_TOO_LONG);
	/* manager_id, bound 128 */
	snprintf(s, sizeof(s), "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
	    "\"type\":\"hr.manager.changed\",\"subject\":\"E1\",\"time\":\"" T0 "\","
	    "\"data\":{\"manager_id\":\"%.*s\"}}", EMPLOYEE_ID_MAX, subj);
	CHECK(reason_of(s, &ev) == -1);
	CHECK(strlen(ev.manager_id) == EMPLOYEE_ID_MAX);
	snprintf(s, sizeof(s), "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
	    "\"type\":\"hr.manager.changed\",\"subject\":\"E1\",\"time\":\"" T0 "\","
	    "\"data\":{\"manager_id\":\"%.*s\"}}", EMPLOYEE_ID_MAX + 1, subj);
	CHECK(reason_of(s, &ev) == DR_TOO_LONG);

	CHECK(decode_valid_employee_id("E1", 2) == 1);
	CHECK(decode_valid_employee_id("E1", 0) == 0);
	CHECK(decode_valid_employee_id(NULL, 3) == 0);
	CHECK(decode_valid_employee_id(subj, EMPLOYEE_ID_MAX) == 1);
	CHECK(decode_valid_employee_id(subj, EMPLOYEE_ID_MAX + 1) == 0);
	CHECK(decode_valid_employee_id("a b", 3) == 1);
	CHECK(decode_valid_employee_id("a\tb", 3) == 0);
	CHECK(decode_valid_employee_id("a\x7f", 2) == 0);
	CHECK(decode_valid_employee_id("\xe2\x82\xac", 3) == 1);	/* euro sign */
	CHECK(decode_valid_employee_id("\xe2\x82", 2) == 0);		/* truncated */
	CHECK(decode_valid_employee_id("\xc2\x85", 2) == 0);		/* NEL, C1 */
	CHECK(decode_valid_employee_id("\xf4\x90\x80\x80", 4) == 0);	/* > U+10FFFF */
	CHECK(decode_valid_employee_id("\xe0\x80\xaf", 3) == 0);	/* overlong */
	CHECK(decode_valid_employee_id("a\0b", 3) == 0);
	CHECK(decode_valid_employee_id("E\xe2\x80\xae" "1", 4) == 0);	/* RLO */
	CHECK(decode_valid_employee_id("E\xe2\x80\x8b" "1", 4) == 0);	/* ZWSP */
	CHECK(decode_valid_employee_id("\xef\xbb\xbf" "E1", 5) == 0);	/* BOM */
	CHECK(decode_valid_employee_id("E\xc2\xad" "1", 4) == 0);	/* soft hyphen */
	CHECK(decode_valid_employee_id("E\xe2\x80\x90" "1", 4) == 1);	/* hyphen */
}

static void
test_key(void)
{
	const char *s = event_json("hr.review.completed", "{\"rating\":3}");
	char err[ERRBUF_MAX];
	struct hr_event ev;
	int reason;

	CHECK(decode_kv(s, strlen(s), "SECRETID", &ev, &reason, err, sizeof(err)) == 0);
	CHECK(decode_kv(s, strlen(s), NULL, &ev, &reason, err, sizeof(err)) == 0);
	CHECK(decode_kv(s, strlen(s), "", &ev, &reason, err, sizeof(err)) == 0);
	CHECK(decode_kv(s, strlen(s), "SECRETID2", &ev, &reason, err, sizeof(err)) == -1);
	CHECK(reason == DR_KEY_MISMATCH);
	CHECK(strstr(err, "SECRET") == NULL);
	CHECK(strstr(err, "subject") != NULL);
	CHECK(decode_kv(s, strlen(s), "SECRETI", &ev, &reason, err, sizeof(err)) == -1);
	CHECK(reason == DR_KEY_MISMATCH);
	CHECK(decode_kv(s, strlen(s), "secretid", &ev, &reason, err, sizeof(err)) == -1);
	CHECK(reason == DR_KEY_MISMATCH);
}

/* 64 KiB exactly passes; one byte more is too large; depth is bounded. */
static void
test_size_depth(void)
{
	const char *head = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\",\"time\":\"" T0 "\",\"pad\":\"";
	char err[ERRBUF_MAX];
	struct hr_event ev;
	size_t n, h = strlen(head);
	int reason;

	for (n = 0; n < 2; n++) {
		size_t total = MESSAGE_MAX_BYTES + n;

		memcpy(big, head, h);
		memset(big + h, 'x', total - h - 2);
		memcpy(big + total - 2, "\"}", 2);
		CHECK(decode_kv(big, total, NULL, &ev, &reason, err, sizeof(err)) ==
		    (n == 0 ? 0 : -1));
		if (n == 1)
			CHECK(reason == DR_TOO_LARGE);
	}
	/* far over the limit: rejected before parsing */
	memset(big, '[', sizeof(big));
	CHECK(decode_kv(big, sizeof(big), NULL, &ev, &reason, err, sizeof(err)) == -1);
	CHECK(reason == DR_TOO_LARGE);

	/* deep nesting inside the limit: rejected by the parser's depth limit */
	n = (size_t)snprintf(big, sizeof(big), "%s\",\"x\":", head);
	memset(big + n, '[', 20000);
	memset(big + n + 20000, ']', 20000);
	memcpy(big + n + 40000, "}", 2);
	CHECK(reason_of(big, &ev) == DR_NOT_JSON);
	CHECK(decode_kv(big, strlen(big), NULL, &ev, &reason, err, sizeof(err)) == -1);
	CHECK(strstr(err, "nested") != NULL);
	/* moderate nesting in an unknown field is fine */
	n = (size_t)snprintf(big, sizeof(big), "%s\",\"x\":", head);
	memset(big + n, '[', 200);
	memset(big + n + 200, ']', 200);
	memcpy(big + n + 400, "}", 2);
	CHECK(reason_of(big, &ev) == -1);
}

static void
test_time(void)
{
	static const struct { const char *s; long long ms; } good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-03-01T00:00:00Z", T0_MS },
		{ "2026-03-01t00:00:00z", T0_MS },
		{ "2026-03-01T01:00:00+01:00", T0_MS },
		{ "2026-02-28T19:00:00-05:00", T0_MS },
		{ "2026-03-01T05:30:00+05:30", T0_MS },
		{ "2026-03-01T00:00:00.5Z", T0_MS + 500 },
		{ "2026-03-01T00:00:00.123Z", T0_MS + 123 },
		{ "2026-03-01T00:00:00.123999999Z", T0_MS + 123 },
		{ "2026-03-01T00:00:00.000Z", T0_MS },
		{ "2024-02-29T12:00:00Z", 1709208000000LL },
		{ "2000-02-29T00:00:00Z", 951782400000LL },
		{ "2016-12-31T23:59:60Z", 1483228799999LL },
		{ "9999-12-31T23:59:59Z", 253402300799000LL },
		{ "1970-01-01T01:00:00+01:00", 0 },
	};
	static const char *const bad[] = {
		"", "2026-03-01", "2026-03-01T00:00:00", "2026-03-01 00:00:00Z",
		"2026-03-01T00:00Z", "2026-3-01T00:00:00Z", "2026-03-01T00:00:00.Z",
		"2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-03-00T00:00:00Z",
		"2026-03-01T24:00:00Z", "2026-03-01T00:60:00Z", "2026-03-01T00:00:61Z",
		"2026-03-01T12:00:60Z", "2026-03-01T00:00:00+24:00", "2026-03-01T00:00:00+01:60",
		"2026-03-01T00:00:00+0100", "2026-03-01T00:00:00Z ", " 2026-03-01T00:00:00Z",
		"1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z",
		"10000-01-01T00:00:00Z", "+2026-03-01T00:00:00Z", "2026-03-01T00:00:00ZZ",
		"2026-03-01T00:00:00.12a3Z", "2026-03-01T00:00:00GMT",
	};
	char buf[64];
	int64_t ms;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = -1;
		CHECK(time_parse_rfc3339(good[i].s, &ms) == 0);
		if (ms != good[i].ms)
			fprintf(stderr, "time %s: got %lld, want %lld\n", good[i].s,
			    (long long)ms, good[i].ms);
		CHECK(ms == good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = time_parse_rfc3339(bad[i], &ms);

		if (r != -1)
			fprintf(stderr, "time %s: accepted\n", bad[i]);
		CHECK(r == -1);
	}
	CHECK(time_parse_rfc3339(NULL, &ms) == -1);

	time_format_rfc3339(0, buf, sizeof(buf));
	CHECK_STR(buf, "1970-01-01T00:00:00Z");
	time_format_rfc3339(T0_MS, buf, sizeof(buf));
	CHECK_STR(buf, T0);
	time_format_rfc3339(T0_MS + 7, buf, sizeof(buf));
	CHECK_STR(buf, "2026-03-01T00:00:00.007Z");
	time_format_rfc3339(1709208000123LL, buf, sizeof(buf));
	CHECK_STR(buf, "2024-02-29T12:00:00.123Z");
	time_format_rfc3339(253402300799999LL, buf, sizeof(buf));
	CHECK_STR(buf, "9999-12-31T23:59:59.999Z");
	time_format_rfc3339(-1, buf, sizeof(buf));
	CHECK_STR(buf, "1969-12-31T23:59:59.999Z");
	time_format_rfc3339(T0_MS, buf, 5);
	CHECK_STR(buf, "2026");
	/* round trip over a spread of instants */
	for (ms = 0; ms < 253402300799999LL; ms += 987654321987LL) {
		int64_t back = -1;

		time_format_rfc3339(ms, buf, sizeof(buf));
		CHECK(time_parse_rfc3339(buf, &back) == 0 && back == ms);
	}

	/* absurd times in an event are DR_BAD_TIME */
	{
		struct hr_event ev;
		const char *s = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\","
		    "\"time\":\"0000-01-01T00:00:00Z\"}";

		CHECK(reason_of(s, &ev) == DR_BAD_TIME);
		s = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\","
		    "\"time\":\"2026-03-01T00:00:00.000000000000000000000000000000000000000"
		    "0000000000000000000000000000000000000000Z\"}";
		CHECK(reason_of(s, &ev) == DR_BAD_TIME);
		/* records keep 32-bit seconds: 2099 is the last year taken */
		s = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\","
		    "\"time\":\"2100-01-01T00:00:00Z\"}";
		CHECK(reason_of(s, &ev) == DR_BAD_TIME);
		s = "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\","
		    "\"type\":\"hr.employee.erased\",\"subject\":\"E1\","
		    "\"time\":\"2099-12-31T23:59:59.999Z\"}";
		CHECK(reason_of(s, &ev) == -1 && ev.time_ms == EMP_TIME_LIMIT_MS - 1);
	}
}

/* Binary content mode: ce_* headers, value is the data. */
static int
decode_bin(const char *value, const struct msg_header *h, size_t nh,
    const char *key, struct hr_event *ev, char *err)
{
	struct message m;
	int reason = -1;

	memset(&m, 0, sizeof(m));
	m.value = value;
	m.len = value != NULL ? strlen(value) : 0;
	m.key = key;
	m.keylen = key != NULL ? strlen(key) : 0;
	m.headers = h;
	m.nheaders = nh;
	if (decode_event(&m, ev, err, ERRBUF_MAX, &reason) == 0)
		return -1;
	CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
	CHECK(strstr(err, "SECRET") == NULL);
	return reason;
}

#define HDR(n, v) { n, v, sizeof(v) - 1 }

static void
test_binary(void)
{
	struct msg_header h[] = {
		HDR("ce_specversion", "1.0"),
		HDR("ce_id", "b-1"),
		HDR("ce_source", "/hris/bin"),
		HDR("ce_type", "hr.survey.submitted"),
		HDR("ce_subject", "SECRETID"),
		HDR("ce_time", "2026-03-01T00:00:00.250Z"),
		HDR("content-type", "application/json; charset=utf-8"),
		HDR("traceparent", "00-abc"),
	};
	struct msg_header hh[10];
	char err[ERRBUF_MAX];
	struct hr_event ev;
	size_t n = sizeof(h) / sizeof(h[0]);

	CHECK(decode_bin("{\"satisfaction\":42}", h, n, "SECRETID", &ev, err) == -1);
	CHECK(ev.type == EV_SURVEY);
	CHECK_STR(ev.id, "b-1");
	CHECK_STR(ev.source, "/hris/bin");
	CHECK_STR(ev.subject, "SECRETID");
	CHECK(ev.time_ms == T0_MS + 250);
	CHECK_NEAR(ev.satisfaction, 42, 0);

	/* without content-type, with another JSON media type */
	CHECK(decode_bin("{\"satisfaction\":42}", h, 6, NULL, &ev, err) == -1);
	memcpy(hh, h, sizeof(h));
	hh[6].value = "application/vnd.hr+json";
	hh[6].len = strlen(hh[6].value);
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == -1);
	hh[6].value = "text/plain";
	hh[6].len = strlen(hh[6].value);
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == DR_BAD_TYPE);

	/* data problems */
	CHECK(decode_bin("{\"satisfaction\":420}", h, n, NULL, &ev, err) == DR_OUT_OF_RANGE);
	CHECK(decode_bin("{\"satisfaction\":42", h, n, NULL, &ev, err) == DR_NOT_JSON);
	CHECK(decode_bin("[42]", h, n, NULL, &ev, err) == DR_BAD_TYPE);
	CHECK(decode_bin(NULL, h, n, NULL, &ev, err) == DR_MISSING_FIELD);
	CHECK(decode_bin("", h, n, NULL, &ev, err) == DR_MISSING_FIELD);
	CHECK(decode_bin("{\"satisfaction\":42}", h, n, "OTHER", &ev, err) == DR_KEY_MISMATCH);

	/* each required header missing */
	for (size_t skip = 1; skip < 6; skip++) {
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (i != skip)
				hh[k++] = h[i];
		CHECK(decode_bin("{\"satisfaction\":42}", hh, k, NULL, &ev, err) ==
		    DR_MISSING_FIELD);
		CHECK(strstr(err, h[skip].name) != NULL);
	}
	/* duplicate, bad values, NUL and invalid UTF-8 in headers */
	memcpy(hh, h, sizeof(h));
	hh[n] = h[3];
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n + 1, NULL, &ev, err) == DR_BAD_TYPE);
	memcpy(hh, h, sizeof(h));
	hh[0].value = "1.0 ";
	hh[0].len = 4;
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == DR_BAD_TYPE);
	memcpy(hh, h, sizeof(h));
	hh[4].value = "SECRET\0ID";
	hh[4].len = 9;
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == DR_BAD_ID);
	hh[4].value = "SECRET\xff";
	hh[4].len = 7;
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == DR_BAD_ID);
	memcpy(hh, h, sizeof(h));
	hh[5].value = "2026-03-01T00:00:00Z\0junk";
	hh[5].len = 25;
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == DR_BAD_TIME);
	memcpy(hh, h, sizeof(h));
	hh[3].value = "hr.survey.submitted\0";
	hh[3].len = 20;
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == DR_UNKNOWN_TYPE);
	hh[3].value = NULL;
	hh[3].len = 0;
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == DR_MISSING_FIELD);
	memcpy(hh, h, sizeof(h));
	hh[1].value = "b\x01";
	hh[1].len = 2;
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == DR_BAD_TYPE);

	/* erased: empty value, or an object */
	memcpy(hh, h, sizeof(h));
	hh[3].value = "hr.employee.erased";
	hh[3].len = strlen(hh[3].value);
	CHECK(decode_bin(NULL, hh, n, NULL, &ev, err) == -1);
	CHECK(ev.type == EV_ERASED);
	CHECK(decode_bin("{}", hh, n, NULL, &ev, err) == -1);

	/* a structured event with a stray content-type header stays structured */
	{
		struct msg_header ct[] = { HDR("content-type", "application/cloudevents+json") };
		const char *s = event_json("hr.review.completed", "{\"rating\":2}");

		CHECK(decode_bin(s, ct, 1, NULL, &ev, err) == -1);
		CHECK(ev.type == EV_REVIEW);
	}
}

/*
 * The content mode by the Kafka binding's rule: the content-type header
 * decides; ce_* headers beside a structured event do not make it binary.
 * The structured value's id ("ev-1") and the headers' ("hdr-1") differ so
 * that each case shows which of the two was read.
 */
static void
test_content_mode(void)
{
	struct msg_header h[] = {
		HDR("content-type", "application/cloudevents+json"),
		HDR("ce_specversion", "1.0"),
		HDR("ce_id", "hdr-1"),
		HDR("ce_source", "/hris/bin"),
		HDR("ce_type", "hr.survey.submitted"),
		HDR("ce_subject", "SECRETID"),
		HDR("ce_time", T0),
	};
	static const char *const structured_types[] = {
		"application/cloudevents+json",
		"application/cloudevents+json; charset=utf-8",
		"Application/CloudEvents+JSON;charset=UTF-8",
		" application/cloudevents+json ",
		"application/cloudevents",
	};
	static const char *const other_formats[] = {
		"application/cloudevents+avro",
		"application/cloudevents-batch+json",
		"application/cloudeventsjson",
	};
	const size_t n = sizeof(h) / sizeof(h[0]);
	const char *s = event_json("hr.review.completed", "{\"rating\":2}");
	struct msg_header hh[8];
	char err[ERRBUF_MAX];
	struct hr_event ev;
	size_t i;

	/* the case: structured, with the SDK's ce_specversion beside it */
	CHECK(decode_bin(s, h, 2, NULL, &ev, err) == -1);
	CHECK(ev.type == EV_REVIEW);
	CHECK_STR(ev.id, "ev-1");
	/* every binary header too: still the value's attributes */
	CHECK(decode_bin(s, h, n, "SECRETID", &ev, err) == -1);
	CHECK(ev.type == EV_REVIEW);
	CHECK_STR(ev.id, "ev-1");
	CHECK_STR(ev.source, "/hris");

	memcpy(hh, h, sizeof(h));
	for (i = 0; i < sizeof(structured_types) / sizeof(structured_types[0]); i++) {
		hh[0].value = structured_types[i];
		hh[0].len = strlen(structured_types[i]);
		CHECK(decode_bin(s, hh, n, NULL, &ev, err) == -1);
		CHECK_STR(ev.id, "ev-1");
	}
	hh[0].name = "Content-Type";	/* header names match in any case */
	CHECK(decode_bin(s, hh, n, NULL, &ev, err) == -1);
	CHECK_STR(ev.id, "ev-1");

	/* a CloudEvents media type of a format other than JSON */
	memcpy(hh, h, sizeof(h));
	for (i = 0; i < sizeof(other_formats) / sizeof(other_formats[0]); i++) {
		hh[0].value = other_formats[i];
		hh[0].len = strlen(other_formats[i]);
		CHECK(decode_bin(s, hh, n, NULL, &ev, err) == DR_BAD_TYPE);
		CHECK(strstr(err, "content-type") != NULL);
	}

	/* any other content-type: binary, the headers' attributes */
	memcpy(hh, h, sizeof(h));
	hh[0].value = "application/json";
	hh[0].len = strlen(hh[0].value);
	CHECK(decode_bin("{\"satisfaction\":42}", hh, n, NULL, &ev, err) == -1);
	CHECK(ev.type == EV_SURVEY);
	CHECK_STR(ev.id, "hdr-1");
	/* ... so a structured value under it is read as data and fails */
	CHECK(decode_bin(s, hh, n, NULL, &ev, err) == DR_MISSING_FIELD);
	/* no content-type, ce_* headers: binary */
	CHECK(decode_bin("{\"satisfaction\":42}", h + 1, n - 1, NULL, &ev, err) == -1);
	CHECK_STR(ev.id, "hdr-1");
	/* binary is chosen by any ce_* header, not by ce_specversion alone */
	CHECK(decode_bin(s, h + 2, n - 2, NULL, &ev, err) == DR_MISSING_FIELD);
	CHECK(strstr(err, "ce_specversion") != NULL);

	/* no CloudEvents media type and no ce_* header: structured */
	hh[0] = (struct msg_header)HDR("content-type", "application/json");
	hh[1] = (struct msg_header)HDR("traceparent", "00-abc");
	CHECK(decode_bin(s, hh, 2, NULL, &ev, err) == -1);
	CHECK_STR(ev.id, "ev-1");
	CHECK(decode_bin(s, hh + 1, 1, NULL, &ev, err) == -1);
	CHECK(decode_bin(s, NULL, 0, NULL, &ev, err) == -1);
	hh[0] = (struct msg_header)HDR("content-type", "text/plain");
	CHECK(decode_bin(s, hh, 1, NULL, &ev, err) == DR_BAD_TYPE);
}

/* errbuf handling: tiny buffers, NULL, NULL reason pointer. */
static void
test_errbuf(void)
{
	const char *s = "{\"a\":1}";
	struct message m;
	struct hr_event ev;
	char small[8];
	int i;

	memset(&m, 0, sizeof(m));
	m.value = s;
	m.len = strlen(s);
	memset(small, 'z', sizeof(small));
	CHECK(decode_event(&m, &ev, small, sizeof(small), NULL) == -1);
	CHECK(memchr(small, '\0', sizeof(small)) != NULL);
	CHECK(decode_event(&m, &ev, NULL, 0, NULL) == -1);

	for (i = 0; i < DR__COUNT; i++) {
		const char *nm = decode_reason_name(i);

		CHECK(nm != NULL && strcmp(nm, "unknown") != 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(nm, decode_reason_name(j)) != 0);
		for (const char *p = nm; *p; p++)
			CHECK((*p >= 'a' && *p <= 'z') || *p == '_');
	}
	CHECK_STR(decode_reason_name(-1), "unknown");
	CHECK_STR(decode_reason_name(DR__COUNT), "unknown");
}

int
main(void)
{
	pipeline_global_init();
	test_table();
	test_fields();
	test_attr_limit();
	test_envelope();
	test_lengths();
	test_key();
	test_size_depth();
	test_time();
	test_binary();
	test_content_mode();
	test_errbuf();
	return check_exit("test_decode");
}
