/*
 * test_decode_alloc.c: decoding allocates nothing in steady state (the
 * parse tree lives in decode.c's reused arena), and the arena serves one
 * thread at a time while others fall back to malloc and still decode
 * correctly. The arena needs pipeline_global_init(), as every program
 * that decodes does. Sanitizer builds own malloc and turn the arena off,
 * so the counting part is skipped there.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/pipeline.h"
#include "check.h"

#include "alloccount.h"

static const char *const good[] = {
	("{\"specversion\":\"1.0\",\"id\":\"a1\",\"source\":\"s\",\"type\":\"hr.employee.hired\","
	    "\"subject\":\"E1\",\"time\":\"2025-01-01T00:00:00Z\",\"data\":{\"department\":\"Ops\","
	    "\"job_level\":3,\"salary\":50000,\"attributes\":{\"overtime\":\"yes\",\"distance_km\":12,"
	    "\"Gender\":\"f\"}}}"),
	("{\"specversion\":\"1.0\",\"id\":\"a2\",\"source\":\"s\",\"type\":\"hr.survey.submitted\","
	    "\"subject\":\"E1\",\"time\":\"2025-02-01T00:00:00.250+02:00\",\"data\":{\"satisfaction\":61,"
	    "\"engagement\":70}}"),
	("{\"specversion\":\"1.0\",\"id\":\"a3\",\"source\":\"s\",\"type\":\"hr.employee.exited\","
	    "\"subject\":\"E1\",\"time\":\"2025-03-01T00:00:00Z\",\"data\":{\"voluntary\":true}}"),
};

static const char *const bad[] = {
	"not json",
	("{\"specversion\":\"1.0\",\"id\":\"a4\",\"source\":\"s\",\"type\":\"hr.review.completed\","
	    "\"subject\":\"E1\",\"time\":\"2025-03-01T00:00:00Z\",\"data\":{\"rating\":9}}"),
};

static int
decode_text(const char *text, struct hr_event *ev)
{
	struct message m;
	char err[256];

	memset(&m, 0, sizeof(m));
	m.value = text;
	m.len = strlen(text);
	return decode_event(&m, ev, err, sizeof(err), NULL);
}

static struct hr_event events[3];

/* Decodes the good messages n times; returns how many came out wrong. */
static void *
loop(void *arg)
{
	long n = (long)(intptr_t)arg, failed = 0;
	struct hr_event *ev = malloc(sizeof(*ev));

	for (long i = 0; i < n; i++)
		for (size_t k = 0; k < 3; k++)
			if (decode_text(good[k], ev) != 0 ||
			    strcmp(ev->subject, "E1") != 0 || ev->type != events[k].type)
				failed++;
	free(ev);
	return (void *)(intptr_t)failed;
}

int
main(void)
{
	struct hr_event ev;
	pthread_t th[3];
	void *r;
#if COUNT_ALLOCS
	long before;
#endif

	/* the arena's allocator hooks, then a warm-up so that whatever jansson
	 * sets up once is behind us before counting */
	pipeline_global_init();
	for (size_t k = 0; k < 3; k++)
		CHECK(decode_text(good[k], &events[k]) == 0);
	CHECK(events[0].nattrs == 3);
	CHECK(events[1].satisfaction == 61);

#if COUNT_ALLOCS
	before = nallocs;
#endif
	for (int i = 0; i < 2000; i++) {
		CHECK(decode_text(good[i % 3], &ev) == 0);
		CHECK(decode_text(bad[i % 2], &ev) == -1);
	}
#if COUNT_ALLOCS
	CHECK(nallocs - before == 0);
	fprintf(stderr, "allocations in 4000 decodes: %ld\n", nallocs - before);
#endif

	/* several threads: one holds the arena, the others use malloc */
	for (int t = 0; t < 3; t++)
		CHECK(pthread_create(&th[t], NULL, loop, (void *)(intptr_t)3000) == 0);
	for (int t = 0; t < 3; t++) {
		CHECK(pthread_join(th[t], &r) == 0);
		CHECK((intptr_t)r == 0);
	}
	return check_exit("test_decode_alloc");
}
