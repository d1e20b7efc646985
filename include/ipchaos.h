/*
 * ipchaos.h: the public API of ipchaos.
 *
 * Code under test calls these from inside a run: injection points, locks whose
 * holder the harness can see, IPC objects the harness tracks and removes, and
 * the Jepsen-style event log the checkers read. A scenario is a descriptor
 * (roles, variants, points, expectations) that ic_main() runs like the
 * built-in ones. Link with ipchaos::ipchaos (CMake) or
 * `pkg-config --static --libs ipchaos`.
 *
 * Conventions. Every call takes the run's context, `ctx`, that the harness
 * hands to setup, role bodies and observe; code that runs outside a run passes
 * what it was given. An *injection point* is a place where the injectors chosen
 * with --inject may act: delay, stall or kill this process (at points), skip a
 * lock (nolock, at ic_lock), make a call fail (fail, at the wrapped calls).
 * Unarmed (no injector acts in this process), a point costs one load and one
 * predicted branch. Errors follow the call each wraps: -1 with errno.
 *
 * Part 1 below may stay in production code: built with -DIPCHAOS_DISABLE,
 * points and log calls compile to nothing and the wrappers to the plain
 * system calls, as static inline functions, so that build needs no
 * libipchaos at all (only -lpthread, and -lrt on glibc before 2.34; and
 * POSIX 2008: _POSIX_C_SOURCE=200809L or _GNU_SOURCE, for robust mutexes).
 * Part 2 (messages, channels, SysV keys, role facts, scenarios, ic_main) is
 * harness-only: under IPCHAOS_DISABLE it is not declared, so a call left in
 * production code is a compile error, not a surprise at run time.
 */
#ifndef IPCHAOS_H
#define IPCHAOS_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ==== Part 1: calls that may stay in production code ================== */

/* One per process of a run; the harness owns it. NULL under IPCHAOS_DISABLE. */
typedef struct ic_ctx ic_ctx;
/* The state of one wait for a peer (ic_backoff_wait); defined below. */
typedef struct ic_backoff ic_backoff;

/* The first member of every ic_ctx: lets ic_point() test one byte inline. */
struct ic_ctx_head {
	unsigned char armed; /* any injector acts at points in this process */
};

/* Operation codes the built-in checkers understand; users add from IC_OP_USER. */
enum ic_op {
	IC_OP_INC = 1,  /* a = amount */
	IC_OP_READ,     /* ok: a = value read */
	IC_OP_SEND,     /* a = message id (ic_msg_id), b = length << 16 | lane << 8 */
	IC_OP_RECV,     /* ok: a = message id, b = length << 16 | lane << 8 | enum ic_msg_status */
	IC_OP_RECOVER,  /* info: a robust lock was taken over from a dead holder; a = lock id */
	IC_OP_LOAD,     /* info: a shared value was read; a = the value (the story shows it) */
	IC_OP_STORE,    /* info: a shared value was written; a = the value */
	/* Records and heartbeats (checkers torn, liveness); fixed values, so other blocks can add. */
	IC_OP_REC_WRITE = 40, /* a = record << 48 | version, b = digest of the fields written */
	IC_OP_REC_READ = 41,  /* info, once the read is accepted: a, b as the write it claims to see */
	IC_OP_HB_CONFIG = 42, /* info, setup: a = timeout, b = period (ns of scenario time, ic_now) */
	IC_OP_HB_START = 43,  /* info, setup: a = when every worker counts as having beaten, b = jobs */
	IC_OP_HB_BEAT = 44,   /* info, worker, once the beat is visible: a = worker, b = ic_now() of it */
	IC_OP_HB_DECLARE = 45,/* monitor: invoke a = worker, b = the round's start; ok b = ic_now() */
	IC_OP_HB_LATE = 46,   /* info, monitor: the round planned at a began at b */
	IC_OP_HB_WORK = 47,   /* a = job; b = 1 when the monitor restarts it; fail: refused */
	IC_OP_HB_WATCH = 48,  /* info, monitor: a = its first round (rounds every b after) */
	IC_OP_HB_STOP = 49,   /* info, monitor: a = the start of its last round */
	IC_OP_REC_TALLY = 50, /* info, observe, rwcache for=: a = records read, b = written, in ... */
	IC_OP_REC_SPAN = 51,  /* info, observe: ... a ns of scenario time (nothing logged per record) */
	IC_OP_USER = 100,
};

enum ic_ev_kind { IC_EV_INVOKE = 1, IC_EV_OK, IC_EV_FAIL, IC_EV_INFO };

enum ic_lock_kind {
	IC_LOCK_NONE,   /* no lock at all (a planted race) */
	IC_LOCK_MUTEX,  /* process-shared pthread mutex: dies with its holder */
	IC_LOCK_ROBUST, /* robust mutex: recovered on EOWNERDEAD */
	IC_LOCK_SEM,    /* POSIX semaphore, value 1: dies with its holder */
	IC_LOCK_SPIN,   /* test-and-set spinlock: dies with its holder */
	IC_LOCK_RWLOCK, /* process-shared pthread rwlock: ic_lock writes, ic_lock_shared reads;
			 * dies with any holder, writer or reader (POSIX has no robust rwlock) */
};

/* Lives in shared memory; ic_lock_init() once, in setup, before roles fork. */
typedef struct ic_lock {
	union {
		pthread_mutex_t mutex;
		sem_t sem;
		atomic_int spin;
		pthread_rwlock_t rwlock;
	} u;
	int kind; /* enum ic_lock_kind */
	int id;   /* the harness's record of this lock (name, holder) */
} ic_lock_t;

#define IC_LOCK_RECOVERED 1 /* ic_lock(): took over from a dead holder */

/* The longest object name (ic_shm_open, ic_mq_open, ic_object_name) the harness takes. */
#define IC_OBJECT_MAX 32

#ifndef IPCHAOS_DISABLE

/* ---- Injection points ------------------------------------------------ */

void ic_point_hit(ic_ctx *ctx, const char *name);

/*
 * ic_point: a place where the delay, stall and kill injectors may act on
 * this process (sleep or spin, SIGSTOP for a while, SIGKILL). Names are
 * hierarchical ("ring/push/after_write") and injectors select them by name
 * or glob (--inject kill:at=NAME); list every name in the scenario's .points.
 * Logs nothing itself; what fired where is counted in the report, and an
 * injected kill is recorded as injected, so it is not a crash.
 */
static inline void ic_point(ic_ctx *ctx, const char *name)
{
	if (__builtin_expect(((const struct ic_ctx_head *)(const void *)ctx)->armed, 0))
		ic_point_hit(ctx, name);
}

/* ---- Event log --------------------------------------------------------- */

/*
 * Log an operation: ic_invoke() before it, ic_ok() or ic_fail() after (fail:
 * it certainly did not happen; `err` is its errno). A process has at most one
 * operation open; one that is invoked and never completed (the process died,
 * or invoked the next one) is indeterminate and checkers accept either
 * outcome. ic_info() records a fact that is no operation. A record counts
 * once written whole: a process killed mid-write loses only it. Not points.
 * No error return: a process that logs more than the scenario's
 * events_per_op x ops x processes records makes its run BROKEN (exit 3).
 */
void ic_invoke(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b);
void ic_ok(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b);
void ic_fail(ic_ctx *ctx, uint32_t op, uint64_t err, uint64_t b);
void ic_info(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b);

/* ---- Locks whose holder the harness sees ------------------------------ */

/*
 * ic_lock_init: initialise a lock of `kind` in shared memory, process-shared,
 * and record it under the name `site` (what nolock:at= selects and a
 * dead-holder finding names). In setup, before the roles fork. Not a point.
 * 0, or -1 with errno: ENOSPC (more than the harness's 16 locks per run), or
 * what pthread_mutex_init / sem_init return.
 * ic_lock_destroy: the matching destroy; never on a lock whose holder died.
 */
int ic_lock_init(ic_ctx *ctx, ic_lock_t *lock, enum ic_lock_kind kind, const char *site);
void ic_lock_destroy(ic_ctx *ctx, ic_lock_t *lock);

/*
 * ic_lock: acquire. An injection site: the nolock injector may skip it (and
 * then the matching ic_unlock too), which is how a missing lock is planted.
 * The harness records the holder, so a process that dies holding a lock
 * that cannot recover (mutex, sem, spin) is a dead-holder finding at once.
 * While it blocks, the lock it waits for is recorded too: processes that
 * wait for each other's locks in a cycle end the run at once as a deadlock.
 * Where the lockorder checker judges the run, each acquire also records the
 * locks already held (lockdep): orders that disagree are a finding even if
 * the run did not deadlock.
 * Returns 0; IC_LOCK_RECOVERED for a robust lock taken over from a dead
 * holder (made consistent; the state it guards may be half-updated; an
 * IC_OP_RECOVER info is logged); or -1 with errno (pthread errors; a
 * semaphore wait interrupted by a signal is retried).
 * ic_unlock: release; not a point, logs nothing.
 */
int ic_lock(ic_ctx *ctx, ic_lock_t *lock);
void ic_unlock(ic_ctx *ctx, ic_lock_t *lock);
const char *ic_lock_kind_name(int kind); /* "mutex", "robust mutex", ... */
/*
 * ic_lock_shared: acquire an IC_LOCK_RWLOCK for reading (ic_lock takes it
 * for writing); other kinds are taken as ic_lock takes them. Released with
 * ic_unlock. The harness records every reader, so a reader that dies
 * holding it is a dead-holder finding too: writers would wait for ever.
 * A lock site as ic_lock is (nolock may skip it). 0, or -1 with errno.
 */
int ic_lock_shared(ic_ctx *ctx, ic_lock_t *lock);

/* ---- Scenario time ---------------------------------------------------- */

/*
 * ic_now: nanoseconds of scenario time, for timeouts and periods. In chaos
 * mode CLOCK_MONOTONIC; in controlled mode virtual: a step is a microsecond
 * and, when every process sleeps, time jumps to the first to wake, so a
 * timeout of seconds costs nothing and replays exactly. Never steps back.
 * ic_sleep: sleep `ns` of scenario time (controlled: the others run
 * meanwhile). Neither is a point; neither logs.
 */
uint64_t ic_now(ic_ctx *ctx);
void ic_sleep(ic_ctx *ctx, uint64_t ns);

/*
 * ic_trylock: acquire without waiting, as pthread_mutex_trylock: 0,
 * IC_LOCK_RECOVERED (as ic_lock), or -1 with errno EBUSY when another holds
 * it. A lock site as ic_lock is (nolock may skip it: then 0). The harness
 * records the holder; for lockdep a trylock orders nothing itself (it cannot
 * wait), but locks taken while it is held are ordered after it.
 */
int ic_trylock(ic_ctx *ctx, ic_lock_t *lock);

/*
 * ic_cond_timedwait: pthread_cond_timedwait on a mutex-kind lock
 * (abs_timeout on CLOCK_REALTIME, NULL waits forever), keeping the
 * harness's record of the holder right while the mutex is released inside
 * the wait. Not a point. Returns as pthread_cond_timedwait does: 0 or an
 * error number (ETIMEDOUT); EOWNERDEAD is made consistent and logged as
 * IC_OP_RECOVER, and still returned.
 */
int ic_cond_timedwait(ic_ctx *ctx, pthread_cond_t *cond, ic_lock_t *lock,
		      const struct timespec *abs_timeout);
/*
 * ic_cond_signal, ic_cond_broadcast: pthread_cond_signal/broadcast, seen by
 * the harness: in controlled mode a waiter in ic_cond_timedwait goes on only
 * when signalled (or, timed, when nothing else can run). Not points.
 */
int ic_cond_signal(ic_ctx *ctx, pthread_cond_t *cond);
int ic_cond_broadcast(ic_ctx *ctx, pthread_cond_t *cond);
/*
 * ic_sem_timedwait: sem_timedwait (NULL: sem_wait) on a semaphore used as a
 * count rather than as an ic_lock (slots free, items ready): in controlled
 * mode a wait the harness sees. 0, or -1 with errno (ETIMEDOUT). Not a point.
 */
int ic_sem_timedwait(ic_ctx *ctx, sem_t *sem, const struct timespec *abs_timeout);
/* ic_deadline (below): an absolute CLOCK_REALTIME time `ms` from now, for the timed calls. */

/* ---- IPC objects the harness tracks ----------------------------------- */

/*
 * Object names. Under the harness, object "counter" of a run is named
 * "/ipchaos.<runid>.counter.<tag>": the run id (16 hex digits) makes it
 * attributable to its run, and the tag (16 hex digits, a keyed hash of the
 * rest of the name under a secret that only the run's user can read) makes it
 * impossible for another user, who can see the run id in /dev/shm, to create
 * it first or to guess the name of the next object from one he sees. Every
 * process of the run computes the same name. An object is at most
 * IC_OBJECT_MAX bytes (ENAMETOOLONG beyond). Under IPCHAOS_DISABLE the name
 * is "/" + object.
 *
 * ic_shm_open: shm_open() of the object's name. With O_CREAT the
 * name is registered with the run's tracker before it exists, so the harness
 * removes it whatever happens to the caller, and the perms and leaks
 * checkers judge it; a create that finds someone else's object (EEXIST) is
 * never removed by the harness. Not a point; logs nothing. A descriptor, or
 * -1 with errno: ENAMETOOLONG (object too long), ENOSPC (tracker full), or
 * shm_open's.
 * ic_shm_unlink: shm_unlink() of the same name; the tracker forgets it.
 * ic_shm_create: ic_shm_open(object, O_RDWR | oflag, mode), ftruncate to
 * `size`, mmap MAP_SHARED; the descriptor is closed. The mapping, or NULL
 * with errno.
 * ic_object_name: writes the full name into buf (for objects the code makes
 * itself, untracked); -1 if the object is too long or the name does not fit
 * (80 bytes always do).
 */
int ic_shm_open(ic_ctx *ctx, const char *object, int oflag, mode_t mode);
int ic_shm_unlink(ic_ctx *ctx, const char *object);
/*
 * ic_shared_region: with --detect races, check the accesses to [addr,
 * addr+size): memory shared between the run's processes that was mapped
 * another way than ic_shm_create (which calls it), named `object` so that
 * every process mapping it, wherever, shares one history and a report can
 * name it. Does nothing in runs that do not detect races. Always 0.
 */
int ic_shared_region(ic_ctx *ctx, const char *object, void *addr, size_t size);
int ic_object_name(const ic_ctx *ctx, const char *object, char *buf, size_t size);

/*
 * ic_mq_open: mq_open() of the object's name (above) with mq_maxmsg and
 * mq_msgsize as given (used only with O_CREAT); tracked as ic_shm_open is.
 * Returns the mqd_t, or -1 with errno. ic_mq_unlink: mq_unlink() of it.
 */
int ic_mq_open(ic_ctx *ctx, const char *object, int oflag, mode_t mode, long maxmsg, long msgsize);
int ic_mq_unlink(ic_ctx *ctx, const char *object);

/* ---- System calls the fail injector can make fail ---------------------- */

/*
 * Each behaves as the call it wraps, except that an armed `fail` injector
 * may make it return -1 with an errno that call can really return (EINTR;
 * EAGAIN, ENOBUFS for send; ETIMEDOUT for the mq calls; EAGAIN, ENOMEM for
 * msgsnd; ENOMSG for msgrcv), or (ic_read/ic_write) transfer fewer bytes.
 * Correct code retries EINTR and EAGAIN. Each is also an injection point
 * named "call/<name>" ("call/mq_timedsend"). They log nothing: log the
 * operation around them. With --detect races, a message's send happens
 * before its receive only through these calls; on the queues setup made,
 * each receive is matched to the send it got, which holds only while every
 * send and receive on them goes through these calls.
 */
ssize_t ic_write(ic_ctx *ctx, int fd, const void *buf, size_t len);
ssize_t ic_read(ic_ctx *ctx, int fd, void *buf, size_t len);
ssize_t ic_send(ic_ctx *ctx, int fd, const void *buf, size_t len, int flags);
ssize_t ic_recv(ic_ctx *ctx, int fd, void *buf, size_t len, int flags);
int ic_mq_timedsend(ic_ctx *ctx, int mq, const char *msg, size_t len, unsigned prio,
		    const struct timespec *abs_timeout);
ssize_t ic_mq_timedreceive(ic_ctx *ctx, int mq, char *msg, size_t len, unsigned *prio,
			   const struct timespec *abs_timeout);
int ic_msgsnd(ic_ctx *ctx, int id, const void *msg, size_t len, int flags);
ssize_t ic_msgrcv(ic_ctx *ctx, int id, void *msg, size_t len, long type, int flags);
/* poll(): not a point and never failed, but in controlled mode a wait the harness sees. */
int ic_poll(ic_ctx *ctx, struct pollfd *fds, nfds_t nfds, int timeout_ms);

/*
 * ic_backoff_wait: one step of waiting for a peer with nothing to block on
 * (a ring's index, a queue polled with IPC_NOWAIT); false once about `ms`
 * have passed (ms <= 0: never). It spins first, as the peer is likely running on the other
 * core, then yields, then sleeps (the phases are b's: see ic_backoff below).
 * In controlled mode it gives the baton away until another process has
 * taken a step, and times out only when nothing else can run. Every wait of
 * this kind goes through it: a private spin loop would hold the baton.
 */
bool ic_backoff_wait(ic_ctx *ctx, ic_backoff *b, int ms);

#else /* IPCHAOS_DISABLE: the same calls, plain */

/*
 * No harness: points and log calls are empty, locks are the plain
 * process-shared primitives, ic_lock never skips, and an object "name" is
 * opened as "/name" (no run id). ctx is ignored; pass NULL.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static inline void ic_point(ic_ctx *ctx, const char *name) { (void)ctx; (void)name; }
static inline int ic_shared_region(ic_ctx *ctx, const char *object, void *addr, size_t size)
{ (void)ctx; (void)object; (void)addr; (void)size; return 0; }
static inline void ic_invoke(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b)
{ (void)ctx; (void)op; (void)a; (void)b; }
static inline void ic_ok(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b)
{ (void)ctx; (void)op; (void)a; (void)b; }
static inline void ic_fail(ic_ctx *ctx, uint32_t op, uint64_t err, uint64_t b)
{ (void)ctx; (void)op; (void)err; (void)b; }
static inline void ic_info(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b)
{ (void)ctx; (void)op; (void)a; (void)b; }

static inline int ic_lock_init(ic_ctx *ctx, ic_lock_t *lock, enum ic_lock_kind kind, const char *site)
{
	(void)ctx;
	(void)site;
	lock->kind = kind;
	lock->id = -1;
	if (kind == IC_LOCK_SEM)
		return sem_init(&lock->u.sem, 1, 1);
	if (kind == IC_LOCK_SPIN)
		atomic_init(&lock->u.spin, 0);
	if (kind == IC_LOCK_RWLOCK) {
		pthread_rwlockattr_t rwattr;
		int rwrc = pthread_rwlockattr_init(&rwattr);
		if (rwrc == 0)
			rwrc = pthread_rwlockattr_setpshared(&rwattr, PTHREAD_PROCESS_SHARED);
		if (rwrc == 0)
			rwrc = pthread_rwlock_init(&lock->u.rwlock, &rwattr);
		pthread_rwlockattr_destroy(&rwattr);
		return rwrc == 0 ? 0 : (errno = rwrc, -1);
	}
	if (kind != IC_LOCK_MUTEX && kind != IC_LOCK_ROBUST)
		return 0;
	pthread_mutexattr_t attr;
	int rc = pthread_mutexattr_init(&attr);
	if (rc == 0)
		rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (rc == 0 && kind == IC_LOCK_ROBUST)
		rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (rc == 0)
		rc = pthread_mutex_init(&lock->u.mutex, &attr);
	pthread_mutexattr_destroy(&attr);
	return rc == 0 ? 0 : (errno = rc, -1);
}

static inline void ic_lock_destroy(ic_ctx *ctx, ic_lock_t *lock)
{
	(void)ctx;
	if (lock->kind == IC_LOCK_MUTEX || lock->kind == IC_LOCK_ROBUST)
		pthread_mutex_destroy(&lock->u.mutex);
	else if (lock->kind == IC_LOCK_SEM)
		sem_destroy(&lock->u.sem);
	else if (lock->kind == IC_LOCK_RWLOCK)
		pthread_rwlock_destroy(&lock->u.rwlock);
}

static inline int ic_lock(ic_ctx *ctx, ic_lock_t *lock)
{
	(void)ctx;
	int rc = 0;
	switch (lock->kind) {
	case IC_LOCK_RWLOCK:
		rc = pthread_rwlock_wrlock(&lock->u.rwlock);
		return rc == 0 ? 0 : (errno = rc, -1);
	case IC_LOCK_MUTEX:
	case IC_LOCK_ROBUST:
		rc = pthread_mutex_lock(&lock->u.mutex);
		if (rc == EOWNERDEAD && pthread_mutex_consistent(&lock->u.mutex) == 0)
			return IC_LOCK_RECOVERED;
		return rc == 0 ? 0 : (errno = rc, -1);
	case IC_LOCK_SEM:
		while (sem_wait(&lock->u.sem) != 0)
			if (errno != EINTR)
				return -1;
		return 0;
	case IC_LOCK_SPIN:
		while (atomic_exchange_explicit(&lock->u.spin, 1, memory_order_acquire))
			sched_yield();
		return 0;
	}
	return 0;
}

static inline int ic_trylock(ic_ctx *ctx, ic_lock_t *lock)
{
	(void)ctx;
	int rc = 0;
	switch (lock->kind) {
	case IC_LOCK_MUTEX:
	case IC_LOCK_ROBUST:
		rc = pthread_mutex_trylock(&lock->u.mutex);
		if (rc == EOWNERDEAD && pthread_mutex_consistent(&lock->u.mutex) == 0)
			return IC_LOCK_RECOVERED;
		return rc == 0 ? 0 : (errno = rc, -1);
	case IC_LOCK_SEM:
		if (sem_trywait(&lock->u.sem) == 0)
			return 0;
		if (errno == EAGAIN || errno == EINTR)
			errno = EBUSY;
		return -1;
	case IC_LOCK_SPIN:
		if (atomic_exchange_explicit(&lock->u.spin, 1, memory_order_acquire))
			return (errno = EBUSY, -1);
		return 0;
	}
	return 0;
}

static inline void ic_unlock(ic_ctx *ctx, ic_lock_t *lock)
{
	(void)ctx;
	if (lock->kind == IC_LOCK_MUTEX || lock->kind == IC_LOCK_ROBUST)
		pthread_mutex_unlock(&lock->u.mutex);
	else if (lock->kind == IC_LOCK_SEM)
		sem_post(&lock->u.sem);
	else if (lock->kind == IC_LOCK_SPIN)
		atomic_store_explicit(&lock->u.spin, 0, memory_order_release);
	else if (lock->kind == IC_LOCK_RWLOCK)
		pthread_rwlock_unlock(&lock->u.rwlock);
}

static inline int ic_lock_shared(ic_ctx *ctx, ic_lock_t *lock)
{
	if (lock->kind != IC_LOCK_RWLOCK)
		return ic_lock(ctx, lock);
	int rc = pthread_rwlock_rdlock(&lock->u.rwlock);
	return rc == 0 ? 0 : (errno = rc, -1);
}

static inline const char *ic_lock_kind_name(int kind)
{
	static const char *const names[] = {"none", "mutex", "robust mutex", "semaphore", "spinlock",
					    "rwlock"};
	return kind >= 0 && kind <= IC_LOCK_RWLOCK ? names[kind] : "?";
}

static inline uint64_t ic_now(ic_ctx *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void ic_sleep(ic_ctx *ctx, uint64_t ns)
{
	(void)ctx;
	struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline int ic_cond_timedwait(ic_ctx *ctx, pthread_cond_t *cond, ic_lock_t *lock,
				    const struct timespec *abs_timeout)
{
	(void)ctx;
	int rc = abs_timeout ? pthread_cond_timedwait(cond, &lock->u.mutex, abs_timeout)
			     : pthread_cond_wait(cond, &lock->u.mutex);
	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(&lock->u.mutex);
	return rc;
}


static inline int ic_object_name(const ic_ctx *ctx, const char *object, char *buf, size_t size)
{
	(void)ctx;
	int n = snprintf(buf, size, "/%s", object);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static inline int ic_shm_open(ic_ctx *ctx, const char *object, int oflag, mode_t mode)
{
	char name[256];
	if (ic_object_name(ctx, object, name, sizeof(name)) != 0)
		return (errno = ENAMETOOLONG, -1);
	return shm_open(name, oflag, mode);
}

static inline int ic_shm_unlink(ic_ctx *ctx, const char *object)
{
	char name[256];
	if (ic_object_name(ctx, object, name, sizeof(name)) != 0)
		return (errno = ENAMETOOLONG, -1);
	return shm_unlink(name);
}


static inline int ic_mq_open(ic_ctx *ctx, const char *object, int oflag, mode_t mode, long maxmsg,
			     long msgsize)
{
	char name[256];
	if (ic_object_name(ctx, object, name, sizeof(name)) != 0)
		return (errno = ENAMETOOLONG, -1);
	if (!(oflag & O_CREAT))
		return (int)mq_open(name, oflag);
	struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
	return (int)mq_open(name, oflag, mode, &attr);
}

static inline int ic_mq_unlink(ic_ctx *ctx, const char *object)
{
	char name[256];
	if (ic_object_name(ctx, object, name, sizeof(name)) != 0)
		return (errno = ENAMETOOLONG, -1);
	return mq_unlink(name);
}

static inline ssize_t ic_write(ic_ctx *ctx, int fd, const void *buf, size_t len)
{ (void)ctx; return write(fd, buf, len); }
static inline ssize_t ic_read(ic_ctx *ctx, int fd, void *buf, size_t len)
{ (void)ctx; return read(fd, buf, len); }
static inline ssize_t ic_send(ic_ctx *ctx, int fd, const void *buf, size_t len, int flags)
{ (void)ctx; return send(fd, buf, len, flags); }
static inline ssize_t ic_recv(ic_ctx *ctx, int fd, void *buf, size_t len, int flags)
{ (void)ctx; return recv(fd, buf, len, flags); }
static inline int ic_mq_timedsend(ic_ctx *ctx, int mq, const char *msg, size_t len, unsigned prio,
				  const struct timespec *abs_timeout)
{ (void)ctx; return mq_timedsend((mqd_t)mq, msg, len, prio, abs_timeout); }
static inline ssize_t ic_mq_timedreceive(ic_ctx *ctx, int mq, char *msg, size_t len, unsigned *prio,
					 const struct timespec *abs_timeout)
{ (void)ctx; return mq_timedreceive((mqd_t)mq, msg, len, prio, abs_timeout); }
static inline int ic_msgsnd(ic_ctx *ctx, int id, const void *msg, size_t len, int flags)
{ (void)ctx; return msgsnd(id, msg, len, flags); }
static inline ssize_t ic_msgrcv(ic_ctx *ctx, int id, void *msg, size_t len, long type, int flags)
{ (void)ctx; return msgrcv(id, msg, len, type, flags); }
static inline int ic_poll(ic_ctx *ctx, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{ (void)ctx; return poll(fds, nfds, timeout_ms); }
static inline int ic_cond_signal(ic_ctx *ctx, pthread_cond_t *cond)
{ (void)ctx; return pthread_cond_signal(cond); }
static inline int ic_cond_broadcast(ic_ctx *ctx, pthread_cond_t *cond)
{ (void)ctx; return pthread_cond_broadcast(cond); }
static inline int ic_sem_timedwait(ic_ctx *ctx, sem_t *sem, const struct timespec *abs_timeout)
{ (void)ctx; return abs_timeout ? sem_timedwait(sem, abs_timeout) : sem_wait(sem); }

#endif /* IPCHAOS_DISABLE */

/* The same with and without the harness: built on the calls above. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

static inline struct timespec ic_deadline(int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static inline void *ic_shm_create(ic_ctx *ctx, const char *object, size_t size, int oflag, mode_t mode)
{
	int fd = ic_shm_open(ctx, object, O_RDWR | oflag, mode);
	if (fd < 0)
		return NULL;
	void *p = MAP_FAILED;
	if (ftruncate(fd, (off_t)size) == 0)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	if (p == MAP_FAILED)
		return NULL;
	ic_shared_region(ctx, object, p, size); /* --detect races checks it */
	return p;
}

/* One spin-wait step: tells the CPU (and a hyperthread sibling) we are waiting. */
static inline void ic_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/*
 * The phases of ic_backoff_wait (declared above): set them and leave the
 * rest zero, e.g. (ic_backoff){.spins = 256, .yields = 1000, .sleep_us = 50};
 * set n = 0 to start over once the peer moved.
 */
struct ic_backoff {
	unsigned spins;    /* pause steps first */
	unsigned yields;   /* then sched_yield() steps */
	unsigned sleep_us; /* then sleeps of this long */
	unsigned n;        /* steps taken */
	uint64_t since_ns; /* CLOCK_MONOTONIC when the spinning ended */
};

/* ic_backoff_wait's real-time step: false, without waiting, once about `ms` (> 0) have passed since the spinning ended. */
static inline bool ic_backoff_step(ic_backoff *b, int ms)
{
	if (b->n < b->spins) {
		b->n++;
		ic_cpu_relax();
		return true;
	}
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	uint64_t t = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	if (b->n == b->spins)
		b->since_ns = t;
	if (ms > 0 && t - b->since_ns >= (uint64_t)ms * 1000000ull)
		return false;
	if (b->n++ < b->spins + b->yields) {
		sched_yield();
	} else {
		struct timespec ts = {0, (long)b->sleep_us * 1000};
		nanosleep(&ts, NULL);
	}
	return true;
}

#ifdef IPCHAOS_DISABLE
static inline bool ic_backoff_wait(ic_ctx *ctx, ic_backoff *b, int ms)
{
	(void)ctx;
	return ic_backoff_step(b, ms);
}
#endif

/* ==== Part 2: harness only (not declared under IPCHAOS_DISABLE) ======== */
#ifndef IPCHAOS_DISABLE

/* ---- Messages ------------------------------------------------------- */

/*
 * Every payload starts with this header, so a reader tells lost, duplicated,
 * reordered and corrupt apart: producer and sequence name the message, the
 * CRC (zlib crc32, over the header with crc = 0 and the body) proves it whole.
 */
#define IC_MSG_MAGIC 0x534d4349u /* "ICMS" */
typedef struct ic_msg_hdr {
	uint32_t magic;
	uint32_t producer;
	uint64_t seq;
	uint32_t len;       /* the whole message, header included */
	uint32_t body_seed; /* the body is a pattern drawn from it */
	uint32_t crc;
	uint32_t lane;      /* the ordering class: a priority, a type */
} ic_msg_hdr;

#define IC_MSG_MIN ((uint32_t)sizeof(ic_msg_hdr))

/* The id the event log carries: producer in the top 16 bits, sequence below. */
static inline uint64_t ic_msg_id(uint32_t producer, uint64_t seq)
{
	return ((uint64_t)producer << 48) | (seq & 0xffffffffffffull);
}

/* Writes a whole message of `len` bytes (>= IC_MSG_MIN) into buf. */
void ic_msg_fill(void *buf, uint32_t len, uint32_t producer, uint64_t seq, uint32_t lane,
		 uint32_t body_seed);

enum ic_msg_status { IC_MSG_INTACT, IC_MSG_CORRUPT, IC_MSG_GARBLED };
/* INTACT, CORRUPT (a header that names a message, a CRC that fails), or GARBLED. */
int ic_msg_check(const void *buf, size_t len, ic_msg_hdr *hdr);

/*
 * A channel, as the message scenarios see it. The harness runs the loops:
 * producers log invoke/ok around each send, consumers log invoke before each
 * receive and ok with (id, length, lane, intact) after, and the final drain
 * (in observe) receives what is left, so that "lost" means lost.
 *
 * The loops' contract (checked before anything runs, or at the loop's start):
 * - role 0 runs ic_producer_loop (or ic_channel_producer), role 1 the
 *   consumer loop: a scenario whose ic_channel_producer/consumer sit in
 *   other roles is refused (exit 2); a loop called from another role makes
 *   the run BROKEN with a line saying so.
 * - the message size is the variant key "size" when the scenario has one
 *   (ic_size_check), else IC_MSG_DEFAULT bytes.
 * - a scenario with a .channel lists the loops' points in .points
 *   (IC_LOOP_POINTS), else it is refused: kill and stall draw from .points.
 * - the loops pass produce/begin and produce/sent (producers),
 *   consume/begin and consume/received (consumers): a role whose body is
 *   ic_channel_producer/consumer needs no ic_scenario.role_points entry
 *   for kill:at= to pick its victim among the processes that pass them.
 * - send: EAGAIN is retried, at once at first, then with a back-off
 *   (ic_backoff_wait: spins, yields, then sleeps); ETIMEDOUT is retried at
 *   once (the channel waited). EINTR is retried.
 * - events_per_op: a consumer logs 2 records per message it receives,
 *   whichever producer sent it; each process's log holds events_per_op x
 *   ops x processes records, so 2 is enough for any P:C.
 * - a consumer stops once no producer runs and a receive finds nothing;
 *   an IC_CHANNEL_ASYNC channel (send returns before delivery) is instead
 *   received from until every message that finished producers logged as
 *   sent has arrived somewhere (or half the watchdog passes with none), so a
 *   late message is not called lost; a channel that knows it is drained
 *   returns -ENODATA from recv, and the wait ends at once. A consumer and the drain stop as soon
 *   as more messages were received than were ever sent: a duplicating
 *   channel is a `messages` finding at once, not a full log.
 */
#define IC_CHANNEL_ASYNC 1u /* ic_channel.flags: send may return before delivery */
#define IC_MSG_DEFAULT 64   /* the message size of a scenario without a "size" key */
#define IC_LOOP_POINTS "produce/begin", "produce/sent", "consume/begin", "consume/received"
typedef struct ic_channel {
	/* Send one whole message: 0, or an errno (EINTR and EAGAIN are retried). */
	int (*send)(ic_ctx *ctx, const void *msg, size_t len, unsigned lane);
	/*
	 * Receive one message into buf, waiting at most wait_ms (0: do not
	 * wait): its length, 0 when there was none, or -errno. `drain` is true
	 * in the supervisor's final drain, which reads every endpoint.
	 */
	long (*recv)(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms);
	/* Optional: the lane of the seq-th message of this producer (priorities). */
	unsigned (*lane)(ic_ctx *ctx, uint64_t seq);
	/* Optional, producer side: called once after the last send (close a stream). */
	void (*done)(ic_ctx *ctx);
	/*
	 * Optional, a channel whose messages live in shared memory (shm_batch):
	 * the same messages without a copy. reserve: room for one message of
	 * len bytes, where to write it (NULL with errno: ETIMEDOUT when no room
	 * came in 20 ms, EMSGSIZE); commit: publish it, len bytes (at most the
	 * reserved). peek: the next message where it lies, its length in *len
	 * (NULL when none came within wait_ms); release: done with it, its room
	 * may be reused. One producer and one consumer; send and recv are these
	 * with a copy.
	 */
	void *(*reserve)(ic_ctx *ctx, size_t len);
	void (*commit)(ic_ctx *ctx, size_t len);
	const void *(*peek)(ic_ctx *ctx, size_t *len, int wait_ms);
	void (*release)(ic_ctx *ctx);
	/*
	 * Optional: in each process that runs a loop or the drain, before it:
	 * what is per process (a socket connected after the fork, an I/O
	 * thread), kept with ic_set_local(). 0, or an errno: the loop does not
	 * run and the process exits 1.
	 */
	int (*open)(ic_ctx *ctx);
	/* Optional: after the loop or the drain, in the same process (after done). */
	void (*close)(ic_ctx *ctx);
	unsigned flags; /* IC_CHANNEL_ASYNC */
} ic_channel;

/* This process's own pointer (NULL in a new process): the channel's per-process state. */
void *ic_local(const ic_ctx *ctx);
void ic_set_local(ic_ctx *ctx, void *local);

/* Message sizes: "64", "8K", "1M", or "A..B" drawn per message from the seed. */
const char *ic_size_check(const char *value);
int ic_size_range(const ic_ctx *ctx, const char *key, uint64_t *lo, uint64_t *hi);

int ic_producer_loop(ic_ctx *ctx, const ic_channel *ch); /* role body of a producer */
int ic_consumer_loop(ic_ctx *ctx, const ic_channel *ch); /* role body of a consumer */
int ic_drain(ic_ctx *ctx, const ic_channel *ch);         /* observe: receive what is left */

/* The same over the scenario's own .channel: ready-made role bodies and observe step. */
int ic_channel_producer(ic_ctx *ctx);
int ic_channel_consumer(ic_ctx *ctx);
int ic_channel_drain(ic_ctx *ctx);

/*
 * A framed byte stream (pipe, SOCK_STREAM): read one whole message from a
 * non-blocking fd, through ic_read(). A stream whose frame was torn by a
 * killed reader or writer is resynchronised on the next header whose CRC
 * holds; what was skipped is that killed operation's message, not corruption.
 */
typedef struct ic_stream {
	int fd;
	size_t max_msg;       /* the longest message the stream may carry */
	size_t have;          /* bytes buffered */
	size_t skipped;       /* bytes dropped while resynchronising */
	bool eof;
	unsigned char buf[];  /* capacity given to ic_stream_new */
} ic_stream;
ic_stream *ic_stream_new(int fd, size_t max_msg);
void ic_stream_free(ic_stream *s);
/* As ic_channel.recv: length, 0 when no whole message is there yet, -errno. */
long ic_stream_recv(ic_ctx *ctx, ic_stream *s, void *out, size_t cap, int wait_ms);
/* Drop a partial frame left at the end (the drain found no more bytes): how many bytes. */
size_t ic_stream_discard(ic_stream *s);
/* Write all of msg (short writes and EINTR/EAGAIN are continued), 0 or an errno. */
int ic_stream_send(ic_ctx *ctx, int fd, const void *msg, size_t len);

/*
 * Channels with one endpoint per producer (a pipe, a socket pair): consumer j
 * reads endpoints j, j+C, ...; when a consumer has died, the lowest running
 * consumer takes its endpoints over, so no producer waits on a dead reader.
 * The drain reads them all. `one` receives from endpoint i (0: nothing now);
 * `fd` gives its readable descriptor, to wait on.
 */
typedef struct ic_endpoints {
	unsigned n;
	long (*one)(ic_ctx *ctx, unsigned i, void *buf, size_t cap, bool drain);
	int (*fd)(ic_ctx *ctx, unsigned i);
} ic_endpoints;
long ic_endpoints_recv(ic_ctx *ctx, const ic_endpoints *ep, void *buf, size_t cap, bool drain,
		       int wait_ms);

/* ---- System V objects of this run ------------------------------------- */

/* A SysV key derived from the run's secret and `n` (0..255): this run's, and nobody else can know it. */
key_t ic_sysv_key(const ic_ctx *ctx, unsigned n);
/* msgget(key, IPC_CREAT | IPC_EXCL | mode), registered before it exists. */
int ic_msgget(ic_ctx *ctx, unsigned n, int mode);
int ic_msg_remove(ic_ctx *ctx, int id); /* msgctl(IPC_RMID); the tracker forgets it */
const char *ic_run_id(const ic_ctx *ctx); /* the run's random id, as in object names */

/* In setup or observe: why it failed, in the report instead of strerror(errno). */
void ic_errorf(ic_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- What a role knows about its run -------------------------------- */

const char *ic_variant(const ic_ctx *ctx, const char *key); /* the value chosen for a key */
unsigned ic_role_count(const ic_ctx *ctx, unsigned role);   /* processes of that role */
unsigned ic_role(const ic_ctx *ctx);                        /* this process's role */
unsigned ic_index(const ic_ctx *ctx);                       /* its index within the role */
uint64_t ic_ops(const ic_ctx *ctx);                         /* --ops */
uint64_t ic_rand(ic_ctx *ctx); /* this process's stream, a function of (seed, role, index) */
/* Processes of `role` that are still running (neither returned nor dead). */
unsigned ic_role_running(const ic_ctx *ctx, unsigned role);
/* Is process `index` of `role` still running? */
bool ic_peer_running(const ic_ctx *ctx, unsigned role, unsigned index);
/* This process's global index among all roles (0..nprocs-1): a producer's id. */
unsigned ic_proc(const ic_ctx *ctx);
void *ic_state(const ic_ctx *ctx);
void ic_set_state(ic_ctx *ctx, void *state); /* in setup (or attach): inherited by every role */
/* In an attach hook (a role started by exec, --under): maps the whole of a
 * segment setup made with ic_shm_create. NULL with errno. */
void *ic_shm_attach(ic_ctx *ctx, const char *object);

/* ---- Scenarios ------------------------------------------------------- */

typedef struct ic_key {
	const char *name;
	const char *const *values; /* NULL-terminated, the first the default; NULL: free-form */
	const char *help;
	const char *def; /* free-form keys: the default value */
	/* free-form keys: NULL when `value` is valid, else what a valid one looks like */
	const char *(*check)(const char *value);
} ic_key;

typedef struct ic_role_desc {
	const char *name;           /* "p", "c": process labels are name + index */
	int (*body)(ic_ctx *ctx);   /* its return value is the exit code */
	unsigned default_count;
} ic_role_desc;

/*
 * What `run --all` checks: this variant under these injectors must end as
 * `verdict` ("pass", or the checker that must fire) within `seeds` seeds.
 */
typedef struct ic_expect {
	const char *variant; /* "lock=none" */
	const char *inject;  /* "delay;kill:at=counter/locked" (';' separates injectors) */
	const char *verdict;
	unsigned seeds;
	const char *procs; /* "2:2"; NULL for the scenario's default */
	const char *mode;  /* "controlled": under the PCT scheduler; NULL: chaos */
	uint64_t ops;      /* 0: the scenario's default */
} ic_expect;

/* ic_scenario.fields: a named field of a shared segment, so that a race report can name it. */
typedef struct ic_field {
	const char *object; /* the segment, as named to ic_shm_create or ic_shared_region */
	const char *name;   /* "value" */
	size_t offset, size; /* offsetof() and sizeof() it */
} ic_field;

/*
 * A scenario. Per run: setup in the supervisor before the fork (create the
 * shared objects, ic_set_state), the roles forked (--procs per role), observe
 * after they end (log final reads), teardown (remove what setup made).
 * `checkers` names those that judge it: counter (IC_OP_INC and a final
 * IC_OP_READ), messages (IC_OP_SEND and IC_OP_RECV), dead-holder, hang,
 * crash, leaks, perms. A user's scenario is registered by passing it to
 * ic_main(); a built-in scenario of the same name shadows it.
 */
typedef struct ic_scenario {
	const char *name;
	const char *summary;
	const ic_key *keys;           /* {0}-terminated */
	const ic_role_desc *roles;    /* {0}-terminated */
	const char *const *points;    /* every point it calls; NULL-terminated */
	const char *const *lock_sites;/* every lock site name; NULL-terminated */
	const char *checkers;         /* "counter,dead-holder,hang,crash,leaks" */
	uint64_t default_ops;
	unsigned events_per_op;       /* upper bound, sizes the event log */
	int (*setup)(ic_ctx *ctx);    /* before fork, in the supervisor: create shared objects */
	/*
	 * After the roles end: log final reads. It runs in a child process of
	 * the supervisor, under the same progress watchdog as the roles (a
	 * stuck observe is a `hang` with its stack) and SIGINT/SIGTERM: it sees
	 * setup's memory, but what it changes there is its own (teardown does
	 * not see it); shared memory and IPC objects are shared as usual.
	 */
	int (*observe)(ic_ctx *ctx);
	void (*teardown)(ic_ctx *ctx);/* remove what setup made (skipped with --keep) */
	const ic_expect *expect;      /* {0}-terminated */
	/*
	 * Before anything runs: NULL if this variant and these counts can run
	 * here, else why not (a size above a system limit, P:C the channel cannot
	 * do). Sees ic_variant() and ic_role_count() only.
	 */
	const char *(*validate)(const ic_ctx *ctx, char *buf, size_t size);
	unsigned flags; /* IC_SC_* */
	const struct ic_channel *channel; /* message scenarios: for ic_channel_producer() and co. */
	/* The widest mode its IPC objects may have (perms checker); 0 means 0600, owner only. */
	unsigned shared_mode;
	/*
	 * Optional: per role (as .roles, one entry each), the points its
	 * processes pass, NULL-terminated (an entry may be NULL: not known). A
	 * kill or stall pinned with at= draws its victim among the processes of
	 * roles whose points match, so no seed is spent on a process that never
	 * gets there; when no role's do, among all processes. Roles whose body
	 * is ic_channel_producer/consumer pass the loops' points without saying.
	 */
	const char *const *const *role_points;
	/*
	 * In a role started by exec rather than fork (run --under memcheck): what
	 * setup made, re-opened by name, then ic_set_state(). 0, or -1 with errno.
	 * A scenario with a setup and no attach cannot run --under (its roles
	 * would lack what fork gives them: mappings, descriptors, setup's memory).
	 */
	int (*attach)(ic_ctx *ctx);
	/* Optional, {0}-terminated: the layout of its segments, for --detect races reports. */
	const ic_field *fields;
} ic_scenario;

/* It may make POSIX mqueues behind the tracker's back: the leak scan lists queues too. */
#define IC_SC_MQUEUES 1u

/*
 * ic_main: the ipchaos command line (list, run, run --all, audit, --help)
 * over the built-in scenarios and `extra` (NULL-terminated, may be NULL).
 * A user's scenario program is main() { return ic_main(argc, argv, mine); }:
 * its roles are forked from it, and its replay lines name it (argv[0]).
 * Returns the exit code: 0 passed, 1 a finding (with --all: an expectation
 * missed), 2 bad usage (before anything runs), 3 the harness failed,
 * 130 interrupted by SIGINT, 143 by SIGTERM (each after cleaning up).
 */
int ic_main(int argc, char **argv, const ic_scenario *const *extra);

#endif /* !IPCHAOS_DISABLE */

#ifdef __cplusplus
}
#endif
#endif
