/*
 * fuzz_checkpoint.c: libFuzzer target for the checkpoint loader.
 *
 * Each input goes two ways. As a file: checkpoint_unframe() (magic,
 * version, length, CRC-32C) and, when the frame holds, the body into a
 * fresh pipeline. As a body, past the CRC that random bytes would never
 * satisfy: pipeline_snapshot_load() directly, so that the section, epoch
 * state, statistics, held events, record, dedup and erased-set parsers
 * see every mutation. A body that loads must save, and what it saves must
 * load and save to the same bytes (a loaded pipeline is canonical); a
 * refused one must say why in one line. Nothing may
 * crash, leak or read out of bounds, whatever the bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/daemon.h"
#include "../../state/serial.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct pipeline *
fresh(void)
{
	struct pipeline_config cfg;
	struct pipeline *p;
	char err[256];

	pipeline_config_defaults(&cfg);
	cfg.dedup_capacity = 64;	/* the fuzzer's shards are small */
	memset(cfg.erasure_key, 0x5a, sizeof(cfg.erasure_key));
	if ((p = pipeline_new(&cfg, err, sizeof(err))) == NULL)
		abort();
	return p;
}

/* Loads body into a fresh pipeline; on success checks the round trip. */
static void
load_body(const void *body, size_t len)
{
	struct pipeline	*p, *q;
	struct wbuf	 a, b;
	char		 err[256];

	p = fresh();
	err[0] = '\0';
	if (pipeline_snapshot_load(p, body, len, err, sizeof(err)) == -1) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		pipeline_free(p);
		return;
	}
	wbuf_init(&a);
	wbuf_init(&b);
	q = fresh();
	if (pipeline_snapshot_save(p, &a) == -1 ||
	    pipeline_snapshot_load(q, a.p, a.len, err, sizeof(err)) == -1 ||
	    pipeline_snapshot_save(q, &b) == -1 ||
	    a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
		abort();	/* what we write we must read back, exactly */
	wbuf_free(&a);
	wbuf_free(&b);
	pipeline_free(p);
	pipeline_free(q);
}

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
	const void *body;
	size_t len;
	char err[256];

	if (checkpoint_unframe(data, size, &body, &len, err, sizeof(err)) == 0)
		load_body(body, len);
	else if (err[0] == '\0')
		abort();
	load_body(data, size);
	return 0;
}
