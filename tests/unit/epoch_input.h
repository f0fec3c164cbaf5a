/*
 * epoch_input.h: the input of the determinism tests (test_epoch.c,
 * test_remote.c): PEOPLE employees over NPART partitions and DAYS days,
 * each partition's attributes in its own order (so the feature registry's
 * order depends on which partition speaks first), some events late, and
 * a log of the outputs.
 */
#ifndef RETENTIOND_TEST_EPOCH_INPUT_H
#define RETENTIOND_TEST_EPOCH_INPUT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../pipeline/pipeline.h"

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

static inline unsigned
rnd(unsigned n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rng_state >> 33) % n);
}

static inline void
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
static inline void
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
static inline int
cmp_time(const void *a, const void *b)
{
	const char *x = strstr(*(char *const *)a, "\"time\":\""),
	    *y = strstr(*(char *const *)b, "\"time\":\"");
	int c = strncmp(x, y, 28);

	return c != 0 ? c : strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every 25th message of a partition arrives 6 messages late (late events,
 * some across a boundary). */
static inline void
delay_some(struct stream *s)
{
	for (int i = 0; i + 6 < s->n; i += 25) {
		char *m = s->msg[i];

		memmove(&s->msg[i], &s->msg[i + 1], 6 * sizeof(char *));
		s->msg[i + 6] = m;
	}
}

static inline int
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

static inline void
free_log(struct outlog *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	memset(l, 0, sizeof(*l));
}

/* Each key's records in emission order. */
struct keyed {
	const char	*line;
	int		 seq;
};

static inline int
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

static inline struct keyed *
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
static inline int
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

/* The partitions that may run a message now (not held at a boundary, not
 * dry) into cand[NPART]; how many. */
static inline int
streams_offer(int *cand)
{
	int nc = 0;

	for (int i = 0; i < NPART; i++)
		if (!streams[i].held && streams[i].next < streams[i].n)
			cand[nc++] = i;
	return nc;
}

/* Every partition waits at a boundary or ran dry: the epoch to enter
 * (the smallest a held message needs), each offered again; -1 at the end
 * of the input. */
static inline long
streams_boundary(void)
{
	long min = -1;

	for (int i = 0; i < NPART; i++)
		if (streams[i].held && (min < 0 || streams[i].epoch < min))
			min = streams[i].epoch;
	for (int i = 0; min >= 0 && i < NPART; i++)
		streams[i].held = 0;
	return min;
}

/* Message next of partition part into *m. */
static inline void
stream_message(int part, struct message *m)
{
	const struct stream *s = &streams[part];

	memset(m, 0, sizeof(*m));
	m->value = s->msg[s->next];
	m->len = strlen(s->msg[s->next]);
	m->topic = "hr.events";
	m->partition = part;
	m->offset = s->next;
}

#endif
