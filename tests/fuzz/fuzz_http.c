/*
 * fuzz_http.c: libFuzzer target for the HTTP request path, daemon/http.c
 * as the daemon runs it: the real libmicrohttpd server (http_start(), its
 * thread pool, the watchdog) over a pipeline that knows one employee, with
 * a bearer token so that authorisation runs too. Each input is written
 * raw, as a client would send it, into one end of a socketpair whose other
 * end is handed to the server (http_add_connection()); then the writing
 * side is shut down and the answer read until the server closes. One
 * input may hold several pipelined requests. What must hold: no crash, no
 * leak, no hang (the server closes every connection within the deadline),
 * and whatever comes back is an HTTP response.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../../daemon/daemon.h"
#include "fuzz_employee.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ANSWER_WAIT_MS	8000	/* the server's deadline is 2 s */

static struct pipeline	*p;
static struct http	*h;

/* A token file the server accepts (0600), in a scratch directory. */
static void
write_token(char *path, size_t len)
{
	static char	dir[] = "/tmp/fuzz_http.XXXXXX";
	FILE		*f;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, len, "%s/token", dir);
	umask(077);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs("fuzz-token\n", f);
	fclose(f);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static struct config	cfg;
	char			err[256];

	(void)argc;
	(void)argv;
	log_init(LOG_CRIT, 0);
	config_defaults(&cfg);
	p = fuzz_pipeline_with_employee(&cfg.pipeline);
	/* an ephemeral loopback port nobody connects to: inputs come in
	 * through http_add_connection() */
	snprintf(cfg.http_listen, sizeof(cfg.http_listen), "127.0.0.1:0");
	write_token(cfg.http_token_file, sizeof(cfg.http_token_file));
	cfg.http_request_timeout_s = 2;
	cfg.http_max_per_address = 4096;	/* inputs are not clients */
	cfg.http_max_connections = 4096;
	if ((h = http_start(&cfg, p, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_http: %s\n", err);
		abort();
	}
	return 0;
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what the server answers until it closes; aborts on a hang. Returns
 * the first bytes of the answer in head (NUL-terminated). */
static size_t
read_answer(int fd, char *head, size_t headlen)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	char		buf[16384];
	int64_t		end = mono_ms() + ANSWER_WAIT_MS;
	size_t		total = 0, k;
	ssize_t		n;

	head[0] = '\0';
	for (;;) {
		int left = (int)(end - mono_ms());

		if (left <= 0)
			abort();	/* the server kept the connection */
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if ((n = read(fd, buf, sizeof(buf))) == 0)
			return total;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return total;	/* reset: closed too */
		}
		if (total < headlen - 1) {
			k = (size_t)n < headlen - 1 - total ? (size_t)n :
			    headlen - 1 - total;
			memcpy(head + total, buf, k);
			head[total + k] = '\0';
		}
		total += (size_t)n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	head[16];
	static int verbose = -1;
	size_t	off = 0, got;
	ssize_t	n;
	int	sv[2];

	if (h == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		abort();
	if (http_add_connection(h, sv[0]) == -1) {
		close(sv[1]);
		return 0;
	}
	while (off < size) {
		n = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;		/* the server closed early: fine */
		off += (size_t)n;
	}
	(void)shutdown(sv[1], SHUT_WR);
	got = read_answer(sv[1], head, sizeof(head));
	close(sv[1]);
	if (verbose == -1)
		verbose = getenv("FUZZ_HTTP_VERBOSE") != NULL;
	if (verbose)	/* replaying by hand: what came back */
		fprintf(stderr, "fuzz_http: %zu bytes in, %zu out: %.12s\n",
		    size, got, head);
	/* anything the server says is an HTTP response */
	if (got > 0 && strncmp(head, "HTTP/1.", got < 7 ? got : 7) != 0)
		abort();
	return 0;
}
