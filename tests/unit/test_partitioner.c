/*
 * test_partitioner.c: the canonical partitioners (daemon/partitioner.c)
 * against the Java client's murmur2 and zlib's CRC-32.
 *
 * The murmur2 values are those Kafka's own UtilsTest checks for
 * Utils.murmur2() (signed ints there; here the same 32 bits unsigned),
 * so a key lands where a Java or KafkaJS producer puts it. The placement
 * by a real librdkafka producer with partitioner=murmur2_random is checked
 * by tests/integration/test_repartition.py.
 */
#include <stdint.h>
#include <string.h>

#include "../../daemon/daemon.h"
#include "check.h"

struct vec {
	const char	*key;
	int32_t		 java;		/* Utils.murmur2(key.getBytes()) */
};

static const struct vec murmur2_vecs[] = {
	{ "21", -973932308 },
	{ "foobar", -790332482 },
	{ "a-little-bit-long-string", -985981536 },
	{ "a-little-bit-longer-string", -1486304829 },
	{ "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971 },
	{ "abc", 479470107 },
};

static void
test_murmur2(void)
{
	for (size_t i = 0; i < sizeof(murmur2_vecs) / sizeof(murmur2_vecs[0]); i++) {
		const struct vec *v = &murmur2_vecs[i];
		uint32_t h = partitioner_murmur2(v->key, strlen(v->key));
		int32_t want = (int32_t)(((uint32_t)v->java & 0x7fffffffU) % 7U);

		CHECK(h == (uint32_t)v->java);
		/* Java: Utils.toPositive(murmur2(key)) % numPartitions */
		CHECK(partitioner_partition(PARTITIONER_MURMUR2, v->key,
		    strlen(v->key), 7) == want);
	}
	/* the empty key hashes the seed alone, deterministically */
	CHECK(partitioner_murmur2("", 0) == partitioner_murmur2("x", 0));
}

static void
test_crc32(void)
{
	/* zlib: crc32(0, "123456789", 9) is the check value 0xCBF43926 */
	CHECK(partitioner_crc32("123456789", 9) == 0xcbf43926U);
	CHECK(partitioner_crc32("", 0) == 0);
	CHECK(partitioner_partition(PARTITIONER_CRC32, "123456789", 9, 4) ==
	    (int32_t)(0xcbf43926U % 4));
}

static void
test_edges(void)
{
	int32_t p;

	CHECK(partitioner_partition(PARTITIONER_NONE, "a", 1, 4) == -1);
	CHECK(partitioner_partition(PARTITIONER_MURMUR2, "a", 1, 0) == -1);
	CHECK(partitioner_partition(PARTITIONER_MURMUR2, "a", 1, 1) == 0);
	for (int n = 1; n <= 32; n++) {
		p = partitioner_partition(PARTITIONER_MURMUR2, "E0042", 5, n);
		CHECK(p >= 0 && p < n);
	}
	CHECK(partitioner_parse("murmur2") == PARTITIONER_MURMUR2);
	CHECK(partitioner_parse("crc32") == PARTITIONER_CRC32);
	CHECK(partitioner_parse("none") == PARTITIONER_NONE);
	CHECK(partitioner_parse("fnv") == -1);
}

int
main(void)
{
	test_murmur2();
	test_crc32();
	test_edges();
	return check_exit("test_partitioner");
}
