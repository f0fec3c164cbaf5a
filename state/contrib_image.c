/*
 * contrib_image.c: a shard's contribution as a self-describing image, for
 * another instance (DESIGN.md, "Scale-out", shared statistics), and such
 * an image loaded into a shard of the live model by name.
 *
 * A shard's statistics (contrib.c: RLS sums, hazard and imputation
 * moments by covariate, pay histograms by department, fairness counts by
 * protected level, the truncation record, persistence sums, quality
 * counts) name covariates, departments and levels by ids of the registry
 * of the process that made them. The image carries that registry
 * (features_save()) before the statistics, so a reader can translate: it
 * loads both into a scratch model of its own, maps the scratch registry's
 * ids into the live one's (idmap.c, interning the names the live registry
 * lacks), and moves every statistic to its mapped place. Moving copies
 * the values, never recomputes them: the fit made from such a shard is
 * the same to the bit as the one made from the shard in the memory of the
 * process that owns it (tests/unit/test_remote.c).
 *
 * Layout: "MCI1", the registry, then model_shard_save()'s bytes.
 *
 * A contribution made in an older epoch than the live one is forgotten
 * the epochs between (model_contrib_forget()), and a pipeline that joins
 * a group at the group's epoch moves its fit's epoch there
 * (model_join_epoch()), so that the next boundary forgets every
 * contribution by the same factor on every instance.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "idmap.h"
#include "model_internal.h"

#define IMAGE_MAGIC 0x3149434dU	/* "MCI1" */

/* See model.h. */
int
model_contrib_save(const struct model *m, struct wbuf *w)
{
	wbuf_u32(w, IMAGE_MAGIC);
	features_save(m->feat, w);
	return model_shard_save(m, w);
}

/* The imputation moments of src by covariate into dst's mapped places. */
static void
move_std(struct model *dst, const struct model *src, const int *fmap)
{
	for (int j = 0; j < FEATURES_MAX; j++) {
		if (fmap[j] < 0)
			continue;
		dst->std_w[fmap[j]] = src->std_w[j];
		dst->std_mean[fmap[j]] = src->std_mean[j];
		dst->std_m2[fmap[j]] = src->std_m2[j];
	}
}

/* src's statistics (ids of src's registry) into dst (fresh, of the live
 * registry) through m; src gives up its quality and pay cells. */
static int
move_stats(struct model *dst, struct model *src, const struct idmap *m)
{
	struct quality *q;
	int fmap[FEATURES_MAX];

	if (quality_remap(src->q, m) == -1)
		return -1;
	for (int j = 0; j < FEATURES_MAX; j++)
		fmap[j] = idmap_feature(m, j);
	dst->sat = src->sat;
	dst->abil = src->abil;
	hazard_remap(dst->hz, src->hz, fmap);
	move_std(dst, src, fmap);
	q = dst->q;
	dst->q = src->q;
	src->q = q;
	pay_remap(dst->pay, src->pay, m);
	dst->alerts_fired = src->alerts_fired;
	dst->alerts_cleared = src->alerts_cleared;
	dst->trunc = src->trunc;
	dst->pers = src->pers;
	return 0;
}

/* See model.h. */
int
model_contrib_load(struct model *dst, struct rbuf *r, char *errbuf, size_t errlen)
{
	struct features_config fc;
	struct features *feat;
	struct model *base = NULL, *src = NULL;
	struct idmap *m = NULL;
	int rc = -1;

	memset(&fc, 0, sizeof(fc));
	fc.max_attr_features = ATTR_FEATURES_MAX;	/* whatever the writer had */
	fc.max_levels = ATTR_FEATURES_MAX;
	if ((feat = features_new(&fc)) == NULL ||
	    (base = model_new(&dst->fit->cfg, feat, errbuf, errlen)) == NULL ||
	    (src = model_new_shard(base, errbuf, errlen)) == NULL)
		goto fail;
	if (rbuf_u32(r) != IMAGE_MAGIC || features_load(feat, r) == -1) {
		snprintf(errbuf, errlen, "contribution: bad %s", r->failed ?
		    "registry" : "header");
		goto fail;
	}
	if (model_stats_load(src, r, 0, errbuf, errlen) == -1 ||
	    (m = idmap_new(feat, dst->feat, errbuf, errlen)) == NULL)
		goto fail;
	if (move_stats(dst, src, m) == -1) {
		snprintf(errbuf, errlen, "contribution: out of memory");
		goto fail;
	}
	rc = 0;
fail:
	idmap_free(m);
	model_free(src);
	model_free(base);
	features_free(feat);
	return rc;
}

/* See model.h: the factors of model_advance() (fit.c). */
void
model_contrib_forget(struct model *m, long epochs)
{
	double frls, fhz;

	if (epochs <= 0)
		return;
	frls = pow(m->fit->cfg.forgetting_rls, (double)epochs);
	fhz = pow(m->fit->cfg.forgetting_hazard, (double)epochs);
	rls_decay(&m->sat, frls);
	rls_decay(&m->abil, frls);
	hazard_decay(m->hz, fhz);
	persist_decay(&m->pers, fhz);
}

/* See model.h. */
int
model_join_epoch(struct model *base, long epoch)
{
	if (epoch <= base->fit->epoch)
		return -1;
	base->fit->epoch = epoch;
	/* the medians the group published before epoch are not in this
	 * registry; a cell unchanged since has the same histograms, so
	 * publishing it again gives the group's median */
	base->fit->pay_all = 1;
	return 0;
}
