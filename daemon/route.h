/*
 * route.h: struct route, shared by the repartitioning files only:
 * route.c (assignment, the reader of the repartition streams, commits,
 * the streams' completeness) and route_send.c (what an input partition
 * sends on, and when).
 */
#ifndef RETENTIOND_ROUTE_H
#define RETENTIOND_ROUTE_H

#include "kafka.h"

#define ROUTE_HEADER	"retentiond.partition"	/* the canonical partition */
/* "p:offset", the input record a repartition record copies: its source
 * partition and place in that partition's order, for gating each (source,
 * canonical) pair on its own (DESIGN.md, "Scale-out"); not read yet. */
#define ROUTE_SOURCE_HEADER	"retentiond.source"

struct route {
	int			 partitioner;	/* PARTITIONER_* */
	char			 topic[256];	/* the repartition topic */
	rd_kafka_t		*rep;		/* its reader; NULL when off */
	int32_t			 ninput, nrep;	/* partition counts, 0: unknown */
	int32_t			 nowned;	/* input partitions owned */
	/* per repartition partition: records this process produced to it,
	 * and records it read from it (see alone_complete()) */
	uint64_t		 forwarded[ROUTE_VBASE], readback[ROUTE_VBASE];
	unsigned char		 owned[ROUTE_VBASE];	/* input partitions */
	unsigned char		 reading[ROUTE_VBASE];	/* repartition partitions */
	unsigned char		 given_up[ROUTE_VBASE];	/* shards to drop */
	int			 ngiven_up;
	int64_t			 commit_at[ROUTE_VBASE];	/* next offset, -1: none */
	int64_t			 resume[ROUTE_VBASE];	/* input partition's stream
							 * position, -1 unknown */
	int64_t			 last_commit_ms;
	int			 created;	/* CreateTopics tried */
	/* per input partition another instance owns: the epoch its owner
	 * says it is in (route_source_crossed()), -1: none said */
	long			 crossed[ROUTE_VBASE];
	struct hr_event		 ev;		/* decode scratch */
};

#endif
