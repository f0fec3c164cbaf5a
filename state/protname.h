/*
 * protname.h: matching attribute names against protected characteristics
 * whatever their spelling (protname.c).
 */
#ifndef PROTNAME_H
#define PROTNAME_H

#include <stddef.h>

#define PNAME_MAX	1024	/* bytes of a folded name, tokens and NULs */
#define PNAME_TOKENS	64

/* The folded form of a name: its tokens, each NUL-terminated, in order. */
struct pname {
	char	buf[PNAME_MAX];
	int	tok[PNAME_TOKENS];	/* offsets into buf */
	int	ntok;
	char	glued[PNAME_MAX];	/* the tokens run together */
};

/* Folds the UTF-8 name s (NFKC, case folding, marks and invisible
 * characters dropped) and splits it into tokens (at separators, at
 * camelCase humps, between letters and digits). Returns 0, or -1 when s
 * is not UTF-8 or folds too long; the caller must then treat the name as
 * protected. */
int		 pname_fold(struct pname *, const char *s);
/* Whether the folded name holds the folded word w: a word of 5 bytes or
 * more anywhere in the glued name; a shorter one as a run of whole
 * tokens. */
int		 pname_has(const struct pname *, const char *w);
/* The canonical name of the built-in protected characteristic the folded
 * name holds (static), or NULL. */
const char	*pname_builtin(const struct pname *);
/* The Unicode version of the fold table. */
const char	*pname_unicode_version(void);

#endif
