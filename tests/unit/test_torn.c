/*
 * test_torn.c: the torn checker on synthetic logs. A writer logs the record
 * it begins to write, a reader what it accepted: an accepted content no
 * write carries is torn; one written whole is not, however stale; one whose
 * write began only after the read ended cannot have been seen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>

#include "unit.h"

#define MAXEV 64

typedef struct fixture {
	ic_facts facts;
	ic_finding out;
	ic_event ev[2][MAXEV];
	ic_event obs[4];
	uint64_t clock; /* log time, ticking with every event */
} fixture;

/* w0 writes, r0 reads; the supervisor wrote record 0's first version in setup. */
static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	ic_facts *f = &x->facts;
	f->nprocs = 2;
	for (unsigned i = 0; i < f->nprocs; i++)
		test_proc_facts(f, i, x->ev[i], "%s", i ? "r0" : "w0");
	f->observer = x->obs;
	x->obs[0] = (ic_event){.t_ns = 1, .kind = IC_EV_INVOKE, .op = IC_OP_REC_WRITE, .a = 0, .b = 0xa0};
	x->obs[1] = (ic_event){.t_ns = 2, .kind = IC_EV_OK, .op = IC_OP_REC_WRITE, .a = 0, .b = 0xa0};
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

static uint64_t key(unsigned rec, uint64_t version)
{
	return (uint64_t)rec << 48 | version;
}

static void write_whole(fixture *x, unsigned rec, uint64_t version, uint64_t digest)
{
	add(x, 0, IC_EV_INVOKE, IC_OP_REC_WRITE, key(rec, version), digest);
	add(x, 0, IC_EV_OK, IC_OP_REC_WRITE, key(rec, version), digest);
}

static void read_seen(fixture *x, unsigned rec, uint64_t version, uint64_t digest)
{
	add(x, 1, IC_EV_INFO, IC_OP_REC_READ, key(rec, version), digest);
}

static bool check(fixture *x)
{
	const ic_checker *c = ic_checker_find("torn");
	assert_non_null(c);
	x->out.text[0] = '\0';
	return c->check(&x->facts, &x->out);
}

static void test_silent_on_whole_reads(void **state)
{
	fixture *x = *state;
	read_seen(x, 0, 0, 0xa0); /* setup's version */
	write_whole(x, 0, 1, 0xa1);
	read_seen(x, 0, 1, 0xa1);
	read_seen(x, 0, 0, 0xa0); /* stale, but whole: not torn */
	assert_false(check(x));
}

static void test_catches_mixed_content(void **state)
{
	fixture *x = *state;
	write_whole(x, 0, 1, 0xa1);
	read_seen(x, 0, 1, 0xbad);
	assert_true(check(x));
	assert_contains(x->out.text, "r0 accepted record 0 version 1");
	assert_contains(x->out.text, "w0 wrote 00000000000000a1");
	assert_contains(x->out.text, "1 torn of 1 records read");
}

static void test_catches_version_no_write_made(void **state)
{
	fixture *x = *state;
	read_seen(x, 3, 7, 0xa1); /* a version field torn from its fields */
	assert_true(check(x));
	assert_contains(x->out.text, "no write of that version began before");
}

static void test_catches_read_before_write_began(void **state)
{
	fixture *x = *state;
	read_seen(x, 0, 1, 0xa1); /* logged as accepted before the write was even invoked */
	write_whole(x, 0, 1, 0xa1);
	assert_true(check(x));
}

static void test_killed_writer_seen_whole_is_no_finding(void **state)
{
	fixture *x = *state;
	add(x, 0, IC_EV_INVOKE, IC_OP_REC_WRITE, key(0, 1), 0xa1); /* died before its ok */
	x->facts.procs[0].exited = false;
	read_seen(x, 0, 1, 0xa1);
	assert_false(check(x));
}

static void test_same_torn_content_shown_once(void **state)
{
	fixture *x = *state;
	write_whole(x, 0, 1, 0xa1);
	for (int i = 0; i < 5; i++)
		read_seen(x, 0, 1, 0xbad);
	assert_true(check(x));
	const char *first = strstr(x->out.text, "accepted record");
	assert_non_null(first);
	assert_null(strstr(first + 1, "accepted record"));
	assert_contains(x->out.text, "5 torn of 5 records read");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_silent_on_whole_reads),
		T(test_catches_mixed_content),
		T(test_catches_version_no_write_made),
		T(test_catches_read_before_write_began),
		T(test_killed_writer_seen_whole_is_no_finding),
		T(test_same_torn_content_shown_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
