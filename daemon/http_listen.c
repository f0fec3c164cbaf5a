/*
 * http_listen.c: what the HTTP endpoint needs before and around
 * libmicrohttpd, with no libmicrohttpd inside: the listening socket (and
 * whether it is loopback only) and the bearer token (read from its file,
 * compared in constant time).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

static int
is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in	*in4;
	const struct sockaddr_in6	*in6;

	switch (sa->sa_family) {
	case AF_UNIX:
		return 1;
	case AF_INET:
		in4 = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
	case AF_INET6:
		in6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
		    in6->sin6_addr.s6_addr[12] == 127;
	default:
		return 0;
	}
}

int
http_fd_is_loopback(int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return 0;
	return is_loopback((const struct sockaddr *)&ss);
}

static int
listen_on(const struct sockaddr *sa, socklen_t salen, char *errbuf,
    size_t errlen)
{
	int	fd, on = 1, off = 0;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		snprintf(errbuf, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* "[::]" means both families; a specific v6 address means itself. */
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
		    IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr) ? &off : &on, sizeof(on));
	if (bind(fd, sa, salen) == -1 || listen(fd, 64) == -1) {
		snprintf(errbuf, errlen, "bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens the socket for cfg->http_listen. *loopback tells whether it is
 * bound to loopback only. Returns the fd or -1 with errbuf. */
int
http_open_listen(const char *listen_addr, int *loopback, char *errbuf,
    size_t errlen)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256], port[16], why[128] = "";
	int		 fd = -1, rc, portnum;

	/* The same parser that checked the configuration. */
	if (config_parse_listen(listen_addr, host, sizeof(host), &portnum) == -1) {
		snprintf(errbuf, errlen, "listen \"%s\": expected ADDRESS:PORT "
		    "(IPv4, [IPv6] or localhost)", listen_addr);
		return -1;
	}
	snprintf(port, sizeof(port), "%d", portnum);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(errbuf, errlen, "listen \"%s\": %s", listen_addr,
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = listen_on(ai->ai_addr, ai->ai_addrlen, why, sizeof(why));
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(errbuf, errlen, "listen \"%s\": %s", listen_addr,
		    why[0] != '\0' ? why : "no usable address");
		return -1;
	}
	*loopback = http_fd_is_loopback(fd);
	return fd;
}

/* Reads the bearer token: one line, surrounding whitespace trimmed. The
 * file must be a regular file that others can neither read nor write. */
int
http_read_token(const char *path, char *token, size_t *token_len, char *errbuf,
    size_t errlen)
{
	struct stat	 st;
	char		 buf[HTTP_TOKEN_MAX + 2];
	ssize_t		 n;
	size_t		 len, i, start;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(errbuf, errlen, "token file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "token file %s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & 077) {		/* as config_validate() demands */
		snprintf(errbuf, errlen,
		    "token file %s: group or others may access it (chmod 600)",
		    path);
		goto fail;
	}
	len = 0;
	while (len < sizeof(buf) - 1 &&
	    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(errbuf, errlen, "token file %s: %s", path,
			    strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	close(fd);
	fd = -1;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	for (start = 0; start < len && isspace((unsigned char)buf[start]); start++)
		;
	len -= start;
	if (len == 0 || len > HTTP_TOKEN_MAX) {
		snprintf(errbuf, errlen, "token file %s: %s", path,
		    len == 0 ? "empty" : "token longer than 1024 bytes");
		goto fail;
	}
	for (i = 0; i < len; i++) {
		if (!isgraph((unsigned char)buf[start + i])) {
			snprintf(errbuf, errlen,
			    "token file %s: token must be one printable word", path);
			goto fail;
		}
	}
	memcpy(token, buf + start, len);
	token[len] = '\0';
	*token_len = len;
	explicit_bzero(buf, sizeof(buf));
	return 0;
fail:
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return -1;
}

/* Constant time in the content of both strings; the loop runs over the
 * presented token, so only its own length shows. */
int
http_token_equal(const char *want, size_t wantlen, const char *got, size_t gotlen)
{
	unsigned char	diff = (unsigned char)(wantlen != gotlen);
	size_t		i;

	for (i = 0; i < gotlen; i++)
		diff |= (unsigned char)((i < wantlen ? want[i] : 0) ^ got[i]);
	return diff == 0;
}
