/*
 * fetch.c: the input's messages, one queue per assigned partition, so
 * that a partition the epoch gate holds keeps what the consumer fetched.
 *
 * Design note (DESIGN.md, "The determinism rule", "Cost"). A partition
 * that runs ahead of an epoch boundary must wait until every other
 * partition has crossed it. Pausing it (rd_kafka_pause_partitions()) made
 * librdkafka throw away what it had fetched of the partition, so each
 * resume waited for a new fetch, once per boundary and partition. Here
 * each assigned input partition's fetch queue stops being forwarded to the
 * consumer's queue (rd_kafka_queue_forward(q, NULL), set before the
 * assignment starts fetching, so no message of it reaches the consumer's
 * queue first), and the work loop takes messages only from the partitions
 * the gate does not hold: a held partition is simply not read, and what
 * was fetched of it waits in its queue for the boundary.
 *
 * Memory: librdkafka stops fetching a partition whose own queue holds
 * queued.min.messages messages or queued.max.messages.kbytes (limits that
 * apply per queue once it is not forwarded), so a held partition costs at
 * most that, and the assignment that many times over. Flow control
 * (flow.c) still pauses the whole assignment for the tracker or a full
 * producer queue; that drops what was fetched, which is rare and bounded.
 *
 * Order: messages of one partition come from its queue alone, in offset
 * order. The consumer's queue is still polled every turn, for rebalances,
 * errors and statistics. Partitions are served round robin, at most
 * FETCH_RUN messages in a row from one, so a busy partition does not keep
 * the others waiting.
 *
 * Waking: each queue writes a byte to one pipe when it goes from empty to
 * non-empty (rd_kafka_queue_io_event_enable()); a turn that found nothing
 * waits on the pipe rather than in the consumer's poll, so a message of
 * any partition ends the wait at once.
 *
 * Revoke: after the partitions are given up, each queue's wake-up is
 * turned off, what is left in it is dropped (it belongs to the next owner,
 * who reads from the committed offset), forwarding to the consumer's queue
 * is restored, and the handle destroyed (every handle must be gone before
 * the consumer is destroyed).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka.h"

#define FETCH_RUN	64	/* messages in a row from one partition */

struct fetch {
	rd_kafka_queue_t	*cq;		/* the consumer's queue */
	rd_kafka_queue_t	**q;		/* by input partition, NULL: not ours */
	int32_t			 nq;
	int32_t			 cursor;	/* the partition being served */
	int			 run;		/* messages in a row from it */
	int			 fd[2];		/* wake-up pipe: read, write */
};

/* See kafka.h. */
int
fetch_new(struct kafka *k, char *errbuf, size_t errlen)
{
	struct fetch *f = xcalloc(1, sizeof(*f));

	f->fd[0] = f->fd[1] = -1;
	k->fetch = f;
	/* non-blocking both ways: librdkafka's threads write, and must never
	 * wait for us */
	if (pipe2(f->fd, O_NONBLOCK | O_CLOEXEC) == -1) {
		snprintf(errbuf, errlen, "wake-up pipe: %s", strerror(errno));
		return -1;
	}
	if ((f->cq = rd_kafka_queue_get_consumer(k->consumer)) == NULL) {
		snprintf(errbuf, errlen, "the consumer has no queue");
		return -1;
	}
	rd_kafka_queue_io_event_enable(f->cq, f->fd[1], "c", 1);
	return 0;
}

/* Gives a partition's queue back to librdkafka: no wake-up, nothing left
 * in it, forwarded to the consumer's queue again. */
static void
release_queue(struct fetch *f, int32_t part)
{
	rd_kafka_message_t *rm;

	rd_kafka_queue_io_event_enable(f->q[part], -1, NULL, 0);
	while ((rm = rd_kafka_consume_queue(f->q[part], 0)) != NULL)
		rd_kafka_message_destroy(rm);
	rd_kafka_queue_forward(f->q[part], f->cq);
	rd_kafka_queue_destroy(f->q[part]);
	f->q[part] = NULL;
}

/* See kafka.h. Before the consumer is destroyed. NULL-safe. */
void
fetch_free(struct kafka *k)
{
	struct fetch *f = k->fetch;

	if (f == NULL)
		return;
	for (int32_t i = 0; i < f->nq; i++)
		if (f->q[i] != NULL)
			release_queue(f, i);
	if (f->cq != NULL) {
		rd_kafka_queue_io_event_enable(f->cq, -1, NULL, 0);
		rd_kafka_queue_destroy(f->cq);
	}
	for (int i = 0; i < 2; i++)
		if (f->fd[i] != -1)
			close(f->fd[i]);
	free(f->q);
	free(f);
	k->fetch = NULL;
}

/* See kafka.h. Called before the assignment takes effect. */
void
fetch_assign(struct kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
	struct fetch	*f = k->fetch;
	int32_t		 part, n;

	for (int i = 0; i < parts->cnt; i++) {
		part = parts->elems[i].partition;
		if (part < 0 || part >= ROUTE_VBASE ||
		    strcmp(parts->elems[i].topic, k->topic_input) != 0)
			continue;
		if (part >= f->nq) {
			n = part + 1 > f->nq * 2 ? part + 1 : f->nq * 2;
			if ((f->q = realloc(f->q, (size_t)n * sizeof(*f->q))) == NULL)
				fatal("realloc");
			memset(f->q + f->nq, 0, (size_t)(n - f->nq) * sizeof(*f->q));
			f->nq = n;
		}
		if (f->q[part] != NULL)
			continue;	/* ours already */
		f->q[part] = rd_kafka_queue_get_partition(k->consumer,
		    k->topic_input, part);
		if (f->q[part] == NULL)
			fatalx("no queue for partition %" PRId32, part);
		rd_kafka_queue_forward(f->q[part], NULL);
		rd_kafka_queue_io_event_enable(f->q[part], f->fd[1], "p", 1);
	}
}

/* See kafka.h. parts NULL: every partition. */
void
fetch_revoke(struct kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
	struct fetch	*f = k->fetch;
	int32_t		 part;

	if (parts == NULL) {
		for (part = 0; part < f->nq; part++)
			if (f->q[part] != NULL)
				release_queue(f, part);
		return;
	}
	for (int i = 0; i < parts->cnt; i++) {
		part = parts->elems[i].partition;
		if (part >= 0 && part < f->nq && f->q[part] != NULL &&
		    strcmp(parts->elems[i].topic, k->topic_input) == 0)
			release_queue(f, part);
	}
}

/* See kafka.h. */
rd_kafka_message_t *
fetch_next(struct kafka *k)
{
	struct fetch		*f = k->fetch;
	rd_kafka_message_t	*rm;
	int32_t			 i, part;

	for (i = 0; i < f->nq; i++) {
		part = (f->cursor + i) % f->nq;
		if (f->q[part] == NULL || gate_holding(k->gate, part))
			continue;	/* not ours, or waiting for a boundary */
		if ((rm = rd_kafka_consume_queue(f->q[part], 0)) == NULL)
			continue;
		if (i > 0 || ++f->run >= FETCH_RUN) {	/* the next one's turn */
			f->cursor = i > 0 ? part : (part + 1) % f->nq;
			f->run = i > 0;
		}
		return rm;
	}
	return NULL;
}

/* See kafka.h. */
void
fetch_wait(struct kafka *k, int timeout_ms)
{
	struct fetch	*f = k->fetch;
	struct pollfd	 pfd = { .fd = f->fd[0], .events = POLLIN };
	char		 buf[256];

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return;		/* timeout, or a signal (a stop to look at) */
	while (read(f->fd[0], buf, sizeof(buf)) > 0)
		;
}

/* See kafka.h. */
void
kafka_to_message(struct kafka *k, const rd_kafka_message_t *rm, struct message *m)
{
	rd_kafka_headers_t	*hdrs;
	const char		*name;
	const void		*val;
	size_t			 vlen, n = 0;

	memset(m, 0, sizeof(*m));
	m->key = rm->key;
	m->keylen = rm->key_len;
	m->value = rm->payload;
	m->len = rm->len;
	m->topic = rd_kafka_topic_name(rm->rkt);
	m->partition = rm->partition;
	m->offset = rm->offset;
	m->wall_ms = kafka_wall_ms();
	if (rd_kafka_message_headers(rm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		while (n < HEADERS_MAX && rd_kafka_header_get_all(hdrs, n, &name,
		    &val, &vlen) == RD_KAFKA_RESP_ERR_NO_ERROR) {
			k->headers[n].name = name;
			k->headers[n].value = val;
			k->headers[n].len = vlen;
			n++;
		}
		if (n == HEADERS_MAX)
			log_warn_limited("kafka-headers", "message with more than "
			    "%d headers: the rest are ignored", HEADERS_MAX);
	}
	m->headers = n > 0 ? k->headers : NULL;
	m->nheaders = n;
}
