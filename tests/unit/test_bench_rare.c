/*
 * test_bench_rare.c: bench rare's model, the break-even rate between two
 * patterns' set-up and per-message costs, on numbers worked by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "unit.h"
#include "bench/bench.h"

/* An mqueue (10 ns to set up, 10 a message) against a segment (110, 5): equal at 20 a second. */
static void test_break_even_rate(void **state)
{
	(void)state;
	assert_float_equal(ic_bench_rare_break_even(10, 10, 110, 5, 1), 20, 1e-9);
	/* The same by symmetry: which one is x does not matter. */
	assert_float_equal(ic_bench_rare_break_even(110, 5, 10, 10, 1), 20, 1e-9);
	/* A channel that lives ten times longer amortises its set-up ten times: a tenth of the rate. */
	assert_float_equal(ic_bench_rare_break_even(10, 10, 110, 5, 10), 2, 1e-9);
}

/* No crossing: one costs no more to set up and no more per message. */
static void test_no_break_even(void **state)
{
	(void)state;
	assert_float_equal(ic_bench_rare_break_even(10, 5, 110, 10, 1), 0, 0);
	assert_float_equal(ic_bench_rare_break_even(110, 10, 10, 5, 1), 0, 0);
	/* Equal per message: the set-up decides at every rate. */
	assert_float_equal(ic_bench_rare_break_even(10, 7, 110, 7, 1), 0, 0);
	/* Equal set-up: the per-message cost decides at every rate. */
	assert_float_equal(ic_bench_rare_break_even(50, 7, 50, 9, 1), 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_break_even_rate),
		cmocka_unit_test(test_no_break_even),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
