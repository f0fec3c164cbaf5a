/*
 * fuzz_whatif.c: libFuzzer target for POST /v1/employees/{id}/whatif below
 * the HTTP layer: the body goes to pipeline_whatif_json() for an employee
 * with a hire, surveys, training and a raise behind it, so the parser
 * (whatif_parse_actions) and the what-if scoring (decide.c applying any
 * amount the parser lets through) both run. Every body must give either a
 * JSON answer or a one-line error, never crash, hang or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/pipeline.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct pipeline *p;

static int
drop(void *arg, const struct output *o)
{
	(void)arg;
	(void)o;
	return 0;
}

static void
feed(const char *json)
{
	struct message m;

	memset(&m, 0, sizeof(m));
	m.value = json;
	m.len = strlen(json);
	pipeline_run_all(p, &m, drop, NULL);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct pipeline_config cfg;
	char err[256];

	(void)argc;
	(void)argv;
	pipeline_global_init();
	pipeline_config_defaults(&cfg);
	if ((p = pipeline_new(&cfg, err, sizeof(err))) == NULL)
		abort();
	feed("{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"f\",\"type\":\"hr.employee.hired\","
	    "\"subject\":\"E1\",\"time\":\"2025-01-01T00:00:00Z\",\"data\":{\"department\":\"Ops\","
	    "\"job_level\":3,\"salary\":52000,\"attributes\":{\"overtime\":\"yes\"}}}");
	feed("{\"specversion\":\"1.0\",\"id\":\"2\",\"source\":\"f\",\"type\":\"hr.survey.submitted\","
	    "\"subject\":\"E1\",\"time\":\"2025-03-01T00:00:00Z\",\"data\":{\"satisfaction\":40}}");
	feed("{\"specversion\":\"1.0\",\"id\":\"3\",\"source\":\"f\",\"type\":\"hr.training.completed\","
	    "\"subject\":\"E1\",\"time\":\"2025-04-01T00:00:00Z\",\"data\":{\"hours\":12,\"assessment\":55}}");
	feed("{\"specversion\":\"1.0\",\"id\":\"4\",\"source\":\"f\",\"type\":\"hr.compensation.changed\","
	    "\"subject\":\"E1\",\"time\":\"2025-05-01T00:00:00Z\",\"data\":{\"kind\":\"raise\",\"amount\":2000}}");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *answer;

	if (p == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	answer = pipeline_whatif_json(p, "E1", (const char *)data, size, err, sizeof(err));
	if (answer == NULL && (err[0] == '\0' || strchr(err, '\n') != NULL))
		abort();	/* a known employee: failure must say why, in one line */
	free(answer);
	return 0;
}
