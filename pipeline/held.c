/*
 * held.c: a shard's future-dated events, held until the shard's clock
 * reaches their time (DESIGN.md, "Time that cannot be poisoned").
 *
 * An event dated later than the wall clock plus [time]
 * future_tolerance_seconds (a raise effective next month) must not move
 * the shard's clock, so the pipeline keeps the message here, bounded by
 * [time] max_held per shard, and applies it once an event at or after its
 * time has been applied. A held message is kept as its bytes (key, value,
 * headers) and decoded again when it is applied, so what is held is what
 * a checkpoint writes. Kept sorted by (time, arrival): equal times apply in
 * the order they came.
 */
#include <stdlib.h>
#include <string.h>

#include "stages.h"

/* One message's bytes in one allocation: key, value, then each header's
 * name (NUL-terminated) and value. */
struct held_msg {
	int64_t		 time_ms;
	uint64_t	 seq;		/* arrival */
	int64_t		 offset;
	size_t		 keylen, len, nheaders;
	size_t		 hlen[HELD_HEADERS_MAX];	/* value lengths */
	int		 has_key, has_value;
	char		*blob;
	size_t		 bloblen;
};

struct heldq {
	struct held_msg	*m;		/* sorted by (time, seq) */
	size_t		 n, cap;
	uint64_t	 seq;
};

struct heldq *
heldq_new(void)
{
	return calloc(1, sizeof(struct heldq));
}

void
heldq_free(struct heldq *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->m[i].blob);
	free(q->m);
	free(q);
}

size_t
heldq_count(const struct heldq *q)
{
	return q->n;
}

/* The earliest held time, INT64_MAX when none. */
int64_t
heldq_next_ms(const struct heldq *q)
{
	return q->n > 0 ? q->m[0].time_ms : INT64_MAX;
}

/* Copies msg (its key, value and up to HELD_HEADERS_MAX headers) in at
 * time_ms. 0, or -1 on ENOMEM (nothing held). */
int
heldq_push(struct heldq *q, const struct message *msg, int64_t time_ms)
{
	struct held_msg h;
	size_t need, i, at, nh = msg->nheaders < HELD_HEADERS_MAX ? msg->nheaders :
	    HELD_HEADERS_MAX;
	char *w;

	memset(&h, 0, sizeof(h));
	need = msg->keylen + msg->len;
	for (i = 0; i < nh; i++)
		need += strlen(msg->headers[i].name) + 1 + msg->headers[i].len;
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16;
		struct held_msg *m = realloc(q->m, cap * sizeof(*m));

		if (m == NULL)
			return -1;
		q->m = m;
		q->cap = cap;
	}
	if ((h.blob = malloc(need + 1)) == NULL)
		return -1;
	w = h.blob;
	h.has_key = msg->key != NULL;
	h.has_value = msg->value != NULL;
	memcpy(w, msg->key ? msg->key : "", msg->keylen), w += msg->keylen;
	memcpy(w, msg->value ? msg->value : "", msg->len), w += msg->len;
	for (i = 0; i < nh; i++) {
		size_t nl = strlen(msg->headers[i].name) + 1;

		memcpy(w, msg->headers[i].name, nl), w += nl;
		if (msg->headers[i].len > 0)
			memcpy(w, msg->headers[i].value, msg->headers[i].len);
		w += msg->headers[i].len;
		h.hlen[i] = msg->headers[i].len;
	}
	h.bloblen = need;
	h.time_ms = time_ms;
	h.seq = q->seq++;
	h.offset = msg->offset;
	h.keylen = msg->keylen;
	h.len = msg->len;
	h.nheaders = nh;
	for (at = q->n; at > 0 && q->m[at - 1].time_ms > time_ms; at--)
		;
	memmove(&q->m[at + 1], &q->m[at], (q->n - at) * sizeof(*q->m));
	q->m[at] = h;
	q->n++;
	return 0;
}

/* Fills *msg (pointers into the queue's copy, and hdrs[HELD_HEADERS_MAX])
 * with the earliest held message if its time is at or before clock_ms and
 * returns 1, or 0. The copy stays until heldq_drop_first(). */
int
heldq_first_due(const struct heldq *q, int64_t clock_ms, struct message *msg,
    struct msg_header *hdrs)
{
	const struct held_msg *h;
	const char *r;

	if (q->n == 0 || q->m[0].time_ms > clock_ms)
		return 0;
	h = &q->m[0];
	r = h->blob;
	msg->key = h->has_key ? r : NULL;
	msg->keylen = h->keylen;
	r += h->keylen;
	msg->value = h->has_value ? r : NULL;
	msg->len = h->len;
	r += h->len;
	for (size_t i = 0; i < h->nheaders; i++) {
		hdrs[i].name = r;
		r += strlen(r) + 1;
		hdrs[i].value = r;
		hdrs[i].len = h->hlen[i];
		r += h->hlen[i];
	}
	msg->headers = h->nheaders > 0 ? hdrs : NULL;
	msg->nheaders = h->nheaders;
	msg->offset = h->offset;
	return 1;
}

void
heldq_drop_first(struct heldq *q)
{
	if (q->n == 0)
		return;
	free(q->m[0].blob);
	memmove(&q->m[0], &q->m[1], (q->n - 1) * sizeof(*q->m));
	q->n--;
}
