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
#include "kafka.h"

#define CHUNK_MAX	(512 * 1024)
#define CHUNK_MAGIC	"RTDCKCH1"
#define MANIFEST_MAGIC	"RTDCKMF1"
#define MAGIC_LEN	8
#define CHUNK_HEAD	(MAGIC_LEN + 8 + 4 + 4)
#define MANIFEST_LEN	(MAGIC_LEN + 8 + 4 + 4 + 8 + 4)
#define READ_MS		30000	/* reading the topic to its end, at most */
#define PARTS_MAX	ROUTE_VBASE
#define IMAGE_MAX	((uint64_t)1 << 32)
/* The slot of the i-th generation (0, 1) written after the newest one. */
#define NEXT_SLOT(ct, part, i)	((unsigned)((ct)->slot[part] + 1 + (i)) % 2)

/* A chunk read back, until its image is assembled. */
struct chunk {
	int32_t		 part;
	uint32_t	 slot, index;
	uint64_t	 gen;
	uint8_t		*data;
	size_t		 len;
	struct chunk	*next;
};

struct manifest {
	int		 have;
	uint64_t	 gen, len;
	uint32_t	 slot, count, crc;
};

struct ckpt_topic {
	char		 topic[256];
	char		 prefix[520];	/* "<group>:<input>:" (255 + 255 + 2) */
	rd_kafka_t	*reader;	/* assign only, never commits */
	int32_t		 nparts;	/* the topic's, 0 unknown */
	int		 created;
	uint64_t	 generation;	/* the last one written or read */
	/* per input partition: what the newest delivered image reflects */
	int64_t		 published_next[PARTS_MAX];	/* -1 none */
	int64_t		 published_rep[PARTS_MAX];	/* in its stream; -1 none */
	uint64_t	 published_msgs[PARTS_MAX];
	long		 published_epoch[PARTS_MAX];	/* the pipeline's then */
	/* the slot of the partition's newest manifest, written or read: the
	 * next generation goes into the other one (generations start from
	 * the wall clock, so their parity says nothing) */
	uint8_t		 slot[PARTS_MAX];
};

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
		ct->published_next[i] = ct->published_rep[i] = -1;
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

/* The topic's partition count, creating it (compacted) the first time. */
static int32_t
topic_parts(struct kafka *k, struct ckpt_topic *ct)
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

/* One partition's image, framed, into img (appended). 0, or -1. */
static int
frame_image(struct pipeline *p, int32_t part, struct wbuf *img,
    struct shard_info *info)
{
	struct wbuf	body;
	int		rc;

	wbuf_init(&body);
	daemon_lock();
	rc = pipeline_shard_image(p, part, &body) == 0 &&
	    pipeline_shard_info(p, part, info) == 0 ? 0 : -1;
	daemon_unlock();
	if (rc == 0)
		checkpoint_frame(body.p, body.len, img);
	wbuf_free(&body);
	return rc == 0 && !img->failed ? 0 : -1;
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
	return has && (all || ct->published_next[part] < 0 ||
	    info.messages != ct->published_msgs[part] ||
	    epoch != ct->published_epoch[part]);
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
		if (frame_image(p, part, &img, &info) == -1) {
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
	if (topic_parts(k, ct) <= 0) {
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
		ct->published_next[v[i].part] = v[i].next;
		ct->published_rep[v[i].part] = v[i].rep < 0 ? 0 : v[i].rep;
		ct->published_msgs[v[i].part] = v[i].messages;
		ct->published_epoch[v[i].part] = pipeline_epoch(p);
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
	return ct->published_next[partition];
}

/* See kafka.h. */
int64_t
ckpt_topic_rep_cap(struct kafka *k, int32_t partition)
{
	struct ckpt_topic *ct = k->ckpt;

	if (ct == NULL)
		return INT64_MAX;
	return partition < 0 || partition >= PARTS_MAX ? -1 :
	    ct->published_rep[partition];
}

/* See kafka.h. */
void
ckpt_topic_forget(struct kafka *k, int32_t partition)
{
	struct ckpt_topic *ct = k->ckpt;

	if (ct == NULL || partition < 0 || partition >= PARTS_MAX)
		return;
	ct->published_next[partition] = ct->published_rep[partition] = -1;
	ct->published_msgs[partition] = 0;
}

/* ---- reading back --------------------------------------------------- */

/* What reading the topic collects for the wanted partitions. */
struct found {
	const unsigned char	*want;		/* [PARTS_MAX] */
	struct manifest		 man[PARTS_MAX];
	struct chunk		*chunks;
	size_t			 bytes;
};

/* The input partition (and for a chunk, slot and index) a key names
 * under our prefix: 1 a manifest, 2 a chunk, 0 none of ours. */
static int
parse_key(const struct ckpt_topic *ct, const void *key, size_t len, int32_t *part,
    unsigned *slot, unsigned *index)
{
	char	buf[64];
	size_t	plen = strlen(ct->prefix);
	long	v[3];
	char	*s, *end;
	int	n = 0;

	if (key == NULL || len <= plen || len - plen >= sizeof(buf) ||
	    memcmp(key, ct->prefix, plen) != 0)
		return 0;
	memcpy(buf, (const char *)key + plen, len - plen);
	buf[len - plen] = '\0';
	for (s = buf; n < 3; s = end + 1) {
		v[n] = strtol(s, &end, 10);
		if (end == s || v[n] < 0 || v[n] >= PARTS_MAX)
			return 0;
		n++;
		if (*end != ':')
			break;
	}
	if (*end != '\0' || (n != 1 && n != 3) || (n == 3 && v[1] > 1))
		return 0;
	*part = (int32_t)v[0];
	*slot = n == 3 ? (unsigned)v[1] : 0;
	*index = n == 3 ? (unsigned)v[2] : 0;
	return n == 1 ? 1 : 2;
}

/* One record of the topic into f: a newer manifest replaces the one kept,
 * a chunk replaces the one of its key. */
static void
collect(const struct ckpt_topic *ct, struct found *f, const rd_kafka_message_t *rm)
{
	struct rbuf	 r;
	struct chunk	*c, **pp;
	int32_t		 part;
	unsigned	 slot, index;
	int		 kind;

	if ((kind = parse_key(ct, rm->key, rm->key_len, &part, &slot, &index)) == 0 ||
	    !f->want[part] || rm->payload == NULL)
		return;
	rbuf_init(&r, rm->payload, rm->len);
	if (kind == 1) {
		struct manifest m = { 1, 0, 0, 0, 0, 0 };

		if (rm->len != MANIFEST_LEN || memcmp(rm->payload, MANIFEST_MAGIC,
		    MAGIC_LEN) != 0)
			return;
		(void)rbuf_take(&r, MAGIC_LEN);
		m.gen = rbuf_u64(&r);
		m.slot = rbuf_u32(&r);
		m.count = rbuf_u32(&r);
		m.len = rbuf_u64(&r);
		m.crc = rbuf_u32(&r);
		if (!f->man[part].have || m.gen > f->man[part].gen)
			f->man[part] = m;
		return;
	}
	if (rm->len < CHUNK_HEAD || memcmp(rm->payload, CHUNK_MAGIC, MAGIC_LEN) != 0)
		return;
	for (pp = &f->chunks; (c = *pp) != NULL; pp = &c->next)
		if (c->part == part && c->slot == slot && c->index == index)
			break;
	if (c == NULL) {
		c = xcalloc(1, sizeof(*c));
		c->part = part;
		c->slot = slot;
		c->index = index;
		*pp = c;
	}
	free(c->data);
	f->bytes -= c->len;
	(void)rbuf_take(&r, MAGIC_LEN);
	c->gen = rbuf_u64(&r);
	if (rbuf_u32(&r) != index)
		c->gen = 0;		/* not the chunk its key says */
	(void)rbuf_u32(&r);
	c->len = rm->len - CHUNK_HEAD;
	c->data = xmalloc(c->len + 1);
	memcpy(c->data, (const uint8_t *)rm->payload + CHUNK_HEAD, c->len);
	f->bytes += c->len;
}

/* How many partitions of l the reader has not read to hi yet (its
 * position counts too: the offsets before hi may end in a gap). */
static int32_t
ends_reached(struct ckpt_topic *ct, rd_kafka_topic_partition_list_t *l,
    const int64_t *hi, int64_t *next)
{
	int32_t left = 0;

	if (rd_kafka_position(ct->reader, l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return l->cnt;		/* unknown yet: asked again */
	for (int i = 0; i < l->cnt; i++) {
		int32_t part = l->elems[i].partition;

		if (l->elems[i].offset > next[part])
			next[part] = l->elems[i].offset;
		left += next[part] < hi[part];
	}
	return left;
}

/* Reads every partition of the topic from its start to the high
 * watermark of now into f. 0, or -1 (not read to the end in time). */
static int
read_all(struct kafka *k, struct ckpt_topic *ct, struct found *f)
{
	rd_kafka_topic_partition_list_t	*l;
	rd_kafka_message_t		*rm;
	int64_t				 lo, hi[PARTS_MAX], next[PARTS_MAX];
	int64_t				 until = kafka_mono_ms() + READ_MS;
	int32_t				 n = ct->nparts, left = 0;

	l = rd_kafka_topic_partition_list_new(n);
	for (int32_t i = 0; i < n; i++) {
		if (rd_kafka_query_watermark_offsets(k->producer, ct->topic, i, &lo,
		    &hi[i], WATERMARK_MS * 4) != RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_topic_partition_list_destroy(l);
			return -1;
		}
		next[i] = lo;
		left += next[i] < hi[i];
		rd_kafka_topic_partition_list_add(l, ct->topic, i)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	}
	if (left > 0 && rd_kafka_assign(ct->reader, l) != RD_KAFKA_RESP_ERR_NO_ERROR)
		left = -1;
	while (left > 0 && kafka_mono_ms() < until && !*k->stop) {
		notify_watchdog();
		if ((rm = rd_kafka_consumer_poll(ct->reader, POLL_MS)) == NULL) {
			left = ends_reached(ct, l, hi, next);
			continue;
		}
		if (rm->err == RD_KAFKA_RESP_ERR_NO_ERROR && rm->partition >= 0 &&
		    rm->partition < n && rm->offset >= next[rm->partition]) {
			collect(ct, f, rm);
			if (rm->offset + 1 >= hi[rm->partition] &&
			    next[rm->partition] < hi[rm->partition])
				left--;
			next[rm->partition] = rm->offset + 1;
		}
		rd_kafka_message_destroy(rm);
	}
	(void)rd_kafka_assign(ct->reader, NULL);
	rd_kafka_topic_partition_list_destroy(l);
	return left == 0 ? 0 : -1;
}

/* The image of part that f's newest manifest names: new buffer, or NULL
 * when its chunks are not all there or do not add up (why). */
static uint8_t *
assemble(struct found *f, int32_t part, size_t *len, const char **why)
{
	const struct manifest	*m = &f->man[part];
	struct chunk		*c;
	uint8_t			*img;
	size_t			 off = 0;

	if (m->len == 0 || m->len > IMAGE_MAX || m->slot > 1 ||
	    m->count != (m->len + CHUNK_MAX - 1) / CHUNK_MAX) {
		*why = "its manifest is invalid";
		return NULL;
	}
	img = xmalloc((size_t)m->len);
	for (uint32_t i = 0; i < m->count; i++) {
		for (c = f->chunks; c != NULL; c = c->next)
			if (c->part == part && c->slot == m->slot && c->index == i)
				break;
		if (c == NULL || c->gen != m->gen || off + c->len > m->len) {
			*why = "a chunk of its generation is missing";
			free(img);
			return NULL;
		}
		memcpy(img + off, c->data, c->len);
		off += c->len;
	}
	if (off != m->len || serial_crc32c(0, img, off) != m->crc) {
		*why = "its chunks do not add up to the manifest's length and CRC";
		free(img);
		return NULL;
	}
	*len = off;
	return img;
}

/* A refused image: logged (partition and reason only), counted. */
static void
refuse(struct ckpt_topic *ct, int32_t part, const char *why)
{
	log_warnx("%s: the image of partition %" PRId32 " refused (%s): the "
	    "partition starts from the group's committed offset", ct->topic,
	    part, why);
	METRICS_ADD(images_refused, 1);
}

/* Loads one assembled image of part into p. 1 restored, -1 refused. */
static int
restore_one(struct ckpt_topic *ct, struct pipeline *p, int32_t part,
    const uint8_t *img, size_t len)
{
	struct shard_info	 info;
	const void		*body;
	size_t			 blen;
	char			 why[256];
	int			 rc;

	rc = checkpoint_unframe(img, len, &body, &blen, why, sizeof(why));
	daemon_lock();
	if (rc == 0)
		rc = pipeline_shard_restore(p, part, body, blen, why, sizeof(why));
	if (rc >= 0 && pipeline_shard_info(p, part, &info) == 0) {
		ct->published_next[part] = info.next_offset;
		ct->published_rep[part] = info.rep_next_offset < 0 ? 0 :
		    info.rep_next_offset;
		ct->published_msgs[part] = info.messages;
		ct->published_epoch[part] = pipeline_epoch(p);
	}
	daemon_unlock();
	if (rc == -1) {
		refuse(ct, part, why);
		return -1;
	}
	METRICS_ADD(images_restored, 1);
	log_info("partition %" PRId32 " restored from %s (%zu employees, offset "
	    "%" PRId64 "%s)", part, ct->topic, info.employees, info.next_offset,
	    rc == 1 ? "; its model statistics start again: they could not be "
	    "translated" : "");
	return 1;
}

/* An assembled image, until it is restored. */
struct ready {
	uint8_t	*img;		/* NULL: none, or done */
	size_t	 len;
	long	 epoch;		/* of its epoch state; -2 unreadable */
};

/* The pipeline epoch of a framed image; -2 when it has none readable
 * (restore_one() then refuses it). */
static long
image_epoch(const uint8_t *img, size_t len)
{
	const void	*body;
	size_t		 blen;
	char		 why[256];

	if (checkpoint_unframe(img, len, &body, &blen, why, sizeof(why)) == -1)
		return -2;
	return pipeline_image_epoch(body, blen);
}

/* The assembled image to restore next, -1 when none is left: the latest
 * epoch first (a pipeline that holds no shard takes its epoch state, the
 * group's: pipeline_shard_restore()), then the newest manifest. */
static int32_t
next_ready(const struct found *f, const struct ready *r)
{
	int32_t best = -1;

	for (int32_t part = 0; part < PARTS_MAX; part++)
		if (r[part].img != NULL && (best < 0 || r[part].epoch > r[best].epoch ||
		    (r[part].epoch == r[best].epoch &&
		    f->man[part].gen > f->man[best].gen)))
			best = part;
	return best;
}

/* See kafka.h. The latest epoch first (next_ready()); each image's ids
 * are translated by name into the live registry. */
void
ckpt_topic_prefetch(struct kafka *k, struct pipeline *p,
    const rd_kafka_topic_partition_list_t *parts)
{
	struct ckpt_topic	*ct = k->ckpt;
	unsigned char		*want;
	struct found		 f;
	struct chunk		*c;
	struct shard_info	 info;
	struct ready		*r;
	const char		*why = "invalid";
	int			 n = 0;
	int32_t			 part;

	if (ct == NULL || p == NULL)
		return;
	want = xcalloc(PARTS_MAX, 1);
	for (int i = 0; i < parts->cnt; i++) {
		part = parts->elems[i].partition;
		daemon_lock();
		if (part >= 0 && part < PARTS_MAX &&
		    pipeline_shard_info(p, part, &info) == -1)
			n += want[part] = 1;
		daemon_unlock();
	}
	memset(&f, 0, sizeof(f));
	f.want = want;
	if (n > 0 && topic_parts(k, ct) > 0 && read_all(k, ct, &f) == -1)
		log_warnx("%s: not read to its end within %d s: partitions start "
		    "from what was read", ct->topic, READ_MS / 1000);
	r = xcalloc(PARTS_MAX, sizeof(*r));
	for (part = 0; n > 0 && part < PARTS_MAX; part++) {
		if (!want[part] || !f.man[part].have)
			continue;
		if (f.man[part].gen > ct->generation)
			ct->generation = f.man[part].gen;
		ct->slot[part] = (uint8_t)(f.man[part].slot & 1);
		if ((r[part].img = assemble(&f, part, &r[part].len, &why)) == NULL)
			refuse(ct, part, why);
		else
			r[part].epoch = image_epoch(r[part].img, r[part].len);
	}
	while ((part = next_ready(&f, r)) >= 0) {
		(void)restore_one(ct, p, part, r[part].img, r[part].len);
		free(r[part].img);
		r[part].img = NULL;
	}
	free(r);
	while ((c = f.chunks) != NULL) {
		f.chunks = c->next;
		free(c->data);
		free(c);
	}
	free(want);
}
