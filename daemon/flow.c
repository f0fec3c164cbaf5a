/*
 * flow.c: flow control and broker trouble on the Kafka side: pausing the
 * consumer for the tracker's pool or the producer's queue, the delivery
 * latency and round-trip time figures, and the warnings of a slow cluster.
 *
 * Design note. Flow control (kafka_flow_control(), every turn of the work
 * loop) pauses the whole assignment for either of two reasons, each set
 * and cleared on its own with hysteresis: too many inputs await delivery
 * (PAUSE_INFLIGHT, the tracker's pool), or the producer's queue is half
 * full or was found full (PAUSE_QUEUE). It resumes only when no reason is
 * left, and only the partitions the epoch gate does not hold paused for
 * its own reason (gate.c); the gate's resume, in turn, leaves a partition
 * paused while flow control holds the assignment. So one reason's resume
 * never undoes another's pause. (The gate pauses repartition streams
 * only: an input partition it holds is not read rather than paused,
 * fetch.c.) A pause makes librdkafka drop what it had fetched of the
 * partitions (their queues, fetch.c), read again on resume: the price of
 * a rare event, with the backlog waiting in Kafka.
 *
 * Pausing early matters: a record that still meets a full queue is retried
 * inside kafka_emit() while serving delivery reports, under the daemon
 * lock, which the HTTP side then waits for; pausing at half the queue
 * keeps that rare, and memory bounded either way (the backlog waits in
 * Kafka).
 *
 * Everything here runs on the work loop's thread (the callbacks are served
 * from its polls); the metrics are atomics the HTTP thread reads.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "kafka.h"

/* Pauses or resumes the whole assignment (resuming skips the partitions
 * the epoch gate paused); k->paused and the gauge follow on success. */
void
kafka_set_paused(struct kafka *k, int pause)
{
	rd_kafka_topic_partition_list_t	*parts = NULL, *l;
	rd_kafka_resp_err_t		 err;
	int				 i;

	if (rd_kafka_assignment(k->consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	l = rd_kafka_topic_partition_list_new(parts->cnt > 0 ? parts->cnt : 1);
	for (i = 0; i < parts->cnt; i++)
		if (pause || !gate_paused(k->gate, parts->elems[i].partition))
			rd_kafka_topic_partition_list_add(l, parts->elems[i].topic,
			    parts->elems[i].partition);
	err = pause ? rd_kafka_pause_partitions(k->consumer, l) :
	    rd_kafka_resume_partitions(k->consumer, l);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_topic_partition_list_destroy(parts);
	route_set_paused(k, pause);	/* the repartition reader with it */
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_warnx("%s consumer failed: %s", pause ? "pausing" : "resuming",
		    rd_kafka_err2str(err));
		return;
	}
	k->paused = pause;
	METRICS_SET(consumer_paused, pause);
	if (pause)
		log_warn_limited("kafka-pause", "pausing consumption: %zu inputs "
		    "and %d outputs await delivery", track_inflight(k->track),
		    rd_kafka_outq_len(k->producer));
	else
		log_msg(LOG_NOTICE, "resuming consumption: %zu inputs and %d "
		    "outputs await delivery", track_inflight(k->track),
		    rd_kafka_outq_len(k->producer));
}

/* Sets reason in *reasons when on holds, clears it when off does (between
 * the two it stays as it was); counts a pause of it in *pauses. */
static void
pause_reason(unsigned *reasons, unsigned reason, int on, int off,
    uint64_t *pauses)
{
	if (on && !(*reasons & reason)) {
		*reasons |= reason;
		__atomic_fetch_add(pauses, 1, __ATOMIC_RELAXED);
	} else if (off)
		*reasons &= ~reason;
}

/*
 * Flow control, once a turn of the work loop: PAUSE_INFLIGHT from the
 * tracker (TRACK_PAUSE_AT / TRACK_RESUME_AT), PAUSE_QUEUE from the
 * producer's queue (half of queue.buffering.max.messages / a quarter, or a
 * full queue met by kafka_emit(), which the kbytes limit can cause at any
 * count: then it resumes at half of what was queued). The assignment is
 * paused while any reason holds; a failed pause or resume is tried again
 * next turn.
 */
void
kafka_flow_control(struct kafka *k)
{
	/* held messages wait for other partitions, not for deliveries */
	size_t	inflight = track_inflight(k->track) - gate_held(k->gate);
	int	queued = rd_kafka_outq_len(k->producer);
	int	resume_at = k->queue_resume_at;

	METRICS_SET(producer_queue, (int64_t)queued);
	if (k->queue_full && queued / 2 < resume_at)
		resume_at = queued / 2;
	pause_reason(&k->pause_reasons, PAUSE_INFLIGHT, inflight >= TRACK_PAUSE_AT,
	    inflight < TRACK_RESUME_AT, &metrics.pauses_inflight);
	pause_reason(&k->pause_reasons, PAUSE_QUEUE, k->queue_full ||
	    queued >= k->queue_pause_at, queued <= resume_at, &metrics.pauses_queue);
	if (!(k->pause_reasons & PAUSE_QUEUE))
		k->queue_full = 0;
	if ((k->pause_reasons != 0) != (k->paused != 0))
		kafka_set_paused(k, k->pause_reasons != 0);
}

/* Flow control's producer queue bounds from queue.buffering.max.messages. */
void
kafka_queue_bounds(struct kafka *k, const rd_kafka_conf_t *pc)
{
	char	val[32];
	size_t	len = sizeof(val);
	long	max = 100000;	/* librdkafka's default */

	if (rd_kafka_conf_get(pc, "queue.buffering.max.messages", val, &len) ==
	    RD_KAFKA_CONF_OK)
		max = strtol(val, NULL, 10);
	k->queue_pause_at = max >= 2 ? (int)(max / 2) : 1;
	k->queue_resume_at = (int)(max / 4);
}

/* From a delivery report: the time from producev to the acknowledgement
 * into the histogram, and a slow one counted for kafka_warn_slow(). */
void
kafka_observe_delivery(struct kafka *k, const rd_kafka_message_t *m)
{
	int64_t us = rd_kafka_message_latency(m);

	if (us < 0)
		return;
	metrics_observe_delivery((double)us / 1e6);
	if (us > (int64_t)DELIVERY_SLOW_MS * 1000) {
		METRICS_ADD(deliveries_slow, 1);
		if (us > k->slow_max_us)
			k->slow_max_us = us;
	}
}

/* Says, in one warning, how many deliveries were slow (DELIVERY_SLOW_MS)
 * since the last call and the slowest; nothing when none was. Called on
 * the status timer, so that a slow cluster makes one line per interval. */
void
kafka_warn_slow(struct kafka *k)
{
	uint64_t slow = metrics.deliveries_slow;	/* this thread writes it */

	if (slow == k->slow_reported)
		return;
	log_warnx("deliveries slow: %" PRIu64 " output(s) acknowledged more than "
	    "%d ms after they were produced, the slowest after %.1f s (brokers "
	    "slow, failing or unreachable)", slow - k->slow_reported,
	    DELIVERY_SLOW_MS, (double)k->slow_max_us / 1e6);
	k->slow_reported = slow;
	k->slow_max_us = 0;
}

/* The producer's statistics: the highest average round-trip time among
 * its brokers that had requests in the interval; kept as it was through
 * an idle one. Each broker object has "rtt": { "min":.., "max":..,
 * "avg":.., "sum":.., "cnt":.. } (other window objects have other names),
 * which needs no JSON parser here. */
int
kafka_producer_stats_cb(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
	const char	*p = json, *avg, *cnt, *end;
	long long	 v, high = -1;

	(void)rk;
	(void)len;
	(void)opaque;
	while ((p = strstr(p, "\"rtt\":")) != NULL) {
		p += 6;
		end = strchr(p, '}');
		avg = strstr(p, "\"avg\":");
		cnt = strstr(p, "\"cnt\":");
		if (end == NULL || avg == NULL || avg > end || cnt == NULL ||
		    cnt > end || strtoll(cnt + 6, NULL, 10) <= 0)
			continue;
		v = strtoll(avg + 6, NULL, 10);
		if (v > high)
			high = v;
	}
	if (high >= 0)
		METRICS_SET(kafka_rtt_us, (int64_t)high);
	return 0;
}
