/*
 * attrs.h: event attributes built by hand for the registry's tests.
 */
#ifndef RETENTIOND_TEST_ATTRS_H
#define RETENTIOND_TEST_ATTRS_H

#include <stdio.h>
#include <string.h>

#include "../../state/event.h"

static inline void
attr_str(struct hr_attr *a, const char *name, const char *v)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	snprintf(a->str, sizeof(a->str), "%s", v);
}

static inline void
attr_num(struct hr_attr *a, const char *name, double v)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->is_num = 1;
	a->num = v;
}

#endif
