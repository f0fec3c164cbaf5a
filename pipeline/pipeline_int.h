/*
 * pipeline_int.h: what pipeline.c and epoch.c share, private to
 * pipeline/: the pipeline and its shards, and the helpers both use.
 */
#ifndef RETENTIOND_PIPELINE_INT_H
#define RETENTIOND_PIPELINE_INT_H

#include "stages.h"
#include "../state/serial.h"

#define SHARDS_MAX 4096			/* partitions of the input topic */
#define REASON_NOT_APPLICABLE DR__COUNT	/* state_apply refused the event */
#define REASON_FUTURE	(DR__COUNT + 1)	/* beyond future_horizon_days */
#define REASON_HELD_FULL (DR__COUNT + 2)	/* in the future, max_held held */
#define REASON_EMPLOYEE_LIMIT (DR__COUNT + 3)	/* max_employees reached */
#define ESTIMATES_KEY "retentiond"	/* key of hr.model.estimates: the model name */

/* One input partition's state (shard.c makes and frees it, snapshot.c
 * writes and reads it as checkpoint sections). */
struct shard {
	struct table	*table;
	struct dedup	*dedup;
	struct erased	*erased;	/* keyed hashes of erased ids */
	struct model	*model;		/* the shard's statistics */
	struct heldq	*held;		/* future-dated messages */
	struct timerq	*timers;	/* rescoring due before the next boundary */
	struct alert_budget *budget;	/* openings per department this month
					 * (decide.c); NULL while no budget */
	int64_t		 clock_ms;	/* latest event time applied here */
	long		 scored_epoch;	/* epoch whose boundary rescoring is done, -1 */
	int64_t		 expired_ms;	/* clock at the last pass for leavers */
	/* what a checkpoint says the state reflects */
	char		 topic[PIPELINE_TOPIC_MAX];	/* input topic, "" until seen */
	int32_t		 partition;
	int64_t		 next_offset;	/* after the last message run, -1 none */
	int64_t		 rep_next_offset;	/* after the last record of its
					 * repartition stream run, -1 none */
	uint64_t	 messages;	/* run through this shard */
	uint64_t	 erased_dropped;	/* events for erased ids, dropped */
	uint64_t	 events;	/* applied here: the estimates' `events`
					 * sum them over the partitions */
};

struct pipeline {
	struct pipeline_config	 cfg;
	struct features		*features;
	struct model		*model;		/* owns the fit; no statistics */
	struct shard		*shards[SHARDS_MAX];
	struct model		*models[SHARDS_MAX];	/* shards[i]->model */
	int			 nshards;	/* highest shard index + 1 */
	long			 epoch;		/* current; -1 before the first */
	long			 blocked_epoch;	/* of the last PIPE_BLOCKED */
	struct pipeline_stats	 stats;
	uint64_t		 exited;	/* employees in state that left */
	size_t			 nemployees;	/* records in all shards */
	int64_t			 clock_ms;	/* max over shards */
	struct hr_event		 ev;		/* reused per message */
	/* the emit context of the current call */
	pipeline_emit_fn	 emit;
	void			*arg;
	const struct message	*msg;
	int			 failed;
	double			 near_risk, near_for;	/* rescore.c, for threshold */
	/* plan scratch, grown as needed (monthly, not per event) */
	struct allocation	*cand, *alloc;
	size_t			 cap;
	struct report_state	*report;	/* the page's series (report.c) */
	struct remotes		*remote;	/* remote.c; NULL until used */
	struct plan_share	*plans;		/* plan_share.c; NULL: plans are
						 * made at the boundary */
};

/* pipeline.c */
/* The shard of a partition, created on first use; NULL on ENOMEM. */
struct shard	*pipeline_shard_get(struct pipeline *, int32_t partition);
/* Emits one output of the current call; takes ownership of json (NULL
 * marks a failure). */
void		 pipeline_put(struct pipeline *, enum output_kind, const char *key,
		    char *json);

/* The CloudEvents envelope for an output about time_ms (0: unknown), in
 * *buf; NULL when outputs are plain. */
const struct envelope *pipeline_envelope(const struct pipeline *,
		    struct envelope *buf, int64_t time_ms);

/* Scores e at now_ms (an event's, a timer's or a boundary's time), makes
 * the alert decision, publishes what changes and schedules e's next
 * rescoring (rescore.c); cause is the input id, or "clock". */
void		 pipeline_assess(struct pipeline *, struct shard *, struct employee *,
		    int64_t now_ms, const char *cause);
/* pipeline_assess() after the score: s is e's score at now_ms as
 * rescore_score() makes it (rescore_batch() for a boundary's batch). */
void		 pipeline_decide(struct pipeline *, struct shard *, struct employee *,
		    int64_t now_ms, const char *cause, const struct score *s);

/* epoch.c: the month's plans. The plan scratch (p->cand, p->alloc) for
 * need candidates: 0, or -1 on ENOMEM. */
int		 plan_scratch(struct pipeline *, size_t need);
/* Department ids in name order (ids are interned in arrival order) into
 * order[]; returns how many. */
int		 plan_departments_by_name(struct strtab *, int *order);
/* Appends the candidates of department d in shard i (each at-risk
 * employee's best action at now_ms, table order) at p->cand[n]; returns
 * the new count (n when the shard is missing), or -1 on ENOMEM. */
int		 plan_shard_candidates(struct pipeline *, int i, int d, int64_t now_ms,
		    int n);
/* The plan of department dept from p->cand[0..n) as of now_ms (its month)
 * and model version: decided, published under "dept:<dept>", counted and
 * noted for the page. */
void		 plan_put(struct pipeline *, const char *dept, int n, int64_t now_ms,
		    long version);
/* plan_share.c: with several instances, keeps the owned shards'
 * candidates of the boundary just entered (at_ms) instead of planning. */
void		 plan_share_keep(struct pipeline *, int64_t at_ms);
/* Forgets the candidates kept or loaded (the plans stay shared). */
void		 plan_share_forget(struct pipeline *);
void		 plan_share_free(struct pipeline *);

/* rescore.c */
/* e's score at now_ms (model_score(), bookkeeping included) as far as the
 * alert decision and the look-ahead read it: the standard error and the
 * drivers only when the risk is near a threshold or an episode is open. */
void		 rescore_score(struct pipeline *, struct shard *, struct employee *,
		    int64_t now_ms, struct score *s);
/* Queues e's next due time; s is its score at now_ms, after the alert
 * decision. */
void		 rescore_schedule(struct pipeline *, struct shard *, struct employee *,
		    int64_t now_ms, const struct score *s);
/* Fires the shard's timers due at or before until_ms, in due order. */
void		 rescore_due(struct pipeline *, struct shard *, int64_t until_ms);
/* Fires the timers of every shard due before the current epoch's end
 * (the closing epoch's, its model); those of epochs the stream skips fire
 * at their own times once the next model is in. */
void		 rescore_close_epoch(struct pipeline *);
/* The shard's contribution to the next boundary made final: its timers
 * due before it fire, then every active record's censored exposure is
 * closed a second before it when at least EXPOSE_MIN_DAYS long, without a
 * score, so that the fit sees the stayers' time at risk whenever they
 * were last scored. */
void		 rescore_close_shard(struct pipeline *, struct shard *);
/* At shutdown, before the last refit: every active record's censored
 * exposure closed at its shard's clock (rescore_close_shard() does it at
 * a boundary). */
void		 rescore_expose_final(struct pipeline *);
/* Right after the refit: when the new model can have moved a far record's
 * risk too far from before's (model_drift()), every shard is left to
 * rescore_epoch()'s sweep; else only the near records are rescored, by
 * their timers at the boundary (rescore.c), and scored_epoch says so. */
void		 rescore_new_model(struct pipeline *, const struct model_drift *before);
/* Right after each event: the shard's first at or after the epoch's
 * boundary rescores the whole shard at its clock when rescore_new_model()
 * left it to (scored_epoch, in the shard's checkpoint, remembers it was
 * done); else an event at the boundary's very instant fires the near
 * records' timers that waited for it. */
void		 rescore_epoch(struct pipeline *, struct shard *);

/* shard.c */
/* A new empty shard of partition with p's model; NULL on ENOMEM. */
struct shard	*shard_new(struct pipeline *, int32_t partition);
void		 shard_free(struct shard *);
uint64_t	 shard_erasure_hash(const struct pipeline_config *, const char *id);
/* The shard's state reflects msg from now on: its checkpoint resumes
 * after it. */
void		 shard_note(struct shard *, const struct message *);
/* 1 when subject was erased in this shard (counted as dropped), else 0. */
int		 shard_erased(struct shard *, const struct pipeline_config *,
		    const char *subject);
/* A shard loaded into p counts in p's totals (employees, leavers, open
 * alerts, the clock). */
void		 shard_count_in(struct pipeline *, const struct shard *);
void		 shard_count_in_census(struct pipeline *, const struct shard *,
		    uint64_t exited, uint64_t firing);
/* Records in the shard that left, and that have an alert episode open. */
void		 shard_census(const struct shard *, uint64_t *exited, uint64_t *firing);

/* snapshot.c: a shard as checkpoint sections, and as JSON */
int		 shard_save(const struct pipeline *, int32_t partition, struct wbuf *);
int		 shard_load(struct pipeline *, struct rbuf *, char *errbuf, size_t errlen);
char		*shard_json(const struct shard *, struct features *);
/* shard.c: the partition's shard of scratch (loaded from an image with
 * the registry of another instance) moves into p, which has none: ids
 * translated into p's registry, statistics loaded where they can be.
 * 0 all of it, 1 without the statistics, -1 (ENOMEM, errbuf). */
int		 shard_adopt(struct pipeline *p, struct pipeline *scratch,
		    int32_t partition, char *errbuf, size_t errlen);

/* remote.c */
/* Frees partition i's remote contribution (a shard is made for it, or
 * the pipeline is freed); no-op when it has none. */
void		 remote_release(struct pipeline *, int i);
void		 remote_free_all(struct pipeline *);
/* The events applied in partition i as its remote contribution says, 0
 * when none is held. */
uint64_t	 remote_events(const struct pipeline *, int i);
/* The epoch a message of epoch k for partition needs: k, or the next
 * epoch while the partition is sealed (pipeline_seal()). */
long		 remote_blocked_epoch(const struct pipeline *, int32_t partition,
		    long k);

/* epoch.c */
long		 pipeline_epoch_of(const struct pipeline *, int64_t t_ms);
/* The start of epoch k (boundary k), in ms since 1970. */
int64_t		 pipeline_epoch_start(const struct pipeline *, long k);
/* p, which holds no shard, made fresh as to its epoch state: epoch, fit,
 * registry, remote contributions and the page's series (its counters
 * stay). 0, or -1 (a shard present, ENOMEM; p unchanged). */
int		 pipeline_epoch_reset(struct pipeline *, char *errbuf, size_t errlen);
uint64_t	 pipeline_events_applied(const struct pipeline *);

#endif
