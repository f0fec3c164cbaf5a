/*
 * mockbroker: a standalone Kafka-protocol broker for tests and demos.
 *
 *   mockbroker -f FILE [-b NBROKERS] [-t TOPIC:PARTITIONS[@LEADER] ...]
 *              [-g GROUP@BROKER ...] [-d BROKER]
 *
 * Starts librdkafka's mock cluster (daemon/embedded.c) with NBROKERS
 * brokers (default 1) listening on 127.0.0.1 ports of the kernel's
 * choosing, creates the given topics, then writes the bootstrap list to
 * FILE atomically: a test waits for FILE to appear and then connects.
 * "@LEADER" puts every partition of the topic on broker LEADER (1..N);
 * -g makes BROKER the coordinator of consumer group GROUP.
 * Runs until SIGTERM or SIGINT, removes FILE and exits 0. The integration
 * tests run it so that the broker lives in another process than the
 * daemon under test.
 *
 * Outages on command: SIGUSR1 takes every broker (with -d: broker BROKER
 * only) down (clients are
 * disconnected and new connections refused; topics, records and committed
 * offsets are kept), SIGUSR2 brings them back up. Each change is
 * acknowledged on stderr with a line "mockbroker: brokers down" or
 * "mockbroker: brokers up" once it is in force, which a test waits for.
 *
 * Refusals on command: SIGHUP makes the broker refuse the next Produce
 * request with MSG_SIZE_TOO_LARGE, as a real broker refuses a record over
 * a topic's max.message.bytes (the mock has no size limit); acknowledged
 * with "mockbroker: next produce refused".
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "../../daemon/daemon.h"
#include "../../daemon/embedded.h"

#define TOPICS_MAX 64

static volatile sig_atomic_t stop;
static volatile sig_atomic_t want_down, want_up;	/* SIGUSR1, SIGUSR2 */
static volatile sig_atomic_t want_refuse;		/* SIGHUP */

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_down = 1;
	else if (sig == SIGUSR2)
		want_up = 1;
	else if (sig == SIGHUP)
		want_refuse = 1;
	else
		stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: mockbroker -f FILE [-b NBROKERS] "
	    "[-t TOPIC:PARTITIONS[@LEADER] ...]\n"
	    "                  [-g GROUP@BROKER ...] [-d BROKER]\n"
	    "  SIGUSR1: brokers down (all, or the -d one), SIGUSR2: up again\n"
	    "  SIGHUP: the next Produce request is refused (message too large)\n");
	exit(2);
}

/* Parses a broker id 1..16 from str (whole string). 0 or -1. */
static int
parse_broker(const char *str, int *broker)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(str, &end, 10);
	if (errno != 0 || *end != '\0' || end == str || n < 1 || n > 16)
		return -1;
	*broker = (int)n;
	return 0;
}

/* Parses "TOPIC:N[@LEADER]" into topic (bounded), partitions and leader
 * (0 when not given). 0 or -1. */
static int
parse_topic(const char *arg, char *topic, size_t len, int *partitions, int *leader)
{
	const char	*colon = strrchr(arg, ':');
	char		 num[16], *end, *at;
	long		 n;

	if (colon == NULL || colon == arg || (size_t)(colon - arg) >= len ||
	    strlen(colon + 1) >= sizeof(num))
		return -1;
	strcpy(num, colon + 1);
	*leader = 0;
	if ((at = strchr(num, '@')) != NULL) {
		*at = '\0';
		if (parse_broker(at + 1, leader) == -1)
			return -1;
	}
	errno = 0;
	n = strtol(num, &end, 10);
	if (errno != 0 || *end != '\0' || end == num || n < 1 || n > 1024)
		return -1;
	memcpy(topic, arg, (size_t)(colon - arg));
	topic[colon - arg] = '\0';
	*partitions = (int)n;
	return 0;
}

/* Parses "GROUP@BROKER" into group (bounded) and broker. 0 or -1. */
static int
parse_group(const char *arg, char *group, size_t len, int *broker)
{
	const char *at = strrchr(arg, '@');

	if (at == NULL || at == arg || (size_t)(at - arg) >= len ||
	    parse_broker(at + 1, broker) == -1)
		return -1;
	memcpy(group, arg, (size_t)(at - arg));
	group[at - arg] = '\0';
	return 0;
}

/* Applies a SIGUSR1/SIGUSR2 request and acknowledges it on stderr. */
static void
set_brokers(struct embedded *e, int target, int up)
{
	char errbuf[512];

	if (embedded_set_broker_up(e, target, up, errbuf, sizeof(errbuf)) == -1)
		fprintf(stderr, "mockbroker: %s\n", errbuf);
	else
		fprintf(stderr, "mockbroker: brokers %s\n", up ? "up" : "down");
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	struct embedded	*e;
	const char	*file = NULL, *topics[TOPICS_MAX], *groups[TOPICS_MAX];
	char		 errbuf[512], name[256], *end;
	int		 ch, nbrokers = 1, ntopics = 0, ngroups = 0, partitions, i;
	int		 leader, target = -1;
	sigset_t	 mask, old;
	long		 n;

	while ((ch = getopt(argc, argv, "f:b:t:g:d:h")) != -1) {
		switch (ch) {
		case 'f':
			file = optarg;
			break;
		case 'b':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > 16) {
				fprintf(stderr, "mockbroker: -b: 1..16 brokers\n");
				return 2;
			}
			nbrokers = (int)n;
			break;
		case 't':
			if (ntopics == TOPICS_MAX) {
				fprintf(stderr, "mockbroker: at most %d topics\n",
				    TOPICS_MAX);
				return 2;
			}
			if (parse_topic(optarg, name, sizeof(name), &partitions,
			    &leader) == -1) {
				fprintf(stderr, "mockbroker: -t %s: expected "
				    "TOPIC:PARTITIONS[@LEADER] (1..1024, "
				    "1..16)\n", optarg);
				return 2;
			}
			topics[ntopics++] = optarg;
			break;
		case 'g':
			if (ngroups == TOPICS_MAX) {
				fprintf(stderr, "mockbroker: at most %d groups\n",
				    TOPICS_MAX);
				return 2;
			}
			if (parse_group(optarg, name, sizeof(name), &leader) == -1) {
				fprintf(stderr, "mockbroker: -g %s: expected "
				    "GROUP@BROKER\n", optarg);
				return 2;
			}
			groups[ngroups++] = optarg;
			break;
		case 'd':
			if (parse_broker(optarg, &target) == -1) {
				fprintf(stderr, "mockbroker: -d: a broker id 1..16\n");
				return 2;
			}
			break;
		default:
			usage();
		}
	}
	if (file == NULL || optind != argc)
		usage();
	if (target > nbrokers) {
		fprintf(stderr, "mockbroker: -d %d: only %d broker(s)\n", target,
		    nbrokers);
		return 2;
	}

	log_init(LOG_WARNING, isatty(STDERR_FILENO));
	/* Signals are blocked until sigsuspend() so none is lost between the
	 * check of `stop` and the wait. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old);

	/* Topics first, file last: once the file exists, the topics do. */
	if ((e = embedded_new(nbrokers, errbuf, sizeof(errbuf))) == NULL) {
		fprintf(stderr, "mockbroker: %s\n", errbuf);
		return 1;
	}
	for (i = 0; i < ntopics; i++) {
		if (parse_topic(topics[i], name, sizeof(name), &partitions,
		    &leader) == -1 ||
		    embedded_create_topic(e, name, partitions, errbuf,
		    sizeof(errbuf)) == -1 ||
		    (leader > 0 && embedded_set_leader(e, name, partitions, leader,
		    errbuf, sizeof(errbuf)) == -1)) {
			fprintf(stderr, "mockbroker: %s\n", errbuf);
			embedded_stop(e);
			return 1;
		}
	}
	for (i = 0; i < ngroups; i++) {
		if (parse_group(groups[i], name, sizeof(name), &leader) == -1 ||
		    embedded_set_coordinator(e, name, leader, errbuf,
		    sizeof(errbuf)) == -1) {
			fprintf(stderr, "mockbroker: %s\n", errbuf);
			embedded_stop(e);
			return 1;
		}
	}
	if (embedded_write_bootstrap(e, file, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "mockbroker: %s\n", errbuf);
		embedded_stop(e);
		return 1;
	}
	fprintf(stderr, "mockbroker: %d broker(s) at %s\n", nbrokers,
	    embedded_bootstrap(e));

	while (!stop) {
		sigsuspend(&old);
		/* Both pending: the later one is unknown, so down then up
		 * (the cluster ends up reachable). */
		if (want_down) {
			want_down = 0;
			set_brokers(e, target, 0);
		}
		if (want_up) {
			want_up = 0;
			set_brokers(e, target, 1);
		}
		if (want_refuse) {
			want_refuse = 0;
			embedded_refuse_produce(e, 1);
			fprintf(stderr, "mockbroker: next produce refused\n");
		}
	}
	embedded_stop(e);	/* removes FILE */
	return 0;
}
