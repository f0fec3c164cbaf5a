/*
 * test_ready.c: ready.c's rule: connected, in the group, caught up; the
 * /readyz body and the retentiond_ready gauge follow it; stopping is
 * final. The lag bound is tested here, where the lag can be held still.
 */
#include <string.h>
#include <syslog.h>

#include "check.h"
#include "../../daemon/daemon.h"

/* The body when not ready must be 503-worthy and name the reason. */
static int
says(const char *why)
{
	const char	*text;
	int		 ok = ready_get(&text);

	return !ok && strncmp(text, "not ready: ", 11) == 0 &&
	    strstr(text, why) != NULL && metrics.ready == 0;
}

static int
is_ready(void)
{
	const char *text;

	return ready_get(&text) && strcmp(text, "ready\n") == 0 &&
	    metrics.ready == 1;
}

int
main(void)
{
	pipeline_global_init();
	log_init(LOG_WARNING, 0);	/* the transitions are notices */

	CHECK(says("starting"));
	/* no broker: never ready, whatever else holds */
	ready_group(1);
	ready_update(0, 4, 0, 1000);
	CHECK(says("no broker reachable"));
	/* a broker but no assignment yet (joining), or the assignment lost */
	ready_group(0);
	ready_update(1, 0, -1, 1000);
	CHECK(says("consumer group"));
	ready_update(1, -1, -1, 1000);
	CHECK(says("consumer group"));
	/* assigned, lag not known yet */
	ready_group(1);
	ready_update(1, 4, -1, 1000);
	CHECK(says("lag not known"));
	/* the bound is inclusive */
	ready_update(1, 4, 1001, 1000);
	CHECK(says("ready_max_lag"));
	ready_update(1, 4, 1000, 1000);
	CHECK(is_ready());
	ready_update(1, 4, 0, 0);
	CHECK(is_ready());
	ready_update(1, 4, 1, 0);
	CHECK(says("ready_max_lag"));
	/* a member with no partitions (more instances than partitions) is a
	 * ready standby: nothing to catch up on */
	ready_update(1, 0, -1, 0);
	CHECK(is_ready());
	/* a full outage, then back */
	ready_update(0, 0, -1, 0);
	CHECK(says("no broker reachable"));
	ready_update(1, 4, 3, 10);
	CHECK(is_ready());
	/* stopping is final */
	ready_stopping();
	CHECK(says("stopping"));
	ready_update(1, 4, 0, 10);
	CHECK(says("stopping"));
	return check_exit("test_ready");
}
