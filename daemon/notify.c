/*
 * notify.c: the systemd service protocol (sd_notify, watchdog, socket
 * activation). The only file that includes libsystemd.
 *
 * Every function is a no-op without $NOTIFY_SOCKET (sd_notify returns 0),
 * so the daemon runs the same in a terminal, a container or a test.
 * The watchdog state is kept by the work loop's thread only.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"

static int	 wd_checked;		/* wd_usec is known */
static uint64_t	 wd_usec;		/* 0: no watchdog */
static uint64_t	 wd_last_usec;		/* monotonic time of the last ping */
static int	 listen_checked;
static int	 listen_fd = -1;

static uint64_t
notify_now_usec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
notify_send(const char *state)
{
	int	r = sd_notify(0, state);

	if (r < 0)
		log_warn_limited("notify", "sd_notify: %s", strerror(-r));
}

/* Tells the service manager that start-up (or a reload) is complete. */
void
notify_ready(void)
{
	notify_send("READY=1");
}

/*
 * A reload begins; READY=1 must follow when it is done. MONOTONIC_USEC
 * lets systemd (253 and later, Type=notify-reload) match the reload to
 * the signal; older versions ignore it.
 */
void
notify_reloading(void)
{
	char	buf[96];

	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)notify_now_usec());
	notify_send(buf);
}

/* Shutdown has begun. */
void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

/* One line of status for `systemctl status`; newlines become spaces. */
void
notify_status(const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	int	n;
	char	*p;

	memcpy(buf, "STATUS=", 7);
	va_start(ap, fmt);
	n = vsnprintf(buf + 7, sizeof(buf) - 7, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	for (p = buf + 7; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	notify_send(buf);
}

static void
notify_watchdog_check(void)
{
	uint64_t	usec = 0;

	if (wd_checked)
		return;
	wd_checked = 1;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		wd_usec = usec;
}

/* 1 if systemd expects watchdog pings ($WATCHDOG_USEC for this pid). */
int
notify_watchdog_enabled(void)
{
	notify_watchdog_check();
	return wd_usec > 0;
}

/*
 * Pings the watchdog, at most once per half interval, so the work loop may
 * call it on every iteration. The first call always pings.
 */
void
notify_watchdog(void)
{
	uint64_t	now;

	notify_watchdog_check();
	if (wd_usec == 0)
		return;
	now = notify_now_usec();
	if (wd_last_usec != 0 && now - wd_last_usec < wd_usec / 2)
		return;
	wd_last_usec = now;
	notify_send("WATCHDOG=1");
}

/*
 * The listening stream socket passed by socket activation
 * (retentiond.socket), or -1. $LISTEN_* are unset on the first call so
 * children do not inherit them; the answer is remembered, so every call
 * returns the same descriptor (the caller owns it; closing it ends socket
 * activation for this process).
 */
int
notify_listen_fd(void)
{
	int	n;

	if (listen_checked)
		return listen_fd;
	listen_checked = 1;
	n = sd_listen_fds(1);
	if (n < 0) {
		log_warnx("socket activation: %s", strerror(-n));
		return -1;
	}
	if (n == 0)
		return -1;
	if (n > 1)
		log_warnx("socket activation: %d sockets passed, using the first",
		    n);
	if (sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
		log_warnx("socket activation: descriptor %d is not a listening "
		    "stream socket", SD_LISTEN_FDS_START);
		return -1;
	}
	listen_fd = SD_LISTEN_FDS_START;
	return listen_fd;
}
