/*
 * test_report.c: the page's aggregates (pipeline/report.c) and the HTML
 * built from them (daemon/page.c, charts.c, svg.c).
 *
 * A small company whose every count is known is run through
 * pipeline_run(); the report must give back those counts (active and at
 * risk per department, exits and alerts per month, the latest plan, the
 * risk histogram), the monthly ring must stay bounded and drop what falls
 * out of it, and the aggregate page must name every department but no
 * employee, while the employee view names the employees at risk; text cut
 * short for a title or label stays valid UTF-8.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/daemon.h"
#include "check.h"

static int
sink(void *arg, const struct output *o)
{
	int *alerts = arg;

	if (o->kind == OUT_ALERT)
		(*alerts)++;
	return 0;
}

static void
feed(struct pipeline *p, int *alerts, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
feed(struct pipeline *p, int *alerts, const char *key, const char *fmt, ...)
{
	static long	offset, seq;
	struct message	m;
	char		buf[1024], ev[1100];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	snprintf(ev, sizeof(ev), "{\"specversion\":\"1.0\",\"id\":\"r-%ld\","
	    "\"source\":\"t\",\"subject\":\"%s\",%s}", seq++, key, buf);
	memset(&m, 0, sizeof(m));
	m.key = key;
	m.keylen = strlen(key);
	m.value = ev;
	m.len = strlen(ev);
	m.topic = "hr.events";
	m.offset = offset++;
	CHECK(pipeline_run_all(p, &m, sink, alerts) == PIPE_OK);
}

static const struct report_dept *
dept(const struct report *r, const char *name)
{
	for (int d = 0; d < r->ndepts; d++)
		if (strcmp(r->depts[d].name, name) == 0)
			return &r->depts[d];
	return NULL;
}

static const struct report_month *
month(const struct report *r, const char *m)
{
	for (int i = 0; i < r->nmonths; i++)
		if (strcmp(r->months[i].month, m) == 0)
			return &r->months[i];
	return NULL;
}

#define HIRE "\"type\":\"hr.employee.hired\",\"time\":\"2024-01-0%dT00:00:00Z\"," \
	"\"data\":{\"department\":\"%s\",\"job_level\":2,\"salary\":40000," \
	"\"attributes\":{\"gender\":\"%s\"}}"
#define EXIT "\"type\":\"hr.employee.exited\",\"time\":\"%s\"," \
	"\"data\":{\"voluntary\":%s}"

/* Ten hires in two departments, four exits in known months; every
 * survey is poor, so (threshold tiny, no warm-up, no margin) every one is at risk. */
static struct pipeline *
company(int *alerts)
{
	struct pipeline_config	cfg;
	struct pipeline		*p;
	char			err[256], id[16];

	pipeline_config_defaults(&cfg);
	cfg.threshold = 0.001;
	cfg.clear_threshold = 0.0005;
	cfg.warmup_max_se = 0;	/* the alert policy: test_decide.c */
	cfg.confidence_z = 0;
	p = pipeline_new(&cfg, err, sizeof(err));
	CHECK(p != NULL);
	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "Emp-%03d", i);
		feed(p, alerts, id, HIRE, 1 + i % 5, i < 6 ? "Sales & Co" : "R<D>",
		    i % 2 ? "f" : "m");
	}
	feed(p, alerts, "Emp-000", EXIT, "2024-03-05T00:00:00Z", "true");
	feed(p, alerts, "Emp-001", EXIT, "2024-03-20T00:00:00Z", "false");
	feed(p, alerts, "Emp-006", EXIT, "2024-05-02T00:00:00Z", "true");
	feed(p, alerts, "Emp-007", EXIT, "2024-06-30T00:00:00Z", "true");
	return p;
}

static void
test_counts(void)
{
	struct pipeline		*p;
	struct report		*r;
	const struct report_dept *s, *d;
	const struct report_month *m;
	struct pipeline_stats	 st;
	long			 hist = 0;
	int			 alerts = 0;

	p = company(&alerts);
	r = pipeline_report(p);
	CHECK(r != NULL);
	CHECK(r->ndepts == 2 && r->active == 6);
	s = dept(r, "Sales & Co");
	d = dept(r, "R<D>");
	CHECK(s != NULL && d != NULL);
	if (s == NULL || d == NULL)
		goto out;
	CHECK(s->active == 4 && d->active == 2);
	CHECK(r->nmonths == 6);		/* 2024-01 .. 2024-06 */
	CHECK_STR(r->months[0].month, "2024-01");
	m = month(r, "2024-03");
	CHECK(m != NULL && m->exits_voluntary == 1 && m->exits_other == 1);
	m = month(r, "2024-05");
	CHECK(m != NULL && m->exits_voluntary == 1);
	CHECK(s->exits[2] == 2 && d->exits[4] == 1 && d->exits[5] == 1);
	for (int b = 0; b < REPORT_RISK_BINS; b++)
		hist += r->risk.bins[b];
	CHECK(hist == r->risk.scored && r->risk.scored == 6);
	CHECK(r->risk.above == r->risk.scored);	/* threshold 0.001 */
	CHECK(r->risk.mean > 0 && r->risk.mean < 1);
	long fired = 0, resolved = 0;
	for (int i = 0; i < r->nmonths; i++) {
		fired += r->months[i].alerts_firing;
		resolved += r->months[i].alerts_resolved;
	}
	CHECK(fired + resolved == alerts);
	CHECK(fired - resolved == r->at_risk);
	CHECK(s->at_risk + d->at_risk == r->at_risk);
	/* plans go out on entering a month, for departments at risk with an
	 * action that helps; with ten people and three exits the model shrinks
	 * every effect to nothing (hazard.c, heuristic shrinkage), so whether
	 * one is made depends on the model: the report must show exactly the
	 * plans published */
	pipeline_stats(p, &st);
	CHECK((s->has_plan || d->has_plan) == (st.plans > 0));
	CHECK(st.plans == 0 || r->at_risk > 0 || fired > 0);
	/* each epoch boundary published estimates: the last is the reference */
	CHECK(r->has_prev);
out:
	pipeline_report_free(r);
	CHECK(pipeline_publish_estimates(p, sink, &alerts) == 0);
	r = pipeline_report(p);
	CHECK(r != NULL && r->has_prev && r->risk_prev.clock_ms == r->clock_ms);
	CHECK(memcmp(&r->risk, &r->risk_prev, sizeof(r->risk)) == 0);
	pipeline_report_free(r);
	pipeline_free(p);
}

/* The ring keeps REPORT_MONTHS months, clears the months it skips and
 * ignores events older than its span. */
static void
test_ring(void)
{
	struct pipeline	*p;
	struct report	*r;
	int		 alerts = 0;

	p = company(&alerts);
	feed(p, &alerts, "Emp-002", EXIT, "2027-02-01T00:00:00Z", "true");
	feed(p, &alerts, "Emp-003", EXIT, "2024-02-01T00:00:00Z", "true");
	r = pipeline_report(p);
	CHECK(r != NULL && r->nmonths == REPORT_MONTHS);
	CHECK_STR(r->months[REPORT_MONTHS - 1].month, "2027-02");
	CHECK_STR(r->months[0].month, "2024-03");
	CHECK(r->months[0].exits_voluntary == 1 && r->months[0].exits_other == 1);
	CHECK(r->months[REPORT_MONTHS - 1].exits_voluntary == 1);
	CHECK(month(r, "2024-02") == NULL);
	pipeline_report_free(r);
	pipeline_free(p);
}

static void
test_page(void)
{
	struct pipeline	*p;
	char		*html, id[32];
	int		 alerts = 0, named = 0;

	p = company(&alerts);
	html = page_render(p);
	CHECK(html != NULL);
	if (html != NULL) {
		CHECK(strstr(html, "Sales &amp; Co") != NULL);
		CHECK(strstr(html, "R&lt;D&gt;") != NULL);
		CHECK(strstr(html, "R<D>") == NULL);
		CHECK(strstr(html, "Emp-") == NULL);	/* no employee named */
		CHECK(strstr(html, "style=") == NULL);	/* the CSP forbids it */
		CHECK(strstr(html, "data-chart=\"risk\"") != NULL);
		CHECK(strstr(html, "data-chart=\"fairness\"") != NULL);
	}
	free(html);
	html = page_render_employees(p, 1);
	CHECK(html != NULL);
	for (int i = 0; html != NULL && i < 10; i++) {
		snprintf(id, sizeof(id), "Emp-%03d<", i);
		named += strstr(html, id) != NULL;
	}
	CHECK(html != NULL && strstr(html, "type=\"password\"") != NULL);
	free(html);
	struct report *r = pipeline_report(p);
	CHECK(r != NULL && named == r->at_risk);
	pipeline_report_free(r);
	pipeline_free(p);
}

/* Before any event every chart says why it is empty. */
static void
test_empty(void)
{
	struct pipeline_config	cfg;
	struct pipeline		*p;
	char			err[256], *html;

	pipeline_config_defaults(&cfg);
	p = pipeline_new(&cfg, err, sizeof(err));
	CHECK(p != NULL);
	html = page_render(p);
	CHECK(html != NULL && strstr(html, "no active employee scored yet") != NULL);
	CHECK(html != NULL && strstr(html, "No department seen yet") != NULL);
	free(html);
	html = page_render_employees(p, 0);
	CHECK(html != NULL && strstr(html, "No employee has an open alert") != NULL);
	CHECK(html != NULL && strstr(html, "type=\"password\"") == NULL);
	free(html);
	pipeline_free(p);
}

/* Truncation must not leave half a UTF-8 character on the page. */
static void
test_trim(void)
{
	char	a[] = "ab\xc3", b[] = "ab\xe2\x82", c[] = "ab\xe2\x82\xac",
		d[] = "ab\xc3\xa9", e[] = "abc", f[] = "\xf0\x9f\x98";

	html_trim_utf8(a);
	html_trim_utf8(b);
	html_trim_utf8(c);
	html_trim_utf8(d);
	html_trim_utf8(e);
	html_trim_utf8(f);
	CHECK_STR(a, "ab");
	CHECK_STR(b, "ab");
	CHECK_STR(c, "ab\xe2\x82\xac");
	CHECK_STR(d, "ab\xc3\xa9");
	CHECK_STR(e, "abc");
	CHECK_STR(f, "");
}

int
main(void)
{
	test_trim();
	test_empty();
	test_counts();
	test_ring();
	test_page();
	return check_exit("test_report");
}
