/*
 * ctlprog: two scenarios that exist only to test controlled mode, written
 * against the public header as a user's would be.
 *   abba:   two processes take two locks in opposite orders. Controlled mode
 *           must call that a deadlock at once, naming both waits.
 *   clocky: how many points a process passes depends on the clock. The
 *           scheduler cannot see that: --check-determinism must.
 */
#include "ipchaos.h"

#include <sys/mman.h>
#include <time.h>

typedef struct abba_shared {
	ic_lock_t a, b;
	uint64_t value;
} abba_shared;

static const char *const abba_points[] = {"abba/first", "abba/both", NULL};
static const char *const abba_sites[] = {"a", "b", NULL};

static int abba_setup(ic_ctx *ctx)
{
	abba_shared *sh = ic_shm_create(ctx, "abba", sizeof(*sh), O_CREAT | O_EXCL, 0600);
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	return ic_lock_init(ctx, &sh->a, IC_LOCK_MUTEX, "a") || ic_lock_init(ctx, &sh->b, IC_LOCK_MUTEX, "b");
}

static int abba_role(ic_ctx *ctx)
{
	abba_shared *sh = ic_state(ctx);
	ic_lock_t *first = ic_index(ctx) == 0 ? &sh->a : &sh->b;
	ic_lock_t *second = ic_index(ctx) == 0 ? &sh->b : &sh->a;
	for (uint64_t op = 0; op < ic_ops(ctx); op++) {
		ic_invoke(ctx, IC_OP_INC, 1, op);
		ic_lock(ctx, first);
		ic_point(ctx, "abba/first");
		ic_lock(ctx, second);
		ic_point(ctx, "abba/both");
		sh->value++;
		ic_unlock(ctx, second);
		ic_unlock(ctx, first);
		ic_ok(ctx, IC_OP_INC, 1, op);
	}
	return 0;
}

static void abba_teardown(ic_ctx *ctx)
{
	abba_shared *sh = ic_state(ctx);
	if (sh)
		munmap(sh, sizeof(*sh));
	ic_shm_unlink(ctx, "abba");
}

static const ic_role_desc abba_roles[] = {{"p", abba_role, 2}, {0}};

static const ic_scenario scenario_abba = {
	.name = "abba",
	.summary = "two locks taken in opposite orders (a deadlock)",
	.roles = abba_roles,
	.points = abba_points,
	.lock_sites = abba_sites,
	.checkers = "dead-holder,hang,crash,leaks",
	.default_ops = 5,
	.events_per_op = 4,
	.setup = abba_setup,
	.teardown = abba_teardown,
};

static const char *const clocky_points[] = {"clocky/tick", NULL};

static int clocky_role(ic_ctx *ctx)
{
	for (uint64_t op = 0; op < ic_ops(ctx); op++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts); /* the nondeterminism the check must catch */
		for (long i = 0; i <= ts.tv_nsec / 1000 % 3; i++)
			ic_point(ctx, "clocky/tick");
	}
	return 0;
}

static const ic_role_desc clocky_roles[] = {{"p", clocky_role, 2}, {0}};

static const ic_scenario scenario_clocky = {
	.name = "clocky",
	.summary = "reads the clock to decide its steps (not deterministic)",
	.roles = clocky_roles,
	.points = clocky_points,
	.checkers = "hang,crash",
	.default_ops = 20,
	.events_per_op = 1,
};

int main(int argc, char **argv)
{
	static const ic_scenario *const mine[] = {&scenario_abba, &scenario_clocky, NULL};
	return ic_main(argc, argv, mine);
}
