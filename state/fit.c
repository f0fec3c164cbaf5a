/*
 * fit.c: the scoring model of an epoch, made at its boundary from every
 * shard's statistics (model_advance()).
 *
 * Design note (DESIGN.md, "The determinism rule: event-time epochs").
 * Each shard (struct model from model_new_shard()) accumulates only its
 * own contribution: hazard moments, RLS sums, imputation moments, pay
 * histograms, quality counts. Nothing a shard does changes what another
 * scores with. At boundary k the pipeline, once every partition's
 * contribution to k is final, calls model_advance(): the shards' sums are
 * forgotten by forgetting^(epochs elapsed), then merged in shard
 * (partition) order, so the floating-point sums are the same to the bit
 * whatever the interleaving of partitions was, and solved once. Scoring
 * within the epoch uses that fit only (struct model_fit), and every
 * output carries its epoch as model_version.
 *
 * Covariates. The fit takes the registry's covariates as of the boundary:
 * the built-ins in their fixed order, then attribute features sorted by
 * name (the registry interns them in arrival order, which depends on the
 * interleaving). perm[] maps a fit position to a registry index, pos[] the
 * other way; the solve, the scores' sums and the published estimates run
 * in fit order. A covariate registered during epoch k enters every
 * shard's statistics from boundary k + 1 on (model.c's model_dim()).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"

/* new; NULL on ENOMEM. */
struct model_fit *
model_fit_new(const struct model_config *cfg, struct features *feat)
{
	struct model_fit *f;
	int j;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->cfg = *cfg;
	f->epoch = -1;
	f->trunc.truncated = -1;	/* undecided */
	for (j = 0; j < PERSIST_COVARIATES; j++)
		f->pers_f[j] = 1;
	f->dim = features_dim(feat) < FEATURES_MAX ? features_dim(feat) : FEATURES_MAX;
	for (j = 0; j < FEATURES_MAX; j++)
		f->perm[j] = f->pos[j] = j;
	rls_init(&f->sat, 3, 1);
	rls_init(&f->abil, 2, 1);
	f->hz = hazard_new(f->dim, cfg->l2, 1);
	f->q = quality_new();
	if (f->hz == NULL || f->q == NULL) {
		model_fit_free(f);
		return NULL;
	}
	return f;
}

/* NULL is a no-op. */
void
model_fit_free(struct model_fit *f)
{
	if (f == NULL)
		return;
	hazard_free(f->hz);
	quality_free(f->q);
	free(f);
}

/* perm and pos for the registry's first dim covariates: built-ins, then
 * attributes by name (insertion sort: a few dozen at most). */
static void
fit_order(struct model_fit *f, const struct features *feat, int dim)
{
	int nb = features_builtin_dim(), i, j, t;

	for (i = 0; i < dim; i++)
		f->perm[i] = i;
	for (i = nb + 1; i < dim; i++) {
		t = f->perm[i];
		for (j = i; j > nb && strcmp(features_name(feat, f->perm[j - 1]),
		    features_name(feat, t)) > 0; j--)
			f->perm[j] = f->perm[j - 1];
		f->perm[j] = t;
	}
	for (i = 0; i < dim; i++)
		f->pos[f->perm[i]] = i;
}

/* Reference levels: each categorical attribute's one-hot levels are
 * contiguous in fit order (sorted "name=level"), and the first of them,
 * the level whose name sorts first, is the reference: its coefficient is
 * held at 0, so the others are log hazard ratios against it and two
 * levels of one attribute are never both drivers. By name, not by
 * frequency, so the reference never flips as counts move. */
static void
fit_references(struct model_fit *f, const struct features *feat, int dim)
{
	int i, g, prev = -1;

	for (i = 0; i < FEATURES_MAX; i++) {
		g = i < dim ? features_onehot_group(feat, f->perm[i]) : -1;
		f->onehot[i] = g >= 0;
		f->reference[i] = g >= 0 && g != prev;
		prev = g;
		hazard_set_fixed(f->hz, i, f->reference[i]);
	}
}

/* The imputation moments of the shards, merged in order (Chan). */
static void
fit_std(struct model_fit *f, struct model *const *shards, int n, int dim)
{
	double wa, wb, w, d;
	int s, j;

	memset(f->std_w, 0, sizeof(f->std_w));
	memset(f->std_mean, 0, sizeof(f->std_mean));
	memset(f->std_m2, 0, sizeof(f->std_m2));
	for (s = 0; s < n; s++) {
		if (shards[s] == NULL)
			continue;
		for (j = 0; j < dim; j++) {
			wa = f->std_w[j];
			wb = shards[s]->std_w[j];
			if (!(wb > 0))
				continue;
			w = wa + wb;
			d = shards[s]->std_mean[j] - f->std_mean[j];
			f->std_mean[j] += d * wb / w;
			f->std_m2[j] += shards[s]->std_m2[j] + d * d * wa * wb / w;
			f->std_w[j] = w;
		}
	}
}

/* See model_internal.h: the estimates of the fit, in fit order; names
 * borrowed from feat. */
void
model_fit_estimates(struct model_fit *f, const struct features *feat)
{
	struct model_estimates *out = &f->est;
	double theta[HAZARD_P_MAX], se[HAZARD_P_MAX], sd, mean;
	const char *name;
	int i, k, nactive = 0;

	memset(out, 0, sizeof(*out));
	rls_estimate(&f->sat, out->satisfaction.coef, out->satisfaction.se);
	out->satisfaction.n = f->sat.n;
	rls_estimate(&f->abil, out->ability.coef, out->ability.se);
	out->ability.coef[2] = out->ability.se[2] = NAN;
	out->ability.n = f->abil.n;
	hazard_theta(f->hz, theta, se);
	for (k = 0; k < HAZARD_BANDS; k++)
		out->hazard.per_year[k] = exp(theta[k]);
	out->hazard.dim = f->dim;
	out->kappa = out->kappa_se = NAN;
	for (i = 0; i < f->dim; i++) {
		name = features_name(feat, f->perm[i]);
		hazard_standardiser(f->hz, i, &mean, &sd);
		out->hazard.names[i] = name;
		out->hazard.coef[i] = theta[HAZARD_BANDS + i];
		out->hazard.coef_se[i] = se[HAZARD_BANDS + i];
		out->hazard.mean[i] = mean;
		out->hazard.sd[i] = sd;
		out->hazard.reference[i] = f->reference[i];
		out->hazard.data_share[i] = hazard_data_share(f->hz, i);
		if (!f->reference[i] && sd > 0) {
			nactive++;
			if (out->hazard.data_share[i] < HAZARD_SUFFICIENT_SHARE)
				out->hazard.ninsufficient++;
		}
		if (name != NULL && strcmp(name, "satisfaction") == 0 && sd > 0) {
			/* E[T] ~ exp(-b . z): per raw point, undo the scaling */
			out->kappa = -theta[HAZARD_BANDS + i] / sd;
			out->kappa_se = se[HAZARD_BANDS + i] / sd;
		}
	}
	out->hazard.insufficient_data = nactive == 0 ||
	    2 * out->hazard.ninsufficient > nactive;
	out->hazard.prior_sd = sqrt(hazard_prior_var(HAZARD_BANDS, f->cfg.l2));
	out->hazard.exits = hazard_exits(f->hz);
	out->hazard.exposure_years = hazard_exposure_years(f->hz);
	quality_estimate(f->q, feat, &out->quality);
}

/* The survey persistence factors of the fit's merged pairs. */
static void
fit_persist(struct model_fit *f)
{
	persist_factors(&f->pers, f->cfg.horizon_days > 0 ? f->cfg.horizon_days : 180,
	    f->pers_f);
}

/* See model_internal.h. */
void
model_fit_load_order(struct model_fit *f, const struct features *feat)
{
	fit_references(f, feat, f->dim);
	fit_persist(f);
}

/* Pointer lists of one kind of statistic over the shards. */
struct fit_srcs {
	const struct hazard	*hz[MODEL_SHARDS_MAX];
	const struct rls	*sat[MODEL_SHARDS_MAX], *abil[MODEL_SHARDS_MAX];
	const struct quality	*q[MODEL_SHARDS_MAX];
	struct pay		*pay[MODEL_SHARDS_MAX];
};

/* See model.h. */
int
model_advance(struct model *base, struct model *const *shards, int n, long epoch)
{
	struct model_fit *f = base->fit;
	struct fit_srcs *src;
	long elapsed = f->epoch >= 0 ? epoch - f->epoch : 0;
	double frls = pow(f->cfg.forgetting_rls, (double)elapsed);
	double fhz = pow(f->cfg.forgetting_hazard, (double)elapsed);
	int dim = features_dim(base->feat), s;

	if (epoch <= f->epoch || n < 0 || n > MODEL_SHARDS_MAX)
		return -1;
	if ((src = calloc(1, sizeof(*src))) == NULL)
		return -1;
	if (dim > FEATURES_MAX)
		dim = FEATURES_MAX;
	for (s = 0; s < n; s++) {
		struct model *m = shards[s];

		if (m == NULL)
			continue;
		rls_decay(&m->sat, frls);
		rls_decay(&m->abil, frls);
		hazard_decay(m->hz, fhz);
		persist_decay(&m->pers, fhz);
		(void)hazard_grow(m->hz, dim);
		if (f->pay_all)
			pay_touch_all(m->pay);
		src->hz[s] = m->hz;
		src->sat[s] = &m->sat;
		src->abil[s] = &m->abil;
		src->q[s] = m->q;
		src->pay[s] = m->pay;
	}
	truncation_reset_merge(&f->trunc);
	for (s = 0; s < n; s++)
		if (shards[s] != NULL)
			truncation_merge(&f->trunc, &shards[s]->trunc);
	truncation_merge(&f->trunc, NULL);	/* decides at the first exit */
	memset(&f->pers, 0, sizeof(f->pers));
	for (s = 0; s < n; s++)
		if (shards[s] != NULL)
			persist_add(&f->pers, &shards[s]->pers);
	fit_persist(f);
	fit_order(f, base->feat, dim);
	fit_references(f, base->feat, dim);
	hazard_merge(f->hz, src->hz, n, f->perm, dim);
	(void)hazard_refresh(f->hz, 1);		/* failed: the last solution stays */
	(void)rls_merge(&f->sat, src->sat, n);
	(void)rls_merge(&f->abil, src->abil, n);
	fit_std(f, shards, n, dim);
	pay_publish(src->pay, n, base->feat);
	f->pay_all = 0;
	quality_sum(f->q, src->q, n);
	f->dim = dim;
	f->epoch = epoch;
	model_fit_estimates(f, base->feat);
	free(src);
	return 0;
}

/* See model_internal.h. */
void
model_fit_flags_save(const struct model_fit *f, struct wbuf *w)
{
	wbuf_u8(w, f->pay_all ? 1 : 0);
}

/* See model_internal.h. */
int
model_fit_flags_load(struct model_fit *f, struct rbuf *r)
{
	uint8_t flags = rbuf_u8(r);

	if (r->failed || (flags & ~1u) != 0)
		return -1;
	f->pay_all = flags & 1;
	return 0;
}
