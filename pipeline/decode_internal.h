/*
 * decode_internal.h: what the decoder's two files share (private to
 * decode.c and decode_data.c). decode.c reads the envelope (content mode,
 * headers, attributes, limits) and calls decode_data() for the `data` of
 * each event type (decode_data.c). json_t is named by its struct tag so
 * that jansson stays out of this header.
 */
#ifndef RETENTIOND_DECODE_INTERNAL_H
#define RETENTIOND_DECODE_INTERNAL_H

#include <stddef.h>

#include "pipeline.h"

struct json_t;

/* Where the current message's failure is reported. */
struct dctx {
	char	*errbuf;
	size_t	 errlen;
	int	 reason;
	int	 binary;	/* binary content mode: attributes from headers */
};

/* A borrowed byte string (not NUL-terminated in binary mode). */
struct text {
	const char	*p;
	size_t		 n;
};

/* decode.c */
int	decode_fail(struct dctx *, int reason, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* 1 if p[0..n) is UTF-8 without the controls and noncharacters that
 * CloudEvents strings may not hold. */
int	decode_text_ok(const char *p, size_t n);
void	decode_text_copy(char *dst, size_t cap, struct text);

/* decode_data.c */
struct json_t *decode_field(struct json_t *obj, const char *name);
int	decode_data(struct dctx *, struct json_t *data, struct hr_event *);

#endif
