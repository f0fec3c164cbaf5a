/*
 * model_internal.h: the estimators behind state/model.c, one section per
 * file, and model.c's steps inside state_apply(). Private to state/ (and
 * its unit tests); callers use model.h.
 */
#ifndef RETENTIOND_MODEL_INTERNAL_H
#define RETENTIOND_MODEL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* A digest of one field or array v (its bytes), continuing from d; the
 * *_digest() functions below let the tests see whether any statistic
 * moved (state_apply() of a refused event must move none). */
#define STATE_DIGEST(d, v) table_hash_bytes((d), &(v), sizeof(v))

/* model.c: the model's halves of state_apply() (apply.c), which calls
 * them only for an event that passed every check, in this order around
 * the change of the record. prev carries the person's previous RLS
 * observation (taken before the record changes) to the update after. */
struct model_prev {
	double	x[3], y;
	int	ok;
};

struct features	*model_features(const struct model *);	/* borrowed */
/* Closes e's exposure interval up to ev with e's covariates before ev
 * (see model.c), and fills *prev. */
void		 model_pre_apply(struct model *, struct employee *,
		    const struct hr_event *, struct model_prev *prev);
/* After e holds ev: RLS updates, quality at an exit, imputation means. */
void		 model_post_apply(struct model *, struct employee *,
		    const struct hr_event *, const struct model_prev *prev);
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

/* hazard.c: piecewise-exponential proportional hazards fitted from running
 * moments (see the file comment); theta = [log lambda0_1..HAZARD_BANDS (per
 * year, at the pooled mean covariates), b_1..dim (per standard deviation)]. */
#define HAZARD_P_MAX (HAZARD_BANDS + FEATURES_MAX)

/* Band edges in days of tenure; the last band is open. */
extern const double hazard_band_edge_days[HAZARD_BANDS];
int	hazard_band(double tenure_days);	/* 0..HAZARD_BANDS-1 */
/* Prior shared by the online fit and the tests' batch fit
 * (tests/unit/hazard_batch.h). */
double	hazard_prior_mean(int j);
double	hazard_prior_var(int j, double l2);

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
/* Standardised value of raw x for covariate j (0 when it has no spread). */
double		 hazard_z(const struct hazard *, int j, double x);
/* Pooled exposure-weighted mean and sd of covariate j (NaN if none). */
void		 hazard_standardiser(const struct hazard *, int j, double *mean,
		    double *sd);
/* b . z(x) over the first n covariates (n <= hazard_dim()), x raw. */
double		 hazard_linear(const struct hazard *, const double *x, int n);
double		 hazard_coef(const struct hazard *, int j);	/* b_j per SD */
/* theta[HAZARD_BANDS + dim] and its standard errors (may be NULL), as of
 * the last solve. */
void		 hazard_theta(const struct hazard *, double *theta, double *se);
long		 hazard_exits(const struct hazard *);
double		 hazard_exposure_years(const struct hazard *);
uint64_t	 hazard_digest(const struct hazard *, uint64_t d);	/* see STATE_DIGEST */

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

#endif
