/*
 * protname.c: is an attribute name a protected characteristic, however it
 * is spelt? CONTRACT.md and MODELS.md state the rule; this is it.
 *
 * A name is folded, then split into tokens:
 *   - fold: each code point goes through the table generated from
 *     Python's unicodedata (tools/gen/gen_protname.py, state/protname_table.h):
 *     NFKC (full-width "Ｇ", mathematical letters, ligatures), case
 *     folding, accents and other combining marks dropped, invisible
 *     characters (zero-width space and joiners, soft hyphen, variation
 *     selectors) dropped. ASCII is handled here directly.
 *   - split: a token ends at every character that is not a letter or a
 *     digit ("_", "-", spaces, punctuation), before an upper-case letter
 *     that follows a lower-case one or a digit ("ageYears"), before the
 *     last capital of a run that a lower-case letter follows ("DOBDate"),
 *     and between letters and digits ("age2").
 * A protected word then matches the folded name:
 *   - a word of 5 bytes or more anywhere in the tokens run together, so
 *     glued and split spellings match too ("genderidentity",
 *     "Gen_Der", "Ethnicity_Group");
 *   - a shorter word ("age", "sex", "race", "dob") only as whole tokens
 *     (one or a run: "age_years", "DoB"), so that "manager", "average",
 *     "wage", "stage", "agent", "language", "percentage", "Essex" or
 *     "trace_id" stay ordinary attributes. The price: a short word glued
 *     to another ("agegroup") is not seen; protected_extra can name it.
 * Confusable letters of other scripts (a Cyrillic "е" in "gеnder") are not
 * folded: the table holds Unicode's compatibility mappings only.
 *
 * No allocation; the table is searched by bisection.
 */
#include <stdint.h>
#include <string.h>

#include "protname.h"

struct fold_entry {
	uint32_t	cp;
	uint32_t	off:24, len:7, upper:1;
};

struct cp_range {
	uint32_t	lo, hi;
};

#include "protname_table.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The built-in protected words (folded) and their canonical names. */
static const struct {
	const char	*word;
	const char	*canon;
} builtin[] = {
	{ "gender", "gender" }, { "sex", "sex" }, { "age", "age" },
	{ "birth", "date_of_birth" }, { "dob", "date_of_birth" },
	{ "marital", "marital_status" }, { "ethnic", "ethnicity" },
	{ "race", "race" }, { "racial", "race" },
	{ "religion", "religion" }, { "religious", "religion" },
	{ "disability", "disability" }, { "disabilities", "disability" },
	{ "disabled", "disability" },
	{ "nationality", "nationality" }, { "nationalities", "nationality" },
};

enum cls { C_SEP, C_LOWER, C_UPPER, C_DIGIT };

/* One folded character and its class. */
struct unit {
	char	b[4];
	uint8_t	n;
	uint8_t	cls;
};

#define UNITS_MAX	PNAME_MAX

/* Decodes one UTF-8 code point at *s (strict: no overlongs, surrogates or
 * values past U+10FFFF). Returns it and advances *s, or -1. */
static long
utf8_next(const unsigned char **s)
{
	const unsigned char	*p = *s;
	long			 cp;
	int			 n, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 1;
		cp = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 2;
		cp = p[0] & 0x0F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 3;
		cp = p[0] & 0x07;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
		return -1;
	*s = p + n + 1;
	return cp;
}

static int
in_ranges(const struct cp_range *r, size_t n, uint32_t cp)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static const struct fold_entry *
find_fold(uint32_t cp)
{
	size_t lo = 0, hi = NELEM(fold_map);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < fold_map[mid].cp)
			hi = mid;
		else if (cp > fold_map[mid].cp)
			lo = mid + 1;
		else
			return &fold_map[mid];
	}
	return NULL;
}

/* Appends the folded characters of bytes b[0..n) (already folded UTF-8)
 * to u; upper marks the first as a capital. Returns the new count, or -1
 * when full. */
static int
add_units(struct unit *u, int nu, const unsigned char *b, size_t n, int upper)
{
	const unsigned char	*p = b, *start;
	long			 cp;

	while (p < b + n) {
		if (nu >= UNITS_MAX)
			return -1;
		start = p;
		if ((cp = utf8_next(&p)) < 0)
			return -1;
		memcpy(u[nu].b, start, (size_t)(p - start));
		u[nu].n = (uint8_t)(p - start);
		if (cp < 0x80)
			u[nu].cls = cp >= '0' && cp <= '9' ? C_DIGIT :
			    (cp >= 'a' && cp <= 'z') ? C_LOWER : C_SEP;
		else
			u[nu].cls = in_ranges(sep_ranges, NELEM(sep_ranges),
			    (uint32_t)cp) ? C_SEP : C_LOWER;
		if (upper && start == b && u[nu].cls == C_LOWER)
			u[nu].cls = C_UPPER;	/* the capital's first letter */
		nu++;
	}
	return nu;
}

/* s -> folded, classified characters. Returns their count or -1. */
static int
fold_units(const char *s, struct unit *u)
{
	const unsigned char		*p = (const unsigned char *)s;
	const struct fold_entry		*e;
	unsigned char			 c[4];
	const unsigned char		*start;
	long				 cp;
	int				 nu = 0;

	while (*p != '\0') {
		start = p;
		if ((cp = utf8_next(&p)) < 0)
			return -1;
		if (cp >= 'A' && cp <= 'Z') {
			c[0] = (unsigned char)(cp - 'A' + 'a');
			nu = add_units(u, nu, c, 1, 1);
		} else if (cp < 0x80) {
			nu = add_units(u, nu, start, 1, 0);
		} else if ((e = find_fold((uint32_t)cp)) != NULL) {
			nu = add_units(u, nu, (const unsigned char *)fold_pool +
			    e->off, e->len, e->upper);
		} else if (!in_ranges(drop_ranges, NELEM(drop_ranges),
		    (uint32_t)cp)) {
			nu = add_units(u, nu, start, (size_t)(p - start), 0);
		}
		if (nu < 0)
			return -1;
	}
	return nu;
}

/* Whether a token ends before unit i. */
static int
boundary(const struct unit *u, int nu, int i)
{
	int	prev = u[i - 1].cls, cur = u[i].cls;
	int	next = i + 1 < nu ? u[i + 1].cls : C_SEP;

	if (cur == C_UPPER)
		return prev == C_LOWER || prev == C_DIGIT ||
		    (prev == C_UPPER && next == C_LOWER);
	if (cur == C_DIGIT)
		return prev == C_LOWER || prev == C_UPPER;
	return prev == C_DIGIT;
}

int
pname_fold(struct pname *pn, const char *s)
{
	struct unit	u[UNITS_MAX];
	size_t		len = 0, glen = 0;
	int		nu, i, open = 0;

	pn->ntok = 0;
	pn->buf[0] = pn->glued[0] = '\0';
	if ((nu = fold_units(s, u)) < 0)
		return -1;
	for (i = 0; i < nu; i++) {
		if (u[i].cls == C_SEP || (open && boundary(u, nu, i))) {
			if (open) {
				pn->buf[len++] = '\0';
				open = 0;
			}
			if (u[i].cls == C_SEP)
				continue;
		}
		if (!open) {
			if (pn->ntok == PNAME_TOKENS)
				return -1;
			pn->tok[pn->ntok++] = (int)len;
			open = 1;
		}
		/* room for this unit, the token's NUL and the glued NUL */
		if (len + u[i].n + 2 > PNAME_MAX || glen + u[i].n + 1 > PNAME_MAX)
			return -1;
		memcpy(pn->buf + len, u[i].b, u[i].n);
		memcpy(pn->glued + glen, u[i].b, u[i].n);
		len += u[i].n;
		glen += u[i].n;
	}
	if (open)
		pn->buf[len] = '\0';
	pn->glued[glen] = '\0';
	return 0;
}

int
pname_has(const struct pname *pn, const char *w)
{
	size_t	wl = strlen(w), k, tl;
	int	i, j;

	if (wl == 0)
		return 0;
	if (wl >= 5)
		return strstr(pn->glued, w) != NULL;
	for (i = 0; i < pn->ntok; i++) {
		for (j = i, k = 0; j < pn->ntok; j++) {
			tl = strlen(pn->buf + pn->tok[j]);
			if (tl > wl - k || memcmp(w + k, pn->buf + pn->tok[j], tl) != 0)
				break;
			if ((k += tl) == wl)
				return 1;
		}
	}
	return 0;
}

const char *
pname_builtin(const struct pname *pn)
{
	size_t	i;

	for (i = 0; i < NELEM(builtin); i++)
		if (pname_has(pn, builtin[i].word))
			return builtin[i].canon;
	return NULL;
}

const char *
pname_unicode_version(void)
{
	return PROTNAME_UNICODE;
}
