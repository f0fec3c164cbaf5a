/*
 * deadline.c: sockets that must get their work done in time. http.c gives
 * each connection a deadline (deadline_add), moves it on when a request
 * has been answered (deadline_restart) and drops it before the socket is
 * closed (deadline_remove); a watchdog thread shuts down (shutdown(2),
 * both directions) every socket whose deadline has passed, so the owner's
 * event loop sees the stream end and closes the connection itself.
 *
 * Why not the HTTP library's timeout: libmicrohttpd's is an idle timeout,
 * and a client that trickles a header line every few seconds is never
 * idle (issue 10: 80 such clients blinded /healthz).
 *
 * Invariant: the watchdog touches an fd only while its entry is in the
 * list, and the owner removes the entry before it closes the fd, both
 * under d->mu, so a recycled fd number is never shut down. The list is
 * as long as the connection limit (hundreds); a scan every
 * DEADLINE_TICK_MS is cheap. Nothing here knows HTTP or libmicrohttpd.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon.h"

#define DEADLINE_TICK_MS	200

struct deadline {
	struct deadline	*prev, *next;
	int		 fd;
	int64_t		 due_ms;		/* CLOCK_MONOTONIC */
	int		 cut;			/* shut down already */
};

struct deadlines {
	pthread_mutex_t	 mu;			/* list, stopping */
	pthread_cond_t	 wake;
	struct deadline	*list;
	int		 timeout_ms;
	int		 stopping;
	pthread_t	 thread;
	char		 what[32];		/* for the log: "http" */
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Shuts down the sockets past their deadline until deadlines_free(). */
static void *
watchdog(void *arg)
{
	struct deadlines	*d = arg;
	struct deadline		*e;
	struct timespec		 ts;
	int64_t			 now;
	int			 cut;

	pthread_mutex_lock(&d->mu);
	while (!d->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += DEADLINE_TICK_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		(void)pthread_cond_timedwait(&d->wake, &d->mu, &ts);
		now = mono_ms();
		cut = 0;
		for (e = d->list; e != NULL; e = e->next) {
			if (e->cut || now < e->due_ms)
				continue;
			(void)shutdown(e->fd, SHUT_RDWR);
			e->cut = 1;
			cut++;
		}
		if (cut == 0)
			continue;
		pthread_mutex_unlock(&d->mu);	/* not logging under it */
		log_warn_limited("deadline", "%s: closed %d connection(s) that "
		    "took longer than %d s for a request", d->what, cut,
		    d->timeout_ms / 1000);
		pthread_mutex_lock(&d->mu);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/* Starts a watchdog for deadlines timeout_ms long; what names the owner in
 * the log. Returns a new set (deadlines_free() it), or NULL with errbuf. */
struct deadlines *
deadlines_new(int timeout_ms, const char *what, char *errbuf, size_t errlen)
{
	struct deadlines	*d;
	pthread_condattr_t	 ca;
	int			 rc;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	d->timeout_ms = timeout_ms;
	snprintf(d->what, sizeof(d->what), "%s", what);
	if (pthread_mutex_init(&d->mu, NULL) != 0)
		goto fail;
	if (pthread_condattr_init(&ca) != 0)
		goto fail_mu;
	(void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&d->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		goto fail_mu;
	if (pthread_create(&d->thread, NULL, watchdog, d) != 0)
		goto fail_cond;
	return d;
fail_cond:
	pthread_cond_destroy(&d->wake);
fail_mu:
	pthread_mutex_destroy(&d->mu);
fail:
	free(d);
	snprintf(errbuf, errlen, "cannot start the connection watchdog");
	return NULL;
}

/* Stops the watchdog and frees d with any entry left; NULL is a no-op. */
void
deadlines_free(struct deadlines *d)
{
	struct deadline	*e;

	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	d->stopping = 1;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	while ((e = d->list) != NULL) {
		d->list = e->next;
		free(e);
	}
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/* Times socket fd from now. Returns its entry (owned by d until
 * deadline_remove()), or NULL when out of memory: fd is then untimed. */
struct deadline *
deadline_add(struct deadlines *d, int fd)
{
	struct deadline	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->fd = fd;
	pthread_mutex_lock(&d->mu);
	e->due_ms = mono_ms() + d->timeout_ms;
	e->next = d->list;
	if (d->list != NULL)
		d->list->prev = e;
	d->list = e;
	pthread_mutex_unlock(&d->mu);
	return e;
}

/* Gives e a whole new timeout from now (its request was answered). */
void
deadline_restart(struct deadlines *d, struct deadline *e)
{
	pthread_mutex_lock(&d->mu);
	e->due_ms = mono_ms() + d->timeout_ms;
	pthread_mutex_unlock(&d->mu);
}

/* Forgets e and frees it; call before its fd is closed. */
void
deadline_remove(struct deadlines *d, struct deadline *e)
{
	pthread_mutex_lock(&d->mu);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		d->list = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	pthread_mutex_unlock(&d->mu);
	free(e);
}
