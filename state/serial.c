/*
 * serial.c: little-endian writer and bounds-checked reader (serial.h), and
 * CRC-32C for checkpoint integrity.
 *
 * CRC-32C rather than a plain CRC-32: it is what Kafka's record batches
 * use, so the same check guards a checkpoint on disk and on its topic. A
 * table of 256 entries built on first use is fast enough for files of a
 * few hundred MB; nothing here is on the per-event path.
 */
#include <stdlib.h>
#include <string.h>

#include "serial.h"

void
wbuf_init(struct wbuf *w)
{
	memset(w, 0, sizeof(*w));
}

void
wbuf_free(struct wbuf *w)
{
	free(w->p);
	wbuf_init(w);
}

/* Returns room for n more bytes at w->p + w->len, or NULL (failed). */
static uint8_t *
wbuf_room(struct wbuf *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 4096;
	uint8_t *p;

	if (w->failed)
		return NULL;
	if (n > SIZE_MAX / 2 - w->len) {
		w->failed = 1;
		return NULL;
	}
	if (w->len + n > w->cap) {
		while (cap < w->len + n)
			cap *= 2;
		if ((p = realloc(w->p, cap)) == NULL) {
			w->failed = 1;
			return NULL;
		}
		w->p = p;
		w->cap = cap;
	}
	return w->p + w->len;
}

/* Appends the low n bytes of v, least significant first. */
static void
put_le(struct wbuf *w, uint64_t v, size_t n)
{
	uint8_t *p = wbuf_room(w, n);

	if (p == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	w->len += n;
}

void wbuf_u8(struct wbuf *w, uint8_t v)   { put_le(w, v, 1); }
void wbuf_u16(struct wbuf *w, uint16_t v) { put_le(w, v, 2); }
void wbuf_u32(struct wbuf *w, uint32_t v) { put_le(w, v, 4); }
void wbuf_u64(struct wbuf *w, uint64_t v) { put_le(w, v, 8); }
void wbuf_i64(struct wbuf *w, int64_t v)  { put_le(w, (uint64_t)v, 8); }

void
wbuf_f64(struct wbuf *w, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	put_le(w, bits, 8);
}

void
wbuf_bytes(struct wbuf *w, const void *b, size_t n)
{
	uint8_t *p = wbuf_room(w, n);

	if (p == NULL || n == 0)
		return;
	memcpy(p, b, n);
	w->len += n;
}

void
wbuf_str(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);

	if (n > UINT32_MAX) {
		w->failed = 1;
		return;
	}
	wbuf_u32(w, (uint32_t)n);
	wbuf_bytes(w, s, n);
}

size_t
wbuf_mark_u32(struct wbuf *w)
{
	size_t at = w->len;

	wbuf_u32(w, 0);
	return at;
}

void
wbuf_patch_u32(struct wbuf *w, size_t at, uint32_t v)
{
	if (w->failed || at + 4 > w->len)
		return;
	for (int i = 0; i < 4; i++)
		w->p[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

void
rbuf_init(struct rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->failed = 0;
}

int
rbuf_fail(struct rbuf *r)
{
	r->failed = 1;
	return 0;
}

size_t
rbuf_left(const struct rbuf *r)
{
	return r->failed ? 0 : r->len - r->pos;
}

const void *
rbuf_take(struct rbuf *r, size_t n)
{
	const void *p;

	if (r->failed || n > r->len - r->pos) {
		r->failed = 1;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

/* Reads n bytes as a little-endian unsigned value; 0 when short. */
static uint64_t
get_le(struct rbuf *r, size_t n)
{
	const uint8_t *p = rbuf_take(r, n);
	uint64_t v = 0;

	if (p == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint8_t  rbuf_u8(struct rbuf *r)  { return (uint8_t)get_le(r, 1); }
uint16_t rbuf_u16(struct rbuf *r) { return (uint16_t)get_le(r, 2); }
uint32_t rbuf_u32(struct rbuf *r) { return (uint32_t)get_le(r, 4); }
uint64_t rbuf_u64(struct rbuf *r) { return get_le(r, 8); }
int64_t  rbuf_i64(struct rbuf *r) { return (int64_t)get_le(r, 8); }

double
rbuf_f64(struct rbuf *r)
{
	uint64_t bits = get_le(r, 8);
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

void
rbuf_bytes(struct rbuf *r, void *out, size_t n)
{
	const void *p = rbuf_take(r, n);

	if (p == NULL) {
		memset(out, 0, n);
		return;
	}
	memcpy(out, p, n);
}

void
rbuf_str(struct rbuf *r, char *out, size_t cap)
{
	uint32_t n = rbuf_u32(r);
	const char *p;

	out[0] = '\0';
	if (r->failed || (size_t)n >= cap) {
		r->failed = 1;
		return;
	}
	if ((p = rbuf_take(r, n)) == NULL)
		return;
	if (memchr(p, '\0', n) != NULL) {
		r->failed = 1;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The SSE4.2 crc32 instruction computes the same CRC-32C 8 bytes at a
 * time (a checkpoint of a million employees is ~350 MB: the table loop
 * below was half of a restore). Only called when the CPU has it. */
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = crc, w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, sizeof(w));
		c = __builtin_ia32_crc32di(c, w);
	}
	for (; n > 0; n--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}
#define CRC32C_HW() __builtin_cpu_supports("sse4.2")
#else
#define crc32c_hw(crc, p, n) (crc)
#define CRC32C_HW() 0
#endif

/* Reflected CRC-32C, polynomial 0x82F63B78. */
uint32_t
serial_crc32c(uint32_t crc, const void *buf, size_t n)
{
	static uint32_t table[256];
	static int ready;	/* 1 table built, 2 and the CPU has crc32 */
	const uint8_t *p = buf;
	int r;

	if ((r = __atomic_load_n(&ready, __ATOMIC_ACQUIRE)) == 0) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;

			for (int k = 0; k < 8; k++)
				c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
			table[i] = c;
		}
		r = CRC32C_HW() ? 2 : 1;
		__atomic_store_n(&ready, r, __ATOMIC_RELEASE);
	}
	if (r == 2)
		return ~crc32c_hw(~crc, p, n);
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
