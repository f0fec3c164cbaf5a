/*
 * model.h: the online estimators (MODEL.md) behind one facade.
 *
 *   satisfaction = s0 + alpha * u + care * c     RLS with forgetting (rls.c)
 *   ability      = a0 + gamma * v                RLS with forgetting (rls.c)
 *   hazard(t|x)  = lambda0(band(t)) * exp(b . z) piecewise-exponential PH,
 *                                                 running moments (hazard.c)
 *   z = standardised x (features.c gives x; model.c standardises online)
 *
 * One call per event: state_apply() (apply.c) checks the event against
 * the record and then changes the record and the model's statistics
 * together, or, when it refuses the event, changes nothing; state_erase()
 * is the same for an erasure. Between events the pipeline calls
 * model_score() whenever it needs a risk. The facade owns quality.c too.
 * GSL lives in this layer only.
 */
#ifndef RETENTIOND_MODEL_H
#define RETENTIOND_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

#define HAZARD_BANDS      5	/* 0-3 m, 3-12 m, 1-2 y, 2-5 y, 5 y+ */
#define DRIVERS_MAX       5
#define CALIBRATION_BINS  10
#define IMPACT_MIN_GROUP  30	/* smaller groups are reported, never flagged */

#define MODEL_SHARDS_MAX  4096	/* shards merged into one fit */

struct model_config {
	double	forgetting_rls;		/* 0 < f <= 1, per epoch */
	double	forgetting_hazard;	/* 0 < f <= 1, per epoch */
	double	l2;			/* ridge on hazard coefficients */
	int	horizon_days;		/* risk horizon H */
	double	alert_threshold;	/* for alert precision/recall bookkeeping */
	/* Left truncation: no exposure (and no exit) counts before this event
	 * time, ms since the epoch; 0 = from each hire. For histories that
	 * were backfilled when only recent exits are known. */
	int64_t	observation_start_ms;
};

struct driver {
	const char	*feature;	/* borrowed from struct features */
	double		 contribution;	/* to the log hazard */
};

struct score {
	double		risk;			/* P(voluntary exit within horizon), 0..1 */
	double		expected_tenure_days;	/* from hire, total */
	double		eta_se;			/* standard error of the log hazard
						 * (baseline of the band and b . z):
						 * about its relative error */
	int		ndrivers;
	struct driver	drivers[DRIVERS_MAX];	/* largest |contribution| first */
};

struct rls_estimate {
	double	coef[3];	/* satisfaction: s0, alpha, care; ability: a0, gamma */
	double	se[3];
	long	n;
};

struct hazard_estimate {
	double		per_year[HAZARD_BANDS];		/* baseline at mean covariates */
	int		dim;
	const char	*names[FEATURES_MAX];		/* borrowed */
	double		coef[FEATURES_MAX];		/* per standard deviation */
	double		coef_se[FEATURES_MAX];
	double		mean[FEATURES_MAX], sd[FEATURES_MAX];	/* standardiser */
	/* a reference level (coefficient held at 0, not published as one) */
	int		reference[FEATURES_MAX];
	/* share of the coefficient's precision from the data, 0..1 (hazard.c);
	 * below HAZARD_SUFFICIENT_SHARE the estimate is mostly the prior */
	double		data_share[FEATURES_MAX];
	int		ninsufficient;	/* coefficients below that share */
	int		insufficient_data;	/* most coefficients below it */
	double		prior_sd;	/* of every coefficient, per SD: 1/sqrt(l2) */
	long		exits;
	double		exposure_years;
};

#define HAZARD_SUFFICIENT_SHARE 0.5

struct quality_estimate {
	double	concordance;		/* Harrell's C, NaN before 1 exit */
	long	concordance_pairs;
	double	calib_predicted[CALIBRATION_BINS];	/* mean risk per decile */
	double	calib_observed[CALIBRATION_BINS];	/* observed exit rate */
	long	calib_n[CALIBRATION_BINS];
	/* expected calibration error over the resolved snapshots: sum over
	 * deciles of n |predicted - observed| / sum of n; NaN before any */
	double	calibration_error;
	double	alert_precision, alert_recall;		/* NaN when undefined */
	int	ngroups;				/* impact ratios, flattened */
	struct {
		const char	*attribute;		/* borrowed */
		const char	*level;			/* borrowed */
		double		 rate;			/* alerted / employees */
		double		 impact_ratio;		/* rate / reference rate (quality.c) */
		long		 n;
	} groups[64];
};

struct model_estimates {
	struct rls_estimate	satisfaction;
	struct rls_estimate	ability;
	struct hazard_estimate	hazard;
	double			kappa;		/* -b_satisfaction / sd: per point */
	double			kappa_se;
	struct quality_estimate	quality;
};

/* model.c */
/* Process-wide settings of the estimators (GSL's error handler off). Call
 * once at start-up, before any other model call (pipeline_global_init()
 * does). */
void		 model_global_init(void);
struct model;
struct model	*model_new(const struct model_config *, struct features *,
		    char *errbuf, size_t errlen);	/* features: borrowed, outlives */
/* A shard of base: its own statistics, scoring with base's fit and
 * features; base outlives it. New, or NULL with errbuf on ENOMEM. */
struct model	*model_new_shard(struct model *base, char *errbuf, size_t errlen);
void		 model_free(struct model *);
/* Epoch boundary: the fit every shard of base scores with becomes the one
 * made from shards[0..n) (NULL entries skipped: no statistics), merged in
 * that order after forgetting^(epoch - previous epoch), for epoch (> the
 * current one). base may be one of shards. 0, or -1 (nothing changed) on
 * a bad epoch or ENOMEM. See fit.c. */
int		 model_advance(struct model *base, struct model *const *shards, int n,
		    long epoch);
void		 model_set_config(struct model *, const struct model_config *);
/* Scores e at now_ms, stores risk/tenure/scored_ms in e, fills *out (may be NULL). */
void		 model_score(struct model *, struct employee *, int64_t now_ms,
		    struct score *out);
/* model_score() in two steps, for a caller that looks at most scores for
 * their risk alone (an epoch's rescoring, pipeline/rescore.c): the first
 * fills *out but for eta_se (NaN: decide_risk_lower() then takes the
 * model to know nothing) and the drivers (none); the second adds them to
 * the score the first made, and must come before the next score with the
 * same model. Both steps give what model_score() gives, to the bit. */
void		 model_score_risk(struct model *, struct employee *, int64_t now_ms,
		    struct score *out);
void		 model_score_detail(const struct model *, struct score *out);
/* model_score_risk() of e[0..n) in turn at now_ms, into out[0..n): the
 * same bits, with what the score reads of the fit packed once for the
 * batch (a boundary's rescoring of a shard). model_score_detail() then
 * serves out[n - 1] only. */
void		 model_score_risk_batch(struct model *, struct employee *const *e,
		    int n, int64_t now_ms, struct score *out);
/* model_score_detail() of the score s that model_score_risk_batch() made
 * of e at now_ms (the fit unchanged since): what the batch did not keep is
 * made again, to the same bits. */
void		 model_score_detail_at(struct model *, const struct employee *e,
		    int64_t now_ms, struct score *s);
/* Closes e's open exposure interval at now_ms with d = 0, as a score
 * does (censored exposure), without scoring: for a boundary's fit. */
void		 model_accrue(struct model *, struct employee *, int64_t now_ms);
/* model_accrue() for n records at once, the pieces added to the hazard's
 * moments in batches (hazard_accumulate_batch(): the same sums in another
 * order); b is scratch from model_batch_new(), any content. */
struct model_batch;
struct model_batch *model_batch_new(void);
void		 model_batch_free(struct model_batch *);
void		 model_accrue_batch(struct model *, struct model_batch *,
		    struct employee *const *es, int n, int64_t now_ms,
		    double min_days);
/* The variance of e's linear predictor at now_ms under the epoch's
 * coefficient covariance, gamma^2 x' Cov(b) x in the units the risk uses
 * (for an interval of the risk: the log hazard multiplier is within
 * +-1.96 sqrt of it of its estimate, about 95 %). 0 for a provisional or
 * exited record. Touches nothing. */
double		 model_lp_variance(struct model *, const struct employee *,
		    int64_t now_ms);
/* Scores a hypothetical copy without touching the model's statistics. */
void		 model_score_copy(struct model *, const struct employee *,
		    int64_t now_ms, struct score *out);
/* Alert bookkeeping for precision/recall and impact ratios. */
void		 model_note_alert(struct model *, const struct employee *, int firing);
/* The fit's estimates, as made at its boundary (names borrowed). */
void		 model_estimates(struct model *, struct model_estimates *);
/* Checkpoints (state/serial.h bytes; see contrib.c and fit.c). A shard's
 * statistics (its contribution so far), and the epoch state of base: the
 * epoch, its fit and the feature registry the shards' ids refer to. Load
 * into a model fresh from model_new() / model_new_shard(), the epoch state
 * first; a loader validates everything and returns 0, or -1 with errbuf
 * (the model is then unusable: free it). */
struct wbuf;
struct rbuf;
int		 model_shard_save(const struct model *, struct wbuf *);
int		 model_shard_load(struct model *, struct rbuf *, char *errbuf,
		    size_t errlen);
int		 model_epoch_save(const struct model *base, struct wbuf *);
int		 model_epoch_load(struct model *base, struct rbuf *, char *errbuf,
		    size_t errlen);
/* A shard's contribution as an image for another instance: its
 * statistics with the registry their ids refer to (contrib_image.c).
 * Load into a fresh shard of the live base (model_new_shard()): every id
 * is mapped by name into the live registry, which learns the names it
 * lacks. 0, or -1 with errbuf (the shard is then unusable: free it). */
int		 model_contrib_save(const struct model *, struct wbuf *);
int		 model_contrib_load(struct model *, struct rbuf *, char *errbuf,
		    size_t errlen);
/* What a fit's scores depend on, taken before a boundary (horizon.c):
 * model_drift() then bounds |log H' - log H| (H a score's cumulative
 * hazard over the horizon) for every record at the same time under the
 * fit after it; INFINITY when either fit was never solved. */
struct model_drift_coef {
	double	a, mu, sd, mean;
};
struct model_drift {
	long			epoch;
	int			dim;
	double			logbase[HAZARD_BANDS];
	struct model_drift_coef	c[FEATURES_MAX];	/* registry order */
};
void		 model_drift_note(const struct model *, struct model_drift *);
double		 model_drift(const struct model_drift *before, const struct model *);
/* A shard's statistics forgotten by `epochs` boundaries, as model_advance()
 * forgets them at each: for statistics made in an older epoch than the
 * live one (a restored image). No-op for epochs <= 0. */
void		 model_contrib_forget(struct model *, long epochs);
/* The base's fit counts as made at boundary epoch (> its own) without a
 * refit: a pipeline that joins a group at the group's epoch, whose next
 * boundary forgets by the epochs elapsed since then and publishes every
 * pay median, not only the changed ones (the registry lacks those the
 * group published before). -1 when epoch is not later. */
int		 model_join_epoch(struct model *base, long epoch);
/* The fit's epoch (-1 before the first boundary): outputs' model_version. */
long		 model_version(const struct model *);
long		 model_exits(const struct model *);	/* voluntary exits in the fit */

/* apply.c: one event on the record and the model together. Checks ev
 * against e first (every reason to refuse it); returns -1 with the reason
 * in errbuf (caller-owned), e and the model untouched, or 0 once ev has
 * changed e and the model's statistics. hr.employee.erased is not applied
 * here (0, no change): see state_erase(). Never allocates. */
int		 state_apply(struct model *, struct employee *,
		    const struct hr_event *, char *errbuf, size_t errlen);
/* Erasure: takes the record's contribution out of the model, then wipes
 * and removes it from the table. Returns 1 if id had a record, else 0. */
int		 state_erase(struct model *, struct table *, const char *id);

#endif
