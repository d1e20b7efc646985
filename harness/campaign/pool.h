/*
 * pool.h: runs for --jobs: up to J at once, each in a worker process of its
 * own (a run's supervisor reaps with waitpid(-1), so two runs cannot share a
 * process). With J = 1 there are no workers: a job runs inline when waited for,
 * exactly as a serial campaign would run it.
 */
#ifndef IC_POOL_H
#define IC_POOL_H

#include "core/run.h"

typedef struct ic_pool ic_pool;

/* NULL with errno set when workers cannot be started. */
ic_pool *ic_pool_open(unsigned jobs);
void ic_pool_close(ic_pool *p);

/* Queues a run; returns its id. */
uint64_t ic_pool_submit(ic_pool *p, const ic_run_cfg *cfg);
/* Jobs submitted and not yet waited for or cancelled. */
unsigned ic_pool_pending(const ic_pool *p);
/* Blocks until run `id` ended; its result into res. A worker that died
 * mid-run makes the result BROKEN, saying so. */
void ic_pool_wait(ic_pool *p, uint64_t id, ic_run_result *res);
/* Drops every pending job; runs under way are interrupted and discarded. */
void ic_pool_cancel(ic_pool *p);

#endif
