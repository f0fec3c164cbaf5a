/* test_serial.c: the checkpoint byte format (state/serial.c) and its
 * CRC-32C, short and long inputs. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "../../state/serial.h"

static void
test_round_trip(void)
{
	struct wbuf w;
	struct rbuf r;
	char s[16];
	uint8_t raw[3];
	size_t mark;

	wbuf_init(&w);
	wbuf_u8(&w, 0xab);
	wbuf_u16(&w, 0xbeef);
	wbuf_u32(&w, 0xdeadbeefu);
	wbuf_u64(&w, 0x0123456789abcdefULL);
	wbuf_i64(&w, -42);
	wbuf_f64(&w, -0.125);
	wbuf_f64(&w, NAN);
	wbuf_str(&w, "dept");
	wbuf_bytes(&w, "xyz", 3);
	mark = wbuf_mark_u32(&w);
	wbuf_patch_u32(&w, mark, 7);
	CHECK(!w.failed);
	CHECK(w.len == 1 + 2 + 4 + 8 + 8 + 8 + 8 + 4 + 4 + 3 + 4);
	/* little-endian on the wire, whatever the host */
	CHECK(w.p[1] == 0xef && w.p[2] == 0xbe);

	rbuf_init(&r, w.p, w.len);
	CHECK(rbuf_u8(&r) == 0xab);
	CHECK(rbuf_u16(&r) == 0xbeef);
	CHECK(rbuf_u32(&r) == 0xdeadbeefu);
	CHECK(rbuf_u64(&r) == 0x0123456789abcdefULL);
	CHECK(rbuf_i64(&r) == -42);
	CHECK(rbuf_f64(&r) == -0.125);
	CHECK(isnan(rbuf_f64(&r)));
	rbuf_str(&r, s, sizeof(s));
	CHECK_STR(s, "dept");
	rbuf_bytes(&r, raw, 3);
	CHECK(memcmp(raw, "xyz", 3) == 0);
	CHECK(rbuf_u32(&r) == 7);
	CHECK(!r.failed && rbuf_left(&r) == 0);
	/* past the end: sticky failure, zeros */
	CHECK(rbuf_u32(&r) == 0 && r.failed);
	CHECK(rbuf_u8(&r) == 0);
	wbuf_free(&w);
}

static void
test_bad_strings(void)
{
	struct wbuf w;
	struct rbuf r;
	char s[4];

	wbuf_init(&w);
	wbuf_str(&w, "long");		/* 4 bytes do not fit in 4 with the NUL */
	rbuf_init(&r, w.p, w.len);
	rbuf_str(&r, s, sizeof(s));
	CHECK(r.failed && s[0] == '\0');
	wbuf_free(&w);

	wbuf_init(&w);
	wbuf_u32(&w, 3);
	wbuf_bytes(&w, "a\0b", 3);	/* an embedded NUL is refused */
	rbuf_init(&r, w.p, w.len);
	rbuf_str(&r, s, sizeof(s));
	CHECK(r.failed);
	wbuf_free(&w);

	wbuf_init(&w);
	wbuf_u32(&w, 0xffffffffu);	/* a length beyond the input */
	rbuf_init(&r, w.p, w.len);
	rbuf_str(&r, s, sizeof(s));
	CHECK(r.failed);
	wbuf_free(&w);
}

static void
test_crc(void)
{
	/* The standard check value of CRC-32C over "123456789". */
	CHECK(serial_crc32c(0, "123456789", 9) == 0xe3069283u);
	/* Continuation equals one pass. */
	CHECK(serial_crc32c(serial_crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u);
	CHECK(serial_crc32c(0, "", 0) == 0);
	/* Every length and alignment (8 bytes at a time with the CPU's crc32,
	 * then the tail) against the bitwise definition. */
	{
		uint8_t b[80];
		int bad = 0;

		for (int i = 0; i < (int)sizeof(b); i++)
			b[i] = (uint8_t)(i * 37 + 11);
		for (size_t off = 0; off < 8; off++)
			for (size_t n = 0; off + n <= sizeof(b); n++) {
				uint32_t c = ~0u;

				for (size_t i = 0; i < n; i++) {
					c ^= b[off + i];
					for (int k = 0; k < 8; k++)
						c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
				}
				bad += serial_crc32c(0, b + off, n) != ~c;
			}
		CHECK(bad == 0);
	}
	/* Long inputs (three lanes joined, then the tail) against the
	 * bitwise definition, at lengths around the lanes' 12 KiB. */
	{
		static uint8_t b[3 * 3 * 4096 + 100];
		size_t lens[] = { 3 * 4096 - 1, 3 * 4096, 3 * 4096 + 7,
		    2 * 3 * 4096 + 13, sizeof(b) };
		int bad = 0;

		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(i * 131 + (i >> 9));
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			uint32_t c = ~0u;

			for (size_t i = 0; i < lens[l]; i++) {
				c ^= b[i];
				for (int k = 0; k < 8; k++)
					c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
			}
			bad += serial_crc32c(0, b, lens[l]) != ~c;
			/* and continued from a CRC that is not 0 */
			bad += serial_crc32c(serial_crc32c(0, b, 5), b + 5,
			    lens[l] - 5) != ~c;
		}
		CHECK(bad == 0);
	}
}

int
main(void)
{
	test_round_trip();
	test_bad_strings();
	test_crc();
	return check_exit("test_serial");
}
