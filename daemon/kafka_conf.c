/*
 * kafka_conf.c: the librdkafka configuration of both clients, and its
 * checks for -t and reload.
 *
 * Every [kafka] key goes to both the consumer's and the producer's
 * configuration: it is an error only when neither knows it, or when one
 * finds its value invalid. Our defaults come first, so that the file
 * overrides them; the settings at-least-once depends on come last, so that
 * it cannot. Errors read "file:line: reason" with the key's line and never
 * show the value of a key that may be secret.
 *
 * kafka_check_config() builds both configurations without creating
 * handles, then checks what librdkafka would only find out when
 * connecting: the broker list, the files the TLS and Kerberos keys name,
 * and whether the SASL settings make a usable whole.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kafka.h"

/* Keys whose values may be secret: errors name the key, never the value
 * (secrets.c's list, and every inline PEM, to be safe). */
static int
secret_key(const char *key)
{
	return config_secret_key(key) || strstr(key, ".pem") != NULL;
}

/* "file:line: " or "file: " when the key came from code (line 0). */
static void
kv_error(char *errbuf, size_t errlen, const struct config *cfg, int line,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
kv_error(char *errbuf, size_t errlen, const struct config *cfg, int line,
    const char *fmt, ...)
{
	const char	*file = cfg->path[0] != '\0' ? cfg->path : "config";
	va_list		 ap;
	int		 n;

	if (line > 0)
		n = snprintf(errbuf, errlen, "%s:%d: ", file, line);
	else
		n = snprintf(errbuf, errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* The line of a [kafka] key, 0 if unset or set in code. */
static int
kafka_key_line(const struct config *cfg, const char *key)
{
	int i;

	for (i = 0; i < cfg->nkafka; i++)
		if (strcmp(cfg->kafka[i].key, key) == 0)
			return cfg->kafka[i].line;
	return 0;
}

/* Sets a default of ours unless the file sets the key. -1 only on a bug. */
static int
set_default(const struct config *cfg, rd_kafka_conf_t *conf, const char *key,
    const char *value, char *errbuf, size_t errlen)
{
	char err[512];

	if (config_kafka_get(cfg, key) != NULL)
		return 0;
	if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errlen, "kafka default %s=%s: %s", key, value, err);
		return -1;
	}
	return 0;
}

/*
 * Builds the consumer and producer configurations from our defaults and
 * the [kafka] keys, without creating handles. A key goes to both; it is
 * an error only when neither accepts it, or when one finds its value
 * invalid. New confs in *cc and *pc, or -1 with "file:line: reason".
 */
int
kafka_build_confs(const struct config *cfg, rd_kafka_conf_t **cc,
    rd_kafka_conf_t **pc, char *errbuf, size_t errlen)
{
	rd_kafka_conf_t		*c, *p;
	rd_kafka_conf_res_t	 rc, rp;
	char			 errc[512], errp[512];
	const struct config_kv	*kv;
	int			 i;

	c = rd_kafka_conf_new();
	p = rd_kafka_conf_new();
	/* Ours first, so that the file overrides them. */
	if (set_default(cfg, c, "group.id", "retentiond", errbuf, errlen) == -1 ||
	    set_default(cfg, c, "auto.offset.reset", "earliest", errbuf, errlen) == -1 ||
	    set_default(cfg, c, "enable.auto.commit", "true", errbuf, errlen) == -1 ||
	    set_default(cfg, c, "auto.commit.interval.ms", "1000", errbuf, errlen) == -1 ||
	    set_default(cfg, c, "statistics.interval.ms", "5000", errbuf, errlen) == -1 ||
	    /* a rebalance moves only the partitions that must move */
	    set_default(cfg, c, "partition.assignment.strategy",
	    "cooperative-sticky", errbuf, errlen) == -1 ||
	    /* per partition: each has a queue of its own (fetch.c) */
	    set_default(cfg, c, "queued.max.messages.kbytes", "4096", errbuf,
	    errlen) == -1 ||
	    set_default(cfg, p, "statistics.interval.ms", "5000", errbuf, errlen) == -1 ||
	    set_default(cfg, p, "enable.idempotence", "true", errbuf, errlen) == -1 ||
	    /* an output goes out at once: alerts are live, and a burst
	     * still batches behind the requests in flight (BENCH.md,
	     * "latency": 4 ms off the p50, no change end to end) */
	    set_default(cfg, p, "linger.ms", "0", errbuf, errlen) == -1)
		goto fail;

	for (i = 0; i < cfg->nkafka; i++) {
		kv = &cfg->kafka[i];
		if (strcmp(kv->key, "enable.auto.offset.store") == 0) {
			kv_error(errbuf, errlen, cfg, kv->line, "[kafka] %s is "
			    "managed by retentiond (offsets are stored after "
			    "delivery)", kv->key);
			goto fail;
		}
		errc[0] = errp[0] = '\0';
		rc = rd_kafka_conf_set(c, kv->key, kv->value, errc, sizeof(errc));
		rp = rd_kafka_conf_set(p, kv->key, kv->value, errp, sizeof(errp));
		if (rc == RD_KAFKA_CONF_OK && rp == RD_KAFKA_CONF_OK)
			continue;
		if (rc == RD_KAFKA_CONF_UNKNOWN && rp == RD_KAFKA_CONF_UNKNOWN) {
			kv_error(errbuf, errlen, cfg, kv->line,
			    "[kafka] %s: unknown librdkafka property", kv->key);
			goto fail;
		}
		if (rc == RD_KAFKA_CONF_INVALID || rp == RD_KAFKA_CONF_INVALID) {
			if (secret_key(kv->key))
				kv_error(errbuf, errlen, cfg, kv->line,
				    "[kafka] %s: invalid value", kv->key);
			else
				kv_error(errbuf, errlen, cfg, kv->line, "[kafka] %s",
				    rc == RD_KAFKA_CONF_INVALID ? errc : errp);
			goto fail;
		}
		/* One accepted it and the other does not know it: fine. */
	}
	/* Ours last: at-least-once depends on them. */
	if (rd_kafka_conf_set(c, "enable.auto.offset.store", "false", errc,
	    sizeof(errc)) != RD_KAFKA_CONF_OK ||
	    /* the epoch gate's idle rule needs the end-of-partition events */
	    rd_kafka_conf_set(c, "enable.partition.eof", "true", errc,
	    sizeof(errc)) != RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errlen, "kafka: %s", errc);
		goto fail;
	}
	*cc = c;
	*pc = p;
	return 0;
fail:
	rd_kafka_conf_destroy(c);
	rd_kafka_conf_destroy(p);
	return -1;
}

/* A file a key names must exist and be readable, and private when it
 * holds a secret (secrets.c); dir_ok for CA paths. */
static int
check_file(const struct config *cfg, const char *key, int dir_ok, char *errbuf,
    size_t errlen)
{
	const char	*path = config_kafka_get(cfg, key);
	struct stat	 st;
	char		 reason[PATH_MAX + 64];
	int		 line = kafka_key_line(cfg, key);

	if (path == NULL || path[0] == '\0')
		return 0;
	if (dir_ok && strcmp(path, "probe") == 0)
		return 0;
	if (stat(path, &st) == -1) {
		kv_error(errbuf, errlen, cfg, line, "[kafka] %s: %s: %s", key, path,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !(dir_ok && S_ISDIR(st.st_mode))) {
		kv_error(errbuf, errlen, cfg, line, "[kafka] %s: %s: not a %s", key,
		    path, dir_ok ? "file or directory" : "regular file");
		return -1;
	}
	if (access(path, R_OK) == -1) {
		kv_error(errbuf, errlen, cfg, line, "[kafka] %s: %s: %s", key, path,
		    strerror(errno));
		return -1;
	}
	if (config_secret_file_key(key) &&
	    secret_file_private(path, &st, reason, sizeof(reason)) == -1) {
		kv_error(errbuf, errlen, cfg, line, "[kafka] %s: %s", key, reason);
		return -1;
	}
	return 0;
}

/* security.protocol and sasl.* must make a usable whole. */
static int
check_sasl(const struct config *cfg, char *errbuf, size_t errlen)
{
	const char	*proto = config_kafka_get(cfg, "security.protocol");
	const char	*mech = config_kafka_get(cfg, "sasl.mechanisms");
	const char	*mkey = "sasl.mechanisms";
	const char	*method;
	int		 sasl, line;

	if (mech == NULL) {
		mech = config_kafka_get(cfg, "sasl.mechanism");
		mkey = "sasl.mechanism";
	}
	sasl = proto != NULL && strncasecmp(proto, "SASL_", 5) == 0;
	if (!sasl) {
		if (mech != NULL) {
			kv_error(errbuf, errlen, cfg, kafka_key_line(cfg, mkey),
			    "[kafka] %s is set but security.protocol is %s, so "
			    "SASL is not used (SASL_PLAINTEXT or SASL_SSL?)", mkey,
			    proto != NULL ? proto : "plaintext (default)");
			return -1;
		}
		return 0;
	}
	if (mech == NULL) {
		mech = "GSSAPI";	/* librdkafka's default: Kerberos */
		mkey = "security.protocol";
	}
	line = kafka_key_line(cfg, mkey);
	if (strcasecmp(mech, "PLAIN") == 0 || strncasecmp(mech, "SCRAM-", 6) == 0) {
		if (config_kafka_get(cfg, "sasl.username") == NULL ||
		    config_kafka_get(cfg, "sasl.password") == NULL) {
			kv_error(errbuf, errlen, cfg, line, "[kafka] SASL mechanism "
			    "%s needs sasl.username and sasl.password", mech);
			return -1;
		}
	} else if (strcasecmp(mech, "OAUTHBEARER") == 0) {
		method = config_kafka_get(cfg, "sasl.oauthbearer.method");
		if (method != NULL && strcasecmp(method, "oidc") == 0) {
			if (config_kafka_get(cfg, "sasl.oauthbearer.client.id") == NULL ||
			    config_kafka_get(cfg, "sasl.oauthbearer.token.endpoint.url") == NULL) {
				kv_error(errbuf, errlen, cfg, line, "[kafka] "
				    "OAUTHBEARER with method oidc needs "
				    "sasl.oauthbearer.client.id and "
				    "sasl.oauthbearer.token.endpoint.url");
				return -1;
			}
		} else if (config_kafka_get(cfg, "sasl.oauthbearer.config") == NULL) {
			kv_error(errbuf, errlen, cfg, line, "[kafka] OAUTHBEARER needs "
			    "sasl.oauthbearer.method=oidc (with client id and token "
			    "endpoint) or sasl.oauthbearer.config");
			return -1;
		}
	}
	return 0;
}

/* Checks the [kafka] keys with librdkafka's parser, the files they name and
 * the SASL settings, without creating handles (for -t and reload). 0, or
 * -1 with "file:line: reason". */
int
kafka_check_config(const struct config *cfg, char *errbuf, size_t errlen)
{
	static const char *const files[] = {
		"ssl.certificate.location", "ssl.key.location",
		"ssl.crl.location", "ssl.keystore.location",
		"sasl.kerberos.keytab",
	};
	rd_kafka_conf_t	*c, *p;
	const char	*bs;
	size_t		 i;

	if (kafka_build_confs(cfg, &c, &p, errbuf, errlen) == -1)
		return -1;
	rd_kafka_conf_destroy(c);
	rd_kafka_conf_destroy(p);
	bs = config_kafka_get(cfg, "bootstrap.servers");
	if (bs == NULL)
		bs = config_kafka_get(cfg, "metadata.broker.list");
	if (bs == NULL || bs[0] == '\0') {
		kv_error(errbuf, errlen, cfg, kafka_key_line(cfg, "bootstrap.servers"),
		    "[kafka] bootstrap.servers is not set (or run with "
		    "--embedded-broker)");
		return -1;
	}
	if (check_file(cfg, "ssl.ca.location", 1, errbuf, errlen) == -1)
		return -1;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (check_file(cfg, files[i], 0, errbuf, errlen) == -1)
			return -1;
	return check_sasl(cfg, errbuf, errlen);
}

/* See kafka.h. */
rd_kafka_t *
kafka_reader_new(const rd_kafka_conf_t *cc, const char *what,
    const char *fetch_wait_ms, char *errbuf, size_t errlen)
{
	rd_kafka_conf_t	*rc = rd_kafka_conf_dup(cc);
	rd_kafka_t	*rk;
	char		 err[512];

	if (rd_kafka_conf_set(rc, "enable.auto.commit", "false", err,
	    sizeof(err)) != RD_KAFKA_CONF_OK ||
	    (fetch_wait_ms != NULL && rd_kafka_conf_set(rc, "fetch.wait.max.ms",
	    fetch_wait_ms, err, sizeof(err)) != RD_KAFKA_CONF_OK) ||
	    (rk = rd_kafka_new(RD_KAFKA_CONSUMER, rc, err, sizeof(err))) == NULL) {
		rd_kafka_conf_destroy(rc);
		snprintf(errbuf, errlen, "%s reader: %s", what, err);
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* See kafka.h. */
void
kafka_reader_free(rd_kafka_t *rk)
{
	if (rk == NULL)
		return;
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}
