/*
 * timeutil.c: RFC 3339 text <-> milliseconds since the Unix epoch (UTC).
 *
 * The decoder parses event times with it, the encoder writes output times
 * and the daemon reads times from its config and command line. Parsing is
 * by hand so that it is strict (RFC 3339 only, years 1970..9999 as
 * CONTRACT.md says) and independent of the locale and TZ; dates are
 * proleptic Gregorian.
 */
#include <stdio.h>
#include <time.h>

#include "timeutil.h"

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Leap years in 1..y (proleptic Gregorian), y >= 0. */
static int64_t
leaps_through(int64_t y)
{
	return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to y-m-d, for y >= 1970 and a valid date. */
static int64_t
days_since_epoch(int y, int m, int d)
{
	static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	int64_t days;

	days = 365 * (int64_t)(y - 1970) + leaps_through(y - 1) - leaps_through(1969);
	days += before[m - 1] + (m > 2 && is_leap(y));
	return days + d - 1;
}

/* Reads exactly n decimal digits at *s; advances *s. -1 if not digits. */
static int
digits(const char **s, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
		(*s)++;
	}
	return v;
}

/*
 * Parses an RFC 3339 date-time (`T` or `t`, `Z`/`z` or a +hh:mm offset,
 * optional fraction, truncated to the millisecond) with a year in
 * 1970..9999 into ms since the epoch. Returns 0, or -1 when invalid.
 */
int
time_parse_rfc3339(const char *s, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac_ms = 0, ndig = 0, off = 0, oh, om;
	int64_t t;

	if (s == NULL)
		return -1;
	if ((y = digits(&s, 4)) < 0 || *s++ != '-' ||
	    (mo = digits(&s, 2)) < 0 || *s++ != '-' ||
	    (d = digits(&s, 2)) < 0 || (*s != 'T' && *s != 't'))
		return -1;
	s++;
	if ((h = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (mi = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (sec = digits(&s, 2)) < 0)
		return -1;
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (ndig < 3)	/* truncate below the millisecond */
				frac_ms = frac_ms * 10 + (*s - '0');
			ndig++;
			s++;
		}
		if (ndig == 0)
			return -1;
		for (; ndig < 3; ndig++)
			frac_ms *= 10;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1;

		if ((oh = digits(&s, 2)) < 0 || *s++ != ':' ||
		    (om = digits(&s, 2)) < 0 || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 60 + om);
	} else
		return -1;
	if (*s != '\0')
		return -1;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > month_days(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	/* A leap second (only ever at the end of a UTC minute) is held at the
	 * last millisecond of that minute, so ordering is kept. */
	if (sec == 60) {
		if (((mi - off) % 60 + 60) % 60 != 59)
			return -1;
		sec = 59;
		frac_ms = 999;
	}
	t = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (int64_t)off * 60;
	if (t < 0)
		return -1;
	*ms = t * 1000 + frac_ms;
	return 0;
}

/* Writes ms as "YYYY-MM-DDTHH:MM:SSZ" (UTC), with ".mmm" only when the
 * milliseconds are not zero, into the caller's buf (25 bytes suffice for
 * years up to 9999). */
void
time_format_rfc3339(int64_t ms, char *buf, size_t len)
{
	int64_t secs = ms / 1000, rem = ms % 1000;
	time_t tt;
	struct tm tm;

	if (buf == NULL || len == 0)
		return;
	if (rem < 0) {		/* floor, so times before 1970 format sanely */
		rem += 1000;
		secs--;
	}
	tt = (time_t)secs;
	if (gmtime_r(&tt, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	if (rem != 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)rem);
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}
