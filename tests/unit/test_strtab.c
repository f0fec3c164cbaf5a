/*
 * test_strtab.c: state/strtab.c, bounded interning of short strings to
 * dense ids: ids are stable, a full table still finds what it holds,
 * names are copies, and the length limit is exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../state/table.h"
#include "check.h"

static void
test_basics(void)
{
	struct strtab *st = strtab_new(3);
	char longs[EVENT_STR_MAX + 8];

	CHECK(st != NULL);
	CHECK(strtab_intern(st, "Sales") == 0);
	CHECK(strtab_intern(st, "R&D") == 1);
	CHECK(strtab_intern(st, "Sales") == 0);
	CHECK(strtab_find(st, "R&D") == 1);
	CHECK(strtab_find(st, "sales") == -1);
	CHECK(strtab_intern(st, "HR") == 2);
	CHECK(strtab_intern(st, "Legal") == -1);	/* full */
	CHECK(strtab_intern(st, "HR") == 2);		/* still found */
	CHECK(strtab_count(st) == 3);
	CHECK_STR(strtab_name(st, 1), "R&D");
	CHECK(strtab_name(st, 3) == NULL && strtab_name(st, -1) == NULL);
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	CHECK(strtab_intern(st, longs) == -1);
	strtab_free(st);
	strtab_free(NULL);
}

#define MANY 500

/* A table filled to its maximum: dense ids in order of first sight, every
 * name found again, nothing new admitted, lookups of strangers end. */
static void
test_full(void)
{
	struct strtab *st = strtab_new(MANY);
	char name[32];
	int bad = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "dept-%d", i * 7919);
		if (strtab_intern(st, name) != i)
			bad++;
		if (strtab_intern(st, name) != i)	/* again: same id */
			bad++;
	}
	CHECK(bad == 0);
	CHECK(strtab_count(st) == MANY);
	for (int i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "dept-%d", i * 7919);
		if (strtab_find(st, name) != i || strtab_intern(st, name) != i ||
		    strtab_name(st, i) == NULL || strcmp(strtab_name(st, i), name) != 0)
			bad++;
	}
	CHECK(bad == 0);
	for (int i = 0; i < 2 * MANY; i++) {
		snprintf(name, sizeof(name), "other-%d", i);
		if (strtab_intern(st, name) != -1 || strtab_find(st, name) != -1)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(strtab_count(st) == MANY);	/* refusals add nothing */
	CHECK(strtab_name(st, MANY) == NULL);
	strtab_free(st);
}

static void
test_names_and_limits(void)
{
	struct strtab *st = strtab_new(8);
	char buf[EVENT_STR_MAX + 1];
	int id;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	/* the name is a copy: the caller's buffer can change afterwards */
	snprintf(buf, sizeof(buf), "Ops");
	id = strtab_intern(st, buf);
	buf[0] = 'X';
	CHECK_STR(strtab_name(st, id), "Ops");
	CHECK(strtab_find(st, "Xps") == -1);
	/* EVENT_STR_MAX - 1 bytes fit, EVENT_STR_MAX do not */
	memset(buf, 'a', EVENT_STR_MAX - 1);
	buf[EVENT_STR_MAX - 1] = '\0';
	CHECK((id = strtab_intern(st, buf)) == 1);
	CHECK(strlen(strtab_name(st, id)) == EVENT_STR_MAX - 1);
	buf[EVENT_STR_MAX - 1] = 'a';
	buf[EVENT_STR_MAX] = '\0';
	CHECK(strtab_intern(st, buf) == -1 && strtab_find(st, buf) == -1);
	/* the empty string is a name like any other; NULL is none */
	CHECK(strtab_intern(st, "") == 2);
	CHECK(strtab_find(st, "") == 2);
	CHECK(strtab_intern(st, NULL) == -1 && strtab_find(st, NULL) == -1);
	/* case and bytes matter */
	CHECK(strtab_intern(st, "ops") == 3);
	CHECK(strtab_intern(st, "J\xc3\xbcrgen") == 4);
	CHECK(strtab_find(st, "Jurgen") == -1);
	CHECK(strtab_count(st) == 5);
	strtab_free(st);

	CHECK(strtab_new(0) == NULL && strtab_new(-1) == NULL);
	CHECK(strtab_count(NULL) == 0 && strtab_name(NULL, 0) == NULL);
}

int
main(void)
{
	test_basics();
	test_full();
	test_names_and_limits();
	return check_exit("test_strtab");
}
