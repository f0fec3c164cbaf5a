/*
 * hazard_int.h: the hazard model's state, shared by hazard.c (the fit)
 * and hazard_io.c (its digest and its image). Private to those two.
 */
#ifndef RETENTIOND_HAZARD_INT_H
#define RETENTIOND_HAZARD_INT_H

#include "model_internal.h"

#define FM FEATURES_MAX

struct hazard {
	int	dim;		/* covariates */
	double	l2;
	double	forgetting;
	/* moments, forgotten by f per piece */
	double	w[HAZARD_BANDS];		/* exposure years */
	double	dk[HAZARD_BANDS];		/* exits */
	double	mean[HAZARD_BANDS][FM];		/* exposure-weighted mean of x */
	double	*scat;				/* [band][FM][FM] scatter about it */
	double	gx[FM];				/* sum of x over exits */
	/* the solution */
	double	b[FM];				/* per SD */
	double	bse[FM];
	double	logbase[HAZARD_BANDS], basese[HAZARD_BANDS];
	double	basevar[HAZARD_BANDS];		/* var(log lambda0_k), baseline.c */
	double	mu[FM], sd[FM];			/* pooled standardiser */
	int	active[FM];
	int	fixed[FM];			/* b held at 0: reference levels */
	double	shrink;				/* of the linear predictor, 0..1 */
	double	*cov;				/* FM x FM, Cov(b) */
	double	*a;				/* FM x FM scratch */
	double	g[FM], v[FM];
	long	exits;
	double	exposure_years;
	long	pieces, pending, solved_pieces;
	int	exit_pending;
};

#define SC(h, k, i, j) ((h)->scat[((size_t)(k) * FM + (size_t)(i)) * FM + (size_t)(j)])
#define CV(h, i, j) ((h)->cov[(size_t)(i) * FM + (size_t)(j)])

#endif
