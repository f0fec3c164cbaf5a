/*
 * test_checkpoint.c: checkpoint files (daemon/checkpoint.c): the frame
 * refuses every truncation and every single-byte corruption, and a file
 * of another format version with a reason that names it; the safe
 * writer makes 0600 files, follows no symlink and leaves no temporary;
 * state directories others may write, or that are symlinks, are refused;
 * a corrupt, truncated or empty newest file falls back to the previous
 * generation, counted; after an erasure's checkpoint no older file
 * remains.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../daemon/daemon.h"
#include "../../state/serial.h"
#include "check.h"

static int
discard(void *arg, const struct output *o)
{
	(void)arg;
	(void)o;
	return 0;
}

static void
feed(struct pipeline *p, long offset, const char *type, const char *sub,
    const char *data)
{
	struct message m;
	char buf[1024];

	snprintf(buf, sizeof(buf), "{\"specversion\":\"1.0\",\"id\":\"%ld\","
	    "\"source\":\"t\",\"type\":\"%s\",\"subject\":\"%s\","
	    "\"time\":\"2024-0%ld-01T00:00:00Z\",\"data\":%s}", offset, type, sub,
	    1 + offset % 9, data);
	memset(&m, 0, sizeof(m));
	m.value = buf;
	m.len = strlen(buf);
	m.topic = "hr.events";
	m.partition = 2;
	m.offset = offset;
	(void)pipeline_run_all(p, &m, discard, NULL);
}

static struct pipeline *
fresh(void)
{
	struct pipeline_config cfg;
	char err[256];

	pipeline_config_defaults(&cfg);
	cfg.dedup_capacity = 256;
	return pipeline_new(&cfg, err, sizeof(err));
}

static void
test_frame(void)
{
	struct wbuf	 f;
	const void	*body;
	size_t		 len, bad = 0, tries = 0;
	char		 err[256], text[300];
	uint8_t		*c;

	for (int i = 0; i < (int)sizeof(text); i++)
		text[i] = (char)(i * 7);
	wbuf_init(&f);
	checkpoint_frame(text, sizeof(text), &f);
	CHECK(!f.failed && f.len == sizeof(text) + 24);
	CHECK(checkpoint_unframe(f.p, f.len, &body, &len, err, sizeof(err)) == 0);
	CHECK(len == sizeof(text) && memcmp(body, text, len) == 0);
	for (size_t n = 0; n < f.len; n++)
		bad += checkpoint_unframe(f.p, n, &body, &len, err, sizeof(err)) == -1;
	CHECK(bad == f.len);
	c = malloc(f.len);
	bad = 0;
	for (size_t i = 0; c != NULL && i < f.len; i++) {
		static const uint8_t flips[] = { 0x01, 0x80, 0xff, 0x5a };

		for (size_t k = 0; k < sizeof(flips); k++) {
			memcpy(c, f.p, f.len);
			c[i] ^= flips[k];
			tries++;
			bad += checkpoint_unframe(c, f.len, &body, &len, err,
			    sizeof(err)) == -1;
		}
	}
	CHECK(tries > 0 && bad == tries);
	/* an older format, its CRC right: refused, and the reason says so */
	if (c != NULL) {
		uint32_t crc;

		memcpy(c, f.p, f.len);
		c[8] = 3;
		crc = serial_crc32c(0, c, f.len - 4);
		for (int i = 0; i < 4; i++)
			c[f.len - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
		CHECK(checkpoint_unframe(c, f.len, &body, &len, err, sizeof(err)) == -1);
		CHECK(strstr(err, "format version 3") != NULL);
	}
	free(c);
	wbuf_free(&f);
}

static int
mode_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void
test_writer(const char *dir)
{
	char	path[512], sub[512], target[512], tmp[512], err[256], buf[16];
	int	fd;
	ssize_t	n;

	CHECK(state_dir_check(dir, err, sizeof(err)) == 0);
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK(state_write_file(dir, "f", NULL, "hello", 5, err, sizeof(err)) == 0);
	CHECK(mode_of(path) == 0600);
	/* a symlink planted at the temporary name is not followed */
	snprintf(target, sizeof(target), "%s/target", dir);
	CHECK((fd = open(target, O_WRONLY | O_CREAT, 0600)) != -1);
	if (fd != -1)
		close(fd);
	snprintf(tmp, sizeof(tmp), "%s/.f.%ld.tmp", dir, (long)getpid());
	CHECK(symlink(target, tmp) == 0);
	CHECK(state_write_file(dir, "f", "f.prev", "world", 5, err, sizeof(err)) == 0);
	CHECK((fd = open(target, O_RDONLY)) != -1);
	if (fd != -1) {
		CHECK(read(fd, buf, sizeof(buf)) == 0);	/* untouched */
		close(fd);
	}
	CHECK(access(tmp, F_OK) == -1);
	CHECK((fd = open(path, O_RDONLY)) != -1);
	if (fd != -1) {
		n = read(fd, buf, sizeof(buf));
		CHECK(n == 5 && memcmp(buf, "world", 5) == 0);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/f.prev", dir);
	CHECK(mode_of(path) == 0600);
	/* directories: others may write -> refused; a symlink -> refused;
	 * a missing one is made 0700 */
	snprintf(sub, sizeof(sub), "%s/open", dir);
	CHECK(mkdir(sub, 0700) == 0 && chmod(sub, 0777) == 0);
	CHECK(state_dir_check(sub, err, sizeof(err)) == -1 && strstr(err, "writable"));
	CHECK(chmod(sub, 0720) == 0);
	CHECK(state_dir_check(sub, err, sizeof(err)) == -1);
	snprintf(path, sizeof(path), "%s/link", dir);
	CHECK(symlink(sub, path) == 0);
	CHECK(state_dir_check(path, err, sizeof(err)) == -1);
	snprintf(path, sizeof(path), "%s/new", dir);
	CHECK(state_dir_check(path, err, sizeof(err)) == 0 && mode_of(path) == 0700);
}

static void
corrupt(const char *path, long at)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	CHECK(fd != -1);
	if (fd == -1)
		return;
	CHECK(pread(fd, &b, 1, at) == 1);
	b ^= 0x10;
	CHECK(pwrite(fd, &b, 1, at) == 1);
	close(fd);
}

/* Restores dir's checkpoint into a fresh pipeline: the result of
 * checkpoint_restore(), the employees and partition 2's next offset. */
static int
restore(const char *dir, uint64_t *employees, int64_t *next)
{
	struct pipeline		*q = fresh();
	struct pipeline_stats	 st;
	struct shard_info	 info;
	int			 rc;

	*employees = 0;
	*next = -1;
	if (q == NULL)
		return -2;
	rc = checkpoint_restore(q, dir, "hr.events");
	pipeline_stats(q, &st);
	*employees = st.employees;
	if (pipeline_shard_info(q, 2, &info) == 0)
		*next = info.next_offset;
	pipeline_free(q);
	return rc;
}

static void
test_generations(const char *dir)
{
	struct pipeline		*p = fresh();
	char			 err[256], cur[512], prev[512];
	int64_t			 next;
	uint64_t		 n, corrupt0 = metrics.checkpoint_corrupt;

	CHECK(p != NULL);
	if (p == NULL)
		return;
	snprintf(cur, sizeof(cur), "%s/checkpoints/hr.events.ckpt", dir);
	snprintf(prev, sizeof(prev), "%s/checkpoints/hr.events.ckpt.prev", dir);
	CHECK(restore(dir, &n, &next) == 0 && n == 0);	/* none */
	feed(p, 10, "hr.employee.hired", "A", "{\"department\":\"D\",\"job_level\":1,"
	    "\"salary\":1000}");
	CHECK(checkpoint_save(p, dir, "hr.events", 0, err, sizeof(err)) == 0);
	feed(p, 11, "hr.employee.hired", "B", "{\"department\":\"D\",\"job_level\":1,"
	    "\"salary\":1000}");
	CHECK(checkpoint_save(p, dir, "hr.events", 0, err, sizeof(err)) == 0);
	CHECK(mode_of(cur) == 0600 && mode_of(prev) == 0600);
	CHECK(mode_of(dir) >= 0 && (mode_of(dir) & 077) == 0);

	CHECK(restore(dir, &n, &next) == 1 && next == 12 && n == 2);
	/* a body that loads whole but a CRC that is wrong (it is checked
	 * alongside the load): refused all the same, the previous one used */
	{
		struct stat st;

		CHECK(stat(cur, &st) == 0);
		corrupt(cur, (long)st.st_size - 1);
		CHECK(restore(dir, &n, &next) == 1 && next == 11 && n == 1);
		CHECK(metrics.checkpoint_corrupt == corrupt0 + 1);
		corrupt(cur, (long)st.st_size - 1);	/* the flip undone */
		CHECK(restore(dir, &n, &next) == 1 && next == 12 && n == 2);
		corrupt0++;
	}
	/* the newest corrupt: refused, counted, the previous one used */
	corrupt(cur, 40);
	CHECK(restore(dir, &n, &next) == 1 && next == 11 && n == 1);
	CHECK(metrics.checkpoint_corrupt == corrupt0 + 1);
	/* truncated, then empty (the file is mapped, not read): the same */
	CHECK(truncate(cur, 100) == 0);
	CHECK(restore(dir, &n, &next) == 1 && next == 11 && n == 1);
	CHECK(truncate(cur, 0) == 0);
	CHECK(restore(dir, &n, &next) == 1 && next == 11 && n == 1);
	CHECK(metrics.checkpoint_corrupt == corrupt0 + 3);
	/* both corrupt: nothing loaded, the pipeline left fresh */
	corrupt(prev, 30);
	CHECK(restore(dir, &n, &next) == 0 && n == 0 && next == -1);
	CHECK(metrics.checkpoint_corrupt == corrupt0 + 5);
	/* an erasure's checkpoint leaves no older file behind */
	feed(p, 12, "hr.employee.erased", "A", "{}");
	CHECK(checkpoint_save(p, dir, "hr.events", 1, err, sizeof(err)) == 0);
	CHECK(access(prev, F_OK) == -1 && access(cur, F_OK) == 0);
	{
		/* a temporary left by a crashed process goes at the next write */
		char stale[600];
		int fd;

		snprintf(stale, sizeof(stale),
		    "%s/checkpoints/.hr.events.ckpt.99999.tmp", dir);
		CHECK((fd = open(stale, O_WRONLY | O_CREAT, 0600)) != -1);
		if (fd != -1)
			close(fd);
		CHECK(checkpoint_save(p, dir, "hr.events", 0, err, sizeof(err)) == 0);
		CHECK(access(stale, F_OK) == -1);
	}
	{
		char *js = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&js, &len);

		CHECK(f != NULL && checkpoint_dump(cur, f, err, sizeof(err)) == 0);
		if (f != NULL)
			fclose(f);
		CHECK(js != NULL && strstr(js, "\"employee_id\":\"B\"") != NULL &&
		    strstr(js, "\"employee_id\":\"A\"") == NULL &&
		    strstr(js, "\"erased\":1") != NULL);
		free(js);
	}
	pipeline_free(p);
}

int
main(void)
{
	char dir[] = "/tmp/test_checkpoint.XXXXXX";
	char cmd[64];

	pipeline_global_init();
	log_init(7, 0);
	test_frame();
	CHECK(mkdtemp(dir) != NULL);
	test_writer(dir);
	test_generations(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_exit("test_checkpoint");
}
