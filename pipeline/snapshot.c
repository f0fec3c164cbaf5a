/*
 * snapshot.c: the pipeline as the body of a checkpoint.
 *
 * A body is a list of tagged sections, each a four-character tag, a u32
 * length and its bytes (serial.h, little-endian):
 *
 *   EPCH     the epoch state (pipeline_epoch_save(): the current epoch,
 *            the fit's merged sums, the feature registry the shards' ids
 *            refer to), then CNFG: the settings that give the state its
 *            meaning ([model] epoch_hours, a check of the erasure key;
 *            absent in older files: the default 24, the key unchecked).
 *            A body made under other settings is refused
 *            (PIPELINE_LOAD_CONFIG).
 *   PIPE     how many shards follow, then the pipeline's cumulative
 *            counters (the estimates carry the count of events applied)
 *   SHRD     one per shard, in partition order, itself a list of sections:
 *     META   input topic, partition, the next input offset the state
 *            reflects, event-time clock, clock at the last sweep and at
 *            the last pass for leavers, counters, the next offset of the
 *            shard's repartition stream (-1: none read yet; absent in
 *            older files: unknown), the events applied (absent: 0)
 *     STAT   the shard's statistics, then its held events
 *            (pipeline_shard_save() of epoch.c)
 *     RECS   the table's slot layout: its size, then each slot that is
 *            not empty, in order (a tombstone, or a record as
 *            state/record_io.c writes it)
 *     DDUP   the dedup window's hashes, oldest first (state/dedup.c)
 *     ERSD   the keyed hashes of erased ids, ascending (state/erased.c)
 *
 * The whole pipeline is saved at one moment between two messages: the
 * epoch state and the shards' statistics must be of the same epoch, and
 * the registry must hold every id the shards use, so they are never
 * written or loaded apart (DESIGN.md, "Checkpoints"). Everything is
 * written in a canonical order, so save -> load -> save gives the same
 * bytes. The frame around a body (magic, version, length, CRC-32C) is
 * daemon/checkpoint.c's: this file only makes and reads bytes.
 *
 * Loading is all or nothing and never trusts the input: the body is read
 * once, into a scratch pipeline, whose state moves into the real (fresh)
 * one only when all of it is valid (move_state()). A million records are
 * decoded, indexed and queued once: the table's index is sized for them
 * up front and the timers are heapified (table_restore_slots(),
 * timerq_restore()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"

#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | \
	(uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define TAG_EPOCH	TAG('E', 'P', 'C', 'H')
#define TAG_PIPE	TAG('P', 'I', 'P', 'E')
#define TAG_SHARD	TAG('S', 'H', 'R', 'D')
#define TAG_META	TAG('M', 'E', 'T', 'A')
#define TAG_STATS	TAG('S', 'T', 'A', 'T')
#define TAG_RECORDS	TAG('R', 'E', 'C', 'S')
#define TAG_DEDUP	TAG('D', 'D', 'U', 'P')
#define TAG_ERASED	TAG('E', 'R', 'S', 'D')
#define TAG_BUDGET	TAG('B', 'D', 'G', 'T')
#define TAG_CONFIG	TAG('C', 'N', 'F', 'G')
#define EPOCH_HOURS_UNRECORDED 24	/* the default files before CNFG had */
#define TABLE_SLOTS_MAX ((uint64_t)1 << 24)	/* per shard: 12M employees */
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

/* RECS: the table's slot count, how many slots are not empty, then each
 * such slot in order: its index, its kind, and the record of a live one
 * (the layout is kept: state/table.c, "Checkpoints"). */
static void
records_save(const struct table *t, struct features *f, struct wbuf *w)
{
	const struct employee *e;
	size_t i, n = 0, nslots = table_slots(t);
	int kind;

	for (i = 0; i < nslots; i++)
		n += table_slot(t, i, &e) != TABLE_SLOT_EMPTY;
	wbuf_u64(w, nslots);
	wbuf_u64(w, n);
	for (i = 0; i < nslots; i++) {
		if ((kind = table_slot(t, i, &e)) == TABLE_SLOT_EMPTY)
			continue;
		wbuf_u64(w, i);
		wbuf_u8(w, (uint8_t)kind);
		if (kind == TABLE_SLOT_LIVE)
			record_save(w, e, f);
	}
}

/* See pipeline_int.h: the sections of the partition's shard. */
int
shard_save(const struct pipeline *p, int32_t partition, struct wbuf *w)
{
	const struct shard *sh = p->shards[partition];
	size_t		  at;

	at = section_begin(w, TAG_META);
	wbuf_str(w, sh->topic);
	wbuf_u32(w, (uint32_t)sh->partition);
	wbuf_i64(w, sh->next_offset);
	wbuf_i64(w, sh->clock_ms);
	wbuf_i64(w, sh->scored_epoch);
	wbuf_i64(w, sh->expired_ms);
	wbuf_u64(w, sh->messages);
	wbuf_u64(w, sh->erased_dropped);
	wbuf_i64(w, sh->rep_next_offset);
	wbuf_u64(w, sh->events);
	section_end(w, at);

	at = section_begin(w, TAG_STATS);
	if (pipeline_shard_save(p, partition, w) == -1)
		w->failed = 1;
	section_end(w, at);

	at = section_begin(w, TAG_RECORDS);
	records_save(sh->table, p->features, w);
	section_end(w, at);

	at = section_begin(w, TAG_DEDUP);
	dedup_save(sh->dedup, w);
	section_end(w, at);

	at = section_begin(w, TAG_ERASED);
	erased_save(sh->erased, w);
	section_end(w, at);

	at = section_begin(w, TAG_BUDGET);
	decide_budget_save(sh->budget, w);
	section_end(w, at);
	return w->failed ? -1 : 0;
}

/* What CNFG holds of the erasure key: the hash under it of a fixed
 * string, which tells two keys apart and says nothing of either. */
static uint64_t
key_check(const struct pipeline_config *cfg)
{
	return shard_erasure_hash(cfg, "retentiond erasure key check");
}

/* EPCH: the epoch state, then its CNFG block (the settings the epoch
 * numbers and the state mean something under). */
static void
epoch_section_save(const struct pipeline *p, struct wbuf *w)
{
	size_t at = section_begin(w, TAG_EPOCH), c;

	if (pipeline_epoch_save(p, w) == -1)
		w->failed = 1;
	c = section_begin(w, TAG_CONFIG);
	wbuf_u32(w, (uint32_t)p->cfg.epoch_hours);
	wbuf_u64(w, key_check(&p->cfg));
	section_end(w, c);
	section_end(w, at);
}

/* The cumulative counters; the gauges are recounted from the shards. */
static void
stats_io(struct pipeline_stats *st, struct wbuf *w, struct rbuf *r)
{
	uint64_t *c[] = { &st->rejected, &st->duplicates, &st->provisional_created,
	    &st->late_events, &st->held_total, &st->erasures, &st->erased_dropped,
	    &st->tombstones, &st->employees_refused, &st->leavers_expired,
	    &st->alerts_firing, &st->alerts_resolved, &st->plans, &st->alerts_held };
	size_t i;

	for (i = 0; i < EV__COUNT; i++)
		w ? wbuf_u64(w, st->events_by_type[i]) :
		    (void)(st->events_by_type[i] = rbuf_u64(r));
	for (i = 0; i < sizeof(st->rejected_by_reason) / sizeof(uint64_t); i++)
		w ? wbuf_u64(w, st->rejected_by_reason[i]) :
		    (void)(st->rejected_by_reason[i] = rbuf_u64(r));
	for (i = 0; i < OUT__COUNT; i++)
		w ? wbuf_u64(w, st->outputs[i]) : (void)(st->outputs[i] = rbuf_u64(r));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		w ? wbuf_u64(w, *c[i]) : (void)(*c[i] = rbuf_u64(r));
	w ? wbuf_f64(w, st->event_to_alert_ms_sum) :
	    (void)(st->event_to_alert_ms_sum = rbuf_f64(r));
}

/* See pipeline.h. */
int
pipeline_snapshot_save(const struct pipeline *p, struct wbuf *w)
{
	struct pipeline_stats st = p->stats;
	uint32_t n;
	size_t at;

	epoch_section_save(p, w);
	at = section_begin(w, TAG_PIPE);
	n = 0;
	for (int32_t i = pipeline_shard_next(p, -1); i >= 0; i = pipeline_shard_next(p, i))
		n++;
	wbuf_u32(w, n);
	stats_io(&st, w, NULL);
	section_end(w, at);
	for (int32_t i = pipeline_shard_next(p, -1); i >= 0 && !w->failed;
	    i = pipeline_shard_next(p, i)) {
		at = section_begin(w, TAG_SHARD);
		(void)shard_save(p, i, w);
		section_end(w, at);
	}
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

/* META into m (a shard not yet in the pipeline). */
static int
load_meta(struct rbuf *r, struct shard *m, char *errbuf, size_t errlen)
{
	struct rbuf s;

	if (section_open(r, TAG_META, &s) == -1) {
		snprintf(errbuf, errlen, "META section missing or truncated");
		return -1;
	}
	rbuf_str(&s, m->topic, sizeof(m->topic));
	m->partition = (int32_t)rbuf_u32(&s);
	m->next_offset = rbuf_i64(&s);
	m->clock_ms = rbuf_i64(&s);
	m->scored_epoch = (long)rbuf_i64(&s);
	m->expired_ms = rbuf_i64(&s);
	m->messages = rbuf_u64(&s);
	m->erased_dropped = rbuf_u64(&s);
	/* absent (older files): unknown, -2; -1 is "none read yet" */
	m->rep_next_offset = rbuf_left(&s) != 0 ? rbuf_i64(&s) : -2;
	/* absent (older files): 0, the count starts again */
	m->events = rbuf_left(&s) != 0 ? rbuf_u64(&s) : 0;
	if (s.failed || rbuf_left(&s) != 0 || m->partition < 0 ||
	    m->rep_next_offset < -2 ||
	    m->partition >= SHARDS_MAX || m->next_offset < -1 ||
	    m->clock_ms < 0 || m->scored_epoch < -1 ||
	    m->expired_ms < 0 || m->expired_ms > m->clock_ms) {
		snprintf(errbuf, errlen, "META section invalid");
		return -1;
	}
	return 0;
}

/* RECS into the shard's (empty) table. A live record is decoded in
 * place, into the slot the table will hold it in (no copy through a
 * scratch record); *exited and *firing count the records that left and
 * those with an episode open (shard_count_in_census(): no second walk). */
static int
load_records(struct rbuf *r, struct shard *sh, struct features *f,
    uint64_t *exited, uint64_t *firing, char *errbuf, size_t errlen)
{
	struct employee	*e;
	char		 id[EMPLOYEE_ID_MAX + 1];
	struct rbuf	 s;
	uint64_t	 nslots, n, slot, prev = 0;
	int		 kind, live;

	*exited = *firing = 0;
	if (section_open(r, TAG_RECORDS, &s) == -1) {
		snprintf(errbuf, errlen, "RECORDS section missing or truncated");
		return -1;
	}
	nslots = rbuf_u64(&s);
	n = rbuf_u64(&s);
	/* every index handed out is either live or free: n is nslots, and
	 * bounded by the bytes there are before anything is allocated */
	if (s.failed || nslots > TABLE_SLOTS_MAX || n != nslots ||
	    n > rbuf_left(&s) / 9 || table_restore_slots(sh->table, nslots) == -1) {
		snprintf(errbuf, errlen, "RECORDS table size invalid");
		return -1;
	}
	for (uint64_t i = 0; i < n; i++) {
		slot = rbuf_u64(&s);
		kind = rbuf_u8(&s);
		live = kind == TABLE_SLOT_LIVE;
		e = NULL;
		if (s.failed || (i > 0 && slot <= prev) ||
		    (live && ((e = table_restore_record(sh->table, slot)) == NULL ||
		    record_load(&s, e, id, f) == -1)) ||
		    table_restore_put(sh->table, slot, kind, e) == -1) {
			if (e != NULL) {	/* not live: what it holds goes */
				emp_attr_release(e);
				memset(e, 0, sizeof(*e));
			}
			snprintf(errbuf, errlen, "record %llu invalid",
			    (unsigned long long)i);
			return -1;
		}
		if (e != NULL) {
			*exited += (e->flags & EMP_EXITED) != 0;
			*firing += (e->flags & EMP_FIRING) != 0;
		}
		prev = slot;
	}
	if (rbuf_left(&s) != 0 || table_restore_check(sh->table) == -1) {
		snprintf(errbuf, errlen, "RECORDS section: trailing bytes, an id "
		    "twice, or a layout that lookups cannot follow");
		return -1;
	}
	return 0;
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
	/* BUDGET came after format 2's first files: absent is none spent */
	if (rbuf_left(r) != 0 && (section_open(r, TAG_BUDGET, &s) == -1 ||
	    decide_budget_load(&sh->budget, &s) == -1 || rbuf_left(&s) != 0)) {
		snprintf(errbuf, errlen, "BUDGET section invalid");
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

/* See pipeline_int.h: one SHRD section's contents into p, after the
 * epoch state. */
int
shard_load(struct pipeline *p, struct rbuf *r, char *errbuf, size_t errlen)
{
	struct shard	 m, *sh;
	struct rbuf	 s;
	uint64_t	 exited, firing;

	memset(&m, 0, sizeof(m));
	if (load_meta(r, &m, errbuf, errlen) == -1)
		return -1;
	if (p->shards[m.partition] != NULL) {
		snprintf(errbuf, errlen, "partition %d appears twice", (int)m.partition);
		return -1;
	}
	if (section_open(r, TAG_STATS, &s) == -1) {
		snprintf(errbuf, errlen, "STAT section missing or truncated");
		return -1;
	}
	if (pipeline_shard_load(p, m.partition, &s, errbuf, errlen) == -1)
		return -1;
	if (rbuf_left(&s) != 0) {
		snprintf(errbuf, errlen, "STAT section has trailing bytes");
		return -1;
	}
	sh = p->shards[m.partition];
	memcpy(sh->topic, m.topic, sizeof(sh->topic));
	sh->next_offset = m.next_offset;
	sh->rep_next_offset = m.rep_next_offset;
	sh->clock_ms = m.clock_ms;
	sh->scored_epoch = m.scored_epoch;
	sh->expired_ms = m.expired_ms;
	sh->messages = m.messages;
	sh->erased_dropped = m.erased_dropped;
	sh->events = m.events;
	if (sh->scored_epoch > p->epoch) {
		snprintf(errbuf, errlen, "META section invalid");
		return -1;
	}
	if (load_records(r, sh, p->features, &exited, &firing, errbuf, errlen) == -1 ||
	    load_sets(r, &p->cfg, sh, errbuf, errlen) == -1)
		return -1;
	/* the rescoring timers of the loaded records (their due minutes) */
	if (timerq_restore(sh->timers) == -1) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (rbuf_left(r) != 0) {
		snprintf(errbuf, errlen, "unknown section after BDGT");
		return -1;
	}
	shard_count_in_census(p, sh, exited, firing);
	return 0;
}

/* The EPCH section into the fresh p; 0, -1 with errbuf, or
 * PIPELINE_LOAD_CONFIG when it was made under other settings (errbuf
 * names the setting and both values). check_key: the erasure key's too
 * (a file of this state directory; not an image from another instance,
 * whose key is by default generated in its own: DESIGN.md). */
static int
epoch_section_load(struct pipeline *p, struct rbuf *r, int check_key, char *errbuf,
    size_t errlen)
{
	static const uint8_t no_key[sizeof(p->cfg.erasure_key)];
	struct rbuf s, c;
	uint32_t hours = EPOCH_HOURS_UNRECORDED;
	uint64_t key = key_check(&p->cfg);
	int recorded = 0;

	if (section_open(r, TAG_EPOCH, &s) == -1) {
		snprintf(errbuf, errlen, "EPCH section missing or truncated");
		return -1;
	}
	if (pipeline_epoch_load(p, &s, errbuf, errlen) == -1)
		return -1;
	/* CNFG came after format 4's first files: absent is the default */
	if (rbuf_left(&s) != 0) {
		if (section_open(&s, TAG_CONFIG, &c) == -1 ||
		    (hours = rbuf_u32(&c), key = rbuf_u64(&c), c.failed) ||
		    rbuf_left(&c) != 0 || hours < 1 || hours > 8760) {
			snprintf(errbuf, errlen, "CNFG section invalid");
			return -1;
		}
		recorded = 1;
	}
	if (rbuf_left(&s) != 0) {
		snprintf(errbuf, errlen, "EPCH section has trailing bytes");
		return -1;
	}
	if ((int)hours != p->cfg.epoch_hours) {
		snprintf(errbuf, errlen, "made under [model] epoch_hours = %u%s, "
		    "configured %d: its epoch numbers mean other hours", hours,
		    recorded ? "" : " (not recorded in files before the setting "
		    "was: read as the default)", p->cfg.epoch_hours);
		return PIPELINE_LOAD_CONFIG;
	}
	/* the erased sets are hashed under the key: under another one no
	 * erased id would be recognised again (no key, all zero: a reader
	 * of the contents alone, --dump-checkpoint, does not check) */
	if (check_key && key != key_check(&p->cfg) &&
	    memcmp(p->cfg.erasure_key, no_key, sizeof(no_key)) != 0) {
		snprintf(errbuf, errlen, "made under another erasure key ([state] "
		    "erasure_key_file, or the key generated in the state "
		    "directory): its erasures would not stick");
		return PIPELINE_LOAD_CONFIG;
	}
	return 0;
}

/* One full read of body into the fresh pipeline p. */
static int
load_into(struct pipeline *p, const void *body, size_t len, char *errbuf,
    size_t errlen)
{
	struct rbuf r, s;
	int32_t last = -1;
	uint32_t n, i;
	int rc;

	rbuf_init(&r, body, len);
	if ((rc = epoch_section_load(p, &r, 1, errbuf, errlen)) != 0)
		return rc;
	if (section_open(&r, TAG_PIPE, &s) == -1 || (n = rbuf_u32(&s)) > SHARDS_MAX ||
	    (stats_io(&p->stats, NULL, &s), s.failed) || rbuf_left(&s) != 0) {
		snprintf(errbuf, errlen, "PIPE section invalid");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (section_open(&r, TAG_SHARD, &s) == -1) {
			snprintf(errbuf, errlen, "unknown or truncated section");
			return -1;
		}
		if (shard_load(p, &s, errbuf, errlen) == -1)
			return -1;
		if (p->nshards - 1 <= last) {
			snprintf(errbuf, errlen, "shards out of partition order");
			return -1;
		}
		last = p->nshards - 1;
	}
	if (rbuf_left(&r) != 0) {
		snprintf(errbuf, errlen, "unknown section after the shards");
		return -1;
	}
	return 0;
}

/* Moves what load_into() filled in from into the fresh p, and p's fresh
 * registry and fit into from (to be freed with it). What moves is on the
 * heap and refers only to itself and to the other parts moved (the shard
 * models borrow the fit and the registry), never to the struct pipeline
 * around it. A fresh p has no shard and no remote contribution (either
 * would make nshards non-zero), so nothing of p's is lost. */
static void
move_state(struct pipeline *p, struct pipeline *from)
{
	struct features	*f = p->features;
	struct model	*m = p->model;

	p->features = from->features;
	p->model = from->model;
	from->features = f;
	from->model = m;
	memcpy(p->shards, from->shards, sizeof(p->shards));
	memcpy(p->models, from->models, sizeof(p->models));
	memset(from->shards, 0, sizeof(from->shards));
	memset(from->models, 0, sizeof(from->models));
	p->nshards = from->nshards;
	from->nshards = 0;
	p->epoch = from->epoch;
	p->stats = from->stats;
	p->exited = from->exited;
	p->nemployees = from->nemployees;
	p->clock_ms = from->clock_ms;
}

/* See pipeline.h. One pass: the body is loaded into a scratch pipeline
 * of p's configuration, whose state becomes p's only when all of it was
 * valid (and verify() agrees); a failure, out of memory included, leaves
 * p fresh. */
int
pipeline_snapshot_load_verified(struct pipeline *p, const void *body, size_t len,
    int (*verify)(void *, char *, size_t), void *arg, char *errbuf, size_t errlen)
{
	struct pipeline *scratch;
	int rc;

	if (p->epoch != -1 || p->nshards != 0) {
		snprintf(errbuf, errlen, "checkpoint: the pipeline is not fresh");
		return -1;
	}
	if ((scratch = pipeline_new(&p->cfg, errbuf, errlen)) == NULL)
		return -1;
	rc = load_into(scratch, body, len, errbuf, errlen);
	if (rc == 0 && verify != NULL)
		rc = verify(arg, errbuf, errlen);
	if (rc == 0)
		move_state(p, scratch);
	pipeline_free(scratch);
	return rc;
}

/* See pipeline.h. */
int
pipeline_snapshot_load(struct pipeline *p, const void *body, size_t len,
    char *errbuf, size_t errlen)
{
	return pipeline_snapshot_load_verified(p, body, len, NULL, NULL, errbuf,
	    errlen);
}

/* See pipeline.h: the epoch an image's EPCH names; -2 when unreadable. */
long
pipeline_image_epoch(const void *body, size_t len)
{
	struct rbuf	r, s;
	int64_t		e;

	rbuf_init(&r, body, len);
	if (section_open(&r, TAG_EPOCH, &s) == -1)
		return -2;
	e = rbuf_i64(&s);
	return s.failed || e < -1 ? -2 : (long)e;
}


/* See pipeline.h: CNFG is the last thing in EPCH, a tagged block of 8 +
 * 12 bytes; an EPCH without it ends otherwise. */
int
pipeline_image_epoch_hours(const void *body, size_t len)
{
	struct rbuf	r, s, c;
	const uint8_t	*end;
	size_t		n;

	rbuf_init(&r, body, len);
	if (section_open(&r, TAG_EPOCH, &s) == -1)
		return -1;
	if ((n = rbuf_left(&s)) < 20)
		return EPOCH_HOURS_UNRECORDED;
	end = rbuf_take(&s, n);
	rbuf_init(&c, end + n - 20, 20);
	if (rbuf_u32(&c) != TAG_CONFIG || rbuf_u32(&c) != 12)
		return EPOCH_HOURS_UNRECORDED;
	return (int)rbuf_u32(&c);
}

/* 1 when p holds a shard of some partition. */
static int
holds_shard(const struct pipeline *p)
{
	return pipeline_shard_next(p, -1) >= 0;
}

/* See pipeline.h: EPCH, then the partition's SHRD. */
int
pipeline_shard_image(const struct pipeline *p, int32_t partition, struct wbuf *w)
{
	size_t at;

	if (partition < 0 || partition >= SHARDS_MAX || p->shards[partition] == NULL)
		return -1;
	epoch_section_save(p, w);
	at = section_begin(w, TAG_SHARD);
	(void)shard_save(p, partition, w);
	section_end(w, at);
	return w->failed ? -1 : 0;
}

/* See pipeline.h. */
int
pipeline_shard_restore(struct pipeline *p, int32_t partition, const void *body,
    size_t len, char *errbuf, size_t errlen)
{
	struct pipeline	*scratch;
	struct rbuf	 r, s;
	int		 rc = -1;

	if (partition < 0 || partition >= SHARDS_MAX || p->shards[partition] != NULL) {
		snprintf(errbuf, errlen, "partition %d: state present", (int)partition);
		return -1;
	}
	if ((scratch = pipeline_new(&p->cfg, errbuf, errlen)) == NULL)
		return -1;
	rbuf_init(&r, body, len);
	if ((rc = epoch_section_load(scratch, &r, 0, errbuf, errlen)) != 0) {
		if (rc != PIPELINE_LOAD_CONFIG)
			rc = -1;
		goto out;
	}
	rc = -1;
	if (section_open(&r, TAG_SHARD, &s) == -1) {
		snprintf(errbuf, errlen, "SHRD section missing or truncated");
		goto out;
	}
	if (shard_load(scratch, &s, errbuf, errlen) == -1)
		goto out;
	if (rbuf_left(&r) != 0 || scratch->shards[partition] == NULL) {
		snprintf(errbuf, errlen, "not an image of partition %d alone",
		    (int)partition);
		goto out;
	}
	/* p holds no shard and the image is of a later epoch (the group went
	 * on while this instance had no partition: it lost them, or is new):
	 * p's epoch state is nothing but a stale one, which would never agree
	 * with the others' on a boundary; the image's replaces it. Never an
	 * earlier epoch: the others' records of it are spent here. */
	if (!holds_shard(p) && pipeline_image_epoch(body, len) > p->epoch &&
	    (p->epoch != -1 || p->nshards != 0) &&
	    pipeline_epoch_reset(p, errbuf, errlen) == -1)
		goto out;
	/* nothing run yet: the image's epoch state becomes p's (the same
	 * registry, so its ids need no translation) */
	if (p->epoch == -1 && p->nshards == 0) {
		rbuf_init(&r, body, len);
		if (epoch_section_load(p, &r, 0, errbuf, errlen) == -1)
			goto out;
	}
	rc = shard_adopt(p, scratch, partition, errbuf, errlen);
out:
	pipeline_free(scratch);
	return rc;
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

/* See pipeline.h: {"epoch":k,"shards":[<shard_json>,...]}. */
char *
pipeline_snapshot_json(struct pipeline *p)
{
	struct wbuf	w;
	char		head[64], *js;
	int		n = 0;

	wbuf_init(&w);
	snprintf(head, sizeof(head), "{\"epoch\":%ld,\"shards\":[", p->epoch);
	wbuf_bytes(&w, head, strlen(head));
	for (int32_t i = pipeline_shard_next(p, -1); i >= 0 && !w.failed;
	    i = pipeline_shard_next(p, i)) {
		if ((js = shard_json(p->shards[i], p->features)) == NULL) {
			w.failed = 1;
			break;
		}
		if (n++ > 0)
			wbuf_u8(&w, ',');
		wbuf_bytes(&w, js, strlen(js) - 1);	/* without its newline */
		free(js);
	}
	wbuf_bytes(&w, "]}\n", 4);	/* with the NUL */
	if (w.failed) {
		wbuf_free(&w);
		return NULL;
	}
	return (char *)w.p;
}
