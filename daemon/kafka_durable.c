/*
 * kafka_durable.c: checkpoints as the Kafka side sees them: where an
 * assigned partition resumes, how far its offsets may be committed, and
 * when a checkpoint may be written (durable.c decides when one is due,
 * checkpoint.c writes it).
 *
 * A checkpoint may only reflect inputs whose outputs are all acknowledged
 * (the producer is flushed first), and never after a permanent failure;
 * once it is durable, each assigned partition's stored offsets may reach
 * its shard's next offset in it (track_set_cap()), never further. So the
 * group's committed offset never runs ahead of the state on disk, and the
 * state on disk never runs ahead of what was delivered. With [topics]
 * checkpoints set, the partitions' images are published after the file is
 * written and before the caps move (ckpt_topic.c): the committed offset
 * then never passes the newest image in Kafka, and a partition assigned
 * without state here is restored from its image.
 */
#include "kafka.h"

/* The checkpoint is durable: partition's offsets up to it may be stored. */
static void
checkpoint_saved(void *arg, int32_t partition, int64_t next_offset)
{
	struct kafka *k = arg;

	track_set_cap(k->track, partition, next_offset, kafka_store_offset, k);
}

/* See kafka.h. */
int
kafka_checkpoint(struct kafka *k, int force, int flush_ms)
{
	int rc;

	if (k->failed || k->aborted || k->pipeline == NULL)
		return -1;
	if (!force && !durable_due(k->durable, k->pipeline))
		return 0;
	if (rd_kafka_flush(k->producer, flush_ms) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    k->failed) {
		log_warn_limited("checkpoint-flush", "checkpoint postponed: %d "
		    "outputs without a delivery report after %d ms",
		    rd_kafka_outq_len(k->producer), flush_ms);
		return -1;
	}
	kafka_store_complete(k);
	if ((rc = durable_save(k->durable, k->pipeline, force,
	    k->ckpt == NULL ? checkpoint_saved : NULL, k)) <= 0 || k->ckpt == NULL)
		return rc < 0 ? -1 : 0;
	/* the images go to Kafka before commits may pass what they reflect */
	if (ckpt_topic_publish(k, k->pipeline, rc == 2) == -1)
		return -1;
	for (int32_t i = pipeline_shard_next(k->pipeline, -1); i >= 0;
	    i = pipeline_shard_next(k->pipeline, i))
		if (durable_assigned(k->durable, i))
			checkpoint_saved(k, i, ckpt_topic_cap(k, i, -1));
	return 0;
}

/* See kafka.h. */
void
kafka_durable_assign(struct kafka *k, int32_t partition, int64_t *offset)
{
	struct shard_info	info;
	int64_t			from = -1;
	int			has = 0;

	if (k->pipeline != NULL) {
		/* the local file, then the images (kafka_durable_prefetch()) */
		from = durable_assign(k->durable, k->pipeline, partition);
		daemon_lock();
		has = pipeline_shard_info(k->pipeline, partition, &info) == 0;
		daemon_unlock();
		/* its repartition stream from where the state stands: none
		 * read yet is its beginning, not the group's commit (which the
		 * previous owner may have moved past what the state holds) */
		if (has && info.rep_next_offset >= -1)
			route_resume_at(k, partition, info.rep_next_offset < 0 ? 0 :
			    info.rep_next_offset);
	}
	/* until a checkpoint holds the partition, nothing is stored */
	track_set_cap(k->track, partition, ckpt_topic_cap(k, partition,
	    durable_cap(k->durable, partition)), kafka_store_offset, k);
	if (from >= 0)
		*offset = from;
}

/* See kafka.h: once the assignment of partition at offset (the state's;
 * negative: the group's commit) is in force, since an offset is stored
 * only for an assigned partition. */
void
kafka_durable_resumed(struct kafka *k, int32_t partition, int64_t offset)
{
	if (offset >= 0)
		track_resume(k->track, partition, offset, kafka_store_offset, k);
}

/* Without a checkpoint topic, the shard parked when a partition of parts
 * was given up is the newest state there is of it (kafka_durable_revoke()):
 * taken back unless the pipeline still holds it. */
static void
take_back_parked(struct kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
	struct shard_info	info;
	int			has;

	for (int i = 0; i < parts->cnt; i++) {
		daemon_lock();
		has = pipeline_shard_info(k->pipeline, parts->elems[i].partition,
		    &info) == 0;
		daemon_unlock();
		if (!has)
			(void)durable_restore_parked(k->durable, k->pipeline,
			    parts->elems[i].partition);
	}
}

/* See kafka.h. */
void
kafka_durable_prefetch(struct kafka *k, const rd_kafka_topic_partition_list_t *parts)
{
	if (k->pipeline == NULL)
		return;
	if (k->ckpt != NULL) {
		durable_restore_local(k->durable, k->pipeline);
		ckpt_topic_prefetch(k, k->pipeline, parts);
	} else
		take_back_parked(k, parts);
	durable_unpark_all(k->durable);	/* not back, or superseded */
}

/* See kafka.h. A lost partition's shard goes at once, not after the
 * callback (route.c): it was not checkpointed, another owner may have gone
 * past it already, and an assignment that follows in the same poll must
 * not simply keep this state (nor, when it was the last shard, this
 * pipeline's stale epoch). It is parked first, and so is a revoked one
 * when no checkpoint topic moves state: a partition that comes back
 * (an outage longer than the session, a rebalance that returns it) is
 * taken back as it was, unless someone else has published a newer image
 * of it (kafka_durable_prefetch()), and what it applied since its last
 * checkpoint is not applied again. */
void
kafka_durable_revoke(struct kafka *k, int32_t partition)
{
	int lost = rd_kafka_assignment_lost(k->consumer);

	/* not when the consumer closes: nothing comes back (at a stop the
	 * whole pipeline would be serialised once more, for nothing) */
	if (k->pipeline != NULL && !k->closing && (lost || k->ckpt == NULL)) {
		durable_park(k->durable, k->pipeline, partition);
		ckpt_topic_park(k, partition);
	}
	durable_revoke(k->durable, partition);
	ckpt_topic_forget(k, partition);
	if (k->ckpt != NULL && k->pipeline != NULL && lost) {
		daemon_lock();
		pipeline_shard_drop(k->pipeline, partition);
		daemon_unlock();
	}
}

/* See kafka.h: at shutdown, outside any input's entry; the checkpoint
 * written right after flushes them. */
void
kafka_publish_estimates(struct kafka *k, struct pipeline *p)
{
	struct emit_ctx	ctx = { k, NULL };
	int		rc;

	daemon_lock();
	rc = pipeline_publish_estimates(p, kafka_emit, &ctx);
	daemon_unlock();
	if (rc == -1 && !k->aborted)
		log_warnx("publishing model estimates failed");
}
