/*
 * embedded.c: librdkafka's mock cluster as an in-process Kafka broker.
 *
 * `retentiond --embedded-broker` and tests/infra/mockbroker use it for a
 * zero-setup demo and for tests: a real Kafka-protocol listener on
 * 127.0.0.1 (ports picked by the kernel) that any client can reach. The
 * mock cluster keeps everything in memory, serves produce, fetch,
 * metadata, list offsets and consumer groups with commits, and has no
 * CreateTopics API: topics are created here (embedded_create_topic) or
 * auto-created with the mock's default partition count on first use.
 *
 * The bootstrap list is written to a file (temporary file + rename, mode
 * 0644) so that other processes find the broker once the file appears.
 *
 * For outage tests brokers can be taken down and brought back
 * (embedded_set_broker_up), partition leaders and group coordinators put
 * on given brokers (embedded_set_leader, embedded_set_coordinator). Down
 * disconnects every client and refuses new connections while topics,
 * records and committed offsets are kept, so clients see an outage and,
 * once up, the same cluster again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "daemon.h"
#include "embedded.h"

struct embedded {
	rd_kafka_t		*rk;		/* owns the mock cluster's threads */
	rd_kafka_mock_cluster_t	*mcluster;
	int			 nbrokers;
	char			 file[PATH_MAX];	/* bootstrap file, "" none */
};

/* librdkafka's own log lines from the mock's handle, at their syslog level. */
static void
embedded_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	/* The hosting handle has no bootstrap.servers of its own, by design. */
	if (strcmp(fac, "CONFWARN") == 0)
		level = LOG_DEBUG;
	log_msg(level, "embedded broker: %s: %s", fac, buf);
}


/* Starts a mock cluster of nbrokers (1..16) brokers. Returns a new handle
 * (embedded_stop()) or NULL with errbuf. */
struct embedded *
embedded_new(int nbrokers, char *errbuf, size_t errlen)
{
	struct embedded	*e;
	rd_kafka_conf_t	*conf;
	char		 err[256];

	if (nbrokers < 1 || nbrokers > 16) {
		snprintf(errbuf, errlen, "broker count %d not in 1..16", nbrokers);
		return NULL;
	}
	e = xcalloc(1, sizeof(*e));
	e->nbrokers = nbrokers;
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, embedded_log_cb);
	/* The handle only hosts the cluster: it has no bootstrap servers of
	 * its own and never produces. */
	if ((e->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err))) == NULL) {
		rd_kafka_conf_destroy(conf);
		snprintf(errbuf, errlen, "mock cluster handle: %s", err);
		goto fail;
	}
	if ((e->mcluster = rd_kafka_mock_cluster_new(e->rk, nbrokers)) == NULL) {
		snprintf(errbuf, errlen, "mock cluster: cannot create listeners");
		goto fail;
	}
	return e;
fail:
	embedded_stop(e);
	return NULL;
}

/* Writes the bootstrap list and a newline to path with the state
 * directory's safe writer (checkpoint.c: O_EXCL|O_NOFOLLOW temporary,
 * mode 0600, fsync, rename); embedded_stop removes it. 0 or -1 with
 * errbuf. */
int
embedded_write_bootstrap(struct embedded *e, const char *path, char *errbuf,
    size_t errlen)
{
	char dir[PATH_MAX], text[1024];
	const char *slash = strrchr(path, '/');
	int n;

	if (strlen(path) >= sizeof(e->file)) {
		snprintf(errbuf, errlen, "%s: path too long", path);
		return -1;
	}
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	n = snprintf(text, sizeof(text), "%s\n", embedded_bootstrap(e));
	if (n < 0 || (size_t)n >= sizeof(text)) {
		snprintf(errbuf, errlen, "bootstrap list too long");
		return -1;
	}
	if (state_write_file(dir, slash ? slash + 1 : path, NULL, text, (size_t)n,
	    errbuf, errlen) == -1)
		return -1;
	strcpy(e->file, path);
	return 0;
}

/* Starts a one-broker mock cluster and writes its bootstrap list to
 * <state_dir>/bootstrap.servers. New handle or NULL with errbuf. */
struct embedded *
embedded_start(const char *state_dir, char *errbuf, size_t errlen)
{
	struct embedded	*e;
	char		 path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/bootstrap.servers",
	    state_dir) >= sizeof(path)) {
		snprintf(errbuf, errlen, "%s: path too long", state_dir);
		return NULL;
	}
	if ((e = embedded_new(1, errbuf, errlen)) == NULL)
		return NULL;
	if (embedded_write_bootstrap(e, path, errbuf, errlen) == -1) {
		embedded_stop(e);
		return NULL;
	}
	return e;
}

/* Creates topic with partitions partitions, replicated on up to three
 * brokers. Creating an existing topic is not an error. 0 or -1 with
 * errbuf. */
int
embedded_create_topic(struct embedded *e, const char *topic, int partitions,
    char *errbuf, size_t errlen)
{
	rd_kafka_resp_err_t err;

	if (partitions < 1 || partitions > 1024) {
		snprintf(errbuf, errlen, "%s: partition count %d not in 1..1024",
		    topic, partitions);
		return -1;
	}
	err = rd_kafka_mock_topic_create(e->mcluster, topic, partitions,
	    e->nbrokers < 3 ? e->nbrokers : 3);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
	    err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
		snprintf(errbuf, errlen, "%s: %s", topic, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* Takes broker broker_id (1..N, or -1 for every broker) down (up 0:
 * clients are disconnected and new connections refused; data and committed
 * offsets are kept) or back up (up 1). Leaders do not move. 0 or -1 with
 * errbuf. */
int
embedded_set_broker_up(struct embedded *e, int32_t broker_id, int up,
    char *errbuf, size_t errlen)
{
	rd_kafka_resp_err_t err;

	if (broker_id != -1 && (broker_id < 1 || broker_id > e->nbrokers)) {
		snprintf(errbuf, errlen, "broker %d not in 1..%d", (int)broker_id,
		    e->nbrokers);
		return -1;
	}
	err = up ? rd_kafka_mock_broker_set_up(e->mcluster, broker_id) :
	    rd_kafka_mock_broker_set_down(e->mcluster, broker_id);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(errbuf, errlen, "setting broker(s) %s: %s",
		    up ? "up" : "down", rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* Makes broker_id (1..N) the leader of every partition of topic, which
 * must exist. 0 or -1 with errbuf. */
int
embedded_set_leader(struct embedded *e, const char *topic, int partitions,
    int32_t broker_id, char *errbuf, size_t errlen)
{
	rd_kafka_resp_err_t	err;
	int32_t			i;

	if (broker_id < 1 || broker_id > e->nbrokers) {
		snprintf(errbuf, errlen, "%s: leader %d not in 1..%d", topic,
		    (int)broker_id, e->nbrokers);
		return -1;
	}
	for (i = 0; i < partitions; i++) {
		err = rd_kafka_mock_partition_set_leader(e->mcluster, topic, i,
		    broker_id);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			snprintf(errbuf, errlen, "%s [%d]: leader: %s", topic,
			    (int)i, rd_kafka_err2str(err));
			return -1;
		}
	}
	return 0;
}

/* Makes broker_id (1..N) the coordinator of consumer group `group`. 0 or
 * -1 with errbuf. */
int
embedded_set_coordinator(struct embedded *e, const char *group,
    int32_t broker_id, char *errbuf, size_t errlen)
{
	rd_kafka_resp_err_t err;

	if (broker_id < 1 || broker_id > e->nbrokers) {
		snprintf(errbuf, errlen, "%s: coordinator %d not in 1..%d", group,
		    (int)broker_id, e->nbrokers);
		return -1;
	}
	err = rd_kafka_mock_coordinator_set(e->mcluster, "group", group, broker_id);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(errbuf, errlen, "%s: coordinator: %s", group,
		    rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* The comma-separated host:port list; borrowed, valid until embedded_stop. */
const char *
embedded_bootstrap(const struct embedded *e)
{
	return rd_kafka_mock_cluster_bootstraps(e->mcluster);
}

/* Removes the bootstrap file, stops the cluster and frees e (NULL-safe).
 * Clients still connected see their brokers go down. */
void
embedded_stop(struct embedded *e)
{
	if (e == NULL)
		return;
	if (e->file[0] != '\0')
		unlink(e->file);
	if (e->mcluster != NULL)
		rd_kafka_mock_cluster_destroy(e->mcluster);
	if (e->rk != NULL)
		rd_kafka_destroy(e->rk);
	free(e);
}

/* See embedded.h. Produce is Kafka's API key 0. */
void
embedded_refuse_produce(struct embedded *e, int n)
{
	rd_kafka_resp_err_t	errs[16];
	int			i;

	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++)
		errs[i] = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
	rd_kafka_mock_push_request_errors_array(e->mcluster, 0, (size_t)n, errs);
}
