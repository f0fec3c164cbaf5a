/*
 * fuzz_employee.h: for the fuzz targets that need a pipeline with someone
 * in it (fuzz_whatif.c, fuzz_http.c): employee "E1", hired, with a survey,
 * training and a raise behind them, so that scoring and what-if have
 * something to work on. Header-only: each target is one program.
 */
#ifndef FUZZ_EMPLOYEE_H
#define FUZZ_EMPLOYEE_H

#include <stdlib.h>
#include <string.h>

#include "../../pipeline/pipeline.h"

static int
fuzz_drop(void *arg, const struct output *o)
{
	(void)arg;
	(void)o;
	return 0;
}

static void
fuzz_feed(struct pipeline *p, const char *json)
{
	struct message m;

	memset(&m, 0, sizeof(m));
	m.value = json;
	m.len = strlen(json);
	pipeline_run_all(p, &m, fuzz_drop, NULL);
}

/* A new pipeline (cfg: defaults when NULL) that knows E1; aborts on
 * failure. */
static struct pipeline *
fuzz_pipeline_with_employee(const struct pipeline_config *cfg)
{
	struct pipeline_config	def;
	struct pipeline		*p;
	char			 err[256];

	pipeline_global_init();
	if (cfg == NULL) {
		pipeline_config_defaults(&def);
		cfg = &def;
	}
	if ((p = pipeline_new(cfg, err, sizeof(err))) == NULL)
		abort();
	fuzz_feed(p, "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"f\",\"type\":\"hr.employee.hired\","
	    "\"subject\":\"E1\",\"time\":\"2025-01-01T00:00:00Z\",\"data\":{\"department\":\"Ops\","
	    "\"job_level\":3,\"salary\":52000,\"attributes\":{\"overtime\":\"yes\"}}}");
	fuzz_feed(p, "{\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"f\",\"type\":\"hr.survey.submitted\","
	    "\"subject\":\"E1\",\"time\":\"2025-03-01T00:00:00Z\",\"data\":{\"satisfaction\":40}}");
	fuzz_feed(p, "{\"specversion\":\"1.0\",\"id\":\"3\",\"source\":\"f\",\"type\":\"hr.training.completed\","
	    "\"subject\":\"E1\",\"time\":\"2025-04-01T00:00:00Z\",\"data\":{\"hours\":12,\"assessment\":55}}");
	fuzz_feed(p, "{\"specversion\":\"1.0\",\"id\":\"4\",\"source\":\"f\",\"type\":\"hr.compensation.changed\","
	    "\"subject\":\"E1\",\"time\":\"2025-05-01T00:00:00Z\",\"data\":{\"kind\":\"raise\",\"amount\":2000}}");
	return p;
}

#endif
