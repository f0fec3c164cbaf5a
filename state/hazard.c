/*
 * hazard.c: piecewise-exponential proportional hazards (MODEL.md, relation
 * 3), fitted online from running moments.
 *
 *	lambda(t | x) = lambda0_k * exp(b . z),  k = band(tenure t),
 *	z_j = (x_j - mu_j) / sd_j
 *
 * An exposure piece (band k, dt years, d in {0,1}, raw covariates x) adds
 * d * (log lambda0_k + b . z) - dt * lambda0_k * exp(b . z) to the
 * log-likelihood. Maximising over lambda0_k first (profiling) leaves
 *
 *	l(b) = sum_exits b . z_i - sum_k D_k log sum_{pieces in k} dt exp(b . z)
 *
 * with D_k the exits in band k. Its second-order (cumulant) expansion,
 *
 *	log sum_k dt exp(b . z) ~ log W_k + b . m_k + b' C_k b / 2,
 *
 * needs only the exposure-weighted count W_k, mean m_k and covariance C_k
 * of the covariates in each band, and the sum of z over exits. With the
 * ridge l2 |b|^2 / 2 the maximiser is one linear solve:
 *
 *	(sum_k D_k C_k + l2 I) b = sum_exits z_i - sum_k D_k m_k
 *
 * It is exact when the covariates are Gaussian within a band and close to
 * the exact penalised fit for moderate effects; the unit test compares the
 * two (tests/unit/hazard_batch.h holds the exact fit). Why not a streaming Newton step: the
 * Kalman/Newton update linearises each piece at the estimate of the moment
 * it arrives. When exposure arrives long before the exits (a stream that
 * starts with backfilled staff, or exits that come in bursts) the baseline
 * is driven towards 0 before the first exit, those pieces leave almost no
 * information behind, and the exits that follow move the coefficients
 * without restraint (|b| > 100 per SD was measured). The moments here do
 * not depend on the order of the pieces: the estimate after any stream is
 * the same as after the same pieces in any other order.
 *
 * Per piece the update is a weighted Welford step of the band's mean and
 * scatter (O(dim^2)), with forgetting f per piece applied to every sum.
 * The solve (Cholesky, O(dim^3)) runs after every exit and otherwise
 * every max(256, pieces/16) pieces; hazard_refresh() forces it.
 *
 * Standardisation is exact and lives here: mu and sd are the pooled
 * exposure-weighted mean and standard deviation of the same moments, so
 * no running standardiser drifts under the fit. A covariate without
 * spread gets b = 0. Baseline: lambda0_k = (D_k + a) / (W_k E_k + a / mu_k)
 * with E_k = exp(b . m_k + b' C_k b / 2), a gamma prior of a pseudo-exits
 * centred on the neighbouring band's rate (baseline.c). Standard errors:
 * Cov(b) = (sum_k D_k C_k + l2 I)^-1 and, for log lambda0_k, the
 * baseline's own variance (baseline.c) + v' Cov(b) v with v = m_k + C_k b.
 *
 * Memory for FEATURES_MAX covariates is taken at hazard_new(), so new
 * covariates (attributes registering late) join without allocation; the
 * pieces before they registered count as 0 for them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "model_internal.h"

#define PRIOR_LOG_RATE	(-2.302585092994046)	/* log 0.1 per year */
#define PRIOR_BASE_VAR	4.0
#define ETA_MAX		30.0	/* exp() argument clamp */
#define L2_MIN		1e-4
#define SOLVE_EVERY	256	/* pieces between solves, at least */

/* 0-3 months, 3-12 months, 1-2 years, 2-5 years, 5 years+ */
const double hazard_band_edge_days[HAZARD_BANDS] = {
	0, 3 * DAYS_PER_MONTH, 12 * DAYS_PER_MONTH, 24 * DAYS_PER_MONTH,
	60 * DAYS_PER_MONTH
};

#include "hazard_int.h"

/* Band of a tenure in days (negative counts as 0). */
int
hazard_band(double tenure_days)
{
	int k;

	for (k = HAZARD_BANDS - 1; k > 0; k--)
		if (tenure_days >= hazard_band_edge_days[k])
			return k;
	return 0;
}

/* Prior mean of parameter j (baseline log rates first). */
double
hazard_prior_mean(int j)
{
	return j < HAZARD_BANDS ? PRIOR_LOG_RATE : 0;
}

/* Prior variance of parameter j under ridge l2. */
double
hazard_prior_var(int j, double l2)
{
	if (j < HAZARD_BANDS)
		return PRIOR_BASE_VAR;
	return 1 / (l2 > L2_MIN ? l2 : L2_MIN);
}

/* new; NULL on ENOMEM or a bad dim. */
struct hazard *
hazard_new(int dim, double l2, double forgetting)
{
	struct hazard *h;

	if (dim < 0 || dim > FEATURES_MAX)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->scat = calloc((size_t)HAZARD_BANDS * FM * FM, sizeof(double));
	h->cov = calloc((size_t)FM * FM, sizeof(double));
	h->a = calloc((size_t)FM * FM, sizeof(double));
	if (h->scat == NULL || h->cov == NULL || h->a == NULL) {
		hazard_free(h);
		return NULL;
	}
	hazard_set_config(h, l2, forgetting);
	(void)hazard_grow(h, dim);
	(void)hazard_refresh(h, 1);
	return h;
}

/* NULL is a no-op. */
void
hazard_free(struct hazard *h)
{
	if (h == NULL)
		return;
	free(h->scat);
	free(h->cov);
	free(h->a);
	free(h);
}

/* New ridge and forgetting; the next solve uses them. */
void
hazard_set_config(struct hazard *h, double l2, double forgetting)
{
	h->l2 = l2 > L2_MIN ? l2 : L2_MIN;
	h->forgetting = forgetting > 0 && forgetting <= 1 ? forgetting : 1;
	h->exit_pending = 1;
}

int
hazard_dim(const struct hazard *h)
{
	return h->dim;
}

/* See model_internal.h: new covariates have no moments (count as 0 in
 * the pieces so far) and b = 0 until the next solve. */
int
hazard_grow(struct hazard *h, int dim)
{
	int j;

	if (dim > FEATURES_MAX)
		return -1;
	for (j = h->dim; j < dim; j++) {
		h->b[j] = 0;
		h->bse[j] = sqrt(hazard_prior_var(HAZARD_BANDS + j, h->l2));
		h->mu[j] = 0;
		h->sd[j] = NAN;
		h->active[j] = 0;
	}
	if (dim > h->dim)
		h->dim = dim;
	return 0;
}

/* Every sum (not the means) shrinks by f: forgetting. */
static void
hazard_scale(struct hazard *h, double f)
{
	int k, i, j, n = h->dim;

	for (k = 0; k < HAZARD_BANDS; k++) {
		h->w[k] *= f;
		h->dk[k] *= f;
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				SC(h, k, i, j) *= f;
	}
	for (j = 0; j < n; j++)
		h->gx[j] *= f;
}

/* See model_internal.h. */
void
hazard_decay(struct hazard *h, double factor)
{
	if (factor > 0 && factor < 1)
		hazard_scale(h, factor);
}

/* 1 when hazard_update() and hazard_accumulate() take the piece. */
static int
piece_ok(const struct hazard *h, int band, double dt_years, int d, const double *x)
{
	int j;

	if (band < 0 || band >= HAZARD_BANDS || !(dt_years >= 0) ||
	    !isfinite(dt_years) || (d != 0 && d != 1))
		return 0;
	for (j = 0; j < h->dim; j++)
		if (!isfinite(x[j]))
			return 0;
	return 1;
}

/* The weighted Welford step of a valid piece: no forgetting, no solve.
 * Every score of a stayer that closes an interval comes here (a
 * whole-population rescoring: once per record), so it is also built for
 * AVX2 and picked at load time where the CPU has it: four elements an
 * instruction instead of two, each the same multiply and add (AVX2 does
 * not imply FMA, so nothing is fused), so the same bits. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
static void
add_piece(struct hazard *h, int band, double dt_years, int d, const double *x)
{
	double wn, r, dl[FM];
	int i, j, n = h->dim;

	if (dt_years > 0) {
		wn = h->w[band] + dt_years;
		r = dt_years / wn;
		for (i = 0; i < n; i++) {
			dl[i] = x[i] - h->mean[band][i];
			h->mean[band][i] += dl[i] * r;
		}
		for (i = 0; i < n; i++) {
			double wi = dt_years * (x[i] - h->mean[band][i]);
			double *restrict row = &SC(h, band, i, 0);

			/* four at a time, which the compiler does in one AVX2
			 * or two SSE2 instructions (each element as before: the
			 * same bits); every score of a stayer closes a piece,
			 * so this is the hottest loop */
			for (j = 0; j + 3 < n; j += 4) {
				row[j] += wi * dl[j];
				row[j + 1] += wi * dl[j + 1];
				row[j + 2] += wi * dl[j + 2];
				row[j + 3] += wi * dl[j + 3];
			}
			for (; j < n; j++)
				row[j] += wi * dl[j];
		}
		h->w[band] = wn;
	}
	if (d) {
		h->dk[band] += 1;
		for (j = 0; j < n; j++)
			h->gx[j] += x[j];
		h->exit_pending = 1;
	}
	h->exits += d;
	h->exposure_years += dt_years;
	h->pieces++;
	h->pending++;
}

/* See model_internal.h. */
int
hazard_update(struct hazard *h, int band, double dt_years, int d, const double *x)
{
	if (!piece_ok(h, band, dt_years, d, x))
		return -1;
	if (dt_years == 0 && d == 0)
		return 0;	/* no information */
	if (h->forgetting < 1)
		hazard_scale(h, h->forgetting);
	add_piece(h, band, dt_years, d, x);
	(void)hazard_refresh(h, 0);
	return 0;
}

/* See model_internal.h. */
int
hazard_accumulate(struct hazard *h, int band, double dt_years, int d,
    const double *x)
{
	if (!piece_ok(h, band, dt_years, d, x))
		return -1;
	if (dt_years > 0 || d)
		add_piece(h, band, dt_years, d, x);
	return 0;
}

/* See model_internal.h. The batch's own weight, mean and scatter first
 * (two passes over the rows; the scatter's upper triangle only, since it
 * is symmetric, four rows at a time and columns in pairs, which the
 * compiler does two at a time), then Chan's pairwise step into the band,
 * whose lower triangle is the upper's mirror after it. The sums are in
 * another order than n hazard_accumulate() calls make them, so the bits
 * differ from those; the order is the caller's, a function of the input
 * too. */
int
hazard_accumulate_batch(struct hazard *h, int band, int n, const double *dt_years,
    const double *x, int stride)
{
	double	y[HAZARD_BATCH_MAX][FM], wy[HAZARD_BATCH_MAX][FM];
	double	wb = 0, mb[FM], dl[FM], f, wt[HAZARD_BATCH_MAX];
	int	i, j, r, m = 0, dim = h->dim;

	if (band < 0 || band >= HAZARD_BANDS || n < 0 || n > HAZARD_BATCH_MAX)
		return -1;
	for (r = 0; r < n; r++) {	/* the valid rows, compacted */
		if (!(dt_years[r] > 0) ||
		    !piece_ok(h, band, dt_years[r], 0, &x[(size_t)r * stride]))
			continue;
		memcpy(y[m], &x[(size_t)r * stride], (size_t)dim * sizeof(double));
		wt[m++] = dt_years[r];
	}
	if (m == 0)
		return 0;
	memset(mb, 0, sizeof(mb));
	for (r = 0; r < m; r++) {
		wb += wt[r];
		for (j = 0; j < dim; j++)
			mb[j] += wt[r] * y[r][j];
	}
	for (j = 0; j < dim; j++)
		mb[j] /= wb;
	for (r = 0; r < m; r++)
		for (j = 0; j < dim; j++) {
			y[r][j] -= mb[j];
			wy[r][j] = wt[r] * y[r][j];
		}
	f = h->w[band] * wb / (h->w[band] + wb);
	for (j = 0; j < dim; j++) {
		dl[j] = mb[j] - h->mean[band][j];
		h->mean[band][j] += dl[j] * wb / (h->w[band] + wb);
	}
	for (i = 0; i < dim; i++) {
		double *restrict row = &SC(h, band, i, 0), fd = f * dl[i];

		for (j = i; j < dim; j++)
			row[j] += fd * dl[j];
	}
	for (r = 0; r + 3 < m; r += 4)
		for (i = 0; i < dim; i++) {
			double *restrict row = &SC(h, band, i, 0);
			double a0 = wy[r][i], a1 = wy[r + 1][i], a2 = wy[r + 2][i],
			    a3 = wy[r + 3][i];
			const double *y0 = y[r], *y1 = y[r + 1], *y2 = y[r + 2],
			    *y3 = y[r + 3];

			for (j = i; j + 1 < dim; j += 2) {
				row[j] += a0 * y0[j] + a1 * y1[j] + a2 * y2[j] + a3 * y3[j];
				row[j + 1] += a0 * y0[j + 1] + a1 * y1[j + 1] +
				    a2 * y2[j + 1] + a3 * y3[j + 1];
			}
			if (j < dim)
				row[j] += a0 * y0[j] + a1 * y1[j] + a2 * y2[j] + a3 * y3[j];
		}
	for (; r < m; r++)
		for (i = 0; i < dim; i++) {
			double *restrict row = &SC(h, band, i, 0), a = wy[r][i];

			for (j = i; j < dim; j++)
				row[j] += a * y[r][j];
		}
	for (i = 0; i < dim; i++)	/* the lower triangle from the upper */
		for (j = i + 1; j < dim; j++)
			SC(h, band, j, i) = SC(h, band, i, j);
	h->w[band] += wb;
	h->exposure_years += wb;
	h->pieces += m;
	h->pending += m;
	return 0;
}

/* Chan's pairwise step: band k of src (its covariate perm[i] as i) into
 * dst, whose first n covariates are merged so far. */
static void
merge_band(struct hazard *dst, const struct hazard *src, int k, const int *perm,
    int n)
{
	double wa = dst->w[k], wb = src->w[k], w = wa + wb, dl[FM];
	int i, j;

	if (wb > 0) {
		for (i = 0; i < n; i++) {
			dl[i] = src->mean[k][perm[i]] - dst->mean[k][i];
			dst->mean[k][i] += dl[i] * wb / w;
		}
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				SC(dst, k, i, j) += SC(src, k, perm[i], perm[j]) +
				    dl[i] * dl[j] * wa * wb / w;
		dst->w[k] = w;
	}
	dst->dk[k] += src->dk[k];
}

/* See model_internal.h. */
void
hazard_merge(struct hazard *dst, const struct hazard *const *src, int nsrc,
    const int *perm, int dim)
{
	int s, k, j;

	memset(dst->w, 0, sizeof(dst->w));
	memset(dst->dk, 0, sizeof(dst->dk));
	memset(dst->mean, 0, sizeof(dst->mean));
	memset(dst->scat, 0, (size_t)HAZARD_BANDS * FM * FM * sizeof(double));
	memset(dst->gx, 0, sizeof(dst->gx));
	dst->exits = 0;
	dst->exposure_years = 0;
	dst->pieces = 0;
	if (dim > FM)
		dim = FM;
	(void)hazard_grow(dst, dim);
	for (s = 0; s < nsrc; s++) {
		if (src[s] == NULL)
			continue;
		for (k = 0; k < HAZARD_BANDS; k++)
			merge_band(dst, src[s], k, perm, dim);
		for (j = 0; j < dim; j++)
			dst->gx[j] += src[s]->gx[perm[j]];
		dst->exits += src[s]->exits;
		dst->exposure_years += src[s]->exposure_years;
		dst->pieces += src[s]->pieces;
	}
	dst->exit_pending = 1;
}

/* See model_internal.h. */
void
hazard_remap(struct hazard *dst, const struct hazard *src, const int *map)
{
	int k, i, j, n = src->dim, mi;

	hazard_merge(dst, NULL, 0, NULL, 0);	/* no moments */
	for (k = 0; k < HAZARD_BANDS; k++) {
		dst->w[k] = src->w[k];
		dst->dk[k] = src->dk[k];
		for (i = 0; i < n; i++) {
			if ((mi = map[i]) < 0)
				continue;
			(void)hazard_grow(dst, mi + 1);
			dst->mean[k][mi] = src->mean[k][i];
			dst->gx[mi] = src->gx[i];
			for (j = 0; j < n; j++)
				if (map[j] >= 0)
					SC(dst, k, mi, map[j]) = SC(src, k, i, j);
		}
	}
	dst->exits = src->exits;
	dst->exposure_years = src->exposure_years;
	dst->pieces = src->pieces;
}

/* Pooled standardiser over the bands. */
static void
pool(struct hazard *h)
{
	double wt = 0, v, dm;
	int k, j, n = h->dim;

	for (k = 0; k < HAZARD_BANDS; k++)
		wt += h->w[k];
	for (j = 0; j < n; j++) {
		h->mu[j] = 0;
		h->active[j] = 0;
		h->sd[j] = NAN;
		if (!(wt > 0))
			continue;
		for (k = 0; k < HAZARD_BANDS; k++)
			h->mu[j] += h->w[k] * h->mean[k][j];
		h->mu[j] /= wt;
		v = 0;
		for (k = 0; k < HAZARD_BANDS; k++) {
			dm = h->mean[k][j] - h->mu[j];
			v += SC(h, k, j, j) + h->w[k] * dm * dm;
		}
		v /= wt;
		if (v > 0 && sqrt(v) > 1e-9 * (1 + fabs(h->mu[j]))) {
			h->sd[j] = sqrt(v);
			h->active[j] = !h->fixed[j];
		}
	}
}

/* m_k in z units (the pooled mean where the band has no exposure). */
static double
band_mz(const struct hazard *h, int k, int j)
{
	if (!h->active[j] || !(h->w[k] > 0))
		return 0;
	return (h->mean[k][j] - h->mu[j]) / h->sd[j];
}

/* C_k in z units. */
static double
band_cz(const struct hazard *h, int k, int i, int j)
{
	if (!h->active[i] || !h->active[j] || !(h->w[k] > 0))
		return 0;
	return SC(h, k, i, j) / h->w[k] / (h->sd[i] * h->sd[j]);
}

/* b . m_k + b' C_k b / 2 (clamped): log of band k's mean multiplier. */
static double
band_q(const struct hazard *h, int k)
{
	double q = 0, acc;
	int i, j, n = h->dim;

	for (i = 0; i < n; i++) {
		if (!h->active[i] || h->b[i] == 0)
			continue;
		acc = band_mz(h, k, i);
		for (j = 0; j < n; j++)
			acc += 0.5 * band_cz(h, k, i, j) * h->b[j];
		q += h->b[i] * acc;
	}
	return q > ETA_MAX ? ETA_MAX : q < -ETA_MAX ? -ETA_MAX : q;
}

/*
 * Heuristic shrinkage of the linear predictor (van Houwelingen and le
 * Cessie 1990): gamma = (W - p) / W, where W = b' A b is the Wald
 * statistic of the fit (A b = g, so W = b . g) and p the number of
 * covariates estimated. Noise in p estimates spreads the linear
 * predictor by about p on that scale, so scores take gamma * b . z:
 * with little information (W near p) everyone is near the baseline, and
 * gamma goes to 1 as information grows.
 */
static double
heuristic_shrinkage(const struct hazard *h)
{
	double w = 0;
	int j, p = 0;

	for (j = 0; j < h->dim; j++)
		if (h->active[j]) {
			w += h->b[j] * h->g[j];
			p++;
		}
	if (p == 0 || !(w > p))
		return 0;
	return (w - p) / w;
}

/* See model_internal.h. */
int
hazard_refresh(struct hazard *h, int force)
{
	gsl_matrix_view av, cv;
	gsl_vector_view gv, bv;
	double acc, we[HAZARD_BANDS];
	int n = h->dim, i, j, k, due;

	due = SOLVE_EVERY > h->solved_pieces / 16 ? SOLVE_EVERY : (int)(h->solved_pieces / 16);
	if (!force && !h->exit_pending && h->pending < due)
		return 0;
	h->pending = 0;
	h->exit_pending = 0;
	h->solved_pieces = h->pieces;
	pool(h);
	/* A = sum_k D_k C_k + l2 I, g = sum_exits z - sum_k D_k m_k */
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++) {
			acc = 0;
			if (h->active[i] && h->active[j])
				for (k = 0; k < HAZARD_BANDS; k++)
					if (h->dk[k] > 0)
						acc += h->dk[k] * band_cz(h, k, i, j);
			h->a[(size_t)i * FM + (size_t)j] = acc;
		}
		h->a[(size_t)i * FM + (size_t)i] += h->active[i] ? h->l2 : 1;
		acc = 0;
		if (h->active[i]) {
			acc = h->gx[i];
			for (k = 0; k < HAZARD_BANDS; k++)
				acc -= h->dk[k] * (h->w[k] > 0 ? h->mean[k][i] : h->mu[i]);
			acc /= h->sd[i];
		}
		h->g[i] = acc;
	}
	if (n > 0) {
		av = gsl_matrix_view_array_with_tda(h->a, (size_t)n, (size_t)n, FM);
		cv = gsl_matrix_view_array_with_tda(h->cov, (size_t)n, (size_t)n, FM);
		gv = gsl_vector_view_array(h->g, (size_t)n);
		bv = gsl_vector_view_array(h->v, (size_t)n);
		if (gsl_linalg_cholesky_decomp1(&av.matrix) != GSL_SUCCESS ||
		    gsl_linalg_cholesky_solve(&av.matrix, &gv.vector, &bv.vector) != GSL_SUCCESS ||
		    gsl_matrix_memcpy(&cv.matrix, &av.matrix) != GSL_SUCCESS ||
		    gsl_linalg_cholesky_invert(&cv.matrix) != GSL_SUCCESS)
			return -1;	/* the previous solution stays */
		for (j = 0; j < n; j++) {
			h->b[j] = h->active[j] ? h->v[j] : 0;
			h->bse[j] = h->active[j] ? sqrt(CV(h, j, j) > 0 ? CV(h, j, j) : 0) :
			    sqrt(hazard_prior_var(HAZARD_BANDS + j, h->l2));
		}
	}
	h->shrink = heuristic_shrinkage(h);
	/* baselines at the pooled mean, each band's prior its neighbour's
	 * (baseline.c) */
	for (k = 0; k < HAZARD_BANDS; k++)
		we[k] = h->w[k] * exp(band_q(h, k));
	hazard_baselines(h->dk, we, h->logbase, h->basevar);
	for (k = 0; k < HAZARD_BANDS; k++) {
		/* v = m_k + C_k b; var = var(log lambda0_k) + v' Cov v */
		for (i = 0; i < n; i++) {
			acc = band_mz(h, k, i);
			for (j = 0; j < n; j++)
				acc += band_cz(h, k, i, j) * h->b[j];
			h->v[i] = h->active[i] ? acc : 0;
		}
		acc = h->basevar[k];
		for (i = 0; i < n; i++)
			for (j = 0; j < n; j++)
				if (h->active[i] && h->active[j])
					acc += h->v[i] * CV(h, i, j) * h->v[j];
		h->basese[k] = sqrt(acc);
	}
	return 0;
}

double
hazard_log_baseline(const struct hazard *h, int band)
{
	return h->logbase[band];
}

/* See model_internal.h. */
void
hazard_set_fixed(struct hazard *h, int j, int fixed)
{
	if (j >= 0 && j < FM && h->fixed[j] != (fixed != 0)) {
		h->fixed[j] = fixed != 0;
		h->exit_pending = 1;
	}
}

/* See model_internal.h. */
double
hazard_data_share(const struct hazard *h, int j)
{
	double s;

	if (j < 0 || j >= h->dim || !h->active[j])
		return 0;
	s = 1 - h->l2 * h->bse[j] * h->bse[j];
	return s < 0 ? 0 : s > 1 ? 1 : s;
}

/* See model_internal.h. */
double
hazard_lp_variance(const struct hazard *h, const double *z, int n)
{
	double acc = 0, row;
	int i, j;

	/* Cov is symmetric: one triangle, O(n^2 / 2) per score */
	if (n > h->dim)
		n = h->dim;
	for (i = 0; i < n; i++) {
		if (!h->active[i] || z[i] == 0)
			continue;
		row = 0;
		for (j = i + 1; j < n; j++)
			if (h->active[j])
				row += CV(h, i, j) * z[j];
		acc += z[i] * (CV(h, i, i) * z[i] + 2 * row);
	}
	return acc > 0 ? acc : 0;
}

/* See model_internal.h. */
double
hazard_z(const struct hazard *h, int j, double x)
{
	if (j < 0 || j >= h->dim || !h->active[j] || !isfinite(x))
		return 0;
	return (x - h->mu[j]) / h->sd[j];
}

/* See model_internal.h. */
void
hazard_standardiser(const struct hazard *h, int j, double *mean, double *sd)
{
	int ok = j >= 0 && j < h->dim && h->active[j];

	*mean = ok ? h->mu[j] : NAN;
	*sd = ok ? h->sd[j] : NAN;
}

/* See model_internal.h. */
double
hazard_linear(const struct hazard *h, const double *x, int n)
{
	double acc = 0;
	int j;

	if (n > h->dim)
		n = h->dim;
	for (j = 0; j < n; j++)
		if (h->active[j] && h->b[j] != 0)
			acc += h->b[j] * hazard_z(h, j, x[j]);
	return acc;
}

/* See model_internal.h. */
double
hazard_band_var(const struct hazard *h, int band)
{
	if (band < 0 || band >= HAZARD_BANDS)
		return 0;
	return h->basevar[band];
}

double
hazard_shrinkage(const struct hazard *h)
{
	return h->shrink;
}

/* See model_internal.h. */
void
hazard_view(const struct hazard *h, struct hazard_view *v)
{
	v->dim = h->dim;
	v->b = h->b;
	v->mu = h->mu;
	v->sd = h->sd;
	v->active = h->active;
	v->logbase = h->logbase;
	v->shrink = h->shrink;
}

double
hazard_coef(const struct hazard *h, int j)
{
	return j >= 0 && j < h->dim ? h->b[j] : 0;
}

/* See model_internal.h. */
void
hazard_theta(const struct hazard *h, double *theta, double *se)
{
	int k, j;

	for (k = 0; k < HAZARD_BANDS; k++) {
		if (theta != NULL)
			theta[k] = h->logbase[k];
		if (se != NULL)
			se[k] = h->basese[k];
	}
	for (j = 0; j < h->dim; j++) {
		if (theta != NULL)
			theta[HAZARD_BANDS + j] = h->b[j];
		if (se != NULL)
			se[HAZARD_BANDS + j] = h->bse[j];
	}
}

long
hazard_exits(const struct hazard *h)
{
	return h->exits;
}

double
hazard_exposure_years(const struct hazard *h)
{
	return h->exposure_years;
}
