/*
 * bench_kafka.c: the broker-side ceilings and probes of `make bench`.
 *
 *   bench_kafka consume   -b BOOTSTRAP -t TOPIC -n N [-T SECONDS]
 *   bench_kafka committed -b BOOTSTRAP -t TOPIC -n N -g GROUP [-T SECONDS]
 *   bench_kafka latency   -b BOOTSTRAP -t TOPIC -o OUTTOPIC -f TSV -n N
 *                         -r RATE -m id|caused_by [-L] [-s FILE] [-w W]
 *                         [-T SECONDS]
 *
 * consume: a bare librdkafka consumer (rd_kafka_consumer_poll, every
 * partition assigned from the beginning, no group join, no commits) reads
 * N messages and does nothing with them: the most any consumer of this
 * broker can do. First checks the watermarks: a partition whose low
 * watermark is above 0 lost data (the mock cluster drops old segments
 * silently), and the high watermarks must sum to N. Prints "messages N",
 * "seconds S" (first message to the last) and "per_second R".
 *
 * committed: waits until GROUP's committed offsets on TOPIC sum to N (the
 * daemon commits only once every output of a message is delivered) and
 * checks the watermarks as above. Prints "seconds S": from its start to
 * the answer that showed them there (not to its exit).
 *
 * latency: produces the first N lines ("key<TAB>json") of TSV to TOPIC at
 * RATE per second, while consuming OUTTOPIC from its current end; each
 * consumed message that names one of those events (-m id: its "id", the
 * bare round trip with OUTTOPIC = TOPIC; -m caused_by: an alert's
 * "caused_by", plain or inside a CloudEvent's "data") gives one sample,
 * now minus the time the event was handed to the producer, on one
 * monotonic clock. The first W events (-w) are produced at the same rate
 * but give no samples: the daemon's first outputs wait for its producer's
 * start-up (about 2 s here), which is not the steady state. Before the
 * first event it waits until a probe message
 * it produces to each partition of OUTTOPIC comes back. Stops 3 s after the last event once nothing more
 * arrives. Prints "sent", "warmup", "samples", "p50_ms", "p99_ms", "max_ms";
 * -s FILE writes each sample as "sent latency_ms" (sent in monotonic
 * seconds), to see when the slow ones happen.
 *
 * latency -L: TSV is a history (gencompany --kafka-format) and the N
 * events are the live workload made from it (live_events()): pairs of
 * survey responses of the employees on staff at its end, one at rock
 * bottom, which opens an alert episode for those it lifts over the
 * threshold, and one at the top LIVE_LAG events later, which closes it;
 * each stamped with the wall-clock time at its hand-over to the producer,
 * as live HR events are.
 *
 * Consumers use fetch.wait.max.ms 10 (FETCH_WAIT_MS, as bench.sh configures
 * the daemon).
 *
 * Exit 0, 1 on errors or timeouts (default -T 300), 3 when data was lost.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include "bench_clock.h"

#define PARTS_MAX 1024
/* The mock cluster answers a fetch that found no data only after
 * fetch.wait.max.ms (default 500), where a real broker answers once data
 * arrives: bench.sh gives the daemon the same setting. */
#define FETCH_WAIT_MS "10"

struct opts {
	const char	*bootstrap, *topic, *out_topic, *file, *group, *match;
	long		 n, warmup;
	int		 live;
	double		 rate, timeout_s;
};

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "bench_kafka: %s: %s\n", what, why);
	exit(1);
}

static rd_kafka_t *
client(rd_kafka_type_t type, const struct opts *o, const char *group)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", o->bootstrap, err,
	    sizeof(err)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err)) != RD_KAFKA_CONF_OK ||
	    /* the placement CONTRACT.md asks of librdkafka producers: events
	     * then meet their shard directly, not through the repartition
	     * topic */
	    (type == RD_KAFKA_PRODUCER &&
	    rd_kafka_conf_set(conf, "partitioner", "murmur2_random", err,
	    sizeof(err)) != RD_KAFKA_CONF_OK) ||
	    (type == RD_KAFKA_CONSUMER &&
	    (rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "fetch.wait.max.ms", FETCH_WAIT_MS, err,
	    sizeof(err)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err,
	    sizeof(err)) != RD_KAFKA_CONF_OK)))
		die("config", err);
	if ((rk = rd_kafka_new(type, conf, err, sizeof(err))) == NULL)
		die("rd_kafka_new", err);
	if (type == RD_KAFKA_CONSUMER)
		rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* The partition count of topic, retried until the deadline (a topic the
 * daemon creates may not exist yet). */
static int
partitions(rd_kafka_t *rk, const char *topic, double deadline)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
	int n = 0;

	while (n == 0 && now_s() < deadline) {
		if (rd_kafka_metadata(rk, 0, t, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (md->topic_cnt == 1 && md->topics[0].err == 0)
				n = md->topics[0].partition_cnt;
			rd_kafka_metadata_destroy(md);
		}
		if (n == 0) {
			struct timespec ts = { 0, 100000000 };
			nanosleep(&ts, NULL);
		}
	}
	rd_kafka_topic_destroy(t);
	if (n <= 0 || n > PARTS_MAX)
		die(topic, "no partitions (topic missing?)");
	return n;
}

/* Exits 3 when a partition lost its oldest records or when the high
 * watermarks do not sum to want (want < 0: not checked). */
static void
check_watermarks(rd_kafka_t *rk, const char *topic, int np, long want)
{
	int64_t lo, hi, sum = 0;

	for (int i = 0; i < np; i++) {
		if (rd_kafka_query_watermark_offsets(rk, topic, i, &lo, &hi, 5000) != 0)
			die(topic, "watermarks unavailable");
		if (lo > 0) {
			fprintf(stderr, "bench_kafka: %s [%d]: %" PRId64 " records lost "
			    "(low watermark above 0: the mock cluster dropped them)\n",
			    topic, i, lo);
			exit(3);
		}
		sum += hi;
	}
	if (want >= 0 && sum != want) {
		fprintf(stderr, "bench_kafka: %s holds %" PRId64 " records, expected %ld\n",
		    topic, sum, want);
		exit(3);
	}
}

/* Assigns every partition of topic at offset (BEGINNING or END). */
static void
assign_all(rd_kafka_t *rk, const char *topic, int np, int64_t offset)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);

	for (int i = 0; i < np; i++)
		rd_kafka_topic_partition_list_add(l, topic, i)->offset = offset;
	if (rd_kafka_assign(rk, l) != 0)
		die(topic, "assign failed");
	rd_kafka_topic_partition_list_destroy(l);
}

static int
cmd_consume(const struct opts *o)
{
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, o, "bench-bare");
	double deadline = now_s() + o->timeout_s, first = 0, last = 0;
	int np = partitions(rk, o->topic, deadline);
	rd_kafka_message_t *m;
	long got = 0;

	check_watermarks(rk, o->topic, np, o->n);
	assign_all(rk, o->topic, np, RD_KAFKA_OFFSET_BEGINNING);
	while (got < o->n && now_s() < deadline) {
		if ((m = rd_kafka_consumer_poll(rk, 100)) == NULL)
			continue;
		if (m->err == 0) {
			last = now_s();
			if (got++ == 0)
				first = last;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	if (got < o->n) {
		fprintf(stderr, "bench_kafka: consumed %ld of %ld messages\n", got, o->n);
		return 1;
	}
	printf("messages %ld\nseconds %.3f\nper_second %.0f\n", got, last - first,
	    last > first ? (double)(got - 1) / (last - first) : 0.0);
	return 0;
}

static int
cmd_committed(const struct opts *o)
{
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, o, o->group);
	double t0 = now_s(), deadline = t0 + o->timeout_s;
	int np = partitions(rk, o->topic, deadline);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
	int64_t sum = 0;
	double seen = 0;

	for (int i = 0; i < np; i++)
		rd_kafka_topic_partition_list_add(l, o->topic, i);
	while (sum < o->n && now_s() < deadline) {
		struct timespec ts = { 0, 50000000 };

		sum = 0;
		if (rd_kafka_committed(rk, l, 5000) == 0)
			for (int i = 0; i < l->cnt; i++)
				sum += l->elems[i].offset > 0 ? l->elems[i].offset : 0;
		if (sum < o->n)
			nanosleep(&ts, NULL);
		else
			seen = now_s() - t0;	/* before the checks and the exit */
	}
	rd_kafka_topic_partition_list_destroy(l);
	if (sum >= o->n)
		check_watermarks(rk, o->topic, np, o->n);
	rd_kafka_destroy(rk);
	if (sum < o->n) {
		fprintf(stderr, "bench_kafka: group %s committed %" PRId64 " of %ld\n",
		    o->group, sum, o->n);
		return 1;
	}
	printf("seconds %.3f\n", seen);
	return 0;
}

/* The event number of "evt-<n>", or -1. */
static long
event_number(const char *id)
{
	char *end;
	long n;

	if (id == NULL || strncmp(id, "evt-", 4) != 0)
		return -1;
	n = strtol(id + 4, &end, 10);
	return *end == '\0' && n > 0 ? n : -1;
}

/* The event number a consumed message names (see the header), or -1. */
static long
named_event(const rd_kafka_message_t *m, const char *field)
{
	json_error_t jerr;
	json_t *j = json_loadb(m->payload, m->len, 0, &jerr), *v;
	long n;

	if (j == NULL)
		return -1;
	if ((v = json_object_get(j, field)) == NULL && strcmp(field, "caused_by") == 0)
		v = json_object_get(json_object_get(j, "data"), field);
	n = event_number(json_string_value(v));
	json_decref(j);
	return n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The events to produce: keys and values (malloc'd). A value with
 * stamp[i] >= 0 gets the wall-clock time of its hand-over to the producer
 * written over the TIME_LEN bytes at that offset (the live workload). */
struct events {
	char	**key, **value;
	long	 *number, *stamp, n;
};

#define TIME_LEN	24	/* "2026-12-01T18:20:00.123Z" */

static void
alloc_events(struct events *ev, long n, const char *what)
{
	ev->key = calloc((size_t)n, sizeof(char *));
	ev->value = calloc((size_t)n, sizeof(char *));
	ev->number = calloc((size_t)n, sizeof(long));
	ev->stamp = calloc((size_t)n, sizeof(long));
	if (ev->key == NULL || ev->value == NULL || ev->number == NULL ||
	    ev->stamp == NULL)
		die(what, "out of memory");
	ev->n = 0;
}

/* The number of "evt-<n>" in a gencompany line (its first "id"), or -1. */
static long
line_number(const char *json)
{
	const char *id = strstr(json, "\"id\":\"");

	return id != NULL && strncmp(id + 6, "evt-", 4) == 0 ?
	    strtol(id + 10, NULL, 10) : -1;
}

/* Calls fn on each "key<TAB>json" line of path, up to n lines. */
static void
each_line(const char *path, long n, void (*fn)(char *, char *, void *), void *arg)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *tab;
	size_t cap = 0;
	ssize_t len;

	if (f == NULL)
		die(path, strerror(errno));
	for (long i = 0; i < n && (len = getline(&line, &cap, f)) > 0; ) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		fn(line, tab + 1, arg);
		i++;
	}
	free(line);
	fclose(f);
}

static void
add_line(char *key, char *json, void *arg)
{
	struct events *ev = arg;

	if ((ev->key[ev->n] = strdup(key)) == NULL ||
	    (ev->value[ev->n] = strdup(json)) == NULL)
		die("events", "out of memory");
	ev->number[ev->n] = line_number(json);
	ev->stamp[ev->n] = -1;
	ev->n++;
}

/* The first n lines of the TSV file, as they are. */
static void
read_events(const char *path, long n, struct events *ev)
{
	alloc_events(ev, n, path);
	each_line(path, n, add_line, ev);
}

/* What the live workload needs of the history: who is on staff at its end
 * (in order of hire) and its largest event number. */
struct staff {
	json_t	*status;	/* subject -> true on staff, false gone */
	json_t	*order;		/* subjects in order of hire */
	long	 max_number;
};

static void
staff_line(char *key, char *json, void *arg)
{
	struct staff *s = arg;
	long n = line_number(json);

	if (n > s->max_number)
		s->max_number = n;
	if (strstr(json, "\"type\":\"hr.employee.hired\"") != NULL) {
		if (json_object_get(s->status, key) == NULL)
			json_array_append_new(s->order, json_string(key));
		json_object_set_new(s->status, key, json_true());
	} else if (strstr(json, "\"type\":\"hr.employee.exited\"") != NULL ||
	    strstr(json, "\"type\":\"hr.employee.erased\"") != NULL)
		json_object_set_new(s->status, key, json_false());
}

/*
 * The live workload (-L): n survey responses of employees on staff at the
 * end of the history in path, in pairs: one answered at rock bottom (the
 * answer that moves an employee's risk most, MODELS.md: satisfaction is the
 * largest coefficient), which opens an episode for whoever it lifts over
 * the threshold, and LIVE_LAG events later the same employee's next
 * answer at the top, which closes it again. Employees in a fixed shuffled
 * order, each pair once per round. Ids follow the history's
 * ("evt-<n>", n past its largest); each event's time is stamped at its
 * hand-over to the producer.
 */
#define LIVE_LAG	50
static void
live_events(const char *path, long n, struct events *ev)
{
	static const char *const answer[2] = {
		"\"satisfaction\":5.0,\"engagement\":10.0,\"intent_to_stay\":5.0,"
		"\"work_life_balance\":10.0",
		"\"satisfaction\":95.0,\"engagement\":90.0,\"intent_to_stay\":95.0,"
		"\"work_life_balance\":90.0",
	};
	struct staff s = { json_object(), json_array(), 0 };
	const char **who;
	long na = 0, slot = 0;
	uint64_t x = 0x9e3779b97f4a7c15u;
	char buf[512];
	int len;

	each_line(path, LONG_MAX, staff_line, &s);
	if ((who = calloc(json_array_size(s.order) + 1, sizeof(*who))) == NULL)
		die(path, "out of memory");
	for (size_t i = 0; i < json_array_size(s.order); i++) {
		const char *e = json_string_value(json_array_get(s.order, i));

		if (json_is_true(json_object_get(s.status, e)))
			who[na++] = e;
	}
	if (na == 0)
		die(path, "nobody on staff at the end of the history");
	for (long i = na - 1; i > 0; i--) {	/* Fisher-Yates, xorshift64 */
		const char *t;
		long j;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		j = (long)(x % (uint64_t)(i + 1));
		t = who[i], who[i] = who[j], who[j] = t;
	}
	alloc_events(ev, n, path);
	for (long j = 0; ev->n < n; j++) {
		for (int good = 0; good < 2 && ev->n < n; good++) {
			long e = good ? j - LIVE_LAG : j;

			if (e < 0)
				continue;
			len = snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\","
			    "\"id\":\"evt-%ld\",\"source\":\"bench\","
			    "\"type\":\"hr.survey.submitted\",\"subject\":\"%s\","
			    "\"time\":\"%.*s\",\"datacontenttype\":\"application/json\","
			    "\"data\":{%s}}", s.max_number + 1 + slot, who[e % na],
			    TIME_LEN, "YYYY-MM-DDTHH:MM:SS.mmmZ", answer[good]);
			if (len < 0 || (size_t)len >= sizeof(buf))
				die(path, "subject too long");
			ev->key[ev->n] = strdup(who[e % na]);
			ev->value[ev->n] = strdup(buf);
			if (ev->key[ev->n] == NULL || ev->value[ev->n] == NULL)
				die(path, "out of memory");
			ev->number[ev->n] = s.max_number + 1 + slot++;
			ev->stamp[ev->n] = strstr(buf, "YYYY-") - buf;
			ev->n++;
		}
	}
	free(who);
	json_decref(s.status);
	json_decref(s.order);
}

/* Writes the wall-clock time (UTC, milliseconds) over ev's placeholder. */
static void
stamp_now(char *value, long at)
{
	struct timespec ts;
	struct tm tm;
	char buf[TIME_LEN + 16];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + 19, sizeof(buf) - 19, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
	memcpy(value + at, buf, TIME_LEN);
}

static void
free_events(struct events *ev)
{
	for (long i = 0; i < ev->n; i++) {
		free(ev->key[i]);
		free(ev->value[i]);
	}
	free(ev->key);
	free(ev->value);
	free(ev->number);
	free(ev->stamp);
}

/* -s FILE: each sample as "sent latency_ms" (monotonic seconds), to see
 * when the slow ones happen. */
static FILE *samples_out;

/* Samples: consumed messages naming a sent event. */
static void
take(rd_kafka_t *c, const char *field, const double *sent, long max_number,
    double *lat, long *nlat, long cap, int timeout_ms)
{
	rd_kafka_message_t *m;
	long k;

	while ((m = rd_kafka_consumer_poll(c, timeout_ms)) != NULL) {
		if (m->err == 0 && (k = named_event(m, field)) > 0 && k <= max_number &&
		    sent[k] > 0 && *nlat < cap) {
			lat[*nlat] = (now_s() - sent[k]) * 1000.0;
			if (samples_out != NULL)
				fprintf(samples_out, "%.3f %.2f\n", sent[k], lat[*nlat]);
			(*nlat)++;
		}
		rd_kafka_message_destroy(m);
		timeout_ms = 0;
	}
}

/* Returns once c receives a probe produced to topic after its assignment,
 * so that no sample includes the consumer's start-up (offset look-up,
 * first fetch). A probe names no event. */
static void
wait_fetching(rd_kafka_t *p, rd_kafka_t *c, const char *topic, int np,
    double deadline)
{
	static const char probe[] = "{\"bench_probe\":true}";
	rd_kafka_message_t *m;
	char seen[PARTS_MAX] = { 0 };
	double next = 0;
	int left = np;

	while (left > 0) {
		if (now_s() > deadline)
			die(topic, "consumer never fetched a probe");
		for (int i = 0; i < np && now_s() >= next; i++)
			if (!seen[i] && rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
			    RD_KAFKA_V_PARTITION(i),
			    RD_KAFKA_V_VALUE((void *)(uintptr_t)probe, sizeof(probe) - 1),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) != 0)
				die("probe", rd_kafka_err2str(rd_kafka_last_error()));
		if (now_s() >= next)
			next = now_s() + 1;
		rd_kafka_poll(p, 0);
		if ((m = rd_kafka_consumer_poll(c, 100)) != NULL) {
			if (m->err == 0 && m->partition >= 0 && m->partition < np &&
			    !seen[m->partition] && m->len == sizeof(probe) - 1 &&
			    memcmp(m->payload, probe, m->len) == 0) {
				seen[m->partition] = 1;
				left--;
			}
			rd_kafka_message_destroy(m);
		}
	}
}

static int
cmd_latency(const struct opts *o)
{
	struct events ev;
	rd_kafka_t *p = client(RD_KAFKA_PRODUCER, o, NULL);
	rd_kafka_t *c = client(RD_KAFKA_CONSUMER, o, "bench-latency");
	double deadline = now_s() + o->timeout_s, t0, quiet, *sent, *lat;
	long maxn = 0, nlat = 0, cap, before;
	int np;

	if (o->live)
		live_events(o->file, o->n, &ev);
	else
		read_events(o->file, o->n, &ev);
	for (long i = 0; i < ev.n; i++)
		if (ev.number[i] > maxn)
			maxn = ev.number[i];
	cap = 4 * ev.n + 16;
	if ((sent = calloc((size_t)maxn + 1, sizeof(double))) == NULL ||
	    (lat = calloc((size_t)cap, sizeof(double))) == NULL)
		die("latency", "out of memory");
	np = partitions(c, o->out_topic, deadline);
	assign_all(c, o->out_topic, np, RD_KAFKA_OFFSET_END);
	wait_fetching(p, c, o->out_topic, np, deadline);
	t0 = now_s();
	for (long i = 0; i < ev.n; ) {
		for (; i < ev.n && now_s() >= t0 + (double)i / o->rate; i++) {
			if (ev.stamp[i] >= 0)
				stamp_now(ev.value[i], ev.stamp[i]);
			if (ev.number[i] > 0 && i >= o->warmup)
				sent[ev.number[i]] = now_s();
			if (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(o->topic),
			    RD_KAFKA_V_KEY(ev.key[i], strlen(ev.key[i])),
			    RD_KAFKA_V_VALUE(ev.value[i], strlen(ev.value[i])),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) != 0)
				die("produce", rd_kafka_err2str(rd_kafka_last_error()));
		}
		rd_kafka_poll(p, 0);
		take(c, o->match, sent, maxn, lat, &nlat, cap, 1);
		if (now_s() > deadline)
			die("latency", "deadline");
	}
	rd_kafka_flush(p, 10000);
	for (quiet = now_s() + 3; now_s() < quiet && now_s() < deadline; ) {
		before = nlat;
		take(c, o->match, sent, maxn, lat, &nlat, cap, 100);
		if (nlat > before)
			quiet = now_s() + 3;
	}
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	rd_kafka_destroy(p);
	qsort(lat, (size_t)nlat, sizeof(double), cmp_double);
	printf("sent %ld\nwarmup %ld\nsamples %ld\n", ev.n, o->warmup, nlat);
	if (nlat > 0)
		printf("p50_ms %.2f\np99_ms %.2f\nmax_ms %.2f\n", lat[(nlat - 1) / 2],
		    lat[(long)((double)(nlat - 1) * 0.99)], lat[nlat - 1]);
	free_events(&ev);
	if (samples_out != NULL)
		fclose(samples_out);
	free(sent);
	free(lat);
	return nlat > 0 ? 0 : 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_kafka consume -b BOOTSTRAP -t TOPIC -n N [-T S]\n"
	    "       bench_kafka committed -b BOOTSTRAP -t TOPIC -n N -g GROUP [-T S]\n"
	    "       bench_kafka latency -b BOOTSTRAP -t TOPIC -o OUTTOPIC -f TSV -n N\n"
	    "                           -r RATE -m id|caused_by [-L] [-s FILE] [-w W] [-T S]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct opts o = { .timeout_s = 300 };
	const char *cmd;
	int ch;

	if (argc < 2)
		usage();
	cmd = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "b:t:o:f:g:Lm:n:r:s:T:w:")) != -1) {
		switch (ch) {
		case 'b': o.bootstrap = optarg; break;
		case 't': o.topic = optarg; break;
		case 'o': o.out_topic = optarg; break;
		case 'f': o.file = optarg; break;
		case 'g': o.group = optarg; break;
		case 'L': o.live = 1; break;
		case 's':
			if ((samples_out = fopen(optarg, "w")) == NULL)
				die(optarg, strerror(errno));
			break;
		case 'm': o.match = optarg; break;
		case 'n': o.n = strtol(optarg, NULL, 10); break;
		case 'w': o.warmup = strtol(optarg, NULL, 10); break;
		case 'r': o.rate = strtod(optarg, NULL); break;
		case 'T': o.timeout_s = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if (o.bootstrap == NULL || o.topic == NULL || o.n <= 0)
		usage();
	if (strcmp(cmd, "consume") == 0)
		return cmd_consume(&o);
	if (strcmp(cmd, "committed") == 0 && o.group != NULL)
		return cmd_committed(&o);
	if (strcmp(cmd, "latency") == 0 && o.out_topic != NULL && o.file != NULL &&
	    o.rate > 0 && o.match != NULL)
		return cmd_latency(&o);
	usage();
	return 2;
}
