/*
 * kafka.h: what the Kafka files share, and only they: kafka_conf.c,
 * kafka.c and loop.c. The rest of the daemon sees struct kafka as opaque
 * (daemon.h). This is the one header that includes librdkafka.
 */
#ifndef RETENTIOND_KAFKA_H
#define RETENTIOND_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "daemon.h"

#define POLL_MS			100
#define TRACK_POOL		8192	/* in-flight input messages, at most */
#define TRACK_PAUSE_AT		4096	/* pause the consumer at this many */
#define TRACK_RESUME_AT		1024	/* and resume below this many */
/* Why flow control holds the consumer: each reason is set and cleared on its
 * own (kafka_flow_control()); consumption resumes when none is left. */
#define PAUSE_INFLIGHT		0x1	/* TRACK_PAUSE_AT inputs await delivery */
#define PAUSE_QUEUE		0x2	/* the producer's queue is half full */
#define HEADERS_MAX		64	/* input headers passed to the pipeline */
#define FLUSH_REVOKE_MS		10000
#define FLUSH_STOP_MS		10000

struct kafka {
	rd_kafka_t		*consumer, *producer;
	rd_kafka_topic_t	*input;		/* for rd_kafka_offset_store() */
	char			 topic_input[256];
	char			 topics[OUT__COUNT][256];
	int			 estimates_interval_s;
	int			 auto_commit;	/* enable.auto.commit in force */

	struct track		*track;		/* TRACK_POOL entries */
	int			 paused;	/* the assignment is paused */
	unsigned		 pause_reasons;	/* PAUSE_*: why it should be */
	int			 queue_pause_at;	/* outputs queued: pause */
	int			 queue_resume_at;	/* and resume at or below */
	int			 queue_full;	/* emit_cb met a full queue */
	uint64_t		 slow_reported;	/* deliveries_slow at the last warning */
	int64_t			 slow_max_us;	/* the slowest since */

	struct msg_header	 headers[HEADERS_MAX];
	const rd_kafka_message_t *current;	/* the input being processed */

	volatile int		*stop;
	int			 failed;	/* permanent error: exit non-zero */
	int			 aborted;	/* stop while the producer was full */
	uint64_t		 stored;	/* offsets stored */
};

/* kafka_conf.c */
/* The consumer's and the producer's configuration from our defaults and
 * the [kafka] keys, without handles. New confs in *cc and *pc, or -1 with
 * "file:line: reason". */
int	kafka_build_confs(const struct config *, rd_kafka_conf_t **cc,
	    rd_kafka_conf_t **pc, char *errbuf, size_t errlen);

/* kafka.c */
/* Runs one consumed message through the pipeline under the daemon lock;
 * destroys it. The caller made sure a tracker entry is free. */
void	kafka_consume(struct kafka *, struct pipeline *, rd_kafka_message_t *);
/* The model estimates to their topic (timer, shutdown), under the lock. */
void	kafka_publish_estimates(struct kafka *, struct pipeline *);
/* Stores the offsets whose outputs are all delivered. */
void	kafka_store_complete(struct kafka *);
/* Waits (bounded) for deliveries, stores and commits synchronously. */
void	kafka_commit_complete(struct kafka *, int flush_ms);
/* Pauses (1) or resumes (0) every assigned partition. */
void	kafka_set_paused(struct kafka *, int pause);
/* Sets and clears the PAUSE_* reasons from the tracker and the producer's
 * queue, and pauses or resumes the assignment when that changes. */
void	kafka_flow_control(struct kafka *);
/* One warning for the slow deliveries since the last call, if any. */
void	kafka_warn_slow(struct kafka *);
/* The consumer_lag gauge from cached watermarks. */
void	kafka_update_lag(struct kafka *);

#endif
