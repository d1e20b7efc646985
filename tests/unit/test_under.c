/*
 * test_under.c: run --under memcheck without running valgrind. Its log must
 * read back into the first error and its stack (and nothing when it only
 * warned); bad --under values and scenarios that cannot start roles by exec
 * must be refused in one line; the replay line must carry --under and parse
 * back into the same run (an exec'd role rebuilds its run from it); and the
 * crash checker must turn a report into a finding however the role ended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "cli/cli.h"
#include "core/under.h"

static const char uninit_log[] =
	"==4242== Conditional jump or move depends on uninitialised value(s)\n"
	"==4242==    at 0x10A1B2: counter_uninit_read (shm_counter.c:113)\n"
	"==4242==    by 0x10A2C3: counter_role (shm_counter.c:157)\n"
	"==4242==    by 0x10B000: role_main (run.c:153)\n"
	"==4242==    by 0x10B100: forked_role (run.c:170)\n"
	"==4242== \n";

static void test_report_uninit(void **state)
{
	(void)state;
	char out[1024];
	assert_true(ic_under_report(uninit_log, out, sizeof(out)));
	assert_string_equal(out, "Conditional jump or move depends on uninitialised value(s)\n"
				 "    #0 counter_uninit_read (shm_counter.c:113)\n"
				 "    #1 counter_role (shm_counter.c:157)\n"
				 "    #2 role_main (run.c:153)\n");
}

static void test_report_first_of_several_with_address(void **state)
{
	(void)state;
	char out[1024];
	const char *log = "==7== Warning: set address range perms: large range [0x1, 0x2) (noaccess)\n"
			  "==7== Invalid read of size 8\n"
			  "==7==    at 0x1: use_after_free (x.c:10)\n"
			  "==7==  Address 0x4a4b040 is 0 bytes inside a block of size 8 free'd\n"
			  "==7==    at 0x2: free (vg_replace_malloc.c:872)\n"
			  "==7== \n"
			  "==7== Invalid write of size 4\n"
			  "==7==    at 0x3: other (x.c:20)\n";
	assert_true(ic_under_report(log, out, sizeof(out)));
	assert_contains(out, "Invalid read of size 8\n    #0 use_after_free (x.c:10)\n");
	assert_contains(out, "    Address 0x4a4b040 is 0 bytes inside a block of size 8 free'd\n");
	assert_contains(out, "(2 errors in all; the first is shown)");
	assert_null(strstr(out, "Warning"));
	assert_null(strstr(out, "vg_replace_malloc"));
}

static void test_report_nothing_without_an_error(void **state)
{
	(void)state;
	char out[256];
	assert_false(ic_under_report("", out, sizeof(out)));
	assert_false(ic_under_report("==9== Warning: noted but unhandled ioctl 0x1234\n", out, sizeof(out)));
	assert_string_equal(out, "");
}

/* valgrind itself could not run the role: the run is broken, not a finding. */
static void test_tool_failure(void **state)
{
	(void)state;
	char why[128];
	assert_false(ic_under_tool_failed(uninit_log, why, sizeof(why)));
	assert_true(ic_under_tool_failed("### unhandled dwarf2 abbrev form code 0x25\n"
					 "==5== Valgrind: debuginfo reader: ensure_valid failed:\n"
					 "==5== Valgrind:   during call to ML_(img_get)\n",
					 why, sizeof(why)));
	assert_string_equal(why, "Valgrind: debuginfo reader: ensure_valid failed:");
	assert_true(ic_under_tool_failed("valgrind: failed to start tool 'memcheck' for platform 'amd64-linux'\n",
					 why, sizeof(why)));
	assert_contains(why, "failed to start tool");
}

static void test_report_fits_a_small_buffer(void **state)
{
	(void)state;
	char out[40];
	assert_true(ic_under_report(uninit_log, out, sizeof(out)));
	assert_true(strlen(out) < sizeof(out));
}

/* ---- the option ---- */

static void test_parse_refuses(void **state)
{
	(void)state;
	char err[256];
	const char *tool = NULL;
	assert_int_equal(ic_under_parse("helgrind", &tool, err, sizeof(err)), -1);
	assert_contains(err, "--under helgrind");
	assert_contains(err, "valid: memcheck");
	assert_null(tool);

	const char *path = getenv("PATH");
	char *saved = path ? strdup(path) : NULL;
	setenv("PATH", "/nonexistent", 1);
	int rc = ic_under_parse("memcheck", &tool, err, sizeof(err));
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
	assert_int_equal(rc, -1);
	assert_string_equal(err, "--under memcheck needs valgrind in PATH");
}

static ic_opts *parse_run(const char *text, char *err, size_t errsize)
{
	static char line[512];
	char *argv[32];
	int argc = 0;
	snprintf(line, sizeof(line), "%s", text);
	for (char *save = NULL, *t = strtok_r(line, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	ic_opts *o = calloc(1, sizeof(*o));
	assert_non_null(o);
	if (ic_cli_parse_run(o, argc, argv, err, errsize) != 0) {
		free(o);
		return NULL;
	}
	return o;
}

static void test_scenarios_without_attach_refused(void **state)
{
	(void)state;
	char err[1024];
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++) {
		const ic_scenario *sc = ic_builtin_scenarios[i];
		bool pipes = strcmp(sc->name, "pipe") == 0 || strcmp(sc->name, "unix") == 0;
		int rc = ic_under_validate(NULL, sc, err, sizeof(err));
		if (rc != (pipes ? -1 : 0))
			fail_msg("scenario %s: ic_under_validate gave %d", sc->name, rc);
	}
	const ic_scenario *pipe = NULL;
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		if (strcmp(ic_builtin_scenarios[i]->name, "pipe") == 0)
			pipe = ic_builtin_scenarios[i];
	assert_non_null(pipe);
	assert_int_equal(ic_under_validate(NULL, pipe, err, sizeof(err)), -1);
	assert_contains(err, "scenario pipe cannot start its roles by exec");
	/* Scenarios added later join the list: its start is what this test knows. */
	assert_contains(err, "valid: shm_counter, mq, sysv_msg, shm_ring, hybrid, perms, cleanup");
}

/* An exec'd role parses the run back from these arguments: they must be the same run. */
static void test_role_args_round_trip(void **state)
{
	(void)state;
	char err[512], args[2048], line[2048];
	ic_opts *a = parse_run("--inject delay:p=0.5,max=7 --inject kill:at=counter/locked --seed 0x2a "
			       "--procs 3 --ops 10 --timeout 0.5 --under memcheck shm_counter:lock=mutex,bug=uninit_read",
			       err, sizeof(err));
	if (!a)
		skip(); /* no valgrind here: the parse refuses --under, as it must */
	ic_run_cfg cfg = a->runs[0];
	cfg.seed = a->seed;
	assert_string_equal(cfg.under, "memcheck");
	ic_spec_replay_line(&cfg, line, sizeof(line));
	assert_contains(line, " --under memcheck");
	assert_int_equal(ic_under_role_args(&cfg, args, sizeof(args)), 0);
	assert_string_equal(args, line + strlen("ipchaos run "));
	ic_opts *b = parse_run(args, err, sizeof(err));
	assert_non_null(b);
	ic_run_cfg back = b->runs[0];
	back.seed = b->seed;
	assert_ptr_equal(back.sc, cfg.sc);
	assert_memory_equal(back.variant, cfg.variant, sizeof(cfg.variant));
	assert_int_equal(back.nroles, cfg.nroles);
	assert_memory_equal(back.counts, cfg.counts, cfg.nroles * sizeof(cfg.counts[0]));
	assert_int_equal(back.ops, cfg.ops);
	assert_int_equal(back.seed, cfg.seed);
	assert_int_equal(back.ninj, cfg.ninj);
	for (unsigned i = 0; i < cfg.ninj; i++) {
		assert_ptr_equal(back.inj[i].inj, cfg.inj[i].inj);
		assert_memory_equal(back.inj[i].num, cfg.inj[i].num, sizeof(cfg.inj[i].num));
		assert_memory_equal(back.inj[i].str, cfg.inj[i].str, sizeof(cfg.inj[i].str));
	}
	assert_int_equal(ic_under_role_args(&cfg, args, 16), -1); /* too long for the buffer: refused */
	free(a);
	free(b);
}

static void test_all_refuses_under(void **state)
{
	(void)state;
	char err[512];
	assert_null(parse_run("--all --under memcheck", err, sizeof(err)));
	assert_true(strstr(err, "--under does not apply") || strstr(err, "--under memcheck"));
}

/* ---- the crash checker ---- */

static void test_crash_reports_tool_error(void **state)
{
	(void)state;
	static ic_facts f;
	ic_finding out;
	memset(&f, 0, sizeof(f));
	memset(&out, 0, sizeof(out));
	f.nprocs = 2;
	for (unsigned i = 0; i < 2; i++)
		test_proc_facts(&f, i, NULL, "p%u", i);
	const ic_checker *crash = ic_checker_find("crash");
	assert_non_null(crash);
	assert_false(crash->check(&f, &out));
	/* Even a role the harness killed: the error came before, and is a bug. */
	f.procs[0].exited = false;
	f.procs[0].code = 9;
	f.procs[0].harness_killed = true;
	f.procs[0].tool_report = "Invalid read of size 8\n    #0 use_after_free (x.c:10)\n";
	assert_true(crash->check(&f, &out));
	assert_contains(out.text, "memcheck found an error in a role\n");
	assert_contains(out.text, "p0 (pid 0): memcheck: Invalid read of size 8\n    #0 use_after_free (x.c:10)\n");
	assert_null(strstr(out.text, "p1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_uninit),
		cmocka_unit_test(test_report_first_of_several_with_address),
		cmocka_unit_test(test_report_nothing_without_an_error),
		cmocka_unit_test(test_report_fits_a_small_buffer),
		cmocka_unit_test(test_tool_failure),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_scenarios_without_attach_refused),
		cmocka_unit_test(test_role_args_round_trip),
		cmocka_unit_test(test_all_refuses_under),
		cmocka_unit_test(test_crash_reports_tool_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
