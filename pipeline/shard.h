/*
 * shard.h: one input partition's state (private to pipeline/): pipeline.c
 * runs messages through it, snapshot.c writes and reads it as checkpoint
 * sections.
 */
#ifndef RETENTIOND_SHARD_H
#define RETENTIOND_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

struct shard {
	struct table	*table;
	struct dedup	*dedup;
	struct erased	*erased;	/* keyed hashes of erased ids */
	int64_t		 clock_ms;	/* latest event time applied here */
	int64_t		 swept_ms;	/* clock at the last rescoring sweep */
	int64_t		 expired_ms;	/* clock at the last pass for leavers */
	/* what a checkpoint says the state reflects */
	char		 topic[PIPELINE_TOPIC_MAX];	/* input topic, "" until seen */
	int32_t		 partition;
	int64_t		 next_offset;	/* after the last message run, -1 none */
	uint64_t	 messages;	/* run through this shard */
	uint64_t	 erased_dropped;	/* events for erased ids, dropped */
};

/* shard.c */
struct shard	*shard_new(const struct pipeline_config *, int32_t partition);
void		 shard_free(struct shard *);
uint64_t	 shard_erasure_hash(const struct pipeline_config *, const char *id);
void		 shard_note(struct shard *, const struct message *);
int		 shard_erased(struct shard *, const struct pipeline_config *,
		    const char *subject);

/* pipeline.c: what shard.c needs of the pipeline */
struct shard	**pipeline_slot(struct pipeline *, int32_t partition);
/* Adds (sign 1) or takes out (-1) a shard's share of the counters. */
void		 pipeline_account(struct pipeline *, const struct shard *, int sign);
struct features	*pipeline_features(struct pipeline *);
const struct pipeline_config *pipeline_cfg(const struct pipeline *);

/* snapshot.c: the sections of a checkpoint body (see pipeline.h) */
int		 shard_save(const struct shard *, struct features *, struct wbuf *);
/* A new shard from body, validated in full; NULL with errbuf. */
struct shard	*shard_load(const struct pipeline_config *, struct features *,
		    int32_t partition, const char *topic, const void *body,
		    size_t len, char *errbuf, size_t errlen);
/* Records in the shard that left, and that have an alert episode open. */
void		 shard_census(const struct shard *, uint64_t *exited, uint64_t *firing);
char		*shard_json(const struct shard *, struct features *);

#endif
