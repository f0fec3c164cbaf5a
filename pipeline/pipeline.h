/*
 * pipeline.h: pure stages from one input message to its outputs.
 *
 *   message -> decode (decode.c, decode_data.c) -> dedup -> state_apply (state/:
 *           record and model in one call)
 *           -> decide (decide.c: alerts, suggestions, plans, estimates)
 *           -> encode (encode.c) -> emit callback
 *
 * No I/O, no logging, no exit(): the daemon hands a message in and gets
 * outputs back through a callback, so the same code runs under Kafka, in
 * replay mode (a JSONL file) and in tests. State is kept per input
 * partition (a shard); the scoring model is the epoch's, made from every
 * shard's statistics (epoch.c).
 * Not thread-safe: the daemon serialises calls (the HTTP thread takes the
 * daemon's lock).
 */
#ifndef RETENTIOND_PIPELINE_H
#define RETENTIOND_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "../state/model.h"
#include "../state/timeutil.h"	/* times in and out are RFC 3339 */

#define MESSAGE_MAX_BYTES (64 * 1024)	/* larger input goes to the DLQ */
#define ERRBUF_MAX 256
#define PIPELINE_TOPIC_MAX 256		/* bytes of an input topic name, with NUL */
#define ERASURE_KEY_BYTES 16		/* SipHash-2-4 key of erased ids */

struct pipeline_config {
	struct model_config	model;
	struct features_config	features;
	double	threshold;		/* alert fires when risk >= threshold */
	double	clear_threshold;	/* and resolves when risk < clear_threshold */
	double	critical_threshold;	/* severity "critical" at or above */
	/* the alert policy (decide.c); 0 turns each step off */
	double	warmup_max_se;		/* opens only when the log hazard's
					 * standard error is at most this */
	double	confidence_z;		/* opens when the risk at eta - z se
					 * reaches threshold */
	int	alert_budget_per_month;	/* openings per department, shard and
					 * event-time month */
	int	backfill_window_days;	/* opens only for event times within
					 * this of the wall clock */
	int	horizon_days;
	/* suggestions */
	double	training_hour_cost;	/* currency per hour */
	double	care_action_cost;	/* currency per care action */
	double	promotion_raise_percent;
	double	weight_retention, weight_satisfaction, weight_ability;
	double	department_budget_per_month;
	int	suggestions_max;	/* actions per suggestion */
	/* cadence, in event time */
	int	rescore_interval_hours;	/* rescoring of the whole shard */
	int	epoch_hours;		/* the scoring model changes at these
					 * boundaries (from 00:00 UTC) */
	size_t	dedup_capacity;		/* source+id pairs remembered per shard */
	/* time that cannot be poisoned (wall clock: struct message.wall_ms) */
	int	future_tolerance_s;	/* later than wall + this: held */
	int	future_horizon_days;	/* later than wall + this: DLQ */
	size_t	max_held;		/* held events per shard, at most */
	/* erased ids are kept as SipHash values under this key (a secret:
	 * [state] erasure_key_file); all zero unless the daemon sets it */
	uint8_t	erasure_key[ERASURE_KEY_BYTES];
	/* [state]: bounds on what is kept (pipeline.c, "Limits") */
	size_t	max_employees;		/* records in all shards; 0: no limit */
	int	keep_exited_days;	/* a leaver's record goes this long after
					 * the exit, in event time; 0: kept */
	/* outputs */
	int	output_format;		/* enum output_format */
	char	output_source[EVENT_SOURCE_MAX + 1];	/* CloudEvents `source` */
};

/* How alerts, suggestions, plans and estimates are framed on their topics. */
enum output_format {
	OUTPUT_PLAIN,		/* the payload JSON itself, application/json */
	OUTPUT_CLOUDEVENTS	/* structured-mode CloudEvent, payload as `data` */
};
#define OUTPUT_SOURCE_DEFAULT "/retentiond"


void	pipeline_config_defaults(struct pipeline_config *);

/* A Kafka header (binary CloudEvents mode uses ce_* headers). */
struct msg_header {
	const char	*name;		/* NUL-terminated */
	const void	*value;		/* may be NULL */
	size_t		 len;
};

struct message {
	const void		*key;	/* may be NULL */
	size_t			 keylen;
	const void		*value;	/* may be NULL (tombstone) */
	size_t			 len;
	const struct msg_header	*headers;
	size_t			 nheaders;
	const char		*topic;
	int32_t			 partition;
	int64_t			 offset;
	int64_t			 wall_ms;	/* wall clock when consumed (ms since
						 * the epoch); 0: no future check */
	int			 rerouted;	/* read back from the repartition
						 * topic: offset and topic are
						 * that topic's, so the shard's
						 * input position stays */
};

enum output_kind { OUT_ALERT, OUT_SUGGESTION, OUT_ESTIMATES, OUT_DLQ, OUT__COUNT };

/* One record to publish. All pointers are borrowed and valid only during
 * the emit call. For OUT_DLQ, value is the original bytes and error the
 * reason; source_* name where the input came from. value NULL (len 0) is
 * a tombstone: an erasure deletes the employee's key from the alerts and
 * suggestions topics. */
struct output {
	enum output_kind	 kind;
	const char		*key;
	size_t			 keylen;
	const char		*value;
	size_t			 len;
	const char		*error;		/* OUT_DLQ only */
	const char		*source_topic;
	int32_t			 source_partition;
	int64_t			 source_offset;
	int64_t			 event_time_ms;	/* OUT_ALERT: the event time it is about */
	const char		*content_type;	/* media type of value; NULL for OUT_DLQ */
};

/* Returns 0, or -1 to make pipeline_run() stop and return PIPE_ERROR. */
typedef int (*pipeline_emit_fn)(void *arg, const struct output *);

enum pipeline_result {
	PIPE_OK,		/* applied; outputs (if any) emitted */
	PIPE_DUPLICATE,		/* source+id seen before: no effect */
	PIPE_REJECTED,		/* invalid: sent to the DLQ output */
	PIPE_ERASED,		/* about an erased employee: dropped, counted */
	PIPE_ERROR,		/* emit failed or out of memory */
	PIPE_BLOCKED		/* of a later epoch than the pipeline's: not
				 * applied, nothing changed; offer it again
				 * after pipeline_advance() */
};

/* Counters for metrics; monotonic unless named otherwise. */
struct pipeline_stats {
	uint64_t	events_by_type[EV__COUNT];
	uint64_t	rejected;		/* by reason below */
	uint64_t	rejected_by_reason[16];
	uint64_t	duplicates;
	uint64_t	provisional_created;
	uint64_t	late_events;		/* older than the record's latest */
	uint64_t	held_total;		/* future-dated, held */
	uint64_t	events_held;		/* gauge: held now, over shards */
	uint64_t	erasures;		/* the anonymous count */
	uint64_t	erased_dropped;		/* later events for erased ids */
	uint64_t	outputs[OUT__COUNT];	/* tombstones aside */
	uint64_t	tombstones;		/* on the alerts and suggestions topics */
	uint64_t	employees_refused;	/* events for new ids over max_employees */
	uint64_t	leavers_expired;	/* records removed keep_exited_days
						 * after the exit: the anonymous count */
	uint64_t	alerts_firing, alerts_resolved;
	uint64_t	plans;
	uint64_t	alerts_held;		/* would have fired during warm-up */
	uint64_t	alerts_uncertain;	/* over the threshold, lower bound not */
	uint64_t	alerts_backfill_held;	/* before the backfill window */
	uint64_t	alerts_budget_held;	/* the department's month spent */
	uint64_t	employees;		/* gauge: in state */
	uint64_t	employees_active;	/* gauge */
	uint64_t	alerts_open;		/* gauge */
	int64_t		clock_ms;		/* gauge: event-time clock, max over shards */
	double		event_to_alert_ms_sum;	/* processing latency is the daemon's */
	uint64_t	scorings;		/* records scored (pipeline/rescore.c) */
	uint64_t	epochs_rescored_all;	/* boundaries that rescored everyone */
	uint64_t	epochs_rescored_near;	/* and those that rescored the near */
};

/* decode.c: the process-wide settings (jansson's allocator for the decode
 * arena, model_global_init()). Call it once at start-up, before any other
 * pipeline call and before any thread that uses the pipeline starts. */
void	pipeline_global_init(void);

/* pipeline.c */
struct pipeline;
struct pipeline	*pipeline_new(const struct pipeline_config *, char *errbuf, size_t errlen);
void		 pipeline_free(struct pipeline *);
/* Thresholds, costs and weights (SIGHUP); state is kept. */
void		 pipeline_reconfigure(struct pipeline *, const struct pipeline_config *);
enum pipeline_result pipeline_run(struct pipeline *, const struct message *,
		    pipeline_emit_fn, void *arg);
/* Epochs (see pipeline.c): the epoch the pipeline is in (messages of it or
 * earlier apply; -1 before the first), and the epoch the message that
 * pipeline_run() last refused with PIPE_BLOCKED belongs to. */
long		 pipeline_epoch(const struct pipeline *);
long		 pipeline_blocked_epoch(const struct pipeline *);
/* The epoch a decoded event (consumed at wall_ms) waits for: the one
 * pipeline_run() would refuse it as too early for (PIPE_BLOCKED), or -1
 * when it would apply now (an event of this epoch or an earlier one, or
 * one dated after the wall clock, which its shard holds instead). A later
 * wall_ms never turns -1 into an epoch. For the daemon's repartitioning:
 * an input partition crosses a boundary by its first event of a later
 * epoch, also one it sends on to another partition. */
long		 pipeline_event_epoch(const struct pipeline *, const struct hr_event *,
		    int64_t wall_ms);
/* Moves to epoch (> the current one; else no-op) once every partition has
 * reached it (its next message is of epoch or later, or it is idle): the
 * scoring model is refitted from every shard's statistics in partition
 * order; the boundary's estimates (event time = the boundary), and plans
 * when it starts a month, are emitted. 0, or -1 (emit failed, ENOMEM). */
int		 pipeline_advance(struct pipeline *, long epoch, pipeline_emit_fn,
		    void *arg);
/* For one stream in order that is the whole input (replay, tests): runs
 * msg, entering its epoch first when pipeline_run() blocks. Never
 * PIPE_BLOCKED. */
enum pipeline_result pipeline_run_all(struct pipeline *, const struct message *,
		    pipeline_emit_fn, void *arg);
/* The end of such an input: every partition has crossed the next boundary,
 * so the pipeline enters it (estimates of everything applied; before any
 * event, the empty model's). 0 or -1. */
int		 pipeline_finish(struct pipeline *, pipeline_emit_fn, void *arg);
/* Checkpoint hooks (state/serial.h bytes) for the daemon's checkpoints.
 * A shard's model side: its statistics (its contribution at the last
 * boundary and its delta since, one cumulative image) and its held
 * events; and the epoch state: the current epoch (every shard has crossed
 * it), its fit and the feature registry the shards' ids refer to. Write
 * the epoch state and the shards at the same moment; load into a fresh
 * pipeline, the epoch state first, then each shard before its first
 * message. Loaders validate everything: 0, or -1 with errbuf (free the
 * pipeline then). Saves return 0, or -1 (unknown shard, ENOMEM). */
struct wbuf;
struct rbuf;
int		 pipeline_shard_save(const struct pipeline *, int32_t partition,
		    struct wbuf *);
int		 pipeline_shard_load(struct pipeline *, int32_t partition,
		    struct rbuf *, char *errbuf, size_t errlen);
/* Forgets the shard of a partition this instance gave up (records, dedup,
 * held events, statistics): its employees are no longer served, and a
 * checkpoint may be loaded into it again. No-op for an unknown shard. */
void		 pipeline_shard_drop(struct pipeline *, int32_t partition);
/* Shared statistics across instances (remote.c): a shard's contribution
 * as a self-describing image (its statistics and the names their ids
 * mean) with its count of events applied (*events, 0 without a shard)
 * for the instances that do not own its partition, and such an image
 * and count loaded as the contribution of a partition this pipeline has
 * no shard for: merged in its partition's place at the next boundary and
 * forgotten like a shard's from then on, until a newer image replaces it
 * (or a shard is made for the partition); the count is summed into the
 * estimates' events. Save: 0, or -1 (no shard, ENOMEM); load: 0, or -1
 * with errbuf (nothing changed). */
int		 pipeline_contrib_save(const struct pipeline *, int32_t partition,
		    struct wbuf *, uint64_t *events);
int		 pipeline_remote_load(struct pipeline *, int32_t partition,
		    struct rbuf *, uint64_t events, char *errbuf, size_t errlen);
void		 pipeline_remote_drop(struct pipeline *, int32_t partition);
int		 pipeline_remote_held(const struct pipeline *, int32_t partition);
/* Joining a group at its epoch (stats.c): the pipeline counts as having
 * entered boundary epoch (> its own) without a refit or any output, its
 * fit's epoch moved there so that the next boundary forgets as on the
 * instances that entered it (the fit it scores with until then is its
 * own); and an owned partition's shard (made when missing) takes an
 * image of its contribution as its statistics and the count of events
 * with it, the ones its previous owner published and the group merges
 * (r NULL: none, the statistics start again). 0, or -1 (with errbuf:
 * nothing changed). */
int		 pipeline_join_epoch(struct pipeline *, long epoch);
int		 pipeline_contrib_adopt(struct pipeline *, int32_t partition,
		    struct rbuf *, uint64_t events, char *errbuf, size_t errlen);
/* The month's plans with several instances (plan_share.c). Shared
 * (pipeline_plans_shared(), 0 or -1 on ENOMEM; off by default: planned
 * at the boundary), a boundary that starts a month does not plan: it
 * keeps each owned shard's candidates, and pipeline_plan_pending() says
 * its epoch (-1: none waits). pipeline_plan_candidates_save() writes a
 * partition's: 0, those kept at the boundary; 1, none (no shard then nor
 * now: for its owner to send); -1, none kept (the partition was gained
 * after the boundary, or ENOMEM). pipeline_plan_candidates_load() takes
 * another instance's
 * for that boundary (0; 1 ignored, not the epoch that waits; -1 with
 * errbuf, invalid: nothing kept). pipeline_plan_publish() publishes,
 * once partitions 0 .. npartitions - 1 all have theirs, the plans one
 * instance would have published at the boundary (1; 0 not yet; -1 emit
 * failed, ENOMEM). A later month's boundary forgets what still waits. */
int		 pipeline_plans_shared(struct pipeline *, int on);
long		 pipeline_plan_pending(const struct pipeline *);
int		 pipeline_plan_candidates_save(const struct pipeline *,
		    int32_t partition, struct wbuf *);
int		 pipeline_plan_candidates_load(struct pipeline *, int32_t partition,
		    long epoch, struct rbuf *, char *errbuf, size_t errlen);
int		 pipeline_plan_publish(struct pipeline *, int32_t npartitions,
		    pipeline_emit_fn, void *arg);
/* The shard's contribution to the next boundary is final (to be
 * published): the timers the closing epoch left in it fire now, as at the
 * boundary (their outputs through emit), and until the pipeline enters an
 * epoch pipeline_run() refuses the partition's messages with PIPE_BLOCKED
 * (as of the next epoch), so the shard stays what is published. 0, or -1
 * (emit failed, ENOMEM). */
int		 pipeline_seal(struct pipeline *, int32_t partition,
		    pipeline_emit_fn, void *arg);
int		 pipeline_epoch_save(const struct pipeline *, struct wbuf *);
int		 pipeline_epoch_load(struct pipeline *, struct rbuf *, char *errbuf,
		    size_t errlen);
/* Publishes the current epoch's estimates now, as of the clock (shutdown). */
int		 pipeline_publish_estimates(struct pipeline *, pipeline_emit_fn, void *arg);
/* msg (an input message) was sent on to the repartition topic for another
 * shard: its partition's shard has now read past it (a checkpoint resumes
 * after it). 0, or -1 out of memory. */
int		 pipeline_sent_on(struct pipeline *, const struct message *);
/* The shard of partition reflects its repartition stream up to next (the
 * daemon applies what it reads back in another order than it read it,
 * and says where a checkpoint of the shard resumes the stream). No-op for
 * an unknown shard. */
void		 pipeline_stream_resume(struct pipeline *, int32_t partition,
		    int64_t next);
void		 pipeline_stats(const struct pipeline *, struct pipeline_stats *);
const char	*pipeline_reject_reason_name(int i);	/* label for rejected_by_reason[i] */
/* JSON for the HTTP API; new strings (free()), NULL when unknown. */
char		*pipeline_employee_json(struct pipeline *, const char *id);
char		*pipeline_model_json(struct pipeline *);
/* What-if: body as in a suggestion's actions; new JSON or NULL with errbuf. */
char		*pipeline_whatif_json(struct pipeline *, const char *id,
		    const char *body, size_t len, char *errbuf, size_t errlen);
/* Replay helper: the score of every employee in state, one OUT_ESTIMATES
 * record each keyed by the employee id; active ones scored at at_ms (event
 * time; 0: the clock). */
int		 pipeline_dump_scores(struct pipeline *, int64_t at_ms,
		    pipeline_emit_fn, void *arg);
/* pipeline.c: for metrics */
/* Fills *out with the shared model's current estimates (strings borrowed
 * from the model, valid until the next pipeline call) and returns the
 * model version. */
long		 pipeline_estimates(struct pipeline *, struct model_estimates *out);

/* snapshot.c, shard.c: the whole pipeline as a checkpoint body, the bytes
 * daemon/checkpoint.c frames (sections in snapshot.c's head comment): the
 * epoch state, the pipeline's counters and every shard (records, dedup
 * window, erased set, statistics, held events, the next input offset),
 * written at one moment between two messages, so that what the file holds
 * fits together. Save appends to w; 0, or -1 on ENOMEM (w failed). Load
 * goes into a fresh pipeline (no message run, nothing loaded), in one
 * pass into a scratch pipeline whose state p takes only when all of it
 * is valid, so that p is only changed by a valid body: 0, or -1 with a
 * reason in errbuf that names no employee. */
struct shard_info {
	char		topic[PIPELINE_TOPIC_MAX];
	int32_t		partition;
	int64_t		next_offset;		/* -1: no message run yet */
	int64_t		rep_next_offset;	/* in its repartition stream; -1
						 * none read, -2 unknown (a file
						 * older than the field) */
	int64_t		clock_ms;
	uint64_t	messages;
	size_t		employees, erased;
};
int	pipeline_snapshot_save(const struct pipeline *, struct wbuf *w);
/* What the loaders below return, besides 0 and -1, for a body (or an
 * image) that is whole but was made under settings that give its state
 * another meaning ([model] epoch_hours): errbuf names the setting and both
 * values; p is left as on -1. Not corruption: an older copy was made under
 * the same settings, so nothing else should be tried. */
#define PIPELINE_LOAD_CONFIG (-2)
int	pipeline_snapshot_load(struct pipeline *, const void *body, size_t len,
	    char *errbuf, size_t errlen);
/* The same, with a last check before the body becomes p's: verify(arg,
 * errbuf, errlen) is called once the whole body has loaded, and a -1 from
 * it refuses the body (p stays fresh). The loader trusts nothing, so the
 * file's CRC can be computed alongside the load (daemon/checkpoint.c). */
int	pipeline_snapshot_load_verified(struct pipeline *, const void *body,
	    size_t len, int (*verify)(void *, char *, size_t), void *arg,
	    char *errbuf, size_t errlen);
/* One partition's image (daemon/ckpt_topic.c publishes it, so that a new
 * owner with an empty disk can restore the partition): the epoch state
 * (the registry its ids refer to) and the partition's shard, sections as
 * in pipeline_snapshot_save(). 0, or -1 (no such shard, ENOMEM). */
int	pipeline_shard_image(const struct pipeline *, int32_t partition,
	    struct wbuf *w);
/* Loads an image of partition into p, which holds no shard of it (p need
 * not be fresh): the image is validated whole first, in a scratch
 * pipeline; its registry ids are translated by name into p's; a fresh p,
 * or one that holds no shard and is in an earlier epoch than the image,
 * takes the image's epoch state as its own; the shard's statistics move
 * by name as well (model_contrib_load()). 0 restored, 1 restored without
 * the shard's statistics (they do not fit p's model: the shard's
 * contribution starts again), -1 refused (p unchanged, a reason in errbuf
 * that names no employee), PIPELINE_LOAD_CONFIG refused for its settings. */
int	pipeline_shard_restore(struct pipeline *, int32_t partition,
	    const void *body, size_t len, char *errbuf, size_t errlen);
/* The pipeline epoch an image's epoch state is of (-1: before the first),
 * -2 when it has none readable. A pipeline that holds no shard takes the
 * epoch state of an image of a later epoch than its own in
 * pipeline_shard_restore(), so images are best restored latest epoch
 * first. */
long	pipeline_image_epoch(const void *body, size_t len);
/* The [model] epoch_hours a body or an image was made under (the default,
 * 24, for one from before it was recorded), -1 when it has no EPCH; for
 * a reader that must take the file's settings (--dump-checkpoint). A
 * guess from the tail: the load checks it properly. */
int	pipeline_image_epoch_hours(const void *body, size_t len);
/* The partition of the first shard after partition after (-1: the first),
 * or -1 when there is none. */
int32_t	pipeline_shard_next(const struct pipeline *, int32_t after);
/* Fills *out; returns 0, or -1 when the pipeline holds no such shard. */
int	pipeline_shard_info(const struct pipeline *, int32_t partition,
	    struct shard_info *out);
/* The checkpoint's contents as JSON for an operator (--dump-checkpoint):
 * new string (free()), NULL on ENOMEM. Holds personal data: stdout only. */
char	*pipeline_snapshot_json(struct pipeline *);
/* report.c: aggregates for the daemon's page (daemon/page.c). Anonymous
 * counts only, except pipeline_report_at_risk(), which names employees and
 * is for the token-protected employee view. */
#define REPORT_MONTHS    36	/* monthly series kept, in event time */
#define REPORT_RISK_BINS 20	/* risk histogram: bins of 0.05 */

struct report_month {
	char	month[8];			/* YYYY-MM */
	long	alerts_firing, alerts_resolved;
	long	exits_voluntary, exits_other;
};

struct report_dept {
	const char	*name;			/* borrowed */
	long		 active;		/* hired, not exited */
	long		 at_risk;		/* with an open alert */
	long		 exits[REPORT_MONTHS];	/* aligned with report.months */
	int		 has_plan;		/* the latest plan published */
	char		 plan_month[8];
	double		 plan_budget, plan_spend, plan_retained;
	int		 plan_allocations;
};

/* The risks of active, scored employees at one moment. */
struct report_risk {
	long	bins[REPORT_RISK_BINS];		/* counts per 0.05 of risk */
	long	scored;				/* employees counted */
	long	above;				/* at or above the alert threshold */
	double	mean;				/* NaN when none */
	int64_t	clock_ms;			/* event-time clock then */
	long	model_version;
};

struct report {
	int64_t		 clock_ms;		/* event-time clock */
	long		 model_version;
	long		 model_exits;		/* voluntary exits in the fit */
	double		 warmup_max_se;		/* the alert policy's settings */
	double		 confidence_z;
	double		 threshold, clear_threshold;
	int		 horizon_days;
	long		 active, at_risk;
	int		 nmonths;		/* oldest first, to the clock's month */
	struct report_month months[REPORT_MONTHS];
	struct report_risk risk;		/* now */
	int		 has_prev;
	struct report_risk risk_prev;		/* at the last estimates published */
	int		 ndepts;
	struct report_dept *depts;		/* ndepts, in first-seen order */
	struct pipeline_stats stats;
	struct model_estimates est;		/* strings borrowed */
};

struct report_employee {
	char		 id[EMPLOYEE_ID_MAX + 1];
	const char	*department;		/* borrowed, may be NULL */
	double		 risk, expected_tenure_days;
	int64_t		 alert_fired_ms;
	int		 ndrivers;
	struct driver	 drivers[DRIVERS_MAX];	/* features borrowed */
};

/* New report (pipeline_report_free()), NULL on ENOMEM. Its strings are
 * borrowed from the pipeline and valid until the next pipeline call. */
struct report	*pipeline_report(struct pipeline *);
void		 pipeline_report_free(struct report *);
/* Employees with an open alert, riskiest first, at most max into out;
 * returns how many. */
int		 pipeline_report_at_risk(struct pipeline *, struct report_employee *out,
		    int max);

/* decode.c: CloudEvents (structured or binary mode) -> typed event.
 * Returns 0, or -1 with a one-line reason in errbuf. reason_code (may be
 * NULL) receives an index for pipeline_stats.rejected_by_reason. */
enum decode_reason {
	DR_TOO_LARGE, DR_NOT_JSON, DR_MISSING_FIELD, DR_BAD_TYPE, DR_OUT_OF_RANGE,
	DR_UNKNOWN_TYPE, DR_BAD_ID, DR_KEY_MISMATCH, DR_BAD_TIME, DR_TOO_LONG,
	DR__COUNT
};
int	decode_event(const struct message *, struct hr_event *,
	    char *errbuf, size_t errlen, int *reason_code);
const char *decode_reason_name(int);
/* 1 if s (len bytes) is a valid employee id: 1..128 bytes of printable UTF-8. */
int	decode_valid_employee_id(const char *s, size_t len);

#endif
