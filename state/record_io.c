/*
 * record_io.c: a struct employee in the checkpoint format (serial.h).
 *
 * Field by field, in a fixed order, never a memory image: the in-memory
 * layout can change while old files still load. What the record holds as
 * an id of the feature registry (the department, attribute slots,
 * protected levels) is written as that id: the checkpoint's epoch state
 * restores the registry, with the same ids, before any record is read
 * (the shards' statistics use the same ids), and the loader checks every
 * id against it.
 *
 * Format 4 (issue 13 item 2) writes what the record holds at the width it
 * holds it: times as u32 seconds, floats as their 32 IEEE 754 bits, the
 * flags as a byte; doubles stay doubles.
 *
 * Speed (issue 13, the checkpoint row: a million records are restored
 * while the daemon waits). A record is four runs of bytes: the id (u32
 * length, bytes), a fixed block of the facts and windows (BLOCK_LEN), the
 * attributes (u64 slot bits, a float per bit), and a block of the
 * protected levels and the model's bookkeeping whose length the registry
 * fixes for the whole file. Each run is bounds-checked once (one
 * rbuf_take(), one wbuf_bytes() of a record built on the stack) and its
 * fields are moved with plain little-endian loads and stores in between,
 * instead of a checked call per field. The bytes are the same as field
 * by field.
 *
 * The loader trusts nothing: every count, length, string, flag and range
 * is checked, and a failure marks the reader failed. It never leaves a
 * half-filled record in a table: the caller loads into scratch and copies
 * on success.
 */
#include <endian.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serial.h"
#include "table.h"

#define EMP_FLAGS_ALL   0xffu		/* enum emp_flag */
#define MODEL_FLAGS_ALL 0x3u		/* MODEL_* of model.c */
#define JOB_LEVEL_MAX   15		/* as decode_data.c accepts */
#define DECILES         10		/* CALIBRATION_BINS of model.h */

#define FACTS_LEN	88		/* flags .. ability_s */
#define WINDOW_LEN	(4 + 4 * WINDOW_MONTHS)
#define TALLY_LEN	(4 + WINDOW_MONTHS)
#define BLOCK_LEN	(FACTS_LEN + 2 * WINDOW_LEN + 2 * TALLY_LEN)
#define TAIL_LEN	70		/* interval_start_s .. due_min */
#define RECORD_MAX	(4 + EMPLOYEE_ID_MAX + BLOCK_LEN + 8 + 4 * ATTR_FEATURES_MAX + \
			 1 + 2 * PROTECTED_MAX + TAIL_LEN)

/* Little-endian stores and loads at a cursor, one move each (memcpy of a
 * fixed size, and a byte swap only on a big-endian host): put<N>(p, v)
 * returns p + N/8, get<N>(&p) advances p. */
#define LE_IO(bits)							\
static inline uint8_t *							\
put##bits(uint8_t *p, uint##bits##_t v)					\
{									\
	v = htole##bits(v);						\
	memcpy(p, &v, sizeof(v));					\
	return p + sizeof(v);						\
}									\
static inline uint##bits##_t						\
get##bits(const uint8_t **p)						\
{									\
	uint##bits##_t v;						\
									\
	memcpy(&v, *p, sizeof(v));					\
	*p += sizeof(v);						\
	return le##bits##toh(v);					\
}
LE_IO(16)
LE_IO(32)
LE_IO(64)

static inline uint8_t *
put8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static inline uint8_t
get8(const uint8_t **p)
{
	return *(*p)++;
}

/* Floats as their bits (NaN kept, as wbuf_f64()): put_f32() / get_f32(),
 * put_f64() / get_f64(). */
#define LE_FLOAT(bits, type)						\
static inline uint8_t *							\
put_f##bits(uint8_t *p, type v)						\
{									\
	uint##bits##_t b;						\
									\
	memcpy(&b, &v, sizeof(b));					\
	return put##bits(p, b);						\
}									\
static inline type							\
get_f##bits(const uint8_t **p)						\
{									\
	uint##bits##_t b = get##bits(p);				\
	type v;								\
									\
	memcpy(&v, &b, sizeof(v));					\
	return v;							\
}
LE_FLOAT(32, float)
LE_FLOAT(64, double)

/* A window: its newest month, then its 12 monthly sums. */
static uint8_t *
window_save(uint8_t *p, const struct window *win)
{
	p = put32(p, (uint32_t)win->month);
	for (int i = 0; i < WINDOW_MONTHS; i++)
		p = put_f32(p, win->v[i]);
	return p;
}

/* 0, or -1 when a sum is not finite. */
static int
window_load(const uint8_t **p, struct window *win)
{
	int bad = 0;

	win->month = (int32_t)get32(p);
	for (int i = 0; i < WINDOW_MONTHS; i++)
		bad |= !isfinite(win->v[i] = get_f32(p));
	return bad ? -1 : 0;
}

/* A tally: its newest month, then its 12 monthly counts. */
static uint8_t *
tally_save(uint8_t *p, const struct tally *win)
{
	p = put32(p, (uint32_t)win->month);
	memcpy(p, win->n, WINDOW_MONTHS);
	return p + WINDOW_MONTHS;
}

/* 0, or -1 when the month does not fit the record's width. */
static int
tally_load(const uint8_t **p, struct tally *win)
{
	int32_t month = (int32_t)get32(p);

	win->month = (int16_t)month;
	memcpy(win->n, *p, WINDOW_MONTHS);
	*p += WINDOW_MONTHS;
	return month < INT16_MIN || month > INT16_MAX ? -1 : 0;
}

/* The facts (BLOCK_LEN bytes with the windows after them). */
static uint8_t *
facts_save(uint8_t *p, const struct employee *e)
{
	p = put8(p, e->flags);
	p = put32(p, e->hired_s);
	p = put32(p, e->exit_s);
	p = put32(p, e->last_event_s);
	p = put16(p, (uint16_t)e->dept);	/* -1 (unknown) as 0xffff */
	p = put8(p, (uint8_t)e->job_level);
	p = put_f64(p, e->salary);
	p = put64(p, e->manager);
	p = put32(p, e->manager_since_s);
	p = put32(p, e->last_raise_s);
	p = put_f32(p, e->last_raise_pct);
	p = put32(p, e->last_promotion_s);
	p = put_f32(p, e->satisfaction);
	p = put_f32(p, e->engagement);
	p = put_f32(p, e->intent_to_stay);
	p = put_f32(p, e->work_life_balance);
	p = put32(p, e->survey_s);
	p = put_f32(p, e->rating);
	p = put_f32(p, e->potential);
	p = put32(p, e->review_s);
	p = put_f32(p, e->ability);
	p = put32(p, e->ability_s);
	p = window_save(p, &e->incentive);
	p = window_save(p, &e->training);
	p = tally_save(p, &e->care);
	return tally_save(p, &e->manager_changes);
}

/* Attributes: the slot bits, then each given slot's value, slots in order. */
static uint8_t *
attrs_save(uint8_t *p, const struct employee *e)
{
	uint64_t has = emp_attr_has(e);

	p = put64(p, has);
	for (uint64_t set = has; set != 0; set &= set - 1)
		p = put_f32(p, (float)emp_attr_get(e, __builtin_ctzll(set)));
	return p;
}

/* Protected levels (per protected name of the registry, the level and the
 * level counted in fairness; 0: none), then the model's bookkeeping, the
 * alert episode and the rescoring timer (pipeline/rescore.c, 0 none). */
static uint8_t *
tail_save(uint8_t *p, const struct employee *e, int nprot)
{
	p = put8(p, (uint8_t)nprot);
	for (int k = 0; k < nprot && k < PROTECTED_MAX; k++) {
		p = put8(p, emp_prot_level(e, k));
		p = put8(p, emp_prot_counted(e, k));
	}
	p = put32(p, e->interval_start_s);
	p = put_f64(p, e->risk);
	p = put_f64(p, e->expected_tenure_days);
	p = put32(p, e->scored_s);
	p = put8(p, e->model_flags);
	p = put32(p, e->calib_s);
	p = put_f32(p, e->calib_risk);
	p = put8(p, (uint8_t)e->calib_decile);
	p = put32(p, e->alert_eval_s);
	p = put32(p, e->alert_last_s);
	p = put32(p, e->episode);
	p = put32(p, e->alert_fired_s);
	p = put64(p, e->alert_h[0]);
	p = put64(p, e->alert_h[1]);
	return put32(p, e->due_min);
}

/* Appends e to w; f (borrowed) is the registry its ids are of. */
void
record_save(struct wbuf *w, const struct employee *e, struct features *f)
{
	uint8_t	b[RECORD_MAX], *p, *block, *tail;
	size_t	n = strlen(e->id);
	int	nprot = features_protected_count(f), bad;

	if (n > EMPLOYEE_ID_MAX || nprot < 0 || nprot > PROTECTED_MAX) {
		w->failed = 1;		/* no table holds such a record */
		return;
	}
	p = put32(b, (uint32_t)n);
	memcpy(p, e->id, n);
	block = p + n;
	p = facts_save(block, e);
	bad = p - block != BLOCK_LEN;
	tail = attrs_save(p, e);
	p = tail_save(tail, e, nprot);
	/* the loader reads the blocks at these lengths: a field added to one
	 * and not to its length would make a file that does not load */
	if (bad || p - tail != 1 + 2 * nprot + TAIL_LEN) {
		w->failed = 1;
		return;
	}
	wbuf_bytes(w, b, (size_t)(p - b));
}

/* An id as decode.c admits one: 1..EMPLOYEE_ID_MAX bytes, no control
 * characters (the UTF-8 check is the decoder's; bytes >= 0x80 pass). */
static int
valid_id(const char *id, size_t n)
{
	if (n == 0 || n > EMPLOYEE_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x20 || id[i] == 0x7f)
			return 0;
	return 1;
}

static int
unit_or_nan(double v)
{
	return isnan(v) || (v >= 0 && v <= 1);
}

/* The id into idbuf (EMPLOYEE_ID_MAX + 1 bytes); 0 or -1. */
static int
load_id(struct rbuf *r, struct employee *e, char *idbuf)
{
	uint32_t n = rbuf_u32(r);
	const char *p;

	if (r->failed || n > EMPLOYEE_ID_MAX || (p = rbuf_take(r, n)) == NULL ||
	    !valid_id(p, n))
		return -1;
	memcpy(idbuf, p, n);
	idbuf[n] = '\0';
	e->id = idbuf;
	return 0;
}

/* The BLOCK_LEN bytes at p; 0 or -1. */
static int
load_facts(const uint8_t *p, struct employee *e, struct features *f)
{
	uint8_t job_level;
	int bad;

	e->flags = get8(&p);
	e->hired_s = get32(&p);
	e->exit_s = get32(&p);
	e->last_event_s = get32(&p);
	e->dept = (int16_t)get16(&p);
	job_level = get8(&p);
	e->job_level = (int8_t)job_level;
	e->salary = get_f64(&p);
	e->manager = get64(&p);
	e->manager_since_s = get32(&p);
	e->last_raise_s = get32(&p);
	e->last_raise_pct = get_f32(&p);
	e->last_promotion_s = get32(&p);
	e->satisfaction = get_f32(&p);
	e->engagement = get_f32(&p);
	e->intent_to_stay = get_f32(&p);
	e->work_life_balance = get_f32(&p);
	e->survey_s = get32(&p);
	e->rating = get_f32(&p);
	e->potential = get_f32(&p);
	e->review_s = get32(&p);
	e->ability = get_f32(&p);
	e->ability_s = get32(&p);
	bad = e->dept < -1 || e->dept >= strtab_count(features_departments(f)) ||
	    (e->flags & ~EMP_FLAGS_ALL) || job_level > JOB_LEVEL_MAX ||
	    isinf(e->salary) || e->salary < 0;
	bad |= window_load(&p, &e->incentive) == -1;
	bad |= window_load(&p, &e->training) == -1;
	bad |= tally_load(&p, &e->care) == -1;
	bad |= tally_load(&p, &e->manager_changes) == -1;
	return bad ? -1 : 0;
}

/* The slot bits and their values; 0 or -1. */
static int
load_attrs(struct rbuf *r, struct employee *e, const struct features *f)
{
	int n = features_attr_slots(f);
	uint64_t set = rbuf_u64(r), b;
	const uint8_t *p;
	size_t k = 0;
	float v;

	for (b = set; b != 0; b &= b - 1)
		k++;
	/* n <= ATTR_FEATURES_MAX: no slot above it is ever given */
	if (r->failed || n < 0 || n > ATTR_FEATURES_MAX || (set >> n) != 0 ||
	    (p = rbuf_take(r, 4 * k)) == NULL)
		return -1;
	for (b = set; b != 0; b &= b - 1)
		if (!isfinite(v = get_f32(&p)) ||
		    emp_attr_put(e, __builtin_ctzll(b), v) == -1)
			return -1;
	return 0;
}

/* The protected levels and the bookkeeping (tail_save()); 0 or -1. */
static int
load_tail(struct rbuf *r, struct employee *e, const struct features *f)
{
	int nprot = features_protected_count(f), max, bad;
	const uint8_t *p;
	uint8_t level, counted;
	uint32_t episode;

	if (nprot < 0 || nprot > PROTECTED_MAX ||
	    (p = rbuf_take(r, 1 + 2 * (size_t)nprot + TAIL_LEN)) == NULL ||
	    get8(&p) != (uint64_t)nprot)
		return -1;
	for (int k = 0; k < nprot; k++) {
		max = features_protected_level_count(f, k);
		level = get8(&p);
		counted = get8(&p);
		if (level > max || counted > max ||
		    emp_prot_put(e, k, level, counted) == -1)
			return -1;
	}
	e->interval_start_s = get32(&p);
	e->risk = get_f64(&p);
	e->expected_tenure_days = get_f64(&p);
	e->scored_s = get32(&p);
	e->model_flags = get8(&p);
	e->calib_s = get32(&p);
	e->calib_risk = get_f32(&p);
	e->calib_decile = (int8_t)get8(&p);
	e->alert_eval_s = get32(&p);
	e->alert_last_s = get32(&p);
	episode = get32(&p);
	e->episode = episode > UINT16_MAX ? 0 : (uint16_t)episode;
	e->alert_fired_s = get32(&p);
	e->alert_h[0] = get64(&p);
	e->alert_h[1] = get64(&p);
	e->due_min = get32(&p);
	bad = (e->model_flags & ~MODEL_FLAGS_ALL) || !unit_or_nan(e->risk) ||
	    episode > UINT16_MAX ||
	    !unit_or_nan(e->calib_risk) || e->calib_decile >= DECILES;
	return bad ? -1 : 0;
}

/* Reads one record into e (zeroed first). Returns 0, or -1 with the
 * reader failed. */
int
record_load(struct rbuf *r, struct employee *e, char idbuf[EMPLOYEE_ID_MAX + 1],
    struct features *f)
{
	const uint8_t *block;

	memset(e, 0, sizeof(*e));
	if (load_id(r, e, idbuf) == -1 || (block = rbuf_take(r, BLOCK_LEN)) == NULL ||
	    load_facts(block, e, f) == -1 || load_attrs(r, e, f) == -1 ||
	    load_tail(r, e, f) == -1)
		return rbuf_fail(r) - 1;
	return 0;
}
