/*
 * fuzz_whatif.c: libFuzzer target for POST /v1/employees/{id}/whatif below
 * the HTTP layer: the body goes to pipeline_whatif_json() for an employee
 * with a hire, surveys, training and a raise behind it, so the parser
 * (whatif_parse_actions) and the what-if scoring (decide.c applying any
 * amount the parser lets through) both run. Every body must give either a
 * JSON answer or a one-line error, never crash, hang or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_employee.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct pipeline *p;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	p = fuzz_pipeline_with_employee(NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *answer;

	if (p == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	answer = pipeline_whatif_json(p, "E1", (const char *)data, size, err, sizeof(err));
	if (answer == NULL && (err[0] == '\0' || strchr(err, '\n') != NULL))
		abort();	/* a known employee: failure must say why, in one line */
	free(answer);
	return 0;
}
