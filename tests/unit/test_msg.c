/*
 * test_msg.c: the self-describing message and the framed stream. Checkers
 * tell lost, duplicated and corrupt apart only if a message proves itself
 * whole; a stream reader must hand back whole frames, resynchronise after
 * a torn one, and never read past the frame it is assembling, since bytes
 * in a reader's private buffer die with it.
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

#define SEED 0x5eedu
#define MAX_MSG 8192

/* ---- the message ---- */

static void test_round_trip_intact(void **state)
{
	(void)state;
	static const uint32_t sizes[] = {32, 33, 64, 1000, 8192};
	static unsigned char buf[8192];
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ic_msg_hdr h;
		memset(&h, 0, sizeof(h));
		ic_msg_fill(buf, sizes[i], 7, 1000 + i, 3, SEED);
		assert_int_equal(ic_msg_check(buf, sizes[i], &h), IC_MSG_INTACT);
		assert_int_equal(h.magic, IC_MSG_MAGIC);
		assert_int_equal(h.producer, 7);
		assert_int_equal(h.seq, 1000 + i);
		assert_int_equal(h.len, sizes[i]);
		assert_int_equal(h.lane, 3);
		assert_int_equal(h.body_seed, SEED);
	}
}

/* The header is exactly IC_MSG_MIN bytes: no padding the CRC would miss. */
static void test_header_layout(void **state)
{
	(void)state;
	assert_int_equal(IC_MSG_MIN, 32);
	assert_int_equal(offsetof(ic_msg_hdr, lane) + sizeof(uint32_t), IC_MSG_MIN);
}

static void test_flipped_body_byte_is_corrupt(void **state)
{
	(void)state;
	unsigned char buf[64];
	ic_msg_hdr h;
	ic_msg_fill(buf, sizeof(buf), 2, 9, 0, SEED);
	buf[50] ^= 0x01;
	assert_int_equal(ic_msg_check(buf, sizeof(buf), &h), IC_MSG_CORRUPT);
	/* Still names the message, so the checker can say which one broke. */
	assert_int_equal(h.producer, 2);
	assert_int_equal(h.seq, 9);
}

/* Every header field but magic is under the CRC (magic wrong is garbled). */
static void test_flipped_header_field_is_corrupt(void **state)
{
	(void)state;
	static const size_t fields[] = {
		offsetof(ic_msg_hdr, producer), offsetof(ic_msg_hdr, seq),
		offsetof(ic_msg_hdr, len),      offsetof(ic_msg_hdr, body_seed),
		offsetof(ic_msg_hdr, crc),      offsetof(ic_msg_hdr, lane),
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		unsigned char buf[64];
		ic_msg_hdr h;
		ic_msg_fill(buf, sizeof(buf), 1, 4, 1, SEED);
		buf[fields[i]] ^= 0x40;
		if (ic_msg_check(buf, sizeof(buf), &h) != IC_MSG_CORRUPT)
			fail_msg("flipping header byte %zu was not caught", fields[i]);
	}
}

/* A receive that returned fewer or more bytes than the header says. */
static void test_wrong_length_is_corrupt(void **state)
{
	(void)state;
	unsigned char buf[100];
	ic_msg_hdr h;
	ic_msg_fill(buf, 64, 1, 4, 0, SEED);
	assert_int_equal(ic_msg_check(buf, 63, &h), IC_MSG_CORRUPT);
	assert_int_equal(ic_msg_check(buf, 32, &h), IC_MSG_CORRUPT);
	assert_int_equal(ic_msg_check(buf, 100, &h), IC_MSG_CORRUPT);
	assert_int_equal(h.len, 64);
}

static void test_bad_magic_or_short_is_garbled(void **state)
{
	(void)state;
	unsigned char buf[64];
	ic_msg_hdr h;
	ic_msg_fill(buf, sizeof(buf), 1, 4, 0, SEED);
	assert_int_equal(ic_msg_check(buf, 31, &h), IC_MSG_GARBLED);
	assert_int_equal(ic_msg_check(buf, 0, &h), IC_MSG_GARBLED);
	buf[0] ^= 0xff;
	assert_int_equal(ic_msg_check(buf, sizeof(buf), &h), IC_MSG_GARBLED);
}

/* Same (producer, seq, seed): same bytes, so a replay sends what the run sent. */
static void test_fill_is_deterministic(void **state)
{
	(void)state;
	unsigned char a[1000], b[1000];
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	ic_msg_fill(a, sizeof(a), 5, 77, 2, SEED);
	ic_msg_fill(b, sizeof(b), 5, 77, 2, SEED);
	assert_memory_equal(a, b, sizeof(a));
	/* And the seed draws the body: another seed, another body. */
	ic_msg_fill(b, sizeof(b), 5, 77, 2, SEED + 1);
	assert_memory_not_equal(a + IC_MSG_MIN, b + IC_MSG_MIN, sizeof(a) - IC_MSG_MIN);
}

static void test_msg_id_packs_producer_high(void **state)
{
	(void)state;
	assert_int_equal(ic_msg_id(0, 5), 5);
	assert_int_equal(ic_msg_id(3, 7), (3ull << 48) | 7);
	assert_int_equal(ic_msg_id(3, 7) >> 48, 3);
	assert_int_equal(ic_msg_id(0xffff, 1) >> 48, 0xffff);
	/* A seq wider than 48 bits must not spill into the producer. */
	assert_int_equal(ic_msg_id(1, (1ull << 48) | 9), (1ull << 48) | 9);
	assert_int_equal(ic_msg_id(1, UINT64_MAX) >> 48, 1);
}

/* ---- sizes ---- */

static void test_size_check_accepts(void **state)
{
	(void)state;
	static const char *const ok[] = {"32", "64", "8K", "8k", "1M", "64..128", "32..64M", "64M"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *why = ic_size_check(ok[i]);
		if (why)
			fail_msg("'%s' refused: %s", ok[i], why);
	}
}

static void test_size_check_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *value, *says;
	} bad[] = {
		{"0", "at least 32"},   {"31", "at least 32"}, {"abc", "64, 8K, 1M"},
		{"8Q", "A..B"},         {"128..64", "A..B"},   {"65M", "at most 64M"},
		{"", "64, 8K, 1M"},     {"-64", "64, 8K, 1M"}, {"64..", "A..B"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = ic_size_check(bad[i].value);
		if (!why)
			fail_msg("'%s' accepted", bad[i].value);
		assert_contains(why, bad[i].says);
	}
}

/*
 * A suffix must not wrap the value: (2^54 + 1) K is 1024 modulo 2^64, and
 * a run would quietly use 1K messages while its replay line says otherwise.
 */
static void test_size_check_rejects_overflow(void **state)
{
	(void)state;
	static const char *const huge[] = {"18014398509481985K", "17592186044417M",
					   "64..18014398509481985K"};
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++)
		if (!ic_size_check(huge[i]))
			fail_msg("'%s' accepted: the suffix wrapped it below 64M", huge[i]);
}

/* ---- streams: a real non-blocking pipe read through ic_read() ---- */

typedef struct fixture {
	char runid[17];
	ic_arena_handle h;
	ic_run_cfg cfg;
	ic_ctx ctx;
	int fds[2]; /* read end, write end */
	ic_stream *s;
	unsigned char out[MAX_MSG];
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
	f->cfg.sc = ic_builtin_scenarios[0];
	f->cfg.seed = 1;
	f->cfg.ninj = 0; /* unarmed: ic_read is a plain read */
	ic_ctx_init(&f->ctx, &f->cfg, f->h.arena, 0, 0, 0);
	if (pipe2(f->fds, O_NONBLOCK) != 0 || !(f->s = ic_stream_new(f->fds[0], MAX_MSG))) {
		ic_arena_destroy(&f->h, false);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	ic_stream_free(f->s);
	close(f->fds[0]);
	if (f->fds[1] >= 0)
		close(f->fds[1]);
	ic_arena_destroy(&f->h, false);
	free(f);
	return 0;
}

static void put(fixture *f, const void *buf, size_t n)
{
	assert_int_equal(write(f->fds[1], buf, n), (ssize_t)n);
}

static int pending(fixture *f)
{
	int n = -1;
	assert_int_equal(ioctl(f->fds[0], FIONREAD, &n), 0);
	return n;
}

static long recv_one(fixture *f)
{
	return ic_stream_recv(&f->ctx, f->s, f->out, sizeof(f->out), 0);
}

/* The next receive returns exactly this frame. */
static void expect_frame(fixture *f, const unsigned char *frame, size_t len)
{
	ic_msg_hdr h;
	assert_int_equal(recv_one(f), (long)len);
	assert_memory_equal(f->out, frame, len);
	assert_int_equal(ic_msg_check(f->out, len, &h), IC_MSG_INTACT);
}

static void test_stream_three_frames(void **state)
{
	fixture *f = *state;
	static const uint32_t len[3] = {64, 100, 33};
	unsigned char frame[3][100];
	for (unsigned i = 0; i < 3; i++) {
		ic_msg_fill(frame[i], len[i], 0, i, 0, SEED + i);
		put(f, frame[i], len[i]);
	}
	for (unsigned i = 0; i < 3; i++)
		expect_frame(f, frame[i], len[i]);
	assert_int_equal(recv_one(f), 0);
	assert_int_equal(f->s->skipped, 0);
	assert_false(f->s->eof);
}

/* What a killed peer left before a frame is skipped, and counted. */
static void test_stream_skips_garbage(void **state)
{
	fixture *f = *state;
	unsigned char junk[10], frame[64];
	memset(junk, 0xaa, sizeof(junk));
	ic_msg_fill(frame, sizeof(frame), 0, 1, 0, SEED);
	put(f, junk, sizeof(junk));
	put(f, frame, sizeof(frame));
	expect_frame(f, frame, sizeof(frame));
	assert_int_equal(f->s->skipped, sizeof(junk));
	assert_int_equal(recv_one(f), 0);
}

static void test_stream_waits_for_whole_frame(void **state)
{
	fixture *f = *state;
	unsigned char frame[64];
	ic_msg_fill(frame, sizeof(frame), 0, 1, 0, SEED);
	put(f, frame, 40);
	assert_int_equal(recv_one(f), 0);
	assert_int_equal(recv_one(f), 0); /* asking again does not invent the rest */
	put(f, frame + 40, sizeof(frame) - 40);
	expect_frame(f, frame, sizeof(frame));
	assert_int_equal(f->s->skipped, 0);
}

/* A header alone is not a frame either (the cut falls inside the header). */
static void test_stream_cut_inside_header(void **state)
{
	fixture *f = *state;
	unsigned char frame[64];
	ic_msg_fill(frame, sizeof(frame), 0, 1, 0, SEED);
	put(f, frame, 20);
	assert_int_equal(recv_one(f), 0);
	put(f, frame + 20, sizeof(frame) - 20);
	expect_frame(f, frame, sizeof(frame));
}

/*
 * No read-ahead: a reader killed after its receive returned must leave the
 * next frame in the pipe, for the consumer that takes the endpoint over.
 */
static void test_stream_no_read_ahead(void **state)
{
	fixture *f = *state;
	unsigned char both[64 + 100];
	ic_msg_fill(both, 64, 0, 1, 0, SEED);
	ic_msg_fill(both + 64, 100, 0, 2, 0, SEED + 1);
	put(f, both, sizeof(both)); /* back to back, in one write */
	expect_frame(f, both, 64);
	assert_int_equal(pending(f), 100);
	assert_int_equal(f->s->have, 0);
	expect_frame(f, both + 64, 100);
	assert_int_equal(pending(f), 0);
}

/* Nor while skipping garbage: the reader stops where the frame ends. */
static void test_stream_no_read_ahead_after_garbage(void **state)
{
	fixture *f = *state;
	unsigned char junk[7], a[64], b[64];
	memset(junk, 0x55, sizeof(junk));
	ic_msg_fill(a, sizeof(a), 0, 1, 0, SEED);
	ic_msg_fill(b, sizeof(b), 0, 2, 0, SEED);
	put(f, junk, sizeof(junk));
	put(f, a, sizeof(a));
	put(f, b, sizeof(b));
	expect_frame(f, a, sizeof(a));
	assert_int_equal(pending(f), sizeof(b));
}

/* The drain found no more bytes: the partial frame is dropped and counted. */
static void test_stream_discard_partial(void **state)
{
	fixture *f = *state;
	unsigned char frame[64], next[64];
	ic_msg_fill(frame, sizeof(frame), 0, 1, 0, SEED);
	ic_msg_fill(next, sizeof(next), 0, 2, 0, SEED);
	put(f, frame, 40);
	assert_int_equal(recv_one(f), 0);
	assert_int_equal(ic_stream_discard(f->s), 40);
	assert_int_equal(f->s->skipped, 40);
	assert_int_equal(f->s->have, 0);
	assert_int_equal(ic_stream_discard(f->s), 0);
	/* Its tail arriving late is garbage now; the next frame still comes back. */
	put(f, frame + 40, sizeof(frame) - 40);
	put(f, next, sizeof(next));
	expect_frame(f, next, sizeof(next));
	assert_int_equal(f->s->skipped, sizeof(frame));
}

static void test_stream_eof(void **state)
{
	fixture *f = *state;
	unsigned char frame[64];
	ic_msg_fill(frame, sizeof(frame), 0, 1, 0, SEED);
	put(f, frame, sizeof(frame));
	close(f->fds[1]);
	f->fds[1] = -1;
	expect_frame(f, frame, sizeof(frame)); /* what was written before the close */
	assert_int_equal(recv_one(f), 0);
	assert_true(f->s->eof);
}

/* Too big for the caller's buffer: an error, and the frame is kept, not lost. */
static void test_stream_too_big_for_caller(void **state)
{
	fixture *f = *state;
	unsigned char frame[100];
	ic_msg_fill(frame, sizeof(frame), 0, 1, 0, SEED);
	put(f, frame, sizeof(frame));
	assert_int_equal(ic_stream_recv(&f->ctx, f->s, f->out, 99, 0), -EMSGSIZE);
	expect_frame(f, frame, sizeof(frame));
}

static void test_stream_send_writes_whole_frame(void **state)
{
	fixture *f = *state;
	unsigned char frame[1000], got[1001];
	ic_msg_hdr h;
	ic_msg_fill(frame, sizeof(frame), 3, 8, 0, SEED);
	assert_int_equal(ic_stream_send(&f->ctx, f->fds[1], frame, sizeof(frame)), 0);
	assert_int_equal(pending(f), sizeof(frame));
	assert_int_equal(read(f->fds[0], got, sizeof(got)), (ssize_t)sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	assert_int_equal(ic_msg_check(got, sizeof(frame), &h), IC_MSG_INTACT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_intact),
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_flipped_body_byte_is_corrupt),
		cmocka_unit_test(test_flipped_header_field_is_corrupt),
		cmocka_unit_test(test_wrong_length_is_corrupt),
		cmocka_unit_test(test_bad_magic_or_short_is_garbled),
		cmocka_unit_test(test_fill_is_deterministic),
		cmocka_unit_test(test_msg_id_packs_producer_high),
		cmocka_unit_test(test_size_check_accepts),
		cmocka_unit_test(test_size_check_rejects),
		cmocka_unit_test(test_size_check_rejects_overflow),
		T(test_stream_three_frames),
		T(test_stream_skips_garbage),
		T(test_stream_waits_for_whole_frame),
		T(test_stream_cut_inside_header),
		T(test_stream_no_read_ahead),
		T(test_stream_no_read_ahead_after_garbage),
		T(test_stream_discard_partial),
		T(test_stream_eof),
		T(test_stream_too_big_for_caller),
		T(test_stream_send_writes_whole_frame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
