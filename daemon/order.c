/*
 * order.c: the records read back from the repartition streams, held until
 * the end of their epoch and given back in a fixed order (DESIGN.md,
 * "Scale-out", "Exact outputs with re-routed events"; route_order.c does
 * the Kafka side). No Kafka here: an item is the caller's.
 *
 * Design note. A shard applies its own partition's events of an epoch as
 * they come, and the records read back for it at the boundary, sorted by
 * their key: the event's time, then the input record each copies (source
 * partition, source offset) for a tie. That order is a function of the
 * input; the order in which they were read is not (it follows how the
 * consumer interleaved the input partitions that sent them). Time first,
 * so that an employee whose events come from several partitions (sent
 * without a key) has them applied in the order they happened.
 *
 * Bounded: at most max_items items and max_bytes bytes over all streams.
 * Past the bound a stream keeps the smallest keys only and *spills* the
 * rest: it remembers the lowest key and the lowest repartition offset it
 * let go (the item is the caller's to destroy). The invariant is that
 * every key let go is larger than every key kept, so the kept ones are
 * the first of the stream's sorted order: the caller applies them, then
 * reads the stream again from the lowest offset let go (order_pass()),
 * offering only keys after the last one applied, and so on until a pass
 * lets nothing go. Each stream is a max-heap by key (eviction of the
 * largest in O(log n)); order_take_all() sorts it once for the caller.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct order_stream {
	struct order_item	*v;		/* max-heap by key */
	size_t			 n, cap;
	int			 spilled;
	struct order_key	 drop_min;	/* smallest key let go */
	int64_t			 drop_pos;	/* lowest offset let go */
	int			 filtered;	/* a pass: keys after `after` only */
	struct order_key	 after;
};

struct order {
	struct order_stream	**s;		/* indexed by stream id */
	int32_t			  ns;
	size_t			  items, bytes;
	size_t			  max_items, max_bytes;
};

struct order *
order_new(size_t max_items, size_t max_bytes)
{
	struct order *o = xcalloc(1, sizeof(*o));

	o->max_items = max_items;
	o->max_bytes = max_bytes;
	return o;
}

/* Frees o; every item held goes to drop(item) first. NULL-safe. */
void
order_free(struct order *o, void (*drop)(void *))
{
	if (o == NULL)
		return;
	for (int32_t i = 0; i < o->ns; i++) {
		if (o->s[i] == NULL)
			continue;
		order_drop_stream(o, i, drop);
		free(o->s[i]->v);
		free(o->s[i]);
	}
	free(o->s);
	free(o);
}

/* -1, 0, 1 as a is before, equal to or after b. */
int
order_cmp(struct order_key a, struct order_key b)
{
	if (a.time_ms != b.time_ms)
		return a.time_ms < b.time_ms ? -1 : 1;
	if (a.src != b.src)
		return a.src < b.src ? -1 : 1;
	if (a.off != b.off)
		return a.off < b.off ? -1 : 1;
	return 0;
}

static struct order_stream *
stream(struct order *o, int32_t id, int create)
{
	int32_t n;

	if (id < 0)
		return NULL;
	if (id >= o->ns) {
		if (!create)
			return NULL;
		n = id + 1 > o->ns * 2 ? id + 1 : o->ns * 2;
		if ((o->s = realloc(o->s, (size_t)n * sizeof(*o->s))) == NULL)
			fatal("realloc");
		memset(o->s + o->ns, 0, (size_t)(n - o->ns) * sizeof(*o->s));
		o->ns = n;
	}
	if (o->s[id] == NULL && create)
		o->s[id] = xcalloc(1, sizeof(struct order_stream));
	return o->s[id];
}

static void
swap(struct order_item *a, struct order_item *b)
{
	struct order_item t = *a;

	*a = *b;
	*b = t;
}

static void
sift_up(struct order_stream *s, size_t i)
{
	while (i > 0 && order_cmp(s->v[(i - 1) / 2].key, s->v[i].key) < 0) {
		swap(&s->v[(i - 1) / 2], &s->v[i]);
		i = (i - 1) / 2;
	}
}

static void
sift_down(struct order_stream *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->n && order_cmp(s->v[l].key, s->v[m].key) > 0)
			m = l;
		if (r < s->n && order_cmp(s->v[r].key, s->v[m].key) > 0)
			m = r;
		if (m == i)
			return;
		swap(&s->v[i], &s->v[m]);
		i = m;
	}
}

/* it is let go: the stream spills (the caller destroys the item). */
static void
let_go(struct order_stream *s, const struct order_item *it)
{
	if (!s->spilled || order_cmp(it->key, s->drop_min) < 0)
		s->drop_min = it->key;
	if (!s->spilled || it->pos < s->drop_pos)
		s->drop_pos = it->pos;
	s->spilled = 1;
}

static void
push(struct order *o, struct order_stream *s, const struct order_item *it)
{
	if (s->n == s->cap) {
		s->cap = s->cap > 0 ? s->cap * 2 : 16;
		if ((s->v = realloc(s->v, s->cap * sizeof(*s->v))) == NULL)
			fatal("realloc");
	}
	s->v[s->n++] = *it;
	sift_up(s, s->n - 1);
	o->items++;
	o->bytes += it->bytes;
}

/*
 * Offers an item to stream id. Returns 1 when it is kept (o holds it), 0
 * when it is let go (the caller destroys it; a key at or before a pass's
 * `after` is not wanted and lets nothing go). *evicted: an item o let go
 * to make room (the caller destroys it), or NULL. force: kept whatever
 * the bound (a record given back unapplied, whose key is before every
 * other).
 */
int
order_put(struct order *o, int32_t id, const struct order_item *it, int force,
    void **evicted)
{
	struct order_stream *s = stream(o, id, 1);

	*evicted = NULL;
	if (!force && s->filtered && order_cmp(it->key, s->after) <= 0)
		return 0;	/* applied already in this round */
	if (!force && s->spilled && order_cmp(it->key, s->drop_min) >= 0) {
		let_go(s, it);	/* keeps every key let go after every one kept */
		return 0;
	}
	if (!force && (o->items >= o->max_items ||
	    o->bytes + it->bytes > o->max_bytes)) {
		if (s->n == 0 || order_cmp(it->key, s->v[0].key) > 0) {
			let_go(s, it);
			return 0;
		}
		*evicted = s->v[0].item;	/* the largest key goes */
		let_go(s, &s->v[0]);
		o->items--;
		o->bytes -= s->v[0].bytes;
		s->v[0] = s->v[--s->n];
		sift_down(s, 0);
	}
	push(o, s, it);
	return 1;
}

static int
cmp_items(const void *a, const void *b)
{
	return order_cmp(((const struct order_item *)a)->key,
	    ((const struct order_item *)b)->key);
}

/* Takes every item of stream id, sorted by key: a new array of *n (free()
 * it; NULL when none). The spill state stays (order_spilled()). */
struct order_item *
order_take_all(struct order *o, int32_t id, size_t *n)
{
	struct order_stream *s = stream(o, id, 0);
	struct order_item *v;

	*n = 0;
	if (s == NULL || s->n == 0)
		return NULL;
	v = s->v;
	*n = s->n;
	qsort(v, *n, sizeof(*v), cmp_items);
	for (size_t i = 0; i < *n; i++)
		o->bytes -= v[i].bytes;
	o->items -= *n;
	s->v = NULL;
	s->n = s->cap = 0;
	return v;
}

/* 1 when stream id let items go since its last pass began (*pos: the
 * lowest repartition offset let go), else 0. */
int
order_spilled(const struct order *o, int32_t id, int64_t *pos)
{
	const struct order_stream *s = id >= 0 && id < o->ns ? o->s[id] : NULL;

	if (s == NULL || !s->spilled)
		return 0;
	*pos = s->drop_pos;
	return 1;
}

/* A pass over the stream again begins: only keys after `after` (the last
 * applied) are wanted, and nothing has been let go yet. */
void
order_pass(struct order *o, int32_t id, struct order_key after)
{
	struct order_stream *s = stream(o, id, 1);

	s->spilled = 0;
	s->filtered = 1;
	s->after = after;
}

/* The round is over: every key is wanted again. */
void
order_pass_end(struct order *o, int32_t id)
{
	struct order_stream *s = stream(o, id, 0);

	if (s != NULL)
		s->filtered = 0;
}

/* Items held by stream id (-1: by every stream). */
size_t
order_count(const struct order *o, int32_t id)
{
	if (id < 0)
		return o->items;
	return id < o->ns && o->s[id] != NULL ? o->s[id]->n : 0;
}

/* The lowest repartition offset stream id holds or let go; -1 when none. */
int64_t
order_min_pos(const struct order *o, int32_t id)
{
	const struct order_stream *s = id >= 0 && id < o->ns ? o->s[id] : NULL;
	int64_t min = -1;

	if (s == NULL)
		return -1;
	if (s->spilled)
		min = s->drop_pos;
	for (size_t i = 0; i < s->n; i++)
		if (min < 0 || s->v[i].pos < min)
			min = s->v[i].pos;
	return min;
}

/* Every item of stream id goes to drop(item); its spill is forgotten (the
 * stream is read again from elsewhere, or given up). */
void
order_drop_stream(struct order *o, int32_t id, void (*drop)(void *))
{
	struct order_stream *s = id >= 0 && id < o->ns ? o->s[id] : NULL;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++) {
		o->bytes -= s->v[i].bytes;
		drop(s->v[i].item);
	}
	o->items -= s->n;
	s->n = 0;
	s->spilled = 0;
	s->filtered = 0;
}

/* 1 while some stream holds items or let some go. */
int
order_pending(const struct order *o)
{
	if (o->items > 0)
		return 1;
	for (int32_t i = 0; i < o->ns; i++)
		if (o->s[i] != NULL && o->s[i]->spilled)
			return 1;
	return 0;
}
