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
#include "epoch_input.h"

static enum pipeline_result
run_one(struct pipeline *p, int part, struct outlog *l, int ignore_pause)
{
	struct message m;

	stream_message(part, &m);
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
		if ((nc = streams_offer(cand)) == 0) {
			/* every partition waits at a boundary or ran dry */
			if ((min = streams_boundary()) < 0)
				break;
			CHECK(pipeline_advance(p, min, log_out, l) == 0);
			CHECK(pipeline_epoch(p) == min);
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
