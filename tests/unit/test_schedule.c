/*
 * test_schedule.c: listed schedules. A decision log becomes the list of the
 * choices that were not the plainest and the faults that fired, each named
 * by its process and that process's count of decisions; the file written
 * reads back the same; a bad file is refused with its line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "core/schedule.h"
#include "core/spec.h"
#include "role/sched.h"

static ic_run_cfg counter_run(void)
{
	ic_run_cfg cfg;
	char err[256];
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(ic_spec_parse(NULL, &cfg, "shm_counter:lock=none", err, sizeof(err)), 0);
	cfg.nprocs = cfg.counts[0];
	cfg.steps = 24;
	assert_int_equal(ic_inj_parse(&cfg.inj[0], "kill", err, sizeof(err)), 0);
	cfg.ninj = 1;
	return cfg;
}

#define D(st, sl, ki, nx, pt) \
	{.step = (st), .slot = (sl), .kind = (ki), .next = (nx), .point = ic_sched_point_id(pt)}

/* p1 starts; p1 goes on, is preempted at its 2nd decision; p0 has a fault after 1 decision, then ends. */
static void test_from_log(void **state)
{
	(void)state;
	ic_run_cfg cfg = counter_run();
	ic_decision v[] = {
		D(0, 1, IC_D_START, 1, "start"),
		D(1, 1, IC_D_STEP, 1, "counter/loaded"),
		D(2, 1, IC_D_PREEMPT, 0, "counter/loaded"),
		D(3, 0, IC_D_STEP, 0, "counter/loaded"),
		D(3, 0, IC_D_FAULT, 0, "counter/stored"),
		D(4, 0, IC_D_END, 1, "counter/stored"),
		D(5, 1, IC_D_END, 0xff, "counter/stored"),
	};
	ic_decisions log = {.v = v, .n = sizeof(v) / sizeof(v[0])};
	ic_sched_list l;
	assert_int_equal(ic_schedule_from_log(&log, &cfg, &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.k, 24);
	/* sorted by process, decision count, kind; the first choice last */
	assert_int_equal(l.v[0].slot, 0);
	assert_int_equal(l.v[0].nth, 1);
	assert_int_equal(l.v[0].kind, IC_L_SWITCH); /* p0's end at its 2nd decision hands over to p1 */
	assert_int_equal(l.v[0].arg, 1);
	assert_int_equal(l.v[1].kind, IC_L_FAULT);
	assert_int_equal(l.v[1].nth, 1);
	assert_int_equal(l.v[1].point, ic_sched_point_id("counter/stored"));
	assert_int_equal(l.v[2].slot, 1);
	assert_int_equal(l.v[2].nth, 1);
	assert_int_equal(l.v[2].arg, 0);
	assert_int_equal(l.v[3].slot, IC_LISTED_START);
	assert_int_equal(l.v[3].arg, 1);
	ic_schedule_free(&l);
}

/* Written, then read: the same entries, point names resolved back to the same ids. */
static void test_round_trip(void **state)
{
	(void)state;
	ic_run_cfg cfg = counter_run();
	ic_decision v[] = {D(0, 1, IC_D_START, 1, "start"), D(1, 1, IC_D_PREEMPT, 0, "counter/loaded"),
			   D(1, 0, IC_D_FAULT, 0, "counter/stored")};
	ic_decisions log = {.v = v, .n = 3};
	ic_sched_list a, b;
	char path[] = "/tmp/ipchaos-test-schedule-XXXXXX", err[256];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ic_schedule_from_log(&log, &cfg, &a), 0);
	assert_int_equal(ic_schedule_write(fdopen(fd, "w"), &a, &cfg), 0);
	assert_int_equal(ic_schedule_load(path, &b, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(b.n, a.n);
	assert_int_equal(b.nprocs, 2);
	assert_int_equal(b.k, 24);
	assert_int_equal(b.ninj, 1);
	assert_string_equal(b.inj[0], "kill");
	for (uint64_t i = 0; i < a.n; i++)
		assert_int_equal(ic_listed_cmp(&a.v[i], &b.v[i]), 0);
	assert_int_equal(ic_schedule_check(&b, &cfg, err, sizeof(err)), 0);
	cfg.nprocs = 3;
	assert_int_equal(ic_schedule_check(&b, &cfg, err, sizeof(err)), -1);
	assert_contains(err, "made for 2 processes");
	ic_schedule_free(&a);
	ic_schedule_free(&b);
}

static void refused(const char *text, const char *why)
{
	char path[] = "/tmp/ipchaos-test-schedule-XXXXXX", err[256];
	ic_sched_list l;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(ic_schedule_load(path, &l, err, sizeof(err)), -1);
	unlink(path);
	assert_null(l.v);
	assert_contains(err, why);
	assert_null(strchr(err, '\n'));
}

static void test_bad_files(void **state)
{
	(void)state;
	refused("", "empty");
	refused("procs 2\n", "line 1: expected \"ipchaos-schedule 1\"");
	refused("ipchaos-schedule 9\n", "line 1: version 9");
	refused("ipchaos-schedule 1\nswitch 0 1 1\n", "line 2: switch before procs");
	refused("ipchaos-schedule 1\nprocs 2\nswitch 0 1 2\n", "line 3: process 2");
	refused("ipchaos-schedule 1\nprocs 2\nswitch 0 x 1\n", "line 3: decision x");
	refused("ipchaos-schedule 1\nprocs 2\nfault 0 1 0 p\n", "line 3: injector 0");
	refused("ipchaos-schedule 1\nprocs 2\ninject 0 nosuch\n", "line 3: inject 0");
	refused("ipchaos-schedule 1\nprocs 2\nstart 1 2\n", "more words");
	refused("ipchaos-schedule 1\nprocs 2\nstart 1\nk 5\n", "the header (procs, k, inject) comes first");
	refused("ipchaos-schedule 1\nprocs 2\nleap 1\n", "'leap': expected");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_log),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_bad_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
