/*
 * waitfor.h: deadlock at once, in chaos mode. Each process publishes in the
 * arena the ic_ lock it is blocked on, and each lock its holder; when those
 * waits form a cycle, nobody in it can ever go on, and the supervisor ends
 * the run with a `deadlock` finding instead of waiting for the watchdog.
 */
#ifndef IC_WAITFOR_H
#define IC_WAITFOR_H

#include "internal.h"

typedef struct ic_waitfor {
	unsigned n;                  /* processes in the cycle; 0: none */
	unsigned proc[IC_MAX_PROCS]; /* proc[i] waits for lock[i], held by proc[(i + 1) % n] */
	int lock[IC_MAX_PROCS];
	uint64_t closed_ns;          /* when the last of these waits began */
} ic_waitfor;

/*
 * On a snapshot: waits[p] is the lock process p waits for (-1: none),
 * holder[l] the process holding lock l (-1: none). The cycle of two or more
 * processes with the lowest member, that member first; out->n = 0 if none.
 * A process waiting for a lock it holds itself is no cycle here: the hang
 * watchdog, with its stacks, reports that.
 */
void ic_waitfor_cycle(const int *waits, unsigned nprocs, const int *holder, unsigned nlocks,
		      ic_waitfor *out);

/*
 * The same on the live arena, without a false alarm: each member's wait is
 * read before and after the holders, and a cycle counts only if every
 * member was in the same wait (same sequence number) at both reads: then at
 * every moment in between each held its lock and waited for the next. A
 * process that has finished (flag set at reap) is never a member.
 */
bool ic_waitfor_find(ic_arena *a, unsigned nprocs, ic_waitfor *out);

#endif
