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
 * Faults on command: lines on standard input, each answered on stderr
 * with "mockbroker: > LINE: ok", "mockbroker: > LINE: N" (count) or
 * "mockbroker: > LINE: error: REASON" once in force. BROKER is 1..N, or
 * -1 for all (for errors: the cluster's stack, shared by all brokers);
 * API is a request type by number or name (produce, fetch, metadata, ...);
 * ERR a librdkafka error name without its RD_KAFKA_RESP_ERR_ prefix
 * (NOT_LEADER_FOR_PARTITION, _TRANSPORT to disconnect) or number.
 *
 *   down [BROKER]                     broker(s) down (default: all, or -d)
 *   up [BROKER]                       and up again
 *   rtt BROKER MS                     MS of delay on every response
 *   errors BROKER API ERR[@MS][,...]  the next requests of API fail with
 *                                     ERR in turn (after MS: broker only)
 *   count BROKER API                  errors still on BROKER's stack
 *   clear API                         the cluster's pending errors dropped
 *
 * End of input only stops the reading; the broker runs on until a signal.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "../../daemon/daemon.h"
#include "../../daemon/embedded.h"

#define TOPICS_MAX 64
#define LINE_MAX_ 512

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

/* Protocol request types by name, for the commands. */
static const struct {
	const char	*name;
	int16_t		 key;
} api_keys[] = {
	{ "produce", 0 }, { "fetch", 1 }, { "listoffsets", 2 }, { "metadata", 3 },
	{ "offsetcommit", 8 }, { "offsetfetch", 9 }, { "findcoordinator", 10 },
	{ "joingroup", 11 }, { "heartbeat", 12 }, { "leavegroup", 13 },
	{ "syncgroup", 14 }, { "initproducerid", 22 },
};

/* Parses a request type by name (any case) or number. 0 or -1. */
static int
parse_api(const char *str, int16_t *key)
{
	char	*end;
	long	 n;
	size_t	 i;

	for (i = 0; i < sizeof(api_keys) / sizeof(api_keys[0]); i++)
		if (strcasecmp(str, api_keys[i].name) == 0) {
			*key = api_keys[i].key;
			return 0;
		}
	errno = 0;
	n = strtol(str, &end, 10);
	if (errno != 0 || *end != '\0' || end == str || n < 0 || n > 100)
		return -1;
	*key = (int16_t)n;
	return 0;
}

/* A broker id or -1 (all) from str; NULL gives dflt. 0 or -1. */
static int
parse_target(const char *str, int dflt, int *broker)
{
	if (str == NULL) {
		*broker = dflt;
		return 0;
	}
	if (strcmp(str, "-1") == 0) {
		*broker = -1;
		return 0;
	}
	return parse_broker(str, broker);
}

/* "ERR[@MS],..." into errs and rtts (at most EMBEDDED_ERRORS_MAX). Count
 * or -1. */
static int
parse_errors(char *list, int *errs, int *rtts)
{
	char	*tok, *save = NULL, *at, *end;
	int	 n = 0;
	long	 ms;

	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (n == EMBEDDED_ERRORS_MAX)
			return -1;
		rtts[n] = 0;
		if ((at = strchr(tok, '@')) != NULL) {
			*at = '\0';
			errno = 0;
			ms = strtol(at + 1, &end, 10);
			if (errno != 0 || *end != '\0' || end == at + 1 || ms < 0 ||
			    ms > 600000)
				return -1;
			rtts[n] = (int)ms;
		}
		if (embedded_error_code(tok, &errs[n]) == -1)
			return -1;
		n++;
	}
	return n;
}

/* Carries out one command line (see the top of the file) and answers it on
 * stderr. dflt is the broker that down and up act on without an id. */
static void
command(struct embedded *e, char *line, int dflt)
{
	char		 copy[LINE_MAX_], errbuf[512], *argv[5], *save = NULL;
	int		 argc = 0, broker, ms, n, errs[EMBEDDED_ERRORS_MAX];
	int		 rtts[EMBEDDED_ERRORS_MAX], rc = -1;
	int16_t		 api;
	size_t		 left = 0;

	line[strcspn(line, "\r\n")] = '\0';
	snprintf(copy, sizeof(copy), "%s", line);
	for (argv[0] = strtok_r(line, " \t", &save); argv[argc] != NULL && argc < 4;)
		argv[++argc] = strtok_r(NULL, " \t", &save);
	if (argc == 0)
		return;
	snprintf(errbuf, sizeof(errbuf), "bad arguments");
	if ((strcmp(argv[0], "down") == 0 || strcmp(argv[0], "up") == 0) &&
	    argc <= 2 && parse_target(argv[1], dflt, &broker) == 0)
		rc = embedded_set_broker_up(e, broker, argv[0][0] == 'u', errbuf,
		    sizeof(errbuf));
	else if (strcmp(argv[0], "rtt") == 0 && argc == 3 &&
	    parse_target(argv[1], -1, &broker) == 0 &&
	    sscanf(argv[2], "%d", &ms) == 1)
		rc = embedded_set_rtt(e, broker, ms, errbuf, sizeof(errbuf));
	else if (strcmp(argv[0], "errors") == 0 && argc == 4 &&
	    parse_target(argv[1], -1, &broker) == 0 &&
	    parse_api(argv[2], &api) == 0 &&
	    (n = parse_errors(argv[3], errs, rtts)) > 0)
		rc = embedded_push_errors(e, broker, api, errs, rtts, (size_t)n,
		    errbuf, sizeof(errbuf));
	else if (strcmp(argv[0], "count") == 0 && argc == 3 &&
	    parse_broker(argv[1], &broker) == 0 && parse_api(argv[2], &api) == 0) {
		if (embedded_error_count(e, broker, api, &left, errbuf,
		    sizeof(errbuf)) == 0) {
			fprintf(stderr, "mockbroker: > %s: %zu\n", copy, left);
			return;
		}
	} else if (strcmp(argv[0], "clear") == 0 && argc == 2 &&
	    parse_api(argv[1], &api) == 0) {
		embedded_clear_errors(e, api);
		rc = 0;
	}
	if (rc == 0)
		fprintf(stderr, "mockbroker: > %s: ok\n", copy);
	else
		fprintf(stderr, "mockbroker: > %s: error: %s\n", copy, errbuf);
}

/* Reads what standard input has and runs each complete line; 0, or -1 at
 * its end (or on an error: the commands stop, the broker runs on). */
static int
read_commands(struct embedded *e, char *buf, size_t *used, int dflt)
{
	char	*nl;
	ssize_t	 n;

	n = read(STDIN_FILENO, buf + *used, LINE_MAX_ - 1 - *used);
	if (n == -1 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	*used += (size_t)n;
	buf[*used] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		command(e, buf, dflt);
		memmove(buf, nl + 1, *used - (size_t)(nl + 1 - buf) + 1);
		*used -= (size_t)(nl + 1 - buf);
	}
	if (*used == LINE_MAX_ - 1) {	/* a line too long: dropped */
		fprintf(stderr, "mockbroker: > command too long: error\n");
		*used = 0;
	}
	return 0;
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
	struct pollfd	 pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char		 line[LINE_MAX_];
	size_t		 used = 0;
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
	/* Signals are blocked until ppoll() so none is lost between the
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
		/* Like sigsuspend(), ppoll() lets signals in only while it
		 * waits. */
		if (ppoll(&pfd, pfd.fd >= 0 ? 1 : 0, NULL, &old) > 0 &&
		    read_commands(e, line, &used, target) == -1)
			pfd.fd = -1;
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
