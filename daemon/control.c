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

/* Appends ", what" (or "what") to list when changed. */
static void
note(char *list, size_t len, int changed, const char *what)
{
	size_t	n = strlen(list);

	if (changed)
		snprintf(list + n, len - n, "%s%s", n > 0 ? ", " : "", what);
}

/* Appends "[kafka] key" for each key of a that b lacks or, with
 * compare_values, holds with another value. */
static void
note_kafka(char *list, size_t len, const struct config *a,
    const struct config *b, int compare_values)
{
	const char	*v;
	char		 what[160];
	int		 i;

	for (i = 0; i < a->nkafka; i++) {
		v = config_kafka_get(b, a->kafka[i].key);
		if (v != NULL && (!compare_values || strcmp(v, a->kafka[i].value) == 0))
			continue;
		snprintf(what, sizeof(what), "[kafka] %s", a->kafka[i].key);
		note(list, len, 1, what);
	}
}

/* The Kafka clients, the topics, the state directory and the HTTP listener
 * are set up once, at start: next keeps their running values (from run),
 * and a file that changes them is named in a warning, by key only (a value
 * may be a secret), so that the operator knows a restart is needed. */
static void
keep_start_settings(struct config *next, const struct config *run)
{
	char	changed[768] = "";

	note_kafka(changed, sizeof(changed), next, run, 1);
	note_kafka(changed, sizeof(changed), run, next, 0);
	note(changed, sizeof(changed),
	    strcmp(next->topic_input, run->topic_input) != 0 ||
	    strcmp(next->topic_alerts, run->topic_alerts) != 0 ||
	    strcmp(next->topic_suggestions, run->topic_suggestions) != 0 ||
	    strcmp(next->topic_estimates, run->topic_estimates) != 0 ||
	    strcmp(next->topic_dlq, run->topic_dlq) != 0, "[topics]");
	note(changed, sizeof(changed),
	    strcmp(next->state_directory, run->state_directory) != 0,
	    "[state] directory");
	note(changed, sizeof(changed), strcmp(next->http_listen, run->http_listen) != 0,
	    "[http] listen");
	note(changed, sizeof(changed),
	    strcmp(next->http_token_file, run->http_token_file) != 0, "[http] token_file");
	note(changed, sizeof(changed), next->http_allow_remote != run->http_allow_remote,
	    "[http] allow_remote");
	if (changed[0] != '\0')
		log_warnx("reload: %s changed: these need a restart (systemctl "
		    "restart retentiond); running with the old values until then",
		    changed);

	next->nkafka = run->nkafka;
	memcpy(next->kafka, run->kafka, sizeof(next->kafka));
	memcpy(next->topic_input, run->topic_input, sizeof(next->topic_input));
	memcpy(next->topic_alerts, run->topic_alerts, sizeof(next->topic_alerts));
	memcpy(next->topic_suggestions, run->topic_suggestions,
	    sizeof(next->topic_suggestions));
	memcpy(next->topic_estimates, run->topic_estimates,
	    sizeof(next->topic_estimates));
	memcpy(next->topic_dlq, run->topic_dlq, sizeof(next->topic_dlq));
	memcpy(next->state_directory, run->state_directory,
	    sizeof(next->state_directory));
	memcpy(next->http_listen, run->http_listen, sizeof(next->http_listen));
	memcpy(next->http_token_file, run->http_token_file,
	    sizeof(next->http_token_file));
	next->http_allow_remote = run->http_allow_remote;
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
	 * topics, state and HTTP settings need a restart. */
	daemon_lock();
	pipeline_reconfigure(p, &next->pipeline);
	daemon_unlock();
	log_set_level(next->log_level);
	keep_start_settings(next, &daemon_config);
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
