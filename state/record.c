/*
 * record.c: the attribute slots of a record (issue 13 item 2: slots only
 * for what the employee has).
 *
 * Design: attr_set says which registry slots (features.c) the employee
 * has. A value of exactly 0 or 1 (every one-hot level, and many flags) is
 * a bit: attr_bit marks such slots and attr_one holds the bit. Any other
 * value is a float in attr_val.v, packed in slot order: the value of slot
 * s is at the rank of s among the float-held slots. An employee with more
 * than ATTR_INLINE such values moves them all to an array of
 * ATTR_FEATURES_MAX floats indexed by slot (attr_ext): the one allocation
 * after the record's own, made once, freed by emp_attr_release() (the
 * table calls it before it wipes a record).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

static int
rank(uint64_t floats, int slot)
{
	return __builtin_popcountll(floats & ((1ULL << slot) - 1));
}

/* Returns the value of slot s of e, NaN when e does not have it. */
double
emp_attr_get(const struct employee *e, int s)
{
	uint64_t b;

	if (s < 0 || s >= ATTR_FEATURES_MAX || !(e->attr_set & (b = 1ULL << s)))
		return NAN;
	if (e->attr_bit & b)
		return (e->attr_one & b) ? 1.0 : 0.0;
	if (e->attr_ext)
		return e->attr_val.ext[s];
	return e->attr_val.v[rank(e->attr_set & ~e->attr_bit, s)];
}

/* Moves the packed floats of e to an array by slot; -1 on ENOMEM. */
static int
spill(struct employee *e)
{
	uint64_t floats = e->attr_set & ~e->attr_bit;
	float *x = calloc(ATTR_FEATURES_MAX, sizeof(*x));
	int s, k = 0;

	if (x == NULL)
		return -1;
	for (s = 0; s < ATTR_FEATURES_MAX; s++)
		if (floats & (1ULL << s))
			x[s] = e->attr_val.v[k++];
	e->attr_val.ext = x;
	e->attr_ext = 1;
	return 0;
}

/* Sets slot s of e to v. Returns 0, or -1 when s is out of range or the
 * values spill over ATTR_INLINE and there is no memory (e unchanged). */
int
emp_attr_put(struct employee *e, int s, double v)
{
	uint64_t b, floats;
	int r, n;

	if (s < 0 || s >= ATTR_FEATURES_MAX)
		return -1;
	b = 1ULL << s;
	floats = e->attr_set & ~e->attr_bit;
	r = rank(floats, s);
	n = __builtin_popcountll(floats);
	if (v == 0.0 || v == 1.0) {
		if ((floats & b) && !e->attr_ext)	/* close the gap */
			memmove(&e->attr_val.v[r], &e->attr_val.v[r + 1],
			    (size_t)(n - r - 1) * sizeof(float));
		e->attr_set |= b;
		e->attr_bit |= b;
		e->attr_one = v == 1.0 ? e->attr_one | b : e->attr_one & ~b;
		return 0;
	}
	if (!(floats & b) && !e->attr_ext) {
		if (n == ATTR_INLINE) {
			if (spill(e) == -1)
				return -1;
		} else
			memmove(&e->attr_val.v[r + 1], &e->attr_val.v[r],
			    (size_t)(n - r) * sizeof(float));
	}
	e->attr_set |= b;
	e->attr_bit &= ~b;
	if (e->attr_ext)
		e->attr_val.ext[s] = (float)v;
	else
		e->attr_val.v[r] = (float)v;
	return 0;
}

/* Frees what emp_attr_put() allocated for e (its attributes are then
 * gone); the record itself is the caller's. */
void
emp_attr_release(struct employee *e)
{
	if (e->attr_ext) {
		explicit_bzero(e->attr_val.ext, ATTR_FEATURES_MAX * sizeof(float));
		free(e->attr_val.ext);
	}
	e->attr_ext = 0;
	e->attr_set = e->attr_bit = e->attr_one = 0;
	memset(&e->attr_val, 0, sizeof(e->attr_val));
}
