/*
 * race.h: the data-race detector's runtime (--detect races). Scenario code
 * compiled with -fsanitize=thread calls the __tsan_* entry points (race.c
 * defines them, not libtsan); accesses to the run's checked segments go
 * through FastTrack (Flanagan and Freund, PLDI 2009) over vector clocks kept
 * in the arena, and the harness's own calls (locks, condition variables,
 * messages, channels) add the happens-before edges.
 */
#ifndef IC_RACE_H
#define IC_RACE_H

#include "role/ctx.h"

typedef struct ic_race_shadow ic_race_shadow;

/* One process's view: which of its addresses are which region, its clock, its stack. */
typedef struct ic_race_proc {
	bool on;             /* a role of a run that detects races */
	ic_ctx *ctx;         /* the role's: under the scheduler, an atomic on a checked segment is a step */
	ic_race_arena *ra;
	ic_race_shadow *sh;
	unsigned slot;
	uint32_t *clock;     /* ra->clock[slot] */
	const char *point;   /* the last point it passed */
	unsigned nmaps;
	struct {
		uintptr_t base;
		size_t size;
		unsigned region;
	} maps[IC_RACE_REGIONS];
	unsigned depth;                /* function entries (may exceed the kept ones) */
	uint64_t calls[64];            /* their call sites, outermost first */
	bool fenced;                   /* a release fence since: relaxed stores release */
	ic_vclock fence_clock;         /* the clock at that fence */
	ic_vclock pending;             /* what relaxed loads read: an acquire fence takes it */
	uint32_t held, skipped;        /* bit per lock id: held now; skipped (nolock) now */
	ic_vclock nolock;              /* nolock runs: what it knows through edges other than locks */
} ic_race_proc;

/* ---- The engine: explicit state, for the runtime and the unit tests ---- */

/* Bytes of a shadow segment for `words` shadow words and n processes; locks: a run that may skip locks. */
size_t ic_race_shadow_bytes(uint64_t words, unsigned nprocs, bool locks);
/* Lays out a zeroed segment of that size. */
ic_race_shadow *ic_race_shadow_init(void *mem, uint64_t words, unsigned nprocs, bool locks);
/* Binds p to process `slot` of ra (whose shadow is sh): its clock starts at 1. */
void ic_race_proc_init(ic_race_proc *p, ic_race_arena *ra, ic_race_shadow *sh, unsigned slot);
/* Region `region`'s bytes [off, off+size) read or written (IC_RACE_WRITE, IC_RACE_ATOMIC) at pc. */
void ic_race_access(ic_race_proc *p, unsigned region, uint64_t off, unsigned size, unsigned flags,
		    uint64_t pc);
/* A release into a sync clock (copy, or join for a read-modify-write), then a new epoch. */
void ic_race_release(ic_race_proc *p, uint32_t *sync, bool join);
void ic_race_acquire(ic_race_proc *p, const uint32_t *sync);
/* The same through a lock: what the lock discipline (nolock runs) must not count as order. */
void ic_race_acquire_lock(ic_race_proc *p, const uint32_t *sync);
/* The sync clock of a key (an atomic word, a condition variable, a channel); NULL: no room. */
uint32_t *ic_race_sync(ic_race_proc *p, uint64_t key);
/* Messages: the clock a producer had when it sent its seq-th message, and its receive. */
void ic_race_msg_send(ic_race_proc *p, uint64_t seq);
void ic_race_msg_recv(ic_race_proc *p, unsigned producer, uint64_t seq);
/* An atomic access of `size` bytes at a checked address with memory order mo (C11's numbering). */
enum { IC_MO_RELAXED, IC_MO_CONSUME, IC_MO_ACQUIRE, IC_MO_RELEASE, IC_MO_ACQ_REL, IC_MO_SEQ_CST };
void ic_race_atomic(ic_race_proc *p, unsigned region, uint64_t off, unsigned size, bool load, bool store,
		    int mo, uint64_t pc);
void ic_race_fence(ic_race_proc *p, int mo);
/* The same in two halves around the operation itself, done with the word's stripe held. */
atomic_int *ic_race_atomic_lock(ic_race_proc *p, unsigned region, uint64_t off);
void ic_race_atomic_done(ic_race_proc *p, atomic_int *lock, unsigned region, uint64_t off, unsigned size,
			 bool loaded, bool stored, int mo, uint64_t pc);

/* Ordered queues (race_queue.c): a receive takes the clock of the send it got, found by counting. */
typedef struct ic_race_queue ic_race_queue;
size_t ic_race_queues_bytes(void);
void *ic_race_queues_mem(ic_race_shadow *sh);
/* The queue of a channel key; NULL: no room (its receives take the conservative edge). A queue
 * is counted only once trusted: emptied and counted before the fork (setup's), never otherwise. */
ic_race_queue *ic_race_queue_of(ic_race_proc *p, uint64_t key);
void ic_race_queue_trust(ic_race_queue *q, bool trusted);
bool ic_race_queue_counted(ic_race_queue *q);
/* Around the call that sends a message of this content: the queue's senders take turns. */
void ic_race_q_send_begin(ic_race_proc *p, ic_race_queue *q, uint64_t content);
void ic_race_q_send_end(ic_race_proc *p, ic_race_queue *q, uint64_t content, bool sent);
/* Around the call that receives: true when the sends it may have got were joined. */
uint64_t ic_race_q_recv_begin(ic_race_queue *q);
/* whole: the message was not cut short (else the queue is counted no more). */
bool ic_race_q_recv_end(ic_race_proc *p, ic_race_queue *q, uint64_t begun, bool got, bool whole,
			uint64_t content);
void ic_race_spin_lock(atomic_int *l);
void ic_race_spin_unlock(atomic_int *l);

/* ---- The runtime: this process's state, bound by the harness ---- */

/* This process's (the entry points are handed no context); race_rt.c owns it. */
extern ic_race_proc ic_race_me;
/* Sync keys by kind, in their top byte. */
enum { KEY_COND = 2, KEY_CHAN, KEY_SYSV, KEY_SEM };

/* The supervisor, before setup: forget the previous run's regions; detect in this one or not. */
void ic_race_run_begin(ic_arena *arena, bool on, unsigned nprocs);
/* After setup, before fork: the shadow segment for the regions setup made. 0, or -1 and why. */
int ic_race_shadow_make(ic_arena *arena, char *err, size_t errsize);
/* In ic_race_shadow_make: what setup left in the run's queues, counted (race_chan.c). */
void ic_race_seed_queues(ic_arena *arena, ic_race_shadow *sh);
/* After the run: unmaps it. */
void ic_race_shadow_free(ic_arena *arena);
/* In a role, before the start barrier. */
void ic_race_role_begin(ic_ctx *ctx);

/* The harness's hooks: one call each, nothing when the run does not detect races. */
void ic_race_point(const char *name);
void ic_race_lock_acquired(ic_ctx *ctx, int lock_id, bool recovered_from);
void ic_race_lock_release(ic_ctx *ctx, int lock_id);
/* nolock skipped this acquire; the unlock that goes with it ends the skip. */
void ic_race_lock_skipped(ic_ctx *ctx, int lock_id, bool skipped);
void ic_race_cond_signal(ic_ctx *ctx, const void *cond);
void ic_race_cond_woken(ic_ctx *ctx, const void *cond);
/* Any other channel object, conservatively: every send before every later receive. */
/* framed: the channel keeps message boundaries, so msg (what was sent, what was received) narrows the edge. */
void ic_race_chan_send(ic_ctx *ctx, int fd_or_id, bool sysv, const void *msg, size_t len, bool framed);
void ic_race_chan_recv(ic_ctx *ctx, int fd_or_id, bool sysv, const void *msg, size_t len, bool framed);
/* A POSIX or SysV queue keeps its order: around each call that sends or receives on one. */
void ic_race_qsend_begin(ic_ctx *ctx, int fd_or_id, bool sysv, const void *msg, size_t len, unsigned prio);
void ic_race_qsend_end(ic_ctx *ctx, bool sent);
void ic_race_qrecv_begin(ic_ctx *ctx, int fd_or_id, bool sysv);
void ic_race_qrecv_end(ic_ctx *ctx, int fd_or_id, bool sysv, const void *msg, ssize_t n, unsigned prio, bool whole);
/* A role made (or opened to make) a queue: it may be a new one on an old one's inode, so it is not counted. */
void ic_race_queue_made(ic_ctx *ctx, int fd_or_id, bool sysv);
/* Is this process detecting races (its sends then never block holding a queue's send lock)? */
bool ic_race_on(void);
void ic_race_sem_post(const void *sem);
void ic_race_sem_acquired(const void *sem);
void ic_race_msg_sent(ic_ctx *ctx, uint64_t seq);
void ic_race_msg_received(ic_ctx *ctx, const void *buf, long len);

/* What include/ipchaos_race.h routes the semaphore calls of instrumented code to. */
int ic_race_shim_sem_post(sem_t *sem);
int ic_race_shim_sem_wait(sem_t *sem);
int ic_race_shim_sem_trywait(sem_t *sem);
int ic_race_shim_sem_timedwait(sem_t *sem, const struct timespec *abs_timeout);

#endif
