/*
 * strtab.c: bounded interning of short strings (departments, attribute
 * levels, protected levels) to small dense ids 0..max-1.
 *
 * Everything is allocated by strtab_new(): a flat array of max names of up
 * to EVENT_STR_MAX - 1 bytes and an open-addressed index (linear probing,
 * at most half full) of ids. Interning never allocates and never removes,
 * so ids are stable for the table's life.
 */
#include <stdlib.h>
#include <string.h>

#include "table.h"

struct strtab {
	int	 max;
	int	 n;
	char	*names;		/* max * EVENT_STR_MAX bytes */
	int	*index;		/* id + 1, 0 empty; nindex slots */
	size_t	 mask;		/* nindex - 1 */
};

/* Returns a new table for at most max strings, or NULL on ENOMEM / bad max. */
struct strtab *
strtab_new(int max)
{
	struct strtab *st;
	size_t n = 4;

	if (max <= 0)
		return NULL;
	while (n < (size_t)max * 2)
		n <<= 1;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	st->max = max;
	st->mask = n - 1;
	st->names = calloc((size_t)max, EVENT_STR_MAX);
	st->index = calloc(n, sizeof(*st->index));
	if (st->names == NULL || st->index == NULL) {
		strtab_free(st);
		return NULL;
	}
	return st;
}

/* Frees st; NULL is a no-op. */
void
strtab_free(struct strtab *st)
{
	if (st == NULL)
		return;
	free(st->names);
	free(st->index);
	free(st);
}

/* Slot of s in the index: where it is, or the empty slot where it belongs. */
static size_t
slot_of(const struct strtab *st, const char *s, size_t len)
{
	size_t i = (size_t)table_hash_mix(table_hash_bytes(TABLE_HASH_INIT,
	    s, len)) & st->mask;

	while (st->index[i] != 0) {
		if (strcmp(st->names + (size_t)(st->index[i] - 1) *
		    EVENT_STR_MAX, s) == 0)
			break;
		i = (i + 1) & st->mask;
	}
	return i;
}

/* Returns the id of s, adding it if new; -1 when full, s is NULL or s is
 * EVENT_STR_MAX bytes or longer. */
int
strtab_intern(struct strtab *st, const char *s)
{
	size_t len, i;
	int id;

	if (s == NULL || (len = strnlen(s, EVENT_STR_MAX)) >= EVENT_STR_MAX)
		return -1;
	i = slot_of(st, s, len);
	if (st->index[i] != 0)
		return st->index[i] - 1;
	if (st->n >= st->max)
		return -1;
	id = st->n++;
	memcpy(st->names + (size_t)id * EVENT_STR_MAX, s, len + 1);
	st->index[i] = id + 1;
	return id;
}

/* Returns the id of s, or -1 if it was never interned. */
int
strtab_find(const struct strtab *st, const char *s)
{
	size_t len, i;

	if (s == NULL || (len = strnlen(s, EVENT_STR_MAX)) >= EVENT_STR_MAX)
		return -1;
	i = slot_of(st, s, len);
	return st->index[i] - 1;
}

/* Returns the string of id (borrowed), or NULL for an unknown id. */
const char *
strtab_name(const struct strtab *st, int id)
{
	if (st == NULL || id < 0 || id >= st->n)
		return NULL;
	return st->names + (size_t)id * EVENT_STR_MAX;
}

/* Returns how many strings are interned. */
int
strtab_count(const struct strtab *st)
{
	return st == NULL ? 0 : st->n;
}
