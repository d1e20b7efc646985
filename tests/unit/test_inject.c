/*
 * test_inject.c: injector specs parsed against each injector's parameter
 * table, printed back whole (replay lines depend on it), and their names
 * checked against what a scenario declares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "unit.h"
#include "internal.h"

static void parse_ok(ic_inj_inst *inst, const char *spec)
{
	char err[256];
	if (ic_inj_parse(inst, spec, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", spec, err);
}

static void format_of(const char *spec, char *buf, size_t size)
{
	ic_inj_inst inst;
	parse_ok(&inst, spec);
	ic_inj_format(&inst, buf, size);
}

static void test_defaults(void **state)
{
	(void)state;
	ic_inj_inst inst;
	parse_ok(&inst, "delay");
	assert_ptr_equal(inst.inj, ic_injector_find("delay"));
	assert_true(ic_inj_num(&inst, "p") == 0.05);
	assert_true(ic_inj_uint(&inst, "max") == 20);
	assert_string_equal(ic_inj_str(&inst, "at"), "");
	parse_ok(&inst, "nolock");
	assert_true(ic_inj_num(&inst, "p") == 0.1);
	parse_ok(&inst, "kill");
	assert_true(ic_inj_num(&inst, "p") == 0);
	assert_string_equal(ic_inj_str(&inst, "at"), "");
}

/* A spec overrides only what it names; an unknown key reads as nothing. */
static void test_values_override(void **state)
{
	(void)state;
	ic_inj_inst inst;
	parse_ok(&inst, "delay:max=300us,at=counter/*");
	assert_true(ic_inj_num(&inst, "p") == 0.05);
	assert_true(ic_inj_uint(&inst, "max") == 300);
	assert_string_equal(ic_inj_str(&inst, "at"), "counter/*");
	assert_true(ic_inj_num(&inst, "nosuch") == 0);
	assert_true(ic_inj_uint(&inst, "nosuch") == 0);
	parse_ok(&inst, "stall:max=7ms");
	assert_true(ic_inj_uint(&inst, "max") == 7);
	parse_ok(&inst, "delay:max=010");
	assert_true(ic_inj_uint(&inst, "max") == 10);
	assert_string_equal(ic_inj_str(&inst, "nosuch"), "");
}

static void test_format_prints_every_set_parameter(void **state)
{
	(void)state;
	char buf[256];
	format_of("delay", buf, sizeof(buf));
	assert_string_equal(buf, "delay:p=0.05,max=20");
	format_of("delay:at=counter/locked,p=0.5", buf, sizeof(buf));
	assert_string_equal(buf, "delay:p=0.5,max=20,at=counter/locked");
	format_of("nolock:at=counter", buf, sizeof(buf));
	assert_string_equal(buf, "nolock:p=0.1,at=counter");
	format_of("kill:at=counter/begin", buf, sizeof(buf));
	assert_string_equal(buf, "kill:at=counter/begin,p=0");
}

/* What format prints parses back into the same parameters. */
static void test_format_parses_back(void **state)
{
	(void)state;
	static const char *const specs[] = {"delay:p=0.25,max=7,at=counter/*", "kill:p=0.01",
					    "nolock:p=1,at=counter", "kill:hit=18446744073709551615",
					    "fail:nth=12345678901234567890"};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		char once[256], twice[256];
		ic_inj_inst a, b;
		parse_ok(&a, specs[i]);
		ic_inj_format(&a, once, sizeof(once));
		parse_ok(&b, once);
		ic_inj_format(&b, twice, sizeof(twice));
		assert_string_equal(once, twice);
		assert_memory_equal(a.num, b.num, sizeof(a.num));
		assert_memory_equal(a.whole, b.whole, sizeof(a.whole));
	}
}

/* A short buffer truncates, and stays a terminated string. */
static void test_format_truncates(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'x', sizeof(buf));
	format_of("delay:at=counter/locked", buf, sizeof(buf));
	assert_string_equal(buf, "delay:p");
}

static void test_parse_errors_name_the_value(void **state)
{
	(void)state;
	char err[256];
	ic_inj_inst inst;
	assert_int_equal(ic_inj_parse(&inst, "nosuch:p=1", err, sizeof(err)), -1);
	assert_contains(err, "'nosuch'");
	assert_contains(err, "delay, kill, nolock");
	assert_int_equal(ic_inj_parse(&inst, "delay:p", err, sizeof(err)), -1);
	assert_contains(err, "no value for key 'p'");
	assert_int_equal(ic_inj_parse(&inst, "delay:max=1.5", err, sizeof(err)), -1);
	assert_contains(err, "max=1.5");
	assert_int_equal(ic_inj_parse(&inst, "delay:max=10000001", err, sizeof(err)), -1);
	assert_contains(err, "10000000");
	assert_int_equal(ic_inj_parse(&inst, "delay:max=5 us", err, sizeof(err)), -1);
	assert_contains(err, "delay:max='5 us':");
	assert_int_equal(ic_inj_parse(&inst, "delay:max=us", err, sizeof(err)), -1);
	assert_int_equal(ic_inj_parse(&inst, "stall:max=10001ms", err, sizeof(err)), -1);
	assert_contains(err, "milliseconds from 0 to 10000");
	assert_int_equal(ic_inj_parse(&inst, "delay:p=.5", err, sizeof(err)), -1);
	assert_int_equal(ic_inj_parse(&inst, "delay:p=1e-1", err, sizeof(err)), -1);
	assert_int_equal(ic_inj_parse(&inst, "delay:p=nan", err, sizeof(err)), -1);
}

/*
 * Counts were stored as doubles: 2^64-1 rounded to 2^64 and never fired, and
 * strtoull turned " -1" into 2^64-1. Now exact, and signs and spaces refused.
 */
static void test_counts_exact(void **state)
{
	(void)state;
	char err[256];
	ic_inj_inst inst;
	parse_ok(&inst, "kill:hit=18446744073709551615");
	assert_true(ic_inj_uint(&inst, "hit") == UINT64_MAX);
	parse_ok(&inst, "kill:hit=18446744073709551614");
	assert_true(ic_inj_uint(&inst, "hit") == UINT64_MAX - 1);
	parse_ok(&inst, "kill:hit=9007199254740993"); /* 2^53+1: a double cannot hold it */
	assert_true(ic_inj_uint(&inst, "hit") == 9007199254740993ull);
	parse_ok(&inst, "fail:nth=1");
	assert_true(ic_inj_uint(&inst, "nth") == 1);

	static const char *const bad[] = {"kill:hit=18446744073709551616", "kill:hit=-1", "kill:hit= -1",
					  "kill:hit=+1", "kill:hit=0", "kill:hit=1e3", "kill:hit=0x10",
					  "kill:hit=1.0", "kill:hit=99999999999999999999", "fail:nth=0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ic_inj_parse(&inst, bad[i], err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_contains(err, "from 1 to 18446744073709551615");
	}
	assert_int_equal(ic_inj_parse(&inst, "kill:hit= -1", err, sizeof(err)), -1);
	assert_contains(err, "kill:hit=' -1':");

	/* The plan strikes at exactly that hit. */
	static const char *const labels[] = {"p0", "p1"};
	static const char *const points[] = {"counter/begin", NULL};
	ic_plan_env env = {.nprocs = 2, .labels = labels, .points = points, .ops = 1000};
	ic_rng rng;
	ic_rng_seed(&rng, 1);
	parse_ok(&inst, "kill:hit=18446744073709551615");
	ic_plan_strike(&inst, &env, &rng);
	assert_true(inst.plan.words[1] == UINT64_MAX);
}

/*
 * A kill pinned with at= strikes a process whose role passes that point: over
 * many seeds, never one that does not (the seed would be wasted). Roles with
 * no known points, or no role matching, leave every process eligible.
 */
static void test_pinned_victim_passes_the_point(void **state)
{
	(void)state;
	char err[256];
	ic_inj_inst inst;
	static const char *const labels[] = {"p0", "p1", "c0", "c1"};
	static const char *const points[] = {"produce/sent", "consume/received", "call/x", NULL};
	static const char *const prod[] = {"produce/begin", "produce/sent", NULL};
	static const char *const cons[] = {"consume/begin", "consume/received", NULL};
	const char *const *per_proc[] = {prod, prod, cons, cons};
	ic_plan_env env = {.nprocs = 4, .labels = labels, .points = points, .ops = 100, .proc_points = per_proc};
	unsigned seen[4] = {0};
	static const struct {
		const char *spec;
		unsigned lo, hi; /* the victims allowed */
	} cases[] = {{"kill:at=consume/received", 2, 3}, {"kill:at=produce/*", 0, 1}, {"stall:at=produce/sent", 0, 1},
		     {"kill:at=call/x", 0, 3}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		memset(seen, 0, sizeof(seen));
		assert_int_equal(ic_inj_parse(&inst, cases[c].spec, err, sizeof(err)), 0);
		for (uint64_t seed = 1; seed <= 200; seed++) {
			ic_rng rng;
			ic_rng_seed(&rng, seed);
			ic_plan_strike(&inst, &env, &rng);
			unsigned v = (unsigned)inst.plan.words[0];
			if (v < cases[c].lo || v > cases[c].hi)
				fail_msg("%s: victim %s", cases[c].spec, labels[v]);
			seen[v]++;
		}
		for (unsigned v = cases[c].lo; v <= cases[c].hi; v++)
			if (!seen[v])
				fail_msg("%s: %s never drawn in 200 seeds", cases[c].spec, labels[v]);
	}
	env.proc_points = NULL; /* nothing known: any process, as before */
	memset(seen, 0, sizeof(seen));
	assert_int_equal(ic_inj_parse(&inst, "kill:at=consume/received", err, sizeof(err)), 0);
	for (uint64_t seed = 1; seed <= 200; seed++) {
		ic_rng rng;
		ic_rng_seed(&rng, seed);
		ic_plan_strike(&inst, &env, &rng);
		seen[inst.plan.words[0]]++;
	}
	assert_true(seen[0] && seen[1] && seen[2] && seen[3]);
}

/* Each key once, as for scenario keys: the last one no longer wins silently. */
static void test_duplicate_keys(void **state)
{
	(void)state;
	char err[256];
	ic_inj_inst inst;
	static const char *const twice[] = {"delay:p=0.1,p=0.2", "delay:p=0.1,max=5,p=0.1",
					    "kill:at=counter/begin,at=counter/locked", "kill:hit=1,hit=1",
					    "fail:nth=2,p=0.5,nth=3"};
	for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
		if (ic_inj_parse(&inst, twice[i], err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", twice[i]);
		assert_contains(err, "given twice for injector");
	}
}

/* An empty parameter list or item is a typo, not "the defaults". */
static void test_empty_items(void **state)
{
	(void)state;
	char err[256];
	ic_inj_inst inst;
	static const char *const bad[] = {"kill:", "delay:,", "delay:p=0.5,", "delay:,p=0.5", "delay:p=0.5,,max=3",
					  "kill:hit=", "delay:p="};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ic_inj_parse(&inst, bad[i], err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(ic_inj_parse(&inst, "kill:", err, sizeof(err)), -1);
	assert_string_equal(err, "injector 'kill:': an empty list (expected items separated by single ',', none empty)");
	parse_ok(&inst, "kill");
}

static void test_name_matches(void **state)
{
	(void)state;
	assert_true(ic_name_matches("counter/*", "counter/locked"));
	assert_true(ic_name_matches("counter/locked", "counter/locked"));
	assert_true(ic_name_matches("", "anything/at/all"));
	assert_true(ic_name_matches("*/locked", "counter/locked"));
	assert_false(ic_name_matches("x", "y"));
	assert_false(ic_name_matches("counter/*", "ring/push"));
	assert_false(ic_name_matches("counter", "counter/locked"));
}

static void test_validate_points_and_sites(void **state)
{
	(void)state;
	const ic_scenario *sc = ic_builtin_scenarios[0];
	ic_inj_inst inst;
	char err[512];

	parse_ok(&inst, "kill:at=counter/*");
	assert_int_equal(ic_inj_validate(&inst, sc, err, sizeof(err)), 0);
	parse_ok(&inst, "kill"); /* no at=: nothing to check */
	assert_int_equal(ic_inj_validate(&inst, sc, err, sizeof(err)), 0);

	parse_ok(&inst, "kill:at=ring/*");
	assert_int_equal(ic_inj_validate(&inst, sc, err, sizeof(err)), -1);
	assert_contains(err, "ring/*");
	assert_contains(err, "counter/begin");

	/* nolock's at= names lock sites, not points. */
	parse_ok(&inst, "nolock:at=counter");
	assert_int_equal(ic_inj_validate(&inst, sc, err, sizeof(err)), 0);
	parse_ok(&inst, "nolock:at=counter/locked");
	assert_int_equal(ic_inj_validate(&inst, sc, err, sizeof(err)), -1);
	assert_contains(err, "lock site");
}

static const ic_scenario *scenario(const char *name)
{
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		if (strcmp(ic_builtin_scenarios[i]->name, name) == 0)
			return ic_builtin_scenarios[i];
	fail_msg("no scenario %s", name);
	return NULL;
}

/* A default glob is checked too: an injector with nowhere to act is refused, not a silent pass. */
static void test_validate_never_acts(void **state)
{
	(void)state;
	ic_inj_inst inst;
	char err[512];

	parse_ok(&inst, "nolock");
	assert_int_equal(ic_inj_validate(&inst, scenario("mq"), err, sizeof(err)), -1);
	assert_string_equal(err, "nolock never acts on mq: it declares no lock site");
	assert_int_equal(ic_inj_validate(&inst, scenario("shm_ring"), err, sizeof(err)), 0);

	parse_ok(&inst, "fail");
	assert_int_equal(ic_inj_validate(&inst, scenario("shm_counter"), err, sizeof(err)), -1);
	assert_contains(err, "fail never acts on shm_counter: no point of it matches at=call/*");
	assert_int_equal(ic_inj_validate(&inst, scenario("shm_ring"), err, sizeof(err)), -1);
	static const char *const with_calls[] = {"mq", "pipe", "unix", "sysv_msg", "hybrid"};
	for (size_t i = 0; i < sizeof(with_calls) / sizeof(with_calls[0]); i++)
		if (ic_inj_validate(&inst, scenario(with_calls[i]), err, sizeof(err)) != 0)
			fail_msg("fail refused on %s: %s", with_calls[i], err);

	/* Every built-in expectation names only injectors that can act on its scenario. */
	for (unsigned s = 0; ic_builtin_scenarios[s]; s++) {
		const ic_scenario *sc = ic_builtin_scenarios[s];
		for (const ic_expect *e = sc->expect; e && e->verdict; e++) {
			char list[256];
			snprintf(list, sizeof(list), "%s", e->inject);
			for (char *save = NULL, *one = strtok_r(list, ";", &save); one; one = strtok_r(NULL, ";", &save)) {
				parse_ok(&inst, one);
				if (ic_inj_validate(&inst, sc, err, sizeof(err)) != 0)
					fail_msg("%s:%s [%s]: %s", sc->name, e->variant, e->inject, err);
			}
		}
	}
}

static void test_warnings(void **state)
{
	(void)state;
	ic_inj_inst inst;
	char buf[512];
	parse_ok(&inst, "kill:hit=2000");
	assert_false(ic_inj_warning(&inst, 1000, 2, buf, sizeof(buf)));
	parse_ok(&inst, "kill:hit=2001");
	assert_true(ic_inj_warning(&inst, 1000, 2, buf, sizeof(buf)));
	assert_string_equal(buf, "kill:p=0,hit=2001 may never act: hit 2001 is past --ops 1000 x 2 processes, "
				 "about the most passes a point gets");
	parse_ok(&inst, "kill:hit=18446744073709551615");
	assert_true(ic_inj_warning(&inst, IC_MAX_OPS, IC_MAX_PROCS, buf, sizeof(buf)));
	parse_ok(&inst, "kill:hit=9,p=0.5");
	assert_false(ic_inj_warning(&inst, 1, 1, buf, sizeof(buf)));
	parse_ok(&inst, "kill");
	assert_false(ic_inj_warning(&inst, 1, 1, buf, sizeof(buf)));
	parse_ok(&inst, "stall:hit=3");
	assert_true(ic_inj_warning(&inst, 1, 2, buf, sizeof(buf)));

	/* p=0 where p is the only trigger. */
	static const char *const never[] = {"delay:p=0", "nolock:p=0", "fail:p=0", "delay:p=0.0"};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		parse_ok(&inst, never[i]);
		if (!ic_inj_warning(&inst, 1000, 2, buf, sizeof(buf)))
			fail_msg("no warning for %s", never[i]);
		assert_contains(buf, "never acts: its probability p is 0");
	}
	static const char *const acting[] = {"delay", "kill:p=0", "stall:p=0", "fail:p=0,nth=2", "nolock:p=0.001"};
	for (size_t i = 0; i < sizeof(acting) / sizeof(acting[0]); i++) {
		parse_ok(&inst, acting[i]);
		if (ic_inj_warning(&inst, 1000, 2, buf, sizeof(buf)))
			fail_msg("a warning for %s: %s", acting[i], buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_values_override),
		cmocka_unit_test(test_format_prints_every_set_parameter),
		cmocka_unit_test(test_format_parses_back),
		cmocka_unit_test(test_format_truncates),
		cmocka_unit_test(test_parse_errors_name_the_value),
		cmocka_unit_test(test_name_matches),
		cmocka_unit_test(test_validate_points_and_sites),
		cmocka_unit_test(test_counts_exact),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_pinned_victim_passes_the_point),
		cmocka_unit_test(test_empty_items),
		cmocka_unit_test(test_validate_never_acts),
		cmocka_unit_test(test_warnings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
