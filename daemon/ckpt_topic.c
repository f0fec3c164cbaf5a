/*
 * ckpt_topic.c: each partition's checkpoint image in a compacted topic
 * ([topics] checkpoints, e.g. retentiond.checkpoints), so that the
 * instance that takes a partition over restores its state from Kafka,
 * with an empty disk if need be (DESIGN.md, "Checkpoints" and
 * "Scale-out").
 *
 * Design note.
 *   - What: per assigned partition, the image pipeline_shard_image()
 *     makes (the epoch state with the registry its ids refer to, and the
 *     shard), framed as checkpoint files are (checkpoint_frame(): magic,
 *     format version, length, CRC-32C). One image per partition, not the
 *     whole pipeline: a new owner needs one partition, and the whole
 *     pipeline per partition would multiply the bytes by the partition
 *     count.
 *   - Records, keyed under the consumer group and the input topic, so
 *     that groups reading the same input keep their own state:
 *       <group>:<topic>:<p>:<slot>:<i>  chunk i (< 512 KiB) of partition
 *                                       p's image of slot gen mod 2
 *       <group>:<topic>:<p>             the manifest: generation, slot,
 *                                       chunk count, length, CRC-32C
 *     Two slots, so that compaction (which keeps the last record of each
 *     key) always keeps one whole generation: generation g+1 is written
 *     into the slot g does not use, and its manifest only once every
 *     chunk of it is delivered (a flush between the two), so the newest
 *     manifest always names chunks that are there. After an erasure both
 *     slots are written, so no generation that held the employee stays
 *     named (compaction then removes the old values, DESIGN.md).
 *   - Placement: an explicit partition, murmur2 of the key modulo the
 *     topic's partition count from metadata, so any count works (the
 *     mock cluster auto-creates 4). Created with the Admin API where the
 *     cluster allows it, cleanup.policy=compact.
 *   - Order: kafka_checkpoint() writes the file, then publishes, then
 *     caps the commits: a partition's committed offset never passes the
 *     newest image of it delivered to the topic (ckpt_topic_cap()).
 *   - Restore: an assign-only consumer outside the group reads every
 *     partition of the topic to its high watermark when partitions are
 *     assigned that the pipeline has no state for; the newest manifest
 *     of each wins, its chunks must carry its generation and add up to
 *     its length and CRC. A bad image is refused whole (logged without
 *     personal data, counted) and the partition starts from the group's
 *     committed offset.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../state/serial.h"
#include "ckpt_topic_int.h"


/* See kafka.h. */
int
ckpt_topic_new(struct kafka *k, const struct config *cfg, const rd_kafka_conf_t *cc,
    char *errbuf, size_t errlen)
{
	struct ckpt_topic	*ct;
	char			 group[256];
	size_t			 glen = sizeof(group);

	if (cfg->topic_checkpoints[0] == '\0')
		return 0;
	ct = xcalloc(1, sizeof(*ct));
	snprintf(ct->topic, sizeof(ct->topic), "%s", cfg->topic_checkpoints);
	if (rd_kafka_conf_get(cc, "group.id", group, &glen) != RD_KAFKA_CONF_OK)
		group[0] = '\0';
	snprintf(ct->prefix, sizeof(ct->prefix), "%s:%s:", group, cfg->topic_input);
	for (int i = 0; i < PARTS_MAX; i++)
		ct->pub[i].next = ct->pub[i].rep = -1;
	if ((ct->reader = kafka_reader_new(cc, "checkpoint topic", NULL, errbuf,
	    errlen)) == NULL) {
		free(ct);
		return -1;
	}
	k->ckpt = ct;
	return 0;
}

/* See kafka.h. NULL-safe. */
void
ckpt_topic_free(struct kafka *k)
{
	struct ckpt_topic *ct = k->ckpt;

	if (ct == NULL)
		return;
	kafka_reader_free(ct->reader);
	free(ct);
	k->ckpt = NULL;
}

/* See ckpt_topic_int.h. */
int32_t
ckpt_topic_parts(struct kafka *k, struct ckpt_topic *ct)
{
	if (ct->nparts > 0)
		return ct->nparts;
	if (!ct->created) {
		ct->created = 1;
		kafka_create_topic_with(k, ct->topic, 4, "cleanup.policy", "compact");
	}
	ct->nparts = kafka_partition_count(k->producer, ct->topic, 5);
	if (ct->nparts > 0)
		log_info("partition images go to %s (%" PRId32 " partitions)",
		    ct->topic, ct->nparts);
	return ct->nparts;
}

/* Produces one record (copied) to its murmur2 partition. 0, or -1 (the
 * loop fails or stops). */
static int
put(struct kafka *k, struct ckpt_topic *ct, const char *key, const void *v,
    size_t len)
{
	int32_t			part = partitioner_partition(PARTITIONER_MURMUR2, key,
				    strlen(key), ct->nparts);
	rd_kafka_resp_err_t	err;

	for (;;) {
		err = rd_kafka_producev(k->producer, RD_KAFKA_V_TOPIC(ct->topic),
		    RD_KAFKA_V_PARTITION(part),
		    RD_KAFKA_V_KEY((void *)(uintptr_t)key, strlen(key)),
		    RD_KAFKA_V_VALUE((void *)(uintptr_t)v, len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
			return 0;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(k->producer, POLL_MS);
		if (k->failed || *k->stop)
			return -1;
	}
	log_warn_limited("ckpt-produce", "producing to %s failed: %s", ct->topic,
	    rd_kafka_err2str(err));
	return -1;
}

/* The chunks of one framed image of generation gen into slot. 0 or -1. */
static int
put_chunks(struct kafka *k, struct ckpt_topic *ct, int32_t part, uint64_t gen,
    unsigned slot, const struct wbuf *img, uint32_t *count)
{
	char		key[600];
	struct wbuf	v;
	size_t		off = 0, n;
	uint32_t	i = 0;
	int		rc = 0;

	*count = (uint32_t)((img->len + CHUNK_MAX - 1) / CHUNK_MAX);
	wbuf_init(&v);
	for (; off < img->len && rc == 0; off += n, i++) {
		n = img->len - off < CHUNK_MAX ? img->len - off : CHUNK_MAX;
		v.len = 0;
		wbuf_bytes(&v, CHUNK_MAGIC, MAGIC_LEN);
		wbuf_u64(&v, gen);
		wbuf_u32(&v, i);
		wbuf_u32(&v, *count);
		wbuf_bytes(&v, img->p + off, n);
		snprintf(key, sizeof(key), "%s%" PRId32 ":%u:%u", ct->prefix, part,
		    slot, (unsigned)i);
		rc = v.failed ? -1 : put(k, ct, key, v.p, v.len);
	}
	wbuf_free(&v);
	return rc;
}

static int
put_manifest(struct kafka *k, struct ckpt_topic *ct, int32_t part, uint64_t gen,
    unsigned slot, uint32_t count, uint64_t len, uint32_t crc)
{
	char		key[600];
	struct wbuf	v;
	int		rc;

	wbuf_init(&v);
	wbuf_bytes(&v, MANIFEST_MAGIC, MAGIC_LEN);
	wbuf_u64(&v, gen);
	wbuf_u32(&v, slot);
	wbuf_u32(&v, count);
	wbuf_u64(&v, len);
	wbuf_u32(&v, crc);
	snprintf(key, sizeof(key), "%s%" PRId32, ct->prefix, part);
	rc = v.failed ? -1 : put(k, ct, key, v.p, v.len);
	wbuf_free(&v);
	return rc;
}

/* Waits for every record so far to be delivered. 0, or -1. */
static int
flushed(struct kafka *k, struct ckpt_topic *ct)
{
	if (rd_kafka_flush(k->producer, FLUSH_CHECKPOINT_MS) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR && !k->failed)
		return 0;
	log_warn_limited("ckpt-flush", "partition images to %s not delivered "
	    "after %d ms: commits wait", ct->topic, FLUSH_CHECKPOINT_MS);
	return -1;
}

/* The partitions to publish: assigned, with a shard that changed since
 * its last image (every assigned one after an erasure). */
static int
changed(struct kafka *k, struct ckpt_topic *ct, struct pipeline *p, int32_t part,
    int all)
{
	struct shard_info info;

	if (part >= PARTS_MAX || !durable_assigned(k->durable, part))
		return 0;
	long epoch;
	int has;

	daemon_lock();
	has = pipeline_shard_info(p, part, &info) == 0;
	epoch = pipeline_epoch(p);
	daemon_unlock();
	/* a new epoch changes every shard's statistics (forgetting), and the
	 * images of one moment restore together best (one registry) */
	return has && (all || ct->pub[part].next < 0 ||
	    info.messages != ct->pub[part].msgs || epoch != ct->pub[part].epoch);
}

/* An image whose chunks are out, until its manifest is. */
struct sent {
	int32_t		part;
	uint32_t	count, crc;
	uint64_t	len, messages;
	int64_t		next, rep;
};

/* Chunks of every changed partition's image into the slots of
 * generations gen0..last; what was sent into *out (new array), *n. */
static int
send_chunks(struct kafka *k, struct ckpt_topic *ct, struct pipeline *p,
    uint64_t gen0, int all, struct sent **out, int *n)
{
	struct shard_info	 info;
	struct wbuf		 img;
	struct sent		*v = xcalloc(PARTS_MAX, sizeof(*v));
	int			 rc = 0;

	*n = 0;
	wbuf_init(&img);
	for (int32_t part = pipeline_shard_next(p, -1); part >= 0 && rc == 0;
	    part = pipeline_shard_next(p, part)) {
		if (!changed(k, ct, p, part, all))
			continue;
		img.len = 0;
		img.failed = 0;
		if (checkpoint_shard_image(p, part, &img, &info) == -1) {
			rc = -1;
			break;
		}
		for (uint64_t g = gen0; g <= ct->generation && rc == 0; g++)
			rc = put_chunks(k, ct, part, g, NEXT_SLOT(ct, part, g - gen0),
			    &img, &v[*n].count);
		v[*n].part = part;
		v[*n].crc = serial_crc32c(0, img.p, img.len);
		v[*n].len = img.len;
		v[*n].messages = info.messages;
		v[*n].next = info.next_offset;
		v[*n].rep = info.rep_next_offset;
		(*n)++;
	}
	wbuf_free(&img);
	*out = v;
	return rc;
}

/* See kafka.h. */
int
ckpt_topic_publish(struct kafka *k, struct pipeline *p, int both_slots)
{
	struct ckpt_topic	*ct = k->ckpt;
	struct sent		*v = NULL;
	uint64_t		 gen0, bytes = 0;
	int			 n = 0, rc;

	if (ct == NULL)
		return 0;
	if (ckpt_topic_parts(k, ct) <= 0) {
		log_warn_limited("ckpt-topic", "%s: partition count unknown: "
		    "partition images wait, and so do commits", ct->topic);
		return -1;
	}
	gen0 = ct->generation + 1 > (uint64_t)kafka_wall_ms() ?
	    ct->generation + 1 : (uint64_t)kafka_wall_ms();
	ct->generation = gen0 + (both_slots ? 1 : 0);
	/* every chunk delivered before the manifest that names it */
	rc = send_chunks(k, ct, p, gen0, both_slots, &v, &n);
	if (rc == 0 && n > 0)
		rc = flushed(k, ct);
	for (int i = 0; i < n && rc == 0; i++)
		for (uint64_t g = gen0; g <= ct->generation && rc == 0; g++)
			rc = put_manifest(k, ct, v[i].part, g,
			    NEXT_SLOT(ct, v[i].part, g - gen0), v[i].count, v[i].len,
			    v[i].crc);
	if (rc == 0 && n > 0)
		rc = flushed(k, ct);
	for (int i = 0; i < n && rc == 0; i++) {
		struct image_mark *m = &ct->pub[v[i].part];

		m->next = v[i].next;
		m->rep = v[i].rep < 0 ? 0 : v[i].rep;
		m->msgs = v[i].messages;
		m->epoch = pipeline_epoch(p);
		m->gen = ct->generation;
		ct->slot[v[i].part] = NEXT_SLOT(ct, v[i].part, ct->generation - gen0);
		bytes += v[i].len;
	}
	free(v);
	if (rc == 0 && n > 0) {
		METRICS_ADD(images_published, (uint64_t)n);
		METRICS_SET(images_bytes, bytes);
	}
	return rc;
}

/* See kafka.h: what partition's commits may reach; -1 none. */
int64_t
ckpt_topic_cap(struct kafka *k, int32_t partition, int64_t local)
{
	struct ckpt_topic *ct = k->ckpt;

	if (ct == NULL)
		return local;
	if (partition < 0 || partition >= PARTS_MAX)
		return -1;
	return ct->pub[partition].next;
}

/* See kafka.h. */
int64_t
ckpt_topic_rep_cap(struct kafka *k, int32_t partition)
{
	struct ckpt_topic *ct = k->ckpt;

	if (ct == NULL)
		return INT64_MAX;
	return partition < 0 || partition >= PARTS_MAX ? -1 :
	    ct->pub[partition].rep;
}

/* See kafka.h. */
void
ckpt_topic_forget(struct kafka *k, int32_t partition)
{
	struct ckpt_topic *ct = k->ckpt;

	if (ct == NULL || partition < 0 || partition >= PARTS_MAX)
		return;
	ct->pub[partition] = (struct image_mark){ -1, -1, 0, 0, 0 };
}

/* See kafka.h. */
void
ckpt_topic_park(struct kafka *k, int32_t partition)
{
	struct ckpt_topic *ct = k->ckpt;

	if (ct != NULL && partition >= 0 && partition < PARTS_MAX)
		ct->parked[partition] = ct->pub[partition];
}
