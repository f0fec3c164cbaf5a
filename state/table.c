/*
 * table.c: the per-employee table of a shard: records in slabs, an
 * open-addressed hash index over them, and the ids in an arena.
 *
 * Design. Records live in slabs of SLAB_RECORDS, allocated as the table
 * grows and never moved or shrunk, so a record's address is stable for its
 * life (callers hold borrowed pointers across calls) and a pass over the
 * whole shard (an epoch's rescoring, plans, leavers) walks contiguous
 * memory in index order instead of chasing pointers in hash order. An
 * erased record is wiped and its index reused by a later new employee,
 * the lowest free index first: the order is a function of the input, and
 * the table's order is fixed by which indices are live and which free (a
 * set, which a checkpoint can carry).
 *
 * The index is 4 bytes a slot (issue 13 item 2; 8 before): with up to
 * 2^b slots, the low b bits hold the record's index + 1 (0 empty, all
 * ones erased) and the other 32 - b bits the top bits of the id's hash, a
 * tag that lets a probe skip a record whose id cannot match without
 * reading it (a false match costs one id comparison, 1 in 2^14 probes at
 * 100k records). So the index must have about as many slots as indices
 * handed out (reserve()): it has more anyway while records are live,
 * since it stays at most 3/4 full, and a checkpoint whose records were
 * mostly erased restores an index sized for its indices. A slot's home
 * is the hash's low 32 bits scaled to the number of slots (multiply and
 * shift), so that the index grows in steps of a quarter of a power of 2
 * (64, 80, 96, 112, 128, 160, ...) rather than doubling: 4.3 to 6.7 bytes
 * per record (at 3/4 full down to 3/4 of that after a step) instead of 4
 * to 8 times 2 (3/2 and 4/3 steps before, 4 to 7: 7.9 B at 100k against
 * 6.6 now). A slot array from SLOTS_MAPPED bytes on is a mapping of its
 * own (slots_alloc()), so the arrays freed as it grows go back to the
 * kernel instead of staying in malloc's heap. Linear probing. A tombstone keeps probe chains intact;
 * inserts reuse them and a rebuild drops them. The slot array grows when
 * live + tombstones pass 3/4 of it, or is rebuilt at the same size when
 * tombstones dominate, so every lookup is O(1) expected; a rebuild hashes
 * the ids again.
 *
 * Ids are copied into an arena of IDS_CHUNK-byte chunks in blocks of a
 * multiple of 8 bytes; an erased id's block is wiped and kept on a free
 * list of its size, for the next id of that size. Lookups and updates of
 * existing employees never allocate.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "table.h"

#define TABLE_MIN	64	/* slots */
#define SLOTS_MAPPED	65536	/* bytes: a slot array this large is mapped */
#define TABLE_MAX	((uint64_t)1 << 32)
#define SLAB_RECORDS	1024
#define IDS_CHUNK	65536
#define ID_CLASSES	((EMPLOYEE_ID_MAX + 1 + 7) / 8 + 1)

struct table {
	uint32_t	 *slots;	/* tag << bits | ref (file comment) */
	size_t		  nslots;	/* 2^k times 1, 5/4, 3/2 or 7/4 */
	unsigned	  bits;		/* 2^bits >= nslots */
	size_t		  live;
	size_t		  dead;		/* tombstones */
	struct employee	**slabs;	/* each SLAB_RECORDS records */
	size_t		  nslabs;
	uint32_t	  used;		/* indices handed out so far */
	uint32_t	 *freed;	/* erased indices + 1, a min-heap */
	size_t		  nfreed, capfreed;
	char		**chunks;	/* the id arena */
	size_t		  nchunks, chunk_used;
	char		 *idfree[ID_CLASSES];	/* free blocks by size / 8 */
	struct pending	 *pend;		/* a restore's records, to be indexed */
	size_t		  npend;
	char		 *region;	/* a restore's slabs, one mapping */
	size_t		  region_len;
};

/* A restored record waiting for the index: its id's hash, taken while
 * the record was at hand, so that indexing a million of them does not
 * walk the records again. */
struct pending {
	uint64_t	 h;
	uint32_t	 ref;
};

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

/* The number of bits of the refs of an index of n slots. */
static unsigned
bits_for(uint64_t n)
{
	unsigned b = 0;

	while (((uint64_t)1 << b) < n)
		b++;
	return b;
}

/* The size after n (>= 4): a quarter of the power of 2 at or below it
 * more, so 2^k, 5/4, 6/4, 7/4 of it, then 2^(k+1). */
static uint64_t
next_size(uint64_t n)
{
	unsigned b = bits_for(n);

	return n + ((uint64_t)1 << ((n & (n - 1)) == 0 ? b : b - 1)) / 4;
}

/* Where hash h starts probing in an index of n slots. */
static size_t
home(uint64_t h, size_t n)
{
	return (size_t)(((h & 0xffffffffu) * (uint64_t)n) >> 32);
}

/* The ref part of a slot: its low bits; all ones is a tombstone. */
static uint32_t
ref_mask(unsigned bits)
{
	return (uint32_t)((1ULL << bits) - 1);
}

/* The slot for record ref whose id hashes to h, in an index of refs of
 * that many bits: the hash's top 32 - bits bits above the ref. */
static uint32_t
make_slot(unsigned bits, uint64_t h, uint32_t ref)
{
	unsigned tb = 32 - bits;
	uint64_t tag = tb == 0 ? 0 : h >> (64 - tb);

	return (uint32_t)(tag << bits) | ref;
}

static struct employee *
rec(const struct table *t, uint32_t ref)
{
	return &t->slabs[(ref - 1) / SLAB_RECORDS][(ref - 1) % SLAB_RECORDS];
}

/* A zeroed slot array of n slots, NULL on ENOMEM. From SLOTS_MAPPED
 * bytes on, a mapping of its own: each growth frees the array before, and
 * an array freed into malloc's heap stays resident there as a hole (and
 * raises glibc's mmap threshold, so that the slabs after it fill the heap
 * too). slots_free() frees what slots_alloc(n) gave. */
static uint32_t *
slots_alloc(size_t n)
{
	void *p;

	if (n * sizeof(uint32_t) < SLOTS_MAPPED)
		return calloc(n, sizeof(uint32_t));
	p = mmap(NULL, n * sizeof(uint32_t), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void
slots_free(uint32_t *s, size_t n)
{
	if (s == NULL)
		return;
	if (n * sizeof(uint32_t) < SLOTS_MAPPED)
		free(s);
	else
		munmap(s, n * sizeof(uint32_t));
}

/* Returns a new empty table, or NULL on ENOMEM. */
struct table *
table_new(void)
{
	struct table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->slots = slots_alloc(TABLE_MIN)) == NULL) {
		free(t);
		return NULL;
	}
	t->nslots = TABLE_MIN;
	t->bits = bits_for(TABLE_MIN);
	return t;
}

/* Frees t and every record and id in it (wiped first); NULL is a no-op. */
void
table_free(struct table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->used; i++)
		emp_attr_release(&t->slabs[i / SLAB_RECORDS][i % SLAB_RECORDS]);
	for (i = 0; i < t->nslabs; i++) {
		if (t->region != NULL && (char *)t->slabs[i] >= t->region &&
		    (char *)t->slabs[i] < t->region + t->region_len)
			continue;	/* unmapped below */
		explicit_bzero(t->slabs[i], SLAB_RECORDS * sizeof(struct employee));
		free(t->slabs[i]);
	}
	/* unmapped, not wiped: the pages go back to the kernel, which clears
	 * them before any other use (free() keeps a slab in this process) */
	if (t->region != NULL)
		munmap(t->region, t->region_len);
	for (i = 0; i < t->nchunks; i++) {
		explicit_bzero(t->chunks[i], IDS_CHUNK);
		free(t->chunks[i]);
	}
	free(t->slabs);
	free(t->chunks);
	free(t->freed);
	free(t->pend);
	slots_free(t->slots, t->nslots);
	free(t);
}

/* A copy of id[0..len) in the arena (NUL-terminated), or NULL on ENOMEM. */
static char *
id_copy(struct table *t, const char *id, size_t len)
{
	size_t c = (len + 1 + 7) / 8;
	char *b, **ch;

	if ((b = t->idfree[c]) != NULL)
		memcpy(&t->idfree[c], b, sizeof(char *));
	else {
		if (t->nchunks == 0 || t->chunk_used + c * 8 > IDS_CHUNK) {
			if ((ch = realloc(t->chunks, (t->nchunks + 1) * sizeof(*ch))) == NULL)
				return NULL;
			t->chunks = ch;
			if ((ch[t->nchunks] = malloc(IDS_CHUNK)) == NULL)
				return NULL;
			t->nchunks++;
			t->chunk_used = 0;
		}
		b = t->chunks[t->nchunks - 1] + t->chunk_used;
		t->chunk_used += c * 8;
	}
	memset(b, 0, c * 8);
	memcpy(b, id, len);
	return b;
}

/* Wipes the block of id and puts it on its free list. */
static void
id_release(struct table *t, const char *id)
{
	size_t c = (strlen(id) + 1 + 7) / 8;
	char *b = (char *)(uintptr_t)id;

	explicit_bzero(b, c * 8);
	memcpy(b, &t->idfree[c], sizeof(char *));
	t->idfree[c] = b;
}

/* Index of the live slot holding id, or (size_t)-1. */
static size_t
find(const struct table *t, const char *id, size_t len, uint64_t h)
{
	size_t i = home(h, t->nslots);
	uint32_t rm = ref_mask(t->bits), tag = make_slot(t->bits, h, 0);

	for (;;) {
		uint32_t v = t->slots[i];
		const struct employee *e;

		if (v == 0)
			return (size_t)-1;
		if ((v & ~rm) == tag && (v & rm) != rm) {
			e = rec(t, v & rm);
			if (strncmp(e->id, id, len) == 0 && e->id[len] == '\0')
				return i;
		}
		if (++i == t->nslots)
			i = 0;
	}
}

/* Rebuilds the slot array with n slots, dropping tombstones (homes and
 * tags change with the size: the ids are hashed again). */
static int
rehash(struct table *t, size_t n)
{
	uint32_t *ns, rm = ref_mask(t->bits), ref;
	unsigned bits = bits_for(n);
	size_t i, j;
	uint64_t h;

	if ((ns = slots_alloc(n)) == NULL)
		return -1;
	for (i = 0; i < t->nslots; i++) {
		const char *id;

		if ((ref = t->slots[i] & rm) == 0 || ref == rm)
			continue;
		id = rec(t, ref)->id;
		h = hash_id(id, strlen(id));
		for (j = home(h, n); ns[j] != 0; )
			if (++j == n)
				j = 0;
		ns[j] = make_slot(bits, h, ref);
	}
	slots_free(t->slots, t->nslots);
	t->slots = ns;
	t->nslots = n;
	t->bits = bits;
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
	return i == (size_t)-1 ? NULL : rec(t, t->slots[i] & ref_mask(t->bits));
}

/* Adds ref to the min-heap of free indices (there is room). */
static void
free_push(struct table *t, uint32_t ref)
{
	size_t i = t->nfreed++;

	while (i > 0 && t->freed[(i - 1) / 2] > ref) {
		t->freed[i] = t->freed[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	t->freed[i] = ref;
}

/* Removes and returns the lowest free index + 1 (there is one). */
static uint32_t
free_pop(struct table *t)
{
	uint32_t top = t->freed[0], last = t->freed[--t->nfreed];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < t->nfreed) {
		if (c + 1 < t->nfreed && t->freed[c + 1] < t->freed[c])
			c++;
		if (t->freed[c] >= last)
			break;
		t->freed[i] = t->freed[c];
		i = c;
	}
	if (t->nfreed > 0)
		t->freed[i] = last;
	return top;
}

/* A zeroed record's index + 1: the lowest erased one, else the next of
 * the slabs (a new slab when they are full). 0 on ENOMEM. */
static uint32_t
new_record(struct table *t)
{
	struct employee **s;

	if (t->nfreed > 0)
		return free_pop(t);
	if (t->used == UINT32_MAX - 1)
		return 0;
	if (t->used == t->nslabs * SLAB_RECORDS) {
		if ((s = realloc(t->slabs, (t->nslabs + 1) * sizeof(*s))) == NULL)
			return 0;
		t->slabs = s;
		if ((s[t->nslabs] = calloc(SLAB_RECORDS, sizeof(struct employee))) == NULL)
			return 0;
		t->nslabs++;
	}
	return ++t->used;
}

/* Room in the hash index for one more id: grows it when mostly live,
 * else sweeps the tombstones; and room in a slot for any index up to one
 * past those handed out (the all-ones ref is the tombstone). 0, or -1 on
 * ENOMEM or when the index would need more than 2^32 slots. */
static int
reserve(struct table *t)
{
	uint64_t n = t->nslots;

	if ((t->live + t->dead + 1) * 4 > n * 3 && (t->live + 1) * 2 > n)
		n = next_size(n);
	while (n <= TABLE_MAX && (uint64_t)t->used + 1 >= ref_mask(bits_for(n)))
		n = next_size(n);
	if (n > TABLE_MAX)
		return -1;
	if (n == t->nslots && (t->live + t->dead + 1) * 4 <= n * 3)
		return 0;
	return rehash(t, (size_t)n);
}

/* Links record ref (its id hashing to h) into the index (reserve() first). */
static void
index_insert(struct table *t, uint64_t h, uint32_t ref)
{
	size_t i = home(h, t->nslots);
	uint32_t rm = ref_mask(t->bits);

	while (t->slots[i] != 0 && (t->slots[i] & rm) != rm)
		if (++i == t->nslots)
			i = 0;
	if (t->slots[i] != 0)
		t->dead--;
	t->slots[i] = make_slot(t->bits, h, ref);
	t->live++;
}

/* Returns the record of id (borrowed), creating it zeroed with flags =
 * EMP_PROVISIONAL and dept = -1 when absent (then *created = 1, else 0).
 * NULL on ENOMEM, or when id is empty or longer than EMPLOYEE_ID_MAX. */
struct employee *
table_put(struct table *t, const char *id, int *created)
{
	struct employee *e;
	size_t len, i;
	uint64_t h;
	uint32_t ref;
	char *copy;

	if (created != NULL)
		*created = 0;
	if (id == NULL || (len = strnlen(id, EMPLOYEE_ID_MAX + 1)) > EMPLOYEE_ID_MAX ||
	    len == 0)
		return NULL;
	h = hash_id(id, len);
	if ((i = find(t, id, len, h)) != (size_t)-1)
		return rec(t, t->slots[i] & ref_mask(t->bits));

	if (reserve(t) == -1 || (copy = id_copy(t, id, len)) == NULL)
		return NULL;
	if ((ref = new_record(t)) == 0) {
		id_release(t, copy);
		return NULL;
	}
	e = rec(t, ref);
	e->id = copy;
	e->flags = EMP_PROVISIONAL;
	e->dept = -1;
	index_insert(t, h, ref);
	if (created != NULL)
		*created = 1;
	return e;
}

/* Wipes the record of id and its id (explicit_bzero) and frees both for
 * reuse. Returns 1 if it existed, 0 if not. Pointers to the record are
 * invalid afterwards. */
int
table_erase(struct table *t, const char *id)
{
	size_t len, i;
	uint32_t ref, *f;
	struct employee *e;

	if (id == NULL || (len = strnlen(id, EMPLOYEE_ID_MAX + 1)) > EMPLOYEE_ID_MAX)
		return 0;
	if ((i = find(t, id, len, hash_id(id, len))) == (size_t)-1)
		return 0;
	ref = t->slots[i] & ref_mask(t->bits);
	if (t->nfreed == t->capfreed) {
		size_t cap = t->capfreed ? t->capfreed * 2 : 64;

		/* Without room to remember the index the record is still
		 * wiped and unlinked; its memory is just not reused. */
		if ((f = realloc(t->freed, cap * sizeof(*f))) != NULL) {
			t->freed = f;
			t->capfreed = cap;
		}
	}
	e = rec(t, ref);
	id_release(t, e->id);
	emp_attr_release(e);
	explicit_bzero(e, sizeof(*e));
	if (t->nfreed < t->capfreed)
		free_push(t, ref);
	t->slots[i] = ref_mask(t->bits);	/* a tombstone */
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

/* Returns the next record at or after index *it (borrowed) and advances
 * *it past it; NULL at the end. Records come in index order: the slabs'
 * memory order. An erased record (wiped: no id) is skipped. */
struct employee *
table_next(struct table *t, size_t *it)
{
	size_t i;

	for (i = *it; i < t->used; i++) {
		struct employee *e = &t->slabs[i / SLAB_RECORDS][i % SLAB_RECORDS];

		if (e->id != NULL) {
			*it = i + 1;
			return e;
		}
	}
	*it = t->used;
	return NULL;
}

/* The record at index i (< the indices handed out; the index table_next()
 * passed it at), borrowed: the timers' entries name records this way. */
struct employee *
table_record(const struct table *t, uint32_t i)
{
	return rec(t, i + 1);
}

/* The index of e in t, and the hash of its id in *h (when not NULL);
 * UINT32_MAX when e is not a live record of t. */
uint32_t
table_index(const struct table *t, const struct employee *e, uint64_t *h)
{
	size_t len, i;
	uint64_t hh;
	uint32_t ref;

	if (e->id == NULL || t->nslots == 0)
		return UINT32_MAX;
	len = strlen(e->id);
	hh = hash_id(e->id, len);
	if (h != NULL)
		*h = hh;
	if ((i = find(t, e->id, len, hh)) == (size_t)-1)
		return UINT32_MAX;
	ref = t->slots[i] & ref_mask(t->bits);
	return rec(t, ref) == e ? ref - 1 : UINT32_MAX;
}

/*
 * Checkpoints. A table's order is its record indices: iteration walks
 * them, and a new employee takes the lowest free one. So a checkpoint
 * carries, for every index handed out, whether it is live (with the
 * record) or free; the hash index is rebuilt from the ids (where an id
 * sits in it decides nothing that outputs depend on). The "slots" of this
 * interface are those indices.
 */

/* The number of indices handed out. */
size_t
table_slots(const struct table *t)
{
	return t->used;
}

/* What index i holds: TABLE_SLOT_LIVE (then *e is the record, borrowed),
 * TABLE_SLOT_TOMB (free), or TABLE_SLOT_EMPTY (not handed out). */
int
table_slot(const struct table *t, size_t i, const struct employee **e)
{
	const struct employee *r;

	*e = NULL;
	if (i >= t->used)
		return TABLE_SLOT_EMPTY;
	r = &t->slabs[i / SLAB_RECORDS][i % SLAB_RECORDS];
	if (r->id == NULL)
		return TABLE_SLOT_TOMB;
	*e = r;
	return TABLE_SLOT_LIVE;
}

/*
 * The slabs of a restore, all at once: one anonymous mapping for the
 * slabs of nrec records (the table has none yet), the pages those
 * records take faulted in by one call (MADV_POPULATE_WRITE, Linux 5.14;
 * before it the pages fault in as the loader writes them); the rest of
 * the last slab, up to 1023 records' room, faults in as the table grows
 * into it, as a calloc()ed slab's would (populated, it was up to 340 KB
 * of resident memory per shard for nothing). A million records are ~340 MB of fresh memory,
 * and taking it a 4 KiB page fault at a time as the loader first writes
 * each page cost a fifth of a restore more than the one call. Not
 * MADV_HUGEPAGE: faster still when huge pages are free, but with THP's
 * default defrag setting a fault compacts memory to make them, measured
 * at 2 s for one restore here. The slabs live as long as the table (never
 * freed one by one; the table may add calloc()ed ones as it grows). 0,
 * or -1 on ENOMEM.
 */
static int
slabs_map(struct table *t, size_t nrec)
{
	size_t nslabs = (nrec + SLAB_RECORDS - 1) / SLAB_RECORDS, i;
	size_t len = nslabs * SLAB_RECORDS * sizeof(struct employee);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t fill = (nrec * sizeof(struct employee) + page - 1) / page * page;
	char *r;

	if (t->nslabs != 0 || t->region != NULL ||
	    (t->slabs = malloc(nslabs * sizeof(*t->slabs))) == NULL)
		return -1;
	r = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return -1;
#ifdef MADV_POPULATE_WRITE
	(void)madvise(r, fill < len ? fill : len, MADV_POPULATE_WRITE);	/* else faults on use */
#else
	(void)fill;
#endif
	t->region = r;
	t->region_len = len;
	for (i = 0; i < nslabs; i++)
		t->slabs[i] = (struct employee *)(void *)(r + i * SLAB_RECORDS *
		    sizeof(struct employee));
	t->nslabs = nslabs;
	return 0;
}

/* An empty table gets nslots indices, none of them live or free yet:
 * table_restore_put() says which each is. 0, or -1 (not empty, too many,
 * ENOMEM). */
int
table_restore_slots(struct table *t, size_t nslots)
{
	uint32_t *f;
	uint64_t n = t->nslots;

	if (t->live != 0 || t->used != 0 || nslots >= UINT32_MAX - 1)
		return -1;
	/* the hash index sized once for all of them (no growing and
	 * rehashing while a million records come back), with room in a slot
	 * for every index handed out (reserve()) */
	while (n <= TABLE_MAX && ((uint64_t)nslots + 1) * 4 > n * 3)
		n = next_size(n);
	while (n <= TABLE_MAX && (uint64_t)nslots + 1 >= ref_mask(bits_for(n)))
		n = next_size(n);
	if (n > TABLE_MAX || (n != t->nslots && rehash(t, (size_t)n) == -1))
		return -1;
	if (nslots > 0 && (f = malloc(nslots * sizeof(*f))) == NULL)
		return -1;
	if (nslots > 0) {
		t->freed = f;
		t->capfreed = nslots;
		if ((t->pend = malloc(nslots * sizeof(*t->pend))) == NULL ||
		    slabs_map(t, nslots) == -1)
			return -1;
	}
	t->used = (uint32_t)nslots;
	return 0;
}

/* Puts a copy of *src at index i (kind TABLE_SLOT_LIVE; src's id is
 * copied, its attribute array, if any, now belongs to the table) or marks
 * i free (TABLE_SLOT_TOMB, src NULL). 0, or -1 when i is out of range or
 * live already, the id is invalid, or ENOMEM. The record is not in the
 * hash index yet: table_restore_check() must follow the last one. */
int
table_restore_put(struct table *t, size_t i, int kind, const struct employee *src)
{
	struct employee *e;
	size_t len;
	char *copy;

	/* src may be the record itself, loaded in place (its id not the
	 * table's yet) */
	if (i >= t->used || ((e = rec(t, (uint32_t)i + 1))->id != NULL && e != src))
		return -1;
	if (kind == TABLE_SLOT_TOMB) {
		if (t->nfreed >= t->capfreed)
			return -1;
		free_push(t, (uint32_t)i + 1);
		return 0;
	}
	if (kind != TABLE_SLOT_LIVE || src == NULL || src->id == NULL ||
	    (len = strnlen(src->id, EMPLOYEE_ID_MAX + 1)) > EMPLOYEE_ID_MAX || len == 0 ||
	    t->npend >= t->used || (copy = id_copy(t, src->id, len)) == NULL)
		return -1;
	if (src != e)
		*e = *src;
	e->id = copy;
	e->timer_pos = 0;
	t->pend[t->npend].h = hash_id(copy, len);
	t->pend[t->npend++].ref = (uint32_t)i + 1;
	t->live++;
	return 0;
}

/* The record at index i, to be loaded in place before table_restore_put()
 * makes it live (src the record itself): zeroed, not live, not indexed
 * (the loader must leave its id NULL when it gives up). NULL when i is
 * out of range or live already. */
struct employee *
table_restore_record(struct table *t, size_t i)
{
	struct employee *e;

	if (i >= t->used || (e = rec(t, (uint32_t)i + 1))->id != NULL)
		return NULL;
	return e;
}

/* Links record ref into the index (no tombstones, room: a restore); -1
 * when its id is there already. */
static int
index_link(struct table *t, uint64_t h, uint32_t ref)
{
	size_t i = home(h, t->nslots);
	uint32_t rm = ref_mask(t->bits), tag = make_slot(t->bits, h, 0);

	/* the records' ids are read only when the tags agree */
	for (; t->slots[i] != 0; i = i + 1 == t->nslots ? 0 : i + 1)
		if ((t->slots[i] & ~rm) == tag &&
		    strcmp(rec(t, t->slots[i] & rm)->id, rec(t, ref)->id) == 0)
			return -1;
	t->slots[i] = tag | ref;
	return 0;
}

/* The hash index of a restored table, from the hashes table_restore_put()
 * kept. Each insert's slot is a cache miss in an index of megabytes: the
 * slots of a batch are prefetched before any of them is linked, so that
 * the misses overlap instead of following one another. -1 on a
 * duplicate id. */
static int
index_build(struct table *t)
{
	enum { BATCH = 16 };
	size_t i, k, n;

	for (i = 0; i < t->npend; i += n) {
		n = t->npend - i < BATCH ? t->npend - i : BATCH;
		for (k = 0; k < n; k++)
			__builtin_prefetch(&t->slots[home(t->pend[i + k].h, t->nslots)], 1);
		for (k = 0; k < n; k++)
			if (index_link(t, t->pend[i + k].h, t->pend[i + k].ref) == -1)
				return -1;
	}
	return 0;
}

/* Builds the hash index of the records put; 0 when every index handed
 * out was said to be live or free and no id is there twice, else -1
 * (the table is then fit only for table_free()). */
int
table_restore_check(struct table *t)
{
	int rc;

	if (t->live + t->nfreed != t->used || t->npend != t->live || t->dead != 0 ||
	    (t->live + 1) * 4 > t->nslots * 3 ||
	    (uint64_t)t->used + 1 >= ref_mask(t->bits))
		return -1;
	rc = index_build(t);
	free(t->pend);
	t->pend = NULL;
	t->npend = 0;
	return rc;
}
