/*
 * metrics.c: the daemon's own counters and the /metrics page.
 *
 * Two threads meet here. The work loop (loop.c) writes the plain fields of
 * `metrics` and calls metrics_observe_*(); the HTTP thread renders. The
 * rules that keep that sound without a lock on the hot path:
 *
 *   - Scalar fields have one writer, the work loop. It updates them with
 *     METRICS_ADD / METRICS_SET (daemon.h: relaxed __atomic builtins); this
 *     file reads them with relaxed atomic loads. A reader may see one
 *     counter a step ahead of another; it never sees a torn value.
 *   - Histograms (proc_*, e2a_*, delivery_*) change only through metrics_observe_*(),
 *     which take hist_lock, as does the renderer while it copies them, so a
 *     scrape always sees buckets, _sum and _count from the same instant.
 *     The lock is held for a few dozen additions; nothing blocks under it.
 *
 * Buckets are stored cumulative (bucket i counts observations <= bound i),
 * which is what the exposition format wants. Values above the last bound
 * count only in _count (the +Inf bucket).
 *
 * metrics_render() reads the pipeline: the caller holds the daemon lock
 * (http.c does), because pipeline_stats() and pipeline_estimates() are not
 * thread-safe and the estimates' strings are borrowed from the model.
 * Nothing here names an employee: labels are event types, reject reasons,
 * output kinds and fairness group levels only.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"

struct daemon_metrics metrics = { .consumer_lag = -1 };

#define HIST_BUCKETS 16

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
/* What the reference group is (state/quality.c): not the highest rate of
 * all groups, so a group smaller than IMPACT_MIN_GROUP can exceed 1. */
#define IMPACT_RATIO_HELP "Alert rate of a protected attribute's group over the " \
	"reference rate: the highest rate among the attribute's groups of at least " \
	STRINGIFY(IMPACT_MIN_GROUP) " employees (among all groups when none is that " \
	"large), so a smaller group can exceed 1; 1 for every group while the " \
	"reference rate is 0. Below 0.8 in a group of at least " \
	STRINGIFY(IMPACT_MIN_GROUP) " is flagged (four-fifths rule)."


/* Processing of one message: 10 us .. 1 s. */
static const double proc_bounds[HIST_BUCKETS] = {
	1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
	5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1.0
};

/* Event time to alert publication: events may be replayed or arrive days
 * late, so 1 s .. 30 days. */
static const double e2a_bounds[HIST_BUCKETS] = {
	1, 5, 15, 30, 60, 300, 900, 3600, 10800, 21600, 43200,
	86400, 172800, 604800, 1209600, 2592000
};

/* Produce call to the broker's acknowledgement: 1 ms .. 60 s. */
static const double delivery_bounds[HIST_BUCKETS] = {
	1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10, 20, 30, 60
};

static pthread_mutex_t hist_lock = PTHREAD_MUTEX_INITIALIZER;

static void
observe(double *hist, const double *bounds, uint64_t *count, double *sum,
    double v)
{
	int	i;

	if (isnan(v))
		return;
	if (v < 0)	/* clocks disagree by a little: count it as zero */
		v = 0;
	pthread_mutex_lock(&hist_lock);
	for (i = HIST_BUCKETS - 1; i >= 0 && v <= bounds[i]; i--)
		hist[i] += 1;
	(*count)++;
	*sum += v;
	pthread_mutex_unlock(&hist_lock);
}

/* Records the wall-clock seconds one message took through the pipeline. */
void
metrics_observe_processing(double seconds)
{
	observe(metrics.proc_hist, proc_bounds, &metrics.proc_count,
	    &metrics.proc_sum, seconds);
}

/* Records seconds from an alert's event time to its publication. */
void
metrics_observe_event_to_alert(double seconds)
{
	observe(metrics.e2a_hist, e2a_bounds, &metrics.e2a_count,
	    &metrics.e2a_sum, seconds);
}

/* Records seconds from handing a record to the producer to its delivery
 * report. */
void
metrics_observe_delivery(double seconds)
{
	observe(metrics.delivery_hist, delivery_bounds, &metrics.delivery_count,
	    &metrics.delivery_sum, seconds);
}

#define LOAD(field) __atomic_load_n(&metrics.field, __ATOMIC_RELAXED)

/* Prometheus floats: Go's spelling of the special values. */
static void
put_value(FILE *f, double v)
{
	if (isnan(v))
		fputs("NaN", f);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, "%.0f", v);
	else
		fprintf(f, "%.15g", v);
}

/* A label value, escaped as the text format requires. */
static void
put_label(FILE *f, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
put_u64(FILE *f, const char *name, const char *type, const char *help,
    uint64_t v)
{
	family(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, v);
}

static void
put_double(FILE *f, const char *name, const char *type, const char *help,
    double v)
{
	family(f, name, type, help);
	fprintf(f, "%s ", name);
	put_value(f, v);
	fputc('\n', f);
}

/* One labelled sample: name{label="value"} v */
static void
put_labelled(FILE *f, const char *name, const char *label, const char *lv,
    double v)
{
	fprintf(f, "%s{%s=\"", name, label);
	put_label(f, lv);
	fputs("\"} ", f);
	put_value(f, v);
	fputc('\n', f);
}

static void
put_histogram(FILE *f, const char *name, const char *help,
    const double *bounds, const double *hist, uint64_t count, double sum)
{
	int	i;

	family(f, name, "histogram", help);
	for (i = 0; i < HIST_BUCKETS; i++) {
		fprintf(f, "%s_bucket{le=\"%g\"} ", name, bounds[i]);
		put_value(f, hist[i]);
		fputc('\n', f);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, count);
	fprintf(f, "%s_sum ", name);
	put_value(f, sum);
	fprintf(f, "\n%s_count %" PRIu64 "\n", name, count);
}

/* What came in: events by type, rejects by reason, duplicates, late
 * events, provisional records, erasures. */
static void
render_inputs(FILE *f, const struct pipeline_stats *st)
{
	const char	*name;
	int		 i;

	family(f, "retentiond_events_total", "counter",
	    "Valid input events applied, by CloudEvents type.");
	for (i = 0; i < EV__COUNT; i++)
		put_labelled(f, "retentiond_events_total", "type",
		    event_type_name((enum event_type)i),
		    (double)st->events_by_type[i]);

	family(f, "retentiond_events_rejected_total", "counter",
	    "Input messages sent to the dead-letter queue, by reason.");
	for (i = 0; i < (int)(sizeof(st->rejected_by_reason) /
	    sizeof(st->rejected_by_reason[0])); i++) {
		if ((name = pipeline_reject_reason_name(i)) == NULL)
			break;
		put_labelled(f, "retentiond_events_rejected_total", "reason",
		    name, (double)st->rejected_by_reason[i]);
	}

	put_u64(f, "retentiond_events_duplicate_total", "counter",
	    "Input events whose source and id were seen before (applied once).",
	    st->duplicates);
	put_u64(f, "retentiond_events_held_total", "counter",
	    "Future-dated input events held until their time ([time]).",
	    st->held_total);
	put_double(f, "retentiond_events_held", "gauge",
	    "Future-dated input events held now, over all shards.",
	    (double)st->events_held);
	put_u64(f, "retentiond_events_late_total", "counter",
	    "Input events older than the employee's latest applied event.",
	    st->late_events);
	put_u64(f, "retentiond_employees_provisional_total", "counter",
	    "Employee records created by an event before their hire.",
	    st->provisional_created);
	put_u64(f, "retentiond_erasures_total", "counter",
	    "Right-to-erasure events applied.", st->erasures);
	put_u64(f, "retentiond_erased_events_dropped_total", "counter",
	    "Events for an erased employee, dropped (never sent to the DLQ).",
	    st->erased_dropped);
	put_u64(f, "retentiond_employees_refused_total", "counter",
	    "Events for new employees refused: [state] max_employees reached.",
	    st->employees_refused);
	put_u64(f, "retentiond_leavers_expired_total", "counter",
	    "Leavers' records removed [state] keep_exited_days after the exit.",
	    st->leavers_expired);
}

/* What went out and what is held: outputs by kind, alerts, plans, the
 * employee table and the event clock. */
static void
render_outputs(FILE *f, const struct pipeline_stats *st)
{
	int				 i;
	static const char *const	 kinds[OUT__COUNT] = {
		[OUT_ALERT] = "alert", [OUT_SUGGESTION] = "suggestion",
		[OUT_ESTIMATES] = "estimates", [OUT_DLQ] = "dlq"
	};

	family(f, "retentiond_outputs_total", "counter",
	    "Records handed to the producer, by kind.");
	for (i = 0; i < OUT__COUNT; i++)
		put_labelled(f, "retentiond_outputs_total", "kind", kinds[i],
		    (double)st->outputs[i]);

	family(f, "retentiond_alerts_total", "counter",
	    "Alert transitions, by status.");
	put_labelled(f, "retentiond_alerts_total", "status", "firing",
	    (double)st->alerts_firing);
	put_labelled(f, "retentiond_alerts_total", "status", "resolved",
	    (double)st->alerts_resolved);
	put_u64(f, "retentiond_tombstones_total", "counter",
	    "Records without a value that delete an erased employee's key from "
	    "the alerts and suggestions topics.", st->tombstones);
	put_u64(f, "retentiond_alerts_open", "gauge",
	    "Alert episodes currently firing.", st->alerts_open);
	family(f, "retentiond_alerts_held_total", "counter",
	    "Scores at or over the threshold that opened no episode, by the "
	    "alert policy's reason: warmup (the log hazard's standard error "
	    "over [alerts] warmup_max_se), uncertain (the interval's lower "
	    "bound under the threshold), backfill (event time before [alerts] "
	    "backfill_window_days), budget (the department's month spent).");
	put_labelled(f, "retentiond_alerts_held_total", "reason", "warmup",
	    (double)st->alerts_held);
	put_labelled(f, "retentiond_alerts_held_total", "reason", "uncertain",
	    (double)st->alerts_uncertain);
	put_labelled(f, "retentiond_alerts_held_total", "reason", "backfill",
	    (double)st->alerts_backfill_held);
	put_labelled(f, "retentiond_alerts_held_total", "reason", "budget",
	    (double)st->alerts_budget_held);
	put_u64(f, "retentiond_plans_total", "counter",
	    "Department budget plans published.", st->plans);

	family(f, "retentiond_employees", "gauge",
	    "Employee records in state.");
	put_labelled(f, "retentiond_employees", "status", "all",
	    (double)st->employees);
	put_labelled(f, "retentiond_employees", "status", "active",
	    (double)st->employees_active);

	put_double(f, "retentiond_event_clock_seconds", "gauge",
	    "Event-time clock (latest event time applied), seconds since the epoch.",
	    st->clock_ms > 0 ? (double)st->clock_ms / 1000.0 : NAN);
}

/* The fitted model: version, quality and the fairness impact ratios. */
static void
render_model(FILE *f, struct pipeline *p)
{
	static struct model_estimates	 est;	/* large; under the daemon lock */
	long				 version;
	int				 i;

	version = pipeline_estimates(p, &est);
	put_double(f, "retentiond_model_version", "gauge",
	    "Version of the fitted model (bumps on every update).",
	    (double)version);
	put_double(f, "retentiond_model_concordance", "gauge",
	    "Harrell's concordance of risk scores with observed exits (NaN before any exit).",
	    est.quality.concordance);
	put_double(f, "retentiond_model_alert_precision", "gauge",
	    "Share of alerted employees who left voluntarily within the horizon.",
	    est.quality.alert_precision);
	put_double(f, "retentiond_model_alert_recall", "gauge",
	    "Share of voluntary leavers who were alerted before leaving.",
	    est.quality.alert_recall);
	family(f, "retentiond_model_impact_ratio", "gauge", IMPACT_RATIO_HELP);
	for (i = 0; i < est.quality.ngroups &&
	    i < (int)(sizeof(est.quality.groups) / sizeof(est.quality.groups[0]));
	    i++) {
		if (est.quality.groups[i].attribute == NULL ||
		    est.quality.groups[i].level == NULL)
			continue;
		fputs("retentiond_model_impact_ratio{attribute=\"", f);
		put_label(f, est.quality.groups[i].attribute);
		fputs("\",level=\"", f);
		put_label(f, est.quality.groups[i].level);
		fputs("\"} ", f);
		put_value(f, est.quality.groups[i].impact_ratio);
		fputc('\n', f);
	}
}

static void
render_pipeline(FILE *f, struct pipeline *p)
{
	struct pipeline_stats	st;

	memset(&st, 0, sizeof(st));
	pipeline_stats(p, &st);
	render_inputs(f, &st);
	render_outputs(f, &st);
	render_model(f, p);
	put_double(f, "retentiond_model_epoch", "gauge",
	    "Event-time epoch of the scoring model (-1 before the first).",
	    (double)pipeline_epoch(p));
}

/* Broker trouble and flow control: errors, slow deliveries, round-trip
 * time, the producer's queue and the consumer's pauses. */
static void
render_kafka(FILE *f)
{
	put_u64(f, "retentiond_kafka_errors_total", "counter",
	    "Errors librdkafka reported (broker connections, fetches, the "
	    "group); it retries them itself.", LOAD(kafka_errors));
	put_u64(f, "retentiond_deliveries_slow_total", "counter",
	    "Outputs acknowledged more than " STRINGIFY(DELIVERY_SLOW_MS)
	    " ms after they were produced.", LOAD(deliveries_slow));
	put_double(f, "retentiond_kafka_rtt_seconds", "gauge",
	    "The producer's highest average broker round-trip time over the last "
	    "statistics interval with requests.",
	    (double)LOAD(kafka_rtt_us) / 1e6);
	put_double(f, "retentiond_producer_queue", "gauge",
	    "Outputs handed to the producer and not yet acknowledged.",
	    (double)LOAD(producer_queue));
	put_double(f, "retentiond_consumer_paused", "gauge",
	    "1 while flow control holds consumption (outputs await delivery).",
	    LOAD(consumer_paused) ? 1 : 0);
	family(f, "retentiond_consumer_pauses_total", "counter",
	    "Times flow control paused consumption, by reason: too many inputs "
	    "await delivery (inflight), the producer's queue is filling "
	    "(producer_queue).");
	put_labelled(f, "retentiond_consumer_pauses_total", "reason", "inflight",
	    (double)LOAD(pauses_inflight));
	put_labelled(f, "retentiond_consumer_pauses_total", "reason",
	    "producer_queue", (double)LOAD(pauses_queue));
	put_u64(f, "retentiond_epoch_idle_crossings_total", "counter",
	    "Times a partition with nothing past an epoch boundary counted as "
	    "having crossed it because it was at its end and silent for [model] "
	    "idle_seconds (the one place wall time enters the epoch model).",
	    LOAD(idle_crossings));
}

/* Prometheus text format 0.0.4 of the daemon's metrics and, when p is not
 * NULL, the pipeline's (the caller holds the daemon lock then). Returns a
 * new string (free()), or NULL when out of memory. */
/* The checkpoint's series (durable.c, checkpoint.c). */
static void
render_checkpoint(FILE *f)
{
	struct timespec	ts;
	int64_t		ckpt_ms;

	/* Absent until the first checkpoint: "never" has no age. */
	ckpt_ms = LOAD(last_checkpoint_ms);
	if (ckpt_ms > 0 && clock_gettime(CLOCK_REALTIME, &ts) == 0)
		put_double(f, "retentiond_checkpoint_age_seconds", "gauge",
		    "Seconds since the checkpoint was last brought up to date "
		    "(written, or found current).",
		    ((double)ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6 -
		    (double)ckpt_ms) / 1000.0);
	put_u64(f, "retentiond_checkpoints_written_total", "counter",
	    "Checkpoints written and made durable.",
	    LOAD(checkpoints_written));
	put_u64(f, "retentiond_checkpoint_corrupt_total", "counter",
	    "Checkpoint files refused as corrupt or truncated (never loaded).",
	    LOAD(checkpoint_corrupt));
	put_double(f, "retentiond_checkpoint_bytes", "gauge",
	    "Size of the last checkpoint written.", (double)LOAD(checkpoint_bytes));
	put_double(f, "retentiond_checkpoint_write_seconds", "gauge",
	    "Time the last checkpoint took to build and make durable.",
	    (double)LOAD(checkpoint_write_us) / 1e6);
	put_double(f, "retentiond_checkpoint_restore_seconds", "gauge",
	    "Time the restore from the checkpoint at start took.",
	    (double)LOAD(checkpoint_restore_us) / 1e6);
	put_u64(f, "retentiond_checkpoint_images_published_total", "counter",
	    "Partition images published to the checkpoint topic.",
	    LOAD(images_published));
	put_u64(f, "retentiond_checkpoint_images_restored_total", "counter",
	    "Partitions restored from their image in the checkpoint topic.",
	    LOAD(images_restored));
	put_u64(f, "retentiond_checkpoint_images_refused_total", "counter",
	    "Partition images refused as corrupt or incomplete.",
	    LOAD(images_refused));
	put_double(f, "retentiond_checkpoint_images_bytes", "gauge",
	    "Bytes of the partition images of the last publish.",
	    (double)LOAD(images_bytes));
}

char *
metrics_render(struct pipeline *p)
{
	double		 proc_hist[HIST_BUCKETS], e2a_hist[HIST_BUCKETS];
	double		 dlv_hist[HIST_BUCKETS];
	double		 proc_sum, e2a_sum, dlv_sum;
	uint64_t	 proc_count, e2a_count, dlv_count;
	int64_t		 lag;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*f;

	pthread_mutex_lock(&hist_lock);
	memcpy(proc_hist, metrics.proc_hist, sizeof(proc_hist));
	memcpy(e2a_hist, metrics.e2a_hist, sizeof(e2a_hist));
	proc_sum = metrics.proc_sum;
	proc_count = metrics.proc_count;
	e2a_sum = metrics.e2a_sum;
	e2a_count = metrics.e2a_count;
	memcpy(dlv_hist, metrics.delivery_hist, sizeof(dlv_hist));
	dlv_sum = metrics.delivery_sum;
	dlv_count = metrics.delivery_count;
	pthread_mutex_unlock(&hist_lock);

	if ((f = open_memstream(&buf, &len)) == NULL)
		return NULL;

	family(f, "retentiond_build_info", "gauge",
	    "Always 1; the version is a label.");
	put_labelled(f, "retentiond_build_info", "version", RETENTIOND_VERSION, 1);

	if (p != NULL)
		render_pipeline(f, p);

	put_u64(f, "retentiond_consumed_total", "counter",
	    "Messages consumed from the input topic.", LOAD(consumed));
	put_u64(f, "retentiond_produced_total", "counter",
	    "Records acknowledged by the broker.", LOAD(produced));
	put_u64(f, "retentiond_delivery_failed_total", "counter",
	    "Records the broker failed to acknowledge.", LOAD(delivery_failed));
	put_u64(f, "retentiond_dlq_truncated_total", "counter",
	    "DLQ records cut to fit the producer's message.max.bytes.",
	    LOAD(dlq_truncated));
	put_u64(f, "retentiond_outputs_refused_total", "counter",
	    "Outputs the producer refused (too large), sent to the DLQ instead.",
	    LOAD(outputs_refused));
	put_u64(f, "retentiond_commits_total", "counter",
	    "Offset commits that succeeded.", LOAD(commits));
	put_u64(f, "retentiond_commit_failed_total", "counter",
	    "Offset commits that failed.", LOAD(commit_failed));
	put_u64(f, "retentiond_repartitioned_total", "counter",
	    "Input events sent through the repartition topic to their employee's "
	    "partition (no key, or another partition's).", LOAD(repartitioned));
	put_u64(f, "retentiond_repartition_consumed_total", "counter",
	    "Repartitioned events read back for a partition of this instance.",
	    LOAD(repartition_consumed));
	lag = LOAD(consumer_lag);
	put_double(f, "retentiond_consumer_lag", "gauge",
	    "Messages behind the end of the input partitions (NaN when unknown).",
	    lag < 0 ? NAN : (double)lag);
	put_double(f, "retentiond_kafka_up", "gauge",
	    "1 when the brokers are reachable.", LOAD(kafka_up) ? 1 : 0);
	put_double(f, "retentiond_ready", "gauge",
	    "1 when ready (/readyz): a broker reachable, partitions assigned, "
	    "consumer lag at most [http] ready_max_lag.", LOAD(ready) ? 1 : 0);
	put_double(f, "retentiond_messages_held", "gauge",
	    "Input messages held until every partition reaches their epoch.",
	    (double)LOAD(held_messages));
	render_kafka(f);

	put_histogram(f, "retentiond_processing_seconds",
	    "Wall-clock time to process one input message.",
	    proc_bounds, proc_hist, proc_count, proc_sum);
	put_histogram(f, "retentiond_event_to_alert_seconds",
	    "From an alert's event time to its publication.",
	    e2a_bounds, e2a_hist, e2a_count, e2a_sum);
	put_histogram(f, "retentiond_delivery_seconds",
	    "From handing an output to the producer to the broker's acknowledgement.",
	    delivery_bounds, dlv_hist, dlv_count, dlv_sum);

	render_checkpoint(f);
	procstat_render(f);

	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
