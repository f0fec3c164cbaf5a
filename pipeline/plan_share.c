/*
 * plan_share.c: the month's plans with several instances (DESIGN.md,
 * "Shared statistics across instances", plans; issue 9).
 *
 * One instance plans at the month's first boundary from the candidates
 * of every shard (each at-risk employee's best action under the new
 * epoch's model, shards in partition order, epoch.c). With several
 * instances each owns some shards only, so planning there would split a
 * department's budget into plans that each spend all of it. Instead,
 * with pipeline_plans_shared(), the boundary keeps each owned shard's
 * candidates as bytes (plan_share_keep(), at the point where one
 * instance plans: after the refit, before any event of the new epoch),
 * the daemon sends them to the other instances
 * (pipeline_plan_candidates_save()), loads theirs
 * (pipeline_plan_candidates_load()), and once every partition's are in,
 * pipeline_plan_publish() decides the plans one instance would: the same
 * candidates in the same order (per department, partition order, each
 * partition's in its table order), so the same allocations, the same
 * plan_id, the same bytes, under the boundary's model version and time.
 *
 * A partition's candidates (little-endian): u32 departments, then per
 * department its name (u32 length + bytes), u32 candidates, and per
 * candidate the employee id (u32 length + bytes), the action (u8 kind,
 * then amount, cost, risk_after, satisfaction_gain, ability_gain,
 * expected_tenure_gain_days, confidence, value as f64 bits) and the risk
 * before (f64). Names, not registry ids: every instance interns its own.
 * They name employees: the daemon carries them like the suggestions.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"

#define PLAN_CANDS_MAX	(1 << 20)	/* per partition, when loading */

struct plan_share {
	long		 epoch;		/* the boundary whose plans wait; -1 */
	int64_t		 at_ms;		/* its start: the plans' time */
	long		 version;	/* the model version there */
	uint8_t		*img[SHARDS_MAX];	/* a partition's candidates */
	size_t		 len[SHARDS_MAX];
	uint8_t		 have[SHARDS_MAX];
};

/* One candidate read back: its department among names[], id kept here. */
struct cand {
	int		 dept;
	char		 id[EMPLOYEE_ID_MAX + 1];
	struct action	 a;
	double		 risk_before;
};

static void
forget(struct plan_share *ps)
{
	for (int i = 0; i < SHARDS_MAX; i++) {
		free(ps->img[i]);
		ps->img[i] = NULL;
		ps->len[i] = 0;
		ps->have[i] = 0;
	}
	ps->epoch = -1;
}

/* See pipeline.h. */
int
pipeline_plans_shared(struct pipeline *p, int on)
{
	if (!on) {
		plan_share_free(p);
		return 0;
	}
	if (p->plans != NULL)
		return 0;
	if ((p->plans = calloc(1, sizeof(*p->plans))) == NULL)
		return -1;
	p->plans->epoch = -1;
	return 0;
}

/* See pipeline_int.h. */
void
plan_share_forget(struct pipeline *p)
{
	if (p->plans != NULL)
		forget(p->plans);
}

/* See pipeline_int.h. */
void
plan_share_free(struct pipeline *p)
{
	if (p->plans == NULL)
		return;
	forget(p->plans);
	free(p->plans);
	p->plans = NULL;
}

/* An action's numbers, in their order in the candidates' bytes. */
#define ACTION_NUMBERS(a) { &(a)->amount, &(a)->cost, &(a)->risk_after, \
	&(a)->satisfaction_gain, &(a)->ability_gain, \
	&(a)->expected_tenure_gain_days, &(a)->confidence, &(a)->value }

static void
put_action(struct wbuf *w, const struct action *a)
{
	const double *v[] = ACTION_NUMBERS(a);

	wbuf_u8(w, (uint8_t)a->kind);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		wbuf_f64(w, *v[i]);
}

static void
get_action(struct rbuf *r, struct action *a)
{
	double *v[] = ACTION_NUMBERS(a);
	uint8_t kind = rbuf_u8(r);

	if (kind >= ACT__COUNT)
		rbuf_fail(r);
	a->kind = (enum action_kind)kind;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		*v[i] = rbuf_f64(r);
}

/* Shard i's candidates at at_ms, every department in name order, into w;
 * 0 or -1 (ENOMEM). */
static int
shard_candidates(struct pipeline *p, int i, int64_t at_ms, struct wbuf *w)
{
	struct strtab	*depts = features_departments(p->features);
	int		 order[DEPARTMENTS_MAX], nd, n;
	uint32_t	 count = 0;
	size_t		 at = wbuf_mark_u32(w);

	nd = plan_departments_by_name(depts, order);
	for (int x = 0; x < nd; x++) {
		if ((n = plan_shard_candidates(p, i, order[x], at_ms, 0)) == -1)
			return -1;
		if (n == 0)
			continue;
		count++;
		wbuf_str(w, strtab_name(depts, order[x]));
		wbuf_u32(w, (uint32_t)n);
		for (int c = 0; c < n; c++) {
			wbuf_str(w, p->cand[c].employee_id);
			put_action(w, &p->cand[c].action);
			wbuf_f64(w, p->cand[c].risk_before);
		}
	}
	wbuf_patch_u32(w, at, count);
	return w->failed ? -1 : 0;
}

/* See pipeline_int.h. */
void
plan_share_keep(struct pipeline *p, int64_t at_ms)
{
	struct plan_share *ps = p->plans;
	struct wbuf w;

	forget(ps);
	ps->epoch = p->epoch;
	ps->at_ms = at_ms;
	ps->version = model_version(p->model);
	for (int i = 0; i < p->nshards && !p->failed; i++) {
		if (p->shards[i] == NULL)
			continue;
		wbuf_init(&w);
		if (shard_candidates(p, i, at_ms, &w) == -1) {
			wbuf_free(&w);
			p->failed = 1;
			break;
		}
		ps->img[i] = w.p;	/* owned from here */
		ps->len[i] = w.len;
		ps->have[i] = 1;
	}
}

/* See pipeline.h. */
long
pipeline_plan_pending(const struct pipeline *p)
{
	return p->plans != NULL ? p->plans->epoch : -1;
}

/* See pipeline.h. */
int
pipeline_plan_candidates_save(const struct pipeline *p, int32_t partition,
    struct wbuf *w)
{
	const struct plan_share *ps = p->plans;
	int i = partition < 0 ? 0 : partition % SHARDS_MAX;

	if (ps == NULL || ps->epoch < 0 || w->failed)
		return -1;
	if (!ps->have[i] || ps->img[i] == NULL) {
		/* no shard at the boundary: nobody at risk there, unless the
		 * partition was gained since (then its candidates are gone) */
		if (p->shards[i] != NULL)
			return -1;
		wbuf_u32(w, 0);
		return w->failed ? -1 : 1;
	}
	wbuf_bytes(w, ps->img[i], ps->len[i]);
	return w->failed ? -1 : 0;
}

/* Reads one partition's candidates, counted in *n; with out, appends
 * them at out[*n] (room for cap) and their department names into
 * names[] (*nnames of them so far, each once). 0, or -1 with errbuf. */
static int
parse(struct rbuf *r, struct cand *out, size_t *n, size_t cap,
    char (*names)[EVENT_STR_MAX], int *nnames, char *errbuf, size_t errlen)
{
	char		 dept[EVENT_STR_MAX], id[EMPLOYEE_ID_MAX + 1];
	struct action	 a;
	double		 rb;
	uint32_t	 nd = rbuf_u32(r), nc;
	int		 d = 0;

	for (uint32_t x = 0; x < nd && !r->failed; x++) {
		rbuf_str(r, dept, sizeof(dept));
		nc = rbuf_u32(r);
		if (r->failed || nc > PLAN_CANDS_MAX)
			break;
		if (out != NULL) {
			for (d = 0; d < *nnames && strcmp(names[d], dept) != 0; d++)
				;
			if (d == *nnames) {
				if (d == DEPARTMENTS_MAX) {
					snprintf(errbuf, errlen, "too many departments");
					return -1;
				}
				memcpy(names[d], dept, sizeof(dept));
				(*nnames)++;
			}
		}
		for (uint32_t c = 0; c < nc && !r->failed; c++) {
			rbuf_str(r, id, sizeof(id));
			get_action(r, &a);
			rb = rbuf_f64(r);
			if (r->failed)
				break;
			if (out == NULL) {
				(*n)++;
				continue;
			}
			if (*n == cap) {
				snprintf(errbuf, errlen, "candidates miscounted");
				return -1;
			}
			out[*n].dept = d;
			memcpy(out[*n].id, id, sizeof(id));
			out[*n].a = a;
			out[*n].risk_before = rb;
			(*n)++;
		}
	}
	if (r->failed || nd > DEPARTMENTS_MAX || rbuf_left(r) != 0) {
		snprintf(errbuf, errlen, "candidates invalid or truncated");
		return -1;
	}
	return 0;
}

/* See pipeline.h. */
int
pipeline_plan_candidates_load(struct pipeline *p, int32_t partition, long epoch,
    struct rbuf *r, char *errbuf, size_t errlen)
{
	struct plan_share *ps = p->plans;
	int i = partition < 0 ? 0 : partition % SHARDS_MAX;
	struct rbuf check = *r;
	const void *img;
	size_t len = rbuf_left(r), n = 0;

	if (ps == NULL || ps->epoch < 0 || epoch != ps->epoch)
		return 1;	/* not the boundary whose plans wait */
	if (parse(&check, NULL, &n, 0, NULL, NULL, errbuf, errlen) == -1)
		return -1;
	if (ps->have[i])
		return 0;	/* its owner's, or loaded already: the same */
	img = rbuf_take(r, len);
	if ((ps->img[i] = malloc(len > 0 ? len : 1)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	memcpy(ps->img[i], img, len);
	ps->len[i] = len;
	ps->have[i] = 1;
	return 0;
}

/* Every partition's candidates into one list, partition order; plans per
 * department by name. 0, or -1 (p->failed set). */
static int
plan_all(struct pipeline *p, int32_t nparts)
{
	struct plan_share *ps = p->plans;
	char		 err[128], (*names)[EVENT_STR_MAX] = NULL;
	struct cand	*all = NULL;
	struct rbuf	 r;
	size_t		 total = 0, n = 0;
	int		 nnames = 0, order[DEPARTMENTS_MAX], k, rc = -1;

	for (int32_t i = 0; i < nparts; i++) {
		rbuf_init(&r, ps->img[i], ps->len[i]);
		if (parse(&r, NULL, &total, 0, NULL, NULL, err, sizeof(err)) == -1)
			goto out;
	}
	names = calloc(DEPARTMENTS_MAX, sizeof(*names));
	if (names == NULL || (total > 0 && (all = calloc(total, sizeof(*all))) == NULL))
		goto out;
	for (int32_t i = 0; i < nparts; i++) {
		rbuf_init(&r, ps->img[i], ps->len[i]);
		if (parse(&r, all, &n, total, names, &nnames, err, sizeof(err)) == -1)
			goto out;
	}
	/* the names in strcmp order, as plan_departments_by_name() gives them */
	for (int d = 0, j; d < nnames; d++) {
		for (j = d; j > 0 && strcmp(names[order[j - 1]], names[d]) > 0; j--)
			order[j] = order[j - 1];
		order[j] = d;
	}
	for (int x = 0; x < nnames && !p->failed; x++) {
		k = 0;
		for (size_t c = 0; c < n; c++) {
			if (all[c].dept != order[x])
				continue;
			if (plan_scratch(p, (size_t)k + 1) == -1)
				goto out;
			p->cand[k].employee_id = all[c].id;
			p->cand[k].action = all[c].a;
			p->cand[k].risk_before = all[c].risk_before;
			k++;
		}
		if (k > 0)
			plan_put(p, names[order[x]], k, ps->at_ms, ps->version);
	}
	rc = p->failed ? -1 : 0;
out:
	if (rc == -1)
		p->failed = 1;
	free(all);
	free(names);
	return rc;
}

/* See pipeline.h. */
int
pipeline_plan_publish(struct pipeline *p, int32_t npartitions,
    pipeline_emit_fn emit, void *arg)
{
	struct plan_share *ps = p->plans;

	if (ps == NULL || ps->epoch < 0 || npartitions <= 0 ||
	    npartitions > SHARDS_MAX)
		return 0;
	for (int32_t i = 0; i < npartitions; i++)
		if (!ps->have[i])
			return 0;
	p->emit = emit;
	p->arg = arg;
	p->msg = NULL;
	p->failed = 0;
	if (plan_all(p, npartitions) == -1)
		return -1;
	forget(ps);
	return 1;
}
