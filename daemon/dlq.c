/*
 * dlq.c: how a dead-letter record is cut to fit the producer's limit.
 *
 * The DLQ must take whatever it is given, or a single input stops the
 * daemon for good: an input the broker accepted (up to its 1,048,588-byte
 * default) may be larger than our producer's message.max.bytes (1,000,000
 * by default), and the DLQ copy adds headers. When the whole copy does not
 * fit, kafka.c keeps a bounded record instead: the key cut to DLQ_KEY_MAX
 * bytes, the input's own headers only while they take at most a quarter
 * of the limit, and the value cut to what is left, plus headers saying so
 * (truncated, original.size, original.fnv1a64, original.key_size). This
 * file does the arithmetic and the description; it knows nothing of Kafka.
 *
 * The sizes follow librdkafka's own check of a record against
 * message.max.bytes (key, value and serialised headers plus the record's
 * framing), with margin to spare for the batch header a broker counts.
 */
#include <inttypes.h>
#include <stdio.h>

#include "daemon.h"
#include "../state/table.h"

/* A record's framing (length, attributes, timestamp and offset deltas,
 * key, value and header-count varints: 36 bytes at most) and a record
 * batch's header (61 bytes), rounded up. */
#define DLQ_RECORD_OVERHEAD	128
#define DLQ_HEADER_OVERHEAD	10	/* two varint lengths per header */

/* Bytes one header takes in a record. */
size_t
dlq_header_cost(size_t namelen, size_t vallen)
{
	return namelen + vallen + DLQ_HEADER_OVERHEAD;
}

/* The room left for the value beside keylen and hdr_bytes under
 * max_bytes, 0 when there is none (sums checked: no wrap-around). */
static size_t
room(size_t max_bytes, size_t keylen, size_t hdr_bytes)
{
	if (keylen >= max_bytes || hdr_bytes >= max_bytes - keylen ||
	    DLQ_RECORD_OVERHEAD >= max_bytes - keylen - hdr_bytes)
		return 0;
	return max_bytes - keylen - hdr_bytes - DLQ_RECORD_OVERHEAD;
}

/* 1 if a record of keylen, hdr_bytes (sum of dlq_header_cost()) and len
 * value bytes fits a producer limit of max_bytes. */
int
dlq_fits(size_t max_bytes, size_t keylen, size_t hdr_bytes, size_t len)
{
	size_t r = room(max_bytes, keylen, hdr_bytes);

	return r > 0 && len <= r;
}

/* How many of len value bytes fit beside keylen and hdr_bytes: len when
 * all do, else what is left (0 when nothing is). */
size_t
dlq_prefix_len(size_t max_bytes, size_t keylen, size_t hdr_bytes, size_t len)
{
	size_t r = room(max_bytes, keylen, hdr_bytes);

	return len < r ? len : r;
}

/* The original's size (decimal) and 64-bit FNV-1a hash of all its bytes
 * (16 lowercase hex digits: the same function as state/table.c's, so
 * tools can recompute it), for the headers of a cut record. */
void
dlq_describe(const void *value, size_t len, char size[DLQ_NUM_MAX],
    char hash[DLQ_HASH_MAX])
{
	uint64_t h = table_hash_bytes(TABLE_HASH_INIT, value, len);

	snprintf(size, DLQ_NUM_MAX, "%zu", len);
	snprintf(hash, DLQ_HASH_MAX, "%016" PRIx64, h);
}
