/*
 * contrib.c: a shard's statistics as checkpoint bytes (state/serial.h):
 * model_shard_save() and model_shard_load().
 *
 * A shard's statistics are its contribution to the next epoch boundary:
 * RLS sums, hazard moments, imputation moments, the quality histogram and
 * counts, the pay histograms, the alert counters. They are cumulative
 * (forgotten at each boundary), so one image is the contribution at the
 * last boundary plus the delta since; the fit those boundaries made is the
 * epoch state (fit.c, model_epoch_save()), written with the shards at the
 * same moment. Ids inside (covariate slots, departments, protected levels)
 * refer to the feature registry, which the epoch state carries.
 *
 * Layout: "MSH1", then each part in the order below. Every value is
 * checked on load: dimensions and counts against their bounds, sums
 * finite, histograms ascending and in range.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_internal.h"

#define SHARD_MAGIC 0x3148534dU	/* "MSH1" */

static void
std_save(const double *w, const double *mean, const double *m2, struct wbuf *b)
{
	wbuf_u32(b, FEATURES_MAX);
	for (int j = 0; j < FEATURES_MAX; j++) {
		wbuf_f64(b, w[j]);
		wbuf_f64(b, mean[j]);
		wbuf_f64(b, m2[j]);
	}
}

static int
std_load(double *w, double *mean, double *m2, struct rbuf *r)
{
	if (rbuf_u32(r) != FEATURES_MAX)
		return rbuf_fail(r) - 1;
	for (int j = 0; j < FEATURES_MAX && !r->failed; j++) {
		w[j] = rbuf_f64(r);
		mean[j] = rbuf_f64(r);
		m2[j] = rbuf_f64(r);
		if (!(w[j] >= 0) || !isfinite(w[j]) || !isfinite(mean[j]) ||
		    !isfinite(m2[j]))
			rbuf_fail(r);
	}
	return r->failed ? -1 : 0;
}

/* See model.h. */
int
model_shard_save(const struct model *m, struct wbuf *w)
{
	wbuf_u32(w, SHARD_MAGIC);
	rls_save(&m->sat, w);
	rls_save(&m->abil, w);
	hazard_save(m->hz, w);
	std_save(m->std_w, m->std_mean, m->std_m2, w);
	quality_save(m->q, w);
	pay_save(m->pay, w);
	wbuf_i64(w, m->alerts_fired);
	wbuf_i64(w, m->alerts_cleared);
	truncation_save(&m->trunc, w);
	persist_save(&m->pers, w);
	return w->failed ? -1 : 0;
}

/* See model_internal.h. */
int
model_stats_load(struct model *m, struct rbuf *r, int fit_dim, char *errbuf,
    size_t errlen)
{
	const char *what = "header";

	if (rbuf_u32(r) != SHARD_MAGIC)
		goto bad;
	what = "satisfaction sums";
	if (rls_load(&m->sat, r) == -1)
		goto bad;
	what = "ability sums";
	if (rls_load(&m->abil, r) == -1)
		goto bad;
	what = "hazard moments";
	/* at least the fit's dimension in a checkpoint; more after a join
	 * (the adopted statistics have the group's, the fit none yet) */
	if (hazard_load(m->hz, r) == -1 ||
	    (fit_dim && hazard_dim(m->hz) < m->fit->dim) ||
	    hazard_dim(m->hz) > features_dim(m->feat))
		goto bad;
	what = "imputation moments";
	if (std_load(m->std_w, m->std_mean, m->std_m2, r) == -1)
		goto bad;
	what = "quality";
	if (quality_load(m->q, r) == -1)
		goto bad;
	what = "pay histograms";
	if (pay_load(m->pay, r) == -1)
		goto bad;
	what = "alert counters";
	m->alerts_fired = (long)rbuf_i64(r);
	m->alerts_cleared = (long)rbuf_i64(r);
	if (r->failed || m->alerts_fired < 0 || m->alerts_cleared < 0)
		goto bad;
	what = "truncation";
	if (truncation_load(&m->trunc, r) == -1 || persist_load(&m->pers, r) == -1)
		goto bad;
	return 0;
bad:
	snprintf(errbuf, errlen, "shard statistics: bad %s", what);
	return rbuf_fail(r) - 1;
}

/* See model.h. */
int
model_shard_load(struct model *m, struct rbuf *r, char *errbuf, size_t errlen)
{
	return model_stats_load(m, r, 1, errbuf, errlen);
}

/* See model.h: the epoch, the registry, then the fit's merged sums (its
 * solution is made again from them, to the same bits). */
int
model_epoch_save(const struct model *base, struct wbuf *w)
{
	const struct model_fit *f = base->fit;

	wbuf_u32(w, SHARD_MAGIC + 2);	/* then the fit's flags (pay_all) */
	wbuf_i64(w, f->epoch);
	features_save(base->feat, w);
	wbuf_u32(w, (uint32_t)f->dim);
	for (int i = 0; i < f->dim; i++)
		wbuf_u32(w, (uint32_t)f->perm[i]);
	rls_save(&f->sat, w);
	rls_save(&f->abil, w);
	hazard_save(f->hz, w);
	std_save(f->std_w, f->std_mean, f->std_m2, w);
	quality_save(f->q, w);
	truncation_save(&f->trunc, w);
	persist_save(&f->pers, w);
	model_fit_flags_save(f, w);
	return w->failed ? -1 : 0;
}

/* perm[0..dim) must be a permutation of the registry's first dim
 * covariates. */
static int
load_perm(struct model_fit *f, struct rbuf *r, int ndim)
{
	uint32_t dim = rbuf_u32(r);
	int seen[FEATURES_MAX] = { 0 };

	if (r->failed || dim > FEATURES_MAX || (int)dim > ndim || dim < (uint32_t)f->dim)
		return -1;
	for (uint32_t i = 0; i < dim; i++) {
		uint32_t j = rbuf_u32(r);

		if (r->failed || j >= dim || seen[j])
			return -1;
		seen[j] = 1;
		f->perm[i] = (int)j;
		f->pos[j] = (int)i;
	}
	f->dim = (int)dim;
	return 0;
}

/* See model.h. */
int
model_epoch_load(struct model *base, struct rbuf *r, char *errbuf, size_t errlen)
{
	struct model_fit *f = base->fit;
	const char *what = "header";
	int64_t epoch;
	uint32_t magic = rbuf_u32(r);

	/* SHARD_MAGIC + 1: files before the fit's flags, read as none set */
	if ((magic != SHARD_MAGIC + 1 && magic != SHARD_MAGIC + 2) || f->epoch != -1)
		goto bad;
	what = "epoch";
	epoch = rbuf_i64(r);
	if (r->failed || epoch < -1 || epoch > (int64_t)1 << 40)
		goto bad;
	what = "feature registry";
	if (features_load(base->feat, r) == -1)
		goto bad;
	what = "covariate order";
	if (load_perm(f, r, features_dim(base->feat)) == -1)
		goto bad;
	what = "fitted sums";
	if (rls_load(&f->sat, r) == -1 || rls_load(&f->abil, r) == -1 ||
	    hazard_load(f->hz, r) == -1 || hazard_dim(f->hz) != f->dim ||
	    std_load(f->std_w, f->std_mean, f->std_m2, r) == -1)
		goto bad;
	what = "quality";
	if (quality_load(f->q, r) == -1)
		goto bad;
	what = "truncation";
	if (truncation_load(&f->trunc, r) == -1 || persist_load(&f->pers, r) == -1)
		goto bad;
	what = "fit flags";
	if (magic == SHARD_MAGIC + 2 && model_fit_flags_load(f, r) == -1)
		goto bad;
	f->epoch = (long)epoch;
	model_fit_load_order(f, base->feat);
	(void)rls_refit(&f->sat);
	(void)rls_refit(&f->abil);
	(void)hazard_refresh(f->hz, 1);
	model_fit_estimates(f, base->feat);
	return 0;
bad:
	snprintf(errbuf, errlen, "epoch state: bad %s", what);
	return rbuf_fail(r) - 1;
}
