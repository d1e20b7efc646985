/*
 * workq: a bounded queue of 64-bit jobs in shared memory, for several
 * producer and consumer processes. An example of code a user instruments
 * with ipchaos: its lock is an ic_lock and its steps are ic_points, so a
 * harness build can delay, kill or unlock it, and a -DIPCHAOS_DISABLE build
 * is the plain process-shared queue.
 */
#ifndef WORKQ_H
#define WORKQ_H

#include "ipchaos.h"

#define WORKQ_CAP 16

typedef struct workq {
	ic_lock_t lock;
	int32_t head;  /* next slot to pop */
	int32_t count; /* jobs queued */
	bool peek_unlocked; /* the "fast path" of wq_pop: see workq.c */
	uint64_t jobs[WORKQ_CAP];
} workq;

/* In memory every user maps (MAP_SHARED), before they start. 0 or -1 with errno. */
int wq_init(ic_ctx *ctx, workq *q, bool peek_unlocked);
void wq_destroy(ic_ctx *ctx, workq *q);
/* 0, EAGAIN when full, or the errno of a failed lock. */
int wq_push(ic_ctx *ctx, workq *q, uint64_t job);
/* 0 with *job, EAGAIN when empty, or the errno of a failed lock. */
int wq_pop(ic_ctx *ctx, workq *q, uint64_t *job);
/* wq_pop without the lock, once no other process uses the queue (shutdown, post-mortem). */
int wq_pop_alone(ic_ctx *ctx, workq *q, uint64_t *job);

#endif
