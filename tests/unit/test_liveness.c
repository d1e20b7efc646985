/*
 * test_liveness.c: the liveness checker on synthetic heartbeat logs. Two
 * workers (w0, w1) and a monitor (m0), timeout 20 ms, period 2 ms, four
 * jobs (w0 owns 0 and 2, w1 owns 1 and 3). Each promise must be caught when
 * broken, and nothing a correct monitor may do must be.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>

#include "unit.h"

#define MAXEV 64
#define MS 1000000ull
#define W0 0
#define W1 1
#define MON 2

typedef struct fixture {
	ic_facts facts;
	ic_finding out;
	ic_event ev[3][MAXEV];
	ic_event obs[2];
	uint64_t clock; /* log time, ticking with every event */
} fixture;

static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	ic_facts *f = &x->facts;
	static const char *const labels[] = {"w0", "w1", "m0"};
	f->nprocs = 3;
	for (unsigned i = 0; i < f->nprocs; i++)
		test_proc_facts(f, i, x->ev[i], "%s", labels[i]);
	f->observer = x->obs;
	x->obs[0] = (ic_event){.t_ns = 1, .kind = IC_EV_INFO, .op = IC_OP_HB_CONFIG, .a = 20 * MS, .b = 2 * MS};
	x->obs[1] = (ic_event){.t_ns = 2, .kind = IC_EV_INFO, .op = IC_OP_HB_START, .a = 0, .b = 4};
	f->nobserver = 2;
	x->clock = 10;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void add(fixture *x, unsigned proc, uint32_t kind, uint32_t op, uint64_t a, uint64_t b)
{
	test_event_add(&x->facts.procs[proc], x->ev[proc], MAXEV, &x->clock, kind, op, a, b);
}

static void beat(fixture *x, unsigned w, uint64_t at_ms)
{
	add(x, w, IC_EV_INFO, IC_OP_HB_BEAT, w, at_ms * MS);
}

static void job(fixture *x, unsigned proc, uint64_t j)
{
	add(x, proc, IC_EV_INVOKE, IC_OP_HB_WORK, j, proc == MON);
	add(x, proc, IC_EV_OK, IC_OP_HB_WORK, j, proc == MON);
}

static void watch(fixture *x)
{
	add(x, MON, IC_EV_INFO, IC_OP_HB_WATCH, 0, 2 * MS);
}

static void declare(fixture *x, unsigned w, uint64_t round_ms, uint64_t at_ms)
{
	add(x, MON, IC_EV_INVOKE, IC_OP_HB_DECLARE, w, round_ms * MS);
	add(x, MON, IC_EV_OK, IC_OP_HB_DECLARE, w, at_ms * MS);
}

static void stop(fixture *x, uint64_t last_round_ms)
{
	add(x, MON, IC_EV_INFO, IC_OP_HB_STOP, last_round_ms * MS, 0);
}

static void killed(fixture *x, unsigned proc)
{
	ic_proc_facts *p = &x->facts.procs[proc];
	p->exited = false;
	p->code = SIGKILL;
	p->injected = true;
}

static bool check(fixture *x)
{
	const ic_checker *c = ic_checker_find("liveness");
	assert_non_null(c);
	x->out.text[0] = '\0';
	return c->check(&x->facts, &x->out);
}

static void note(fixture *x, char *buf, size_t size)
{
	const ic_checker *c = ic_checker_find("liveness");
	assert_non_null(c->note);
	c->note(&x->facts, buf, size);
}

/* Both workers beat and do their jobs; the monitor watches and stops. */
static void healthy(fixture *x)
{
	watch(x);
	beat(x, W0, 1);
	beat(x, W1, 1);
	job(x, W0, 0);
	job(x, W1, 1);
	beat(x, W0, 3);
	job(x, W0, 2);
	beat(x, W1, 3);
	job(x, W1, 3);
	stop(x, 4);
}

static void test_silent_when_healthy(void **state)
{
	fixture *x = *state;
	healthy(x);
	assert_false(check(x));
}

static void test_silent_without_heartbeat_log(void **state)
{
	fixture *x = *state;
	x->facts.nobserver = 0;
	job(x, W0, 0);
	job(x, MON, 0); /* twice, but this is no heartbeat run */
	assert_false(check(x));
}

/* w1 dies after its beat at 5 ms: due at 25 ms, the round of 26 ms declares it. */
static void w1_dies_declared(fixture *x, uint64_t round_ms, uint64_t at_ms)
{
	watch(x);
	beat(x, W0, 1);
	beat(x, W1, 5);
	job(x, W1, 1);
	killed(x, W1);
	job(x, W0, 0);
	job(x, W0, 2);
	declare(x, W1, round_ms, at_ms);
	job(x, MON, 3);
	stop(x, at_ms + 2);
}

static void test_latency_computed(void **state)
{
	fixture *x = *state;
	w1_dies_declared(x, 26, 26);
	assert_false(check(x));
	char buf[256];
	note(x, buf, sizeof(buf));
	assert_contains(buf, "detection latency: n 1, min 21.000 ms, median 21.000 ms, max 21.000 ms");
	assert_contains(buf, "timeout 20.000 ms + period 2.000 ms");
}

static void test_catches_late_declaration(void **state)
{
	fixture *x = *state;
	w1_dies_declared(x, 30, 30);
	assert_true(check(x));
	assert_contains(x->out.text, "w1 (worker 1) was killed, last beat at 5.000 ms");
	assert_contains(x->out.text, "declared dead only in the round of 30.000 ms");
	assert_contains(x->out.text, "detection latency: n");
}

static void test_late_round_said_is_allowed(void **state)
{
	fixture *x = *state;
	add(x, MON, IC_EV_INFO, IC_OP_HB_LATE, 26 * MS, 31 * MS); /* the monitor was stopped itself */
	w1_dies_declared(x, 31, 31);
	assert_false(check(x));
}

static void test_catches_never_declared(void **state)
{
	fixture *x = *state;
	watch(x);
	beat(x, W0, 1);
	beat(x, W1, 1);
	killed(x, W1);
	job(x, W0, 0);
	job(x, W0, 2);
	stop(x, 60);
	assert_true(check(x));
	assert_contains(x->out.text, "never declared dead (the monitor watched until 60.000 ms)");
	assert_contains(x->out.text, "job 1 never done");
	assert_contains(x->out.text, "job 3 never done");
}

static void test_silent_when_monitor_stopped_before_due(void **state)
{
	fixture *x = *state;
	watch(x);
	beat(x, W1, 1);
	killed(x, W1);
	stop(x, 10);
	x->facts.procs[MON].exited = false; /* and killed too: it promised nothing */
	assert_false(check(x));
}

static void test_catches_live_worker_declared(void **state)
{
	fixture *x = *state;
	watch(x);
	beat(x, W0, 1);
	beat(x, W0, 10);
	declare(x, W0, 14, 15);
	assert_true(check(x));
	assert_contains(x->out.text, "worker 0 w0 declared dead at 15.000 ms, 5.000 ms after a beat");
	assert_contains(x->out.text, "it was alive");
}

/* A beat logged after the verdict's invoke was not visible to it: no finding. */
static void test_beat_after_verdict_not_counted(void **state)
{
	fixture *x = *state;
	watch(x);
	beat(x, W0, 1);
	add(x, MON, IC_EV_INVOKE, IC_OP_HB_DECLARE, W0, 22 * MS);
	beat(x, W0, 21); /* took its time before the verdict, published after it */
	add(x, MON, IC_EV_OK, IC_OP_HB_DECLARE, W0, 22 * MS);
	beat(x, W1, 1);
	job(x, W1, 1);
	job(x, W1, 3);
	job(x, MON, 0);
	job(x, MON, 2);
	stop(x, 24);
	assert_false(check(x));
}

/* Stalled past the timeout: declared, fenced (its job refused), its jobs restarted once. */
static void test_stalled_past_timeout_fenced_is_silent(void **state)
{
	fixture *x = *state;
	watch(x);
	beat(x, W0, 1);
	beat(x, W1, 1);
	job(x, W1, 1);
	job(x, W1, 3);
	add(x, W0, IC_EV_INVOKE, IC_OP_HB_WORK, 0, 0);
	declare(x, W0, 22, 22);
	job(x, MON, 0);
	job(x, MON, 2);
	add(x, W0, IC_EV_FAIL, IC_OP_HB_WORK, ESTALE, 0);
	stop(x, 22);
	assert_false(check(x));
}

static void test_catches_job_done_twice(void **state)
{
	fixture *x = *state;
	healthy(x);
	job(x, MON, 2);
	assert_true(check(x));
	assert_contains(x->out.text, "job 2 done 2 times: by w0 and by m0");
}

static void test_indeterminate_job_not_lost(void **state)
{
	fixture *x = *state;
	watch(x);
	beat(x, W0, 1);
	beat(x, W1, 5);
	job(x, W0, 0);
	job(x, W0, 2);
	add(x, W1, IC_EV_INVOKE, IC_OP_HB_WORK, 1, 0); /* killed doing it: done or not */
	killed(x, W1);
	declare(x, W1, 26, 26);
	add(x, MON, IC_EV_INVOKE, IC_OP_HB_WORK, 1, 1);
	add(x, MON, IC_EV_FAIL, IC_OP_HB_WORK, EALREADY, 1); /* it had landed */
	job(x, MON, 3);
	stop(x, 28);
	assert_false(check(x));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_silent_when_healthy),
		T(test_silent_without_heartbeat_log),
		T(test_latency_computed),
		T(test_catches_late_declaration),
		T(test_late_round_said_is_allowed),
		T(test_catches_never_declared),
		T(test_silent_when_monitor_stopped_before_due),
		T(test_catches_live_worker_declared),
		T(test_beat_after_verdict_not_counted),
		T(test_stalled_past_timeout_fenced_is_silent),
		T(test_catches_job_done_twice),
		T(test_indeterminate_job_not_lost),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
