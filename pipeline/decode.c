/*
 * decode.c: one Kafka message (CloudEvents 1.0 JSON) -> struct hr_event.
 *
 * Both content modes of the CloudEvents Kafka binding are accepted:
 *   - structured: the value is a JSON object carrying the context
 *     attributes (specversion, id, source, type, subject, time) and `data`;
 *   - binary: the attributes travel in `ce_<name>` headers, the value is the
 *     `data` JSON.
 * The binding lets the `content-type` header choose (content_mode() below):
 * a CloudEvents media type means structured, whatever other headers come
 * along (the binding allows ce_* headers beside a structured event);
 * anything else means binary. One tolerance on top: a message with no
 * CloudEvents media type and no ce_* header at all can only be a
 * structured event sent without the header, and is read as one.
 *
 * Everything CONTRACT.md promises is checked by the decoder, so the state
 * layer can trust a decoded event. This file checks the envelope: size,
 * JSON well-formedness (UTF-8, no duplicate keys, bounded depth: jansson's
 * parser limit), attribute types, printable employee ids, the key equal
 * to `subject`, RFC 3339 times in 1970..2099 (state/timeutil.c, state/table.h) and the
 * content type; decode_data.c then reads each type's data fields with
 * their JSON types and ranges. Unknown extra fields are ignored (forward
 * compatibility); JSON null counts as absent.
 *
 * Reasons written to errbuf are one line, name the field and never quote
 * the offending value: they end up in a DLQ header and in logs, and values
 * may be personal data.
 *
 * Memory: jansson's tree for the one message lives in a reused arena (see
 * arena_malloc below) and is gone before returning; strings are copied
 * into the fixed-size event. Decoding allocates nothing in steady state.
 */
#include <stdalign.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "decode_internal.h"

#define TIME_TEXT_MAX 64	/* longest accepted RFC 3339 string, bytes */
#define TYPE_TEXT_MAX 64	/* longest event type name looked up */

static const char *const reason_names[DR__COUNT] = {
	[DR_TOO_LARGE]     = "too_large",
	[DR_NOT_JSON]      = "not_json",
	[DR_MISSING_FIELD] = "missing_field",
	[DR_BAD_TYPE]      = "bad_type",
	[DR_OUT_OF_RANGE]  = "out_of_range",
	[DR_UNKNOWN_TYPE]  = "unknown_type",
	[DR_BAD_ID]        = "bad_id",
	[DR_KEY_MISMATCH]  = "key_mismatch",
	[DR_BAD_TIME]      = "bad_time",
	[DR_TOO_LONG]      = "too_long",
};

/*
 * Records the reason code and a one-line message; always returns -1 so
 * callers can `return decode_fail(...)`.
 */
int
decode_fail(struct dctx *c, int reason, const char *fmt, ...)
{
	va_list ap;

	c->reason = reason;
	if (c->errbuf != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(c->errbuf, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- text checks ------------------------------------------------------ */

/*
 * Decodes one UTF-8 sequence at s[0..n). Returns its length and the code
 * point in *cp, or 0 when the sequence is invalid (truncated, overlong,
 * surrogate, above U+10FFFF).
 */
static size_t
utf8_next(const unsigned char *s, size_t n, unsigned long *cp)
{
	unsigned long c, min;
	size_t len, i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2; c &= 0x1f; min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3; c &= 0x0f; min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4; c &= 0x07; min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * 1 if p[0..n) is valid UTF-8 without the characters CloudEvents 1.0
 * disallows in strings: C0 and C1 controls, DEL, noncharacters. (Surrogates
 * cannot occur in valid UTF-8.)
 */
int
decode_text_ok(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	unsigned long cp;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_next(s + i, n - i, &cp)) == 0)
			return 0;
		i += k;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return 0;
		if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
			return 0;
	}
	return 1;
}

/* Returns 1 if s[0..len) is an employee id: 1..EMPLOYEE_ID_MAX bytes of
 * printable UTF-8 (no controls, noncharacters or invisible format
 * characters), else 0. s is borrowed. */
int
decode_valid_employee_id(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned long cp;
	size_t i, k;

	if (s == NULL || len == 0 || len > EMPLOYEE_ID_MAX || !decode_text_ok(s, len))
		return 0;
	/* Invisible format characters (soft hyphen, zero-width, bidi
	 * controls, BOM) would let two ids look alike: not printable. */
	for (i = 0; i < len; i += k) {
		k = utf8_next(u + i, len - i, &cp);
		if (cp == 0xad || (cp >= 0x200b && cp <= 0x200f) ||
		    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
		    cp == 0xfeff)
			return 0;
	}
	return 1;
}

/* Copies t into dst[cap] with a NUL; the caller checked t.n < cap. */
void
decode_text_copy(char *dst, size_t cap, struct text t)
{
	size_t n = t.n < cap ? t.n : cap - 1;

	memcpy(dst, t.p, n);
	dst[n] = '\0';
}

/* Returns the static snake_case label of a decode_reason, "unknown" if out
 * of range. */
const char *
decode_reason_name(int r)
{
	if (r < 0 || r >= DR__COUNT)
		return "unknown";
	return reason_names[r];
}

/* ---- context attributes ------------------------------------------------ */

/* The header named name, NULL if absent; *dup set when it occurs twice. */
static const struct msg_header *
header_find(const struct message *msg, const char *name, int *dup)
{
	const struct msg_header *found = NULL;
	size_t i;

	*dup = 0;
	for (i = 0; i < msg->nheaders; i++) {
		if (msg->headers[i].name == NULL ||
		    strcmp(msg->headers[i].name, name) != 0)
			continue;
		if (found != NULL)
			*dup = 1;
		else
			found = &msg->headers[i];
	}
	return found;
}

/*
 * Fetches context attribute `name` as a string from the JSON root
 * (structured mode) or the ce_<name> header (binary mode). Returns 1 when
 * present, 0 when absent, -1 on a wrong type (reason recorded).
 */
static int
attr_get(struct dctx *c, const struct message *msg, json_t *root,
    const char *name, struct text *out)
{
	const struct msg_header *h;
	char hname[32];
	json_t *v;
	int dup;

	if (c->binary) {
		snprintf(hname, sizeof(hname), "ce_%s", name);
		if ((h = header_find(msg, hname, &dup)) == NULL || h->value == NULL)
			return 0;
		if (dup)
			return decode_fail(c, DR_BAD_TYPE,
			    "%s: header occurs more than once", hname);
		out->p = h->value;
		out->n = h->len;
		return 1;
	}
	v = json_object_get(root, name);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return decode_fail(c, DR_BAD_TYPE, "%s: must be a string", name);
	out->p = json_string_value(v);
	out->n = json_string_length(v);
	return 1;
}

/* attr_get() that records a missing attribute as a failure. */
static int
attr_required(struct dctx *c, const struct message *msg, json_t *root,
    const char *name, struct text *out)
{
	int r = attr_get(c, msg, root, name, out);

	if (r == 0)
		return decode_fail(c, DR_MISSING_FIELD, "%s%s: required attribute missing",
		    c->binary ? "ce_" : "", name);
	return r < 0 ? -1 : 0;
}

/* A non-empty CloudEvents string of at most max bytes, copied to dst. */
static int
attr_string(struct dctx *c, const char *name, struct text t, char *dst, size_t max)
{
	const char *pre = c->binary ? "ce_" : "";

	if (t.n == 0)
		return decode_fail(c, DR_BAD_TYPE, "%s%s: must not be empty", pre, name);
	if (t.n > max)
		return decode_fail(c, DR_TOO_LONG, "%s%s: longer than %zu bytes", pre, name, max);
	if (!decode_text_ok(t.p, t.n))
		return decode_fail(c, DR_BAD_TYPE, "%s%s: invalid UTF-8 or control characters",
		    pre, name);
	decode_text_copy(dst, max + 1, t);
	return 0;
}

/* 1 if a media type (with optional parameters) names JSON. */
static int
media_type_is_json(const char *p, size_t n)
{
	size_t end = 0;

	while (end < n && p[end] != ';')
		end++;
	while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
		end--;
	if (end == 16 && strncasecmp(p, "application/json", 16) == 0)
		return 1;
	return end > 5 && memchr(p, '/', end) != NULL &&
	    strncasecmp(p + end - 5, "+json", 5) == 0;
}

/* ---- jansson's memory ---------------------------------------------------- */

/*
 * The parse tree is the only per-event allocation on the hot path, so
 * decode_event() gives jansson a reused buffer for the duration of one call:
 * a bump allocator over a static arena, reset when the call returns (by then
 * the tree has been released). jansson's allocator hooks are process-wide,
 * so the arena serves only the thread that holds it (a thread-local flag)
 * and only one thread at a time (an atomic flag); everyone else, and any
 * request that does not fit, gets malloc(). Freeing an arena pointer is a
 * no-op, anything else goes to free(). Under AddressSanitizer the arena is
 * off so that the sanitizer sees every allocation.
 */
#if defined(__SANITIZE_ADDRESS__)
#define DECODE_ARENA 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DECODE_ARENA 0
#endif
#endif
#ifndef DECODE_ARENA
#define DECODE_ARENA 1
#endif

#define ARENA_BYTES (1024 * 1024)	/* a 64 KiB message needs well under this */

static alignas(16) char		arena_buf[ARENA_BYTES];
static size_t			arena_used;	/* only by the holder */
static atomic_flag		arena_busy = ATOMIC_FLAG_INIT;
static _Thread_local int	arena_mine;	/* this thread holds it */

static void *
arena_malloc(size_t n)
{
	size_t need = (n + 15) & ~(size_t)15;
	void *p;

	if (!arena_mine || need < n || need > ARENA_BYTES - arena_used)
		return malloc(n);
	p = arena_buf + arena_used;
	arena_used += need;
	return p;
}

static void
arena_free(void *p)
{
	if ((char *)p >= arena_buf && (char *)p < arena_buf + ARENA_BYTES)
		return;		/* released all at once when the holder is done */
	free(p);
}

/* Set once by pipeline_global_init() before any thread decodes; until
 * then (a program that skipped it) decoding still works, on malloc(). */
static int			arena_hooked;

/* Takes the arena for this thread if it is free. Returns 1 if taken. */
static int
arena_take(void)
{
	if (!arena_hooked)
		return 0;
	if (atomic_flag_test_and_set(&arena_busy))
		return 0;
	arena_used = 0;
	arena_mine = 1;
	return 1;
}

static void
arena_drop(void)
{
	arena_mine = 0;
	arena_used = 0;
	atomic_flag_clear(&arena_busy);
}

/*
 * Process-wide settings of the pipeline and the layer below, made once at
 * start-up (pipeline.h): jansson's allocator hooks for the arena and the
 * model's (GSL's error handler). jansson keeps its hooks in plain globals,
 * so changing them while another thread (HTTP) is inside jansson would be
 * a data race: hence once, before any thread uses the pipeline. Objects
 * jansson allocated earlier are still freed correctly (arena_free() hands
 * them to free()).
 */
void
pipeline_global_init(void)
{
	if (DECODE_ARENA && !arena_hooked) {
		json_set_alloc_funcs(arena_malloc, arena_free);
		arena_hooked = 1;
	}
	model_global_init();
}

/* ---- the message ------------------------------------------------------- */

/* Parses len bytes of JSON into a new object (*out), or fails. */
static int
parse_object(struct dctx *c, const char *what, const void *buf, size_t len,
    json_t **out)
{
	json_error_t err;
	json_t *j;

	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		switch (json_error_code(&err)) {
		case json_error_invalid_utf8:
			return decode_fail(c, DR_NOT_JSON, "%s: invalid UTF-8", what);
		case json_error_null_character:
		case json_error_null_byte_in_key:
			return decode_fail(c, DR_NOT_JSON, "%s: NUL character in a string", what);
		case json_error_duplicate_key:
			return decode_fail(c, DR_NOT_JSON,
			    "%s: duplicate object key (line %d, column %d)",
			    what, err.line, err.column);
		case json_error_stack_overflow:
			return decode_fail(c, DR_NOT_JSON, "%s: nested too deeply", what);
		case json_error_numeric_overflow:
			return decode_fail(c, DR_OUT_OF_RANGE,
			    "%s: number too large (line %d, column %d)",
			    what, err.line, err.column);
		case json_error_out_of_memory:
			return decode_fail(c, DR_TOO_LARGE,
			    "%s: out of memory while parsing", what);
		default:
			return decode_fail(c, DR_NOT_JSON,
			    "%s: not valid JSON (line %d, column %d)",
			    what, err.line, err.column);
		}
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return decode_fail(c, DR_BAD_TYPE, "%s: must be a JSON object", what);
	}
	*out = j;
	return 0;
}

/* Total bytes of the message: value, key and headers. */
static size_t
message_size(const struct message *msg)
{
	size_t n = msg->len + msg->keylen, i;

	for (i = 0; i < msg->nheaders; i++)
		n += msg->headers[i].len +
		    (msg->headers[i].name != NULL ? strlen(msg->headers[i].name) : 0);
	return n;
}

/* The content-type header (name matched case-insensitively), NULL when
 * absent or without a value. */
static const struct msg_header *
content_type_header(const struct message *msg)
{
	size_t i;

	for (i = 0; i < msg->nheaders; i++)
		if (msg->headers[i].name != NULL && msg->headers[i].value != NULL &&
		    strcasecmp(msg->headers[i].name, "content-type") == 0)
			return &msg->headers[i];
	return NULL;
}

/* 1 if some header is named ce_<something>. */
static int
has_ce_header(const struct message *msg)
{
	size_t i;

	for (i = 0; i < msg->nheaders; i++)
		if (msg->headers[i].name != NULL &&
		    strncmp(msg->headers[i].name, "ce_", 3) == 0)
			return 1;
	return 0;
}

#define CE_MEDIA_TYPE "application/cloudevents"

/*
 * Sets c->binary by the Kafka binding's rule (section 3): a content-type
 * that starts with the CloudEvents media type, case-insensitively, means
 * structured mode, anything else binary; with neither that media type nor
 * a ce_* header, structured (the tolerance in the file comment). Of the
 * event formats only JSON is known here: `application/cloudevents` alone
 * or `+json`, with optional parameters; any other (`+avro`, the batch type
 * `application/cloudevents-batch+json`) is rejected rather than guessed at.
 * Otherwise a content-type, if present, is the value's media type and must
 * name JSON. Returns 0 or -1.
 */
static int
content_mode(struct dctx *c, const struct message *msg)
{
	const struct msg_header *ct = content_type_header(msg);
	const size_t pre = sizeof(CE_MEDIA_TYPE) - 1;
	const char *p = NULL;
	size_t n = 0, end;

	if (ct != NULL) {
		p = ct->value;
		n = ct->len;
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
	}
	if (p != NULL && n >= pre && strncasecmp(p, CE_MEDIA_TYPE, pre) == 0) {
		c->binary = 0;
		for (end = pre; end < n && p[end] != ';'; end++)
			;
		while (end > pre && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (end != pre && !(end - pre == 5 && strncasecmp(p + pre, "+json", 5) == 0))
			return decode_fail(c, DR_BAD_TYPE,
			    "content-type: only the JSON event format is supported");
		return 0;
	}
	c->binary = has_ce_header(msg);
	if (p != NULL && !media_type_is_json(p, n))
		return decode_fail(c, DR_BAD_TYPE, "content-type: data must be JSON");
	return 0;
}

/* Everything after parsing; root is the CloudEvent (structured) or NULL. */
static int
decode_attrs(struct dctx *c, const struct message *msg, json_t *root,
    struct hr_event *ev)
{
	struct text spec = { 0 }, id = { 0 }, source = { 0 }, type = { 0 },
	    subject = { 0 }, when = { 0 };
	char buf[TIME_TEXT_MAX];
	const char *pre = c->binary ? "ce_" : "";

	if (attr_required(c, msg, root, "specversion", &spec) ||
	    attr_required(c, msg, root, "id", &id) ||
	    attr_required(c, msg, root, "source", &source) ||
	    attr_required(c, msg, root, "type", &type) ||
	    attr_required(c, msg, root, "subject", &subject) ||
	    attr_required(c, msg, root, "time", &when))
		return -1;
	if (spec.n != 3 || memcmp(spec.p, "1.0", 3) != 0)
		return decode_fail(c, DR_BAD_TYPE, "%sspecversion: must be \"1.0\"", pre);
	if (attr_string(c, "id", id, ev->id, EVENT_ID_MAX) ||
	    attr_string(c, "source", source, ev->source, EVENT_SOURCE_MAX))
		return -1;

	if (subject.n > EMPLOYEE_ID_MAX)
		return decode_fail(c, DR_TOO_LONG, "%ssubject: longer than %d bytes", pre,
		    EMPLOYEE_ID_MAX);
	if (!decode_valid_employee_id(subject.p, subject.n))
		return decode_fail(c, DR_BAD_ID, "%ssubject: not a valid employee id", pre);
	if (msg->key != NULL && msg->keylen > 0 &&
	    (msg->keylen != subject.n || memcmp(msg->key, subject.p, subject.n) != 0))
		return decode_fail(c, DR_KEY_MISMATCH,
		    "%ssubject: does not equal the message key", pre);
	decode_text_copy(ev->subject, sizeof(ev->subject), subject);

	if (when.n >= sizeof(buf) || memchr(when.p, '\0', when.n) != NULL)
		return decode_fail(c, DR_BAD_TIME, "%stime: not an RFC 3339 timestamp", pre);
	decode_text_copy(buf, sizeof(buf), when);
	if (time_parse_rfc3339(buf, &ev->time_ms) < 0)
		return decode_fail(c, DR_BAD_TIME,
		    "%stime: not an RFC 3339 timestamp in years 1970..9999", pre);
	/* the record's 32-bit seconds reach 2106 (state/table.h) */
	if (ev->time_ms >= EMP_TIME_LIMIT_MS)
		return decode_fail(c, DR_BAD_TIME,
		    "%stime: after 2099, beyond what records keep", pre);

	if (type.n >= TYPE_TEXT_MAX || memchr(type.p, '\0', type.n) != NULL)
		return decode_fail(c, DR_UNKNOWN_TYPE, "%stype: unknown event type", pre);
	decode_text_copy(buf, sizeof(buf), type);
	if (event_type_parse(buf, &ev->type) < 0)
		return decode_fail(c, DR_UNKNOWN_TYPE, "%stype: unknown event type", pre);
	return 0;
}

/* Structured mode: the `data` member of root (borrowed, NULL when absent)
 * into *data, after checking that it is JSON. Returns 0 or -1. */
static int
structured_data(struct dctx *c, json_t *root, json_t **data)
{
	json_t *v = decode_field(root, "datacontenttype");

	if (v != NULL && (!json_is_string(v) ||
	    !media_type_is_json(json_string_value(v), json_string_length(v))))
		return decode_fail(c, DR_BAD_TYPE, "datacontenttype: data must be JSON");
	*data = decode_field(root, "data");
	if (*data == NULL && decode_field(root, "data_base64") != NULL)
		return decode_fail(c, DR_BAD_TYPE, "data_base64: data must be a JSON object");
	if (*data != NULL && !json_is_object(*data))
		return decode_fail(c, DR_BAD_TYPE, "data: must be a JSON object");
	return 0;
}

/*
 * Decodes msg (borrowed) into *ev (caller's, initialised here). Returns 0,
 * or -1 with a one-line reason in errbuf and the enum decode_reason in
 * *reason_code (when not NULL; untouched on success).
 */
int
decode_event(const struct message *msg, struct hr_event *ev,
    char *errbuf, size_t errlen, int *reason_code)
{
	struct dctx c = { errbuf, errlen, DR_NOT_JSON, 0 };
	json_t *root = NULL, *parsed = NULL, *data = NULL;
	int rc = -1, arena = arena_take();

	event_init(ev);
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (message_size(msg) > MESSAGE_MAX_BYTES) {
		decode_fail(&c, DR_TOO_LARGE, "message: larger than %d bytes", MESSAGE_MAX_BYTES);
		goto out;
	}
	if (content_mode(&c, msg) < 0)
		goto out;

	if (!c.binary) {
		if (msg->value == NULL || msg->len == 0) {
			decode_fail(&c, DR_NOT_JSON, "message: empty value");
			goto out;
		}
		if (parse_object(&c, "message", msg->value, msg->len, &parsed) < 0)
			goto out;
		root = parsed;
	}

	if (decode_attrs(&c, msg, root, ev) < 0)
		goto out;

	if (c.binary) {
		if (msg->value != NULL && msg->len > 0) {
			if (parse_object(&c, "data", msg->value, msg->len, &parsed) < 0)
				goto out;
			data = parsed;
		}
	} else if (structured_data(&c, root, &data) < 0)
		goto out;
	if (data == NULL && ev->type != EV_ERASED) {
		decode_fail(&c, DR_MISSING_FIELD, "data: required for this event type");
		goto out;
	}
	if (decode_data(&c, data, ev) < 0)
		goto out;
	rc = 0;
out:
	json_decref(parsed);
	if (arena)
		arena_drop();
	if (rc < 0 && reason_code != NULL)
		*reason_code = c.reason;
	return rc;
}
