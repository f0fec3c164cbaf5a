/*
 * partitioner.c: the canonical partition of an employee: where the
 * producers' partitioners put a key, computed the same way here, so that
 * the daemon can tell an event that reached its employee's partition from
 * one that did not (route.c).
 *
 * murmur2 is the Java client's (and KafkaJS's) default for keyed records:
 * MurmurHash2 with seed 0x9747b28c over the key bytes, made positive with
 * & 0x7fffffff (not abs(), so INT_MIN is no special case), modulo the
 * partition count. librdkafka calls it "murmur2_random" (random only for
 * records without a key). crc32 is librdkafka's and kcat's default
 * ("consistent_random"): the CRC-32 (IEEE, as zlib's crc32()) of the key,
 * modulo the count, unsigned.
 *
 * Pure functions: no Kafka, no allocation.
 */
#include <string.h>

#include "daemon.h"

#define MURMUR2_SEED	0x9747b28cU
#define MURMUR2_M	0x5bd1e995U
#define MURMUR2_R	24

/* MurmurHash2 (32 bits) as org.apache.kafka.common.utils.Utils.murmur2():
 * four bytes at a time little-endian, the tail folded from its last byte
 * down. */
uint32_t
partitioner_murmur2(const void *key, size_t len)
{
	const unsigned char	*d = key;
	uint32_t		 h = MURMUR2_SEED ^ (uint32_t)len, k;
	size_t			 i, n4 = len / 4;

	for (i = 0; i < n4; i++) {
		const unsigned char *b = d + 4 * i;

		k = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		    (uint32_t)b[3] << 24;
		k *= MURMUR2_M;
		k ^= k >> MURMUR2_R;
		k *= MURMUR2_M;
		h *= MURMUR2_M;
		h ^= k;
	}
	d += 4 * n4;
	/* the tail, as the Java code's fall-through switch */
	if (len % 4 == 3)
		h ^= (uint32_t)d[2] << 16;
	if (len % 4 >= 2)
		h ^= (uint32_t)d[1] << 8;
	if (len % 4 >= 1) {
		h ^= (uint32_t)d[0];
		h *= MURMUR2_M;
	}
	h ^= h >> 13;
	h *= MURMUR2_M;
	h ^= h >> 15;
	return h;
}

/* CRC-32 (IEEE 802.3, reflected, as zlib): bitwise, since keys are short
 * and this runs once per event. */
uint32_t
partitioner_crc32(const void *key, size_t len)
{
	const unsigned char	*d = key;
	uint32_t		 c = 0xffffffffU;

	for (size_t i = 0; i < len; i++) {
		c ^= d[i];
		for (int b = 0; b < 8; b++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1)));
	}
	return c ^ 0xffffffffU;
}

/* The partition of key among nparts (> 0) by the given partitioner;
 * -1 for PARTITIONER_NONE or nparts < 1. */
int32_t
partitioner_partition(int which, const void *key, size_t len, int32_t nparts)
{
	if (nparts < 1)
		return -1;
	switch (which) {
	case PARTITIONER_MURMUR2:
		return (int32_t)((partitioner_murmur2(key, len) & 0x7fffffffU) %
		    (uint32_t)nparts);
	case PARTITIONER_CRC32:
		return (int32_t)(partitioner_crc32(key, len) % (uint32_t)nparts);
	}
	return -1;
}

/* "murmur2", "crc32" or "none" -> PARTITIONER_*; -1 otherwise. */
int
partitioner_parse(const char *name)
{
	if (strcmp(name, "murmur2") == 0)
		return PARTITIONER_MURMUR2;
	if (strcmp(name, "crc32") == 0)
		return PARTITIONER_CRC32;
	if (strcmp(name, "none") == 0)
		return PARTITIONER_NONE;
	return -1;
}
