/*
 * lockorder: processes move units between records in shared memory, each
 * record behind its own lock, so a move takes two locks. Role `ab` takes them
 * in one global order (the lower record first); role `ba` moves the other
 * way and takes them as the variant says: bug=none in the same global order,
 * bug=inversion in its own order (the source first: the classic AB-BA
 * deadlock), bug=trylock_backoff in its own order too, but the second with a
 * trylock, releasing the first and backing off when it is taken (correct).
 * Proves the harness's cross-process lockdep: `lockorder` reports the
 * inversion from the orders locks were taken in, on a run that did not
 * deadlock as on one that did; a run that does deadlock ends at once as
 * `deadlock`, naming the cycle. Each move counts in both its records, under
 * their locks: the `counter` checker verifies them (a missing lock loses some).
 * Checkers: lockorder, counter, dead-holder, hang (and deadlock), crash, leaks.
 * Injectors: delay (deadlocks), kill and stall (robust locks: no false
 * alarm), nolock (lost arrivals).
 */
#include "ipchaos.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_RECORDS 8

enum lockorder_bug { BUG_NONE, BUG_INVERSION, BUG_TRYLOCK_BACKOFF };
static const char *const bug_values[] = {"none", "inversion", "trylock_backoff", NULL};
static const char *const records_values[] = {"2", "3", "4", "8", NULL};

static const ic_key lockorder_keys[] = {
	{"bug", bug_values,
	 "inversion: role ba takes the two locks in the other order (can deadlock); trylock_backoff: "
	 "the other order too, the second by trylock, backing off when taken (correct)",
	 NULL, NULL},
	{"records", records_values, "records (and locks) the units move between", NULL, NULL},
	{0},
};

static const char *const lockorder_points[] = {"lockorder/begin", "lockorder/first", "lockorder/both",
					       "lockorder/moved", "lockorder/backoff", NULL};
static const char *const lockorder_sites[] = {"record/0", "record/1", "record/2", "record/3", "record/4",
					      "record/5", "record/6", "record/7", NULL};

typedef struct record {
	ic_lock_t lock;
	int64_t units;
	uint64_t moves; /* moves in or out of it, under its lock: the counter checker's increments */
} record;

typedef struct lockorder_shared {
	int bug;
	unsigned n;
	record rec[MAX_RECORDS];
} lockorder_shared;

static int index_of(const char *const *values, const char *v)
{
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return 0;
}

static int lockorder_setup(ic_ctx *ctx)
{
	lockorder_shared *sh = ic_shm_create(ctx, "lockorder", sizeof(*sh), O_CREAT | O_EXCL, 0600);
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	sh->bug = index_of(bug_values, ic_variant(ctx, "bug"));
	sh->n = (unsigned)atoi(ic_variant(ctx, "records"));
	for (unsigned i = 0; i < sh->n; i++) {
		sh->rec[i].units = 1000;
		/* Robust: a kill inside a move is recovered, so kills test lockdep, not dead-holder. */
		if (ic_lock_init(ctx, &sh->rec[i].lock, IC_LOCK_ROBUST, lockorder_sites[i]) != 0)
			return -1;
	}
	return 0;
}

static int lockorder_attach(ic_ctx *ctx)
{
	lockorder_shared *sh = ic_shm_attach(ctx, "lockorder");
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	return 0;
}

/* The second lock by trylock; when taken, the first is released and the move starts over. */
static int take_second_or_back_off(ic_ctx *ctx, record *first, record *second)
{
	while (ic_trylock(ctx, &second->lock) < 0) {
		ic_unlock(ctx, &first->lock);
		ic_point(ctx, "lockorder/backoff");
		/* A random number of steps, each bounded: with nobody else left to move it ends at once. */
		ic_backoff b = {.spins = 16, .yields = 4, .sleep_us = 10};
		for (uint64_t k = 1 + ic_rand(ctx) % 8; k > 0 && ic_backoff_wait(ctx, &b, 1); k--)
			;
		if (ic_lock(ctx, &first->lock) < 0)
			return -1;
		ic_point(ctx, "lockorder/first");
	}
	return 0;
}

/* Both locks, in the order the role and variant say; first is what it took first. */
static int take_both(ic_ctx *ctx, lockorder_shared *sh, record *src, record *dst, record **first_out,
		     record **second_out)
{
	bool ba = ic_role(ctx) == 1;
	bool own_order = ba && sh->bug != BUG_NONE;
	record *lo = src < dst ? src : dst, *hi = src < dst ? dst : src;
	/* ba moves downwards: its own order takes the source, the higher record, first */
	record *first = own_order ? src : lo, *second = own_order ? dst : hi;
	*first_out = first;
	*second_out = second;
	ic_point(ctx, "lockorder/begin");
	if (ic_lock(ctx, &first->lock) < 0)
		return -1;
	ic_point(ctx, "lockorder/first");
	if (own_order && sh->bug == BUG_TRYLOCK_BACKOFF)
		return take_second_or_back_off(ctx, first, second);
	return ic_lock(ctx, &second->lock) < 0 ? -1 : 0;
}

static int move_one(ic_ctx *ctx, lockorder_shared *sh, uint64_t op)
{
	/* ab moves upwards (i to i+1), ba downwards (i to i-1): with 2 records, 0 to 1 and 1 to 0 */
	unsigned n = sh->n, from = n == 2 ? ic_role(ctx) : (unsigned)((op + ic_index(ctx)) % n);
	unsigned to = ic_role(ctx) == 0 ? (from + 1) % n : (from + n - 1) % n;
	record *src = &sh->rec[from], *dst = &sh->rec[to], *first, *second;
	if (take_both(ctx, sh, src, dst, &first, &second) != 0)
		return -1;
	ic_point(ctx, "lockorder/both");
	uint64_t src_moves = src->moves, dst_moves = dst->moves;
	src->units--;
	dst->units++;
	ic_point(ctx, "lockorder/moved"); /* without one of the locks, another move may land here */
	src->moves = src_moves + 1;
	dst->moves = dst_moves + 1;
	ic_unlock(ctx, &second->lock);
	ic_unlock(ctx, &first->lock);
	return 0;
}

static int lockorder_role(ic_ctx *ctx)
{
	lockorder_shared *sh = ic_state(ctx);
	for (uint64_t op = 0; op < ic_ops(ctx); op++) {
		ic_invoke(ctx, IC_OP_INC, 2, op); /* a move counts in both of its records */
		if (move_one(ctx, sh, op) != 0) {
			ic_fail(ctx, IC_OP_INC, 0, op);
			return 1;
		}
		ic_ok(ctx, IC_OP_INC, 2, op);
	}
	return 0;
}

static int lockorder_observe(ic_ctx *ctx)
{
	const lockorder_shared *sh = ic_state(ctx);
	uint64_t moves = 0;
	for (unsigned i = 0; i < sh->n; i++)
		moves += sh->rec[i].moves;
	ic_invoke(ctx, IC_OP_READ, 0, 0);
	ic_ok(ctx, IC_OP_READ, moves, 0);
	return 0;
}

static void lockorder_teardown(ic_ctx *ctx)
{
	lockorder_shared *sh = ic_state(ctx);
	if (!sh)
		return;
	munmap(sh, sizeof(*sh)); /* a lock whose holder died is left as it is */
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "lockorder");
}

static const ic_role_desc lockorder_roles[] = {
	{"ab", lockorder_role, 1},
	{"ba", lockorder_role, 1},
	{0},
};

static const ic_expect lockorder_expect[] = {
	{"bug=none", "delay;kill;stall", "pass", 50, NULL, NULL, 0},
	{"bug=trylock_backoff", "delay;kill;stall", "pass", 50, NULL, NULL, 0},
	{"bug=inversion", "", "lockorder", 1, NULL, NULL, 0},
	/*
	 * Every inversion run fails (lockorder), so the first must deadlock: one process is
	 * stopped holding its first lock on its first move, and every move delays there
	 * (300 of 300 seeds deadlocked at a load of 16 on 2 cores; plain delay: 19 of 20).
	 */
	{"bug=inversion", "stall:at=lockorder/first,hit=1,max=100;delay:at=lockorder/first,p=1,max=200",
	 "deadlock", 1, NULL, NULL, 0},
	{"bug=none", "nolock;delay", "counter", 100, NULL, NULL, 0},
	{"records=4,bug=inversion", "", "lockorder", 1, "2:2", NULL, 0},
	/* Controlled mode: lockdep from the same recording, and the deadlock as the scheduler sees it. */
	{"bug=inversion", "", "lockorder", 1, NULL, "controlled", 5},
	/* The delay drops the holder of the first lock below the other: then both hold one. */
	{"bug=inversion", "delay:at=lockorder/first,p=1", "deadlock", 1, NULL, "controlled", 5},
	{"bug=none", "kill;stall", "pass", 50, NULL, "controlled", 10},
	{"bug=trylock_backoff", "kill;stall", "pass", 50, NULL, "controlled", 10},
	{0},
};

const ic_scenario ic_scenario_lockorder = {
	.name = "lockorder",
	.summary = "moves between records behind a lock each: lock order inversions and deadlocks",
	.keys = lockorder_keys,
	.roles = lockorder_roles,
	.points = lockorder_points,
	.lock_sites = lockorder_sites,
	.checkers = "lockorder,counter,dead-holder,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 3,
	.setup = lockorder_setup,
	.attach = lockorder_attach,
	.observe = lockorder_observe,
	.teardown = lockorder_teardown,
	.expect = lockorder_expect,
};
