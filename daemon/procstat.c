/*
 * procstat.c: the process_* series that Prometheus expects of every
 * exporter (CPU seconds, resident and virtual memory, open and maximum file
 * descriptors, start time), read from /proc/self at each scrape.
 *
 * Where the numbers come from, and why:
 *   - /proc/self/stat: utime and stime (fields 14, 15, clock ticks),
 *     starttime (22, ticks after boot), vsize (23, bytes) and rss (24,
 *     pages). The command name (field 2) may hold spaces and parentheses,
 *     so fields are counted from the last ')'.
 *   - /proc/self/fd: one entry per open descriptor; the descriptor that
 *     reads the directory is not counted.
 *   - getrlimit(RLIMIT_NOFILE): the soft limit, which is what
 *     /proc/self/limits shows as "Max open files".
 *   - The start time is the boot time plus starttime. The unit's
 *     ProcSubset=pid hides /proc/stat and its btime, so the boot time is
 *     taken as CLOCK_REALTIME - CLOCK_BOOTTIME (the clock starttime counts
 *     in). That difference moves with clock adjustments, so it is computed
 *     once, at the first scrape, and the series stays constant after.
 *
 * A value that cannot be read is left out of the page, never written as a
 * guess: a missing series is visible in Prometheus, a wrong one is not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

/* Parses the text of /proc/<pid>/stat. Returns 0, or -1 when it is not
 * one (too few fields, no command name). */
int
procstat_parse_stat(const char *text, struct procstat_raw *out)
{
	const char		*p = strrchr(text, ')');
	unsigned long long	 v;
	char			*end;
	int			 field;

	if (p == NULL || strchr(text, '(') == NULL)
		return -1;
	memset(out, 0, sizeof(*out));
	/* p + 1 is " S ppid ...": field 3 (state) is the first after ')'. */
	p++;
	for (field = 3; field <= 24; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			return -1;
		if (field == 3) {	/* the state, a letter */
			while (*p != ' ' && *p != '\0')
				p++;
			continue;
		}
		errno = 0;
		v = strtoull(p, &end, 10);
		if (end == p || errno != 0 || (*end != ' ' && *end != '\n' &&
		    *end != '\0'))
			return -1;
		p = end;
		switch (field) {
		case 14: out->utime_ticks = v; break;
		case 15: out->stime_ticks = v; break;
		case 22: out->start_ticks = v; break;
		case 23: out->vsize_bytes = v; break;
		case 24: out->rss_pages = v; break;
		default: break;
		}
	}
	return 0;
}

static int
read_stat(struct procstat_raw *raw)
{
	char	buf[1024];
	ssize_t	n;
	int	fd;

	if ((fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);	/* the kernel writes it at once */
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return procstat_parse_stat(buf, raw);
}

/* Open descriptors, or -1. */
static long
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	long		 n = 0;
	int		 self;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	self = dirfd(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && atoi(de->d_name) != self)
			n++;
	closedir(d);
	return n;
}

static double
seconds(clockid_t clk)
{
	struct timespec	ts;

	if (clock_gettime(clk, &ts) == -1)
		return -1;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's start, seconds since the epoch, rounded to the tick that
 * starttime counts in; computed once (see the top). 0 when unknown. */
static double
start_time(const struct procstat_raw *raw, long ticks_per_s)
{
	static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
	static double		start_s;
	double			real, boot, t;

	pthread_mutex_lock(&lock);
	if (start_s == 0 && (real = seconds(CLOCK_REALTIME)) > 0 &&
	    (boot = seconds(CLOCK_BOOTTIME)) >= 0) {
		t = real - boot + (double)raw->start_ticks / (double)ticks_per_s;
		start_s = (double)(long long)(t * (double)ticks_per_s + 0.5) /
		    (double)ticks_per_s;
	}
	t = start_s;
	pthread_mutex_unlock(&lock);
	return t;
}

static void
series(FILE *f, const char *name, const char *type, const char *help, double v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.15g\n", name, help, name,
	    type, name, v);
}

/* Writes the process_* families in the text format 0.0.4, each one only
 * when its value could be read. */
void
procstat_render(FILE *f)
{
	struct procstat_raw	raw;
	struct rlimit		rl;
	long			ticks = sysconf(_SC_CLK_TCK);
	long			page = sysconf(_SC_PAGESIZE);
	long			fds;
	double			t;

	if (ticks > 0 && page > 0 && read_stat(&raw) == 0) {
		series(f, "process_cpu_seconds_total", "counter",
		    "CPU time the process has used, user and system, in seconds.",
		    (double)(raw.utime_ticks + raw.stime_ticks) / (double)ticks);
		series(f, "process_resident_memory_bytes", "gauge",
		    "Resident set size of the process, in bytes.",
		    (double)raw.rss_pages * (double)page);
		series(f, "process_virtual_memory_bytes", "gauge",
		    "Virtual memory size of the process, in bytes.",
		    (double)raw.vsize_bytes);
		if ((t = start_time(&raw, ticks)) > 0)
			series(f, "process_start_time_seconds", "gauge",
			    "When the process started, in seconds since the epoch.", t);
	}
	if ((fds = count_fds()) >= 0)
		series(f, "process_open_fds", "gauge",
		    "File descriptors the process has open.", (double)fds);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		series(f, "process_max_fds", "gauge",
		    "Limit on the file descriptors the process may open (soft limit).",
		    rl.rlim_cur == RLIM_INFINITY ? 1.8446744073709552e19 :
		    (double)rl.rlim_cur);
}
