/*
 * kafka.h: what the Kafka files share, and only they: kafka_conf.c,
 * kafka.c, kafka_durable.c, ckpt_topic.c, fetch.c, flow.c, lag.c,
 * produce.c, route.c and route_send.c (through route.h), stats.c, topics.c
 * and loop.c. The rest of the daemon sees struct kafka as opaque
 * (daemon.h). This is the one header that includes librdkafka.
 */
#ifndef RETENTIOND_KAFKA_H
#define RETENTIOND_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <time.h>

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
#define WATERMARK_MS		500	/* an idle partition's end, asked of the broker */
#define FLUSH_CHECKPOINT_MS	2000	/* periodic ones; shutdown waits longer */
/* struct kafka's assigned_at[]: assigned from the group's commit (not
 * asked yet), or asked and none */
#define ASSIGNED_COMMIT		(-1)
#define ASSIGNED_NONE		(-2)
#define COMMITTED_MS		1000	/* the committed offsets for the lag */
/* Gate and tracker ids of the repartition streams (route.c): ROUTE_VBASE
 * + input partition (gate), ROUTE_VBASE + repartition partition (tracker);
 * input partitions are below it. */
#define ROUTE_VBASE		4096

struct kafka {
	rd_kafka_t		*consumer, *producer;
	rd_kafka_topic_t	*input;		/* for rd_kafka_offset_store() */
	char			 topic_input[256];
	char			 topics[OUT__COUNT][256];
	rd_kafka_topic_t	*out[OUT__COUNT];	/* the producer's, held from
						 * the start (kafka_new()) */
	int64_t			 idle_ms;	/* [model] idle_seconds */
	int			 auto_commit;	/* enable.auto.commit in force */
	size_t			 max_msg_bytes;	/* the producer's message.max.bytes */
	int			 in_dr;		/* producing from a delivery report */

	struct track		*track;		/* TRACK_POOL entries */
	struct gate		*gate;		/* epoch gate: held messages */
	struct durable		*durable;	/* checkpoints (durable.c) */
	struct pipeline		*pipeline;	/* kafka_run()'s, for rebalances */
	struct route		*route;		/* repartitioning (route.c) */
	struct stats		*stats;		/* shared statistics (stats.c) */
	struct fetch		*fetch;		/* partition queues (fetch.c) */
	struct ckpt_topic	*ckpt;		/* partition images (ckpt_topic.c);
						 * NULL: [topics] checkpoints unset */
	/* The assignment's committed offsets, fetched once per assignment
	 * for the lag of partitions not read from yet; NULL: not fetched. */
	rd_kafka_topic_partition_list_t *committed;
	unsigned		 assign_gen;	/* bumped by each rebalance */
	/* per input partition: the offset it was assigned at (the state's),
	 * ASSIGNED_COMMIT: the group's committed offset, not asked yet,
	 * ASSIGNED_NONE: none (kafka.c, input_position()) */
	int64_t			 assigned_at[ROUTE_VBASE];
	int			 paused;

	struct msg_header	 headers[HEADERS_MAX];
	const rd_kafka_message_t *current;	/* the input being processed */

	volatile int		*stop;
	int			 failed;	/* permanent error: exit non-zero */
	int			 aborted;	/* stop while the producer was full */
	int			 closing;	/* the consumer is closing: its
						 * revoke ends the process's
						 * assignment for good */
	uint64_t		 stored;	/* offsets stored */

	/* Flow control and broker trouble (flow.c); paused above is the
	 * assignment's state, these say why it should be. */
	unsigned		 pause_reasons;	/* PAUSE_* */
	int			 queue_pause_at;	/* outputs queued: pause */
	int			 queue_resume_at;	/* and resume at or below */
	int			 queue_full;	/* kafka_emit() met a full queue */
	uint64_t		 slow_reported;	/* deliveries_slow at the last warning */
	int64_t			 slow_max_us;	/* the slowest since */
};

/* kafka_conf.c */
/* The consumer's and the producer's configuration from our defaults and
 * the [kafka] keys, without handles. New confs in *cc and *pc, or -1 with
 * "file:line: reason". */
int	kafka_build_confs(const struct config *, rd_kafka_conf_t **cc,
	    rd_kafka_conf_t **pc, char *errbuf, size_t errlen);

/* What kafka_emit() needs: the adapter and the entry of the input (NULL for
 * outputs not caused by a message, such as timed estimates). */
struct emit_ctx {
	struct kafka		*k;
	struct track_entry	*entry;
};

/* produce.c */
/* The pipeline's emit callback (arg: struct emit_ctx). 0, or -1 on an
 * outage or a stop (pipeline_run() then returns PIPE_ERROR). */
int	kafka_emit(void *arg, const struct output *);
/* One record for an internal topic (the repartition and stats topics):
 * to that partition, key and value copied, headers (NULL: none) the
 * message's once produced, opaque the delivery report's. */
struct kafka_record {
	const char		*topic;
	int32_t			 partition;
	const void		*key, *value;
	size_t			 keylen, len;
	rd_kafka_headers_t	*headers;
	void			*opaque;
};
/* Produces r, serving delivery reports and retrying while the queue is
 * full (backpressure). 0; or -1 with the headers destroyed: k->failed set
 * (a permanent error, logged) or k->aborted (a stop while it waited). */
int	kafka_produce_record(struct kafka *, struct kafka_record *r);
/* 1 for a delivery the broker refused for the record itself. */
int	kafka_refused_record(rd_kafka_resp_err_t);
/* Sends a refused record's replacement to the DLQ from the delivery
 * report: 0 (e has one more output pending), or -1 to stop. */
int	kafka_redirect_refused(struct kafka *, const rd_kafka_message_t *,
	    struct track_entry *);

/* Monotonic ms: the epoch gate's idle rule, commit timers. */
static inline int64_t
kafka_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock ms since the epoch: how far in the future an event is, how
 * old a record. */
static inline int64_t
kafka_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* When the record was written (its Kafka timestamp: CreateTime or
 * LogAppendTime) on the monotonic clock, for the idle rule's silence
 * (gate.c); a record without one, or from a clock ahead of ours, counts as
 * written now. */
static inline int64_t
kafka_written_ms(const rd_kafka_message_t *rm)
{
	int64_t ts = rd_kafka_message_timestamp(rm, NULL), age;

	age = ts >= 0 ? kafka_wall_ms() - ts : 0;
	return kafka_mono_ms() - (age > 0 ? age : 0);
}

/* route.c: events away from their employee's partition go through the
 * repartition topic to the owner's shard. */
int	route_new(struct kafka *, const struct config *, const rd_kafka_conf_t *cc,
	    char *errbuf, size_t errlen);
void	route_free(struct kafka *);
void	route_assign(struct kafka *, const rd_kafka_topic_partition_list_t *);
/* parts NULL: every partition. */
void	route_revoke(struct kafka *, const rd_kafka_topic_partition_list_t *,
	    void (*drop)(void *, void *), void *arg);
int	route_divert(struct kafka *, rd_kafka_message_t *);
/* topics.c: topic's partition count by rk's metadata, asked at most tries
 * times (a producer's request auto-creates where the cluster allows it),
 * 0 when unknown; and the Admin API asked for topic with partitions, once,
 * unless it exists. A cluster that refuses (not allowed, no CreateTopics)
 * or does not answer within a second (the mock cluster) leaves it to
 * auto-creation or the operator: this runs in the rebalance callback. */
int32_t	kafka_partition_count(rd_kafka_t *, const char *topic, int tries);
void	kafka_create_topic(struct kafka *, const char *topic, int32_t partitions);
/* The same with one topic config (name = value), e.g. cleanup.policy. */
void	kafka_create_topic_with(struct kafka *, const char *topic,
	    int32_t partitions, const char *name, const char *value);
/* route.c: the shard of input partition c reflects its repartition stream
 * up to next (its checkpoint's META): when c's repartition partition is
 * read afresh, it is read from there, not from the group's commit. */
void	route_resume_at(struct kafka *, int32_t c, int64_t next);

/* ckpt_topic.c: each partition's checkpoint image in [topics] checkpoints
 * (DESIGN.md, "Checkpoints"). new: 0 (nothing when the key is unset), or
 * -1 with errbuf; cc is the consumer's configuration (not consumed). */
int	ckpt_topic_new(struct kafka *, const struct config *,
	    const rd_kafka_conf_t *cc, char *errbuf, size_t errlen);
void	ckpt_topic_free(struct kafka *);
/* Publishes the image of every assigned partition whose shard changed
 * since its last one (every assigned one, into both slots, after an
 * erasure) and waits for its delivery. 0, or -1 (tried again with the
 * next checkpoint; commits stay where the last delivered image is). */
int	ckpt_topic_publish(struct kafka *, struct pipeline *, int both_slots);
/* How far partition's commits may go: the next offset of its newest
 * delivered image (-1 none); local when the topic is not configured. */
int64_t	ckpt_topic_cap(struct kafka *, int32_t partition, int64_t local);
/* How far the commits of input partition's repartition stream may go:
 * its position in the newest image delivered (0 when the image has read
 * none of it), -1 with no image, INT64_MAX without a checkpoint topic. */
int64_t	ckpt_topic_rep_cap(struct kafka *, int32_t partition);
/* The partition is given up: no image of it caps anything here. */
void	ckpt_topic_forget(struct kafka *, int32_t partition);
/* The partition is lost (its session expired): the newest image of it in
 * the topic now is what its parked shard (durable_park()) was last
 * written as; ckpt_topic_prefetch() takes that shard back only while no
 * image of anyone else's is newer. Before ckpt_topic_forget(). */
void	ckpt_topic_park(struct kafka *, int32_t partition);
/* Restores the partitions in parts that the pipeline holds no shard of
 * from their newest images (the topic read to its end), or from the
 * shard parked when it was lost (ckpt_topic_park()); a bad image is
 * refused (logged, counted) and its partition starts from the group's
 * committed offset. */
void	ckpt_topic_prefetch(struct kafka *, struct pipeline *,
	    const rd_kafka_topic_partition_list_t *parts);
/* rm, held behind an earlier message of its partition: sent on under its
 * entry when it belongs to another partition (1), else 0. */
int	route_send_held(struct kafka *, rd_kafka_message_t *, struct track_entry *);
void	route_poll(struct kafka *, struct pipeline *);
/* How long the work loop may wait for the input: POLL_MS, or a few ms
 * while records sent to the repartition streams it reads are due back
 * (route_poll() reads them). */
int	route_poll_ms(struct kafka *);
/* route_order.c: the records read back from the repartition streams are
 * held and applied at the end of their epoch, sorted by (source
 * partition, source offset). flush: every stream's (before the pipeline
 * enters the next epoch); flush_one: stream c's (before its statistics
 * are published); finish: at shutdown, once what was sent on is read
 * back (bounded). 0, or -1 (k->failed, or stopping). */
int	route_order_flush(struct kafka *, struct pipeline *);
int	route_order_flush_one(struct kafka *, struct pipeline *, int32_t c);
void	route_order_finish(struct kafka *, struct pipeline *);
void	route_store(struct kafka *, int32_t id, int64_t last);
void	route_commit(struct kafka *, int async);
int	route_caught_up(struct kafka *, int32_t id);
void	route_pause(struct kafka *, int32_t id, int pause);
void	route_set_paused(struct kafka *, int pause);

/* stats.c: shared statistics when several instances share the input. */
int	stats_new(struct kafka *, const struct config *, const rd_kafka_conf_t *cc,
	    char *errbuf, size_t errlen);
void	stats_free(struct kafka *);
/* Reads the stats topic's new records (the work loop, each turn). */
void	stats_poll(struct kafka *);
/* The gate's decision when several instances share the input: publishes
 * the contributions of the owned partitions that are final, and once
 * every partition's contribution to the next boundary is known loads the
 * others' and says 1 with *epoch to enter; 0 not yet; -1 when this
 * instance alone owns the input (the gate decides as for one instance). */
int	stats_due(struct kafka *, struct pipeline *, int64_t now_ms, long *epoch);

/* fetch.c: the input's messages from one queue per assigned partition,
 * only from the partitions the epoch gate lets through. */
/* The wake-up pipe and the consumer's queue; after the consumer exists.
 * 0, or -1 with errbuf (fetch_free() cleans up). */
int	fetch_new(struct kafka *, char *errbuf, size_t errlen);
/* Every queue handle destroyed: before the consumer is. NULL-safe. */
void	fetch_free(struct kafka *);
/* The partitions' own queues, no longer forwarded: before they are
 * assigned. */
void	fetch_assign(struct kafka *, const rd_kafka_topic_partition_list_t *);
/* Their queues given back (forwarded again, what is left dropped): after
 * they are given up. parts NULL: every partition. */
void	fetch_revoke(struct kafka *, const rd_kafka_topic_partition_list_t *);
/* The next message (or partition event) of a partition the gate does not
 * hold, round robin; new, or NULL when none is there now. */
rd_kafka_message_t *fetch_next(struct kafka *);
/* Waits at most timeout_ms for any of the queues (the consumer's too) to
 * receive something. */
void	fetch_wait(struct kafka *, int timeout_ms);
/* The pipeline's view of a consumed message; headers borrowed into
 * k->headers until the next call. */
void	kafka_to_message(struct kafka *, const rd_kafka_message_t *,
	    struct message *);

/* kafka_conf.c: a consumer outside the group on cc's settings (not
 * consumed), never committing (the caller assigns it), fetch.wait.max.ms
 * fetch_wait_ms (NULL: cc's); NULL with "<what> reader: reason". */
rd_kafka_t *kafka_reader_new(const rd_kafka_conf_t *cc, const char *what,
	    const char *fetch_wait_ms, char *errbuf, size_t errlen);
/* Closes and destroys a reader of kafka_reader_new(); NULL-safe. */
void	kafka_reader_free(rd_kafka_t *);

/* kafka.c */
/* kafka_consume() of a message from source src (gate id: its partition,
 * or a repartition stream), its tracker entry under id tid. */
void	kafka_consume_from(struct kafka *, struct pipeline *, rd_kafka_message_t *,
	    int32_t src, int32_t tid);
/* Runs rm from source src through the pipeline under the daemon lock,
 * its outputs under entry. On PIPE_BLOCKED rm stays the caller's and the
 * entry open; else the entry ends and rm is destroyed. */
enum pipeline_result kafka_offer(struct kafka *, struct pipeline *,
	    rd_kafka_message_t *, struct track_entry *, int32_t src);
/* Runs one consumed message through the pipeline under the daemon lock;
 * destroys it. The caller made sure a tracker entry is free. */
void	kafka_consume(struct kafka *, struct pipeline *, rd_kafka_message_t *);
/* The epoch gate: when every assigned partition holds a message of a
 * later epoch or is idle, enters the next epoch and offers the held
 * messages again (1; 0 when it did not). */
int	kafka_gate_step(struct kafka *, struct pipeline *);
/* 1 when the broker confirms that the consumer has read source id (an
 * input partition or a repartition stream) to its end; 0 (no longer
 * idle) when more is there or the broker cannot say now. */
int	kafka_caught_up(struct kafka *, int32_t id);
/* Drops every held message unprocessed (shutdown): their offsets are
 * never stored. */
void	kafka_drop_held(struct kafka *);
/* Stores the offsets whose outputs are all delivered. */
void	kafka_store_complete(struct kafka *);
/* Waits (bounded) for deliveries, stores and commits synchronously. */
void	kafka_commit_complete(struct kafka *, int flush_ms);
/* The tracker's store callback: last is the partition's last complete
 * input; what gets committed is the next one to read. */
void	kafka_store_offset(void *k, int32_t partition, int64_t last);

/* kafka_durable.c */
/* Checkpoints the pipeline when due (force: whenever it changed) once
 * every output so far is delivered, and lets the partitions' offsets be
 * committed up to there. 0, or -1 when outputs are still undelivered
 * after flush_ms (nothing written, tried again later). */
int	kafka_checkpoint(struct kafka *, int force, int flush_ms);
/* A partition is assigned (the first time, the checkpoint is restored):
 * *offset becomes where its state resumes (unchanged when the pipeline
 * never saw it: the group's committed offset), and its commits are
 * capped at the durable checkpoint. */
void	kafka_durable_assign(struct kafka *, int32_t partition, int64_t *offset);
/* Once the assignment is in force: what the state holds of the partition
 * (offset from kafka_durable_assign(); negative: nothing) counts as
 * complete, and its offset is stored as far as the cap allows. */
void	kafka_durable_resumed(struct kafka *, int32_t partition, int64_t offset);
void	kafka_durable_revoke(struct kafka *, int32_t partition);
/* Before the partitions in parts are assigned one by one: the local
 * checkpoint is loaded (the first time), then the images of those the
 * pipeline has no state for are read from the checkpoint topic, or taken
 * back from the shards parked when they were given up
 * (kafka_durable_revoke()); parked shards not taken back are freed. */
void	kafka_durable_prefetch(struct kafka *,
	    const rd_kafka_topic_partition_list_t *parts);
/* The model estimates to their topic (shutdown), under the lock. */
void	kafka_publish_estimates(struct kafka *, struct pipeline *);
/* Pauses (1) or resumes (0) every assigned partition. */
void	kafka_set_paused(struct kafka *, int pause);
/* The consumer_lag gauge from cached watermarks. */
void	kafka_update_lag(struct kafka *);

/* flow.c (and kafka_set_paused() above) */
/* Sets and clears the PAUSE_* reasons from the tracker and the producer's
 * queue, and pauses or resumes the assignment when that changes. */
void	kafka_flow_control(struct kafka *);
/* The pause and resume bounds from queue.buffering.max.messages. */
void	kafka_queue_bounds(struct kafka *, const rd_kafka_conf_t *pc);
/* A delivery report's latency into the metrics (dr_cb). */
void	kafka_observe_delivery(struct kafka *, const rd_kafka_message_t *);
/* One warning for the slow deliveries since the last call, if any. */
void	kafka_warn_slow(struct kafka *);
/* The producer's statistics callback: the brokers' round-trip time. */
int	kafka_producer_stats_cb(rd_kafka_t *, char *json, size_t len, void *);

#endif
