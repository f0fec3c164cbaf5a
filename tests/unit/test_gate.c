/*
 * test_gate.c: the epoch gate's rule (gate.c, DESIGN.md "The determinism
 * rule"): the pipeline may enter the next epoch once every assigned
 * partition holds a message of a later epoch or is idle, and idle means at
 * its end and silent at the broker for idle_ms, counted from when its
 * newest record was written, not from when it was read nor from when the
 * others reached the boundary. Times are the gate's clock, in ms.
 */
#include <stdlib.h>

#include "check.h"
#include "../../daemon/daemon.h"

#define IDLE	30000

static int items[16];

static void
drop(void *arg, void *item)
{
	(*(int *)arg)++;
	(void)item;
}

/* Two partitions, 0 holding a message of epoch 7. */
static struct gate *
two(int64_t assigned_ms)
{
	struct gate *g = gate_new();

	gate_assign(g, 0, assigned_ms);
	gate_assign(g, 1, assigned_ms);
	gate_hold(g, 0, &items[0], 7, 1);
	return g;
}

/* A backlog written long ago and read just now (a backfill, a restart
 * after downtime): idle as soon as it is read to its end. The rule the
 * gate replaced counted from the read and stalled each such boundary for
 * idle_ms. */
static void
test_old_backlog(void)
{
	struct gate	*g = two(1000000);
	long		 epoch = -1;
	int		 n = 0;

	/* partition 1's last record was written at 100 000, read at 1 000 000 */
	gate_seen(g, 1, 100000, 0);
	CHECK(!gate_due(g, 1000000, IDLE, &epoch));	/* not at its end yet */
	gate_seen(g, 1, 0, 1);				/* end of partition */
	CHECK(gate_due(g, 1000001, IDLE, &epoch) && epoch == 7);
	CHECK(gate_next_idle(g, -1, 1000001, IDLE) == 1);
	CHECK(gate_next_idle(g, 1, 1000001, IDLE) == -1);
	gate_revoke_all(g, drop, &n);
	CHECK(n == 1);
	gate_free(g);
}

/* A live partition that went quiet: it waits idle_ms after its newest
 * record, once, whenever the others reach the boundary. */
static void
test_quiet(void)
{
	struct gate	*g = two(0);
	long		 epoch = -1;
	int		 n = 0;

	gate_seen(g, 1, 50000, 0);
	gate_seen(g, 1, 40000, 0);	/* an older timestamp does not reset it */
	gate_seen(g, 1, 0, 1);
	CHECK(!gate_due(g, 50000 + IDLE - 1, IDLE, &epoch));
	CHECK(gate_next_idle(g, -1, 50000 + IDLE - 1, IDLE) == -1);
	CHECK(gate_due(g, 50000 + IDLE, IDLE, &epoch) && epoch == 7);
	/* another message on it: silent again only from that one */
	gate_seen(g, 1, 90000, 0);
	CHECK(!gate_due(g, 90000 + IDLE, IDLE, &epoch));	/* not at the end */
	gate_seen(g, 1, 0, 1);
	CHECK(!gate_due(g, 90000 + IDLE - 1, IDLE, &epoch));
	CHECK(gate_due(g, 90000 + IDLE, IDLE, &epoch));
	/* the broker has more than the consumer read: not idle until the
	 * consumer reports its end again */
	gate_more(g, 1);
	CHECK(!gate_due(g, 900000, IDLE, &epoch));
	gate_seen(g, 1, 0, 1);
	CHECK(gate_due(g, 900000, IDLE, &epoch));
	gate_revoke_all(g, drop, &n);
	gate_free(g);
}

/* Nothing read since the assignment: the assignment time stands in. */
static void
test_assigned(void)
{
	struct gate	*g = two(500000);
	long		 epoch = -1;
	int		 n = 0;

	gate_seen(g, 1, 0, 1);		/* empty, or nothing past the commit */
	CHECK(!gate_due(g, 500000 + IDLE - 1, IDLE, &epoch));
	CHECK(gate_due(g, 500000 + IDLE, IDLE, &epoch));
	/* a record older than the assignment, once read, is what counts */
	gate_seen(g, 1, 1000, 0);
	gate_seen(g, 1, 0, 1);
	CHECK(gate_due(g, 500000, IDLE, &epoch));
	gate_revoke_all(g, drop, &n);
	gate_free(g);
}

/* Holding partitions cross by their own messages, whatever the clock:
 * the epoch entered is the smallest one a held message needs, and an
 * unassigned partition does not count. */
static void
test_holding(void)
{
	struct gate	*g = two(0);
	long		 epoch = -1;
	int		 n = 0;

	gate_hold(g, 1, &items[1], 9, 1);
	gate_hold(g, 1, &items[2], 0, 0);	/* behind the held one */
	CHECK(gate_due(g, 0, IDLE, &epoch) && epoch == 7);
	CHECK(gate_queued(g, 1) == 2 && gate_held(g) == 3);
	CHECK(gate_pop(g, 0) == &items[0]);
	CHECK(!gate_due(g, 0, IDLE, &epoch));	/* 0 delivers its epoch again */
	gate_seen(g, 0, 0, 1);
	CHECK(gate_due(g, IDLE, IDLE, &epoch) && epoch == 9);
	gate_assign(g, 3, 0);		/* reading, not at its end */
	CHECK(!gate_due(g, 10 * IDLE, IDLE, &epoch));
	gate_revoke(g, 3, drop, &n);
	CHECK(gate_due(g, IDLE, IDLE, &epoch));
	CHECK(gate_pop(g, 1) == &items[1] && gate_pop(g, 1) == &items[2]);
	CHECK(!gate_due(g, IDLE, IDLE, &epoch));	/* nothing held: nothing to do */
	gate_revoke_all(g, drop, &n);
	CHECK(n == 0);
	gate_free(g);
}

/* The work loop's quiet input (gate_quiet(), durable_quiet()): every
 * assigned source at its end and written to idle_ms ago or more, none
 * holding; an unassigned one does not count, and nothing assigned is not
 * quiet. */
static void
test_input_quiet(void)
{
	struct gate	*g = gate_new();
	int		 n = 0;

	CHECK(!gate_quiet(g, 10 * IDLE, IDLE));		/* nothing assigned */
	gate_assign(g, 0, 0);
	gate_assign(g, 4100, 0);	/* a repartition stream's id */
	gate_seen(g, 0, 1000, 0);	/* a backlog written at 1000 */
	CHECK(!gate_quiet(g, 10 * IDLE, IDLE));		/* 0 not read to its end */
	gate_seen(g, 0, 0, 1);
	CHECK(!gate_quiet(g, 10 * IDLE, IDLE));		/* nor the stream */
	gate_complete(g, 4100, 0);
	CHECK(!gate_quiet(g, 1000 + IDLE - 1, IDLE));	/* written too recently */
	CHECK(gate_quiet(g, 1000 + IDLE, IDLE));
	gate_assign(g, 2, 0);
	CHECK(!gate_quiet(g, 10 * IDLE, IDLE));		/* 2 not at its end */
	gate_revoke(g, 2, drop, &n);
	CHECK(gate_quiet(g, 10 * IDLE, IDLE));
	gate_hold(g, 0, &items[0], 3, 1);
	CHECK(!gate_quiet(g, 10 * IDLE, IDLE));		/* a boundary to cross */
	gate_revoke_all(g, drop, &n);
	CHECK(n == 1);
	CHECK(!gate_quiet(g, 10 * IDLE, IDLE));
	gate_free(g);
}

/* Sparse ids (input partitions, repartition streams from 4096): the
 * walks visit them in order, whatever order they were first used in. */
static void
test_sparse(void)
{
	struct gate	*g = gate_new();
	long		 epoch = -1;
	int		 n = 0;

	gate_assign(g, 4097, 0);
	gate_assign(g, 3, 0);
	gate_assign(g, 4096, 0);
	gate_hold(g, 4097, &items[0], 5, 1);
	gate_hold(g, 3, &items[1], 4, 1);
	CHECK(gate_next_holding(g, -1) == 3 && gate_next_holding(g, 3) == 4097 &&
	    gate_next_holding(g, 4097) == -1);
	CHECK(!gate_due(g, 10 * IDLE, IDLE, &epoch));	/* 4096 is reading */
	gate_seen(g, 4096, 0, 1);
	CHECK(gate_next_idle(g, -1, IDLE, IDLE) == 4096 &&
	    gate_next_idle(g, 4096, IDLE, IDLE) == -1);
	CHECK(gate_due(g, IDLE, IDLE, &epoch) && epoch == 4);
	gate_revoke_all(g, drop, &n);
	CHECK(n == 2 && gate_next_holding(g, -1) == -1);
	gate_free(g);
}

int
main(void)
{
	test_old_backlog();
	test_quiet();
	test_assigned();
	test_holding();
	test_input_quiet();
	test_sparse();
	return check_exit("test_gate");
}
