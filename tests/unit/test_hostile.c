/*
 * test_hostile.c: runs every file of the hostile corpus (tests/hostile/,
 * or $HOSTILE_DIR) through decode_event() as a Kafka value without key.
 * A file is named <expect>--<what>.<ext>: `ok` files are valid events and
 * must be accepted; any other <expect> is the decode_reason_name() the
 * rejection must carry. Every rejection must have a one-line reason that
 * never repeats the payload (the corpus marks personal values "SECRET").
 * The corpus must cover every rejection reason a value alone can cause.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../pipeline/pipeline.h"
#include "check.h"

static unsigned char buf[4 << 20];

/* Reads path into buf; returns its length or -1. */
static long
load(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f) || !feof(f)) {	/* unreadable or bigger than buf */
		fclose(f);
		return -1;
	}
	fclose(f);
	return (long)n;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
main(void)
{
	const char *dir = getenv("HOSTILE_DIR") ? getenv("HOSTILE_DIR") : "tests/hostile";
	int seen[DR__COUNT] = { 0 }, files = 0, oks = 0, i, r;
	char path[4096], expect[64], err[ERRBUF_MAX];
	struct hr_event ev;
	struct message m;
	struct dirent *d;
	const char *sep;
	DIR *dp;
	long n;

	pipeline_global_init();
	if ((dp = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: cannot open the hostile corpus\n", dir);
		return 1;
	}
	while ((d = readdir(dp)) != NULL) {
		if ((sep = strstr(d->d_name, "--")) == NULL || d->d_name[0] == '.')
			continue;	/* test scripts, README */
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		snprintf(expect, sizeof(expect), "%.*s", (int)(sep - d->d_name), d->d_name);
		n = load(path);
		CHECK(n >= 0);
		if (n < 0) {
			fprintf(stderr, "%s: unreadable\n", d->d_name);
			continue;
		}
		files++;
		memset(&m, 0, sizeof(m));
		/* exact-size copy so that sanitizers catch reads past the value */
		unsigned char *val = malloc((size_t)n + 1);

		CHECK(val != NULL);
		if (val == NULL)
			break;
		memcpy(val, buf, (size_t)n);
		m.value = n > 0 ? val : NULL;
		m.len = (size_t)n;
		m.topic = "hr.events";
		r = -1;
		err[0] = '\0';
		i = decode_event(&m, &ev, err, sizeof(err), &r);
		free(val);
		if (strcmp(expect, "ok") == 0) {
			oks++;
			if (i != 0)
				fprintf(stderr, "%s: rejected (%s: %s), want accepted\n",
				    d->d_name, decode_reason_name(r), err);
			CHECK(i == 0);
			continue;
		}
		if (i == 0 || strcmp(decode_reason_name(r), expect) != 0)
			fprintf(stderr, "%s: %s (%s), want %s\n", d->d_name,
			    i == 0 ? "accepted" : decode_reason_name(r), err, expect);
		CHECK(i == -1);
		CHECK(strcmp(decode_reason_name(r), expect) == 0);
		CHECK(err[0] != '\0');
		CHECK(!has_control(err));
		CHECK(strstr(err, "SECRET") == NULL);
		if (i == -1 && r >= 0 && r < DR__COUNT)
			seen[r]++;
	}
	closedir(dp);

	fprintf(stderr, "%d hostile files, %d valid controls\n", files, oks);
	CHECK(files >= 50);
	CHECK(oks >= 5);
	for (i = 0; i < DR__COUNT; i++) {
		if (i == DR_KEY_MISMATCH)	/* needs a key: test_decode covers it */
			continue;
		if (seen[i] == 0)
			fprintf(stderr, "no hostile file is rejected as %s\n",
			    decode_reason_name(i));
		CHECK(seen[i] > 0);
	}
	return check_exit("test_hostile");
}
