/*
 * test_fail.c: the fail injector at wrapped system calls. It may return only
 * an errno the call can really return, or shorten a stream transfer, and
 * never fails the same matching call twice in a row: code that retries
 * correctly always gets through, so whatever breaks is the code's bug.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "unit.h"
#include "role/ctx.h"

#define CALLS 40

static const int mq_errors[] = {EINTR, ETIMEDOUT};

typedef struct fixture {
	char runid[17];
	ic_arena_handle h;
	ic_run_cfg cfg;
	ic_ctx ctx; /* slot 0, armed by arm() */
	int fds[2]; /* a non-blocking pipe: read end, write end */
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (test_arena_open(&f->h, f->runid, 2, 8) != 0) {
		free(f);
		return -1;
	}
	if (pipe2(f->fds, O_NONBLOCK) != 0) {
		ic_arena_destroy(&f->h, false);
		free(f);
		return -1;
	}
	f->cfg.sc = ic_builtin_scenarios[0];
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	close(f->fds[0]);
	close(f->fds[1]);
	ic_arena_destroy(&f->h, false);
	free(f);
	return 0;
}

/* The run holds this one injector (index 0); the ctx is bound to slot 0. */
static void arm(fixture *f, const char *spec, uint64_t seed)
{
	char err[256];
	if (ic_inj_parse(&f->cfg.inj[0], spec, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", spec, err);
	f->cfg.inj[0].index = 0;
	f->cfg.ninj = 1;
	f->cfg.seed = seed;
	f->h.arena->slots[0].nfires = 0;
	ic_ctx_init(&f->ctx, &f->cfg, f->h.arena, 0, 0, 0);
	assert_true(f->ctx.head.armed);
}

/* One call through the injector's hook, as call_fault() makes it. */
static int hook(fixture *f, const char *name, size_t *len)
{
	const ic_inj_inst *inst = &f->cfg.inj[0];
	ic_call call = {.name = name, .errors = mq_errors, .nerrors = 2, .len = len};
	assert_non_null(inst->inj->call);
	return inst->inj->call(inst, &f->ctx, &call);
}

static const ic_fire *fire_at(fixture *f, const char *point)
{
	const ic_slot *s = &f->h.arena->slots[0];
	for (uint32_t i = 0; i < s->nfires; i++)
		if (strcmp(s->fires[i].point, point) == 0)
			return &s->fires[i];
	return NULL;
}

static uint32_t fired(fixture *f, const char *point)
{
	const ic_fire *fi = fire_at(f, point);
	return fi ? fi->count : 0;
}

static void test_registered(void **state)
{
	(void)state;
	const ic_injector *inj = ic_injector_find("fail");
	assert_non_null(inj);
	assert_non_null(inj->call);
}

/* p=1: fail, pass, fail, pass...: never twice in a row, with an errno from the list. */
static void test_p1_alternates(void **state)
{
	fixture *f = *state;
	bool seen_eintr = false, seen_etimedout = false;
	arm(f, "fail:p=1", 1);
	for (int i = 0; i < CALLS; i++) {
		int e = hook(f, "call/mq_send", NULL);
		if (i % 2) {
			assert_int_equal(e, 0);
			continue;
		}
		if (e != EINTR && e != ETIMEDOUT)
			fail_msg("call %d failed with %d, not an errno mq_send returns", i, e);
		seen_eintr |= e == EINTR;
		seen_etimedout |= e == ETIMEDOUT;
	}
	/* The seed picks among the call's errors, not always the first. */
	assert_true(seen_eintr && seen_etimedout);
	const ic_fire *fi = fire_at(f, "call/mq_send");
	assert_non_null(fi);
	assert_int_equal(fi->inj, 0);
	assert_int_equal(fi->count, CALLS / 2);
	assert_int_equal(f->h.arena->slots[0].nfires, 1);
}

/* A loop that retries the transient errors completes every operation. */
static void test_p1_retry_gets_through(void **state)
{
	fixture *f = *state;
	arm(f, "fail:p=1", 7);
	for (int op = 0; op < CALLS; op++) {
		int tries = 0, e;
		do
			e = hook(f, "call/mq_send", NULL);
		while (e && ++tries < 2);
		assert_int_equal(e, 0);
	}
}

static void test_nth_fails_only_that_call(void **state)
{
	fixture *f = *state;
	arm(f, "fail:nth=3", 1);
	for (int i = 1; i <= CALLS; i++) {
		int e = hook(f, "call/mq_send", NULL);
		if (i == 3)
			assert_true(e == EINTR || e == ETIMEDOUT);
		else
			assert_int_equal(e, 0);
	}
	assert_int_equal(fired(f, "call/mq_send"), 1);
}

/* short=1: every firing on a stream call is a short transfer, not an error. */
static void test_short_shortens(void **state)
{
	fixture *f = *state;
	arm(f, "fail:p=1,short=1", 3);
	for (int i = 0; i < CALLS; i++) {
		size_t len = 8;
		assert_int_equal(hook(f, "call/write", &len), 0);
		if (i % 2 == 0) {
			assert_in_range(len, 1, 7);
		} else {
			assert_int_equal(len, 8); /* the retry of the rest goes through whole */
		}
	}
	assert_int_equal(fired(f, "call/write"), CALLS / 2);
}

/* One byte cannot be shortened: a firing is an error instead. */
static void test_short_one_byte_fails(void **state)
{
	fixture *f = *state;
	size_t len = 1;
	arm(f, "fail:p=1,short=1", 3);
	int e = hook(f, "call/write", &len);
	assert_true(e == EINTR || e == ETIMEDOUT);
	assert_int_equal(len, 1);
}

static void test_at_selects_calls(void **state)
{
	fixture *f = *state;
	arm(f, "fail:at=call/mq_*,p=1", 1);
	for (int i = 0; i < CALLS; i++) {
		size_t len = 8;
		assert_int_equal(hook(f, "call/write", &len), 0);
		assert_int_equal(len, 8);
	}
	assert_int_equal(f->h.arena->slots[0].nfires, 0);
	assert_int_not_equal(hook(f, "call/mq_receive", NULL), 0);
	assert_int_equal(fired(f, "call/mq_receive"), 1);
	assert_int_equal(fired(f, "call/write"), 0);
}

/* ---- the wrapped calls themselves ---- */

/* An injected failure or short write, and then the retry goes through. */
static void test_ic_write_fails_then_succeeds(void **state)
{
	fixture *f = *state;
	static const char data[] = "abcdefgh";
	char got[16];
	arm(f, "fail:p=1", 1);
	errno = 0;
	ssize_t n = ic_write(&f->ctx, f->fds[1], data, 8);
	if (n >= 0)
		assert_in_range(n, 1, 7);
	else
		assert_int_equal(errno, EINTR); /* the only error write really returns here */
	assert_int_equal(ic_write(&f->ctx, f->fds[1], data, 8), 8);
	size_t before = n > 0 ? (size_t)n : 0;
	assert_int_equal(read(f->fds[0], got, sizeof(got)), (ssize_t)(before + 8));
	assert_memory_equal(got, data, before); /* a short write wrote a prefix */
	assert_memory_equal(got + before, data, 8);
	assert_int_equal(fired(f, "call/write"), 1);
}

/* Over many seeds both kinds happen: default short=0.5 splits them. */
static void test_ic_write_both_outcomes(void **state)
{
	fixture *f = *state;
	bool seen_short = false, seen_error = false;
	char sink[64];
	for (uint64_t seed = 1; seed <= 32; seed++) {
		arm(f, "fail:p=1", seed);
		ssize_t n = ic_write(&f->ctx, f->fds[1], "abcdefgh", 8);
		seen_short |= n > 0 && n < 8;
		seen_error |= n < 0 && errno == EINTR;
		assert_true((n > 0 && n < 8) || (n < 0 && errno == EINTR));
		while (read(f->fds[0], sink, sizeof(sink)) > 0)
			;
	}
	assert_true(seen_short);
	assert_true(seen_error);
}

static void test_ic_read_fails_then_succeeds(void **state)
{
	fixture *f = *state;
	char got[8];
	assert_int_equal(write(f->fds[1], "abcdefgh", 8), 8);
	arm(f, "fail:p=1", 2);
	ssize_t n = ic_read(&f->ctx, f->fds[0], got, 8);
	size_t before = n > 0 ? (size_t)n : 0;
	if (n >= 0)
		assert_in_range(n, 1, 7);
	else
		assert_int_equal(errno, EINTR);
	assert_int_equal(ic_read(&f->ctx, f->fds[0], got + before, 8 - before), (ssize_t)(8 - before));
	assert_memory_equal(got, "abcdefgh", 8);
}

/* Unarmed (ninj = 0), a wrapped call is the plain call. */
static void test_unarmed_is_plain(void **state)
{
	fixture *f = *state;
	f->cfg.ninj = 0;
	ic_ctx_init(&f->ctx, &f->cfg, f->h.arena, 0, 0, 0);
	for (int i = 0; i < CALLS; i++)
		assert_int_equal(ic_write(&f->ctx, f->fds[1], "abcdefgh", 8), 8);
	assert_int_equal(f->h.arena->slots[0].nfires, 0);
}

/* The stream helpers retry what fail injects: frames cross whole. */
static void test_stream_survives_fail(void **state)
{
	fixture *f = *state;
	unsigned char frame[1000], out[1000];
	ic_stream *s = ic_stream_new(f->fds[0], sizeof(frame));
	assert_non_null(s);
	arm(f, "fail:p=1", 5);
	ic_msg_fill(frame, sizeof(frame), 0, 1, 0, 42);
	assert_int_equal(ic_stream_send(&f->ctx, f->fds[1], frame, sizeof(frame)), 0);
	long n = 0;
	for (int tries = 0; tries < 100 && n <= 0; tries++) {
		n = ic_stream_recv(&f->ctx, s, out, sizeof(out), 0);
		if (n < 0 && n != -EINTR)
			break;
	}
	ic_stream_free(s);
	assert_int_equal(n, sizeof(frame));
	assert_memory_equal(out, frame, sizeof(frame));
	assert_true(fired(f, "call/write") >= 1);
	assert_true(fired(f, "call/read") >= 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered),
		T(test_p1_alternates),
		T(test_p1_retry_gets_through),
		T(test_nth_fails_only_that_call),
		T(test_short_shortens),
		T(test_short_one_byte_fails),
		T(test_at_selects_calls),
		T(test_ic_write_fails_then_succeeds),
		T(test_ic_write_both_outcomes),
		T(test_ic_read_fails_then_succeeds),
		T(test_unarmed_is_plain),
		T(test_stream_survives_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
