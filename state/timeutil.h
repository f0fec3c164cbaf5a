/*
 * timeutil.h: RFC 3339 timestamps, the only text form of time on the wire
 * and in the config. Times everywhere else are int64_t ms since the epoch,
 * but for what a record keeps (32-bit seconds, state/table.h).
 */
#ifndef RETENTIOND_TIMEUTIL_H
#define RETENTIOND_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parses an RFC 3339 date-time in years 1970..9999 into *ms (fraction
 * truncated to the millisecond, a leap second held at :59.999). s is
 * borrowed, may be NULL. Returns 0, or -1 when invalid (*ms untouched). */
int	time_parse_rfc3339(const char *s, int64_t *ms);
/* Writes ms as RFC 3339 UTC ("...Z", ".mmm" only when not zero) into the
 * caller's buf of len bytes; 25 bytes hold any year up to 9999. */
void	time_format_rfc3339(int64_t ms, char *buf, size_t len);

#endif
