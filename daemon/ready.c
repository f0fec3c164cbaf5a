/*
 * ready.c: readiness, what /readyz and retentiond_ready report: whether
 * this instance is fit to serve, and if not, why.
 *
 * Ready means all of:
 *   - connected: a broker is reachable (the kafka_up gauge: statistics
 *     with a broker in state UP, a delivery, a consumed message or an
 *     assignment set it; "all brokers down" clears it);
 *   - in the group: the consumer has an assignment from the group's
 *     coordinator, possibly empty (more instances than partitions: a
 *     healthy standby), not lost since (a lost assignment, a failed
 *     rebalance); a plain revoke keeps it, the group is only moving;
 *   - caught up: the consumer lag over the assigned partitions is known
 *     and at most [http] ready_max_lag messages (no partitions: nothing
 *     to catch up on).
 * Liveness is another matter: /healthz answers as long as the process
 * serves HTTP.
 *
 * No Kafka here: the work loop (loop.c) gathers the facts every second
 * and calls ready_update(); the rebalance callback calls ready_group().
 * Both run on the work loop's thread; the HTTP thread only reads the
 * state, an atomic. Each change is logged once.
 */
#include <stdatomic.h>
#include <string.h>
#include <syslog.h>

#include "daemon.h"

enum ready_state {
	READY_STARTING,		/* not subscribed yet */
	READY_OK,
	READY_NO_BROKER,
	READY_NO_GROUP,
	READY_LAG_UNKNOWN,
	READY_LAGGING,
	READY_STOPPING,
	READY__COUNT
};

/* The /readyz body of each state: static, served as it is. */
static const char *const ready_texts[READY__COUNT] = {
	[READY_STARTING]	= "not ready: starting\n",
	[READY_OK]		= "ready\n",
	[READY_NO_BROKER]	= "not ready: no broker reachable\n",
	[READY_NO_GROUP]	= "not ready: waiting for a partition assignment "
				  "from the consumer group\n",
	[READY_LAG_UNKNOWN]	= "not ready: consumer lag not known yet\n",
	[READY_LAGGING]		= "not ready: consumer lag above "
				  "[http] ready_max_lag\n",
	[READY_STOPPING]	= "not ready: stopping\n",
};

static atomic_int	ready_state = READY_STARTING;
static int		ready_in_group;		/* work loop's thread only */

/* Sets the state, the gauge, and logs a change. */
static void
ready_set(enum ready_state s)
{
	enum ready_state old = (enum ready_state)atomic_exchange(&ready_state, (int)s);

	METRICS_SET(ready, s == READY_OK);
	if (old == s)
		return;
	if (s == READY_OK)
		log_info("ready");
	else	/* without the body's newline */
		log_msg(LOG_NOTICE, "%.*s", (int)strlen(ready_texts[s]) - 1,
		    ready_texts[s]);
}

/* The rebalance callback: 1 on an assignment (even of no partitions), 0
 * when it was lost or the rebalance failed. */
void
ready_group(int in_group)
{
	ready_in_group = in_group != 0;
}

/*
 * Re-evaluates readiness. connected: a broker is reachable; npartitions:
 * assigned now (-1 unknown); lag: messages behind over them (-1 unknown).
 */
void
ready_update(int connected, int npartitions, int64_t lag, int64_t max_lag)
{
	enum ready_state s;

	if (atomic_load(&ready_state) == READY_STOPPING)
		return;
	if (!connected)
		s = READY_NO_BROKER;
	else if (!ready_in_group || npartitions < 0)
		s = READY_NO_GROUP;
	else if (npartitions > 0 && lag < 0)
		s = READY_LAG_UNKNOWN;
	else if (npartitions > 0 && lag > max_lag)
		s = READY_LAGGING;
	else
		s = READY_OK;
	ready_set(s);
}

/* Shutdown has begun: not ready from now on. */
void
ready_stopping(void)
{
	ready_set(READY_STOPPING);
}

/* 1 if ready; *text is the /readyz body ("ready\n", "not ready: why\n"),
 * static. Any thread. */
int
ready_get(const char **text)
{
	int s = atomic_load(&ready_state);

	*text = ready_texts[s];
	return s == READY_OK;
}
