/*
 * ckpt_restore.c: partition images read back from [topics] checkpoints
 * when partitions are assigned that the pipeline holds no state for
 * (ckpt_topic.c writes them; its design note has the record layout).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../state/serial.h"
#include "ckpt_topic_int.h"

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

/* Loads one assembled image of part into p (from: where it comes from,
 * for the log). 1 restored, -1 refused. */
static int
restore_one(struct ckpt_topic *ct, struct pipeline *p, int32_t part,
    const uint8_t *img, size_t len, const char *from)
{
	struct shard_info	 info;
	char			 why[256];
	int			 rc;

	rc = checkpoint_shard_restore(p, part, img, len, why, sizeof(why));
	daemon_lock();
	if (rc >= 0 && pipeline_shard_info(p, part, &info) == 0) {
		ct->pub[part].next = info.next_offset;
		ct->pub[part].rep = info.rep_next_offset < 0 ? 0 :
		    info.rep_next_offset;
		ct->pub[part].msgs = info.messages;
		ct->pub[part].epoch = pipeline_epoch(p);
	}
	daemon_unlock();
	/* made under other settings: the group's state of the partition is
	 * in it, so neither an empty shard from the committed offset (its
	 * history lost) nor a replay under this instance's epochs (numbered
	 * unlike the group's) is right; the instance stops */
	if (rc == PIPELINE_LOAD_CONFIG)
		fatalx_config(NULL, 0, "%s: the image of partition %" PRId32
		    " from %s refused: %s. Give this instance the setting the "
		    "group runs under (or run the new setting under another "
		    "group.id, whose state is rebuilt from the input)", ct->topic,
		    part, from, why);
	if (rc == -1) {
		refuse(ct, part, why);
		return -1;
	}
	METRICS_ADD(images_restored, 1);
	log_info("partition %" PRId32 " restored from %s (%zu employees, offset "
	    "%" PRId64 "%s)", part, from, info.employees, info.next_offset,
	    rc == 1 ? "; its model statistics start again: they could not be "
	    "translated" : "");
	return 1;
}

/* An assembled image, until it is restored. */
struct ready {
	uint8_t	*img;		/* NULL: none, or done */
	size_t	 len;
	long	 epoch;		/* of its epoch state; -2 unreadable */
	int	 parked;	/* this instance's, parked when lost */
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

/* The shard parked when part was lost (durable_park(), ckpt_topic_park())
 * as the image to restore, while the topic holds no image newer than the
 * one it was parked over: nobody else has written one since, so this
 * state is the newest there is, and what it had applied after its last
 * image is neither applied again nor its outputs sent twice. 1 taken. */
static int
take_parked(struct kafka *k, const struct found *f, int32_t part, struct ready *r)
{
	const struct image_mark *m = &k->ckpt->parked[part];

	if ((r->img = durable_take_parked(k->durable, part, &r->len)) == NULL)
		return 0;
	if (f->man[part].have && f->man[part].gen != m->gen) {
		free(r->img);		/* superseded */
		r->img = NULL;
		return 0;
	}
	r->epoch = image_epoch(r->img, r->len);
	r->parked = 1;
	return 1;
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
	if (n > 0 && ckpt_topic_parts(k, ct) > 0 && read_all(k, ct, &f) == -1)
		log_warnx("%s: not read to its end within %d s: partitions start "
		    "from what was read", ct->topic, READ_MS / 1000);
	r = xcalloc(PARTS_MAX, sizeof(*r));
	for (part = 0; n > 0 && part < PARTS_MAX; part++) {
		if (!want[part] || take_parked(k, &f, part, &r[part]) ||
		    !f.man[part].have)
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
		if (restore_one(ct, p, part, r[part].img, r[part].len,
		    r[part].parked ? "its state when lost" : ct->topic) == 1) {
			/* what the topic holds of it: the image's mark */
			if (r[part].parked)
				ct->pub[part] = ct->parked[part];
			else
				ct->pub[part].gen = f.man[part].gen;
		}
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
