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
 * The loader trusts nothing: every count, length, string, flag and range
 * is checked, and a failure marks the reader failed. It never leaves a
 * half-filled record in a table: the caller loads into scratch and copies
 * on success.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serial.h"
#include "table.h"

#define EMP_FLAGS_ALL   0xffu		/* enum emp_flag */
#define MODEL_FLAGS_ALL 0x3u		/* MODEL_* of model.c */
#define JOB_LEVEL_MAX   15		/* as decode_data.c accepts */
#define DECILES         10		/* CALIBRATION_BINS of model.h */

/* A float as its bits (NaN kept, as wbuf_f64()). */
static void
wbuf_f32(struct wbuf *w, float v)
{
	uint32_t b;

	memcpy(&b, &v, sizeof(b));
	wbuf_u32(w, b);
}

static float
rbuf_f32(struct rbuf *r)
{
	uint32_t b = rbuf_u32(r);
	float v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

/* A window: its newest month, then its 12 monthly sums. */
static void
window_save(struct wbuf *w, const struct window *win)
{
	wbuf_u32(w, (uint32_t)win->month);
	for (int i = 0; i < WINDOW_MONTHS; i++)
		wbuf_f32(w, win->v[i]);
}

static void
window_load(struct rbuf *r, struct window *win)
{
	win->month = (int32_t)rbuf_u32(r);
	for (int i = 0; i < WINDOW_MONTHS; i++)
		if (!isfinite(win->v[i] = rbuf_f32(r))) {
			rbuf_fail(r);
			return;
		}
}

/* A tally: its newest month, then its 12 monthly counts. */
static void
tally_save(struct wbuf *w, const struct tally *win)
{
	wbuf_u32(w, (uint32_t)win->month);
	for (int i = 0; i < WINDOW_MONTHS; i++)
		wbuf_u8(w, win->n[i]);
}

static void
tally_load(struct rbuf *r, struct tally *win)
{
	int32_t month = (int32_t)rbuf_u32(r);

	if (month < INT16_MIN || month > INT16_MAX)	/* the record's width */
		rbuf_fail(r);
	win->month = (int16_t)month;
	for (int i = 0; i < WINDOW_MONTHS; i++)
		win->n[i] = rbuf_u8(r);
}

/* Attributes: the slot bits, then each given slot's value, slots in order. */
static void
attrs_save(struct wbuf *w, const struct employee *e)
{
	uint64_t set = emp_attr_has(e);

	wbuf_u64(w, set);
	for (int s = 0; s < ATTR_FEATURES_MAX; s++)
		if (set & (1ULL << s))
			wbuf_f32(w, (float)emp_attr_get(e, s));
}

static void
attrs_load(struct rbuf *r, struct employee *e, const struct features *f)
{
	int n = features_attr_slots(f);
	uint64_t set = rbuf_u64(r);
	float v;

	if (n < 64 && (set >> n) != 0) {
		rbuf_fail(r);
		return;
	}
	for (int s = 0; s < ATTR_FEATURES_MAX && !r->failed; s++)
		if ((set & (1ULL << s)) &&
		    (!isfinite(v = rbuf_f32(r)) || emp_attr_put(e, s, v) == -1))
			rbuf_fail(r);
}

/* Protected levels: per protected name of the registry, the level and the
 * level counted in fairness (0: none). */
static void
protected_save(struct wbuf *w, const struct employee *e, const struct features *f)
{
	int n = features_protected_count(f);

	wbuf_u8(w, (uint8_t)n);
	for (int k = 0; k < n && k < PROTECTED_MAX; k++) {
		wbuf_u8(w, emp_prot_level(e, k));
		wbuf_u8(w, emp_prot_counted(e, k));
	}
}

static void
protected_load(struct rbuf *r, struct employee *e, const struct features *f)
{
	int n = rbuf_u8(r), max;
	uint8_t level, counted;

	if (n != features_protected_count(f) || n > PROTECTED_MAX) {
		rbuf_fail(r);
		return;
	}
	for (int k = 0; k < n && !r->failed; k++) {
		max = features_protected_level_count(f, k);
		level = rbuf_u8(r);
		counted = rbuf_u8(r);
		if (level > max || counted > max ||
		    emp_prot_put(e, k, level, counted) == -1)
			rbuf_fail(r);
	}
}

/* Appends e to w; f (borrowed) is the registry its ids are of. */
void
record_save(struct wbuf *w, const struct employee *e, struct features *f)
{
	wbuf_str(w, e->id);
	wbuf_u8(w, e->flags);
	wbuf_u32(w, e->hired_s);
	wbuf_u32(w, e->exit_s);
	wbuf_u32(w, e->last_event_s);
	wbuf_u16(w, (uint16_t)e->dept);	/* -1 (unknown) as 0xffff */
	wbuf_u8(w, (uint8_t)e->job_level);
	wbuf_f64(w, e->salary);
	wbuf_u64(w, e->manager);
	wbuf_u32(w, e->manager_since_s);
	wbuf_u32(w, e->last_raise_s);
	wbuf_f32(w, e->last_raise_pct);
	wbuf_u32(w, e->last_promotion_s);
	wbuf_f32(w, e->satisfaction);
	wbuf_f32(w, e->engagement);
	wbuf_f32(w, e->intent_to_stay);
	wbuf_f32(w, e->work_life_balance);
	wbuf_u32(w, e->survey_s);
	wbuf_f32(w, e->rating);
	wbuf_f32(w, e->potential);
	wbuf_u32(w, e->review_s);
	wbuf_f32(w, e->ability);
	wbuf_u32(w, e->ability_s);
	window_save(w, &e->incentive);
	window_save(w, &e->training);
	tally_save(w, &e->care);
	tally_save(w, &e->manager_changes);
	attrs_save(w, e);
	protected_save(w, e, f);
	/* the model's bookkeeping */
	wbuf_u32(w, e->interval_start_s);
	wbuf_f64(w, e->risk);
	wbuf_f64(w, e->expected_tenure_days);
	wbuf_u32(w, e->scored_s);
	wbuf_u8(w, e->model_flags);
	wbuf_u32(w, e->calib_s);
	wbuf_f32(w, e->calib_risk);
	wbuf_u8(w, (uint8_t)e->calib_decile);
	wbuf_u32(w, e->alert_eval_s);
	wbuf_u32(w, e->alert_last_s);
	/* the alert episode */
	wbuf_u32(w, e->episode);
	wbuf_u32(w, e->alert_fired_s);
	wbuf_u64(w, e->alert_h[0]);
	wbuf_u64(w, e->alert_h[1]);
	/* the rescoring timer (pipeline/rescore.c), 0 when none */
	wbuf_u32(w, e->due_min);
}

/* An id as decode.c admits one: 1..EMPLOYEE_ID_MAX bytes, no control
 * characters (the UTF-8 check is the decoder's; bytes >= 0x80 pass). */
static int
valid_id(const char *id)
{
	size_t n = strlen(id);

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

/* The fields before the windows; 0 or -1 (reader failed). */
static int
load_facts(struct rbuf *r, struct employee *e, char *idbuf, struct features *f)
{
	uint8_t job_level;

	rbuf_str(r, idbuf, EMPLOYEE_ID_MAX + 1);
	e->id = idbuf;
	e->flags = rbuf_u8(r);
	e->hired_s = rbuf_u32(r);
	e->exit_s = rbuf_u32(r);
	e->last_event_s = rbuf_u32(r);
	e->dept = (int16_t)rbuf_u16(r);
	job_level = rbuf_u8(r);
	e->job_level = (int8_t)job_level;
	e->salary = rbuf_f64(r);
	e->manager = rbuf_u64(r);
	e->manager_since_s = rbuf_u32(r);
	e->last_raise_s = rbuf_u32(r);
	e->last_raise_pct = rbuf_f32(r);
	e->last_promotion_s = rbuf_u32(r);
	e->satisfaction = rbuf_f32(r);
	e->engagement = rbuf_f32(r);
	e->intent_to_stay = rbuf_f32(r);
	e->work_life_balance = rbuf_f32(r);
	e->survey_s = rbuf_u32(r);
	e->rating = rbuf_f32(r);
	e->potential = rbuf_f32(r);
	e->review_s = rbuf_u32(r);
	e->ability = rbuf_f32(r);
	e->ability_s = rbuf_u32(r);
	if (r->failed)
		return -1;
	if (e->dept < -1 || e->dept >= strtab_count(features_departments(f)))
		return rbuf_fail(r) - 1;
	if (!valid_id(e->id) || (e->flags & ~EMP_FLAGS_ALL) ||
	    job_level > JOB_LEVEL_MAX || isinf(e->salary) || e->salary < 0)
		return rbuf_fail(r) - 1;
	return 0;
}

/* Reads one record into e (zeroed first). Returns 0, or -1 with the
 * reader failed. */
int
record_load(struct rbuf *r, struct employee *e, char idbuf[EMPLOYEE_ID_MAX + 1],
    struct features *f)
{
	uint32_t episode;

	memset(e, 0, sizeof(*e));
	if (load_facts(r, e, idbuf, f) == -1)
		return -1;
	window_load(r, &e->incentive);
	window_load(r, &e->training);
	tally_load(r, &e->care);
	tally_load(r, &e->manager_changes);
	attrs_load(r, e, f);
	protected_load(r, e, f);
	e->interval_start_s = rbuf_u32(r);
	e->risk = rbuf_f64(r);
	e->expected_tenure_days = rbuf_f64(r);
	e->scored_s = rbuf_u32(r);
	e->model_flags = rbuf_u8(r);
	e->calib_s = rbuf_u32(r);
	e->calib_risk = rbuf_f32(r);
	e->calib_decile = rbuf_u8(r);
	e->alert_eval_s = rbuf_u32(r);
	e->alert_last_s = rbuf_u32(r);
	episode = rbuf_u32(r);
	e->episode = episode > UINT16_MAX ? 0 : (uint16_t)episode;
	e->alert_fired_s = rbuf_u32(r);
	e->alert_h[0] = rbuf_u64(r);
	e->alert_h[1] = rbuf_u64(r);
	e->due_min = rbuf_u32(r);
	if (r->failed)
		return -1;
	if ((e->model_flags & ~MODEL_FLAGS_ALL) || !unit_or_nan(e->risk) ||
	    episode > UINT16_MAX ||
	    !unit_or_nan(e->calib_risk) || e->calib_decile >= DECILES)
		return rbuf_fail(r) - 1;
	return 0;
}
