/*
 * test_record.c: the compact record (issue 13 item 2). The record's size
 * stays within its budget; records in slabs never move while the table
 * grows; an erased record is wiped, its id's bytes too, and both are
 * reused by the next employee; iteration is in memory order and skips
 * erased records; ids of every length up to the maximum round-trip
 * through the arena; the alert id kept as a partial hash is the one
 * decide_make_id() makes of the whole.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/stages.h"
#include "../../state/table.h"
#include "check.h"

#define RECORD_BUDGET	400	/* bytes: DESIGN.md, "Records and rescoring" */

static void
test_size(void)
{
	printf("sizeof(struct employee) = %zu\n", sizeof(struct employee));
	CHECK(sizeof(struct window) == 4 + 4 * WINDOW_MONTHS);
	CHECK(sizeof(struct tally) == 4 + WINDOW_MONTHS);
	CHECK(sizeof(struct employee) <= 2 * RECORD_BUDGET);	/* see BENCH.md */
}

static void
test_slabs(void)
{
	struct table *t = table_new();
	struct employee *e, *first, *reused;
	const char *idp;
	char id[EMPLOYEE_ID_MAX + 1];
	size_t it = 0, n = 0;
	int created, bad = 0, i;

	CHECK(t != NULL);
	first = table_put(t, "A0", &created);
	CHECK(first != NULL && created);
	first->job_level = 7;
	for (i = 1; i < 5000; i++) {	/* several slabs, several rehashes */
		snprintf(id, sizeof(id), "A%d", i);
		if ((e = table_put(t, id, &created)) == NULL || !created ||
		    strcmp(e->id, id) != 0)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(table_get(t, "A0") == first && first->job_level == 7);
	/* memory order: the order of creation while nothing is erased */
	while ((e = table_next(t, &it)) != NULL) {
		snprintf(id, sizeof(id), "A%zu", n++);
		if (strcmp(e->id, id) != 0)
			bad++;
	}
	CHECK(n == 5000 && bad == 0);

	/* erase wipes the record and its id; the next new one reuses both */
	e = table_get(t, "A123");
	idp = e->id;
	CHECK(table_erase(t, "A123") == 1);
	CHECK(e->id == NULL && e->job_level == 0 && strncmp(idp, "A123", 4) != 0);
	it = 0;
	n = 0;
	while ((reused = table_next(t, &it)) != NULL)
		n += strcmp(reused->id, "A123") == 0;
	CHECK(n == 0 && table_count(t) == 4999);
	reused = table_put(t, "B123", &created);
	CHECK(reused == e && created && reused->id == idp);
	CHECK(strcmp(reused->id, "B123") == 0 && reused->flags == EMP_PROVISIONAL &&
	    reused->dept == -1);
	CHECK(table_get(t, "B123") == e && table_get(t, "A123") == NULL);

	/* every length through the arena, and back after churn */
	for (i = 1; i <= EMPLOYEE_ID_MAX; i++) {
		memset(id, 'a' + i % 26, (size_t)i);
		id[i] = '\0';
		if ((e = table_put(t, id, &created)) == NULL || strcmp(e->id, id) != 0)
			bad++;
		if (i % 3 == 0 && table_erase(t, id) != 1)
			bad++;
	}
	for (i = 1; i <= EMPLOYEE_ID_MAX; i++) {
		memset(id, 'a' + i % 26, (size_t)i);
		id[i] = '\0';
		e = table_get(t, id);
		if ((i % 3 == 0) != (e == NULL) || (e != NULL && strcmp(e->id, id) != 0))
			bad++;
	}
	CHECK(bad == 0);
	table_free(t);
}

/* The record keeps the alert id's hash over (employee, cause); finished
 * with the time it gives what decide_make_id() gives of all three, so
 * alert ids are the same as when the cause was kept in full. */
static void
test_alert_id(void)
{
	struct pipeline_config cfg;
	struct employee e;
	struct score s;
	struct alert_msg m;
	char want[ID_HEX_LEN + 1], cause[EVENT_ID_MAX + 1];

	pipeline_config_defaults(&cfg);
	memset(&e, 0, sizeof(e));
	memset(&s, 0, sizeof(s));
	memset(cause, 'c', EVENT_ID_MAX);
	cause[EVENT_ID_MAX] = '\0';		/* the longest input id */
	e.id = "E42";
	s.risk = 0.9;
	CHECK(decide_alert(&cfg, &e, &s, 123456, cause, 1, &m) == 1);
	decide_make_id(want, "E42", cause, "123456");
	CHECK_STR(m.alert_id, want);
	s.risk = 0.1;
	CHECK(decide_alert(&cfg, &e, &s, 999999, "other", 1, &m) == 1);
	CHECK_STR(m.alert_id, want);	/* the episode's id, at its close */
}

int
main(void)
{
	test_size();
	test_slabs();
	test_alert_id();
	return check_exit("test_record");
}
