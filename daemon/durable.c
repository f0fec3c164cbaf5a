/*
 * durable.c: when each assigned partition's state is checkpointed, where
 * its input resumes, and the key that hashes erased ids. No Kafka here:
 * kafka.c calls in on assignment and revocation, loop.c on every turn.
 *
 * A partition is due for a checkpoint when checkpoint_events of its
 * messages have run since its last one, when checkpoint_seconds have
 * passed and something changed, when it changed and then had no message
 * for IDLE_MS (a quiet input is checkpointed, and its offsets committed,
 * up to its end), or at once when its set of erased ids grew (then the previous file, which may still hold the employee, is
 * deleted as soon as the new one is durable). The caller makes sure,
 * before saving, that every output of the messages the state reflects is
 * acknowledged: a checkpoint never runs ahead of what was delivered, and
 * the offsets committed to the group never run ahead of the checkpoint
 * (track_set_cap()). So after any crash the state on disk, the input from
 * its offset on, and the outputs already delivered fit together: outputs
 * may repeat (at least once), none is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define IDLE_MS 1000		/* no message for this long: checkpoint now */

struct durable_part {
	int32_t		partition;
	int		assigned;
	int		has;		/* a durable checkpoint exists */
	uint64_t	messages;	/* the shard's count when last saved */
	size_t		erased;		/* its erased ids then */
	int64_t		mono_ms;	/* when last saved (or found current) */
	int64_t		wall_ms;
	int64_t		next_offset;	/* of the last durable checkpoint */
	uint64_t	seen;		/* the shard's count at the last look */
	int64_t		seen_ms;	/* when it last changed */
};

struct durable {
	char			 state_dir[PATH_MAX];
	char			 topic[PIPELINE_TOPIC_MAX];
	int			 events, seconds;
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
	return &d->parts[d->n++];
}

/* The age gauge: the oldest checkpoint among assigned partitions. */
static void
update_age(const struct durable *d)
{
	int64_t oldest = 0;

	for (size_t i = 0; i < d->n; i++)
		if (d->parts[i].assigned && d->parts[i].has &&
		    (oldest == 0 || d->parts[i].wall_ms < oldest))
			oldest = d->parts[i].wall_ms;
	METRICS_SET(last_checkpoint_ms, oldest);
}

static void
mark_saved(struct durable_part *dp, const struct shard_info *info, int64_t next)
{
	dp->has = 1;
	dp->messages = info->messages;
	dp->erased = info->erased;
	dp->next_offset = next;
	dp->mono_ms = clock_ms(CLOCK_MONOTONIC);
	dp->wall_ms = clock_ms(CLOCK_REALTIME);
}

/* The partition is ours: loads its newest valid checkpoint (or drops any
 * state the pipeline still holds for it, when there is none). Returns the
 * offset to read from, or -1 for the group's committed offset. */
int64_t
durable_assign(struct durable *d, struct pipeline *p, int32_t partition)
{
	struct durable_part	*dp = part_of(d, partition);
	struct shard_info	 info;
	int64_t			 next = -1;

	dp->assigned = 1;
	dp->has = 0;
	dp->next_offset = -1;
	if (checkpoint_restore(p, d->state_dir, d->topic, partition, &next) == 1) {
		daemon_lock();
		if (pipeline_shard_info(p, partition, &info) == -1)
			memset(&info, 0, sizeof(info));
		daemon_unlock();
		mark_saved(dp, &info, next);
	} else {
		daemon_lock();
		pipeline_shard_drop(p, partition);
		daemon_unlock();
	}
	update_age(d);
	return next;
}

/* The next offset of the partition's latest durable checkpoint, -1 none. */
int64_t
durable_cap(struct durable *d, int32_t partition)
{
	return part_of(d, partition)->next_offset;
}

/* The partition is no longer ours: its state leaves the pipeline. */
void
durable_revoke(struct durable *d, struct pipeline *p, int32_t partition)
{
	part_of(d, partition)->assigned = 0;
	daemon_lock();
	pipeline_shard_drop(p, partition);
	daemon_unlock();
	update_age(d);
}

/* 0 not due, 1 due, 2 due after an erasure. force: due when changed. */
static int
due(const struct durable *d, struct durable_part *dp, struct pipeline *p,
    int force, int64_t now, struct shard_info *info)
{
	if (!dp->assigned || pipeline_shard_info(p, dp->partition, info) == -1)
		return 0;
	if (info->messages != dp->seen) {
		dp->seen = info->messages;
		dp->seen_ms = now;
	}
	if (info->erased > dp->erased)
		return 2;
	if (dp->has && info->messages == dp->messages) {
		/* unchanged: the file on disk is current */
		if (now - dp->mono_ms >= (int64_t)d->seconds * 1000) {
			dp->mono_ms = now;
			dp->wall_ms = clock_ms(CLOCK_REALTIME);
		}
		return 0;
	}
	if (force || !dp->has)
		return 1;
	return info->messages - dp->messages >= (uint64_t)d->events ||
	    now - dp->mono_ms >= (int64_t)d->seconds * 1000 ||
	    now - dp->seen_ms >= IDLE_MS;
}

/* 1 when some assigned partition is due for a checkpoint. Called by the
 * work loop's thread, the only one that changes shards: no lock needed
 * to read their counters. */
int
durable_due(struct durable *d, struct pipeline *p)
{
	struct shard_info info;
	int64_t now = clock_ms(CLOCK_MONOTONIC);
	int any = 0;

	for (size_t i = 0; i < d->n; i++)
		if (due(d, &d->parts[i], p, 0, now, &info))
			any = 1;
	update_age(d);
	return any;
}

/* Writes the checkpoints that are due (force: every assigned partition
 * that changed; only >= 0: that partition alone), then calls
 * saved(arg, partition, next_offset) for each. The caller has made sure
 * every output so far is delivered. 0, or -1 when a write failed
 * (logged; the partition stays due). */
int
durable_save(struct durable *d, struct pipeline *p, int32_t only, int force,
    void (*saved)(void *, int32_t, int64_t), void *arg)
{
	struct shard_info	info;
	struct durable_part	*dp;
	char			errbuf[512];
	int64_t			now = clock_ms(CLOCK_MONOTONIC), next;
	int			rc = 0, why;

	for (size_t i = 0; i < d->n; i++) {
		dp = &d->parts[i];
		if ((only >= 0 && dp->partition != only) ||
		    (why = due(d, dp, p, force, now, &info)) == 0)
			continue;
		if (checkpoint_save(p, d->state_dir, d->topic, dp->partition,
		    why == 2, &next, errbuf, sizeof(errbuf)) == -1) {
			log_warn_limited("checkpoint", "checkpoint of partition %d: %s",
			    (int)dp->partition, errbuf);
			rc = -1;
			continue;
		}
		mark_saved(dp, &info, next);
		if (saved != NULL)
			saved(arg, dp->partition, next);
	}
	update_age(d);
	return rc;
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
