/*
 * test_snapshot.c: the pipeline as a checkpoint body (pipeline/snapshot.c,
 * state/record_io.c, the epoch state, the dedup and erased sets), and
 * SipHash-2-4.
 *
 * A company with every event type runs through one pipeline on two
 * partitions; the pipeline is saved, loaded into a fresh one and saved
 * again: the bytes must be identical, and the same further events must
 * then give the same outputs, byte for byte, from both (estimates and
 * alert ids after a restart equal an uninterrupted run's). Every
 * truncation of the body and invalid values are refused and leave the
 * pipeline fresh. SipHash is checked against the test vectors of the
 * SipHash paper (Aumasson and Bernstein, 2012).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/pipeline.h"
#include "../../state/serial.h"
#include "check.h"
#include "sink.h"

#define PART 3

static struct sink *sink;	/* where feed() sends outputs; NULL: nowhere */

static enum pipeline_result
feed(struct pipeline *p, int32_t part, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum pipeline_result
feed(struct pipeline *p, int32_t part, const char *fmt, ...)
{
	static long offset;
	struct message m;
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	memset(&m, 0, sizeof(m));
	m.value = buf;
	m.len = strlen(buf);
	m.topic = "hr.events";
	m.partition = part;
	m.offset = offset++;
	return pipeline_run_all(p, &m, sink_collect, sink);
}

#define EV(type, sub, time, data) "{\"specversion\":\"1.0\",\"id\":\"%d\"," \
	"\"source\":\"t\",\"type\":\"" type "\",\"subject\":\"%s\",\"time\":\"" \
	time "\",\"data\":" data "}"

/* n employees with every kind of event; a reverse order of first sight
 * when rev, so that a second pipeline registers names differently. */
static int hire0_seq;	/* event id of E-000's hire in the last company() */

static void
company(struct pipeline *p, int n, int rev)
{
	static int seq;
	char id[32];

	for (int k = 0; k < n; k++) {
		int i = rev ? n - 1 - k : k;

		snprintf(id, sizeof(id), "E-%03d", i);
		if (i == n - 1)		/* a second partition, and a later one */
			feed(p, PART + 2, EV("hr.employee.hired", "",
			    "2023-12-01T00:00:00Z", "{\"department\":\"X\",\"job_level\":2,"
			    "\"salary\":50000}"),
			    seq++, "F-1");
		if (i == 0)
			hire0_seq = seq;
		feed(p, PART, EV("hr.employee.hired", "", "2024-01-%02dT00:00:00Z",
		    "{\"department\":\"D%d\",\"job_level\":%d,\"salary\":%d,"
		    "\"manager_id\":\"M%d\",\"attributes\":{\"gender\":\"%s\","
		    "\"age\":%d,\"overtime\":%d,\"site\":\"S%d\"}}"),
		    seq++, id, 1 + i % 28, i % 4, 1 + i % 5, 40000 + 100 * i, i % 7,
		    i % 2 ? "f" : "m", 25 + i % 30, i % 11, i % 3);
		feed(p, PART, EV("hr.survey.submitted", "", "2024-03-01T00:00:00Z",
		    "{\"satisfaction\":%d,\"engagement\":50}"), seq++, id, 10 + i % 80);
		feed(p, PART, EV("hr.review.completed", "", "2024-04-01T00:00:00Z",
		    "{\"rating\":%d,\"potential\":2}"), seq++, id, 1 + i % 5);
		feed(p, PART, EV("hr.compensation.changed", "", "2024-05-01T00:00:00Z",
		    "{\"kind\":\"raise\",\"amount\":%d}"), seq++, id, 1000 + i);
		feed(p, PART, EV("hr.training.completed", "", "2024-05-02T00:00:00Z",
		    "{\"hours\":%d,\"assessment\":60}"), seq++, id, 4 + i % 9);
		feed(p, PART, EV("hr.care.provided", "", "2024-05-03T00:00:00Z",
		    "{\"kind\":\"mentoring\"}"), seq++, id);
		feed(p, PART, EV("hr.manager.changed", "", "2024-05-04T00:00:00Z",
		    "{\"manager_id\":\"M%d\"}"), seq++, id, 9 + i % 3);
		if (i % 6 == 0)
			feed(p, PART, EV("hr.employee.exited", "", "2024-06-01T00:00:00Z",
			    "{\"voluntary\":true}"), seq++, id);
	}
	/* a provisional record, a late event, an erasure */
	feed(p, PART, EV("hr.survey.submitted", "", "2024-07-01T00:00:00Z",
	    "{\"satisfaction\":40}"), seq++, "P-1");
	feed(p, PART, EV("hr.review.completed", "", "2024-02-01T00:00:00Z",
	    "{\"rating\":3}"), seq++, "E-001");
	feed(p, PART, EV("hr.employee.erased", "", "2024-07-02T00:00:00Z", "{}"),
	    seq++, "E-002");
}

static struct pipeline *
fresh_with(int epoch_hours, int key)
{
	struct pipeline_config cfg;
	char err[256];

	pipeline_config_defaults(&cfg);
	if (epoch_hours > 0)
		cfg.epoch_hours = epoch_hours;
	cfg.dedup_capacity = 4096;
	memset(cfg.erasure_key, key, sizeof(cfg.erasure_key));
	return pipeline_new(&cfg, err, sizeof(err));
}

static struct pipeline *
fresh(void)
{
	return fresh_with(0, 7);
}

static int
same(const struct wbuf *a, const struct wbuf *b)
{
	return !a->failed && !b->failed && a->len == b->len &&
	    memcmp(a->p, b->p, a->len) == 0;
}

/* The same further events, with outputs into k. */
static void
more(struct pipeline *p, struct sink *k)
{
	sink = k;
	feed(p, PART, EV("hr.survey.submitted", "", "2024-09-01T00:00:00Z",
	    "{\"satisfaction\":5}"), 500000, "E-010");
	feed(p, PART, EV("hr.employee.exited", "", "2024-10-01T00:00:00Z",
	    "{\"voluntary\":true}"), 500001, "E-011");
	feed(p, PART + 2, EV("hr.survey.submitted", "", "2024-11-01T00:00:00Z",
	    "{\"satisfaction\":9}"), 500002, "F-1");
	CHECK(pipeline_finish(p, sink_collect, k) == 0);
	sink = NULL;
}

static void
test_round_trip(void)
{
	struct pipeline		*p = fresh(), *q = fresh();
	struct pipeline_stats	 sp, sq;
	struct shard_info	 info;
	struct sink		 kp = { 0, 0 }, kq = { 0, 0 };
	struct wbuf		 a, b;
	char			 err[256];

	CHECK(p != NULL && q != NULL);
	if (p == NULL || q == NULL)
		return;
	company(p, 120, 0);
	wbuf_init(&a);
	wbuf_init(&b);
	CHECK(pipeline_snapshot_save(p, &a) == 0);
	CHECK(pipeline_snapshot_load(q, a.p, a.len, err, sizeof(err)) == 0);
	CHECK(pipeline_snapshot_save(q, &b) == 0);
	CHECK(same(&a, &b));
	CHECK(pipeline_epoch(p) == pipeline_epoch(q) && pipeline_epoch(q) > 0);

	pipeline_stats(p, &sp);
	pipeline_stats(q, &sq);
	CHECK(sp.employees == sq.employees && sp.employees == 121);
	CHECK(sp.employees_active == sq.employees_active);
	CHECK(sp.alerts_open == sq.alerts_open);
	CHECK(pipeline_shard_info(q, PART, &info) == 0);
	CHECK_STR(info.topic, "hr.events");
	CHECK(info.erased == 1 && info.employees == 120);
	CHECK(pipeline_shard_next(q, -1) == PART && pipeline_shard_next(q, PART) ==
	    PART + 2 && pipeline_shard_next(q, PART + 2) == -1);
	{
		char *js = pipeline_snapshot_json(q);

		CHECK(js != NULL && strstr(js, "\"E-119\"") != NULL &&
		    strstr(js, "\"site=s1\"") != NULL);
		free(js);
	}
	/* a pipeline that is not fresh is refused */
	CHECK(pipeline_snapshot_load(q, a.p, a.len, err, sizeof(err)) == -1);
	/* the same events from here on: the same outputs, byte for byte */
	more(p, &kp);
	more(q, &kq);
	CHECK(kp.n > 0 && kp.n == kq.n && kp.hash == kq.hash);

	/* the dedup window came along; the erasure sticks */
	CHECK(feed(q, PART, EV("hr.employee.hired", "", "2024-01-01T00:00:00Z",
	    "{\"department\":\"D1\",\"job_level\":1,\"salary\":1}"), hire0_seq, "E-000") ==
	    PIPE_DUPLICATE);
	CHECK(feed(q, PART, EV("hr.survey.submitted", "", "2024-08-01T00:00:00Z",
	    "{\"satisfaction\":40}"), 999999, "E-002") == PIPE_ERASED);
	pipeline_stats(q, &sq);
	CHECK(sq.erased_dropped == 1);
	CHECK(strstr(err, "E-") == NULL);
	wbuf_free(&a);
	wbuf_free(&b);
	pipeline_free(p);
	pipeline_free(q);
}

/* Skips sections of r until tag; then r reads that section's contents. */
static int
enter(struct rbuf *r, uint32_t tag)
{
	while (!r->failed && rbuf_left(r) > 0) {
		uint32_t t = rbuf_u32(r), len = rbuf_u32(r);
		const void *p = rbuf_take(r, len);

		if (t == tag) {
			rbuf_init(r, p, len);
			return 0;
		}
	}
	return -1;
}

#define TAG4(s) ((uint32_t)(s)[0] | (uint32_t)(s)[1] << 8 | \
	(uint32_t)(s)[2] << 16 | (uint32_t)(s)[3] << 24)

/* Every prefix of a body, a record with a bad value, and an id twice are
 * refused and leave the pipeline fresh. */
static void
test_refused(void)
{
	struct pipeline	*p = fresh(), *q = fresh();
	struct wbuf	 a, b;
	char		 err[256];
	size_t		 refused = 0, tried = 0, at;

	CHECK(p != NULL && q != NULL);
	if (p == NULL || q == NULL)
		return;
	company(p, 12, 0);
	wbuf_init(&a);
	wbuf_init(&b);
	CHECK(pipeline_snapshot_save(p, &a) == 0);
	/* every prefix of the first 512 bytes and of the last 512, and 1500
	 * spread between (each attempt builds a scratch pipeline; the fuzz
	 * target tries the rest) */
	for (size_t n = 0; n < a.len; n = n < 512 || n + 512 >= a.len ? n + 1 :
	    n + 1 + (a.len - 1024) / 1500) {
		tried++;
		refused += pipeline_snapshot_load(q, a.p, n, err, sizeof(err)) == -1;
	}
	CHECK(tried > 1500 && refused == tried);
	/* an out-of-range job level in the first record (after the slots and
	 * tombstones before it): the u8 after the id, flags, three times and
	 * the department */
	{
		uint8_t *c = malloc(a.len);
		struct rbuf r;
		char s[256];

		CHECK(c != NULL);
		if (c != NULL) {
			memcpy(c, a.p, a.len);
			rbuf_init(&r, c, a.len);
			CHECK(enter(&r, TAG4("SHRD")) == 0 && enter(&r, TAG4("RECS")) == 0);
			(void)rbuf_u64(&r);		/* slots */
			(void)rbuf_u64(&r);		/* slots in use */
			(void)rbuf_u64(&r);		/* the first one's index */
			while (rbuf_u8(&r) != 1 + 1 && !r.failed)	/* a tombstone */
				(void)rbuf_u64(&r);
			rbuf_str(&r, s, sizeof(s));
			(void)rbuf_u8(&r);		/* flags */
			for (int i = 0; i < 3; i++)	/* hired, exit, last event */
				(void)rbuf_u32(&r);
			(void)rbuf_u16(&r);		/* department */
			at = (size_t)((const uint8_t *)r.p + r.pos - c);
			CHECK(!r.failed && c[at] >= 1 && c[at] <= 15);
			c[at] = 16;
			CHECK(pipeline_snapshot_load(q, c, a.len, err,
			    sizeof(err)) == -1);
			CHECK(strstr(err, "record 0") != NULL);
			free(c);
		}
	}
	/* two records with the same id (E-003's id made E-004's): refused
	 * when the restored table is indexed */
	{
		uint8_t *c = malloc(a.len), *id;
		struct rbuf r;

		CHECK(c != NULL);
		if (c != NULL) {
			memcpy(c, a.p, a.len);
			rbuf_init(&r, c, a.len);
			CHECK(enter(&r, TAG4("SHRD")) == 0 && enter(&r, TAG4("RECS")) == 0);
			id = memmem(r.p, r.len, "\x05\0\0\0E-003", 9);
			CHECK(id != NULL && memmem(r.p, r.len, "\x05\0\0\0E-004", 9) != NULL);
			if (id != NULL) {
				id[8] = '4';
				CHECK(pipeline_snapshot_load(q, c, a.len, err,
				    sizeof(err)) == -1);
				CHECK(strstr(err, "an id twice") != NULL);
			}
			free(c);
		}
	}
	CHECK(pipeline_snapshot_load(q, a.p, a.len, err, sizeof(err)) == 0);
	CHECK(pipeline_snapshot_save(q, &b) == 0);
	CHECK(same(&a, &b));
	wbuf_free(&a);
	wbuf_free(&b);
	pipeline_free(p);
	pipeline_free(q);
}

static void
test_siphash(void)
{
	/* key 00..0f; messages 00, 00 01, ... (the paper's appendix and the
	 * reference implementation's vectors) */
	static const uint64_t want[] = {
		0x726fdb47dd0e0e31ULL,	/* empty */
		0x74f839c593dc67fdULL,	/* 00 */
	};
	uint8_t key[16], msg[64];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	CHECK(siphash24(key, msg, 0) == want[0]);
	CHECK(siphash24(key, msg, 1) == want[1]);
	CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* *old: a body as files before the settings were recorded have it: no
 * CNFG at the end of EPCH (its last 20 bytes), the epoch state's magic
 * one less and without the fit's flags byte (just before CNFG). */
static void
old_format(const struct wbuf *a, struct wbuf *old)
{
	uint32_t elen = get_u32(a->p + 4);
	size_t cut = 8 + elen - 21;	/* the flags byte, then CNFG */

	wbuf_init(old);
	CHECK(a->len > 8 + elen && elen > 21 && get_u32(a->p) == get_u32(
	    (const uint8_t *)"EPCH") && memcmp(a->p + cut + 1, "CNFG", 4) == 0 &&
	    a->p[cut] == 0);
	wbuf_bytes(old, a->p, cut);
	wbuf_bytes(old, a->p + cut + 21, a->len - cut - 21);
	if (old->failed)
		return;
	put_u32(old->p + 4, elen - 21);
	put_u32(old->p + 16, get_u32(old->p + 16) - 1);
}

/* A body or an image made under another [model] epoch_hours is refused
 * as such (PIPELINE_LOAD_CONFIG, both values named), leaving the
 * pipeline fresh, and so is a body (not an image) made under another
 * erasure key; a body from before the setting was recorded is read as
 * made under the default (24): loaded under it, to the same bytes saved
 * again, and refused under another. */
static void
test_settings(void)
{
	struct pipeline	*p = fresh(), *q = fresh_with(1, 7), *o = fresh(),
			*h2 = fresh_with(2, 7);
	struct wbuf	 a, b, old, img;
	char		 err[256];

	CHECK(p != NULL && q != NULL && o != NULL && h2 != NULL);
	if (p == NULL || q == NULL || o == NULL || h2 == NULL)
		return;
	company(p, 20, 0);
	wbuf_init(&a);
	wbuf_init(&b);
	wbuf_init(&img);
	CHECK(pipeline_snapshot_save(p, &a) == 0);
	CHECK(pipeline_image_epoch_hours(a.p, a.len) == 24);
	CHECK(pipeline_snapshot_load(q, a.p, a.len, err, sizeof(err)) ==
	    PIPELINE_LOAD_CONFIG);
	CHECK(strstr(err, "epoch_hours = 24,") != NULL &&
	    strstr(err, "configured 1") != NULL && strstr(err, "not recorded") == NULL);
	CHECK(pipeline_epoch(q) == -1 && pipeline_shard_next(q, -1) == -1);
	CHECK(pipeline_shard_image(p, PART, &img) == 0);
	CHECK(pipeline_shard_restore(q, PART, img.p, img.len, err, sizeof(err)) ==
	    PIPELINE_LOAD_CONFIG);
	CHECK(strstr(err, "configured 1") != NULL);
	CHECK(pipeline_epoch(q) == -1 && pipeline_shard_next(q, -1) == -1);
	pipeline_free(q);
	q = fresh_with(0, 8);	/* another erasure key */
	CHECK(q != NULL && pipeline_snapshot_load(q, a.p, a.len, err, sizeof(err)) ==
	    PIPELINE_LOAD_CONFIG && strstr(err, "another erasure key") != NULL);
	pipeline_free(q);
	/* an image from another instance is not checked: keys are generated
	 * per state directory unless the key file is shared */
	q = fresh_with(0, 8);
	CHECK(q != NULL && pipeline_shard_restore(q, PART, img.p, img.len, err,
	    sizeof(err)) == 0);

	old_format(&a, &old);
	CHECK(pipeline_image_epoch_hours(old.p, old.len) == 24);
	CHECK(pipeline_snapshot_load(o, old.p, old.len, err, sizeof(err)) == 0);
	CHECK(pipeline_snapshot_save(o, &b) == 0);
	CHECK(same(&a, &b));
	CHECK(pipeline_snapshot_load(h2, old.p, old.len, err, sizeof(err)) ==
	    PIPELINE_LOAD_CONFIG);
	CHECK(strstr(err, "epoch_hours = 24 (not recorded") != NULL &&
	    strstr(err, "configured 2") != NULL);
	wbuf_free(&a);
	wbuf_free(&b);
	wbuf_free(&old);
	wbuf_free(&img);
	pipeline_free(p);
	pipeline_free(q);
	pipeline_free(o);
	pipeline_free(h2);
}

int
main(void)
{
	pipeline_global_init();
	test_siphash();
	test_round_trip();
	test_refused();
	test_settings();
	return check_exit("test_snapshot");
}
