/*
 * test_procstat.c: daemon/procstat.c, the process_* series. The stat
 * parser on made-up lines (a command name with spaces and parentheses,
 * malformed ones), then the rendered page of this very process, changed on
 * purpose: descriptors opened, the soft descriptor limit lowered, CPU
 * burned, memory touched.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../../daemon/daemon.h"
#include "check.h"

/* Fields 1..24 of a stat line, comm in the middle; 14, 15, 22, 23 and 24
 * are 101, 202, 303, 4096000, 50. */
static const char stat_line[] =
    "4242 (we ird) (x)) S 1 4242 4242 0 -1 4194560 120 0 0 0 101 202 0 0 "
    "20 0 3 0 303 4096000 50 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 "
    "1 0 0 0 0 0\n";

static void
test_parse(void)
{
	struct procstat_raw	raw;
	char			buf[sizeof(stat_line)];

	CHECK(procstat_parse_stat(stat_line, &raw) == 0);
	CHECK(raw.utime_ticks == 101);
	CHECK(raw.stime_ticks == 202);
	CHECK(raw.start_ticks == 303);
	CHECK(raw.vsize_bytes == 4096000);
	CHECK(raw.rss_pages == 50);

	CHECK(procstat_parse_stat("4242 no parentheses S 1 2 3", &raw) == -1);
	CHECK(procstat_parse_stat("", &raw) == -1);
	/* cut after field 23: rss missing */
	memcpy(buf, stat_line, sizeof(buf));
	*strstr(buf, " 50 ") = '\0';
	CHECK(procstat_parse_stat(buf, &raw) == -1);
	/* a field that is not a number */
	memcpy(buf, stat_line, sizeof(buf));
	memcpy(strstr(buf, " 303 ") + 1, "3x3", 3);
	CHECK(procstat_parse_stat(buf, &raw) == -1);
}

/* Where the CPU burner writes, so that no compiler drops the loop. */
static volatile double burn_sink;

/* The value of an unlabelled sample `name` on a page, or -1 when absent;
 * its HELP and TYPE lines must come first. */
static double
value(const char *page, const char *name, const char *type)
{
	char		 want[256];
	const char	*s;

	snprintf(want, sizeof(want), "# TYPE %s %s\n%s ", name, type, name);
	if ((s = strstr(page, want)) == NULL)
		return -1;
	return strtod(s + strlen(want), NULL);
}

static char *
render(void)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	procstat_render(f);
	fclose(f);
	return buf;
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_live(double started_before)
{
	struct rlimit	 rl, low;
	char		*a, *b;
	int		 fds[5], i;
	size_t		 big = 64u << 20;
	char		*mem;
	double		 start;

	a = render();
	for (i = 0; i < 5; i++)
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* work for the CPU counter, touched memory for the RSS */
	for (i = 0; i < 50000000; i++)
		burn_sink += i * 0.5;
	mem = malloc(big);
	if (mem != NULL)
		memset(mem, 1, big);
	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
	low = rl;
	low.rlim_cur = 777;
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	b = render();
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		goto out;

	CHECK_NEAR(value(b, "process_open_fds", "gauge") -
	    value(a, "process_open_fds", "gauge"), 5, 0);
	CHECK(value(a, "process_open_fds", "gauge") >= 3);
	CHECK_NEAR(value(b, "process_max_fds", "gauge"), 777, 0);
	CHECK_NEAR(value(a, "process_max_fds", "gauge"), (double)rl.rlim_cur, 0);
	CHECK(value(b, "process_cpu_seconds_total", "counter") >
	    value(a, "process_cpu_seconds_total", "counter"));
	CHECK(value(a, "process_cpu_seconds_total", "counter") >= 0);
	CHECK(value(b, "process_resident_memory_bytes", "gauge") >=
	    value(a, "process_resident_memory_bytes", "gauge") + (double)big / 2);
	CHECK(value(b, "process_virtual_memory_bytes", "gauge") >=
	    value(b, "process_resident_memory_bytes", "gauge"));
	/* started before main(), after a margin for exec and the loader,
	 * and the same at every scrape */
	start = value(a, "process_start_time_seconds", "gauge");
	CHECK(start <= started_before + 0.02);
	CHECK(start >= started_before - 60);
	CHECK(value(b, "process_start_time_seconds", "gauge") == start);
	CHECK(strstr(b, "# HELP process_cpu_seconds_total ") != NULL);
out:
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	for (i = 0; i < 5; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(mem);
	free(a);
	free(b);
}

int
main(void)
{
	double	t0 = now_s();

	test_parse();
	test_live(t0);
	return check_exit("test_procstat");
}
