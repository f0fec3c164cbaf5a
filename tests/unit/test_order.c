/*
 * test_order.c: the hold of re-routed records (order.c): whatever order
 * they are read in, and however small the bound, the rounds of a stream
 * (apply what is held, read again from the lowest offset let go, keep
 * only keys after the last applied) give every record exactly once, in
 * (event time, source partition, source offset) order. route_order.c drives the same
 * calls over Kafka.
 */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "../../daemon/daemon.h"

#define N	600

static struct order_key	keys[N];	/* by repartition offset */
static int		tokens[N];
static int		dropped;

static void
drop(void *item)
{
	(void)item;
	dropped++;
}

static uint32_t
rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* N records from 5 source partitions, each source's offsets growing,
 * interleaved at random (as several input partitions send to one
 * stream), with event times of few distinct values (ties are broken by
 * the source): keys[pos] is the record at repartition offset pos. */
static void
make_stream(uint32_t seed)
{
	int64_t next[5] = { 0 };

	for (int i = 0; i < N; i++) {
		int32_t src = (int32_t)(rnd(&seed) % 5);

		keys[i].time_ms = (int64_t)(rnd(&seed) % 40) * 3600000;
		keys[i].src = src;
		keys[i].off = next[src];
		next[src] += 1 + rnd(&seed) % 3;
		tokens[i] = i;
	}
}

static void
put(struct order *o, int pos)
{
	struct order_item	 it = { keys[pos], pos, 10, &tokens[pos] };
	void			*evicted;

	if (!order_put(o, 3, &it, 0, &evicted))
		dropped++;
	if (evicted != NULL)
		dropped++;
}

/* The rounds of route_order_flush_one() on stream 3 after reading
 * [0, N): out[] gets the positions applied, in order; returns how many. */
static int
rounds(struct order *o, int *out, int *passes)
{
	struct order_key	 last = { INT64_MIN, -1, -1 };
	struct order_item	*v;
	size_t			 n;
	int64_t			 lo;
	int			 got = 0;

	*passes = 0;
	for (;;) {
		v = order_take_all(o, 3, &n);
		for (size_t i = 0; i < n && got < N + 1; i++) {
			out[got++] = (int)v[i].pos;
			last = v[i].key;
		}
		free(v);
		if (!order_spilled(o, 3, &lo))
			break;
		order_pass(o, 3, last);
		(*passes)++;
		for (int pos = (int)lo; pos < N; pos++)
			put(o, pos);
	}
	order_pass_end(o, 3);
	return got;
}

/* Every record once, in key order, with bound max items. */
static void
check_bound(size_t max, uint32_t seed)
{
	struct order	*o = order_new(max, 1 << 20);
	int		 out[N + 1], passes, got;

	make_stream(seed);
	for (int pos = 0; pos < N; pos++)
		put(o, pos);
	CHECK(order_count(o, 3) <= max);
	got = rounds(o, out, &passes);
	CHECK(got == N);
	for (int i = 1; i < got; i++)
		CHECK(order_cmp(keys[out[i - 1]], keys[out[i]]) < 0);
	CHECK(max >= N ? passes == 0 : passes >= (int)((N - 1) / max));
	CHECK(order_count(o, -1) == 0);
	CHECK(!order_pending(o));
	order_free(o, drop);
}

/* The bytes bound counts too; order_min_pos() is the lowest offset held
 * or let go; a record given back (force) is kept over the bound. */
static void
test_bytes_and_floor(void)
{
	struct order		*o = order_new(100, 35);
	struct order_item	 it;
	void			*evicted;

	make_stream(7);
	for (int pos = 0; pos < 5; pos++)
		put(o, pos);
	CHECK(order_count(o, 3) == 3);		/* 3 x 10 bytes fit in 35 */
	CHECK(order_min_pos(o, 3) == 0);
	CHECK(order_pending(o));
	it = (struct order_item){ { -1, 0, 0 }, 99, 10, &tokens[0] };
	CHECK(order_put(o, 3, &it, 1, &evicted) == 1 && evicted == NULL);
	CHECK(order_count(o, 3) == 4);
	CHECK(order_min_pos(o, 4) == -1);
	dropped = 0;
	order_drop_stream(o, 3, drop);
	CHECK(dropped == 4 && order_count(o, -1) == 0 && !order_pending(o));
	order_free(o, drop);
}

int
main(void)
{
	check_bound(N, 1);		/* no spill */
	check_bound(64, 2);
	check_bound(7, 3);
	check_bound(1, 4);
	test_bytes_and_floor();
	return check_exit("test_order");
}
