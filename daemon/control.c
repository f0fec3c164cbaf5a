/*
 * control.c: what the daemon's threads share: the configuration in force,
 * the lock around the pipeline (the work loop and the HTTP thread both call
 * into it), and reloading on SIGHUP.
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

void
daemon_reload(struct pipeline *p)
{
	struct config	*next;
	char		 errbuf[512];
	const char	*bootstrap;

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
	/* Thresholds, costs, weights and the log level apply now; Kafka,
	 * topics and HTTP settings need a restart. */
	daemon_lock();
	pipeline_reconfigure(p, &next->pipeline);
	daemon_unlock();
	log_set_level(next->log_level);
	next->nkafka = daemon_config.nkafka;
	memcpy(next->kafka, daemon_config.kafka, sizeof(next->kafka));
	config_copy(&daemon_config, next);
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
