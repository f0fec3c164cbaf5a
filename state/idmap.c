/*
 * idmap.c: a map from the ids of one feature registry to another's
 * (idmap.h), made by name.
 *
 * Covariates: the built-ins have the same index in every registry; an
 * attribute slot is described by its attribute's name and, for a one-hot
 * slot, its level, and interned by those into the live registry exactly
 * as an arriving attribute would be (features_intern_attr(): the live
 * registry's normalisation, its protected names, its caps). Departments
 * and protected levels are interned by their text. The live registry's
 * new ids come in from's id order; nothing downstream depends on ids
 * (the fit orders covariates by name, outputs departments by name), so
 * two instances that map the same images in different orders still fit
 * the same model, except that when a cap is reached the order decides
 * which names get a slot, as it does for arriving events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idmap.h"
#include "model_internal.h"

#define LEVELS_MAX 256	/* 1-based levels of a protected name, as uint8 */

struct idmap {
	int	identity;
	int	nfeat;
	int	feat[FEATURES_MAX];
	int	ndept;
	int	dept[DEPARTMENTS_MAX];
	int	nprot;
	int	prot[PROTECTED_MAX];
	int	nlevel[PROTECTED_MAX];
	uint8_t	level[PROTECTED_MAX][LEVELS_MAX];	/* [k][from] = into, 0 none */
};

static void
map_features(struct idmap *m, const struct features *from, struct features *into)
{
	const char *name, *level;
	int i, nb = features_builtin_dim();

	m->nfeat = features_dim(from);
	for (i = 0; i < m->nfeat; i++) {
		if (i < nb)
			m->feat[i] = i;
		else if (features_attr_slot_describe(from, i - nb, &name, &level) == 0)
			m->feat[i] = features_intern_attr(into, name, level);
		else
			m->feat[i] = -1;
		if (m->feat[i] != i)
			m->identity = 0;
	}
}

static void
map_depts(struct idmap *m, const struct features *from, struct features *into)
{
	struct strtab *depts = features_departments(into);
	int d;

	m->ndept = features_department_count(from);
	for (d = 0; d < m->ndept; d++) {
		m->dept[d] = strtab_intern(depts, features_department_name(from, d));
		if (m->dept[d] != d)
			m->identity = 0;
	}
}

static void
map_protected(struct idmap *m, const struct features *from, struct features *into)
{
	const char *canon;
	int k, l, kk;

	m->nprot = features_protected_count(from);
	for (k = 0; k < m->nprot; k++) {
		canon = features_protected_name(from, k);
		(void)features_intern_protected(into, canon, NULL, &m->prot[k]);
		m->nlevel[k] = features_protected_level_count(from, k);
		if (m->nlevel[k] > LEVELS_MAX - 1)
			m->nlevel[k] = LEVELS_MAX - 1;
		for (l = 1; l <= m->nlevel[k]; l++) {
			int to = features_intern_protected(into, canon,
			    features_protected_level(from, k, l), &kk);

			m->level[k][l] = (uint8_t)(m->prot[k] < 0 ? 0 : to);
			if (m->level[k][l] != l)
				m->identity = 0;
		}
		if (m->prot[k] != k)
			m->identity = 0;
	}
}

/* See idmap.h. */
struct idmap *
idmap_new(const struct features *from, struct features *into, char *errbuf,
    size_t errlen)
{
	struct idmap *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(errbuf, errlen, "id map: out of memory");
		return NULL;
	}
	m->identity = 1;
	map_features(m, from, into);
	map_depts(m, from, into);
	map_protected(m, from, into);
	return m;
}

/* See idmap.h. */
void
idmap_free(struct idmap *m)
{
	free(m);
}

/* See idmap.h. */
int
idmap_feature(const struct idmap *m, int from_slot)
{
	if (from_slot < 0 || from_slot >= m->nfeat)
		return -1;
	return m->feat[from_slot];
}

/* See idmap.h. */
int
idmap_attr(const struct idmap *m, int from_attr_slot)
{
	int nb = features_builtin_dim(), i;

	if (from_attr_slot < 0 || (i = idmap_feature(m, nb + from_attr_slot)) < 0)
		return -1;
	return i - nb;
}

/* See idmap.h. */
int
idmap_dept(const struct idmap *m, int from_dept)
{
	if (from_dept < 0 || from_dept >= m->ndept)
		return -1;
	return m->dept[from_dept];
}

/* See idmap.h. */
int
idmap_protected(const struct idmap *m, int prot_k)
{
	if (prot_k < 0 || prot_k >= m->nprot)
		return -1;
	return m->prot[prot_k];
}

/* See idmap.h. */
int
idmap_level(const struct idmap *m, int prot_k, int from_level)
{
	if (prot_k < 0 || prot_k >= m->nprot || from_level <= 0 ||
	    from_level > m->nlevel[prot_k])
		return 0;
	return m->level[prot_k][from_level];
}

/* See idmap.h. */
int
idmap_identity(const struct idmap *m)
{
	return m->identity;
}
