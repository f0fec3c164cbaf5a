/*
 * bench_pipeline.c: the in-memory measurements of `make bench`.
 *
 *   bench_pipeline parse FILE
 *   bench_pipeline replay [-c CONF] [-k DIR] [-p N] FILE
 *
 * Both read a JSONL file of events into memory first, so that neither
 * times the disk. Lines "key<TAB>json" are taken from after the tab.
 *
 * parse: the ceiling of decoding. Parses every line with jansson
 * (json_loadb, json_decref) and nothing else. The daemon's decoder does at
 * least this much per event.
 *
 * replay: the pipeline itself, as `retentiond --replay` runs it but
 * without the file reading and the output printing: every line through
 * pipeline_run_all() (partition 0, so one shard) with an emit callback that
 * only counts. With -c, the pipeline's settings come from CONF as the
 * daemon would load them. With -p N, each line "key<TAB>json" goes to the
 * shard of partition murmur2(key) mod N, as a librdkafka producer places
 * it (kcat -X partitioner=murmur2_random) and the daemon consumes it, so
 * each boundary merges N shards as the daemon's does; in file order, an
 * event of a later epoch means every shard has ended the current one
 * (the file is in time order), so the pipeline enters it there
 * (pipeline_run_all()): the daemon's pipeline work without Kafka, the
 * ceiling of the end-to-end row. Then, on the records it built:
 *   - memory: resident set before the first event and after the last
 *     (/proc/self/statm), over the records in state;
 *   - rescore: model_score() on every active record at one day past the
 *     clock, as a new model epoch or the daily sweep would (the sweep's
 *     alert decisions are not included);
 *   - exp loop: the same walk over the same records computing one exp()
 *     of a value read from each: the floor for any whole-population pass;
 *   - with -k DIR: the checkpoint of that state written to DIR as the
 *     daemon writes it (checkpoint_save(): snapshot, frame, safe write
 *     with fsync), then restored into a fresh pipeline (checkpoint_restore():
 *     read, CRC, validation into scratch, load), the first one freed
 *     before; the restored pipeline must hold as many records. The path
 *     is printed, for bench.sh to time `cat` of the same file.
 *
 * restore: DIR's checkpoint (as replay -k left it) restored ROUNDS times
 * (3) into fresh pipelines, the best time printed, then the rescore and
 * exp loop above on the last one: the checkpoint and rescoring rows
 * without the replay before them, for profiling (perf record).
 *
 * Rates are given per second of wall time and per second of the
 * process's CPU time (*_per_cpu_second): on a shared machine the second
 * is what the code costs, the first also what the neighbours took.
 *
 * Output: "name value" lines (see main); exit 1 on I/O or pipeline errors,
 * 2 on usage.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../../daemon/daemon.h"
#include "../../pipeline/stages.h"
#include "bench_clock.h"

/* -p at most (the pipeline takes partitions below 4096) */
#define PARTS_MAX	1024

struct lines {
	char	*buf;
	size_t	 len;
};

struct counts {
	long	outputs[OUT__COUNT];
};

/* Resident set size in bytes, or -1. */
static long
rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size, resident;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* Reads path into l->buf (free()); 0 or -1 with a message on stderr. */
static int
slurp(const char *path, struct lines *l)
{
	size_t cap = 1 << 20, r;
	char *nb;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "bench_pipeline: %s: %s\n", path, strerror(errno));
		return -1;
	}
	l->len = 0;
	l->buf = malloc(cap);
	while (l->buf != NULL && (r = fread(l->buf + l->len, 1, cap - l->len, f)) > 0) {
		l->len += r;
		if (l->len == cap) {
			if ((nb = realloc(l->buf, cap * 2)) == NULL) {
				free(l->buf);
				l->buf = NULL;
				break;
			}
			l->buf = nb;
			cap *= 2;
		}
	}
	if (l->buf == NULL || ferror(f)) {
		fprintf(stderr, "bench_pipeline: %s: read error\n", path);
		free(l->buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* The next non-empty line at or after *pos: its start and length, after
 * any "key<TAB>" (in *key and *keylen when not NULL; length 0 without
 * one). 0 at the end. */
static int
next_keyed(const struct lines *l, size_t *pos, const char **s, size_t *n,
    const char **key, size_t *keylen)
{
	const char *end = l->buf + l->len, *p, *nl, *tab;

	while (*pos < l->len) {
		p = l->buf + *pos;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*pos = (size_t)(nl - l->buf) + 1;
		if (nl == p)
			continue;
		if (key != NULL) {
			*key = p;
			*keylen = 0;
		}
		if ((tab = memchr(p, '\t', (size_t)(nl - p))) != NULL) {
			if (key != NULL)
				*keylen = (size_t)(tab - p);
			p = tab + 1;
		}
		*s = p;
		*n = (size_t)(nl - p);
		return 1;
	}
	return 0;
}

static int
next_line(const struct lines *l, size_t *pos, const char **s, size_t *n)
{
	return next_keyed(l, pos, s, n, NULL, NULL);
}

static int
run_parse(const struct lines *l)
{
	size_t pos = 0, n;
	const char *s;
	long lines = 0, parsed = 0;
	json_error_t jerr;
	json_t *j;
	double t0 = now_s(), c0 = cpu_s(), dt, dc;

	while (next_line(l, &pos, &s, &n)) {
		lines++;
		if ((j = json_loadb(s, n, 0, &jerr)) != NULL) {
			parsed++;
			json_decref(j);
		}
	}
	dt = now_s() - t0;
	dc = cpu_s() - c0;
	printf("lines %ld\nparsed %ld\nparse_seconds %.3f\nparse_per_second %.0f\n",
	    lines, parsed, dt, dt > 0 ? (double)parsed / dt : 0.0);
	printf("parse_cpu_seconds %.3f\nparse_per_cpu_second %.0f\n", dc,
	    dc > 0 ? (double)parsed / dc : 0.0);
	return 0;
}

static int
count_output(void *arg, const struct output *o)
{
	struct counts *c = arg;

	if ((int)o->kind >= 0 && o->kind < OUT__COUNT)
		c->outputs[o->kind]++;
	return 0;
}

/* Every line through the pipeline, on nparts shards (1: partition 0);
 * the events count in *events. */
static int
load(struct pipeline *p, const struct lines *l, int32_t nparts,
    struct counts *c, long *events)
{
	static int64_t next[PARTS_MAX];
	struct message m;
	size_t pos = 0, n, keylen;
	const char *s, *key;
	int32_t part = 0;

	*events = 0;
	while (next_keyed(l, &pos, &s, &n, &key, &keylen)) {
		memset(&m, 0, sizeof(m));
		if (nparts > 1)
			part = partitioner_partition(PARTITIONER_MURMUR2, key,
			    keylen, nparts);
		m.value = s;
		m.len = n;
		m.topic = "replay";
		m.partition = part;
		m.offset = next[part]++;
		++*events;
		/* in file order each shard enters an epoch as the first event
		 * of it arrives, as replay mode does */
		if (pipeline_run_all(p, &m, count_output, c) == PIPE_ERROR) {
			fprintf(stderr, "bench_pipeline: pipeline failed at event %ld\n",
			    *events);
			return -1;
		}
	}
	return 0;
}

static int
active(const struct employee *e)
{
	return e->hired_s != 0 && !(e->flags & EMP_EXITED);
}

/* model_score_risk() on every active record at at_ms, in batches as a
 * boundary's rescoring makes them (pipeline/rescore.c); seconds, count in
 * *n. */
#define RESCORE_BATCH	64
static __attribute__((noinline)) double
rescore(struct pipeline *p, int64_t at_ms, long *n)
{
	struct report_source src;
	struct employee *e, *batch[RESCORE_BATCH];
	struct score out[RESCORE_BATCH];
	size_t shard = 0, it = 0;
	double t0;
	int nb = 0;

	pipeline_source(p, &src);
	*n = 0;
	t0 = now_s();
	while ((e = pipeline_each(p, &shard, &it)) != NULL)
		if (active(e)) {
			batch[nb++] = e;
			if (nb == RESCORE_BATCH) {
				model_score_risk_batch(src.model, batch, nb, at_ms, out);
				*n += nb;
				nb = 0;
			}
		}
	model_score_risk_batch(src.model, batch, nb, at_ms, out);
	*n += nb;
	return now_s() - t0;
}

/* The same walk with one exp() per active record; seconds, the sum in
 * *acc so that the compiler keeps the work. */
static double
exp_loop(struct pipeline *p, int64_t at_ms, double *acc)
{
	struct employee *e;
	size_t shard = 0, it = 0;
	double t0 = now_s();

	*acc = 0;
	while ((e = pipeline_each(p, &shard, &it)) != NULL)
		if (active(e))
			*acc += exp(-1e-11 * (double)(at_ms - emp_ms(e->hired_s)) * e->risk);
	return now_s() - t0;
}

/* Writes p's checkpoint to dir and restores it into a fresh pipeline,
 * freeing p in between; prints the figures. 0, or -1 with a message. */
static int
checkpoint_round(struct pipeline *p, const struct config *cfg, const char *dir,
    long records)
{
	struct pipeline *q;
	struct pipeline_stats st;
	char errbuf[512], path[PATH_MAX];
	double t0, write_s, restore_s;
	FILE *f;
	long bytes;

	t0 = now_s();
	if (checkpoint_save(p, dir, "replay", 0, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "bench_pipeline: checkpoint: %s\n", errbuf);
		return -1;
	}
	write_s = now_s() - t0;
	pipeline_free(p);
	snprintf(path, sizeof(path), "%s/checkpoints/replay.ckpt", dir);
	if ((f = fopen(path, "r")) == NULL || fseek(f, 0, SEEK_END) == -1 ||
	    (bytes = ftell(f)) < 0) {
		fprintf(stderr, "bench_pipeline: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	if ((q = pipeline_new(&cfg->pipeline, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "bench_pipeline: %s\n", errbuf);
		return -1;
	}
	t0 = now_s();
	if (checkpoint_restore(q, dir, "replay") != 1) {
		fprintf(stderr, "bench_pipeline: the checkpoint did not restore\n");
		pipeline_free(q);
		return -1;
	}
	restore_s = now_s() - t0;
	pipeline_stats(q, &st);
	pipeline_free(q);
	if ((long)st.employees != records) {
		fprintf(stderr, "bench_pipeline: restored %llu of %ld records\n",
		    (unsigned long long)st.employees, records);
		return -1;
	}
	printf("checkpoint_path %s\ncheckpoint_bytes %ld\n"
	    "checkpoint_write_seconds %.6f\ncheckpoint_restore_seconds %.6f\n",
	    path, bytes, write_s, restore_s);
	return 0;
}

static int
run_replay(const struct lines *l, const char *conf, const char *ckpt_dir,
    int32_t nparts)
{
	struct config cfg;
	struct pipeline *p;
	struct report_source src;
	struct counts c = { { 0 } };
	struct pipeline_stats st;
	struct employee *e;
	size_t shard = 0, it = 0;
	char errbuf[512];
	long events, records = 0, rss0, rss1, scored;
	double t0, c0, load_s, load_cpu, rescore_s, exp_s, acc;
	int64_t at_ms;

	config_defaults(&cfg);
	if (conf != NULL && config_load(conf, &cfg, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "bench_pipeline: %s\n", errbuf);
		return 1;
	}
	pipeline_global_init();
	if ((p = pipeline_new(&cfg.pipeline, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "bench_pipeline: %s\n", errbuf);
		return 1;
	}
	rss0 = rss_bytes();
	t0 = now_s();
	c0 = cpu_s();
	if (load(p, l, nparts, &c, &events) == -1) {
		pipeline_free(p);
		return 1;
	}
	load_s = now_s() - t0;
	load_cpu = cpu_s() - c0;
	rss1 = rss_bytes();
	pipeline_stats(p, &st);
	while ((e = pipeline_each(p, &shard, &it)) != NULL)
		records++;
	pipeline_source(p, &src);
	at_ms = src.clock_ms + 86400000LL;
	rescore_s = rescore(p, at_ms, &scored);
	exp_s = exp_loop(p, at_ms, &acc);
	printf("events %ld\nreplay_seconds %.3f\nreplay_per_second %.0f\n", events,
	    load_s, load_s > 0 ? (double)events / load_s : 0.0);
	printf("replay_cpu_seconds %.3f\nreplay_per_cpu_second %.0f\n", load_cpu,
	    load_cpu > 0 ? (double)events / load_cpu : 0.0);
	printf("alerts %ld\nsuggestions %ld\nestimates %ld\ndlq %ld\n",
	    c.outputs[OUT_ALERT], c.outputs[OUT_SUGGESTION],
	    c.outputs[OUT_ESTIMATES], c.outputs[OUT_DLQ]);
	printf("records %ld\nrss_before %ld\nrss_after %ld\nbytes_per_record %.0f\n",
	    records, rss0, rss1, records > 0 ? (double)(rss1 - rss0) / records : 0.0);
	printf("rescored %ld\nrescore_seconds %.6f\nexp_seconds %.6f\nexp_sum %.6g\n",
	    scored, rescore_s, exp_s, acc);
	/* where the replay's scorings came from (docs/BENCH.md) */
	printf("scorings %llu\nepochs_rescored_all %llu\nepochs_rescored_near %llu\n",
	    (unsigned long long)st.scorings,
	    (unsigned long long)st.epochs_rescored_all,
	    (unsigned long long)st.epochs_rescored_near);
	if (ckpt_dir != NULL)
		return checkpoint_round(p, &cfg, ckpt_dir, records) == -1 ? 1 : 0;
	pipeline_free(p);
	return 0;
}

/* restore: see the file comment. */
static int
run_restore(const char *conf, const char *dir, int rounds)
{
	struct config cfg;
	struct pipeline *p = NULL;
	struct report_source src;
	char errbuf[512];
	double t0, c0, best = -1, best_cpu = -1, dt, dc, rs, es, acc;
	long scored;

	config_defaults(&cfg);
	if (conf != NULL && config_load(conf, &cfg, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "bench_pipeline: %s\n", errbuf);
		return 1;
	}
	pipeline_global_init();
	for (int i = 0; i < rounds; i++) {
		pipeline_free(p);
		if ((p = pipeline_new(&cfg.pipeline, errbuf, sizeof(errbuf))) == NULL) {
			fprintf(stderr, "bench_pipeline: %s\n", errbuf);
			return 1;
		}
		t0 = now_s();
		c0 = cpu_s();
		if (checkpoint_restore(p, dir, "replay") != 1) {
			fprintf(stderr, "bench_pipeline: the checkpoint did not restore\n");
			pipeline_free(p);
			return 1;
		}
		dt = now_s() - t0;
		dc = cpu_s() - c0;
		best = best < 0 || dt < best ? dt : best;
		best_cpu = best_cpu < 0 || dc < best_cpu ? dc : best_cpu;
	}
	pipeline_source(p, &src);
	rs = rescore(p, src.clock_ms + 86400000LL, &scored);
	es = exp_loop(p, src.clock_ms + 86400000LL, &acc);
	printf("checkpoint_restore_seconds %.6f\ncheckpoint_restore_cpu_seconds %.6f\n"
	    "rescored %ld\nrescore_seconds %.6f\nexp_seconds %.6f\nexp_sum %.6g\n",
	    best, best_cpu, scored, rs, es, acc);
	pipeline_free(p);
	return 0;
}

int
main(int argc, char **argv)
{
	struct lines l;
	const char *conf = NULL, *ckpt_dir = NULL;
	int rc, i = 2;
	long nparts = 1;
	char *end;

	if (argc == 3 && strcmp(argv[1], "parse") == 0) {
		if (slurp(argv[2], &l) == -1)
			return 1;
		rc = run_parse(&l);
	} else if (argc >= 3 && strcmp(argv[1], "replay") == 0) {
		for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
			if (strcmp(argv[i], "-c") == 0)
				conf = argv[i + 1];
			else if (strcmp(argv[i], "-k") == 0)
				ckpt_dir = argv[i + 1];
			else if (strcmp(argv[i], "-p") == 0) {
				nparts = strtol(argv[i + 1], &end, 10);
				if (*end != '\0' || nparts < 1 || nparts > PARTS_MAX)
					goto usage;
			} else
				break;
		}
		if (i != argc - 1)
			goto usage;
		if (slurp(argv[i], &l) == -1)
			return 1;
		rc = run_replay(&l, conf, ckpt_dir, (int32_t)nparts);
	} else if (argc >= 3 && strcmp(argv[1], "restore") == 0) {
		int rounds = 3;

		for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
			if (strcmp(argv[i], "-c") == 0)
				conf = argv[i + 1];
			else if (strcmp(argv[i], "-n") == 0 && atoi(argv[i + 1]) > 0)
				rounds = atoi(argv[i + 1]);
			else
				break;
		}
		if (i != argc - 1)
			goto usage;
		return run_restore(conf, argv[i], rounds);
	} else
		goto usage;
	free(l.buf);
	return rc;
usage:
	fprintf(stderr, "usage: bench_pipeline parse FILE\n"
	    "       bench_pipeline replay [-c CONF] [-k DIR] [-p N] FILE\n"
	    "       bench_pipeline restore [-c CONF] [-n ROUNDS] DIR\n");
	return 2;
}
