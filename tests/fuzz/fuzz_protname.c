/*
 * fuzz_protname.c: libFuzzer target for the protected-name folding of
 * state/protname.c (attribute names are untrusted input). The input,
 * cut at its first NUL, is folded; what must hold: no crash, no read past
 * the name; on success every token is non-empty and the glued form is the
 * tokens run together; and folding is idempotent: the glued form folds
 * to itself, as one token or several, so a name cannot be re-spelt into
 * another fold by folding it again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../state/protname.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pname	pn, again;
	char			name[256], glued[PNAME_MAX];
	size_t			n = size < sizeof(name) - 1 ? size : sizeof(name) - 1;
	size_t			len = 0;
	int			i;

	memcpy(name, data, n);
	name[n] = '\0';
	if (pname_fold(&pn, name) == -1)
		return 0;
	for (i = 0; i < pn.ntok; i++) {
		const char *t = pn.buf + pn.tok[i];

		if (t[0] == '\0' || len + strlen(t) >= sizeof(glued))
			abort();
		memcpy(glued + len, t, strlen(t));
		len += strlen(t);
	}
	glued[len] = '\0';
	if (strcmp(glued, pn.glued) != 0)
		abort();
	if (pname_fold(&again, pn.glued) == -1 ||
	    strcmp(again.glued, pn.glued) != 0)
		abort();
	(void)pname_builtin(&pn);
	return 0;
}
