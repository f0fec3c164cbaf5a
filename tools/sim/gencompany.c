/*
 * gencompany.c: a synthetic company with known ground truth, as a stream of
 * HR events (CloudEvents 1.0, structured JSON, one per line, time-ordered).
 *
 * Used by the demo, the benchmark and the tests: stream its output through
 * retentiond and compare the published estimates with the truth file.
 *
 * The model it simulates (all times are event time, in daily steps):
 *
 *   Staff.  --employees N are hired during the first 30 days after --start;
 *   every exit is replaced 14..60 days later, so headcount stays near N.
 *   A hire gets a department, a job level 1..6 (more at the bottom), a
 *   yearly salary 42000 * 1.28^(level-1) times a department factor times a
 *   log-normal spread (sd 0.12), a manager, a location, and attributes:
 *   "overtime" ("yes" with p 0.28), "distance_km", and the protected
 *   "gender" ("f"/"m") and "MaritalStatus". Protected attributes affect
 *   nothing below: the true hazard ignores them, so alert impact ratios
 *   across genders should come out near 1. A latent performance p ~ N(0,1)
 *   drives review ratings.
 *
 *   Incentive and care.  u(t) = sum of raises, bonuses and equity grants in
 *   [t - 365 d, t), each as percent of the salary in force just before it;
 *   c(t) = care events in [t - 365 d, t); v(t) = training hours in
 *   [t - 365 d, t] (including an event at t). Raises: after the review
 *   cycle (reviews 1-14 March for staff with >= 28 days of tenure, raises
 *   1-7 April), percent by rating (1: none, 2: 1%, 3: 3%, 4: 5%, 5: 8%,
 *   +-0.5), a rating of 2 or 3 is skipped with p 0.25 (budget); bonuses at
 *   rate 0.4/year (2..12% of salary, more with rating), equity at 0.1/year
 *   (5..15%); training at 3/year (4..40 hours); care actions at 1.5/year.
 *
 *   Satisfaction (seed relation 1, with care):
 *       s = s0 + alpha * u + care * c + e,   clipped to 0..100,
 *   drawn at each quarterly survey (window of 14 days from 15 Jan/Apr/Jul/
 *   Oct, response rate 0.85); e is AR(1) per person (coefficient 0.5) with
 *   stationary sd --sat-noise, independent of u and c. Engagement, intent
 *   to stay and work-life balance are noisy functions of s (wlb lower with
 *   overtime). The employee's current satisfaction is the latest survey
 *   value; before the first survey it is the noise-free s0 + alpha*u + care*c.
 *
 *   Ability (seed relation 2): at each training with an assessment (p 0.85)
 *       a = a0 + gamma * v + N(0, ability-noise^2),   clipped to 0..100.
 *
 *   Voluntary exits (seed relation 3, sign corrected): piecewise-exponential
 *   proportional hazard, per year,
 *       lambda(t) = lambda0(band) * exp(b_s * (s - s0) + b_o * overtime
 *                                       + b_r * months_since_raise)
 *   with tenure bands 0-3 m, 3-12 m, 1-2 y, 2-5 y, 5 y+ (--baseline),
 *   overtime 0/1, months since the last raise (or since hire) in months of
 *   30.4375 days. Raw units: b_s per satisfaction point, so the expected
 *   tenure grows like exp(kappa * s) with kappa = -b_s. lambda0 is the
 *   hazard at s = s0, no overtime, a raise just now. An exit is drawn once a
 *   day (p = 1 - exp(-lambda / 365)) after the day's other events.
 *   Involuntary exits: constant rate --involuntary per year (censoring,
 *   independent of everything). --erasures K: up to K exited employees are
 *   erased 30..90 days after they left.
 *
 *   Other events: manager changes (0.25/year), profile updates (0.2/year:
 *   overtime flips, a move changes distance_km, marital status), promotions
 *   on the raise date (rating >= 4, level < 6, >= 12 months since the last
 *   one, p 0.35; +8..12% salary; not an incentive in u).
 *
 * Determinism: one xoshiro256** generator seeded from --seed; same
 * arguments, same bytes. ids are "evt-<n>" in output order; subjects are
 * "E000123". With --kafka-format each line is "key<TAB>json".
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS		86400000LL
#define HOUR_MS		3600000LL
#define MONTH_DAYS	30.4375
#define BANDS		5
#define RING_MAX	64		/* timed entries per window */
#define DATA_MAX	600		/* bytes of one event's data object */

enum ev_kind {
	K_HIRED, K_REVIEW, K_SURVEY, K_COMP, K_TRAINING, K_PROMOTION, K_CARE,
	K_MANAGER, K_PROFILE, K_EXITED, K_ERASED, K__COUNT
};

static const char *const kind_type[K__COUNT] = {
	"hr.employee.hired", "hr.review.completed", "hr.survey.submitted",
	"hr.compensation.changed", "hr.training.completed",
	"hr.promotion.granted", "hr.care.provided", "hr.manager.changed",
	"hr.profile.updated", "hr.employee.exited", "hr.employee.erased"
};

struct params {
	int	employees, months;
	uint64_t seed;
	int64_t	start_ms;
	char	start_str[32];
	double	s0, alpha, care, a0, gamma, sat_noise, ability_noise;
	double	baseline[BANDS];
	double	b_sat, b_overtime, b_msr;
	double	involuntary;
	int	erasures;
	int	kafka_format;
	int	crn;			/* keyed random streams (--crn, --actions) */
	const char *truth_path;
	const char *monthly_path;	/* --truth-monthly */
	int	truth_paths;		/* --truth-paths: futures per row */
	const char *actions_path;
};

/* ---- random numbers: xoshiro256**, seeded by splitmix64 ---- */

static uint64_t rng_s[4];

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static void
rng_seed(uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		rng_s[i] = z ^ (z >> 31);
	}
}

static uint64_t
rng_next(void)
{
	uint64_t r = rotl(rng_s[1] * 5, 7) * 9, t = rng_s[1] << 17;

	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return r;
}

/*
 * Common random numbers (--crn, implied by --actions).  Every block of draws
 * gets its own stream, keyed by (seed, employee, time, purpose), instead of
 * continuing one generator: a run with retention actions and a run without
 * then draw the same numbers for the same person on the same day, and differ
 * only through the actions' effects.  Without --crn this does nothing and the
 * output stays that of the single stream.
 */
enum stream { ST_OPEN = 1, ST_HIRE, ST_CYCLE, ST_EXIT, ST_EVENT, ST_PLAN = ST_EVENT + 32 };

static int rng_crn;
static uint64_t rng_base;

static uint64_t
mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rng_key(uint64_t emp, int64_t when, unsigned purpose)
{
	if (!rng_crn)
		return;
	rng_seed(mix64(mix64(mix64(rng_base ^ mix64(emp + 1)) ^ (uint64_t)when) ^ purpose));
}

/* Uniform in [0, 1). */
static double
urand(void)
{
	return (double)(rng_next() >> 11) * 0x1.0p-53;
}

static double
uniform(double a, double b)
{
	return a + (b - a) * urand();
}

static double
normal(double mean, double sd)
{
	double u1 = urand(), u2 = urand();

	if (u1 < 1e-300)
		u1 = 1e-300;
	return mean + sd * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Exponential waiting time in ms for a rate per year. */
static int64_t
wait_ms(double per_year)
{
	double u = urand();

	if (per_year <= 0)
		return INT64_MAX / 4;
	if (u < 1e-300)
		u = 1e-300;
	return (int64_t)(-log(u) / per_year * 365.0 * DAY_MS);
}

static int
pick(const double *w, int n)
{
	double tot = 0, r;

	for (int i = 0; i < n; i++)
		tot += w[i];
	r = urand() * tot;
	for (int i = 0; i < n; i++) {
		if (r < w[i])
			return i;
		r -= w[i];
	}
	return n - 1;
}

static double
clip(double x, double lo, double hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* ---- calendar (proleptic Gregorian, UTC) ---- */

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void
format_time(int64_t ms, char *buf, size_t len)
{
	int64_t days = ms / DAY_MS, rem = ms % DAY_MS;
	int y, m, d;

	if (rem < 0) {
		rem += DAY_MS;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
	    (int)(rem / HOUR_MS), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60));
}

static int
parse_date(const char *s, int64_t *ms)
{
	int y, m, d;
	char tail;

	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
	    m > 12 || d < 1 || d > 31 || y < 1970 || y > 9000)
		return -1;
	*ms = days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_MS;
	return 0;
}

/* A time on day `day_ms` between hour h0 and h1. */
static int64_t
at_hours(int64_t day_ms, double h0, double h1)
{
	return day_ms + (int64_t)(uniform(h0, h1) * HOUR_MS) / 1000 * 1000;
}

/* Moves a time to business hours (08-17) of its own day. */
static int64_t
business(int64_t t)
{
	int64_t day = t - ((t % DAY_MS) + DAY_MS) % DAY_MS;
	return at_hours(day, 8, 17);
}

/* ---- the company ---- */

#define NDEPT 6
static const char *const dept_name[NDEPT] = {
	"Engineering", "Sales", "Operations", "Research", "Support", "Finance"
};
static const double dept_weight[NDEPT] = { 0.32, 0.20, 0.14, 0.14, 0.12, 0.08 };
static const double dept_pay[NDEPT] = { 1.15, 1.0, 0.9, 1.2, 0.85, 1.05 };
#define MANAGERS_PER_DEPT 6
static const char *const locations[] = { "Berlin", "Shanghai", "Austin", "Remote" };
static const double location_weight[] = { 0.3, 0.3, 0.25, 0.15 };
static const double level_weight[6] = { 0.30, 0.27, 0.20, 0.13, 0.07, 0.03 };
static const char *const skills[] = {
	"python", "leadership", "negotiation", "cloud", "statistics",
	"communication", "security", "product"
};
static const char *const care_kinds[] = {
	"mentoring", "wellness", "recognition", "flexible_work", "health_check",
	"team_activity", "other"
};
static const double care_cost[] = { 300, 150, 100, 0, 200, 80, 120 };
static const char *const marital[] = { "Single", "Married", "Divorced" };

struct ring {
	int64_t	t[RING_MAX];
	double	v[RING_MAX];
	int	n, head;
};

struct emp {
	int	active, dept, level, manager, overtime, gender, marital, location;
	double	salary, distance_km, perf, rating;
	int64_t	hired_ms, last_raise_ms, last_promo_ms;
	double	sat;			/* latest survey value, NaN before one */
	double	sat_e;			/* AR(1) noise state */
	int	reviewed;		/* this cycle, eligible for a raise */
	struct ring incentive, care, training;
	int64_t	next_bonus, next_equity, next_training, next_care,
		next_manager, next_profile;
	int64_t	survey_at, review_at, raise_at;	/* 0: none pending */
};

/* A retention action to carry out (--actions). */
enum plan_kind { P_INCENTIVE, P_TRAINING, P_CARE, P_PROMOTION };

struct plan_act {
	int64_t	t;
	int	emp, kind, line;
	double	amount, cost;		/* cost < 0: the default for the kind */
};

#define PLAN_PER_DAY	16		/* actions per employee and day */

struct out_ev {
	int64_t	t;
	uint64_t seq;
	int	kind, emp;
	char	data[DATA_MAX];		/* JSON object, "" for none */
};

struct sim {
	struct params	p;
	struct emp	*emps;
	int		nemps, cap;
	int		first_active;	/* employees below it have all left */
	struct out_ev	*day;		/* events of the current day */
	size_t		nday, capday;
	uint64_t	seq, next_id;
	int64_t		*hire_queue;	/* days (ms) of pending replacement hires */
	int		nhire, caphire;
	struct { int64_t t; int emp; } *erase_queue;
	int		nerase, caperase, erasures_scheduled;
	/* counts for the truth file */
	uint64_t	by_kind[K__COUNT];
	long		vol_exits, invol_exits, erased;
	double		p_involuntary;	/* per day */
	double		band_exposure_years[BANDS];
	long		band_exits[BANDS];
	FILE		*out;
	FILE		*monthly;	/* --truth-monthly, NULL without */
	int		month_k;	/* next month to write, from 1 */
	struct plan_act	*plan;		/* sorted by time */
	int		nplan, plan_lo, plan_hi;	/* today's: [lo, hi) */
	long		plan_applied;
	double		plan_spend;
};

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "gencompany: out of memory\n");
		exit(1);
	}
	return q;
}

static void
ring_add(struct ring *r, int64_t t, double v)
{
	r->t[r->head] = t;
	r->v[r->head] = v;
	r->head = (r->head + 1) % RING_MAX;
	if (r->n < RING_MAX)
		r->n++;
}

/* Sum over entries with from <= t < to. */
static double
ring_sum(const struct ring *r, int64_t from, int64_t to)
{
	double s = 0;

	for (int i = 0; i < r->n; i++)
		if (r->t[i] >= from && r->t[i] < to)
			s += r->v[i];
	return s;
}

/* Appends to buf (at *off, capacity DATA_MAX) printf-style. */
static void
add(char *buf, size_t *off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void
add(char *buf, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= DATA_MAX)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, DATA_MAX - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

/* Appends s as a JSON string literal. */
static void
add_str(char *buf, size_t *off, const char *s)
{
	add(buf, off, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			add(buf, off, "\\%c", c);
		else if (c < 0x20)
			add(buf, off, "\\u%04x", c);
		else
			add(buf, off, "%c", c);
	}
	add(buf, off, "\"");
}

static struct out_ev *
emit(struct sim *sm, int64_t t, int kind, int emp)
{
	struct out_ev *e;

	if (sm->nday == sm->capday) {
		sm->capday = sm->capday ? 2 * sm->capday : 1024;
		sm->day = xrealloc(sm->day, sm->capday * sizeof(*sm->day));
	}
	e = &sm->day[sm->nday++];
	e->t = t;
	e->seq = sm->seq++;
	e->kind = kind;
	e->emp = emp;
	e->data[0] = '\0';
	sm->by_kind[kind]++;
	return e;
}

static int
ev_cmp(const void *a, const void *b)
{
	const struct out_ev *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
flush_day(struct sim *sm)
{
	char tbuf[40], subj[16];

	qsort(sm->day, sm->nday, sizeof(*sm->day), ev_cmp);
	for (size_t i = 0; i < sm->nday; i++) {
		const struct out_ev *e = &sm->day[i];

		format_time(e->t, tbuf, sizeof(tbuf));
		snprintf(subj, sizeof(subj), "E%06d", e->emp + 1);
		if (sm->p.kafka_format)
			fprintf(sm->out, "%s\t", subj);
		fprintf(sm->out, "{\"specversion\":\"1.0\",\"id\":\"evt-%" PRIu64 "\","
		    "\"source\":\"gencompany\",\"type\":\"%s\",\"subject\":\"%s\","
		    "\"time\":\"%s\",\"datacontenttype\":\"application/json\"",
		    ++sm->next_id, kind_type[e->kind], subj, tbuf);
		if (e->data[0])
			fprintf(sm->out, ",\"data\":%s", e->data);
		fputs("}\n", sm->out);
	}
	sm->nday = 0;
}

/* Months since the last raise (or hire) at t. */
static double
months_since_raise(const struct emp *e, int64_t t)
{
	int64_t since = e->last_raise_ms ? e->last_raise_ms : e->hired_ms;
	return (double)(t - since) / DAY_MS / MONTH_DAYS;
}

static double
incentive_u(const struct emp *e, int64_t t)
{
	return ring_sum(&e->incentive, t - 365 * DAY_MS, t);
}

static double
care_c(const struct emp *e, int64_t t)
{
	return ring_sum(&e->care, t - 365 * DAY_MS, t);
}

/* Current satisfaction as the hazard sees it. */
static double
satisfaction_now(const struct sim *sm, const struct emp *e, int64_t t)
{
	if (!isnan(e->sat))
		return e->sat;
	return clip(sm->p.s0 + sm->p.alpha * incentive_u(e, t) +
	    sm->p.care * care_c(e, t), 0, 100);
}

static int
band_of(const struct emp *e, int64_t t)
{
	double m = (double)(t - e->hired_ms) / DAY_MS / MONTH_DAYS;

	return m < 3 ? 0 : m < 12 ? 1 : m < 24 ? 2 : m < 60 ? 3 : 4;
}

/* True voluntary hazard per year at t. */
static double
hazard(const struct sim *sm, const struct emp *e, int64_t t)
{
	const struct params *p = &sm->p;
	double lp = p->b_sat * (satisfaction_now(sm, e, t) - p->s0) +
	    p->b_overtime * e->overtime + p->b_msr * months_since_raise(e, t);

	return p->baseline[band_of(e, t)] * exp(lp);
}

/*
 * The true P(voluntary exit within 180 days) from t, with the covariates
 * as they are at t and the clock running (tenure band, months since the
 * last raise, the incentive window): one hazard value a day, as the daily
 * exit draw uses. It knows no future raise, survey or profile change, so
 * it is what an observer with the true model and today's data would say.
 */
static double
true_risk_180d(const struct sim *sm, const struct emp *e, int64_t t)
{
	double cum = 0;

	for (int d = 0; d < 180; d++)
		cum += hazard(sm, e, t + (int64_t)d * DAY_MS) / 365.0;
	return 1 - exp(-cum);
}

static void
hire(struct sim *sm, int64_t day)
{
	struct emp *e;
	struct out_ev *ev;
	size_t off = 0;
	int i;
	char mgr[16];

	if (sm->nemps == sm->cap) {
		sm->cap = sm->cap ? 2 * sm->cap : 512;
		sm->emps = xrealloc(sm->emps, (size_t)sm->cap * sizeof(*sm->emps));
	}
	i = sm->nemps++;
	rng_key((uint64_t)i, 0, ST_HIRE);
	e = &sm->emps[i];
	memset(e, 0, sizeof(*e));
	e->active = 1;
	e->dept = pick(dept_weight, NDEPT);
	e->level = 1 + pick(level_weight, 6);
	e->salary = round(42000.0 * pow(1.28, e->level - 1) * dept_pay[e->dept] *
	    exp(normal(0, 0.12)));
	e->manager = (int)(urand() * MANAGERS_PER_DEPT);
	e->overtime = urand() < 0.28;
	e->gender = urand() < 0.5;
	e->marital = pick((const double[]){ 0.45, 0.45, 0.10 }, 3);
	e->location = pick(location_weight, 4);
	e->distance_km = e->location == 3 ? 0 : round(exp(normal(2.2, 0.8)) * 10) / 10;
	e->perf = normal(0, 1);
	e->rating = 3;
	e->hired_ms = at_hours(day, 7, 8);
	e->last_promo_ms = e->hired_ms;
	e->sat = NAN;
	e->sat_e = normal(0, sm->p.sat_noise);
	e->next_bonus = business(e->hired_ms + wait_ms(0.4));
	e->next_equity = business(e->hired_ms + wait_ms(0.1));
	e->next_training = business(e->hired_ms + DAY_MS + wait_ms(3.0));
	e->next_care = business(e->hired_ms + DAY_MS + wait_ms(1.5));
	e->next_manager = business(e->hired_ms + wait_ms(0.25));
	e->next_profile = business(e->hired_ms + wait_ms(0.2));

	snprintf(mgr, sizeof(mgr), "M%d%02d", e->dept + 1, e->manager + 1);
	ev = emit(sm, e->hired_ms, K_HIRED, i);
	add(ev->data, &off, "{\"department\":");
	add_str(ev->data, &off, dept_name[e->dept]);
	add(ev->data, &off, ",\"job_level\":%d,\"salary\":%.0f,\"manager_id\":\"%s\","
	    "\"location\":", e->level, e->salary, mgr);
	add_str(ev->data, &off, locations[e->location]);
	add(ev->data, &off, ",\"attributes\":{\"overtime\":\"%s\",\"distance_km\":%.1f,"
	    "\"gender\":\"%s\",\"MaritalStatus\":\"%s\"}}",
	    e->overtime ? "yes" : "no", e->distance_km, e->gender ? "f" : "m",
	    marital[e->marital]);
}

static void
do_survey(struct sim *sm, int i, int64_t t)
{
	struct emp *e = &sm->emps[i];
	const struct params *p = &sm->p;
	struct out_ev *ev;
	size_t off = 0;
	double s, eng, its, wlb;

	e->sat_e = 0.5 * e->sat_e + normal(0, p->sat_noise * sqrt(0.75));
	s = clip(p->s0 + p->alpha * incentive_u(e, t) + p->care * care_c(e, t) +
	    e->sat_e, 0, 100);
	e->sat = s;
	eng = clip(0.7 * s + 18 + normal(0, 7), 0, 100);
	its = clip(0.8 * s + 10 + normal(0, 9), 0, 100);
	wlb = clip(65 - 15 * e->overtime + 0.2 * (s - 60) + normal(0, 10), 0, 100);
	ev = emit(sm, t, K_SURVEY, i);
	add(ev->data, &off, "{\"satisfaction\":%.1f,\"engagement\":%.1f,"
	    "\"intent_to_stay\":%.1f,\"work_life_balance\":%.1f}", s, eng, its, wlb);
}

static void
do_review(struct sim *sm, int i, int64_t t)
{
	struct emp *e = &sm->emps[i];
	struct out_ev *ev;
	size_t off = 0;

	e->rating = clip(round(3 + 0.8 * e->perf + normal(0, 0.6)), 1, 5);
	e->reviewed = 1;
	ev = emit(sm, t, K_REVIEW, i);
	add(ev->data, &off, "{\"rating\":%.0f,\"potential\":%d}", e->rating,
	    e->perf > 0.8 ? 3 : e->perf > -0.5 ? 2 : 1);
}

static void
do_comp(struct sim *sm, int i, int64_t t, const char *kind, double pct)
{
	struct emp *e = &sm->emps[i];
	struct out_ev *ev;
	size_t off = 0;
	double amount = round(e->salary * pct) / 100.0;

	if (amount <= 0)
		return;
	ring_add(&e->incentive, t, 100.0 * amount / e->salary);
	ev = emit(sm, t, K_COMP, i);
	add(ev->data, &off, "{\"kind\":\"%s\",\"amount\":%.2f", kind, amount);
	if (strcmp(kind, "raise") == 0) {
		e->salary += amount;
		e->last_raise_ms = t;
		add(ev->data, &off, ",\"new_salary\":%.2f", e->salary);
	}
	add(ev->data, &off, "}");
}

static void
do_raise_cycle(struct sim *sm, int i, int64_t t)
{
	static const double pct_by_rating[6] = { 0, 0, 1, 3, 5, 8 };
	struct emp *e = &sm->emps[i];
	int r = (int)e->rating;
	double pct;

	e->reviewed = 0;
	if (r >= 4 && e->level < 6 &&
	    t - e->last_promo_ms >= (int64_t)(12 * MONTH_DAYS * DAY_MS) &&
	    urand() < 0.35) {
		struct out_ev *ev;
		size_t off = 0;

		e->level++;
		e->salary = round(e->salary * (1 + uniform(0.08, 0.12)));
		e->last_promo_ms = t;
		ev = emit(sm, t, K_PROMOTION, i);
		add(ev->data, &off, "{\"job_level\":%d,\"new_salary\":%.2f}",
		    e->level, e->salary);
		t += 60000;	/* the raise follows the promotion */
	}
	if ((r == 2 || r == 3) && urand() < 0.25)
		return;
	pct = pct_by_rating[r] + (pct_by_rating[r] > 0 ? uniform(-0.5, 0.5) : 0);
	if (pct > 0)
		do_comp(sm, i, t, "raise", pct);
}

/* A training of `hours` costing `cost`: the assessment (p 0.85) follows
 * the true relation a = a0 + gamma * v + noise. */
static void
do_training_hours(struct sim *sm, int i, int64_t t, double hours, double cost)
{
	struct emp *e = &sm->emps[i];
	const struct params *p = &sm->p;
	struct out_ev *ev;
	size_t off = 0;
	double v;

	ring_add(&e->training, t, hours);
	v = ring_sum(&e->training, t - 365 * DAY_MS, t + 1);
	ev = emit(sm, t, K_TRAINING, i);
	add(ev->data, &off, "{\"hours\":%.0f,\"cost\":%.0f,\"skill\":\"%s\"",
	    hours, cost, skills[(int)(urand() * 8)]);
	if (urand() < 0.85)
		add(ev->data, &off, ",\"assessment\":%.1f",
		    clip(p->a0 + p->gamma * v + normal(0, p->ability_noise), 0, 100));
	add(ev->data, &off, "}");
}

static void
do_training(struct sim *sm, int i, int64_t t)
{
	double hours = round(clip(exp(normal(2.5, 0.6)), 4, 40));

	do_training_hours(sm, i, t, hours, hours * 60 + 200);
}

static void
do_care(struct sim *sm, int i, int64_t t)
{
	struct emp *e = &sm->emps[i];
	struct out_ev *ev;
	size_t off = 0;
	int k = (int)(urand() * 7);

	ring_add(&e->care, t, 1);
	ev = emit(sm, t, K_CARE, i);
	add(ev->data, &off, "{\"kind\":\"%s\",\"cost\":%.0f}", care_kinds[k], care_cost[k]);
}

static void
do_manager(struct sim *sm, int i, int64_t t)
{
	struct emp *e = &sm->emps[i];
	struct out_ev *ev;
	size_t off = 0;

	e->manager = (e->manager + 1 + (int)(urand() * (MANAGERS_PER_DEPT - 1))) %
	    MANAGERS_PER_DEPT;
	ev = emit(sm, t, K_MANAGER, i);
	add(ev->data, &off, "{\"manager_id\":\"M%d%02d\"}", e->dept + 1, e->manager + 1);
}

static void
do_profile(struct sim *sm, int i, int64_t t)
{
	struct emp *e = &sm->emps[i];
	struct out_ev *ev;
	size_t off = 0;
	double r = urand();

	ev = emit(sm, t, K_PROFILE, i);
	if (r < 0.5) {
		e->overtime = !e->overtime;
		add(ev->data, &off, "{\"attributes\":{\"overtime\":\"%s\"}}",
		    e->overtime ? "yes" : "no");
	} else if (r < 0.8) {
		e->distance_km = e->location == 3 ? 0 :
		    round(exp(normal(2.2, 0.8)) * 10) / 10;
		add(ev->data, &off, "{\"attributes\":{\"distance_km\":%.1f}}", e->distance_km);
	} else {
		e->marital = (e->marital + 1) % 3;
		add(ev->data, &off, "{\"attributes\":{\"MaritalStatus\":\"%s\"}}",
		    marital[e->marital]);
	}
}

static void
do_exit(struct sim *sm, int i, int64_t t, int voluntary)
{
	static const char *const invol[] = { "dismissed", "layoff", "contract_end" };
	static const char *const vol[] = { "resigned", "better_offer", "relocation",
	    "career_change" };
	struct emp *e = &sm->emps[i];
	struct out_ev *ev;
	size_t off = 0;
	int64_t day = t - t % DAY_MS;

	e->active = 0;
	ev = emit(sm, t, K_EXITED, i);
	add(ev->data, &off, "{\"voluntary\":%s,\"reason\":\"%s\"}",
	    voluntary ? "true" : "false",
	    voluntary ? vol[(int)(urand() * 4)] : invol[(int)(urand() * 3)]);
	if (voluntary) {
		sm->vol_exits++;
		sm->band_exits[band_of(e, t)]++;
	} else {
		sm->invol_exits++;
	}
	if (sm->nhire == sm->caphire) {
		sm->caphire = sm->caphire ? 2 * sm->caphire : 64;
		sm->hire_queue = xrealloc(sm->hire_queue, (size_t)sm->caphire * sizeof(int64_t));
	}
	sm->hire_queue[sm->nhire++] = day + (int64_t)uniform(14, 61) * DAY_MS;
	if (sm->erasures_scheduled < sm->p.erasures && urand() < 0.5) {
		if (sm->nerase == sm->caperase) {
			sm->caperase = sm->caperase ? 2 * sm->caperase : 16;
			sm->erase_queue = xrealloc(sm->erase_queue,
			    (size_t)sm->caperase * sizeof(*sm->erase_queue));
		}
		sm->erase_queue[sm->nerase].t = at_hours(day + (int64_t)uniform(30, 91) * DAY_MS, 8, 17);
		sm->erase_queue[sm->nerase].emp = i;
		sm->nerase++;
		sm->erasures_scheduled++;
	}
}

/*
 * Carries out one retention action through the TRUE relations, and emits
 * the event an HRIS would: a bonus of `amount` adds amount / salary (in
 * percent) to u, so satisfaction rises by alpha times it at the next
 * survey; care adds `amount` care events to c (the true care effect);
 * training adds hours to v (ability a0 + gamma * v at the assessment);
 * promotion raises the level by `amount`, the salary by 10% a level, and
 * resets the promotion and raise clocks (months since a raise is in the
 * true hazard).
 */
static void
do_plan(struct sim *sm, int i, const struct plan_act *pa)
{
	struct emp *e = &sm->emps[i];
	struct out_ev *ev;
	size_t off = 0;
	int64_t t = pa->t;
	double amount = pa->amount, cost = pa->cost;

	switch (pa->kind) {
	case P_INCENTIVE:
		amount = round(amount * 100.0) / 100.0;
		if (amount <= 0 || e->salary <= 0)
			return;
		ring_add(&e->incentive, t, 100.0 * amount / e->salary);
		ev = emit(sm, t, K_COMP, i);
		add(ev->data, &off, "{\"kind\":\"bonus\",\"amount\":%.2f}", amount);
		cost = amount;
		break;
	case P_TRAINING:
		amount = round(amount);
		if (amount <= 0)
			return;
		if (cost < 0)
			cost = 60 * amount;
		do_training_hours(sm, i, t, amount, cost);
		break;
	case P_CARE: {
		int n = (int)clip(round(amount), 0, 12);

		if (cost < 0)
			cost = 200.0 * n;
		for (int k = 0; k < n; k++) {
			ring_add(&e->care, t, 1);
			ev = emit(sm, t, K_CARE, i);
			off = 0;
			add(ev->data, &off, "{\"kind\":\"mentoring\",\"cost\":%.0f}",
			    n > 0 ? cost / n : 0.0);
		}
		if (n == 0)
			return;
		break;
	}
	case P_PROMOTION: {
		int n = (int)clip(round(amount), 0, 15 - e->level);

		if (n <= 0)
			return;
		if (cost < 0)
			cost = e->salary * 0.10 * n;
		e->level += n;
		e->salary = round(e->salary * (1 + 0.10 * n));
		e->last_promo_ms = t;
		e->last_raise_ms = t;
		ev = emit(sm, t, K_PROMOTION, i);
		add(ev->data, &off, "{\"job_level\":%d,\"new_salary\":%.2f}",
		    e->level, e->salary);
		break;
	}
	default:
		return;
	}
	sm->plan_applied++;
	sm->plan_spend += cost;
}

enum act { A_SURVEY, A_REVIEW, A_RAISE, A_BONUS, A_EQUITY, A_TRAINING, A_CARE,
	A_MANAGER, A_PROFILE, A_PLAN };

struct action {
	int64_t	t;
	int	a, idx;		/* idx: into sm->plan for A_PLAN */
};

static int
act_cmp(const void *x, const void *y)
{
	const struct action *a = x, *b = y;

	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->a != b->a)
		return a->a - b->a;
	return a->idx - b->idx;
}

/* Company-wide cycles that start on this calendar day. */
static void
cycles(struct sim *sm, int64_t day)
{
	int y, m, d;

	civil_from_days(day / DAY_MS, &y, &m, &d);
	for (int i = 0; i < sm->nemps; i++) {
		struct emp *e = &sm->emps[i];

		if (!e->active)
			continue;
		if (d == 15 || d == 1)
			rng_key((uint64_t)i, day, ST_CYCLE);
		if (d == 15 && (m == 1 || m == 4 || m == 7 || m == 10) &&
		    urand() < 0.85)
			e->survey_at = at_hours(day + (int64_t)(urand() * 14) * DAY_MS, 8, 17);
		if (d == 1 && m == 3 && day - e->hired_ms >= 28 * DAY_MS)
			e->review_at = at_hours(day + (int64_t)(urand() * 14) * DAY_MS, 8, 17);
		if (d == 1 && m == 4 && e->reviewed)
			e->raise_at = at_hours(day + (int64_t)(urand() * 7) * DAY_MS, 8, 17);
	}
}

/* The day's events of employee i (everything but the exit draw). */
static void
step_events(struct sim *sm, int i, int64_t day)
{
	struct emp *e = &sm->emps[i];
	int64_t end = day + DAY_MS, t;
	struct action acts[16 + PLAN_PER_DAY];
	int n = 0, nplan = 0;

#define DUE(field, code) do { if (e->field && e->field < end) { \
		acts[n].t = e->field; acts[n].a = code; acts[n].idx = 0; n++; } } while (0)
	DUE(survey_at, A_SURVEY);
	DUE(review_at, A_REVIEW);
	DUE(raise_at, A_RAISE);
	DUE(next_bonus, A_BONUS);
	DUE(next_equity, A_EQUITY);
	DUE(next_training, A_TRAINING);
	DUE(next_care, A_CARE);
	DUE(next_manager, A_MANAGER);
	DUE(next_profile, A_PROFILE);
#undef DUE
	for (int k = sm->plan_lo; k < sm->plan_hi; k++) {
		if (sm->plan[k].emp != i)
			continue;
		if (nplan == PLAN_PER_DAY || sm->plan[k].t < e->hired_ms)
			continue;
		acts[n].t = sm->plan[k].t;
		acts[n].a = A_PLAN;
		acts[n].idx = k;
		n++;
		nplan++;
	}
	qsort(acts, (size_t)n, sizeof(acts[0]), act_cmp);
	for (int k = 0; k < n; k++) {
		t = acts[k].t;
		rng_key((uint64_t)i, t, (acts[k].a == A_PLAN ? ST_PLAN : ST_EVENT) +
		    (unsigned)acts[k].a);
		switch (acts[k].a) {
		case A_SURVEY:
			e->survey_at = 0;
			do_survey(sm, i, t);
			break;
		case A_REVIEW:
			e->review_at = 0;
			do_review(sm, i, t);
			break;
		case A_RAISE:
			e->raise_at = 0;
			do_raise_cycle(sm, i, t);
			break;
		case A_BONUS:
			e->next_bonus = business(t + DAY_MS + wait_ms(0.4));
			do_comp(sm, i, t, "bonus", clip(uniform(2, 8) + 1.5 * (e->rating - 3), 2, 12));
			break;
		case A_EQUITY:
			e->next_equity = business(t + DAY_MS + wait_ms(0.1));
			do_comp(sm, i, t, "equity", uniform(5, 15));
			break;
		case A_TRAINING:
			e->next_training = business(t + DAY_MS + wait_ms(3.0));
			do_training(sm, i, t);
			break;
		case A_CARE:
			e->next_care = business(t + DAY_MS + wait_ms(1.5));
			do_care(sm, i, t);
			break;
		case A_MANAGER:
			e->next_manager = business(t + DAY_MS + wait_ms(0.25));
			do_manager(sm, i, t);
			break;
		case A_PROFILE:
			e->next_profile = business(t + DAY_MS + wait_ms(0.2));
			do_profile(sm, i, t);
			break;
		case A_PLAN:
			do_plan(sm, i, &sm->plan[acts[k].idx]);
			break;
		}
	}
}

static void
step_employee(struct sim *sm, int i, int64_t day)
{
	struct emp *e = &sm->emps[i];
	int64_t t;
	double lam, p;

	step_events(sm, i, day);
	/* Exits after the day's other events, from the covariates now. */
	rng_key((uint64_t)i, day, ST_EXIT);
	t = at_hours(day, 17.5, 18.5);
	lam = hazard(sm, e, t);
	sm->band_exposure_years[band_of(e, t)] += 1.0 / 365.0;
	p = 1 - exp(-lam / 365.0);
	if (urand() < p)
		do_exit(sm, i, t, 1);
	else if (urand() < sm->p_involuntary)
		do_exit(sm, i, t, 0);
}

/*
 * ---- monthly truth (--truth-monthly) ----
 *
 * At 00:00 UTC of the first day of each month k = 1 .. M-1 after --start
 * (the state after the previous day's events), one CSV row per employee
 * then on staff: the true voluntary hazard per year and the true 180-day
 * risk (true_risk_180d). Writing draws no random number, so the event
 * stream is the same with and without it.
 */
static int64_t
month_start(const struct params *p, int k)
{
	int y, m, d;

	civil_from_days(p->start_ms / DAY_MS, &y, &m, &d);
	m += k;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	return days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_MS;
}

/*
 * The true 180-day risk of employee i at t (month k) over simulated
 * futures (--truth-paths R). true_risk_180d holds today's covariates; this
 * runs the employee's next 180 days R times, on a copy, through the same
 * company cycles and step functions (surveys, reviews, raises, bonuses,
 * care, profile changes; no --actions plan), on its own random stream and
 * with every event discarded, and averages 1 - exp(-sum of the daily
 * hazard at 18:00) over the futures. No exit is drawn: the sum is what
 * the exit draw would face. The main stream (and --crn keying) is saved
 * and restored, so the event stream does not change.
 */
static double
paths_risk_180d(const struct sim *sm, int i, int64_t t, int k)
{
	struct sim dry = *sm;
	struct emp copy;
	uint64_t saved[4];
	int saved_crn = rng_crn;
	double sum = 0;

	memcpy(saved, rng_s, sizeof(saved));
	rng_crn = 0;
	dry.emps = &copy;
	dry.nemps = dry.cap = 1;
	dry.first_active = 0;
	dry.day = NULL;
	dry.nday = dry.capday = 0;
	dry.nplan = dry.plan_lo = dry.plan_hi = 0;
	for (int r = 0; r < sm->p.truth_paths; r++) {
		double cum = 0;

		copy = sm->emps[i];
		rng_seed(mix64(rng_base ^ mix64((uint64_t)i + 1)) ^
		    mix64(((uint64_t)k << 32) | (uint64_t)r));
		for (int d = 0; d < 180; d++) {
			int64_t day = t + (int64_t)d * DAY_MS;

			cycles(&dry, day);
			step_events(&dry, 0, day);
			dry.nday = 0;
			cum += hazard(&dry, &copy, day + 18 * HOUR_MS) / 365.0;
		}
		sum += 1 - exp(-cum);
	}
	free(dry.day);
	memcpy(rng_s, saved, sizeof(saved));
	rng_crn = saved_crn;
	return sum / sm->p.truth_paths;
}

static void
write_month(struct sim *sm, int k, int64_t t)
{
	char tbuf[40];

	format_time(t, tbuf, sizeof(tbuf));
	for (int i = sm->first_active; i < sm->nemps; i++) {
		const struct emp *e = &sm->emps[i];

		if (!e->active || e->hired_ms >= t)
			continue;
		fprintf(sm->monthly, "E%06d,%d,%s,%.3f,%.6g,%.6g,", i + 1, k, tbuf,
		    (double)(t - e->hired_ms) / DAY_MS, hazard(sm, e, t),
		    true_risk_180d(sm, e, t));
		if (sm->p.truth_paths > 0)
			fprintf(sm->monthly, "%.6g", paths_risk_180d(sm, i, t, k));
		fputc('\n', sm->monthly);
	}
}

static int
open_monthly(struct sim *sm)
{
	if ((sm->monthly = fopen(sm->p.monthly_path, "w")) == NULL) {
		fprintf(stderr, "gencompany: %s: %s\n", sm->p.monthly_path, strerror(errno));
		return -1;
	}
	fputs("employee,month,time,tenure_days,hazard_per_year,risk_180d,risk_180d_paths\n",
	    sm->monthly);
	return 0;
}

static int
close_monthly(struct sim *sm)
{
	int bad = ferror(sm->monthly);

	if (fclose(sm->monthly) != 0 || bad) {
		fprintf(stderr, "gencompany: %s: write error\n", sm->p.monthly_path);
		return -1;
	}
	return 0;
}

/* Writes the monthly truth when day is the first day of month k. */
static void
monthly_tick(struct sim *sm, int64_t day)
{
	if (sm->monthly == NULL || sm->month_k >= sm->p.months)
		return;
	if (sm->month_k == 0)
		sm->month_k = 1;
	if (day >= month_start(&sm->p, sm->month_k)) {
		write_month(sm, sm->month_k, day);
		sm->month_k++;
	}
}

static void
simulate(struct sim *sm)
{
	const struct params *p = &sm->p;
	int y, m, d, ndays;
	int64_t end_ms;

	civil_from_days(p->start_ms / DAY_MS, &y, &m, &d);
	m += p->months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	end_ms = days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_MS;
	ndays = (int)((end_ms - p->start_ms) / DAY_MS);
	sm->p_involuntary = 1 - exp(-p->involuntary / 365.0);

	/* Opening: the initial staff join over the first 30 days. */
	rng_key(UINT64_MAX - 1, 0, ST_OPEN);
	for (int k = 0; k < p->employees; k++) {
		if (sm->nhire == sm->caphire) {
			sm->caphire = sm->caphire ? 2 * sm->caphire : 64;
			sm->hire_queue = xrealloc(sm->hire_queue,
			    (size_t)sm->caphire * sizeof(int64_t));
		}
		sm->hire_queue[sm->nhire++] = p->start_ms +
		    (int64_t)(urand() * 30) * DAY_MS;
	}
	for (int dd = 0; dd < ndays; dd++) {
		int64_t day = p->start_ms + (int64_t)dd * DAY_MS;
		int nbefore;

		monthly_tick(sm, day);
		while (sm->plan_lo < sm->nplan && sm->plan[sm->plan_lo].t < day)
			sm->plan_lo++;
		sm->plan_hi = sm->plan_lo;
		while (sm->plan_hi < sm->nplan && sm->plan[sm->plan_hi].t < day + DAY_MS)
			sm->plan_hi++;

		for (int k = 0; k < sm->nhire; ) {
			if (sm->hire_queue[k] <= day) {
				hire(sm, day);
				sm->hire_queue[k] = sm->hire_queue[--sm->nhire];
			} else {
				k++;
			}
		}
		for (int k = 0; k < sm->nerase; ) {
			if (sm->erase_queue[k].t < day + DAY_MS) {
				emit(sm, sm->erase_queue[k].t, K_ERASED, sm->erase_queue[k].emp);
				sm->erased++;
				sm->erase_queue[k] = sm->erase_queue[--sm->nerase];
			} else {
				k++;
			}
		}
		cycles(sm, day);
		/* The staff list in hire order, without leavers: keeps the daily
		 * loop proportional to headcount, not to everyone ever hired. */
		nbefore = sm->nemps;
		for (int i = sm->first_active; i < nbefore; i++)
			if (sm->emps[i].active && sm->emps[i].hired_ms < day)
				step_employee(sm, i, day);
		while (sm->first_active < sm->nemps && !sm->emps[sm->first_active].active)
			sm->first_active++;
		flush_day(sm);
	}
}

/* ---- truth file ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int
write_truth(const struct sim *sm, int64_t end_ms)
{
	const struct params *p = &sm->p;
	static const char *const band_names[BANDS] = { "[0, 3]", "[3, 12]", "[12, 24]",
	    "[24, 60]", "[60, null]" };
	FILE *f = fopen(p->truth_path, "w");
	double *risk = NULL, exposure = 0;
	int nactive = 0;

	if (f == NULL) {
		fprintf(stderr, "gencompany: %s: %s\n", p->truth_path, strerror(errno));
		return -1;
	}
	/* The true 180-day risk of everyone still employed at the end, with
	 * covariates held as they are and the tenure band advancing. */
	risk = xrealloc(NULL, (size_t)(sm->nemps + 1) * sizeof(double));
	for (int i = 0; i < sm->nemps; i++) {
		const struct emp *e = &sm->emps[i];

		if (!e->active)
			continue;
		risk[nactive++] = true_risk_180d(sm, e, end_ms);
	}
	qsort(risk, (size_t)nactive, sizeof(double), cmp_double);
	for (int b = 0; b < BANDS; b++)
		exposure += sm->band_exposure_years[b];

	fprintf(f, "{\n  \"generator\": \"gencompany\",\n");
	fprintf(f, "  \"parameters\": {\"employees\": %d, \"months\": %d, \"seed\": %" PRIu64
	    ", \"start\": \"%s\", \"involuntary_per_year\": %g, \"erasures\": %d},\n",
	    p->employees, p->months, p->seed, p->start_str, p->involuntary, p->erasures);
	fprintf(f, "  \"satisfaction\": {\"s0\": %g, \"alpha\": %g, \"care\": %g, \"noise_sd\": %g},\n",
	    p->s0, p->alpha, p->care, p->sat_noise);
	fprintf(f, "  \"ability\": {\"a0\": %g, \"gamma\": %g, \"noise_sd\": %g},\n",
	    p->a0, p->gamma, p->ability_noise);
	fprintf(f, "  \"hazard\": {\n    \"baseline\": [");
	for (int b = 0; b < BANDS; b++)
		fprintf(f, "%s{\"band_months\": %s, \"per_year\": %g, \"exposure_years\": %.2f, "
		    "\"exits\": %ld}", b ? ", " : "", band_names[b], p->baseline[b],
		    sm->band_exposure_years[b], sm->band_exits[b]);
	fprintf(f, "],\n    \"reference\": {\"satisfaction\": %g, \"overtime\": 0, "
	    "\"months_since_raise\": 0},\n", p->s0);
	fprintf(f, "    \"coefficients_raw\": {\"satisfaction\": %g, \"overtime\": %g, "
	    "\"months_since_raise\": %g},\n", p->b_sat, p->b_overtime, p->b_msr);
	fprintf(f, "    \"no_effect\": [\"gender\", \"MaritalStatus\", \"distance_km\", "
	    "\"department\", \"job_level\"]\n  },\n");
	fprintf(f, "  \"kappa\": %g,\n", -p->b_sat);
	fprintf(f, "  \"counts\": {\"employees\": %d, \"active_at_end\": %d, "
	    "\"voluntary_exits\": %ld, \"involuntary_exits\": %ld, \"erasures\": %ld, "
	    "\"events\": %" PRIu64 ", \"exposure_years\": %.2f, "
	    "\"voluntary_exits_per_year\": %.4f,\n    \"by_type\": {",
	    sm->nemps, nactive, sm->vol_exits, sm->invol_exits, sm->erased, sm->next_id,
	    exposure, exposure > 0 ? (double)sm->vol_exits / exposure : 0.0);
	for (int k = 0; k < K__COUNT; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", kind_type[k], sm->by_kind[k]);
	fprintf(f, "}},\n");
	if (p->crn) {
		double ssum = 0, asum = 0;

		for (int i = 0; i < sm->nemps; i++) {
			const struct emp *e = &sm->emps[i];

			if (!e->active)
				continue;
			ssum += clip(p->s0 + p->alpha * incentive_u(e, end_ms) +
			    p->care * care_c(e, end_ms), 0, 100);
			asum += clip(p->a0 + p->gamma *
			    ring_sum(&e->training, end_ms - 365 * DAY_MS, end_ms + 1), 0, 100);
		}
		fprintf(f, "  \"closed_loop\": {\"common_random_numbers\": true, "
		    "\"actions\": %d, \"actions_applied\": %ld, \"spend\": %.2f, "
		    "\"mean_true_satisfaction_at_end\": %.4f, "
		    "\"mean_true_ability_at_end\": %.4f},\n", sm->nplan, sm->plan_applied,
		    sm->plan_spend, nactive ? ssum / nactive : 0.0,
		    nactive ? asum / nactive : 0.0);
	}
	fprintf(f, "  \"true_risk_180d_at_end\": {\"n\": %d", nactive);
	if (nactive > 0) {
		static const double q[] = { 0.1, 0.25, 0.5, 0.75, 0.9, 0.99 };
		static const char *const qn[] = { "p10", "p25", "p50", "p75", "p90", "p99" };
		for (int k = 0; k < 6; k++)
			fprintf(f, ", \"%s\": %.4f", qn[k],
			    risk[(int)(q[k] * (nactive - 1))]);
	}
	fprintf(f, "}\n}\n");
	free(risk);
	if (fclose(f) != 0) {
		fprintf(stderr, "gencompany: %s: %s\n", p->truth_path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- retention actions (--actions) ---- */

static int
plan_cmp(const void *a, const void *b)
{
	const struct plan_act *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->line - y->line;
}

/*
 * Reads lines "WHEN EMPLOYEE ACTION AMOUNT [COST]" (whitespace between;
 * blank lines and lines starting with '#' ignored). WHEN is YYYY-MM-DD
 * (09:00 UTC that day) or YYYY-MM-DDTHH:MM:SSZ; EMPLOYEE is a subject as
 * written ("E000123"); ACTION is incentive (or bonus), training, care or
 * promotion; AMOUNT is in the action's unit (currency, hours, count,
 * levels); COST, when given, is what the training or care events report.
 */
static int
load_actions(struct sim *sm, const char *path)
{
	static const char *const names[] = { "incentive", "training", "care", "promotion" };
	FILE *f = fopen(path, "r");
	char line[512], when[64], who[64], what[64];
	int cap = 0, ln = 0;

	if (f == NULL) {
		fprintf(stderr, "gencompany: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct plan_act pa = { .cost = -1 };
		double amount, cost;
		int k, n, hh = 9, mi = 0, ss = 0, y, mo, d;
		char *sp = line, *end;
		long id;

		ln++;
		while (*sp == ' ' || *sp == '\t')
			sp++;
		if (*sp == '#' || *sp == '\n' || *sp == '\0')
			continue;
		n = sscanf(sp, "%63s %63s %63s %lf %lf", when, who, what, &amount, &cost);
		if (n < 4)
			goto bad;
		if (strlen(when) == 10) {
			if (parse_date(when, &pa.t) < 0)
				goto bad;
		} else {
			char z = 0, tail = 0;

			if (sscanf(when, "%4d-%2d-%2dT%2d:%2d:%2d%c%c", &y, &mo, &d, &hh,
			    &mi, &ss, &z, &tail) != 7 || z != 'Z' || hh > 23 || mi > 59 ||
			    ss > 59 || hh < 0 || mi < 0 || ss < 0)
				goto bad;
			when[10] = '\0';
			if (parse_date(when, &pa.t) < 0)
				goto bad;
		}
		pa.t += hh * HOUR_MS + mi * 60000LL + ss * 1000LL;
		if (who[0] != 'E')
			goto bad;
		errno = 0;
		id = strtol(who + 1, &end, 10);
		if (errno || *end || end == who + 1 || id < 1 || id > 100000000)
			goto bad;
		pa.emp = (int)(id - 1);
		if (strcmp(what, "bonus") == 0)
			snprintf(what, sizeof(what), "incentive");
		for (k = 0; k < 4 && strcmp(what, names[k]) != 0; k++)
			;
		if (k == 4 || !isfinite(amount) || amount < 0 || amount > 1e9)
			goto bad;
		pa.kind = k;
		pa.amount = amount;
		if (n == 5) {
			if (!isfinite(cost) || cost < 0)
				goto bad;
			pa.cost = cost;
		}
		pa.line = ln;
		if (sm->nplan == cap) {
			cap = cap ? 2 * cap : 256;
			sm->plan = xrealloc(sm->plan, (size_t)cap * sizeof(*sm->plan));
		}
		sm->plan[sm->nplan++] = pa;
		continue;
bad:
		fprintf(stderr, "gencompany: %s:%d: expected WHEN EMPLOYEE ACTION AMOUNT [COST]\n",
		    path, ln);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (sm->nplan > 0)	/* qsort's base must not be NULL, even for 0 */
		qsort(sm->plan, (size_t)sm->nplan, sizeof(*sm->plan), plan_cmp);
	return 0;
}

/* ---- command line ---- */

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: gencompany [options] > events.jsonl\n"
	    "  --employees N        headcount (300)\n"
	    "  --months M           months simulated (24)\n"
	    "  --seed S             random seed (1)\n"
	    "  --start YYYY-MM-DD   first day (2024-01-01, or earlier so that the\n"
	    "                       last day is before today)\n"
	    "  --s0 X --alpha X --care X --sat-noise X   satisfaction truth (60 0.8 2 8)\n"
	    "  --a0 X --gamma X --ability-noise X        ability truth (50 0.3 5)\n"
	    "  --baseline a,b,c,d,e voluntary hazard per year for tenure bands\n"
	    "                       0-3m,3-12m,1-2y,2-5y,5y+ (0.10,0.20,0.18,0.12,0.08)\n"
	    "  --b-satisfaction X   per point (-0.04)\n"
	    "  --b-overtime X       overtime yes (0.6)\n"
	    "  --b-months-since-raise X  per month (0.03)\n"
	    "  --involuntary X      involuntary exits per year (0.03)\n"
	    "  --erasures K         erase up to K leavers (0)\n"
	    "  --kafka-format       lines are \"key<TAB>json\" (kcat -K '\\t')\n"
	    "  --truth FILE         write the ground truth as JSON\n"
	    "  --truth-monthly FILE write each employee's true hazard each month as CSV:\n"
	    "                       a header, then one row per employee on staff at\n"
	    "                       00:00 UTC of the first day of month k = 1..M-1\n"
	    "                       (the same day of the month as --start):\n"
	    "                       employee,month,time,tenure_days,hazard_per_year,\n"
	    "                       risk_180d,risk_180d_paths\n"
	    "                       hazard_per_year: true voluntary hazard then;\n"
	    "                       risk_180d: P(voluntary exit within 180 days) with\n"
	    "                       the covariates as they are (no future raise or\n"
	    "                       survey), the tenure band and months since raise\n"
	    "                       advancing, the hazard integrated a day at a time;\n"
	    "                       risk_180d_paths: the true P(voluntary exit within\n"
	    "                       180 days), the mean over --truth-paths simulated\n"
	    "                       futures (empty without); the event stream is the\n"
	    "                       same with or without these files\n"
	    "  --truth-paths R      futures per row of --truth-monthly (0: none)\n"
	    "  --crn                common random numbers: a random stream per employee,\n"
	    "                       time and purpose, so that runs that differ in actions\n"
	    "                       differ only through their effects (other bytes than\n"
	    "                       without --crn)\n"
	    "  --actions FILE       carry out retention actions (implies --crn): lines\n"
	    "                       \"WHEN EMPLOYEE ACTION AMOUNT [COST]\", WHEN YYYY-MM-DD\n"
	    "                       (09:00) or YYYY-MM-DDTHH:MM:SSZ, ACTION incentive\n"
	    "                       (currency), training (hours), care (count) or\n"
	    "                       promotion (levels); see closedloop.py\n");
}

static int
num(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno || end == s || *end || !isfinite(*out)) ? -1 : 0;
}

/* The last event must not be in the future: retentiond holds events dated
 * after its wall clock, and sends those far ahead to the DLQ (DESIGN.md,
 * "Time that cannot be poisoned"). Without --start, the default start
 * moves back to the first of a month so that the simulation ends before
 * the current month; with --start, a warning. */
static void
end_before_today(struct params *p, int start_given)
{
	int64_t today = (int64_t)time(NULL) / 86400, end;
	int y, m, d, ty, tm, td;

	civil_from_days(p->start_ms / DAY_MS, &y, &m, &d);
	m += p->months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	end = days_from_civil(y, (unsigned)m, (unsigned)d);
	if (end < today)
		return;
	if (start_given) {
		fprintf(stderr, "gencompany: warning: the simulation ends after today; "
		    "retentiond holds future-dated events ([time])\n");
		return;
	}
	civil_from_days(today, &ty, &tm, &td);
	tm -= p->months + 1;
	while (tm < 1) {
		tm += 12;
		ty--;
	}
	p->start_ms = days_from_civil(ty, (unsigned)tm, 1) * DAY_MS;
	snprintf(p->start_str, sizeof(p->start_str), "%04d-%02d-01", ty, tm);
}

int
main(int argc, char **argv)
{
	enum { O_S0 = 256, O_ALPHA, O_CARE, O_A0, O_GAMMA, O_SATN, O_ABN, O_BASE,
		O_BSAT, O_BOT, O_BMSR, O_INVOL, O_ERASE, O_KAFKA, O_TRUTH, O_START,
		O_CRN, O_ACTIONS, O_MONTHLY, O_PATHS };
	static const struct option opts[] = {
		{ "employees", required_argument, NULL, 'n' },
		{ "months", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, O_START },
		{ "s0", required_argument, NULL, O_S0 },
		{ "alpha", required_argument, NULL, O_ALPHA },
		{ "care", required_argument, NULL, O_CARE },
		{ "a0", required_argument, NULL, O_A0 },
		{ "gamma", required_argument, NULL, O_GAMMA },
		{ "sat-noise", required_argument, NULL, O_SATN },
		{ "ability-noise", required_argument, NULL, O_ABN },
		{ "baseline", required_argument, NULL, O_BASE },
		{ "b-satisfaction", required_argument, NULL, O_BSAT },
		{ "b-overtime", required_argument, NULL, O_BOT },
		{ "b-months-since-raise", required_argument, NULL, O_BMSR },
		{ "involuntary", required_argument, NULL, O_INVOL },
		{ "erasures", required_argument, NULL, O_ERASE },
		{ "kafka-format", no_argument, NULL, O_KAFKA },
		{ "truth", required_argument, NULL, O_TRUTH },
		{ "truth-monthly", required_argument, NULL, O_MONTHLY },
		{ "truth-paths", required_argument, NULL, O_PATHS },
		{ "crn", no_argument, NULL, O_CRN },
		{ "actions", required_argument, NULL, O_ACTIONS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static struct sim sim;
	struct sim *sm = &sim;
	struct params *p = &sm->p;
	static char outbuf[1 << 16];
	int c, y, m, d, li, start_given = 0;
	double v;
	int64_t end_ms;

	*p = (struct params){ .employees = 300, .months = 24, .seed = 1,
	    .s0 = 60, .alpha = 0.8, .care = 2.0, .a0 = 50, .gamma = 0.3,
	    .sat_noise = 8, .ability_noise = 5,
	    .baseline = { 0.10, 0.20, 0.18, 0.12, 0.08 },
	    .b_sat = -0.04, .b_overtime = 0.6, .b_msr = 0.03, .involuntary = 0.03 };
	snprintf(p->start_str, sizeof(p->start_str), "2024-01-01");
	parse_date(p->start_str, &p->start_ms);

	while ((c = getopt_long(argc, argv, "n:m:s:h", opts, &li)) != -1) {
		int bad = 0;

		if (c == 'h') {
			usage(stdout);
			return 0;
		}
		if (c == '?') {
			usage(stderr);
			return 2;
		}
		if (c == O_KAFKA) {
			p->kafka_format = 1;
			continue;
		}
		if (c == O_TRUTH) {
			p->truth_path = optarg;
			continue;
		}
		if (c == O_CRN) {
			p->crn = 1;
			continue;
		}
		if (c == O_MONTHLY) {
			p->monthly_path = optarg;
			continue;
		}
		if (c == O_ACTIONS) {
			p->actions_path = optarg;
			p->crn = 1;
			continue;
		}
		if (c == O_START) {
			start_given = 1;
			if (parse_date(optarg, &p->start_ms) < 0)
				bad = 1;
			else
				snprintf(p->start_str, sizeof(p->start_str), "%s", optarg);
		} else if (c == O_BASE) {
			char *s = optarg, *end;
			int k;

			for (k = 0; k < BANDS; k++) {
				errno = 0;
				p->baseline[k] = strtod(s, &end);
				if (errno || end == s || !(p->baseline[k] >= 0))
					break;
				s = end;
				if (k < BANDS - 1 && *s++ != ',')
					break;
			}
			bad = k < BANDS || *s;
		} else if (num(optarg, &v) < 0) {
			bad = 1;
		} else {
			switch (c) {
			case 'n': bad = v < 1 || v > 10000000 || v != floor(v); p->employees = (int)v; break;
			case 'm': bad = v < 1 || v > 1200 || v != floor(v); p->months = (int)v; break;
			case 's': bad = v < 0 || v > 9007199254740992.0 || v != floor(v); p->seed = (uint64_t)v; break;
			case O_S0: p->s0 = v; break;
			case O_ALPHA: p->alpha = v; break;
			case O_CARE: p->care = v; break;
			case O_A0: p->a0 = v; break;
			case O_GAMMA: p->gamma = v; break;
			case O_SATN: bad = v < 0; p->sat_noise = v; break;
			case O_ABN: bad = v < 0; p->ability_noise = v; break;
			case O_BSAT: p->b_sat = v; break;
			case O_BOT: p->b_overtime = v; break;
			case O_BMSR: p->b_msr = v; break;
			case O_INVOL: bad = v < 0; p->involuntary = v; break;
			case O_PATHS: bad = v < 0 || v > 10000 || v != floor(v); p->truth_paths = (int)v; break;
			case O_ERASE: bad = v < 0 || v > 1e9 || v != floor(v); p->erasures = (int)v; break;
			default: bad = 1; break;
			}
		}
		if (bad) {
			const char *name = "?";

			for (int k = 0; opts[k].name != NULL; k++)
				if (opts[k].val == c)
					name = opts[k].name;
			fprintf(stderr, "gencompany: bad value for --%s: %s\n", name, optarg);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	end_before_today(p, start_given);

	if (p->actions_path != NULL && load_actions(sm, p->actions_path) < 0)
		return 2;
	rng_seed(p->seed);
	rng_crn = p->crn;
	rng_base = mix64(p->seed);
	sm->out = stdout;
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (p->monthly_path != NULL && open_monthly(sm) < 0)
		return 1;
	simulate(sm);
	if (sm->monthly != NULL && close_monthly(sm) < 0)
		return 1;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "gencompany: write error\n");
		return 1;
	}
	civil_from_days(p->start_ms / DAY_MS, &y, &m, &d);
	m += p->months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	end_ms = days_from_civil(y, (unsigned)m, (unsigned)d) * DAY_MS;
	if (p->truth_path && write_truth(sm, end_ms) < 0)
		return 1;
	free(sm->emps);
	free(sm->day);
	free(sm->hire_queue);
	free(sm->erase_queue);
	free(sm->plan);
	return 0;
}
