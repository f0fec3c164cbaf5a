/*
 * charts.c: the page's charts, each drawn from a struct report (pipeline/
 * report.c) with the primitives of svg.c.
 *
 * Conventions: axes carry their unit; every mark's hover title repeats
 * its numbers; a chart with nothing to show yet says why instead of
 * drawing an empty frame. Intervals are 95%: Wilson's for proportions
 * (calibration), estimate +- 1.96 standard errors for coefficients. The
 * bands around the fitted relations treat intercept and slope as
 * independent (the estimates carry standard errors, not covariances), so
 * they are approximate; the page says so.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"

#define Z95 1.959963984540054

/* Okabe-Ito classes (page.c's stylesheet): s0 blue, s1 sky blue, s2 green,
 * s3 orange, s4 vermillion, s5 reddish purple, s6 yellow, s7 grey. */

static void
month_names(const struct report *r, const char *names[REPORT_MONTHS])
{
	for (int i = 0; i < r->nmonths; i++)
		names[i] = r->months[i].month;
}

static double
round_up(double v, double step)
{
	return ceil(v / step - 1e-9) * step;
}

void
chart_risk(FILE *f, const struct report *r)
{
	static const char *const names[] = { "at the epoch's start", "now" };
	static const char *const cls[] = { "s1", "s0" };
	struct plot	p;
	long		top = 1;
	double		w = 1.0 / REPORT_RISK_BINS, step;

	plot_begin(&p, f, "risk", "Risk distribution of active employees", 640, 300);
	if (r->risk.scored == 0) {
		plot_empty(&p, "no active employee scored yet");
		plot_end(&p);
		return;
	}
	for (int b = 0; b < REPORT_RISK_BINS; b++) {
		if (r->risk.bins[b] > top)
			top = r->risk.bins[b];
		if (r->has_prev && r->risk_prev.bins[b] > top)
			top = r->risk_prev.bins[b];
	}
	step = svg_nice_step((double)top, 5);
	plot_range(&p, 0, 1, 0, round_up((double)top, step));
	plot_axis_y(&p, "employees", step, 0);
	plot_axis_x(&p, "risk of a voluntary exit within the horizon (0-1)", 0.1, 1);
	for (int b = 0; b < REPORT_RISK_BINS; b++) {
		double lo = b * w, half = r->has_prev ? w / 2 : w;

		if (r->has_prev)
			plot_rect(&p, lo + 0.05 * w, lo + half, 0,
			    (double)r->risk_prev.bins[b], "s1", "risk %.2f-%.2f: %ld "
			    "employees at the epoch's start", lo, lo + w,
			    r->risk_prev.bins[b]);
		plot_rect(&p, lo + (r->has_prev ? half : 0.05 * w), lo + 0.95 * w, 0,
		    (double)r->risk.bins[b], "s0", "risk %.2f-%.2f: %ld employees "
		    "now (change %+ld)", lo, lo + w, r->risk.bins[b],
		    r->has_prev ? r->risk.bins[b] - r->risk_prev.bins[b] : 0);
	}
	plot_rule_x(&p, r->threshold, "rule", "alert threshold");
	if (r->has_prev)
		plot_legend(&p, names, cls, 2);
	else
		plot_legend(&p, names + 1, cls + 1, 1);
	plot_end(&p);
}

/* Wilson score interval of k successes in n at 95%. */
static void
wilson(double phat, long n, double *lo, double *hi)
{
	double z2 = Z95 * Z95, dn = (double)n;
	double centre = (phat + z2 / (2 * dn)) / (1 + z2 / dn);
	double half = Z95 * sqrt(phat * (1 - phat) / dn + z2 / (4 * dn * dn)) /
	    (1 + z2 / dn);

	*lo = fmax(0, centre - half);
	*hi = fmin(1, centre + half);
}

void
chart_calibration(FILE *f, const struct report *r)
{
	const struct quality_estimate *q = &r->est.quality;
	struct plot	p;
	double		lo[CALIBRATION_BINS], hi[CALIBRATION_BINS], top = 0.1, step;
	int		any = 0;

	plot_begin(&p, f, "calibration",
	    "Calibration: predicted risk against observed exit rate per risk decile",
	    640, 320);
	for (int b = 0; b < CALIBRATION_BINS; b++) {
		if (q->calib_n[b] <= 0)
			continue;
		wilson(q->calib_observed[b], q->calib_n[b], &lo[b], &hi[b]);
		top = fmax(top, fmax(hi[b], q->calib_predicted[b]));
		any = 1;
	}
	if (!any) {
		plot_empty(&p, "no prediction has reached its horizon yet");
		plot_end(&p);
		return;
	}
	step = svg_nice_step(top, 5);
	top = fmin(1, round_up(top, step));
	plot_range(&p, 0, top, 0, top);
	plot_axis_y(&p, "observed voluntary exit rate (0-1)", step, 2);
	plot_axis_x(&p, "mean predicted risk (0-1)", step, 2);
	plot_segment(&p, 0, 0, top, top, "rule");
	for (int b = 0; b < CALIBRATION_BINS; b++) {
		if (q->calib_n[b] <= 0)
			continue;
		plot_segment(&p, q->calib_predicted[b], lo[b], q->calib_predicted[b],
		    hi[b], "whisker");
		plot_point(&p, q->calib_predicted[b], q->calib_observed[b], "s0",
		    "decile %d: predicted %.3f, observed %.3f (95%% CI %.3f-%.3f), "
		    "n %ld", b + 1, q->calib_predicted[b], q->calib_observed[b],
		    lo[b], hi[b], q->calib_n[b]);
	}
	plot_end(&p);
}

void
chart_coefficients(FILE *f, const struct report *r)
{
	const struct hazard_estimate *h = &r->est.hazard;
	struct plot	p;
	double		lo = 0, hi = 0, step;
	int		n = h->dim;

	plot_begin(&p, f, "coefficients",
	    "Hazard coefficients per standard deviation, with 95% intervals",
	    640, 70 + 22.0 * (n > 0 ? n : 4));
	p.left = 190;
	if (n == 0) {
		plot_empty(&p, "no covariate yet");
		plot_end(&p);
		return;
	}
	for (int i = 0; i < n; i++) {
		double se = isfinite(h->coef_se[i]) ? h->coef_se[i] : 0;

		lo = fmin(lo, h->coef[i] - Z95 * se);
		hi = fmax(hi, h->coef[i] + Z95 * se);
	}
	step = svg_nice_step(hi - lo, 6);
	plot_range(&p, floor(lo / step) * step, round_up(hi, step), 0, n);
	plot_axis_y_labels(&p, h->names, n);
	plot_axis_x(&p, "log hazard ratio per SD (> 0: more exits)", step,
	    step < 0.1 ? 2 : 1);
	plot_rule_x(&p, 0, "rule", NULL);
	for (int i = 0; i < n; i++) {
		double y = n - i - 0.5, se = h->coef_se[i];

		if (isfinite(se))
			plot_segment(&p, h->coef[i] - Z95 * se, y,
			    h->coef[i] + Z95 * se, y, "whisker");
		plot_point(&p, h->coef[i], y, h->coef[i] > 0 ? "s4" : "s0",
		    "%s: %.3f per SD (95%% CI %.3f to %.3f), hazard ratio %.2f",
		    h->names[i], h->coef[i], h->coef[i] - Z95 * se,
		    h->coef[i] + Z95 * se, exp(h->coef[i]));
	}
	plot_end(&p);
}

/* One fitted line y = a + b * x over x0..x1 with its approximate band, as
 * a small chart. For the hazard relation (logscale set) y = exp(b * (x -
 * pivot)), the hazard relative to the pivot. */
struct relation {
	const char	*id, *title, *xlabel, *ylabel;
	double		 a, a_se, b, b_se, x0, x1, y0, y1;
	int		 hazard;
	long		 n;
};

static double
relation_at(const struct relation *rel, double x, double z)
{
	if (rel->hazard)	/* pivot 50 points: the middle of the scale */
		return exp((rel->b + z * rel->b_se) * (x - 50));
	return rel->a + rel->b * x + z * sqrt(rel->a_se * rel->a_se +
	    x * x * rel->b_se * rel->b_se);
}

static void
chart_relation(FILE *f, const struct relation *rel)
{
	struct plot	p;
	double		xs[21], ys[21], lo[21], hi[21], top = rel->y1;
	int		i0, n;

	plot_begin(&p, f, rel->id, rel->title, 420, 260);
	if (rel->n == 0 || !isfinite(rel->b)) {
		plot_empty(&p, "not fitted yet");
		plot_end(&p);
		return;
	}
	for (int i = 0; i <= 20; i++) {
		xs[i] = rel->x0 + (rel->x1 - rel->x0) * i / 20;
		ys[i] = relation_at(rel, xs[i], 0);
		lo[i] = relation_at(rel, xs[i], isfinite(rel->b_se) ? -Z95 : 0);
		hi[i] = relation_at(rel, xs[i], isfinite(rel->b_se) ? Z95 : 0);
		if (lo[i] > hi[i]) {
			double t = lo[i];

			lo[i] = hi[i];
			hi[i] = t;
		}
		if (rel->hazard)
			top = fmax(top, fmin(hi[i], 10));
	}
	plot_range(&p, rel->x0, rel->x1, rel->y0, rel->hazard ?
	    round_up(top, svg_nice_step(top, 5)) : rel->y1);
	for (int i = 0; i <= 20; i++) {	/* the band stays inside the frame */
		lo[i] = fmax(lo[i], p.y0);
		hi[i] = fmin(hi[i], p.y1);
	}
	plot_axis_y(&p, rel->ylabel, svg_nice_step(p.y1 - p.y0, 5),
	    rel->hazard ? 1 : 0);
	plot_axis_x(&p, rel->xlabel, svg_nice_step(rel->x1 - rel->x0, 5), 0);
	plot_band(&p, xs, lo, hi, 21, "band", "approximate 95% band");
	/* The curves are monotone: the part inside the frame is one run. */
	for (i0 = 0; i0 <= 20 && !(ys[i0] >= p.y0 && ys[i0] <= p.y1); i0++)
		;
	for (n = 0; i0 + n <= 20 && ys[i0 + n] >= p.y0 && ys[i0 + n] <= p.y1; n++)
		;
	plot_polyline(&p, xs + i0, ys + i0, n, "fit");
	for (int i = 0; i <= 20; i += 5)
		if (i >= i0 && i < i0 + n)
			plot_point(&p, xs[i], ys[i], "s0", "%s %.1f: %s %.2f (95%% "
			    "%.2f-%.2f)", rel->xlabel, xs[i], rel->ylabel, ys[i],
			    lo[i], hi[i]);
	plot_end(&p);
}

/* The seed's three relations, sign corrected: satisfaction from
 * incentives, ability from training, exit hazard from satisfaction. */
void
chart_relations(FILE *f, const struct report *r)
{
	const struct model_estimates *e = &r->est;
	struct relation sat = {
		"satisfaction", "Satisfaction against incentives (no care actions)",
		"incentives, % of salary over 12 months", "satisfaction (0-100)",
		e->satisfaction.coef[0], e->satisfaction.se[0],
		e->satisfaction.coef[1], e->satisfaction.se[1], 0, 20, 0, 100, 0,
		e->satisfaction.n };
	struct relation abil = {
		"ability", "Ability against training", "training hours over 12 months",
		"ability (0-100)", e->ability.coef[0], e->ability.se[0],
		e->ability.coef[1], e->ability.se[1], 0, 80, 0, 100, 0, e->ability.n };
	struct relation haz = {
		"tenure", "Exit hazard against satisfaction",
		"satisfaction (0-100)", "hazard ratio to satisfaction 50",
		0, 0, -e->kappa, e->kappa_se, 0, 100, 0, 2, 1, e->hazard.exits };

	chart_relation(f, &sat);
	chart_relation(f, &abil);
	chart_relation(f, &haz);
}

void
chart_exits(FILE *f, const struct report *r)
{
	static const char *const names[] = { "voluntary", "other" };
	static const char *const cls[] = { "s4", "s7" };
	const char	*months[REPORT_MONTHS];
	struct plot	 p;
	long		 top = 1;
	double		 step;

	plot_begin(&p, f, "exits", "Exits per month", 640, 280);
	if (r->nmonths == 0) {
		plot_empty(&p, "no event yet");
		plot_end(&p);
		return;
	}
	month_names(r, months);
	for (int i = 0; i < r->nmonths; i++)
		if (r->months[i].exits_voluntary + r->months[i].exits_other > top)
			top = r->months[i].exits_voluntary + r->months[i].exits_other;
	step = svg_nice_step((double)top, 5);
	plot_range(&p, 0, r->nmonths, 0, round_up((double)top, step));
	plot_axis_y(&p, "exits per month", step, 0);
	plot_axis_x_labels(&p, "month (event time, UTC)", months, r->nmonths,
	    (r->nmonths + 7) / 8);
	for (int i = 0; i < r->nmonths; i++) {
		const struct report_month *m = &r->months[i];
		double v = (double)m->exits_voluntary;

		plot_rect(&p, i + 0.1, i + 0.9, 0, v, "s4", "%s: %ld voluntary exits",
		    m->month, m->exits_voluntary);
		plot_rect(&p, i + 0.1, i + 0.9, v, v + (double)m->exits_other, "s7",
		    "%s: %ld other exits", m->month, m->exits_other);
	}
	plot_legend(&p, names, cls, 2);
	plot_end(&p);
}

void
chart_alerts(FILE *f, const struct report *r)
{
	static const char *const names[] = { "firing", "resolved" };
	static const char *const cls[] = { "s4", "s2" };
	const char	*months[REPORT_MONTHS];
	double		 xs[REPORT_MONTHS], fy[REPORT_MONTHS], ry[REPORT_MONTHS];
	struct plot	 p;
	double		 top = 1, step;

	plot_begin(&p, f, "alerts", "Alerts per month", 640, 280);
	if (r->nmonths == 0) {
		plot_empty(&p, "no event yet");
		plot_end(&p);
		return;
	}
	month_names(r, months);
	for (int i = 0; i < r->nmonths; i++) {
		xs[i] = i + 0.5;
		fy[i] = (double)r->months[i].alerts_firing;
		ry[i] = (double)r->months[i].alerts_resolved;
		top = fmax(top, fmax(fy[i], ry[i]));
	}
	step = svg_nice_step(top, 5);
	plot_range(&p, 0, r->nmonths, 0, round_up(top, step));
	plot_axis_y(&p, "alerts per month", step, 0);
	plot_axis_x_labels(&p, "month (event time, UTC)", months, r->nmonths,
	    (r->nmonths + 7) / 8);
	plot_polyline(&p, xs, fy, r->nmonths, "line s4");
	plot_polyline(&p, xs, ry, r->nmonths, "line s2");
	for (int i = 0; i < r->nmonths; i++) {
		plot_point(&p, xs[i], fy[i], "s4", "%s: %.0f alerts fired",
		    months[i], fy[i]);
		plot_point(&p, xs[i], ry[i], "s2", "%s: %.0f alerts resolved",
		    months[i], ry[i]);
	}
	plot_legend(&p, names, cls, 2);
	plot_end(&p);
}

void
chart_quality(FILE *f, const struct report *r)
{
	const struct quality_estimate *q = &r->est.quality;
	const char	*names[] = { "concordance (C)", "alert precision",
	    "alert recall" };
	double		 v[] = { q->concordance, q->alert_precision, q->alert_recall };
	struct plot	 p;

	plot_begin(&p, f, "quality", "Live quality of the model", 640, 150);
	p.left = 190;
	plot_range(&p, 0, 1, 0, 3);
	plot_axis_y_labels(&p, names, 3);
	plot_axis_x(&p, "fraction (0-1)", 0.1, 1);
	for (int i = 0; i < 3; i++) {
		if (isnan(v[i])) {
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"note\">not "
			    "defined yet</text>\n", p.left + 6, plot_y(&p, 2.5 - i) + 4);
			continue;
		}
		plot_rect(&p, 0, v[i], 2.2 - i, 2.8 - i, "s0", "%s: %.3f", names[i],
		    v[i]);
	}
	plot_rule_x(&p, 0.5, "rule", "C = 0.5: chance");
	plot_end(&p);
}

void
chart_fairness(FILE *f, const struct report *r)
{
	const struct quality_estimate *q = &r->est.quality;
	const char	*names[64];
	char		 label[64][96];
	struct plot	 p;
	int		 n = q->ngroups;

	plot_begin(&p, f, "fairness",
	    "Alert impact ratio per protected attribute and group", 640,
	    70 + 22.0 * (n > 0 ? n : 4));
	p.left = 190;
	if (n == 0) {
		plot_empty(&p, "no protected attribute seen yet");
		plot_end(&p);
		return;
	}
	for (int i = 0; i < n; i++) {
		snprintf(label[i], sizeof(label[i]), "%s = %s", q->groups[i].attribute,
		    q->groups[i].level);
		html_trim_utf8(label[i]);
		names[i] = label[i];
	}
	plot_range(&p, 0, 1.1, 0, n);
	plot_axis_y_labels(&p, names, n);
	plot_axis_x(&p, "impact ratio: alert rate / highest rate in the attribute",
	    0.1, 1);
	for (int i = 0; i < n; i++) {
		double ir = q->groups[i].impact_ratio;
		int small = q->groups[i].n < IMPACT_MIN_GROUP;

		plot_rect(&p, 0, ir, n - i - 0.8, n - i - 0.2,
		    small ? "s1" : ir < 0.8 ? "s4" : "s0",
		    "%s: impact ratio %.2f, alert rate %.3f, n %ld%s", label[i], ir,
		    q->groups[i].rate, q->groups[i].n, small ?
		    " (fewer than 30: never flagged)" : ir < 0.8 ? " (flagged)" : "");
	}
	plot_rule_x(&p, 0.8, "rule", "0.8 (four-fifths rule)");
	plot_end(&p);
}

void
chart_warmup(FILE *f, const struct report *r)
{
	const struct pipeline_stats *st = &r->stats;
	const char *label[5] = { "opened", "held: warm-up", "held: uncertain",
	    "held: backfill", "held: budget" };
	double v[5] = { (double)st->alerts_firing, (double)st->alerts_held,
	    (double)st->alerts_uncertain, (double)st->alerts_backfill_held,
	    (double)st->alerts_budget_held };
	struct plot p;
	double top = 1;
	int i;

	for (i = 0; i < 5; i++)
		top = fmax(top, v[i]);
	plot_begin(&p, f, "warmup", "Alert policy: scores at or over the "
	    "threshold, opened or held back and why", 640, 170);
	plot_range(&p, 0, top, 0, 5);
	plot_axis_x(&p, "scores (an employee counts at each score)",
	    svg_nice_step(top, 5), 0);
	for (i = 0; i < 5; i++)
		plot_rect(&p, 0, v[i], 4.2 - i, 4.8 - i, i == 0 ? "s2" : "s3",
		    "%s: %.0f", label[i], v[i]);
	plot_end(&p);
}

/* Exits per month of one department, as a small bar strip in its row. */
void
chart_sparkline(FILE *f, const struct report *r, int d)
{
	const struct report_dept *dp = &r->depts[d];
	struct plot	p;
	char		id[32];
	long		top = 1;

	snprintf(id, sizeof(id), "spark-%d", d);
	plot_begin(&p, f, id, "Exits per month", 180, 36);
	p.left = 2;
	p.right = 178;
	p.top = 2;
	p.bottom = 34;
	for (int i = 0; i < r->nmonths; i++)
		if (dp->exits[i] > top)
			top = dp->exits[i];
	plot_range(&p, 0, r->nmonths > 0 ? r->nmonths : 1, 0, (double)top);
	plot_segment(&p, 0, 0, p.x1, 0, "axis");
	for (int i = 0; i < r->nmonths; i++)
		plot_rect(&p, i + 0.1, i + 0.9, 0, (double)dp->exits[i], "s4",
		    "%s: %ld exits", r->months[i].month, dp->exits[i]);
	plot_end(&p);
}
