/*
 * svg.c: the few chart primitives the page needs, as inline SVG written to
 * a stream (page.c and charts.c use them; nothing here knows retentiond).
 *
 * A struct plot maps a data rectangle (x0..x1, y0..y1) onto a pixel box
 * inside a fixed viewBox; the browser scales the whole drawing. Every mark
 * carries class "mark" and a <title>, which browsers show on hover and
 * screen readers read, so the numbers travel with the picture. Colours
 * come from classes (s0..s7: the Okabe-Ito palette, in page.c's
 * stylesheet), never from style attributes, which the page's
 * Content-Security-Policy would refuse. Text is escaped here; callers pass
 * plain strings.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"

/* Writes s with HTML's five special characters escaped. */
void
html_escape(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Cuts a UTF-8 sequence that truncation by snprintf left incomplete at
 * the end of s, so that the page stays valid UTF-8. */
void
html_trim_utf8(char *s)
{
	size_t	n = strlen(s), i = n, need;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xc0) == 0x80 && n - i < 3)
		i--;
	if (i == 0 || ((unsigned char)s[i - 1] & 0x80) == 0)
		return;		/* ends in ASCII (or is all continuation) */
	need = ((unsigned char)s[i - 1] & 0xe0) == 0xc0 ? 2 :
	    ((unsigned char)s[i - 1] & 0xf0) == 0xe0 ? 3 : 4;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

/* A round step (1, 2 or 5 times a power of ten) that cuts range into
 * about ticks pieces. */
double
svg_nice_step(double range, int ticks)
{
	double	raw, mag, r;

	if (!(range > 0) || ticks < 1)
		return 1;
	raw = range / ticks;
	mag = pow(10, floor(log10(raw)));
	r = raw / mag;
	return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

void
plot_begin(struct plot *p, FILE *f, const char *id, const char *label,
    double width, double height)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->width = width;
	p->height = height;
	p->left = 64;
	p->right = width - 16;
	p->top = 28;
	p->bottom = height - 48;
	p->x1 = p->y1 = 1;
	/* Sparklines (ids "spark-N") sit in table cells: a class of their own. */
	fprintf(f, "<svg class=\"chart%s\" id=\"chart-%s\" data-chart=\"%s\" "
	    "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"",
	    strncmp(id, "spark-", 6) == 0 ? " spark" : "", id, id, width, height);
	html_escape(f, label);
	fputs("\" xmlns=\"http://www.w3.org/2000/svg\"><title>", f);
	html_escape(f, label);
	fputs("</title>\n", f);
}

void
plot_end(struct plot *p)
{
	fputs("</svg>\n", p->f);
}

void
plot_range(struct plot *p, double x0, double x1, double y0, double y1)
{
	p->x0 = x0;
	p->x1 = x1 > x0 ? x1 : x0 + 1;
	p->y0 = y0;
	p->y1 = y1 > y0 ? y1 : y0 + 1;
}

double
plot_x(const struct plot *p, double x)
{
	return p->left + (x - p->x0) / (p->x1 - p->x0) * (p->right - p->left);
}

double
plot_y(const struct plot *p, double y)
{
	return p->bottom - (y - p->y0) / (p->y1 - p->y0) * (p->bottom - p->top);
}

static void
text_at(struct plot *p, double x, double y, const char *anchor,
    const char *cls, const char *s)
{
	fprintf(p->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
	    "class=\"%s\">", x, y, anchor, cls);
	html_escape(p->f, s);
	fputs("</text>", p->f);
}

static void
line_px(struct plot *p, double x0, double y0, double x1, double y1,
    const char *cls)
{
	fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "class=\"%s\"/>", x0, y0, x1, y1, cls);
}

/* Axis line, ticks every step from x0 (labels with decimals digits) and
 * the axis label with its unit. */
void
plot_axis_x(struct plot *p, const char *label, double step, int decimals)
{
	char	buf[32];

	line_px(p, p->left, p->bottom, p->right, p->bottom, "axis");
	for (double v = ceil(p->x0 / step) * step; v <= p->x1 + step * 1e-9;
	    v += step) {
		line_px(p, plot_x(p, v), p->bottom, plot_x(p, v), p->bottom + 4,
		    "axis");
		snprintf(buf, sizeof(buf), "%.*f", decimals, fabs(v) < 1e-12 ? 0 : v);
		text_at(p, plot_x(p, v), p->bottom + 16, "middle", "tick", buf);
	}
	text_at(p, (p->left + p->right) / 2, p->height - 8, "middle", "label",
	    label);
	fputc('\n', p->f);
}

void
plot_axis_y(struct plot *p, const char *label, double step, int decimals)
{
	char	buf[32];

	line_px(p, p->left, p->top, p->left, p->bottom, "axis");
	for (double v = ceil(p->y0 / step) * step; v <= p->y1 + step * 1e-9;
	    v += step) {
		line_px(p, p->left - 4, plot_y(p, v), p->right, plot_y(p, v),
		    "gridline");
		snprintf(buf, sizeof(buf), "%.*f", decimals, fabs(v) < 1e-12 ? 0 : v);
		text_at(p, p->left - 6, plot_y(p, v) + 4, "end", "tick", buf);
	}
	fprintf(p->f, "<text transform=\"translate(14 %.1f) rotate(-90)\" "
	    "text-anchor=\"middle\" class=\"label\">", (p->top + p->bottom) / 2);
	html_escape(p->f, label);
	fputs("</text>\n", p->f);
}

/* Category axis along x: category i spans x = i .. i + 1 (set the range
 * to 0..n); every `every`-th one is labelled. */
void
plot_axis_x_labels(struct plot *p, const char *label, const char *const *names,
    int n, int every)
{
	line_px(p, p->left, p->bottom, p->right, p->bottom, "axis");
	for (int i = 0; i < n; i += every > 0 ? every : 1)
		text_at(p, plot_x(p, i + 0.5), p->bottom + 16, "middle", "tick",
		    names[i]);
	text_at(p, (p->left + p->right) / 2, p->height - 8, "middle", "label",
	    label);
	fputc('\n', p->f);
}

/* Category axis along y, first category at the top (range y 0..n). */
void
plot_axis_y_labels(struct plot *p, const char *const *names, int n)
{
	line_px(p, p->left, p->top, p->left, p->bottom, "axis");
	for (int i = 0; i < n; i++)
		text_at(p, p->left - 6, plot_y(p, n - i - 0.5) + 4, "end", "tick",
		    names[i]);
	fputc('\n', p->f);
}

static void title_v(FILE *, const char *, va_list) __attribute__((format(printf, 2, 0)));

static void
title_v(FILE *f, const char *fmt, va_list ap)
{
	char	buf[512];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	html_trim_utf8(buf);
	fputs("<title>", f);
	html_escape(f, buf);
	fputs("</title>", f);
}

/* A bar or box in data units, with its numbers as a hover title. */
void
plot_rect(struct plot *p, double x0, double x1, double y0, double y1,
    const char *cls, const char *fmt, ...)
{
	va_list	ap;
	double	px0 = plot_x(p, x0), px1 = plot_x(p, x1);
	double	py0 = plot_y(p, y1), py1 = plot_y(p, y0);

	fprintf(p->f, "<rect class=\"mark %s\" x=\"%.1f\" y=\"%.1f\" "
	    "width=\"%.1f\" height=\"%.1f\">", cls, fmin(px0, px1), fmin(py0, py1),
	    fabs(px1 - px0), fabs(py1 - py0));
	va_start(ap, fmt);
	title_v(p->f, fmt, ap);
	va_end(ap);
	fputs("</rect>\n", p->f);
}

void
plot_point(struct plot *p, double x, double y, const char *cls,
    const char *fmt, ...)
{
	va_list	ap;

	fprintf(p->f, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\">",
	    cls, plot_x(p, x), plot_y(p, y));
	va_start(ap, fmt);
	title_v(p->f, fmt, ap);
	va_end(ap);
	fputs("</circle>\n", p->f);
}

/* A line segment in data units (error bars, whiskers, diagonals). */
void
plot_segment(struct plot *p, double x0, double y0, double x1, double y1,
    const char *cls)
{
	line_px(p, plot_x(p, x0), plot_y(p, y0), plot_x(p, x1), plot_y(p, y1),
	    cls);
}

/* A note in data units, left-aligned at (x, y): a label on the plot. */
void
plot_note(struct plot *p, double x, double y, const char *text)
{
	text_at(p, plot_x(p, x), plot_y(p, y) + 4, "start", "note", text);
	fputc('\n', p->f);
}

/* A labelled reference line across the plot at x (vertical). */
void
plot_rule_x(struct plot *p, double x, const char *cls, const char *label)
{
	line_px(p, plot_x(p, x), p->top, plot_x(p, x), p->bottom, cls);
	if (label != NULL)
		text_at(p, plot_x(p, x) + 4, p->top + 10, "start", "note", label);
	fputc('\n', p->f);
}

void
plot_polyline(struct plot *p, const double *xs, const double *ys, int n,
    const char *cls)
{
	fprintf(p->f, "<polyline class=\"%s\" points=\"", cls);
	for (int i = 0; i < n; i++)
		fprintf(p->f, "%s%.1f,%.1f", i ? " " : "", plot_x(p, xs[i]),
		    plot_y(p, ys[i]));
	fputs("\"/>\n", p->f);
}

/* The area between lo and hi over xs: a confidence band. */
void
plot_band(struct plot *p, const double *xs, const double *lo,
    const double *hi, int n, const char *cls, const char *title)
{
	fprintf(p->f, "<polygon class=\"mark %s\" points=\"", cls);
	for (int i = 0; i < n; i++)
		fprintf(p->f, "%s%.1f,%.1f", i ? " " : "", plot_x(p, xs[i]),
		    plot_y(p, hi[i]));
	for (int i = n - 1; i >= 0; i--)
		fprintf(p->f, " %.1f,%.1f", plot_x(p, xs[i]), plot_y(p, lo[i]));
	fputs("\"><title>", p->f);
	html_escape(p->f, title);
	fputs("</title></polygon>\n", p->f);
}

/* Legend in a row above the plot, flush right (reference-line labels sit
 * at the top left of their line): a swatch in each class and its name.
 * Widths are estimated at 7.5 px a character. */
void
plot_legend(struct plot *p, const char *const *names,
    const char *const *classes, int n)
{
	double	x = p->right;

	for (int i = 0; i < n; i++)
		x -= 24 + 7.5 * (double)strlen(names[i]);
	for (int i = 0; i < n; i++) {
		fprintf(p->f, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"10\" "
		    "height=\"10\"/>", classes[i], x, p->top - 12);
		text_at(p, x + 14, p->top - 3, "start", "tick", names[i]);
		x += 24 + 7.5 * (double)strlen(names[i]);
	}
	fputc('\n', p->f);
}

/* Says why a chart has nothing to draw yet. */
void
plot_empty(struct plot *p, const char *why)
{
	text_at(p, p->width / 2, p->height / 2, "middle", "note", why);
	fputc('\n', p->f);
}
