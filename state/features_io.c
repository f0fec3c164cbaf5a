/*
 * features_io.c: the feature registry as checkpoint bytes (features_save(),
 * features_load(): attribute features, levels, protected names and
 * levels, departments, the epoch's pay medians), so that ids in shards'
 * statistics keep their meaning.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "features_int.h"

static void
strtab_save(const struct strtab *t, struct wbuf *w)
{
	int n = strtab_count(t);

	wbuf_u32(w, (uint32_t)n);
	for (int i = 0; i < n; i++)
		wbuf_str(w, strtab_name(t, i));
}

/* Interns the names in order into an empty table: the same ids. */
static int
strtab_load(struct strtab *t, struct rbuf *r, int max)
{
	char name[EVENT_STR_MAX];
	uint32_t n = rbuf_u32(r);

	if (r->failed || n > (uint32_t)max || strtab_count(t) != 0)
		return rbuf_fail(r) - 1;
	for (uint32_t i = 0; i < n; i++) {
		rbuf_str(r, name, sizeof(name));
		if (r->failed || strtab_intern(t, name) != (int)i)
			return rbuf_fail(r) - 1;
	}
	return 0;
}

/* See model_internal.h. */
void
features_save(const struct features *f, struct wbuf *w)
{
	size_t at;
	uint32_t n = 0;
	int i, j;

	strtab_save(f->attr_keys, w);
	for (i = 0; i < strtab_count(f->attr_keys); i++) {
		wbuf_u8(w, (uint8_t)f->defs[i].is_num);
		wbuf_str(w, f->defs[i].name);
		wbuf_u8(w, (uint8_t)f->defs[i].nslots);
		for (j = 0; j < f->defs[i].nslots; j++)
			wbuf_u8(w, (uint8_t)f->defs[i].slot[j]);
	}
	wbuf_u8(w, (uint8_t)f->nslots);
	for (i = 0; i < f->nslots; i++) {
		wbuf_u8(w, (uint8_t)f->slot_def[i]);
		wbuf_u8(w, (uint8_t)f->slot_onehot[i]);
		wbuf_str(w, f->fname[i]);
	}
	strtab_save(f->slot_levels, w);
	for (i = 0; i < strtab_count(f->slot_levels); i++)
		wbuf_u8(w, (uint8_t)f->level_slot[i]);
	wbuf_u8(w, (uint8_t)f->nprot);
	for (i = 0; i < f->nprot; i++) {
		wbuf_str(w, f->prot_name[i]);
		strtab_save(f->prot_levels[i], w);
	}
	strtab_save(f->depts, w);
	at = wbuf_mark_u32(w);
	for (i = 0; i < PAY_CELLS; i++)
		if (f->pay_median[i] > 0) {
			wbuf_u32(w, (uint32_t)i);
			wbuf_f64(w, f->pay_median[i]);
			n++;
		}
	wbuf_patch_u32(w, at, n);
}

/* The attribute definitions and slots; 0 or -1. */
static int
load_attrs(struct features *f, struct rbuf *r)
{
	int i, j, ndefs = strtab_count(f->attr_keys);

	for (i = 0; i < ndefs && !r->failed; i++) {
		struct attr_def *d = &f->defs[i];

		d->is_num = rbuf_u8(r) != 0;
		rbuf_str(r, d->name, sizeof(d->name));
		d->nslots = rbuf_u8(r);
		if (d->nslots > ATTR_FEATURES_MAX)
			return rbuf_fail(r) - 1;
		for (j = 0; j < d->nslots; j++)
			if ((d->slot[j] = rbuf_u8(r)) >= ATTR_FEATURES_MAX)
				return rbuf_fail(r) - 1;
	}
	f->nslots = rbuf_u8(r);
	if (f->nslots > f->max_attr || f->nslots > ATTR_FEATURES_MAX)
		return rbuf_fail(r) - 1;
	for (i = 0; i < f->nslots && !r->failed; i++) {
		f->slot_def[i] = rbuf_u8(r);
		f->slot_onehot[i] = rbuf_u8(r) != 0;
		rbuf_str(r, f->fname[i], sizeof(f->fname[i]));
		if (f->slot_def[i] >= ndefs)
			return rbuf_fail(r) - 1;
	}
	for (i = 0; i < ndefs; i++)
		for (j = 0; j < f->defs[i].nslots; j++)
			if (f->defs[i].slot[j] >= f->nslots)
				return rbuf_fail(r) - 1;
	return r->failed ? -1 : 0;
}

/* See model_internal.h. */
int
features_load(struct features *f, struct rbuf *r)
{
	uint32_t n, c;
	int i, prev = -1;
	double v;

	if (f->nslots != 0 || f->nprot != 0 ||
	    strtab_load(f->attr_keys, r, ATTR_FEATURES_MAX) == -1 ||
	    load_attrs(f, r) == -1 ||
	    strtab_load(f->slot_levels, r, ATTR_FEATURES_MAX) == -1)
		return rbuf_fail(r) - 1;
	for (i = 0; i < strtab_count(f->slot_levels); i++)
		if ((f->level_slot[i] = rbuf_u8(r)) >= f->nslots)
			return rbuf_fail(r) - 1;
	f->nprot = rbuf_u8(r);
	if (f->nprot > PROTECTED_MAX)
		return rbuf_fail(r) - 1;
	for (i = 0; i < f->nprot && !r->failed; i++) {
		rbuf_str(r, f->prot_name[i], sizeof(f->prot_name[i]));
		if (strtab_load(f->prot_levels[i], r, PROT_LEVELS_MAX) == -1)
			return -1;
	}
	if (strtab_load(f->depts, r, DEPT_MAX) == -1)
		return -1;
	n = rbuf_u32(r);
	if (n > PAY_CELLS)
		return rbuf_fail(r) - 1;
	for (uint32_t k = 0; k < n && !r->failed; k++) {
		c = rbuf_u32(r);
		v = rbuf_f64(r);
		if ((int64_t)c <= prev || c >= PAY_CELLS || !isfinite(v) || !(v > 0))
			return rbuf_fail(r) - 1;
		prev = (int)c;
		f->pay_median[c] = v;
	}
	return r->failed ? -1 : 0;
}
