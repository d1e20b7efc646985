/*
 * test_parse.c: the one parser every command reads numbers, seeds,
 * durations, sizes and lists with (core/parse.c). Table-driven: each row is
 * an input and what it must give, or that it must be refused with one line
 * naming the value and the valid range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/valgrind.h>

#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define BAD 0, false
#define OK(v) (v), true

/* A refusal: one line, naming the value (as typed, or quoted) and holding `range`. */
static void assert_refusal(const char *err, const char *label, const char *in, const char *range)
{
	char named[256];
	if (strchr(err, '\n'))
		fail_msg("'%s': the error is more than one line: '%s'", in, err);
	bool quoted = !in[0] || strchr(in, ' ');
	size_t n = strlen(label);
	snprintf(named, sizeof(named), "%s%s%s%s%s:", label, n && label[n - 1] != '=' ? " " : "",
		 quoted ? "'" : "", in, quoted ? "'" : "");
	if (strncmp(err, named, strlen(named)) != 0)
		fail_msg("'%s': the error does not start with '%s': '%s'", in, named, err);
	assert_contains(err, range);
}

/* ---- Whole numbers ---- */

typedef struct u64_case {
	const char *in;
	uint64_t min, max;
	uint64_t want;
	bool ok;
} u64_case;

static const u64_case u64_cases[] = {
	{"0", 0, 10, OK(0)},
	{"7", 0, 10, OK(7)},
	{"010", 0, 100, OK(10)}, /* decimal means decimal: not octal 8 */
	{"08", 0, 100, OK(8)},   /* a leading zero is fine */
	{"0000000000000000000000001", 0, 10, OK(1)},
	{"18446744073709551615", 0, UINT64_MAX, OK(UINT64_MAX)},
	{"18446744073709551616", 0, UINT64_MAX, BAD}, /* 2^64: caught digit by digit */
	{"99999999999999999999", 0, UINT64_MAX, BAD},
	{"184467440737095516150", 0, UINT64_MAX, BAD},
	/* at and past each bound */
	{"1", 1, 64, OK(1)},
	{"0", 1, 64, BAD},
	{"64", 1, 64, OK(64)},
	{"65", 1, 64, BAD},
	{"10000000", 1, 10000000, OK(10000000)},
	{"10000001", 1, 10000000, BAD},
	/* not decimal digits alone */
	{"", 0, 10, BAD},
	{" 1", 0, 10, BAD},
	{"1 ", 0, 10, BAD},
	{"+1", 0, 10, BAD},
	{"-1", 0, 10, BAD},
	{"-0", 0, 10, BAD},
	{" -1", 0, UINT64_MAX, BAD}, /* strtoull made this 2^64-1 */
	{"0x10", 0, 100, BAD},
	{"0x", 0, 100, BAD},
	{"1e3", 0, 10000, BAD},
	{"1.", 0, 10, BAD},
	{".5", 0, 10, BAD},
	{"1.0", 0, 10, BAD},
	{"inf", 0, 10, BAD},
	{"nan", 0, 10, BAD},
	{"5ms", 0, 10, BAD},
	{"12junk", 0, 100, BAD},
	{"1\n", 0, 10, BAD},
};

static void test_u64(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(u64_cases); i++) {
		const u64_case *c = &u64_cases[i];
		char err[256] = "", range[96];
		uint64_t v = 12345;
		int rc = ic_parse_u64("--count", c->in, c->min, c->max, &v, err, sizeof(err));
		if (c->ok) {
			if (rc != 0)
				fail_msg("'%s' in [%llu, %llu] refused: %s", c->in, (unsigned long long)c->min,
					 (unsigned long long)c->max, err);
			if (v != c->want)
				fail_msg("'%s' read as %llu, not %llu", c->in, (unsigned long long)v,
					 (unsigned long long)c->want);
			continue;
		}
		if (rc != -1)
			fail_msg("'%s' in [%llu, %llu] accepted as %llu", c->in, (unsigned long long)c->min,
				 (unsigned long long)c->max, (unsigned long long)v);
		if (v != 12345)
			fail_msg("'%s' refused but wrote %llu", c->in, (unsigned long long)v);
		if (strchr(c->in, '\n'))
			continue; /* echoing it is a control-byte matter, not the parser's */
		snprintf(range, sizeof(range), "from %llu to %llu", (unsigned long long)c->min,
			 (unsigned long long)c->max);
		assert_refusal(err, "--count", c->in, range);
	}
}

/* A label ending in '=' takes the value without a space: "kill:hit=abc: ...". */
static void test_label_forms(void **state)
{
	(void)state;
	char err[256];
	uint64_t v;
	assert_int_equal(ic_parse_u64("kill:hit=", "abc", 1, 5, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "kill:hit=abc: expected a whole number from 1 to 5");
	assert_int_equal(ic_parse_u64("--ops", "", 1, 5, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "--ops '': expected a whole number from 1 to 5");
	assert_int_equal(ic_parse_u64("", "x", 1, 5, &v, err, sizeof(err)), -1);
	assert_string_equal(err, "x: expected a whole number from 1 to 5");
	/* No message wanted: NULL is fine. */
	assert_int_equal(ic_parse_u64("--ops", "x", 1, 5, &v, NULL, 0), -1);
	/* A short buffer truncates, terminated. */
	char tiny[8];
	assert_int_equal(ic_parse_u64("--ops", "123456789", 1, 5, &v, tiny, sizeof(tiny)), -1);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* ---- Seeds ---- */

typedef struct seed_case {
	const char *in;
	uint64_t want;
	bool ok;
} seed_case;

static const seed_case seed_cases[] = {
	{"0", OK(0)},
	{"1", OK(1)},
	{"010", OK(10)},
	{"08", OK(8)},
	{"18446744073709551615", OK(UINT64_MAX)},
	{"0x0", OK(0)},
	{"0x2a", OK(42)},
	{"0X2A", OK(42)},
	{"0xffffffffffffffff", OK(UINT64_MAX)},
	{"0x0000000000000000001", OK(1)}, /* leading zeros are fine in hex too */
	{"0x10000000000000000", BAD},     /* 2^64 */
	{"18446744073709551616", BAD},
	{"0x", BAD},
	{"0xg", BAD},
	{"0x-1", BAD},
	{"0x 1", BAD},
	{"0x1 ", BAD},
	{"x10", BAD},
	{"", BAD},
	{"-1", BAD},
	{" -1", BAD},
	{"+5", BAD},
	{" 5", BAD},
	{"1e3", BAD},
	{"1.5", BAD},
	{"random", BAD}, /* the command's own word, not the parser's */
};

static void test_seed(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(seed_cases); i++) {
		const seed_case *c = &seed_cases[i];
		char err[256] = "";
		uint64_t v = 12345;
		int rc = ic_parse_seed("--seed", c->in, &v, err, sizeof(err));
		if (c->ok) {
			if (rc != 0)
				fail_msg("seed '%s' refused: %s", c->in, err);
			if (v != c->want)
				fail_msg("seed '%s' read as %llu, not %llu", c->in, (unsigned long long)v,
					 (unsigned long long)c->want);
			continue;
		}
		if (rc != -1)
			fail_msg("seed '%s' accepted as %llu", c->in, (unsigned long long)v);
		assert_refusal(err, "--seed", c->in, "0xffffffffffffffff");
		assert_contains(err, "18446744073709551615");
	}
}

/* ---- Decimal reals ---- */

typedef struct real_case {
	const char *in;
	double min, max;
	double want;
	bool ok;
} real_case;

static const real_case real_cases[] = {
	{"0", 0, 1, OK(0)},
	{"1", 0, 1, OK(1)},
	{"0.5", 0, 1, OK(0.5)},
	{"0.05", 0, 1, OK(0.05)},
	{"1.0", 0, 1, OK(1)},
	{"00.25", 0, 1, OK(0.25)},
	{"0.01", 0.01, 1000, OK(0.01)}, /* IPCHAOS_TIMEOUT_FACTOR's bounds */
	{"1000", 0.01, 1000, OK(1000)},
	{"0.009", 0.01, 1000, BAD},
	{"1000.5", 0.01, 1000, BAD},
	{"1.5", 0, 1, BAD},
	{"1.0000000001", 0, 1, BAD},
	{"1.", 0, 10, BAD},
	{".5", 0, 10, BAD},
	{"1e3", 0, 10000, BAD},
	{"1E3", 0, 10000, BAD},
	{"1e300", 0.01, 1000, BAD},
	{"inf", 0, 1e308, BAD},
	{"infinity", 0, 1e308, BAD},
	{"nan", 0, 1e308, BAD},
	{"0x1p3", 0, 100, BAD},
	{"-0", 0, 1, BAD},
	{"-0.5", -1, 1, BAD},
	{"+0.5", 0, 1, BAD},
	{" 0.5", 0, 1, BAD},
	{"0.5 ", 0, 1, BAD},
	{"0,5", 0, 1, BAD},
	{"", 0, 1, BAD},
	{"abc", 0, 1, BAD},
	{"1" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	 "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	 "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	 "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
	 0, 1000, BAD}, /* 10^390: past every double */
};

static void test_real(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(real_cases); i++) {
		const real_case *c = &real_cases[i];
		char err[1024] = "", range[96];
		double v = 12345;
		int rc = ic_parse_real("p=", c->in, c->min, c->max, &v, err, sizeof(err));
		if (c->ok) {
			if (rc != 0)
				fail_msg("'%s' in [%g, %g] refused: %s", c->in, c->min, c->max, err);
			if (v != c->want)
				fail_msg("'%s' read as %.17g, not %.17g", c->in, v, c->want);
			continue;
		}
		if (rc != -1)
			fail_msg("'%s' in [%g, %g] accepted as %.17g", c->in, c->min, c->max, v);
		if (v != 12345)
			fail_msg("'%s' refused but wrote %g", c->in, v);
		snprintf(range, sizeof(range), "from %g to %g", c->min, c->max);
		assert_refusal(err, "p=", c->in, range);
	}
}

/* ---- Durations ---- */

static const real_case duration_cases[] = {
	{"5", 0, 86400, OK(5)},
	{"5s", 0, 86400, OK(5)},
	{"0.5s", 0, 86400, OK(0.5)},
	{"5ms", 0, 86400, OK(0.005)},
	{"500ms", 0, 86400, OK(0.5)},
	{"5m", 0, 86400, OK(300)},
	{"1h", 0, 86400, OK(3600)},
	{"24h", 0, 86400, OK(86400)},
	{"1440m", 0, 86400, OK(86400)},
	{"86400", 0, 86400, OK(86400)},
	{"0", 0, 86400, OK(0)},
	/* at and past each bound */
	{"1ms", 0.001, 86400, OK(0.001)},
	{"0.001", 0.001, 86400, OK(0.001)},
	{"0.5ms", 0.001, 86400, BAD},
	{"0", 0.001, 86400, BAD},
	{"1441m", 0, 86400, BAD},
	{"86400.1", 0, 86400, BAD},
	{"25h", 0, 86400, BAD},
	/* not a number and one unit */
	{"5 s", 0, 86400, BAD},
	{" 5s", 0, 86400, BAD},
	{"5s ", 0, 86400, BAD},
	{"5S", 0, 86400, BAD},
	{"5us", 0, 86400, BAD},
	{"5sec", 0, 86400, BAD},
	{"5ms5", 0, 86400, BAD},
	{"s", 0, 86400, BAD},
	{"ms", 0, 86400, BAD},
	{"", 0, 86400, BAD},
	{"-1s", 0, 86400, BAD},
	{"+1s", 0, 86400, BAD},
	{"1e3", 0, 86400, BAD},
	{"1e3ms", 0, 86400, BAD},
	{".5s", 0, 86400, BAD},
	{"1.s", 0, 86400, BAD},
	{"inf", 0, 86400, BAD},
	{"nan", 0, 86400, BAD},
	{"0x10", 0, 86400, BAD},
};

static void test_duration(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(duration_cases); i++) {
		const real_case *c = &duration_cases[i];
		char err[256] = "", range[96];
		double v = 12345;
		int rc = ic_parse_duration("--timeout", c->in, c->min, c->max, &v, err, sizeof(err));
		if (c->ok) {
			if (rc != 0)
				fail_msg("duration '%s' refused: %s", c->in, err);
			if (v != c->want)
				fail_msg("duration '%s' read as %.17g, not %.17g", c->in, v, c->want);
			continue;
		}
		if (rc != -1)
			fail_msg("duration '%s' in [%g, %g] accepted as %.17g", c->in, c->min, c->max, v);
		if (v != 12345)
			fail_msg("duration '%s' refused but wrote %g", c->in, v);
		snprintf(range, sizeof(range), "from %g to %g seconds", c->min, c->max);
		assert_refusal(err, "--timeout", c->in, range);
		assert_contains(err, "ms, s, m or h");
	}
}

/* ---- Duration ranges: a bare lower bound takes the upper one's unit, whichever ---- */

static void test_duration_range(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool ok;
		double lo, hi;
	} cases[] = {
		{"1..2m", true, 60, 120},
		{"1..500ms", true, 0.001, 0.5},
		{"200..500ms", true, 0.2, 0.5},
		{"0.2..2s", true, 0.2, 2},
		{"1..2", true, 1, 2},
		{"1s..2m", true, 1, 120},
		{"500ms..1", true, 0.5, 1},
		{"3", true, 3, 3},
		{"2m", true, 120, 120},
		{"2..1s", false, 0, 0},
		{"1..2x", false, 0, 0},
		{"..2s", false, 0, 0},
		{"1..", false, 0, 0},
		{"1..2..3", false, 0, 0},
		{"1x..2s", false, 0, 0},
		{"", false, 0, 0},
		{"1..8d", false, 0, 0},
	};
	for (size_t i = 0; i < N(cases); i++) {
		char err[256] = "";
		double lo = -1, hi = -1;
		int rc = ic_parse_duration_range("--kill-after", cases[i].in, 0, 86400, &lo, &hi, err, sizeof(err));
		if (cases[i].ok && (rc != 0 || lo != cases[i].lo || hi != cases[i].hi))
			fail_msg("'%s': rc %d, %g..%g (want %g..%g): %s", cases[i].in, rc, lo, hi, cases[i].lo, cases[i].hi,
				 err);
		if (!cases[i].ok && rc != -1)
			fail_msg("'%s' accepted as %g..%g", cases[i].in, lo, hi);
		if (!cases[i].ok)
			assert_refusal(err, "--kill-after", cases[i].in, "a bare A takes B's unit");
	}
}

/* ---- Sizes ---- */

static const u64_case size_cases[] = {
	{"64", 8, 64u << 20, OK(64)},
	{"064", 8, 64u << 20, OK(64)},
	{"1K", 8, 64u << 20, OK(1024)},
	{"1k", 8, 64u << 20, OK(1024)},
	{"8K", 8, 64u << 20, OK(8192)},
	{"1M", 8, 64u << 20, OK(1u << 20)},
	{"64M", 8, 64u << 20, OK(64u << 20)},
	{"65536K", 8, 64u << 20, OK(64u << 20)},
	{"8", 8, 64u << 20, OK(8)},
	{"7", 8, 64u << 20, BAD},
	{"0", 8, 64u << 20, BAD},
	{"65M", 8, 64u << 20, BAD},
	{"67108865", 8, 64u << 20, BAD},
	{"18014398509481983K", 0, UINT64_MAX, OK(UINT64_MAX - 1023)},
	{"18014398509481984K", 0, UINT64_MAX, BAD}, /* 2^64: the shift must not wrap */
	{"17592186044416M", 0, UINT64_MAX, BAD},
	{"18446744073709551616", 0, UINT64_MAX, BAD},
	{"", 8, 64u << 20, BAD},
	{"K", 8, 64u << 20, BAD},
	{"1G", 8, 64u << 20, BAD},
	{"1KB", 8, 64u << 20, BAD},
	{"1 K", 8, 64u << 20, BAD},
	{" 64", 8, 64u << 20, BAD},
	{"+64", 8, 64u << 20, BAD},
	{"-64", 8, 64u << 20, BAD},
	{"0x40", 8, 64u << 20, BAD},
	{"1e3", 8, 64u << 20, BAD},
	{"1.5K", 8, 64u << 20, BAD},
};

static void test_size(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(size_cases); i++) {
		const u64_case *c = &size_cases[i];
		char err[256] = "", range[96];
		uint64_t v = 12345;
		int rc = ic_parse_size("--sizes", c->in, c->min, c->max, &v, err, sizeof(err));
		if (c->ok) {
			if (rc != 0)
				fail_msg("size '%s' refused: %s", c->in, err);
			if (v != c->want)
				fail_msg("size '%s' read as %llu, not %llu", c->in, (unsigned long long)v,
					 (unsigned long long)c->want);
			continue;
		}
		if (rc != -1)
			fail_msg("size '%s' accepted as %llu", c->in, (unsigned long long)v);
		snprintf(range, sizeof(range), "from %llu to %llu bytes", (unsigned long long)c->min,
			 (unsigned long long)c->max);
		assert_refusal(err, "--sizes", c->in, range);
	}
}

/* ---- Lists ---- */

typedef struct list_case {
	const char *in;
	unsigned n; /* items; 0: refused */
	const char *why;
} list_case;

static const list_case list_cases[] = {
	{"a", 1, NULL},
	{"a,b", 2, NULL},
	{"lock=mutex,bug=none", 2, NULL},
	{"64,1K,1M", 3, NULL},
	{"a b", 1, NULL}, /* a list splits; what an item may hold is its reader's business */
	{"", 0, "an empty list"},
	{",", 0, "an empty item"},
	{",a", 0, "an empty item"},
	{"a,", 0, "an empty item"},
	{"a,,b", 0, "an empty item"},
	{",,", 0, "an empty item"},
	{"64,,64", 0, "an empty item"},
};

static void test_list(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(list_cases); i++) {
		const list_case *c = &list_cases[i];
		char err[256] = "", shown[64];
		ic_list l;
		int rc = ic_parse_list(&l, "--sizes", c->in, c->in, ',', err, sizeof(err));
		if (c->n) {
			if (rc != 0)
				fail_msg("list '%s' refused: %s", c->in, err);
			if (l.n != c->n)
				fail_msg("list '%s' has %u items, not %u", c->in, l.n, c->n);
			continue;
		}
		if (rc != -1)
			fail_msg("list '%s' accepted with %u items", c->in, l.n);
		assert_int_equal(l.n, 0);
		snprintf(shown, sizeof(shown), "--sizes '%s': ", c->in);
		if (strncmp(err, shown, strlen(shown)) != 0)
			fail_msg("list '%s': the error does not start with \"%s\": '%s'", c->in, shown, err);
		assert_contains(err, c->why);
		assert_contains(err, "separated by single ','");
		assert_null(strchr(err, '\n'));
	}
}

static void test_list_items_and_limits(void **state)
{
	(void)state;
	char err[256], in[2048];
	ic_list l;
	assert_int_equal(ic_parse_list(&l, "", "shm_counter:lock=none,bug=leak", "lock=none,bug=leak", ',', err,
				       sizeof(err)),
			 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.item[0], "lock=none");
	assert_string_equal(l.item[1], "bug=leak");
	/* The error names the whole input it came from. */
	assert_int_equal(ic_parse_list(&l, "scenario", "shm_counter:", "", ',', err, sizeof(err)), -1);
	assert_string_equal(err, "scenario 'shm_counter:': an empty list (expected items separated by single ',', "
				 "none empty)");
	assert_int_equal(ic_parse_list(&l, "", "2::1", "2::1", ':', err, sizeof(err)), -1);
	assert_contains(err, "single ':'");

	/* IC_LIST_MAX items, then one more. */
	size_t len = 0;
	for (unsigned i = 0; i < IC_LIST_MAX; i++)
		len += (size_t)snprintf(in + len, sizeof(in) - len, "%s%u", i ? "," : "", i);
	assert_int_equal(ic_parse_list(&l, "", in, in, ',', err, sizeof(err)), 0);
	assert_int_equal(l.n, IC_LIST_MAX);
	assert_string_equal(l.item[IC_LIST_MAX - 1], "63");
	snprintf(in + len, sizeof(in) - len, ",64");
	assert_int_equal(ic_parse_list(&l, "", in, in, ',', err, sizeof(err)), -1);
	assert_contains(err, "more than 64 items");

	/* As long as the buffer holds, then one more character. */
	memset(in, 'a', sizeof(l.buf) - 1);
	in[sizeof(l.buf) - 1] = '\0';
	assert_int_equal(ic_parse_list(&l, "", "long", in, ',', err, sizeof(err)), 0);
	assert_int_equal(strlen(l.item[0]), sizeof(l.buf) - 1);
	in[sizeof(l.buf) - 1] = 'a';
	in[sizeof(l.buf)] = '\0';
	assert_int_equal(ic_parse_list(&l, "", "long", in, ',', err, sizeof(err)), -1);
	assert_contains(err, "too long");
}

/* ---- IPCHAOS_TIMEOUT_FACTOR ---- */

typedef struct factor_case {
	const char *env; /* NULL: unset */
	double want;     /* < 0: refused */
} factor_case;

static const factor_case factor_cases[] = {
	{NULL, 1},     {"", 1},        {"1", 1},        {"2.5", 2.5},    {"0.01", 0.01},   {"1000", 1000},
	{"0", -1},     {"0.009", -1},  {"1000.5", -1},  {"1e300", -1},   {"1e10", -1},     {"inf", -1},
	{"nan", -1},   {"garbage", -1}, {" 2", -1},     {"2 ", -1},      {"-1", -1},       {"+2", -1},
	{".5", -1},    {"2.", -1},     {"0x10", -1},
};

static void test_timeout_factor(void **state)
{
	(void)state;
	/* Under memcheck (IPCHAOS_MEMCHECK) the factor is scaled for it. */
	double valgrind_factor = RUNNING_ON_VALGRIND ? IC_VALGRIND_SLOWDOWN : 1;
	for (size_t i = 0; i < N(factor_cases); i++) {
		const factor_case *c = &factor_cases[i];
		char err[256] = "";
		if (c->env)
			setenv("IPCHAOS_TIMEOUT_FACTOR", c->env, 1);
		else
			unsetenv("IPCHAOS_TIMEOUT_FACTOR");
		int rc = ic_timeout_factor_check(err, sizeof(err));
		if (c->want > 0) {
			if (rc != 0)
				fail_msg("IPCHAOS_TIMEOUT_FACTOR=%s refused: %s", c->env, err);
			if (ic_timeout_factor() != c->want * valgrind_factor)
				fail_msg("IPCHAOS_TIMEOUT_FACTOR=%s read as %g", c->env, ic_timeout_factor());
			continue;
		}
		if (rc != -1)
			fail_msg("IPCHAOS_TIMEOUT_FACTOR=%s accepted", c->env);
		assert_refusal(err, "IPCHAOS_TIMEOUT_FACTOR=", c->env, "from 0.01 to 1000");
		/* What a run would use if a command forgot to check: never the bad value. */
		assert_true(ic_timeout_factor() == valgrind_factor);
	}
	unsetenv("IPCHAOS_TIMEOUT_FACTOR");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_label_forms),
		cmocka_unit_test(test_seed),
		cmocka_unit_test(test_real),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_duration_range),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_list_items_and_limits),
		cmocka_unit_test(test_timeout_factor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
