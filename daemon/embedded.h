/*
 * embedded.h: the rest of embedded.c, for tools and tests only
 * (tests/infra/mockbroker.c): a cluster of several brokers, topics created
 * explicitly, the bootstrap list in a file, and outages on demand. The
 * daemon itself needs only what daemon.h lists under embedded.c.
 */
#ifndef RETENTIOND_EMBEDDED_H
#define RETENTIOND_EMBEDDED_H

#include <stddef.h>
#include <stdint.h>

struct embedded;

/* A cluster of nbrokers, topics created explicitly (the mock has no
 * CreateTopics), then the bootstrap list written to a file. */
struct embedded *embedded_new(int nbrokers, char *errbuf, size_t errlen);
int	embedded_write_bootstrap(struct embedded *, const char *path,
	    char *errbuf, size_t errlen);
int	embedded_create_topic(struct embedded *, const char *topic, int partitions,
	    char *errbuf, size_t errlen);
/* Outage tests: broker 1..N (-1 all) down (0: clients disconnected,
 * connections refused, data kept) or up again (1); leaders of a topic's
 * partitions and a group's coordinator placed on a broker. 0 or -1. */
int	embedded_set_broker_up(struct embedded *, int32_t broker_id, int up,
	    char *errbuf, size_t errlen);
int	embedded_set_leader(struct embedded *, const char *topic, int partitions,
	    int32_t broker_id, char *errbuf, size_t errlen);
int	embedded_set_coordinator(struct embedded *, const char *group,
	    int32_t broker_id, char *errbuf, size_t errlen);
/* Fault tests: responses of broker 1..N (-1 all) delayed by rtt_ms; the
 * next n requests of api_key failing with errs[] (librdkafka error codes)
 * after rtts_ms[] extra, on broker 1..N's stack or (-1) the cluster's; the
 * errors left on a broker's stack; the cluster's stack emptied. */
#define EMBEDDED_ERRORS_MAX	64
int	embedded_set_rtt(struct embedded *, int32_t broker_id, int rtt_ms,
	    char *errbuf, size_t errlen);
int	embedded_push_errors(struct embedded *, int32_t broker_id, int16_t api_key,
	    const int *errs, const int *rtts_ms, size_t n, char *errbuf,
	    size_t errlen);
int	embedded_error_count(struct embedded *, int32_t broker_id, int16_t api_key,
	    size_t *n, char *errbuf, size_t errlen);
void	embedded_clear_errors(struct embedded *, int16_t api_key);
/* An error code by librdkafka's name (no prefix) or number. 0 or -1. */
int	embedded_error_code(const char *name, int *code);
/* The next n Produce requests are refused with MSG_SIZE_TOO_LARGE, as a
 * real broker refuses a record over a topic's max.message.bytes (the mock
 * enforces no size of its own). */
void	embedded_refuse_produce(struct embedded *, int n);

#endif
