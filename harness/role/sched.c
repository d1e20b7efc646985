/*
 * sched.c: controlled mode's scheduler. Its state lives in the run arena and
 * only the process holding the baton touches it (the supervisor, only when
 * that process died holding it), so it needs no lock: handing the baton over
 * is a release store of `turn` and a futex wake, taking it an acquire load.
 *
 * PCT (Burckhardt et al., ASPLOS 2010): processes get distinct random
 * priorities d..d+n-1 from the seed, d-1 change points are drawn over the k
 * steps a run is expected to take, the highest-priority process that can run
 * always runs, and at the i-th change point the running process drops to
 * priority d-1-i. A bug that needs d ordering constraints is then found in a
 * run with probability at least 1/(n k^(d-1)).
 */
#include "role/sched.h"

#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define NOBODY 0xff

uint32_t ic_sched_point_id(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; p && *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

uint64_t ic_sched_livelock_steps(uint64_t k)
{
	return 10 * k + 100000;
}

double ic_sched_bound(unsigned n, uint64_t k, unsigned depth)
{
	return 1.0 / ((double)n * pow((double)(k ? k : 1), (double)depth - 1));
}

static void mix(ic_sched *s, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		s->hash = (s->hash ^ (v & 0xff)) * FNV_PRIME;
}

/* Every decision goes into the hash; the log keeps as many as it has room for. */
static void record(ic_arena *a, unsigned slot, const char *point, int kind, int next)
{
	ic_sched *s = &a->sched;
	uint32_t id = ic_sched_point_id(point);
	uint8_t to = next < 0 ? NOBODY : (uint8_t)next;
	mix(s, s->step);
	mix(s, (uint64_t)slot << 32 | id);
	mix(s, (uint64_t)kind << 8 | to);
	if (kind != IC_D_FAULT && kind != IC_D_START && slot < s->nprocs)
		s->procs[slot].decided++;
	uint64_t n = atomic_load_explicit(&s->nlog, memory_order_relaxed);
	if (n >= s->log_cap)
		return;
	ic_decision *d = (ic_decision *)((char *)a + s->log_off) + n;
	*d = (ic_decision){.step = s->step, .point = id, .slot = (uint16_t)slot, .kind = (uint8_t)kind,
			   .next = to};
	atomic_store_explicit(&s->nlog, n + 1, memory_order_release);
}

/* ---- A listed schedule ---- */

static const ic_listed *listed(const ic_arena *a)
{
	return (const ic_listed *)((const char *)a + a->sched.list_off);
}

static int listed_cmp(const ic_listed *e, unsigned slot, uint64_t nth, unsigned kind)
{
	if (e->slot != slot)
		return e->slot < slot ? -1 : 1;
	if (e->nth != nth)
		return e->nth < nth ? -1 : 1;
	return e->kind < kind ? -1 : e->kind > kind;
}

/* The first entry at or after (slot, nth, kind): the list is sorted that way. */
static uint64_t listed_find(const ic_arena *a, unsigned slot, uint64_t nth, unsigned kind)
{
	const ic_listed *v = listed(a);
	uint64_t lo = 0, hi = a->sched.nlist;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (listed_cmp(&v[mid], slot, nth, kind) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The process the list gives the baton to at this decision of `self` (-1: the first choice); -1 if none. */
static int listed_choice(const ic_arena *a, int self)
{
	unsigned slot = self < 0 ? IC_LISTED_START : (unsigned)self;
	uint64_t nth = self < 0 ? 0 : a->sched.procs[self].decided;
	uint64_t i = listed_find(a, slot, nth, IC_L_SWITCH);
	if (i == a->sched.nlist || listed_cmp(&listed(a)[i], slot, nth, IC_L_SWITCH) != 0)
		return -1;
	return listed(a)[i].arg < a->sched.nprocs ? listed(a)[i].arg : -1;
}

/* ---- Who runs next ---- */

static bool runnable(const ic_sched *s, const ic_sched_proc *p)
{
	switch (p->state) {
	case IC_PS_RUNNABLE:
		return true;
	case IC_PS_STALLED:
		return s->step + s->skipped >= p->stall_until;
	case IC_PS_WAITING:
		if (p->wait == IC_WAIT_LOCK || p->wait == IC_WAIT_COND)
			return p->woken;
		return s->epoch > p->wait_epoch; /* another process stepped since: try again */
	default:
		return false;
	}
}

static bool higher(const ic_sched *s, int a, int b)
{
	return b < 0 || s->procs[a].prio > s->procs[b].prio;
}

/*
 * A listed schedule's choice: the listed process if it can run; else the
 * plainest one: the deciding process goes on if it can (no preemption that
 * the list does not name), or the next that can run after it, round robin.
 */
static int pick_listed(const ic_arena *a, int self, int want)
{
	const ic_sched *s = &a->sched;
	if (want >= 0 && runnable(s, &s->procs[want]))
		return want;
	if (self >= 0 && runnable(s, &s->procs[self]))
		return self;
	for (unsigned i = 1; i <= s->nprocs; i++) {
		unsigned j = (unsigned)(self + (int)i) % s->nprocs;
		if (runnable(s, &s->procs[j]))
			return (int)j;
	}
	return -1;
}

/*
 * Nothing can run: a stall ends early (the listed process's, else the
 * soonest), then a timed wait times out (the listed process's, else the
 * highest-priority one): virtual time jumps to it. -1: a deadlock.
 */
static int pick_stuck(ic_sched *s, int want, int *kind)
{
	int best = -1;
	if (want >= 0 && s->procs[want].state == IC_PS_STALLED)
		best = want;
	else
		for (unsigned i = 0; i < s->nprocs; i++)
			if (s->procs[i].state == IC_PS_STALLED &&
			    (best < 0 || s->procs[i].stall_until < s->procs[best].stall_until))
				best = (int)i;
	if (best >= 0) {
		/* Nothing runs until it wakes: scenario time jumps there. */
		uint64_t now = s->step + s->skipped;
		if (s->procs[best].stall_until > now)
			s->skipped += s->procs[best].stall_until - now;
		return best;
	}
	if (want >= 0 && s->procs[want].state == IC_PS_WAITING && s->procs[want].timed)
		best = want;
	else
		for (unsigned i = 0; i < s->nprocs; i++)
			if (s->procs[i].state == IC_PS_WAITING && s->procs[i].timed && higher(s, (int)i, best))
				best = (int)i;
	if (best >= 0) {
		s->procs[best].timed_out = true;
		s->timeouts++;
		*kind = IC_D_TIMEOUT;
	}
	return best;
}

/*
 * The process that runs next after a decision of `self` (-1: the first
 * choice, or the supervisor's), or -1 when none can (a deadlock, unless every
 * process has ended).
 */
static int pick(ic_arena *a, int self, int *kind)
{
	ic_sched *s = &a->sched;
	int best = -1, want = -1, cand[IC_MAX_PROCS];
	unsigned n = 0;
	if (s->strategy == IC_STRATEGY_LIST) {
		want = listed_choice(a, self);
		best = pick_listed(a, self, want);
	} else {
		for (unsigned i = 0; i < s->nprocs; i++)
			if (runnable(s, &s->procs[i])) {
				cand[n++] = (int)i;
				if (higher(s, (int)i, best))
					best = (int)i;
			}
		if (n && s->strategy == IC_STRATEGY_RANDOM)
			best = cand[ic_rng_below(&s->rng, n)];
	}
	return best >= 0 ? best : pick_stuck(s, want, kind);
}

static bool all_ended(const ic_sched *s)
{
	for (unsigned i = 0; i < s->nprocs; i++)
		if (s->procs[i].state != IC_PS_DONE && s->procs[i].state != IC_PS_DEAD)
			return false;
	return true;
}

static void yield_below_all(ic_sched *s, ic_sched_proc *p)
{
	p->prio = --s->floor;
}

/* ---- The baton ---- */

static void hand_over(ic_sched *s, int next)
{
	int no = IC_OVER_NO;
	if (next < 0 && !all_ended(s))
		atomic_compare_exchange_strong(&s->over, &no, IC_OVER_DEADLOCK);
	atomic_store_explicit(&s->turn, next, memory_order_release);
	if (next < 0)
		return;
	atomic_fetch_add_explicit(&s->procs[next].futex, 1, memory_order_release);
	syscall(SYS_futex, &s->procs[next].futex, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Sleeps until given the baton; for ever if nobody will be (the supervisor ends the run). */
static void await_turn(ic_sched *s, unsigned slot)
{
	atomic_uint *word = &s->procs[slot].futex;
	for (;;) {
		unsigned seen = atomic_load_explicit(word, memory_order_acquire);
		if (atomic_load_explicit(&s->turn, memory_order_acquire) == (int)slot)
			return;
		syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
	}
}

/* Gives the baton to `next` (unless it is this process) and waits to get it back. */
static void switch_to(ic_sched *s, unsigned slot, int next)
{
	if (next == (int)slot)
		return;
	s->switches++;
	hand_over(s, next);
	await_turn(s, slot);
}

/* ---- The supervisor's side ---- */

uint64_t ic_sched_default_steps(const ic_run_cfg *cfg, unsigned nprocs)
{
	return cfg->ops * nprocs * 8 + 16; /* about as many points per operation as the scenarios have */
}

void ic_sched_init(ic_arena *a, const ic_run_cfg *cfg, unsigned nprocs)
{
	ic_sched *s = &a->sched;
	s->mode = cfg->mode;
	if (cfg->mode != IC_MODE_CONTROLLED)
		return;
	s->strategy = cfg->strategy;
	s->nprocs = nprocs;
	s->depth = cfg->depth ? cfg->depth : IC_DEFAULT_DEPTH;
	s->k = cfg->steps ? cfg->steps : ic_sched_default_steps(cfg, nprocs);
	s->livelock_steps = ic_sched_livelock_steps(s->k);
	s->hash = FNV_OFFSET;
	atomic_store(&s->turn, -1);
	ic_rng rng;
	ic_rng_stream(&rng, cfg->seed, IC_STREAM_SCHED, 0);
	for (unsigned i = 0; i < nprocs; i++)
		s->procs[i].prio = s->depth + i;
	for (unsigned i = nprocs; i > 1; i--) { /* Fisher-Yates: distinct priorities d..d+n-1 */
		unsigned j = (unsigned)ic_rng_below(&rng, i);
		int64_t t = s->procs[i - 1].prio;
		s->procs[i - 1].prio = s->procs[j].prio;
		s->procs[j].prio = t;
	}
	s->nchange = s->depth - 1;
	for (unsigned i = 0; i < s->nchange; i++)
		s->change[i] = 1 + ic_rng_below(&rng, s->k);
	for (unsigned i = 1; i < s->nchange; i++) /* a handful: insertion sort */
		for (unsigned j = i; j > 0 && s->change[j - 1] > s->change[j]; j--) {
			uint64_t t = s->change[j];
			s->change[j] = s->change[j - 1];
			s->change[j - 1] = t;
		}
	ic_rng_stream(&s->rng, cfg->seed, IC_STREAM_SCHED, 1);
	if (cfg->strategy == IC_STRATEGY_LIST && cfg->nlist) {
		memcpy((char *)a + s->list_off, cfg->list, cfg->nlist * sizeof(*cfg->list));
		s->nlist = cfg->nlist;
	}
}

/* Waiters on the locks `slot` held may go on: a robust lock passes to one of them. */
static void wake_held_locks(ic_arena *a, unsigned slot)
{
	unsigned nlocks = atomic_load(&a->nlocks);
	for (unsigned id = 0; id < nlocks && id < IC_MAX_LOCKS; id++)
		if (ic_lockrec_held_by(&a->locks[id], slot))
			for (unsigned i = 0; i < a->sched.nprocs; i++) {
				ic_sched_proc *p = &a->sched.procs[i];
				if (p->state == IC_PS_WAITING && p->wait == IC_WAIT_LOCK && p->wait_obj == id)
					p->woken = true;
			}
}

/* A process ends (returned, killed, crashed) holding the baton: it moves on, or nowhere. */
static void pass_on_end(ic_arena *a, unsigned slot, bool dead, bool unrecoverable)
{
	ic_sched *s = &a->sched;
	ic_sched_proc *me = &s->procs[slot];
	me->state = dead ? IC_PS_DEAD : IC_PS_DONE;
	s->epoch++; /* an end changes what others see: a closed pipe, a role no longer running */
	if (dead)
		wake_held_locks(a, slot);
	if (unrecoverable) {
		/* Its peers would wait on that lock for ever: the run ends here, as dead-holder. */
		atomic_store_explicit(&s->over, IC_OVER_DEAD_HOLDER, memory_order_release);
		record(a, slot, me->point, IC_D_DEATH, -1);
		atomic_store_explicit(&s->turn, -1, memory_order_release);
		return;
	}
	int kind = dead ? IC_D_DEATH : IC_D_END;
	int next = pick(a, (int)slot, &kind);
	record(a, slot, me->point, kind, next);
	if (next >= 0)
		s->switches++;
	hand_over(s, next);
}

static bool holds_unrecoverable(ic_arena *a, unsigned slot)
{
	unsigned nlocks = atomic_load(&a->nlocks);
	for (unsigned id = 0; id < nlocks && id < IC_MAX_LOCKS; id++)
		if (ic_lockrec_held_by(&a->locks[id], slot) && !ic_lock_kind_recovers(a->locks[id].kind))
			return true;
	return false;
}

/* The first choice, once every process is at the start. */
static void arrive(ic_arena *a)
{
	ic_sched *s = &a->sched;
	if (atomic_fetch_add_explicit(&s->ready, 1, memory_order_acq_rel) + 1 != s->nprocs)
		return;
	int kind = IC_D_START;
	int next = pick(a, -1, &kind);
	if (next >= 0)
		record(a, (unsigned)next, "start", IC_D_START, next);
	hand_over(s, next);
}

void ic_sched_reaped(ic_arena *a, unsigned slot, bool unrecoverable_locks)
{
	ic_sched *s = &a->sched;
	if (s->mode != IC_MODE_CONTROLLED || slot >= s->nprocs)
		return;
	ic_sched_proc *p = &s->procs[slot];
	if (p->state == IC_PS_DONE || p->state == IC_PS_DEAD)
		return; /* it handed the baton on itself */
	/* Only a process that holds the baton, or never reached the start, can be judged here:
	 * anyone else's state belongs to the process running now. */
	if (atomic_load_explicit(&s->turn, memory_order_acquire) == (int)slot) {
		pass_on_end(a, slot, true, unrecoverable_locks);
	} else if (!p->arrived) {
		p->state = IC_PS_DEAD;
		arrive(a);
	}
}

/* ---- A role's side ---- */

void ic_sched_begin(ic_ctx *ctx)
{
	if (!ctx->scheduled)
		return;
	ctx->arena->sched.procs[ctx->slot].arrived = true;
	arrive(ctx->arena);
	await_turn(&ctx->arena->sched, ctx->slot);
}

/*
 * Steps and steps with no operation completed: a livelock (processes retrying
 * timed waits for ever). Decided in steps, not seconds, so it replays.
 */
static bool livelocked(ic_ctx *ctx)
{
	ic_sched *s = &ctx->arena->sched;
	if (s->step - s->progress_step <= s->livelock_steps)
		return false;
	atomic_store_explicit(&s->over, IC_OVER_LIVELOCK, memory_order_release);
	record(ctx->arena, ctx->slot, s->procs[ctx->slot].point, IC_D_SWITCH, -1);
	hand_over(s, -1);
	await_turn(s, ctx->slot); /* for ever: the supervisor ends the run */
	return true;
}

void ic_sched_step(ic_ctx *ctx, const char *point)
{
	if (!ctx->scheduled)
		return;
	ic_sched *s = &ctx->arena->sched;
	ic_sched_proc *me = &s->procs[ctx->slot];
	s->step++;
	s->epoch++;
	snprintf(me->point, sizeof(me->point), "%s", point);
	livelocked(ctx);
	if (s->strategy == IC_STRATEGY_PCT && s->next_change < s->nchange &&
	    s->step >= s->change[s->next_change])
		me->prio = s->depth - 1 - s->next_change++;
	int kind = IC_D_STEP;
	int next = pick(ctx->arena, (int)ctx->slot, &kind);
	if (next != (int)ctx->slot) {
		kind = IC_D_PREEMPT;
		s->preemptions++;
	}
	record(ctx->arena, ctx->slot, point, kind, next);
	switch_to(s, ctx->slot, next);
}

bool ic_sched_wait(ic_ctx *ctx, int wait, uint64_t obj, bool timed)
{
	if (!ctx->scheduled)
		return true;
	ic_sched *s = &ctx->arena->sched;
	ic_sched_proc *me = &s->procs[ctx->slot];
	me->state = IC_PS_WAITING;
	me->wait = wait;
	me->wait_obj = obj;
	me->timed = timed;
	me->timed_out = me->woken = false;
	/*
	 * A process that only retries (a poll, a spin) goes below every other,
	 * the most recent lowest: else a high-priority spinner, made runnable
	 * by every step of the others, would starve the one it waits for.
	 */
	if (wait == IC_WAIT_IO || wait == IC_WAIT_SPIN)
		yield_below_all(s, me);
	/* What it did since its last step (a send, then this wait) may be what a waiter needs. */
	if (me->acted) {
		s->epoch++;
		me->acted = false;
	}
	me->wait_epoch = s->epoch;
	s->step++; /* a wait is a step too: a loop of timed waits must come to an end */
	livelocked(ctx);
	int kind = IC_D_SWITCH;
	int next = pick(ctx->arena, (int)ctx->slot, &kind);
	record(ctx->arena, ctx->slot, me->point, kind, next);
	switch_to(s, ctx->slot, next);
	bool timed_out = me->timed_out;
	me->state = IC_PS_RUNNABLE;
	me->wait = IC_WAIT_NONE;
	me->timed_out = false;
	return !timed_out;
}

void ic_sched_wake(ic_ctx *ctx, int wait, uint64_t obj, bool all)
{
	if (!ctx->scheduled)
		return;
	ic_sched *s = &ctx->arena->sched;
	int best = -1;
	for (unsigned i = 0; i < s->nprocs; i++) {
		ic_sched_proc *p = &s->procs[i];
		if (p->state != IC_PS_WAITING || p->wait != wait || p->wait_obj != obj || p->woken)
			continue;
		if (all)
			p->woken = true;
		else if (higher(s, (int)i, best))
			best = (int)i;
	}
	if (best >= 0)
		s->procs[best].woken = true;
}

void ic_sched_acted(ic_ctx *ctx)
{
	if (ctx->scheduled)
		ctx->arena->sched.procs[ctx->slot].acted = true;
}

void ic_sched_progress(ic_ctx *ctx)
{
	if (ctx->scheduled)
		ctx->arena->sched.progress_step = ctx->arena->sched.step;
}

void ic_sched_fault(ic_ctx *ctx, const char *point, unsigned inj)
{
	if (ctx->scheduled)
		record(ctx->arena, ctx->slot, point, IC_D_FAULT, (int)inj);
}

int ic_sched_listed_fault(ic_ctx *ctx, unsigned inj, const char *point)
{
	const ic_arena *a = ctx->arena;
	if (!ctx->scheduled || a->sched.strategy != IC_STRATEGY_LIST)
		return -1;
	uint64_t nth = a->sched.procs[ctx->slot].decided;
	uint32_t id = ic_sched_point_id(point);
	for (uint64_t i = listed_find(a, ctx->slot, nth, IC_L_FAULT); i < a->sched.nlist; i++) {
		const ic_listed *e = &listed(a)[i];
		if (listed_cmp(e, ctx->slot, nth, IC_L_FAULT) != 0)
			break;
		if (e->arg == inj && e->point == id)
			return 1;
	}
	return 0;
}

void ic_sched_yield(ic_ctx *ctx)
{
	if (ctx->scheduled)
		yield_below_all(&ctx->arena->sched, &ctx->arena->sched.procs[ctx->slot]);
}

void ic_sched_stall(ic_ctx *ctx, uint64_t steps)
{
	if (!ctx->scheduled)
		return;
	ic_sched *s = &ctx->arena->sched;
	ic_sched_proc *me = &s->procs[ctx->slot];
	me->state = IC_PS_STALLED;
	me->stall_until = s->step + s->skipped + (steps ? steps : 1);
	int kind = IC_D_SWITCH;
	int next = pick(ctx->arena, (int)ctx->slot, &kind);
	record(ctx->arena, ctx->slot, me->point, kind, next);
	switch_to(s, ctx->slot, next);
	me->state = IC_PS_RUNNABLE;
}

uint64_t ic_sched_now_us(const ic_ctx *ctx)
{
	const ic_sched *s = &ctx->arena->sched;
	return s->step + s->skipped;
}

void ic_sched_end(ic_ctx *ctx, bool dead)
{
	if (!ctx->scheduled)
		return;
	/* Before the baton moves: whoever runs next must see this process gone, every time. */
	atomic_store_explicit(&ctx->arena->slots[ctx->slot].finished, 1, memory_order_release);
	pass_on_end(ctx->arena, ctx->slot, dead, dead && holds_unrecoverable(ctx->arena, ctx->slot));
}
