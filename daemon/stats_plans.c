/*
 * stats_plans.c: the month's plans with several instances (DESIGN.md,
 * "Shared statistics across instances", plans; issue 9). Beside the
 * statistics (stats.c), each instance publishes the candidates of the
 * partitions it held at a month's first boundary (plan_share.c) to the
 * candidates topic, reads every instance's back with the stats reader,
 * and once every input partition's candidates of that boundary are in,
 * publishes the plans one instance would have: every instance the same
 * bytes under the same plan_id and key.
 *
 * Design note.
 *   - A record: "RPC1", the input topic, the partition, the boundary's
 *     epoch (i64), then the partition's candidates as
 *     pipeline_plan_candidates_save() writes them. Keyed
 *     "<topic>:<partition>", in partition murmur2(key) mod the topic's
 *     partition count: compaction keeps a partition's last record.
 *   - They name employees (ids, actions, risks): the topic is to be
 *     protected as the suggestions topic is, not as the stats topic.
 *   - Sent: each turn while a plan waits, for each partition the
 *     pipeline kept candidates of at the boundary and, for a partition
 *     owned without a shard then or now, an empty list. A partition that
 *     moves between the boundary and its record may be sent by both
 *     instances or by none (DESIGN.md says so).
 *   - Kept: per input partition the record of the newest epoch read.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kafka.h"
#include "stats_int.h"
#include "../state/serial.h"

#define CANDS_TOPIC	"retentiond.candidates"
#define CANDS_MAGIC	0x31435052U	/* "RPC1" */

struct cands {
	char		 topic[256];
	int32_t		 nparts;	/* the topic's partitions, 0 unknown */
	int		 on;		/* the pipeline's plans are shared */
	long		 epoch[ROUTE_VBASE];	/* of the record kept, LONG_MIN */
	uint8_t		*img[ROUTE_VBASE];
	size_t		 len[ROUTE_VBASE];
	long		 sent[ROUTE_VBASE];	/* epoch of our last record */
	long		 loaded[ROUTE_VBASE];	/* epoch loaded into the pipeline */
};

/* See stats_int.h. */
struct cands *
cands_new(const struct config *cfg)
{
	struct cands *c = xcalloc(1, sizeof(*c));

	snprintf(c->topic, sizeof(c->topic), "%s", cfg->topic_candidates[0] != '\0' ?
	    cfg->topic_candidates : CANDS_TOPIC);
	for (int i = 0; i < ROUTE_VBASE; i++)
		c->epoch[i] = c->sent[i] = c->loaded[i] = LONG_MIN;
	return c;
}

/* See stats_int.h. NULL-safe. */
void
cands_free(struct cands *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < ROUTE_VBASE; i++)
		free(c->img[i]);
	free(c);
}

/* See stats_int.h. */
int
cands_assign(struct kafka *k, struct cands *c, int32_t ninput,
    rd_kafka_topic_partition_list_t *l)
{
	if (c->nparts <= 0) {
		kafka_create_topic(k, c->topic, ninput);
		if ((c->nparts = kafka_partition_count(k->producer, c->topic, 3)) <= 0)
			return -1;
	}
	for (int32_t i = 0; i < c->nparts; i++)
		rd_kafka_topic_partition_list_add(l, c->topic, i)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	return 0;
}

/* See stats_int.h. */
int
cands_read(struct kafka *k, struct cands *c, const rd_kafka_message_t *rm)
{
	char		 topic[256];
	struct rbuf	 r;
	uint32_t	 part;
	int64_t		 e;
	size_t		 len;
	const void	*img;

	if (rm->rkt == NULL || strcmp(rd_kafka_topic_name(rm->rkt), c->topic) != 0)
		return 0;
	if (rm->err != RD_KAFKA_RESP_ERR_NO_ERROR || rm->payload == NULL)
		return 1;
	rbuf_init(&r, rm->payload, rm->len);
	if (rbuf_u32(&r) != CANDS_MAGIC)
		goto bad;
	rbuf_str(&r, topic, sizeof(topic));
	part = rbuf_u32(&r);
	e = rbuf_i64(&r);
	len = rbuf_left(&r);
	img = rbuf_take(&r, len);
	if (r.failed || part >= ROUTE_VBASE || e < 0)
		goto bad;
	if (strcmp(topic, k->topic_input) != 0 || e < c->epoch[part])
		return 1;	/* another input's, or older than the one kept */
	free(c->img[part]);
	c->img[part] = xcalloc(1, len > 0 ? len : 1);
	memcpy(c->img[part], img, len);
	c->len[part] = len;
	c->epoch[part] = (long)e;
	c->loaded[part] = LONG_MIN;
	return 1;
bad:
	log_warn_limited("cands-bad", "%s [%" PRId32 "] offset %" PRId64 ": not a "
	    "candidates record, skipped", c->topic, rm->partition, rm->offset);
	return 1;
}

/* Sends partition part's candidates of boundary e when this instance has
 * them (kept at the boundary, or none and the partition is its own); 0,
 * or -1 (k->failed or k->aborted set). */
static int
send_one(struct kafka *k, struct cands *c, struct pipeline *p, int32_t part,
    long e)
{
	char			 key[300];
	int			 keylen, rc;
	struct kafka_record	 rec;
	struct wbuf		 w;

	wbuf_init(&w);
	wbuf_u32(&w, CANDS_MAGIC);
	wbuf_str(&w, k->topic_input);
	wbuf_u32(&w, (uint32_t)part);
	wbuf_i64(&w, e);
	daemon_lock();
	rc = pipeline_plan_candidates_save(p, part, &w);
	daemon_unlock();
	c->sent[part] = e;
	if (rc == -1 && gate_assigned(k->gate, part))
		log_warn_limited("cands-lost", "plans of epoch %ld: %s [%" PRId32 "] "
		    "was gained after the boundary, its candidates are not here",
		    e, k->topic_input, part);
	if (rc == -1 || (rc == 1 && !gate_assigned(k->gate, part))) {
		wbuf_free(&w);
		return 0;
	}
	keylen = snprintf(key, sizeof(key), "%s:%" PRId32, k->topic_input, part);
	rec = (struct kafka_record){ c->topic, partitioner_partition(
	    PARTITIONER_MURMUR2, key, (size_t)keylen, c->nparts), key, w.p,
	    (size_t)keylen, w.len, NULL, NULL };
	rc = kafka_produce_record(k, &rec);
	wbuf_free(&w);
	return rc;
}

/* See stats_int.h. */
void
cands_step(struct kafka *k, struct cands *c, struct pipeline *p, int32_t ninput)
{
	struct emit_ctx	 ctx = { k, NULL };
	char		 err[256];
	struct rbuf	 r;
	long		 e;
	int		 rc;

	if (!c->on) {
		daemon_lock();
		rc = pipeline_plans_shared(p, 1);
		daemon_unlock();
		if (rc == -1) {
			log_msg(LOG_ERR, "out of memory sharing the plans; stopping");
			k->failed = 1;
			return;
		}
		c->on = 1;
	}
	if ((e = pipeline_plan_pending(p)) < 0 || c->nparts <= 0)
		return;
	for (int32_t part = 0; part < ninput && !k->failed; part++) {
		if (c->sent[part] != e && send_one(k, c, p, part, e) == -1)
			return;
		if (c->epoch[part] != e || c->loaded[part] == e)
			continue;
		rbuf_init(&r, c->img[part], c->len[part]);
		daemon_lock();
		if (pipeline_plan_candidates_load(p, part, e, &r, err, sizeof(err)) == -1)
			log_warn_limited("cands-bad", "candidates of %s [%" PRId32 "] "
			    "for epoch %ld: %s; skipped", k->topic_input, part, e, err);
		daemon_unlock();
		c->loaded[part] = e;
	}
	daemon_lock();
	rc = pipeline_plan_publish(p, ninput, kafka_emit, &ctx);
	daemon_unlock();
	if (rc == 1)
		log_info("%s: the plans of epoch %ld, from every partition's "
		    "candidates", k->topic_input, e);
	else if (rc == -1) {
		if (!k->aborted)
			log_msg(LOG_ERR, "publishing the plans of epoch %ld failed; "
			    "stopping", e);
		k->failed = 1;
	}
}

/* See stats_int.h. */
void
cands_alone(struct cands *c, struct pipeline *p)
{
	long e;

	if (c == NULL || !c->on)
		return;
	daemon_lock();
	if ((e = pipeline_plan_pending(p)) >= 0)
		log_warn_limited("cands-alone", "plans of epoch %ld dropped: this "
		    "instance owns every partition now, the others' candidates "
		    "will not come", e);
	(void)pipeline_plans_shared(p, 0);
	daemon_unlock();
	c->on = 0;
}
