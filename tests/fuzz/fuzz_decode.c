/*
 * fuzz_decode.c: libFuzzer target for pipeline/decode.c.
 *
 * Input layout (so that one byte string can reach every mode):
 *   byte 0: flags
 *     bit 0  a Kafka key follows: byte 1 is its length L, then L bytes
 *     bit 1  binary content mode: the rest is split at '\n' into the values
 *            of ce_specversion, ce_id, ce_source, ce_type, ce_subject,
 *            ce_time (and content-type with bit 2); what follows the last
 *            split is the Kafka value
 *     bit 2  binary mode also carries a content-type header
 *     bit 3  the rest is also given to time_parse_rfc3339() as a string
 *     bit 4  binary mode: the key is the ce_subject value (reaches the
 *            accepting path that a random key would rarely match)
 *   otherwise the rest is the Kafka value (structured mode).
 * Every piece is copied into its own exactly-sized heap buffer so that
 * AddressSanitizer sees any read past a field.
 *
 * Beyond "does not crash", each run checks the decoder's promises: a
 * rejection has a known reason code and a one-line, non-empty reason; an
 * accepted event has a valid subject equal to the key, bounded strings, a
 * time that survives time_format_rfc3339() -> time_parse_rfc3339(), and data
 * within the ranges of CONTRACT.md. FUZZ_DECODE_VERBOSE=1 prints each verdict.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../pipeline/pipeline.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NHDR 7

static const char *const hdr_names[NHDR] = {
	"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject",
	"ce_time", "content-type"
};

static void
require(int cond)
{
	if (!cond)
		abort();
}

static void *
dup_bytes(const uint8_t *p, size_t n)
{
	void *b = malloc(n ? n : 1);

	require(b != NULL);
	if (n)
		memcpy(b, p, n);
	return b;
}

static int
in_range(double x, double lo, double hi)
{
	return !isnan(x) && x >= lo && x <= hi;
}

static int
bounded(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void
check_accepted(const struct hr_event *ev, const void *key, size_t keylen)
{
	char buf[64];
	int64_t back = -1;
	size_t n;
	int i;

	require(ev->type >= 0 && ev->type < EV__COUNT);
	require(bounded(ev->id, sizeof(ev->id)) && ev->id[0] != '\0');
	require(bounded(ev->source, sizeof(ev->source)) && ev->source[0] != '\0');
	require(bounded(ev->subject, sizeof(ev->subject)));
	n = strlen(ev->subject);
	require(decode_valid_employee_id(ev->subject, n));
	if (key != NULL && keylen > 0)
		require(keylen == n && memcmp(key, ev->subject, n) == 0);
	require(ev->time_ms >= 0);
	time_format_rfc3339(ev->time_ms, buf, sizeof(buf));
	require(time_parse_rfc3339(buf, &back) == 0 && back == ev->time_ms);
	require(ev->nattrs >= 0 && ev->nattrs <= EVENT_ATTRS_MAX);
	for (i = 0; i < ev->nattrs; i++) {
		require(bounded(ev->attrs[i].name, EVENT_STR_MAX) && ev->attrs[i].name[0]);
		require(ev->attrs[i].is_num ? isfinite(ev->attrs[i].num) :
		    bounded(ev->attrs[i].str, EVENT_STR_MAX));
	}
	switch (ev->type) {
	case EV_HIRED:
		require(ev->department[0] != '\0' && ev->job_level >= 1 && ev->job_level <= 15);
		require(in_range(ev->salary, 0, INFINITY));
		break;
	case EV_REVIEW:
		require(in_range(ev->rating, 1, 5));
		require(isnan(ev->potential) || in_range(ev->potential, 1, 3));
		break;
	case EV_SURVEY:
		require(in_range(ev->satisfaction, 0, 100));
		require(isnan(ev->engagement) || in_range(ev->engagement, 0, 100));
		break;
	case EV_COMPENSATION:
		require(isfinite(ev->amount));
		break;
	case EV_TRAINING:
		require(in_range(ev->hours, 0, INFINITY));
		require(isnan(ev->assessment) || in_range(ev->assessment, 0, 100));
		break;
	case EV_PROMOTION:
		require(ev->job_level >= 1 && ev->job_level <= 15);
		break;
	case EV_MANAGER:
		require(decode_valid_employee_id(ev->manager_id, strlen(ev->manager_id)));
		break;
	default:
		break;
	}
}

static void
check_rejected(int reason, const char *err)
{
	const char *p;

	require(reason >= 0 && reason < DR__COUNT);
	require(err[0] != '\0');
	for (p = err; *p; p++)
		require((unsigned char)*p >= 0x20);
}

/* The process-wide settings, as the daemon makes them: with the decode
 * arena on (non-sanitizer replays), the fuzzer decodes through it. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pipeline_global_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_header hdr[NHDR];
	void *pieces[NHDR + 2] = { 0 };
	char err[ERRBUF_MAX];
	struct message m;
	struct hr_event ev;
	uint8_t flags;
	size_t i, nh = 0, np = 0;
	int reason = -1, rc;

	if (size == 0)
		return 0;
	flags = data[0];
	data++, size--;
	memset(&m, 0, sizeof(m));
	m.topic = "hr.events";

	if ((flags & 1) && size > 0) {
		size_t l = data[0] < size - 1 ? data[0] : size - 1;

		m.key = pieces[np++] = dup_bytes(data + 1, l);
		m.keylen = l;
		data += 1 + l;
		size -= 1 + l;
	}
	if (flags & 8) {
		char *s = malloc(size + 1);
		int64_t ms;

		require(s != NULL);
		memcpy(s, data, size);
		s[size] = '\0';
		if (time_parse_rfc3339(s, &ms) == 0) {
			char buf[64];
			int64_t back = -1;

			require(ms >= 0);
			time_format_rfc3339(ms, buf, sizeof(buf));
			require(time_parse_rfc3339(buf, &back) == 0 && back == ms);
		}
		free(s);
	}
	if (flags & 2) {
		size_t want = (flags & 4) ? NHDR : NHDR - 1;

		for (i = 0; i < want; i++) {
			const uint8_t *nl = memchr(data, '\n', size);
			size_t l;

			if (nl == NULL)
				break;
			l = (size_t)(nl - data);
			hdr[nh].name = hdr_names[i];
			hdr[nh].value = pieces[np++] = dup_bytes(data, l);
			hdr[nh].len = l;
			nh++;
			data += l + 1;
			size -= l + 1;
		}
		if ((flags & 16) && nh > 4) {
			m.key = hdr[4].value;
			m.keylen = hdr[4].len;
		}
		m.headers = hdr;
		m.nheaders = nh;
	}
	m.value = pieces[np++] = dup_bytes(data, size);
	m.len = size;

	rc = decode_event(&m, &ev, err, sizeof(err), &reason);
	require(rc == 0 || rc == -1);
	if (rc == 0)
		check_accepted(&ev, m.key, m.keylen);
	else
		check_rejected(reason, err);
	if (getenv("FUZZ_DECODE_VERBOSE") != NULL)	/* to inspect a corpus */
		fprintf(stderr, "%s\n", rc == 0 ? "accepted" : err);
	for (i = 0; i < np; i++)
		free(pieces[i]);
	return 0;
}
