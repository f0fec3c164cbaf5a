/*
 * durable.c: when the pipeline's state is checkpointed, where each
 * partition's input resumes, and the key that hashes erased ids. No Kafka
 * here: kafka_durable.c calls in on assignment, revocation and from the
 * work loop.
 *
 * One checkpoint holds the whole pipeline (the epoch model ties the
 * shards to the epoch state). It is due when checkpoint_events messages
 * have run since the last one, when checkpoint_seconds have passed and
 * something changed, when something changed and then no message came for
 * DURABLE_IDLE_MS, or as soon as the work loop finds the input quiet
 * (durable_quiet(): read to its end, and nothing written to it for
 * DURABLE_IDLE_MS; a backlog read to its end is quiet at once), so that
 * a quiet input is checkpointed, and its offsets committed, up to its
 * end; or at once when the set of erased ids grew (then the
 * previous file, which may still hold the employee, is deleted as soon as
 * the new one is durable). The caller makes sure,
 * before saving, that every output of the messages the state reflects is
 * acknowledged: a checkpoint never runs ahead of what was delivered, and
 * the offsets committed to the group never run ahead of the checkpoint
 * (track_set_cap()). So after any crash the state on disk, the input from
 * its offset on, and the outputs already delivered fit together: outputs
 * may repeat (at least once), none is lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../state/serial.h"
#include "daemon.h"

struct durable_part {
	int32_t		partition;
	int		assigned;
	int64_t		next_offset;	/* in the last durable checkpoint, -1 */
	uint8_t		*parked;	/* given up: its shard, framed as an
					 * image, until the next assignment */
	size_t		parked_len;
};

struct durable {
	char			 state_dir[PATH_MAX];
	char			 topic[PIPELINE_TOPIC_MAX];
	int			 events, seconds;
	int			 restored;	/* the file was looked for */
	int			 has;		/* a durable checkpoint exists */
	uint64_t		 messages;	/* over shards, when last saved */
	size_t			 erased;	/* erased ids then */
	int64_t			 mono_ms;	/* when last saved (or found current) */
	int64_t			 wall_ms;
	uint64_t		 seen;		/* messages at the last look */
	int64_t			 seen_ms;	/* when that last changed */
	int			 quiet;		/* durable_quiet() was called, */
	uint64_t		 quiet_messages;	/* with this many run */
	struct durable_part	*parts;
	size_t			 n;
};

static int64_t
clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* New scheduler for cfg's state directory, input topic and cadence. */
struct durable *
durable_new(const struct config *cfg)
{
	struct durable *d = xcalloc(1, sizeof(*d));

	snprintf(d->state_dir, sizeof(d->state_dir), "%s", cfg->state_directory);
	snprintf(d->topic, sizeof(d->topic), "%s", cfg->topic_input);
	d->events = cfg->checkpoint_events;
	d->seconds = cfg->checkpoint_seconds;
	return d;
}

void
durable_free(struct durable *d)
{
	if (d == NULL)
		return;
	durable_unpark_all(d);
	free(d->parts);
	free(d);
}

static struct durable_part *
part_of(struct durable *d, int32_t partition)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->parts[i].partition == partition)
			return &d->parts[i];
	d->parts = realloc(d->parts, (d->n + 1) * sizeof(*d->parts));
	if (d->parts == NULL)
		fatal("realloc");
	memset(&d->parts[d->n], 0, sizeof(d->parts[0]));
	d->parts[d->n].partition = partition;
	d->parts[d->n].next_offset = -1;
	return &d->parts[d->n++];
}

/* The pipeline's totals over its shards: messages run, erased ids. */
static void
totals(const struct pipeline *p, uint64_t *messages, size_t *erased)
{
	struct shard_info info;

	*messages = 0;
	*erased = 0;
	for (int32_t i = pipeline_shard_next(p, -1); i >= 0;
	    i = pipeline_shard_next(p, i))
		if (pipeline_shard_info(p, i, &info) == 0) {
			*messages += info.messages;
			*erased += info.erased;
		}
}

/* The pipeline as it is now is on disk: each partition's offsets may be
 * stored up to its shard's next offset (saved(), when not NULL). */
static void
mark_saved(struct durable *d, const struct pipeline *p,
    void (*saved)(void *, int32_t, int64_t), void *arg)
{
	struct shard_info info;

	d->has = 1;
	totals(p, &d->messages, &d->erased);
	d->mono_ms = clock_ms(CLOCK_MONOTONIC);
	d->wall_ms = clock_ms(CLOCK_REALTIME);
	METRICS_SET(last_checkpoint_ms, d->wall_ms);
	for (int32_t i = pipeline_shard_next(p, -1); i >= 0;
	    i = pipeline_shard_next(p, i))
		if (pipeline_shard_info(p, i, &info) == 0) {
			part_of(d, i)->next_offset = info.next_offset;
			if (saved != NULL && part_of(d, i)->assigned)
				saved(arg, i, info.next_offset);
		}
}

/* The first time: the newest valid checkpoint file is loaded into the
 * (fresh) pipeline. Later calls do nothing. */
void
durable_restore_local(struct durable *d, struct pipeline *p)
{
	if (d->restored)
		return;
	d->restored = 1;
	if (checkpoint_restore(p, d->state_dir, d->topic) == 1) {
		daemon_lock();
		mark_saved(d, p, NULL, NULL);
		daemon_unlock();
	}
}

/* 1 while the partition is assigned to this instance. */
int
durable_assigned(struct durable *d, int32_t partition)
{
	return part_of(d, partition)->assigned;
}

/* The partition is ours. The first time, the newest valid checkpoint is
 * loaded into the (fresh) pipeline. Returns the offset to read the
 * partition from: its shard's next offset in the pipeline (restored, or
 * kept from an earlier assignment), or -1 for the group's committed
 * offset when the pipeline has never seen a message of it. */
int64_t
durable_assign(struct durable *d, struct pipeline *p, int32_t partition)
{
	struct durable_part	*dp = part_of(d, partition);
	struct shard_info	 info;
	int64_t			 next = -1;

	dp->assigned = 1;
	durable_restore_local(d, p);
	daemon_lock();
	if (pipeline_shard_info(p, partition, &info) == 0)
		next = info.next_offset;
	daemon_unlock();
	return next;
}

/* The next offset of the partition's latest durable checkpoint, -1 none. */
int64_t
durable_cap(struct durable *d, int32_t partition)
{
	return part_of(d, partition)->next_offset;
}

/* The partition is no longer ours. Its shard stays in the pipeline: its
 * statistics are part of every later epoch's fit (DESIGN.md). */
void
durable_revoke(struct durable *d, int32_t partition)
{
	part_of(d, partition)->assigned = 0;
}

/* See daemon.h. */
void
durable_park(struct durable *d, struct pipeline *p, int32_t partition)
{
	struct durable_part	*dp = part_of(d, partition);
	struct wbuf		 img;

	free(dp->parked);
	dp->parked = NULL;
	wbuf_init(&img);
	if (checkpoint_shard_image(p, partition, &img, NULL) == 0) {
		dp->parked = img.p;	/* taken over from img */
		dp->parked_len = img.len;
	} else
		wbuf_free(&img);
}

/* See daemon.h. */
uint8_t *
durable_take_parked(struct durable *d, int32_t partition, size_t *len)
{
	struct durable_part	*dp = part_of(d, partition);
	uint8_t			*img = dp->parked;

	dp->parked = NULL;
	*len = dp->parked_len;
	return img;
}

/* See daemon.h. */
int
durable_restore_parked(struct durable *d, struct pipeline *p, int32_t partition)
{
	size_t		 len;
	uint8_t		*img;
	char		 why[256];
	int		 rc;

	if ((img = durable_take_parked(d, partition, &len)) == NULL)
		return 0;
	rc = checkpoint_shard_restore(p, partition, img, len, why, sizeof(why));
	free(img);
	if (rc == -1) {
		log_warnx("partition %" PRId32 ": its state when given up could not "
		    "be taken back (%s): it starts from the group's committed "
		    "offset", partition, why);
		return -1;
	}
	log_info("partition %" PRId32 " taken back as it was when given up",
	    partition);
	return 1;
}

/* See daemon.h. */
void
durable_unpark_all(struct durable *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->parts[i].parked);
		d->parts[i].parked = NULL;
	}
}

/* See daemon.h. */
void
durable_quiet(struct durable *d, const struct pipeline *p)
{
	size_t erased;

	totals(p, &d->quiet_messages, &erased);
	d->quiet = 1;
}

/* 0 not due, 1 due, 2 due after an erasure. force: due when changed. */
static int
due(struct durable *d, const struct pipeline *p, int force, int64_t now)
{
	uint64_t messages;
	size_t erased;

	totals(p, &messages, &erased);
	if (messages != d->seen) {
		d->seen = messages;
		d->seen_ms = now;
	}
	if (erased > d->erased)
		return 2;
	if (d->has && messages == d->messages) {
		/* unchanged: the file on disk is current */
		if (now - d->mono_ms >= (int64_t)d->seconds * 1000) {
			d->mono_ms = now;
			d->wall_ms = clock_ms(CLOCK_REALTIME);
			METRICS_SET(last_checkpoint_ms, d->wall_ms);
		}
		return 0;
	}
	if (messages == 0)
		return 0;	/* nothing ever run: nothing to keep */
	if (force || !d->has)
		return 1;
	return messages - d->messages >= (uint64_t)d->events ||
	    now - d->mono_ms >= (int64_t)d->seconds * 1000 ||
	    now - d->seen_ms >= DURABLE_IDLE_MS ||
	    (d->quiet && messages == d->quiet_messages);	/* nothing ran since */
}

/* 1 when the pipeline is due for a checkpoint. Called by the work loop's
 * thread, the only one that changes shards: no lock needed to read their
 * counters. */
int
durable_due(struct durable *d, struct pipeline *p)
{
	return due(d, p, 0, clock_ms(CLOCK_MONOTONIC)) != 0;
}

/* Writes the checkpoint when it is due (force: whenever the pipeline
 * changed since the last one), then calls saved(arg, partition,
 * next_offset) for each assigned partition (saved may be NULL). The
 * caller has made sure every output so far is delivered. 0 not due, 1
 * written, 2 written after an erasure, or -1 when the write failed
 * (logged; it stays due). */
int
durable_save(struct durable *d, struct pipeline *p, int force,
    void (*saved)(void *, int32_t, int64_t), void *arg)
{
	char	errbuf[512];
	int	why;

	if ((why = due(d, p, force, clock_ms(CLOCK_MONOTONIC))) == 0)
		return 0;
	if (checkpoint_save(p, d->state_dir, d->topic, why == 2, errbuf,
	    sizeof(errbuf)) == -1) {
		log_warn_limited("checkpoint", "checkpoint: %s", errbuf);
		return -1;
	}
	mark_saved(d, p, saved, arg);
	return why;
}

/* Reads a key file: 16 raw bytes, or 32 hex digits and an optional
 * newline. Regular, not a symlink, no access for group or others. */
static int
read_key(const char *path, uint8_t key[ERASURE_KEY_BYTES], char *errbuf,
    size_t errlen)
{
	struct stat	st;
	char		buf[72];
	ssize_t		n;
	int		fd;
	unsigned	v;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		snprintf(errbuf, errlen, "erasure key %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(errbuf, errlen, "erasure key %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (secret_file_private(path, &st, errbuf, errlen) == -1) {	/* secrets.c */
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n == ERASURE_KEY_BYTES) {
		memcpy(key, buf, ERASURE_KEY_BYTES);
		return 0;
	}
	if (n == 2 * ERASURE_KEY_BYTES || (n == 2 * ERASURE_KEY_BYTES + 1 &&
	    buf[n - 1] == '\n')) {
		for (int i = 0; i < ERASURE_KEY_BYTES; i++) {
			if (sscanf(buf + 2 * i, "%2x", &v) != 1 ||
			    strchr("0123456789abcdefABCDEF", buf[2 * i]) == NULL ||
			    strchr("0123456789abcdefABCDEF", buf[2 * i + 1]) == NULL)
				goto bad;
			key[i] = (uint8_t)v;
		}
		return 0;
	}
bad:
	snprintf(errbuf, errlen, "erasure key %s: not 16 bytes or 32 hex digits",
	    path);
	return -1;
}

/* The erasure key into key: [state] erasure_key_file, or
 * <state>/erasure.key, generated there when absent. The state directory
 * has passed state_dir_check(). 0, or -1 with errbuf. */
int
durable_erasure_key(const struct config *cfg, uint8_t key[ERASURE_KEY_BYTES],
    char *errbuf, size_t errlen)
{
	char	path[PATH_MAX], hex[2 * ERASURE_KEY_BYTES + 2];

	if (cfg->erasure_key_file[0] != '\0')
		return read_key(cfg->erasure_key_file, key, errbuf, errlen);
	if ((size_t)snprintf(path, sizeof(path), "%s/erasure.key",
	    cfg->state_directory) >= sizeof(path)) {
		snprintf(errbuf, errlen, "state directory path too long");
		return -1;
	}
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return read_key(path, key, errbuf, errlen);
	if (getrandom(key, ERASURE_KEY_BYTES, 0) != ERASURE_KEY_BYTES) {
		snprintf(errbuf, errlen, "erasure key: no random bytes: %s",
		    strerror(errno));
		return -1;
	}
	for (int i = 0; i < ERASURE_KEY_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	hex[2 * ERASURE_KEY_BYTES] = '\n';
	if (state_write_file(cfg->state_directory, "erasure.key", NULL, hex,
	    2 * ERASURE_KEY_BYTES + 1, errbuf, errlen) == -1)
		return -1;
	log_info("generated a new erasure key in the state directory");
	return 0;
}
