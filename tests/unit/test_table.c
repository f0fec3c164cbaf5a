/*
 * test_table.c: event names and the employee hash table, and a table
 * restored from a checkpoint's slots, including one whose record indices
 * outnumber its live records many times (an index slot must still hold
 * every index). String interning and the dedup window have test_strtab.c
 * and test_dedup.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../state/table.h"
#include "check.h"

static void
test_event(void)
{
	struct hr_event ev;
	enum event_type t;
	int i;

	for (i = 0; i < EV__COUNT; i++) {
		const char *n = event_type_name((enum event_type)i);

		CHECK(n != NULL);
		CHECK(event_type_parse(n, &t) == 0 && t == (enum event_type)i);
	}
	CHECK_STR(event_type_name(EV_HIRED), "hr.employee.hired");
	CHECK_STR(event_type_name(EV_ERASED), "hr.employee.erased");
	CHECK_STR(event_type_name(EV_PROFILE), "hr.profile.updated");
	CHECK(event_type_parse("hr.employee.fired", &t) == -1);
	CHECK(event_type_parse("HR.EMPLOYEE.HIRED", &t) == -1);
	CHECK(event_type_name(EV__COUNT) == NULL);
	CHECK_STR(event_care_kind_name(CARE_FLEXIBLE_WORK), "flexible_work");
	CHECK_STR(event_care_kind_name(CARE_OTHER), "other");

	memset(&ev, 0x55, sizeof(ev));
	event_init(&ev);
	CHECK(ev.time_ms == 0 && ev.nattrs == 0 && ev.job_level == 0);
	CHECK(ev.subject[0] == '\0');
	CHECK(!ev_has(ev.salary) && !ev_has(ev.rating) && !ev_has(ev.potential));
	CHECK(!ev_has(ev.satisfaction) && !ev_has(ev.engagement));
	CHECK(!ev_has(ev.intent_to_stay) && !ev_has(ev.work_life_balance));
	CHECK(!ev_has(ev.amount) && !ev_has(ev.new_salary) && !ev_has(ev.hours));
	CHECK(!ev_has(ev.cost) && !ev_has(ev.assessment));
}

#define NIDS 100000

static void
test_table(void)
{
	struct table *t = table_new();
	struct employee *e, *first = NULL, *again;
	char id[32];
	size_t it, n;
	int i, created, bad = 0, missing = 0;

	CHECK(t != NULL);
	CHECK(table_count(t) == 0);
	for (i = 0; i < NIDS; i++) {
		snprintf(id, sizeof(id), "E%d", i);
		e = table_put(t, id, &created);
		if (e == NULL || !created || strcmp(e->id, id) != 0 ||
		    e->flags != EMP_PROVISIONAL || e->dept != -1)
			bad++;
		if (e != NULL)
			e->job_level = i % 15 + 1;
		if (i == 0)
			first = e;
	}
	CHECK(bad == 0);
	CHECK(table_count(t) == NIDS);
	/* records never move while the slot array grows */
	CHECK(table_get(t, "E0") == first);
	e = table_put(t, "E0", &created);
	CHECK(e == first && created == 0);

	for (i = 0; i < NIDS; i++) {
		snprintf(id, sizeof(id), "E%d", i);
		if ((e = table_get(t, id)) == NULL || e->job_level != i % 15 + 1)
			missing++;
	}
	CHECK(missing == 0);
	CHECK(table_get(t, "E100000") == NULL);
	CHECK(table_get(t, "e1") == NULL);

	/* erase every other id, reinsert half of them */
	for (i = 0; i < NIDS; i += 2) {
		snprintf(id, sizeof(id), "E%d", i);
		if (table_erase(t, id) != 1)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(table_erase(t, "E0") == 0);
	CHECK(table_count(t) == NIDS / 2);
	for (i = 0; i < NIDS; i += 4) {
		snprintf(id, sizeof(id), "E%d", i);
		e = table_put(t, id, &created);
		if (e == NULL || !created || e->job_level != 0)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(table_count(t) == NIDS / 2 + NIDS / 4);
	for (i = 0; i < NIDS; i++) {
		snprintf(id, sizeof(id), "E%d", i);
		e = table_get(t, id);
		if ((i % 2 == 1 || i % 4 == 0) != (e != NULL))
			missing++;
	}
	CHECK(missing == 0);

	/* iteration visits each record once */
	n = 0;
	it = 0;
	bad = 0;
	while ((e = table_next(t, &it)) != NULL) {
		n++;
		if (table_get(t, e->id) != e)
			bad++;
	}
	CHECK(n == table_count(t));
	CHECK(bad == 0);

	/* churn: many erase/insert cycles keep lookups working */
	for (i = 0; i < 3 * NIDS / 2; i++) {
		snprintf(id, sizeof(id), "C%d", i);
		if (table_put(t, id, &created) == NULL || !created)
			bad++;
		if (table_erase(t, id) != 1)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(table_count(t) == NIDS / 2 + NIDS / 4);
	again = table_get(t, "E1");
	CHECK(again != NULL && again->job_level == 2);

	/* invalid ids */
	{
		char longid[EMPLOYEE_ID_MAX + 2];

		memset(longid, 'a', sizeof(longid) - 1);
		longid[sizeof(longid) - 1] = '\0';
		CHECK(table_put(t, longid, &created) == NULL && created == 0);
		longid[EMPLOYEE_ID_MAX] = '\0';	/* exactly the maximum */
		CHECK(table_put(t, longid, &created) != NULL && created == 1);
		CHECK(table_put(t, "", &created) == NULL);
	}
	table_free(t);
	table_free(NULL);
}

#define SPARSE_SLOTS 70000

static void
test_sparse_restore(void)
{
	struct table *t = table_new();
	struct employee src, *e;
	const struct employee *c;
	const size_t live[] = { 0, 12345, 65535, 65536, SPARSE_SLOTS - 1 };
	char id[32];
	size_t i, k, n = sizeof(live) / sizeof(live[0]);
	int bad = 0, created;

	CHECK(t != NULL && table_restore_slots(t, SPARSE_SLOTS) == 0);
	for (i = 0, k = 0; i < SPARSE_SLOTS; i++) {
		memset(&src, 0, sizeof(src));
		snprintf(id, sizeof(id), "S%zu", i);
		src.id = id;
		src.job_level = (int8_t)(i % 15 + 1);
		if (k < n && live[k] == i) {
			k++;
			bad += table_restore_put(t, i, TABLE_SLOT_LIVE, &src) != 0;
		} else
			bad += table_restore_put(t, i, TABLE_SLOT_TOMB, NULL) != 0;
	}
	CHECK(bad == 0 && table_restore_check(t) == 0);
	CHECK(table_count(t) == n && table_slots(t) == SPARSE_SLOTS);
	for (k = 0; k < n; k++) {
		snprintf(id, sizeof(id), "S%zu", live[k]);
		e = table_get(t, id);
		if (e == NULL || e->job_level != (int)(live[k] % 15 + 1) ||
		    table_slot(t, live[k], &c) != TABLE_SLOT_LIVE || c != e)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(table_get(t, "S1") == NULL);
	/* new employees take the lowest free indices; all stay reachable */
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "N%zu", i);
		if ((e = table_put(t, id, &created)) == NULL || !created)
			bad++;
	}
	CHECK(table_slot(t, 1, &c) == TABLE_SLOT_LIVE && strcmp(c->id, "N0") == 0);
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "N%zu", i);
		bad += table_get(t, id) == NULL;
	}
	snprintf(id, sizeof(id), "S%d", SPARSE_SLOTS - 1);
	CHECK(bad == 0 && table_get(t, id) != NULL && table_count(t) == n + 1000);
	table_free(t);
}

/* A restored table (the checkpoint interface): the records put at their
 * indices are found by id once table_restore_check() has indexed them,
 * a new employee takes the lowest free index, and an id twice, or an
 * index said to be neither live nor free, is refused. */
static void
test_restore(void)
{
	struct table *t = table_new(), *u = table_new(), *v = table_new();
	struct employee src, *e;
	const struct employee *s;
	char id[32];
	int created, bad = 0;

	CHECK(t != NULL && u != NULL && v != NULL);
	if (t == NULL || u == NULL || v == NULL)
		return;
	memset(&src, 0, sizeof(src));
	CHECK(table_restore_slots(t, 3000) == 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "S%d", i);
		src.id = id;
		src.job_level = (int8_t)(i % 15 + 1);
		if (table_restore_put(t, (size_t)i, i % 7 == 3 ? TABLE_SLOT_TOMB :
		    TABLE_SLOT_LIVE, i % 7 == 3 ? NULL : &src) == -1)
			bad++;
	}
	CHECK(bad == 0 && table_restore_check(t) == 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof(id), "S%d", i);
		e = table_get(t, id);
		if ((i % 7 == 3) != (e == NULL) || (e != NULL && (e->job_level != i % 15 + 1 ||
		    table_slot(t, (size_t)i, &s) != TABLE_SLOT_LIVE || s != e)))
			bad++;
	}
	CHECK(bad == 0 && table_count(t) == 3000 - 3000 / 7 - (3000 % 7 > 3));
	e = table_put(t, "new", &created);
	CHECK(e != NULL && created && table_slot(t, 3, &s) == TABLE_SLOT_LIVE && s == e);

	/* the same id at two indices */
	CHECK(table_restore_slots(u, 3) == 0);
	src.id = "A";
	CHECK(table_restore_put(u, 0, TABLE_SLOT_LIVE, &src) == 0);
	src.id = "B";
	CHECK(table_restore_put(u, 1, TABLE_SLOT_LIVE, &src) == 0);
	src.id = "A";
	CHECK(table_restore_put(u, 2, TABLE_SLOT_LIVE, &src) == 0);
	CHECK(table_restore_check(u) == -1);
	/* an index left unsaid */
	CHECK(table_restore_slots(v, 2) == 0);
	CHECK(table_restore_put(v, 1, TABLE_SLOT_LIVE, &src) == 0);
	CHECK(table_restore_put(v, 1, TABLE_SLOT_TOMB, NULL) == -1);	/* live already */
	CHECK(table_restore_check(v) == -1);
	table_free(t);
	table_free(u);
	table_free(v);
}

int
main(void)
{
	test_event();
	test_table();
	test_sparse_restore();
	test_restore();
	return check_exit("test_table");
}
