/*
 * truncation.c: left truncation detected from the data (MODELS.md,
 * "Left truncation").
 *
 * A stream may carry hires going back years while its exits are only
 * reported from some date on (a backfill from an HR system, a snapshot
 * turned into histories). Counting those years would compare the recent
 * leavers with exposure that could never have ended in an exit. Nobody is
 * at risk before the first exit is known (model.c keeps open intervals
 * open until then). At the first exit the history before it is judged:
 * the person-years the staff hired so far had been employed by then,
 * P = sum over hires (t_exit - hire). At the prior's 0.1 exits a year,
 * P >= PRE_EXPOSURE_YEARS (30) would be expected to show at least 3 exits;
 * seeing none has a probability below e^-3 = 5 %, so exits were not being
 * reported: exposure is delayed-entry from max(hire, first exit -
 * LEAD_DAYS). Otherwise (a stream whose first exit comes early, as for a
 * company that streams from its start) exposure counts from each hire.
 *
 * Each shard decides for itself at its own first exit; at each epoch
 * boundary the fit merges the shards' records in shard order (earliest
 * exit, summed hires) and, once, decides for the whole input, which every
 * shard then follows (model.c's entry floor), so the outcome is a
 * function of the input alone.
 */
#include <math.h>

#include "model_internal.h"

#define PRE_EXPOSURE_YEARS	30.0
#define LEAD_DAYS		30	/* about one reporting cycle */
#define DAYS_PER_YEAR_T		(12 * DAYS_PER_MONTH)

static double
days_of(int64_t ms)
{
	return (double)ms / (double)MS_PER_DAY;
}

/* The decision at the first exit t (see the file comment). */
static int
truncated_at(const struct truncation *t, int64_t first_exit_ms)
{
	double py = (t->pre_hires * days_of(first_exit_ms) - t->pre_hire_days) /
	    DAYS_PER_YEAR_T;

	return py >= PRE_EXPOSURE_YEARS;
}

/* A hire applied at hire_ms: counts toward the history before the first
 * exit while none is known. */
void
truncation_note_hire(struct truncation *t, int64_t hire_ms)
{
	if (t->first_exit_ms != 0 || hire_ms <= 0)
		return;
	t->pre_hires += 1;
	t->pre_hire_days += days_of(hire_ms);
}

/* An exit at t_ms (voluntary or not: it shows exits are reported). The
 * first one decides; an earlier one arriving late moves the date only. */
void
truncation_note_exit(struct truncation *t, int64_t t_ms)
{
	if (t->first_exit_ms == 0)
		t->truncated = truncated_at(t, t_ms);
	if (t->first_exit_ms == 0 || t_ms < t->first_exit_ms)
		t->first_exit_ms = t_ms;
}

/* See model_internal.h: shard NULL closes a boundary's merge. The fit's
 * sums only grow until it has decided. */
void
truncation_merge(struct truncation *fit, const struct truncation *shard)
{
	if (shard == NULL) {
		if (fit->first_exit_ms != 0 && fit->truncated < 0)
			fit->truncated = truncated_at(fit, fit->first_exit_ms);
		return;
	}
	if (shard->first_exit_ms != 0 && (fit->first_exit_ms == 0 ||
	    shard->first_exit_ms < fit->first_exit_ms))
		fit->first_exit_ms = shard->first_exit_ms;
	if (fit->truncated < 0) {	/* undecided: sum what the shards saw */
		fit->pre_hires += shard->pre_hires;
		fit->pre_hire_days += shard->pre_hire_days;
	}
}

/* See model_internal.h. */
void
truncation_reset_merge(struct truncation *fit)
{
	if (fit->truncated < 0)
		fit->pre_hires = fit->pre_hire_days = 0;
}

/* The earliest time exposure counts from: the override, else the fit's
 * decision, else the shard's, else INT64_MAX (no exit known yet). */
int64_t
truncation_floor(const struct truncation *fit, const struct truncation *shard,
    int64_t override_ms)
{
	const struct truncation *t = fit->truncated >= 0 ? fit : shard;

	if (override_ms != 0)
		return override_ms;
	if (t->first_exit_ms == 0)
		return INT64_MAX;
	return t->truncated ? t->first_exit_ms - (int64_t)LEAD_DAYS * MS_PER_DAY :
	    INT64_MIN;
}

/* See model_internal.h. */
void
truncation_save(const struct truncation *t, struct wbuf *w)
{
	wbuf_i64(w, t->first_exit_ms);
	wbuf_f64(w, t->pre_hires);
	wbuf_f64(w, t->pre_hire_days);
	wbuf_i64(w, t->truncated);
}

/* See model_internal.h. */
int
truncation_load(struct truncation *t, struct rbuf *r)
{
	int64_t v;

	t->first_exit_ms = rbuf_i64(r);
	t->pre_hires = rbuf_f64(r);
	t->pre_hire_days = rbuf_f64(r);
	v = rbuf_i64(r);
	if (r->failed || t->first_exit_ms < 0 || !(t->pre_hires >= 0) ||
	    !isfinite(t->pre_hires) || !isfinite(t->pre_hire_days) || v < -1 || v > 1)
		return rbuf_fail(r) - 1;
	t->truncated = (int)v;
	return 0;
}

/* See model_internal.h. */
uint64_t
truncation_digest(const struct truncation *t, uint64_t d)
{
	d = STATE_DIGEST(d, t->first_exit_ms);
	d = STATE_DIGEST(d, t->pre_hires);
	d = STATE_DIGEST(d, t->pre_hire_days);
	return STATE_DIGEST(d, t->truncated);
}
