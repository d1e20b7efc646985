/*
 * test_rng.c: the seeded generator and the plans drawn from it. A seed must
 * name one run on every machine, so outputs are pinned to known answers and
 * plans are compared byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "unit.h"
#include "internal.h"

#define SEQ 64

static void fill(uint64_t *out, uint64_t seed, uint64_t a, uint64_t b)
{
	ic_rng rng;
	ic_rng_stream(&rng, seed, a, b);
	for (int i = 0; i < SEQ; i++)
		out[i] = ic_rng_next(&rng);
}

/* Vigna's reference splitmix64 from state 0: pins the constants and shifts. */
static void test_splitmix64_known_answers(void **state)
{
	(void)state;
	uint64_t s = 0;
	assert_int_equal(ic_splitmix64(&s), 0xe220a8397b1dcdafull);
	assert_int_equal(ic_splitmix64(&s), 0x6e789e6aa1b965f4ull);
	assert_int_equal(s, 2 * 0x9e3779b97f4a7c15ull);
}

static void test_stream_same_coordinates_same_sequence(void **state)
{
	(void)state;
	uint64_t x[SEQ], y[SEQ];
	fill(x, 42, 1, 3);
	fill(y, 42, 1, 3);
	assert_memory_equal(x, y, sizeof(x));
}

/* Each coordinate must matter, or two processes (or a process and a plan) share a stream. */
static void test_stream_each_coordinate_matters(void **state)
{
	(void)state;
	uint64_t base[SEQ], other[SEQ];
	fill(base, 42, 1, 3);
	fill(other, 43, 1, 3);
	assert_memory_not_equal(base, other, sizeof(base));
	fill(other, 42, 2, 3);
	assert_memory_not_equal(base, other, sizeof(base));
	fill(other, 42, 1, 4);
	assert_memory_not_equal(base, other, sizeof(base));
	/* Swapped coordinates are a different stream too. */
	fill(other, 42, 3, 1);
	assert_memory_not_equal(base, other, sizeof(base));
}

static void test_below_in_range_and_covers(void **state)
{
	(void)state;
	ic_rng rng;
	ic_rng_stream(&rng, 7, 0, 0);
	for (uint64_t n = 1; n <= 9; n++) {
		unsigned seen[9] = {0};
		for (int i = 0; i < 2000; i++) {
			uint64_t v = ic_rng_below(&rng, n);
			assert_in_range(v, 0, n - 1);
			seen[v]++;
		}
		for (uint64_t v = 0; v < n; v++)
			assert_true(seen[v] > 0);
	}
}

/* A bound just over half the range: the rejection loop must still land inside it. */
static void test_below_large_bound(void **state)
{
	(void)state;
	ic_rng rng;
	ic_rng_stream(&rng, 7, 1, 0);
	uint64_t n = (UINT64_MAX / 2) + 2;
	for (int i = 0; i < 1000; i++)
		assert_true(ic_rng_below(&rng, n) < n);
}

static void test_unit_in_half_open_interval(void **state)
{
	(void)state;
	ic_rng rng;
	ic_rng_stream(&rng, 9, 0, 0);
	bool low = false, high = false;
	for (int i = 0; i < 10000; i++) {
		double u = ic_rng_unit(&rng);
		assert_true(u >= 0.0 && u < 1.0);
		low |= u < 0.5;
		high |= u >= 0.5;
	}
	/* Both halves: a constant output would also pass the range check. */
	assert_true(low && high);
}

/* ---- Plans ---- */

static const char *const labels[] = {"p0", "p1", NULL};
static const char *const points[] = {"counter/begin", "counter/locked", NULL};

static const ic_plan_env env = {
	.nprocs = 2,
	.labels = labels,
	.points = points,
	.lock_sites = NULL,
	.ops = 1000,
};

/* Parse spec and draw its plan exactly as the supervisor does for injector 0. */
static void draw(ic_inj_inst *inst, const char *spec, uint64_t seed)
{
	char err[256];
	ic_rng rng;
	if (ic_inj_parse(inst, spec, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	ic_rng_stream(&rng, seed, IC_STREAM_PLAN, 0);
	inst->inj->plan(inst, &env, &rng);
}

static void test_plan_same_seed_same_plan(void **state)
{
	(void)state;
	ic_inj_inst a, b;
	char da[256], db[256];
	draw(&a, "kill", 1234);
	draw(&b, "kill", 1234);
	assert_memory_equal(a.plan.bytes, b.plan.bytes, sizeof(a.plan.bytes));
	a.inj->describe(&a, &env, da, sizeof(da));
	b.inj->describe(&b, &env, db, sizeof(db));
	assert_string_equal(da, db);
}

/* The description names a victim and a point from the environment, not garbage. */
static void test_plan_describe_names_env(void **state)
{
	(void)state;
	ic_inj_inst a;
	char d[256];
	draw(&a, "kill", 99);
	a.inj->describe(&a, &env, d, sizeof(d));
	assert_true(strstr(d, "p0") || strstr(d, "p1"));
	assert_true(strstr(d, "counter/begin") || strstr(d, "counter/locked"));
}

static void test_plan_varies_with_seed(void **state)
{
	(void)state;
	ic_inj_inst first, other;
	char d[256];
	unsigned distinct = 0;
	bool victim[2] = {false, false};
	draw(&first, "kill", 0);
	for (uint64_t seed = 1; seed < 64; seed++) {
		draw(&other, "kill", seed);
		distinct += memcmp(first.plan.bytes, other.plan.bytes, sizeof(first.plan.bytes)) != 0;
		other.inj->describe(&other, &env, d, sizeof(d));
		victim[0] |= strstr(d, "SIGKILL p0 ") != NULL;
		victim[1] |= strstr(d, "SIGKILL p1 ") != NULL;
	}
	assert_true(distinct > 0);
	/* Over 64 seeds every process gets to be the victim. */
	assert_true(victim[0] && victim[1]);
}

/* at= fixes the point; the victim and hit still come from the seed. */
static void test_plan_honours_at(void **state)
{
	(void)state;
	ic_inj_inst a;
	char d[256];
	for (uint64_t seed = 0; seed < 16; seed++) {
		draw(&a, "kill:at=counter/locked", seed);
		a.inj->describe(&a, &env, d, sizeof(d));
		assert_non_null(strstr(d, "of counter/locked"));
		assert_null(strstr(d, "counter/begin"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitmix64_known_answers),
		cmocka_unit_test(test_stream_same_coordinates_same_sequence),
		cmocka_unit_test(test_stream_each_coordinate_matters),
		cmocka_unit_test(test_below_in_range_and_covers),
		cmocka_unit_test(test_below_large_bound),
		cmocka_unit_test(test_unit_in_half_open_interval),
		cmocka_unit_test(test_plan_same_seed_same_plan),
		cmocka_unit_test(test_plan_describe_names_env),
		cmocka_unit_test(test_plan_varies_with_seed),
		cmocka_unit_test(test_plan_honours_at),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
