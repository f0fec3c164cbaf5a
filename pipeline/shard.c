/*
 * shard.c: one input partition's state as a unit: made, freed, asked
 * where it stands, and swapped as a whole for a checkpoint's (the
 * sections themselves are snapshot.c's).
 *
 * A shard that a checkpoint replaces, or a revocation drops, takes its
 * share of the pipeline's counters with it (pipeline_account()), so the
 * gauges stay those of the records actually held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"
#include "stages.h"

/* Returns a new empty shard for partition, NULL on ENOMEM. */
struct shard *
shard_new(const struct pipeline_config *cfg, int32_t partition)
{
	struct shard *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->partition = partition;
	s->next_offset = -1;
	if ((s->table = table_new()) == NULL ||
	    (s->dedup = dedup_new(cfg->dedup_capacity)) == NULL ||
	    (s->erased = erased_new()) == NULL) {
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
	if (sh->topic[0] == '\0' && msg->topic != NULL)
		snprintf(sh->topic, sizeof(sh->topic), "%s", msg->topic);
	if (msg->offset >= 0)
		sh->next_offset = msg->offset + 1;
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

/* Puts ns (NULL: none) in the partition's place, freeing the shard that
 * was there, with the counters moved along. */
static void
replace(struct pipeline *p, int32_t partition, struct shard *ns)
{
	struct shard **slot = pipeline_slot(p, partition);

	if (*slot != NULL) {
		pipeline_account(p, *slot, -1);
		shard_free(*slot);
	}
	if ((*slot = ns) != NULL)
		pipeline_account(p, ns, 1);
}

int
pipeline_shard_save(struct pipeline *p, int32_t partition, struct wbuf *w)
{
	struct shard *sh = *pipeline_slot(p, partition), *empty = NULL;
	int rc;

	if (sh == NULL && (sh = empty = shard_new(pipeline_cfg(p), partition)) == NULL)
		return -1;
	rc = shard_save(sh, pipeline_features(p), w);
	shard_free(empty);
	return rc;
}

int
pipeline_shard_load(struct pipeline *p, int32_t partition, const char *topic,
    const void *body, size_t len, char *errbuf, size_t errlen)
{
	struct shard *ns;

	if ((ns = shard_load(pipeline_cfg(p), pipeline_features(p), partition, topic,
	    body, len, errbuf, errlen)) == NULL)
		return -1;
	replace(p, partition, ns);
	return 0;
}

void
pipeline_shard_drop(struct pipeline *p, int32_t partition)
{
	replace(p, partition, NULL);
}

int
pipeline_shard_info(struct pipeline *p, int32_t partition, struct shard_info *out)
{
	const struct shard *sh = *pipeline_slot(p, partition);

	memset(out, 0, sizeof(*out));
	if (sh == NULL)
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

char *
pipeline_shard_json(struct pipeline *p, int32_t partition)
{
	const struct shard *sh = *pipeline_slot(p, partition);

	return sh == NULL ? NULL : shard_json(sh, pipeline_features(p));
}
