/*
 * sched.h: controlled mode. One process of a run holds the baton and runs;
 * at every scheduling point it asks the scheduler (PCT, or random) who runs
 * next, a pure function of the seed and the steps so far. A process that
 * would block yields the baton instead, and is runnable again when the thing
 * it waits for may have changed. Roles call these; the supervisor sets the
 * scheduler up and steps in when a process dies holding the baton.
 */
#ifndef IC_SCHED_H
#define IC_SCHED_H

#include "role/ctx.h"

/* ---- The supervisor's side ---- */

/* Before fork: priorities and change points from the seed, everyone runnable. */
void ic_sched_init(ic_arena *a, const ic_run_cfg *cfg, unsigned nprocs);
/* A reaped process: if it died holding the baton, it is dead and the baton moves on. */
void ic_sched_reaped(ic_arena *a, unsigned slot, bool unrecoverable_locks);
/* PCT's k when nothing better is known: a guess from --ops and the processes. */
uint64_t ic_sched_default_steps(const ic_run_cfg *cfg, unsigned nprocs);
/* Steps without an operation logged that make a livelock, for a run of k steps. */
uint64_t ic_sched_livelock_steps(uint64_t k);
/* FNV-1a of a point's name, as the decision log keeps it. */
uint32_t ic_sched_point_id(const char *name);
/* PCT's lower bound on finding a bug of depth d in one run: 1 / (n k^(d-1)). */
double ic_sched_bound(unsigned n, uint64_t k, unsigned depth);

/* ---- A role's side (no-ops unless ctx->scheduled) ---- */

/* At the start barrier: waits for the baton; the last to arrive makes the first choice. */
void ic_sched_begin(ic_ctx *ctx);
/* A scheduling point: a step; the baton may move to another process. */
void ic_sched_step(ic_ctx *ctx, const char *point);
/*
 * This process cannot go on (a lock taken, an empty queue): it waits, without
 * the baton, until what it waits for may have changed (IO, spin: any other
 * process's step; lock: its release; cond: a signal). false: the wait timed
 * out (timed, and nothing else could run).
 */
bool ic_sched_wait(ic_ctx *ctx, int wait, uint64_t obj, bool timed);
/* A lock released or a condition signalled: its waiters may go on. */
void ic_sched_wake(ic_ctx *ctx, int wait, uint64_t obj, bool all);
/* A call that may change what others wait for succeeded (a send, a receive, a release). */
void ic_sched_acted(ic_ctx *ctx);
/* An operation was logged: the run makes progress (a livelock is steps without any). */
void ic_sched_progress(ic_ctx *ctx);
/* Injector `inj` fired here: recorded in the decision log. */
void ic_sched_fault(ic_ctx *ctx, const char *point, unsigned inj);
/* A listed schedule: 1 if it lists injector `inj` firing here, now, else 0; -1: no list is replayed. */
int ic_sched_listed_fault(ic_ctx *ctx, unsigned inj, const char *point);
/* The delay injector in controlled mode: this process drops to the lowest priority. */
void ic_sched_yield(ic_ctx *ctx);
/* The stall injector: not scheduled for `steps` steps (or until nothing else can run). */
void ic_sched_stall(ic_ctx *ctx, uint64_t steps);
/* Scenario time, in microseconds: steps taken plus the time jumped while everyone slept. */
uint64_t ic_sched_now_us(const ic_ctx *ctx);
/* The body returned (done) or an injected kill is about to end it (dead): the baton moves on. */
void ic_sched_end(ic_ctx *ctx, bool dead);

#endif
