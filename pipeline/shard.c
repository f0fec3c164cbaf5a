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
	}
	sh->messages++;
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
	out->clock_ms = sh->clock_ms;
	out->messages = sh->messages;
	out->employees = table_count(sh->table);
	out->erased = erased_count(sh->erased);
	return 0;
}
