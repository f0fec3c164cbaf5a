/*
 * replay_main.c: a main() for libFuzzer targets built without libFuzzer.
 * Runs LLVMFuzzerTestOneInput() once on every regular file of each
 * directory (or file) named on the command line, in name order, so that
 * `make test` replays the seed corpus of every fuzz target. Exits 1 when an
 * argument is missing, unreadable or an empty directory, 0 otherwise; a
 * crash in the target is the failure it is there to catch.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

/* Runs the target on one file. Returns 0, or -1 when unreadable. */
static int
run_file(const char *path)
{
	struct stat st;
	uint8_t *buf;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* +1 so an empty file still gets a non-NULL buffer */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		fprintf(stderr, "%s: out of memory\n", path);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		fprintf(stderr, "%s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int
not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int
main(int argc, char **argv)
{
	struct dirent **names;
	char path[4096];
	struct stat st;
	int i, k, n, runs = 0, bad = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		fprintf(stderr, "usage: %s corpus-dir-or-file...\n", argv[0]);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) < 0)
				bad = 1;
			else
				runs++;
			continue;
		}
		if ((n = scandir(argv[i], &names, not_hidden, alphasort)) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		int here = 0;

		for (k = 0; k < n; k++) {
			snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(path) < 0)
					bad = 1;
				else
					here++;
			}
			free(names[k]);
		}
		free(names);
		if (here == 0) {
			fprintf(stderr, "%s: no corpus files\n", argv[i]);
			bad = 1;
		}
		runs += here;
	}
	fprintf(stderr, "%s: %d inputs replayed\n", argv[0], runs);
	return bad;
}
