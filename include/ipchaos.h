/*
 * ipchaos.h: the public API of ipchaos.
 *
 * Code under test calls these from inside a run: injection points, locks whose
 * holder the harness can see, IPC objects the harness tracks and removes, and the
 * Jepsen-style event log the checkers read. A scenario is a descriptor (roles,
 * variants, points, expectations) that ic_main() runs like the built-in ones.
 *
 * Built with -DIPCHAOS_DISABLE, points vanish and the wrappers become the plain
 * calls, so instrumented code can ship.
 */
#ifndef IPCHAOS_H
#define IPCHAOS_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One per process of a run; the harness owns it. */
typedef struct ic_ctx ic_ctx;

/* The first member of every ic_ctx: lets ic_point() test one byte inline. */
struct ic_ctx_head {
	unsigned char armed; /* any injector acts at points in this process */
};

/* ---- Injection points ------------------------------------------------ */

void ic_point_hit(ic_ctx *ctx, const char *name);

/*
 * A place where injectors may act: delay, stop, or kill this process.
 * Names are hierarchical ("ring/push/after_write"); injectors select them by
 * name or glob. Unarmed, a point is one load and one predicted branch.
 */
static inline void ic_point(ic_ctx *ctx, const char *name)
{
#ifdef IPCHAOS_DISABLE
	(void)ctx;
	(void)name;
#else
	if (__builtin_expect(((const struct ic_ctx_head *)(const void *)ctx)->armed, 0))
		ic_point_hit(ctx, name);
#endif
}

/* ---- Event log ------------------------------------------------------- */

/* Operation codes the built-in checkers understand; users add from IC_OP_USER. */
enum ic_op {
	IC_OP_INC = 1,  /* a = amount */
	IC_OP_READ,     /* ok: a = value read */
	IC_OP_SEND,     /* a = message id */
	IC_OP_RECV,     /* ok: a = message id */
	IC_OP_RECOVER,  /* info: a robust lock was taken over from a dead holder; a = lock id */
	IC_OP_USER = 100,
};

enum ic_ev_kind { IC_EV_INVOKE = 1, IC_EV_OK, IC_EV_FAIL, IC_EV_INFO };

/*
 * Log an operation: ic_invoke() before it, ic_ok() or ic_fail() after. A process
 * has at most one operation open; one that is invoked and never completed
 * (the process died) is indeterminate and checkers accept either outcome.
 * A record counts once written whole: a process killed mid-write loses only it.
 */
void ic_invoke(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b);
void ic_ok(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b);
void ic_fail(ic_ctx *ctx, uint32_t op, uint64_t err, uint64_t b);
void ic_info(ic_ctx *ctx, uint32_t op, uint64_t a, uint64_t b);

/* ---- Locks whose holder the harness sees ---------------------------- */

enum ic_lock_kind {
	IC_LOCK_NONE,   /* no lock at all (a planted race) */
	IC_LOCK_MUTEX,  /* process-shared pthread mutex: dies with its holder */
	IC_LOCK_ROBUST, /* robust mutex: recovered on EOWNERDEAD */
	IC_LOCK_SEM,    /* POSIX semaphore, value 1: dies with its holder */
	IC_LOCK_SPIN,   /* test-and-set spinlock: dies with its holder */
};

/* Lives in shared memory; ic_lock_init() once, in setup, before roles fork. */
typedef struct ic_lock {
	union {
		pthread_mutex_t mutex;
		sem_t sem;
		atomic_int spin;
	} u;
	int kind; /* enum ic_lock_kind */
	int id;   /* the harness's record of this lock (name, holder) */
} ic_lock_t;

/* 0, or -1 with errno (too many locks, pthread errors). `site` names the lock. */
int ic_lock_init(ic_ctx *ctx, ic_lock_t *lock, enum ic_lock_kind kind, const char *site);
void ic_lock_destroy(ic_ctx *ctx, ic_lock_t *lock);

#define IC_LOCK_RECOVERED 1 /* ic_lock(): took over from a dead holder */

/*
 * Acquire: an injection site (the nolock injector may skip it, and then the
 * matching ic_unlock too). Returns 0, IC_LOCK_RECOVERED (robust only: the
 * state it guards may be half-updated, and an IC_OP_RECOVER info is logged),
 * or -1 with errno.
 */
int ic_lock(ic_ctx *ctx, ic_lock_t *lock);
void ic_unlock(ic_ctx *ctx, ic_lock_t *lock);
const char *ic_lock_kind_name(int kind);

/* ---- IPC objects the harness tracks --------------------------------- */

/*
 * shm_open() of "/ipchaos.<runid>.<object>", registered with the run's tracker
 * before it exists, so the harness removes it whatever happens to the caller.
 */
int ic_shm_open(ic_ctx *ctx, const char *object, int oflag, mode_t mode);
int ic_shm_unlink(ic_ctx *ctx, const char *object);
/* Writes "/ipchaos.<runid>.<object>" into buf; -1 if it does not fit. */
int ic_object_name(const ic_ctx *ctx, const char *object, char *buf, size_t size);
const char *ic_run_id(const ic_ctx *ctx);

/* ---- What a role knows about its run -------------------------------- */

const char *ic_variant(const ic_ctx *ctx, const char *key); /* the value chosen for a key */
unsigned ic_role_count(const ic_ctx *ctx, unsigned role);   /* processes of that role */
unsigned ic_role(const ic_ctx *ctx);                        /* this process's role */
unsigned ic_index(const ic_ctx *ctx);                       /* its index within the role */
uint64_t ic_ops(const ic_ctx *ctx);                         /* --ops */
uint64_t ic_rand(ic_ctx *ctx); /* this process's stream, a function of (seed, role, index) */
void *ic_state(const ic_ctx *ctx);
void ic_set_state(ic_ctx *ctx, void *state); /* in setup: inherited by every role */

/* ---- Scenarios ------------------------------------------------------- */

typedef struct ic_key {
	const char *name;
	const char *const *values; /* NULL-terminated; the first is the default */
	const char *help;
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
} ic_expect;

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
	int (*observe)(ic_ctx *ctx);  /* after the roles end: log final reads */
	void (*teardown)(ic_ctx *ctx);/* remove what setup made (skipped with --keep) */
	const ic_expect *expect;      /* {0}-terminated */
} ic_scenario;

/* The ipchaos command line over the built-in scenarios and `extra` (NULL-terminated, may be NULL). */
int ic_main(int argc, char **argv, const ic_scenario *const *extra);

#ifdef __cplusplus
}
#endif
#endif
