/*
 * check.h: the tiny unit-test helper. CHECK() records a failure and goes on;
 * check_exit() returns the status for main().
 */
#ifndef RETENTIOND_CHECK_H
#define RETENTIOND_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond) do { \
	check_count++; \
	if (!(cond)) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_NEAR(a, b, tol) do { \
	double check_a_ = (a), check_b_ = (b); \
	check_count++; \
	if (!(fabs(check_a_ - check_b_) <= (tol))) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: %s = %.10g, want %.10g +- %g\n", __FILE__, \
		    __LINE__, #a, check_a_, check_b_, (double)(tol)); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *check_a_ = (a), *check_b_ = (b); \
	check_count++; \
	if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, \
		    __LINE__, #a, check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
	} \
} while (0)

static inline int
check_exit(const char *name)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures == 0 && check_count > 0 ? 0 : 1;
}

#endif
