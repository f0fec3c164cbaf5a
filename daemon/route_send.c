/*
 * route_send.c: what an input partition sends on to its employee's
 * partition through the repartition topic, and when (DESIGN.md,
 * "Scale-out: one employee, one record"; route.c has the design note).
 *
 * An input message is sent on when its key is absent or its partition is
 * not its subject's canonical one, unless it does not decode (the DLQ gets
 * it where it arrived) or it is of a later epoch than the pipeline's: then
 * it waits at its partition like one of the partition's own, so that the
 * partition crosses the boundary at it, and is sent on once the pipeline
 * has entered its epoch (route_send_held()).
 *
 * No personal data in logs: subjects are never printed.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "route.h"

/*
 * Decodes rm into r->ev (the subject, and the time for later_epoch()): 0,
 * or -1 when it does not decode or names no subject (the pipeline rejects
 * it where it is: the DLQ gets it from the partition it arrived on).
 */
static int
decode(struct kafka *k, struct route *r, const rd_kafka_message_t *rm,
    int64_t *wall_ms)
{
	struct message	m;
	char		why[ERRBUF_MAX];
	int		rc;

	kafka_to_message(k, rm, &m);
	*wall_ms = m.wall_ms;
	daemon_lock();		/* the decoder's arena is the pipeline's */
	rc = decode_event(&m, &r->ev, why, sizeof(why), NULL);
	daemon_unlock();
	return rc == -1 || r->ev.subject[0] == '\0' ? -1 : 0;
}

/* 1 when the decoded r->ev is of a later epoch than the pipeline's: the
 * pipeline refuses it where it is (PIPE_BLOCKED), and the gate holds it at
 * its partition like one of the partition's own, so that the partition
 * crosses the boundary at its first event of the next epoch, whichever
 * shard that event is for (DESIGN.md, "Scale-out"): nothing of a later
 * epoch reaches a repartition stream, and a stream is complete for the
 * boundary once what was sent to it is read back. A later wall clock
 * never unblocks it (pipeline_event_epoch()), so it is refused there. */
static int
later_epoch(struct kafka *k, struct route *r, int64_t wall_ms)
{
	long need;

	if (k->pipeline == NULL)
		return 0;
	daemon_lock();
	need = pipeline_event_epoch(k->pipeline, &r->ev, wall_ms);
	daemon_unlock();
	return need >= 0;
}

/* Produces rm to the repartition topic for canonical partition c, its
 * entry pending on the delivery. 0, or -1 (k->failed or k->aborted set). */
static int
forward(struct kafka *k, struct route *r, const rd_kafka_message_t *rm,
    const char *key, size_t keylen, int32_t c, struct track_entry *entry)
{
	rd_kafka_headers_t	*orig = NULL, *h;
	struct kafka_record	 rec;
	char			 num[16], src[48], when[24], from[64];
	int32_t			 rp = c % r->nrep;

	snprintf(num, sizeof(num), "%" PRId32, c);
	snprintf(src, sizeof(src), "%" PRId32 ":%" PRId64, rm->partition, rm->offset);
	snprintf(when, sizeof(when), "%" PRId64, r->ev.time_ms);	/* decoded */
	snprintf(from, sizeof(from), "%s:%" PRIu64, r->sender, r->forwarded[rp]);
	h = rd_kafka_message_headers(rm, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR ?
	    rd_kafka_headers_copy(orig) : rd_kafka_headers_new(1);
	rd_kafka_header_remove(h, ROUTE_HEADER);
	rd_kafka_header_remove(h, ROUTE_SOURCE_HEADER);
	rd_kafka_header_remove(h, ROUTE_TIME_HEADER);
	rd_kafka_header_remove(h, ROUTE_SENDER_HEADER);
	rd_kafka_header_add(h, ROUTE_HEADER, -1, num, -1);
	rd_kafka_header_add(h, ROUTE_SOURCE_HEADER, -1, src, -1);
	rd_kafka_header_add(h, ROUTE_TIME_HEADER, -1, when, -1);
	rd_kafka_header_add(h, ROUTE_SENDER_HEADER, -1, from, -1);
	rec = (struct kafka_record){ r->topic, rp, key, rm->payload, keylen,
	    rm->len, h, entry };
	if (kafka_produce_record(k, &rec) == -1)
		return -1;
	track_output(entry);
	r->forwarded[rp]++;
	if (r->owned[c])	/* in flight to our own stream */
		gate_seen(k->gate, ROUTE_VBASE + c, kafka_mono_ms(), 0);
	return 0;
}

/* c, rm's canonical partition, when rm must be sent on now (no key, or
 * keyed away from it; *key the subject: rm's key, else r->ev's); -1 to
 * process it here: it belongs here, it does not decode, or it is of a
 * later epoch (later_epoch(): it waits here). */
static int32_t
target(struct kafka *k, struct route *r, const rd_kafka_message_t *rm,
    const char **key, size_t *keylen)
{
	int64_t	wall_ms;
	int32_t	c = -1;
	int	keyed = rm->key != NULL && rm->key_len > 0;

	if (r == NULL || r->rep == NULL || r->nrep == 0 || rm->partition >= r->ninput)
		return -1;
	if (keyed) {
		*key = rm->key;
		*keylen = rm->key_len;
		if ((c = partitioner_partition(r->partitioner, *key, *keylen,
		    r->ninput)) == rm->partition)
			return -1;
	}
	if (decode(k, r, rm, &wall_ms) == -1)
		return -1;
	if (!keyed) {
		*key = r->ev.subject;
		*keylen = strlen(r->ev.subject);
		c = partitioner_partition(r->partitioner, *key, *keylen, r->ninput);
	}
	/* Without a key, always the repartition path, even when the client's
	 * random pick was right: an employee whose events come without a key
	 * then has them all on one path, in one order, whatever the picks. */
	return c < 0 || later_epoch(k, r, wall_ms) ? -1 : c;
}

/* Sends rm on under entry, which ends with the delivery; its partition's
 * shard has then read past it (a checkpoint resumes after it: the copy is
 * delivered before any checkpoint is written, durable.c). */
static void
send_on(struct kafka *k, rd_kafka_message_t *rm, const char *key,
    size_t keylen, int32_t c, struct track_entry *entry)
{
	struct message m;

	if (forward(k, k->route, rm, key, keylen, c, entry) == 0) {
		METRICS_ADD(repartitioned, 1);
		kafka_to_message(k, rm, &m);
		daemon_lock();
		if (k->pipeline != NULL && pipeline_sent_on(k->pipeline, &m) == -1)
			k->failed = 1;
		daemon_unlock();
	}
	track_end(entry, k->failed || k->aborted);
	rd_kafka_message_destroy(rm);
}

/* See kafka.h: 1 when rm (an input message) belongs to another partition
 * and was sent on (its entry ends with the delivery), 0 to process it
 * here, to hold it here when it is of a later epoch (the pipeline refuses
 * it, the gate holds it: its partition has crossed the boundary), or to
 * queue it behind the partition's held messages (in input order: the
 * shard's position moves one message at a time); route_send_held() sends
 * a held one on when its turn comes. */
int
route_divert(struct kafka *k, rd_kafka_message_t *rm)
{
	struct track_entry	*entry;
	const char		*key;
	size_t			 keylen;
	int32_t			 c;

	if (gate_holding(k->gate, rm->partition) ||
	    (c = target(k, k->route, rm, &key, &keylen)) < 0 ||
	    (entry = track_begin(k->track, rm->partition, rm->offset)) == NULL)
		return 0;
	/* silent since it was written, not since it was read (gate.c) */
	gate_seen(k->gate, rm->partition, kafka_written_ms(rm), 0);
	METRICS_SET(kafka_up, 1);
	send_on(k, rm, key, keylen, c, entry);
	return 1;
}

/* See kafka.h. */
int
route_send_held(struct kafka *k, rd_kafka_message_t *rm, struct track_entry *entry)
{
	const char	*key;
	size_t		 keylen;
	int32_t		 c;

	if ((c = target(k, k->route, rm, &key, &keylen)) < 0)
		return 0;
	send_on(k, rm, key, keylen, c, entry);
	return 1;
}
