/*
 * shard.c: one input partition's state as a unit: made, freed, asked
 * where it stands (the checkpoint sections themselves are snapshot.c's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"

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
	    (s->timers = timerq_new()) == NULL ||
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

/* See pipeline_int.h. */
void
shard_count_in(struct pipeline *p, const struct shard *sh)
{
	uint64_t exited, firing;

	shard_census(sh, &exited, &firing);
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

/* 1 when every id of registry from names in into what it names in from
 * (into grew from the same names in the same order, or is from itself):
 * a shard of from's is then valid in into as it is. */
static int
registry_prefix(struct features *from, struct features *into)
{
	const char *a, *b, *la, *lb;
	int n, k, lv;

	n = strtab_count(features_departments(from));
	if (n > strtab_count(features_departments(into)))
		return 0;
	for (int i = 0; i < n; i++)
		if (strcmp(strtab_name(features_departments(from), i),
		    strtab_name(features_departments(into), i)) != 0)
			return 0;
	if ((n = features_attr_slots(from)) > features_attr_slots(into))
		return 0;
	for (int s = 0; s < n; s++) {
		if (features_attr_slot_describe(from, s, &a, &la) == -1 ||
		    features_attr_slot_describe(into, s, &b, &lb) == -1 ||
		    strcmp(a, b) != 0 || (la == NULL) != (lb == NULL) ||
		    (la != NULL && strcmp(la, lb) != 0))
			return 0;
	}
	if ((k = features_protected_count(from)) > features_protected_count(into))
		return 0;
	for (int i = 0; i < k; i++) {
		if (strcmp(features_protected_name(from, i),
		    features_protected_name(into, i)) != 0 ||
		    (lv = features_protected_level_count(from, i)) >
		    features_protected_level_count(into, i))
			return 0;
		for (int l = 1; l <= lv; l++)
			if (strcmp(features_protected_level(from, i, l),
			    features_protected_level(into, i, l)) != 0)
				return 0;
	}
	return 1;
}

/* The shard's statistics (of scratch's model) into a new model of p's:
 * through their bytes, which check every dimension against p's fit. NULL
 * when they do not fit it (or ENOMEM); *fits says which. */
static struct model *
stats_move(struct pipeline *p, const struct shard *sh, int *fits)
{
	char		why[ERRBUF_MAX];
	struct wbuf	w;
	struct rbuf	r;
	struct model	*m;

	*fits = 0;
	wbuf_init(&w);
	if (model_shard_save(sh->model, &w) == -1 ||
	    (m = model_new_shard(p->model, why, sizeof(why))) == NULL) {
		wbuf_free(&w);
		return NULL;
	}
	rbuf_init(&r, w.p, w.len);
	if (model_shard_load(m, &r, why, sizeof(why)) == 0 && rbuf_left(&r) == 0) {
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

	if (!registry_prefix(scratch->features, p->features)) {
		snprintf(errbuf, errlen, "the image's registry differs from this "
		    "instance's (translation by name not available)");
		return -1;
	}
	if ((m = stats_move(p, sh, &fits)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	model_free(sh->model);
	sh->model = m;
	scratch->shards[partition] = NULL;
	scratch->models[partition] = NULL;
	p->shards[partition] = sh;
	p->models[partition] = m;
	if (partition + 1 > p->nshards)
		p->nshards = partition + 1;
	shard_count_in(p, sh);
	return fits ? 0 : 1;
}
