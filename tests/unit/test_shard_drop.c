/*
 * test_shard_drop.c: pipeline_shard_drop(), what an instance does with a
 * partition it gave up (daemon/route.c): that partition's employees are
 * no longer served, the others are untouched, the counts follow (leavers
 * included, so the active count never wraps), and the partition can be
 * taken again from nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/pipeline.h"
#include "check.h"

#define EV "{\"specversion\":\"1.0\",\"id\":\"%s-%s\",\"source\":\"t\"," \
	"\"type\":\"%s\",\"subject\":\"%s\",\"time\":\"%s\",\"data\":%s}"
#define HIRE "{\"department\":\"Ops\",\"job_level\":2,\"salary\":50000}"

static int
ignore(void *arg, const struct output *o)
{
	(void)arg;
	(void)o;
	return 0;
}

/* One event for id on partition part. */
static enum pipeline_result
event(struct pipeline *p, int32_t part, const char *id, const char *type,
    const char *tag, const char *when, const char *data)
{
	static int64_t offset;
	struct message m;
	char buf[1024];

	snprintf(buf, sizeof(buf), EV, tag, id, type, id, when, data);
	memset(&m, 0, sizeof(m));
	m.key = id;
	m.keylen = strlen(id);
	m.value = buf;
	m.len = strlen(buf);
	m.topic = "hr.events";
	m.partition = part;
	m.offset = offset++;
	return pipeline_run_all(p, &m, ignore, NULL);
}

static int
served(struct pipeline *p, const char *id)
{
	char *js = pipeline_employee_json(p, id);

	free(js);
	return js != NULL;
}

int
main(void)
{
	struct pipeline_config	 cfg;
	struct pipeline_stats	 st;
	struct pipeline		*p;
	char			 err[256];

	pipeline_global_init();
	pipeline_config_defaults(&cfg);
	if ((p = pipeline_new(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "pipeline_new: %s\n", err);
		return 1;
	}
	CHECK(event(p, 0, "A1", "hr.employee.hired", "h", "2025-01-02T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(event(p, 1, "B1", "hr.employee.hired", "h", "2025-01-02T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(event(p, 1, "B2", "hr.employee.hired", "h", "2025-01-02T00:00:00Z", HIRE) == PIPE_OK);
	CHECK(event(p, 1, "B2", "hr.employee.exited", "x", "2025-01-03T00:00:00Z",
	    "{\"voluntary\":true}") == PIPE_OK);
	pipeline_stats(p, &st);
	CHECK(st.employees == 3 && st.employees_active == 2);

	pipeline_shard_drop(p, 1);
	CHECK(served(p, "A1"));
	CHECK(!served(p, "B1") && !served(p, "B2"));
	pipeline_stats(p, &st);
	CHECK(st.employees == 1 && st.employees_active == 1);
	pipeline_shard_drop(p, 1);		/* gone already: no-op */
	pipeline_shard_drop(p, 7);		/* never had one */
	pipeline_stats(p, &st);
	CHECK(st.employees == 1);

	/* Taken again: the partition starts from nothing. */
	CHECK(event(p, 1, "B1", "hr.survey.submitted", "s", "2025-01-04T00:00:00Z",
	    "{\"satisfaction\":60}") == PIPE_OK);
	CHECK(served(p, "B1") && !served(p, "B2"));
	pipeline_stats(p, &st);
	CHECK(st.employees == 2 && st.employees_active == 2);
	CHECK(st.provisional_created == 1);	/* B1's hire stayed behind */
	pipeline_free(p);
	return check_exit("test_shard_drop");
}
