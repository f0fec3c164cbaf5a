/*
 * serial.c: little-endian writer and bounds-checked reader (serial.h), and
 * CRC-32C for checkpoint integrity.
 *
 * CRC-32C rather than a plain CRC-32: it is what Kafka's record batches
 * use, so the same check guards a checkpoint on disk and on its topic,
 * and x86-64 CPUs compute it in hardware (below). Nothing here is on the
 * per-event path; a restore waits for the CRC of the whole file.
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
/*
 * The SSE4.2 crc32 instruction computes the same CRC-32C 8 bytes at a
 * time (a checkpoint of a million employees is ~350 MB: the table loop
 * below was half of a restore). One chain of them waits for each result
 * (3 cycles), so long inputs run three chains over three lanes of
 * CRC_LANE bytes side by side and join them: the CRC register is linear,
 * so the register after lanes a, b, c is shift(shift(a) ^ b) ^ c, with b
 * and c run from 0 and shift() the effect of CRC_LANE zero bytes (a
 * linear map of the register: four byte tables, built once). Only called
 * when the CPU has the instruction.
 */
#define CRC_LANE 4096
static uint32_t crc_shift[4][256];

__attribute__((target("sse4.2"))) static uint32_t
crc32c_run(uint64_t c, const uint8_t *p, size_t n)
{
	uint64_t w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, sizeof(w));
		c = __builtin_ia32_crc32di(c, w);
	}
	for (; n > 0; n--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}

/* crc_shift[k][b]: the register b << 8k after CRC_LANE zero bytes. */
__attribute__((target("sse4.2"))) static void
crc32c_hw_init(void)
{
	uint32_t bit[32];

	for (int i = 0; i < 32; i++) {
		uint64_t c = 1u << i;

		for (int k = 0; k < CRC_LANE / 8; k++)
			c = __builtin_ia32_crc32di(c, 0);
		bit[i] = (uint32_t)c;
	}
	for (int k = 0; k < 4; k++)
		for (int b = 0; b < 256; b++) {
			uint32_t v = 0;

			for (int i = 0; i < 8; i++)
				if (b & (1 << i))
					v ^= bit[8 * k + i];
			crc_shift[k][b] = v;
		}
}

static uint32_t
crc32c_shift(uint32_t c)
{
	return crc_shift[0][c & 0xff] ^ crc_shift[1][(c >> 8) & 0xff] ^
	    crc_shift[2][(c >> 16) & 0xff] ^ crc_shift[3][c >> 24];
}

__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t a, b, c, w;

	for (; n >= 3 * CRC_LANE; n -= 3 * CRC_LANE, p += 3 * CRC_LANE) {
		a = crc;
		b = c = 0;
		for (size_t i = 0; i < CRC_LANE; i += 8) {
			memcpy(&w, p + i, sizeof(w));
			a = __builtin_ia32_crc32di(a, w);
			memcpy(&w, p + CRC_LANE + i, sizeof(w));
			b = __builtin_ia32_crc32di(b, w);
			memcpy(&w, p + 2 * CRC_LANE + i, sizeof(w));
			c = __builtin_ia32_crc32di(c, w);
		}
		crc = crc32c_shift(crc32c_shift((uint32_t)a) ^ (uint32_t)b) ^ (uint32_t)c;
	}
	return crc32c_run(crc, p, n);
}
#define CRC32C_HW() __builtin_cpu_supports("sse4.2")
#else
#define crc32c_hw(crc, p, n) (crc)
#define crc32c_hw_init() ((void)0)
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
		if ((r = CRC32C_HW() ? 2 : 1) == 2)
			crc32c_hw_init();
		__atomic_store_n(&ready, r, __ATOMIC_RELEASE);
	}
	if (r == 2)
		return ~crc32c_hw(~crc, p, n);
	crc = ~crc;
	while (n--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
