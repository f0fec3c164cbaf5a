/*
 * test_config.c: the config table, its errors with line numbers, secrets,
 * the cross-key rules, and that deploy/retentiond.conf documents the real
 * defaults.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "../../daemon/daemon.h"

static char errbuf[1024];

/* Loads text over the defaults into cfg; returns config_load_fp's result. */
static int
load(struct config *cfg, const char *text)
{
	FILE	*fp = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	int	 rc;

	config_defaults(cfg);
	errbuf[0] = '\0';
	if (fp == NULL)
		return -2;
	rc = config_load_fp(fp, "t.conf", cfg, errbuf, sizeof(errbuf));
	fclose(fp);
	return rc;
}

/* 1 if loading text fails with an error that starts with want. */
static int
fails_with(const char *text, const char *want)
{
	struct config	*cfg = calloc(1, sizeof(*cfg));
	int		 ok;

	ok = load(cfg, text) == -1 && strncmp(errbuf, want, strlen(want)) == 0;
	if (!ok)
		fprintf(stderr, "  got \"%s\", want prefix \"%s\"\n", errbuf, want);
	free(cfg);
	return ok;
}

static void
test_defaults(struct config *cfg)
{
	config_defaults(cfg);
	CHECK_STR(cfg->topic_input, "hr.events");
	CHECK_STR(cfg->topic_alerts, "hr.attrition.alerts");
	CHECK_STR(cfg->topic_suggestions, "hr.retention.suggestions");
	CHECK_STR(cfg->topic_estimates, "hr.model.estimates");
	CHECK_STR(cfg->topic_dlq, "hr.events.dlq");
	CHECK_STR(cfg->state_directory, "/var/lib/retentiond");
	CHECK_STR(cfg->http_listen, "127.0.0.1:9464");
	CHECK(cfg->log_level == LOG_INFO);
	CHECK(cfg->idle_seconds == 30);
	CHECK(cfg->nkafka == 0);
	CHECK(cfg->pipeline.clear_threshold < cfg->pipeline.threshold);
	CHECK(cfg->pipeline.threshold <= cfg->pipeline.critical_threshold);
	CHECK(cfg->pipeline.features.extra_protected[0] == NULL);
}

static void
test_values(struct config *cfg)
{
	char	longv[600];

	CHECK(load(cfg,
	    "# comment\n"
	    "; another\n"
	    "\n"
	    "[kafka]\n"
	    "bootstrap.servers = b1:9092,b2:9092\n"
	    "sasl.password = a;b #c\n"
	    "[topics]\n"
	    "  input = in.x\n"
	    "[alerts]\n"
	    "threshold = 0.6\n"
	    "clear_threshold=0.3\n"
	    "critical_threshold = 0.9\n"
	    "horizon_days = 365\n"
	    "[suggestions]\n"
	    "max_actions = 2\n"
	    "[http]\n"
	    "listen =\n"
	    "allow_remote = Yes\n"
	    "[model]\n"
	    "protected_extra = union_member , Veteran\n"
	    "dedup_capacity = 4096\n"
	    "[log]\n"
	    "level = debug\n") == 0);
	CHECK_STR(errbuf, "");
	CHECK_STR(config_kafka_get(cfg, "bootstrap.servers"), "b1:9092,b2:9092");
	CHECK_STR(config_kafka_get(cfg, "sasl.password"), "a;b #c");
	CHECK(config_kafka_get(cfg, "group.id") == NULL);
	CHECK(cfg->kafka[0].line == 5);
	CHECK_STR(cfg->topic_input, "in.x");
	CHECK_NEAR(cfg->pipeline.threshold, 0.6, 0);
	CHECK_NEAR(cfg->pipeline.model.alert_threshold, 0.6, 0);
	CHECK_NEAR(cfg->pipeline.clear_threshold, 0.3, 0);
	CHECK(cfg->pipeline.horizon_days == 365);
	CHECK(cfg->pipeline.model.horizon_days == 365);
	CHECK(cfg->pipeline.suggestions_max == 2);
	CHECK_STR(cfg->http_listen, "");
	CHECK(cfg->http_allow_remote == 1);
	CHECK(cfg->pipeline.dedup_capacity == 4096);
	CHECK(cfg->log_level == LOG_DEBUG);
	CHECK_STR(cfg->pipeline.features.extra_protected[0], "union_member");
	CHECK_STR(cfg->pipeline.features.extra_protected[1], "Veteran");
	CHECK(cfg->pipeline.features.extra_protected[2] == NULL);

	/* config_copy keeps the pointers inside the copy. */
	{
		struct config *c2 = calloc(1, sizeof(*c2));

		config_copy(c2, cfg);
		CHECK(c2->pipeline.features.extra_protected[0] ==
		    c2->extra_protected_buf[0]);
		free(c2);
	}

	/* A line longer than inih's 200-byte buffer keeps its whole value. */
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = '\0';
	{
		char	*text = malloc(2000);

		snprintf(text, 2000, "[kafka]\nsasl.oauthbearer.config = %s  \n"
		    "[alerts]\nthreshold = 0.7\n", longv);
		CHECK(load(cfg, text) == 0);
		CHECK_STR(config_kafka_get(cfg, "sasl.oauthbearer.config"), longv);
		CHECK_NEAR(cfg->pipeline.threshold, 0.7, 0);
		free(text);
	}

	/* set and get */
	config_defaults(cfg);
	CHECK(config_kafka_set(cfg, "group.id", "g1") == 0);
	CHECK(config_kafka_set(cfg, "group.id", "g2") == 0);
	CHECK(cfg->nkafka == 1);
	CHECK_STR(config_kafka_get(cfg, "group.id"), "g2");
}

/*
 * The alert policy's keys, and [alerts] min_exits from before warm-up was
 * by information (config.c, legacy_warmup()): 0 turns the warm-up and the
 * confidence margin off where the file does not set them, in whatever
 * order the lines come; any other count is ignored; both start.
 */
static void
test_alert_policy(struct config *cfg)
{
	struct config	*def = calloc(1, sizeof(*def));

	config_defaults(def);
	CHECK(def->pipeline.warmup_max_se > 0 && def->pipeline.confidence_z > 0);
	CHECK(def->pipeline.alert_budget_per_month == 0);
	CHECK(def->pipeline.backfill_window_days == 0);
	CHECK(load(cfg, "[alerts]\nwarmup_max_se = 0.25\nconfidence_z = 2\n"
	    "monthly_budget_per_department = 40\nbackfill_window_days = 90\n") == 0);
	CHECK_NEAR(cfg->pipeline.warmup_max_se, 0.25, 0);
	CHECK_NEAR(cfg->pipeline.confidence_z, 2, 0);
	CHECK(cfg->pipeline.alert_budget_per_month == 40);
	CHECK(cfg->pipeline.backfill_window_days == 90);

	CHECK(load(cfg, "[alerts]\nmin_exits = 0\n") == 0);
	CHECK(cfg->pipeline.warmup_max_se == 0 && cfg->pipeline.confidence_z == 0);
	CHECK(load(cfg, "[alerts]\nconfidence_z = 1\nmin_exits = 0\n") == 0);
	CHECK(cfg->pipeline.warmup_max_se == 0);
	CHECK_NEAR(cfg->pipeline.confidence_z, 1, 0);
	CHECK(load(cfg, "[alerts]\nmin_exits = 0\nwarmup_max_se = 0.3\n") == 0);
	CHECK_NEAR(cfg->pipeline.warmup_max_se, 0.3, 0);
	CHECK(cfg->pipeline.confidence_z == 0);
	CHECK(load(cfg, "[alerts]\nmin_exits = 20\n") == 0);
	CHECK(memcmp(&cfg->pipeline, &def->pipeline, sizeof(def->pipeline)) == 0);

	CHECK(fails_with("[alerts]\nmin_exits = -1\n",
	    "t.conf:2: min_exits: -1 out of range"));
	CHECK(fails_with("[alerts]\nwarmup_max_se = -0.1\n",
	    "t.conf:2: warmup_max_se: -0.1 out of range"));
	CHECK(fails_with("[alerts]\n\nconfidence_z = 11\n",
	    "t.conf:3: confidence_z: 11 out of range"));
	CHECK(fails_with("[alerts]\nmonthly_budget_per_department = 2.5\n",
	    "t.conf:2: monthly_budget_per_department: bad integer"));
	CHECK(fails_with("[alerts]\nbackfill_window_days = -3\n",
	    "t.conf:2: backfill_window_days: -3 out of range"));
	free(def);
}

static void
test_errors(void)
{
	char	*text;

	CHECK(fails_with("[alert]\nthreshold = 0.5\n",
	    "t.conf:1: unknown section [alert]"));
	CHECK(fails_with("[alerts]\n\nthreshhold = 0.5\n",
	    "t.conf:3: unknown key 'threshhold' in [alerts]"));
	CHECK(fails_with("[alerts]\nthreshold = 0.5x\n",
	    "t.conf:2: threshold: bad number '0.5x'"));
	CHECK(fails_with("[alerts]\nthreshold = 1.5\n",
	    "t.conf:2: threshold: 1.5 out of range"));
	CHECK(fails_with("[alerts]\nthreshold = 0\n",
	    "t.conf:2: threshold: 0 out of range"));
	CHECK(fails_with("[alerts]\nhorizon_days = 1.5\n",
	    "t.conf:2: horizon_days: bad integer"));
	CHECK(fails_with("[alerts]\nthreshold = 0.5 ; inline\n",
	    "t.conf:2: threshold: bad number"));
	CHECK(fails_with("[alerts]\nthreshold = 0.5\n[alerts]\nthreshold = 0.6\n",
	    "t.conf:4: duplicate key 'threshold' in [alerts] (first on line 2)"));
	CHECK(fails_with("[kafka]\ngroup.id = a\ngroup.id = b\n",
	    "t.conf:3: duplicate key 'group.id' in [kafka] (first on line 2)"));
	CHECK(fails_with("threshold = 0.5\n",
	    "t.conf:1: key 'threshold' outside a [section]"));
	CHECK(fails_with("[alerts]\nthis is not a key\n",
	    "t.conf:2: expected [section]"));
	CHECK(fails_with("[alerts\nthreshold = 0.5\n", "t.conf:1: expected"));
	CHECK(fails_with("[alerts]\n  indented = 1\n",
	    "t.conf:2: unknown key 'indented'"));
	CHECK(fails_with("[log]\nlevel = loud\n", "t.conf:2: level: expected"));
	CHECK(fails_with("[http]\nallow_remote = maybe\n",
	    "t.conf:2: allow_remote: expected yes or no"));
	CHECK(fails_with("[topics]\ninput = a/b\n",
	    "t.conf:2: input: invalid topic name"));
	CHECK(fails_with("[topics]\ninput =\n", "t.conf:2: input: invalid"));
	CHECK(fails_with("[state]\ndirectory =\n",
	    "t.conf:2: directory: must not be empty"));
	CHECK(fails_with("[http]\nlisten = 127.0.0.1\n",
	    "t.conf:2: listen: expected ADDRESS:PORT"));
	CHECK(fails_with("[http]\nlisten = 127.0.0.1:70000\n",
	    "t.conf:2: listen: expected"));
	CHECK(fails_with("[model]\nprotected_extra = a,,b\n",
	    "t.conf:2: empty name in list"));
	CHECK(fails_with("[model]\ndedup_capacity = -5\n",
	    "t.conf:2: dedup_capacity: -5 out of range"));
	/* cross-key rules name the line of the key set last */
	CHECK(fails_with("[alerts]\nclear_threshold = 0.45\n\nthreshold = 0.45\n",
	    "t.conf:4: clear_threshold (0.45) must be below threshold (0.45)"));
	CHECK(fails_with("[alerts]\ncritical_threshold = 0.3\n",
	    "t.conf:2: critical_threshold (0.3) must not be below threshold"));
	CHECK(fails_with("[suggestions]\nweight_retention = 0\n"
	    "weight_satisfaction = 0\nweight_ability = 0\n",
	    "t.conf:4: weight_retention, weight_satisfaction"));
	CHECK(fails_with("[http]\nlisten = 0.0.0.0:9464\n",
	    "t.conf:2: listen 0.0.0.0:9464 is not a loopback address"));
	CHECK(fails_with("[http]\nlisten = [::]:9464\n",
	    "t.conf:2: listen [::]:9464 is not a loopback"));
	{
		struct config	*cfg = calloc(1, sizeof(*cfg));

		CHECK(load(cfg, "[http]\nlisten = 0.0.0.0:9464\nallow_remote = yes\n")
		    == 0);
		CHECK(load(cfg, "[http]\nlisten = [::1]:1\n") == 0);
		CHECK(load(cfg, "[http]\nlisten = localhost:0\n") == 0);
		free(cfg);
	}
	/* a NUL byte, and a value longer than the config can hold */
	{
		struct config	*cfg = calloc(1, sizeof(*cfg));
		static const char nul[] = "[alerts]\nthreshold = 0.5\0\n";
		FILE	*fp = fmemopen((void *)(uintptr_t)nul, sizeof(nul) - 1, "r");

		config_defaults(cfg);
		CHECK(config_load_fp(fp, "t.conf", cfg, errbuf, sizeof(errbuf)) == -1);
		CHECK_STR(errbuf, "t.conf:2: NUL byte in line");
		fclose(fp);
		free(cfg);
	}
	text = malloc(3000);
	memset(text, 0, 3000);
	strcpy(text, "[kafka]\nx = ");
	memset(text + strlen(text), 'y', 1500);
	strcat(text, "\n");
	CHECK(fails_with(text, "t.conf:2: x: value longer than"));
	memset(text, 0, 3000);
	strcpy(text, "[kafka]\n#");
	memset(text + strlen(text), 'y', 1500);
	strcat(text, "\n[alerts]\nthreshold = 2\n");
	CHECK(fails_with(text, "t.conf:4: threshold: 2 out of range"));
	free(text);
}

static void
test_secrets(struct config *cfg, const char *dir)
{
	char	path[512], text[1024];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/sasl-password", dir);
	fp = fopen(path, "w");
	fputs("s3cr3t;x\n", fp);
	fclose(fp);
	chmod(path, 0600);

	unsetenv("CREDENTIALS_DIRECTORY");
	CHECK(load(cfg, "[kafka]\nsasl.password = @credential:sasl-password\n")
	    == -1);
	CHECK(strstr(errbuf, "t.conf:2: [kafka] sasl.password: @credential:"
	    "sasl-password but $CREDENTIALS_DIRECTORY is not set") == errbuf);
	CHECK(load(cfg, "[http]\ntoken_file = ${CREDENTIALS_DIRECTORY}/tok\n")
	    == -1);
	CHECK(strncmp(errbuf, "t.conf:2: ${CREDENTIALS_DIRECTORY} is used", 40)
	    == 0);

	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	CHECK(load(cfg, "[kafka]\nsasl.password = @credential:sasl-password\n"
	    "ssl.key.location = ${CREDENTIALS_DIRECTORY}/key.pem\n"
	    "[http]\ntoken_file = ${CREDENTIALS_DIRECTORY}/tok\n") == 0);
	CHECK_STR(config_kafka_get(cfg, "sasl.password"), "s3cr3t;x");
	snprintf(text, sizeof(text), "%s/key.pem", dir);
	CHECK_STR(config_kafka_get(cfg, "ssl.key.location"), text);
	snprintf(text, sizeof(text), "%s/tok", dir);
	CHECK_STR(cfg->http_token_file, text);
	CHECK(load(cfg, "[kafka]\nsasl.password = @credential:missing\n") == -1);
	CHECK(strstr(errbuf, "t.conf:2: [kafka] sasl.password:") == errbuf);
	CHECK(load(cfg, "[kafka]\nsasl.password = @credential:../x\n") == -1);
	CHECK(load(cfg, "[kafka]\nsasl.password = @file:relative\n") == -1);
	CHECK(load(cfg, "[kafka]\nsasl.password = @file:/dev/null\n") == -1);
	CHECK(strstr(errbuf, "not a regular file") != NULL);
	snprintf(text, sizeof(text), "[kafka]\nsasl.password = @file:%s\n", path);
	CHECK(load(cfg, text) == 0);
	CHECK_STR(config_kafka_get(cfg, "sasl.password"), "s3cr3t;x");
	/* a secret file group or others can read is refused, @credential:
	 * and @file: alike, and the secret never shows */
	chmod(path, 0640);
	CHECK(load(cfg, text) == -1);
	CHECK(strstr(errbuf, "t.conf:2: [kafka] sasl.password: ") == errbuf);
	CHECK(strstr(errbuf, "mode 0640 lets group or others access it") != NULL);
	CHECK(strstr(errbuf, "s3cr3t") == NULL);
	CHECK(load(cfg, "[kafka]\nsasl.password = @credential:sasl-password\n")
	    == -1);
	CHECK(strstr(errbuf, "mode 0640") != NULL);
	chmod(path, 0604);
	CHECK(load(cfg, text) == -1);
	CHECK(strstr(errbuf, "mode 0604") != NULL);
	chmod(path, 0400);
	CHECK(load(cfg, text) == 0);
	chmod(path, 0600);
	/* an empty secret file is an error, and the secret never shows */
	fp = fopen(path, "w");
	fclose(fp);
	CHECK(load(cfg, text) == -1);
	CHECK(strstr(errbuf, "is empty") != NULL);
	unsetenv("CREDENTIALS_DIRECTORY");
}

/* Loads text from a real file of mode mode under dir; config_load()'s
 * result. */
static int
load_file(struct config *cfg, const char *dir, const char *text, mode_t mode)
{
	char	path[512];
	FILE	*fp;
	int	rc;

	snprintf(path, sizeof(path), "%s/s.conf", dir);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
	config_defaults(cfg);
	errbuf[0] = '\0';
	rc = config_load(path, cfg, errbuf, sizeof(errbuf));
	unlink(path);
	return rc;
}

/* secrets.c: one rule for every secret. Which keys are secrets, and a
 * secret in clear refused in a file that group or others can read. */
static void
test_secret_rule(struct config *cfg, const char *dir)
{
	static const char *const secret[] = {
		"sasl.password", "ssl.key.password", "ssl.keystore.password",
		"sasl.oauthbearer.client.secret", "ssl.key.pem",
		"sasl.oauthbearer.config", "ssl_key",
	};
	static const char *const plain[] = {
		"sasl.username", "ssl.ca.location", "ssl.certificate.pem",
		"bootstrap.servers", "sasl.oauthbearer.client.id",
	};
	const char *clear = "[kafka]\nbootstrap.servers = 127.0.0.1:9\n"
	    "ssl.key.password = Sup3r;x\n";
	struct stat st;
	char reason[256];
	size_t i;

	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		CHECK(config_secret_key(secret[i]));
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		CHECK(!config_secret_key(plain[i]));
	CHECK(config_secret_file_key("ssl.key.location"));
	CHECK(config_secret_file_key("sasl.kerberos.keytab"));
	CHECK(!config_secret_file_key("ssl.ca.location"));

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0600;
	CHECK(secret_file_private("/x", &st, reason, sizeof(reason)) == 0);
	st.st_mode = S_IFREG | 0400;
	CHECK(secret_file_private("/x", &st, reason, sizeof(reason)) == 0);
	st.st_mode = S_IFREG | 0610;
	CHECK(secret_file_private("/x", &st, reason, sizeof(reason)) == -1);
	CHECK_STR(reason, "/x: mode 0610 lets group or others access it (chmod 600)");
	st.st_mode = S_IFREG | 0601;
	CHECK(secret_file_private("/x", &st, reason, sizeof(reason)) == -1);
	st.st_mode = S_IFIFO | 0600;
	CHECK(secret_file_private("/x", &st, reason, sizeof(reason)) == -1);
	CHECK_STR(reason, "/x: not a regular file");

	CHECK(load_file(cfg, dir, clear, 0644) == -1);
	CHECK(strstr(errbuf, "/s.conf:3: [kafka] ssl.key.password: a secret in "
	    "clear in ") != NULL);
	CHECK(strstr(errbuf, "mode 0644") != NULL);
	CHECK(strstr(errbuf, "Sup3r") == NULL);
	CHECK(load_file(cfg, dir, clear, 0640) == -1);
	CHECK(load_file(cfg, dir, clear, 0600) == 0);
	CHECK_STR(config_kafka_get(cfg, "ssl.key.password"), "Sup3r;x");
	/* what is not a secret, or only refers to one, may be world-readable */
	CHECK(load_file(cfg, dir, "[kafka]\nbootstrap.servers = 127.0.0.1:9\n"
	    "sasl.username = u\n", 0644) == 0);
	CHECK(load_file(cfg, dir, "[kafka]\nsasl.password = @credential:x\n",
	    0644) == -1);
	CHECK(strstr(errbuf, "CREDENTIALS_DIRECTORY is not set") != NULL);
}

static void
test_validate(struct config *cfg, const char *dir)
{
	char	conf[512], tok[512];
	FILE	*fp;

	snprintf(tok, sizeof(tok), "%s/token", dir);
	fp = fopen(tok, "w");
	fputs("abc\n", fp);
	fclose(fp);
	chmod(tok, 0644);
	snprintf(conf, sizeof(conf), "%s/v.conf", dir);
	fp = fopen(conf, "w");
	fprintf(fp, "[kafka]\nbootstrap.servers = 127.0.0.1:9\n\n[http]\n"
	    "listen = 0.0.0.0:9464\ntoken_file = %s\n", tok);
	fclose(fp);

	config_defaults(cfg);
	CHECK(config_load(conf, cfg, errbuf, sizeof(errbuf)) == 0);
	CHECK(config_validate(cfg, errbuf, sizeof(errbuf)) == -1);
	CHECK(strstr(errbuf, ":6: token_file ") != NULL);
	CHECK(strstr(errbuf, "mode 0644") != NULL);
	chmod(tok, 0600);
	CHECK(config_validate(cfg, errbuf, sizeof(errbuf)) == 0);
	unlink(tok);
	CHECK(config_validate(cfg, errbuf, sizeof(errbuf)) == -1);
	CHECK(strstr(errbuf, "No such file") != NULL);

	/* a config built in code gets the cross-key rules too */
	config_defaults(cfg);
	CHECK(config_kafka_set(cfg, "bootstrap.servers", "127.0.0.1:9") == 0);
	cfg->pipeline.clear_threshold = 0.9;
	CHECK(config_validate(cfg, errbuf, sizeof(errbuf)) == -1);
	CHECK(strncmp(errbuf, "config: clear_threshold", 23) == 0);

	config_defaults(cfg);
	CHECK(config_load("/nonexistent/x.conf", cfg, errbuf, sizeof(errbuf)) == -1);
	CHECK_STR(errbuf, "/nonexistent/x.conf: No such file or directory");
	unlink(conf);
}

/*
 * deploy/retentiond.conf is accepted, and with every "# key = value" line
 * uncommented it yields exactly the built-in defaults: the example
 * documents the real defaults and nothing else.
 */
static void
test_example(struct config *cfg)
{
	struct config	*def = calloc(1, sizeof(*def));
	FILE		*in = fopen("deploy/retentiond.conf", "r");
	char		 line[2048], *text = calloc(1, 1 << 16);
	size_t		 n = 0;
	int		 keys = 0;

	CHECK(in != NULL);
	if (in == NULL)
		goto out;
	config_defaults(cfg);
	errbuf[0] = '\0';
	CHECK(config_load("deploy/retentiond.conf", cfg, errbuf,
	    sizeof(errbuf)) == 0);
	CHECK_STR(errbuf, "");
	while (fgets(line, sizeof(line), in) != NULL) {
		const char *s = line;

		/* "#key = value" (no space after '#') is a commented key */
		if (s[0] == '#' && s[1] != ' ' && s[1] != '#' && s[1] != '\n' &&
		    strchr(s, '=') != NULL) {
			s++;
			keys++;
		}
		n += (size_t)snprintf(text + n, (1 << 16) - n, "%s", s);
	}
	fclose(in);
	CHECK(keys >= 30);
	CHECK(load(cfg, text) == 0);
	CHECK_STR(errbuf, "");
	config_defaults(def);
	CHECK(memcmp(&cfg->pipeline, &def->pipeline, sizeof(def->pipeline)) == 0);
	CHECK_STR(cfg->topic_input, def->topic_input);
	CHECK_STR(cfg->topic_alerts, def->topic_alerts);
	CHECK_STR(cfg->topic_suggestions, def->topic_suggestions);
	CHECK_STR(cfg->topic_estimates, def->topic_estimates);
	CHECK_STR(cfg->topic_dlq, def->topic_dlq);
	CHECK_STR(cfg->state_directory, def->state_directory);
	CHECK_STR(cfg->http_listen, def->http_listen);
	CHECK_STR(cfg->http_token_file, def->http_token_file);
	CHECK(cfg->http_allow_remote == def->http_allow_remote);
	CHECK(cfg->idle_seconds == def->idle_seconds);
	CHECK(cfg->ready_max_lag == def->ready_max_lag);
	CHECK(cfg->log_level == def->log_level);
	if (memcmp(&cfg->pipeline, &def->pipeline, sizeof(def->pipeline)) != 0)
		fprintf(stderr, "  threshold %g/%g clear %g/%g crit %g/%g "
		    "horizon %d/%d rls %g/%g hz %g/%g l2 %g/%g levels %d/%d "
		    "attr %d/%d dedup %zu/%zu\n",
		    cfg->pipeline.threshold, def->pipeline.threshold,
		    cfg->pipeline.clear_threshold, def->pipeline.clear_threshold,
		    cfg->pipeline.critical_threshold,
		    def->pipeline.critical_threshold, cfg->pipeline.horizon_days,
		    def->pipeline.horizon_days,
		    cfg->pipeline.model.forgetting_rls,
		    def->pipeline.model.forgetting_rls,
		    cfg->pipeline.model.forgetting_hazard,
		    def->pipeline.model.forgetting_hazard,
		    cfg->pipeline.model.l2, def->pipeline.model.l2,
		    cfg->pipeline.features.max_levels,
		    def->pipeline.features.max_levels,
		    cfg->pipeline.features.max_attr_features,
		    def->pipeline.features.max_attr_features,
		    cfg->pipeline.dedup_capacity, def->pipeline.dedup_capacity);
out:
	free(text);
	free(def);
}

int
main(void)
{
	struct config	*cfg = calloc(1, sizeof(*cfg));
	char		 dir[] = "/tmp/test_config.XXXXXX";

	pipeline_global_init();
	if (mkdtemp(dir) == NULL)
		return 1;
	test_defaults(cfg);
	test_values(cfg);
	test_errors();
	test_alert_policy(cfg);
	test_secrets(cfg, dir);
	test_secret_rule(cfg, dir);
	test_validate(cfg, dir);
	test_example(cfg);
	free(cfg);
	{
		char	p[600];

		snprintf(p, sizeof(p), "%s/sasl-password", dir);
		unlink(p);
	}
	rmdir(dir);
	return check_exit("test_config");
}
