/*
 * config_keys.c: the key table and the setters: what each key of the INI
 * file means and how its value lands in struct config.
 *
 * Every key except [kafka]'s is a row of config_keys[]: section, name, type,
 * range and where it lands in struct config. Parsing, duplicate detection,
 * the cross-key checks and the error messages all walk that table (the
 * machinery is config.c); adding a key is adding a row (and a line in
 * deploy/retentiond.conf and docs/retentiond.conf.5). Each type has one
 * setter that checks the value and writes the field; its complaint is the
 * reason config.c puts after "file:line: ".
 *
 * Secrets: a [kafka] value "@credential:NAME" is replaced by the content of
 * $CREDENTIALS_DIRECTORY/NAME (systemd LoadCredential=), "@file:/PATH" by
 * the content of that file, and "${CREDENTIALS_DIRECTORY}" inside a [kafka]
 * value or [http] token_file by the directory itself. Values of [kafka]
 * keys never appear in error messages. A file behind @file: or
 * @credential: must be private to its owner (secrets.c).
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

#include "daemon.h"

enum key_type {
	KT_DOUBLE, KT_INT, KT_SIZE, KT_BOOL, KT_LOGLEVEL, KT_FORMAT, KT_TIME,
	KT_PARTITIONER,
	KT_TOPIC, KT_PATH, KT_LISTEN, KT_URIREF, KT_LIST,
	KT_IGNORED,	/* deprecated: an integer in range, checked and ignored */
	KT_LEGACY_WARMUP	/* [alerts] min_exits: see config.c, legacy_warmup() */
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
	{ "topics", "repartition",	KT_TOPIC, FIELD(topic_repartition), 0, 0, 0 },
	{ "topics", "stats",		KT_TOPIC, FIELD(topic_stats), 0, 0, 0 },
	{ "topics", "candidates",	KT_TOPIC, FIELD(topic_candidates), 0, 0, 0 },
	{ "topics", "checkpoints",	KT_TOPIC, FIELD(topic_checkpoints), 0, 0, 0 },
	{ "input", "partitioner",	KT_PARTITIONER, FIELD(partitioner), 0, 0, 0 },
	{ "state", "directory",		KT_PATH, FIELD(state_directory), 0, 0, KF_NONEMPTY },
	{ "state", "checkpoint_events",	KT_INT, FIELD(checkpoint_events), 1, 1e9, 0 },
	{ "state", "checkpoint_seconds", KT_INT, FIELD(checkpoint_seconds), 1, 86400, 0 },
	{ "state", "erasure_key_file",	KT_PATH, FIELD(erasure_key_file), 0, 0, KF_CRED },
	{ "state", "max_employees",	KT_SIZE, P(max_employees), 0, 1e9, 0 },
	{ "state", "keep_exited_days",	KT_INT, P(keep_exited_days), 0, 36500, 0 },
	{ "alerts", "threshold",	KT_DOUBLE, P(threshold), 0, 1, KF_LO_OPEN | KF_HI_OPEN },
	{ "alerts", "clear_threshold",	KT_DOUBLE, P(clear_threshold), 0, 1, KF_HI_OPEN },
	{ "alerts", "critical_threshold", KT_DOUBLE, P(critical_threshold), 0, 1, KF_LO_OPEN },
	{ "alerts", "warmup_max_se",	KT_DOUBLE, P(warmup_max_se), 0, 100, 0 },
	{ "alerts", "confidence_z",	KT_DOUBLE, P(confidence_z), 0, 10, 0 },
	{ "alerts", "monthly_budget_per_department", KT_INT, P(alert_budget_per_month), 0, 1e9, 0 },
	{ "alerts", "backfill_window_days", KT_INT, P(backfill_window_days), 0, 36500, 0 },
	/* warm-up is by information now (decide.c); read by legacy_warmup() */
	{ "alerts", "min_exits",	KT_LEGACY_WARMUP, FIELD(legacy_min_exits), 0, 1000000, 0 },
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
	{ "http", "ready_max_lag",	KT_INT, FIELD(ready_max_lag), 0, 1e9, 0 },
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
	{ "model", "epoch_hours",	KT_INT, P(epoch_hours), 1, 8760, 0 },
	{ "model", "idle_seconds",	KT_INT, FIELD(idle_seconds), 1, 86400, 0 },
	/* estimates are published at epoch boundaries now (DESIGN.md) */
	{ "model", "estimates_interval_events", KT_IGNORED, FIELD(ignored), 1, 1e9, 0 },
	{ "model", "estimates_interval_seconds", KT_IGNORED, FIELD(ignored), 1, 86400, 0 },
	{ "model", "observation_start",	KT_TIME, P(model.observation_start_ms), 0, 0, 0 },
	{ "model", "dedup_capacity",	KT_SIZE, P(dedup_capacity), 1024, 1 << 28, 0 },
	{ "time", "future_tolerance_seconds", KT_INT, P(future_tolerance_s), 0, 86400 * 31, 0 },
	{ "time", "future_horizon_days", KT_INT, P(future_horizon_days), 1, 36500, 0 },
	{ "time", "max_held",		KT_SIZE, P(max_held), 0, 1 << 24, 0 },
	{ "log", "level",		KT_LOGLEVEL, FIELD(log_level), 0, 0, 0 },
	{ "output", "format",		KT_FORMAT, P(output_format), 0, 0, 0 },
	{ "output", "source",		KT_URIREF, P(output_source), 0, 0, KF_NONEMPTY },
};
#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))
_Static_assert(NKEYS <= CONFIG_KEYS_MAX, "config_keys[]: raise CONFIG_KEYS_MAX");

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
 * dropped). Only private regular files (secrets.c): never blocks on a FIFO
 * or a device, never reads a secret others can read too.
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
	if (fstat(fd, &st) < 0 || secret_file_private(path, &st, reason,
	    rlen) < 0)
		goto fail;
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

/* A [kafka] value with its @credential:, @file: and ${...} forms resolved,
 * into out. 0, or -1 with a reason that never shows the value. */
int
config_kafka_resolve(const char *v, char *out, size_t outlen, char *reason,
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

/* [output] format: enum output_format, or -1. */
static int
parse_format(const char *v)
{
	if (strcasecmp(v, "plain") == 0)
		return OUTPUT_PLAIN;
	if (strcasecmp(v, "cloudevents") == 0)
		return OUTPUT_CLOUDEVENTS;
	return -1;
}

/* 1 if v can be a CloudEvents source, a URI-reference: printable ASCII
 * without spaces (the syntax beyond that is the operator's). */
static int
valid_uriref(const char *v)
{
	for (; *v != '\0'; v++)
		if (*v <= ' ' || *v >= 0x7f)
			return 0;
	return 1;
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

/* Comma-separated names into the config's extra protected list. */
static int
parse_list(struct config *cfg, const char *v, char *reason, size_t rlen)
{
	const char	*s = v, *e, *end;
	int		 n = 0;
	size_t		 len;

	memset(cfg->extra_protected_buf, 0, sizeof(cfg->extra_protected_buf));
	if (v[strspn(v, " \t\v\f")] == '\0')
		return 0;
	for (;;) {
		s += strspn(s, " \t\v\f");
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
void
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

/* KT_DOUBLE: a finite number within the row's range. */
static int
set_double(void *field, const struct config_key *k, const char *v,
    char *reason, size_t rlen)
{
	char	ex[48];
	double	d;

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
	*(double *)field = d;
	return 0;
}

/* KT_INT, KT_SIZE: a decimal integer within the row's range. */
static int
set_integer(void *field, const struct config_key *k, const char *v,
    char *reason, size_t rlen)
{
	char		ex[48];
	long long	i;

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
	if (k->type == KT_SIZE)
		*(size_t *)field = (size_t)i;
	else	/* KT_INT and the deprecated integers land in an int */
		*(int *)field = (int)i;
	return 0;
}

/* KT_BOOL, KT_LOGLEVEL, KT_FORMAT, KT_PARTITIONER: one of a few words,
 * into an int. */
static int
set_word(void *field, const struct config_key *k, const char *v,
    char *reason, size_t rlen)
{
	char	ex[48];
	int	b;

	b = k->type == KT_BOOL ? parse_bool(v) : k->type == KT_FORMAT ?
	    parse_format(v) : k->type == KT_PARTITIONER ? partitioner_parse(v) :
	    parse_loglevel(v);
	if (b < 0 && k->type == KT_BOOL) {
		snprintf(reason, rlen, "%s: expected yes or no, not '%s'",
		    k->name, excerpt(v, ex, sizeof(ex)));
		return -1;
	}
	if (b < 0 && k->type == KT_FORMAT) {
		snprintf(reason, rlen, "%s: expected plain or cloudevents, not '%s'",
		    k->name, excerpt(v, ex, sizeof(ex)));
		return -1;
	}
	if (b < 0 && k->type == KT_PARTITIONER) {
		snprintf(reason, rlen, "%s: expected murmur2, crc32 or none, "
		    "not '%s'", k->name, excerpt(v, ex, sizeof(ex)));
		return -1;
	}
	if (b < 0) {
		snprintf(reason, rlen, "%s: expected error, warning, "
		    "notice, info or debug, not '%s'", k->name,
		    excerpt(v, ex, sizeof(ex)));
		return -1;
	}
	*(int *)field = b;
	return 0;
}

/* KT_TIME: an RFC 3339 time in ms since the epoch; "" is 0 (unset). */
static int
set_time(void *field, const struct config_key *k, const char *v,
    char *reason, size_t rlen)
{
	char	ex[48];

	if (*v == '\0') {
		*(int64_t *)field = 0;
		return 0;
	}
	if (time_parse_rfc3339(v, (int64_t *)field) == -1) {
		snprintf(reason, rlen, "%s: expected an RFC 3339 time such as "
		    "2026-01-01T00:00:00Z, not '%s'", k->name,
		    excerpt(v, ex, sizeof(ex)));
		return -1;
	}
	return 0;
}

/* KT_TOPIC, KT_LISTEN, KT_PATH, KT_URIREF: a checked string into the row's
 * buffer. */
static int
set_string(char *field, const struct config_key *k, const char *v,
    char *reason, size_t rlen)
{
	char	ex[48], buf[CONFIG_STR_MAX], host[256];
	int	port;

	if (k->type == KT_TOPIC && !valid_topic(v)) {
		snprintf(reason, rlen, "%s: invalid topic name '%s' "
		    "(1 to 249 of A-Z a-z 0-9 . _ -)", k->name,
		    excerpt(v, ex, sizeof(ex)));
		return -1;
	}
	if (k->type == KT_URIREF && !valid_uriref(v)) {
		snprintf(reason, rlen, "%s: expected a URI reference such as "
		    "/retentiond (printable ASCII, no spaces), not '%s'", k->name,
		    excerpt(v, ex, sizeof(ex)));
		return -1;
	}
	if (k->type == KT_LISTEN && *v != '\0' &&
	    config_parse_listen(v, host, sizeof(host), &port) < 0) {
		snprintf(reason, rlen, "%s: expected ADDRESS:PORT "
		    "(IPv4, [IPv6] or localhost) or empty, not '%s'",
		    k->name, excerpt(v, ex, sizeof(ex)));
		return -1;
	}
	if ((k->flags & KF_NONEMPTY) && *v == '\0') {
		snprintf(reason, rlen, "%s: must not be empty", k->name);
		return -1;
	}
	if (k->flags & KF_CRED) {
		if (expand_credentials_dir(v, buf, sizeof(buf), reason, rlen) < 0)
			return -1;
		v = buf;
	}
	if (copy_str(field, k->size, v) < 0) {
		snprintf(reason, rlen, "%s: longer than %zu bytes", k->name,
		    k->size - 1);
		return -1;
	}
	return 0;
}

/* The row of [section] name, or -1 if there is none. */
int
config_key_index(const char *section, const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* 1 if some row is in [section] ([kafka] has no rows). */
int
config_section_known(const char *section)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].section, section) == 0)
			return 1;
	return 0;
}

/* Parses value v of row i (config_key_index()) into cfg. 0, -1 with
 * reason, or 1 with a warning in reason (a deprecated key, ignored). */
int
config_key_set(struct config *cfg, int i, const char *v, char *reason,
    size_t rlen)
{
	const struct config_key	*k = &config_keys[i];
	char			*field = (char *)cfg + k->off;

	switch (k->type) {
	case KT_DOUBLE:
		return set_double(field, k, v, reason, rlen);
	case KT_INT:
	case KT_SIZE:
		return set_integer(field, k, v, reason, rlen);
	case KT_BOOL:
	case KT_LOGLEVEL:
	case KT_FORMAT:
	case KT_PARTITIONER:
		return set_word(field, k, v, reason, rlen);
	case KT_TIME:
		return set_time(field, k, v, reason, rlen);
	case KT_LIST:
		if (parse_list(cfg, v, reason, rlen) < 0)
			return -1;
		config_fix_pointers(cfg);
		return 0;
	case KT_LEGACY_WARMUP:
		if (set_integer(field, k, v, reason, rlen) < 0)
			return -1;
		snprintf(reason, rlen, *(int *)field == 0 ?
		    "%s is deprecated: warm-up is by information now; 0 is read as "
		    "warmup_max_se = 0 and confidence_z = 0 (alerts on the point "
		    "estimate, as before) unless those keys are set" :
		    "%s is deprecated and ignored: warm-up is by information now "
		    "([alerts] warmup_max_se, confidence_z)", k->name);
		return 1;
	case KT_IGNORED:
		if (set_integer(field, k, v, reason, rlen) < 0)
			return -1;
		snprintf(reason, rlen, "%s is deprecated and ignored: estimates are "
		    "published at each epoch boundary ([model] epoch_hours)", k->name);
		return 1;
	case KT_TOPIC:
	case KT_LISTEN:
	case KT_PATH:
	case KT_URIREF:
		break;
	}
	return set_string(field, k, v, reason, rlen);
}

/* 1 if row i's field holds a string (compared up to its NUL). */
static int
key_is_string(const struct config_key *k)
{
	return k->type == KT_TOPIC || k->type == KT_LISTEN ||
	    k->type == KT_PATH || k->type == KT_URIREF;
}

/* 1 if row i's value differs between a and b (reload: what changed). */
int
config_key_differs(const struct config *a, const struct config *b, int i)
{
	const struct config_key	*k = &config_keys[i];
	const char		*fa = (const char *)a + k->off;
	const char		*fb = (const char *)b + k->off;

	if (key_is_string(k))
		return strncmp(fa, fb, k->size) != 0;
	return memcmp(fa, fb, k->size) != 0;
}

/* Row i's value from src into dst (reload: keep the running value). */
void
config_key_copy(struct config *dst, const struct config *src, int i)
{
	const struct config_key *k = &config_keys[i];

	memcpy((char *)dst + k->off, (const char *)src + k->off, k->size);
	if (k->type == KT_LIST)
		config_fix_pointers(dst);
}
