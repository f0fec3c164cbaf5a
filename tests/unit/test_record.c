/*
 * test_record.c: the compact record (issue 13 item 2). The record's size
 * stays within its budget; records in slabs never move while the table
 * grows; an erased record is wiped, its id's bytes too, and both are
 * reused by the next employee; iteration is in memory order and skips
 * erased records; ids of every length up to the maximum round-trip
 * through the arena; the alert id kept as a partial hash is the one
 * decide_make_id() makes of the whole; attribute slots hold what was put,
 * inline or spilled, as do protected levels.
 */
#include <math.h>
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
	CHECK(sizeof(struct tally) == 2 + WINDOW_MONTHS);
	/* the index, the dedup window and the id take about 50 bytes more
	 * per employee (BENCH.md), so a larger record misses the budget */
	CHECK(sizeof(struct employee) <= RECORD_BUDGET - 48);
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

	/* freed indices are reused lowest first, whatever the erase order:
	 * which indices are free is all that decides where the next go */
	{
		struct employee *r100 = table_get(t, "A100"), *r200 = table_get(t, "A200"),
		    *r300 = table_get(t, "A300");

		CHECK(table_erase(t, "A300") == 1 && table_erase(t, "A100") == 1 &&
		    table_erase(t, "A200") == 1);
		CHECK(table_put(t, "C1", &created) == r100 && created);
		CHECK(table_put(t, "C2", &created) == r200 && created);
		CHECK(table_put(t, "C3", &created) == r300 && created);
		CHECK(table_put(t, "C4", &created) != NULL && created);	/* a new index */
		it = 0;
		while ((e = table_next(t, &it)) != NULL && strcmp(e->id, "A99") != 0)
			;
		CHECK(e != NULL && (e = table_next(t, &it)) != NULL && strcmp(e->id, "C1") == 0);
	}

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
	/* the record keeps the firing time in seconds: a whole second's ms */
	CHECK(decide_alert(&cfg, &e, &s, 123456000, cause, 1, NULL, &m) == 1);
	decide_make_id(want, "E42", cause, "123456000");
	CHECK_STR(m.alert_id, want);
	s.risk = 0.1;
	CHECK(decide_alert(&cfg, &e, &s, 999999000, "other", 1, NULL, &m) == 1);
	CHECK_STR(m.alert_id, want);	/* the episode's id, at its close */
}

/* Attribute slots against a plain array: random puts of 0, 1 and other
 * values over every slot, past ATTR_INLINE values (the spill), then
 * release. Values other than 0/1 are kept as floats. */
static void
test_attrs(void)
{
	struct employee e;
	double ref[ATTR_FEATURES_MAX];
	unsigned long long r = 5;
	int bad = 0, s, step, spilled = 0;

	for (int round = 0; round < 20; round++) {
		memset(&e, 0, sizeof(e));
		for (s = 0; s < ATTR_FEATURES_MAX; s++)
			ref[s] = NAN;
		for (step = 0; step < 200; step++) {
			double v;

			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
			/* early rounds stay within ATTR_INLINE slots: no spill */
			s = (int)((r >> 33) % (round < 10 ? ATTR_INLINE : ATTR_FEATURES_MAX));
			v = (r >> 20) % 3 == 0 ? 0.0 : (r >> 20) % 3 == 1 ? 1.0 :
			    (double)((r >> 40) % 1000) / 8.0 + 0.125;
			if (emp_attr_put(&e, s, v) != 0)
				bad++;
			ref[s] = (double)(float)v;
			for (int k = 0; k < ATTR_FEATURES_MAX; k++) {
				double g = emp_attr_get(&e, k);

				if (isnan(ref[k]) ? !isnan(g) : g != ref[k])
					bad++;
				if (((emp_attr_has(&e) >> k) & 1) != !isnan(ref[k]))
					bad++;
			}
		}
		if (round < 10)
			CHECK(e.attr_ext == 0);
		else
			spilled += e.attr_ext;
		emp_attr_release(&e);
		CHECK(emp_attr_has(&e) == 0 && e.attr_ext == 0 && isnan(emp_attr_get(&e, 0)));
	}
	CHECK(bad == 0);
	CHECK(spilled > 0);
	CHECK(emp_attr_put(&e, -1, 2.0) == -1 && emp_attr_put(&e, ATTR_FEATURES_MAX, 2.0) == -1);
	CHECK(isnan(emp_attr_get(&e, ATTR_FEATURES_MAX)));
}

/* Protected levels against plain arrays: random puts over every name,
 * zeros past the inline names (no allocation), then nonzero ones (the
 * move to the array), beside attributes that spill too; release. */
static void
test_protected(void)
{
	struct employee e;
	uint8_t level[PROTECTED_MAX], counted[PROTECTED_MAX];
	unsigned long long r = 11;
	int bad = 0, k;

	memset(&e, 0, sizeof(e));
	memset(level, 0, sizeof(level));
	memset(counted, 0, sizeof(counted));
	for (int step = 0; step < 400; step++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (int)((r >> 33) % (step < 200 ? PROTECTED_INLINE : PROTECTED_MAX));
		level[k] = (uint8_t)((r >> 20) % 5);
		counted[k] = (uint8_t)((r >> 40) % 5);
		if (emp_prot_put(&e, k, level[k], counted[k]) != 0)
			bad++;
		if (step < 200 && emp_prot_put(&e, PROTECTED_MAX - 1, 0, 0) != 0)
			bad++;
		if (step == 199)
			CHECK(e.attr_ext == 0);	/* zeros past the inline ones: none */
		if (step == 300)
			for (int s = 0; s < ATTR_FEATURES_MAX; s++)
				(void)emp_attr_put(&e, s, 2.5 + s);	/* both spill */
		for (int j = 0; j < PROTECTED_MAX; j++)
			if (emp_prot_level(&e, j) != level[j] ||
			    emp_prot_counted(&e, j) != counted[j])
				bad++;
	}
	CHECK(bad == 0);
	CHECK(e.attr_ext == (EMP_EXT_ATTR | EMP_EXT_PROT));
	CHECK(emp_attr_get(&e, 39) == 41.5f);
	CHECK(emp_prot_put(&e, PROTECTED_MAX, 1, 1) == -1 && emp_prot_put(&e, -1, 1, 1) == -1);
	CHECK(emp_prot_level(&e, PROTECTED_MAX) == 0 && emp_prot_counted(&e, -1) == 0);
	emp_attr_release(&e);
	CHECK(e.attr_ext == 0 && emp_attr_has(&e) == 0);
	for (k = 0; k < PROTECTED_MAX; k++)
		if (emp_prot_level(&e, k) != 0 || emp_prot_counted(&e, k) != 0)
			bad++;
	CHECK(bad == 0);
}

int
main(void)
{
	test_size();
	test_slabs();
	test_attrs();
	test_protected();
	test_alert_id();
	return check_exit("test_record");
}
