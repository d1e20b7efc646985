/*
 * test_checkers.c: each checker judged on facts built by hand. A checker sees
 * only facts, so a synthetic log is exactly what it would get from a run:
 * each one must catch its bug, name the evidence, stay silent on a correct
 * log, and accept what a dead process leaves indeterminate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "internal.h"

#define OPS 1000
#define MAXEV (2 * OPS + 4)

typedef struct fixture {
	ic_facts facts;
	ic_finding out;
	ic_event ev[2][MAXEV];
	ic_event obs[2];
} fixture;

/* Two processes that exited 0 holding nothing, no events, no observer. */
static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	ic_facts *f = &x->facts;
	f->nprocs = 2;
	for (unsigned i = 0; i < f->nprocs; i++) {
		test_proc_facts(f, i, x->ev[i], "p%u", i);
		f->procs[i].pid = 4200 + (pid_t)i;
	}
	f->observer = x->obs;
	f->hang_seconds = 2.0;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
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

static void add_event(fixture *x, unsigned proc, uint32_t kind, uint32_t op, uint64_t a)
{
	ic_proc_facts *p = &x->facts.procs[proc];
	uint64_t i = p->nev;
	assert_true(i < MAXEV);
	x->ev[proc][i] = (ic_event){.t_ns = i + 1, .kind = kind, .op = op, .a = a};
	p->nev = i + 1;
}

/* n increments of 1, each invoked and acknowledged. */
static void add_increments(fixture *x, unsigned proc, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		add_event(x, proc, IC_EV_INVOKE, IC_OP_INC, 1);
		add_event(x, proc, IC_EV_OK, IC_OP_INC, 1);
	}
}

/* The supervisor's final read of the counter. */
static void final_read(fixture *x, uint64_t value)
{
	x->obs[0] = (ic_event){.kind = IC_EV_INVOKE, .op = IC_OP_READ};
	x->obs[1] = (ic_event){.kind = IC_EV_OK, .op = IC_OP_READ, .a = value};
	x->facts.nobserver = 2;
}

static void sigkilled(ic_proc_facts *p, const char *at, uint64_t hit)
{
	p->exited = false;
	p->code = SIGKILL;
	p->injected = true;
	snprintf(p->injected_at, sizeof(p->injected_at), "%s", at);
	p->injected_hit = hit;
}

static void test_registry_has_every_checker(void **state)
{
	(void)state;
	static const char *const names[] = {"counter", "dead-holder", "hang", "crash", "leaks"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const ic_checker *c = ic_checker_find(names[i]);
		assert_non_null(c);
		assert_string_equal(c->name, names[i]);
	}
	assert_null(ic_checker_find("nosuch"));
}

/* ---- counter ---- */

static void test_counter_catches_lost_increments(void **state)
{
	fixture *x = *state;
	add_increments(x, 0, OPS);
	add_increments(x, 1, OPS);
	final_read(x, 1987);
	assert_true(check(x, "counter"));
	assert_contains(x->out.text, "expected 2000, got 1987 (13 increments lost)");
	assert_contains(x->out.text, "p0: 1000 increments ok");
	assert_contains(x->out.text, "p1: 1000 increments ok");
}

static void test_counter_catches_extra_increments(void **state)
{
	fixture *x = *state;
	add_increments(x, 0, OPS);
	add_increments(x, 1, OPS);
	final_read(x, 2003);
	assert_true(check(x, "counter"));
	assert_contains(x->out.text, "expected 2000, got 2003 (3 more than were made)");
}

static void test_counter_silent_when_correct(void **state)
{
	fixture *x = *state;
	add_increments(x, 0, OPS);
	add_increments(x, 1, OPS);
	final_read(x, 2000);
	assert_false(check(x, "counter"));
	assert_string_equal(x->out.text, "");
}

/* p1 died between invoke and ok: its last increment may or may not have landed. */
static void kill_mid_increment(fixture *x)
{
	add_increments(x, 0, OPS);
	add_increments(x, 1, OPS - 1);
	add_event(x, 1, IC_EV_INVOKE, IC_OP_INC, 1);
	sigkilled(&x->facts.procs[1], "counter/locked", OPS);
}

static void test_counter_indeterminate_both_outcomes_pass(void **state)
{
	fixture *x = *state;
	kill_mid_increment(x);
	final_read(x, 1999); /* it did not land */
	assert_false(check(x, "counter"));
	final_read(x, 2000); /* it did */
	assert_false(check(x, "counter"));
}

static void test_counter_indeterminate_bounds_still_hold(void **state)
{
	fixture *x = *state;
	kill_mid_increment(x);
	final_read(x, 2001);
	assert_true(check(x, "counter"));
	assert_contains(x->out.text, "expected 1999..2000, got 2001");
	assert_contains(x->out.text, "p1: 999 increments ok, 1 indeterminate");
	final_read(x, 1998);
	assert_true(check(x, "counter"));
	assert_contains(x->out.text, "expected 1999..2000, got 1998 (1 increments lost)");
}

/* An invoke followed by another invoke never completed: the first is indeterminate too. */
static void test_counter_unfinished_invoke_mid_log(void **state)
{
	fixture *x = *state;
	add_event(x, 0, IC_EV_INVOKE, IC_OP_INC, 1);
	add_event(x, 0, IC_EV_INVOKE, IC_OP_INC, 1);
	add_event(x, 0, IC_EV_OK, IC_OP_INC, 1);
	final_read(x, 2);
	assert_false(check(x, "counter"));
	final_read(x, 3);
	assert_true(check(x, "counter"));
	assert_contains(x->out.text, "expected 1..2, got 3");
}

/* A failed increment is known not to have happened: no widening. */
static void test_counter_failed_increment_not_indeterminate(void **state)
{
	fixture *x = *state;
	add_increments(x, 0, 10);
	add_event(x, 0, IC_EV_INVOKE, IC_OP_INC, 1);
	add_event(x, 0, IC_EV_FAIL, IC_OP_INC, 5);
	final_read(x, 11);
	assert_true(check(x, "counter"));
	assert_contains(x->out.text, "expected 10, got 11");
}

static void test_counter_silent_without_final_read(void **state)
{
	fixture *x = *state;
	add_increments(x, 0, OPS);
	assert_false(check(x, "counter"));
	/* An invoked read that never completed is no value either. */
	x->obs[0] = (ic_event){.kind = IC_EV_INVOKE, .op = IC_OP_READ, .a = 3};
	x->facts.nobserver = 1;
	assert_false(check(x, "counter"));
	assert_string_equal(x->out.text, "");
}

/* ---- dead-holder ---- */

static void hold_lock(fixture *x, unsigned proc, int kind)
{
	ic_facts *f = &x->facts;
	f->nlocks = 1;
	snprintf(f->locks[0].site, sizeof(f->locks[0].site), "%s", "counter");
	f->locks[0].kind = kind;
	f->procs[proc].held[0] = 0;
	f->procs[proc].held[1] = -1;
}

static void test_dead_holder_catches_each_unrecoverable_kind(void **state)
{
	fixture *x = *state;
	static const int kinds[] = {IC_LOCK_MUTEX, IC_LOCK_SEM, IC_LOCK_SPIN};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		hold_lock(x, 1, kinds[i]);
		sigkilled(&x->facts.procs[1], "counter/locked", 437);
		assert_true(check(x, "dead-holder"));
		assert_contains(x->out.text, "p1 died of SIGKILL (injected at counter/locked, hit 437)");
		assert_contains(x->out.text, "holding 'counter'");
		assert_contains(x->out.text, ic_lock_kind_name(kinds[i]));
		assert_null(strstr(x->out.text, "p0"));
	}
}

static void test_dead_holder_silent_for_robust(void **state)
{
	fixture *x = *state;
	hold_lock(x, 1, IC_LOCK_ROBUST);
	sigkilled(&x->facts.procs[1], "counter/locked", 437);
	assert_false(check(x, "dead-holder"));
}

static void test_dead_holder_silent_when_exited(void **state)
{
	fixture *x = *state;
	hold_lock(x, 1, IC_LOCK_MUTEX);
	x->facts.procs[1].code = 0; /* exited normally; held[] is stale */
	assert_false(check(x, "dead-holder"));
}

static void test_dead_holder_silent_when_harness_killed(void **state)
{
	fixture *x = *state;
	ic_proc_facts *p = &x->facts.procs[1];
	hold_lock(x, 1, IC_LOCK_MUTEX);
	p->exited = false;
	p->code = SIGKILL;
	p->harness_killed = true;
	assert_false(check(x, "dead-holder"));
}

static void test_dead_holder_silent_when_nothing_held(void **state)
{
	fixture *x = *state;
	hold_lock(x, 1, IC_LOCK_MUTEX);
	x->facts.procs[1].held[0] = -1;
	sigkilled(&x->facts.procs[1], "counter/begin", 3);
	assert_false(check(x, "dead-holder"));
}

/* ---- hang ---- */

static void test_hang_silent_without_watchdog(void **state)
{
	fixture *x = *state;
	x->facts.procs[0].stack = "#0 futex_wait\n";
	assert_false(check(x, "hang"));
	assert_string_equal(x->out.text, "");
}

static void test_hang_shows_stuck_stacks(void **state)
{
	fixture *x = *state;
	ic_facts *f = &x->facts;
	f->hang = true;
	f->procs[0].exited = false;
	f->procs[0].code = SIGKILL;
	f->procs[0].harness_killed = true;
	f->procs[0].stack = "#0 __lll_lock_wait\n#1 locked_increment\n#2 counter_role\n";
	assert_true(check(x, "hang"));
	assert_contains(x->out.text, "no progress for 2.0 s; 1 process still running");
	assert_contains(x->out.text, "p0 (pid 4200) was stuck in:\n#0 __lll_lock_wait\n");
	assert_contains(x->out.text, "#2 counter_role");
	assert_null(strstr(x->out.text, "p1 (pid"));
}

static void test_hang_counts_processes(void **state)
{
	fixture *x = *state;
	x->facts.hang = true;
	x->facts.procs[0].stack = "#0 a\n";
	x->facts.procs[1].stack = "#0 b\n";
	assert_true(check(x, "hang"));
	assert_contains(x->out.text, "2 processes still running");
	assert_contains(x->out.text, "p1 (pid 4201) was stuck in:\n#0 b\n");
}

/* ---- crash ---- */

static void test_crash_catches_uninjected_signal(void **state)
{
	fixture *x = *state;
	ic_proc_facts *p = &x->facts.procs[0];
	p->exited = false;
	p->code = SIGSEGV;
	p->crash_bt[0] = "counter_wild_write+0x12";
	p->crash_bt[1] = "counter_role+0x5c";
	p->crash_bt[2] = NULL;
	assert_true(check(x, "crash"));
	assert_contains(x->out.text, "a role crashed");
	assert_contains(x->out.text, "p0 (pid 4200) died of SIGSEGV, which no injector sent");
	assert_contains(x->out.text, "#0 counter_wild_write+0x12");
	assert_contains(x->out.text, "#1 counter_role+0x5c");
	assert_null(strstr(x->out.text, "#2"));
}

static void test_crash_catches_failed_exit(void **state)
{
	fixture *x = *state;
	x->facts.procs[1].code = 3;
	assert_true(check(x, "crash"));
	assert_contains(x->out.text, "a role failed");
	assert_contains(x->out.text, "p1 exited with status 3");
}

static void test_crash_silent_for_clean_exits(void **state)
{
	fixture *x = *state;
	assert_false(check(x, "crash"));
	assert_string_equal(x->out.text, "");
}

static void test_crash_silent_for_injected_kill(void **state)
{
	fixture *x = *state;
	sigkilled(&x->facts.procs[0], "counter/stored", 9);
	assert_false(check(x, "crash"));
}

static void test_crash_silent_for_harness_kill(void **state)
{
	fixture *x = *state;
	ic_proc_facts *p = &x->facts.procs[1];
	p->exited = false;
	p->code = SIGKILL;
	p->harness_killed = true;
	assert_false(check(x, "crash"));
}

/* ---- leaks ---- */

static void test_leaks_lists_objects(void **state)
{
	fixture *x = *state;
	ic_facts *f = &x->facts;
	f->nleaks = 2;
	snprintf(f->leaks[0], sizeof(f->leaks[0]), "/dev/shm/ipchaos.0123456789abcdef.untracked");
	snprintf(f->leaks[1], sizeof(f->leaks[1]), "/dev/shm/sem.ipchaos.0123456789abcdef.x");
	assert_true(check(x, "leaks"));
	assert_contains(x->out.text, "2 objects of this run remained");
	assert_contains(x->out.text, "  /dev/shm/ipchaos.0123456789abcdef.untracked\n");
	assert_contains(x->out.text, "  /dev/shm/sem.ipchaos.0123456789abcdef.x\n");
}

static void test_leaks_silent_when_none(void **state)
{
	fixture *x = *state;
	assert_false(check(x, "leaks"));
}

/*
 * --keep leaves the run's objects on purpose, but the scan lists only what
 * was made untracked: those are leaks still, and say that they were kept.
 */
static void test_leaks_judged_when_kept(void **state)
{
	fixture *x = *state;
	x->facts.kept = true;
	x->facts.nleaks = 1;
	snprintf(x->facts.leaks[0], sizeof(x->facts.leaks[0]), "/dev/shm/ipchaos.0123456789abcdef.seg.0011223344556677");
	assert_true(check(x, "leaks"));
	assert_contains(x->out.text, "1 object of this run was created untracked: cleanup would leave it (kept with --keep)\n");
	assert_contains(x->out.text, "  /dev/shm/ipchaos.0123456789abcdef.seg.0011223344556677\n");
}

/* ---- perms ---- */

static void add_object(ic_facts *f, const char *name, unsigned mode, bool excl)
{
	snprintf(f->objects[f->nobjects].name, sizeof(f->objects[0].name), "%s", name);
	f->objects[f->nobjects].mode = mode;
	f->objects[f->nobjects].excl = excl;
	f->nobjects++;
}

static void test_perms_catches_wide_mode(void **state)
{
	fixture *x = *state;
	x->facts.allowed_mode = 0600;
	add_object(&x->facts, "/ipchaos.r.ok", 0600, true);
	add_object(&x->facts, "/ipchaos.r.wide", 0644, true);
	assert_true(ic_checker_find("perms")->check(&x->facts, &x->out));
	assert_contains(x->out.text, "/ipchaos.r.wide has mode 0644");
	assert_contains(x->out.text, "group and others can read");
	assert_null(strstr(x->out.text, "/ipchaos.r.ok"));
}

static void test_perms_catches_missing_excl(void **state)
{
	fixture *x = *state;
	x->facts.allowed_mode = 0600;
	add_object(&x->facts, "/ipchaos.r.shared", 0600, false);
	assert_true(ic_checker_find("perms")->check(&x->facts, &x->out));
	assert_contains(x->out.text, "/ipchaos.r.shared was created without O_EXCL");
}

static void test_perms_silent_within_declared_mode(void **state)
{
	fixture *x = *state;
	x->facts.allowed_mode = 0660; /* the scenario shares with its group */
	add_object(&x->facts, "/ipchaos.r.a", 0600, true);
	add_object(&x->facts, "/ipchaos.r.b", 0660, true);
	assert_false(ic_checker_find("perms")->check(&x->facts, &x->out));
	add_object(&x->facts, "/ipchaos.r.c", 0666, true);
	assert_true(ic_checker_find("perms")->check(&x->facts, &x->out));
	assert_contains(x->out.text, "others can read and write");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_has_every_checker),
		T(test_counter_catches_lost_increments),
		T(test_counter_catches_extra_increments),
		T(test_counter_silent_when_correct),
		T(test_counter_indeterminate_both_outcomes_pass),
		T(test_counter_indeterminate_bounds_still_hold),
		T(test_counter_unfinished_invoke_mid_log),
		T(test_counter_failed_increment_not_indeterminate),
		T(test_counter_silent_without_final_read),
		T(test_dead_holder_catches_each_unrecoverable_kind),
		T(test_dead_holder_silent_for_robust),
		T(test_dead_holder_silent_when_exited),
		T(test_dead_holder_silent_when_harness_killed),
		T(test_dead_holder_silent_when_nothing_held),
		T(test_hang_silent_without_watchdog),
		T(test_hang_shows_stuck_stacks),
		T(test_hang_counts_processes),
		T(test_crash_catches_uninjected_signal),
		T(test_crash_catches_failed_exit),
		T(test_crash_silent_for_clean_exits),
		T(test_crash_silent_for_injected_kill),
		T(test_crash_silent_for_harness_kill),
		T(test_leaks_lists_objects),
		T(test_leaks_silent_when_none),
		T(test_leaks_judged_when_kept),
		T(test_perms_catches_wide_mode),
		T(test_perms_catches_missing_excl),
		T(test_perms_silent_within_declared_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
