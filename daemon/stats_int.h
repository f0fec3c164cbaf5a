/*
 * stats_int.h: between stats.c (shared statistics) and stats_plans.c
 * (the month's plans with several instances), which shares its reader.
 */
#ifndef RETENTIOND_STATS_INT_H
#define RETENTIOND_STATS_INT_H

#include "kafka.h"

struct cands;

struct cands	*cands_new(const struct config *);
void		 cands_free(struct cands *);
/* Adds every partition of the candidates topic, from its beginning, to
 * l, the stats reader's assignment (the topic created where allowed);
 * 0, or -1 (its partition count unknown yet). */
int		 cands_assign(struct kafka *, struct cands *, int32_t ninput,
		    rd_kafka_topic_partition_list_t *l);
/* 1 when rm is of the candidates topic (kept, or skipped and logged), 0
 * when it is not. */
int		 cands_read(struct kafka *, struct cands *, const rd_kafka_message_t *);
/* Each turn while several instances share the input (the reader
 * started): the pipeline's plans are shared; while a boundary's plans
 * wait, sends the partitions' candidates this instance has, loads the
 * others' and publishes the plans once every partition's are in. */
void		 cands_step(struct kafka *, struct cands *, struct pipeline *,
		    int32_t ninput);
/* Alone again (every partition, or none): the plans are made at the
 * boundary; a plan still waiting is dropped (logged). NULL-safe. */
void		 cands_alone(struct cands *, struct pipeline *);

#endif
