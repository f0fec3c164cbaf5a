/*
 * test_epoch.c: the determinism rule (DESIGN.md). The same events of four
 * partitions, fed in different interleavings that keep each partition's
 * order and the pause rule (a partition whose next message is of a later
 * epoch waits until every partition has reached that epoch or run dry),
 * give the same outputs record for record per key, bit-identical estimates
 * and the same per-employee state. The attributes arrive in a different
 * order in each partition, so the feature registry's order differs
 * between the interleavings. A feed that ignores the pause rule must give
 * different outputs (the test can see a difference).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "../../pipeline/pipeline.h"
#include "../../state/serial.h"
#include "check.h"

#define NPART		4
#define PEOPLE		240
#define DAYS		100
#define MSG_MAX		(PEOPLE * 40)
#define T0		1735689600LL	/* 2025-01-01, seconds */

struct stream {
	char	*msg[MSG_MAX];
	int	 n, next, held;
	long	 epoch;		/* of msg[next] while held */
};

struct outlog {
	char	**line;		/* "key\x1f" value, in emission order */
	int	  n, cap;
};

static struct stream streams[NPART];

static unsigned long long rng_state;

static unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng_state >> 33) % n);
}

static void
push(int part, const char *type, int who, int seq, long t, const char *data)
{
	struct stream *s = &streams[part];
	char when[32], buf[1024];
	time_t tt = (time_t)(T0 + t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\",\"id\":\"e%d-%d\","
	    "\"source\":\"t\",\"type\":\"%s\",\"subject\":\"E%03d\",\"time\":\"%s\","
	    "\"data\":%s}", who, seq, type, who, when, data);
	if (s->n < MSG_MAX)
		s->msg[s->n++] = strdup(buf);
}

/* One employee's events. */
static void
person(int who)
{
	static const char *depts[] = { "Sales", "Engineering", "Ops", "Finance" };
	int part = who % NPART, seq = 0, level = 1 + (int)rnd(4), d, exit_day;
	long t = (long)rnd(10) * 86400 + (long)rnd(86400);
	double salary = 30000 + 10000 * level + rnd(8000);
	char data[512], a[128];
	const char *yn = rnd(2) ? "yes" : "no";
	int num = 1 + (int)rnd(40);

	/* per partition a different first attribute: the registry's order
	 * then depends on which partition speaks first */
	if (part == 0)
		snprintf(a, sizeof(a), "\"overtime\":\"%s\",\"distance_km\":%d", yn, num);
	else if (part == 1)
		snprintf(a, sizeof(a), "\"distance_km\":%d,\"overtime\":\"%s\"", num, yn);
	else if (part == 2)
		snprintf(a, sizeof(a), "\"remote\":\"%s\",\"commute_min\":%d", yn, num);
	else
		snprintf(a, sizeof(a), "\"commute_min\":%d,\"remote\":\"%s\"", num, yn);
	snprintf(data, sizeof(data), "{\"department\":\"%s\",\"job_level\":%d,"
	    "\"salary\":%.0f,\"manager_id\":\"M%d\",\"attributes\":{%s,"
	    "\"gender\":\"%s\"}}", depts[rnd(4)], level, salary, (int)rnd(9), a,
	    rnd(2) ? "f" : "m");
	push(part, "hr.employee.hired", who, seq++, t, data);
	exit_day = rnd(3) == 0 ? 20 + (int)rnd(DAYS - 25) : DAYS + 1;
	for (d = (int)(t / 86400) + 3; d < DAYS && d < exit_day; d += 4 + (int)rnd(8)) {
		long at = (long)d * 86400 + (long)rnd(86400);

		switch (rnd(4)) {
		case 0:
			snprintf(data, sizeof(data), "{\"kind\":\"raise\",\"amount\":%d}",
			    500 + (int)rnd(3000));
			push(part, "hr.compensation.changed", who, seq++, at, data);
			break;
		case 1:
			snprintf(data, sizeof(data), "{\"hours\":%d,\"assessment\":%d}",
			    2 + (int)rnd(10), 30 + (int)rnd(60));
			push(part, "hr.training.completed", who, seq++, at, data);
			break;
		default:
			snprintf(data, sizeof(data), "{\"satisfaction\":%d,\"engagement\":%d}",
			    20 + (int)rnd(70) - (exit_day < DAYS ? 15 : 0), 30 + (int)rnd(60));
			push(part, "hr.survey.submitted", who, seq++, at, data);
			break;
		}
	}
	if (exit_day < DAYS)
		push(part, "hr.employee.exited", who, seq++, (long)exit_day * 86400 +
		    (long)rnd(86400), rnd(4) ? "{\"voluntary\":true}" : "{\"voluntary\":false}");
}

/* Time order (ties: by the text, so the order is the input's alone). */
static int
cmp_time(const void *a, const void *b)
{
	const char *x = strstr(*(char *const *)a, "\"time\":\""),
	    *y = strstr(*(char *const *)b, "\"time\":\"");
	int c = strncmp(x, y, 28);

	return c != 0 ? c : strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every 25th message of a partition arrives 6 messages late (late events,
 * some across a boundary). */
static void
delay_some(struct stream *s)
{
	for (int i = 0; i + 6 < s->n; i += 25) {
		char *m = s->msg[i];

		memmove(&s->msg[i], &s->msg[i + 1], 6 * sizeof(char *));
		s->msg[i + 6] = m;
	}
}

static int
log_out(void *arg, const struct output *o)
{
	struct outlog *l = arg;
	char *s;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->line = realloc(l->line, (size_t)l->cap * sizeof(*l->line));
	}
	if ((s = malloc(o->keylen + o->len + 2)) == NULL)
		return -1;
	memcpy(s, o->key, o->keylen);
	s[o->keylen] = '\x1f';
	memcpy(s + o->keylen + 1, o->value, o->len);
	s[o->keylen + 1 + o->len] = '\0';
	l->line[l->n++] = s;
	return 0;
}

static enum pipeline_result
run_one(struct pipeline *p, int part, struct outlog *l, int ignore_pause)
{
	struct stream *s = &streams[part];
	struct message m;

	memset(&m, 0, sizeof(m));
	m.value = s->msg[s->next];
	m.len = strlen(s->msg[s->next]);
	m.topic = "hr.events";
	m.partition = part;
	m.offset = s->next;
	return ignore_pause ? pipeline_run_all(p, &m, log_out, l) :
	    pipeline_run(p, &m, log_out, l);
}

/* Feeds every stream: order 0 round robin, else random picks (seeded).
 * Returns the pipeline (new) after its shutdown estimates. */
static struct pipeline *
feed(int order, int ignore_pause, struct outlog *l)
{
	struct pipeline_config cfg;
	struct pipeline *p;
	enum pipeline_result r;
	char err[256];
	int i, cand[NPART], nc, rr = 0, pick;
	long min;

	pipeline_config_defaults(&cfg);
	cfg.threshold = 0.08;
	cfg.clear_threshold = 0.05;
	cfg.warmup_max_se = 0;	/* the alert policy: test_decide.c */
	cfg.confidence_z = 0;
	cfg.department_budget_per_month = 20000;
	p = pipeline_new(&cfg, err, sizeof(err));
	CHECK(p != NULL);
	for (i = 0; i < NPART; i++)
		streams[i].next = streams[i].held = 0;
	rng_state = (unsigned long long)order * 7919;
	for (;;) {
		for (nc = 0, i = 0; i < NPART; i++)
			if (!streams[i].held && streams[i].next < streams[i].n)
				cand[nc++] = i;
		if (nc == 0) {
			/* every partition waits at a boundary or ran dry */
			for (min = -1, i = 0; i < NPART; i++)
				if (streams[i].held && (min < 0 || streams[i].epoch < min))
					min = streams[i].epoch;
			if (min < 0)
				break;
			CHECK(pipeline_advance(p, min, log_out, l) == 0);
			CHECK(pipeline_epoch(p) == min);
			for (i = 0; i < NPART; i++)
				streams[i].held = 0;	/* offered again below */
			continue;
		}
		pick = order == 0 ? cand[rr++ % nc] : cand[rnd((unsigned)nc)];
		r = run_one(p, pick, l, ignore_pause);
		CHECK(r != PIPE_ERROR);
		if (r == PIPE_BLOCKED) {
			streams[pick].held = 1;
			streams[pick].epoch = pipeline_blocked_epoch(p);
			CHECK(streams[pick].epoch > pipeline_epoch(p));
		} else
			streams[pick].next++;
	}
	CHECK(pipeline_publish_estimates(p, log_out, l) == 0);
	return p;
}

/* Each key's records in emission order. */
struct keyed {
	const char	*line;
	int		 seq;
};

static int
cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	size_t kx = strcspn(x->line, "\x1f"), ky = strcspn(y->line, "\x1f");
	int c = strncmp(x->line, y->line, kx < ky ? kx : ky);

	if (c != 0)
		return c;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return x->seq - y->seq;
}

static struct keyed *
by_key(const struct outlog *l)
{
	struct keyed *k = calloc((size_t)l->n + 1, sizeof(*k));

	for (int i = 0; i < l->n; i++) {
		k[i].line = l->line[i];
		k[i].seq = i;
	}
	qsort(k, (size_t)l->n, sizeof(*k), cmp_keyed);
	return k;
}

/* 1 when both logs hold the same records per key, in the same order. */
static int
same_per_key(const struct outlog *a, const struct outlog *b)
{
	struct keyed *ka, *kb;
	int same = a->n == b->n;

	if (!same)
		return 0;
	ka = by_key(a);
	kb = by_key(b);
	for (int i = 0; i < a->n && same; i++)
		same = strcmp(ka[i].line, kb[i].line) == 0;
	free(ka);
	free(kb);
	return same;
}

static int
count(const struct outlog *l, const char *needle)
{
	int n = 0;

	for (int i = 0; i < l->n; i++)
		n += strstr(l->line[i], needle) != NULL;
	return n;
}

/* The employee JSON lists covariates in registry order, which differs
 * between interleavings: compare the values. */
static int
same_json(const char *a, const char *b)
{
	json_t *ja, *jb;
	int same;

	if (a == NULL || b == NULL)
		return 0;
	ja = json_loads(a, 0, NULL);
	jb = json_loads(b, 0, NULL);
	same = ja != NULL && jb != NULL && json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return same;
}

static void
free_log(struct outlog *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	memset(l, 0, sizeof(*l));
}

/* The epoch state and every shard's model side of p, as one image per
 * part: [0] the epoch state, [1 + i] partition i. */
static void
save_all(const struct pipeline *p, struct wbuf *w)
{
	for (int i = 0; i <= NPART; i++) {
		wbuf_init(&w[i]);
		CHECK((i == 0 ? pipeline_epoch_save(p, &w[0]) :
		    pipeline_shard_save(p, i - 1, &w[i])) == 0);
	}
}

/* A fresh pipeline with the images loaded; NULL when a loader refused. */
static struct pipeline *
load_all(const struct wbuf *w, size_t cut_part, size_t cut_len)
{
	struct pipeline_config cfg;
	struct pipeline *p;
	struct rbuf r;
	char err[256];
	int ok = 1;

	pipeline_config_defaults(&cfg);
	p = pipeline_new(&cfg, err, sizeof(err));
	for (size_t i = 0; i <= NPART && ok; i++) {
		rbuf_init(&r, w[i].p, i == cut_part ? cut_len : w[i].len);
		ok = (i == 0 ? pipeline_epoch_load(p, &r, err, sizeof(err)) :
		    pipeline_shard_load(p, (int32_t)i - 1, &r, err, sizeof(err))) == 0;
	}
	if (!ok) {
		pipeline_free(p);
		return NULL;
	}
	return p;
}

/* Save, load into a fresh pipeline, save again: the same bytes. Every
 * truncation is refused; flipped bytes never crash a loader. */
static void
test_round_trip(const struct pipeline *p)
{
	struct wbuf a[NPART + 1], b[NPART + 1], bad;
	struct pipeline *q;
	size_t i, cut;
	unsigned long long s = 99;

	save_all(p, a);
	q = load_all(a, (size_t)-1, 0);
	CHECK(q != NULL);
	if (q == NULL)
		return;
	save_all(q, b);
	for (i = 0; i <= NPART; i++)
		CHECK(a[i].len == b[i].len && memcmp(a[i].p, b[i].p, a[i].len) == 0);
	printf("epoch state %zu bytes, shard 0 %zu bytes\n", a[0].len, a[1].len);
	pipeline_free(q);
	for (i = 0; i <= NPART; i++) {
		size_t step = a[i].len / 97 + 1;

		for (cut = 0; cut < a[i].len; cut += cut + 64 < a[i].len ? step : 1) {
			q = load_all(a, i, cut);
			CHECK(q == NULL);
			pipeline_free(q);
		}
	}
	for (int t = 0; t < 200; t++) {
		struct wbuf *w = &a[t % (NPART + 1)];
		uint8_t keep;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		i = (size_t)(s >> 33) % w->len;
		keep = w->p[i];
		w->p[i] ^= (uint8_t)(1 + (s >> 20) % 255);
		pipeline_free(load_all(a, (size_t)-1, 0));	/* may load: no crash */
		w->p[i] = keep;
	}
	wbuf_init(&bad);
	CHECK(pipeline_shard_save(p, NPART + 5, &bad) == -1);
	wbuf_free(&bad);
	for (i = 0; i <= NPART; i++) {
		wbuf_free(&a[i]);
		wbuf_free(&b[i]);
	}
}

static int
discard(void *arg, const struct output *o)
{
	(void)arg;
	(void)o;
	return 0;
}

/* pipeline_event_epoch(): the epoch pipeline_run() would refuse an event
 * as too early for, which the daemon asks of an event it would send on
 * (its partition crosses the boundary there); -1 for one that applies now
 * or is dated after the wall clock (its shard holds it). */
static void
test_event_epoch(void)
{
	struct pipeline_config cfg;
	struct pipeline *p;
	struct hr_event ev;
	char err[256];
	const int64_t day = 86400000LL, t0 = T0 * 1000;
	const long e0 = (long)(t0 / day);
	int64_t now = t0 + 400 * day;

	pipeline_config_defaults(&cfg);
	CHECK((p = pipeline_new(&cfg, err, sizeof(err))) != NULL);
	if (p == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.time_ms = t0 + 5 * day + 3600000;
	CHECK(pipeline_event_epoch(p, &ev, now) == e0 + 5);	/* before any */
	CHECK(pipeline_advance(p, e0 + 5, discard, NULL) == 0);
	CHECK(pipeline_event_epoch(p, &ev, now) == -1);
	ev.time_ms = t0 + 2 * day;				/* late */
	CHECK(pipeline_event_epoch(p, &ev, now) == -1);
	ev.time_ms = t0 + 6 * day;				/* the next */
	CHECK(pipeline_event_epoch(p, &ev, now) == e0 + 6);
	CHECK(pipeline_event_epoch(p, &ev, 0) == e0 + 6);	/* no wall clock */
	/* after the wall clock and its tolerance: held in its shard instead */
	CHECK(pipeline_event_epoch(p, &ev, t0 + 6 * day -
	    (int64_t)cfg.future_tolerance_s * 1000 - 1) == -1);
	pipeline_free(p);
}

int
main(void)
{
	struct outlog a = { 0 }, b = { 0 }, c = { 0 };
	struct pipeline *pa, *pb, *pc;
	char id[16], *ja, *jb;
	int i, differ = 0;

	pipeline_global_init();
	test_event_epoch();
	rng_state = 42;
	for (i = 0; i < PEOPLE; i++)
		person(i);
	for (i = 0; i < NPART; i++) {
		qsort(streams[i].msg, (size_t)streams[i].n, sizeof(char *), cmp_time);
		delay_some(&streams[i]);
	}

	pa = feed(0, 0, &a);
	pb = feed(1, 0, &b);
	printf("%d outputs: %d firing alerts, %d plans, %d estimates\n", a.n,
	    count(&a, "\"status\":\"firing\""), count(&a, "\"type\":\"plan\""),
	    count(&a, "retentiond\x1f"));
	CHECK(count(&a, "\"status\":\"firing\"") >= 10);
	CHECK(count(&a, "\"type\":\"plan\"") >= 2);
	CHECK(count(&a, "retentiond\x1f") >= DAYS / 2);
	CHECK(same_per_key(&a, &b));
	/* the model, bit for bit, and every employee's state */
	ja = pipeline_model_json(pa);
	jb = pipeline_model_json(pb);
	CHECK(ja != NULL && jb != NULL && strcmp(ja, jb) == 0);
	CHECK(ja != NULL && strstr(ja, "remote=yes") != NULL);
	free(ja);
	free(jb);
	for (i = 0; i < PEOPLE; i++) {
		snprintf(id, sizeof(id), "E%03d", i);
		ja = pipeline_employee_json(pa, id);
		jb = pipeline_employee_json(pb, id);
		if (!same_json(ja, jb))
			differ++;
		free(ja);
		free(jb);
	}
	CHECK(differ == 0);

	test_round_trip(pa);

	/* without the pause rule the interleaving shows */
	pc = feed(1, 1, &c);
	CHECK(!same_per_key(&a, &c));

	pipeline_free(pa);
	pipeline_free(pb);
	pipeline_free(pc);
	free_log(&a);
	free_log(&b);
	free_log(&c);
	for (i = 0; i < NPART; i++)
		for (int j = 0; j < streams[i].n; j++)
			free(streams[i].msg[j]);
	return check_exit("test_epoch");
}
