/*
 * route.h: struct route, shared by the repartitioning files only:
 * route.c (assignment, the reader of the repartition streams, commits,
 * the streams' completeness), route_send.c (what an input partition
 * sends on, and when) and route_order.c (the records read back, applied
 * at the end of their epoch in a fixed order).
 */
#ifndef RETENTIOND_ROUTE_H
#define RETENTIOND_ROUTE_H

#include "kafka.h"

#define ROUTE_HEADER	"retentiond.partition"	/* the canonical partition */
/* "p:offset", the input record a repartition record copies: its source
 * partition and place in that partition's order; and the event's time
 * (ms since the epoch, decimal), as the sender decoded it. Together the
 * key by which the owner applies the records read back (route_order.c). */
#define ROUTE_SOURCE_HEADER	"retentiond.source"
#define ROUTE_TIME_HEADER	"retentiond.time"
/* "token:n": the process that sent the record (a token of its own) and
 * the record's number among those it sent to the partition, from 0. The
 * reader counts only its own process's records as read back
 * (route_read_own()): other instances write to the same partitions. */
#define ROUTE_SENDER_HEADER	"retentiond.sender"

struct route {
	int			 partitioner;	/* PARTITIONER_* */
	char			 topic[256];	/* the repartition topic */
	rd_kafka_t		*rep;		/* its reader; NULL when off */
	int32_t			 ninput, nrep;	/* partition counts, 0: unknown */
	int32_t			 nowned;	/* input partitions owned */
	/* per repartition partition: records this process produced to it,
	 * and how many of those it has read back: 1 + the highest number
	 * (ROUTE_SENDER_HEADER) of its own read (see alone_complete()) */
	uint64_t		 forwarded[ROUTE_VBASE], readback[ROUTE_VBASE];
	char			 sender[40];	/* this process's token */
	unsigned char		 owned[ROUTE_VBASE];	/* input partitions */
	unsigned char		 reading[ROUTE_VBASE];	/* repartition partitions */
	unsigned char		 given_up[ROUTE_VBASE];	/* shards to drop */
	int			 ngiven_up;
	int64_t			 commit_at[ROUTE_VBASE];	/* next offset, -1: none */
	int64_t			 resume[ROUTE_VBASE];	/* input partition's stream
							 * position, -1 unknown */
	/* per repartition partition: the offset the reader was last
	 * assigned at, -1: its beginning (reader_position()) */
	int64_t			 assigned_at[ROUTE_VBASE];
	int64_t			 last_commit_ms;
	int			 created;	/* CreateTopics tried */
	/* per input partition another instance owns: the epoch its owner
	 * says it is in (route_source_crossed()), -1: none said */
	long			 crossed[ROUTE_VBASE];
	struct hr_event		 ev;		/* decode scratch */
	/* route_order.c: the records read back, held to the epoch's end */
	struct order		*order;
	int64_t			 next_read[ROUTE_VBASE];	/* per repartition
						 * partition: after the last record
						 * the reader gave, -1 unknown */
	rd_kafka_conf_t		*cc;		/* for the re-reader */
	rd_kafka_t		*rr;		/* reads a spilled stream again;
						 * made at the first spill */
};

/* route.c */
/* rm's header name as a string in buf (of len); 0, or -1 when absent,
 * empty or too long. */
int	route_header(const rd_kafka_message_t *rm, const char *name, char *buf,
	    size_t len);
int32_t	route_named_partition(const rd_kafka_message_t *);
int	route_awaiting(const struct route *);
/* A record read from repartition partition rp with ROUTE_SENDER_HEADER
 * hdr: when this process sent it (hdr is "r->sender:n"), readback[rp]
 * counts it as read back with every one it sent there before (1 + n). */
void	route_read_own(struct route *, int32_t rp, const char *hdr);
/* r->sender: a token no other process has (start time in ns and pid). */
void	route_sender_init(struct route *);

/* route_order.c */
void	route_order_new(struct route *, const rd_kafka_conf_t *cc);
void	route_order_free(struct route *);
/* rm, read back for owned stream c, is held until the epoch's end. */
void	route_order_defer(struct kafka *, struct route *, rd_kafka_message_t *,
	    int32_t c);
/* Stream c's held records are dropped unapplied (given up, or read again
 * from an earlier offset). */
void	route_order_drop(struct route *, int32_t c);


#endif
