/*
 * test_log.c: log.c's line format (sd-daemon prefixes, one line per
 * record), the level filter and the per-key rate limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "../../daemon/daemon.h"

static char	path[] = "/tmp/test_log.XXXXXX";
static int	saved_fd = -1;

/* Everything written to stderr since the last call, or NULL. */
static char *
take(void)
{
	static char	buf[16384];
	FILE		*f = fopen(path, "r");
	size_t		 n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (truncate(path, 0) < 0)
		return NULL;
	return buf;
}

static int
count_lines(const char *s)
{
	int	n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

int
main(void)
{
	char	*out, big[4000];
	int	 fd, i;

	pipeline_global_init();
	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	/* O_APPEND: take() truncates the file under the descriptor */
	if ((fd = open(path, O_WRONLY | O_APPEND)) < 0)
		return 1;
	saved_fd = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);

	log_init(LOG_INFO, 0);
	log_info("hello %d", 42);
	log_warnx("careful");
	log_msg(LOG_ERR, "broken");
	log_debug("hidden");
	out = take();
	CHECK_STR(out, "<6>hello 42\n<4>careful\n<3>broken\n");

	log_set_level(LOG_DEBUG);
	log_debug("shown");
	errno = ENOENT;
	log_warn("open %s", "x");
	log_info("two\nlines");
	out = take();
	CHECK_STR(out, "<7>shown\n<4>open x: No such file or directory\n"
	    "<6>two lines\n");

	log_set_level(LOG_WARNING);
	log_info("dropped");
	out = take();
	CHECK_STR(out, "");

	/* rate limit: one line per key per 10 s, other keys unaffected */
	for (i = 0; i < 50; i++)
		log_warn_limited("k1", "flood %d", i);
	log_warn_limited("k2", "other");
	out = take();
	CHECK_STR(out, "<4>flood 0\n<4>other\n");

	/* very long records are cut but stay one line */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_warnx("%s", big);
	out = take();
	CHECK(out != NULL && count_lines(out) == 1);
	CHECK(out != NULL && strlen(out) > 1000 && strlen(out) < 4000);
	CHECK(out != NULL && strstr(out, "...\n") != NULL);

	/* fields are for the journal: on a plain stderr the line is as
	 * always, and a $JOURNAL_STREAM naming another file changes nothing */
	log_set_level(LOG_INFO);
	setenv("JOURNAL_STREAM", "1:1", 1);
	log_init(LOG_INFO, 0);
	CHECK(journal_stream_is(STDERR_FILENO) == 0);
	log_partition(LOG_ERR, "t.x", 3, "delivery to %s [%d] failed", "t.x", 3);
	{
		struct log_field f[2] = { { "CONFIG_FILE", "a.conf" },
		    { "CONFIG_LINE", NULL } };

		log_fields(LOG_WARNING, f, 2, "a.conf: %s", "odd");
	}
	out = take();
	CHECK_STR(out, "<3>delivery to t.x [3] failed\n<4>a.conf: odd\n");
	{
		struct stat	st;
		char		js[64];

		/* the matching one is recognised (nothing logged with it: a
		 * host's journald would get the records) */
		CHECK(fstat(STDERR_FILENO, &st) == 0);
		snprintf(js, sizeof(js), "%llu:%llu",
		    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", js, 1);
		CHECK(journal_stream_is(STDERR_FILENO) == 1);
		strcat(js, "x");
		setenv("JOURNAL_STREAM", js, 1);
		CHECK(journal_stream_is(STDERR_FILENO) == 0);
	}
	unsetenv("JOURNAL_STREAM");

	/* terminal mode: a word instead of the number */
	log_init(LOG_INFO, 1);
	log_warnx("tty");
	out = take();
	CHECK_STR(out, "retentiond: warning: tty\n");

	dup2(saved_fd, STDERR_FILENO);
	unlink(path);
	return check_exit("test_log");
}
