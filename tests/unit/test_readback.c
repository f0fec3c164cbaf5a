/*
 * test_readback.c: what the repartition reader counts as read back of the
 * records this process sent (route.c's route_read_own(), DESIGN.md
 * "Scale-out"). Several instances write to the same repartition
 * partitions; a boundary waits until this process's own records are back
 * (readback >= forwarded). Counting every record read let another
 * instance's records stand in for ours: the boundary passed before our
 * last one was read, and that one was held to the end of the next epoch
 * (scaleout_kill.py's commits short of the ends). Here the records of two
 * senders interleave in one partition, and ours are counted by their
 * number, once each, whatever else is read.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "../../daemon/route.h"

static struct route	ours, theirs;

/* The header forward() (route_send.c) gives r's n-th record to rp. */
static const char *
header(const struct route *r, unsigned n)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s:%u", r->sender, n);
	return buf;
}

int
main(void)
{
	char	buf[64];

	route_sender_init(&ours);
	snprintf(theirs.sender, sizeof(theirs.sender), "%s", ours.sender);
	theirs.sender[0] = theirs.sender[0] == '9' ? '8' : '9';
	CHECK(strcmp(ours.sender, theirs.sender) != 0);

	/* we sent 3 to partition 2; they sent 5, all of theirs read first */
	ours.forwarded[2] = 3;
	for (unsigned i = 0; i < 5; i++)
		route_read_own(&ours, 2, header(&theirs, i));
	CHECK(ours.readback[2] == 0);		/* none of ours is back */
	route_read_own(&ours, 2, header(&ours, 0));
	route_read_own(&ours, 2, header(&ours, 1));
	CHECK(ours.readback[2] == 2);
	CHECK(ours.readback[2] < ours.forwarded[2]);	/* still awaiting */
	/* read again from an earlier offset: counted once */
	route_read_own(&ours, 2, header(&ours, 0));
	route_read_own(&ours, 2, header(&ours, 1));
	CHECK(ours.readback[2] == 2);
	route_read_own(&ours, 2, header(&ours, 2));
	CHECK(ours.readback[2] == 3);
	CHECK(ours.readback[1] == 0 && ours.readback[3] == 0);	/* per partition */

	/* a token that only starts with ours, or ours without a number */
	snprintf(buf, sizeof(buf), "%s0:7", ours.sender);
	route_read_own(&ours, 2, buf);
	snprintf(buf, sizeof(buf), "%s:", ours.sender);
	route_read_own(&ours, 2, buf);
	snprintf(buf, sizeof(buf), "%s:-1", ours.sender);
	route_read_own(&ours, 2, buf);
	snprintf(buf, sizeof(buf), "%s:9x", ours.sender);
	route_read_own(&ours, 2, buf);
	route_read_own(&ours, 2, "7");
	route_read_own(&ours, 2, "");
	CHECK(ours.readback[2] == 3);
	route_read_own(&ours, -1, header(&ours, 9));
	route_read_own(&ours, ROUTE_VBASE, header(&ours, 9));
	CHECK(ours.readback[2] == 3);
	return check_exit("test_readback");
}
