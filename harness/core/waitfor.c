/*
 * waitfor.c: the supervisor's wait-for graph over ic_ locks (waitfor.h).
 * Each process waits for at most one lock and each lock has at most one
 * holder, so the graph is a function: following it from any process either
 * ends or enters a cycle within nprocs steps.
 */
#include "core/waitfor.h"

#include <string.h>

/* The process p waits on: the holder of its lock, or -1. */
static int next_of(const int *waits, unsigned nprocs, const int *holder, unsigned nlocks, unsigned p)
{
	int l = waits[p];
	if (l < 0 || (unsigned)l >= nlocks)
		return -1;
	int h = holder[l];
	return h >= 0 && (unsigned)h < nprocs ? h : -1;
}

void ic_waitfor_cycle(const int *waits, unsigned nprocs, const int *holder, unsigned nlocks,
		      ic_waitfor *out)
{
	out->n = 0;
	for (unsigned start = 0; start < nprocs; start++) {
		/* nprocs steps from anywhere land on the cycle, if there is one. */
		int p = (int)start;
		for (unsigned k = 0; k < nprocs && p >= 0; k++)
			p = next_of(waits, nprocs, holder, nlocks, (unsigned)p);
		if (p < 0)
			continue;
		unsigned low = (unsigned)p, len = 0;
		int q = p;
		do {
			if ((unsigned)q < low)
				low = (unsigned)q;
			len++;
			q = next_of(waits, nprocs, holder, nlocks, (unsigned)q);
		} while (q != p && q >= 0);
		if (len < 2)
			continue; /* waits for a lock it holds itself: hang's to report */
		q = (int)low;
		for (unsigned i = 0; i < len; i++) {
			out->proc[i] = (unsigned)q;
			out->lock[i] = waits[q];
			q = next_of(waits, nprocs, holder, nlocks, (unsigned)q);
		}
		out->n = len;
		return;
	}
}

/* Each live process's wait: the sequence number first, then the lock (the writer's reverse order). */
static unsigned read_waits(ic_arena *a, unsigned nprocs, int *waits, unsigned *seq)
{
	unsigned waiting = 0;
	for (unsigned p = 0; p < nprocs; p++) {
		ic_slot *s = &a->slots[p];
		seq[p] = atomic_load_explicit(&s->wait_seq, memory_order_acquire);
		int w = atomic_load_explicit(&s->waiting_for, memory_order_acquire);
		bool live = !atomic_load_explicit(&s->finished, memory_order_acquire);
		waits[p] = live && w > 0 ? w - 1 : -1;
		waiting += waits[p] >= 0;
	}
	return waiting;
}

/* Still in the same wait: the lock first, then the sequence number. */
static bool same_wait(ic_arena *a, unsigned p, int lock, unsigned seq)
{
	ic_slot *s = &a->slots[p];
	int w = atomic_load_explicit(&s->waiting_for, memory_order_acquire);
	unsigned again = atomic_load_explicit(&s->wait_seq, memory_order_acquire);
	return w == lock + 1 && again == seq && !atomic_load_explicit(&s->finished, memory_order_acquire);
}

bool ic_waitfor_find(ic_arena *a, unsigned nprocs, ic_waitfor *out)
{
	int waits[IC_MAX_PROCS], holder[IC_MAX_LOCKS];
	unsigned seq[IC_MAX_PROCS];
	out->n = 0;
	if (nprocs > IC_MAX_PROCS || read_waits(a, nprocs, waits, seq) < 2)
		return false; /* the common case: one load per process */
	unsigned nlocks = atomic_load(&a->nlocks);
	if (nlocks > IC_MAX_LOCKS)
		nlocks = IC_MAX_LOCKS;
	for (unsigned l = 0; l < nlocks; l++)
		holder[l] = atomic_load_explicit(&a->locks[l].holder, memory_order_acquire) - 1;
	ic_waitfor_cycle(waits, nprocs, holder, nlocks, out);
	for (unsigned i = 0; i < out->n; i++)
		if (!same_wait(a, out->proc[i], out->lock[i], seq[out->proc[i]])) {
			out->n = 0; /* it moved: no cycle, or not yet one that lasts */
			return false;
		}
	out->closed_ns = 0;
	for (unsigned i = 0; i < out->n; i++)
		if (a->slots[out->proc[i]].wait_since > out->closed_ns)
			out->closed_ns = a->slots[out->proc[i]].wait_since;
	return out->n > 0;
}
