/*
 * snapshot.c: a shard as the sections of a checkpoint body.
 *
 * A body is a list of tagged sections, each a four-character tag, a u32
 * length and its bytes (serial.h, little-endian):
 *
 *   META     input topic, partition, the next input offset the state
 *            reflects, event-time clock, clock at the last sweep and at
 *            the last pass for leavers, counters
 *   RECORDS  count, then each record (state/record_io.c), sorted by id
 *   DEDUP    the dedup window's hashes, oldest first (state/dedup.c)
 *   ERASED   the keyed hashes of erased ids, ascending (state/erased.c)
 *
 * in this order, each once. Everything is written in a canonical order, so
 * save -> load -> save gives the same bytes. The frame around a body
 * (magic, version, length, CRC-32C) is daemon/checkpoint.c's: this file
 * only makes and reads bytes, so the same body can go to a file or, later,
 * to a topic.
 *
 * STATS HOOK: the shard's contribution to the model statistics (issue 8
 * item 1, per-shard statistics and epochs) becomes a STATS section after
 * ERASED once the model keeps per-shard contributions (model_shard_save()
 * and model_shard_load() of that work). Until then the model is shared,
 * is not in the checkpoint, and starts empty after a restart; the records
 * keep their model bookkeeping fields so the files need not change then.
 *
 * Loading is all or nothing and never trusts the input: the body is read
 * twice, first against a scratch feature registry (so that a bad file
 * cannot fill the real registry with names), then into a new shard with
 * the real one; the caller swaps the new shard in only on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../state/serial.h"
#include "shard.h"
#include "stages.h"

#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | \
	(uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_META	TAG('M', 'E', 'T', 'A')
#define TAG_RECORDS	TAG('R', 'E', 'C', 'S')
#define TAG_DEDUP	TAG('D', 'D', 'U', 'P')
#define TAG_ERASED	TAG('E', 'R', 'S', 'D')
#define RECORD_MIN_BYTES 64	/* no valid record is shorter: bounds a count */

static int
cmp_emp(const void *x, const void *y)
{
	const struct employee *const *a = x, *const *b = y;

	return strcmp((*a)->id, (*b)->id);
}

/* The shard's records sorted by id: new array (free()), NULL on ENOMEM
 * (*n = 0 and NULL for an empty table is not an error). */
static struct employee **
sorted_records(const struct shard *sh, size_t *n, int *failed)
{
	struct employee **v, *e;
	size_t it = 0, i = 0;

	*n = table_count(sh->table);
	*failed = 0;
	if (*n == 0)
		return NULL;
	if ((v = malloc(*n * sizeof(*v))) == NULL) {
		*failed = 1;
		return NULL;
	}
	while ((e = table_next(sh->table, &it)) != NULL && i < *n)
		v[i++] = e;
	qsort(v, i, sizeof(*v), cmp_emp);
	*n = i;
	return v;
}

static size_t
section_begin(struct wbuf *w, uint32_t tag)
{
	wbuf_u32(w, tag);
	return wbuf_mark_u32(w);
}

static void
section_end(struct wbuf *w, size_t at)
{
	if (!w->failed)
		wbuf_patch_u32(w, at, (uint32_t)(w->len - at - 4));
}

/* Appends the shard's sections to w. Returns 0, or -1 on ENOMEM. */
int
shard_save(const struct shard *sh, struct features *f, struct wbuf *w)
{
	struct employee	**v;
	size_t		  n, at;
	int		  failed;

	at = section_begin(w, TAG_META);
	wbuf_str(w, sh->topic);
	wbuf_u32(w, (uint32_t)sh->partition);
	wbuf_i64(w, sh->next_offset);
	wbuf_i64(w, sh->clock_ms);
	wbuf_i64(w, sh->swept_ms);
	wbuf_i64(w, sh->expired_ms);
	wbuf_u64(w, sh->messages);
	wbuf_u64(w, sh->erased_dropped);
	section_end(w, at);

	v = sorted_records(sh, &n, &failed);
	if (failed) {
		w->failed = 1;
		return -1;
	}
	at = section_begin(w, TAG_RECORDS);
	wbuf_u64(w, n);
	for (size_t i = 0; i < n; i++)
		record_save(w, v[i], f);
	section_end(w, at);
	free(v);

	at = section_begin(w, TAG_DEDUP);
	dedup_save(sh->dedup, w);
	section_end(w, at);

	at = section_begin(w, TAG_ERASED);
	erased_save(sh->erased, w);
	section_end(w, at);
	/* STATS HOOK: model_shard_save() of the shard's contribution here. */
	return w->failed ? -1 : 0;
}

/* Opens the next section, which must carry tag, as a reader of its bytes. */
static int
section_open(struct rbuf *r, uint32_t tag, struct rbuf *sec)
{
	uint32_t t = rbuf_u32(r), len = rbuf_u32(r);
	const void *p = rbuf_take(r, len);

	if (r->failed || t != tag)
		return -1;
	rbuf_init(sec, p, len);
	return 0;
}

static int
load_meta(struct rbuf *r, struct shard *sh, int32_t partition, const char *topic,
    char *errbuf, size_t errlen)
{
	struct rbuf m;

	if (section_open(r, TAG_META, &m) == -1) {
		snprintf(errbuf, errlen, "META section missing or truncated");
		return -1;
	}
	rbuf_str(&m, sh->topic, sizeof(sh->topic));
	sh->partition = (int32_t)rbuf_u32(&m);
	sh->next_offset = rbuf_i64(&m);
	sh->clock_ms = rbuf_i64(&m);
	sh->swept_ms = rbuf_i64(&m);
	sh->expired_ms = rbuf_i64(&m);
	sh->messages = rbuf_u64(&m);
	sh->erased_dropped = rbuf_u64(&m);
	if (m.failed || rbuf_left(&m) != 0 || sh->next_offset < -1 ||
	    sh->clock_ms < 0 || sh->swept_ms < 0 || sh->swept_ms > sh->clock_ms ||
	    sh->expired_ms < 0 || sh->expired_ms > sh->clock_ms) {
		snprintf(errbuf, errlen, "META section invalid");
		return -1;
	}
	if (sh->partition != partition ||
	    (topic != NULL && sh->topic[0] != '\0' && strcmp(sh->topic, topic) != 0)) {
		snprintf(errbuf, errlen, "checkpoint is of %s partition %d, not %s %d",
		    sh->topic, (int)sh->partition, topic ? topic : "any", (int)partition);
		return -1;
	}
	return 0;
}

static int
load_records(struct rbuf *r, struct shard *sh, struct features *f,
    char *errbuf, size_t errlen)
{
	struct employee	*scratch, *e;
	struct rbuf	 s;
	uint64_t	 n;
	int		 created, rc = -1;

	if (section_open(r, TAG_RECORDS, &s) == -1) {
		snprintf(errbuf, errlen, "RECORDS section missing or truncated");
		return -1;
	}
	if ((scratch = malloc(sizeof(*scratch))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	n = rbuf_u64(&s);
	if (s.failed || n > rbuf_left(&s) / RECORD_MIN_BYTES) {
		snprintf(errbuf, errlen, "RECORDS count invalid");
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (record_load(&s, scratch, f) == -1) {
			snprintf(errbuf, errlen, "record %llu invalid",
			    (unsigned long long)i);
			goto out;
		}
		if ((e = table_put(sh->table, scratch->id, &created)) == NULL) {
			snprintf(errbuf, errlen, "out of memory");
			goto out;
		}
		if (!created) {
			snprintf(errbuf, errlen, "record %llu repeats an id",
			    (unsigned long long)i);
			goto out;
		}
		*e = *scratch;
	}
	if (rbuf_left(&s) != 0) {
		snprintf(errbuf, errlen, "RECORDS section has trailing bytes");
		goto out;
	}
	rc = 0;
out:
	free(scratch);
	return rc;
}

static int
load_sets(struct rbuf *r, const struct pipeline_config *cfg, struct shard *sh,
    char *errbuf, size_t errlen)
{
	struct employee	*e;
	struct rbuf	 s;
	size_t		 it = 0;

	if (section_open(r, TAG_DEDUP, &s) == -1 || dedup_load(sh->dedup, &s) == -1 ||
	    rbuf_left(&s) != 0) {
		snprintf(errbuf, errlen, "DEDUP section invalid");
		return -1;
	}
	if (section_open(r, TAG_ERASED, &s) == -1 || erased_load(sh->erased, &s) == -1 ||
	    rbuf_left(&s) != 0) {
		snprintf(errbuf, errlen, "ERASED section invalid");
		return -1;
	}
	/* an erased employee cannot have a record */
	while (erased_count(sh->erased) > 0 && (e = table_next(sh->table, &it)) != NULL)
		if (erased_has(sh->erased, shard_erasure_hash(cfg, e->id))) {
			snprintf(errbuf, errlen, "an erased employee has a record");
			return -1;
		}
	return 0;
}

/* One full read of body into a new shard with registry f. */
static struct shard *
load_once(const struct pipeline_config *cfg, struct features *f, int32_t partition,
    const char *topic, const void *body, size_t len, char *errbuf, size_t errlen)
{
	struct shard	*sh;
	struct rbuf	 r;

	if ((sh = shard_new(cfg, partition)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	rbuf_init(&r, body, len);
	if (load_meta(&r, sh, partition, topic, errbuf, errlen) == -1 ||
	    load_records(&r, sh, f, errbuf, errlen) == -1 ||
	    load_sets(&r, cfg, sh, errbuf, errlen) == -1)
		goto fail;
	/* STATS HOOK: model_shard_load() of the shard's contribution here. */
	if (rbuf_left(&r) != 0) {
		snprintf(errbuf, errlen, "unknown section after ERASED");
		goto fail;
	}
	return sh;
fail:
	shard_free(sh);
	return NULL;
}

/* Returns a new shard read from body, or NULL with errbuf. f is only
 * changed (names registered, as events would) when the body is valid. */
struct shard *
shard_load(const struct pipeline_config *cfg, struct features *f, int32_t partition,
    const char *topic, const void *body, size_t len, char *errbuf, size_t errlen)
{
	struct features	*scratch;
	struct shard	*sh;

	if ((scratch = features_new(&cfg->features)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	sh = load_once(cfg, scratch, partition, topic, body, len, errbuf, errlen);
	features_free(scratch);
	if (sh == NULL)
		return NULL;
	shard_free(sh);
	return load_once(cfg, f, partition, topic, body, len, errbuf, errlen);
}

/* See pipeline.h. */
int
pipeline_shard_peek(const void *body, size_t len, int32_t *partition,
    char *errbuf, size_t errlen)
{
	struct rbuf	r, m;
	char		topic[PIPELINE_TOPIC_MAX];

	rbuf_init(&r, body, len);
	if (section_open(&r, TAG_META, &m) == -1 ||
	    (rbuf_str(&m, topic, sizeof(topic)), *partition = (int32_t)rbuf_u32(&m),
	    m.failed)) {
		snprintf(errbuf, errlen, "META section missing or truncated");
		return -1;
	}
	return 0;
}

/* Counts the shard's records that left and that have an episode open. */
void
shard_census(const struct shard *sh, uint64_t *exited, uint64_t *firing)
{
	struct employee *e;
	size_t it = 0;

	*exited = *firing = 0;
	while ((e = table_next(sh->table, &it)) != NULL) {
		*exited += (e->flags & EMP_EXITED) != 0;
		*firing += (e->flags & EMP_FIRING) != 0;
	}
}

/* The shard as JSON for an operator: new string, NULL on ENOMEM. */
char *
shard_json(const struct shard *sh, struct features *f)
{
	struct employee	**v;
	struct wbuf	  w;
	char		 *head, *rec;
	size_t		  n;
	int		  failed;

	if ((head = encode_shard_meta(sh->topic, sh->partition, sh->next_offset,
	    sh->clock_ms, sh->messages, erased_count(sh->erased),
	    sh->erased_dropped)) == NULL)
		return NULL;
	v = sorted_records(sh, &n, &failed);
	wbuf_init(&w);
	/* {"meta":{...},"employees":[{...},...]} */
	wbuf_bytes(&w, "{\"meta\":", 8);
	wbuf_bytes(&w, head, strlen(head));
	wbuf_bytes(&w, ",\"employees\":[", 14);
	for (size_t i = 0; i < n && !w.failed; i++) {
		if ((rec = encode_record(v[i], f)) == NULL) {
			w.failed = 1;
			break;
		}
		if (i > 0)
			wbuf_u8(&w, ',');
		wbuf_bytes(&w, rec, strlen(rec));
		free(rec);
	}
	wbuf_bytes(&w, "]}\n", 4);	/* with the NUL */
	free(head);
	free(v);
	if (failed || w.failed) {
		wbuf_free(&w);
		return NULL;
	}
	return (char *)w.p;
}
