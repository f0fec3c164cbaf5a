/*
 * table.h: per-employee state and the bookkeeping around it.
 *
 * A struct employee holds everything the models need about one person, in
 * fixed-size fields: applying an event never allocates. Only a new employee
 * allocates its record (once). Time-windowed sums (incentives, training,
 * care, manager changes over the last 12 months) are monthly buckets
 * (window.c), so late, out-of-order events land in the right month: every
 * sum is taken over event time, not arrival.
 *
 * Files: table.c (hash table of records), window.c (12-month windows),
 * features.c (record -> raw covariate vector, attribute registry, protected
 * names, pay quantiles), dedup.c (seen source+id), strtab.c (interning).
 * What an event does to a record is state_apply() (apply.c), declared in
 * model.h because it changes the record and the model's statistics in one
 * call.
 */
#ifndef RETENTIOND_TABLE_H
#define RETENTIOND_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define EMP_WINDOW_MAX     16	/* care actions a suggestion tries at most */
#define WINDOW_MONTHS      12	/* monthly buckets of a 12-month window */
#define WINDOW_MONTH_MS    2629800000LL	/* 30.4375 days: window months */
#define FEATURES_MAX       64	/* covariates, built-in plus attributes */
#define ATTR_FEATURES_MAX  40	/* of which attribute-derived at most */
#define PROTECTED_MAX      16	/* protected attributes tracked for fairness */
#define ATTR_INLINE        4	/* attribute values other than 0/1 kept inline */
#define PROTECTED_INLINE   4	/* protected names whose levels are inline */
#define DEPARTMENTS_MAX    1024	/* departments interned */

#define MS_PER_DAY   86400000LL
#define MS_PER_YEAR  (365LL * MS_PER_DAY)	/* windows are 365 days */
#define DAYS_PER_MONTH 30.4375

enum emp_flag {
	EMP_PROVISIONAL = 1 << 0,	/* seen an event, not yet the hire */
	EMP_EXITED      = 1 << 1,
	EMP_VOLUNTARY   = 1 << 2,	/* exit was voluntary */
	EMP_FIRING      = 1 << 3,	/* an alert episode is open */
	EMP_HAS_SURVEY  = 1 << 4,
	EMP_HAS_REVIEW  = 1 << 5,
	EMP_HAS_ABILITY = 1 << 6,
	EMP_EVER_ALERTED = 1 << 7	/* for fairness: alert rates per group */
};

/* 12 monthly sums ending with the newest month seen (window.c). */
struct window {
	int32_t		month;			/* newest month held, 0 empty */
	float		v[WINDOW_MONTHS];	/* by month % WINDOW_MONTHS */
};

/* 12 monthly counts, the same way (saturating at 255 a month); 16 bits
 * of months reach the year 4700. */
struct tally {
	int16_t		month;
	uint8_t		n[WINDOW_MONTHS];
};

/*
 * Record times are 32-bit whole seconds since 1970 (issue 13 item 2), 0
 * meaning none: 1970-01-01 up to 2106-02-07. The decoder refuses event
 * times from EMP_TIME_LIMIT_MS on (pipeline/decode.c, a DLQ reason), which
 * leaves six years for the times derived from them (a score a day past
 * the clock, an outcome a horizon after an alert), and emp_s() saturates
 * instead of wrapping. A time is truncated to its second when stored, and
 * state_apply() takes the event's time at that resolution, so "latest
 * value" comparisons and exposure pieces agree with what the record keeps;
 * HR events carry no meaning below a second.
 */
#define EMP_TIME_LIMIT_MS 4102444800000LL	/* 2100-01-01T00:00:00Z */

static inline int64_t
emp_ms(uint32_t s)
{
	return (int64_t)s * 1000;
}

static inline uint32_t
emp_s(int64_t ms)
{
	if (ms <= 0)
		return 0;
	return ms / 1000 >= (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)(ms / 1000);
}

/* ms at the resolution of a record time. */
static inline int64_t
emp_time(int64_t ms)
{
	return emp_ms(emp_s(ms));
}

/*
 * One employee. Grouped by size so that nothing pads (8-byte fields, then
 * 4, 2, 1); within a group, by owner. Times are seconds (above), the
 * fields named _s. Survey-like values are floats (a 0..100 scale needs no
 * more; the last score stays double because exit alerts and plans publish
 * it as it was computed), ids and the alert's cause live outside
 * (table.c, decide.c), attributes and protected levels take room only for
 * what the employee has (record.c): read and write them through the
 * emp_attr_*() and emp_prot_*() functions below.
 */
struct employee {
	const char	*id;		/* in the table's arena (table.c), NULL when free */
	double		salary;			/* yearly, 0 unknown */
	uint64_t	manager;		/* hash of manager id, 0 none */
	/* the last score, doubles: exit alerts and plans publish them */
	double		risk;			/* 0..1, held in quality's histogram
						 * while MODEL_IN_TREE (model.c) */
	double		expected_tenure_days;
	/* the alert id's hash over the employee and the input that opened the
	 * episode, to be finished with alert_fired_s (decide.c) */
	uint64_t	alert_h[2];
	/* attributes mapped through the registry in struct features, and
	 * the protected levels (record.c) */
	uint64_t	attr_code;		/* 2 bits a slot, slots 0..31 */
	union {
		float	 v[ATTR_INLINE];	/* the other values, in slot order */
		float	*ext;			/* all of them by slot (attr_ext) */
	}		attr_val;
	union {
		struct {
			uint8_t	 level[PROTECTED_INLINE];
			uint8_t	 counted[PROTECTED_INLINE];
		}	 in;			/* names 0..PROTECTED_INLINE-1 */
		uint8_t	*ext;			/* PROTECTED_MAX levels, then as
						 * many counted (attr_ext) */
	}		prot;

	uint32_t	hired_s;		/* 0 while provisional */
	uint32_t	exit_s;
	uint32_t	last_event_s;		/* latest event time applied */
	uint32_t	manager_since_s;
	uint32_t	last_raise_s;		/* 0 never */
	uint32_t	last_promotion_s;	/* 0 never: hire counts */
	/* the times the latest values below took effect */
	uint32_t	survey_s, review_s, ability_s;
	/* model bookkeeping (owned by state/model.c) */
	uint32_t	interval_start_s;	/* open exposure interval */
	uint32_t	scored_s;
	uint32_t	calib_s;		/* open calibration snapshot, 0 none */
	uint32_t	alert_eval_s;		/* alert awaiting its outcome, 0 none */
	uint32_t	alert_last_s;		/* latest alert firing, 0 never */
	uint32_t	alert_fired_s;		/* the episode's (pipeline/decide.c) */

	float		last_raise_pct;		/* % of the salary before it */
	/* latest values by event time */
	float		satisfaction, engagement, intent_to_stay, work_life_balance;
	float		rating, potential;
	float		ability;		/* latest assessment, 0..100 */
	float		calib_risk;		/* (model.c) */
	/* rescoring timer (owned by timerq.c) */
	uint32_t	timer_pos;		/* heap index + 1, 0 not queued */
	uint32_t	due_min;		/* minute due (since 1970), 0 none */

	struct window	incentive;		/* % of salary: raises, bonuses, equity */
	struct window	training;		/* hours */
	struct tally	care;			/* care events */
	struct tally	manager_changes;	/* manager changes */

	int16_t		dept;			/* strtab id, -1 unknown */
	uint16_t	attr_code_hi;		/* slots 32..39 (record.c) */
	uint16_t	episode;		/* episodes opened so far (decide.c;
						 * saturates) */
	uint8_t		flags;			/* enum emp_flag */
	int8_t		job_level;		/* 0 unknown, 1..15 */
	uint8_t		model_flags;		/* MODEL_* bits (model.c) */
	int8_t		calib_decile;		/* (model.c) */
	uint8_t		attr_ext;		/* EMP_EXT_* bits (record.c) */
};

#define EMP_EXT_ATTR 1u		/* attr_val.ext is allocated */
#define EMP_EXT_PROT 2u		/* prot.ext is allocated */

/* record.c: attribute slot s of a record (0 <= s < ATTR_FEATURES_MAX).
 * get: NaN when e does not have it. put: 0, or -1 when s is out of range
 * or e needs more than ATTR_INLINE values other than 0/1 and there is no
 * memory for the array they move to (once per record; e is unchanged).
 * has: bit s set when e has slot s.
 * release: frees what the record allocated, attributes' and protected
 * levels' arrays alike, and clears both (the table calls it before wiping
 * e). */
double		 emp_attr_get(const struct employee *, int s);
int		 emp_attr_put(struct employee *, int s, double v);
uint64_t	 emp_attr_has(const struct employee *);
void		 emp_attr_release(struct employee *);
/* record.c: protected characteristic k of a record (0 <= k <
 * PROTECTED_MAX): its level (id + 1, 0 unknown; for fairness monitoring
 * only, never a model input) and the level counted in the fairness
 * figures (model.c), read with emp_prot_level() and emp_prot_counted()
 * (inline, below); 0 for k out of range. put: 0, or -1 when k is out of
 * range or e needs the array of all PROTECTED_MAX names (a nonzero value
 * for k >= PROTECTED_INLINE) and there is no memory (once per record; e
 * is unchanged). Zeros never allocate. */
int		 emp_prot_put(struct employee *, int k, uint8_t level, uint8_t counted);

/* 1 when e has attribute slot s (0 <= s < ATTR_FEATURES_MAX): its code
 * (record.c) is not 0. Inline, as what follows: features_vector() asks
 * for every slot at every score. */
static inline int
emp_attr_given(const struct employee *e, int s)
{
	return (s < 32 ? (e->attr_code >> (2 * s)) :
	    ((uint64_t)e->attr_code_hi >> (2 * (s - 32)))) & 3u ? 1 : 0;
}

/* The protected names that may be nonzero in e: from this one on, every
 * name reads 0 and 0. The readers are inline: the model reads every
 * name at every score (model.c, sync_groups()). */
static inline int
emp_prot_names(const struct employee *e)
{
	return (e->attr_ext & EMP_EXT_PROT) ? PROTECTED_MAX : PROTECTED_INLINE;
}

static inline uint8_t
emp_prot_level(const struct employee *e, int k)
{
	if (k < 0 || k >= PROTECTED_MAX)
		return 0;
	if (e->attr_ext & EMP_EXT_PROT)
		return e->prot.ext[k];
	return k < PROTECTED_INLINE ? e->prot.in.level[k] : 0;
}

static inline uint8_t
emp_prot_counted(const struct employee *e, int k)
{
	if (k < 0 || k >= PROTECTED_MAX)
		return 0;
	if (e->attr_ext & EMP_EXT_PROT)
		return e->prot.ext[PROTECTED_MAX + k];
	return k < PROTECTED_INLINE ? e->prot.in.counted[k] : 0;
}

/* table.c: records in slabs (never move once created; iteration in
 * memory order), a hash index on the id, ids in the table's arena. */
struct table;
struct table	*table_new(void);			/* new; NULL on ENOMEM */
void		 table_free(struct table *);		/* NULL is a no-op */
struct employee	*table_get(struct table *, const char *id);	/* borrowed, NULL if absent */
/* Borrowed record, created (zeroed, flags = EMP_PROVISIONAL, dept = -1) when
 * absent; *created set to 1 then. NULL on ENOMEM. */
struct employee	*table_put(struct table *, const char *id, int *created);
/* Wipes the record's memory and removes it. Returns 1 if it existed. */
int		 table_erase(struct table *, const char *id);
size_t		 table_count(const struct table *);
/* Iteration in memory order: *it starts at 0; returns NULL at the end.
 * Do not put while iterating; erasing the record just returned is safe
 * (erase wipes it in place and never moves records). */
struct employee	*table_next(struct table *, size_t *it);
/* The record at index i (< the indices handed out), and the index of a
 * record with its id's hash (UINT32_MAX when not t's): the timers' entries
 * name records by index (timerq.c). */
struct employee	*table_record(const struct table *, uint32_t i);
uint32_t	 table_index(const struct table *, const struct employee *,
		    uint64_t *h);
/* Checkpoints (table.c, "Checkpoints"): the slot layout, so that a
 * restored table iterates, inserts and rehashes exactly as the saved one. */
#define TABLE_SLOT_EMPTY 0
#define TABLE_SLOT_TOMB  1
#define TABLE_SLOT_LIVE  2
size_t		 table_slots(const struct table *);
int		 table_slot(const struct table *, size_t i, const struct employee **e);
int		 table_restore_slots(struct table *, size_t nslots);
int		 table_restore_put(struct table *, size_t i, int kind,
		    const struct employee *src);
struct employee	*table_restore_record(struct table *, size_t i);
int		 table_restore_check(struct table *);
/* 64-bit FNV-1a over n bytes, continuing from h (start with TABLE_HASH_INIT),
 * and a finaliser that spreads the bits; used by table, dedup, apply. */
#define TABLE_HASH_INIT 0xcbf29ce484222325ULL
uint64_t	 table_hash_bytes(uint64_t h, const void *, size_t n);
uint64_t	 table_hash_mix(uint64_t h);

/* strtab.c: interning of short strings (departments, levels) to small ids. */
struct strtab;
struct strtab	*strtab_new(int max);			/* new; at most max strings */
void		 strtab_free(struct strtab *);
int		 strtab_intern(struct strtab *, const char *);	/* id, -1 when full */
int		 strtab_find(const struct strtab *, const char *); /* id or -1 */
const char	*strtab_name(const struct strtab *, int id);	/* borrowed, NULL if bad */
int		 strtab_count(const struct strtab *);

/* window.c: 12-month windows over event time in monthly buckets. The
 * window at t is t's month (WINDOW_MONTH_MS long, from 1970) and the 11
 * before it. window_add(w, t_ms, v) adds v (a struct window) or counts one
 * (a struct tally) in t's month, whatever the arrival order. */
void		 window_sum_add(struct window *, int64_t t_ms, double v);
void		 window_tally_add(struct tally *, int64_t t_ms, double v);
#define window_add(w, t_ms, v) _Generic((w),				\
	struct tally *: window_tally_add, default: window_sum_add)((w), (t_ms), (v))
double		 window_sum(const struct window *, int64_t now_ms);
int		 window_count(const struct tally *, int64_t now_ms);
/* The first time after now_ms at which the window at a time changes what
 * it holds (a month start); INT64_MAX when it never does. */
int64_t		 window_sum_next_change(const struct window *, int64_t now_ms);
int64_t		 window_tally_next_change(const struct tally *, int64_t now_ms);
#define window_next_change(w, now_ms) _Generic((w),			\
	struct tally *: window_tally_next_change,			\
	const struct tally *: window_tally_next_change,			\
	default: window_sum_next_change)((w), (now_ms))

/* timerq.c: a shard's rescoring timers in event time (a binary heap keyed
 * by (due minute, hash of the id, id): the pop order is the input's alone)
 * over the records of one table, which must outlive the queue. A queued
 * record must be removed before it is erased. */
struct timerq;
struct timerq	*timerq_new(struct table *);		/* new; NULL on ENOMEM */
void		 timerq_free(struct timerq *);		/* NULL is a no-op */
/* Queues or requeues e (a record of the table) at the minute at or after
 * due_ms; -1 on ENOMEM or when e is not the table's. */
int		 timerq_set(struct timerq *, struct employee *, int64_t due_ms);
void		 timerq_remove(struct timerq *, struct employee *);
/* Due time of the first record (ms, whole minutes), INT64_MAX if empty
 * (not const: it settles a lazily postponed first entry). */
int64_t		 timerq_next_ms(struct timerq *);
/* The first record due at or before until_ms, removed (borrowed), its due
 * time in *due_ms; NULL when none is due. */
struct employee	*timerq_pop(struct timerq *, int64_t until_ms, int64_t *due_ms);
size_t		 timerq_count(const struct timerq *);
uint32_t	 timerq_minute(int64_t t_ms);	/* the minute at or after t_ms */
/* Queues every record of the table with a due minute (a restored shard)
 * into the empty queue, in O(n); 0, or -1 (not empty, ENOMEM). */
int		 timerq_restore(struct timerq *);

/* dedup.c: remembers the last `capacity` source+id pairs (hashed). */
struct dedup;
struct dedup	*dedup_new(size_t capacity);
void		 dedup_free(struct dedup *);
/* Returns 1 if source+id was seen before (and leaves it), 0 if new (and records it). */
int		 dedup_check(struct dedup *, const char *source, const char *id);
/* Checkpoints: the remembered hashes, oldest first. dedup_load() fills an
 * empty window (keeping the newest `capacity` when the file holds more);
 * returns 0, or -1 (reader failed) on an invalid section. */
struct wbuf;
struct rbuf;
void		 dedup_save(const struct dedup *, struct wbuf *);
int		 dedup_load(struct dedup *, struct rbuf *);

/* siphash.c: SipHash-2-4 of n bytes under a 128-bit key. */
uint64_t	 siphash24(const uint8_t key[16], const void *, size_t n);

/* erased.c: a sorted set of the keyed hashes of erased ids. */
struct erased;
struct erased	*erased_new(void);			/* new; NULL on ENOMEM */
void		 erased_free(struct erased *);
int		 erased_has(const struct erased *, uint64_t);
int		 erased_add(struct erased *, uint64_t);	/* 0, -1 ENOMEM/full */
size_t		 erased_count(const struct erased *);
void		 erased_save(const struct erased *, struct wbuf *);
int		 erased_load(struct erased *, struct rbuf *);	/* into an empty set */

/* features.c: registry of covariates; see model.h for who reads them. */
struct features;
struct features_config {
	int	 max_attr_features;	/* <= ATTR_FEATURES_MAX */
	int	 max_levels;		/* one-hot levels per categorical attribute */
	const char *extra_protected[PROTECTED_MAX];	/* configured extra names, NULL-ended */
};
struct features	*features_new(const struct features_config *);
void		 features_free(struct features *);
int		 features_dim(const struct features *);		/* current dimension */
int		 features_builtin_dim(void);	/* the built-ins come first */
const char	*features_name(const struct features *, int i);	/* borrowed */
/* Raw (unstandardised) covariates of e at now_ms into x[features_dim()];
 * a covariate that is unknown for e is set to NaN (the model imputes). */
void		 features_vector(struct features *, const struct employee *,
		    int64_t now_ms, double *x);
/* 1 if name is a protected characteristic (built-in list or configured),
 * matched case-insensitively, ignoring '_', '-' and spaces. */
int		 features_is_protected(const struct features *, const char *name);
/* Protected names seen so far, for fairness reports. */
int		 features_protected_count(const struct features *);
const char	*features_protected_name(const struct features *, int k);
const char	*features_protected_level(const struct features *, int k, int level);
struct strtab	*features_departments(struct features *);	/* borrowed */
/* Levels seen so far for protected name k; a level argument above is the
 * value stored in employee->protected_level[k] (1-based, 0 = unknown -> NULL). */
int		 features_protected_level_count(const struct features *, int k);
/* Used by apply.c: map an event's attributes into e (registering new
 * features / protected names as they arrive; never allocates). */
void		 features_set_attrs(struct features *, struct employee *,
		    const struct hr_attr *, int n, int64_t t_ms);
/* The epoch's median pay of (dept, job_level) (written by the model at
 * each epoch boundary, pay.c), NaN when unknown or too few samples. */
void		 features_set_pay_median(struct features *, int dept, int job_level,
		    double median);
double		 features_pay_median(const struct features *, int dept, int job_level);
/* The name of attribute slot `slot` and, for a one-hot slot, its level
 * (else NULL), both borrowed: for the checkpoint's JSON dump. 0, or -1
 * for a slot that is not registered. */
int		 features_attr_slot_describe(const struct features *, int slot,
		    const char **name, const char **level);
/* How many attribute slots are registered (slots 0..n-1 of employee->attr). */
int		 features_attr_slots(const struct features *);

/* record_io.c: one record in the checkpoint format, field by field (never
 * a memory image), with departments, attribute slots and protected levels
 * as ids of f, the registry that the checkpoint's epoch state restores
 * first. record_load() validates every field against f; returns 0, or -1
 * with the reader marked failed (e is then garbage: load into scratch). */
void		 record_save(struct wbuf *, const struct employee *,
		    struct features *);
int		 record_load(struct rbuf *, struct employee *,
		    char idbuf[EMPLOYEE_ID_MAX + 1], struct features *);

#endif
