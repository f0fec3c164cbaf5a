/*
 * fuzz_config.c: libFuzzer target for the configuration parser. The input
 * is a whole configuration file, read from memory with fmemopen() through
 * config_load_fp(): inih, the line-counting reader, the key table, the
 * secret references and the cross-key rules. A load must either succeed or
 * fail with a "name:line: reason" message, never crash or leak.
 * $CREDENTIALS_DIRECTORY points at a scratch directory with one credential
 * ("pw") so that the @credential: success path is reachable too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../daemon/daemon.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct config	cfg, copy;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char	dir[] = "/tmp/fuzz_config.XXXXXX";
	char		path[64];
	FILE		*f;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/pw", dir);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("secret\n", f);
		fclose(f);
	}
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 errbuf[512];
	char	*buf;
	FILE	*fp;
	int	 rc, i;

	config_defaults(&cfg);
	if (size == 0)
		return 0;
	if ((buf = malloc(size)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if ((fp = fmemopen(buf, size, "r")) == NULL) {
		free(buf);
		return 0;
	}
	errbuf[0] = '\0';
	rc = config_load_fp(fp, "fuzz.conf", &cfg, errbuf, sizeof(errbuf));
	fclose(fp);
	free(buf);
	if (rc == 0) {
		/* every stored [kafka] key reads back */
		for (i = 0; i < cfg.nkafka; i++)
			if (config_kafka_get(&cfg, cfg.kafka[i].key) !=
			    cfg.kafka[i].value)
				abort();
		config_copy(&copy, &cfg);
		if (copy.pipeline.clear_threshold >= copy.pipeline.threshold)
			abort();
	} else if (strncmp(errbuf, "fuzz.conf", 9) != 0)
		abort();	/* every error names the file */
	return 0;
}
