/*
 * shm_batch: a single-producer single-consumer ring in a shared segment
 * built the way fast SPSC queues are: thousands of slots, each side caching
 * what it knows of the other, positions published in batches, and an
 * in-place API (reserve, write the message into shared memory, commit;
 * peek at it where it lies, release) behind the copying send and recv.
 *
 * A slot is a stamp, a length and the message. The producer publishes a
 * message by storing its stamp (position + 1, release) last, in the cache
 * line it has just written, so the consumer never reads a producer's index.
 * The consumer keeps its position in a line of its own and publishes it to
 * the producer once per batch of releases (and whenever it finds the ring
 * empty); the producer rereads that published position only when its last
 * look says the ring is full. A killed producer leaves at most its
 * unstamped message (indeterminate); a killed consumer leaves its true
 * position, from which the drain goes on: nothing is delivered twice.
 *
 * Planted bugs: publish_before_write (the stamp goes out at reserve, before
 * the message is written: the consumer reads a slot's old bytes);
 * release_before_read (the consumer publishes its position past a message
 * before copying it out: a producer waiting for room overwrites it).
 * api= only tells `ipchaos bench` how to drive it: copy (send/recv), inplace
 * (reserve/commit and peek/release, the consumer checking the header), or
 * inplace_read (the consumer also reads every byte where it lies); the run
 * loops always copy, through the same calls.
 * Checkers: messages, hang, crash, leaks, perms. Injectors: delay, stall,
 * kill (the ring makes no wrapped call: fail never acts; it takes no lock).
 */
#include "ipchaos.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BATCH_RING_BYTES (16u << 20) /* the slots' budget: 4096 slots up to ~4 KiB messages */
#define BATCH_MAX_SLOTS 4096u
#define BATCH_MIN_SLOTS 4u

enum batch_bug { BUG_NONE, BUG_PUBLISH_BEFORE_WRITE, BUG_RELEASE_BEFORE_READ };

static const char *const bug_values[] = {"none", "publish_before_write", "release_before_read", NULL};
static const char *const api_values[] = {"copy", "inplace", "inplace_read", NULL};

static const char *slots_check(const char *value)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end || errno || n < BATCH_MIN_SLOTS || n > BATCH_MAX_SLOTS)
		return "a number of slots from 4 to 4096";
	return NULL;
}

static const ic_key batch_keys[] = {
	{"bug", bug_values, "a planted defect (see the file's comment)", NULL, NULL},
	{"size", NULL, "message size in bytes (64, 1M, A..B)", "64", ic_size_check},
	{"api", api_values, "how ipchaos bench drives it (copy, or in place); runs always copy", NULL, NULL},
	{"slots", NULL, "at most this many slots (4 to 4096; fewer if 16 MiB of slots cannot hold them)", "4096",
	 slots_check},
	{0},
};

static const char *const batch_points[] = {"produce/begin",      "produce/sent",     "consume/begin",
					   "consume/received",   "ring/push/reserved", "ring/pop/peeked",
					   NULL};

/* A slot's head; the message follows. */
typedef struct slot_hdr {
	_Atomic uint32_t stamp; /* (uint32_t)(position + 1) once the message at position is whole */
	uint32_t len;
} slot_hdr;

typedef struct batch {
	uint32_t cap;       /* slots */
	uint32_t slot_size; /* bytes: a slot_hdr, then the message, rounded to 8 */
	uint32_t max_len;   /* the longest message */
	uint32_t every;     /* releases per publication of the consumer's position */
	int bug;
	size_t bytes; /* the segment */
	/* The producer's line: only it reads or writes these. */
	_Alignas(64) uint64_t head; /* the next position to write */
	uint64_t tail_seen;         /* its last look at tail_pub */
	/* What the consumer publishes: read by the producer when its look says full. */
	_Alignas(64) _Atomic uint64_t tail_pub;
	/* The consumer's line: only it (and the drain, after every role ended) touches these. */
	_Alignas(64) uint64_t tail; /* the next position to read: the drain starts here */
	uint64_t published;         /* the last value it stored in tail_pub */
	_Alignas(64) unsigned char slots[];
} batch;

static int index_of(const char *const *values, const char *v)
{
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return 0;
}

static const char *batch_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	unsigned p = ic_role_count(ctx, 0), c = ic_role_count(ctx, 1);
	if (p == 1 && c == 1)
		return NULL;
	snprintf(buf, size, "shm_batch takes one producer and one consumer (--procs 1:1), not %u:%u", p, c);
	return buf;
}

static slot_hdr *slot_at(batch *r, uint64_t pos)
{
	return (slot_hdr *)(void *)(r->slots + (size_t)(pos % r->cap) * r->slot_size);
}

static int batch_setup(ic_ctx *ctx)
{
	uint64_t lo, hi;
	if (ic_size_range(ctx, "size", &lo, &hi) != 0)
		return -1;
	uint32_t slot_size = (uint32_t)((sizeof(slot_hdr) + hi + 7) & ~7ull);
	uint64_t cap = BATCH_RING_BYTES / slot_size, most = strtoull(ic_variant(ctx, "slots"), NULL, 10);
	cap = cap > most ? most : cap < BATCH_MIN_SLOTS ? BATCH_MIN_SLOTS : cap;
	size_t bytes = sizeof(batch) + (size_t)cap * slot_size;
	batch *r = ic_shm_create(ctx, "ring", bytes, O_CREAT | O_EXCL, 0600);
	if (!r)
		return -1;
	ic_set_state(ctx, r);
	r->bytes = bytes;
	r->cap = (uint32_t)cap;
	r->slot_size = slot_size;
	r->max_len = (uint32_t)hi;
	/* An eighth of the ring: the producer is never more than that behind the truth. */
	r->every = r->cap / 8 ? r->cap / 8 : 1;
	r->bug = index_of(bug_values, ic_variant(ctx, "bug"));
	return 0;
}

/* A role started by exec (run --under) maps the ring setup made. */
static int batch_attach(ic_ctx *ctx)
{
	batch *r = ic_shm_attach(ctx, "ring");
	if (!r)
		return -1;
	ic_set_state(ctx, r);
	return 0;
}

/* A side with nothing to do spins briefly, then yields, then sleeps (ic_backoff_wait). */
#define BATCH_BACKOFF ((ic_backoff){.spins = 256, .yields = 1000, .sleep_us = 50})

/* ---- Producer: reserve, write, commit ---- */

static void *batch_reserve(ic_ctx *ctx, size_t len)
{
	batch *r = ic_state(ctx);
	if (len > r->max_len) {
		errno = EMSGSIZE;
		return NULL;
	}
	uint64_t h = r->head;
	/* Trust the last look while it shows room: tail only grows. */
	for (ic_backoff wait = BATCH_BACKOFF; h - r->tail_seen >= r->cap;) {
		r->tail_seen = atomic_load_explicit(&r->tail_pub, memory_order_acquire);
		if (h - r->tail_seen < r->cap)
			break;
		if (!ic_backoff_wait(ctx, &wait, 20)) {
			errno = ETIMEDOUT;
			return NULL;
		}
	}
	slot_hdr *s = slot_at(r, h);
	/* The planted bug: the slot is announced before anything is in it. */
	if (r->bug == BUG_PUBLISH_BEFORE_WRITE)
		atomic_store_explicit(&s->stamp, (uint32_t)(h + 1), memory_order_release);
	return s + 1;
}

static void batch_commit(ic_ctx *ctx, size_t len)
{
	batch *r = ic_state(ctx);
	uint64_t h = r->head;
	slot_hdr *s = slot_at(r, h);
	s->len = (uint32_t)len;
	/* Last, with release: whoever sees the stamp sees the message whole. */
	if (r->bug != BUG_PUBLISH_BEFORE_WRITE)
		atomic_store_explicit(&s->stamp, (uint32_t)(h + 1), memory_order_release);
	r->head = h + 1;
}

static int batch_send(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	(void)lane;
	void *at = batch_reserve(ctx, len);
	if (!at)
		return errno;
	ic_point(ctx, "ring/push/reserved");
	memcpy(at, msg, len);
	batch_commit(ctx, len);
	return 0;
}

/* ---- Consumer: peek, read, release ---- */

/* Tells the producer how far this side has read (its batch, or everything before it waits). */
static void publish_tail(batch *r)
{
	r->published = r->tail;
	atomic_store_explicit(&r->tail_pub, r->tail, memory_order_release);
}

/* The message at the consumer's position if its stamp says it is there, else NULL. */
static const void *ready(batch *r, size_t *len)
{
	slot_hdr *s = slot_at(r, r->tail);
	if (atomic_load_explicit(&s->stamp, memory_order_acquire) != (uint32_t)(r->tail + 1))
		return NULL;
	uint32_t n = s->len;
	/* A length no producer wrote (only a planted bug gets here): the whole slot, garbled. */
	*len = n == 0 || n > r->max_len ? r->max_len : n;
	return s + 1;
}

static const void *batch_peek(ic_ctx *ctx, size_t *len, int wait_ms)
{
	batch *r = ic_state(ctx);
	const void *at;
	ic_backoff wait = BATCH_BACKOFF;
	while (!(at = ready(r, len))) {
		/* Going idle: the producer must not wait for a batch that will not fill. */
		if (r->published != r->tail)
			publish_tail(r);
		if (wait_ms == 0 || !ic_backoff_wait(ctx, &wait, wait_ms))
			return NULL;
	}
	return at;
}

static void batch_release(ic_ctx *ctx)
{
	batch *r = ic_state(ctx);
	r->tail++;
	if (r->tail - r->published >= r->every)
		publish_tail(r);
}

static long batch_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	size_t len;
	/* The drain runs after every role ended: it goes on from the consumer's true position. */
	const void *at = batch_peek(ctx, &len, drain ? 0 : wait_ms);
	if (!at)
		return 0;
	batch *r = ic_state(ctx);
	bool early = r->bug == BUG_RELEASE_BEFORE_READ && !drain;
	if (early) { /* the planted bug: the slot is handed back, then read */
		batch_release(ctx);
		publish_tail(r);
	}
	ic_point(ctx, "ring/pop/peeked");
	len = len < cap ? len : cap;
	memcpy(buf, at, len);
	/* Released before the ok is logged: a kill in between loses one (excused), never duplicates. */
	if (!early)
		batch_release(ctx);
	return (long)len;
}

static const ic_channel batch_channel = {
	.send = batch_send,
	.recv = batch_recv,
	.reserve = batch_reserve,
	.commit = batch_commit,
	.peek = batch_peek,
	.release = batch_release,
};

static void batch_teardown(ic_ctx *ctx)
{
	batch *r = ic_state(ctx);
	if (!r)
		return;
	munmap(r, r->bytes);
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "ring");
}

static const ic_role_desc batch_roles[] = {
	{"p", ic_channel_producer, 1},
	{"c", ic_channel_consumer, 1},
	{0},
};

static const ic_expect batch_expect[] = {
	{"bug=none", "delay;kill;stall", "pass", 200, NULL, NULL, 0},
	/* 16 slots: the producer laps the ring and waits on the consumer's batches. */
	{"bug=none,slots=16,size=32..300", "delay;kill;stall", "pass", 100, NULL, NULL, 300},
	{"bug=publish_before_write", "delay", "messages", 200, NULL, NULL, 0},
	{"bug=none", "kill;stall", "pass", 200, NULL, "controlled", 20},
	{"bug=none,slots=16", "kill;stall", "pass", 200, NULL, "controlled", 40},
	{"bug=publish_before_write", "", "messages", 100, NULL, "controlled", 20},
	/*
	 * A full ring: the producer waits for the very slot the consumer hands
	 * back early. (Controlled mode finds it about once in a hundred seeds:
	 * the producer must run two points inside the consumer's window.)
	 */
	{"bug=release_before_read,slots=16", "delay", "messages", 200, NULL, NULL, 0},
	{0},
};

const ic_scenario ic_scenario_shm_batch = {
	.name = "shm_batch",
	.summary = "an SPSC ring with thousands of slots, batched publication and in-place messages",
	.keys = batch_keys,
	.roles = batch_roles,
	.points = batch_points,
	.checkers = "messages,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 2,
	.setup = batch_setup,
	.attach = batch_attach,
	.observe = ic_channel_drain,
	.channel = &batch_channel,
	.teardown = batch_teardown,
	.expect = batch_expect,
	.validate = batch_validate,
};
