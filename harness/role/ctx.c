/*
 * ctx.c: what a process of a run calls: the event log, points, locks whose
 * holder the arena records, tracked IPC objects, and what it knows of its run.
 */
#include "role/ctx.h"
#include "role/sched.h"
#include "role/race.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void ic_ctx_init(ic_ctx *ctx, const ic_run_cfg *cfg, ic_arena *arena, unsigned slot,
		 unsigned role, unsigned index)
{
	void *state = ctx->state; /* survives: setup's state is inherited by every role */
	memset(ctx, 0, sizeof(*ctx));
	ctx->state = state;
	ctx->cfg = cfg;
	ctx->arena = arena;
	ctx->slot = slot;
	ctx->role = role;
	ctx->index = index;
	/* Controlled mode: every point is a scheduling point, injectors or not.
	 * Lockdep: every point is where a lock order is said to be taken. */
	ctx->lockdep = arena->lockdep != 0;
	ctx->point = "";
	ctx->head.armed = cfg->ninj > 0 || cfg->mode == IC_MODE_CONTROLLED || ctx->lockdep;
	ctx->head.armed |= cfg->detect_races; /* a race report names the point each process had passed */
	ic_rng_stream(&ctx->rng, cfg->seed, role == IC_MAX_ROLES ? IC_STREAM_SUPERVISOR : role + 1,
		      index);
}

/* ---- Event log ---- */

static void log_event(ic_ctx *ctx, uint32_t kind, uint32_t op, uint64_t a, uint64_t b)
{
	ic_slot *s = &ctx->arena->slots[ctx->slot];
	uint64_t n = atomic_load_explicit(&s->committed, memory_order_relaxed);
	if (n >= s->cap) {
		atomic_store_explicit(&s->overflow, 1, memory_order_relaxed);
		return;
	}
	ic_event *e = ic_slot_events(ctx->arena, s) + n;
	e->t_ns = ic_now_ns();
	e->kind = kind;
	e->op = op;
	e->a = a;
	e->b = b;
	/* Read, never changed: only the process holding the baton runs, so these are still. */
	e->step = ctx->scheduled ? ctx->arena->sched.step : 0;
	e->decided = ctx->scheduled ? atomic_load_explicit(&ctx->arena->sched.nlog, memory_order_relaxed) : 0;
	/* The record counts only once whole: a kill before this store loses just it. */
	atomic_store_explicit(&s->committed, n + 1, memory_order_release);
	if (ctx->scheduled)
		ic_sched_progress(ctx);
}

void ic_invoke(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b)
{
	log_event(ctx, IC_EV_INVOKE, op, a, b);
}

void ic_ok(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b)
{
	log_event(ctx, IC_EV_OK, op, a, b);
}

void ic_fail(ic_ctx *ctx, uint32_t op, uint64_t err, uint64_t b)
{
	log_event(ctx, IC_EV_FAIL, op, err, b);
}

void ic_info(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b)
{
	log_event(ctx, IC_EV_INFO, op, a, b);
}

/* ---- Points and injector bookkeeping ---- */

static bool injectors_at(ic_ctx *ctx, const char *name, enum ic_site site)
{
	bool skip = false;
	for (unsigned i = 0; i < ctx->cfg->ninj; i++) {
		const ic_inj_inst *inst = &ctx->cfg->inj[i];
		if (inst->inj->at(inst, ctx, name, site))
			skip = true;
	}
	return skip;
}

void ic_point_hit(ic_ctx *ctx, const char *name)
{
	ctx->point = name;
	ic_race_point(name);
	injectors_at(ctx, name, IC_SITE_POINT);
	ic_sched_step(ctx, name);
}

void ic_fired(ic_ctx *ctx, const ic_inj_inst *inst, const char *point)
{
	ic_slot *s = &ctx->arena->slots[ctx->slot];
	ic_sched_fault(ctx, point, inst->index);
	for (uint32_t i = 0; i < s->nfires; i++) {
		if (s->fires[i].inj == inst->index && strcmp(s->fires[i].point, point) == 0) {
			s->fires[i].count++;
			return;
		}
	}
	if (s->nfires == IC_MAX_FIRES)
		return; /* the report shows the first few points; counts elsewhere stay exact */
	ic_fire *f = &s->fires[s->nfires];
	snprintf(f->point, sizeof(f->point), "%s", point);
	f->inj = inst->index;
	f->count = 1;
	s->nfires++;
}

void ic_inject_signal(ic_ctx *ctx, int sig, const char *point, uint64_t hit)
{
	ic_slot *s = &ctx->arena->slots[ctx->slot];
	snprintf(s->injected_at, sizeof(s->injected_at), "%s", point);
	s->injected_hit = hit;
	/* Published before the signal, so the supervisor can tell ours from a crash. */
	atomic_store_explicit(&s->injected_sig, sig, memory_order_release);
	ic_sched_end(ctx, true); /* controlled: the baton moves on before the process dies */
	raise(sig);
}

bool ic_inject_yield(ic_ctx *ctx)
{
	if (!ctx->scheduled)
		return false;
	ic_sched_yield(ctx);
	return true;
}

void ic_stall_self(ic_ctx *ctx, uint64_t ns)
{
	if (ctx->scheduled) {
		ic_sched_stall(ctx, ns / 1000); /* a step stands for about a microsecond */
		return;
	}
	atomic_store(&ctx->arena->slots[ctx->slot].stall_until, ic_now_ns() + ns);
	raise(SIGSTOP);
}

uint64_t *ic_inj_scratch(ic_ctx *ctx, const ic_inj_inst *inst)
{
	return ctx->scratch[inst->index];
}

ic_rng *ic_ctx_rng(ic_ctx *ctx)
{
	return &ctx->rng;
}

unsigned ic_ctx_slot(const ic_ctx *ctx)
{
	return ctx->slot;
}

/* ---- Locks ---- */

const char *ic_lock_kind_name(int kind)
{
	static const char *const names[] = {"none", "mutex", "robust mutex", "semaphore", "spinlock",
					    "rwlock"};
	return kind >= 0 && kind <= IC_LOCK_RWLOCK ? names[kind] : "?";
}

bool ic_lock_kind_recovers(int kind)
{
	return kind == IC_LOCK_ROBUST || kind == IC_LOCK_NONE;
}

static int mutex_init(pthread_mutex_t *m, bool robust)
{
	pthread_mutexattr_t attr;
	int rc = pthread_mutexattr_init(&attr);
	if (rc == 0)
		rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (rc == 0 && robust)
		rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (rc == 0)
		rc = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	return rc;
}

static int rwlock_init(pthread_rwlock_t *rw)
{
	pthread_rwlockattr_t attr;
	int rc = pthread_rwlockattr_init(&attr);
	if (rc == 0)
		rc = pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (rc == 0)
		rc = pthread_rwlock_init(rw, &attr);
	pthread_rwlockattr_destroy(&attr);
	return rc;
}

int ic_lock_init(ic_ctx *ctx, ic_lock_t *lock, enum ic_lock_kind kind, const char *site)
{
	unsigned id = atomic_fetch_add(&ctx->arena->nlocks, 1);
	if (id >= IC_MAX_LOCKS) {
		errno = ENOSPC;
		return -1;
	}
	ic_lockrec *rec = &ctx->arena->locks[id];
	snprintf(rec->site, sizeof(rec->site), "%s", site);
	rec->kind = kind;
	atomic_store(&rec->holder, 0);
	atomic_store(&rec->readers, 0);
	lock->kind = kind;
	lock->id = (int)id;

	int rc = 0;
	switch (kind) {
	case IC_LOCK_MUTEX:
	case IC_LOCK_ROBUST:
		rc = mutex_init(&lock->u.mutex, kind == IC_LOCK_ROBUST);
		break;
	case IC_LOCK_SEM:
		rc = sem_init(&lock->u.sem, 1, 1) == 0 ? 0 : errno;
		break;
	case IC_LOCK_SPIN:
		atomic_init(&lock->u.spin, 0);
		break;
	case IC_LOCK_RWLOCK:
		rc = rwlock_init(&lock->u.rwlock);
		break;
	case IC_LOCK_NONE:
		break;
	}
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	return 0;
}

void ic_lock_destroy(ic_ctx *ctx, ic_lock_t *lock)
{
	(void)ctx;
	if (lock->kind == IC_LOCK_MUTEX || lock->kind == IC_LOCK_ROBUST)
		pthread_mutex_destroy(&lock->u.mutex);
	else if (lock->kind == IC_LOCK_SEM)
		sem_destroy(&lock->u.sem);
	else if (lock->kind == IC_LOCK_RWLOCK)
		pthread_rwlock_destroy(&lock->u.rwlock);
}

static void spin_acquire(atomic_int *spin)
{
	unsigned tries = 0;
	while (atomic_exchange_explicit(spin, 1, memory_order_acquire)) {
		while (atomic_load_explicit(spin, memory_order_relaxed)) {
			/* Yield now and then: on 2 cores the holder may be waiting for ours. */
			if (++tries % 128 == 0)
				sched_yield();
			else
				ic_cpu_relax();
		}
	}
}

/* Controlled mode: a lock's step is named after its site: "lock:counter". */
static void sched_step_at(ic_ctx *ctx, const char *what, const char *site)
{
	if (!ctx->scheduled)
		return;
	char name[IC_NAME];
	snprintf(name, sizeof(name), "%s:%s", what, site);
	ic_sched_step(ctx, name);
}

/* A robust mutex whose holder died: made consistent, logged; IC_LOCK_RECOVERED. */
static int robust_recovered(ic_ctx *ctx, ic_lock_t *lock)
{
	int dead = atomic_load(&ctx->arena->locks[lock->id].holder);
	pthread_mutex_consistent(&lock->u.mutex);
	ic_info(ctx, IC_OP_RECOVER, (uint64_t)lock->id, (uint64_t)(dead > 0 ? dead - 1 : -1));
	return IC_LOCK_RECOVERED;
}

/* Chaos mode: the real blocking acquire. 0, IC_LOCK_RECOVERED, or -1 with errno. */
static int acquire(ic_ctx *ctx, ic_lock_t *lock, bool shared)
{
	int rc = 0;
	switch (lock->kind) {
	case IC_LOCK_RWLOCK:
		rc = shared ? pthread_rwlock_rdlock(&lock->u.rwlock) : pthread_rwlock_wrlock(&lock->u.rwlock);
		break;
	case IC_LOCK_MUTEX:
	case IC_LOCK_ROBUST:
		rc = pthread_mutex_lock(&lock->u.mutex);
		if (rc == EOWNERDEAD && lock->kind == IC_LOCK_ROBUST)
			return robust_recovered(ctx, lock);
		break;
	case IC_LOCK_SEM:
		while (sem_wait(&lock->u.sem) != 0)
			if (errno != EINTR)
				return -1;
		break;
	case IC_LOCK_SPIN:
		spin_acquire(&lock->u.spin);
		break;
	}
	return rc == 0 ? 0 : (errno = rc, -1);
}

/* One attempt that never blocks: 0, EBUSY, EOWNERDEAD, or another error number. */
static int try_acquire(ic_lock_t *lock, bool shared)
{
	switch (lock->kind) {
	case IC_LOCK_RWLOCK:
		return shared ? pthread_rwlock_tryrdlock(&lock->u.rwlock)
			      : pthread_rwlock_trywrlock(&lock->u.rwlock);
	case IC_LOCK_MUTEX:
	case IC_LOCK_ROBUST:
		return pthread_mutex_trylock(&lock->u.mutex);
	case IC_LOCK_SEM:
		return sem_trywait(&lock->u.sem) == 0 ? 0 : errno == EAGAIN || errno == EINTR ? EBUSY : errno;
	case IC_LOCK_SPIN:
		return atomic_exchange_explicit(&lock->u.spin, 1, memory_order_acquire) ? EBUSY : 0;
	}
	return 0;
}

/* The holder was killed and is dying: the kernel hands the robust mutex over any moment. */
static bool holder_dying(const ic_ctx *ctx, const ic_lock_t *lock)
{
	int holder = atomic_load(&ctx->arena->locks[lock->id].holder);
	return lock->kind == IC_LOCK_ROBUST && holder > 0 &&
	       ctx->arena->sched.procs[holder - 1].state == IC_PS_DEAD;
}

/* Controlled mode: a taken lock is waited for without the baton, until it is released. */
static int acquire_controlled(ic_ctx *ctx, ic_lock_t *lock, bool shared)
{
	int rc;
	while ((rc = try_acquire(lock, shared)) == EBUSY) {
		if (holder_dying(ctx, lock)) {
			rc = pthread_mutex_lock(&lock->u.mutex); /* EOWNERDEAD once it is gone */
			break;
		}
		ic_sched_wait(ctx, IC_WAIT_LOCK, (uint64_t)lock->id, false);
	}
	if (rc == EOWNERDEAD && lock->kind == IC_LOCK_ROBUST)
		return robust_recovered(ctx, lock);
	return rc == 0 ? 0 : (errno = rc, -1);
}

/* ---- Lockdep: the order this process takes locks in, kept in its slot ---- */

_Static_assert(IC_MAX_LOCKS <= 16, "ic_lock_edge.always_held has a bit per lock id");

/* One more time `to` was taken while held[h] was: a new order goes into the table. */
static void lockdep_edge(ic_ctx *ctx, unsigned h, unsigned to, uint16_t held_mask)
{
	ic_slot *s = &ctx->arena->slots[ctx->slot];
	uint8_t *at = &ctx->edge_at[ctx->held[h].id][to];
	if (*at == IC_EDGE_LOST)
		return;
	if (*at) { /* read by the supervisor only after this process has ended */
		ic_lock_edge *e = &s->edges[*at - 1];
		e->count++;
		e->always_held &= held_mask;
		return;
	}
	unsigned n = atomic_load_explicit(&s->nedges, memory_order_relaxed);
	if (n >= IC_MAX_EDGES) {
		*at = IC_EDGE_LOST;
		atomic_fetch_add_explicit(&s->edges_lost, 1, memory_order_relaxed);
		return;
	}
	ic_lock_edge *e = &s->edges[n];
	*e = (ic_lock_edge){.from = ctx->held[h].id, .to = (uint8_t)to, .always_held = held_mask, .count = 1};
	snprintf(e->from_point, sizeof(e->from_point), "%s", ctx->held[h].point);
	snprintf(e->to_point, sizeof(e->to_point), "%s", ctx->point);
	/* Counts once whole: a process killed mid-write loses just this order. */
	atomic_store_explicit(&s->nedges, n + 1, memory_order_release);
	*at = (uint8_t)(n + 1);
}

/* Before a blocking acquire of `id`: every lock held is ordered before it. Recorded
 * before it blocks, so an acquire that deadlocks still shows its order. */
static void lockdep_before(ic_ctx *ctx, unsigned id)
{
	if (!ctx->lockdep || ctx->nheld == 0)
		return;
	uint16_t mask = 0;
	for (unsigned h = 0; h < ctx->nheld; h++)
		mask |= (uint16_t)(1u << ctx->held[h].id);
	for (unsigned h = 0; h < ctx->nheld; h++)
		if (ctx->held[h].id != id)
			lockdep_edge(ctx, h, id, mask);
}

static void lockdep_taken(ic_ctx *ctx, unsigned id)
{
	if (!ctx->lockdep || ctx->nheld >= IC_MAX_LOCKS)
		return;
	ctx->held[ctx->nheld].id = (uint8_t)id;
	ctx->held[ctx->nheld].point = ctx->point;
	ctx->nheld++;
}

/* Released: out of the held list, wherever it is (locks need not be released in order). */
static void lockdep_released(ic_ctx *ctx, unsigned id)
{
	for (unsigned h = ctx->nheld; h-- > 0;)
		if (ctx->held[h].id == id) {
			memmove(&ctx->held[h], &ctx->held[h + 1], (ctx->nheld - h - 1) * sizeof(ctx->held[0]));
			ctx->nheld--;
			return;
		}
}

/*
 * Chaos mode: the acquire, with the wait published while it blocks, so the
 * supervisor can see a cycle of waits. The sequence number goes first and the
 * lock last: a reader that sees the same number and lock twice saw one wait.
 */
static int acquire_watched(ic_ctx *ctx, ic_lock_t *lock, bool shared)
{
	int rc = try_acquire(lock, shared);
	if (rc == 0)
		return 0;
	if (rc == EOWNERDEAD && lock->kind == IC_LOCK_ROBUST)
		return robust_recovered(ctx, lock);
	if (rc != EBUSY) {
		errno = rc;
		return -1;
	}
	ic_slot *s = &ctx->arena->slots[ctx->slot];
	atomic_fetch_add_explicit(&s->wait_seq, 1, memory_order_seq_cst);
	s->wait_since = ic_now_ns();
	snprintf(s->wait_point, sizeof(s->wait_point), "%s", ctx->point);
	atomic_store_explicit(&s->waiting_for, lock->id + 1, memory_order_release);
	rc = acquire(ctx, lock, shared);
	int saved = errno;
	atomic_store_explicit(&s->waiting_for, 0, memory_order_release);
	errno = saved;
	return rc;
}

/* ic_lock and ic_lock_shared: `shared` only matters to an rwlock. */
static int lock_as(ic_ctx *ctx, ic_lock_t *lock, bool shared)
{
	ic_lockrec *rec = &ctx->arena->locks[lock->id];
	/* A lock that is not there (none, or skipped by nolock) orders nothing: not a step. */
	if (ctx->head.armed && injectors_at(ctx, rec->site, IC_SITE_LOCK)) {
		ctx->lock_skipped |= 1u << lock->id;
		ic_race_lock_skipped(ctx, lock->id, true);
		return 0;
	}
	if (lock->kind == IC_LOCK_NONE)
		return 0;
	shared = shared && lock->kind == IC_LOCK_RWLOCK;
	sched_step_at(ctx, shared ? "rdlock" : "lock", rec->site);
	lockdep_before(ctx, (unsigned)lock->id);
	int rc = ctx->scheduled ? acquire_controlled(ctx, lock, shared) : acquire_watched(ctx, lock, shared);
	if (rc < 0)
		return -1;
	ic_race_lock_acquired(ctx, lock->id, rc == IC_LOCK_RECOVERED); /* before the holder is ours: it names the dead one */
	/* Recorded after the acquire: an injected kill (always at a point) sees it set. */
	if (shared && ctx->slot < 64)
		atomic_fetch_or_explicit(&rec->readers, 1ull << ctx->slot, memory_order_release);
	else if (!shared)
		atomic_store_explicit(&rec->holder, (int)ctx->slot + 1, memory_order_release);
	lockdep_taken(ctx, (unsigned)lock->id);
	return rc;
}

int ic_trylock(ic_ctx *ctx, ic_lock_t *lock)
{
	ic_lockrec *rec = &ctx->arena->locks[lock->id];
	if (ctx->head.armed && injectors_at(ctx, rec->site, IC_SITE_LOCK)) {
		ctx->lock_skipped |= 1u << lock->id;
		ic_race_lock_skipped(ctx, lock->id, true);
		return 0;
	}
	if (lock->kind == IC_LOCK_NONE)
		return 0;
	sched_step_at(ctx, "trylock", rec->site);
	int rc = try_acquire(lock, false);
	/* Controlled: a killed holder is dead to the scheduler before the kernel frees its
	 * robust mutex; waiting for that moment keeps the schedule a function of the seed. */
	if (rc == EBUSY && ctx->scheduled && holder_dying(ctx, lock))
		rc = pthread_mutex_lock(&lock->u.mutex);
	if (rc == EOWNERDEAD && lock->kind == IC_LOCK_ROBUST)
		rc = robust_recovered(ctx, lock);
	else if (rc != 0) {
		errno = rc;
		return -1;
	}
	ic_race_lock_acquired(ctx, lock->id, rc == IC_LOCK_RECOVERED); /* it acquires as ic_lock does */
	atomic_store_explicit(&rec->holder, (int)ctx->slot + 1, memory_order_release);
	/* A trylock never waits, so it orders nothing itself; what is taken while it is held does. */
	lockdep_taken(ctx, (unsigned)lock->id);
	return rc;
}

int ic_lock(ic_ctx *ctx, ic_lock_t *lock)
{
	return lock_as(ctx, lock, false);
}

int ic_lock_shared(ic_ctx *ctx, ic_lock_t *lock)
{
	return lock_as(ctx, lock, true);
}

/* Controlled mode: the mutex is released, the wait lasts until a signal (or, timed, until
 * nothing else can run), then the mutex is taken again as ic_lock would. */
static int cond_wait_controlled(ic_ctx *ctx, pthread_cond_t *cond, ic_lock_t *lock, bool timed)
{
	pthread_mutex_unlock(&lock->u.mutex);
	ic_sched_wake(ctx, IC_WAIT_LOCK, (uint64_t)lock->id, true);
	bool signalled = ic_sched_wait(ctx, IC_WAIT_COND, (uint64_t)(uintptr_t)cond, timed);
	int rc = acquire_controlled(ctx, lock, false);
	if (rc == IC_LOCK_RECOVERED)
		return EOWNERDEAD;
	return rc < 0 ? errno : signalled ? 0 : ETIMEDOUT;
}

/*
 * The lock was skipped (nolock): the mutex is not ours to wait with, so the
 * waiter hears no signal. A timed wait lasts until its deadline (under the
 * scheduler: a pause, as time is the scheduler's); an untimed one ends after
 * a short pause, as a wait may always end spuriously, and the caller checks
 * its condition again, without the lock, as the bug would have it.
 */
static int cond_wait_unlocked(ic_ctx *ctx, const struct timespec *abs_timeout)
{
	if (!abs_timeout || ctx->scheduled) {
		ic_sleep(ctx, 1000000);
		return abs_timeout ? ETIMEDOUT : 0;
	}
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, abs_timeout, NULL) == EINTR)
		;
	return ETIMEDOUT;
}

int ic_cond_timedwait(ic_ctx *ctx, pthread_cond_t *cond, ic_lock_t *lock,
		      const struct timespec *abs_timeout)
{
	if (ctx->lock_skipped & (1u << lock->id))
		return cond_wait_unlocked(ctx, abs_timeout);
	ic_lockrec *rec = &ctx->arena->locks[lock->id];
	ic_race_lock_release(ctx, lock->id); /* the wait releases the mutex */
	atomic_store_explicit(&rec->holder, 0, memory_order_release);
	int rc;
	if (ctx->scheduled) {
		rc = cond_wait_controlled(ctx, cond, lock, abs_timeout != NULL);
	} else {
		rc = abs_timeout ? pthread_cond_timedwait(cond, &lock->u.mutex, abs_timeout)
				 : pthread_cond_wait(cond, &lock->u.mutex);
		if (rc == EOWNERDEAD) {
			pthread_mutex_consistent(&lock->u.mutex);
			ic_info(ctx, IC_OP_RECOVER, (uint64_t)lock->id, 0);
		}
	}
	ic_race_cond_woken(ctx, cond);
	ic_race_lock_acquired(ctx, lock->id, rc == EOWNERDEAD);
	atomic_store_explicit(&rec->holder, (int)ctx->slot + 1, memory_order_release);
	return rc;
}

int ic_cond_signal(ic_ctx *ctx, pthread_cond_t *cond)
{
	ic_race_cond_signal(ctx, cond);
	ic_sched_wake(ctx, IC_WAIT_COND, (uint64_t)(uintptr_t)cond, false);
	ic_sched_acted(ctx);
	return pthread_cond_signal(cond);
}

int ic_cond_broadcast(ic_ctx *ctx, pthread_cond_t *cond)
{
	ic_race_cond_signal(ctx, cond);
	ic_sched_wake(ctx, IC_WAIT_COND, (uint64_t)(uintptr_t)cond, true);
	ic_sched_acted(ctx);
	return pthread_cond_broadcast(cond);
}

int ic_sem_timedwait(ic_ctx *ctx, sem_t *sem, const struct timespec *abs_timeout)
{
	if (!ctx->scheduled) {
		int rc = abs_timeout ? sem_timedwait(sem, abs_timeout) : sem_wait(sem);
		if (rc == 0)
			ic_race_sem_acquired(sem);
		return rc;
	}
	while (sem_trywait(sem) != 0) {
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		if (!ic_sched_wait(ctx, IC_WAIT_IO, (uint64_t)(uintptr_t)sem, abs_timeout != NULL)) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	ic_sched_acted(ctx);
	ic_race_sem_acquired(sem);
	return 0;
}

uint64_t ic_now(ic_ctx *ctx)
{
	/* The supervisor too (setup, observe): one clock for the whole controlled run. */
	if (ctx && ctx->cfg->mode == IC_MODE_CONTROLLED)
		return ic_sched_now_us(ctx) * 1000u;
	return ic_now_ns();
}

void ic_sleep(ic_ctx *ctx, uint64_t ns)
{
	if (ctx && ctx->scheduled) {
		ic_sched_stall(ctx, (ns + 999) / 1000); /* the others run; time jumps if none can */
		return;
	}
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool ic_backoff_wait(ic_ctx *ctx, ic_backoff *b, int ms)
{
	if (ctx && ctx->scheduled)
		return ic_sched_wait(ctx, IC_WAIT_SPIN, 0, ms > 0);
	return ic_backoff_step(b, ms);
}

void ic_errorf(ic_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
}

void ic_unlock(ic_ctx *ctx, ic_lock_t *lock)
{
	const char *site = ctx->arena->locks[lock->id].site;
	uint32_t bit = 1u << lock->id;
	if (ctx->lock_skipped & bit) {
		ctx->lock_skipped &= ~bit;
		ic_race_lock_skipped(ctx, lock->id, false);
		return;
	}
	if (lock->kind == IC_LOCK_NONE)
		return;
	ic_race_lock_release(ctx, lock->id);
	ic_lockrec *rec = &ctx->arena->locks[lock->id];
	uint64_t mine = ctx->slot < 64 ? 1ull << ctx->slot : 0;
	if (atomic_load(&rec->readers) & mine)
		atomic_fetch_and_explicit(&rec->readers, ~mine, memory_order_release);
	else
		atomic_store_explicit(&rec->holder, 0, memory_order_release);
	if (ctx->lockdep)
		lockdep_released(ctx, (unsigned)lock->id);
	switch (lock->kind) {
	case IC_LOCK_RWLOCK:
		pthread_rwlock_unlock(&lock->u.rwlock);
		break;
	case IC_LOCK_MUTEX:
	case IC_LOCK_ROBUST:
		pthread_mutex_unlock(&lock->u.mutex);
		break;
	case IC_LOCK_SEM:
		sem_post(&lock->u.sem);
		break;
	case IC_LOCK_SPIN:
		atomic_store_explicit(&lock->u.spin, 0, memory_order_release);
		break;
	}
	ic_sched_wake(ctx, IC_WAIT_LOCK, (uint64_t)lock->id, true);
	ic_sched_acted(ctx);
	sched_step_at(ctx, "unlock", site); /* released: a waiter may take it before this process goes on */
}

/* ---- Tracked objects ---- */

const char *ic_run_id(const ic_ctx *ctx)
{
	return ctx->arena->runid;
}

/*
 * "/ipchaos.<runid>.<object>.<tag>": the prefix says whose run it is, the tag
 * (SipHash of the rest under the run's secret) makes it underivable by anyone
 * who can only see the run id.
 */
int ic_object_name(const ic_ctx *ctx, const char *object, char *buf, size_t size)
{
	const ic_arena *a = ctx->arena;
	char plain[80];
	if (strlen(object) > IC_OBJECT_MAX)
		return -1;
	int n = snprintf(plain, sizeof(plain), "/ipchaos.%.16s.%s%s", a->runid,
			 ctx->instance ? "b." : "", object);
	uint64_t tag = ic_siphash24(a->secret, plain, (size_t)n);
	n = snprintf(buf, size, "%s.%016" PRIx64, plain, tag);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int ic_shm_open(ic_ctx *ctx, const char *object, int oflag, mode_t mode)
{
	char name[80];
	if (ic_object_name(ctx, object, name, sizeof(name)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Registered before it exists: a kill between create and register leaks nothing. */
	if ((oflag & O_CREAT) && ic_tracker_add(ctx->arena, IC_OBJ_SHM, name, 0) != 0)
		return -1;
	int fd = shm_open(name, oflag, mode);
	if (!(oflag & O_CREAT))
		return fd;
	int saved = errno;
	struct stat st;
	bool statted = fd >= 0 && fstat(fd, &st) == 0;
	/* Nothing of ours was made (EEXIST, or another user's object opened without
	 * O_EXCL): the harness must never remove it. */
	if (fd < 0 || (statted && st.st_uid != geteuid()))
		ic_tracker_not_ours(ctx->arena, name);
	else if (statted)
		ic_tracker_created(ctx->arena, name, st.st_mode, oflag & O_EXCL);
	errno = saved;
	return fd;
}

void *ic_shm_attach(ic_ctx *ctx, const char *object)
{
	int fd = ic_shm_open(ctx, object, O_RDWR, 0);
	if (fd < 0)
		return NULL;
	struct stat st;
	void *p = MAP_FAILED;
	if (fstat(fd, &st) == 0)
		p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	if (p == MAP_FAILED)
		return NULL;
	ic_shared_region(ctx, object, p, (size_t)st.st_size);
	return p;
}

int ic_shm_unlink(ic_ctx *ctx, const char *object)
{
	char name[80];
	if (ic_object_name(ctx, object, name, sizeof(name)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int rc = shm_unlink(name);
	if (rc == 0)
		ic_tracker_removed(ctx->arena, name);
	return rc;
}

/* ---- What a role knows ---- */

const char *ic_variant(const ic_ctx *ctx, const char *key)
{
	const ic_key *keys = ctx->cfg->sc->keys;
	for (unsigned i = 0; keys && keys[i].name; i++)
		if (strcmp(keys[i].name, key) == 0)
			return ctx->cfg->variant[i];
	return NULL;
}

unsigned ic_role_count(const ic_ctx *ctx, unsigned role)
{
	return role < ctx->cfg->nroles ? ctx->cfg->counts[role] : 0;
}

unsigned ic_role(const ic_ctx *ctx)
{
	return ctx->role;
}

unsigned ic_index(const ic_ctx *ctx)
{
	return ctx->index;
}

uint64_t ic_ops(const ic_ctx *ctx)
{
	return ctx->cfg->ops;
}

uint64_t ic_rand(ic_ctx *ctx)
{
	return ic_rng_next(&ctx->rng);
}

unsigned ic_proc(const ic_ctx *ctx)
{
	return ctx->slot;
}

bool ic_peer_running(const ic_ctx *ctx, unsigned role, unsigned index)
{
	unsigned first = 0;
	for (unsigned r = 0; r < role && r < ctx->cfg->nroles; r++)
		first += ctx->cfg->counts[r];
	return index < ic_role_count(ctx, role) &&
	       !atomic_load_explicit(&ctx->arena->slots[first + index].finished, memory_order_acquire);
}

unsigned ic_role_running(const ic_ctx *ctx, unsigned role)
{
	unsigned running = 0;
	for (unsigned i = 0; i < ic_role_count(ctx, role); i++)
		running += ic_peer_running(ctx, role, i);
	return running;
}

void *ic_state(const ic_ctx *ctx)
{
	return ctx->state;
}

void ic_set_state(ic_ctx *ctx, void *state)
{
	ctx->state = state;
}

void *ic_local(const ic_ctx *ctx)
{
	return ctx->local;
}

void ic_set_local(ic_ctx *ctx, void *local)
{
	ctx->local = local;
}
