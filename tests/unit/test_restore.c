/*
 * test_restore.c: a checkpoint restore (pipeline/snapshot.c, state/table.c's
 * restore, state/dedup.c's dedup_load(), state/timerq.c's timerq_restore())
 * gives back the state that was saved, shard by shard, in every respect an
 * output can depend on.
 *
 * A company on four partitions (one with more records than a slab of the
 * table, 1024, and a last slab part full) runs into states of every kind:
 * leavers, open alert episodes (a low threshold), erased employees whose
 * indices are free or taken again by later hires, a provisional record,
 * rescoring timers due within a day and a month ahead, and dedup windows
 * full (evicting) and part full. Then:
 *
 *   - save, restore, save, restore, save: the same bytes each time;
 *   - every index of every table holds the same record, field by field
 *     (pointers aside), or is free in both;
 *   - the census the restore takes as records load (leavers, open
 *     episodes: shard_count_in_census()) equals a walk of the restored
 *     records (shard_census(), what the restore did before) and the
 *     running pipeline's counts;
 *   - the timers pop in the same order at the same minutes from the
 *     restored heap (heapified), the running pipeline's heap (lazy keys)
 *     and a heap built by one timerq_set() per record;
 *   - each dedup window answers the same traffic as the running one; one
 *     restored into a smaller window holds what a window of that size fed
 *     the same pairs one by one holds, and answers alike;
 *   - the same further events (duplicates, hires into the free indices,
 *     an erasure, timers firing a month on) give the same outputs and the
 *     same checkpoint from the running and the restored pipeline;
 *   - a restore refused halfway (a record invalid in the second slab, a
 *     CRC wrong after the whole body loaded, so the scratch pipeline had
 *     counted its census) leaves the pipeline fresh, and the next good
 *     restore counts everything once; the same through checkpoint files
 *     (the newest corrupt, the previous one used);
 *   - a partition's image restored alone counts its shard's census.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../daemon/daemon.h"
#include "../../pipeline/pipeline.h"
#include "../../pipeline/pipeline_int.h"
#include "../../state/serial.h"
#include "check.h"
#include "sink.h"

#define NPARTS	4
#define N0	1300		/* partition 0's employees: two slabs */
#define NX	70		/* each other partition's */
#define NE	(N0 + (NPARTS - 1) * NX)
#define WINDOW	3000		/* dedup pairs per shard */
#define SMALL	1000		/* the smaller window restored into */
#define TOPIC	"hr.events"

static const int32_t parts[NPARTS] = { 0, 1, 2, 5 };

/* The event ids each partition's dedup window took in, in order (the
 * build's; both builds are the same). */
static int	*taken[NPARTS];
static size_t	 ntaken[NPARTS];

/* What the restored pipelines showed (census, timer pops, dedup answers,
 * outputs, checkpoints), hashed in the order the checks read it: printed,
 * so that two builds of the restore (before and after a change to it)
 * can be compared on the same company. */
static uint64_t digest = 0xcbf29ce484222325ULL;

static void
mix(const void *p, size_t n)
{
	digest = table_hash_bytes(digest, p, n);
}

static void
mix_u64(uint64_t v)
{
	mix(&v, sizeof(v));
}

static int
part_index(int32_t part)
{
	for (int i = 0; i < NPARTS; i++)
		if (parts[i] == part)
			return i;
	return -1;
}

static int64_t offset;	/* the next message's; build() starts at 0 */

static enum pipeline_result
feed(struct pipeline *p, int32_t part, int id, const char *type, const char *sub,
    const char *when, const char *data, struct sink *k)
{
	enum pipeline_result rc;
	struct message m;
	char buf[1024];
	int pi = part_index(part);

	snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\",\"id\":\"%d\","
	    "\"source\":\"t\",\"type\":\"%s\",\"subject\":\"%s\",\"time\":\"%s\","
	    "\"data\":%s}", id, type, sub, when, data);
	memset(&m, 0, sizeof(m));
	m.value = buf;
	m.len = strlen(buf);
	m.topic = TOPIC;
	m.partition = part;
	m.offset = offset++;
	rc = pipeline_run_all(p, &m, sink_collect, k);
	if (rc == PIPE_OK && k == NULL && pi >= 0) {
		int *v = realloc(taken[pi], (ntaken[pi] + 1) * sizeof(*v));

		if (v != NULL) {
			taken[pi] = v;
			v[ntaken[pi]++] = id;
		}
	}
	return rc;
}

static int32_t
part_of(int k)
{
	return k < N0 ? parts[0] : parts[1 + (k - N0) / NX];
}

/* The pipeline of the tests: alerts open easily (no warm-up, no
 * confidence margin), a dedup window that partition 0 overflows. */
static struct pipeline *
fresh_with(size_t window)
{
	struct pipeline_config cfg;
	char err[256];

	pipeline_config_defaults(&cfg);
	cfg.dedup_capacity = window;
	cfg.threshold = 0.85;
	cfg.clear_threshold = 0.8;
	cfg.warmup_max_se = 0;
	cfg.confidence_z = 0;
	memset(cfg.erasure_key, 5, sizeof(cfg.erasure_key));
	return pipeline_new(&cfg, err, sizeof(err));
}

/* One phase of the company: for each day of month (1..28), every
 * employee k with k % 28 == day - 1 and want(k), in event time order. */
static void
phase(struct pipeline *p, int *seq, int month, int day0, int days,
    int (*want)(int), const char *type, const char *(*data)(int, char *, size_t),
    const char *prefix)
{
	char when[32], sub[32], buf[512];

	for (int d = day0; d < day0 + days; d++) {
		snprintf(when, sizeof(when), "2024-%02d-%02dT09:00:00Z", month, d);
		for (int k = (d - day0) % days; k < NE; k += days) {
			if (want != NULL && !want(k))
				continue;
			snprintf(sub, sizeof(sub), "%s-%04d", prefix, k);
			(void)feed(p, part_of(k), (*seq)++, type, sub, when,
			    data(k, buf, sizeof(buf)), NULL);
		}
	}
}

static const char *
d_hire(int k, char *b, size_t n)
{
	snprintf(b, n, "{\"department\":\"D%d\",\"job_level\":%d,\"salary\":%d,"
	    "\"manager_id\":\"M%d\",\"attributes\":{\"gender\":\"%s\",\"age\":%d,"
	    "\"site\":\"S%d\",\"overtime\":%d}}", k % 5, 1 + k % 4, 40000 + 37 * k,
	    k % 9, k % 2 ? "f" : "m", 22 + k % 40, k % 3, k % 13);
	return b;
}

static const char *
d_survey(int k, char *b, size_t n)
{
	snprintf(b, n, "{\"satisfaction\":%d,\"engagement\":%d}",
	    k % 5 == 0 ? 4 : 40 + k % 55, k % 5 == 0 ? 10 : 60);
	return b;
}

static const char *
d_review(int k, char *b, size_t n)
{
	snprintf(b, n, "{\"rating\":%d,\"potential\":%d}", k % 5 == 0 ? 1 : 3 + k % 2,
	    1 + k % 3);
	return b;
}

static const char *
d_exit(int k, char *b, size_t n)
{
	snprintf(b, n, "{\"voluntary\":%s}", k % 2 ? "true" : "false");
	return b;
}

static const char *
d_empty(int k, char *b, size_t n)
{
	(void)k;
	snprintf(b, n, "{}");
	return b;
}

static int w_exit(int k) { return k % 7 == 3; }
static int w_erase(int k) { return k % 11 == 4; }
static int w_rehire(int k) { return k % 22 == 4; }
static int w_survey(int k) { return k % 3 == 0; }
static int w_erase2(int k) { return k % 17 == 8 && k % 11 != 4; }

/* The company, the same every time it is built. */
static struct pipeline *
build(size_t window)
{
	struct pipeline *p = fresh_with(window);
	int seq = 1;

	offset = 0;
	for (int i = 0; i < NPARTS; i++)
		ntaken[i] = 0;
	if (p == NULL)
		return NULL;
	phase(p, &seq, 1, 1, 28, NULL, "hr.employee.hired", d_hire, "E");
	phase(p, &seq, 2, 1, 28, NULL, "hr.survey.submitted", d_survey, "E");
	phase(p, &seq, 3, 1, 28, NULL, "hr.review.completed", d_review, "E");
	phase(p, &seq, 4, 1, 28, w_exit, "hr.employee.exited", d_exit, "E");
	/* erasures, then hires that take the freed indices (fewer of them:
	 * some stay free) */
	phase(p, &seq, 5, 1, 14, w_erase, "hr.employee.erased", d_empty, "E");
	phase(p, &seq, 5, 15, 14, w_rehire, "hr.employee.hired", d_hire, "N");
	phase(p, &seq, 6, 1, 18, w_survey, "hr.survey.submitted", d_survey, "E");
	/* later erasures: their indices free at the save */
	phase(p, &seq, 6, 19, 9, w_erase2, "hr.employee.erased", d_empty, "E");
	for (int i = 0; i < NPARTS; i++) {	/* a provisional record each */
		char sub[16];

		snprintf(sub, sizeof(sub), "P-%d", i);
		(void)feed(p, parts[i], seq++, "hr.survey.submitted", sub,
		    "2024-06-28T10:00:00Z", "{\"satisfaction\":30}", NULL);
	}
	return p;
}

static struct pipeline *
restored(const struct wbuf *w, size_t window)
{
	struct pipeline *q = fresh_with(window);
	char err[256];

	if (q != NULL && pipeline_snapshot_load(q, w->p, w->len, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "restore: %s\n", err);
		pipeline_free(q);
		return NULL;
	}
	return q;
}

static int
save(const struct pipeline *p, struct wbuf *w)
{
	wbuf_init(w);
	return pipeline_snapshot_save(p, w);
}

static int
same(const struct wbuf *a, const struct wbuf *b)
{
	return !a->failed && !b->failed && a->len == b->len &&
	    memcmp(a->p, b->p, a->len) == 0;
}

/* 1 when the records are the same field by field: their ids' and
 * arrays' contents, not their addresses; the heap position is the
 * queue's business. */
static int
same_record(const struct employee *a, const struct employee *b)
{
	struct employee x, y;

	if (strcmp(a->id, b->id) != 0 || a->attr_ext != b->attr_ext)
		return 0;
	for (int s = 0; s < ATTR_FEATURES_MAX; s++) {
		double u = emp_attr_get(a, s), v = emp_attr_get(b, s);

		if (isnan(u) != isnan(v) || (!isnan(u) && u != v))
			return 0;
	}
	for (int k = 0; k < PROTECTED_MAX; k++)
		if (emp_prot_level(a, k) != emp_prot_level(b, k) ||
		    emp_prot_counted(a, k) != emp_prot_counted(b, k))
			return 0;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	x.id = y.id = NULL;
	x.timer_pos = y.timer_pos = 0;
	if (a->attr_ext & EMP_EXT_ATTR) {
		memset(&x.attr_val, 0, sizeof(x.attr_val));
		memset(&y.attr_val, 0, sizeof(y.attr_val));
	}
	if (a->attr_ext & EMP_EXT_PROT) {
		memset(&x.prot, 0, sizeof(x.prot));
		memset(&y.prot, 0, sizeof(y.prot));
	}
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* Every index of every shard's table: the same kind, the same record. */
static void
same_tables(const struct pipeline *p, const struct pipeline *q, int *slabs2)
{
	size_t differ = 0, free_slots = 0;

	for (int i = 0; i < NPARTS; i++) {
		const struct table *a = p->shards[parts[i]]->table,
		    *b = q->shards[parts[i]]->table;
		const struct employee *x, *y;

		CHECK(table_slots(a) == table_slots(b) && table_count(a) == table_count(b));
		for (size_t s = 0; s < table_slots(a); s++) {
			int ka = table_slot(a, s, &x), kb = table_slot(b, s, &y);

			free_slots += ka == TABLE_SLOT_TOMB;
			differ += ka != kb || (ka == TABLE_SLOT_LIVE && !same_record(x, y));
		}
	}
	CHECK(differ == 0);
	CHECK(free_slots > 0);
	*slabs2 = table_slots(p->shards[0]->table) > 1024 &&
	    table_slots(p->shards[0]->table) % 1024 != 0;
}

/* The census: the restore's own count, a walk of the records, the
 * running pipeline's. */
static void
same_census(struct pipeline *p, struct pipeline *q)
{
	struct pipeline_stats sp, sq;
	uint64_t ex = 0, fi = 0, e1, f1, e2, f2;

	for (int i = 0; i < NPARTS; i++) {
		shard_census(p->shards[parts[i]], &e1, &f1);
		shard_census(q->shards[parts[i]], &e2, &f2);
		CHECK(e1 == e2 && f1 == f2);
		mix_u64(e2);
		mix_u64(f2);
		ex += e2;
		fi += f2;
	}
	CHECK(ex > 0 && fi > 0);	/* leavers and open episodes both */
	CHECK(q->exited == ex && q->stats.alerts_open == fi);
	CHECK(p->exited == ex && p->stats.alerts_open == fi);
	CHECK(q->nemployees == p->nemployees && q->clock_ms == p->clock_ms);
	pipeline_stats(p, &sp);
	pipeline_stats(q, &sq);
	CHECK(sp.employees == sq.employees && sp.employees_active == sq.employees_active &&
	    sp.alerts_open == sq.alerts_open && sp.clock_ms == sq.clock_ms);
}

/* Pops every timer of the shard: ids and minutes in pop order, hashed;
 * *near and *far count those due within a day and a week or more after
 * the shard's clock. */
static uint64_t
pop_all(struct shard *sh, size_t *n, size_t *near, size_t *far)
{
	struct employee *e;
	int64_t due;
	uint64_t h = 0xcbf29ce484222325ULL;

	*n = *near = *far = 0;
	while ((e = timerq_pop(sh->timers, INT64_MAX / 2, &due)) != NULL) {
		(*n)++;
		*near += due <= sh->clock_ms + 86400000LL;
		*far += due >= sh->clock_ms + 7 * 86400000LL;
		h = table_hash_bytes(h, e->id, strlen(e->id) + 1);
		h = table_hash_bytes(h, &due, sizeof(due));
	}
	return h;
}

/* The timers of t's shards put back one timerq_set() at a time, in
 * table order, instead of heapified. */
static void
requeue_one_by_one(struct pipeline *t)
{
	for (int i = 0; i < NPARTS; i++) {
		struct shard *sh = t->shards[parts[i]];
		struct timerq *q = timerq_new(sh->table);
		struct employee *e;
		size_t it = 0;

		CHECK(q != NULL);
		if (q == NULL)
			return;
		while ((e = table_next(sh->table, &it)) != NULL) {
			uint32_t due = e->due_min;

			e->timer_pos = 0;
			if (due != 0)
				CHECK(timerq_set(q, e, (int64_t)due * 60000) == 0);
		}
		timerq_free(sh->timers);
		sh->timers = q;
	}
}

/* The same pops from the running pipeline p, the restored r and t's
 * heap of timerq_set()s. */
static void
same_timers(struct pipeline *p, struct pipeline *r, struct pipeline *t)
{
	size_t n1, n2, n3, near, far, x, y, all_near = 0, all_far = 0;

	requeue_one_by_one(t);
	for (int i = 0; i < NPARTS; i++) {
		struct shard *a = p->shards[parts[i]], *b = r->shards[parts[i]],
		    *c = t->shards[parts[i]];
		uint64_t h1, h2, h3;

		CHECK(timerq_count(a->timers) == timerq_count(b->timers));
		CHECK(timerq_next_ms(a->timers) == timerq_next_ms(b->timers));
		h1 = pop_all(a, &n1, &near, &far);
		h2 = pop_all(b, &n2, &x, &y);
		h3 = pop_all(c, &n3, &x, &y);
		CHECK(n1 > 0 && n1 == n2 && n2 == n3 && h1 == h2 && h2 == h3);
		mix_u64(n2);
		mix_u64(h2);
		all_near += near;
		all_far += far;
	}
	CHECK(all_near > 0 && all_far > 0);
}

/* Event ids of the shard's window and around it, in a scrambled order,
 * sent to both windows: the same answers. Returns how many were
 * repeats, to show the traffic met the window. */
static size_t
same_answers(struct dedup *a, struct dedup *b, int pi)
{
	size_t n = ntaken[pi], hits = 0, differ = 0;
	char id[16];

	for (size_t j = 0; j < 3 * n; j++) {
		int v = taken[pi][(j * 7919) % n] + (j % 3 == 2 ? 1000000 : 0);
		int x, y;

		snprintf(id, sizeof(id), "%d", v);
		x = dedup_check(a, "t", id);
		y = dedup_check(b, "t", id);
		differ += x != y;
		hits += x;
		mix_u64((uint64_t)y);
	}
	CHECK(differ == 0);
	return hits;
}

static void
same_windows(struct pipeline *p, struct pipeline *r, const struct wbuf *body)
{
	struct pipeline *u = restored(body, SMALL);
	struct dedup *ref = dedup_new(SMALL);
	struct wbuf x, y;
	char id[16];

	CHECK(ntaken[0] > WINDOW && ntaken[1] < SMALL);	/* full and not */
	for (int i = 0; i < NPARTS; i++)
		CHECK(same_answers(p->shards[parts[i]]->dedup,
		    r->shards[parts[i]]->dedup, i) > 0);
	/* into a smaller window: what one of that size fed the same pairs
	 * one by one holds */
	CHECK(u != NULL && ref != NULL);
	if (u == NULL || ref == NULL)
		goto out;
	for (size_t j = 0; j < ntaken[0]; j++) {
		snprintf(id, sizeof(id), "%d", taken[0][j]);
		CHECK(dedup_check(ref, "t", id) == 0);
	}
	wbuf_init(&x);
	wbuf_init(&y);
	dedup_save(ref, &x);
	dedup_save(u->shards[0]->dedup, &y);
	CHECK(same(&x, &y));
	wbuf_free(&x);
	wbuf_free(&y);
	CHECK(same_answers(ref, u->shards[0]->dedup, 0) > 0);
out:
	dedup_free(ref);
	pipeline_free(u);
}

/* One message into p and into q, at the same offset; 1 when their
 * results differ. */
static int
both(struct pipeline *p, struct pipeline *q, int32_t part, int id, const char *type,
    const char *sub, const char *when, const char *data, struct sink *kp,
    struct sink *kq, enum pipeline_result *rc)
{
	int64_t at = offset;
	enum pipeline_result rp = feed(p, part, id, type, sub, when, data, kp), rq;

	offset = at;
	rq = feed(q, part, id, type, sub, when, data, kq);
	*rc = rp;
	return rp != rq;
}

/* The same further events into p and q: the same results and outputs,
 * and the same checkpoint after. */
static void
same_future(struct pipeline *p, struct pipeline *q)
{
	struct sink kp = { 0, 0 }, kq = { 0, 0 };
	struct wbuf a, b;
	enum pipeline_result rc;
	char sub[32], buf[512];
	int differ = 0, dup = 0, ok = 0, seq = 900000;

	for (int k = 0; k < NE; k += 5) {	/* ids of the window and older */
		int pi = part_index(part_of(k));
		int id = taken[pi][ntaken[pi] - 1 - (size_t)k * 7 % ntaken[pi]];

		snprintf(sub, sizeof(sub), "E-%04d", k);
		differ += both(p, q, part_of(k), id, "hr.survey.submitted", sub,
		    "2024-06-29T08:00:00Z", "{\"satisfaction\":3}", &kp, &kq, &rc);
		dup += rc == PIPE_DUPLICATE;
		ok += rc == PIPE_OK;
	}
	for (int k = 0; k < NE; k += 3) {	/* hires into the free indices */
		snprintf(sub, sizeof(sub), "H-%04d", k);
		differ += both(p, q, part_of(k), seq++, "hr.employee.hired", sub,
		    "2024-06-29T09:00:00Z", d_hire(k, buf, sizeof(buf)), &kp, &kq, &rc);
		differ += rc != PIPE_OK;
	}
	for (int i = 0; i < NPARTS; i++) {	/* an erasure; a month on */
		snprintf(sub, sizeof(sub), "E-%04d", i == 0 ? 6 : N0 + (i - 1) * NX + 6);
		differ += both(p, q, parts[i], seq++, "hr.employee.erased", sub,
		    "2024-07-01T00:00:00Z", "{}", &kp, &kq, &rc);
		differ += rc != PIPE_OK;
		differ += both(p, q, parts[i], seq++, "hr.survey.submitted", "P-9",
		    "2024-08-15T00:00:00Z", "{\"satisfaction\":50}", &kp, &kq, &rc);
		differ += rc != PIPE_OK;
	}
	CHECK(pipeline_finish(p, sink_collect, &kp) == 0 && pipeline_finish(q, sink_collect, &kq) == 0);
	CHECK(differ == 0 && dup > 0 && ok > 0);
	CHECK(kp.n > 0 && kp.n == kq.n && kp.hash == kq.hash);
	CHECK(save(p, &a) == 0 && save(q, &b) == 0 && same(&a, &b));
	mix_u64(kq.n);
	mix_u64(kq.hash);
	mix(b.p, b.len);
	wbuf_free(&a);
	wbuf_free(&b);
}

/* A record of the second slab with an invalid job level (16): the byte
 * after its id, flags, three u32 times and the u16 department. */
static int
spoil_second_slab(const struct pipeline *p, uint8_t *body, size_t len)
{
	const struct table *t = p->shards[0]->table;
	const struct employee *e = NULL;
	char pat[64];
	uint8_t *at;
	size_t s, n;

	for (s = table_slots(t); s-- > 1100;)
		if (table_slot(t, s, &e) == TABLE_SLOT_LIVE)
			break;
	if (e == NULL || s <= 1024)
		return -1;
	n = strlen(e->id);
	pat[0] = (char)n;
	pat[1] = pat[2] = pat[3] = 0;
	memcpy(pat + 4, e->id, n);
	if ((at = memmem(body, len, pat, 4 + n)) == NULL)
		return -1;
	at += 4 + n + 1 + 12 + 2;
	if (*at < 1 || *at > 15)
		return -1;
	*at = 16;
	return 0;
}

/* Flips a byte of the file at at; 0 or -1. */
static int
flip(const char *path, off_t at)
{
	uint8_t b;
	int fd = open(path, O_RDWR), rc = -1;

	if (fd == -1)
		return -1;
	if (pread(fd, &b, 1, at) == 1) {
		b ^= 0x10;
		rc = pwrite(fd, &b, 1, at) == 1 ? 0 : -1;
	}
	close(fd);
	return rc;
}

/* Refused restores, then a good one: counted once. */
static void
crash_restores(struct pipeline *p, const struct wbuf *body, const char *dir)
{
	struct pipeline *x = fresh_with(WINDOW), *y;
	struct wbuf w, img;
	uint8_t *bad = malloc(body->len);
	char err[256], path[600];
	struct stat st;

	CHECK(x != NULL && bad != NULL);
	if (x == NULL || bad == NULL)
		goto out;
	memcpy(bad, body->p, body->len);
	CHECK(spoil_second_slab(p, bad, body->len) == 0);
	CHECK(pipeline_snapshot_load(x, bad, body->len, err, sizeof(err)) == -1);
	CHECK(strstr(err, "record") != NULL);
	CHECK(x->nshards == 0 && x->exited == 0 && x->nemployees == 0 &&
	    x->stats.alerts_open == 0);
	CHECK(pipeline_snapshot_load(x, body->p, body->len, err, sizeof(err)) == 0);
	same_census(p, x);
	CHECK(save(x, &w) == 0 && same(&w, body));
	wbuf_free(&w);
	pipeline_free(x);

	/* files: the newest with a wrong CRC (its body loads whole) */
	CHECK(checkpoint_save(p, dir, TOPIC, 0, err, sizeof(err)) == 0);
	CHECK(checkpoint_save(p, dir, TOPIC, 0, err, sizeof(err)) == 0);
	snprintf(path, sizeof(path), "%s/checkpoints/%s.ckpt", dir, TOPIC);
	CHECK(stat(path, &st) == 0 && flip(path, (off_t)st.st_size - 1) == 0);
	x = fresh_with(WINDOW);
	CHECK(x != NULL && checkpoint_restore(x, dir, TOPIC) == 1);
	if (x != NULL) {
		same_census(p, x);
		CHECK(save(x, &w) == 0 && same(&w, body));
		wbuf_free(&w);
	}
	pipeline_free(x);

	/* one partition's image, alone */
	y = fresh_with(WINDOW);
	wbuf_init(&img);
	CHECK(y != NULL && pipeline_shard_image(p, 0, &img) == 0);
	CHECK(y != NULL && pipeline_shard_restore(y, 0, img.p, img.len, err,
	    sizeof(err)) == 0);
	if (y != NULL && y->shards[0] != NULL) {
		uint64_t e1, f1;

		shard_census(p->shards[0], &e1, &f1);
		CHECK(y->exited == e1 && y->stats.alerts_open == f1 && e1 > 0 &&
		    y->nemployees == table_count(p->shards[0]->table));
	}
	wbuf_free(&img);
	pipeline_free(y);
out:
	free(bad);
}

int
main(void)
{
	struct pipeline *p, *p2, *q, *r, *t;
	struct wbuf a, b, c;
	char dir[] = "/tmp/test_restore.XXXXXX", cmd[64];
	int slabs2 = 0;

	pipeline_global_init();
	log_init(7, 0);
	CHECK(mkdtemp(dir) != NULL);
	p = build(WINDOW);
	p2 = build(WINDOW);
	CHECK(p != NULL && p2 != NULL);
	if (p == NULL || p2 == NULL)
		return check_exit("test_restore");
	CHECK(save(p, &a) == 0 && save(p2, &b) == 0 && same(&a, &b));	/* one company */
	wbuf_free(&b);
	q = restored(&a, WINDOW);
	CHECK(q != NULL);
	if (q == NULL)
		return check_exit("test_restore");
	CHECK(save(q, &b) == 0 && same(&a, &b));
	mix(b.p, b.len);
	r = restored(&b, WINDOW);
	t = restored(&a, WINDOW);
	CHECK(r != NULL && t != NULL);
	if (r == NULL || t == NULL)
		return check_exit("test_restore");
	CHECK(save(r, &c) == 0 && same(&a, &c));
	for (int i = 0; i < NPARTS; i++)
		CHECK(q->shards[parts[i]] != NULL);
	same_tables(p, q, &slabs2);
	CHECK(slabs2);
	same_census(p, q);
	same_census(p, r);
	crash_restores(p, &a, dir);
	same_future(p, q);
	same_timers(p2, r, t);
	same_windows(p2, r, &a);
	wbuf_free(&a);
	wbuf_free(&b);
	wbuf_free(&c);
	pipeline_free(p);
	pipeline_free(p2);
	pipeline_free(q);
	pipeline_free(r);
	pipeline_free(t);
	for (int i = 0; i < NPARTS; i++)
		free(taken[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	fprintf(stderr, "test_restore: digest of what the restores showed %016llx\n",
	    (unsigned long long)digest);
	return check_exit("test_restore");
}
