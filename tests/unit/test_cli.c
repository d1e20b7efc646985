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
	assert_true(ic_inj_num(&r->inj[0], "max") == 7);
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
	expect_error(x, "--inject delay:p=1.5 shm_counter", "p=1.5", "[0,1]", NULL);
	expect_error(x, "--inject delay:p=-0.1 shm_counter", "p=-0.1", "[0,1]", NULL);
	expect_error(x, "--inject delay:p=abc shm_counter", "p=abc", "[0,1]", NULL);
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
	expect_error(x, "--timeout 0 shm_counter", "--timeout 0", "more than 0", NULL);
	expect_error(x, "--timeout nan shm_counter", "--timeout nan", NULL);
	expect_error(x, "--replays x shm_counter", "--replays x", NULL);
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
	expect_error(x, "--all shm_counter", "--all", NULL);
	expect_error(x, "", "--all", NULL);
	expect_error(x, "--seeds 3", "--all", NULL);
	expect_error(x, "--all --procs 3", "--procs", NULL);
	parse_ok(x, "--all");
	assert_true(x->o->all);
	assert_int_equal(x->o->nruns, 0);
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
