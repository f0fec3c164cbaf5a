/*
 * hazard_io.c: the hazard model's digest (determinism checks) and its
 * image in checkpoints and shared statistics: the moments, the solution
 * and the counters, field by field.
 */

#include "hazard_int.h"
#include "table.h"

/* See model_internal.h: the moments, the solution and the counters, not
 * the solver's scratch (a, g, v). */
uint64_t
hazard_digest(const struct hazard *h, uint64_t d)
{
	d = STATE_DIGEST(d, h->dim);
	d = STATE_DIGEST(d, h->l2);
	d = STATE_DIGEST(d, h->forgetting);
	d = STATE_DIGEST(d, h->w);
	d = STATE_DIGEST(d, h->dk);
	d = STATE_DIGEST(d, h->mean);
	d = table_hash_bytes(d, h->scat, (size_t)HAZARD_BANDS * FM * FM * sizeof(double));
	d = STATE_DIGEST(d, h->gx);
	d = STATE_DIGEST(d, h->b);
	d = STATE_DIGEST(d, h->bse);
	d = STATE_DIGEST(d, h->logbase);
	d = STATE_DIGEST(d, h->basese);
	d = STATE_DIGEST(d, h->basevar);
	d = STATE_DIGEST(d, h->mu);
	d = STATE_DIGEST(d, h->sd);
	d = STATE_DIGEST(d, h->active);
	d = STATE_DIGEST(d, h->fixed);
	d = STATE_DIGEST(d, h->shrink);
	d = table_hash_bytes(d, h->cov, (size_t)FM * FM * sizeof(double));
	d = STATE_DIGEST(d, h->exits);
	d = STATE_DIGEST(d, h->exposure_years);
	d = STATE_DIGEST(d, h->pieces);
	d = STATE_DIGEST(d, h->pending);
	d = STATE_DIGEST(d, h->solved_pieces);
	return STATE_DIGEST(d, h->exit_pending);
}

/* See model_internal.h: the moments and counters (the solution is made
 * again by hazard_refresh()). */
void
hazard_save(const struct hazard *h, struct wbuf *w)
{
	int k, i, j, n = h->dim;

	wbuf_u32(w, (uint32_t)n);
	for (k = 0; k < HAZARD_BANDS; k++) {
		wbuf_f64(w, h->w[k]);
		wbuf_f64(w, h->dk[k]);
		for (i = 0; i < n; i++)
			wbuf_f64(w, h->mean[k][i]);
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				wbuf_f64(w, SC(h, k, i, j));
	}
	for (i = 0; i < n; i++)
		wbuf_f64(w, h->gx[i]);
	wbuf_i64(w, h->exits);
	wbuf_f64(w, h->exposure_years);
	wbuf_i64(w, h->pieces);
}

/* A finite value, or the reader fails. */
static double
finite_f64(struct rbuf *r)
{
	double v = rbuf_f64(r);

	if (!isfinite(v)) {
		rbuf_fail(r);
		return 0;
	}
	return v;
}

/* See model_internal.h. */
int
hazard_load(struct hazard *h, struct rbuf *r)
{
	uint32_t n = rbuf_u32(r);
	int k, i, j;

	if (r->failed || n > FEATURES_MAX || (int)n < h->dim)
		return rbuf_fail(r) - 1;
	(void)hazard_grow(h, (int)n);
	for (k = 0; k < HAZARD_BANDS && !r->failed; k++) {
		h->w[k] = finite_f64(r);
		h->dk[k] = finite_f64(r);
		if (h->w[k] < 0 || h->dk[k] < 0)
			rbuf_fail(r);
		for (i = 0; i < (int)n; i++)
			h->mean[k][i] = finite_f64(r);
		for (i = 0; i < (int)n; i++)
			for (j = 0; j < (int)n; j++)
				SC(h, k, i, j) = finite_f64(r);
	}
	for (i = 0; i < (int)n; i++)
		h->gx[i] = finite_f64(r);
	h->exits = rbuf_i64(r);
	h->exposure_years = finite_f64(r);
	h->pieces = rbuf_i64(r);
	if (h->exits < 0 || h->pieces < 0 || h->exposure_years < 0)
		rbuf_fail(r);
	h->exit_pending = 1;
	return r->failed ? -1 : 0;
}
