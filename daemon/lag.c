/*
 * lag.c: the consumer_lag gauge (kafka_update_lag()): how far the
 * assigned input partitions are behind their ends, from cached
 * watermarks, for /metrics, the status line and /readyz. Moved out of
 * kafka.c, which holds the handles and the consuming.
 */
#include <inttypes.h>

#include "kafka.h"

/*
 * Where a partition's lag counts from when nothing was read from it since
 * it was assigned (its position is unknown): the group's committed offset,
 * fetched from the coordinator once per assignment (a restart with nothing
 * new to read is not behind by the whole topic), else the low watermark
 * (auto.offset.reset=earliest).
 */
static int64_t
lag_start(struct kafka *k, const rd_kafka_topic_partition_list_t *parts,
    const rd_kafka_topic_partition_t *p, int64_t lo, int *tried)
{
	rd_kafka_topic_partition_list_t	*c;
	rd_kafka_topic_partition_t	*e;

	/* One blocking request per evaluation at most, and none while no
	 * broker is reachable (it could only time out). */
	if (k->committed == NULL && !*tried &&
	    __atomic_load_n(&metrics.kafka_up, __ATOMIC_RELAXED)) {
		*tried = 1;
		c = rd_kafka_topic_partition_list_copy(parts);
		if (rd_kafka_committed(k->consumer, c, COMMITTED_MS) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			k->committed = c;	/* else: again next time */
		else
			rd_kafka_topic_partition_list_destroy(c);
	}
	e = k->committed == NULL ? NULL : rd_kafka_topic_partition_list_find(
	    k->committed, p->topic, p->partition);
	if (e != NULL && e->err == RD_KAFKA_RESP_ERR_NO_ERROR && e->offset >= 0)
		return e->offset;
	return lo;
}

/* Consumer lag: high watermark minus position, summed over the assigned
 * partitions whose both ends are known (cached; the committed offsets are
 * fetched once per assignment). */
void
kafka_update_lag(struct kafka *k)
{
	rd_kafka_topic_partition_list_t	*parts = NULL;
	int64_t				 lag = 0, lo, hi, from;
	int				 known = 0, tried = 0, i;

	if (rd_kafka_assignment(k->consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (parts->cnt > 0 && rd_kafka_position(k->consumer, parts) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		for (i = 0; i < parts->cnt; i++) {
			rd_kafka_topic_partition_t *p = &parts->elems[i];

			if (rd_kafka_get_watermark_offsets(k->consumer, p->topic,
			    p->partition, &lo, &hi) != RD_KAFKA_RESP_ERR_NO_ERROR ||
			    hi < 0)
				continue;
			/* Nothing read yet since an assignment at the
			 * checkpoint's offset: from there. */
			if (p->offset < 0)
				p->offset = durable_cap(k->durable, p->partition);
			from = p->offset >= 0 ? p->offset :
			    lag_start(k, parts, p, lo >= 0 ? lo : hi, &tried);
			lag += hi > from ? hi - from : 0;	/* stale hi: 0 */
			known++;
		}
	}
	METRICS_SET(consumer_lag, known > 0 ? lag : -1);
	rd_kafka_topic_partition_list_destroy(parts);
}
