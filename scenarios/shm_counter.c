/*
 * shm_counter: --procs processes each add 1 to a counter in a shared segment
 * --ops times. Proves that the chosen synchronisation keeps every increment:
 * lock=none is the planted race, mutex/sem/spin are correct until a holder
 * dies (dead-holder), robust survives kills by recovering on EOWNERDEAD, and
 * atomic needs no lock at all. bug= plants one more defect per checker.
 * Checkers: counter, dead-holder, hang, crash, leaks.
 * Injectors: delay (races), kill (dead holders), nolock (a missing lock).
 */
#include "ipchaos.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum counter_bug { BUG_NONE, BUG_FORGET_UNLOCK, BUG_WILD_WRITE, BUG_LEAK, BUG_UNINIT_READ };

/* The segment every role maps; setup fills it before fork, roles only read the config. */
typedef struct counter_shared {
	int kind;        /* enum ic_lock_kind, or -1 for atomic */
	int bug;         /* enum counter_bug */
	uint64_t bug_op; /* the op at which a bug strikes, drawn from the seed */
	ic_lock_t lock;
	atomic_uint_fast64_t atomic_value;
	volatile uint64_t value;
} counter_shared;

static const char *const lock_values[] = {"robust", "none", "mutex", "sem", "atomic", "spin", NULL};
static const char *const bug_values[] = {"none", "forget_unlock", "wild_write", "leak", "uninit_read", NULL};

static const ic_key counter_keys[] = {
	{"lock", lock_values, "how increments are synchronised", NULL, NULL},
	{"bug", bug_values,
	 "a planted defect: forget_unlock (one unlock missing: hang), wild_write (a write to "
	 "an unmapped address: crash), leak (a segment made behind the tracker's back: leaks), "
	 "uninit_read (a branch on uninitialised heap memory: harmless natively, crash under "
	 "--under memcheck)",
	 NULL, NULL},
	{0},
};

static const char *const counter_points[] = {"counter/begin", "counter/locked", "counter/loaded",
					      "counter/stored", NULL};
static const char *const counter_sites[] = {"counter", NULL};

static int index_of(const char *const *values, const char *v)
{
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return 0;
}

static int lock_kind(const char *v)
{
	static const int kinds[] = {IC_LOCK_ROBUST, IC_LOCK_NONE, IC_LOCK_MUTEX,
				    IC_LOCK_SEM,    -1,           IC_LOCK_SPIN};
	return kinds[index_of(lock_values, v)];
}

/* A segment created with a run-id name but never registered: only the leak scan can see it. */
static int make_untracked_segment(ic_ctx *ctx)
{
	char name[96];
	if (ic_object_name(ctx, "untracked", name, sizeof(name)) != 0)
		return -1;
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int counter_setup(ic_ctx *ctx)
{
	counter_shared *sh = ic_shm_create(ctx, "counter", sizeof(counter_shared), O_CREAT | O_EXCL, 0600);
	if (!sh)
		return -1;
	ic_set_state(ctx, sh); /* inherited by every role through fork */
	sh->kind = lock_kind(ic_variant(ctx, "lock"));
	sh->bug = index_of(bug_values, ic_variant(ctx, "bug"));
	sh->bug_op = ic_rand(ctx) % ic_ops(ctx);
	if (sh->kind >= 0 && ic_lock_init(ctx, &sh->lock, sh->kind, "counter") != 0)
		return -1;
	if (sh->bug == BUG_LEAK)
		return make_untracked_segment(ctx);
	return 0;
}

/* A role started by exec (run --under) maps the segment setup made. */
static int counter_attach(ic_ctx *ctx)
{
	counter_shared *sh = ic_shm_attach(ctx, "counter");
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	return 0;
}

/*
 * The planted memory error only memcheck sees: a branch on heap memory never
 * written. Whichever way it goes the count is right, so natively the run
 * passes (and AddressSanitizer, which does not track definedness, says nothing).
 */
__attribute__((noinline)) static void counter_uninit_read(void)
{
	volatile uint64_t *scratch = malloc(sizeof(*scratch));
	__asm__ volatile("" : "+r"(scratch)); /* hides the malloc: the compiler must not warn */
	if (scratch && (*scratch & 1))
		sched_yield();
	free((void *)scratch);
}

/*
 * The planted crash: a write to an unmapped page, outside any lock. Not NULL
 * itself, so that UBSan's null check does not turn the SIGSEGV into an exit.
 */
__attribute__((noinline)) static void counter_wild_write(uint64_t v)
{
	volatile uint64_t *volatile target = (volatile uint64_t *)(uintptr_t)64;
	*target = v;
}

static void atomic_increment(ic_ctx *ctx, counter_shared *sh)
{
	atomic_fetch_add_explicit(&sh->atomic_value, 1, memory_order_relaxed);
	ic_point(ctx, "counter/stored");
}

static int locked_increment(ic_ctx *ctx, counter_shared *sh, uint64_t op)
{
	if (ic_lock(ctx, &sh->lock) < 0)
		return -1;
	ic_point(ctx, "counter/locked");
	uint64_t v = sh->value;
	ic_info(ctx, IC_OP_LOAD, v, 0); /* the values seen and written: the story of a lost update */
	ic_point(ctx, "counter/loaded");
	sh->value = v + 1;
	ic_info(ctx, IC_OP_STORE, v + 1, 0);
	ic_point(ctx, "counter/stored");
	if (!(sh->bug == BUG_FORGET_UNLOCK && op == sh->bug_op && ic_index(ctx) == 0))
		ic_unlock(ctx, &sh->lock);
	return 0;
}

static int counter_role(ic_ctx *ctx)
{
	counter_shared *sh = ic_state(ctx);
	uint64_t ops = ic_ops(ctx);
	for (uint64_t op = 0; op < ops; op++) {
		ic_point(ctx, "counter/begin");
		if (sh->bug == BUG_WILD_WRITE && op == sh->bug_op && ic_index(ctx) == 0)
			counter_wild_write(op);
		if (sh->bug == BUG_UNINIT_READ && op == sh->bug_op && ic_index(ctx) == 0)
			counter_uninit_read();
		ic_invoke(ctx, IC_OP_INC, 1, op);
		if (sh->kind < 0)
			atomic_increment(ctx, sh);
		else if (locked_increment(ctx, sh, op) != 0) {
			ic_fail(ctx, IC_OP_INC, (uint64_t)errno, op);
			return 1;
		}
		ic_ok(ctx, IC_OP_INC, 1, op);
	}
	return 0;
}

static int counter_observe(ic_ctx *ctx)
{
	const counter_shared *sh = ic_state(ctx);
	uint64_t v = sh->kind < 0 ? atomic_load(&sh->atomic_value) : sh->value;
	ic_invoke(ctx, IC_OP_READ, 0, 0);
	ic_ok(ctx, IC_OP_READ, v, 0);
	return 0;
}

static void counter_teardown(ic_ctx *ctx)
{
	counter_shared *sh = ic_state(ctx);
	if (!sh)
		return;
	/* A lock whose holder died is left as it is: destroying it is undefined. */
	munmap(sh, sizeof(counter_shared));
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "counter");
}

static const ic_role_desc counter_roles[] = {
	{"p", counter_role, 2},
	{0},
};

static const ic_expect counter_expect[] = {
	{"lock=none", "delay", "counter", 100, NULL, NULL, 0},
	{"lock=mutex", "delay", "pass", 200, NULL, NULL, 0},
	{"lock=mutex", "nolock;delay", "counter", 100, NULL, NULL, 0},
	{"lock=mutex", "kill:at=counter/locked", "dead-holder", 1, NULL, NULL, 0},
	{"lock=robust", "delay;kill", "pass", 200, NULL, NULL, 0},
	{"lock=sem", "delay", "pass", 200, NULL, NULL, 0},
	{"lock=sem", "kill:at=counter/loaded", "dead-holder", 1, NULL, NULL, 0},
	{"lock=spin", "delay", "pass", 200, NULL, NULL, 0},
	{"lock=spin", "kill:at=counter/stored", "dead-holder", 1, NULL, NULL, 0},
	{"lock=atomic", "delay;kill", "pass", 200, NULL, NULL, 0},
	{"lock=mutex,bug=forget_unlock", "", "hang", 1, NULL, NULL, 0},
	{"lock=mutex,bug=wild_write", "", "crash", 1, NULL, NULL, 0},
	{"lock=robust,bug=leak", "", "leaks", 1, NULL, NULL, 0},
	/* Controlled mode: the same bugs at a few operations, and no false alarm under faults. */
	{"lock=none", "", "counter", 100, NULL, "controlled", 2},
	{"lock=mutex", "nolock", "counter", 100, NULL, "controlled", 5},
	{"lock=mutex", "stall", "pass", 200, NULL, "controlled", 20},
	{"lock=mutex", "kill:at=counter/locked", "dead-holder", 1, NULL, "controlled", 20},
	{"lock=robust", "kill;stall", "pass", 200, NULL, "controlled", 20},
	{"lock=sem", "stall", "pass", 200, NULL, "controlled", 20},
	{"lock=spin", "stall", "pass", 200, NULL, "controlled", 20},
	{"lock=atomic", "kill;stall", "pass", 200, NULL, "controlled", 20},
	{"lock=mutex,bug=forget_unlock", "", "deadlock", 1, NULL, "controlled", 20},
	{"lock=mutex,bug=wild_write", "", "crash", 1, NULL, "controlled", 20},
	{"lock=robust,bug=leak", "", "leaks", 1, NULL, "controlled", 20},
	/* --detect races: the missing lock is a race on the first run, found or not by the counter. */
	{"lock=none", "", "race", 2, NULL, "races", 1},
	{"lock=mutex", "nolock:p=1", "race", 1, NULL, "races", 2},
	/* At its default rate: the lock discipline reports every run that skipped the lock. */
	{"lock=mutex", "nolock", "race", 2, NULL, "races", 50},
	{"lock=mutex", "delay", "pass", 30, NULL, "races", 50},
	{"lock=robust", "delay;kill", "pass", 30, NULL, "races", 50},
	{"lock=sem", "delay", "pass", 30, NULL, "races", 50},
	{"lock=spin", "delay", "pass", 30, NULL, "races", 50},
	{"lock=atomic", "delay;kill", "pass", 30, NULL, "races", 50},
	{"lock=none", "", "race", 1, NULL, "controlled,races", 2},
	{"lock=robust", "kill;stall", "pass", 30, NULL, "controlled,races", 20},
	{0},
};

/* --detect races names the bytes of a race by these. */
static const ic_field counter_fields[] = {
	{"counter", "kind", offsetof(counter_shared, kind), sizeof(int)},
	{"counter", "bug", offsetof(counter_shared, bug), sizeof(int)},
	{"counter", "lock", offsetof(counter_shared, lock), sizeof(ic_lock_t)},
	{"counter", "atomic_value", offsetof(counter_shared, atomic_value), sizeof(atomic_uint_fast64_t)},
	{"counter", "value", offsetof(counter_shared, value), sizeof(uint64_t)},
	{0},
};

const ic_scenario ic_scenario_shm_counter = {
	.name = "shm_counter",
	.summary = "processes increment a counter in shared memory",
	.keys = counter_keys,
	.roles = counter_roles,
	.points = counter_points,
	.lock_sites = counter_sites,
	.checkers = "counter,dead-holder,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 4, /* invoke, load, store, ok */
	.setup = counter_setup,
	.attach = counter_attach,
	.observe = counter_observe,
	.teardown = counter_teardown,
	.expect = counter_expect,
	.fields = counter_fields,
};
