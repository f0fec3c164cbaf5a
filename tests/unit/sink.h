/*
 * sink.h: an emit callback for tests that compare two pipelines' outputs:
 * a count and a hash of every output's kind, key and value, in order.
 */
#ifndef RETENTIOND_TEST_SINK_H
#define RETENTIOND_TEST_SINK_H

#include <stdint.h>

#include "../../pipeline/pipeline.h"

struct sink {
	uint64_t	n, hash;
};

/* A pipeline_emit_fn; arg is a struct sink, or NULL to discard. */
static inline int
sink_collect(void *arg, const struct output *o)
{
	struct sink *k = arg;
	const uint8_t *b;
	size_t i;

	if (k == NULL)
		return 0;
	k->n++;
	k->hash = (k->hash ^ (uint64_t)o->kind) * 0x100000001b3ULL;
	for (b = (const uint8_t *)o->key, i = 0; i < o->keylen; i++)
		k->hash = (k->hash ^ b[i]) * 0x100000001b3ULL;
	for (b = (const uint8_t *)o->value, i = 0; b != NULL && i < o->len; i++)
		k->hash = (k->hash ^ b[i]) * 0x100000001b3ULL;
	return 0;
}

#endif
