/*
 * ckpt_topic_int.h: what ckpt_topic.c (writing partition images) and
 * ckpt_restore.c (reading them back) share: the record layout's
 * constants and the topic's state. Nothing else includes it.
 */
#ifndef RETENTIOND_CKPT_TOPIC_INT_H
#define RETENTIOND_CKPT_TOPIC_INT_H

#include <stdint.h>

#include "kafka.h"

#define CHUNK_MAX	(512 * 1024)
#define CHUNK_MAGIC	"RTDCKCH1"
#define MANIFEST_MAGIC	"RTDCKMF1"
#define MAGIC_LEN	8
#define CHUNK_HEAD	(MAGIC_LEN + 8 + 4 + 4)
#define MANIFEST_LEN	(MAGIC_LEN + 8 + 4 + 4 + 8 + 4)
#define READ_MS		30000	/* reading the topic to its end, at most */
#define PARTS_MAX	ROUTE_VBASE
#define IMAGE_MAX	((uint64_t)1 << 32)
/* The slot of the i-th generation (0, 1) written after the newest one. */
#define NEXT_SLOT(ct, part, i)	((unsigned)((ct)->slot[part] + 1 + (i)) % 2)

/* A chunk read back, until its image is assembled. */
struct chunk {
	int32_t		 part;
	uint32_t	 slot, index;
	uint64_t	 gen;
	uint8_t		*data;
	size_t		 len;
	struct chunk	*next;
};

struct manifest {
	int		 have;
	uint64_t	 gen, len;
	uint32_t	 slot, count, crc;
};

/* What an image of a partition reflects. */
struct image_mark {
	int64_t		 next;		/* the input's next offset; -1 none */
	int64_t		 rep;		/* in its repartition stream; -1 none */
	uint64_t	 msgs;
	long		 epoch;		/* the pipeline's then */
	uint64_t	 gen;		/* its manifest's generation; 0 none */
};

struct ckpt_topic {
	char		 topic[256];
	char		 prefix[520];	/* "<group>:<input>:" (255 + 255 + 2) */
	rd_kafka_t	*reader;	/* assign only, never commits */
	int32_t		 nparts;	/* the topic's, 0 unknown */
	int		 created;
	uint64_t	 generation;	/* the last one written or read */
	/* per input partition: the newest image in the topic, delivered
	 * from here or restored here */
	struct image_mark pub[PARTS_MAX];
	/* per input partition lost (not revoked): the newest image in the
	 * topic then, beside the shard durable_park() keeps */
	struct image_mark parked[PARTS_MAX];
	/* the slot of the partition's newest manifest, written or read: the
	 * next generation goes into the other one (generations start from
	 * the wall clock, so their parity says nothing) */
	uint8_t		 slot[PARTS_MAX];
};

/* The topic's partition count, creating it (compacted) the first time;
 * 0 while unknown. */
int32_t	ckpt_topic_parts(struct kafka *, struct ckpt_topic *);

#endif
