/*
 * page.c: the page for HR analysts at / and the employee view at
 * /employees, server-rendered HTML with inline SVG (charts.c).
 *
 * Rules the page keeps, and why:
 *   - nothing is fetched from elsewhere: the stylesheet and the script are
 *     in this file and served by http.c at /page.css and /page.js, so the
 *     page works without internet and under the strict policy http.c
 *     sends (default-src 'none'; style-src and script-src 'self'). No
 *     inline style or script, not even a style attribute;
 *   - readable without JavaScript: every figure is in the HTML; the script
 *     only sorts tables and sends the what-if form;
 *   - / is aggregates only and never names an employee; employee ids
 *     appear on /employees alone, which http.c serves behind the bearer
 *     token when one is configured;
 *   - it refreshes itself (meta refresh) and has a print stylesheet.
 *
 * Both renderers read the pipeline: the caller holds the daemon lock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define PAGE_REFRESH_S	60
#define PAGE_AT_RISK_MAX 200	/* employees listed on /employees */

static const char page_css[] =
	":root{--fg:#1a1a1a;--muted:#555;--line:#bbb;--bg:#fff}\n"
	"body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);"
	"margin:0 auto;max-width:1320px;padding:0 16px 32px}\n"
	"header{border-bottom:2px solid #0072B2;margin-bottom:8px}\n"
	"h1{font-size:1.5em;margin:12px 0 4px}h2{font-size:1.2em;margin:20px 0 6px}\n"
	"nav a,p.meta{color:var(--muted)}\n"
	".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px 20px}\n"
	".grid3{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px 20px}\n"
	"figure{margin:0;break-inside:avoid}figcaption{color:var(--muted);font-size:.9em}\n"
	"svg.chart{width:100%;height:auto;max-width:760px;display:block}\n"
	"svg.spark{width:180px;height:36px}\n"
	"svg text{font:12px system-ui,sans-serif;fill:#1a1a1a}svg text.label{font-weight:600}\n"
	"svg text.note{fill:#333;font-style:italic;paint-order:stroke;stroke:#fff;"
	"stroke-width:3px}\n"
	".axis{stroke:#444;stroke-width:1}line.gridline{stroke:#e3e3e3}\n"
	".rule{stroke:#000;stroke-width:1.5;stroke-dasharray:5 3}\n"
	".whisker{stroke:#444;stroke-width:1.5}.fit{fill:none;stroke:#0072B2;stroke-width:2}\n"
	".band{fill:#56B4E9;fill-opacity:.35}.line{fill:none;stroke-width:2}\n"
	".track{fill:#eee}\n"
	".s0{fill:#0072B2;stroke:#0072B2}.s1{fill:#56B4E9;stroke:#56B4E9}"
	".s2{fill:#009E73;stroke:#009E73}.s3{fill:#E69F00;stroke:#E69F00}"
	".s4{fill:#D55E00;stroke:#D55E00}.s5{fill:#CC79A7;stroke:#CC79A7}"
	".s6{fill:#F0E442;stroke:#F0E442}.s7{fill:#999;stroke:#999}\n"
	"polyline.s2,polyline.s4{fill:none}\n"
	"rect.mark:hover,circle.mark:hover{stroke:#000;stroke-width:2}\n"
	"table{border-collapse:collapse;margin:6px 0}th,td{padding:3px 8px;"
	"border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer}\n"
	"th[aria-sort=ascending] button::after{content:\" \\25B2\"}"
	"th[aria-sort=descending] button::after{content:\" \\25BC\"}\n"
	"dl.figs{display:grid;grid-template-columns:max-content auto;gap:2px 12px}"
	"dl.figs dt{color:var(--muted)}dl.figs dd{margin:0}\n"
	"form.whatif{display:grid;grid-template-columns:max-content 12em;gap:4px 8px}"
	"form.whatif button{grid-column:2}\n"
	"@media print{nav,form,.noprint{display:none}body{max-width:none;font-size:11pt}"
	".grid,.grid3{display:block}figure,section{break-inside:avoid}a{color:inherit;text-decoration:none}}\n";

/* Sorts any table.sortable by a header click (numbers by data-v, else by
 * text) and sends the what-if form to the existing JSON endpoint. */
static const char page_js[] =
	"'use strict';\n"
	"function cellKey(td){const v=td.getAttribute('data-v');"
	"return v!==null?parseFloat(v):td.textContent.trim().toLowerCase();}\n"
	"function sortBy(table,col,th){const body=table.tBodies[0];"
	"const asc=th.getAttribute('aria-sort')!=='ascending';"
	"const rows=Array.from(body.rows);rows.sort(function(a,b){"
	"const x=cellKey(a.cells[col]),y=cellKey(b.cells[col]);"
	"const c=x<y?-1:x>y?1:0;return asc?c:-c;});"
	"for(const h of table.tHead.rows[0].cells)h.removeAttribute('aria-sort');"
	"th.setAttribute('aria-sort',asc?'ascending':'descending');"
	"for(const r of rows)body.appendChild(r);}\n"
	"for(const table of document.querySelectorAll('table.sortable')){"
	"Array.from(table.tHead.rows[0].cells).forEach(function(th,col){"
	"const b=document.createElement('button');b.type='button';"
	"b.textContent=th.textContent;th.textContent='';th.appendChild(b);"
	"b.addEventListener('click',function(){sortBy(table,col,th);});});}\n"
	"const form=document.getElementById('whatif');\n"
	"if(form){form.addEventListener('submit',function(ev){ev.preventDefault();"
	"const out=document.getElementById('whatif-out');const acts=[];"
	"for(const k of ['incentive','training','care','promotion']){"
	"const v=parseFloat(form.elements[k].value);if(v>0)acts.push({action:k,amount:v});}"
	"const h={'Content-Type':'application/json'};const t=form.elements.token;"
	"if(t&&t.value)h.Authorization='Bearer '+t.value;"
	"fetch('/v1/employees/'+encodeURIComponent(form.elements.id.value)+'/whatif',"
	"{method:'POST',headers:h,body:JSON.stringify({actions:acts})})"
	".then(function(r){return r.json().then(function(j){return [r.status,j];});})"
	".then(function(a){out.textContent=a[0]===200?"
	"'risk '+a[1].risk_before.toFixed(3)+' \\u2192 '+a[1].risk_after.toFixed(3)+"
	"', expected tenure '+a[1].expected_tenure_days+' days'"
	":'error '+a[0]+': '+(a[1].error||'');})"
	".catch(function(e){out.textContent='error: '+e;});});}\n";

/* The stylesheet or the script for url ("/page.css", "/page.js"), with its
 * media type; NULL for any other url. Borrowed, static. */
const char *
page_asset(const char *url, const char **type)
{
	if (strcmp(url, "/page.css") == 0) {
		*type = "text/css; charset=utf-8";
		return page_css;
	}
	if (strcmp(url, "/page.js") == 0) {
		*type = "text/javascript; charset=utf-8";
		return page_js;
	}
	return NULL;
}

static void
head(FILE *f, const char *title, int refresh)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
	    f);
	if (refresh)
		fprintf(f, "<meta http-equiv=\"refresh\" content=\"%d\">\n",
		    PAGE_REFRESH_S);
	fputs("<title>", f);
	html_escape(f, title);
	fputs("</title>\n<link rel=\"icon\" href=\"data:,\">\n"
	    "<link rel=\"stylesheet\" href=\"/page.css\">\n"
	    "<script src=\"/page.js\" defer></script>\n</head>\n<body>\n", f);
}

static void
format_time(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		snprintf(buf, len, "none yet");
	else
		time_format_rfc3339(ms, buf, len);
}

static void
header(FILE *f, const struct report *r, const char *h1, int refresh)
{
	char	clock[40];

	format_time(r->clock_ms, clock, sizeof(clock));
	fputs("<header>\n<h1>", f);
	html_escape(f, h1);
	fprintf(f, "</h1>\n<p class=\"meta\">Event-time clock %s &middot; model "
	    "version %ld &middot; %ld active employees &middot; risk horizon %d "
	    "days.", clock, r->model_version, r->active, r->horizon_days);
	if (refresh)
		fprintf(f, " The page refreshes every %d s.", PAGE_REFRESH_S);
	fputs("</p>\n<nav><a href=\"/\">Overview</a> &middot; <a "
	    "href=\"/employees\">Employees at risk</a> (named: needs the token "
	    "when one is configured) &middot; <a href=\"/v1/model\">model "
	    "estimates (JSON)</a> &middot; <a href=\"/metrics\">metrics</a></nav>\n"
	    "</header>\n<main>\n", f);
}

static void
figure_open(FILE *f)
{
	fputs("<figure>\n", f);
}

static void
figure_close(FILE *f, const char *caption)
{
	fputs("<figcaption>", f);
	html_escape(f, caption);
	fputs("</figcaption>\n</figure>\n", f);
}

static void
put_num(FILE *f, double v, int decimals)
{
	if (isnan(v))
		fputs("not defined yet", f);
	else
		fprintf(f, "%.*f", decimals, v);
}

/* The live figures beside the warm-up and quality charts. */
static void
overview(FILE *f, const struct report *r)
{
	const struct quality_estimate *q = &r->est.quality;
	fputs("<section id=\"overview\">\n<h2>Model state and live quality</h2>\n"
	    "<div class=\"grid\">\n<div>\n<dl class=\"figs\">\n", f);
	fputs("<dt>Alert policy</dt><dd>", f);
	if (r->warmup_max_se > 0)
		fprintf(f, "opens once the log hazard's standard error is at most "
		    "%.2f, ", r->warmup_max_se);
	if (r->confidence_z > 0)
		fprintf(f, "when the risk's lower bound (z %.2f) reaches the "
		    "threshold", r->confidence_z);
	else
		fputs("when the risk reaches the threshold", f);
	fprintf(f, "; %ld held in warm-up, %ld as uncertain</dd>\n",
	    (long)r->stats.alerts_held, (long)r->stats.alerts_uncertain);
	fprintf(f, "<dt>Employees with an open alert</dt><dd>%ld of %ld</dd>\n",
	    r->at_risk, r->active);
	fprintf(f, "<dt>Alert thresholds</dt><dd>fires at %.2f, resolves below "
	    "%.2f</dd>\n", r->threshold, r->clear_threshold);
	fputs("<dt>Concordance (Harrell's C)</dt><dd>", f);
	put_num(f, q->concordance, 3);
	fprintf(f, " over %ld pairs</dd>\n<dt>Alert precision</dt><dd>",
	    q->concordance_pairs);
	put_num(f, q->alert_precision, 3);
	fputs("</dd>\n<dt>Alert recall</dt><dd>", f);
	put_num(f, q->alert_recall, 3);
	fprintf(f, "</dd>\n<dt>Hazard model</dt><dd>%ld voluntary exits over %.0f "
	    "years at risk</dd>\n<dt>Events applied</dt><dd>%ld alerts fired, %ld "
	    "resolved, %ld held in warm-up, %ld plans</dd>\n</dl>\n", r->est.hazard.exits,
	    r->est.hazard.exposure_years, (long)r->stats.alerts_firing,
	    (long)r->stats.alerts_resolved, (long)r->stats.alerts_held,
	    (long)r->stats.plans);
	figure_open(f);
	chart_warmup(f, r);
	figure_close(f, "An episode opens only when the model knows enough "
	    "about the employee ([alerts] warmup_max_se) and the risk is "
	    "confidently over the threshold ([alerts] confidence_z); the "
	    "backfill window and the monthly budget per department hold back "
	    "the rest, counted here.");
	fputs("</div>\n", f);
	figure_open(f);
	chart_quality(f, r);
	figure_close(f, "Prequential: each figure compares predictions with what "
	    "happened after them. Precision: alerts followed by a voluntary exit "
	    "within the horizon; recall: voluntary exits that had an alert.");
	fputs("</div>\n</section>\n", f);
}

/* The change beside the histogram, in numbers. */
static void
risk_change(FILE *f, const struct report *r)
{
	const struct report_risk *now = &r->risk, *then = &r->risk_prev;
	char	when[40];

	fprintf(f, "<figcaption>Now: %ld employees scored, mean risk ", now->scored);
	put_num(f, now->mean, 3);
	fprintf(f, ", %ld at or above the alert threshold.", now->above);
	if (!r->has_prev) {
		fputs(" No model epoch yet: the change appears once the first "
		    "epoch boundary has passed.</figcaption>\n</figure>\n", f);
		return;
	}
	format_time(then->clock_ms, when, sizeof(when));
	fprintf(f, " At the start of the current model epoch (event time %s, "
	    "epoch %ld): %ld scored, mean risk ", when, then->model_version,
	    then->scored);
	put_num(f, then->mean, 3);
	fprintf(f, ", %ld at or above (change %+ld since).</figcaption>\n"
	    "</figure>\n",
	    then->above, now->above - then->above);
}

static void
risk_section(FILE *f, const struct report *r)
{
	fputs("<section id=\"risk\">\n<h2>Risk</h2>\n<div class=\"grid\">\n", f);
	figure_open(f);
	chart_risk(f, r);
	risk_change(f, r);
	figure_open(f);
	chart_calibration(f, r);
	figure_close(f, "Dots: resolved predictions per decile of risk; bars: "
	    "Wilson 95% intervals; dashed: perfect calibration.");
	fputs("</div>\n</section>\n", f);
}

static void
dept_row(FILE *f, const struct report *r, int d)
{
	const struct report_dept *dp = &r->depts[d];
	long	exits = 0;

	for (int i = 0; i < r->nmonths; i++)
		exits += dp->exits[i];
	fputs("<tr><td>", f);
	html_escape(f, dp->name);
	fprintf(f, "</td><td class=\"n\" data-v=\"%ld\">%ld</td>"
	    "<td class=\"n\" data-v=\"%ld\">%ld</td>"
	    "<td class=\"n\" data-v=\"%ld\">%ld</td><td>", dp->active, dp->active,
	    dp->at_risk, dp->at_risk, exits, exits);
	chart_sparkline(f, r, d);
	if (!dp->has_plan) {
		fputs("</td><td data-v=\"0\">none yet</td><td class=\"n\" data-v=\"0\">"
		    "</td><td class=\"n\" data-v=\"0\"></td><td class=\"n\" "
		    "data-v=\"0\"></td></tr>\n", f);
		return;
	}
	fprintf(f, "</td><td>%s</td><td class=\"n\" data-v=\"%.2f\">%.0f of %.0f</td>"
	    "<td class=\"n\" data-v=\"%.3f\">%.2f</td><td class=\"n\" data-v=\"%d\">"
	    "%d</td></tr>\n", dp->plan_month, dp->plan_spend, dp->plan_spend,
	    dp->plan_budget, dp->plan_retained, dp->plan_retained,
	    dp->plan_allocations, dp->plan_allocations);
}

static void
departments(FILE *f, const struct report *r)
{
	fputs("<section id=\"departments\">\n<h2>Departments</h2>\n", f);
	if (r->ndepts == 0) {
		fputs("<p>No department seen yet.</p>\n</section>\n", f);
		return;
	}
	fputs("<table class=\"sortable\" id=\"dept-table\">\n<caption>Per department: "
	    "active employees, open alerts, exits over the months shown below "
	    "and the latest monthly budget plan. Click a heading to sort."
	    "</caption>\n<thead><tr><th>Department</th><th class=\"n\">Active"
	    "</th><th class=\"n\">At risk</th><th class=\"n\">Exits</th>"
	    "<th>Exits per month</th><th>Plan month</th><th class=\"n\">Plan "
	    "spend (currency)</th><th class=\"n\">Expected retained</th>"
	    "<th class=\"n\">Actions planned</th></tr></thead>\n<tbody>\n", f);
	for (int d = 0; d < r->ndepts; d++)
		dept_row(f, r, d);
	fputs("</tbody>\n</table>\n</section>\n", f);
}

static void
history(FILE *f, const struct report *r)
{
	fputs("<section id=\"history\">\n<h2>Alerts and exits over time</h2>\n"
	    "<div class=\"grid\">\n", f);
	figure_open(f);
	chart_alerts(f, r);
	figure_close(f, "Alerts that fired and that resolved, by the month of the "
	    "event that caused them.");
	figure_open(f);
	chart_exits(f, r);
	figure_close(f, "Exits by month of the exit, voluntary and other.");
	fputs("</div>\n</section>\n", f);
}

static void
model_section(FILE *f, const struct report *r)
{
	fputs("<section id=\"model\">\n<h2>The model</h2>\n<div class=\"grid\">\n",
	    f);
	figure_open(f);
	chart_coefficients(f, r);
	figure_close(f, "Proportional hazard of a voluntary exit, coefficients "
	    "on standardised covariates: +1 SD multiplies the hazard by exp(b). "
	    "Bars: 95% intervals.");
	fputs("</div>\n<div class=\"grid3\">\n", f);
	chart_relations(f, r);
	fputs("</div>\n<p class=\"meta\">The fitted relations with approximate 95% "
	    "bands (intercept and slope taken as independent).</p>\n</section>\n", f);
}

static void
fairness(FILE *f, const struct report *r)
{
	fputs("<section id=\"fairness\">\n<h2>Fairness</h2>\n", f);
	figure_open(f);
	chart_fairness(f, r);
	figure_close(f, "Per level of each protected attribute: employees ever "
	    "alerted over employees with that level, divided by the attribute's "
	    "highest rate. Below 0.8 (dashed) is flagged; groups under 30 are "
	    "shown, never flagged. Protected attributes are never model inputs.");
	fputs("</section>\n", f);
}

/* Closes the memory stream; buf is only final after fclose(). */
static char *
finish(FILE *f, char **buf)
{
	int	bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

/* The aggregate page. New string or NULL on ENOMEM. */
char *
page_render(struct pipeline *p)
{
	struct report	*r;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*f;

	if ((r = pipeline_report(p)) == NULL)
		return NULL;
	if ((f = open_memstream(&buf, &len)) == NULL) {
		pipeline_report_free(r);
		return NULL;
	}
	head(f, "retentiond: attrition risk", 1);
	header(f, r, "Attrition risk", 1);
	overview(f, r);
	risk_section(f, r);
	departments(f, r);
	history(f, r);
	model_section(f, r);
	fairness(f, r);
	fputs("</main>\n<footer><p class=\"meta\">retentiond " RETENTIOND_VERSION
	    ". Aggregates only: no employee is named on this page.</p></footer>\n"
	    "</body>\n</html>\n", f);
	pipeline_report_free(r);
	return finish(f, &buf);
}

static void
employee_row(FILE *f, const struct report_employee *e)
{
	char	since[40];

	format_time(e->alert_fired_ms, since, sizeof(since));
	fputs("<tr><td>", f);
	html_escape(f, e->id);
	fputs("</td><td>", f);
	html_escape(f, e->department != NULL ? e->department : "unknown");
	fprintf(f, "</td><td class=\"n\" data-v=\"%.4f\">%.3f</td><td class=\"n\" "
	    "data-v=\"%.0f\">%.0f</td><td>%s</td><td>", e->risk, e->risk,
	    e->expected_tenure_days, e->expected_tenure_days, since);
	for (int i = 0; i < e->ndrivers; i++) {
		fputs(i ? "; " : "", f);
		html_escape(f, e->drivers[i].feature);
		fprintf(f, " %+.2f", e->drivers[i].contribution);
	}
	fputs("</td></tr>\n", f);
}

static void
whatif_form(FILE *f, int token_required)
{
	fputs("<section id=\"whatif-section\">\n<h2>What if</h2>\n<p>Predicted "
	    "risk after actions, from <code>POST /v1/employees/{id}/whatif</code>."
	    "</p>\n<noscript><p>The form needs JavaScript; without it, POST "
	    "{\"actions\": [{\"action\": \"incentive\", \"amount\": 3000}]} to that "
	    "endpoint.</p></noscript>\n<form id=\"whatif\" class=\"whatif\">\n"
	    "<label for=\"wi-id\">Employee id</label><input id=\"wi-id\" name=\"id\" "
	    "list=\"at-risk-ids\" required>\n"
	    "<label for=\"wi-inc\">Bonus (currency)</label><input id=\"wi-inc\" "
	    "name=\"incentive\" type=\"number\" min=\"0\" step=\"any\" value=\"0\">\n"
	    "<label for=\"wi-tr\">Training (hours)</label><input id=\"wi-tr\" "
	    "name=\"training\" type=\"number\" min=\"0\" step=\"any\" value=\"0\">\n"
	    "<label for=\"wi-care\">Care actions (count)</label><input id=\"wi-care\" "
	    "name=\"care\" type=\"number\" min=\"0\" step=\"1\" value=\"0\">\n"
	    "<label for=\"wi-pro\">Promotion (levels)</label><input id=\"wi-pro\" "
	    "name=\"promotion\" type=\"number\" min=\"0\" step=\"1\" value=\"0\">\n",
	    f);
	if (token_required)
		fputs("<label for=\"wi-tok\">Bearer token</label><input id=\"wi-tok\" "
		    "name=\"token\" type=\"password\" autocomplete=\"off\">\n", f);
	fputs("<button type=\"submit\">Predict</button>\n</form>\n"
	    "<p>Result: <output id=\"whatif-out\" for=\"wi-id\">none yet</output>"
	    "</p>\n</section>\n", f);
}

static void
employees_body(FILE *f, const struct report_employee *list, int n)
{
	fputs("<section id=\"at-risk\">\n<h2>Employees with an open alert</h2>\n", f);
	if (n == 0)
		fputs("<p>No employee has an open alert.</p>\n", f);
	else {
		fprintf(f, "<table class=\"sortable\" id=\"at-risk-table\">\n<caption>"
		    "The %d riskiest (at most %d). Drivers: contributions to the log "
		    "hazard, largest first.</caption>\n<thead><tr><th>Employee</th>"
		    "<th>Department</th><th class=\"n\">Risk</th><th class=\"n\">"
		    "Expected tenure (days)</th><th>Alert since</th><th>Drivers</th>"
		    "</tr></thead>\n<tbody>\n", n, PAGE_AT_RISK_MAX);
		for (int i = 0; i < n; i++)
			employee_row(f, &list[i]);
		fputs("</tbody>\n</table>\n<datalist id=\"at-risk-ids\">\n", f);
		for (int i = 0; i < n; i++) {
			fputs("<option value=\"", f);
			html_escape(f, list[i].id);
			fputs("\"></option>\n", f);
		}
		fputs("</datalist>\n", f);
	}
	fputs("</section>\n", f);
}

/* The employee view: who is at risk, their drivers, the what-if form. */
char *
page_render_employees(struct pipeline *p, int token_required)
{
	struct report_employee	*list;
	struct report		*r;
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*f = NULL;
	int			 n;

	if ((list = calloc(PAGE_AT_RISK_MAX, sizeof(*list))) == NULL)
		return NULL;
	if ((r = pipeline_report(p)) == NULL ||
	    (f = open_memstream(&buf, &len)) == NULL) {
		pipeline_report_free(r);
		free(list);
		return NULL;
	}
	n = pipeline_report_at_risk(p, list, PAGE_AT_RISK_MAX);
	head(f, "retentiond: employees at risk", 0);
	header(f, r, "Employees at risk", 0);
	employees_body(f, list, n);
	whatif_form(f, token_required);
	fputs("</main>\n</body>\n</html>\n", f);
	pipeline_report_free(r);
	explicit_bzero(list, PAGE_AT_RISK_MAX * sizeof(*list));
	free(list);
	return finish(f, &buf);
}
