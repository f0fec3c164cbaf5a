/*
 * window.c: the 12-month windows of a record (incentives, training, care,
 * manager changes) as monthly buckets.
 *
 * Design: months are WINDOW_MONTH_MS long (30.4375 days, a twelfth of
 * 365.25), counted from 1970-01-01, so a month is one integer division.
 * A window holds the newest month it has seen and the WINDOW_MONTHS months
 * up to it, in a ring indexed by month modulo WINDOW_MONTHS: a struct
 * window sums values (floats), a struct tally counts (bytes, saturating).
 * The window at time t is the month of t and the eleven before it, so an
 * entry counts from the start of its month (even before its instant) and
 * leaves when the twelfth month after it begins; late and out-of-order
 * entries land in their month whatever the arrival order, and one older
 * than the months held is dropped (no later window can see it). A
 * zeroed window is empty. Nothing allocates.
 */
#include "table.h"

static int32_t
month_of(int64_t t_ms)
{
	int64_t m = t_ms / WINDOW_MONTH_MS;

	if (t_ms < 0 && m * WINDOW_MONTH_MS != t_ms)
		m--;		/* floor */
	return (int32_t)m;
}

static int
slot(int32_t m)
{
	int s = m % WINDOW_MONTHS;

	return s < 0 ? s + WINDOW_MONTHS : s;
}

/* Moves the newest month of a window to m (m > *newest), clearing the
 * months that the ring reuses; zero(i) clears slot i. */
#define ADVANCE(newest, m, bucket, zero) do {				\
	if ((int64_t)(m) - *(newest) >= WINDOW_MONTHS)			\
		for (int i_ = 0; i_ < WINDOW_MONTHS; i_++)		\
			(bucket)[i_] = (zero);				\
	else								\
		for (int32_t k_ = *(newest) + 1; k_ <= (m); k_++)	\
			(bucket)[slot(k_)] = (zero);			\
	*(newest) = (m);						\
} while (0)

/* 1 if every bucket is zero: the window is empty whatever its month says
 * (a zeroed one says 1970-01, and must still take older entries). */
static int
empty_sum(const struct window *w)
{
	for (int i = 0; i < WINDOW_MONTHS; i++)
		if (w->v[i] != 0.0f)
			return 0;
	return 1;
}

static int
empty_tally(const struct tally *w)
{
	for (int i = 0; i < WINDOW_MONTHS; i++)
		if (w->n[i] != 0)
			return 0;
	return 1;
}

/* Adds v at t_ms to the month of t_ms (see the file comment). */
void
window_sum_add(struct window *w, int64_t t_ms, double v)
{
	int32_t m = month_of(t_ms);

	if (m > w->month)
		ADVANCE(&w->month, m, w->v, 0.0f);
	else if ((int64_t)w->month - m >= WINDOW_MONTHS) {
		if (!empty_sum(w))
			return;
		w->month = m;
	}
	w->v[slot(m)] += (float)v;
}

/* Counts one entry at t_ms in its month (saturating at 255). */
void
window_tally_add(struct tally *w, int64_t t_ms, double v)
{
	int32_t m = month_of(t_ms);

	(void)v;
	if (m > w->month)
		ADVANCE(&w->month, m, w->n, 0);
	else if ((int64_t)w->month - m >= WINDOW_MONTHS) {
		if (!empty_tally(w))
			return;
		w->month = m;
	}
	if (w->n[slot(m)] < UINT8_MAX)
		w->n[slot(m)]++;
}

/* The months of the window at now_ms that w holds: [*lo, *hi]; empty when
 * *lo > *hi. */
static void
span(int32_t newest, int64_t now_ms, int32_t *lo, int32_t *hi)
{
	int32_t m = month_of(now_ms);

	*hi = m < newest ? m : newest;
	*lo = m - (WINDOW_MONTHS - 1);
	if (*lo < newest - (WINDOW_MONTHS - 1))
		*lo = newest - (WINDOW_MONTHS - 1);
}

/* Returns the sum over the 12-month window at now_ms. */
double
window_sum(const struct window *w, int64_t now_ms)
{
	int32_t lo, hi;
	double s = 0;

	span(w->month, now_ms, &lo, &hi);
	for (int32_t k = lo; k <= hi; k++)
		s += w->v[slot(k)];
	return s;
}

/* Returns the count over the 12-month window at now_ms. */
int
window_count(const struct tally *w, int64_t now_ms)
{
	int32_t lo, hi;
	int c = 0;

	span(w->month, now_ms, &lo, &hi);
	for (int32_t k = lo; k <= hi; k++)
		c += w->n[slot(k)];
	return c;
}

/* The window changes at the start of month M + k (M the month of now_ms)
 * when month M + k - 12 leaves it holding something, or month M + k
 * enters it holding something; nonzero(m) says whether month m (held
 * months only) does. */
#define NEXT_CHANGE(newest, now_ms, nonzero) do {			\
	int32_t m_ = month_of(now_ms);					\
	for (int32_t k_ = 1; m_ + k_ - WINDOW_MONTHS <= (newest); k_++) { \
		int32_t out_ = m_ + k_ - WINDOW_MONTHS, in_ = m_ + k_;	\
		if ((out_ > (newest) - WINDOW_MONTHS && nonzero(out_)) ||	\
		    (in_ <= (newest) && nonzero(in_)))			\
			return (int64_t)in_ * WINDOW_MONTH_MS;		\
	}								\
	return INT64_MAX;						\
} while (0)

/* See table.h. */
int64_t
window_sum_next_change(const struct window *w, int64_t now_ms)
{
#define SUM_NONZERO(m) (w->v[slot(m)] != 0.0f)
	NEXT_CHANGE(w->month, now_ms, SUM_NONZERO);
#undef SUM_NONZERO
}

/* See table.h. */
int64_t
window_tally_next_change(const struct tally *w, int64_t now_ms)
{
#define TALLY_NONZERO(m) (w->n[slot(m)] != 0)
	NEXT_CHANGE(w->month, now_ms, TALLY_NONZERO);
#undef TALLY_NONZERO
}
