/*
 * stages.h: what the pipeline's stages pass between them (private to
 * pipeline/). decide.c fills these structs from state; encode.c turns them
 * into JSON. Neither keeps pointers past the call.
 */
#ifndef RETENTIOND_STAGES_H
#define RETENTIOND_STAGES_H

#include "pipeline.h"

#define ID_HEX_LEN 32			/* hex digits of output ids */
#define ACTIONS_MAX 4			/* one per action kind */
#define ACTION_OPTIONS 3		/* amounts tried per kind */

enum action_kind { ACT_INCENTIVE, ACT_TRAINING, ACT_CARE, ACT_PROMOTION, ACT__COUNT };

struct alert_msg {
	char		 alert_id[ID_HEX_LEN + 1];
	const char	*employee_id;
	int		 firing;		/* 1 firing, 0 resolved */
	int		 critical;
	const char	*reason;		/* threshold, risk_fell, exited */
	struct score	 score;
	double		 risk_lower;		/* the risk at the lower end of its
						 * interval; NaN at an exit */
	int		 horizon_days;
	int64_t		 event_time_ms;
	const char	*caused_by;		/* input event id or "clock" */
	long		 model_version;
};

struct action {
	enum action_kind kind;
	double	amount;			/* currency, hours, count, levels */
	double	cost;			/* currency */
	double	risk_after;
	double	satisfaction_gain, ability_gain;
	double	expected_tenure_gain_days;
	double	confidence;		/* 0..1 */
	double	value;			/* weighted gain per unit of cost */
};

struct suggestion_msg {
	char		 suggestion_id[ID_HEX_LEN + 1];
	const char	*employee_id;
	double		 risk_before;
	int		 nactions;
	struct action	 actions[ACTIONS_MAX];
	long		 model_version;
};

struct allocation {
	const char	*employee_id;		/* borrowed from the table */
	struct action	 action;
	double		 risk_before;
};

struct plan_msg {
	char			 plan_id[ID_HEX_LEN + 1];
	const char		*department;
	char			 month[8];	/* YYYY-MM */
	double			 budget, spend, expected_retained;
	int			 nallocations;
	struct allocation	*allocations;	/* borrowed */
	long			 model_version;
};

/* decide.c */
const char *decide_action_name(enum action_kind);
int	decide_action_parse(const char *, enum action_kind *);
/* Stable id: hex of a 128-bit hash of the NUL-separated parts. */
void	decide_make_id(char out[ID_HEX_LEN + 1], const char *a, const char *b,
	    const char *c);
/* The alert policy (see decide.c): why a score at or over the threshold
 * did not open an episode. */
enum alert_hold {
	HOLD_NONE,
	HOLD_WARMUP,		/* the log hazard's se over warmup_max_se */
	HOLD_UNCERTAIN,		/* the interval's lower bound under threshold */
	HOLD_BACKFILL,		/* event time before the backfill window */
	HOLD_BUDGET,		/* the department's month is spent (shard) */
	HOLD__COUNT
};
struct alert_budget;
struct alert_budget *decide_budget_new(void);	/* new; NULL on ENOMEM */
void	decide_budget_free(struct alert_budget *);	/* NULL is a no-op */
/* The openings spent per department and month, for checkpoints (a NULL
 * budget saves as none); load replaces *b (NULL when nothing was spent),
 * -1 on a malformed section. */
struct wbuf;
struct rbuf;
void	decide_budget_save(const struct alert_budget *, struct wbuf *);
int	decide_budget_load(struct alert_budget **b, struct rbuf *);
/* What an opening depends on beyond the score: the wall clock of the
 * message being run (0: no backfill check) and the shard's budget (NULL:
 * none); held says why a score over the threshold did not open. */
struct alert_gate {
	int64_t			 wall_ms;
	struct alert_budget	*budget;	/* borrowed */
	enum alert_hold		 held;		/* out */
};
/* The risk at eta - confidence_z * eta_se (the score's risk when
 * confidence_z is 0; 0 when eta_se is infinite). */
double	decide_risk_lower(const struct pipeline_config *, const struct score *);
/* The risk at eta + confidence_z * eta_se (the score's risk when
 * confidence_z is 0; 1 when eta_se is infinite): an episode closes when
 * it falls below clear_threshold. */
double	decide_risk_upper(const struct pipeline_config *, const struct score *);
/* Opening through the policy, closing with hysteresis. Returns 1 when an
 * alert must be published (fills *m with firing or resolved), 0
 * otherwise. Updates e's episode fields and, when it opens, spends the
 * budget. g may be NULL (no backfill check, no budget). */
int	decide_alert(const struct pipeline_config *, struct employee *,
	    const struct score *, int64_t now_ms, const char *caused_by,
	    long model_version, struct alert_gate *g, struct alert_msg *m);
/* Resolution because the employee left. 1 if an episode was open. */
int	decide_exit(const struct pipeline_config *, struct employee *,
	    int64_t now_ms, const char *caused_by, long model_version,
	    struct alert_msg *m);
/* Candidate actions for e, best value first; returns how many (<= max). */
int	decide_actions(const struct pipeline_config *, struct model *,
	    const struct employee *, int64_t now_ms, const struct score *before,
	    struct action *out, int max);
/* The predicted effect of the given actions together (what-if). */
void	decide_whatif(const struct pipeline_config *, struct model *,
	    const struct employee *, int64_t now_ms, const struct action *,
	    int n, struct score *after);
/* Greedy allocation of budget over candidates; returns allocations used. */
int	decide_plan(double budget, struct allocation *cand, int ncand,
	    struct allocation *out, double *spend, double *retained);

/* The CloudEvents `type` of each published kind. */
#define CE_TYPE_ALERT		"com.retentiond.attrition.alert"
#define CE_TYPE_SUGGESTION	"com.retentiond.retention.suggestion"
#define CE_TYPE_PLAN		"com.retentiond.retention.plan"
#define CE_TYPE_ESTIMATES	"com.retentiond.model.estimates"

/* What a CloudEvents envelope needs beyond the message itself; encode_*
 * take NULL for the plain payload. */
struct envelope {
	const char	*source;	/* borrowed: pipeline_config.output_source */
	int64_t		 time_ms;	/* the occurrence in event time; 0 unknown */
};

/* encode.c: new JSON text (free()), NULL on ENOMEM; env NULL: plain JSON,
 * else a structured-mode CloudEvent with the plain payload as `data`. */
char	*encode_alert(const struct alert_msg *, const struct envelope *env);
char	*encode_suggestion(const struct suggestion_msg *, const struct envelope *env);
char	*encode_plan(const struct plan_msg *, const struct envelope *env);
/* event_time_ms 0 (no event yet) goes out as null. */
char	*encode_estimates(const struct model_estimates *, long model_version,
	    int64_t event_time_ms, uint64_t events, int horizon_days,
	    const struct envelope *env);
char	*encode_employee(const struct employee *, const struct score *,
	    const struct features *, int64_t now_ms, int horizon_days,
	    const char *department);
char	*encode_whatif(const char *employee_id, double risk_before,
	    const struct score *after, int horizon_days);
char	*encode_score_line(const struct employee *, int horizon_days);
/* The checkpoint dump: a record's every field (names, not registry ids;
 * numbers to 17 digits) and a shard's META. */
char	*encode_record(const struct employee *, struct features *);
char	*encode_shard_meta(const char *topic, int32_t partition, int64_t next_offset,
	    int64_t clock_ms, uint64_t messages, size_t erased, uint64_t erased_dropped);

/* whatif.c: parses a what-if body, {"actions": [{"action":..., "amount":...},
 * ...]} (a bare array is refused). Returns the count or -1 with errbuf,
 * which names the bound an amount broke. */
int	whatif_parse_actions(const char *body, size_t len, struct action *out,
	    int max, char *errbuf, size_t errlen);

/* epoch.c: months in event time (UTC): year * 12 + month - 1; out, when
 * not NULL, gets "YYYY-MM". */
int	pipeline_month_index(int64_t ms, char out[8]);

/* held.c: a shard's future-dated messages, by time (see the file). */
#define HELD_HEADERS_MAX 16	/* ce_* headers kept per held message */
struct heldq;
struct heldq	*heldq_new(void);		/* new; NULL on ENOMEM */
void		 heldq_free(struct heldq *);	/* NULL is a no-op */
size_t		 heldq_count(const struct heldq *);
int64_t		 heldq_next_ms(const struct heldq *);
int		 heldq_push(struct heldq *, const struct message *, int64_t time_ms);
int		 heldq_first_due(const struct heldq *, int64_t clock_ms,
		    struct message *, struct msg_header *hdrs);
void		 heldq_drop_first(struct heldq *);
void		 heldq_save(const struct heldq *, struct wbuf *);
int		 heldq_load(struct heldq *, struct rbuf *, size_t max);

/* report.c: the page's monthly series, fed where pipeline.c publishes. */
struct report_state;
struct report_state *report_state_new(void);		/* new; NULL on ENOMEM */
void	report_state_free(struct report_state *);	/* NULL is a no-op */
void	report_note_alert(struct report_state *, int firing, int64_t t_ms);
void	report_note_exit(struct report_state *, int dept, int voluntary,
	    int64_t t_ms);
void	report_note_plan(struct report_state *, int dept, const struct plan_msg *);
/* Keeps the risk histogram of this moment as "previous" (at estimates). */
void	report_note_estimates(struct pipeline *);

/* pipeline.c: what report.c reads, all borrowed. */
struct report_source {
	struct report_state		*rs;
	struct features			*features;
	struct model			*model;
	const struct pipeline_config	*cfg;
	int64_t				 clock_ms;
};
void	pipeline_source(struct pipeline *, struct report_source *);
/* Every record of every shard: *shard and *it start at 0; NULL at the end. */
struct employee *pipeline_each(struct pipeline *, size_t *shard, size_t *it);

#endif
