/*
 * test_shard_image.c: one partition's image (pipeline_shard_image(),
 * pipeline_shard_restore()), what a new owner with an empty disk loads
 * from retentiond.checkpoints: the partition's employees come back as
 * they were, alone; a pipeline that already runs takes a second partition;
 * the repartition stream's position travels; a pipeline whose registry
 * grew in another order gets the records with their ids translated by
 * name (state/idmap.c); a pipeline that holds no shard (it lost its
 * partitions) takes a later image's epoch, never an earlier one's, and
 * one that holds a shard keeps its own; every truncation, a flipped
 * byte, an image of another partition and a partition already held are
 * refused whole, leaving the pipeline as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/pipeline.h"
#include "../../state/serial.h"
#include "check.h"

#define EV "{\"specversion\":\"1.0\",\"id\":\"%s-%s\",\"source\":\"t\"," \
	"\"type\":\"%s\",\"subject\":\"%s\",\"time\":\"%s\",\"data\":%s}"
#define HIRE(d) "{\"department\":\"" d "\",\"job_level\":2,\"salary\":50000," \
	"\"attributes\":{\"site\":\"north\",\"gender\":\"f\"}}"

static int
ignore(void *arg, const struct output *o)
{
	(void)arg;
	(void)o;
	return 0;
}

static enum pipeline_result
event(struct pipeline *p, int32_t part, int rerouted, const char *id,
    const char *type, const char *tag, const char *when, const char *data)
{
	static int64_t offset;
	struct message m;
	char buf[1024];

	snprintf(buf, sizeof(buf), EV, tag, id, type, id, when, data);
	memset(&m, 0, sizeof(m));
	m.key = id;
	m.keylen = strlen(id);
	m.value = buf;
	m.len = strlen(buf);
	m.topic = rerouted ? "hr.events.repartition" : "hr.events";
	m.partition = part;
	m.offset = offset++;
	m.rerouted = rerouted;
	return pipeline_run_all(p, &m, ignore, NULL);
}

/* The employee as p serves it; "" when not served. New string. */
static char *
emp(struct pipeline *p, const char *id)
{
	char *js = pipeline_employee_json(p, id);

	return js != NULL ? js : strdup("");
}

static struct pipeline *
fresh(void)
{
	struct pipeline_config	cfg;
	char			err[256];
	struct pipeline		*p;

	pipeline_config_defaults(&cfg);
	if ((p = pipeline_new(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "pipeline_new: %s\n", err);
		exit(1);
	}
	return p;
}

static void
same_employee(struct pipeline *a, struct pipeline *b, const char *id)
{
	char *x = emp(a, id), *y = emp(b, id);

	CHECK(x[0] != '\0');
	CHECK_STR(y, x);
	free(x);
	free(y);
}

/* Every strict prefix and a flipped byte in each section are refused and
 * leave q as it was (no shard of part). */
static void
refusals(const struct wbuf *img, int32_t part)
{
	struct pipeline *q = fresh();
	uint8_t *bad = malloc(img->len);
	char err[256];
	size_t step = img->len / 97 + 1;

	for (size_t n = 0; n < img->len; n += step)
		CHECK(pipeline_shard_restore(q, part, img->p, n, err, sizeof(err)) == -1);
	CHECK(pipeline_shard_next(q, -1) == -1 && pipeline_epoch(q) == -1);
	for (size_t at = 8; at < img->len; at += img->len / 13 + 1) {
		memcpy(bad, img->p, img->len);
		bad[at] ^= 0xff;
		if (pipeline_shard_restore(q, part, bad, img->len, err, sizeof(err)) == 0) {
			/* a flip inside a float may still be a valid image */
			pipeline_shard_drop(q, part);
		}
	}
	CHECK(pipeline_shard_restore(q, part + 1, img->p, img->len, err,
	    sizeof(err)) == -1);
	CHECK(strstr(err, "partition") != NULL);
	free(bad);
	pipeline_free(q);
}

/* A pipeline that lost every partition while the group went on takes the
 * epoch of the images it is given; never an earlier one, and not while
 * it holds a shard. */
static void
epochs(void)
{
	struct pipeline	*ahead = fresh(), *q = fresh(), *late = fresh(), *kept = fresh();
	struct wbuf	 img;
	char		 err[256];

	CHECK(event(ahead, 0, 0, "E1", "hr.employee.hired", "h", "2025-01-02T00:00:00Z",
	    HIRE("Ops")) == PIPE_OK);
	CHECK(event(ahead, 0, 0, "E1", "hr.survey.submitted", "s", "2025-03-02T00:00:00Z",
	    "{\"satisfaction\":40}") == PIPE_OK);
	wbuf_init(&img);
	CHECK(pipeline_shard_image(ahead, 0, &img) == 0);
	CHECK(pipeline_image_epoch(img.p, img.len) == pipeline_epoch(ahead));
	CHECK(pipeline_image_epoch(img.p, 3) == -2);
	/* behind, its last shard dropped (lost): takes the image's epoch */
	CHECK(event(q, 1, 0, "F1", "hr.employee.hired", "h", "2025-01-02T00:00:00Z",
	    HIRE("Sales")) == PIPE_OK);
	CHECK(pipeline_epoch(q) < pipeline_epoch(ahead));
	pipeline_shard_drop(q, 1);
	CHECK(pipeline_shard_restore(q, 0, img.p, img.len, err, sizeof(err)) == 0);
	CHECK(pipeline_epoch(q) == pipeline_epoch(ahead));
	same_employee(ahead, q, "E1");
	/* ahead of the image, no shard: keeps its epoch */
	CHECK(event(late, 1, 0, "G1", "hr.employee.hired", "h", "2025-06-02T00:00:00Z",
	    HIRE("Sales")) == PIPE_OK);
	CHECK(event(late, 1, 0, "G1", "hr.survey.submitted", "s", "2025-07-02T00:00:00Z",
	    "{\"satisfaction\":40}") == PIPE_OK);
	pipeline_shard_drop(late, 1);
	CHECK(pipeline_epoch(late) > pipeline_epoch(ahead));
	{
		long e = pipeline_epoch(late);

		CHECK(pipeline_shard_restore(late, 0, img.p, img.len, err, sizeof(err)) == 0);
		CHECK(pipeline_epoch(late) == e);
	}
	/* behind, with a shard: keeps its epoch (the boundary rule brings it) */
	CHECK(event(kept, 1, 0, "H1", "hr.employee.hired", "h", "2025-01-02T00:00:00Z",
	    HIRE("Sales")) == PIPE_OK);
	{
		long e = pipeline_epoch(kept);

		CHECK(pipeline_shard_restore(kept, 0, img.p, img.len, err, sizeof(err)) == 0);
		CHECK(pipeline_epoch(kept) == e);
		same_employee(ahead, kept, "E1");
	}
	wbuf_free(&img);
	pipeline_free(ahead);
	pipeline_free(q);
	pipeline_free(late);
	pipeline_free(kept);
}

int
main(void)
{
	struct pipeline		*p, *q, *r;
	struct shard_info	 info;
	struct pipeline_stats	 st;
	struct wbuf		 i0, i1, again;
	char			 err[256];

	pipeline_global_init();
	p = fresh();
	CHECK(event(p, 0, 0, "A1", "hr.employee.hired", "h", "2025-01-02T00:00:00Z", HIRE("Ops")) == PIPE_OK);
	CHECK(event(p, 1, 0, "B1", "hr.employee.hired", "h", "2025-01-02T00:00:00Z", HIRE("Sales")) == PIPE_OK);
	CHECK(event(p, 1, 1, "B2", "hr.employee.hired", "h", "2025-01-03T00:00:00Z", HIRE("Ops")) == PIPE_OK);
	CHECK(event(p, 1, 0, "B1", "hr.survey.submitted", "s", "2025-01-05T00:00:00Z",
	    "{\"satisfaction\":60}") == PIPE_OK);
	CHECK(event(p, 1, 0, "B3", "hr.employee.hired", "h", "2025-01-06T00:00:00Z", HIRE("Sales")) == PIPE_OK);
	CHECK(event(p, 1, 0, "B3", "hr.employee.erased", "e", "2025-01-07T00:00:00Z", "{}") == PIPE_OK);

	wbuf_init(&i0);
	wbuf_init(&i1);
	CHECK(pipeline_shard_image(p, 1, &i1) == 0);
	CHECK(pipeline_shard_image(p, 0, &i0) == 0);
	CHECK(pipeline_shard_image(p, 5, &i0) == -1);	/* no such shard */

	/* A new owner with nothing: partition 1 alone, as it was. */
	q = fresh();
	CHECK(pipeline_shard_restore(q, 1, i1.p, i1.len, err, sizeof(err)) == 0);
	same_employee(p, q, "B1");
	same_employee(p, q, "B2");
	{
		char *a1 = emp(q, "A1"), *b3 = emp(q, "B3");

		CHECK_STR(a1, "");		/* partition 0 is not q's */
		CHECK_STR(b3, "");		/* erased stays erased */
		free(a1);
		free(b3);
	}
	CHECK(pipeline_epoch(q) == pipeline_epoch(p));
	CHECK(pipeline_shard_info(q, 1, &info) == 0);
	CHECK(info.rep_next_offset == 3);	/* after B2's re-routed hire */
	CHECK(info.next_offset == 6);
	/* an erased id's later event is dropped in the new owner too */
	CHECK(event(q, 1, 0, "B3", "hr.survey.submitted", "s2", "2025-01-08T00:00:00Z",
	    "{\"satisfaction\":10}") == PIPE_ERASED);
	/* the image q makes is p's, byte for byte, before q runs anything */
	{
		struct pipeline *q2 = fresh();

		CHECK(pipeline_shard_restore(q2, 1, i1.p, i1.len, err, sizeof(err)) == 0);
		wbuf_init(&again);
		CHECK(pipeline_shard_image(q2, 1, &again) == 0);
		CHECK(again.len == i1.len && memcmp(again.p, i1.p, i1.len) == 0);
		wbuf_free(&again);
		pipeline_free(q2);
	}

	/* A pipeline that runs already takes a second partition. */
	CHECK(pipeline_shard_restore(q, 0, i0.p, i0.len, err, sizeof(err)) == 0);
	same_employee(p, q, "A1");
	pipeline_stats(q, &st);
	CHECK(st.employees == 3);
	/* and refuses a partition it holds */
	CHECK(pipeline_shard_restore(q, 0, i0.p, i0.len, err, sizeof(err)) == -1);

	/* A registry that grew in another order: ids translated by name,
	 * the statistics moved by name too (0), the other partition
	 * untouched. */
	r = fresh();
	CHECK(event(r, 2, 0, "C1", "hr.employee.hired", "h", "2025-01-02T00:00:00Z",
	    "{\"department\":\"Zeta\",\"job_level\":1,\"salary\":1000,"
	    "\"attributes\":{\"tenure_band\":\"x\",\"site\":\"south\"}}") == PIPE_OK);
	{
		char *c1 = emp(r, "C1"), *b1, *b2;

		CHECK(strstr(c1, "\"department\":\"Zeta\"") != NULL);

		CHECK(pipeline_shard_restore(r, 1, i1.p, i1.len, err, sizeof(err)) == 0);
		b1 = emp(r, "B1");
		b2 = emp(r, "B2");
		CHECK(strstr(b1, "\"department\":\"Sales\"") != NULL);
		CHECK(strstr(b2, "\"department\":\"Ops\"") != NULL);
		CHECK(strstr(b1, "\"site=north\":1.0") != NULL &&
		    strstr(b1, "\"site=south\":0.0") != NULL);
		free(b1);
		b1 = emp(r, "C1");	/* scored at the later clock now, same facts */
		CHECK(strstr(b1, "\"department\":\"Zeta\"") != NULL &&
		    strstr(b1, "\"site=south\":1.0") != NULL);
		free(b1);
		free(b2);
		free(c1);
	}

	refusals(&i1, 1);
	epochs();
	wbuf_free(&i0);
	wbuf_free(&i1);
	pipeline_free(p);
	pipeline_free(q);
	pipeline_free(r);
	return check_exit("test_shard_image");
}
