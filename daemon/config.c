/*
 * config.c: the INI configuration file, as one table of keys.
 *
 * Every key except [kafka]'s is a row of config_keys[]: section, name, type,
 * range and where it lands in struct config. Parsing, duplicate detection,
 * the cross-key checks and the error messages all walk that table; adding a
 * key is adding a row (and a line in deploy/retentiond.conf and
 * docs/retentiond.conf.5). [kafka] keys pass verbatim to librdkafka, which
 * checks them in kafka_check_config().
 *
 * Errors read "file:line: reason" and name the first problem in the file.
 *
 * Design note: libinih does the INI syntax (sections, comments, key = value,
 * whitespace), but Debian's build neither passes line numbers to the handler
 * (INI_HANDLER_LINENO is 0) nor reads lines longer than INI_MAX_LINE (200
 * bytes; longer ones are cut into pieces, silently). So inih reads through
 * parse_reader(), which reads whole lines with getline(), counts them (the
 * handler is called for the line just read, so the count is its line), and
 * hands inih short lines only: a longer "key = value" line reaches inih as
 * "key =" while its value waits in struct parse for the handler. Leading
 * whitespace is dropped there too, so inih never sees a continuation line.
 * Inline comments are off: a value may contain ';' (passwords do); a
 * comment is a line that starts with '#' or ';'.
 *
 * Secrets: a [kafka] value "@credential:NAME" is replaced by the content of
 * $CREDENTIALS_DIRECTORY/NAME (systemd LoadCredential=), "@file:/PATH" by
 * the content of that file, and "${CREDENTIALS_DIRECTORY}" inside a [kafka]
 * value or [http] token_file by the directory itself. Values of [kafka]
 * keys never appear in error messages.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <ini.h>

#include "daemon.h"

enum key_type {
	KT_DOUBLE, KT_INT, KT_SIZE, KT_BOOL, KT_LOGLEVEL, KT_TIME,
	KT_TOPIC, KT_PATH, KT_LISTEN, KT_LIST
};

#define KF_LO_OPEN	0x01	/* value must be > lo (else >= lo) */
#define KF_HI_OPEN	0x02	/* value must be < hi (else <= hi) */
#define KF_NONEMPTY	0x04	/* strings: "" is invalid */
#define KF_CRED		0x08	/* expand ${CREDENTIALS_DIRECTORY} */

struct config_key {
	const char	*section;
	const char	*name;
	enum key_type	 type;
	size_t		 off;		/* offsetof(struct config, ...) */
	size_t		 size;		/* strings: buffer size */
	double		 lo, hi;	/* numbers: range */
	int		 flags;
};

#define FIELD(f)	offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define P(f)		FIELD(pipeline.f)

static const struct config_key config_keys[] = {
	{ "topics", "input",		KT_TOPIC, FIELD(topic_input), 0, 0, 0 },
	{ "topics", "alerts",		KT_TOPIC, FIELD(topic_alerts), 0, 0, 0 },
	{ "topics", "suggestions",	KT_TOPIC, FIELD(topic_suggestions), 0, 0, 0 },
	{ "topics", "estimates",	KT_TOPIC, FIELD(topic_estimates), 0, 0, 0 },
	{ "topics", "dlq",		KT_TOPIC, FIELD(topic_dlq), 0, 0, 0 },
	{ "state", "directory",		KT_PATH, FIELD(state_directory), 0, 0, KF_NONEMPTY },
	{ "alerts", "threshold",	KT_DOUBLE, P(threshold), 0, 1, KF_LO_OPEN | KF_HI_OPEN },
	{ "alerts", "clear_threshold",	KT_DOUBLE, P(clear_threshold), 0, 1, KF_HI_OPEN },
	{ "alerts", "critical_threshold", KT_DOUBLE, P(critical_threshold), 0, 1, KF_LO_OPEN },
	{ "alerts", "min_exits",	KT_INT, P(alert_min_exits), 0, 1000000, 0 },
	{ "alerts", "horizon_days",	KT_INT, P(horizon_days), 1, 3650, 0 },
	{ "suggestions", "training_hour_cost", KT_DOUBLE, P(training_hour_cost), 0, 1e9, 0 },
	{ "suggestions", "care_action_cost", KT_DOUBLE, P(care_action_cost), 0, 1e9, 0 },
	{ "suggestions", "promotion_raise_percent", KT_DOUBLE, P(promotion_raise_percent), 0, 100, 0 },
	{ "suggestions", "weight_retention", KT_DOUBLE, P(weight_retention), 0, 1e6, 0 },
	{ "suggestions", "weight_satisfaction", KT_DOUBLE, P(weight_satisfaction), 0, 1e6, 0 },
	{ "suggestions", "weight_ability", KT_DOUBLE, P(weight_ability), 0, 1e6, 0 },
	{ "suggestions", "department_budget_per_month", KT_DOUBLE, P(department_budget_per_month), 0, 1e12, 0 },
	{ "suggestions", "max_actions",	KT_INT, P(suggestions_max), 1, 16, 0 },
	{ "http", "listen",		KT_LISTEN, FIELD(http_listen), 0, 0, 0 },
	{ "http", "token_file",		KT_PATH, FIELD(http_token_file), 0, 0, KF_CRED },
	{ "http", "allow_remote",	KT_BOOL, FIELD(http_allow_remote), 0, 1, 0 },
	{ "http", "max_connections",	KT_INT, FIELD(http_max_connections), 1, 4096, 0 },
	{ "http", "max_connections_per_address", KT_INT, FIELD(http_max_per_address), 1, 4096, 0 },
	{ "http", "request_timeout_seconds", KT_INT, FIELD(http_request_timeout_s), 1, 3600, 0 },
	{ "model", "forgetting_rls",	KT_DOUBLE, P(model.forgetting_rls), 0.9, 1, 0 },
	{ "model", "forgetting_hazard",	KT_DOUBLE, P(model.forgetting_hazard), 0.9, 1, 0 },
	{ "model", "l2",		KT_DOUBLE, P(model.l2), 0, 1e6, 0 },
	{ "model", "max_attribute_features", KT_INT, P(features.max_attr_features), 0, ATTR_FEATURES_MAX, 0 },
	{ "model", "max_levels",	KT_INT, P(features.max_levels), 2, 64, 0 },
	{ "model", "protected_extra",	KT_LIST, FIELD(extra_protected_buf), 0, 0, 0 },
	{ "model", "rescore_interval_hours", KT_INT, P(rescore_interval_hours), 1, 8760, 0 },
	{ "model", "estimates_interval_events", KT_INT, P(estimates_interval_events), 1, 1e9, 0 },
	{ "model", "estimates_interval_seconds", KT_INT, FIELD(estimates_interval_s), 1, 86400, 0 },
	{ "model", "observation_start",	KT_TIME, P(model.observation_start_ms), 0, 0, 0 },
	{ "model", "dedup_capacity",	KT_SIZE, P(dedup_capacity), 1024, 1 << 28, 0 },
	{ "log", "level",		KT_LOGLEVEL, FIELD(log_level), 0, 0, 0 },
};
#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* The state of one parse: the reader's line count and the first error. */
struct parse {
	FILE		*fp;
	const char	*file;
	struct config	*cfg;
	char		*buf;			/* getline's */
	size_t		 cap;
	int		 lineno;		/* lines read so far */
	int		 section_line;		/* of the last [section] */
	int		 long_line;		/* line whose value is below */
	char		 long_value[CONFIG_STR_MAX];
	int		 long_too_long;
	int		 err_line;		/* first error, 0 none */
	char		 err[512];
	int		 key_line[NKEYS];	/* where each key was set */
	int		 kafka_line[CONFIG_KAFKA_MAX];
	int		 record_only;		/* only fill key_line[] */
};

static void parse_error(struct parse *, int line, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps the first error only: the one a user should fix first. */
static void
parse_error(struct parse *p, int line, const char *fmt, ...)
{
	va_list	ap;

	if (p->err_line != 0)
		return;
	p->err_line = line > 0 ? line : -1;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
}

/* "file:line: reason" (or "file: reason" without a line) into errbuf. */
static void
format_error(char *errbuf, size_t errlen, const char *file, int line,
    const char *reason)
{
	if (errbuf == NULL || errlen == 0)
		return;
	if (line > 0)
		snprintf(errbuf, errlen, "%s:%d: %s", file, line, reason);
	else
		snprintf(errbuf, errlen, "%s: %s", file, reason);
}

/* A short printable excerpt of a value for messages (not for secrets). */
static const char *
excerpt(const char *v, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; v[i] != '\0' && i + 4 < len; i++)
		buf[i] = isprint((unsigned char)v[i]) ? v[i] : '?';
	if (v[i] != '\0' && len > 4) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static const char *
skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\v' || *s == '\f')
		s++;
	return s;
}

/*
 * inih's fgets: one whole line per call (see the design note). Returns str,
 * or NULL at the end of the file.
 */
static char *
parse_reader(char *str, int num, void *stream)
{
	struct parse	*p = stream;
	ssize_t		 n;
	size_t		 len, room;
	const char	*s, *sep;

	if (num < 8)
		return NULL;
	room = (size_t)num - 3;	/* inih wants room for "\r\n\0" */
	n = getline(&p->buf, &p->cap, p->fp);
	if (n < 0)
		return NULL;
	p->lineno++;
	len = (size_t)n;
	while (len > 0 && (p->buf[len - 1] == '\n' || p->buf[len - 1] == '\r'))
		len--;
	str[0] = '\0';
	if (memchr(p->buf, '\0', len) != NULL) {
		parse_error(p, p->lineno, "NUL byte in line");
		return str;
	}
	p->buf[len] = '\0';
	s = skip_space(p->buf);
	if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0)
		s = skip_space(s + 3);	/* UTF-8 byte order mark */
	len = strlen(s);
	if (*s == '[')
		p->section_line = p->lineno;
	if (*s == '#' || *s == ';') {
		memcpy(str, ";\n", 3);
		return str;
	}
	if (len <= room) {
		memcpy(str, s, len);
		memcpy(str + len, "\n", 2);
		return str;
	}
	/* A long line: hand inih "key =" and keep the value for the handler. */
	sep = strpbrk(s, "=:");
	if (*s == '[' || sep == NULL || (size_t)(sep - s) + 1 > room) {
		parse_error(p, p->lineno, "line too long");
		return str;
	}
	memcpy(str, s, (size_t)(sep - s) + 1);
	memcpy(str + (sep - s) + 1, "\n", 2);
	s = skip_space(sep + 1);
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	p->long_line = p->lineno;
	p->long_too_long = len >= sizeof(p->long_value);
	if (!p->long_too_long) {
		memcpy(p->long_value, s, len);
		p->long_value[len] = '\0';
	}
	return str;
}

/* Copies s into a buffer of size len; -1 if it does not fit. */
static int
copy_str(char *dst, size_t len, const char *s)
{
	size_t	n = strlen(s);

	if (n >= len)
		return -1;
	memcpy(dst, s, n + 1);
	return 0;
}

/*
 * Replaces every "${CREDENTIALS_DIRECTORY}" in in by the environment
 * variable's value, into out. Returns 0, or -1 with reason.
 */
static int
expand_credentials_dir(const char *in, char *out, size_t outlen,
    char *reason, size_t rlen)
{
	static const char var[] = "${CREDENTIALS_DIRECTORY}";
	const char	*dir, *at;
	size_t		 n = 0, k;

	if (strstr(in, var) == NULL) {
		if (copy_str(out, outlen, in) == 0)
			return 0;
		snprintf(reason, rlen, "value too long");
		return -1;
	}
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir == NULL || *dir == '\0') {
		snprintf(reason, rlen, "${CREDENTIALS_DIRECTORY} is used but "
		    "not set (systemd sets it with LoadCredential=)");
		return -1;
	}
	while ((at = strstr(in, var)) != NULL) {
		k = (size_t)(at - in);
		if (n + k + strlen(dir) >= outlen)
			goto toolong;
		memcpy(out + n, in, k);
		n += k;
		memcpy(out + n, dir, strlen(dir));
		n += strlen(dir);
		in = at + sizeof(var) - 1;
	}
	if (n + strlen(in) >= outlen)
		goto toolong;
	memcpy(out + n, in, strlen(in) + 1);
	return 0;
toolong:
	snprintf(reason, rlen, "value too long after expanding "
	    "${CREDENTIALS_DIRECTORY}");
	return -1;
}

/*
 * The content of a secret file into out (one line; trailing newlines
 * dropped). Only regular files: never blocks on a FIFO or a device.
 * Returns 0, or -1 with a reason that names the file, not its content.
 */
static int
read_secret(const char *path, char *out, size_t outlen, char *reason,
    size_t rlen)
{
	struct stat	st;
	ssize_t		n;
	size_t		len = 0;
	int		fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(reason, rlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(reason, rlen, "%s: not a regular file", path);
		goto fail;
	}
	while (len < outlen) {
		n = read(fd, out + len, outlen - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(reason, rlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		len--;
	if (len >= outlen) {
		snprintf(reason, rlen, "%s: longer than %zu bytes", path,
		    outlen - 1);
		return -1;
	}
	out[len] = '\0';
	if (strlen(out) != len || strpbrk(out, "\r\n") != NULL) {
		snprintf(reason, rlen, "%s: must be one line of text", path);
		return -1;
	}
	if (len == 0) {
		snprintf(reason, rlen, "%s: is empty", path);
		return -1;
	}
	return 0;
fail:
	close(fd);
	return -1;
}

/* A [kafka] value with its @credential:, @file: and ${...} forms resolved. */
static int
resolve_kafka_value(const char *v, char *out, size_t outlen, char *reason,
    size_t rlen)
{
	char		 path[PATH_MAX];
	const char	*dir, *name;

	if (strncmp(v, "@credential:", 12) == 0) {
		name = v + 12;
		if (*name == '\0' || strchr(name, '/') != NULL ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			snprintf(reason, rlen, "@credential: needs a credential "
			    "name without '/'");
			return -1;
		}
		dir = getenv("CREDENTIALS_DIRECTORY");
		if (dir == NULL || *dir == '\0') {
			snprintf(reason, rlen, "@credential:%s but "
			    "$CREDENTIALS_DIRECTORY is not set (systemd sets it "
			    "with LoadCredential=)", name);
			return -1;
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		    sizeof(path)) {
			snprintf(reason, rlen, "credential path too long");
			return -1;
		}
		return read_secret(path, out, outlen, reason, rlen);
	}
	if (strncmp(v, "@file:", 6) == 0) {
		if (v[6] != '/') {
			snprintf(reason, rlen, "@file: needs an absolute path");
			return -1;
		}
		return read_secret(v + 6, out, outlen, reason, rlen);
	}
	return expand_credentials_dir(v, out, outlen, reason, rlen);
}

static int
parse_double(const char *v, double *out)
{
	char	*end;

	if (*v == '\0')
		return -1;
	errno = 0;
	*out = strtod(v, &end);
	if (errno != 0 || *end != '\0' || !isfinite(*out))
		return -1;
	return 0;
}

static int
parse_integer(const char *v, long long *out)
{
	char	*end;

	if (*v == '\0')
		return -1;
	errno = 0;
	*out = strtoll(v, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

static int
parse_bool(const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t	i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

static int
parse_loglevel(const char *v)
{
	static const struct { const char *name; int pri; } levels[] = {
		{ "err", LOG_ERR }, { "error", LOG_ERR },
		{ "warning", LOG_WARNING }, { "warn", LOG_WARNING },
		{ "notice", LOG_NOTICE }, { "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};
	size_t	i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(v, levels[i].name) == 0)
			return levels[i].pri;
	return -1;
}

/* Kafka's legal topic names: 1..249 of [A-Za-z0-9._-], not "." or "..". */
static int
valid_topic(const char *v)
{
	size_t	n = strlen(v);

	if (n == 0 || n > 249 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return 0;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

/*
 * Splits "HOST:PORT" (HOST an IPv4 address, "[IPv6]" or "localhost") into
 * host (brackets removed) and port 0..65535. Returns 0, or -1.
 */
int
config_parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char	*colon, *h = listen;
	size_t		 hl;
	long long	 pn;
	unsigned char	 addr[16];

	if (*listen == '[') {
		colon = strstr(listen, "]:");
		if (colon == NULL)
			return -1;
		h = listen + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - listen);
	}
	if (hl == 0 || hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (parse_integer(colon + 1, &pn) < 0 || pn < 0 || pn > 65535 ||
	    !isdigit((unsigned char)colon[1]))
		return -1;
	if (*listen == '[') {
		if (inet_pton(AF_INET6, host, addr) != 1)
			return -1;
	} else if (strcmp(host, "localhost") != 0 &&
	    inet_pton(AF_INET, host, addr) != 1)
		return -1;
	*port = (int)pn;
	return 0;
}

/* 1 if host (as from config_parse_listen) only reaches this machine. */
static int
is_loopback(const char *host)
{
	struct in_addr	a4;
	struct in6_addr	a6;

	if (strcmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 1;
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return a6.s6_addr[12] == 127;
	}
	return 0;
}

/* Comma-separated names into the config's extra protected list. */
static int
parse_list(struct config *cfg, const char *v, char *reason, size_t rlen)
{
	const char	*s = v, *e, *end;
	int		 n = 0;
	size_t		 len;

	memset(cfg->extra_protected_buf, 0, sizeof(cfg->extra_protected_buf));
	if (*skip_space(v) == '\0')
		return 0;
	for (;;) {
		s = skip_space(s);
		end = strchr(s, ',');
		if (end == NULL)
			end = s + strlen(s);
		e = end;
		while (e > s && isspace((unsigned char)e[-1]))
			e--;
		len = (size_t)(e - s);
		if (len == 0) {
			snprintf(reason, rlen, "empty name in list");
			return -1;
		}
		if (len >= sizeof(cfg->extra_protected_buf[0])) {
			snprintf(reason, rlen, "name longer than %zu bytes",
			    sizeof(cfg->extra_protected_buf[0]) - 1);
			return -1;
		}
		if (n >= PROTECTED_MAX - 1) {
			snprintf(reason, rlen, "more than %d names",
			    PROTECTED_MAX - 1);
			return -1;
		}
		memcpy(cfg->extra_protected_buf[n++], s, len);
		if (*end == '\0')
			return 0;
		s = end + 1;
	}
}

/* Points features.extra_protected at the config's own buffers. */
static void
config_fix_pointers(struct config *cfg)
{
	int	i, n = 0;

	memset(cfg->pipeline.features.extra_protected, 0,
	    sizeof(cfg->pipeline.features.extra_protected));
	for (i = 0; i < PROTECTED_MAX - 1; i++)
		if (cfg->extra_protected_buf[i][0] != '\0')
			cfg->pipeline.features.extra_protected[n++] =
			    cfg->extra_protected_buf[i];
}

/* Parses value v of key k into cfg. 0, or -1 with reason. */
static int
set_key(struct config *cfg, const struct config_key *k, const char *v,
    char *reason, size_t rlen)
{
	char		*base = (char *)cfg + k->off;
	char		 ex[48], buf[CONFIG_STR_MAX], host[256];
	double		 d;
	long long	 i;
	int		 b, port;

	switch (k->type) {
	case KT_DOUBLE:
		if (parse_double(v, &d) < 0) {
			snprintf(reason, rlen, "%s: bad number '%s'", k->name,
			    excerpt(v, ex, sizeof(ex)));
			return -1;
		}
		if ((k->flags & KF_LO_OPEN ? d <= k->lo : d < k->lo) ||
		    (k->flags & KF_HI_OPEN ? d >= k->hi : d > k->hi)) {
			snprintf(reason, rlen, "%s: %g out of range %c%g, %g%c",
			    k->name, d, k->flags & KF_LO_OPEN ? '(' : '[', k->lo,
			    k->hi, k->flags & KF_HI_OPEN ? ')' : ']');
			return -1;
		}
		*(double *)(void *)base = d;
		return 0;
	case KT_INT:
	case KT_SIZE:
		if (parse_integer(v, &i) < 0) {
			snprintf(reason, rlen, "%s: bad integer '%s'", k->name,
			    excerpt(v, ex, sizeof(ex)));
			return -1;
		}
		if ((double)i < k->lo || (double)i > k->hi) {
			snprintf(reason, rlen, "%s: %lld out of range [%.0f, %.0f]",
			    k->name, i, k->lo, k->hi);
			return -1;
		}
		if (k->type == KT_INT)
			*(int *)(void *)base = (int)i;
		else
			*(size_t *)(void *)base = (size_t)i;
		return 0;
	case KT_BOOL:
		if ((b = parse_bool(v)) < 0) {
			snprintf(reason, rlen, "%s: expected yes or no, not '%s'",
			    k->name, excerpt(v, ex, sizeof(ex)));
			return -1;
		}
		*(int *)(void *)base = b;
		return 0;
	case KT_LOGLEVEL:
		if ((b = parse_loglevel(v)) < 0) {
			snprintf(reason, rlen, "%s: expected error, warning, "
			    "notice, info or debug, not '%s'", k->name,
			    excerpt(v, ex, sizeof(ex)));
			return -1;
		}
		*(int *)(void *)base = b;
		return 0;
	case KT_TIME:
		if (*v == '\0') {
			*(int64_t *)(void *)base = 0;
			return 0;
		}
		if (decode_rfc3339(v, (int64_t *)(void *)base) == -1) {
			snprintf(reason, rlen, "%s: expected an RFC 3339 time such as "
			    "2026-01-01T00:00:00Z, not '%s'", k->name,
			    excerpt(v, ex, sizeof(ex)));
			return -1;
		}
		return 0;
	case KT_TOPIC:
		if (!valid_topic(v)) {
			snprintf(reason, rlen, "%s: invalid topic name '%s' "
			    "(1 to 249 of A-Z a-z 0-9 . _ -)", k->name,
			    excerpt(v, ex, sizeof(ex)));
			return -1;
		}
		break;
	case KT_LISTEN:
		if (*v != '\0' &&
		    config_parse_listen(v, host, sizeof(host), &port) < 0) {
			snprintf(reason, rlen, "%s: expected ADDRESS:PORT "
			    "(IPv4, [IPv6] or localhost) or empty, not '%s'",
			    k->name, excerpt(v, ex, sizeof(ex)));
			return -1;
		}
		break;
	case KT_PATH:
		if ((k->flags & KF_NONEMPTY) && *v == '\0') {
			snprintf(reason, rlen, "%s: must not be empty", k->name);
			return -1;
		}
		if (k->flags & KF_CRED) {
			if (expand_credentials_dir(v, buf, sizeof(buf), reason,
			    rlen) < 0)
				return -1;
			v = buf;
		}
		break;
	case KT_LIST:
		if (parse_list(cfg, v, reason, rlen) < 0)
			return -1;
		config_fix_pointers(cfg);
		return 0;
	}
	/* strings */
	if (copy_str(base, k->size, v) < 0) {
		snprintf(reason, rlen, "%s: longer than %zu bytes", k->name,
		    k->size - 1);
		return -1;
	}
	return 0;
}

static int
kafka_index(const struct config *cfg, const char *key)
{
	int	i;

	for (i = 0; i < cfg->nkafka; i++)
		if (strcmp(cfg->kafka[i].key, key) == 0)
			return i;
	return -1;
}

/* A [kafka] key = value line. */
static void
handle_kafka(struct parse *p, const char *name, const char *value)
{
	char	 resolved[CONFIG_STR_MAX], reason[PATH_MAX + 128];
	int	 i;

	i = kafka_index(p->cfg, name);
	if (i >= 0 && p->kafka_line[i] != 0) {
		parse_error(p, p->lineno, "duplicate key '%s' in [kafka] "
		    "(first on line %d)", name, p->kafka_line[i]);
		return;
	}
	if (strlen(name) >= sizeof(p->cfg->kafka[0].key)) {
		parse_error(p, p->lineno, "[kafka] key too long");
		return;
	}
	if (resolve_kafka_value(value, resolved, sizeof(resolved), reason,
	    sizeof(reason)) < 0) {
		parse_error(p, p->lineno, "[kafka] %s: %s", name, reason);
		return;
	}
	if (config_kafka_set(p->cfg, name, resolved) < 0) {
		parse_error(p, p->lineno, "[kafka] more than %d keys",
		    CONFIG_KAFKA_MAX);
		return;
	}
	i = kafka_index(p->cfg, name);
	p->cfg->kafka[i].line = p->lineno;
	p->kafka_line[i] = p->lineno;
}

static int
section_known(const char *section)
{
	size_t	i;

	if (strcmp(section, "kafka") == 0)
		return 1;
	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0)
			return 1;
	return 0;
}

/* inih's callback: one key = value of the line just read. */
static int
parse_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse	*p = user;
	char		 reason[PATH_MAX + 128];
	size_t		 i;

	if (p->long_line == p->lineno && p->lineno > 0) {
		if (p->long_too_long) {
			parse_error(p, p->lineno, "%s: value longer than %d bytes",
			    name, CONFIG_STR_MAX - 1);
			return 1;
		}
		value = p->long_value;
	}
	if (*section == '\0') {
		parse_error(p, p->lineno, "key '%s' outside a [section]", name);
		return 1;
	}
	if (!section_known(section)) {
		parse_error(p, p->section_line ? p->section_line : p->lineno,
		    "unknown section [%s]", section);
		return 1;
	}
	if (strcmp(section, "kafka") == 0) {
		if (!p->record_only)
			handle_kafka(p, name, value);
		return 1;
	}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			break;
	if (i == NKEYS) {
		parse_error(p, p->lineno, "unknown key '%s' in [%s]", name,
		    section);
		return 1;
	}
	if (p->key_line[i] != 0) {
		parse_error(p, p->lineno, "duplicate key '%s' in [%s] (first on "
		    "line %d)", name, section, p->key_line[i]);
		return 1;
	}
	p->key_line[i] = p->lineno;
	if (p->record_only)
		return 1;
	if (set_key(p->cfg, &config_keys[i], value, reason, sizeof(reason)) < 0)
		parse_error(p, p->lineno, "%s", reason);
	return 1;
}

static int
key_index(const char *section, const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The line of a key, 0 when it was not set in the file. */
static int
line_of(const int *lines, const char *section, const char *name)
{
	int	i = key_index(section, name);

	return i >= 0 ? lines[i] : 0;
}

static int
max_line(int a, int b)
{
	return a > b ? a : b;
}

/*
 * Checks between keys, with the line of the key that (probably) broke the
 * rule: the one of the pair set last in the file. lines[] may be all 0.
 */
static int
cross_check(const struct config *cfg, const int *lines, char *reason,
    size_t rlen)
{
	const struct pipeline_config *pc = &cfg->pipeline;
	char	host[256];
	int	port, l;

	if (!(pc->clear_threshold < pc->threshold)) {
		l = max_line(line_of(lines, "alerts", "clear_threshold"),
		    line_of(lines, "alerts", "threshold"));
		snprintf(reason, rlen, "clear_threshold (%g) must be below "
		    "threshold (%g)", pc->clear_threshold, pc->threshold);
		return l > 0 ? l : -1;
	}
	if (!(pc->threshold <= pc->critical_threshold)) {
		l = max_line(line_of(lines, "alerts", "critical_threshold"),
		    line_of(lines, "alerts", "threshold"));
		snprintf(reason, rlen, "critical_threshold (%g) must not be "
		    "below threshold (%g)", pc->critical_threshold,
		    pc->threshold);
		return l > 0 ? l : -1;
	}
	if (pc->weight_retention + pc->weight_satisfaction +
	    pc->weight_ability <= 0) {
		l = max_line(line_of(lines, "suggestions", "weight_retention"),
		    max_line(line_of(lines, "suggestions", "weight_satisfaction"),
		    line_of(lines, "suggestions", "weight_ability")));
		snprintf(reason, rlen, "weight_retention, weight_satisfaction "
		    "and weight_ability are all 0");
		return l > 0 ? l : -1;
	}
	if (cfg->http_listen[0] != '\0' && cfg->http_token_file[0] == '\0' &&
	    !cfg->http_allow_remote &&
	    config_parse_listen(cfg->http_listen, host, sizeof(host),
	    &port) == 0 && !is_loopback(host)) {
		l = line_of(lines, "http", "listen");
		snprintf(reason, rlen, "listen %s is not a loopback address: "
		    "set token_file, or allow_remote = yes to serve it "
		    "without authentication", cfg->http_listen);
		return l > 0 ? l : -1;
	}
	return 0;
}

/*
 * Runs inih over fp with the line-counting reader; returns the line of the
 * first error (-1 without a line) or 0, the reason in p->err.
 */
static int
parse_run(struct parse *p)
{
	int	r;

	ini_allow_inline_comments = 0;
	ini_allow_multiline = 0;
	r = ini_parse_stream(parse_reader, p, parse_handler, p);
	free(p->buf);
	p->buf = NULL;
	if (ferror(p->fp))
		parse_error(p, -1, "read error");
	if (r > 0 && (p->err_line == 0 || r < p->err_line)) {
		/* inih's own complaint: a line that is neither. */
		p->err_line = 0;
		parse_error(p, r, "expected [section], key = value or a comment");
	} else if (r < 0 && p->err_line == 0)
		parse_error(p, -1, "cannot parse (out of memory)");
	return p->err_line;
}

/*
 * Loads the stream fp (name for messages) over cfg. Returns 0, or -1 with
 * "name:line: reason". fp is borrowed (not closed).
 */
int
config_load_fp(FILE *fp, const char *name, struct config *cfg, char *errbuf,
    size_t errlen)
{
	struct parse	*p;
	char		 reason[512];
	int		 l, rc = -1;

	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		format_error(errbuf, errlen, name, 0, "out of memory");
		return -1;
	}
	p->fp = fp;
	p->file = name;
	p->cfg = cfg;
	if (parse_run(p) != 0) {
		format_error(errbuf, errlen, name, p->err_line, p->err);
		goto out;
	}
	cfg->pipeline.model.horizon_days = cfg->pipeline.horizon_days;
	cfg->pipeline.model.alert_threshold = cfg->pipeline.threshold;
	config_fix_pointers(cfg);
	if ((l = cross_check(cfg, p->key_line, reason, sizeof(reason))) != 0) {
		format_error(errbuf, errlen, name, l, reason);
		goto out;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

/* Loads path over cfg (after config_defaults()). 0, or -1 with errbuf. */
int
config_load(const char *path, struct config *cfg, char *errbuf, size_t errlen)
{
	FILE	*fp;
	int	 rc;

	if (copy_str(cfg->path, sizeof(cfg->path), path) < 0) {
		format_error(errbuf, errlen, "config", 0, "path too long");
		return -1;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		format_error(errbuf, errlen, path, 0, strerror(errno));
		return -1;
	}
	rc = config_load_fp(fp, path, cfg, errbuf, errlen);
	fclose(fp);
	return rc;
}

/* Where each key sits in cfg->path, for messages after loading. */
static void
config_lines(const struct config *cfg, int *lines)
{
	struct parse	*p;
	struct config	*scratch;

	memset(lines, 0, NKEYS * sizeof(int));
	if (cfg->path[0] == '\0')
		return;
	p = calloc(1, sizeof(*p));
	scratch = calloc(1, sizeof(*scratch));
	if (p == NULL || scratch == NULL)
		goto out;
	if ((p->fp = fopen(cfg->path, "re")) == NULL)
		goto out;
	p->file = cfg->path;
	p->cfg = scratch;
	p->record_only = 1;
	parse_run(p);
	fclose(p->fp);
	memcpy(lines, p->key_line, NKEYS * sizeof(int));
out:
	free(scratch);
	free(p);
}

/* The token file must be a private, non-empty, readable regular file. */
static int
check_token_file(const char *path, char *reason, size_t rlen)
{
	struct stat	st;
	int		fd;

	if (stat(path, &st) < 0) {
		snprintf(reason, rlen, "token_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(reason, rlen, "token_file %s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(reason, rlen, "token_file %s: mode %04o lets group or "
		    "others access it (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_size == 0) {
		snprintf(reason, rlen, "token_file %s: is empty", path);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
		snprintf(reason, rlen, "token_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * What needs more than the file itself: the cross-key rules again (for a
 * config built in code), the token file on disk, and the [kafka] keys
 * through librdkafka (kafka_check_config()). 0, or -1 with errbuf.
 */
int
config_validate(const struct config *cfg, char *errbuf, size_t errlen)
{
	int	 lines[NKEYS];
	char	 reason[PATH_MAX + 128];
	int	 l;
	const char *file = cfg->path[0] != '\0' ? cfg->path : "config";

	config_lines(cfg, lines);
	if ((l = cross_check(cfg, lines, reason, sizeof(reason))) != 0) {
		format_error(errbuf, errlen, file, l, reason);
		return -1;
	}
	if (cfg->http_token_file[0] != '\0' &&
	    check_token_file(cfg->http_token_file, reason, sizeof(reason)) < 0) {
		format_error(errbuf, errlen, file,
		    line_of(lines, "http", "token_file"), reason);
		return -1;
	}
	return kafka_check_config(cfg, errbuf, errlen);
}

/* Every default; [kafka] starts empty (kafka.c adds its own settings). */
void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	pipeline_config_defaults(&cfg->pipeline);
	snprintf(cfg->topic_input, sizeof(cfg->topic_input), "hr.events");
	snprintf(cfg->topic_alerts, sizeof(cfg->topic_alerts),
	    "hr.attrition.alerts");
	snprintf(cfg->topic_suggestions, sizeof(cfg->topic_suggestions),
	    "hr.retention.suggestions");
	snprintf(cfg->topic_estimates, sizeof(cfg->topic_estimates),
	    "hr.model.estimates");
	snprintf(cfg->topic_dlq, sizeof(cfg->topic_dlq), "hr.events.dlq");
	snprintf(cfg->state_directory, sizeof(cfg->state_directory),
	    "/var/lib/retentiond");
	snprintf(cfg->http_listen, sizeof(cfg->http_listen), "127.0.0.1:9464");
	cfg->http_allow_remote = 0;
	cfg->http_max_connections = 128;
	cfg->http_max_per_address = 8;
	cfg->http_request_timeout_s = 5;
	cfg->estimates_interval_s = 60;
	cfg->log_level = LOG_INFO;
	cfg->pipeline.model.horizon_days = cfg->pipeline.horizon_days;
	cfg->pipeline.model.alert_threshold = cfg->pipeline.threshold;
	config_fix_pointers(cfg);
}

/* Copies src to dst and points dst's internal pointers at dst. */
void
config_copy(struct config *dst, const struct config *src)
{
	if (dst != src)
		memcpy(dst, src, sizeof(*dst));
	config_fix_pointers(dst);
}

/* The value of a [kafka] key (borrowed), NULL if unset. */
const char *
config_kafka_get(const struct config *cfg, const char *key)
{
	int	i = kafka_index(cfg, key);

	return i >= 0 ? cfg->kafka[i].value : NULL;
}

/* Sets or replaces a [kafka] key (line 0). 0, or -1 when full or too long. */
int
config_kafka_set(struct config *cfg, const char *key, const char *value)
{
	int	i = kafka_index(cfg, key);

	if (strlen(key) >= sizeof(cfg->kafka[0].key) ||
	    strlen(value) >= sizeof(cfg->kafka[0].value))
		return -1;
	if (i < 0) {
		if (cfg->nkafka >= CONFIG_KAFKA_MAX)
			return -1;
		i = cfg->nkafka++;
		copy_str(cfg->kafka[i].key, sizeof(cfg->kafka[i].key), key);
	}
	copy_str(cfg->kafka[i].value, sizeof(cfg->kafka[i].value), value);
	cfg->kafka[i].line = 0;
	return 0;
}
