/*
 * remote.c: the contributions of partitions another instance owns
 * (DESIGN.md, "Scale-out", shared statistics).
 *
 * With several instances in a group each owns some of the input's
 * partitions; the epoch model is still the merge of every partition's
 * contribution in partition order. A partition this pipeline has no
 * shard for can hold a remote contribution instead: the image its owner
 * published (pipeline_contrib_save() there, read back from the stats
 * topic here), loaded into a shard model of the live base by name
 * (model_contrib_load()). It sits in p->models[] where the shard's model
 * would, so model_advance() merges it in its partition's place and
 * forgets it like a shard's statistics at each boundary; a newer image
 * replaces it. A partition gained (a shard made here) drops its remote
 * contribution: from then on the shard is the contribution.
 *
 * Sealing. Once this instance has published a shard's contribution to
 * the next boundary, the shard must not change before the pipeline
 * enters that boundary (the others merge the published image, this
 * instance merges the shard). A partition whose next message is of a
 * later epoch is held by the gate anyway; one published as idle may
 * still receive messages, so pipeline_seal() fires the timers the closing
 * epoch left in the shard (which a single instance fires at the boundary,
 * before the refit: their scores accrue exposure), then makes
 * pipeline_run() refuse
 * every message of the shard (PIPE_BLOCKED, as one of the next epoch)
 * until the pipeline enters an epoch: such a message is then applied
 * after the boundary, a late event in the next epoch's statistics, as
 * the idle rule has it for a single instance.
 *
 * Joining. An instance that starts behind the group (a fresh one while
 * the others are epochs ahead, one restarted from an old checkpoint)
 * enters the group's epoch instead of waiting for records of its own:
 * pipeline_join_epoch() moves it to the newest epoch every partition has
 * published in, and its owned shards take the contributions their
 * previous owners published there (pipeline_contrib_adopt()), so that
 * the next boundary merges on it what it merges on the others.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "pipeline_int.h"

static int
slot(int32_t partition)
{
	return partition < 0 ? 0 : partition % SHARDS_MAX;
}

/* See pipeline.h. */
int
pipeline_contrib_save(const struct pipeline *p, int32_t partition, struct wbuf *w,
    uint64_t *events)
{
	const struct shard *sh = p->shards[slot(partition)];

	*events = sh != NULL ? sh->events : 0;
	if (sh == NULL)
		return -1;
	return model_contrib_save(sh->model, w);
}

struct remotes {
	struct model	*m[SHARDS_MAX];		/* NULL: none */
	long		 sealed[SHARDS_MAX];	/* epoch sealed in, LONG_MIN none */
	uint64_t	 events[SHARDS_MAX];	/* applied there, as published */
};

/* p->remote, made on first use; NULL on ENOMEM. */
static struct remotes *
remotes(struct pipeline *p)
{
	if (p->remote == NULL && (p->remote = calloc(1, sizeof(*p->remote))) != NULL)
		for (int i = 0; i < SHARDS_MAX; i++)
			p->remote->sealed[i] = LONG_MIN;
	return p->remote;
}

/* See pipeline_int.h. */
void
remote_release(struct pipeline *p, int i)
{
	if (p->remote == NULL || p->remote->m[i] == NULL)
		return;
	if (p->models[i] == p->remote->m[i])
		p->models[i] = NULL;
	model_free(p->remote->m[i]);
	p->remote->m[i] = NULL;
	p->remote->events[i] = 0;
}

/* See pipeline_int.h. */
void
remote_free_all(struct pipeline *p)
{
	if (p->remote == NULL)
		return;
	for (int i = 0; i < SHARDS_MAX; i++)
		remote_release(p, i);
	free(p->remote);
	p->remote = NULL;
}

/* See pipeline.h. */
int
pipeline_remote_load(struct pipeline *p, int32_t partition, struct rbuf *r,
    uint64_t events, char *errbuf, size_t errlen)
{
	int i = slot(partition);
	struct model *m;

	if (p->shards[i] != NULL) {
		snprintf(errbuf, errlen, "partition %d: owned here", i);
		return -1;
	}
	if (remotes(p) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if ((m = model_new_shard(p->model, errbuf, errlen)) == NULL)
		return -1;
	if (model_contrib_load(m, r, errbuf, errlen) == -1) {
		model_free(m);
		return -1;
	}
	remote_release(p, i);
	p->remote->events[i] = events;
	p->remote->m[i] = m;
	p->models[i] = m;
	if (i + 1 > p->nshards)
		p->nshards = i + 1;
	return 0;
}

/* See pipeline.h. */
int
pipeline_join_epoch(struct pipeline *p, long epoch)
{
	if (epoch <= p->epoch || model_join_epoch(p->model, epoch) == -1)
		return -1;
	p->epoch = epoch;
	return 0;
}

/* See pipeline.h: loaded aside first, so that a bad image changes
 * nothing. */
int
pipeline_contrib_adopt(struct pipeline *p, int32_t partition, struct rbuf *r,
    uint64_t events, char *errbuf, size_t errlen)
{
	int i = slot(partition);
	struct shard *sh;
	struct model *m;

	if ((m = model_new_shard(p->model, errbuf, errlen)) == NULL)
		return -1;
	if (r != NULL && model_contrib_load(m, r, errbuf, errlen) == -1) {
		model_free(m);
		return -1;
	}
	if ((sh = pipeline_shard_get(p, partition)) == NULL) {
		model_free(m);
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	model_free(sh->model);
	sh->model = m;
	sh->events = events;
	p->models[i] = m;
	return 0;
}

/* See pipeline.h. */
void
pipeline_remote_drop(struct pipeline *p, int32_t partition)
{
	remote_release(p, slot(partition));
}

/* See pipeline.h. */
int
pipeline_remote_held(const struct pipeline *p, int32_t partition)
{
	return p->remote != NULL && p->remote->m[slot(partition)] != NULL;
}

/* See pipeline.h: the timers first, their scores are part of the
 * contribution (at a boundary rescore_close_epoch() would fire them);
 * those of later epochs stay queued. */
int
pipeline_seal(struct pipeline *p, int32_t partition, pipeline_emit_fn emit,
    void *arg)
{
	struct shard *sh = p->shards[slot(partition)];

	if (remotes(p) == NULL)
		return -1;
	if (sh != NULL) {
		p->emit = emit;
		p->arg = arg;
		p->msg = NULL;
		p->failed = 0;
		rescore_close_shard(p, sh);
		if (p->failed)
			return -1;
	}
	p->remote->sealed[slot(partition)] = p->epoch;
	return 0;
}

/* See pipeline_int.h. */
uint64_t
remote_events(const struct pipeline *p, int i)
{
	return p->remote != NULL && p->remote->m[i] != NULL ? p->remote->events[i] : 0;
}

/* See pipeline_int.h. */
long
remote_blocked_epoch(const struct pipeline *p, int32_t partition, long k)
{
	if (p->remote == NULL || p->remote->sealed[slot(partition)] != p->epoch ||
	    k > p->epoch)
		return k;
	return p->epoch + 1;
}
