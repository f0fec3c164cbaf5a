/*
 * test_features.c: covariate registry (names, attribute features, one-hot
 * caps), protected characteristics, the raw vector of a hand-built record,
 * and the online pay median.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../state/table.h"
#include "../../state/model_internal.h"
#include "attrs.h"
#include "check.h"

#define DAY MS_PER_DAY
#define T0 1735689600000LL	/* 2025-01-01T00:00:00Z */
#define MONTH_MS (DAYS_PER_MONTH * (double)MS_PER_DAY)

static void
emp_new(struct employee *e)
{
	memset(e, 0, sizeof(*e));
	e->flags = EMP_PROVISIONAL;
	e->dept = -1;
}

static int
find_feature(const struct features *f, const char *name)
{
	int i;

	for (i = 0; i < features_dim(f); i++)
		if (strcmp(features_name(f, i), name) == 0)
			return i;
	return -1;
}

static int
find_protected(const struct features *f, const char *name)
{
	int k;

	for (k = 0; k < features_protected_count(f); k++)
		if (strcmp(features_protected_name(f, k), name) == 0)
			return k;
	return -1;
}

static void
test_builtin_names(void)
{
	static const char *want[] = {
		"satisfaction", "engagement", "intent_to_stay", "work_life_balance",
		"rating", "months_since_raise", "last_raise_pct", "relative_pay",
		"months_since_promotion", "months_with_manager",
		"manager_changes_12m", "training_hours_12m", "ability", "care_12m",
	};
	struct features *f = features_new(NULL);
	size_t i;

	CHECK(f != NULL);
	CHECK(features_dim(f) == (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR(features_name(f, (int)i), want[i]);
	CHECK(features_name(f, -1) == NULL);
	CHECK(features_name(f, features_dim(f)) == NULL);
	/* the clocks, which the risk advances over its horizon, are exactly
	 * the months-since covariates; the survey answers come first
	 * (persist.c weighs the first PERSIST_COVARIATES) */
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(features_is_clock((int)i) == (strncmp(want[i], "months_", 7) == 0));
	CHECK(!features_is_clock(-1) && !features_is_clock(features_dim(f)));
	CHECK_STR(features_name(f, PERSIST_COVARIATES - 1), "work_life_balance");
	features_free(f);
	features_free(NULL);
}

static void
test_protected(void)
{
	static const char *spellings[] = {
		"Gender", "GENDER", "sex", "Age", "marital_status", "MaritalStatus",
		"Marital Status", "date-of-birth", "Date Of Birth", "DOB",
		"birth_date", "Ethnicity", "RACE", "religion", "Disability",
		"nationality", "Union_Member",
	};
	struct features_config cfg;
	struct features *f;
	struct employee e, e2;
	struct hr_attr a[32];
	size_t i;
	int n = 0, k, d;

	memset(&cfg, 0, sizeof(cfg));
	cfg.extra_protected[0] = "union-member";
	f = features_new(&cfg);
	CHECK(f != NULL);
	for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		CHECK(features_is_protected(f, spellings[i]));
	CHECK(!features_is_protected(f, "overtime"));
	CHECK(!features_is_protected(f, "agency"));
	CHECK(!features_is_protected(f, "stage"));

	emp_new(&e);
	attr_str(&a[n++], "Gender", "Female");
	attr_str(&a[n++], "marital_status", "Married");
	attr_num(&a[n++], "Age", 41);
	attr_str(&a[n++], "date-of-birth", "1990-06-15");
	attr_str(&a[n++], "Nationality", " FR ");
	attr_str(&a[n++], "union_member", "yes");
	attr_str(&a[n++], "Department Size", "large");
	attr_num(&a[n++], "distance_km", 12);
	features_set_attrs(f, &e, a, n, T0);

	/* only the two non-protected attributes became features */
	d = features_dim(f);
	CHECK(d == 14 + 2);
	for (k = 0; k < d; k++) {
		const char *nm = features_name(f, k);
		char low[128];
		size_t j;

		for (j = 0; nm[j] != '\0' && j + 1 < sizeof(low); j++)
			low[j] = (char)(nm[j] >= 'A' && nm[j] <= 'Z' ? nm[j] + 32 : nm[j]);
		low[j] = '\0';
		CHECK(strstr(low, "gender") == NULL && strstr(low, "marital") == NULL);
		CHECK(strstr(low, "birth") == NULL && strcmp(low, "age") != 0);
		CHECK(strstr(low, "status") == NULL && strncmp(low, "age=", 4) != 0);
		CHECK(strstr(low, "nationality") == NULL && strstr(low, "union") == NULL);
	}
	CHECK(find_feature(f, "distance_km") >= 0);
	CHECK(find_feature(f, "Department Size=large") >= 0);

	/* levels landed in protected_level */
	CHECK(features_protected_count(f) == 6);
	k = find_protected(f, "gender");
	CHECK(k >= 0 && emp_prot_level(&e, k) != 0);
	CHECK_STR(features_protected_level(f, k, emp_prot_level(&e, k)), "female");
	k = find_protected(f, "marital_status");
	CHECK(k >= 0);
	CHECK_STR(features_protected_level(f, k, emp_prot_level(&e, k)), "married");
	k = find_protected(f, "age");
	CHECK_STR(features_protected_level(f, k, emp_prot_level(&e, k)), "40-49");
	k = find_protected(f, "date_of_birth");	/* 34 on 2025-01-01 */
	CHECK_STR(features_protected_level(f, k, emp_prot_level(&e, k)), "30-39");
	k = find_protected(f, "Nationality");
	CHECK(k == -1);
	k = find_protected(f, "nationality");
	CHECK_STR(features_protected_level(f, k, emp_prot_level(&e, k)), "fr");
	k = find_protected(f, "union-member");
	CHECK(k >= 0);
	CHECK_STR(features_protected_level(f, k, emp_prot_level(&e, k)), "yes");

	/* other spellings map to the same names and levels */
	emp_new(&e2);
	n = 0;
	attr_str(&a[n++], "GENDER", "female");
	attr_str(&a[n++], "MaritalStatus", "single");
	attr_str(&a[n++], "Date Of Birth", "1960-12-31");
	attr_str(&a[n++], "Age", "27");
	features_set_attrs(f, &e2, a, n, T0);
	CHECK(features_protected_count(f) == 6);
	k = find_protected(f, "gender");
	CHECK(emp_prot_level(&e2, k) == emp_prot_level(&e, k));
	k = find_protected(f, "marital_status");
	CHECK(emp_prot_level(&e2, k) != emp_prot_level(&e, k));
	CHECK(features_protected_level_count(f, k) == 2);
	k = find_protected(f, "date_of_birth");
	CHECK_STR(features_protected_level(f, k, emp_prot_level(&e2, k)), "50+");
	k = find_protected(f, "age");
	CHECK_STR(features_protected_level(f, k, emp_prot_level(&e2, k)), "<30");
	CHECK(features_protected_level(f, k, 0) == NULL);
	CHECK(features_dim(f) == 16);
	emp_attr_release(&e);	/* six names: the levels moved to their array */
	emp_attr_release(&e2);
	features_free(f);
}

static void
test_onehot_caps(void)
{
	struct features_config cfg;
	struct features *f;
	struct employee e[12];
	struct hr_attr a;
	double x[FEATURES_MAX];
	char lv[16];
	int i, j, base;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_levels = 3;
	cfg.max_attr_features = 5;
	f = features_new(&cfg);
	for (i = 0; i < 5; i++) {
		emp_new(&e[i]);
		snprintf(lv, sizeof(lv), "L%d", i);
		attr_str(&a, i % 2 ? "job_role" : "Job-Role", lv);
		features_set_attrs(f, &e[i], &a, 1, T0);
	}
	/* three levels only, under the first spelling */
	CHECK(features_dim(f) == 14 + 3);
	base = 14;
	CHECK_STR(features_name(f, base), "Job-Role=l0");
	CHECK_STR(features_name(f, base + 2), "Job-Role=l2");
	features_vector(f, &e[1], T0, x);
	CHECK(x[base] == 0 && x[base + 1] == 1 && x[base + 2] == 0);
	/* the levels share one group (reference levels, fit.c); built-ins
	 * and numeric attributes have none */
	CHECK(features_onehot_group(f, base) >= 0);
	CHECK(features_onehot_group(f, base + 2) == features_onehot_group(f, base));
	CHECK(features_onehot_group(f, 0) == -1);
	CHECK(features_onehot_group(f, base + 3) == -1);	/* out of range */
	/* level 4 folds into no feature: all zeros, not missing */
	features_vector(f, &e[4], T0, x);
	CHECK(x[base] == 0 && x[base + 1] == 0 && x[base + 2] == 0);
	/* same level, other case: the same feature */
	emp_new(&e[5]);
	attr_str(&a, "JOB_ROLE", "l2");
	features_set_attrs(f, &e[5], &a, 1, T0);
	features_vector(f, &e[5], T0, x);
	CHECK(x[base + 2] == 1 && x[base] == 0);
	/* an employee without the attribute: NaN */
	emp_new(&e[6]);
	features_vector(f, &e[6], T0, x);
	CHECK(isnan(x[base]) && isnan(x[base + 2]));

	/* total cap: 2 more features, then nothing */
	emp_new(&e[7]);
	attr_num(&a, "distance", 3);
	features_set_attrs(f, &e[7], &a, 1, T0);
	attr_str(&a, "overtime", "yes");
	features_set_attrs(f, &e[7], &a, 1, T0);
	attr_str(&a, "overtime", "no");
	features_set_attrs(f, &e[8], &a, 1, T0);
	attr_num(&a, "stock", 1);
	features_set_attrs(f, &e[7], &a, 1, T0);
	CHECK(features_dim(f) == 14 + 5);
	CHECK(find_feature(f, "overtime=yes") == 14 + 4);
	CHECK(find_feature(f, "overtime=no") == -1);
	CHECK(find_feature(f, "stock") == -1);
	features_vector(f, &e[7], T0, x);
	CHECK(x[14 + 3] == 3 && x[14 + 4] == 1);
	CHECK(features_onehot_group(f, 14 + 3) == -1);		/* numeric */
	CHECK(features_onehot_group(f, 14 + 4) >= 0 &&		/* another group */
	    features_onehot_group(f, 14 + 4) != features_onehot_group(f, 14));
	/* an employee whose level came after the cap has the attribute: 0 */
	emp_new(&e[8]);
	attr_str(&a, "overtime", "no");
	features_set_attrs(f, &e[8], &a, 1, T0);
	features_vector(f, &e[8], T0, x);
	CHECK(x[14 + 4] == 0);
	CHECK(isnan(x[14 + 3]));
	/* a type change keeps the first meaning */
	attr_str(&a, "distance", "far");
	features_set_attrs(f, &e[8], &a, 1, T0);
	features_vector(f, &e[8], T0, x);
	CHECK(isnan(x[14 + 3]));
	for (j = 0; j < features_dim(f); j++)
		CHECK(features_name(f, j) != NULL);
	features_free(f);

	/* defaults: 24 attribute features, 8 levels */
	f = features_new(NULL);
	emp_new(&e[9]);
	/* names of built-in covariates (and tenure) are not attributes */
	attr_num(&a, "Satisfaction", 5);
	features_set_attrs(f, &e[9], &a, 1, T0);
	attr_num(&a, "tenure-months", 5);
	features_set_attrs(f, &e[9], &a, 1, T0);
	attr_str(&a, "Months Since Raise", "many");
	features_set_attrs(f, &e[9], &a, 1, T0);
	CHECK(features_dim(f) == 14);
	for (i = 0; i < 12; i++) {
		snprintf(lv, sizeof(lv), "v%d", i);
		attr_str(&a, "role", lv);
		features_set_attrs(f, &e[9], &a, 1, T0);
	}
	CHECK(features_dim(f) == 14 + 8);
	for (i = 0; i < 30; i++) {
		snprintf(lv, sizeof(lv), "n%d", i);
		attr_num(&a, lv, i);
		features_set_attrs(f, &e[9], &a, 1, T0);
	}
	CHECK(features_dim(f) == 14 + 24);
	/* 14 numeric values other than 0/1 (n2..n15): past ATTR_INLINE, by slot */
	CHECK(e[9].attr_ext == 1 && emp_attr_get(&e[9], 8 + 15) == 15);
	emp_attr_release(&e[9]);
	features_free(f);
}

/* One salary, published at once (a boundary after each). */
static void
note_salary(struct features *f, int dept, int level, double salary)
{
	static struct pay *pay;

	if (pay == NULL)
		pay = pay_new();
	CHECK(pay_note(pay, dept, level, salary) == 0);
	pay_publish(&pay, 1, f);
}

static void
test_vector(void)
{
	struct features *f = features_new(NULL);
	struct employee e;
	struct hr_attr a[2];
	double x[FEATURES_MAX];
	int64_t now = T0 + 400 * DAY;
	int i, dept;

	emp_new(&e);
	/* provisional, nothing known */
	features_vector(f, &e, now, x);
	CHECK(isnan(x[0]) && isnan(x[4]) && isnan(x[5]) && isnan(x[6]));
	CHECK(x[7] == 1.0);			/* relative pay unknown */
	CHECK(isnan(x[8]) && isnan(x[9]) && isnan(x[12]));
	CHECK(x[10] == 0 && x[11] == 0 && x[13] == 0);

	dept = strtab_intern(features_departments(f), "Sales");
	for (i = 0; i < 9; i++)			/* median 50000 */
		note_salary(f, dept, 3, 30000 + 5000 * i);
	e.flags = EMP_HAS_SURVEY | EMP_HAS_REVIEW | EMP_HAS_ABILITY;
	e.hired_s = emp_s(T0);
	e.dept = dept;
	e.job_level = 3;
	e.salary = 60000;
	e.satisfaction = 71;
	e.engagement = 62;
	e.intent_to_stay = NAN;
	e.work_life_balance = 40;
	e.rating = 3.5;
	e.ability = 66;
	e.last_raise_s = emp_s(now - 90 * DAY);
	e.last_raise_pct = 4;
	e.last_promotion_s = emp_s(T0);
	e.manager = 42;
	e.manager_since_s = emp_s(now - 30 * DAY);
	window_add(&e.manager_changes, now - 30 * DAY, 1);
	window_add(&e.manager_changes, now - 366 * DAY, 1);
	window_add(&e.training, now - 10 * DAY, 6);
	window_add(&e.training, now - 308 * DAY, 2);	/* 11 months back: in */
	window_add(&e.training, now + 31 * DAY, 50);	/* next month: not yet */
	window_add(&e.care, now, 1);
	window_add(&e.care, now - 400 * DAY, 1);
	attr_num(&a[0], "distance_km", 7.5);
	attr_str(&a[1], "overtime", "Yes");
	features_set_attrs(f, &e, a, 2, T0);

	CHECK(features_dim(f) == 16);
	features_vector(f, &e, now, x);
	CHECK_NEAR(x[0], 71, 0);
	CHECK_NEAR(x[1], 62, 0);
	CHECK(isnan(x[2]));
	CHECK_NEAR(x[3], 40, 0);
	CHECK_NEAR(x[4], 3.5, 0);
	CHECK_NEAR(x[5], 90 / 30.4375, 1e-9);
	CHECK_NEAR(x[6], 4, 0);
	CHECK_NEAR(x[7], 60000.0 / 50000.0, 0.03);
	CHECK_NEAR(x[8], 400 / 30.4375, 1e-9);
	CHECK_NEAR(x[9], 30 / 30.4375, 1e-9);
	CHECK_NEAR(x[10], 1, 0);
	CHECK_NEAR(x[11], 8, 1e-12);
	CHECK_NEAR(x[12], 66, 0);
	CHECK_NEAR(x[13], 1, 0);
	CHECK_NEAR(x[14], 7.5, 0);
	CHECK_STR(features_name(f, 15), "overtime=yes");
	CHECK_NEAR(x[15], 1, 0);

	/* never raised: months since hire, 0 % */
	e.last_raise_s = 0;
	features_vector(f, &e, now, x);
	CHECK_NEAR(x[5], 400 / 30.4375, 1e-9);
	CHECK_NEAR(x[6], 0, 0);
	/* too few pay samples for another level: relative pay 1 */
	e.job_level = 4;
	note_salary(f, dept, 4, 10000);
	features_vector(f, &e, now, x);
	CHECK_NEAR(x[7], 1.0, 0);
	features_free(f);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
test_pay_median(void)
{
	struct features *f = features_new(NULL), *g = features_new(NULL);
	struct pay *one = pay_new(), *split[3] = { pay_new(), pay_new(), pay_new() };
	static double v[20000];
	double exact, est;
	unsigned long long s = 12345;
	int i, j, n = 20000;

	CHECK(isnan(features_pay_median(f, 0, 3)));
	for (j = 0; j < 3; j++) {
		for (i = 0; i < n; i++) {
			double u1, u2;

			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			u1 = (double)(s >> 11) / 9007199254740992.0;
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			u2 = (double)(s >> 11) / 9007199254740992.0;
			/* uniform, skewed (lognormal-ish), bimodal */
			if (j == 0)
				v[i] = 20000 + 80000 * u1;
			else if (j == 1)
				v[i] = 40000 * exp(0.5 * (u1 + u2 - 1) * 2.5);
			else
				v[i] = (u2 < 0.6 ? 40000 : 90000) + 10000 * u1;
			CHECK(pay_note(one, j, 5, v[i]) == 0);
			/* the same salaries spread over three shards */
			CHECK(pay_note(split[(i * 7 + j) % 3], j, 5, v[i]) == 0);
		}
		qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
		exact = (v[n / 2 - 1] + v[n / 2]) / 2;
		pay_publish(&one, 1, f);
		pay_publish(split, 3, g);
		est = features_pay_median(f, j, 5);
		fprintf(stderr, "median %d: exact %.1f estimate %.1f\n", j, exact, est);
		CHECK_NEAR(est / exact, 1.0, 0.01);
		/* mergeable: the shards' sum is the same histogram, bit for bit */
		CHECK(features_pay_median(g, j, 5) == est);
	}
	/* ascending order */
	for (i = 0; i < 1001; i++)
		pay_note(one, 7, 2, 1000 + i);
	pay_publish(&one, 1, f);
	CHECK_NEAR(features_pay_median(f, 7, 2), 1500, 15);
	/* bounds */
	CHECK(pay_note(one, -1, 2, 1) == 0);
	CHECK(pay_note(one, 5000, 2, 1) == 0);
	CHECK(pay_note(one, 1, 99, 1) == 0);
	pay_publish(&one, 1, f);
	CHECK(isnan(features_pay_median(f, 1, 99)));
	for (i = 0; i < 4; i++)
		pay_note(one, 9, 1, 100);
	pay_publish(&one, 1, f);
	CHECK(isnan(features_pay_median(f, 9, 1)));
	pay_note(one, 9, 1, 100);
	/* not before the next boundary's publication */
	CHECK(isnan(features_pay_median(f, 9, 1)));
	pay_publish(&one, 1, f);
	CHECK_NEAR(features_pay_median(f, 9, 1), 100, 1);
	pay_free(one);
	for (i = 0; i < 3; i++)
		pay_free(split[i]);
	features_free(f);
	features_free(g);
}

static void
test_departments(void)
{
	struct features *f = features_new(NULL);
	struct strtab *d = features_departments(f);
	char name[32];
	int i, full = 0;

	for (i = 0; i < 1024; i++) {
		snprintf(name, sizeof(name), "dept%d", i);
		if (strtab_intern(d, name) != i)
			full++;
	}
	CHECK(full == 0);
	CHECK(strtab_intern(d, "one too many") == -1);
	CHECK(strtab_intern(d, "dept7") == 7);
	features_free(f);
}

int
main(void)
{
	test_builtin_names();
	test_protected();
	test_onehot_caps();
	test_vector();
	test_pay_median();
	test_departments();
	return check_exit("test_features");
}
