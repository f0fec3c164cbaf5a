/*
 * loop.c: the work loop, kafka_run().
 *
 * One thread (the caller of kafka_run) polls the consumer, runs each
 * message through the pipeline under the daemon lock (kafka_consume()),
 * serves the producer's delivery reports and stores input offsets once the
 * tracker finds them complete (track.c), and lets the epoch gate (kafka.c,
 * gate.c) enter the next epoch when every partition has reached it. It
 * also acts on SIGHUP's flag and keeps systemd's status line.
 *
 * Commits: librdkafka's auto-commit (enable.auto.commit, every
 * auto.commit.interval.ms) writes the *stored* offsets, which suits this
 * scheme: storing is the decision, committing is mere transport, and one
 * commit request per second costs less than one per message. Offsets move
 * when a checkpoint lets them (the caps, kafka_durable.c), so a checkpoint
 * that stored offsets is followed at once by an asynchronous commit of
 * them, rather than by up to an interval of waiting (one more request per
 * checkpoint). Synchronous commits happen where it matters: before giving
 * partitions up in a rebalance (kafka.c) and at shutdown (here). A
 * configuration with enable.auto.commit=false gets an explicit
 * asynchronous commit every second instead.
 *
 * Quiet input: a turn that finds nothing to do asks the gate whether every
 * source is read to its end and was last written to DURABLE_IDLE_MS ago
 * or more (a backlog read to its end, or a producer gone quiet): then the
 * changes since the last checkpoint are due at once (durable_quiet()),
 * not after DURABLE_IDLE_MS more of silence counted from the last read.
 *
 * Per turn the loop does little besides the message: whether a
 * checkpoint is due (a walk of the shards) is asked once per millisecond
 * and on the turns that found nothing, not on every message.
 *
 * Flow control (kafka_flow_control()): the consumer is paused at
 * TRACK_PAUSE_AT input messages in flight or with the producer's queue
 * half full, resumed when neither holds any more, and never polled without
 * a free tracker entry, so the tracker's pool and the producer's queue
 * bound memory.
 */
#include <inttypes.h>
#include <syslog.h>
#include <time.h>

#include "kafka.h"

#define STATUS_INTERVAL_MS	5000
#define COMMIT_INTERVAL_MS	1000	/* only with enable.auto.commit=false */
#define CHECKPOINT_RETRY_MS	5000	/* after a postponed or failed checkpoint */
#define READY_INTERVAL_MS	1000

/* When each periodic task last ran (monotonic ms). */
struct timers {
	int64_t		last_status, last_commit, last_ready;
	int64_t		last_due;		/* durable_due() last asked */
	uint64_t	consumed_at_status;
	uint64_t	refused_reported;	/* employees_refused logged */
	int64_t		ckpt_failed;		/* last postponed checkpoint, 0 none */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Subscribes to the input topic and says so to systemd. 0 or -1 (logged). */
static int
subscribe(struct kafka *k)
{
	rd_kafka_topic_partition_list_t	*sub;
	rd_kafka_resp_err_t		 err;

	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, k->topic_input, RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(k->consumer, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_msg(LOG_ERR, "subscribing to %s: %s", k->topic_input,
		    rd_kafka_err2str(err));
		return -1;
	}
	notify_ready();
	log_info("consuming %s", k->topic_input);
	return 0;
}

/* One turn: reload if asked, deliveries and offsets, flow control, then
 * at most one message (or a wait for deliveries when the tracker is full).
 * The consumer's queue carries rebalances and errors, the partitions'
 * queues the messages (fetch.c). 1 when the turn found neither and
 * entered no epoch: the caller waits for the next to arrive, after its
 * timers (the input may be quiet: durable_quiet()). */
static int
step(struct kafka *k, struct pipeline *p, volatile int *reload)
{
	rd_kafka_message_t	*rm;
	int			 idle = 0;

	notify_watchdog();
	if (*reload) {
		*reload = 0;
		daemon_reload(p);
	}
	rd_kafka_poll(k->producer, 0);
	kafka_store_complete(k);
	kafka_flow_control(k);

	if (track_full(k->track))	/* never poll without an entry */
		rd_kafka_poll(k->producer, POLL_MS);
	else if ((rm = rd_kafka_consumer_poll(k->consumer, 0)) != NULL ||
	    (rm = fetch_next(k)) != NULL)
		kafka_consume(k, p, rm);
	else
		idle = 1;
	route_poll(k, p);	/* the repartition stream (route.c) */
	stats_poll(k);		/* the others' contributions (stats.c) */
	if (kafka_gate_step(k, p) != 0 || !idle)
		return 0;
	if (gate_quiet(k->gate, kafka_mono_ms(), DURABLE_IDLE_MS))
		durable_quiet(k->durable, p);
	return 1;
}

/* systemd's status line: rate, counters, lag; refreshes the lag gauge and
 * warns of slow deliveries. */
static void
report_status(struct kafka *k, struct timers *tm, int64_t t)
{
	double	rate;

	kafka_update_lag(k);
	kafka_warn_slow(k);
	rate = (double)(metrics.consumed - tm->consumed_at_status) * 1000.0 /
	    (double)(t - tm->last_status);
	tm->consumed_at_status = metrics.consumed;
	tm->last_status = t;
	notify_status("%s %s: %.1f msg/s, %" PRIu64 " consumed, %"
	    PRIu64 " produced, lag %" PRId64 "%s",
	    metrics.kafka_up ? "consuming" : "brokers unreachable,",
	    k->topic_input, rate, metrics.consumed, metrics.produced,
	    metrics.consumer_lag, k->paused ? ", paused" : "");
}

/* Readiness (ready.c) from what the consumer knows: brokers, assignment,
 * lag (cached watermarks, no request). */
static void
check_ready(struct kafka *k)
{
	rd_kafka_topic_partition_list_t	*parts = NULL;
	int				 n = -1;

	kafka_update_lag(k);
	if (rd_kafka_assignment(k->consumer, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		n = parts->cnt;
		rd_kafka_topic_partition_list_destroy(parts);
	}
	ready_update(__atomic_load_n(&metrics.kafka_up, __ATOMIC_RELAXED), n,
	    __atomic_load_n(&metrics.consumer_lag, __ATOMIC_RELAXED),
	    daemon_config.ready_max_lag);
}

/* An asynchronous commit of the stored offsets. */
static void
commit_async(struct kafka *k)
{
	rd_kafka_resp_err_t err = rd_kafka_commit(k->consumer, NULL, 1);

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		log_warn_limited("kafka-commit", "offset commit: %s",
		    rd_kafka_err2str(err));
}

/* The periodic tasks that are due: explicit commits, checkpoints (asked
 * once a millisecond, and on a turn that found nothing: idle), status,
 * readiness. */
static void
run_timers(struct kafka *k, struct pipeline *p, struct timers *tm, int idle)
{
	int64_t		t = now_ms();
	uint64_t	stored = k->stored;

	if (!k->auto_commit && t - tm->last_commit >= COMMIT_INTERVAL_MS) {
		tm->last_commit = t;
		commit_async(k);
	}
	/* An outage or a full disk postpones checkpoints: retry later rather
	 * than block the loop in a flush at every turn. */
	if ((t != tm->last_due || idle) &&
	    (tm->ckpt_failed == 0 || t - tm->ckpt_failed >= CHECKPOINT_RETRY_MS)) {
		tm->last_due = t;
		if (durable_due(k->durable, p)) {
			tm->ckpt_failed = kafka_checkpoint(k, 0,
			    FLUSH_CHECKPOINT_MS) == -1 ? t : 0;
			/* what the checkpoint let through goes now, not at
			 * the next auto-commit */
			if (k->auto_commit && k->stored != stored)
				commit_async(k);
		}
	}
	if (t - tm->last_status >= STATUS_INTERVAL_MS) {
		report_status(k, tm, t);
		daemon_lock();
		daemon_report_limits(p, &tm->refused_reported);
		daemon_unlock();
	}
	if (t - tm->last_ready >= READY_INTERVAL_MS) {
		tm->last_ready = t;
		check_ready(k);
	}
}

/* Last estimates, deliveries and a synchronous commit, then the consumer
 * leaves the group. 0, or -1 after a permanent error. */
static int
finish(struct kafka *k, struct pipeline *p)
{
	rd_kafka_resp_err_t	err;

	ready_stopping();
	route_order_finish(k, p);	/* the re-routed records held */
	if (!k->failed && !k->aborted)
		kafka_publish_estimates(k, p);
	log_info("stopping: delivering outputs, checkpointing and committing offsets");
	(void)kafka_checkpoint(k, 1, FLUSH_STOP_MS);
	kafka_drop_held(k);	/* read again after a restart */
	kafka_commit_complete(k, FLUSH_STOP_MS);
	/* Close leaves the group; its revoke commits what completed since. */
	k->closing = 1;
	err = rd_kafka_consumer_close(k->consumer);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warnx("closing the consumer: %s", rd_kafka_err2str(err));
	if (k->failed) {
		log_msg(LOG_ERR, "stopped after a permanent error: %" PRIu64
		    " deliveries failed", metrics.delivery_failed);
		return -1;
	}
	return 0;
}

/*
 * Subscribes to the input topic and runs until *stop (returns 0) or a
 * permanent error (a failed delivery, a fatal producer error, a failed
 * pipeline run: returns -1, offsets after the failure not committed).
 */
int
kafka_run(struct kafka *k, struct pipeline *p, volatile int *stop,
    volatile int *reload)
{
	struct timers	tm = { 0 };
	int		idle;

	k->stop = stop;
	k->pipeline = p;
	if (subscribe(k) == -1)
		return -1;
	tm.last_status = tm.last_commit = now_ms();
	while (!*stop && !k->failed) {
		idle = step(k, p, reload);
		run_timers(k, p, &tm, idle);
		if (idle && !*stop && !k->failed)	/* briefly while records are due back */
			fetch_wait(k, route_poll_ms(k));
	}
	return finish(k, p);
}
