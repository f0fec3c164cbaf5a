/*
 * checkpoint.c: checkpoint files, and the one safe way to write a file in
 * the state directory.
 *
 * A file is a frame around the body that pipeline/snapshot.c makes:
 *
 *   "RTDCKPT1"  u32 format version  u64 body length  body  u32 CRC-32C
 *
 * little-endian, the CRC over everything before it. The frame is bytes in
 * memory first and a file second, so the same bytes can go to a topic
 * (issue 9). A file that fails any check (magic, version, length, CRC, or
 * the body's own validation) is corrupt: it is logged (the path names the
 * input topic, never an employee), counted in
 * retentiond_checkpoint_corrupt_total, and never loaded in part.
 *
 * Writing (state_write_file): a temporary name opened with
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, in a directory the daemon's user
 * owns and nobody else can write (state_dir_check), then write, fsync,
 * rename, fsync of the directory. Nobody can plant a symlink or a file of
 * their own where the daemon writes, and after a crash a file is either
 * the old one or the new one, whole.
 *
 * Generations: <state>/checkpoints/<topic>.ckpt is the newest and
 * .ckpt.prev the one before. One file holds the whole pipeline (the epoch
 * state and every shard, pipeline/snapshot.c), because the epoch model
 * ties them: a shard's statistics are only meaningful with the fit of the
 * same epoch. A new file is made durable under its
 * temporary name, the current one is renamed to .prev, the new one to the
 * current name, and the directory synced: at every instant one of the two
 * names holds a whole, good file. Loading tries the newest first, then
 * .prev. After an erasure the .prev, which may still hold the erased
 * employee, is deleted as soon as the new file is durable. Temporaries a
 * crash left behind (any process's) are deleted before each write: they
 * hold state too, and an erasure must not leave a copy there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../state/serial.h"
#include "daemon.h"

#define MAGIC		"RTDCKPT1"
#define MAGIC_LEN	8
#define FORMAT_VERSION	4	/* 2: the whole pipeline, epoch state first; 3: compact
				 * records (monthly window buckets, the alert hash, the
				 * due minute, record indices in RECS); 4: records at
				 * their widths (u32 seconds, f32 floats) */
#define HEADER_LEN	(MAGIC_LEN + 4 + 8)
#define TRAILER_LEN	4
#define CHECKPOINT_MAX	((uint64_t)1 << 32)	/* 4 GiB: larger is not ours */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Refuses a directory that is not ours or that others may write. */
static int
dir_ok(const char *dir, const struct stat *st, char *errbuf, size_t errlen)
{
	if (!S_ISDIR(st->st_mode)) {
		snprintf(errbuf, errlen, "%s: not a directory", dir);
		return -1;
	}
	if (st->st_uid != geteuid()) {
		snprintf(errbuf, errlen, "%s: owned by uid %u, not by the daemon's "
		    "user (uid %u)", dir, (unsigned)st->st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(errbuf, errlen, "%s: writable by group or others (mode %04o); "
		    "chmod go-w it", dir, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Creates dir (mode 0700) when missing, then checks it: a directory,
 * owned by the effective user, not writable by group or others (lstat: a
 * symlink is refused too). 0, or -1 with errbuf. */
int
state_dir_check(const char *dir, char *errbuf, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) == -1) {
		if (errno != ENOENT || mkdir(dir, 0700) == -1 || lstat(dir, &st) == -1) {
			snprintf(errbuf, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	return dir_ok(dir, &st, errbuf, errlen);
}

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Writes n bytes at p as dir/name, atomically and durably (see the top
 * of the file), mode 0600. When prev is not NULL the file being replaced
 * is kept as dir/prev. dir must have passed state_dir_check(). 0, or -1
 * with errbuf (no temporary file is left behind). */
int
state_write_file(const char *dir, const char *name, const char *prev,
    const void *p, size_t n, char *errbuf, size_t errlen)
{
	char	tmp[PATH_MAX], path[PATH_MAX], old[PATH_MAX];
	int	fd = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(old, sizeof(old), "%s/%s", dir, prev ? prev : "") >=
	    sizeof(old) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, name,
	    (long)getpid()) >= sizeof(tmp)) {
		snprintf(errbuf, errlen, "%s/%s: path too long", dir, name);
		return -1;
	}
	/* a stale temporary of ours (a crash mid-write) is ours to remove */
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || write_all(fd, p, n) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (prev != NULL && rename(path, old) == -1 && errno != ENOENT)
		goto fail;
	if (rename(tmp, path) == -1 || fsync_dir(dir) == -1)
		goto fail;
	return 0;
fail:
	snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	return -1;
}

/* Opens a frame at the end of out (the header, its length still 0);
 * returns where it starts, for frame_end() once the body follows it. */
static size_t
frame_begin(struct wbuf *out)
{
	size_t start = out->len;

	wbuf_bytes(out, MAGIC, MAGIC_LEN);
	wbuf_u32(out, FORMAT_VERSION);
	wbuf_u64(out, 0);
	return start;
}

/* Closes the frame opened at start: the body's length into the header,
 * then the CRC of the whole. */
static void
frame_end(struct wbuf *out, size_t start)
{
	uint64_t len = out->len - start - HEADER_LEN;

	if (out->failed)
		return;
	for (int i = 0; i < 8; i++)
		out->p[start + MAGIC_LEN + 4 + (size_t)i] = (uint8_t)(len >> (8 * i));
	wbuf_u32(out, serial_crc32c(0, out->p + start, out->len - start));
}

/* Frames body into out (appended). */
void
checkpoint_frame(const void *body, size_t len, struct wbuf *out)
{
	size_t start = frame_begin(out);

	wbuf_bytes(out, body, len);
	frame_end(out, start);
}

/* See daemon.h. */
int
checkpoint_shard_image(struct pipeline *p, int32_t partition, struct wbuf *img,
    struct shard_info *info)
{
	struct wbuf	body;
	int		rc;

	wbuf_init(&body);
	daemon_lock();
	rc = pipeline_shard_image(p, partition, &body) == 0 &&
	    (info == NULL || pipeline_shard_info(p, partition, info) == 0) ? 0 : -1;
	daemon_unlock();
	if (rc == 0)
		checkpoint_frame(body.p, body.len, img);
	wbuf_free(&body);
	return rc == 0 && !img->failed ? 0 : -1;
}

/* The frame's header and length (all but its CRC): on success *body and
 * *len point at the body inside it. 0, or -1 with a reason in errbuf. */
static int
frame_head(const void *p, size_t n, const void **body, size_t *len,
    char *errbuf, size_t errlen)
{
	struct rbuf	r;
	uint32_t	version;
	uint64_t	blen;

	rbuf_init(&r, p, n);
	if (n < HEADER_LEN + TRAILER_LEN || memcmp(p, MAGIC, MAGIC_LEN) != 0) {
		snprintf(errbuf, errlen, "not a checkpoint (no %s header)", MAGIC);
		return -1;
	}
	(void)rbuf_take(&r, MAGIC_LEN);
	version = rbuf_u32(&r);
	blen = rbuf_u64(&r);
	if (version != FORMAT_VERSION) {
		snprintf(errbuf, errlen, "format version %u, this build reads %u",
		    (unsigned)version, FORMAT_VERSION);
		return -1;
	}
	if (blen != n - HEADER_LEN - TRAILER_LEN) {
		snprintf(errbuf, errlen, "truncated or overlong: body of %llu bytes "
		    "in a file of %zu", (unsigned long long)blen, n);
		return -1;
	}
	*body = (const uint8_t *)p + HEADER_LEN;
	*len = (size_t)blen;
	return 0;
}

/* 1 when the CRC-32C at the end of the n bytes at p (n > TRAILER_LEN) is
 * that of everything before it. */
static int
frame_crc_ok(const uint8_t *p, size_t n)
{
	struct rbuf r;

	rbuf_init(&r, p + n - TRAILER_LEN, TRAILER_LEN);
	return rbuf_u32(&r) == serial_crc32c(0, p, n - TRAILER_LEN);
}

/* Checks a frame of n bytes at p; on success *body and *len point at the
 * body inside it. 0, or -1 with a reason in errbuf. */
int
checkpoint_unframe(const void *p, size_t n, const void **body, size_t *len,
    char *errbuf, size_t errlen)
{
	if (frame_head(p, n, body, len, errbuf, errlen) == -1)
		return -1;
	if (!frame_crc_ok(p, n)) {
		snprintf(errbuf, errlen, "checksum mismatch");
		return -1;
	}
	return 0;
}

/* See daemon.h. */
int
checkpoint_shard_restore(struct pipeline *p, int32_t partition, const void *img,
    size_t len, char *errbuf, size_t errlen)
{
	const void	*body;
	size_t		 blen;
	int		 rc;

	if (checkpoint_unframe(img, len, &body, &blen, errbuf, errlen) == -1)
		return -1;
	daemon_lock();
	rc = pipeline_shard_restore(p, partition, body, blen, errbuf, errlen);
	daemon_unlock();
	return rc;
}

/* A whole file, mapped read-only or read into a buffer: what read_file()
 * gives. */
struct mapped {
	const uint8_t	*p;
	size_t		 n;
	int		 mapped;	/* 1 munmap(), 0 free() */
};

static void
unmap(struct mapped *m)
{
	if (m->mapped)
		(void)munmap((void *)(uintptr_t)m->p, m->n);
	else
		free((void *)(uintptr_t)m->p);
	m->p = NULL;
	m->n = 0;
	m->mapped = 0;
}

/* Maps the n bytes of fd with every page read in now: an I/O error, or a
 * file shorter than n, is an error here (MADV_POPULATE_READ reports it)
 * and not a SIGBUS in the loader. 0, 1 when the kernel has no
 * MADV_POPULATE_READ (read the file instead), -1 (errno). */
static int
map_whole(int fd, size_t n, struct mapped *m)
{
	void	*p;
	int	 e;

	if ((p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		return -1;
	if (madvise(p, n, MADV_POPULATE_READ) == -1) {
		e = errno;
		(void)munmap(p, n);
		errno = e;
		return e == EINVAL ? 1 : -1;
	}
	m->p = p;
	m->n = n;
	m->mapped = 1;
	return 0;
}

/* Reads the n bytes of fd into a new buffer; 0, or -1 (errno). */
static int
read_whole(int fd, size_t n, struct mapped *m)
{
	uint8_t	*p = xmalloc(n);
	size_t	 off = 0;
	ssize_t	 r;

	while (off < n) {
		if ((r = pread(fd, p + off, n - off, (off_t)off)) == -1) {
			if (errno == EINTR)
				continue;
			free(p);
			return -1;
		}
		if (r == 0)
			break;		/* shrank under us: the frame check refuses it */
		off += (size_t)r;
	}
	m->p = p;
	m->n = off;
	m->mapped = 0;
	return 0;
}

/* A whole regular file (not a symlink). 1 (an empty file as n = 0), 0
 * absent, -1 error with errbuf.
 *
 * Mapped rather than read: a restore of a million employees reads ~350 MB
 * that are in the page cache (the daemon wrote them); read() would copy
 * them into as many fresh pages, which the kernel must fault in and zero
 * first (a third of the restore), where a mapping shares the cache's
 * pages. They are all read in before the loader sees them (map_whole()),
 * so a bad disk or a file cut short is refused as a read error. (A page
 * the kernel reclaims and fails to read back later would still fault;
 * the daemon only ever replaces its files by rename(), which leaves a
 * mapped inode whole.) Kernels before 5.14 read it as before. */
static int
read_file(const char *path, struct mapped *m, char *errbuf, size_t errlen)
{
	struct stat	st;
	int		fd, r = 0;

	memset(m, 0, sizeof(*m));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(errbuf, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > CHECKPOINT_MAX) {
		snprintf(errbuf, errlen, "not a regular file of a sane size");
		close(fd);
		return -1;
	}
	if (st.st_size > 0 && (r = map_whole(fd, (size_t)st.st_size, m)) == 1)
		r = read_whole(fd, (size_t)st.st_size, m);
	if (r == -1)
		snprintf(errbuf, errlen, "%s", strerror(errno));
	close(fd);
	return r == -1 ? -1 : 1;
}

/* The checkpoint directory and file names of topic. 0, or -1 when the
 * topic cannot be part of a file name. */
static int
ckpt_names(const char *state_dir, const char *topic, char *dir, size_t dlen,
    char *name, size_t nlen, char *prev, size_t plen)
{
	if (topic[0] == '\0' || topic[0] == '.' || strchr(topic, '/') != NULL ||
	    (size_t)snprintf(dir, dlen, "%s/checkpoints", state_dir) >= dlen ||
	    (size_t)snprintf(name, nlen, "%s.ckpt", topic) >= nlen ||
	    (size_t)snprintf(prev, plen, "%s.prev", name) >= plen)
		return -1;
	return 0;
}

/* Deletes dir/.name.*.tmp, the temporaries of earlier processes. */
static void
remove_stale(const char *dir, const char *name)
{
	char		 path[PATH_MAX];
	struct dirent	*de;
	DIR		*d;
	size_t		 n = strlen(name), len;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len < n + 6 ||
		    strncmp(de->d_name + 1, name, n) != 0 || de->d_name[n + 1] != '.' ||
		    strcmp(de->d_name + len - 4, ".tmp") != 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
		    sizeof(path))
			(void)unlink(path);
	}
	closedir(d);
}

/* Writes the pipeline (every shard and the epoch state, one moment) to
 * the topic's checkpoint file; with drop_prev (after an erasure) the
 * previous generation is deleted once the new one is durable. Takes the
 * daemon lock while it reads the pipeline, not while it writes. 0, or -1
 * with errbuf. */
int
checkpoint_save(struct pipeline *p, const char *state_dir, const char *topic,
    int drop_prev, char *errbuf, size_t errlen)
{
	char		dir[PATH_MAX], name[NAME_MAX + 1], prev[NAME_MAX + 1];
	char		path[PATH_MAX];
	struct wbuf	file;
	double		t0 = now_s();
	size_t		start;
	int		rc = -1, saved;

	if (ckpt_names(state_dir, topic, dir, sizeof(dir), name, sizeof(name),
	    prev, sizeof(prev)) == -1) {
		snprintf(errbuf, errlen, "topic %s: not usable in a file name", topic);
		return -1;
	}
	if (state_dir_check(dir, errbuf, errlen) == -1)
		return -1;
	remove_stale(dir, name);
	/* the body is made inside its frame (one buffer, no copy of a few
	 * hundred MB), and the frame is closed outside the lock */
	wbuf_init(&file);
	start = frame_begin(&file);
	daemon_lock();
	saved = pipeline_snapshot_save(p, &file);
	daemon_unlock();
	if (saved == -1 || (frame_end(&file, start), file.failed)) {
		snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	if (state_write_file(dir, name, prev, file.p, file.len, errbuf, errlen) == -1)
		goto out;
	if (drop_prev && (size_t)snprintf(path, sizeof(path), "%s/%s", dir, prev) <
	    sizeof(path) && unlink(path) == 0)
		(void)fsync_dir(dir);
	METRICS_ADD(checkpoints_written, 1);
	METRICS_SET(checkpoint_bytes, (uint64_t)file.len);
	METRICS_SET(checkpoint_write_us, (uint64_t)((now_s() - t0) * 1e6));
	rc = 0;
out:
	wbuf_free(&file);
	return rc;
}

/* Maps and unframes one file into *m / *body. 1 good frame, 0 absent,
 * -1 corrupt (reason in why). */
static int
read_frame(const char *path, struct mapped *m, const void **body, size_t *blen,
    char *why, size_t wlen)
{
	int r;

	if ((r = read_file(path, m, why, wlen)) != 1)
		return r;
	return checkpoint_unframe(m->p, m->n, body, blen, why, wlen) == 0 ? 1 : -1;
}

/*
 * A restore's CRC, computed on another thread while the body loads: the
 * loader trusts nothing, so a body is safe to parse before its CRC is
 * known, and the CRC of a few hundred MB costs about as much as reading
 * them. pipeline_snapshot_load_verified() waits for it (crc_wait()) before
 * the body becomes the pipeline's; without a thread it is computed there.
 */
struct crc_job {
	const uint8_t	*p;
	size_t		 n;
	pthread_t	 thread;
	int		 started;	/* the thread runs: join it */
	int		 done, ok;
};

static void *
crc_run(void *arg)
{
	struct crc_job *j = arg;

	j->ok = frame_crc_ok(j->p, j->n);
	return NULL;
}

static void
crc_start(struct crc_job *j, const uint8_t *p, size_t n)
{
	sigset_t all, old;

	memset(j, 0, sizeof(*j));
	j->p = p;
	j->n = n;
	/* signals stay the main thread's */
	sigfillset(&all);
	if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
		return;
	j->started = pthread_create(&j->thread, NULL, crc_run, j) == 0;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The verify() of the load: 0 when the CRC is right, else -1 with the
 * reason. Called again, it gives the same answer. */
static int
crc_wait(void *arg, char *errbuf, size_t errlen)
{
	struct crc_job *j = arg;

	if (!j->done) {
		if (j->started)
			(void)pthread_join(j->thread, NULL);
		else
			j->ok = frame_crc_ok(j->p, j->n);
		j->started = 0;
		j->done = 1;
	}
	if (j->ok)
		return 0;
	snprintf(errbuf, errlen, "checksum mismatch");
	return -1;
}

/* Maps, unframes and loads one file, its CRC checked alongside. 1
 * loaded, 0 absent, -1 corrupt (logged and counted; the pipeline
 * untouched: the loader moves what it read into p only when all of it
 * was valid and the CRC right). */
static int
restore_one(struct pipeline *p, const char *path)
{
	struct mapped	 m;
	struct crc_job	 job;
	const void	*body;
	size_t		 blen;
	char		 why[256];
	int		 r;

	if ((r = read_file(path, &m, why, sizeof(why))) == 0)
		return 0;
	if (r == 1 && (r = frame_head(m.p, m.n, &body, &blen, why, sizeof(why))) == 0) {
		crc_start(&job, m.p, m.n);
		daemon_lock();
		r = pipeline_snapshot_load_verified(p, body, blen, crc_wait, &job,
		    why, sizeof(why));
		daemon_unlock();
		/* refused before its CRC was known (and the thread still to be
		 * joined before the unmap): a wrong CRC is the reason to give,
		 * the bytes are not the ones written (for a refusal by settings
		 * too: only right bytes make that refusal fatal) */
		if (r != 0 && crc_wait(&job, why, sizeof(why)) == -1)
			r = -1;
	}
	unmap(&m);
	if (r == 0)
		return 1;
	/* whole, but of other settings: the .prev was made under them too,
	 * and starting empty would drop the state silently */
	if (r == PIPELINE_LOAD_CONFIG)
		fatalx_config(NULL, 0, "checkpoint %s refused: %s. Set the setting "
		    "back to the value the checkpoint was made under, or move %s "
		    "and its .prev out of the way and start under a new group.id "
		    "(or the group's offsets reset to the input's start) to "
		    "rebuild the state from the input", path, why, path);
	log_warnx("checkpoint %s refused: %s", path, why);
	METRICS_ADD(checkpoint_corrupt, 1);
	return -1;
}

/* Loads the newest valid checkpoint of topic into the fresh pipeline p
 * (.ckpt, then .ckpt.prev). Returns 1 when one was loaded, 0 when there
 * is none that is valid (p is left fresh). */
int
checkpoint_restore(struct pipeline *p, const char *state_dir, const char *topic)
{
	char			dir[PATH_MAX], name[NAME_MAX + 1], prev[NAME_MAX + 1];
	char			path[PATH_MAX];
	const char		*try[2] = { name, prev };
	struct pipeline_stats	st;
	double			t0 = now_s();

	if (ckpt_names(state_dir, topic, dir, sizeof(dir), name, sizeof(name),
	    prev, sizeof(prev)) == -1)
		return 0;
	for (int i = 0; i < 2; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, try[i]) >=
		    sizeof(path) || restore_one(p, path) != 1)
			continue;
		daemon_lock();
		pipeline_stats(p, &st);
		daemon_unlock();
		METRICS_SET(checkpoint_restore_us, (uint64_t)((now_s() - t0) * 1e6));
		log_info("state restored from %s (%llu employees, epoch %ld)",
		    i == 0 ? "the checkpoint" : "the previous checkpoint",
		    (unsigned long long)st.employees, pipeline_epoch(p));
		return 1;
	}
	return 0;
}

/* --dump-checkpoint: the file's contents as JSON on out. 0, or -1 with
 * errbuf. */
int
checkpoint_dump(const char *path, FILE *out, char *errbuf, size_t errlen)
{
	struct pipeline_config	 cfg;
	struct pipeline		*p = NULL;
	struct mapped		 m = { NULL, 0, 0 };
	const void		*body;
	size_t			 blen;
	char			*js = NULL;
	int			 rc = -1;

	errbuf[0] = '\0';
	if (read_frame(path, &m, &body, &blen, errbuf, errlen) != 1) {
		if (errbuf[0] == '\0')
			snprintf(errbuf, errlen, "no such file");
		goto out;
	}
	pipeline_config_defaults(&cfg);
	/* the file's own settings: a dump reads any checkpoint */
	if (pipeline_image_epoch_hours(body, blen) > 0)
		cfg.epoch_hours = pipeline_image_epoch_hours(body, blen);
	if ((p = pipeline_new(&cfg, errbuf, errlen)) == NULL ||
	    pipeline_snapshot_load(p, body, blen, errbuf, errlen) == -1)
		goto out;
	if ((js = pipeline_snapshot_json(p)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	fputs(js, out);
	rc = 0;
out:
	free(js);
	pipeline_free(p);
	unmap(&m);
	return rc;
}
