/*
 * workq.c: the queue. The points name the steps where another process
 * interleaving would matter; "workq" is the lock site.
 */
#include "workq.h"

#include <errno.h>

int wq_init(ic_ctx *ctx, workq *q, bool peek_unlocked)
{
	q->head = 0;
	q->count = 0;
	q->peek_unlocked = peek_unlocked;
	return ic_lock_init(ctx, &q->lock, IC_LOCK_MUTEX, "workq");
}

void wq_destroy(ic_ctx *ctx, workq *q)
{
	ic_lock_destroy(ctx, &q->lock);
}

int wq_push(ic_ctx *ctx, workq *q, uint64_t job)
{
	if (ic_lock(ctx, &q->lock) < 0)
		return errno;
	ic_point(ctx, "workq/push/locked");
	if (q->count >= WORKQ_CAP) {
		ic_unlock(ctx, &q->lock);
		return EAGAIN;
	}
	q->jobs[(q->head + q->count) % WORKQ_CAP] = job;
	ic_point(ctx, "workq/push/written");
	q->count++;
	ic_unlock(ctx, &q->lock);
	return 0;
}

static int take(ic_ctx *ctx, workq *q, uint64_t *job)
{
	*job = q->jobs[q->head];
	ic_point(ctx, "workq/pop/taken");
	q->head = (q->head + 1) % WORKQ_CAP;
	q->count--;
	return 0;
}

int wq_pop(ic_ctx *ctx, workq *q, uint64_t *job)
{
	/*
	 * THE BUG (peek_unlocked): an empty queue is answered without the lock,
	 * which is fine, but a non-empty look is then trusted under the lock.
	 * Two consumers can both see the last job; the second takes a stale
	 * slot and drives count below zero.
	 */
	if (q->peek_unlocked && q->count <= 0)
		return EAGAIN;
	ic_point(ctx, "workq/pop/peeked");
	if (ic_lock(ctx, &q->lock) < 0)
		return errno;
	ic_point(ctx, "workq/pop/locked");
	int rc = !q->peek_unlocked && q->count <= 0 ? EAGAIN : take(ctx, q, job);
	ic_unlock(ctx, &q->lock);
	return rc;
}

int wq_pop_alone(ic_ctx *ctx, workq *q, uint64_t *job)
{
	return q->count <= 0 ? EAGAIN : take(ctx, q, job);
}
