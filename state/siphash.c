/*
 * siphash.c: SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed 64-bit
 * pseudorandom function.
 *
 * Erased employee ids are kept as SipHash values under a secret 128-bit
 * key: without the key nobody can test a guessed id against a checkpoint,
 * which an unkeyed hash of a short id would allow by enumeration. Checked
 * against the paper's test vectors in tests/unit/test_siphash.c.
 */
#include <string.h>

#include "table.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void
sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

/* Returns SipHash-2-4 of the n bytes at p under the 16-byte key. */
uint64_t
siphash24(const uint8_t key[16], const void *p, size_t n)
{
	const uint8_t	*in = p;
	uint64_t	 k0 = le64(key), k1 = le64(key + 8), m, v[4];
	uint8_t		 last[8];
	size_t		 i, full = n - n % 8;

	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i < full; i += 8) {
		m = le64(in + i);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	/* the last block: the remaining bytes, the length's low byte on top */
	memset(last, 0, sizeof(last));
	memcpy(last, in + full, n - full);
	last[7] = (uint8_t)n;
	m = le64(last);
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
