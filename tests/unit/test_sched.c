/*
 * test_sched.c: controlled mode's scheduler, in one process. What a seed
 * decides (priorities, change points) is pinned; the decision log's records
 * and hash are checked step by step; a timed wait or a stall with nobody
 * else to run ends at once (virtual time). Runs of several processes, the
 * baton moving between them, are the integration tests' (they fork).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "role/sched.h"

typedef struct fixture {
	ic_arena_handle h;
	char runid[17];
	ic_run_cfg cfg;
	ic_ctx ctx;
} fixture;

static int open_run(fixture *f, unsigned nprocs, uint64_t seed, uint64_t k)
{
	char err[256];
	ic_runid_new(f->runid);
	if (ic_arena_create_logged(&f->h, f->runid, nprocs + 1, 64, 256, 0, err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		return -1;
	}
	f->cfg.sc = ic_builtin_scenarios[0];
	f->cfg.seed = seed;
	f->cfg.ops = 10;
	f->cfg.mode = IC_MODE_CONTROLLED;
	f->cfg.depth = 3;
	f->cfg.steps = k;
	ic_sched_init(f->h.arena, &f->cfg, nprocs);
	ic_ctx_init(&f->ctx, &f->cfg, f->h.arena, 0, 0, 0);
	f->ctx.scheduled = true;
	return 0;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	if (!f || open_run(f, 1, 7, 100) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	ic_arena_destroy(&f->h, false);
	free(f);
	return 0;
}

/* Priorities are a permutation of d..d+n-1, change points sorted in [1, k]: both from the seed. */
static void test_pct_plan_from_seed(void **state)
{
	(void)state;
	fixture a = {0}, b = {0}, c = {0};
	assert_int_equal(open_run(&a, 5, 42, 1000), 0);
	assert_int_equal(open_run(&b, 5, 42, 1000), 0);
	assert_int_equal(open_run(&c, 5, 43, 1000), 0);
	const ic_sched *sa = &a.h.arena->sched, *sb = &b.h.arena->sched, *sc = &c.h.arena->sched;
	bool seen[5] = {false}, same_as_other_seed = true;
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(sa->procs[i].prio, sb->procs[i].prio);
		assert_in_range(sa->procs[i].prio, 3, 7);
		assert_false(seen[sa->procs[i].prio - 3]);
		seen[sa->procs[i].prio - 3] = true;
		same_as_other_seed &= sa->procs[i].prio == sc->procs[i].prio;
	}
	assert_int_equal(sa->nchange, 2);
	for (unsigned i = 0; i < sa->nchange; i++) {
		assert_int_equal(sa->change[i], sb->change[i]);
		assert_in_range(sa->change[i], 1, 1000);
		same_as_other_seed &= sa->change[i] == sc->change[i];
	}
	assert_true(sa->change[0] <= sa->change[1]);
	assert_false(same_as_other_seed);
	ic_arena_destroy(&a.h, false);
	ic_arena_destroy(&b.h, false);
	ic_arena_destroy(&c.h, false);
}

static void test_bound(void **state)
{
	(void)state;
	assert_true(fabs(ic_sched_bound(2, 10, 1) - 0.5) < 1e-12);
	assert_true(fabs(ic_sched_bound(2, 10, 3) - 1.0 / 200) < 1e-12);
	assert_true(fabs(ic_sched_bound(4, 1000, 2) - 1.0 / 4000) < 1e-15);
}

static const ic_decision *decisions(fixture *f, uint64_t *n)
{
	*n = atomic_load(&f->h.arena->sched.nlog);
	return (const ic_decision *)((const char *)f->h.arena + f->h.arena->sched.log_off);
}

/* Each step is a record: its number, the point's hash, the process, what happened, who runs next. */
static void test_decision_log_records_each_step(void **state)
{
	fixture *f = *state;
	ic_sched_begin(&f->ctx);
	ic_sched_step(&f->ctx, "counter/begin");
	ic_sched_step(&f->ctx, "counter/loaded");
	uint64_t n;
	const ic_decision *d = decisions(f, &n);
	assert_int_equal(n, 3);
	assert_int_equal(d[0].kind, IC_D_START); /* the first choice, before any step */
	assert_int_equal(d[0].next, 0);
	d++;
	assert_int_equal(d[0].step, 1);
	assert_int_equal(d[0].point, ic_sched_point_id("counter/begin"));
	assert_int_equal(d[1].step, 2);
	assert_int_equal(d[1].point, ic_sched_point_id("counter/loaded"));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(d[i].slot, 0);
		assert_int_equal(d[i].kind, IC_D_STEP);
		assert_int_equal(d[i].next, 0);
	}
	assert_int_equal(f->h.arena->sched.step, 2);
}

/* Equal decisions, equal hashes; one point named differently, another hash. */
static void test_hash_follows_decisions(void **state)
{
	(void)state;
	fixture a = {0}, b = {0}, c = {0};
	fixture *all[] = {&a, &b, &c};
	for (int i = 0; i < 3; i++) {
		assert_int_equal(open_run(all[i], 1, 9, 50), 0);
		ic_sched_begin(&all[i]->ctx);
		ic_sched_step(&all[i]->ctx, "ring/push/locked");
		ic_sched_step(&all[i]->ctx, i == 2 ? "ring/pop/locked" : "ring/push/locked");
	}
	assert_int_equal(a.h.arena->sched.hash, b.h.arena->sched.hash);
	assert_int_not_equal(a.h.arena->sched.hash, c.h.arena->sched.hash);
	for (int i = 0; i < 3; i++)
		ic_arena_destroy(&all[i]->h, false);
}

/* Virtual time: with nobody else to run, a timed wait times out and a stall ends at once. */
static void test_virtual_time(void **state)
{
	fixture *f = *state;
	ic_sched_begin(&f->ctx);
	assert_false(ic_sched_wait(&f->ctx, IC_WAIT_IO, 0, true));
	assert_int_equal(f->h.arena->sched.timeouts, 1);
	assert_int_equal(f->h.arena->sched.procs[0].state, IC_PS_RUNNABLE);
	ic_sched_stall(&f->ctx, 1000000);
	assert_int_equal(f->h.arena->sched.procs[0].state, IC_PS_RUNNABLE);
	uint64_t n;
	const ic_decision *d = decisions(f, &n);
	assert_int_equal(n, 3);
	assert_int_equal(d[1].kind, IC_D_TIMEOUT);
	assert_int_equal(atomic_load(&f->h.arena->sched.over), IC_OVER_NO);
}

/* Scenario time (ic_now): a step is a microsecond, and a sleep with nobody else to run jumps the clock. */
static void test_scenario_clock(void **state)
{
	fixture *f = *state;
	ic_sched_begin(&f->ctx);
	uint64_t t0 = ic_now(&f->ctx);
	ic_sleep(&f->ctx, 5000000);
	assert_int_equal(ic_now(&f->ctx), t0 + 5000000);
	ic_sched_step(&f->ctx, "p");
	assert_int_equal(ic_now(&f->ctx), t0 + 5001000);
	ic_sleep(&f->ctx, 1); /* at least a step */
	assert_int_equal(ic_now(&f->ctx), t0 + 5002000);
}

/* A process's end hands the baton to nobody, and with nobody left that is no deadlock. */
static void test_end_of_last_process(void **state)
{
	fixture *f = *state;
	ic_sched_begin(&f->ctx);
	ic_sched_end(&f->ctx, false);
	assert_int_equal(atomic_load(&f->h.arena->sched.turn), -1);
	assert_int_equal(atomic_load(&f->h.arena->sched.over), IC_OVER_NO);
	assert_int_equal(f->h.arena->sched.procs[0].state, IC_PS_DONE);
}

/* Chaos mode: every scheduler call is a no-op. */
static void test_chaos_is_untouched(void **state)
{
	fixture *f = *state;
	f->ctx.scheduled = false;
	ic_sched_begin(&f->ctx);
	ic_sched_step(&f->ctx, "counter/begin");
	assert_true(ic_sched_wait(&f->ctx, IC_WAIT_IO, 0, true));
	assert_int_equal(f->h.arena->sched.step, 0);
	assert_int_equal(atomic_load(&f->h.arena->sched.nlog), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pct_plan_from_seed),
		cmocka_unit_test(test_bound),
		cmocka_unit_test_setup_teardown(test_decision_log_records_each_step, setup, teardown),
		cmocka_unit_test(test_hash_follows_decisions),
		cmocka_unit_test_setup_teardown(test_virtual_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scenario_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_of_last_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chaos_is_untouched, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
