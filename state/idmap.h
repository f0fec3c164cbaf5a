/*
 * idmap.h: the ids of one feature registry translated into another's.
 *
 * Ids inside a shard's statistics and records (covariate slots,
 * departments, protected names and levels) are interned in arrival order,
 * so two registries (two instances, or a checkpoint and the live process)
 * give the same name different ids. An idmap made from a registry "from"
 * (for instance one features_load() filled from another instance's image)
 * and the live registry "into" maps each id of from to the id of the same
 * name in into, interning into into the names it has not seen (while it
 * has room; a name it cannot take maps to none).
 */
#ifndef RETENTIOND_IDMAP_H
#define RETENTIOND_IDMAP_H

#include <stddef.h>

struct features;
struct idmap;

/* New map from the ids of from (borrowed, only read here) to those of
 * into (borrowed; its registry grows by the names it lacks). NULL with
 * errbuf on ENOMEM. */
struct idmap	*idmap_new(const struct features *from, struct features *into,
		    char *errbuf, size_t errlen);
void		 idmap_free(struct idmap *);	/* NULL is a no-op */
/* Covariate index (registry order, built-ins first) of from's covariate
 * from_slot in into, or -1 when it maps to none (or is out of range).
 * An employee's attribute slot s is covariate features_builtin_dim() + s;
 * idmap_attr() maps such a slot directly (-1: none). */
int		 idmap_feature(const struct idmap *, int from_slot);
int		 idmap_attr(const struct idmap *, int from_attr_slot);
/* Department id in into of from's department from_dept; -1 for -1 (no
 * department), an unknown id, or no room. */
int		 idmap_dept(const struct idmap *, int from_dept);
/* Index in into of from's protected name prot_k (-1: none), and the
 * level in into of its level from_level (both 1-based, as in
 * employee->protected_level; 0 is "no level" and maps to 0, as does a
 * level that maps to none). */
int		 idmap_protected(const struct idmap *, int prot_k);
int		 idmap_level(const struct idmap *, int prot_k, int from_level);
/* 1 when every id maps to itself (the same registry, or an image of it). */
int		 idmap_identity(const struct idmap *);

#endif
