/*
 * test_lockorder.c: cross-process lockdep on synthetic data. The lockorder
 * checker on lock orders built by hand (an inversion found, with its orders,
 * processes and points; one global order, a gate lock and one site's locks
 * silent), the wait-for cycle on snapshots and on an arena (a cycle found,
 * a chain, a self-wait and a finished process not), and the deadlock
 * checker's report of a cycle.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/waitfor.h"

#define MAXE 8

typedef struct fixture {
	ic_facts facts;
	ic_finding out;
	ic_lock_edge edges[3][MAXE];
} fixture;

/* Three processes that exited 0, locks a, b, c (ids 0, 1, 2) and no orders yet. */
static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	ic_facts *f = &x->facts;
	f->nprocs = 3;
	for (unsigned i = 0; i < f->nprocs; i++) {
		test_proc_facts(f, i, NULL, "p%u", i);
		f->procs[i].edges = x->edges[i];
	}
	f->nlocks = 3;
	for (unsigned i = 0; i < f->nlocks; i++) {
		snprintf(f->locks[i].site, sizeof(f->locks[i].site), "%c", 'a' + i);
		f->locks[i].kind = IC_LOCK_MUTEX;
	}
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Process p took `to` while holding `from` (and `also`, a mask of other lock ids), n times. */
static void order(fixture *x, unsigned p, unsigned from, unsigned to, uint16_t also, uint64_t n)
{
	ic_proc_facts *pf = &x->facts.procs[p];
	assert_true(pf->nedges < MAXE);
	ic_lock_edge *e = &x->edges[p][pf->nedges++];
	*e = (ic_lock_edge){.from = (uint8_t)from, .to = (uint8_t)to,
			    .always_held = (uint16_t)(also | 1u << from), .count = n};
	snprintf(e->from_point, sizeof(e->from_point), "%c/begin", 'a' + from);
	snprintf(e->to_point, sizeof(e->to_point), "%c/held", 'a' + from);
}

static bool check(fixture *x, const char *name)
{
	const ic_checker *c = ic_checker_find(name);
	if (!c)
		fail_msg("no checker named %s", name);
	x->out.checker = c->name;
	x->out.text[0] = '\0';
	return c->check(&x->facts, &x->out);
}

/* ---- the lock-order graph ---- */

static void test_inversion_found_without_deadlock(void **state)
{
	fixture *x = *state;
	order(x, 0, 0, 1, 0, 1000);
	order(x, 1, 1, 0, 0, 3);
	assert_true(check(x, "lockorder"));
	assert_contains(x->out.text, "lock order inversion: 'a' -> 'b' -> 'a'");
	assert_contains(x->out.text, "(this run did not)");
	assert_contains(x->out.text, "p0 took 'b' at a/held while holding 'a' (taken at a/begin), 1000 times");
	assert_contains(x->out.text, "p1 took 'a' at b/held while holding 'b' (taken at b/begin), 3 times");
}

static void test_inversion_in_a_deadlocked_run(void **state)
{
	fixture *x = *state;
	order(x, 0, 0, 1, 0, 1);
	order(x, 1, 1, 0, 0, 1);
	x->facts.deadlock = true;
	assert_true(check(x, "lockorder"));
	assert_null(strstr(x->out.text, "did not"));
}

static void test_one_global_order_silent(void **state)
{
	fixture *x = *state;
	order(x, 0, 0, 1, 0, 10);
	order(x, 1, 0, 1, 0, 10);
	order(x, 1, 1, 2, 1u << 0, 10);
	order(x, 2, 0, 2, 0, 10);
	assert_false(check(x, "lockorder"));
}

static void test_three_lock_cycle_found(void **state)
{
	fixture *x = *state;
	order(x, 0, 0, 1, 0, 1);
	order(x, 1, 1, 2, 0, 1);
	order(x, 2, 2, 0, 0, 1);
	assert_true(check(x, "lockorder"));
	assert_contains(x->out.text, "'a' -> 'b' -> 'c' -> 'a'");
	assert_contains(x->out.text, "p2 took 'a' at c/held while holding 'c'");
}

static void test_shortest_cycle_reported(void **state)
{
	fixture *x = *state;
	order(x, 0, 0, 1, 0, 1);
	order(x, 0, 1, 2, 0, 1);
	order(x, 1, 2, 0, 0, 1);
	order(x, 2, 2, 1, 0, 1); /* b -> c -> b: two orders, shorter than a -> b -> c -> a */
	assert_true(check(x, "lockorder"));
	assert_contains(x->out.text, "'b' -> 'c' -> 'b'");
}

/* Both orders only ever under lock c: one process at a time can be inside, no deadlock. */
static void test_gate_lock_silent(void **state)
{
	fixture *x = *state;
	order(x, 0, 2, 0, 0, 5);
	order(x, 0, 0, 1, 1u << 2, 5);
	order(x, 1, 2, 1, 0, 5);
	order(x, 1, 1, 0, 1u << 2, 5);
	assert_false(check(x, "lockorder"));
}

static void test_gate_missing_once_found(void **state)
{
	fixture *x = *state;
	order(x, 0, 0, 1, 1u << 2, 5);
	order(x, 1, 1, 0, 1u << 2, 5);
	order(x, 2, 1, 0, 0, 1); /* once without the gate: that can deadlock with p0 */
	assert_true(check(x, "lockorder"));
	assert_contains(x->out.text, "1 other process too");
}

static void test_one_site_locks_not_judged(void **state)
{
	fixture *x = *state;
	snprintf(x->facts.locks[1].site, sizeof(x->facts.locks[1].site), "a");
	order(x, 0, 0, 1, 0, 1);
	order(x, 1, 1, 0, 0, 1);
	assert_false(check(x, "lockorder"));
}

static void test_one_process_both_orders(void **state)
{
	fixture *x = *state;
	order(x, 0, 0, 1, 0, 2);
	order(x, 0, 1, 0, 0, 2);
	assert_true(check(x, "lockorder"));
	assert_contains(x->out.text, "one process took every order");
}

static void test_no_orders_silent(void **state)
{
	fixture *x = *state;
	assert_false(check(x, "lockorder"));
}

/* ---- the wait-for cycle ---- */

static void test_waitfor_two_cycle(void **state)
{
	(void)state;
	int waits[3] = {1, 0, -1}, holder[2] = {0, 1}; /* p0 waits for 1 held by p1, p1 for 0 held by p0 */
	ic_waitfor w;
	ic_waitfor_cycle(waits, 3, holder, 2, &w);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.proc[0], 0);
	assert_int_equal(w.lock[0], 1);
	assert_int_equal(w.proc[1], 1);
	assert_int_equal(w.lock[1], 0);
}

static void test_waitfor_cycle_behind_a_tail(void **state)
{
	(void)state;
	/* p0 waits behind the cycle p2 -> p3 -> p1 -> p2; reported from its lowest member, p1 */
	int waits[4] = {0, 1, 2, 3}, holder[4] = {3, 2, 3, 1};
	ic_waitfor w;
	ic_waitfor_cycle(waits, 4, holder, 4, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.proc[0], 1);
	assert_int_equal(w.proc[1], 2);
	assert_int_equal(w.proc[2], 3);
	assert_int_equal(w.lock[0], 1);
}

static void test_waitfor_chain_no_cycle(void **state)
{
	(void)state;
	int waits[3] = {0, 1, -1}, holder[2] = {1, 2}; /* p0 -> p1 -> p2, who runs */
	ic_waitfor w;
	ic_waitfor_cycle(waits, 3, holder, 2, &w);
	assert_int_equal(w.n, 0);
}

static void test_waitfor_self_wait_left_to_hang(void **state)
{
	(void)state;
	int waits[2] = {0, 0}, holder[1] = {0}; /* p0 waits for the lock it holds */
	ic_waitfor w;
	ic_waitfor_cycle(waits, 2, holder, 1, &w);
	assert_int_equal(w.n, 0);
}

static void test_waitfor_free_lock_no_cycle(void **state)
{
	(void)state;
	int waits[2] = {1, 0}, holder[2] = {-1, 0}; /* p1 is about to get lock 0 */
	ic_waitfor w;
	ic_waitfor_cycle(waits, 2, holder, 2, &w);
	assert_int_equal(w.n, 0);
}

/* The same on a real arena, as the roles publish it. */
static void test_waitfor_find_on_arena(void **state)
{
	(void)state;
	ic_arena_handle h;
	char runid[17];
	if (test_arena_open(&h, runid, 3, 4) != 0)
		fail();
	ic_arena *a = h.arena;
	atomic_store(&a->nlocks, 2);
	atomic_store(&a->locks[0].holder, 1); /* p0 holds 0 */
	atomic_store(&a->locks[1].holder, 2); /* p1 holds 1 */
	ic_waitfor w;
	assert_false(ic_waitfor_find(a, 2, &w));
	atomic_store(&a->slots[0].wait_seq, 7);
	a->slots[0].wait_since = 100;
	atomic_store(&a->slots[0].waiting_for, 2);
	assert_false(ic_waitfor_find(a, 2, &w)); /* one wait is no cycle */
	atomic_store(&a->slots[1].wait_seq, 3);
	a->slots[1].wait_since = 250;
	atomic_store(&a->slots[1].waiting_for, 1);
	assert_true(ic_waitfor_find(a, 2, &w));
	assert_int_equal(w.n, 2);
	assert_int_equal(w.closed_ns, 250);
	atomic_store(&a->slots[1].finished, 1); /* reaped: its wait is stale */
	assert_false(ic_waitfor_find(a, 2, &w));
	ic_arena_destroy(&h, false);
}

/* ---- the deadlock checker's report of a cycle ---- */

static void test_deadlock_names_the_cycle(void **state)
{
	fixture *x = *state;
	ic_facts *f = &x->facts;
	f->deadlock = true;
	f->ncycle = 2;
	f->cycle_ms = 1.5;
	f->cycle[0].proc = 0;
	f->cycle[0].lock = 1;
	snprintf(f->cycle[0].point, sizeof(f->cycle[0].point), "x/first");
	f->cycle[1].proc = 2;
	f->cycle[1].lock = 0;
	assert_true(check(x, "deadlock"));
	assert_contains(f->procs[0].label, "p0");
	assert_contains(x->out.text, "a cycle of waits on locks: p0 -> p2 -> p0");
	assert_contains(x->out.text, "seen 1.5 ms after it closed");
	assert_contains(x->out.text, "p0 holds 'a' and waits for 'b' (held by p2) at x/first");
	assert_contains(x->out.text, "p2 holds 'b' and waits for 'a' (held by p0)\n");
}

static void test_deadlock_silent_without_one(void **state)
{
	fixture *x = *state;
	assert_false(check(x, "deadlock"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_inversion_found_without_deadlock),
		T(test_inversion_in_a_deadlocked_run),
		T(test_one_global_order_silent),
		T(test_three_lock_cycle_found),
		T(test_shortest_cycle_reported),
		T(test_gate_lock_silent),
		T(test_gate_missing_once_found),
		T(test_one_site_locks_not_judged),
		T(test_one_process_both_orders),
		T(test_no_orders_silent),
		cmocka_unit_test(test_waitfor_two_cycle),
		cmocka_unit_test(test_waitfor_cycle_behind_a_tail),
		cmocka_unit_test(test_waitfor_chain_no_cycle),
		cmocka_unit_test(test_waitfor_self_wait_left_to_hang),
		cmocka_unit_test(test_waitfor_free_lock_no_cycle),
		cmocka_unit_test(test_waitfor_find_on_arena),
		T(test_deadlock_names_the_cycle),
		T(test_deadlock_silent_without_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
