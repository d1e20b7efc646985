/*
 * hybrid: control by message passing, payload by shared memory. A producer
 * takes a free slot of a shared pool (its index arrives on a "free" mqueue),
 * writes the message there and sends the index on a "data" mqueue; the
 * consumer reads the slot and sends the index back. Only indices are copied
 * through the kernel. A dead role can take at most the slot it held with it;
 * the pool has one per queue entry. Order is the data queue's: per producer.
 * Planted bugs: early_release (the producer writes slots round-robin without
 * waiting for their release) and double_free (a consumer returns one slot
 * twice, so two producers fill it at once).
 * Checkers: messages, hang, crash, leaks. Injectors: all.
 */
#include "ipchaos.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define POOL 10 /* fs.mqueue.msg_max's default: the free queue holds every slot */

enum hybrid_bug { BUG_NONE, BUG_EARLY_RELEASE, BUG_DOUBLE_FREE };
static const char *const bug_values[] = {"none", "early_release", "double_free", NULL};

static const ic_key hybrid_keys[] = {
	{"bug", bug_values, "early_release: reuse slots unreleased; double_free: release one twice", NULL, NULL},
	{"size", NULL, "message size in bytes (64, 1M, A..B)", "64", ic_size_check},
	{0},
};

static const char *const hybrid_points[] = {"produce/begin",    "produce/sent",  "consume/begin",
					    "consume/received", "call/mq_send",  "call/mq_receive",
					    "hybrid/slot/taken", "hybrid/slot/read", NULL};

typedef struct pool {
	int bug;
	uint64_t double_free_op; /* which receive of c0 frees twice (from the seed) */
	uint32_t slot_size;      /* a uint32_t length, then the message */
	size_t bytes;
	unsigned char slots[];
} pool;

typedef struct hybrid_state {
	pool *pool;  /* shared */
	int data, free_q;
	uint64_t sent, received; /* this process's counts (private after fork) */
} hybrid_state;

static int make_pool(ic_ctx *ctx, hybrid_state *st, uint64_t max_msg)
{
	uint32_t slot_size = (uint32_t)((max_msg + sizeof(uint32_t) + 7) & ~7ull);
	size_t bytes = sizeof(pool) + (size_t)POOL * slot_size;
	st->pool = ic_shm_create(ctx, "pool", bytes, O_CREAT | O_EXCL, 0600);
	if (!st->pool)
		return -1;
	st->pool->bytes = bytes;
	st->pool->slot_size = slot_size;
	return 0;
}

static int hybrid_setup(ic_ctx *ctx)
{
	uint64_t lo, hi;
	hybrid_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	st->data = st->free_q = -1;
	ic_set_state(ctx, st);
	if (ic_size_range(ctx, "size", &lo, &hi) != 0)
		return -1;
	if (make_pool(ctx, st, hi) != 0)
		return -1;
	for (int i = 0; bug_values[i]; i++)
		if (strcmp(bug_values[i], ic_variant(ctx, "bug")) == 0)
			st->pool->bug = i;
	st->pool->double_free_op = ic_rand(ctx) % (ic_ops(ctx) ? ic_ops(ctx) : 1);
	st->data = ic_mq_open(ctx, "data", O_CREAT | O_EXCL | O_RDWR, 0600, POOL, sizeof(uint32_t));
	st->free_q = ic_mq_open(ctx, "free", O_CREAT | O_EXCL | O_RDWR, 0600, POOL, sizeof(uint32_t));
	if (st->data < 0 || st->free_q < 0)
		return -1;
	for (uint32_t i = 0; i < POOL; i++)
		if (mq_send((mqd_t)st->free_q, (const char *)&i, sizeof(i), 0) != 0)
			return -1;
	return 0;
}

/* A role started by exec (run --under) maps the pool and opens both queues. */
static int hybrid_attach(ic_ctx *ctx)
{
	hybrid_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	ic_set_state(ctx, st);
	st->pool = ic_shm_attach(ctx, "pool");
	st->data = ic_mq_open(ctx, "data", O_RDWR, 0, 0, 0);
	st->free_q = ic_mq_open(ctx, "free", O_RDWR, 0, 0, 0);
	return st->pool && st->data >= 0 && st->free_q >= 0 ? 0 : -1;
}

static unsigned char *slot(pool *p, uint32_t i)
{
	return p->slots + (size_t)(i % POOL) * p->slot_size;
}

/* A slot index from queue q, waiting up to ms: 0, or an errno (ETIMEDOUT when none came). */
static int take_index(ic_ctx *ctx, int q, uint32_t *idx, int ms)
{
	struct timespec until = ic_deadline(ms);
	return ic_mq_timedreceive(ctx, q, (char *)idx, sizeof(*idx), NULL, &until) == sizeof(*idx) ? 0 : errno;
}

static int put_index(ic_ctx *ctx, int q, uint32_t idx, int ms)
{
	struct timespec until = ic_deadline(ms);
	return ic_mq_timedsend(ctx, q, (const char *)&idx, sizeof(idx), 0, &until) == 0 ? 0 : errno;
}

static int hybrid_send(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	(void)lane;
	hybrid_state *st = ic_state(ctx);
	uint32_t idx;
	if (st->pool->bug == BUG_EARLY_RELEASE) {
		idx = (uint32_t)((st->sent * ic_role_count(ctx, 0) + ic_index(ctx)) % POOL);
	} else {
		int rc = take_index(ctx, st->free_q, &idx, 20);
		if (rc)
			return rc;
	}
	ic_point(ctx, "hybrid/slot/taken");
	uint32_t n = (uint32_t)len;
	memcpy(slot(st->pool, idx), &n, sizeof(n));
	memcpy(slot(st->pool, idx) + sizeof(n), msg, len);
	/* The slot is filled: hand it on, however long the data queue stays full. */
	for (;;) {
		int rc = put_index(ctx, st->data, idx, 20);
		if (rc == 0)
			break;
		if (rc != EINTR && rc != ETIMEDOUT)
			return rc;
		if (rc == ETIMEDOUT && ic_role_running(ctx, 1) == 0)
			return ENOTCONN;
	}
	st->sent++;
	return 0;
}

static long read_slot(pool *p, uint32_t idx, void *buf, size_t cap)
{
	uint32_t n;
	memcpy(&n, slot(p, idx), sizeof(n));
	if (n > cap || n > p->slot_size - sizeof(n))
		n = (uint32_t)(cap < p->slot_size - sizeof(n) ? cap : p->slot_size - sizeof(n));
	memcpy(buf, slot(p, idx) + sizeof(n), n);
	return (long)n;
}

/*
 * Copied out: give the slot back. The free queue has room for every slot, so
 * only an interrupted call is retried; a full queue means a slot was freed twice.
 */
static void release(ic_ctx *ctx, int q, uint32_t idx)
{
	for (int tries = 0; tries < 4; tries++) { /* injected failures never come twice in a row */
		int rc = put_index(ctx, q, idx, 0);
		if (rc != EINTR && rc != ETIMEDOUT)
			return;
	}
}

static long hybrid_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	hybrid_state *st = ic_state(ctx);
	uint32_t idx;
	int rc = take_index(ctx, st->data, &idx, wait_ms);
	if (rc)
		return rc == ETIMEDOUT ? 0 : -rc;
	long n = read_slot(st->pool, idx, buf, cap);
	if (drain)
		return n; /* the pool ends with the run: nothing to release */
	ic_point(ctx, "hybrid/slot/read");
	release(ctx, st->free_q, idx);
	if (st->pool->bug == BUG_DOUBLE_FREE && ic_index(ctx) == 0 && st->received == st->pool->double_free_op)
		release(ctx, st->free_q, idx);
	st->received++;
	return n;
}

static const ic_channel hybrid_channel = {.send = hybrid_send, .recv = hybrid_recv};

static void hybrid_teardown(ic_ctx *ctx)
{
	hybrid_state *st = ic_state(ctx);
	if (!st)
		return;
	if (st->data >= 0) {
		mq_close((mqd_t)st->data);
		ic_mq_unlink(ctx, "data");
	}
	if (st->free_q >= 0) {
		mq_close((mqd_t)st->free_q);
		ic_mq_unlink(ctx, "free");
	}
	if (st->pool) {
		munmap(st->pool, st->pool->bytes);
		ic_shm_unlink(ctx, "pool");
	}
	free(st);
	ic_set_state(ctx, NULL);
}

static const ic_role_desc hybrid_roles[] = {
	{"p", ic_channel_producer, 1},
	{"c", ic_channel_consumer, 1},
	{0},
};

static const ic_expect hybrid_expect[] = {
	{"", "delay;kill;stall;fail", "pass", 200, NULL, NULL, 0},
	{"", "delay;kill;stall;fail", "pass", 100, "2:2", NULL, 0},
	{"bug=early_release", "delay", "messages", 200, NULL, NULL, 0},
	{"bug=double_free", "delay", "messages", 200, "2:1", NULL, 0},
	{"", "kill;stall;fail", "pass", 200, NULL, "controlled", 20},
	{"bug=early_release", "", "messages", 100, NULL, "controlled", 20},
	{"bug=double_free", "", "messages", 100, "2:1", "controlled", 20},
	/* --detect races: a slot rewritten while its reader may still read it. */
	{"bug=early_release", "", "race", 5, NULL, "races", 40},
	/* Two producers fill the slot freed twice: each ordered with its own taking only. */
	{"bug=double_free", "", "race", 6, "2:1", "races", 10},
	{"", "delay;kill;stall;fail", "pass", 30, "2:2", "races", 50},
	{0},
};

const ic_scenario ic_scenario_hybrid = {
	.name = "hybrid",
	.summary = "indices over POSIX mqueues, payloads in a shared-memory pool",
	.keys = hybrid_keys,
	.roles = hybrid_roles,
	.points = hybrid_points,
	.checkers = "messages,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 2,
	.setup = hybrid_setup,
	.attach = hybrid_attach,
	.observe = ic_channel_drain,
	.channel = &hybrid_channel,
	.teardown = hybrid_teardown,
	.expect = hybrid_expect,
};
