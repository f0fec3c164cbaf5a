/*
 * control.c: what the daemon's threads share: the configuration in force,
 * the lock around the pipeline (the work loop and the HTTP thread both call
 * into it), and reloading on SIGHUP.
 *
 * A reload applies what the running daemon can change (thresholds, costs,
 * weights, model settings the pipeline reads on each event, the log level,
 * the readiness bound). A setting read only at start (restart_keys[] and
 * every [kafka] key) keeps its running value: each one that changed gets
 * a warning naming the key, never the value (it may be a secret), and is
 * warned about again on every reload until a restart.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct config		daemon_config;
static pthread_mutex_t	pipeline_mutex = PTHREAD_MUTEX_INITIALIZER;

void
daemon_lock(void)
{
	pthread_mutex_lock(&pipeline_mutex);
}

void
daemon_unlock(void)
{
	pthread_mutex_unlock(&pipeline_mutex);
}

/* Keys read only at start, besides [kafka]; retentiond(8), SIGHUP. */
static const char *const restart_keys[][2] = {
	{ "topics", "input" }, { "topics", "alerts" }, { "topics", "suggestions" },
	{ "topics", "estimates" }, { "topics", "dlq" }, { "topics", "repartition" },
	{ "input", "partitioner" },
	{ "state", "directory" },
	{ "http", "listen" }, { "http", "token_file" }, { "http", "allow_remote" },
	{ "http", "max_connections" }, { "http", "max_connections_per_address" },
	{ "http", "request_timeout_seconds" },
	{ "model", "max_attribute_features" }, { "model", "max_levels" },
	{ "model", "protected_extra" }, { "model", "dedup_capacity" },
	{ "model", "epoch_hours" },
};

/* Every check of a loaded configuration: its own rules, then the [kafka]
 * keys through librdkafka. 0 or -1 with "file:line: reason". */
static int
validate(const struct config *cfg, char *errbuf, size_t errlen)
{
	if (config_validate(cfg, errbuf, errlen) == -1)
		return -1;
	return kafka_check_config(cfg, errbuf, errlen);
}

/* Loads and validates path into cfg (defaults first). 0 or -1 with errbuf. */
int
daemon_load_config(const char *path, struct config *cfg, int embedded, char *errbuf,
    size_t errlen)
{
	config_defaults(cfg);
	if (path != NULL && config_load(path, cfg, errbuf, errlen) == -1)
		return -1;
	if (embedded && config_kafka_get(cfg, "bootstrap.servers") == NULL)
		config_kafka_set(cfg, "bootstrap.servers", "embedded");
	return validate(cfg, errbuf, errlen);
}

/* Warns about each [kafka] key that next adds, changes or drops against
 * the running cfg. The number of keys warned about. */
static int
kafka_changes(const struct config *cfg, const struct config *next)
{
	const char	*old;
	int		 i, n = 0;

	for (i = 0; i < next->nkafka; i++) {
		old = config_kafka_get(cfg, next->kafka[i].key);
		if (old != NULL && strcmp(old, next->kafka[i].value) == 0)
			continue;
		log_warnx("reload: [kafka] %s %s; it needs a restart, the running "
		    "value is kept", next->kafka[i].key, old == NULL ? "added" :
		    "changed");
		n++;
	}
	for (i = 0; i < cfg->nkafka; i++) {
		if (config_kafka_get(next, cfg->kafka[i].key) != NULL)
			continue;
		log_warnx("reload: [kafka] %s removed; it needs a restart, the "
		    "running value is kept", cfg->kafka[i].key);
		n++;
	}
	return n;
}

/* Puts the running value of every setting read only at start back into
 * next, warning about each that the file changed. The number changed. */
static int
keep_restart_keys(const struct config *cfg, struct config *next)
{
	size_t	i;
	int	k, n;

	n = kafka_changes(cfg, next);
	next->nkafka = cfg->nkafka;
	memcpy(next->kafka, cfg->kafka, sizeof(next->kafka));
	for (i = 0; i < sizeof(restart_keys) / sizeof(restart_keys[0]); i++) {
		k = config_key_index(restart_keys[i][0], restart_keys[i][1]);
		if (k < 0 || !config_key_differs(cfg, next, k))
			continue;
		log_warnx("reload: [%s] %s changed; it needs a restart, the "
		    "running value is kept", restart_keys[i][0], restart_keys[i][1]);
		config_key_copy(next, cfg, k);
		n++;
	}
	return n;
}

void
daemon_reload(struct pipeline *p)
{
	struct config	*next;
	char		 errbuf[512];
	const char	*bootstrap;
	int		 kept;

	notify_reloading();
	next = xmalloc(sizeof(*next));
	if (daemon_config.path[0] == '\0') {
		log_info("reload: no configuration file, nothing to do");
		goto done;
	}
	config_defaults(next);
	if (config_load(daemon_config.path, next, errbuf, sizeof(errbuf)) == -1)
		goto reject;
	/* The embedded broker's address is not in the file: keep it. */
	if (config_kafka_get(next, "bootstrap.servers") == NULL &&
	    (bootstrap = config_kafka_get(&daemon_config, "bootstrap.servers")) != NULL)
		config_kafka_set(next, "bootstrap.servers", bootstrap);
	if (validate(next, errbuf, sizeof(errbuf)) == -1)
		goto reject;
	kept = keep_restart_keys(&daemon_config, next);
	daemon_lock();
	pipeline_reconfigure(p, &next->pipeline);
	daemon_unlock();
	log_set_level(next->log_level);
	config_copy(&daemon_config, next);
	if (kept > 0)
		log_info("configuration reloaded; %d setting(s) wait for a restart",
		    kept);
	else
		log_info("configuration reloaded");
	goto done;
reject:
	log_warnx("reload rejected, keeping the running configuration: %s", errbuf);
done:
	free(next);
	notify_ready();
}

/* Logs, rate-limited and without ids, that events for new employees were
 * refused since *seen (the count last reported), then updates *seen. The
 * caller holds the daemon lock or is the pipeline's only user. */
void
daemon_report_limits(struct pipeline *p, uint64_t *seen)
{
	struct pipeline_stats	st;

	pipeline_stats(p, &st);
	if (st.employees_refused > *seen)
		log_warn_limited("employee-limit", "%" PRIu64 " event(s) for new "
		    "employees sent to the DLQ: [state] max_employees (%zu) is "
		    "reached", st.employees_refused - *seen,
		    daemon_config.pipeline.max_employees);
	*seen = st.employees_refused;
}
