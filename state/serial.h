/*
 * serial.h: the byte format of checkpoints and of the statistics shared
 * between shards and instances.
 *
 * Little-endian, fixed widths, no padding: what a struct means is written
 * field by field, never as a memory image, so the in-memory layout can
 * change while old files still load. A writer grows its buffer; a reader
 * checks every read against the bytes it has. Both are sticky: after the
 * first failure (out of memory, short input) every call is a no-op that
 * returns zero, and the caller checks `failed` once at the end instead of
 * after every field. A reader never reads past len, whatever the input:
 * checkpoint loading is fuzzed through it.
 */
#ifndef RETENTIOND_SERIAL_H
#define RETENTIOND_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct wbuf {
	uint8_t	*p;		/* owned; free with wbuf_free() */
	size_t	 len, cap;
	int	 failed;	/* out of memory: the contents are incomplete */
};

struct rbuf {
	const uint8_t	*p;	/* borrowed */
	size_t		 len, pos;
	int		 failed;	/* a read went past len or a value was invalid */
};

/* serial.c */
void	 wbuf_init(struct wbuf *);
void	 wbuf_free(struct wbuf *);
void	 wbuf_u8(struct wbuf *, uint8_t);
void	 wbuf_u16(struct wbuf *, uint16_t);
void	 wbuf_u32(struct wbuf *, uint32_t);
void	 wbuf_u64(struct wbuf *, uint64_t);
void	 wbuf_i64(struct wbuf *, int64_t);
void	 wbuf_f64(struct wbuf *, double);	/* IEEE 754 bits, NaN kept */
void	 wbuf_bytes(struct wbuf *, const void *, size_t);
/* A string as u32 length + bytes (no NUL). */
void	 wbuf_str(struct wbuf *, const char *);
/* Reserves a u32 at the current position for a later length; returns its
 * offset for wbuf_patch_u32(). */
size_t	 wbuf_mark_u32(struct wbuf *);
void	 wbuf_patch_u32(struct wbuf *, size_t at, uint32_t);

void	 rbuf_init(struct rbuf *, const void *, size_t);
uint8_t	 rbuf_u8(struct rbuf *);
uint16_t rbuf_u16(struct rbuf *);
uint32_t rbuf_u32(struct rbuf *);
uint64_t rbuf_u64(struct rbuf *);
int64_t	 rbuf_i64(struct rbuf *);
double	 rbuf_f64(struct rbuf *);
/* Copies n bytes into out; fails (and zeroes out) when fewer remain. */
void	 rbuf_bytes(struct rbuf *, void *out, size_t n);
/* A wbuf_str() string into out of cap bytes, NUL-terminated; fails when
 * its length is cap or more, or it holds a NUL byte. */
void	 rbuf_str(struct rbuf *, char *out, size_t cap);
/* Borrows the next n bytes (NULL and failed when fewer remain). */
const void *rbuf_take(struct rbuf *, size_t n);
/* Marks the reader failed (a value out of its range); returns 0. */
int	 rbuf_fail(struct rbuf *);
size_t	 rbuf_left(const struct rbuf *);

/* CRC-32C (Castagnoli), continuing from crc (start with 0). */
uint32_t serial_crc32c(uint32_t crc, const void *, size_t n);

#endif
