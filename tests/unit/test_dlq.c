/*
 * test_dlq.c: the arithmetic of a DLQ record cut to the producer's limit
 * (daemon/dlq.c) and the description of the original in its headers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/daemon.h"
#include "check.h"

static void
test_fit(void)
{
	size_t h = dlq_header_cost(5, 20);

	CHECK(h > 25);		/* name, value and their length varints */
	/* Small records fit; a value as large as the limit never does. */
	CHECK(dlq_fits(1000000, 5, h, 1000));
	CHECK(!dlq_fits(1000000, 5, h, 1000000));
	CHECK(!dlq_fits(1000000, 5, h, 1040000));
	/* Key and headers alone over the limit: nothing fits, no wrap-around. */
	CHECK(!dlq_fits(100, 200, 0, 0));
	CHECK(dlq_prefix_len(100, 200, 0, 50) == 0);
	CHECK(!dlq_fits(1000, 0, (size_t)-1, 0));
	CHECK(!dlq_fits(1000, 0, 0, (size_t)-1));
}

static void
test_prefix(void)
{
	size_t h = dlq_header_cost(10, 100), n;

	/* What fits is kept whole. */
	CHECK(dlq_prefix_len(1000000, 5, h, 4000) == 4000);
	/* Otherwise the prefix fills the limit exactly, and then fits. */
	n = dlq_prefix_len(1000000, 5, h, 1040000);
	CHECK(n > 990000 && n < 1000000);
	CHECK(dlq_fits(1000000, 5, h, n));
	CHECK(!dlq_fits(1000000, 5, h, n + 1));
	n = dlq_prefix_len(80000, DLQ_KEY_MAX, h, 100000);
	CHECK(n > 70000 && dlq_fits(80000, DLQ_KEY_MAX, h, n) &&
	    !dlq_fits(80000, DLQ_KEY_MAX, h, n + 1));
}

static void
test_describe(void)
{
	char size[DLQ_NUM_MAX], hash[DLQ_HASH_MAX];
	char *big;

	/* FNV-1a 64's published test vectors. */
	dlq_describe("", 0, size, hash);
	CHECK_STR(size, "0");
	CHECK_STR(hash, "cbf29ce484222325");
	dlq_describe("a", 1, size, hash);
	CHECK_STR(size, "1");
	CHECK_STR(hash, "af63dc4c8601ec8c");
	dlq_describe("foobar", 6, size, hash);
	CHECK_STR(hash, "85944171f73967e8");
	/* The hash is of every byte: one changed at the end changes it. */
	big = malloc(1040000);
	memset(big, 'x', 1040000);
	dlq_describe(big, 1040000, size, hash);
	CHECK_STR(size, "1040000");
	{
		char h2[DLQ_HASH_MAX];

		big[1039999] = 'y';
		dlq_describe(big, 1040000, size, h2);
		CHECK(strcmp(hash, h2) != 0);
		CHECK(strlen(h2) == 16);
	}
	free(big);
}

int
main(void)
{
	test_fit();
	test_prefix();
	test_describe();
	return check_exit("test_dlq");
}
