/*
 * rls.c: recursive least squares with a forgetting factor (MODEL.md,
 * relations 1 and 2: satisfaction and ability).
 *
 * The recursion runs on the information form: with forgetting f,
 *
 *	A <- f A + x x',   b <- f b + x y,   yy <- f yy + y^2,   w <- f w + 1
 *
 * and theta = A^-1 b after every observation. This is the same estimate as
 * the covariance-form gain recursion (P = A^-1), but it stays exact in the
 * first, ill-conditioned steps (no huge initial P to cancel against), and
 * its sums are the sufficient statistics that the roadmap's merge of
 * per-partition models will add up. With dim <= 3 the solve is a few dozen
 * flops. While a regressor has not varied yet, A is singular: a ridge of
 * 1e-10 relative to the largest diagonal then keeps it invertible (that
 * coefficient stays 0 and has no standard error).
 *
 * Standard errors: sigma^2 = SSR / (w - dim), SSR = yy - 2 theta'b +
 * theta'A theta the forgotten residual sum of squares and w the effective
 * sample size (sum of forgetting weights); se_j = sqrt(sigma^2 P_jj). With
 * f = 1 these are the ordinary least squares figures.
 *
 * Serial correlation. Those figures assume independent errors. Repeated
 * surveys of one person are not: her error this quarter resembles last
 * quarter's, and so does her incentive intensity, so the data hold fewer
 * independent facts than observations and the plain standard errors are
 * too small (in the synthetic company by a factor of about 1.7). The
 * caller passes consecutive observations of the same person to
 * rls_note_pair(); from those pairs we estimate the lag-1 correlation rho
 * of the residuals and rho_j of each centred regressor (the intercept has
 * rho_0 = 1), and widen se_j by sqrt((1 + rho rho_j) / (1 - rho rho_j)),
 * the variance inflation of a mean or slope under AR(1) errors and
 * regressors (long series; with a few surveys per person it errs on the
 * wide side). Negative rho is taken as 0: no narrowing.
 */
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "model_internal.h"

#define RLS_RIDGE 1e-10

/* Reset to no observations. */
void
rls_init(struct rls *r, int dim, double forgetting)
{
	memset(r, 0, sizeof(*r));
	r->dim = dim < 1 ? 1 : dim > RLS_DIM_MAX ? RLS_DIM_MAX : dim;
	rls_set_forgetting(r, forgetting);
}

/* Forgetting outside (0, 1] is taken as 1 (no forgetting). */
void
rls_set_forgetting(struct rls *r, double forgetting)
{
	r->forgetting = forgetting > 0 && forgetting <= 1 ? forgetting : 1;
}

/* theta and p from a (+ ridge) and b; 0 or -1 (GSL failure). */
static int
rls_solve_ridge(struct rls *r, double ridge)
{
	double m[RLS_DIM_MAX * RLS_DIM_MAX], v[RLS_DIM_MAX], t[RLS_DIM_MAX];
	double dmax = 0;
	int d = r->dim, i, j;

	for (i = 0; i < d; i++)
		if (r->a[i][i] > dmax)
			dmax = r->a[i][i];
	for (i = 0; i < d; i++) {
		for (j = 0; j < d; j++)
			m[i * d + j] = r->a[i][j];
		m[i * d + i] += ridge * (1 + dmax);
		v[i] = r->b[i];
	}
	gsl_matrix_view mv = gsl_matrix_view_array(m, (size_t)d, (size_t)d);
	gsl_vector_view vv = gsl_vector_view_array(v, (size_t)d);
	gsl_vector_view tv = gsl_vector_view_array(t, (size_t)d);
	double diag[RLS_DIM_MAX];

	for (i = 0; i < d; i++)
		diag[i] = m[i * d + i];
	if (gsl_linalg_cholesky_decomp1(&mv.matrix) != GSL_SUCCESS)
		return -1;
	/* a pivot lost to rounding means singular, not "huge P" */
	for (i = 0; i < d; i++)
		if (!(m[i * d + i] * m[i * d + i] > 1e-12 * diag[i]))
			return -1;
	if (gsl_linalg_cholesky_solve(&mv.matrix, &vv.vector, &tv.vector) != GSL_SUCCESS)
		return -1;
	if (gsl_linalg_cholesky_invert(&mv.matrix) != GSL_SUCCESS)
		return -1;
	for (i = 0; i < d; i++)
		if (!isfinite(t[i]))
			return -1;
	for (i = 0; i < d; i++) {
		r->theta[i] = t[i];
		for (j = 0; j < d; j++)
			r->p[i][j] = m[i * d + j];
	}
	return 0;
}

/* Exact solve first; the ridge only when A is singular. */
static int
rls_solve(struct rls *r)
{
	if (rls_solve_ridge(r, 0) == 0)
		return 0;
	return rls_solve_ridge(r, RLS_RIDGE);
}

/* 1 when y and x[0..dim) are finite. */
static int
finite_obs(const struct rls *r, const double *x, double y)
{
	if (!isfinite(y))
		return 0;
	for (int i = 0; i < r->dim; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

/* See model_internal.h. */
int
rls_add(struct rls *r, const double *x, double y)
{
	int d = r->dim, i, j;

	if (!finite_obs(r, x, y))
		return -1;
	for (i = 0; i < d; i++) {
		for (j = 0; j < d; j++)
			r->a[i][j] += x[i] * x[j];
		r->b[i] += x[i] * y;
	}
	r->yy += y * y;
	r->weight += 1;
	r->n++;
	return 0;
}

/* See model_internal.h. */
void
rls_decay(struct rls *r, double factor)
{
	int d = r->dim, i, j;

	if (!(factor > 0 && factor < 1))
		return;
	for (i = 0; i < d; i++) {
		for (j = 0; j < d; j++)
			r->a[i][j] *= factor;
		r->b[i] *= factor;
		r->lag_xx[i] *= factor;
		r->sq_xx[i] *= factor;
	}
	r->yy *= factor;
	r->weight *= factor;
	r->lag_ee *= factor;
	r->sq_ee *= factor;
}

/* See model_internal.h. */
int
rls_merge(struct rls *dst, const struct rls *const *src, int n)
{
	int d = dst->dim, s, i, j;

	memset(dst->a, 0, sizeof(dst->a));
	memset(dst->b, 0, sizeof(dst->b));
	memset(dst->lag_xx, 0, sizeof(dst->lag_xx));
	memset(dst->sq_xx, 0, sizeof(dst->sq_xx));
	dst->yy = dst->weight = dst->lag_ee = dst->sq_ee = 0;
	dst->n = 0;
	for (s = 0; s < n; s++) {
		const struct rls *r = src[s];

		if (r == NULL)
			continue;
		for (i = 0; i < d; i++) {
			for (j = 0; j < d; j++)
				dst->a[i][j] += r->a[i][j];
			dst->b[i] += r->b[i];
			dst->lag_xx[i] += r->lag_xx[i];
			dst->sq_xx[i] += r->sq_xx[i];
		}
		dst->yy += r->yy;
		dst->weight += r->weight;
		dst->lag_ee += r->lag_ee;
		dst->sq_ee += r->sq_ee;
		dst->n += r->n;
	}
	return dst->n > 0 ? rls_solve(dst) : 0;
}

/* One observation; see model_internal.h. */
int
rls_update(struct rls *r, const double *x, double y)
{
	struct rls old;
	double f = r->forgetting;
	int d = r->dim, i, j;

	if (!finite_obs(r, x, y))
		return -1;
	old = *r;
	for (i = 0; i < d; i++) {
		for (j = 0; j < d; j++)
			r->a[i][j] = f * r->a[i][j] + x[i] * x[j];
		r->b[i] = f * r->b[i] + x[i] * y;
	}
	r->yy = f * r->yy + y * y;
	r->weight = f * r->weight + 1;
	if (rls_solve(r) != 0) {
		*r = old;
		return -1;
	}
	r->n++;
	return 0;
}

/* See model_internal.h. */
void
rls_note_pair_fit(struct rls *r, const struct rls *fit, double f,
    const double *x0, double y0, const double *x1, double y1)
{
	double e0, e1, m, c0, c1;
	int d = r->dim, i;

	if (fit->n < 2 * d || !isfinite(y0) || !isfinite(y1))
		return;
	e0 = y0;
	e1 = y1;
	for (i = 0; i < d; i++) {
		if (!isfinite(x0[i]) || !isfinite(x1[i]))
			return;
		e0 -= fit->theta[i] * x0[i];
		e1 -= fit->theta[i] * x1[i];
	}
	r->lag_ee = f * r->lag_ee + e0 * e1;
	r->sq_ee = f * r->sq_ee + 0.5 * (e0 * e0 + e1 * e1);
	for (i = 1; i < d; i++) {
		m = fit->a[0][0] > 0 ? fit->a[0][i] / fit->a[0][0] : 0;	/* x[0] = 1 */
		c0 = x0[i] - m;
		c1 = x1[i] - m;
		r->lag_xx[i] = f * r->lag_xx[i] + c0 * c1;
		r->sq_xx[i] = f * r->sq_xx[i] + 0.5 * (c0 * c0 + c1 * c1);
	}
}

/* See model_internal.h. */
void
rls_note_pair(struct rls *r, const double *x0, double y0, const double *x1,
    double y1)
{
	rls_note_pair_fit(r, r, r->forgetting, x0, y0, x1, y1);
}

/* The AR(1) variance inflation of coefficient i (1 without pairs). */
static double
rls_inflation(const struct rls *r, int i)
{
	double rho, rx, p;

	if (!(r->sq_ee > 0))
		return 1;
	rho = r->lag_ee / r->sq_ee;
	if (!(rho > 0))
		return 1;
	if (rho > 0.95)
		rho = 0.95;
	rx = 1;
	if (i > 0)
		rx = r->sq_xx[i] > 0 ? r->lag_xx[i] / r->sq_xx[i] : 0;
	rx = rx < 0 ? 0 : rx > 1 ? 1 : rx;
	p = rho * rx;
	return (1 + p) / (1 - p);
}

/* Current coefficients and standard errors. */
void
rls_estimate(const struct rls *r, double *coef, double *se)
{
	double ssr, sigma2;
	int d = r->dim, i, j;

	ssr = r->yy;
	for (i = 0; i < d; i++) {
		ssr -= 2 * r->theta[i] * r->b[i];
		for (j = 0; j < d; j++)
			ssr += r->theta[i] * r->a[i][j] * r->theta[j];
	}
	if (ssr < 0)
		ssr = 0;	/* rounding on a perfect fit */
	sigma2 = r->weight > d ? ssr / (r->weight - d) : NAN;
	for (i = 0; i < d; i++) {
		coef[i] = r->n > 0 ? r->theta[i] : NAN;
		/* a regressor that never varied from 0 has no estimate */
		if (r->a[i][i] <= 0 || isnan(sigma2))
			se[i] = NAN;
		else
			se[i] = sqrt(sigma2 * r->p[i][i] * rls_inflation(r, i));
	}
}

/* See model_internal.h: field by field, so padding never counts. */
uint64_t
rls_digest(const struct rls *r, uint64_t d)
{
	d = STATE_DIGEST(d, r->dim);
	d = STATE_DIGEST(d, r->forgetting);
	d = STATE_DIGEST(d, r->a);
	d = STATE_DIGEST(d, r->b);
	d = STATE_DIGEST(d, r->theta);
	d = STATE_DIGEST(d, r->p);
	d = STATE_DIGEST(d, r->yy);
	d = STATE_DIGEST(d, r->weight);
	d = STATE_DIGEST(d, r->n);
	d = STATE_DIGEST(d, r->lag_ee);
	d = STATE_DIGEST(d, r->sq_ee);
	d = STATE_DIGEST(d, r->lag_xx);
	return STATE_DIGEST(d, r->sq_xx);
}

/* See model_internal.h. */
int
rls_refit(struct rls *r)
{
	return r->n > 0 ? rls_solve(r) : 0;
}

/* See model_internal.h: the sums (the solution is made again). */
void
rls_save(const struct rls *r, struct wbuf *w)
{
	int i, j, d = r->dim;

	for (i = 0; i < d; i++) {
		for (j = 0; j < d; j++)
			wbuf_f64(w, r->a[i][j]);
		wbuf_f64(w, r->b[i]);
		wbuf_f64(w, r->lag_xx[i]);
		wbuf_f64(w, r->sq_xx[i]);
	}
	wbuf_f64(w, r->yy);
	wbuf_f64(w, r->weight);
	wbuf_f64(w, r->lag_ee);
	wbuf_f64(w, r->sq_ee);
	wbuf_i64(w, r->n);
}

/* See model_internal.h. */
int
rls_load(struct rls *r, struct rbuf *rb)
{
	int i, j, d = r->dim;

	for (i = 0; i < d; i++) {
		for (j = 0; j < d; j++)
			r->a[i][j] = rbuf_f64(rb);
		r->b[i] = rbuf_f64(rb);
		r->lag_xx[i] = rbuf_f64(rb);
		r->sq_xx[i] = rbuf_f64(rb);
	}
	r->yy = rbuf_f64(rb);
	r->weight = rbuf_f64(rb);
	r->lag_ee = rbuf_f64(rb);
	r->sq_ee = rbuf_f64(rb);
	r->n = rbuf_i64(rb);
	for (i = 0; i < d; i++)
		for (j = 0; j < d; j++)
			if (!isfinite(r->a[i][j]) || !isfinite(r->b[i]) ||
			    !isfinite(r->lag_xx[i]) || !isfinite(r->sq_xx[i]))
				rbuf_fail(rb);
	if (!isfinite(r->yy) || !(r->weight >= 0) || !isfinite(r->weight) ||
	    !isfinite(r->lag_ee) || !isfinite(r->sq_ee) || r->n < 0)
		rbuf_fail(rb);
	return rb->failed ? -1 : 0;
}
