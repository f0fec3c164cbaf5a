/*
 * test_metrics.c: histogram bookkeeping and the Prometheus text rendering
 * of daemon/metrics.c, with and without a real pipeline behind it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../daemon/daemon.h"
#include "check.h"

static int
emit_none(void *arg, const struct output *o)
{
	return 0;
}

static void
feed(struct pipeline *p, const char *json, int64_t offset)
{
	struct message	m;

	memset(&m, 0, sizeof(m));
	m.value = json;
	m.len = strlen(json);
	m.topic = "hr.events";
	m.offset = offset;
	pipeline_run_all(p, &m, emit_none, NULL);
}

/* The value of the sample line that starts with `prefix` followed by a
 * space, or -12345 when absent. */
static double
sample(const char *text, const char *prefix)
{
	const char	*s = text;
	size_t		 n = strlen(prefix);

	while ((s = strstr(s, prefix)) != NULL) {
		if ((s == text || s[-1] == '\n') && s[n] == ' ')
			return strtod(s + n + 1, NULL);
		s += n;
	}
	return -12345;
}

/* Each line is "# HELP name text", "# TYPE name type" or a sample
 * "name{labels} value" whose family was TYPEd before it. Returns the number
 * of malformed lines. */
static int
malformed_lines(const char *text)
{
	char		 typed[8192] = " ";
	const char	*line = text, *nl, *sp, *brace;
	char		 name[256], *end;
	int		 bad = 0;
	size_t		 n;

	for (; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			return bad + 1;		/* last line unterminated */
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			sp = memchr(line + 7, ' ', (size_t)(nl - line - 7));
			if (sp == NULL) {
				bad++;
				continue;
			}
			n = (size_t)(sp - line - 7);
			if (strlen(typed) + n + 2 < sizeof(typed)) {
				strncat(typed, line + 7, n);
				strcat(typed, " ");
			}
			continue;
		}
		brace = memchr(line, '{', (size_t)(nl - line));
		sp = brace != NULL ? memchr(brace, '}', (size_t)(nl - brace)) : line;
		if (sp == NULL || (sp = memchr(sp, ' ', (size_t)(nl - sp))) == NULL) {
			bad++;
			continue;
		}
		n = (size_t)((brace != NULL ? brace : sp) - line);
		if (n == 0 || n >= sizeof(name)) {
			bad++;
			continue;
		}
		memcpy(name, line, n);
		name[n] = '\0';
		/* histogram samples belong to the family without the suffix */
		for (const char *suf = "_bucket\0_sum\0_count\0"; *suf; suf += strlen(suf) + 1) {
			size_t sl = strlen(suf);
			if (n > sl && strcmp(name + n - sl, suf) == 0) {
				char fam[260];
				snprintf(fam, sizeof(fam), " %.*s ", (int)(n - sl), name);
				if (strstr(typed, fam) != NULL)
					name[n - sl] = '\0';
				break;
			}
		}
		{
			char key[260];
			snprintf(key, sizeof(key), " %s ", name);
			if (strstr(typed, key) == NULL) {
				fprintf(stderr, "untyped sample: %.*s\n",
				    (int)(nl - line), line);
				bad++;
			}
		}
		(void)strtod(sp + 1, &end);
		if (end != nl) {
			fprintf(stderr, "bad value: %.*s\n", (int)(nl - line), line);
			bad++;
		}
	}
	return bad;
}

static void
test_histograms(void)
{
	char	*t;

	metrics_observe_processing(5e-6);	/* below the first bound */
	metrics_observe_processing(3e-4);	/* in (2.5e-4, 5e-4] */
	metrics_observe_processing(2.0);	/* above the last bound */
	metrics_observe_processing(NAN);	/* ignored */
	metrics_observe_processing(-1);		/* clock skew: counts as 0 */
	CHECK(metrics.proc_count == 4);
	CHECK_NEAR(metrics.proc_sum, 5e-6 + 3e-4 + 2.0, 1e-12);

	metrics_observe_event_to_alert(2 * 86400.0);	/* two days */

	t = metrics_render(NULL);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK(malformed_lines(t) == 0);
	CHECK_NEAR(sample(t, "retentiond_processing_seconds_bucket{le=\"1e-05\"}"), 2, 0);
	CHECK_NEAR(sample(t, "retentiond_processing_seconds_bucket{le=\"0.00025\"}"), 2, 0);
	CHECK_NEAR(sample(t, "retentiond_processing_seconds_bucket{le=\"0.0005\"}"), 3, 0);
	CHECK_NEAR(sample(t, "retentiond_processing_seconds_bucket{le=\"1\"}"), 3, 0);
	CHECK_NEAR(sample(t, "retentiond_processing_seconds_bucket{le=\"+Inf\"}"), 4, 0);
	CHECK_NEAR(sample(t, "retentiond_processing_seconds_count"), 4, 0);
	CHECK_NEAR(sample(t, "retentiond_processing_seconds_sum"), 2.000305, 1e-9);
	CHECK_NEAR(sample(t, "retentiond_event_to_alert_seconds_bucket{le=\"86400\"}"), 0, 0);
	CHECK_NEAR(sample(t, "retentiond_event_to_alert_seconds_bucket{le=\"172800\"}"), 1, 0);
	CHECK_NEAR(sample(t, "retentiond_event_to_alert_seconds_count"), 1, 0);
	/* without a pipeline, no pipeline families */
	CHECK(strstr(t, "retentiond_events_total") == NULL);
	CHECK(strstr(t, "retentiond_build_info{version=\"" RETENTIOND_VERSION "\"} 1\n") != NULL);
	free(t);
}

static void
test_daemon_gauges(void)
{
	struct timespec	 ts;
	char		*t;

	metrics.consumer_lag = -1;
	metrics.last_checkpoint_ms = 0;
	METRICS_ADD(consumed, 7);
	METRICS_SET(ready, 1);
	t = metrics_render(NULL);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK(strstr(t, "retentiond_consumer_lag NaN\n") != NULL);
	CHECK(strstr(t, "retentiond_checkpoint_age_seconds") == NULL);
	CHECK_NEAR(sample(t, "retentiond_consumed_total"), 7, 0);
	CHECK_NEAR(sample(t, "retentiond_ready"), 1, 0);
	free(t);

	clock_gettime(CLOCK_REALTIME, &ts);
	metrics.last_checkpoint_ms = (int64_t)ts.tv_sec * 1000 - 5000;
	METRICS_SET(consumer_lag, 42);
	t = metrics_render(NULL);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK_NEAR(sample(t, "retentiond_checkpoint_age_seconds"), 5, 1.5);
	CHECK_NEAR(sample(t, "retentiond_consumer_lag"), 42, 0);
	CHECK(malformed_lines(t) == 0);
	free(t);
	metrics.last_checkpoint_ms = 0;
}

static void
test_pipeline(void)
{
	struct pipeline_config	 cfg;
	struct pipeline		*p;
	char			 errbuf[256], *t;

	pipeline_config_defaults(&cfg);
	if ((p = pipeline_new(&cfg, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "pipeline_new: %s\n", errbuf);
		CHECK(p != NULL);
		return;
	}
	feed(p, "{\"specversion\":\"1.0\",\"id\":\"a1\",\"source\":\"t\","
	    "\"type\":\"hr.employee.hired\",\"subject\":\"SECRETEMP1\","
	    "\"time\":\"2025-01-01T00:00:00Z\",\"data\":{\"department\":\"Sales\","
	    "\"job_level\":3,\"salary\":50000,"
	    "\"attributes\":{\"Gender\":\"f\\\"q\"}}}", 0);
	feed(p, "{\"specversion\":\"1.0\",\"id\":\"a2\",\"source\":\"t\","
	    "\"type\":\"hr.employee.hired\",\"subject\":\"SECRETEMP2\","
	    "\"time\":\"2025-01-02T00:00:00Z\",\"data\":{\"department\":\"Sales\","
	    "\"job_level\":2,\"salary\":40000}}", 1);
	feed(p, "{\"specversion\":\"1.0\",\"id\":\"a2\",\"source\":\"t\","
	    "\"type\":\"hr.employee.hired\",\"subject\":\"SECRETEMP2\","
	    "\"time\":\"2025-01-02T00:00:00Z\",\"data\":{\"department\":\"Sales\","
	    "\"job_level\":2,\"salary\":40000}}", 2);	/* duplicate */
	feed(p, "{\"specversion\":\"1.0\",\"id\":\"a3\",\"source\":\"t\","
	    "\"type\":\"hr.survey.submitted\",\"subject\":\"SECRETEMP3\","
	    "\"time\":\"2025-02-01T00:00:00Z\",\"data\":{\"satisfaction\":40}}", 3);
	feed(p, "not json", 4);
	feed(p, "{\"specversion\":\"1.0\",\"id\":\"a4\",\"source\":\"t\","
	    "\"type\":\"hr.employee.erased\",\"subject\":\"SECRETEMP2\","
	    "\"time\":\"2025-02-02T00:00:00Z\"}", 5);

	t = metrics_render(p);
	CHECK(t != NULL);
	if (t != NULL) {
		CHECK(malformed_lines(t) == 0);
		CHECK_NEAR(sample(t, "retentiond_events_total{type=\"hr.employee.hired\"}"), 2, 0);
		CHECK_NEAR(sample(t, "retentiond_events_total{type=\"hr.survey.submitted\"}"), 1, 0);
		CHECK_NEAR(sample(t, "retentiond_events_total{type=\"hr.review.completed\"}"), 0, 0);
		CHECK_NEAR(sample(t, "retentiond_events_rejected_total{reason=\"not_json\"}"), 1, 0);
		CHECK_NEAR(sample(t, "retentiond_events_duplicate_total"), 1, 0);
		CHECK_NEAR(sample(t, "retentiond_employees_provisional_total"), 1, 0);
		CHECK_NEAR(sample(t, "retentiond_erasures_total"), 1, 0);
		CHECK_NEAR(sample(t, "retentiond_outputs_total{kind=\"dlq\"}"), 1, 0);
		CHECK_NEAR(sample(t, "retentiond_employees{status=\"all\"}"), 2, 0);
		/* the latest event time: the survey, or the erasure if it
		 * moves the clock too */
		CHECK(sample(t, "retentiond_event_clock_seconds") >= 1738368000 &&
		    sample(t, "retentiond_event_clock_seconds") <= 1738454400);
		CHECK(sample(t, "retentiond_model_version") >= 1);
		CHECK(strstr(t, "# TYPE retentiond_model_impact_ratio gauge\n") != NULL);
		/* the HELP text names the reference group as quality.c
		 * computes it: ratios above 1 are possible */
		{
			const char *help = strstr(t, "# HELP retentiond_model_impact_ratio ");
			const char *end = help != NULL ? strchr(help, '\n') : NULL;
			char want[64];

			snprintf(want, sizeof(want), "groups of at least %d employees",
			    IMPACT_MIN_GROUP);
			CHECK(help != NULL && end != NULL);
			if (help != NULL && end != NULL) {
				char line[1024];

				snprintf(line, sizeof(line), "%.*s", (int)(end - help), help);
				CHECK(strstr(line, want) != NULL);
				CHECK(strstr(line, "can exceed 1") != NULL);
			}
		}
		/* a group level with a quote is escaped, if tracked at all */
		CHECK(strstr(t, "level=\"f\"q\"") == NULL);
		/* no personal data */
		CHECK(strstr(t, "SECRETEMP") == NULL);
		free(t);
	}
	pipeline_free(p);
}

int
main(void)
{
	pipeline_global_init();
	test_histograms();
	test_daemon_gauges();
	test_pipeline();
	return check_exit("test_metrics");
}
