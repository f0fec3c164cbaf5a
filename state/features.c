/*
 * features.c: the covariate registry, the raw covariate vector of a
 * record, protected characteristics, and online pay medians.
 *
 * Covariates are the MODEL.md built-ins (fixed order, builtin_names[])
 * followed by attribute features registered as `attributes` arrive: a
 * numeric attribute is one feature, a string attribute is one-hot over
 * at most max_levels levels ("name=level"); further levels, and anything
 * beyond max_attr_features, map to no feature. A feature, once
 * registered, keeps its index for the life of the process, so the
 * dimension only grows and the model can extend its vectors.
 *
 * Attribute names match after normalisation (ASCII lowercase, '_' '-' ' '
 * dropped). Protected characteristics (CONTRACT.md list plus configured
 * extras) are never registered as features, whatever their spelling
 * (protname.c: Unicode folding, then a protected word among the tokens
 * or, if long, anywhere in the name); their
 * level is stored in employee->protected_level[k] for fairness monitoring
 * only. Numeric ages (and dates of birth, as age at the event's time) are
 * put into bands so that groups are coarse and no birth date is kept.
 *
 * Pay medians: the registry holds the median salary per (department, job
 * level) of the current epoch, written at each epoch boundary from the
 * shards' mergeable histograms (pay.c) and read by features_vector() for
 * relative pay; features_set_pay_median() is the only writer.
 *
 * Registries are order-free where the output depends on them: attribute
 * features and departments are interned in arrival order (their ids are
 * internal), but the model solves and reports covariates in name order
 * (model.c) and plans iterate departments by name (pipeline.c). Only when
 * more attributes or levels arrive than max_attr_features / max_levels
 * allow does arrival order pick which ones get a slot.
 *
 * Nothing here allocates after features_new(). Not thread-safe: the
 * pipeline owns one instance.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "features_int.h"
#include "model_internal.h"
#include "protname.h"
#include "table.h"

static const char *const builtin_names[F_BUILTIN] = {
	"satisfaction", "engagement", "intent_to_stay", "work_life_balance",
	"rating", "months_since_raise", "last_raise_pct", "relative_pay",
	"months_since_promotion", "months_with_manager", "manager_changes_12m",
	"training_hours_12m", "ability", "care_12m",
};

/* A name that cannot be folded is protected, and tracked under no name. */
static const char unfoldable[] = "";


/* Writes the normalised form of s (lowercase, no '_' '-' ' ') to out. */
static void
normalise(const char *s, char *out, size_t outlen)
{
	size_t j = 0;

	for (; *s != '\0' && j + 1 < outlen; s++) {
		if (*s == '_' || *s == '-' || *s == ' ')
			continue;
		out[j++] = (char)tolower((unsigned char)*s);
	}
	out[j] = '\0';
}

/* Returns a new registry configured by cfg (NULL: defaults), NULL on ENOMEM. */
struct features *
features_new(const struct features_config *cfg)
{
	struct features *f;
	int i;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->max_attr = cfg != NULL && cfg->max_attr_features > 0 ?
	    cfg->max_attr_features : 24;
	if (f->max_attr > ATTR_FEATURES_MAX)
		f->max_attr = ATTR_FEATURES_MAX;
	f->max_levels = cfg != NULL && cfg->max_levels > 0 ? cfg->max_levels : 8;
	if (f->max_levels > ATTR_FEATURES_MAX)
		f->max_levels = ATTR_FEATURES_MAX;
	for (i = 0; i < F_BUILTIN; i++)
		normalise(builtin_names[i], f->builtin_key[i], EVENT_STR_MAX);
	for (i = 0; cfg != NULL && i < PROTECTED_MAX &&
	    cfg->extra_protected[i] != NULL; i++) {
		struct pname pn;

		if (pname_fold(&pn, cfg->extra_protected[i]) == -1 ||
		    pn.glued[0] == '\0')
			continue;
		memcpy(f->extra_key[f->nextra], pn.glued, sizeof(pn.glued));
		snprintf(f->extra_name[f->nextra], EVENT_STR_MAX, "%s",
		    cfg->extra_protected[i]);
		f->nextra++;
	}
	f->attr_keys = strtab_new(ATTR_FEATURES_MAX);
	f->slot_levels = strtab_new(ATTR_FEATURES_MAX);
	f->depts = strtab_new(DEPT_MAX);
	f->pay_median = calloc(PAY_CELLS, sizeof(*f->pay_median));
	if (f->attr_keys == NULL || f->slot_levels == NULL || f->depts == NULL ||
	    f->pay_median == NULL)
		goto fail;
	for (i = 0; i < PROTECTED_MAX; i++)
		if ((f->prot_levels[i] = strtab_new(PROT_LEVELS_MAX)) == NULL)
			goto fail;
	return f;
fail:
	features_free(f);
	return NULL;
}

/* Frees f; NULL is a no-op. */
void
features_free(struct features *f)
{
	int i;

	if (f == NULL)
		return;
	strtab_free(f->attr_keys);
	strtab_free(f->slot_levels);
	strtab_free(f->depts);
	for (i = 0; i < PROTECTED_MAX; i++)
		strtab_free(f->prot_levels[i]);
	free(f->pay_median);
	free(f);
}

/* Returns the current number of covariates (built-ins plus attributes). */
int
features_dim(const struct features *f)
{
	return F_BUILTIN + f->nslots;
}

int
features_builtin_dim(void)
{
	return F_BUILTIN;
}

/* Returns the name of covariate i (borrowed), NULL if out of range. */
const char *
features_name(const struct features *f, int i)
{
	if (i < 0 || i >= features_dim(f))
		return NULL;
	if (i < F_BUILTIN)
		return builtin_names[i];
	return f->fname[i - F_BUILTIN];
}

/* Returns 1 if covariate i is a clock: months since an event, which grows
 * by one a month until the next such event. */
int
features_is_clock(int i)
{
	return i == F_MONTHS_SINCE_RAISE || i == F_MONTHS_SINCE_PROMOTION ||
	    i == F_MONTHS_WITH_MANAGER;
}

/* Returns the attribute (definition id) whose one-hot level covariate i
 * is, or -1 for a built-in or numeric covariate. */
int
features_onehot_group(const struct features *f, int i)
{
	i -= F_BUILTIN;
	if (i < 0 || i >= f->nslots || !f->slot_onehot[i])
		return -1;
	return f->slot_def[i];
}

/* Canonical name of the protected characteristic that attribute name
 * is (built-in first, then configured), unfoldable when it cannot be
 * folded, or NULL when it is not protected. */
static const char *
protected_canonical(const struct features *f, const char *name)
{
	struct pname	 pn;
	const char	*canon;
	int		 k;

	if (pname_fold(&pn, name) == -1)
		return unfoldable;
	if ((canon = pname_builtin(&pn)) != NULL)
		return canon;
	for (k = 0; k < f->nextra; k++)
		if (pname_has(&pn, f->extra_key[k]))
			return f->extra_name[k];
	return NULL;
}

/* Returns 1 if name is a protected characteristic, else 0. */
int
features_is_protected(const struct features *f, const char *name)
{
	if (name == NULL)
		return 0;
	return protected_canonical(f, name) != NULL;
}

/* Returns how many protected names have been seen. */
int
features_protected_count(const struct features *f)
{
	return f->nprot;
}

/* Returns the canonical name of protected name k (borrowed), or NULL. */
const char *
features_protected_name(const struct features *f, int k)
{
	if (k < 0 || k >= f->nprot)
		return NULL;
	return f->prot_name[k];
}

/* Returns the text of a level of protected name k (borrowed); level is the
 * 1-based value of employee->protected_level[k]; NULL for 0 or unknown. */
const char *
features_protected_level(const struct features *f, int k, int level)
{
	if (k < 0 || k >= f->nprot || level <= 0)
		return NULL;
	return strtab_name(f->prot_levels[k], level - 1);
}

/* Returns how many levels protected name k has (valid levels 1..count). */
int
features_protected_level_count(const struct features *f, int k)
{
	if (k < 0 || k >= f->nprot)
		return 0;
	return strtab_count(f->prot_levels[k]);
}

/* Returns the department table (borrowed; at most DEPT_MAX names). */
struct strtab *
features_departments(struct features *f)
{
	return f->depts;
}

/* See model_internal.h. */
int
features_department_count(const struct features *f)
{
	return strtab_count(f->depts);
}

/* See model_internal.h. */
const char *
features_department_name(const struct features *f, int id)
{
	return strtab_name(f->depts, id);
}

static const char *
age_band(double age)
{
	if (age < 30)
		return "<30";
	if (age < 40)
		return "30-39";
	if (age < 50)
		return "40-49";
	return "50+";
}

/* Age in whole years at t_ms of someone born on y-m-d (m, d may be 0). */
static double
age_at(int64_t t_ms, int y, int m, int d)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;
	int age;

	if (t_ms <= 0 || gmtime_r(&t, &tm) == NULL)
		return NAN;
	age = tm.tm_year + 1900 - y;
	if (m > 0 && (tm.tm_mon + 1 < m || (tm.tm_mon + 1 == m && d > 0 &&
	    tm.tm_mday < d)))
		age--;
	return age;
}

/* Writes the fairness level of a protected attribute to out; returns 0, or
 * -1 when the value cannot be put into a (coarse) group. */
static int
protected_value(const char *canon, const struct hr_attr *a, int64_t t_ms,
    char *out, size_t outlen)
{
	const char *s;
	char *end;
	double v = NAN;
	int y = 0, m = 0, d = 0;
	size_t i, j;

	if (strcmp(canon, "age") == 0) {
		v = a->is_num ? a->num : strtod(a->str, &end);
		if (!a->is_num && (end == a->str || *end != '\0'))
			v = NAN;
		if (!isfinite(v) || v < 0 || v > 150)
			return -1;
		snprintf(out, outlen, "%s", age_band(v));
		return 0;
	}
	if (strcmp(canon, "date_of_birth") == 0) {
		if (a->is_num) {
			if (!(a->num >= 1900 && a->num <= 2100))
				return -1;
			y = (int)a->num;
		} else if (sscanf(a->str, "%4d-%2d-%2d", &y, &m, &d) < 1 ||
		    y < 1900 || y > 2100) {
			return -1;
		}
		v = age_at(t_ms, y, m, d);
		if (!isfinite(v) || v < 0)
			return -1;
		snprintf(out, outlen, "%s", age_band(v));
		return 0;
	}
	if (a->is_num) {
		if (!isfinite(a->num))
			return -1;
		snprintf(out, outlen, "%g", a->num);
		return 0;
	}
	/* strings: trimmed, lowercase */
	for (s = a->str; *s == ' '; s++)
		;
	for (i = 0, j = 0; s[i] != '\0' && j + 1 < outlen; i++)
		out[j++] = (char)tolower((unsigned char)s[i]);
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
	return j == 0 ? -1 : 0;
}

/* Index of protected name canon, registered while there is room; -1. */
static int
protected_index(struct features *f, const char *canon)
{
	int k;

	for (k = 0; k < f->nprot; k++)
		if (strcmp(f->prot_name[k], canon) == 0)
			return k;
	if (f->nprot >= PROTECTED_MAX)
		return -1;
	snprintf(f->prot_name[k], EVENT_STR_MAX, "%s", canon);
	return f->nprot++;
}

static void
set_protected(struct features *f, struct employee *e, const char *canon,
    const struct hr_attr *a, int64_t t_ms)
{
	char level[EVENT_STR_MAX];
	int k, id;

	if ((k = protected_index(f, canon)) < 0)
		return;
	if (protected_value(canon, a, t_ms, level, sizeof(level)) == -1)
		id = -1;
	else
		id = strtab_intern(f->prot_levels[k], level);
	/* ENOMEM (the record's first level of a name past the inline ones):
	 * the level stays as it was */
	(void)emp_prot_put(e, k, id < 0 ? 0 : (uint8_t)(id + 1),
	    emp_prot_counted(e, k));
}

/* See model_internal.h. */
int
features_intern_protected(struct features *f, const char *canon,
    const char *level, int *k)
{
	int id;

	if ((*k = protected_index(f, canon)) < 0 || level == NULL)
		return 0;
	id = strtab_intern(f->prot_levels[*k], level);
	return id < 0 ? 0 : id + 1;
}

/* Slot of level lvl of the attribute with normalised key, or -1. */
static int
level_slot(const struct features *f, const char *key, const char *lvl)
{
	char kl[EVENT_STR_MAX];
	int id;

	if (snprintf(kl, sizeof(kl), "%s\x1f%s", key, lvl) >= (int)sizeof(kl) ||
	    (id = strtab_find(f->slot_levels, kl)) < 0)
		return -1;
	return f->level_slot[id];
}

/* fname = name or "name=lvl" (both < EVENT_STR_MAX, so it fits). */
static void
fname_set(char *fname, const char *name, const char *lvl)
{
	size_t n = strlen(name);

	memcpy(fname, name, n);
	fname[n] = '\0';
	if (lvl != NULL) {
		fname[n] = '=';
		memcpy(fname + n + 1, lvl, strlen(lvl) + 1);
	}
}

static int
add_slot(struct features *f, int di, const char *key, const char *lvl)
{
	struct attr_def *d = &f->defs[di];
	char kl[EVENT_STR_MAX];
	int s = f->nslots, id;

	if (s >= f->max_attr)
		return -1;
	if (lvl != NULL) {
		/* key and level longer than 62 bytes together fold too */
		if (d->nslots >= f->max_levels ||
		    snprintf(kl, sizeof(kl), "%s\x1f%s", key, lvl) >= (int)sizeof(kl) ||
		    (id = strtab_intern(f->slot_levels, kl)) < 0)
			return -1;
		f->level_slot[id] = s;
	}
	fname_set(f->fname[s], d->name, lvl);
	f->slot_def[s] = di;
	f->slot_onehot[s] = lvl != NULL;
	d->slot[d->nslots++] = s;
	f->nslots++;
	return s;
}

/* An attribute named like a built-in covariate would shadow it. */
static int
is_builtin_key(const struct features *f, const char *key)
{
	int i;

	for (i = 0; i < F_BUILTIN; i++)
		if (strcmp(f->builtin_key[i], key) == 0)
			return 1;
	return strcmp(key, "tenuremonths") == 0;
}

/* The slot of the attribute with normalised key (name as given) at level
 * lvl (NULL: numeric), registering the attribute and the level while
 * there is room. *di is its definition, -1 when there is none or it has
 * the other type; the slot is -1 when there is no room (a folded level). */
static int
intern_slot(struct features *f, const char *key, const char *name,
    const char *lvl, int *di)
{
	struct attr_def *d;
	int s;

	if ((*di = strtab_find(f->attr_keys, key)) < 0) {
		if (f->nslots >= f->max_attr ||
		    (*di = strtab_intern(f->attr_keys, key)) < 0)
			return *di = -1;
		d = &f->defs[*di];
		d->is_num = lvl == NULL;
		snprintf(d->name, sizeof(d->name), "%s", name);
		if (d->is_num && add_slot(f, *di, key, NULL) < 0)
			return *di = -1;
	}
	d = &f->defs[*di];
	if (d->is_num != (lvl == NULL))
		return *di = -1;	/* type changed: keep the first meaning */
	if (d->is_num)
		return d->slot[0];
	if ((s = level_slot(f, key, lvl)) < 0)
		s = add_slot(f, *di, key, lvl);	/* -1: folded level */
	return s;
}

/* See model_internal.h. */
int
features_intern_attr(struct features *f, const char *name, const char *level)
{
	char key[EVENT_STR_MAX], lvl[EVENT_STR_MAX];
	struct hr_attr tmp;
	int di, s;

	normalise(name, key, sizeof(key));
	if (key[0] == '\0' || protected_canonical(f, name) != NULL ||
	    is_builtin_key(f, key))
		return -1;
	if (level != NULL) {
		tmp.is_num = 0;
		snprintf(tmp.str, sizeof(tmp.str), "%s", level);
		if (protected_value("", &tmp, 0, lvl, sizeof(lvl)) == -1)
			return -1;
	}
	s = intern_slot(f, key, name, level != NULL ? lvl : NULL, &di);
	return s < 0 ? -1 : F_BUILTIN + s;
}

/* Maps n attributes of an event at t_ms into e: protected ones into
 * e->protected_level, the rest into e's attribute slots (record.c) through
 * the registry, which learns new attributes and levels while there is
 * room. Allocates only when e needs more than ATTR_INLINE values other
 * than 0/1 (once per record; without memory the value stays unknown). */
void
features_set_attrs(struct features *f, struct employee *e,
    const struct hr_attr *attrs, int n, int64_t t_ms)
{
	char key[EVENT_STR_MAX], lvl[EVENT_STR_MAX];
	const char *canon;
	struct attr_def *d;
	int i, j, di, s;

	for (i = 0; i < n; i++) {
		const struct hr_attr *a = &attrs[i];

		normalise(a->name, key, sizeof(key));
		if (key[0] == '\0')
			continue;
		if ((canon = protected_canonical(f, a->name)) != NULL) {
			if (canon != unfoldable)
				set_protected(f, e, canon, a, t_ms);
			continue;
		}
		if (is_builtin_key(f, key) || (a->is_num && !isfinite(a->num)))
			continue;
		if (!a->is_num) {
			/* levels match case-insensitively, spaces trimmed */
			struct hr_attr tmp;

			tmp.is_num = 0;
			memcpy(tmp.str, a->str, sizeof(tmp.str));
			tmp.str[sizeof(tmp.str) - 1] = '\0';
			if (protected_value("", &tmp, 0, lvl, sizeof(lvl)) == -1)
				continue;
		}
		s = intern_slot(f, key, a->name, a->is_num ? NULL : lvl, &di);
		if (di < 0)
			continue;
		d = &f->defs[di];
		if (d->is_num) {
			(void)emp_attr_put(e, s, a->num);	/* ENOMEM: unknown */
			continue;
		}
		for (j = 0; j < d->nslots; j++)
			(void)emp_attr_put(e, d->slot[j], d->slot[j] == s ? 1.0 : 0.0);
	}
}

/* --- pay medians of the epoch --- */

/* See table.h: NaN (or not positive) makes the median unknown. */
void
features_set_pay_median(struct features *f, int dept, int job_level, double median)
{
	int c = pay_cell_index(dept, job_level);

	if (c >= 0)
		f->pay_median[c] = isfinite(median) && median > 0 ? median : 0;
}

/* Returns the median salary of (dept, job_level) of the current epoch, or
 * NaN when the key is unknown or had too few observations. */
double
features_pay_median(const struct features *f, int dept, int job_level)
{
	int c = pay_cell_index(dept, job_level);

	if (c < 0 || !(f->pay_median[c] > 0))
		return NAN;
	return f->pay_median[c];
}

/* --- the vector --- */

static double
months_between(int64_t from_ms, int64_t to_ms)
{
	double m = (double)(to_ms - from_ms) / (double)MS_PER_DAY / DAYS_PER_MONTH;

	return m < 0 ? 0 : m;
}

/* Fills x[features_dim(f)] with e's raw covariates at now_ms. Unknown
 * values are NaN: no survey, review or assessment yet; months since raise
 * (since hire when never raised), promotion or with the manager when there
 * is no such time; last_raise_pct is 0 after a hire without raises.
 * 12-month windows are now's month and the 11 before (window.c). relative_pay
 * is 1.0 when the salary or its median is unknown. An attribute the
 * employee never gave is NaN, except that a one-hot level of an attribute
 * the employee has (with another level) is 0. */
void
features_vector(struct features *f, const struct employee *e, int64_t now_ms,
    double *x)
{
	double med;
	int s, j;

	x[F_SATISFACTION] = e->flags & EMP_HAS_SURVEY ? e->satisfaction : NAN;
	x[F_ENGAGEMENT] = e->flags & EMP_HAS_SURVEY ? e->engagement : NAN;
	x[F_INTENT] = e->flags & EMP_HAS_SURVEY ? e->intent_to_stay : NAN;
	x[F_WLB] = e->flags & EMP_HAS_SURVEY ? e->work_life_balance : NAN;
	x[F_RATING] = e->flags & EMP_HAS_REVIEW ? e->rating : NAN;
	if (e->last_raise_s != 0) {
		x[F_MONTHS_SINCE_RAISE] = months_between(emp_ms(e->last_raise_s), now_ms);
		x[F_LAST_RAISE_PCT] = e->last_raise_pct;
	} else if (e->hired_s != 0) {
		x[F_MONTHS_SINCE_RAISE] = months_between(emp_ms(e->hired_s), now_ms);
		x[F_LAST_RAISE_PCT] = 0;
	} else {
		x[F_MONTHS_SINCE_RAISE] = NAN;
		x[F_LAST_RAISE_PCT] = NAN;
	}
	med = features_pay_median(f, e->dept, e->job_level);
	x[F_RELATIVE_PAY] = e->salary > 0 && isfinite(med) && med > 0 ?
	    e->salary / med : 1.0;
	x[F_MONTHS_SINCE_PROMOTION] = e->last_promotion_s != 0 ?
	    months_between(emp_ms(e->last_promotion_s), now_ms) : NAN;
	x[F_MONTHS_WITH_MANAGER] = e->manager != 0 && e->manager_since_s != 0 ?
	    months_between(emp_ms(e->manager_since_s), now_ms) : NAN;
	x[F_MANAGER_CHANGES] = window_count(&e->manager_changes, now_ms);
	x[F_TRAINING_HOURS] = window_sum(&e->training, now_ms);
	x[F_ABILITY] = e->flags & EMP_HAS_ABILITY ? e->ability : NAN;
	x[F_CARE] = window_count(&e->care, now_ms);

	for (s = 0; s < f->nslots; s++) {
		const struct attr_def *d = &f->defs[f->slot_def[s]];
		double v = NAN;

		if (emp_attr_given(e, s)) {
			v = emp_attr_get(e, s);
		} else if (f->slot_onehot[s]) {
			for (j = 0; j < d->nslots; j++)
				if (emp_attr_given(e, d->slot[j]))
					v = 0;
		}
		x[F_BUILTIN + s] = v;
	}
}

/* --- the checkpoint's JSON dump (pipeline/encode.c) --- */

/* Describes attribute slot s (an index of employee->attr): *name is the
 * attribute's name as first seen, *level its level for a one-hot slot or
 * NULL for a numeric one (both borrowed). Returns 0, or -1 for a slot that
 * is not registered. */
int
features_attr_slot_describe(const struct features *f, int s, const char **name,
    const char **level)
{
	const struct attr_def *d;

	if (s < 0 || s >= f->nslots)
		return -1;
	d = &f->defs[f->slot_def[s]];
	*name = d->name;
	*level = f->slot_onehot[s] ? f->fname[s] + strlen(d->name) + 1 : NULL;
	return 0;
}

int
features_attr_slots(const struct features *f)
{
	return f->nslots;
}
