/*
 * journal.c: log records as structured journal entries (libsystemd's
 * sd_journal_sendv), when standard error is the journal.
 *
 * systemd connects a service's stderr to journald's stream socket and
 * sets $JOURNAL_STREAM to that socket's "device:inode"; a process whose
 * stderr still matches (it was not redirected) may "upgrade" to the native
 * protocol (sd_journal_stream_fd(3), systemd.exec(5)). log.c then sends
 * each record here *instead of* writing its text line: both would reach
 * the same journal and every message would be stored twice. Only when a
 * send fails does log.c write the line to stderr after all.
 *
 * An entry carries PRIORITY, MESSAGE, SYSLOG_IDENTIFIER (what the stream
 * transport would have set, so `journalctl -t retentiond` still works)
 * and the record's own fields (CONFIG_FILE, CONFIG_LINE, KAFKA_TOPIC,
 * KAFKA_PARTITION). Thread-safe: libsystemd keeps one datagram socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "daemon.h"

#define JOURNAL_FIELDS_MAX	8
#define JOURNAL_FIELD_MAX	512	/* "NAME=value" of one extra field */

/* 1 if fd is the stream $JOURNAL_STREAM names ("device:inode"). */
int
journal_stream_is(int fd)
{
	const char		*env = getenv("JOURNAL_STREAM");
	unsigned long long	 dev, ino;
	struct stat		 st;
	char			 end;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return 0;
	if (fstat(fd, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

/*
 * One entry: priority pri, the message and up to JOURNAL_FIELDS_MAX
 * fields (longer values are cut). 0, or -1 when journald did not take it
 * (the caller then writes the line to stderr).
 */
int
journal_send(int pri, const char *msg, const struct log_field *fields,
    size_t nfields)
{
	struct iovec	 iov[3 + JOURNAL_FIELDS_MAX];
	char		 prio[16], extra[JOURNAL_FIELDS_MAX][JOURNAL_FIELD_MAX];
	char		*m;
	size_t		 n = 0, i, mlen = strlen(msg);
	int		 r;

	/* MESSAGE= needs its own buffer: the message is up to a log line. */
	if ((m = malloc(mlen + 9)) == NULL)
		return -1;
	memcpy(m, "MESSAGE=", 8);
	memcpy(m + 8, msg, mlen + 1);
	snprintf(prio, sizeof(prio), "PRIORITY=%d", pri);
	iov[n].iov_base = m;
	iov[n++].iov_len = mlen + 8;
	iov[n].iov_base = prio;
	iov[n++].iov_len = strlen(prio);
	iov[n].iov_base = (void *)(uintptr_t)"SYSLOG_IDENTIFIER=retentiond";
	iov[n++].iov_len = strlen("SYSLOG_IDENTIFIER=retentiond");
	for (i = 0; i < nfields && i < JOURNAL_FIELDS_MAX; i++) {
		if (fields[i].value == NULL)
			continue;
		snprintf(extra[i], sizeof(extra[i]), "%s=%s", fields[i].name,
		    fields[i].value);
		iov[n].iov_base = extra[i];
		iov[n++].iov_len = strlen(extra[i]);
	}
	r = sd_journal_sendv(iov, (int)n);
	free(m);
	return r < 0 ? -1 : 0;
}
