/*
 * test_cli.c: `ipchaos run` argument parsing. Every bad value must be refused
 * before any run starts, with a message naming it and what would be valid;
 * and the replay line printed for a run must parse back into the same run.
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
#include "cli/cli.h"

/* An argv split from a command line on spaces; the strings live in `line`. */
typedef struct cmd {
	char line[2048];
	char *argv[64];
	int argc;
} cmd;

typedef struct fixture {
	ic_opts *o;
	cmd c;
	char err[512];
} fixture;

static void split(cmd *c, const char *text)
{
	char *save = NULL;
	snprintf(c->line, sizeof(c->line), "%s", text);
	c->argc = 0;
	for (char *t = strtok_r(c->line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		assert_true(c->argc < 63);
		c->argv[c->argc++] = t;
	}
	c->argv[c->argc] = NULL;
}

static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	x->o = calloc(1, sizeof(*x->o)); /* large: IC_MAX_SPECS whole run configs */
	if (!x->o) {
		free(x);
		return -1;
	}
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	fixture *x = *state;
	ic_cli_free(x->o);
	free(x->o);
	free(x);
	return 0;
}

/* Parse `text` as the arguments after "run", into fresh options as ic_main gives them. */
static int parse(fixture *x, const char *text)
{
	const ic_scenario *const *extra = x->o->extra;
	memset(x->o, 0, sizeof(*x->o));
	x->o->extra = extra;
	x->err[0] = '\0';
	split(&x->c, text);
	return ic_cli_parse_run(x->o, x->c.argc, x->c.argv, x->err, sizeof(x->err));
}

/* Arguments that hold spaces, as a shell would pass them (NULL-terminated). */
static int parse_argv(fixture *x, const char *const *args)
{
	const ic_scenario *const *extra = x->o->extra;
	memset(x->o, 0, sizeof(*x->o));
	x->o->extra = extra;
	x->err[0] = '\0';
	x->c.argc = 0;
	for (; *args; args++) {
		assert_true(x->c.argc < 63);
		x->c.argv[x->c.argc++] = (char *)*args;
	}
	x->c.argv[x->c.argc] = NULL;
	return ic_cli_parse_run(x->o, x->c.argc, x->c.argv, x->err, sizeof(x->err));
}

static void parse_ok(fixture *x, const char *text)
{
	if (parse(x, text) != 0)
		fail_msg("'%s' refused: %s", text, x->err);
}

/* Refused, with a message holding every string after `text` (NULL-terminated). */
static void expect_error(fixture *x, const char *text, ...)
{
	va_list ap;
	if (parse(x, text) != -1)
		fail_msg("'%s' accepted", text);
	if (!x->err[0])
		fail_msg("'%s' refused without a message", text);
	va_start(ap, text);
	for (const char *s; (s = va_arg(ap, const char *));)
		if (!strstr(x->err, s)) {
			va_end(ap);
			fail_msg("'%s': '%s' not in message '%s'", text, s, x->err);
		}
	va_end(ap);
}

/* ---- Good inputs ---- */

static void test_defaults(void **state)
{
	fixture *x = *state;
	char spec[256];
	parse_ok(x, "shm_counter");
	ic_opts *o = x->o;
	assert_int_equal(o->nruns, 1);
	assert_false(o->all);
	const ic_run_cfg *r = &o->runs[0];
	assert_ptr_equal(r->sc, ic_spec_find_scenario(o->extra, "shm_counter"));
	ic_spec_text(r, spec, sizeof(spec));
	assert_string_equal(spec, "shm_counter:lock=robust,bug=none");
	assert_int_equal(r->nroles, 1);
	assert_int_equal(r->counts[0], 2);
	assert_int_equal(r->nprocs, 2);
	assert_int_equal(r->ops, 1000);
	assert_int_equal(r->ninj, 0);
	assert_int_equal(o->seed, 1);
	assert_false(o->seed_random);
	assert_int_equal(o->seeds, 1);
	assert_int_equal(o->replays, 0);
	assert_null(o->json);
	assert_false(o->keep || o->keep_going);
	assert_true(o->timeout == IC_DEFAULT_TIMEOUT && r->timeout_s == IC_DEFAULT_TIMEOUT);
}

static void test_variant(void **state)
{
	fixture *x = *state;
	char spec[256];
	parse_ok(x, "shm_counter:bug=leak,lock=none");
	ic_spec_text(&x->o->runs[0], spec, sizeof(spec));
	assert_string_equal(spec, "shm_counter:lock=none,bug=leak");
}

static void test_seed_forms(void **state)
{
	fixture *x = *state;
	parse_ok(x, "--seed 0x2a shm_counter");
	assert_int_equal(x->o->seed, 42);
	parse_ok(x, "shm_counter --seed=42");
	assert_int_equal(x->o->seed, 42);
	parse_ok(x, "--seed 18446744073709551615 shm_counter");
	assert_true(x->o->seed == UINT64_MAX);
	parse_ok(x, "--seed 0 shm_counter");
	assert_int_equal(x->o->seed, 0);
	parse_ok(x, "--seed random shm_counter");
	assert_true(x->o->seed_random);
	/* Decimal means decimal: 010 is ten, not octal eight; 08 is eight. */
	parse_ok(x, "--seed 010 shm_counter");
	assert_int_equal(x->o->seed, 10);
	parse_ok(x, "--seed 08 shm_counter");
	assert_int_equal(x->o->seed, 8);
	parse_ok(x, "--seed 0XFFFFFFFFFFFFFFFF shm_counter");
	assert_true(x->o->seed == UINT64_MAX);
}

static void test_counts_and_flags(void **state)
{
	fixture *x = *state;
	parse_ok(x, "--seeds 5 --procs 3 --ops 10 --timeout 0.5 --replays 3 --keep-going --keep shm_counter");
	ic_opts *o = x->o;
	const ic_run_cfg *r = &o->runs[0];
	assert_int_equal(o->seeds, 5);
	assert_int_equal(r->counts[0], 3);
	assert_int_equal(r->nprocs, 3);
	assert_int_equal(r->ops, 10);
	assert_true(o->timeout == 0.5 && r->timeout_s == 0.5);
	assert_int_equal(o->replays, 3);
	assert_true(o->keep_going);
	assert_true(o->keep && r->keep);
}

static void test_injectors(void **state)
{
	fixture *x = *state;
	parse_ok(x, "--inject delay:p=0.5,max=7 --inject kill:at=counter/locked shm_counter");
	const ic_run_cfg *r = &x->o->runs[0];
	assert_int_equal(r->ninj, 2);
	assert_ptr_equal(r->inj[0].inj, ic_injector_find("delay"));
	assert_true(ic_inj_num(&r->inj[0], "p") == 0.5);
	assert_true(ic_inj_uint(&r->inj[0], "max") == 7);
	assert_ptr_equal(r->inj[1].inj, ic_injector_find("kill"));
	assert_string_equal(ic_inj_str(&r->inj[1], "at"), "counter/locked");
	/* The index is what the plan stream and the fire records key on. */
	assert_int_equal(r->inj[0].index, 0);
	assert_int_equal(r->inj[1].index, 1);
}

/* Parsing only checks a --json path: the file appears when the campaign runs. */
static void test_json_path_checked_not_created(void **state)
{
	fixture *x = *state;
	char text[256], path[128];
	snprintf(path, sizeof(path), "/tmp/ipchaos-unit-%d.json", (int)getpid());
	snprintf(text, sizeof(text), "--json %s shm_counter", path);
	parse_ok(x, text);
	assert_string_equal(x->o->json, path);
	assert_int_equal(access(path, F_OK), -1);
}

/* ---- Bad inputs ---- */

static void test_bad_scenario(void **state)
{
	fixture *x = *state;
	expect_error(x, "nosuch", "'nosuch'", "shm_counter", NULL);
	expect_error(x, "shm_counter:frob=1", "'frob'", "lock", "bug", NULL);
	expect_error(x, "shm_counter:lock", "'lock'", "key=value", NULL);
	expect_error(x, "shm_counter:lock=foo", "foo", "robust", "mutex", NULL);
}

static void test_bad_injector(void **state)
{
	fixture *x = *state;
	expect_error(x, "--inject chaos shm_counter", "'chaos'", "delay", "kill", "nolock", NULL);
	expect_error(x, "--inject delay:frob=1 shm_counter", "'frob'", "p, max, at", NULL);
	expect_error(x, "--inject delay:p=1.5 shm_counter", "p=1.5", "from 0 to 1", NULL);
	expect_error(x, "--inject delay:p=-0.1 shm_counter", "p=-0.1", "from 0 to 1", NULL);
	expect_error(x, "--inject delay:p=abc shm_counter", "p=abc", "from 0 to 1", NULL);
	expect_error(x, "--inject delay:max=-1 shm_counter", "max=-1", NULL);
}

static void test_bad_names(void **state)
{
	fixture *x = *state;
	expect_error(x, "--inject kill:at=nosuch/point shm_counter", "nosuch/point", "counter/begin",
		     NULL);
	expect_error(x, "--inject nolock:at=nosite shm_counter", "nosite", "counter", NULL);
}

static void test_bad_seed(void **state)
{
	fixture *x = *state;
	expect_error(x, "--seed abc shm_counter", "abc", "0x", "random", NULL);
	expect_error(x, "--seed -1 shm_counter", "-1", NULL);
	expect_error(x, "--seed 0x shm_counter", "--seed 0x:", NULL);
	expect_error(x, "--seed 12junk shm_counter", "12junk", NULL);
	expect_error(x, "--seed 18446744073709551616 shm_counter", "18446744073709551616", NULL);
	expect_error(x, "--seed 0x10000000000000000 shm_counter", "0x10000000000000000", "0xffffffffffffffff", NULL);
	expect_error(x, "--seed +5 shm_counter", "--seed +5:", NULL);
	expect_error(x, "--seed 1e3 shm_counter", "--seed 1e3:", NULL);
	/* strtoull skipped the space and negated: 2^64-1. */
	static const char *const spaced[] = {"--seed", " -1", "shm_counter", NULL};
	assert_int_equal(parse_argv(x, spaced), -1);
	assert_contains(x->err, "--seed ' -1':");
	assert_contains(x->err, "'random'");
	static const char *const empty[] = {"--seed", "", "shm_counter", NULL};
	assert_int_equal(parse_argv(x, empty), -1);
	assert_contains(x->err, "--seed '':");
}

static void test_bad_counts(void **state)
{
	fixture *x = *state;
	expect_error(x, "--seeds 0 shm_counter", "--seeds 0", "1 to", NULL);
	expect_error(x, "--procs 0 shm_counter", "--procs 0", "1 to 64", NULL);
	expect_error(x, "--procs 65 shm_counter", "--procs 65", "1 to 64", NULL);
	expect_error(x, "--procs 1:1 shm_counter", "--procs 1:1", "shm_counter", NULL);
	expect_error(x, "--procs 2x shm_counter", "--procs 2x", NULL);
	expect_error(x, "--ops 0 shm_counter", "--ops 0", "1 to", NULL);
	expect_error(x, "--timeout 0 shm_counter", "--timeout 0", "from 0.001 to 86400", NULL);
	expect_error(x, "--timeout nan shm_counter", "--timeout nan", NULL);
	expect_error(x, "--replays x shm_counter", "--replays x", NULL);
	expect_error(x, "--seeds +5 shm_counter", "--seeds +5", "1 to 100000000", NULL);
	expect_error(x, "--seeds 100000001 shm_counter", "--seeds 100000001", NULL);
	expect_error(x, "--ops 0x10 shm_counter", "--ops 0x10", NULL);
	expect_error(x, "--ops 10000001 shm_counter", "--ops 10000001", "1 to 10000000", NULL);
	expect_error(x, "--ops 99999999999999999999 shm_counter", "--ops 99999999999999999999", NULL);
	expect_error(x, "--jobs 1e1 shm_counter", "--jobs 1e1", "1 to 64", NULL);
	expect_error(x, "--procs 2: mq", "--procs 2:", "P:C", NULL);
	expect_error(x, "--procs :2 mq", "--procs :2", NULL);
	expect_error(x, "--procs 1::1 mq", "--procs 1::1", NULL);
	expect_error(x, "--procs +2 shm_counter", "--procs +2", NULL);
	expect_error(x, "--timeout 1e3 shm_counter", "--timeout 1e3", "ms, s, m or h", NULL);
	expect_error(x, "--timeout inf shm_counter", "--timeout inf", NULL);
	expect_error(x, "--timeout 0x2 shm_counter", "--timeout 0x2", NULL);
	expect_error(x, "--timeout 86401 shm_counter", "--timeout 86401", NULL);
	expect_error(x, "--time-budget 0 shm_counter", "--time-budget 0", NULL);
	expect_error(x, "--time-budget 5x shm_counter", "--time-budget 5x", NULL);
	expect_error(x, "--shard 1//2 shm_counter", "--shard 1//2", NULL);
	expect_error(x, "--shard +1/2 shm_counter", "--shard +1/2", NULL);
	expect_error(x, "--shard 1/2/3 shm_counter", "--shard 1/2/3", NULL);
	static const char *const spaced[] = {"--procs", " 2", "shm_counter", NULL};
	assert_int_equal(parse_argv(x, spaced), -1);
	assert_contains(x->err, "--procs ' 2':");
	static const char *const unit_apart[] = {"--timeout", "5 s", "shm_counter", NULL};
	assert_int_equal(parse_argv(x, unit_apart), -1);
	assert_contains(x->err, "--timeout '5 s':");
	static const char *const made_by[] = {"--made-by", "", "shm_counter", NULL};
	assert_int_equal(parse_argv(x, made_by), -1);
	assert_contains(x->err, "--made-by '':");
}

/* Durations and whole numbers as every command reads them. */
static void test_durations_and_decimals(void **state)
{
	fixture *x = *state;
	parse_ok(x, "--timeout 500ms --time-budget 5m --seeds 010 --ops 0100 --procs 03 shm_counter");
	assert_true(x->o->timeout == 0.5 && x->o->runs[0].timeout_s == 0.5);
	assert_true(x->o->time_budget == 300);
	assert_int_equal(x->o->seeds, 10);
	assert_int_equal(x->o->runs[0].ops, 100);
	assert_int_equal(x->o->runs[0].counts[0], 3);
	parse_ok(x, "--timeout 0.001 --shard 01/02 shm_counter");
	assert_true(x->o->timeout == 0.001);
	assert_int_equal(x->o->shard_index, 1);
	assert_int_equal(x->o->shard_count, 2);
}

/* strtok skipped empty items: each of these ran the defaults. */
static void test_empty_items_refused(void **state)
{
	fixture *x = *state;
	expect_error(x, "shm_counter:", "scenario 'shm_counter:'", "an empty list", NULL);
	expect_error(x, "shm_counter:,,", "'shm_counter:,,'", "an empty item", NULL);
	expect_error(x, "shm_counter:lock=mutex,", "'shm_counter:lock=mutex,'", "an empty item", NULL);
	expect_error(x, "shm_counter:,lock=mutex", "an empty item", NULL);
	expect_error(x, "shm_counter:lock=mutex,,bug=none", "an empty item", NULL);
	expect_error(x, "--inject kill: shm_counter", "injector 'kill:'", "an empty list", NULL);
	expect_error(x, "--inject delay:p=0.5, shm_counter", "'delay:p=0.5,'", "an empty item", NULL);
	expect_error(x, "--inject kill:hit= shm_counter", "no value for key 'hit'", NULL);
}

/* An injector that can never act on the scenario is refused; one that may never act warns. */
static void test_injector_never_acts(void **state)
{
	fixture *x = *state;
	expect_error(x, "--inject nolock mq", "nolock never acts on mq", "no lock site", NULL);
	expect_error(x, "--inject fail shm_counter", "fail never acts on shm_counter", "call/*", "counter/begin",
		     NULL);
	expect_error(x, "--inject fail shm_ring", "fail never acts on shm_ring", NULL);
	/* Named once for every spec: the one it cannot act on is refused. */
	expect_error(x, "--inject fail mq shm_counter", "fail never acts on shm_counter", NULL);
	parse_ok(x, "--inject fail mq pipe");
	assert_string_equal(x->o->warnings, "");
	parse_ok(x, "--inject nolock shm_counter");
	assert_string_equal(x->o->warnings, "");

	/* 2 processes x 1000 ops: a point is passed about 2000 times at most. */
	parse_ok(x, "--inject kill:hit=2000 shm_counter");
	assert_string_equal(x->o->warnings, "");
	parse_ok(x, "--inject kill:hit=2001 shm_counter");
	assert_contains(x->o->warnings, "ipchaos run: warning: shm_counter: kill:");
	assert_contains(x->o->warnings, "hit 2001 is past --ops 1000 x 2 processes");
	parse_ok(x, "--inject stall:hit=18446744073709551615 --ops 5 shm_counter");
	assert_contains(x->o->warnings, "hit 18446744073709551615 is past --ops 5 x 2");
	/* With p= the hit is drawn, not planned. */
	parse_ok(x, "--inject kill:hit=5000,p=0.1 shm_counter");
	assert_string_equal(x->o->warnings, "");

	parse_ok(x, "--inject delay:p=0 shm_counter");
	assert_contains(x->o->warnings, "delay:p=0,max=20 never acts: its probability p is 0");
	parse_ok(x, "--inject fail:p=0,nth=3 mq");
	assert_string_equal(x->o->warnings, "");
	/* One line each, each ending in a newline. */
	parse_ok(x, "--inject delay:p=0 --inject nolock:p=0 shm_counter");
	assert_non_null(strstr(x->o->warnings, "\nipchaos run: warning: shm_counter: nolock:p=0"));
	assert_int_equal(x->o->warnings[strlen(x->o->warnings) - 1], '\n');
}

/* The watchdog's multiplier is checked like any option, before anything runs. */
static void test_timeout_factor(void **state)
{
	fixture *x = *state;
	static const char *const bad[] = {"garbage", "0", "1e300", "inf", "nan", " 2", "-1", "1001"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("IPCHAOS_TIMEOUT_FACTOR", bad[i], 1);
		expect_error(x, "shm_counter", "IPCHAOS_TIMEOUT_FACTOR=", "from 0.01 to 1000", NULL);
		assert_contains(x->err, bad[i]);
	}
	setenv("IPCHAOS_TIMEOUT_FACTOR", "2.5", 1);
	parse_ok(x, "shm_counter");
	setenv("IPCHAOS_TIMEOUT_FACTOR", "", 1);
	parse_ok(x, "shm_counter");
	unsetenv("IPCHAOS_TIMEOUT_FACTOR");
	parse_ok(x, "shm_counter");
}

static void test_bad_json(void **state)
{
	fixture *x = *state;
	const char *path = "/nonexistent-dir/x.json";
	assert_int_equal(access("/nonexistent-dir", F_OK), -1);
	/* The arguments parse; the path is refused when the outputs are opened, before anything runs. */
	parse_ok(x, "--json /nonexistent-dir/x.json shm_counter");
	assert_int_equal(ic_cli_open_outputs(x->o, x->err, sizeof(x->err)), -1);
	assert_non_null(strstr(x->err, path));
	assert_int_equal(access(path, F_OK), -1);
}

static void test_bad_option(void **state)
{
	fixture *x = *state;
	expect_error(x, "--frobnicate shm_counter", "'--frobnicate'", "--seed", "--inject", NULL);
	expect_error(x, "shm_counter --seed", "--seed", "needs a value", NULL);
	expect_error(x, "shm_counter --inject", "--inject", "needs a value", NULL);
}

static void test_all_or_scenario(void **state)
{
	fixture *x = *state;
	expect_error(x, "--all shm_counter:lock=none", "--all shm_counter:lock=none", "scenario names", NULL);
	expect_error(x, "--all nosuch", "unknown scenario 'nosuch'", "shm_counter", NULL);
	expect_error(x, "", "--all", NULL);
	expect_error(x, "--seeds 3", "--all", NULL);
	expect_error(x, "--all --procs 3", "--procs", NULL);
	parse_ok(x, "--all");
	assert_true(x->o->all);
	assert_int_equal(x->o->nruns, 0);
	assert_int_equal(x->o->nonly, 0);
	parse_ok(x, "--all mq shm_counter"); /* only their expectations */
	assert_int_equal(x->o->nonly, 2);
	assert_string_equal(x->o->only[0]->name, "mq");
	assert_string_equal(x->o->only[1]->name, "shm_counter");
}

/* ---- Scenarios of the user's (ic_main's extra) ---- */

static int idle_role(ic_ctx *ctx)
{
	(void)ctx;
	return 0;
}

static const ic_role_desc one_role[] = {{"w", idle_role, 1}, {0}};
static const ic_role_desc five_roles[] = {
	{"a", idle_role, 1}, {"b", idle_role, 1}, {"c", idle_role, 1},
	{"d", idle_role, 1}, {"e", idle_role, 1}, {0},
};
static const char *const ab[] = {"a", "b", NULL};
static const ic_key nine_keys[] = {
	{"k1", ab, "", NULL, NULL}, {"k2", ab, "", NULL, NULL}, {"k3", ab, "", NULL, NULL}, {"k4", ab, "", NULL, NULL}, {"k5", ab, "", NULL, NULL},
	{"k6", ab, "", NULL, NULL}, {"k7", ab, "", NULL, NULL}, {"k8", ab, "", NULL, NULL}, {"k9", ab, "", NULL, NULL}, {0},
};

/* keys == NULL: the parser treats it as "no keys" everywhere else. */
static const ic_scenario keyless = {.name = "keyless", .roles = one_role, .default_ops = 10};
static const ic_scenario too_many_keys = {.name = "ninekeys", .keys = nine_keys, .roles = one_role,
					  .default_ops = 10};
static const ic_scenario too_many_roles = {.name = "fiveroles", .roles = five_roles,
					   .default_ops = 10};
static const ic_scenario *const extra[] = {&keyless, &too_many_keys, &too_many_roles, NULL};

static void test_extra_scenario_found(void **state)
{
	fixture *x = *state;
	char spec[256];
	x->o->extra = extra;
	parse_ok(x, "keyless");
	assert_ptr_equal(x->o->runs[0].sc, &keyless);
	ic_spec_text(&x->o->runs[0], spec, sizeof(spec));
	assert_string_equal(spec, "keyless");
	expect_error(x, "nosuch", "shm_counter", "keyless", NULL);
}

static void test_keyless_scenario_rejects_variant(void **state)
{
	fixture *x = *state;
	x->o->extra = extra;
	expect_error(x, "keyless:lock=none", "'lock'", "keyless", "none", NULL);
}

/* The limit must be checked before variant[] is filled, not after. */
static void test_too_many_keys_refused_cleanly(void **state)
{
	fixture *x = *state;
	x->o->extra = extra;
	expect_error(x, "ninekeys", "ninekeys", "8", NULL);
	/* These follow variant[] in ic_run_cfg: a refused spec must not have written them. */
	assert_int_equal(x->o->runs[0].nroles, 0);
	assert_int_equal(x->o->runs[0].counts[0], 0);
}

/* counts[] holds IC_MAX_ROLES roles: a fifth must be refused, not written past it. */
static void test_too_many_roles_refused(void **state)
{
	fixture *x = *state;
	x->o->extra = extra;
	expect_error(x, "fiveroles", "fiveroles", NULL);
}

/* ---- Replay lines ---- */

/* What campaign.c does per seed: the cfg carries the seed it ran with. */
static ic_run_cfg *first_run(ic_opts *o)
{
	o->runs[0].seed = o->seed;
	return &o->runs[0];
}

static void assert_same_run(const ic_run_cfg *a, const ic_run_cfg *b)
{
	char fa[256], fb[256];
	assert_ptr_equal(a->sc, b->sc);
	for (unsigned k = 0; a->sc->keys[k].name; k++)
		assert_string_equal(a->variant[k], b->variant[k]);
	assert_int_equal(a->nroles, b->nroles);
	for (unsigned r = 0; r < a->nroles; r++)
		assert_int_equal(a->counts[r], b->counts[r]);
	assert_int_equal(a->nprocs, b->nprocs);
	assert_int_equal(a->ops, b->ops);
	assert_true(a->seed == b->seed);
	assert_true(a->timeout_s == b->timeout_s);
	assert_int_equal(a->ninj, b->ninj);
	for (unsigned i = 0; i < a->ninj; i++) {
		ic_inj_format(&a->inj[i], fa, sizeof(fa));
		ic_inj_format(&b->inj[i], fb, sizeof(fb));
		assert_string_equal(fa, fb);
	}
}

static void round_trip(fixture *x, const char *text)
{
	char line[1024], again[1024];
	cmd c;
	parse_ok(x, text);
	ic_run_cfg *a = first_run(x->o);
	ic_spec_replay_line(a, line, sizeof(line));

	ic_opts *o2 = calloc(1, sizeof(*o2));
	assert_non_null(o2);
	split(&c, line);
	assert_true(c.argc > 2);
	assert_string_equal(c.argv[0], "ipchaos");
	assert_string_equal(c.argv[1], "run");
	if (ic_cli_parse_run(o2, c.argc - 2, c.argv + 2, x->err, sizeof(x->err)) != 0) {
		free(o2);
		fail_msg("replay line '%s' refused: %s", line, x->err);
	}
	ic_run_cfg *b = first_run(o2);
	assert_same_run(a, b);
	/* And the replay of the replay is the same line. */
	ic_spec_replay_line(b, again, sizeof(again));
	free(o2);
	assert_string_equal(line, again);
}

static void test_replay_round_trip(void **state)
{
	fixture *x = *state;
	round_trip(x, "shm_counter");
	round_trip(x, "--seed 18446744073709551615 shm_counter:lock=none");
	round_trip(x, "--inject delay:p=0.5,max=7 --inject kill:at=counter/locked --seed 0x2a "
		      "--procs 3 --ops 10 --timeout 0.5 shm_counter:lock=mutex,bug=leak");
	round_trip(x, "--inject nolock:p=0.25,at=counter --inject delay --inject kill:p=0.01 "
		      "--procs 5 shm_counter:bug=forget_unlock");
	/* Counts exact to 2^64-1, and the shortest watchdog, print and parse back. */
	round_trip(x, "--inject kill:hit=18446744073709551615 --inject stall:hit=7,max=3 --timeout 0.001 "
		      "--seed 0 shm_counter");
	round_trip(x, "--inject fail:nth=3,at=call/mq_* --timeout 1m mq");
}

static void test_replay_line_text(void **state)
{
	fixture *x = *state;
	char line[1024];
	parse_ok(x, "--inject delay:p=0.5,max=7 --seed 42 --procs 3 --ops 10 shm_counter:lock=sem");
	ic_spec_replay_line(first_run(x->o), line, sizeof(line));
	static const char want[] = "ipchaos run shm_counter:lock=sem,bug=none --inject delay:p=0.5,max=7 "
				   "--seed 0x2a --procs 3 --ops 10 --made-by ";
	assert_memory_equal(line, want, sizeof(want) - 1);
	/* The version that printed it, so that another version can warn. */
	assert_true(strlen(line) > sizeof(want) - 1);
	assert_null(strchr(line + sizeof(want) - 1, ' '));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_variant),
		T(test_seed_forms),
		T(test_counts_and_flags),
		T(test_injectors),
		T(test_json_path_checked_not_created),
		T(test_bad_scenario),
		T(test_bad_injector),
		T(test_bad_names),
		T(test_bad_seed),
		T(test_bad_counts),
		T(test_durations_and_decimals),
		T(test_empty_items_refused),
		T(test_injector_never_acts),
		T(test_timeout_factor),
		T(test_bad_json),
		T(test_bad_option),
		T(test_all_or_scenario),
		T(test_extra_scenario_found),
		T(test_keyless_scenario_rejects_variant),
		T(test_too_many_keys_refused_cleanly),
		T(test_too_many_roles_refused),
		T(test_replay_round_trip),
		T(test_replay_line_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
