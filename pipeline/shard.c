/*
 * shard.c: one input partition's state as a unit: made, freed, asked
 * where it stands (the checkpoint sections themselves are snapshot.c's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "../state/idmap.h"

/* See pipeline_int.h. */
struct shard *
shard_new(struct pipeline *p, int32_t partition)
{
	char why[ERRBUF_MAX];
	struct shard *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->partition = partition;
	s->next_offset = -1;
	s->rep_next_offset = -1;
	s->scored_epoch = -1;
	if ((s->table = table_new()) == NULL ||
	    (s->dedup = dedup_new(p->cfg.dedup_capacity)) == NULL ||
	    (s->erased = erased_new()) == NULL ||
	    (s->held = heldq_new()) == NULL ||
	    (s->timers = timerq_new(s->table)) == NULL ||
	    (s->model = model_new_shard(p->model, why, sizeof(why))) == NULL) {
		shard_free(s);
		return NULL;
	}
	return s;
}

/* Frees s; NULL is a no-op. */
void
shard_free(struct shard *s)
{
	if (s == NULL)
		return;
	table_free(s->table);
	dedup_free(s->dedup);
	erased_free(s->erased);
	model_free(s->model);
	heldq_free(s->held);
	timerq_free(s->timers);
	decide_budget_free(s->budget);
	free(s);
}

/* The keyed hash under which an erased id is remembered. */
uint64_t
shard_erasure_hash(const struct pipeline_config *cfg, const char *id)
{
	return siphash24(cfg->erasure_key, id, strlen(id));
}

/* The shard's state will reflect msg: its checkpoint resumes after it. */
void
shard_note(struct shard *sh, const struct message *msg)
{
	/* a re-routed one's input offset was noted when it was sent on
	 * (pipeline_sent_on()); its own is the repartition topic's */
	if (!msg->rerouted) {
		if (sh->topic[0] == '\0' && msg->topic != NULL)
			snprintf(sh->topic, sizeof(sh->topic), "%s", msg->topic);
		if (msg->offset >= 0)
			sh->next_offset = msg->offset + 1;
	} else if (msg->offset >= 0)
		sh->rep_next_offset = msg->offset + 1;
	sh->messages++;
}

/* See pipeline.h. */
void
pipeline_stream_resume(struct pipeline *p, int32_t partition, int64_t next)
{
	if (partition >= 0 && partition < SHARDS_MAX && p->shards[partition] != NULL)
		p->shards[partition]->rep_next_offset = next;
}

/* See pipeline_int.h. */
void
shard_count_in(struct pipeline *p, const struct shard *sh)
{
	uint64_t exited, firing;

	shard_census(sh, &exited, &firing);
	shard_count_in_census(p, sh, exited, firing);
}

/* See pipeline_int.h: shard_count_in() with the census already taken. */
void
shard_count_in_census(struct pipeline *p, const struct shard *sh, uint64_t exited,
    uint64_t firing)
{
	p->exited += exited;
	p->stats.alerts_open += firing;
	p->nemployees += table_count(sh->table);
	if (sh->clock_ms > p->clock_ms)
		p->clock_ms = sh->clock_ms;
}

/* 1 when subject was erased in this shard (the event is then counted as
 * dropped), else 0. */
int
shard_erased(struct shard *sh, const struct pipeline_config *cfg, const char *subject)
{
	if (erased_count(sh->erased) == 0 ||
	    !erased_has(sh->erased, shard_erasure_hash(cfg, subject)))
		return 0;
	sh->erased_dropped++;
	return 1;
}

/* See pipeline.h. */
int32_t
pipeline_shard_next(const struct pipeline *p, int32_t after)
{
	for (int i = after < 0 ? 0 : after + 1; i < p->nshards; i++)
		if (p->shards[i] != NULL)
			return (int32_t)i;
	return -1;
}

/* See pipeline.h. */
int
pipeline_shard_info(const struct pipeline *p, int32_t partition,
    struct shard_info *out)
{
	const struct shard *sh;

	memset(out, 0, sizeof(*out));
	if (partition < 0 || partition >= SHARDS_MAX ||
	    (sh = p->shards[partition]) == NULL)
		return -1;
	memcpy(out->topic, sh->topic, sizeof(out->topic));
	out->partition = sh->partition;
	out->next_offset = sh->next_offset;
	out->rep_next_offset = sh->rep_next_offset;
	out->clock_ms = sh->clock_ms;
	out->messages = sh->messages;
	out->employees = table_count(sh->table);
	out->erased = erased_count(sh->erased);
	return 0;
}

/* One record's registry ids through map: department, attribute slots,
 * protected names and levels. 0, or -1 on ENOMEM (attributes moved). */
static int
remap_record(struct employee *e, const struct idmap *map)
{
	uint8_t		level[PROTECTED_MAX] = { 0 }, counted[PROTECTED_MAX] = { 0 };
	double		v[ATTR_FEATURES_MAX];
	uint64_t	set = emp_attr_has(e);
	int		k, to;

	e->dept = idmap_dept(map, e->dept);
	for (int s = 0; s < ATTR_FEATURES_MAX; s++)
		if (set & (1ULL << s))
			v[s] = emp_attr_get(e, s);
	for (k = 0; k < PROTECTED_MAX; k++)
		if ((to = idmap_protected(map, k)) >= 0 && to < PROTECTED_MAX) {
			level[to] = (uint8_t)idmap_level(map, k, emp_prot_level(e, k));
			counted[to] = (uint8_t)idmap_level(map, k, emp_prot_counted(e, k));
		}
	emp_attr_release(e);	/* attributes and levels: put again below */
	for (int s = 0; s < ATTR_FEATURES_MAX; s++)
		if ((set & (1ULL << s)) && (to = idmap_attr(map, s)) >= 0 &&
		    emp_attr_put(e, to, v[s]) == -1)
			return -1;
	for (k = 0; k < PROTECTED_MAX; k++)
		if (emp_prot_put(e, k, level[k], counted[k]) == -1)
			return -1;
	return 0;
}

/* The alert budget's departments through map, by its checkpoint bytes
 * (n, then department, month, used), the one way decide.c opens it. */
static int
remap_budget(struct shard *sh, const struct idmap *map)
{
	struct wbuf	 in, out;
	struct rbuf	 r;
	uint32_t	 n, dept;
	int		 to, rc;

	wbuf_init(&in);
	wbuf_init(&out);
	decide_budget_save(sh->budget, &in);
	rbuf_init(&r, in.p, in.len);
	n = rbuf_u32(&r);
	wbuf_u32(&out, n);
	for (uint32_t i = 0; i < n; i++) {
		dept = rbuf_u32(&r);
		/* the last slot is "no department"; -1 when it maps to none */
		to = dept < DEPARTMENTS_MAX ? idmap_dept(map, (int)dept) : (int)dept;
		wbuf_u32(&out, to < 0 ? DEPARTMENTS_MAX : (uint32_t)to);
		wbuf_i64(&out, rbuf_i64(&r));
		wbuf_u32(&out, rbuf_u32(&r));
	}
	rc = -1;
	if (!in.failed && !out.failed && !r.failed) {
		decide_budget_free(sh->budget);
		sh->budget = NULL;
		rbuf_init(&r, out.p, out.len);
		rc = decide_budget_load(&sh->budget, &r);
	}
	wbuf_free(&in);
	wbuf_free(&out);
	return rc;
}

/* Statistics that start again count none of the records: the model's
 * bookkeeping bits and fairness levels say what they count (model.c). */
static void
uncount(struct shard *sh)
{
	struct employee *e;
	size_t it = 0;

	while ((e = table_next(sh->table, &it)) != NULL) {
		e->model_flags = 0;
		for (int k = 0; k < PROTECTED_MAX; k++)	/* zeros: no ENOMEM */
			(void)emp_prot_put(e, k, emp_prot_level(e, k), 0);
	}
}

/* The shard's statistics (of scratch's model) into a new model of p's,
 * through their image with the registry they refer to, so that every id
 * is mapped by name as the shared statistics' are (model_contrib_load();
 * the same bytes when the registries agree); when they do not fit (a
 * dimension p's fit cannot take), a model that starts again (*fits 0).
 * NULL on ENOMEM. */
static struct model *
stats_move(struct pipeline *p, const struct shard *sh, int *fits)
{
	char		why[ERRBUF_MAX];
	struct wbuf	w;
	struct rbuf	r;
	struct model	*m;

	*fits = 0;
	wbuf_init(&w);
	if (model_contrib_save(sh->model, &w) == -1 ||
	    (m = model_new_shard(p->model, why, sizeof(why))) == NULL) {
		wbuf_free(&w);
		return NULL;
	}
	rbuf_init(&r, w.p, w.len);
	if (model_contrib_load(m, &r, why, sizeof(why)) == 0 &&
	    rbuf_left(&r) == 0) {
		*fits = 1;
		wbuf_free(&w);
		return m;
	}
	/* a half-loaded model is no model: start the contribution again */
	model_free(m);
	wbuf_free(&w);
	return model_new_shard(p->model, why, sizeof(why));
}

/* See pipeline_int.h. */
int
shard_adopt(struct pipeline *p, struct pipeline *scratch, int32_t partition,
    char *errbuf, size_t errlen)
{
	struct shard	*sh = scratch->shards[partition];
	struct model	*m;
	int		 fits;

	struct idmap	*map;
	struct employee	*e;
	size_t		 it = 0;
	int		 rc = 0;

	if ((map = idmap_new(scratch->features, p->features, errbuf, errlen)) == NULL)
		return -1;
	/* ids of another registry: translated by name (the registry learns
	 * the names it lacks); the statistics move by name in stats_move() */
	if (!idmap_identity(map)) {
		while (rc == 0 && (e = table_next(sh->table, &it)) != NULL)
			rc = remap_record(e, map);
		if (rc == 0)
			rc = remap_budget(sh, map);
	}
	idmap_free(map);
	m = rc == 0 ? stats_move(p, sh, &fits) : NULL;
	if (m == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (!fits)
		uncount(sh);
	else if (scratch->epoch >= 0)	/* an older image: forgotten as the
					 * live shards were since */
		model_contrib_forget(m, p->epoch - scratch->epoch);
	model_free(sh->model);
	sh->model = m;
	pipeline_remote_drop(p, partition);	/* another instance's image of it */
	scratch->shards[partition] = NULL;
	scratch->models[partition] = NULL;
	p->shards[partition] = sh;
	p->models[partition] = m;
	if (partition + 1 > p->nshards)
		p->nshards = partition + 1;
	shard_count_in(p, sh);
	return fits ? 0 : 1;
}
