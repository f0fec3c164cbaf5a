/*
 * bench_parse.c: the parse-only ceiling for `make bench`.
 *
 *   bench_parse FILE
 *
 * Reads a JSONL file of events into memory, then parses every line with
 * jansson (json_loadb, then json_decref) and nothing else, and prints one
 * line: "lines N parsed N seconds S per_second R". The daemon's decoder
 * does at least this much per event, so this is the most replay throughput
 * can reach with jansson. Lines of the form "key<TAB>json" are parsed from
 * after the tab. Exits 1 on I/O errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads all of f into a new buffer (free()); NULL on error. */
static char *
slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 20, n = 0, r;
	char *buf = malloc(cap), *nb;

	while (buf != NULL && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			if ((nb = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (buf == NULL || ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int
main(int argc, char **argv)
{
	FILE *f;
	char *buf, *p, *end, *nl, *tab;
	size_t len = 0;
	long lines = 0, parsed = 0;
	json_error_t jerr;
	json_t *j;
	double t0, dt;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_parse FILE\n");
		return 2;
	}
	if ((f = fopen(argv[1], "r")) == NULL) {
		fprintf(stderr, "bench_parse: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	buf = slurp(f, &len);
	fclose(f);
	if (buf == NULL) {
		fprintf(stderr, "bench_parse: %s: read error\n", argv[1]);
		return 1;
	}
	t0 = now_s();
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p)
			continue;
		lines++;
		if ((tab = memchr(p, '\t', (size_t)(nl - p))) != NULL)
			p = tab + 1;
		if ((j = json_loadb(p, (size_t)(nl - p), 0, &jerr)) != NULL) {
			parsed++;
			json_decref(j);
		}
	}
	dt = now_s() - t0;
	printf("lines %ld parsed %ld seconds %.3f per_second %.0f\n", lines, parsed,
	    dt, dt > 0 ? (double)parsed / dt : 0.0);
	free(buf);
	return 0;
}
