/*
 * config.c: reading the INI configuration file: lines, sections, keys,
 * duplicates, the cross-key rules, and the checks after loading.
 *
 * What each key means and how its value is parsed is the key table's
 * (config_keys.c); this file finds the row of every key = value line and
 * reports the setter's complaint with the line. [kafka] keys are kept
 * verbatim (secrets resolved) for librdkafka; kafka_check_config()
 * (kafka_conf.c) checks them.
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
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <ini.h>

#include "daemon.h"

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
	int		 key_line[CONFIG_KEYS_MAX];	/* where each row was set */
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

static int
kafka_index(const struct config *cfg, const char *key)
{
	int	i;

	for (i = 0; i < cfg->nkafka; i++)
		if (strcmp(cfg->kafka[i].key, key) == 0)
			return i;
	return -1;
}

/*
 * 1 when a secret key's value is written in clear in a file that group or
 * others may read (secrets.c's rule), with the reason. A stream without a
 * file behind it (fmemopen: tests, fuzzing) has no mode to check.
 */
static int
clear_secret_exposed(struct parse *p, const char *name, const char *value,
    char *reason, size_t rlen)
{
	struct stat	st;
	int		fd;

	if (!config_secret_key(name) || strncmp(value, "@file:", 6) == 0 ||
	    strncmp(value, "@credential:", 12) == 0)
		return 0;
	if ((fd = fileno(p->fp)) < 0 || fstat(fd, &st) < 0)
		return 0;
	return secret_file_private(p->file, &st, reason, rlen) < 0;
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
	if (clear_secret_exposed(p, name, value, reason, sizeof(reason))) {
		parse_error(p, p->lineno, "[kafka] %s: a secret in clear in %s; "
		    "or refer to it with @file: or @credential:", name, reason);
		return;
	}
	if (config_kafka_resolve(value, resolved, sizeof(resolved), reason,
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
	return strcmp(section, "kafka") == 0 || config_section_known(section);
}

/* inih's callback: one key = value of the line just read. */
static int
parse_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse	*p = user;
	char		 reason[PATH_MAX + 128];
	int		 i, rc;

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
	if ((i = config_key_index(section, name)) < 0) {
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
	if ((rc = config_key_set(p->cfg, i, value, reason, sizeof(reason))) < 0)
		parse_error(p, p->lineno, "%s", reason);
	else if (rc > 0)
		log_warnx("%s:%d: %s", p->file, p->lineno, reason);
	return 1;
}

/* The line of a key, 0 when it was not set in the file. */
static int
line_of(const int *lines, const char *section, const char *name)
{
	int	i = config_key_index(section, name);

	return i >= 0 ? lines[i] : 0;
}

static int
max_line(int a, int b)
{
	return a > b ? a : b;
}

/*
 * [alerts] min_exits, from before warm-up was by information: 0 meant
 * "alert from the first score", which is warmup_max_se = 0 and
 * confidence_z = 0 now, so 0 sets those two where the file does not set
 * them itself, whatever the order of the lines; any other count is
 * ignored (the key's setter warned with the line either way).
 */
static void
legacy_warmup(struct config *cfg, const int *lines)
{
	if (cfg->legacy_min_exits != 0)
		return;
	if (line_of(lines, "alerts", "warmup_max_se") == 0)
		cfg->pipeline.warmup_max_se = 0;
	if (line_of(lines, "alerts", "confidence_z") == 0)
		cfg->pipeline.confidence_z = 0;
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
	legacy_warmup(cfg, p->key_line);
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

	if (strlen(path) >= sizeof(cfg->path)) {
		format_error(errbuf, errlen, "config", 0, "path too long");
		return -1;
	}
	memcpy(cfg->path, path, strlen(path) + 1);
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

	memset(lines, 0, CONFIG_KEYS_MAX * sizeof(int));
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
	memcpy(lines, p->key_line, sizeof(p->key_line));
out:
	free(scratch);
	free(p);
}

/* The token file must be a private (secrets.c), non-empty, readable
 * regular file. */
static int
check_token_file(const char *path, char *reason, size_t rlen)
{
	struct stat	st;
	char		why[PATH_MAX + 64];
	int		fd;

	if (stat(path, &st) < 0) {
		snprintf(reason, rlen, "token_file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (secret_file_private(path, &st, why, sizeof(why)) < 0) {
		snprintf(reason, rlen, "token_file %s", why);
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
 * config built in code) and the token file on disk. The [kafka] keys are
 * checked by kafka_check_config() (kafka_conf.c, called by control.c), so
 * that this file needs nothing of Kafka. 0, or -1 with errbuf.
 */
int
config_validate(const struct config *cfg, char *errbuf, size_t errlen)
{
	int	 lines[CONFIG_KEYS_MAX];
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
	return 0;
}

/* Every default; [kafka] starts empty (kafka_conf.c adds its own settings). */
void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	pipeline_config_defaults(&cfg->pipeline);
	cfg->legacy_min_exits = -1;
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
	cfg->idle_seconds = 30;
	cfg->partitioner = PARTITIONER_MURMUR2;
	cfg->ready_max_lag = 1000;
	cfg->http_max_connections = 128;
	cfg->http_max_per_address = 8;
	cfg->http_request_timeout_s = 5;
	cfg->checkpoint_events = 10000;
	cfg->checkpoint_seconds = 60;
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
		memcpy(cfg->kafka[i].key, key, strlen(key) + 1);
	}
	memcpy(cfg->kafka[i].value, value, strlen(value) + 1);
	cfg->kafka[i].line = 0;
	return 0;
}

