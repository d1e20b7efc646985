/*
 * bench_loop.c: the roles of a bench cell. They drive a scenario's own
 * ic_channel, as the run loops do, minus the harness: no event log, no body
 * pattern, no crc. A message carries only what proves the channel works: a
 * sequence number, its producer and flags, which the consumer checks (a
 * lost, duplicated, reordered or resized message ends the role with exit 1,
 * which the crash checker reports, so a broken channel is never timed).
 */
#include "bench/bench.h"
#include "role/ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ROLE_SEND 0 /* producers; the pinger */
#define ROLE_RECV 1 /* consumers; the ponger */
#define WAIT_MS 20
#define MAX_TRANSIENT 1000 /* consecutive EINTR/EAGAIN from one call: the role gives up */

enum { FLAG_TIMED = 1, FLAG_LAST = 2 };
#define MIN_TIMED 4 /* messages (round trips) in a cell's timed window, at least */

/*
 * From IC_MSG_MIN bytes up, the run loops' header with crc 0 (a stream
 * channel frames by its magic and length; bench mode skips its crc check);
 * below, one word: sequence << 16 | producer << 8 | flags.
 */
static void bench_fill(unsigned char *buf, uint32_t len, uint32_t producer, uint64_t seq,
		       unsigned flags)
{
	if (len >= IC_MSG_MIN) {
		ic_msg_hdr h = {.magic = IC_MSG_MAGIC, .producer = producer, .seq = seq, .len = len,
				.body_seed = 0, .crc = 0, .lane = flags};
		memcpy(buf, &h, sizeof(h));
		return;
	}
	uint64_t w = seq << 16 | (uint64_t)(producer & 0xff) << 8 | flags;
	memcpy(buf, &w, sizeof(w));
}

/* The message's producer, sequence and flags; false if it is not a bench message of `len`. */
static bool bench_decode(const unsigned char *buf, long n, uint32_t len, uint32_t *producer,
			 uint64_t *seq, unsigned *flags)
{
	if (n != (long)len)
		return false;
	if (len >= IC_MSG_MIN) {
		ic_msg_hdr h;
		memcpy(&h, buf, sizeof(h));
		*producer = h.producer;
		*seq = h.seq;
		*flags = h.lane;
		return h.magic == IC_MSG_MAGIC && h.len == len;
	}
	uint64_t w;
	memcpy(&w, buf, sizeof(w));
	*producer = (uint32_t)(w >> 8 & 0xff);
	*seq = w >> 16;
	*flags = (unsigned)(w & 0xff);
	return true;
}

static bool transient(long rc)
{
	return rc == -EINTR || rc == -EAGAIN || rc == -ETIMEDOUT || rc == -ENOMSG;
}

/* 0, or an errno: a failure, or ENOTCONN when the receiving role is gone. */
static int bench_send(ic_ctx *ctx, const ic_channel *ch, const void *buf, uint32_t len, unsigned peer)
{
	for (unsigned interrupted = 0;;) {
		int rc = ch->send(ctx, buf, len, 0);
		if (rc == 0)
			return 0;
		if (rc != EINTR && rc != EAGAIN && rc != ETIMEDOUT)
			return rc;
		if (rc == EINTR && ++interrupted >= MAX_TRANSIENT)
			return rc;
		if (rc != EINTR && ic_role_running(ctx, peer) == 0)
			return ENOTCONN;
	}
}

/* One message: its length; 0 once `peer` has finished and nothing is left; -errno. */
static long bench_recv(ic_ctx *ctx, const ic_channel *ch, void *buf, size_t cap, unsigned peer)
{
	for (unsigned errors = 0;;) {
		long n = ch->recv(ctx, buf, cap, false, WAIT_MS);
		if (n > 0)
			return n;
		if (n < 0 && (!transient(n) || ++errors >= MAX_TRANSIENT))
			return n;
		/* Read after seeing it finished: what it sent before is there. */
		bool finished = ic_role_running(ctx, peer) == 0;
		n = ch->recv(ctx, buf, cap, false, 0);
		if (n > 0 || (n == 0 && finished))
			return n;
	}
}

static ic_bench_cell *cell_of(ic_ctx *ctx)
{
	return ctx->cfg->bench;
}

/* Only the first error is kept: the others are usually its consequences. */
static int role_error(ic_ctx *ctx, int code, const char *what, long detail)
{
	ic_bench_cell *cell = cell_of(ctx);
	if (!cell->error[0])
		snprintf(cell->error, sizeof(cell->error), "%s%u: %s (%ld)",
			 ctx->cfg->sc->roles[ctx->role].name, ctx->index, what, detail);
	return code;
}

static uint64_t ns(double s)
{
	return (uint64_t)(s * 1e9);
}

/* ---- in place: the message is written and read where it lies in shared memory ---- */

/* As bench_send, but only the header is written, into the reserved room: the body is not copied. */
static int bench_commit(ic_ctx *ctx, const ic_channel *ch, uint32_t len, uint32_t producer, uint64_t seq,
			unsigned flags, unsigned peer)
{
	for (unsigned interrupted = 0;;) {
		void *at = ch->reserve(ctx, len);
		if (at) {
			bench_fill(at, len, producer, seq, flags);
			ch->commit(ctx, len);
			return 0;
		}
		int rc = errno;
		if (rc != EINTR && rc != EAGAIN && rc != ETIMEDOUT)
			return rc;
		if (rc == EINTR && ++interrupted >= MAX_TRANSIENT)
			return rc;
		if (rc != EINTR && ic_role_running(ctx, peer) == 0)
			return ENOTCONN;
	}
}

/* As bench_recv, in place: the next message's length and where it lies; 0 once `peer` finished. */
static long bench_peek(ic_ctx *ctx, const ic_channel *ch, const unsigned char **at, unsigned peer)
{
	for (;;) {
		size_t len;
		if ((*at = ch->peek(ctx, &len, WAIT_MS)))
			return (long)len;
		bool finished = ic_role_running(ctx, peer) == 0;
		if ((*at = ch->peek(ctx, &len, 0)))
			return (long)len;
		if (finished)
			return 0;
	}
}

/* Every byte of the message read where it lies: what using it in place costs. */
static uint64_t read_all(const unsigned char *p, size_t n)
{
	uint64_t sum = 0;
	for (size_t i = 0; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t)) {
		uint64_t w;
		memcpy(&w, p + i, sizeof(w));
		sum += w;
	}
	return sum;
}

/* ---- stream: producers send for a time, consumers count ---- */

int ic_bench_producer(ic_ctx *ctx)
{
	ic_bench_cell *cell = cell_of(ctx);
	const ic_channel *ch = cell->inner->channel;
	unsigned char *buf = malloc(cell->size);
	if (!buf)
		return role_error(ctx, 3, "out of memory", 0);
	memset(buf, 0x5a, cell->size); /* the body, written once: the channel copies it */
	ctx->head.armed = cell->armed;
	uint64_t t0 = ic_now_ns(), warm = t0 + ns(cell->warmup_s), end = warm + ns(cell->time_s);
	unsigned every = cell->size >= 4096 ? 1 : 16; /* clock reads, amortised at small sizes */
	unsigned flags = 0;
	uint64_t sent = 0, timed = 0;
	int rc = 0;
	for (;; sent++) {
		if (sent % every == 0) {
			uint64_t now = ic_now_ns();
			/* At least a few timed messages, however slow: a rate needs an interval. */
			flags = now >= end && timed >= MIN_TIMED ? FLAG_TIMED | FLAG_LAST
				: now >= warm			 ? FLAG_TIMED
								 : 0;
		}
		timed += flags & FLAG_TIMED;
		ic_point(ctx, "produce/begin");
		if (cell->api != IC_BENCH_COPY) {
			rc = bench_commit(ctx, ch, cell->size, ic_proc(ctx), sent, flags, ROLE_RECV);
		} else {
			bench_fill(buf, cell->size, ic_proc(ctx), sent, flags);
			rc = bench_send(ctx, ch, buf, cell->size, ROLE_RECV);
		}
		if (rc != 0)
			break;
		ic_point(ctx, "produce/sent");
		if (flags & FLAG_LAST) {
			sent++;
			break;
		}
	}
	if (ch->done)
		ch->done(ctx);
	atomic_fetch_add(&cell->sent, sent);
	free(buf);
	return rc ? role_error(ctx, 1, "send failed", rc) : 0;
}

/* Per producer, sequences only grow (by exactly one with a single consumer). */
static bool in_order(uint64_t *next, uint32_t producer, uint64_t seq, bool exact)
{
	if (seq < next[producer] || (exact && seq != next[producer]))
		return false;
	next[producer] = seq + 1;
	return true;
}

int ic_bench_consumer(ic_ctx *ctx)
{
	ic_bench_cell *cell = cell_of(ctx);
	const ic_channel *ch = cell->inner->channel;
	unsigned producers = ic_role_count(ctx, ROLE_SEND);
	bool exact = ic_role_count(ctx, ROLE_RECV) == 1;
	uint64_t next[IC_MAX_PROCS] = {0}, got = 0, timed = 0, t_first = 0, t_last = 0;
	unsigned char *buf = malloc(cell->size + 1);
	int code = 0;
	if (!buf)
		return role_error(ctx, 3, "out of memory", 0);
	ctx->head.armed = cell->armed;
	uint64_t sink = 0;
	for (;;) {
		ic_point(ctx, "consume/begin");
		const unsigned char *at = buf;
		long n = cell->api != IC_BENCH_COPY ? bench_peek(ctx, ch, &at, ROLE_SEND)
						    : bench_recv(ctx, ch, buf, cell->size + 1, ROLE_SEND);
		if (n <= 0) {
			if (n < 0)
				code = role_error(ctx, 1, "receive failed", -n);
			break;
		}
		uint32_t producer;
		uint64_t seq;
		unsigned flags;
		bool whole = bench_decode(at, n, cell->size, &producer, &seq, &flags);
		if (cell->api == IC_BENCH_INPLACE_READ)
			sink += read_all(at, (size_t)n);
		if (cell->api != IC_BENCH_COPY)
			ch->release(ctx);
		if (!whole || producer >= producers) {
			code = role_error(ctx, 1, "a message of the wrong length or not sent by a producer", n);
			break;
		}
		if (!in_order(next, producer, seq, exact)) {
			code = role_error(ctx, 1, "out of sequence: expected at least the next, got", (long)seq);
			break;
		}
		got++;
		if (flags & FLAG_TIMED) {
			if (timed++ == 0)
				t_first = ic_now_ns();
			if (flags & FLAG_LAST)
				t_last = ic_now_ns();
		}
		ic_point(ctx, "consume/received");
	}
	/* The sum is kept, so the reads in place are not optimised away. */
	__asm__ volatile("" : : "r"(sink));
	cell->consumer[ic_index(ctx)].t_first = t_first;
	cell->consumer[ic_index(ctx)].t_last = t_last;
	cell->consumer[ic_index(ctx)].timed = timed;
	atomic_fetch_add(&cell->received, got);
	free(buf);
	return code;
}

/* ---- ping-pong: two instances of the channel, one per direction ---- */

typedef struct bench_pair {
	void *there, *back; /* the inner scenario's state for each direction */
	bool back_set_up;   /* its setup ran (teardown copes with a half-done one) */
} bench_pair;

/*
 * The reply path is a second instance of the channel, set up by the
 * scenario's own setup. Its objects are named "b.<object>" after the run id
 * ("/ipchaos.<runid>.b.ring.<tag>") and its SysV keys are others of the
 * run's, so the two never collide, and the leftover scan, which matches the
 * run id prefix and every key of the run, still covers them.
 */
static void second_instance(ic_ctx *ctx, bool on)
{
	ctx->instance = on;
}

int ic_bench_setup(ic_ctx *ctx)
{
	ic_bench_cell *cell = cell_of(ctx);
	const ic_scenario *in = cell->inner;
	if (cell->mode == IC_BENCH_STREAM)
		return in->setup ? in->setup(ctx) : 0;
	bench_pair *pp = calloc(1, sizeof(*pp));
	if (!pp)
		return -1;
	ic_set_state(ctx, NULL);
	int rc = in->setup ? in->setup(ctx) : 0;
	pp->there = ic_state(ctx);
	if (rc == 0) {
		ic_set_state(ctx, NULL);
		second_instance(ctx, true);
		rc = in->setup ? in->setup(ctx) : 0;
		second_instance(ctx, false);
		pp->back = ic_state(ctx);
		pp->back_set_up = true;
	}
	ic_set_state(ctx, pp);
	return rc;
}

void ic_bench_teardown(ic_ctx *ctx)
{
	ic_bench_cell *cell = cell_of(ctx);
	const ic_scenario *in = cell->inner;
	if (cell->mode == IC_BENCH_STREAM) {
		if (in->teardown)
			in->teardown(ctx);
		return;
	}
	bench_pair *pp = ic_state(ctx);
	if (!pp)
		return;
	if (pp->back_set_up && in->teardown) {
		ic_set_state(ctx, pp->back);
		second_instance(ctx, true);
		in->teardown(ctx);
		second_instance(ctx, false);
	}
	ic_set_state(ctx, pp->there);
	if (in->teardown)
		in->teardown(ctx);
	free(pp);
	ic_set_state(ctx, NULL);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void publish_rtt(ic_bench_cell *cell, uint32_t *rtt, uint64_t n)
{
	if (n == 0)
		return;
	qsort(rtt, n, sizeof(*rtt), cmp_u32);
	cell->rtt_n = n;
	cell->rtt_median_ns = rtt[n / 2];
	cell->rtt_p99_ns = rtt[n * 99 / 100];
}

int ic_bench_ping(ic_ctx *ctx)
{
	ic_bench_cell *cell = cell_of(ctx);
	const ic_channel *ch = cell->inner->channel;
	bench_pair *pp = ic_state(ctx);
	unsigned char *out = malloc(cell->size), *in = malloc(cell->size + 1);
	uint32_t *rtt = malloc(IC_BENCH_MAX_RTT * sizeof(*rtt));
	int code = 0;
	uint64_t n = 0;
	if (!out || !in || !rtt) {
		code = role_error(ctx, 3, "out of memory", 0);
		goto out;
	}
	memset(out, 0x5a, cell->size);
	uint64_t warm = ic_now_ns() + ns(cell->warmup_s), end = warm + ns(cell->time_s);
	for (uint64_t seq = 0;; seq++) {
		uint64_t t0 = ic_now_ns();
		unsigned flags = (t0 >= end && n >= MIN_TIMED) || n == IC_BENCH_MAX_RTT ? FLAG_LAST
				 : t0 >= warm					? FLAG_TIMED
										: 0;
		bench_fill(out, cell->size, ic_proc(ctx), seq, flags);
		ic_set_state(ctx, pp->there);
		int rc = bench_send(ctx, ch, out, cell->size, ROLE_RECV);
		if (rc) {
			code = role_error(ctx, 1, "send failed", rc);
			break;
		}
		ic_set_state(ctx, pp->back);
		long got = bench_recv(ctx, ch, in, cell->size + 1, ROLE_RECV);
		uint64_t t1 = ic_now_ns();
		uint32_t producer;
		uint64_t echoed;
		unsigned eflags;
		if (got <= 0 || !bench_decode(in, got, cell->size, &producer, &echoed, &eflags) ||
		    echoed != seq) {
			code = role_error(ctx, 1, "no echo, or not the message sent", got);
			break;
		}
		if (flags & FLAG_LAST)
			break;
		if (flags & FLAG_TIMED)
			rtt[n++] = (uint32_t)(t1 - t0 > UINT32_MAX ? UINT32_MAX : t1 - t0);
	}
	publish_rtt(cell, rtt, n);
out:
	ic_set_state(ctx, pp);
	free(out);
	free(in);
	free(rtt);
	return code;
}

int ic_bench_pong(ic_ctx *ctx)
{
	ic_bench_cell *cell = cell_of(ctx);
	const ic_channel *ch = cell->inner->channel;
	bench_pair *pp = ic_state(ctx);
	unsigned char *buf = malloc(cell->size + 1);
	int code = 0;
	if (!buf)
		return role_error(ctx, 3, "out of memory", 0);
	for (;;) {
		ic_set_state(ctx, pp->there);
		long n = bench_recv(ctx, ch, buf, cell->size + 1, ROLE_SEND);
		uint32_t producer;
		uint64_t seq;
		unsigned flags;
		if (n <= 0 || !bench_decode(buf, n, cell->size, &producer, &seq, &flags)) {
			if (n != 0)
				code = role_error(ctx, 1, "a receive failed or was not a bench message", n);
			break;
		}
		ic_set_state(ctx, pp->back);
		int rc = bench_send(ctx, ch, buf, (uint32_t)n, ROLE_SEND);
		if (rc) {
			code = role_error(ctx, 1, "echo failed", rc);
			break;
		}
		if (flags & FLAG_LAST)
			break;
	}
	if (ch->done) {
		ic_set_state(ctx, pp->back);
		ch->done(ctx);
	}
	ic_set_state(ctx, pp);
	free(buf);
	return code;
}

/* ---- the cost of a disabled point ---- */

void ic_bench_point_loop(uint64_t n, bool points)
{
	ic_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	for (uint64_t i = 0; i < n; i++) {
		if (points)
			ic_point(&ctx, "bench/point");
		/* Makes the flag be read again each time, as in code that does real work between points. */
		__asm__ volatile("" ::: "memory");
	}
}
