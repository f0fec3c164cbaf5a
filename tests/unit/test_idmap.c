/*
 * test_idmap.c: ids of one feature registry mapped into another by name
 * (state/idmap.c): attributes and levels seen in another order, names the
 * live registry lacks interned, departments and protected levels, the
 * identity of a registry and its image, and what a full registry maps to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../state/idmap.h"
#include "../../state/model_internal.h"
#include "../../state/serial.h"
#include "../../state/table.h"
#include "attrs.h"
#include "check.h"

#define T0 1735689600000LL	/* 2025-01-01T00:00:00Z */

/* One record's attributes into f (the record itself is thrown away). */
static void
feed(struct features *f, const struct hr_attr *a, int n)
{
	struct employee e;

	memset(&e, 0, sizeof(e));
	e.dept = -1;
	features_set_attrs(f, &e, a, n, T0);
	emp_attr_release(&e);
}

static int
find_feature(const struct features *f, const char *name)
{
	for (int i = 0; i < features_dim(f); i++)
		if (strcmp(features_name(f, i), name) == 0)
			return i;
	return -1;
}

static int
find_protected(const struct features *f, const char *name)
{
	for (int k = 0; k < features_protected_count(f); k++)
		if (strcmp(features_protected_name(f, k), name) == 0)
			return k;
	return -1;
}

/* from saw site=paris, site=lyon, tenure_bonus, gender f/m, depts A, B;
 * into saw gender m, site=lyon and dept B first, then a name of its own. */
static void
test_by_name(void)
{
	struct features *from = features_new(NULL), *into = features_new(NULL);
	struct hr_attr a[4];
	struct idmap *m;
	char err[128];
	int nb = features_builtin_dim(), i, kf, ki, dim0;

	CHECK(from != NULL && into != NULL);
	attr_str(&a[0], "Site", "Paris");
	attr_num(&a[1], "tenure_bonus", 3);
	attr_str(&a[2], "gender", "F");
	feed(from, a, 3);
	attr_str(&a[0], "site", "lyon");
	attr_str(&a[1], "Gender", "m");
	feed(from, a, 2);
	CHECK(strtab_intern(features_departments(from), "A") == 0);
	CHECK(strtab_intern(features_departments(from), "B") == 1);

	attr_str(&a[0], "gender", "M");
	attr_str(&a[1], "SITE", "Lyon ");
	attr_num(&a[2], "commute", 10);
	feed(into, a, 3);
	CHECK(strtab_intern(features_departments(into), "B") == 0);
	dim0 = features_dim(into);
	CHECK(dim0 == nb + 2);

	m = idmap_new(from, into, err, sizeof(err));
	CHECK(m != NULL);
	CHECK(!idmap_identity(m));
	/* built-ins keep their index */
	for (i = 0; i < nb; i++)
		CHECK(idmap_feature(m, i) == i);
	/* every attribute slot of from lands on the slot of the same name */
	for (i = nb; i < features_dim(from); i++) {
		int to = idmap_feature(m, i);

		CHECK(to >= nb && to < features_dim(into));
		/* names match as normalised: the case of the first seen */
		CHECK(to < 0 || strcasecmp(features_name(into, to),
		    features_name(from, i)) == 0);
		CHECK(idmap_attr(m, i - nb) == to - nb);
	}
	CHECK(idmap_feature(m, find_feature(from, "Site=lyon")) ==
	    find_feature(into, "SITE=lyon"));
	/* paris and tenure_bonus were new to into: interned, dim grew by 2 */
	CHECK(features_dim(into) == dim0 + 2);
	CHECK(find_feature(into, "SITE=paris") >= 0);
	CHECK(find_feature(into, "tenure_bonus") >= 0);
	CHECK(idmap_feature(m, -1) == -1);
	CHECK(idmap_feature(m, features_dim(from)) == -1);
	CHECK(idmap_attr(m, -1) == -1);

	/* departments by name, A interned after B */
	CHECK(idmap_dept(m, 1) == 0);
	CHECK(idmap_dept(m, 0) == 1);
	CHECK_STR(strtab_name(features_departments(into), 1), "A");
	CHECK(idmap_dept(m, -1) == -1 && idmap_dept(m, 2) == -1);

	/* protected levels by text: from's f=1, m=2; into's m=1, then f */
	kf = find_protected(from, "gender");
	ki = find_protected(into, "gender");
	CHECK(kf == 0 && ki == 0 && idmap_protected(m, kf) == ki);
	CHECK_STR(features_protected_level(into, ki, idmap_level(m, kf, 2)), "m");
	CHECK(idmap_level(m, kf, 2) == 1);
	CHECK_STR(features_protected_level(into, ki, idmap_level(m, kf, 1)), "f");
	CHECK(idmap_level(m, kf, 0) == 0 && idmap_level(m, kf, 3) == 0);
	CHECK(idmap_level(m, 1, 1) == 0 && idmap_protected(m, 1) == -1);
	idmap_free(m);
	idmap_free(NULL);
	features_free(from);
	features_free(into);
}

/* A registry and its checkpoint image loaded elsewhere map one to one,
 * and mapping them changes nothing. */
static void
test_identity(void)
{
	struct features *f = features_new(NULL), *g = features_new(NULL);
	struct hr_attr a[3];
	struct wbuf w;
	struct rbuf r;
	struct idmap *m;
	char err[128];
	int dim;

	attr_str(&a[0], "site", "paris");
	attr_str(&a[1], "age", "33");
	attr_num(&a[2], "bonus", 1);
	feed(f, a, 3);
	CHECK(strtab_intern(features_departments(f), "Sales") == 0);
	wbuf_init(&w);
	features_save(f, &w);
	rbuf_init(&r, w.p, w.len);
	CHECK(features_load(g, &r) == 0);
	dim = features_dim(f);
	m = idmap_new(g, f, err, sizeof(err));
	CHECK(m != NULL && idmap_identity(m));
	CHECK(features_dim(f) == dim);
	CHECK(idmap_dept(m, 0) == 0);
	CHECK(idmap_level(m, 0, 1) == 1);
	idmap_free(m);
	wbuf_free(&w);
	features_free(f);
	features_free(g);
}

/* A live registry without room maps the names it cannot take to none;
 * a name protected here (by configuration) maps to none as well. */
static void
test_full(void)
{
	struct features_config cfg;
	struct features *from = features_new(NULL), *into;
	struct hr_attr a[3];
	struct idmap *m;
	char err[128];
	int nb = features_builtin_dim();

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_attr_features = 1;
	cfg.extra_protected[0] = "badge";
	into = features_new(&cfg);
	attr_num(&a[0], "x1", 1);
	attr_num(&a[1], "x2", 2);
	attr_num(&a[2], "badge", 2);
	feed(from, a, 3);
	attr_num(&a[0], "x9", 1);
	feed(into, a, 1);
	m = idmap_new(from, into, err, sizeof(err));
	CHECK(m != NULL);
	CHECK(idmap_feature(m, find_feature(from, "x1")) == -1);
	CHECK(idmap_feature(m, find_feature(from, "badge")) == -1);
	CHECK(idmap_feature(m, nb) == -1);
	CHECK(features_dim(into) == nb + 1);
	idmap_free(m);
	features_free(from);
	features_free(into);
}

int
main(void)
{
	test_by_name();
	test_identity();
	test_full();
	return check_exit("test_idmap");
}
