/*
 * log.c: the daemon's only way to speak, on stderr.
 *
 * Each record is one line written with one write(2), so lines from the
 * HTTP thread and the work loop never interleave, and journald reads the
 * "<N>" sd-daemon prefix as the syslog priority (<3> err, <4> warning,
 * <6> info, <7> debug). On a terminal the prefix is a word instead.
 * Embedded newlines are folded to spaces: one record, one line.
 *
 * Callers never pass personal data (employee ids, payloads) to these
 * functions; that rule is enforced by review, not here.
 *
 * When stderr is the journal ($JOURNAL_STREAM matches it), records go to
 * journald natively instead (journal.c), with their fields: log_fields()
 * and log_partition() attach CONFIG_FILE, KAFKA_TOPIC and the like. The
 * text line is then written only if journald refused the entry, so that
 * nothing is stored twice.
 *
 * log_warn_limited() keeps a small table of keys with the time of their
 * last emitted line; a key seen again within LOG_LIMIT_MS is counted and
 * dropped, and the next line that gets through says how many were dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define LOG_LINE_MAX	2048
#define LOG_LIMIT_MS	10000
#define LOG_LIMIT_KEYS	64
#define LOG_KEY_MAX	64

static atomic_int log_level = LOG_INFO;
static atomic_int log_tty;
static atomic_int log_journal;		/* stderr is the journal */

struct log_limit {
	char		key[LOG_KEY_MAX];
	int64_t		last_ms;
	uint64_t	suppressed;
};
static struct log_limit log_limits[LOG_LIMIT_KEYS];
static int log_nlimits;
static pthread_mutex_t log_limit_lock = PTHREAD_MUTEX_INITIALIZER;

/* level: a syslog priority (LOG_ERR..LOG_DEBUG); records above it are
 * dropped. to_tty: write a word ("warning: ") instead of "<4>". */
void
log_init(int level, int to_tty)
{
	atomic_store(&log_tty, to_tty != 0);
	atomic_store(&log_journal, !to_tty && journal_stream_is(STDERR_FILENO));
	log_set_level(level);
}

/* Changes the filter (SIGHUP); safe from any thread. */
void
log_set_level(int level)
{
	if (level < LOG_EMERG)
		level = LOG_EMERG;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	atomic_store(&log_level, level);
}

static const char *
log_word(int pri)
{
	switch (pri) {
	case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR:
		return "error: ";
	case LOG_WARNING:
		return "warning: ";
	case LOG_NOTICE:
		return "notice: ";
	case LOG_DEBUG:
		return "debug: ";
	default:
		return "";
	}
}

static void log_emit(int, const struct log_field *, size_t, const char *,
    const char *, va_list) __attribute__((format(printf, 5, 0)));

/* Writes all of line to stderr in one write(2) where the kernel allows. */
static void
log_write(const char *line, size_t n)
{
	size_t	 i;
	ssize_t	 w;

	for (i = 0; i < n; i += (size_t)w) {
		w = write(STDERR_FILENO, line + i, n - i);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w <= 0)
			break;
	}
}

/*
 * Formats prefix, message and suffix into one line and writes it at once,
 * or sends message and fields to the journal when stderr is the journal.
 */
static void
log_emit(int pri, const struct log_field *fields, size_t nfields,
    const char *suffix, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX];
	size_t	 n, i, start;
	int	 r;

	if (atomic_load(&log_tty))
		r = snprintf(line, sizeof(line), "retentiond: %s", log_word(pri));
	else
		r = snprintf(line, sizeof(line), "<%d>", pri);
	n = start = r > 0 ? (size_t)r : 0;
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	if (suffix != NULL && n < sizeof(line) - 1) {
		r = snprintf(line + n, sizeof(line) - n, "%s", suffix);
		if (r > 0)
			n += (size_t)r < sizeof(line) - n ?
			    (size_t)r : sizeof(line) - n - 1;
	}
	if (n >= sizeof(line) - 1) {	/* truncated: say so */
		n = sizeof(line) - 5;
		memcpy(line + n, "...", 3);
		n += 3;
	}
	for (i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n] = '\0';
	if (atomic_load(&log_journal) &&
	    journal_send(pri, line + start, fields, nfields) == 0)
		return;
	line[n++] = '\n';
	log_write(line, n);
}

static int
log_enabled(int pri)
{
	return pri <= atomic_load(&log_level);
}

/* A record at syslog priority pri. */
void
log_msg(int pri, const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(pri))
		return;
	va_start(ap, fmt);
	log_emit(pri, NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

/* A record with fields for the journal (ignored on a plain stderr: the
 * message itself says what they say). */
void
log_fields(int pri, const struct log_field *fields, size_t nfields,
    const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(pri))
		return;
	va_start(ap, fmt);
	log_emit(pri, fields, nfields, NULL, fmt, ap);
	va_end(ap);
}

/* A record about one partition: KAFKA_TOPIC and KAFKA_PARTITION. */
void
log_partition(int pri, const char *topic, int32_t partition, const char *fmt,
    ...)
{
	struct log_field	f[2] = { { "KAFKA_TOPIC", topic },
				    { "KAFKA_PARTITION", NULL } };
	char			num[16];
	va_list			ap;

	if (!log_enabled(pri))
		return;
	snprintf(num, sizeof(num), "%d", (int)partition);
	f[1].value = num;
	va_start(ap, fmt);
	log_emit(pri, f, 2, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(LOG_DEBUG))
		return;
	va_start(ap, fmt);
	log_emit(LOG_DEBUG, NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(LOG_INFO))
		return;
	va_start(ap, fmt);
	log_emit(LOG_INFO, NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	if (!log_enabled(LOG_WARNING))
		return;
	va_start(ap, fmt);
	log_emit(LOG_WARNING, NULL, 0, NULL, fmt, ap);
	va_end(ap);
}

/* Fills buf with ": " and errno's text (errno as it was on entry). */
static const char *
log_errno_suffix(int saved, char *buf, size_t len)
{
	char	 tmp[256];
	const char *s;

	s = strerror_r(saved, tmp, sizeof(tmp));	/* GNU: returns the text */
	snprintf(buf, len, ": %s", s);
	return buf;
}

/* A warning followed by ": " and strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	char	suffix[300];
	int	saved = errno;

	if (!log_enabled(LOG_WARNING))
		return;
	log_errno_suffix(saved, suffix, sizeof(suffix));
	va_start(ap, fmt);
	log_emit(LOG_WARNING, NULL, 0, suffix, fmt, ap);
	va_end(ap);
	errno = saved;
}

static int64_t
log_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * At most one warning per key per LOG_LIMIT_MS. Keys are short constant
 * names ("kafka.produce"), never data. When the table is full, a new key
 * takes the slot that has been quiet longest.
 */
void
log_warn_limited(const char *key, const char *fmt, ...)
{
	struct log_limit *l = NULL;
	va_list		 ap;
	char		 suffix[96];
	uint64_t	 dropped;
	int64_t		 now;
	int		 i, oldest = 0;

	if (!log_enabled(LOG_WARNING))
		return;
	now = log_now_ms();
	pthread_mutex_lock(&log_limit_lock);
	for (i = 0; i < log_nlimits; i++) {
		if (strncmp(log_limits[i].key, key, LOG_KEY_MAX - 1) == 0) {
			l = &log_limits[i];
			break;
		}
		if (log_limits[i].last_ms < log_limits[oldest].last_ms)
			oldest = i;
	}
	if (l == NULL) {
		l = log_nlimits < LOG_LIMIT_KEYS ?
		    &log_limits[log_nlimits++] : &log_limits[oldest];
		snprintf(l->key, sizeof(l->key), "%s", key);
		l->suppressed = 0;
	} else if (now - l->last_ms < LOG_LIMIT_MS) {
		l->suppressed++;
		pthread_mutex_unlock(&log_limit_lock);
		return;
	}
	l->last_ms = now;
	dropped = l->suppressed;
	l->suppressed = 0;
	pthread_mutex_unlock(&log_limit_lock);

	suffix[0] = '\0';
	if (dropped > 0)
		snprintf(suffix, sizeof(suffix),
		    " (%llu similar messages suppressed)",
		    (unsigned long long)dropped);
	va_start(ap, fmt);
	log_emit(LOG_WARNING, NULL, 0, suffix, fmt, ap);
	va_end(ap);
}

/* Logs at LOG_ERR with strerror(errno) and exits 1. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	char	suffix[300];

	log_errno_suffix(errno, suffix, sizeof(suffix));
	va_start(ap, fmt);
	log_emit(LOG_ERR, NULL, 0, suffix, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Logs at LOG_ERR and exits 1. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, NULL, 0, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Logs at LOG_ERR with fields and exits EXIT_CONFIG: a configuration that
 * restarting will not mend (the unit's RestartPreventExitStatus=6). */
void
fatalx_config(const struct log_field *fields, size_t nfields, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_emit(LOG_ERR, fields, nfields, NULL, fmt, ap);
	va_end(ap);
	exit(EXIT_CONFIG);
}

/* malloc that never returns NULL: out of memory is fatal. New memory. */
void *
xmalloc(size_t n)
{
	void	*p = malloc(n ? n : 1);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

/* calloc that never returns NULL (overflow of n * size is fatal too). */
void *
xcalloc(size_t n, size_t size)
{
	void	*p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

/* strdup that never returns NULL. New string. */
char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", strlen(s) + 1);
	return p;
}
