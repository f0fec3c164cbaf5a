/*
 * http.c: the HTTP endpoint (libmicrohttpd): metrics, health, and a small
 * read-mostly JSON API over the pipeline's state.
 *
 *   GET  /metrics                    Prometheus text format 0.0.4
 *   GET  /healthz                    200 while the process serves
 *   GET  /readyz                     200 when ready (ready.c), else 503
 *                                    with the reason
 *   GET  /v1/employees/{id}          an employee's score and state
 *   GET  /v1/model                   the latest model estimates
 *   POST /v1/employees/{id}/whatif   predicted risk after some actions
 *   GET  /                           the page for HR analysts (page.c)
 *   GET  /employees                  the page's employee view
 *   GET  /page.css, /page.js         the page's stylesheet and script
 *
 * A small pool of MHD threads (HTTP_THREADS) serves the connections; each
 * pipeline call is made under daemon_lock(), so the work loop and HTTP
 * never touch the pipeline at once. More than one thread so that /healthz
 * and /readyz, which take no lock, are answered while another request
 * waits for the lock.
 *
 * Slow clients. MHD's connection timeout is an idle timeout: a client
 * that sends a header line every few seconds is never idle and would
 * hold its connection for ever; enough of them fill every slot and blind
 * monitoring. So each connection is also timed (deadline.c): from the
 * moment it is accepted (or its previous request was answered) the next
 * request must be read and answered within request_timeout_seconds, or
 * its socket is shut down and MHD closes it. Its entry is made in
 * NOTIFY_CONNECTION STARTED and removed in CLOSED, which MHD calls before
 * it closes the fd. The number of connections is bounded in all
 * (max_connections) and per client address (max_connections_per_address).
 *
 * Security, because the API hands out personal data:
 *   - loopback by default; a non-loopback address needs a bearer token
 *     (http_token_file) or an explicit http_allow_remote;
 *   - with a token, every path but /healthz and /readyz needs
 *     "Authorization: Bearer <token>", compared in constant time;
 *   - the token file must be private to the daemon's user (mode 0600);
 *   - connections (in all and per address), the time a request may take
 *     and request bodies are bounded; conflicting Content-Length headers
 *     (or one beside Transfer-Encoding) are refused, not guessed at;
 *   - logs carry the route's name and status, never the path (it may hold
 *     an employee id) nor a body.
 *
 * The path is split before it is percent-decoded (MHD's own unescaping is
 * turned off), so an id may contain an encoded '/' without being misrouted.
 *
 * The listening socket is made by http_listen.c (or passed by systemd) and handed to
 * MHD with MHD_OPTION_LISTEN_SOCKET. MHD_USE_ITC makes MHD wake its thread
 * through a pipe instead of shutdown(2) on the socket, which would break a
 * socket that systemd keeps for the next start.
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
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon.h"

#define HTTP_BODY_MAX		MESSAGE_MAX_BYTES	/* what-if bodies */
#define HTTP_THREADS		2u	/* MHD worker threads */
/* Nothing from elsewhere, no inline script or style: page.c keeps to it. */
#define HTTP_CSP	"default-src 'none'; script-src 'self'; style-src 'self'; " \
			"img-src data:; connect-src 'self'; form-action 'self'; " \
			"base-uri 'none'; frame-ancestors 'none'"

struct http {
	struct MHD_Daemon	*mhd;
	struct pipeline		*pipeline;
	char			 token[HTTP_TOKEN_MAX + 1];
	size_t			 token_len;		/* 0: no token required */
	struct deadlines	*deadlines;		/* per connection */
};

/* Per request, MHD's con_cls: the body being received. */
struct request {
	char	*body;
	size_t	 len;
	int	 answered;	/* refused after the headers: drop the body */
};

static int
authorized(const struct http *h, struct MHD_Connection *conn)
{
	const char	*v;

	if (h->token_len == 0)
		return 1;
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (v == NULL || strncasecmp(v, "Bearer ", 7) != 0)
		return 0;
	for (v += 7; *v == ' '; v++)
		;
	return http_token_equal(h->token, h->token_len, v, strlen(v));
}

/* ---- responses ----------------------------------------------------- */

static enum MHD_Result
respond(struct MHD_Connection *conn, unsigned int status, const char *type,
    char *body, size_t len, int must_free)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_buffer(len, body,
	    must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (must_free)
			free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(r, "Content-Security-Policy", HTTP_CSP);
	(void)MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	if (status == MHD_HTTP_UNAUTHORIZED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"retentiond\"");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
respond_json(struct MHD_Connection *conn, unsigned int status, char *json)
{
	if (json == NULL)
		return MHD_NO;
	return respond(conn, status, "application/json", json, strlen(json), 1);
}

/* {"error": "msg"}, msg escaped as a JSON string. */
static enum MHD_Result
respond_error(struct MHD_Connection *conn, unsigned int status,
    const char *msg)
{
	char		 buf[512];
	size_t		 n = 0;
	const char	*p;

	n += (size_t)snprintf(buf, sizeof(buf), "{\"error\": \"");
	for (p = msg; *p != '\0' && n < sizeof(buf) - 16; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c >= 0x80) {	/* may echo a non-UTF-8 body */
			buf[n++] = '?';
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "\\u%04x", c);
		} else
			buf[n++] = (char)c;
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\"}\n");
	return respond_json(conn, status, strdup(buf));
}

/* 405; allow is what the path accepts. */
static enum MHD_Result
respond_method(struct MHD_Connection *conn, const char *allow)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	static char		 body[] = "{\"error\": \"method not allowed\"}\n";

	r = MHD_create_response_from_buffer(sizeof(body) - 1, body,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "application/json");
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
respond_text(struct MHD_Connection *conn, unsigned int status, const char *s)
{
	return respond(conn, status, "text/plain; charset=utf-8",
	    (char *)(uintptr_t)s, strlen(s), 0);
}

/* ---- routes -------------------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into out (outlen bytes with the NUL). Returns
 * the decoded length, or -1 when malformed or too long. */
static long
percent_decode(const char *s, size_t n, char *out, size_t outlen)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= outlen)
			return -1;
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n)
			return -1;
		if ((hi = hexval((unsigned char)s[i + 1])) < 0 ||
		    (lo = hexval((unsigned char)s[i + 2])) < 0)
			return -1;
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	return (long)o;
}

static int
is_get(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

static enum MHD_Result
route_metrics(struct http *h, struct MHD_Connection *conn)
{
	char	*text;

	daemon_lock();
	text = metrics_render(h->pipeline);
	daemon_unlock();
	if (text == NULL)
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
	return respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
	    text, strlen(text), 1);
}

static enum MHD_Result
route_model(struct http *h, struct MHD_Connection *conn)
{
	char	*json;

	daemon_lock();
	json = pipeline_model_json(h->pipeline);
	daemon_unlock();
	if (json == NULL)
		return respond_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "no model estimates yet");
	return respond_json(conn, MHD_HTTP_OK, json);
}

static enum MHD_Result
route_employee(struct http *h, struct MHD_Connection *conn, const char *id)
{
	char	*json;

	daemon_lock();
	json = pipeline_employee_json(h->pipeline, id);
	daemon_unlock();
	if (json == NULL)
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "unknown employee");
	return respond_json(conn, MHD_HTTP_OK, json);
}

static enum MHD_Result
route_whatif(struct http *h, struct MHD_Connection *conn, const char *id,
    const struct request *req)
{
	char	*json, *known, errbuf[ERRBUF_MAX];

	if (req->len == 0)
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, "empty body");
	errbuf[0] = '\0';
	daemon_lock();
	/* Unknown employee is 404 whatever the body says. */
	if ((known = pipeline_employee_json(h->pipeline, id)) == NULL) {
		daemon_unlock();
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "unknown employee");
	}
	free(known);
	json = pipeline_whatif_json(h->pipeline, id, req->body, req->len,
	    errbuf, sizeof(errbuf));
	daemon_unlock();
	if (json == NULL && errbuf[0] == '\0')	/* provisional or exited */
		return respond_error(conn, MHD_HTTP_NOT_FOUND,
		    "no active employee with that id");
	if (json == NULL)
		return respond_error(conn, MHD_HTTP_BAD_REQUEST, errbuf);
	return respond_json(conn, MHD_HTTP_OK, json);
}

/* / and /employees: HTML rendered under the lock. */
static enum MHD_Result
route_page(struct http *h, struct MHD_Connection *conn, int employees)
{
	char	*html;

	daemon_lock();
	html = employees ? page_render_employees(h->pipeline, h->token_len > 0) :
	    page_render(h->pipeline);
	daemon_unlock();
	if (html == NULL)
		return respond_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory");
	return respond(conn, MHD_HTTP_OK, "text/html; charset=utf-8", html,
	    strlen(html), 1);
}

/* /v1/employees/{id}[/whatif] */
static enum MHD_Result
route_employees(struct http *h, struct MHD_Connection *conn, const char *rest,
    const char *method, const struct request *req, const char **route)
{
	char		 id[EMPLOYEE_ID_MAX + 1];
	const char	*slash;
	size_t		 seglen;
	long		 n;
	int		 whatif = 0;

	if ((slash = strchr(rest, '/')) != NULL) {
		if (strcmp(slash, "/whatif") != 0) {
			*route = "notfound";
			return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
		}
		whatif = 1;
		seglen = (size_t)(slash - rest);
	} else
		seglen = strlen(rest);
	*route = whatif ? "whatif" : "employee";
	if (seglen == 0)
		return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (whatif && strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return respond_method(conn, "POST");
	if (!whatif && !is_get(method))
		return respond_method(conn, "GET, HEAD");
	n = percent_decode(rest, seglen, id, sizeof(id));
	if (n <= 0 || !decode_valid_employee_id(id, (size_t)n) ||
	    strlen(id) != (size_t)n)
		return respond_error(conn, MHD_HTTP_BAD_REQUEST,
		    "invalid employee id");
	return whatif ? route_whatif(h, conn, id, req) :
	    route_employee(h, conn, id);
}

static enum MHD_Result
dispatch(struct http *h, struct MHD_Connection *conn, const char *url,
    const char *method, const struct request *req, const char **route)
{
	static const char	prefix[] = "/v1/employees/";
	const char		*asset, *type;

	if (strcmp(url, "/healthz") == 0) {
		*route = "healthz";
		if (!is_get(method))
			return respond_method(conn, "GET, HEAD");
		return respond_text(conn, MHD_HTTP_OK, "ok\n");
	}
	if (strcmp(url, "/readyz") == 0) {
		const char	*why;	/* the body, static */
		int		 ok;

		*route = "readyz";
		if (!is_get(method))
			return respond_method(conn, "GET, HEAD");
		ok = ready_get(&why);
		return respond_text(conn, ok ? MHD_HTTP_OK :
		    MHD_HTTP_SERVICE_UNAVAILABLE, why);
	}
	/* The page's stylesheet and script are code, not data: no token. */
	if ((asset = page_asset(url, &type)) != NULL) {
		*route = "asset";
		if (!is_get(method))
			return respond_method(conn, "GET, HEAD");
		return respond(conn, MHD_HTTP_OK, type, (char *)(uintptr_t)asset,
		    strlen(asset), 0);
	}
	if (!authorized(h, conn)) {
		*route = "unauthorized";
		return respond_error(conn, MHD_HTTP_UNAUTHORIZED,
		    "bearer token required");
	}
	if (strcmp(url, "/metrics") == 0) {
		*route = "metrics";
		if (!is_get(method))
			return respond_method(conn, "GET, HEAD");
		return route_metrics(h, conn);
	}
	if (strcmp(url, "/v1/model") == 0) {
		*route = "model";
		if (!is_get(method))
			return respond_method(conn, "GET, HEAD");
		return route_model(h, conn);
	}
	if (strcmp(url, "/") == 0 || strcmp(url, "/employees") == 0) {
		*route = url[1] == '\0' ? "page" : "page_employees";
		if (!is_get(method))
			return respond_method(conn, "GET, HEAD");
		return route_page(h, conn, url[1] != '\0');
	}
	if (strcmp(url, "/v1/openapi.json") == 0) {	/* built in: gen/openapi.c */
		*route = "openapi";
		if (!is_get(method))
			return respond_method(conn, "GET, HEAD");
		return respond(conn, MHD_HTTP_OK, "application/json",
		    (char *)(uintptr_t)openapi_json, openapi_json_len, 0);
	}
	if (strncmp(url, prefix, sizeof(prefix) - 1) == 0)
		return route_employees(h, conn, url + sizeof(prefix) - 1, method,
		    req, route);
	*route = "notfound";
	return respond_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
}

/* ---- request checks ------------------------------------------------ */

/* What the framing headers say; MHD itself reads only the first
 * Content-Length and lets Transfer-Encoding win, where a proxy in front
 * may read another: two readings of one request are refused. */
struct framing {
	const char	*length;	/* the first Content-Length */
	int		 lengths;	/* how many, and */
	int		 differ;	/* whether their values differ */
	int		 chunked;	/* Transfer-Encoding present */
};

static enum MHD_Result
scan_framing(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct framing	*f = cls;

	if (value == NULL)
		value = "";
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->lengths++ == 0)
			f->length = value;
		else if (strcmp(f->length, value) != 0)
			f->differ = 1;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->chunked = 1;
	return MHD_YES;
}

/* Checks the headers of a request before its body is read. Returns 0, or
 * the status to refuse it with and *why. */
static unsigned int
check_framing(struct MHD_Connection *conn, const char **why)
{
	struct framing	 f;
	const char	*p;

	memset(&f, 0, sizeof(f));
	(void)MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_framing, &f);
	if (f.differ) {
		*why = "conflicting Content-Length headers";
		return MHD_HTTP_BAD_REQUEST;
	}
	if (f.lengths > 0 && f.chunked) {
		*why = "both Content-Length and Transfer-Encoding";
		return MHD_HTTP_BAD_REQUEST;
	}
	if (f.length == NULL)
		return 0;
	for (p = f.length; *p >= '0' && *p <= '9'; p++)
		;
	if (p == f.length || *p != '\0') {
		*why = "invalid Content-Length";
		return MHD_HTTP_BAD_REQUEST;
	}
	if (p - f.length > 12 || strtoull(f.length, NULL, 10) > HTTP_BODY_MAX) {
		*why = "body larger than 64 KiB";
		return MHD_HTTP_CONTENT_TOO_LARGE;
	}
	return 0;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct http	*h = cls;
	struct request	*req = *con_cls;
	const char	*route = "?", *why = NULL;
	enum MHD_Result	 ret;
	unsigned int	 status;
	size_t		 n;

	if (req == NULL) {		/* headers are in; the body follows */
		if ((req = calloc(1, sizeof(*req))) == NULL)
			return MHD_NO;
		*con_cls = req;
		/* Refused before the body is read (MHD then closes the
		 * connection rather than read what follows). */
		if ((status = check_framing(conn, &why)) != 0) {
			req->answered = 1;
			log_debug("http: %s refused: %s", method, why);
			return respond_error(conn, status, why);
		}
		return MHD_YES;
	}
	if (req->answered) {		/* answered already: drop the rest */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		n = *upload_data_size;
		if (req->len + n > HTTP_BODY_MAX) {
			/* chunked and too long: MHD cannot answer in the
			 * middle of a body, so close the connection */
			log_debug("http: %s chunked body too large", method);
			return MHD_NO;
		}
		if (req->body == NULL &&
		    (req->body = malloc(HTTP_BODY_MAX + 1)) == NULL)
			return MHD_NO;
		memcpy(req->body + req->len, upload_data, n);
		req->len += n;
		req->body[req->len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}
	ret = dispatch(h, conn, url, method, req, &route);
	log_debug("http: %s %s", method, route);
	return ret;
}

/* ---- slow clients: a deadline per connection ----------------------- */

/* MHD_OPTION_NOTIFY_CONNECTION: a connection starts its first deadline,
 * or leaves the watch before MHD closes its socket. */
static void
notify_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode code)
{
	struct http			*h = cls;
	const union MHD_ConnectionInfo	*ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		/* NULL (no memory): untimed, MHD's idle timeout holds */
		*socket_ctx = ci == NULL ? NULL :
		    deadline_add(h->deadlines, ci->connect_fd);
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_ctx != NULL) {
		deadline_remove(h->deadlines, *socket_ctx);
		*socket_ctx = NULL;
	}
}

/* A request was answered (or abandoned): the next one on the connection
 * gets a deadline of its own. */
static void
restart_deadline(struct http *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo	*ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci != NULL && ci->socket_context != NULL)
		deadline_restart(h->deadlines, ci->socket_context);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct request	*req = *con_cls;

	restart_deadline(cls, conn);
	if (req != NULL) {
		free(req->body);
		free(req);
		*con_cls = NULL;
	}
}

/* Path percent-decoding happens per segment in the routes. */
static size_t
unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
	return strlen(s);
}

/* MHD's messages, at debug level. Only the format string is logged: some
 * of MHD's arguments are request paths, which may hold employee ids. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char	buf[256];
	size_t	n;

	snprintf(buf, sizeof(buf), "%s", fmt);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	log_debug("http: libmicrohttpd: %s", buf);
}

/* ---- start / stop -------------------------------------------------- */

/* Starts MHD on the listening socket fd, with a deadline per connection.
 * Returns the daemon, or NULL. */
static struct MHD_Daemon *
start_mhd(struct http *h, const struct config *cfg, int fd)
{
	char	errbuf[ERRBUF_MAX];

	if ((h->deadlines = deadlines_new(cfg->http_request_timeout_s * 1000,
	    "http", errbuf, sizeof(errbuf))) == NULL)
		return NULL;
	/* MHD's own idle timeout stays as a backstop for an untimed
	 * connection (no memory for its entry). poll(2), level-triggered:
	 * with edge-triggered epoll MHD missed the end of a stream that
	 * came with the last bytes of an unfinished request and kept the
	 * connection until the deadline; the connections are few. */
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ITC | MHD_USE_POLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    handle, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
	    MHD_OPTION_THREAD_POOL_SIZE, HTTP_THREADS,
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)cfg->http_max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)cfg->http_max_per_address,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)cfg->http_request_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_connection, h,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
	    MHD_OPTION_END);
}

/* Starts the endpoint on cfg->http_listen, or on the socket systemd
 * passed. Returns a new handle (http_stop() it); NULL with errbuf[0] ==
 * '\0' when HTTP is disabled (listen ""), NULL with a reason otherwise.
 * pipeline is borrowed and must outlive the handle. */
struct http *
http_start(const struct config *cfg, struct pipeline *pipeline, char *errbuf,
    size_t errlen)
{
	struct http	*h;
	int		 fd, own = 0, loopback;

	if (errlen > 0)
		errbuf[0] = '\0';
	fd = notify_listen_fd();
	if (fd < 0 && cfg->http_listen[0] == '\0')
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	h->pipeline = pipeline;
	if (cfg->http_token_file[0] != '\0' &&
	    http_read_token(cfg->http_token_file, h->token, &h->token_len,
	    errbuf, errlen) == -1)
		goto fail;
	if (fd >= 0) {
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		loopback = http_fd_is_loopback(fd);
	} else {
		if ((fd = http_open_listen(cfg->http_listen, &loopback, errbuf,
		    errlen)) == -1)
			goto fail;
		own = 1;
	}
	if (!loopback && h->token_len == 0) {
		if (!cfg->http_allow_remote) {
			snprintf(errbuf, errlen, "listen %s: not a loopback "
			    "address; set token_file (or allow_remote = yes)",
			    own ? cfg->http_listen : "(socket from systemd)");
			goto fail_fd;
		}
		log_warnx("http: serving a non-loopback address without a "
		    "token (allow_remote): employee data is readable by anyone "
		    "who can connect");
	}
	if ((h->mhd = start_mhd(h, cfg, fd)) == NULL) {
		/* MHD may or may not have closed fd by now: leave it (the
		 * daemon exits on this error). */
		snprintf(errbuf, errlen, "cannot start the HTTP server");
		goto fail;
	}
	if (own)
		log_info("http: listening on %s%s", cfg->http_listen,
		    h->token_len ? " (bearer token required)" : "");
	else
		log_info("http: serving the socket passed by systemd%s",
		    h->token_len ? " (bearer token required)" : "");
	return h;
fail_fd:
	if (own)
		close(fd);
fail:
	deadlines_free(h->deadlines);
	explicit_bzero(h->token, sizeof(h->token));
	free(h);
	return NULL;
}

/* Serves fd, a connected stream socket (one end of a socketpair, say), as
 * a connection accepted from 127.0.0.1: the way in for tests/fuzz/fuzz_http.c,
 * with no TCP handshake per input. MHD owns fd from here on, and closes it
 * on failure too. Returns 0, or -1. */
int
http_add_connection(struct http *h, int fd)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return MHD_add_connection(h->mhd, fd, (const struct sockaddr *)&sin,
	    sizeof(sin)) == MHD_YES ? 0 : -1;
}

/* Stops serving (waits for the request in progress) and frees h; NULL is
 * a no-op. */
void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->mhd);	/* CLOSED for each connection */
	deadlines_free(h->deadlines);
	explicit_bzero(h->token, sizeof(h->token));
	free(h);
}
