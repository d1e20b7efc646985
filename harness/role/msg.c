/*
 * msg.c: the self-describing message (header + seeded body + crc32), and the
 * producer, consumer and drain loops every message scenario shares, so that
 * each channel only says how to send and receive one message.
 */
#include "role/ctx.h"
#include "role/race.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define IC_ROLE_PRODUCER 0
#define IC_ROLE_CONSUMER 1
#define WAIT_MS 20          /* a bounded wait, then liveness is checked again */
#define MAX_CALL_ERRORS 1000 /* consecutive failures of one call: the role gives up */

static uint32_t msg_crc(const ic_msg_hdr *h, const unsigned char *body, size_t body_len)
{
	ic_msg_hdr copy = *h;
	copy.crc = 0;
	uLong crc = crc32(0L, (const Bytef *)&copy, sizeof(copy));
	return (uint32_t)crc32(crc, body, (uInt)body_len);
}

void ic_msg_fill(void *buf, uint32_t len, uint32_t producer, uint64_t seq, uint32_t lane,
		 uint32_t body_seed)
{
	ic_msg_hdr h = {.magic = IC_MSG_MAGIC, .producer = producer, .seq = seq, .len = len,
			.body_seed = body_seed, .lane = lane};
	unsigned char *body = (unsigned char *)buf + sizeof(h);
	uint64_t sm = body_seed;
	for (size_t i = 0; i < len - sizeof(h); i += 8) {
		uint64_t w = ic_splitmix64(&sm);
		size_t n = len - sizeof(h) - i < 8 ? len - sizeof(h) - i : 8;
		memcpy(body + i, &w, n);
	}
	h.crc = msg_crc(&h, body, len - sizeof(h));
	memcpy(buf, &h, sizeof(h));
}

int ic_msg_check(const void *buf, size_t len, ic_msg_hdr *hdr)
{
	ic_msg_hdr h;
	if (len < sizeof(h))
		return IC_MSG_GARBLED;
	memcpy(&h, buf, sizeof(h));
	*hdr = h;
	if (h.magic != IC_MSG_MAGIC)
		return IC_MSG_GARBLED;
	if (h.len != len)
		return IC_MSG_CORRUPT;
	return msg_crc(&h, (const unsigned char *)buf + sizeof(h), len - sizeof(h)) == h.crc
		       ? IC_MSG_INTACT
		       : IC_MSG_CORRUPT;
}

/* ---- Sizes ---- */

/* "64", "8K" or "64..1K": each bound a size as every command reads them (core/parse.c). */
static int size_bounds(const char *value, uint64_t *lo, uint64_t *hi)
{
	char buf[64];
	if (strlen(value) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", value);
	char *dots = strstr(buf, "..");
	if (dots)
		*dots = '\0';
	if (ic_parse_size("", buf, 0, UINT64_MAX, lo, NULL, 0) != 0 ||
	    ic_parse_size("", dots ? dots + 2 : buf, 0, UINT64_MAX, hi, NULL, 0) != 0)
		return -1;
	return *lo > *hi ? -1 : 0;
}

#define IC_SIZE_MAX (64u << 20)

const char *ic_size_check(const char *value)
{
	uint64_t lo, hi;
	if (size_bounds(value, &lo, &hi) != 0)
		return "a size in bytes (64, 8K, 1M) or a range A..B";
	if (lo < IC_MSG_MIN)
		return "at least 32 bytes, the message header";
	if (hi > IC_SIZE_MAX)
		return "at most 64M";
	return NULL;
}

int ic_size_range(const ic_ctx *ctx, const char *key, uint64_t *lo, uint64_t *hi)
{
	const char *v = ic_variant(ctx, key);
	return v ? size_bounds(v, lo, hi) : -1;
}

/* ---- Loops ---- */

static uint32_t draw_len(ic_ctx *ctx, uint64_t lo, uint64_t hi)
{
	return (uint32_t)(lo + (hi > lo ? ic_rand(ctx) % (hi - lo + 1) : 0));
}

/* The "size" key when the scenario has one, else IC_MSG_DEFAULT: 0, or -1 (an invalid size). */
static int message_sizes(const ic_ctx *ctx, uint64_t *lo, uint64_t *hi)
{
	if (!ic_variant(ctx, "size")) {
		*lo = *hi = IC_MSG_DEFAULT;
		return 0;
	}
	return ic_size_range(ctx, "size", lo, hi);
}

/* The loops take role 0 as producers, 1 as consumers: anywhere else the run is BROKEN, and says why. */
static bool loop_in_role(ic_ctx *ctx, unsigned role, const char *loop)
{
	unsigned mine = ic_role(ctx);
	if (mine == role)
		return true;
	ic_slot *s = &ctx->arena->slots[ctx->slot];
	snprintf(s->misuse, sizeof(s->misuse),
		 "%s runs in role %u (%s), but the loops take role 0 as the producers and role 1 as the "
		 "consumers",
		 loop, mine, mine < ctx->cfg->nroles ? ctx->cfg->sc->roles[mine].name : "?");
	return false;
}

static int channel_open(ic_ctx *ctx, const ic_channel *ch)
{
	return ch->open ? ch->open(ctx) : 0;
}

static void channel_close(ic_ctx *ctx, const ic_channel *ch)
{
	if (ch->close)
		ch->close(ctx);
}

/*
 * What every process's log says so far, read incrementally by a consumer or
 * the drain: how many messages were sent and received, so that an
 * asynchronous channel is waited for and a flood of duplicates is stopped.
 */
typedef struct log_view {
	uint64_t seen[IC_MAX_PROCS + 1];  /* records read, per slot */
	bool open_recv[IC_MAX_PROCS + 1]; /* its last receive is invoked and not completed */
	uint64_t invoked;    /* sends invoked, whatever became of them */
	uint64_t sent;       /* sends logged ok */
	uint64_t received;   /* receives logged ok, by every consumer and the drain */
	uint64_t changed_ns; /* when `received` was last seen to grow */
} log_view;

static void view_scan(ic_ctx *ctx, log_view *v)
{
	ic_arena *a = ctx->arena;
	uint64_t before = v->received;
	for (unsigned s = 0; s < a->nslots && s <= IC_MAX_PROCS; s++) {
		ic_slot *slot = &a->slots[s];
		const ic_event *ev = ic_slot_events(a, slot);
		uint64_t n = atomic_load_explicit(&slot->committed, memory_order_acquire);
		for (uint64_t i = v->seen[s]; i < n; i++) {
			if (ev[i].op == IC_OP_SEND) {
				v->invoked += ev[i].kind == IC_EV_INVOKE;
				v->sent += ev[i].kind == IC_EV_OK;
			} else if (ev[i].op == IC_OP_RECV) {
				v->received += ev[i].kind == IC_EV_OK;
				v->open_recv[s] = ev[i].kind == IC_EV_INVOKE;
			}
		}
		v->seen[s] = n;
	}
	if (v->received != before || v->changed_ns == 0)
		v->changed_ns = ic_now_ns();
}

/*
 * More received than was ever sent: duplicates (or messages never sent),
 * for certain; receiving on cannot undo it. Every send of a message counted
 * in the first scan was logged before that message could be received, so the
 * second scan has seen it.
 */
static bool flooded(ic_ctx *ctx, log_view *v)
{
	view_scan(ctx, v);
	uint64_t received = v->received;
	view_scan(ctx, v);
	return received > v->invoked;
}

/* Processes that died with a receive open: each may have taken one message with it. */
static uint64_t dead_readers(const ic_ctx *ctx, const log_view *v)
{
	uint64_t n = 0;
	for (unsigned s = 0; s + 1 < ctx->arena->nslots && s < IC_MAX_PROCS; s++)
		n += v->open_recv[s] && s != ctx->slot &&
		     atomic_load_explicit(&ctx->arena->slots[s].finished, memory_order_acquire);
	return n;
}

/* Half the watchdog: a wait for late messages ends before it could be taken for a hang. */
static uint64_t settle_ns(const ic_ctx *ctx)
{
	double t = ctx->cfg->timeout_s * ic_timeout_factor() * (ctx->cfg->under ? IC_VALGRIND_SLOWDOWN : 1);
	return t < 1e9 ? (uint64_t)(t * 0.5e9) : UINT64_MAX;
}

/*
 * An asynchronous channel, its producers finished, nothing now: are messages
 * they logged as sent still on their way? Until all have arrived (less those
 * dead readers may have taken), unless none arrived for half the watchdog.
 */
static bool still_arriving(ic_ctx *ctx, log_view *v)
{
	view_scan(ctx, v);
	if (v->received + dead_readers(ctx, v) >= v->sent)
		return false;
	return ic_now_ns() - v->changed_ns < settle_ns(ctx);
}

#define SEND_AT_ONCE 16 /* consecutive EAGAINs retried at once (a poll may have said ready) */
#define CHECK_EVERY 64  /* receives between two looks for a flood of duplicates */

/* 0 sent; an errno for a send that failed for good (logged as such). */
static int send_one(ic_ctx *ctx, const ic_channel *ch, const void *buf, uint32_t len,
		    unsigned lane)
{
	ic_backoff wait = {.spins = 64, .yields = 100, .sleep_us = 50};
	for (unsigned interrupted = 0, again = 0;;) {
		int rc = ch->send(ctx, buf, len, lane);
		if (rc == 0)
			return 0;
		/* Full: wait on, unless nobody is left to make room (then: not sent, stop). */
		if ((rc == ETIMEDOUT || rc == EAGAIN) && ic_role_running(ctx, IC_ROLE_CONSUMER) == 0)
			return ENOTCONN;
		if (rc == EINTR && ++interrupted >= MAX_CALL_ERRORS)
			return rc;
		if (rc != EINTR && rc != EAGAIN && rc != ETIMEDOUT)
			return rc;
		/* A peer still connecting answers EAGAIN for long: not millions of calls. */
		if (rc == EAGAIN && ++again > SEND_AT_ONCE)
			ic_backoff_wait(ctx, &wait, 0);
		else if (rc != EAGAIN)
			again = 0;
	}
}

static int produce(ic_ctx *ctx, const ic_channel *ch, unsigned char *buf, uint64_t lo, uint64_t hi)
{
	unsigned me = ic_proc(ctx);
	for (uint64_t seq = 0; seq < ic_ops(ctx); seq++) {
		uint32_t len = draw_len(ctx, lo, hi);
		unsigned lane = ch->lane ? ch->lane(ctx, seq) : 0;
		uint64_t id = ic_msg_id(me, seq);
		ic_msg_fill(buf, len, me, seq, lane, (uint32_t)ic_rand(ctx));
		ic_point(ctx, "produce/begin");
		ic_invoke(ctx, IC_OP_SEND, id, (uint64_t)len << 16 | lane << 8);
		ic_race_msg_sent(ctx, seq); /* --detect races: all before it happens before its receive */
		int rc = send_one(ctx, ch, buf, len, lane);
		if (rc != 0) {
			ic_fail(ctx, IC_OP_SEND, (uint64_t)rc, id);
			if (rc == ENOTCONN)
				break;
			continue;
		}
		ic_ok(ctx, IC_OP_SEND, id, (uint64_t)len << 16 | lane << 8);
		ic_point(ctx, "produce/sent");
	}
	if (ch->done)
		ch->done(ctx);
	return 0;
}

int ic_producer_loop(ic_ctx *ctx, const ic_channel *ch)
{
	uint64_t lo, hi;
	if (!loop_in_role(ctx, IC_ROLE_PRODUCER, "ic_producer_loop") || message_sizes(ctx, &lo, &hi) != 0)
		return 2;
	unsigned char *buf = malloc(hi);
	if (!buf)
		return 2;
	int rc = channel_open(ctx, ch) != 0 ? 1 : 0;
	if (rc == 0) {
		rc = produce(ctx, ch, buf, lo, hi);
		channel_close(ctx, ch);
	}
	free(buf);
	return rc;
}

static void log_received(ic_ctx *ctx, const unsigned char *buf, long n)
{
	ic_msg_hdr h;
	int status = ic_msg_check(buf, (size_t)n, &h);
	uint64_t id = status == IC_MSG_GARBLED ? UINT64_MAX : ic_msg_id(h.producer, h.seq);
	uint32_t lane = status == IC_MSG_GARBLED ? 0 : (h.lane & 0xff);
	ic_ok(ctx, IC_OP_RECV, id, (uint64_t)n << 16 | lane << 8 | (uint64_t)status);
}

/* Receive one: >0 a length, 0 nothing more will come, <0 -errno that is not transient. */
static long receive_one(ic_ctx *ctx, const ic_channel *ch, unsigned char *buf, size_t cap, log_view *v)
{
	bool arriving = false; /* an async channel's producers finished; late messages are awaited */
	for (unsigned errors = 0;;) {
		/* Read before receiving: anything sent before the producers finished is there. */
		bool finished = ic_role_running(ctx, IC_ROLE_PRODUCER) == 0;
		long n = ch->recv(ctx, buf, cap, false, finished && !arriving ? 0 : WAIT_MS);
		if (n > 0) {
			ic_race_msg_received(ctx, buf, n);
			return n;
		}
		if (n == -ENODATA)
			return 0; /* the channel knows it is drained: nothing is on its way */
		if (n == 0 && finished) {
			if (!(ch->flags & IC_CHANNEL_ASYNC) || !still_arriving(ctx, v))
				return 0;
			arriving = true;
			continue;
		}
		if (n < 0 && n != -EINTR && n != -EAGAIN && n != -ETIMEDOUT && n != -ENOMSG)
			return n;
		if (n < 0 && ++errors >= MAX_CALL_ERRORS)
			return n;
	}
}

static void consume(ic_ctx *ctx, const ic_channel *ch, unsigned char *buf, size_t cap, log_view *v)
{
	for (uint64_t got = 0;; got++) {
		ic_point(ctx, "consume/begin");
		ic_invoke(ctx, IC_OP_RECV, 0, 0);
		long n = receive_one(ctx, ch, buf, cap, v);
		if (n <= 0) {
			/* Closes the open receive: this one got nothing, it is not indeterminate. */
			ic_fail(ctx, IC_OP_RECV, (uint64_t)-n, 0);
			return;
		}
		log_received(ctx, buf, n);
		ic_point(ctx, "consume/received");
		if (got % CHECK_EVERY == CHECK_EVERY - 1 && flooded(ctx, v)) {
			ic_info(ctx, IC_OP_FLOOD, v->received, v->invoked);
			return; /* a finding already: the log holds the proof */
		}
	}
}

int ic_consumer_loop(ic_ctx *ctx, const ic_channel *ch)
{
	uint64_t lo, hi;
	if (!loop_in_role(ctx, IC_ROLE_CONSUMER, "ic_consumer_loop") || message_sizes(ctx, &lo, &hi) != 0)
		return 2;
	unsigned char *buf = malloc(hi + 1);
	log_view *v = calloc(1, sizeof(*v));
	int rc = 2;
	if (!buf || !v)
		goto out;
	rc = channel_open(ctx, ch) != 0 ? 1 : 0;
	if (rc == 0) {
		consume(ctx, ch, buf, hi + 1, v);
		channel_close(ctx, ch);
	}
out:
	free(v);
	free(buf);
	return rc;
}

/* The drain's receive: as receive_one, everything being over (every endpoint, late messages awaited). */
static long drain_one(ic_ctx *ctx, const ic_channel *ch, unsigned char *buf, size_t cap, log_view *v)
{
	bool arriving = false;
	for (unsigned errors = 0;;) {
		long n = ch->recv(ctx, buf, cap, true, arriving ? WAIT_MS : 0);
		if (n > 0)
			return n;
		if (n == -ENODATA)
			return 0; /* drained, by the channel's own account */
		if (n == 0) {
			if (!(ch->flags & IC_CHANNEL_ASYNC) || !still_arriving(ctx, v))
				return 0;
			arriving = true;
			continue;
		}
		if ((n != -EINTR && n != -EAGAIN) || ++errors >= MAX_CALL_ERRORS)
			return n;
	}
}

int ic_drain(ic_ctx *ctx, const ic_channel *ch)
{
	uint64_t lo, hi;
	if (message_sizes(ctx, &lo, &hi) != 0)
		return -1;
	unsigned char *buf = malloc(hi + 1);
	log_view *v = calloc(1, sizeof(*v));
	int rc = -1, err = ENOMEM;
	if (!buf || !v || (err = channel_open(ctx, ch)) != 0) {
		errno = err; /* what the report says the final read failed with */
		goto out;
	}
	for (uint64_t got = 0;; got++) {
		ic_invoke(ctx, IC_OP_RECV, 0, 0);
		long n = drain_one(ctx, ch, buf, hi + 1, v);
		if (n <= 0) {
			ic_fail(ctx, IC_OP_RECV, (uint64_t)-n, 0);
			break;
		}
		log_received(ctx, buf, n);
		if (got % CHECK_EVERY == CHECK_EVERY - 1 && flooded(ctx, v)) {
			ic_info(ctx, IC_OP_FLOOD, v->received, v->invoked);
			break;
		}
	}
	channel_close(ctx, ch);
	rc = 0;
out:
	free(v);
	free(buf);
	return rc;
}

int ic_channel_producer(ic_ctx *ctx)
{
	return ic_producer_loop(ctx, ctx->cfg->sc->channel);
}

int ic_channel_consumer(ic_ctx *ctx)
{
	return ic_consumer_loop(ctx, ctx->cfg->sc->channel);
}

int ic_channel_drain(ic_ctx *ctx)
{
	return ic_drain(ctx, ctx->cfg->sc->channel);
}

/* ---- Endpoints partitioned among consumers ---- */

/* Does this consumer read endpoint i now? Its own, and those of dead consumers. */
static bool reads_endpoint(const ic_ctx *ctx, unsigned i)
{
	unsigned consumers = ic_role_count(ctx, IC_ROLE_CONSUMER), me = ic_index(ctx);
	if (consumers == 0 || i % consumers == me)
		return true;
	if (ic_peer_running(ctx, IC_ROLE_CONSUMER, i % consumers))
		return false;
	for (unsigned j = 0; j < consumers; j++)
		if (ic_peer_running(ctx, IC_ROLE_CONSUMER, j))
			return j == me; /* the lowest running consumer takes it over */
	return true;
}

long ic_endpoints_recv(ic_ctx *ctx, const ic_endpoints *ep, void *buf, size_t cap, bool drain,
		       int wait_ms)
{
	struct pollfd fds[IC_MAX_PROCS];
	unsigned nfds = 0;
	for (unsigned i = 0; i < ep->n; i++) {
		if (!drain && !reads_endpoint(ctx, i))
			continue;
		long n = ep->one(ctx, i, buf, cap, drain);
		if (n != 0)
			return n;
		if (nfds < IC_MAX_PROCS)
			fds[nfds++] = (struct pollfd){.fd = ep->fd(ctx, i), .events = POLLIN};
	}
	if (wait_ms > 0 && nfds && ic_poll(ctx, fds, nfds, wait_ms) > 0)
		return ic_endpoints_recv(ctx, ep, buf, cap, drain, 0);
	return 0;
}

/* ---- Framed byte streams ---- */

ic_stream *ic_stream_new(int fd, size_t max_msg)
{
	ic_stream *s = calloc(1, sizeof(*s) + max_msg + sizeof(ic_msg_hdr));
	if (s) {
		s->fd = fd;
		s->max_msg = max_msg;
	}
	return s;
}

size_t ic_stream_discard(ic_stream *s)
{
	size_t n = s->have;
	s->skipped += n;
	s->have = 0;
	return n;
}

void ic_stream_free(ic_stream *s)
{
	free(s);
}

static size_t stream_cap(const ic_stream *s)
{
	return s->max_msg + sizeof(ic_msg_hdr);
}

/*
 * A whole intact message at the start of the buffer: its length; 0: need
 * more bytes; -1: the start is not a message (drop a byte and look again).
 */
static long frame_at_start(const ic_stream *s, bool check_crc)
{
	ic_msg_hdr h;
	if (s->have < sizeof(h))
		return 0;
	memcpy(&h, s->buf, sizeof(h));
	if (h.magic != IC_MSG_MAGIC || h.len < sizeof(h) || h.len > s->max_msg)
		return -1;
	if (s->have < h.len)
		return 0;
	if (!check_crc)
		return (long)h.len;
	return ic_msg_check(s->buf, h.len, &h) == IC_MSG_INTACT ? (long)h.len : -1;
}

static void stream_consume(ic_stream *s, size_t n)
{
	memmove(s->buf, s->buf + n, s->have - n);
	s->have -= n;
}

/*
 * How many bytes complete the frame at the start. Never more: bytes read
 * ahead into a reader's private buffer would die with it, while a receive
 * that was not even open, and so be lost beyond any excuse.
 */
static size_t stream_need(const ic_stream *s)
{
	ic_msg_hdr h;
	if (s->have < sizeof(h))
		return sizeof(h) - s->have;
	memcpy(&h, s->buf, sizeof(h));
	return h.len > s->have ? h.len - s->have : 0;
}

/* Read up to what the current frame needs, waiting up to wait_ms for the first byte. */
static long stream_fill(ic_ctx *ctx, ic_stream *s, size_t cap, int wait_ms)
{
	size_t need = stream_need(s);
	if (s->eof || need == 0 || s->have + need > cap)
		return 0;
	if (wait_ms > 0) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		if (ic_poll(ctx, &p, 1, wait_ms) == 0)
			return 0;
	}
	ssize_t n = ic_read(ctx, s->fd, s->buf + s->have, need);
	if (n > 0)
		s->have += (size_t)n;
	else if (n == 0)
		s->eof = true;
	else if (errno != EAGAIN)
		return -errno;
	return n > 0 ? n : 0;
}

long ic_stream_recv(ic_ctx *ctx, ic_stream *s, void *out, size_t out_cap, int wait_ms)
{
	size_t cap = stream_cap(s);
	/* A bench measures the channel: its messages carry no crc, and no kill tears them. */
	bool check_crc = ctx->cfg->bench == NULL;
	for (int round = 0;; round++) {
		long len;
		while ((len = frame_at_start(s, check_crc)) < 0) {
			/* Torn by a killed peer: skip to the next header that proves whole. */
			stream_consume(s, 1);
			s->skipped++;
		}
		if (len > 0) {
			if ((size_t)len > out_cap)
				return -EMSGSIZE;
			memcpy(out, s->buf, (size_t)len);
			stream_consume(s, (size_t)len);
			return len;
		}
		long got = stream_fill(ctx, s, cap, round == 0 ? wait_ms : 0);
		if (got < 0)
			return got;
		if (got == 0)
			return 0;
	}
}

int ic_stream_send(ic_ctx *ctx, int fd, const void *msg, size_t len)
{
	const unsigned char *p = msg;
	size_t off = 0;
	unsigned errors = 0;
	while (off < len) {
		ssize_t n = ic_write(ctx, fd, p + off, len - off);
		if (n > 0) {
			off += (size_t)n;
			errors = 0; /* the limit is on consecutive interruptions */
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return errno;
		if (n < 0 && errno == EINTR) {
			if (++errors >= MAX_CALL_ERRORS)
				return EINTR;
			continue;
		}
		/* Full: wait for room, but give up mid-frame only if no reader is left. */
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		if (ic_poll(ctx, &pf, 1, WAIT_MS) == 0 && ic_role_running(ctx, IC_ROLE_CONSUMER) == 0)
			return ENOTCONN;
	}
	return 0;
}
