/*
 * window.c: the 12-month windows of a record (incentives, training, care,
 * manager changes): a ring of the newest EMP_WINDOW_MAX entries by event
 * time, and sums and counts over a half-open range of event time, so late
 * and out-of-order events land where their time puts them.
 */
#include "table.h"

/* Adds (t_ms, v). While there is room entries are appended; when all
 * EMP_WINDOW_MAX are used the entry with the oldest event time is replaced,
 * or the new one dropped if it is the oldest, so the window always holds
 * the newest entries by event time whatever the arrival order. */
void
window_add(struct window *w, int64_t t_ms, double v)
{
	int i, min;

	if (w->n < EMP_WINDOW_MAX) {
		w->e[w->head].t_ms = t_ms;
		w->e[w->head].v = v;
		w->head = (uint8_t)((w->head + 1) % EMP_WINDOW_MAX);
		w->n++;
		return;
	}
	for (min = 0, i = 1; i < EMP_WINDOW_MAX; i++)
		if (w->e[i].t_ms < w->e[min].t_ms)
			min = i;
	if (t_ms <= w->e[min].t_ms)
		return;
	w->e[min].t_ms = t_ms;
	w->e[min].v = v;
	w->head = (uint8_t)((min + 1) % EMP_WINDOW_MAX);
}

/* Returns the sum of the values with from_ms <= t < to_ms. */
double
window_sum(const struct window *w, int64_t from_ms, int64_t to_ms)
{
	double s = 0;
	int i;

	for (i = 0; i < w->n && i < EMP_WINDOW_MAX; i++)
		if (w->e[i].t_ms >= from_ms && w->e[i].t_ms < to_ms)
			s += w->e[i].v;
	return s;
}

/* Returns the number of entries with from_ms <= t < to_ms. */
int
window_count(const struct window *w, int64_t from_ms, int64_t to_ms)
{
	int i, c = 0;

	for (i = 0; i < w->n && i < EMP_WINDOW_MAX; i++)
		if (w->e[i].t_ms >= from_ms && w->e[i].t_ms < to_ms)
			c++;
	return c;
}

/* See table.h: an entry at t is in the window of [now - MS_PER_YEAR, now]
 * from now = t on, and leaves it at t + MS_PER_YEAR + 1. */
int64_t
window_next_change(const struct window *w, int64_t now_ms)
{
	int64_t next = INT64_MAX, t;
	int i;

	for (i = 0; i < w->n && i < EMP_WINDOW_MAX; i++) {
		t = w->e[i].t_ms;
		if (t > now_ms && t < next)
			next = t;
		else if (t <= now_ms && t + MS_PER_YEAR + 1 > now_ms &&
		    t + MS_PER_YEAR + 1 < next)
			next = t + MS_PER_YEAR + 1;
	}
	return next;
}
