/*
 * replay.c: a JSONL file of events through the real pipeline, no Kafka.
 *
 * Each non-blank input line is one message value (a structured-mode
 * CloudEvent), without a key, on partition 0 of topic "replay" at offset =
 * line number. Every output is one line on stdout:
 *   {"topic": T, "key": K, "value": <the JSON output>}
 *   {"topic": DLQ, "key": null, "error": WHY, "source": {...}, "value": "<line>"}
 * and at the end the final estimates and, with dump_scores, one
 * {"topic": "scores", ...} line per employee in state. Golden tests,
 * evaluation and benchmarks all go through here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "daemon.h"

struct replay_ctx {
	const struct config	*cfg;
	FILE			*out;
	int			 dumping;	/* outputs are score lines */
};

/* Writes s as a JSON string; bytes that are not UTF-8 are shown as
 * \u00XX (their Latin-1 reading) so that the line stays valid JSON. */
static void
put_string(FILE *f, const char *s, size_t len)
{
	json_t	*j;
	char	*txt;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	if ((j = json_stringn(s, len)) != NULL &&
	    (txt = json_dumps(j, JSON_ENCODE_ANY)) != NULL) {
		fputs(txt, f);
		free(txt);
		json_decref(j);
		return;
	}
	json_decref(j);
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *
topic_of(const struct replay_ctx *r, enum output_kind k)
{
	if (r->dumping)
		return "scores";
	switch (k) {
	case OUT_ALERT:		return r->cfg->topic_alerts;
	case OUT_SUGGESTION:	return r->cfg->topic_suggestions;
	case OUT_ESTIMATES:	return r->cfg->topic_estimates;
	case OUT_DLQ:		return r->cfg->topic_dlq;
	default:		return "unknown";
	}
}

static int
emit(void *arg, const struct output *o)
{
	struct replay_ctx *r = arg;
	FILE *f = r->out;

	fputs("{\"topic\":", f);
	put_string(f, topic_of(r, o->kind), strlen(topic_of(r, o->kind)));
	fputs(",\"key\":", f);
	put_string(f, o->key, o->keylen);
	if (o->kind == OUT_DLQ) {
		fputs(",\"error\":", f);
		put_string(f, o->error, strlen(o->error));
		fprintf(f, ",\"source\":{\"topic\":\"replay\",\"partition\":%d,\"offset\":%lld}"
		    ",\"value\":", (int)o->source_partition, (long long)o->source_offset);
		put_string(f, o->value, o->len);
	} else {
		fputs(",\"value\":", f);
		if (o->value == NULL)
			fputs("null", f);	/* a tombstone */
		else
			fwrite(o->value, 1, o->len, f);
	}
	fputs("}\n", f);
	return ferror(f) ? -1 : 0;
}

int
replay_run(const struct config *cfg, const char *path, int dump_scores,
    int64_t score_at_ms)
{
	struct replay_ctx	 r = { cfg, stdout, 0 };
	struct pipeline		*p;
	struct message		 m;
	FILE			*in;
	char			*line = NULL, errbuf[512];
	size_t			 cap = 0;
	ssize_t			 len;
	long long		 lineno = 0;
	uint64_t		 refused = 0;	/* employees_refused logged */
	int			 rc = -1;
	int64_t			 now_ms = (int64_t)time(NULL) * 1000;

	if (strcmp(path, "-") == 0)
		in = stdin;
	else if ((in = fopen(path, "r")) == NULL) {
		log_warn("replay: %s", path);
		return -1;
	}
	if ((p = pipeline_new(&cfg->pipeline, errbuf, sizeof(errbuf))) == NULL) {
		log_warnx("replay: %s", errbuf);
		goto done;
	}
	while ((len = getline(&line, &cap, in)) != -1) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		memset(&m, 0, sizeof(m));
		m.value = line;
		m.len = (size_t)len;
		m.topic = "replay";
		m.offset = lineno;
		m.wall_ms = now_ms;	/* a replay of history holds nothing */
		/* one file in order: never held, epochs entered as they come */
		if (pipeline_run_all(p, &m, emit, &r) == PIPE_ERROR) {
			log_warnx("replay: output failed at line %lld", lineno);
			goto done;
		}
	}
	if (ferror(in)) {
		log_warn("replay: reading %s", path);
		goto done;
	}
	daemon_report_limits(p, &refused);
	if (pipeline_finish(p, emit, &r) == -1)
		goto done;
	if (dump_scores) {
		r.dumping = 1;
		if (pipeline_dump_scores(p, score_at_ms, emit, &r) == -1)
			goto done;
	}
	rc = fflush(stdout) == 0 ? 0 : -1;
done:
	pipeline_free(p);
	free(line);
	if (in != stdin)
		fclose(in);
	return rc;
}
