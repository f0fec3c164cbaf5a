/*
 * main.c: command line, start-up and shutdown of retentiond.
 *
 * main() reads as its steps: parse the options, load the configuration
 * (fatal when invalid, exit 6; -t stops here, --replay runs and stops),
 * start the subsystems (embedded broker if asked, pipeline, HTTP, Kafka),
 * run the work loop, stop them in reverse order. READY=1 comes from the
 * work loop once it has subscribed (readiness to serve is ready.c's). SIGTERM/SIGINT set `stop`, SIGHUP sets `reload`;
 * the work loop acts on both in its own thread, so signal handlers only
 * store flags.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"

static volatile int		stop_flag, reload_flag;

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: retentiond [-t] [-c FILE] [--embedded-broker]\n"
	    "       retentiond --replay FILE [-c FILE] [--dump-scores] [--score-at TIME]\n"
	    "       retentiond --dump-checkpoint FILE\n"
	    "       retentiond -V | -h\n"
	    "\n"
	    "  -c, --config FILE      configuration file (INI), see retentiond.conf(5)\n"
	    "  -t, --test             check the configuration and exit (0 valid, 6 invalid)\n"
	    "      --embedded-broker  start an in-process Kafka-protocol broker and use it;\n"
	    "                         its bootstrap list goes to <state dir>/bootstrap.servers\n"
	    "      --replay FILE      run a JSONL file of events (\"-\": stdin) through the\n"
	    "                         pipeline without Kafka, outputs as JSONL on stdout\n"
	    "      --dump-scores      with --replay: print every employee's score at the end\n"
	    "      --score-at TIME    with --dump-scores: score at this RFC 3339 event time\n"
	    "      --dump-checkpoint FILE  print a checkpoint's state as JSON (personal\n"
	    "                         data: for the operator) and exit; 1 if it is invalid\n"
	    "  -V, --version          print the version\n"
	    "  -h, --help             this text\n");
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Logs a configuration error ("file:line: reason" or "file: reason") with
 * CONFIG_FILE and CONFIG_LINE for the journal, and exits EXIT_CONFIG. path
 * is the file given with -c (NULL: none), which errbuf starts with when
 * the error is about it.
 */
static void __attribute__((noreturn))
config_fatal(const char *path, const char *errbuf)
{
	struct log_field	 f[2] = { { "CONFIG_FILE", path },
				    { "CONFIG_LINE", NULL } };
	char			 line[16];
	size_t			 plen = path != NULL ? strlen(path) : 0;
	const char		*s;
	size_t			 digits;

	if (path != NULL && strncmp(errbuf, path, plen) == 0 &&
	    errbuf[plen] == ':') {
		s = errbuf + plen + 1;
		digits = strspn(s, "0123456789");
		if (digits > 0 && digits < sizeof(line) && s[digits] == ':') {
			memcpy(line, s, digits);
			line[digits] = '\0';
			f[1].value = line;
		}
	}
	fatalx_config(f, 2, "%s", errbuf);
}

/* A [state] key's value is unusable: "[state] key reason", exit 6. */
static void __attribute__((noreturn))
state_fatal(const char *key, const char *reason)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "[state] %s %s", key, reason);
	config_fatal(daemon_config.path[0] != '\0' ? daemon_config.path : NULL, msg);
}

/* What the command line asks for. */
struct options {
	const char	*path, *replay;		/* -c, --replay; NULL if not given */
	const char	*dump_checkpoint;	/* --dump-checkpoint; NULL if not given */
	int		 test, embedded, dump;	/* -t, --embedded-broker, --dump-scores */
	int64_t		 score_at;		/* --score-at, ms; 0 unset */
};

/* What runs between start and stop (NULL: not started). */
struct running {
	struct embedded	*broker;
	struct pipeline	*pipeline;
	struct http	*http;
	struct kafka	*kafka;
};

/* Reads the options into o. Returns -1 to go on, or the exit status (-V,
 * -h, a usage error). */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option longopts[] = {
		{ "config",		required_argument,	NULL, 'c' },
		{ "test",		no_argument,		NULL, 't' },
		{ "version",		no_argument,		NULL, 'V' },
		{ "help",		no_argument,		NULL, 'h' },
		{ "embedded-broker",	no_argument,		NULL, 'E' },
		{ "replay",		required_argument,	NULL, 'R' },
		{ "dump-scores",	no_argument,		NULL, 'D' },
		{ "score-at",		required_argument,	NULL, 'S' },
		{ "dump-checkpoint",	required_argument,	NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch;

	memset(o, 0, sizeof(*o));
	while ((ch = getopt_long(argc, argv, "c:tVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->path = optarg;
			break;
		case 't':
			o->test = 1;
			break;
		case 'V':
			printf("retentiond %s\n", RETENTIOND_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'E':
			o->embedded = 1;
			break;
		case 'R':
			o->replay = optarg;
			break;
		case 'D':
			o->dump = 1;
			break;
		case 'K':
			o->dump_checkpoint = optarg;
			break;
		case 'S':
			if (time_parse_rfc3339(optarg, &o->score_at) == -1) {
				fprintf(stderr, "retentiond: --score-at: not an RFC 3339 time\n");
				return 2;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* The embedded broker, into the configuration's bootstrap.servers. */
static struct embedded *
start_broker(void)
{
	struct embedded	*broker;
	char		 errbuf[512];

	if ((broker = embedded_start(daemon_config.state_directory, errbuf,
	    sizeof(errbuf))) == NULL)
		fatalx("embedded broker: %s", errbuf);
	config_kafka_set(&daemon_config, "bootstrap.servers", embedded_bootstrap(broker));
	log_info("embedded broker at %s", embedded_bootstrap(broker));
	return broker;
}

/* Embedded broker if asked, pipeline, HTTP, Kafka; fatal on any failure. */
static void
start(const struct options *o, struct running *r)
{
	char		errbuf[512];
	sigset_t	sigs, oldsigs;

	/* Threads started from here on (the embedded broker's, libmicrohttpd's,
	 * librdkafka's) must not take SIGTERM, SIGINT or SIGHUP: a handler run
	 * on one of them interrupts its poll(), and the mock cluster's thread
	 * dies of EINTR. They inherit this mask; the main thread, which runs the
	 * work loop, takes the signals again once they are started. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &oldsigs);
	install_signals();
	/* checkpoints and the broker's address live here: ours alone */
	/* a state directory or erasure key that cannot be used is a
	 * configuration error, as the keys that name them */
	if (state_dir_check(daemon_config.state_directory, errbuf, sizeof(errbuf)) == -1)
		state_fatal("directory", errbuf);
	if (durable_erasure_key(&daemon_config, daemon_config.pipeline.erasure_key,
	    errbuf, sizeof(errbuf)) == -1)
		state_fatal("erasure_key_file", errbuf);
	if (o->embedded)
		r->broker = start_broker();
	if ((r->pipeline = pipeline_new(&daemon_config.pipeline, errbuf,
	    sizeof(errbuf))) == NULL)
		fatalx("pipeline: %s", errbuf);
	if ((r->http = http_start(&daemon_config, r->pipeline, errbuf,
	    sizeof(errbuf))) == NULL && errbuf[0] != '\0')
		fatalx("http: %s", errbuf);
	if ((r->kafka = kafka_new(&daemon_config, errbuf, sizeof(errbuf))) == NULL) {
		/* librdkafka refuses some settings only when creating a client
		 * (TLS files it cannot load, keys it refuses together): those
		 * are configuration errors too. */
		if (errno == EINVAL) {
			char msg[600];

			snprintf(msg, sizeof(msg), "kafka: %s", errbuf);
			config_fatal(daemon_config.path[0] != '\0' ?
			    daemon_config.path : NULL, msg);
		}
		fatalx("kafka: %s", errbuf);
	}
	pthread_sigmask(SIG_SETMASK, &oldsigs, NULL);
}

/* The work loop until a signal or a permanent error. The exit status. */
static int
run(struct running *r)
{
	log_info("retentiond %s started", RETENTIOND_VERSION);
	if (kafka_run(r->kafka, r->pipeline, &stop_flag, &reload_flag) == -1) {
		log_warnx("work loop failed; exiting so that the input is read again");
		return 1;
	}
	return 0;
}

/* Everything start() started, in reverse order. */
static void
stop(struct running *r)
{
	notify_stopping();
	kafka_free(r->kafka);
	http_stop(r->http);
	pipeline_free(r->pipeline);
	embedded_stop(r->broker);
	log_info("retentiond stopped");
}

int
main(int argc, char *argv[])
{
	struct options	o;
	struct running	r = { NULL, NULL, NULL, NULL };
	char		errbuf[512];
	int		rc;

	pipeline_global_init();
	if ((rc = parse_options(argc, argv, &o)) != -1)
		return rc;
	log_init(LOG_INFO, isatty(STDERR_FILENO));
	if (o.dump_checkpoint != NULL) {
		if (checkpoint_dump(o.dump_checkpoint, stdout, errbuf, sizeof(errbuf)) == 0)
			return 0;
		fprintf(stderr, "retentiond: %s: %s\n", o.dump_checkpoint, errbuf);
		return 1;
	}
	if (daemon_load_config(o.path, &daemon_config, o.embedded || o.replay != NULL,
	    errbuf, sizeof(errbuf)) == -1)
		config_fatal(o.path, errbuf);
	if (o.test) {
		printf("configuration ok\n");
		return 0;
	}
	log_set_level(daemon_config.log_level);
	if (o.replay != NULL)
		return replay_run(&daemon_config, o.replay, o.dump, o.score_at) == 0 ? 0 : 1;

	start(&o, &r);
	rc = run(&r);
	stop(&r);
	return rc;
}
