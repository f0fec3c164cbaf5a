/*
 * table.c: the per-employee table, an open-addressed hash table of
 * pointers to records.
 *
 * Design: each employee's struct employee is allocated once, when first
 * seen, and never moves (callers hold borrowed pointers across calls and
 * the model keeps none). The slot array holds (hash, pointer) pairs with
 * linear probing. An erased slot becomes a tombstone so that probe chains
 * stay intact; tombstones are reused by inserts and dropped on rehash.
 * The array grows (doubles) when live + tombstones exceed 3/4 of it, or
 * is rebuilt at the same size when tombstones dominate, so every lookup
 * is O(1) expected. Lookups and updates of existing employees never
 * allocate.
 */
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define TABLE_MIN 64

struct slot {
	uint64_t	 hash;
	struct employee	*e;	/* NULL empty, TOMBSTONE erased */
};

struct table {
	struct slot	*slots;
	size_t		 mask;		/* nslots - 1, nslots a power of 2 */
	size_t		 live;
	size_t		 dead;		/* tombstones */
};

static struct employee tombstone_rec;
#define TOMBSTONE (&tombstone_rec)

/* Continues a 64-bit FNV-1a hash h over n bytes of p; returns it. */
uint64_t
table_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Returns h with its bits mixed (a 64-bit avalanche finaliser), so that
 * the low bits used for slot indices depend on every input byte. */
uint64_t
table_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
hash_id(const char *id, size_t len)
{
	return table_hash_mix(table_hash_bytes(TABLE_HASH_INIT, id, len));
}

/* Returns a new empty table, or NULL on ENOMEM. */
struct table *
table_new(void)
{
	struct table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->slots = calloc(TABLE_MIN, sizeof(*t->slots))) == NULL) {
		free(t);
		return NULL;
	}
	t->mask = TABLE_MIN - 1;
	return t;
}

/* Frees t and every record in it (wiped first); NULL is a no-op. */
void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i <= t->mask; i++) {
		if (t->slots[i].e != NULL && t->slots[i].e != TOMBSTONE) {
			explicit_bzero(t->slots[i].e, sizeof(struct employee));
			free(t->slots[i].e);
		}
	}
	free(t->slots);
	free(t);
}

/* Index of the live slot holding id, or (size_t)-1. */
static size_t
find(const struct table *t, const char *id, size_t len, uint64_t h)
{
	size_t i = (size_t)h & t->mask;

	for (;;) {
		const struct slot *s = &t->slots[i];

		if (s->e == NULL)
			return (size_t)-1;
		if (s->e != TOMBSTONE && s->hash == h &&
		    strncmp(s->e->id, id, len) == 0 && s->e->id[len] == '\0')
			return i;
		i = (i + 1) & t->mask;
	}
}

/* Rebuilds the slot array with nslots slots, dropping tombstones. */
static int
rehash(struct table *t, size_t nslots)
{
	struct slot *ns;
	size_t i, j, nmask = nslots - 1;

	if ((ns = calloc(nslots, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i <= t->mask; i++) {
		if (t->slots[i].e == NULL || t->slots[i].e == TOMBSTONE)
			continue;
		j = (size_t)t->slots[i].hash & nmask;
		while (ns[j].e != NULL)
			j = (j + 1) & nmask;
		ns[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = ns;
	t->mask = nmask;
	t->dead = 0;
	return 0;
}

/* Returns the record of id (borrowed), or NULL if absent. */
struct employee *
table_get(struct table *t, const char *id)
{
	size_t len, i;

	if (id == NULL || (len = strnlen(id, EMPLOYEE_ID_MAX + 1)) > EMPLOYEE_ID_MAX)
		return NULL;
	i = find(t, id, len, hash_id(id, len));
	return i == (size_t)-1 ? NULL : t->slots[i].e;
}

/* Returns the record of id (borrowed), creating it zeroed with flags =
 * EMP_PROVISIONAL and dept = -1 when absent (then *created = 1, else 0).
 * NULL on ENOMEM, or when id is empty or longer than EMPLOYEE_ID_MAX. */
struct employee *
table_put(struct table *t, const char *id, int *created)
{
	struct employee *e;
	size_t len, i, nslots;
	uint64_t h;

	if (created != NULL)
		*created = 0;
	if (id == NULL || (len = strnlen(id, EMPLOYEE_ID_MAX + 1)) > EMPLOYEE_ID_MAX ||
	    len == 0)
		return NULL;
	h = hash_id(id, len);
	if ((i = find(t, id, len, h)) != (size_t)-1)
		return t->slots[i].e;

	nslots = t->mask + 1;
	if ((t->live + t->dead + 1) * 4 > nslots * 3) {
		/* Grow when mostly live, else just sweep the tombstones. */
		if (rehash(t, (t->live + 1) * 2 > nslots ? nslots * 2 : nslots) == -1)
			return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	memcpy(e->id, id, len);
	e->flags = EMP_PROVISIONAL;
	e->dept = -1;

	i = (size_t)h & t->mask;
	while (t->slots[i].e != NULL && t->slots[i].e != TOMBSTONE)
		i = (i + 1) & t->mask;
	if (t->slots[i].e == TOMBSTONE)
		t->dead--;
	t->slots[i].hash = h;
	t->slots[i].e = e;
	t->live++;
	if (created != NULL)
		*created = 1;
	return e;
}

/* Wipes the record of id (explicit_bzero) and frees it. Returns 1 if it
 * existed, 0 if not. Pointers to the record are invalid afterwards. */
int
table_erase(struct table *t, const char *id)
{
	size_t len, i;

	if (id == NULL || (len = strnlen(id, EMPLOYEE_ID_MAX + 1)) > EMPLOYEE_ID_MAX)
		return 0;
	if ((i = find(t, id, len, hash_id(id, len))) == (size_t)-1)
		return 0;
	explicit_bzero(t->slots[i].e, sizeof(struct employee));
	free(t->slots[i].e);
	t->slots[i].e = TOMBSTONE;
	t->slots[i].hash = 0;
	t->live--;
	t->dead++;
	return 1;
}

/* Returns the number of records. */
size_t
table_count(const struct table *t)
{
	return t->live;
}

/* Returns the next record at or after slot *it (borrowed) and advances
 * *it past it; NULL at the end. Order is unspecified. */
struct employee *
table_next(struct table *t, size_t *it)
{
	size_t i;

	for (i = *it; i <= t->mask; i++) {
		struct employee *e = t->slots[i].e;

		if (e != NULL && e != TOMBSTONE) {
			*it = i + 1;
			return e;
		}
	}
	*it = t->mask + 1;
	return NULL;
}

/*
 * Checkpoints: the slot layout itself is saved and restored, not only the
 * records, because iteration follows the slots and the rescoring sweep
 * sums floating-point statistics in that order: a table rebuilt by
 * inserting the records in another order would iterate differently, and
 * the sums after a restart would differ in their last bits from an
 * uninterrupted run's. Tombstones are kept too: they decide where later
 * inserts go and when the array is rebuilt.
 */

/* The number of slots. */
size_t
table_slots(const struct table *t)
{
	return t->mask + 1;
}

/* What slot i holds: TABLE_SLOT_EMPTY, TABLE_SLOT_TOMB or TABLE_SLOT_LIVE
 * (then *e is the record, borrowed). */
int
table_slot(const struct table *t, size_t i, const struct employee **e)
{
	*e = NULL;
	if (i > t->mask || t->slots[i].e == NULL)
		return TABLE_SLOT_EMPTY;
	if (t->slots[i].e == TOMBSTONE)
		return TABLE_SLOT_TOMB;
	*e = t->slots[i].e;
	return TABLE_SLOT_LIVE;
}

/* An empty table gets nslots slots (a power of 2, at least TABLE_MIN).
 * 0, or -1 (not empty, a bad size, ENOMEM). */
int
table_restore_slots(struct table *t, size_t nslots)
{
	if (t->live != 0 || t->dead != 0 || nslots < TABLE_MIN ||
	    (nslots & (nslots - 1)) != 0 || nslots > ((size_t)1 << 40))
		return -1;
	return rehash(t, nslots);
}

/* Puts a copy of *src at slot i (kind TABLE_SLOT_LIVE) or a tombstone
 * there (TABLE_SLOT_TOMB, src NULL). 0, or -1 when the slot is taken or
 * out of range, the id is invalid, or ENOMEM. table_restore_check() must
 * follow the last one. */
int
table_restore_put(struct table *t, size_t i, int kind, const struct employee *src)
{
	struct employee *e;
	size_t len;

	if (i > t->mask || t->slots[i].e != NULL)
		return -1;
	if (kind == TABLE_SLOT_TOMB) {
		t->slots[i].e = TOMBSTONE;
		t->dead++;
		return 0;
	}
	if (kind != TABLE_SLOT_LIVE || src == NULL ||
	    (len = strnlen(src->id, EMPLOYEE_ID_MAX + 1)) > EMPLOYEE_ID_MAX || len == 0 ||
	    (e = malloc(sizeof(*e))) == NULL)
		return -1;
	*e = *src;
	t->slots[i].e = e;
	t->slots[i].hash = hash_id(e->id, len);
	t->live++;
	return 0;
}

/* 0 when every restored record is found at its slot (so lookups, inserts
 * and rehashes work as before) and the load factor holds, else -1. */
int
table_restore_check(const struct table *t)
{
	size_t i, len;

	if ((t->live + t->dead) * 4 > (t->mask + 1) * 3)
		return -1;
	for (i = 0; i <= t->mask; i++) {
		const struct slot *s = &t->slots[i];

		if (s->e == NULL || s->e == TOMBSTONE)
			continue;
		len = strlen(s->e->id);
		if (find(t, s->e->id, len, s->hash) != i)
			return -1;
	}
	return 0;
}
