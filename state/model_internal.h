/*
 * model_internal.h: the estimators behind state/model.c, one section per
 * file, and model.c's steps inside state_apply(). Private to state/ (and
 * its unit tests); callers use model.h.
 */
#ifndef RETENTIOND_MODEL_INTERNAL_H
#define RETENTIOND_MODEL_INTERNAL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "serial.h"

/* A digest of one field or array v (its bytes), continuing from d; the
 * *_digest() functions below let the tests see whether any statistic
 * moved (state_apply() of a refused event must move none). */
#define STATE_DIGEST(d, v) table_hash_bytes((d), &(v), sizeof(v))

/* The survey covariates (persist.c) are the first this many built-ins. */
#define PERSIST_COVARIATES 4

/* model.c: the model's halves of state_apply() (apply.c), which calls
 * them only for an event that passed every check, in this order around
 * the change of the record. prev carries the person's previous RLS
 * observation (taken before the record changes) to the update after. */
struct model_prev {
	double	x[3], y;
	int	ok;
	/* the survey answers before a survey, and their age in days (0: none) */
	double	survey[PERSIST_COVARIATES], survey_gap_days;
};

struct features	*model_features(const struct model *);	/* borrowed */
/* Closes e's exposure interval up to ev with e's covariates before ev
 * (see model.c), and fills *prev. */
void		 model_pre_apply(struct model *, struct employee *,
		    const struct hr_event *, struct model_prev *prev);
/* After e holds ev: RLS updates, quality at an exit, imputation means. */
void		 model_post_apply(struct model *, struct employee *,
		    const struct hr_event *, const struct model_prev *prev);
/* Raw x (registry order) imputed with the epoch's means and clipped at
 * its standardiser into z, for the fit's first n covariates (model.c). */
void		 model_prepare(const struct model *, const double *x, int n, double *z);
/* score.c: e's score at now_ms under the epoch's fit into out, all but
 * eta_se (NaN) and the drivers (none), and in sw what
 * model_score_detail_from() makes those from. Changes nothing but m's
 * cache of the baselines' exp(). */
struct score_work {
	double	x[FEATURES_MAX], v[FEATURES_MAX], z[FEATURES_MAX], w[FEATURES_MAX];
	double	base_var;
	int	scored;		/* 0: provisional or exited, nothing kept */
};
void		 model_score_compute(struct model *, const struct employee *,
		    int64_t now_ms, struct score_work *sw, struct score *out);
/* The same with the fit's plan made once (a batch of records). */
struct score_plan;
void		 model_score_compute_plan(struct model *, const struct score_plan *,
		    const struct employee *, int64_t now_ms, struct score_work *sw,
		    struct score *out);
/* out->eta_se and out->drivers from sw, as model_score_compute() left
 * them for out (the fit unchanged since). */
void		 model_score_detail_from(const struct model *,
		    const struct score_work *sw, struct score *out);
/* Tenure in days at t_ms (0 before the hire). */
static inline double
model_tenure_days(const struct employee *e, int64_t t_ms)
{
	double d = (double)(t_ms - emp_ms(e->hired_s)) / (double)MS_PER_DAY;

	return d > 0 ? d : 0;
}
/* Pooled SDs beyond which model_prepare() clips a covariate. */
#define Z_CLIP		8.0
/* horizon.c: e's linear predictor for the risk over the horizon (see
 * there); x, v, z, w are FEATURES_MAX scratch, filled in. */
double		 model_horizon_lp(const struct model *, const struct employee *,
		    int64_t now_ms, double *x, double *v, double *z, double *w);
/* The same from a plan: what the predictor reads of the fit, packed in
 * arrays once (model_plan()) instead of looked up per record, for every
 * score of a batch (model_score_risk_batch()); the same bits as
 * model_horizon_lp(). Valid until the fit changes. */
struct score_plan {
	int		n;		/* covariates in the fit */
	double		half_months, shrink;
	uint64_t	clocks;		/* registry bit: a clock */
	/* registry order: the imputed value, the clip (model_prepare()) */
	double		imp[FEATURES_MAX], lo[FEATURES_MAX], hi[FEATURES_MAX];
	/* fit order: registry index, standardised or 0, mean, SD, b per SD,
	 * the survey persistence factor (1 for the others) */
	int		r[FEATURES_MAX], zok[FEATURES_MAX];
	double		mu[FEATURES_MAX], sd[FEATURES_MAX], b[FEATURES_MAX],
			pf[FEATURES_MAX];
};
void		 model_plan(const struct model *, struct score_plan *);
/* model_prepare() of x (registry order, the plan's n) from the plan. */
void		 model_plan_prepare(const struct score_plan *, const double *x,
		    double *v);
double		 model_plan_lp(const struct model *, const struct score_plan *,
		    const struct employee *, int64_t now_ms, double *x, double *v,
		    double *z, double *w);
/* gamma^2 w' Cov(b) w: the variance of the shrunk linear predictor at the
 * w model_horizon_lp() filled in (horizon.c). */
struct model_fit;
double		 model_fit_lp_var(const struct model_fit *, const double *w);
/* Cumulative hazard over tenure [a, b] days at multiplier mult, and the
 * variance of its log from the band baselines (horizon.c). */
double		 model_horizon_cum(const struct model *, double mult, double a,
		    double b, double *base_var);
/* A salary of (dept, job_level) into the shard's pay histogram (pay.c). */
void		 model_note_salary(struct model *, int dept, int job_level,
		    double salary);
/* Erasure (state_erase()): forget e in every model-side structure that
 * names it; call before the record is wiped. */
void		 model_forget(struct model *, const struct employee *);
/* Digest of every statistic the model keeps (RLS sums, hazard moments
 * and solution, quality counts, imputation means, counters), none of its
 * scratch. For tests. */
uint64_t	 model_digest(const struct model *);

/* rls.c: recursive least squares with a forgetting factor, dim <= 3. */
#define RLS_DIM_MAX 3

struct rls {
	int	dim;
	double	forgetting;			/* 0 < f <= 1, per observation */
	double	a[RLS_DIM_MAX][RLS_DIM_MAX];	/* sum f^(n-i) x x' */
	double	b[RLS_DIM_MAX];			/* sum f^(n-i) x y */
	double	theta[RLS_DIM_MAX];		/* current solution */
	double	p[RLS_DIM_MAX][RLS_DIM_MAX];	/* a^-1 (up to the ridge) */
	double	yy;				/* sum f^(n-i) y^2 */
	double	weight;				/* effective sample size */
	long	n;				/* observations, no forgetting */
	/* lag-1 products over consecutive observations of one person */
	double	lag_ee, sq_ee;			/* residuals */
	double	lag_xx[RLS_DIM_MAX], sq_xx[RLS_DIM_MAX];	/* centred x */
};

void	rls_init(struct rls *, int dim, double forgetting);
void	rls_set_forgetting(struct rls *, double forgetting);
/* One observation y ~ theta . x[dim]. Returns 0, or -1 (nothing changed)
 * when x or y is not finite or the solve fails. */
int	rls_update(struct rls *, const double *x, double y);
/* Two consecutive observations of the same unit (x0, y0 the earlier),
 * both already given to rls_update(): feeds the serial-correlation
 * widening of the standard errors (see rls.c). Ignores non-finite input. */
void	rls_note_pair(struct rls *, const double *x0, double y0,
	    const double *x1, double y1);
/* coef[dim] and se[dim] (NaN while the effective sample <= dim), the
 * standard errors widened for serial correlation (rls.c). */
void	rls_estimate(const struct rls *, double *coef, double *se);
uint64_t rls_digest(const struct rls *, uint64_t d);	/* see STATE_DIGEST */
/* A shard's side (model.c): sums only, no forgetting, no solve. Returns 0,
 * or -1 (nothing changed) when x or y is not finite. */
int	rls_add(struct rls *, const double *x, double y);
/* rls_note_pair() against another estimate's solution (the epoch's fit),
 * forgetting f per pair. */
void	rls_note_pair_fit(struct rls *, const struct rls *fit, double f,
	    const double *x0, double y0, const double *x1, double y1);
/* Every sum times factor (0 < factor < 1; else no change). */
void	rls_decay(struct rls *, double factor);
/* dst's sums become those of src[0..n) (NULL entries skipped), added in
 * that order, then dst is solved; 0, or -1 when the solve failed (the
 * previous solution stays). */
int	rls_merge(struct rls *dst, const struct rls *const *src, int n);
/* Solves from the sums (after rls_load()); 0 or -1 as rls_merge(). */
int	rls_refit(struct rls *);
/* Checkpoint bytes (serial.h) of the sums; a loader validates all it
 * reads and returns 0, or -1 with the reader failed. */
void	rls_save(const struct rls *, struct wbuf *);
int	rls_load(struct rls *, struct rbuf *);

/* hazard.c: piecewise-exponential proportional hazards fitted from running
 * moments (see the file comment); theta = [log lambda0_1..HAZARD_BANDS (per
 * year, at the pooled mean covariates), b_1..dim (per standard deviation)]. */
#define HAZARD_P_MAX (HAZARD_BANDS + FEATURES_MAX)

/* Band edges in days of tenure; the last band is open. */
extern const double hazard_band_edge_days[HAZARD_BANDS];
int	hazard_band(double tenure_days);	/* 0..HAZARD_BANDS-1 */
/* Prior shared by the online fit and the tests' batch fit
 * (tests/unit/hazard_batch.h): the coefficients' is the online fit's;
 * the baselines' (log 0.1 a year, variance 4, each band on its own) is
 * the batch fit's only, the online baselines' prior is their neighbour's
 * rate (baseline.c). */
double	hazard_prior_mean(int j);
double	hazard_prior_var(int j, double l2);

/* baseline.c: the band baselines from each band's exits d[k] and its
 * exposure at the band's mean multiplier we[k] = W_k E_k: log rates per
 * year into logbase[], the variances of their logs into var[]. */
void	hazard_baselines(const double *d, const double *we, double *logbase,
	    double *var);

struct hazard;
/* new; NULL on ENOMEM. Memory for FEATURES_MAX covariates is taken here,
 * so growing the dimension later never allocates. */
struct hazard	*hazard_new(int dim, double l2, double forgetting);
void		 hazard_free(struct hazard *);	/* NULL is a no-op */
void		 hazard_set_config(struct hazard *, double l2, double forgetting);
int		 hazard_dim(const struct hazard *);
/* Grows to dim covariates (b = 0, no moments yet). Returns 0, -1 when
 * dim > FEATURES_MAX. Never shrinks. */
int		 hazard_grow(struct hazard *, int dim);
/* Adds one piece; x has hazard_dim() raw (unstandardised) finite values.
 * Re-solves after an exit and every few hundred pieces. Returns 0, or -1
 * when the piece is invalid (nothing changed). */
int		 hazard_update(struct hazard *, int band, double dt_years, int d,
		    const double *x);
/* Solves for b and the baselines now when force, or when due. Returns 0,
 * -1 when the solve failed (the previous solution stays). */
int		 hazard_refresh(struct hazard *, int force);
double		 hazard_log_baseline(const struct hazard *, int band);
/* Holds b_j at 0 (a reference level) when fixed, from the next solve on. */
void		 hazard_set_fixed(struct hazard *, int j, int fixed);
/* Share of covariate j's posterior precision that comes from the data,
 * 1 - l2 Var(b_j), in 0..1 (0: the prior alone, or fixed / no spread). */
double		 hazard_data_share(const struct hazard *, int j);
/* x' Cov(b) x for a vector x in z units over the first n covariates: the
 * variance of a linear predictor (for the alert policy's confidence). */
double		 hazard_lp_variance(const struct hazard *, const double *z, int n);
/* Standardised value of raw x for covariate j (0 when it has no spread). */
double		 hazard_z(const struct hazard *, int j, double x);
/* Pooled exposure-weighted mean and sd of covariate j (NaN if none). */
void		 hazard_standardiser(const struct hazard *, int j, double *mean,
		    double *sd);
/* b . z(x) over the first n covariates (n <= hazard_dim()), x raw. */
double		 hazard_linear(const struct hazard *, const double *x, int n);
double		 hazard_coef(const struct hazard *, int j);	/* b_j per SD */
/* Variance of the log baseline of band, from the band's exits and its
 * prior (baseline.c: 1 / (D_k + a) and the share of its neighbour's). With gamma^2 hazard_lp_variance() of the covariates, the
 * log hazard's variance the alert policy reads (pipeline/decide.c; their
 * covariance is left out). */
double		 hazard_band_var(const struct hazard *, int band);
/* Heuristic shrinkage gamma of the linear predictor, 0..1 (hazard.c):
 * scores take gamma * b . z. */
double		 hazard_shrinkage(const struct hazard *);
/* The solution as the scoring path reads it, once per score instead of
 * a call per covariate (score.c, horizon.c): pointers into the hazard,
 * valid until its next solve, grow or load. hazard_view_z() is
 * hazard_z() on it. */
struct hazard_view {
	int		 dim;
	const double	*b, *mu, *sd, *logbase;		/* b per SD; log per year */
	const int	*active;
	double		 shrink;
};
void		 hazard_view(const struct hazard *, struct hazard_view *);
static inline double
hazard_view_z(const struct hazard_view *v, int j, double x)
{
	if (j < 0 || j >= v->dim || !v->active[j] || !isfinite(x))
		return 0;
	return (x - v->mu[j]) / v->sd[j];
}
/* theta[HAZARD_BANDS + dim] and its standard errors (may be NULL), as of
 * the last solve. */
void		 hazard_theta(const struct hazard *, double *theta, double *se);
long		 hazard_exits(const struct hazard *);
double		 hazard_exposure_years(const struct hazard *);
uint64_t	 hazard_digest(const struct hazard *, uint64_t d);	/* see STATE_DIGEST */
/* A shard's side (model.c): hazard_update() without forgetting and
 * without a solve. */
/* n censored pieces (d = 0) of one band at once, row r of x at
 * x[r * stride], dt_years[r]: what n hazard_accumulate() calls add, summed
 * in another order (hazard.c). Invalid rows are skipped; -1 when n is
 * over HAZARD_BATCH_MAX. */
#define HAZARD_BATCH_MAX	64
int		 hazard_accumulate_batch(struct hazard *, int band, int n,
		    const double *dt_years, const double *x, int stride);
int		 hazard_accumulate(struct hazard *, int band, double dt_years, int d,
		    const double *x);
/* Every sum times factor (0 < factor < 1; else no change). */
void		 hazard_decay(struct hazard *, double factor);
/* dst's moments become those of src[0..n) (NULL entries skipped), merged
 * in that order (Chan's pairwise formulas), dst's covariate i being each
 * source's covariate perm[i], i < dim. Call hazard_refresh(dst, 1) next. */
void		 hazard_merge(struct hazard *dst, const struct hazard *const *src,
		    int n, const int *perm, int dim);
/* dst's moments become src's, src's covariate i as dst's map[i] (none
 * when -1; map distinct, < FEATURES_MAX): the same values, moved. */
void		 hazard_remap(struct hazard *dst, const struct hazard *src,
		    const int *map);
/* The moments and counters as checkpoint bytes; load grows the dimension
 * (never below the current one). 0, or -1 with the reader failed. */
void		 hazard_save(const struct hazard *, struct wbuf *);
int		 hazard_load(struct hazard *, struct rbuf *);

/* quality.c: prequential concordance, calibration, alert precision/recall
 * and impact ratios; only anonymous aggregates. */
#define QUALITY_RISK_BINS 65536		/* resolution of the risk histogram */
#define QUALITY_LEVELS 256		/* protected level ids + 1 */

struct quality;
struct quality	*quality_new(void);		/* new; NULL on ENOMEM */
void		 quality_free(struct quality *);
/* The histogram of current risks of active employees: insert NaN-free
 * risks in 0..1; old < 0 means "was not in", new < 0 "leaves". */
void		 quality_update_risk(struct quality *, double old_risk, double new_risk);
long		 quality_active(const struct quality *);
/* A voluntary leaver with risk r (already taken out of the histogram):
 * compares r with every active employee. */
void		 quality_exit(struct quality *, double leaver_risk);
/* Decile 0..9 of risk among the active employees (mid-rank). */
int		 quality_decile(const struct quality *, double risk);
/* A resolved calibration snapshot: predicted risk, outcome 0/1. */
void		 quality_calibration(struct quality *, int decile, double predicted,
		    int outcome);
void		 quality_alert_outcome(struct quality *, int exited_in_horizon);
void		 quality_exit_alerted(struct quality *, int had_alert);
/* Adds dn employees and dalerted alerted employees to group (k, level). */
void		 quality_group(struct quality *, int k, int level, long dn, long dalerted);
void		 quality_estimate(const struct quality *, const struct features *,
		    struct quality_estimate *);
uint64_t	 quality_digest(const struct quality *, uint64_t d);	/* see STATE_DIGEST */
/* dst's counts (not its histogram) become the sum of src[0..n)'s, in that
 * order (NULL entries skipped). */
void		 quality_sum(struct quality *dst, const struct quality *const *src,
		    int n);
/* The fairness counts moved from the protected ids of another registry
 * to the live one's (idmap.h); 0, or -1 on ENOMEM (nothing changed). */
struct idmap;
int		 quality_remap(struct quality *, const struct idmap *);
/* Checkpoint bytes of the histogram and counts; load into an empty one.
 * 0, or -1 with the reader failed. */
void		 quality_save(const struct quality *, struct wbuf *);
int		 quality_load(struct quality *, struct rbuf *);

/* pay.c: mergeable pay histograms per (department, job level). */
#define PAY_DEPT_MAX	DEPARTMENTS_MAX
#define PAY_LEVELS	16	/* job levels 1..15 */
#define PAY_CELLS	(PAY_DEPT_MAX * PAY_LEVELS)
#define PAY_MIN_SAMPLES	5	/* fewer: the median is unknown */

struct pay;
struct pay	*pay_new(void);			/* new; NULL on ENOMEM */
void		 pay_free(struct pay *);	/* NULL is a no-op */
int		 pay_cell_index(int dept, int job_level);	/* -1 out of range */
/* One salary of (dept, job_level); ignored (0) when the key is out of
 * range or the salary not positive; -1 on ENOMEM (nothing counted). */
int		 pay_note(struct pay *, int dept, int job_level, double salary);
/* Medians of the summed histograms of src[0..n) into f, for the cells any
 * of them changed since the last call. */
void		 pay_publish(struct pay *const *src, int n, struct features *f);
/* Every cell in use counts as changed: the next pay_publish() writes all
 * their medians (for a registry that lacks the ones published before). */
void		 pay_touch_all(struct pay *);
uint64_t	 pay_digest(const struct pay *, uint64_t d);	/* see STATE_DIGEST */
/* src's cells move to dst (empty), each from another registry's
 * department id to the live one's (idmap.h); a cell that maps to none
 * stays in src. */
void		 pay_remap(struct pay *dst, struct pay *src, const struct idmap *);
/* Checkpoint bytes of the cells in use; load into an empty one. 0, or -1
 * with the reader failed. */
void		 pay_save(const struct pay *, struct wbuf *);
int		 pay_load(struct pay *, struct rbuf *);

/* Left truncation detected from the data (model.c, "Left truncation"). */
struct truncation {
	int64_t	first_exit_ms;	/* earliest exit seen, 0 none */
	double	pre_hires;	/* hires applied before it */
	double	pre_hire_days;	/* the sum of their hire times, days */
	int	truncated;	/* decided at the first exit: delayed entry */
};

/* truncation.c. A shard notes its hires and exits; at a boundary the fit
 * is reset (truncation_reset_merge()), merges each shard's record in shard
 * order (earliest exit, summed hires), then truncation_merge(fit, NULL)
 * decides once (truncated -1 until then; a fit starts at -1). */
void	truncation_note_hire(struct truncation *, int64_t hire_ms);
void	truncation_note_exit(struct truncation *, int64_t t_ms);
void	truncation_reset_merge(struct truncation *fit);
void	truncation_merge(struct truncation *fit, const struct truncation *shard);
/* Earliest time exposure counts from: override_ms when set, INT64_MAX
 * before any exit is known, INT64_MIN when there is no truncation. */
int64_t	truncation_floor(const struct truncation *fit,
	    const struct truncation *shard, int64_t override_ms);
void	truncation_save(const struct truncation *, struct wbuf *);
int	truncation_load(struct truncation *, struct rbuf *);
uint64_t truncation_digest(const struct truncation *, uint64_t d);

/* persist.c: how long survey answers hold (file comment there). */

struct persist {
	double	n[PERSIST_COVARIATES];		/* pairs of consecutive surveys */
	double	gap_days[PERSIST_COVARIATES];	/* summed gaps */
	double	xx[PERSIST_COVARIATES], xy[PERSIST_COVARIATES];	/* d_prev^2, d_prev d_new */
};

/* One pair of consecutive answers (prev, now, gap_days apart), deviations
 * from mean; non-finite values are skipped. */
void	persist_pair(struct persist *, const double *mean, const double *prev,
	    const double *now, double gap_days);
void	persist_decay(struct persist *, double factor);	/* 0 < factor < 1 */
void	persist_add(struct persist *dst, const struct persist *src);
/* f[PERSIST_COVARIATES]: mean weight of today's deviation over the horizon. */
void	persist_factors(const struct persist *, double horizon_days, double *f);
void	persist_save(const struct persist *, struct wbuf *);
int	persist_load(struct persist *, struct rbuf *);
uint64_t persist_digest(const struct persist *, uint64_t d);

/* The scoring model of one epoch, shared by every shard's struct model
 * (fit.c makes it at each boundary from the shards' statistics; see the
 * design note there). */
struct model_fit {
	struct model_config	 cfg;
	long			 epoch;		/* -1 before the first boundary */
	int			 dim;		/* registry covariates in the fit */
	int			 perm[FEATURES_MAX];	/* fit position -> registry index */
	int			 pos[FEATURES_MAX];	/* registry index -> fit position */
	/* per fit position: a one-hot level (drivers relative to the
	 * reference), and the attribute's reference level (b held at 0) */
	int			 onehot[FEATURES_MAX], reference[FEATURES_MAX];
	struct rls		 sat, abil;	/* merged sums, solved */
	struct hazard		*hz;		/* merged moments in fit order, solved */
	/* imputation means, merged, registry order */
	double			 std_w[FEATURES_MAX];
	double			 std_mean[FEATURES_MAX];
	double			 std_m2[FEATURES_MAX];
	struct quality		*q;		/* counts summed over the shards */
	struct truncation	 trunc;		/* merged over the shards (model.c) */
	struct persist		 pers;		/* merged survey persistence */
	double			 pers_f[PERSIST_COVARIATES];	/* its factors */
	struct model_estimates	 est;		/* as published for the epoch */
	/* joined (model_join_epoch()): the registry lacks the group's pay
	 * medians, so the next boundary publishes every cell, not only the
	 * changed ones */
	int			 pay_all;
};

/* One shard's statistics (its contribution to the next boundary) and the
 * fit it scores with. The base model (model_new()) owns the fit; the
 * shards (model_new_shard()) borrow it. */
struct model {
	struct features		*feat;
	struct model_fit	*fit;
	int			 owns_fit;
	struct rls		 sat, abil;	/* sums only, never solved here */
	struct hazard		*hz;		/* moments only, registry order */
	struct quality		*q;		/* risk histogram and counts */
	struct pay		*pay;
	/* imputation means, Welford per covariate (m2 unused but kept) */
	double			 std_w[FEATURES_MAX];
	double			 std_mean[FEATURES_MAX];
	double			 std_m2[FEATURES_MAX];
	double			 x[FEATURES_MAX], z[FEATURES_MAX];	/* scratch */
	struct score_work	 sw;	/* of the last model_score_risk() */
	const struct score_plan	*plan;	/* during model_score_risk_batch() */
	uint64_t		 clocks;	/* bit i: features_is_clock(i) */
	/* exp() of the fit's log baselines as of rate_log (score.c) */
	double			 rate_log[HAZARD_BANDS], rate[HAZARD_BANDS];
	int			 rate_ok;
	long			 alerts_fired, alerts_cleared;
	struct truncation	 trunc;		/* this shard's (model.c) */
	struct persist		 pers;		/* this shard's survey pairs */
};

/* contrib.c: model_shard_load(), the hazard's dimension checked against
 * the fit's when fit_dim (a checkpoint: the epoch state came first), else
 * against the registry's (contrib_image.c: the shard of a scratch model
 * whose registry the image carried). */
int		 model_stats_load(struct model *, struct rbuf *, int fit_dim,
		    char *errbuf, size_t errlen);

/* fit.c */
struct model_fit *model_fit_new(const struct model_config *, struct features *);
void		 model_fit_free(struct model_fit *);
/* After the covariate order is loaded (model_epoch_load()): the
 * reference levels it implies, as model_advance() sets them. */
void		 model_fit_load_order(struct model_fit *, const struct features *);
/* f->est from the fit as it stands. */
void		 model_fit_estimates(struct model_fit *, const struct features *);
/* The fit's flags in the epoch state (model_epoch_save(), after SHARD_MAGIC + 2): one
 * byte, bit 0 pay_all (set between a join and the next boundary, whose
 * publication it widens, so a restart in between must keep it). Load: 0,
 * or -1 for a truncated or unknown byte. */
void		 model_fit_flags_save(const struct model_fit *, struct wbuf *);
int		 model_fit_flags_load(struct model_fit *, struct rbuf *);

/* features.c: the registry's checkpoint bytes (attribute features,
 * levels, protected names and levels, departments, the epoch's pay
 * medians), so that ids in shards' statistics keep their meaning. Load
 * into an empty registry; 0, or -1 with the reader failed. */
void		 features_save(const struct features *, struct wbuf *);
int		 features_load(struct features *, struct rbuf *);
/* The attribute whose one-hot level covariate i is (an id its levels
 * share), -1 for a built-in or numeric covariate. */
int		 features_onehot_group(const struct features *, int i);
/* 1 if covariate i (registry index) is a clock: months since an event. */
int		 features_is_clock(int i);
/* Interning a name another registry carries (idmap.c): the covariate
 * index of attribute name at level (NULL: numeric), registered while
 * there is room, or -1 (no room, a protected or built-in name, the
 * attribute has the other type here); and the 1-based level of protected
 * name canon (its canonical name) at level, *k its index here (-1: no
 * room), 0 when there is no room for the level. */
int		 features_intern_attr(struct features *, const char *name,
		    const char *level);
int		 features_intern_protected(struct features *, const char *canon,
		    const char *level, int *k);
/* Departments by id (name borrowed; NULL for an unknown id). */
int		 features_department_count(const struct features *);
const char	*features_department_name(const struct features *, int id);

#endif
