/*
 * bench_clock.h: the clocks of the bench tools (bench_pipeline.c,
 * bench_kafka.c): monotonic seconds, so that intervals ignore clock steps,
 * and the process's CPU seconds, which other processes on a shared
 * machine do not stretch (the in-memory rows are one thread).
 */
#ifndef BENCH_CLOCK_H
#define BENCH_CLOCK_H

#include <time.h>

static inline double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
