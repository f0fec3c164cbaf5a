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
#include "../state/serial.h"

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
	if ((msg->key == NULL && msg->keylen > 0) || (msg->value == NULL && msg->len > 0))
		return -1;
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

/* Checkpoint bytes (state/serial.h): the held messages in order. */
void
heldq_save(const struct heldq *q, struct wbuf *w)
{
	wbuf_u32(w, (uint32_t)q->n);
	for (size_t i = 0; i < q->n; i++) {
		const struct held_msg *h = &q->m[i];
		const char *r = h->blob;

		wbuf_i64(w, h->time_ms);
		wbuf_i64(w, h->offset);
		wbuf_u8(w, (uint8_t)(h->has_key | h->has_value << 1));
		wbuf_u32(w, (uint32_t)h->keylen);
		wbuf_bytes(w, r, h->keylen);
		r += h->keylen;
		wbuf_u32(w, (uint32_t)h->len);
		wbuf_bytes(w, r, h->len);
		r += h->len;
		wbuf_u8(w, (uint8_t)h->nheaders);
		for (size_t j = 0; j < h->nheaders; j++) {
			wbuf_str(w, r);
			r += strlen(r) + 1;
			wbuf_u32(w, (uint32_t)h->hlen[j]);
			wbuf_bytes(w, r, h->hlen[j]);
			r += h->hlen[j];
		}
	}
}

/* Into an empty queue, at most max messages, each within the input's
 * limits and in time order. 0, or -1 with the reader failed. */
int
heldq_load(struct heldq *q, struct rbuf *r, size_t max)
{
	struct msg_header hdrs[HELD_HEADERS_MAX];
	char names[HELD_HEADERS_MAX][256];
	struct message m;
	uint32_t n = rbuf_u32(r), kl, vl, hl;
	int64_t t, prev = INT64_MIN;
	uint8_t flags, nh;

	if (r->failed || q->n != 0 || n > max)
		return rbuf_fail(r) - 1;
	for (uint32_t i = 0; i < n; i++) {
		memset(&m, 0, sizeof(m));
		t = rbuf_i64(r);
		m.offset = rbuf_i64(r);
		flags = rbuf_u8(r);
		kl = rbuf_u32(r);
		if (r->failed || t < prev || flags > 3 || kl > MESSAGE_MAX_BYTES)
			return rbuf_fail(r) - 1;
		m.key = rbuf_take(r, kl);
		m.keylen = kl;
		vl = rbuf_u32(r);
		if (r->failed || vl > MESSAGE_MAX_BYTES)
			return rbuf_fail(r) - 1;
		m.value = rbuf_take(r, vl);
		m.len = vl;
		nh = rbuf_u8(r);
		if (r->failed || nh > HELD_HEADERS_MAX)
			return rbuf_fail(r) - 1;
		for (uint8_t j = 0; j < nh; j++) {
			rbuf_str(r, names[j], sizeof(names[j]));
			hl = rbuf_u32(r);
			if (r->failed || hl > MESSAGE_MAX_BYTES)
				return rbuf_fail(r) - 1;
			hdrs[j].name = names[j];
			hdrs[j].value = rbuf_take(r, hl);
			hdrs[j].len = hl;
		}
		if (r->failed)
			return -1;
		if ((!(flags & 1) && kl > 0) || (!(flags & 2) && vl > 0))
			return rbuf_fail(r) - 1;
		if (!(flags & 1))
			m.key = NULL;
		if (!(flags & 2))
			m.value = NULL;
		m.headers = nh > 0 ? hdrs : NULL;
		m.nheaders = nh;
		if (heldq_push(q, &m, t) == -1)
			return rbuf_fail(r) - 1;
		prev = t;
	}
	return 0;
}
