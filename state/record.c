/*
 * record.c: the attribute slots and protected levels of a record (issue
 * 13 item 2: room only for what the employee has).
 *
 * Attributes. Each registry slot (features.c) has a 2-bit code in the
 * record: 0 the employee does not have it, 1 and 2 a value of exactly 0
 * and 1 (every one-hot level, and many flags), 3 any other value, a float
 * in attr_val.v packed in slot order: the value of slot s is at the rank
 * of s among the float-held slots. Slots 0..31 are in attr_code, 32..39
 * in attr_code_hi (10 bytes for the 40 slots; three 64-bit masks, 24
 * bytes, before). An employee with more than ATTR_INLINE such values
 * moves them all to an array of ATTR_FEATURES_MAX floats indexed by slot
 * (EMP_EXT_ATTR).
 *
 * Protected levels. The level and the counted level of names 0..3 are
 * inline (8 bytes, where the arrays of all 16 names took 32); a nonzero
 * one for a later name moves them all to an array of the 16 levels and
 * the 16 counted ones (EMP_EXT_PROT). Names are numbered in the order the
 * shard's registry first saw them, so the first few are the common ones.
 *
 * Those two arrays are the only allocations after the record's own, each
 * made at most once, both freed by emp_attr_release() (the table calls it
 * before it wipes a record).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define CODE_NONE  0u
#define CODE_ZERO  1u
#define CODE_ONE   2u
#define CODE_FLOAT 3u
#define EVEN_BITS  0x5555555555555555ULL

/* The slot bits of a word of 2-bit codes whose pairs are flagged in
 * their low bit (bit 2i for slot i): bit i of the result. */
static uint64_t
gather(uint64_t x)
{
	x &= EVEN_BITS;
	x = (x | (x >> 1)) & 0x3333333333333333ULL;
	x = (x | (x >> 2)) & 0x0f0f0f0f0f0f0f0fULL;
	x = (x | (x >> 4)) & 0x00ff00ff00ff00ffULL;
	x = (x | (x >> 8)) & 0x0000ffff0000ffffULL;
	x = (x | (x >> 16)) & 0x00000000ffffffffULL;
	return x;
}

static unsigned
code(const struct employee *e, int s)
{
	return s < 32 ? (unsigned)(e->attr_code >> (2 * s)) & 3u :
	    (unsigned)(e->attr_code_hi >> (2 * (s - 32))) & 3u;
}

static void
set_code(struct employee *e, int s, unsigned c)
{
	if (s < 32)
		e->attr_code = (e->attr_code & ~(3ULL << (2 * s))) |
		    ((uint64_t)c << (2 * s));
	else
		e->attr_code_hi = (uint16_t)((e->attr_code_hi &
		    ~(3u << (2 * (s - 32)))) | (c << (2 * (s - 32))));
}

/* Bit s set when e has slot s. */
uint64_t
emp_attr_has(const struct employee *e)
{
	return gather(e->attr_code | (e->attr_code >> 1)) |
	    gather((uint64_t)e->attr_code_hi | (e->attr_code_hi >> 1)) << 32;
}

/* Bit s set when slot s of e is a float. */
static uint64_t
floats_of(const struct employee *e)
{
	return gather(e->attr_code & (e->attr_code >> 1)) |
	    gather((uint64_t)e->attr_code_hi & (e->attr_code_hi >> 1)) << 32;
}

static int
rank(uint64_t floats, int slot)
{
	return __builtin_popcountll(floats & ((1ULL << slot) - 1));
}

/* rank(floats_of(e), s), straight from the codes: the float-held pairs
 * below slot s. */
static int
rank_of(const struct employee *e, int s)
{
	uint64_t lo = e->attr_code & (e->attr_code >> 1) & EVEN_BITS, hi;

	if (s < 32)
		return __builtin_popcountll(lo & ((1ULL << (2 * s)) - 1));
	hi = (uint64_t)e->attr_code_hi & (e->attr_code_hi >> 1) & EVEN_BITS;
	return __builtin_popcountll(lo) +
	    __builtin_popcountll(hi & ((1ULL << (2 * (s - 32))) - 1));
}

/* Returns the value of slot s of e, NaN when e does not have it. */
double
emp_attr_get(const struct employee *e, int s)
{
	unsigned c;

	if (s < 0 || s >= ATTR_FEATURES_MAX || (c = code(e, s)) == CODE_NONE)
		return NAN;
	if (c != CODE_FLOAT)
		return c == CODE_ONE ? 1.0 : 0.0;
	if (e->attr_ext & EMP_EXT_ATTR)
		return e->attr_val.ext[s];
	return e->attr_val.v[rank_of(e, s)];
}

/* Moves the packed floats of e to an array by slot; -1 on ENOMEM. */
static int
spill(struct employee *e)
{
	uint64_t floats = floats_of(e);
	float *x = calloc(ATTR_FEATURES_MAX, sizeof(*x));
	int s, k = 0;

	if (x == NULL)
		return -1;
	for (s = 0; s < ATTR_FEATURES_MAX; s++)
		if (floats & (1ULL << s))
			x[s] = e->attr_val.v[k++];
	e->attr_val.ext = x;
	e->attr_ext |= EMP_EXT_ATTR;
	return 0;
}

/* Sets slot s of e to v. Returns 0, or -1 when s is out of range or the
 * values spill over ATTR_INLINE and there is no memory (e unchanged). */
int
emp_attr_put(struct employee *e, int s, double v)
{
	uint64_t floats;
	int r, n, ext = (e->attr_ext & EMP_EXT_ATTR) != 0, was;

	if (s < 0 || s >= ATTR_FEATURES_MAX)
		return -1;
	floats = floats_of(e);
	was = (floats >> s) & 1;
	r = rank(floats, s);
	n = __builtin_popcountll(floats);
	if (v == 0.0 || v == 1.0) {
		if (was && !ext)	/* close the gap */
			memmove(&e->attr_val.v[r], &e->attr_val.v[r + 1],
			    (size_t)(n - r - 1) * sizeof(float));
		set_code(e, s, v == 1.0 ? CODE_ONE : CODE_ZERO);
		return 0;
	}
	if (!was && !ext) {
		if (n == ATTR_INLINE) {
			if (spill(e) == -1)
				return -1;
			ext = 1;
		} else
			memmove(&e->attr_val.v[r + 1], &e->attr_val.v[r],
			    (size_t)(n - r) * sizeof(float));
	}
	set_code(e, s, CODE_FLOAT);
	if (ext)
		e->attr_val.ext[s] = (float)v;
	else
		e->attr_val.v[r] = (float)v;
	return 0;
}

/* Sets name k's level and counted level of e. Returns 0, or -1 when k
 * is out of range or the levels must move to their array and there is
 * no memory (e unchanged). */
int
emp_prot_put(struct employee *e, int k, uint8_t level, uint8_t counted)
{
	uint8_t *x;

	if (k < 0 || k >= PROTECTED_MAX)
		return -1;
	if (!(e->attr_ext & EMP_EXT_PROT) && k < PROTECTED_INLINE) {
		e->prot.in.level[k] = level;
		e->prot.in.counted[k] = counted;
		return 0;
	}
	if (!(e->attr_ext & EMP_EXT_PROT)) {
		if (level == 0 && counted == 0)
			return 0;	/* as it reads already */
		if ((x = calloc(2 * PROTECTED_MAX, 1)) == NULL)
			return -1;
		memcpy(x, e->prot.in.level, PROTECTED_INLINE);
		memcpy(x + PROTECTED_MAX, e->prot.in.counted, PROTECTED_INLINE);
		e->prot.ext = x;
		e->attr_ext |= EMP_EXT_PROT;
	}
	e->prot.ext[k] = level;
	e->prot.ext[PROTECTED_MAX + k] = counted;
	return 0;
}

/* Frees what emp_attr_put() and emp_prot_put() allocated for e (its
 * attributes and protected levels are then gone); the record itself is
 * the caller's. */
void
emp_attr_release(struct employee *e)
{
	if (e->attr_ext & EMP_EXT_ATTR) {
		explicit_bzero(e->attr_val.ext, ATTR_FEATURES_MAX * sizeof(float));
		free(e->attr_val.ext);
	}
	if (e->attr_ext & EMP_EXT_PROT) {
		explicit_bzero(e->prot.ext, 2 * PROTECTED_MAX);
		free(e->prot.ext);
	}
	e->attr_ext = 0;
	e->attr_code = 0;
	e->attr_code_hi = 0;
	memset(&e->attr_val, 0, sizeof(e->attr_val));
	memset(&e->prot, 0, sizeof(e->prot));
}
