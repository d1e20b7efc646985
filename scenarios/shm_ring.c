/*
 * shm_ring: a bounded ring buffer of messages in a shared segment, the
 * shared-memory way to pass messages. sync= picks the discipline:
 * mutex_cond (a process-shared mutex and two condvars), sem (counting
 * semaphores for items and spaces, a binary one for the indices) or
 * spsc_atomic (one producer, one consumer, acquire/release indices, no lock).
 * Planted bugs: none_sync (no synchronisation at all), check_then_act (two
 * consumers both see "not empty" and take the same slot), wrap_off_by_one
 * (the producer wraps at cap+1), lost_wakeup (a waiter that does not recheck,
 * a producer that signals only on empty), spsc_misuse (spsc with 2 producers).
 * A holder of the mutex or the binary semaphore that dies leaves the ring
 * locked for good: dead-holder. The drain reads tail..head directly.
 * Checkers: messages, dead-holder, hang, crash, leaks. Injectors: all but
 * fail, which acts only at wrapped calls and the ring makes none.
 */
#include "ipchaos.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define RING_SLOTS 8

enum ring_sync { SYNC_MUTEX_COND, SYNC_SEM, SYNC_SPSC };
enum ring_bug { BUG_NONE, BUG_NONE_SYNC, BUG_CHECK_THEN_ACT, BUG_WRAP, BUG_LOST_WAKEUP, BUG_SPSC_MISUSE };

static const char *const sync_values[] = {"mutex_cond", "sem", "spsc_atomic", NULL};
static const char *const bug_values[] = {"none",          "none_sync",   "check_then_act",
					 "wrap_off_by_one", "lost_wakeup", "spsc_misuse", NULL};

static const ic_key ring_keys[] = {
	{"sync", sync_values, "how producers and consumers synchronise", NULL, NULL},
	{"bug", bug_values, "a planted defect (see the file's comment)", NULL, NULL},
	{"size", NULL, "message size in bytes (64, 1M, A..B)", "64", ic_size_check},
	{0},
};

static const char *const ring_points[] = {"produce/begin",   "produce/sent",   "consume/begin",
					  "consume/received", "ring/push/locked", "ring/pop/locked",
					  "ring/pop/checked", NULL};
static const char *const ring_sites[] = {"ring", NULL};

typedef struct ring {
	int sync, bug;
	uint32_t cap, slot_size; /* slot: a uint32_t length, then the message */
	size_t bytes;            /* the segment's size */
	ic_lock_t lock;
	pthread_cond_t not_empty, not_full;
	sem_t items, spaces;
	/*
	 * Positions, never wrapped; a cache line each, or every push and pop
	 * bounces both. Beside each, spsc_atomic's last look at the other side's
	 * (written by that side alone): reloaded only when it says full or empty.
	 * Plain fields, as a locked ring has them: mutex_cond and sem touch them
	 * under their lock only (check_then_act's look without it is a data race,
	 * which --detect races reports); spsc_atomic reaches them through the
	 * __atomic builtins, the operations C11's atomics are made of.
	 */
	_Alignas(64) uint64_t head;
	uint64_t tail_seen;
	_Atomic uint64_t fill; /* spsc_atomic, a large message being written: FILL_POS | bytes */
	_Alignas(64) uint64_t tail;
	uint64_t head_seen;
	_Alignas(64) unsigned char slots[]; /* cap + 1 slots: wrap_off_by_one writes one past */
} ring;

static int index_of(const char *const *values, const char *v)
{
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return 0;
}

static const char *ring_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	int sync = index_of(sync_values, ic_variant(ctx, "sync"));
	int bug = index_of(bug_values, ic_variant(ctx, "bug"));
	unsigned p = ic_role_count(ctx, 0), c = ic_role_count(ctx, 1);
	if (sync == SYNC_SPSC && (p > 1 || c > 1) && bug != BUG_SPSC_MISUSE)
		snprintf(buf, size, "sync=spsc_atomic takes one producer and one consumer (--procs 1:1), "
				    "not %u:%u; bug=spsc_misuse asks for that misuse", p, c);
	else if (bug == BUG_SPSC_MISUSE && sync != SYNC_SPSC)
		snprintf(buf, size, "bug=spsc_misuse needs sync=spsc_atomic");
	else if ((bug == BUG_CHECK_THEN_ACT || bug == BUG_WRAP || bug == BUG_LOST_WAKEUP) &&
		 sync != SYNC_MUTEX_COND)
		snprintf(buf, size, "bug=%s is planted in sync=mutex_cond", bug_values[bug]);
	else
		return NULL;
	return buf;
}

static unsigned char *slot_at(ring *r, uint64_t pos, uint32_t modulus)
{
	return r->slots + (size_t)(pos % modulus) * r->slot_size;
}

static void put(ring *r, uint64_t pos, const void *msg, size_t len)
{
	/* The planted wrap: the producer counts cap + 1 slots, the consumer cap. */
	unsigned char *s = slot_at(r, pos, r->bug == BUG_WRAP ? r->cap + 1 : r->cap);
	uint32_t n = (uint32_t)len;
	memcpy(s, &n, sizeof(n));
	memcpy(s + sizeof(n), msg, len);
}

static long take(ring *r, uint64_t pos, void *buf, size_t cap)
{
	const unsigned char *s = slot_at(r, pos, r->cap);
	uint32_t n;
	memcpy(&n, s, sizeof(n));
	if (n > r->slot_size - sizeof(n) || n > cap)
		n = (uint32_t)(cap < r->slot_size - sizeof(n) ? cap : r->slot_size - sizeof(n));
	memcpy(buf, s + sizeof(n), n);
	return (long)n;
}

static int init_sync(ic_ctx *ctx, ring *r)
{
	if (r->sync == SYNC_SPSC || r->bug == BUG_NONE_SYNC)
		return 0;
	if (r->sync == SYNC_SEM)
		return ic_lock_init(ctx, &r->lock, IC_LOCK_SEM, "ring") != 0 || sem_init(&r->items, 1, 0) != 0 ||
			       sem_init(&r->spaces, 1, r->cap) != 0
		       ? -1
		       : 0;
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	int rc = pthread_cond_init(&r->not_empty, &attr) || pthread_cond_init(&r->not_full, &attr);
	pthread_condattr_destroy(&attr);
	return rc || ic_lock_init(ctx, &r->lock, IC_LOCK_MUTEX, "ring") != 0 ? -1 : 0;
}

/* A role started by exec (run --under) maps the ring setup made. */
static int ring_attach(ic_ctx *ctx)
{
	ring *r = ic_shm_attach(ctx, "ring");
	if (!r)
		return -1;
	ic_set_state(ctx, r);
	return 0;
}

static int ring_setup(ic_ctx *ctx)
{
	uint64_t lo, hi;
	if (ic_size_range(ctx, "size", &lo, &hi) != 0)
		return -1;
	/* Whole cache lines: a slot being written never shares one with a slot being read. */
	uint32_t slot_size = (uint32_t)((hi + sizeof(uint32_t) + 63) & ~63ull);
	size_t bytes = sizeof(ring) + (size_t)(RING_SLOTS + 1) * slot_size;
	ring *r = ic_shm_create(ctx, "ring", bytes, O_CREAT | O_EXCL, 0600);
	if (!r)
		return -1;
	ic_set_state(ctx, r);
	r->bytes = bytes;
	r->cap = RING_SLOTS;
	r->slot_size = slot_size;
	r->sync = index_of(sync_values, ic_variant(ctx, "sync"));
	r->bug = index_of(bug_values, ic_variant(ctx, "bug"));
	return init_sync(ctx, r);
}

/* A lock-free side waits by ic_backoff_wait: about 5-30 us of spinning, then yields, then short sleeps. */
#define RING_BACKOFF ((ic_backoff){.spins = 256, .yields = 1000, .sleep_us = 50})

/* ---- mutex_cond (and its planted bugs) ---- */

static int mc_send(ic_ctx *ctx, ring *r, const void *msg, size_t len)
{
	if (ic_lock(ctx, &r->lock) < 0)
		return errno;
	ic_point(ctx, "ring/push/locked");
	while (r->head - r->tail >= r->cap) {
		struct timespec until = ic_deadline(20);
		if (ic_cond_timedwait(ctx, &r->not_full, &r->lock, &until) == ETIMEDOUT) {
			ic_unlock(ctx, &r->lock);
			return ETIMEDOUT;
		}
	}
	bool was_empty = r->head == r->tail;
	put(r, r->head, msg, len);
	r->head++;
	/* lost_wakeup: signal only on empty, the "optimisation" that needs a careful waiter. */
	if (r->bug != BUG_LOST_WAKEUP || was_empty)
		ic_cond_signal(ctx, &r->not_empty);
	ic_unlock(ctx, &r->lock);
	return 0;
}

static long mc_recv(ic_ctx *ctx, ring *r, void *buf, size_t cap, int wait_ms)
{
	if (r->bug == BUG_CHECK_THEN_ACT) {
		uint64_t t = r->tail; /* checked without the lock: the planted race */
		if (t == r->head) {
			if (wait_ms > 0)
				ic_backoff_wait(ctx, &(ic_backoff){.sleep_us = 50}, wait_ms);
			return 0;
		}
		ic_point(ctx, "ring/pop/checked");
		if (ic_lock(ctx, &r->lock) < 0)
			return -errno;
		long n = take(r, t, buf, cap);
		r->tail = t + 1;
		ic_cond_signal(ctx, &r->not_full);
		ic_unlock(ctx, &r->lock);
		return n;
	}
	if (ic_lock(ctx, &r->lock) < 0)
		return -errno;
	ic_point(ctx, "ring/pop/locked");
	if (r->bug == BUG_LOST_WAKEUP && r->head == r->tail && wait_ms > 0) {
		/* Waits once, unbounded, without rechecking: a signal sent before it is lost. */
		ic_unlock(ctx, &r->lock);
		ic_point(ctx, "ring/pop/checked");
		ic_lock(ctx, &r->lock);
		ic_cond_timedwait(ctx, &r->not_empty, &r->lock, NULL);
	}
	while (r->head == r->tail) {
		struct timespec until = ic_deadline(wait_ms);
		if (wait_ms == 0 || ic_cond_timedwait(ctx, &r->not_empty, &r->lock, &until) == ETIMEDOUT) {
			ic_unlock(ctx, &r->lock);
			return 0;
		}
	}
	long n = take(r, r->tail, buf, cap);
	r->tail++;
	ic_cond_signal(ctx, &r->not_full);
	ic_unlock(ctx, &r->lock);
	return n;
}

/* ---- sem ---- */

static int sem_send(ic_ctx *ctx, ring *r, const void *msg, size_t len)
{
	struct timespec until = ic_deadline(20);
	if (ic_sem_timedwait(ctx, &r->spaces, &until) != 0)
		return errno;
	if (ic_lock(ctx, &r->lock) < 0)
		return errno;
	ic_point(ctx, "ring/push/locked");
	put(r, r->head, msg, len);
	r->head++;
	ic_unlock(ctx, &r->lock);
	sem_post(&r->items);
	return 0;
}

static long sem_recv(ic_ctx *ctx, ring *r, void *buf, size_t cap, int wait_ms)
{
	struct timespec until = ic_deadline(wait_ms);
	if ((wait_ms == 0 ? sem_trywait(&r->items) : ic_sem_timedwait(ctx, &r->items, &until)) != 0)
		return errno == EAGAIN || errno == ETIMEDOUT ? 0 : -errno;
	if (ic_lock(ctx, &r->lock) < 0)
		return -errno;
	ic_point(ctx, "ring/pop/locked");
	long n = take(r, r->tail, buf, cap);
	r->tail++;
	ic_unlock(ctx, &r->lock);
	sem_post(&r->spaces);
	return n;
}

/* ---- spsc_atomic, and none_sync (the same without ordering, shared by many) ---- */

/* The other side's index; the correct ring remembers it (only its one writer does). */
static uint64_t last_look(ring *r, uint64_t *seen, uint64_t *index, int acq)
{
	uint64_t v = __atomic_load_n(index, acq);
	if (r->bug == BUG_NONE)
		*seen = v;
	return v;
}

/*
 * A large message streams through its slot in chunks that the consumer copies
 * out while the producer writes the next: each chunk is read from the cache
 * it was just written to, instead of whole megabytes going through memory.
 * Only the correct ring does it; the planted bugs keep the plain path.
 */
#define STREAM_CHUNK (64u * 1024)
#define FILL_POS_SHIFT 27 /* bytes below (slots are at most 64 MiB), position above */

static uint64_t fill_of(uint64_t pos, size_t bytes)
{
	return pos << FILL_POS_SHIFT | bytes;
}

static bool streams(const ring *r, size_t len)
{
	return r->bug == BUG_NONE && len >= 2 * STREAM_CHUNK;
}

static void put_streaming(ring *r, uint64_t pos, const unsigned char *msg, size_t len)
{
	unsigned char *s = slot_at(r, pos, r->cap);
	uint32_t n = (uint32_t)len;
	memcpy(s, &n, sizeof(n));
	for (size_t off = 0; off < len; off += STREAM_CHUNK) {
		size_t c = len - off < STREAM_CHUNK ? len - off : STREAM_CHUNK;
		memcpy(s + sizeof(n) + off, msg + off, c);
		atomic_store_explicit(&r->fill, fill_of(pos, off + c), memory_order_release);
	}
}

/* Bytes of the message at pos written so far: all once head is past it. */
static size_t filled(ring *r, uint64_t pos, size_t n)
{
	if (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) > pos)
		return n;
	uint64_t f = atomic_load_explicit(&r->fill, memory_order_acquire);
	return f >> FILL_POS_SHIFT == pos ? (size_t)(f & ((1ull << FILL_POS_SHIFT) - 1)) : 0;
}

/* Copies the message at pos out as it is written; 0 when it was not all written in time. */
static long take_streaming(ic_ctx *ctx, ring *r, uint64_t pos, unsigned char *buf, size_t cap, int wait_ms)
{
	const unsigned char *s = slot_at(r, pos, r->cap);
	uint32_t n;
	memcpy(&n, s, sizeof(n));
	if (n > r->slot_size - sizeof(n) || n > cap)
		n = (uint32_t)(cap < r->slot_size - sizeof(n) ? cap : r->slot_size - sizeof(n));
	ic_backoff wait = RING_BACKOFF;
	for (size_t copied = 0; copied < n;) {
		size_t avail = filled(r, pos, n);
		avail = avail < n ? avail : n;
		if (avail > copied) {
			memcpy(buf + copied, s + sizeof(n) + copied, avail - copied);
			copied = avail;
			wait.n = 0;
		} else if (wait_ms == 0 || !ic_backoff_wait(ctx, &wait, wait_ms)) {
			return 0; /* a producer killed mid-message: never delivered */
		}
	}
	return (long)n;
}

static int spsc_send(ic_ctx *ctx, ring *r, const void *msg, size_t len)
{
	int acq = r->bug == BUG_NONE_SYNC ? __ATOMIC_RELAXED : __ATOMIC_ACQUIRE;
	int rel = r->bug == BUG_NONE_SYNC ? __ATOMIC_RELAXED : __ATOMIC_RELEASE;
	uint64_t h = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
	/*
	 * The correct ring trusts its last look at tail while that says there is
	 * room (tail only grows, and that look was an acquire): one cache-line
	 * transfer per lap of the ring instead of one per message.
	 */
	if (r->bug == BUG_NONE && h - r->tail_seen < r->cap)
		goto room;
	/* Signed: under none_sync a racing tail can pass head, and must not read as "full". */
	for (ic_backoff wait = RING_BACKOFF;
	     (int64_t)(h - last_look(r, &r->tail_seen, &r->tail, acq)) >= (int64_t)r->cap;)
		if (!ic_backoff_wait(ctx, &wait, 20))
			return ETIMEDOUT;
room:
	if (streams(r, len))
		put_streaming(r, h, msg, len);
	else
		put(r, h, msg, len);
	__atomic_store_n(&r->head, h + 1, rel);
	return 0;
}

static long spsc_recv(ic_ctx *ctx, ring *r, void *buf, size_t cap, int wait_ms)
{
	int acq = r->bug == BUG_NONE_SYNC ? __ATOMIC_RELAXED : __ATOMIC_ACQUIRE;
	int rel = r->bug == BUG_NONE_SYNC ? __ATOMIC_RELAXED : __ATOMIC_RELEASE;
	uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_RELAXED);
	long n;
	if (r->bug == BUG_NONE && r->head_seen > t)
		goto ready; /* as in spsc_send: the last look at head still holds messages */
	/* <=, not ==: under none_sync a tail past head is "empty", not a ring to read for ever. */
	for (ic_backoff wait = RING_BACKOFF; (int64_t)(last_look(r, &r->head_seen, &r->head, acq) - t) <= 0;) {
		if (r->bug == BUG_NONE && filled(r, t, 1) > 0) {
			/* A large message is being written: copy it out as it comes. */
			if ((n = take_streaming(ctx, r, t, buf, cap, wait_ms)) == 0)
				return 0;
			goto advance;
		}
		if (wait_ms == 0 || !ic_backoff_wait(ctx, &wait, wait_ms))
			return 0;
	}
ready:
	n = take(r, t, buf, cap);
advance:
	/* Advance before the ok is logged: a kill in between loses one (excused), never duplicates. */
	__atomic_store_n(&r->tail, t + 1, rel);
	return n;
}

/* ---- channel ---- */

static int ring_send(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	(void)lane;
	ring *r = ic_state(ctx);
	if (r->sync == SYNC_SPSC || r->bug == BUG_NONE_SYNC)
		return spsc_send(ctx, r, msg, len);
	return r->sync == SYNC_SEM ? sem_send(ctx, r, msg, len) : mc_send(ctx, r, msg, len);
}

/* The drain runs after every role ended: read tail..head as it is, taking no lock. */
static long ring_drain_one(ring *r, void *buf, size_t cap)
{
	uint64_t t = r->tail, h = r->head;
	if (h <= t || h - t > r->cap + 1)
		return 0;
	long n = take(r, t, buf, cap);
	r->tail = t + 1;
	return n;
}

static long ring_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	ring *r = ic_state(ctx);
	if (drain)
		return ring_drain_one(r, buf, cap);
	if (r->sync == SYNC_SPSC || r->bug == BUG_NONE_SYNC)
		return spsc_recv(ctx, r, buf, cap, wait_ms);
	return r->sync == SYNC_SEM ? sem_recv(ctx, r, buf, cap, wait_ms) : mc_recv(ctx, r, buf, cap, wait_ms);
}

static const ic_channel ring_channel = {.send = ring_send, .recv = ring_recv};

static void ring_teardown(ic_ctx *ctx)
{
	ring *r = ic_state(ctx);
	if (!r)
		return;
	/* Locks and condvars are not destroyed: after a kill that is undefined, and can block. */
	munmap(r, r->bytes);
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "ring");
}

static const ic_role_desc ring_roles[] = {
	{"p", ic_channel_producer, 1},
	{"c", ic_channel_consumer, 1},
	{0},
};

static const ic_expect ring_expect[] = {
	{"sync=mutex_cond", "delay;stall;kill:at=*e/*", "pass", 200, NULL, NULL, 0},
	{"sync=mutex_cond", "delay;stall", "pass", 100, "2:2", NULL, 0},
	{"sync=mutex_cond", "kill:at=ring/*/locked", "dead-holder", 1, NULL, NULL, 0},
	{"sync=sem", "delay;stall;kill:at=*e/*", "pass", 200, NULL, NULL, 0},
	{"sync=sem", "delay;stall", "pass", 100, "2:2", NULL, 0},
	{"sync=sem", "kill:at=ring/*/locked", "dead-holder", 1, NULL, NULL, 0},
	{"sync=spsc_atomic", "delay;kill;stall", "pass", 200, NULL, NULL, 0},
	{"bug=none_sync", "delay", "messages", 200, "2:2", NULL, 0},
	{"bug=check_then_act", "delay", "messages", 200, "1:2", NULL, 0},
	{"bug=wrap_off_by_one", "", "messages", 10, NULL, NULL, 0},
	{"bug=lost_wakeup", "delay", "hang", 200, NULL, NULL, 0},
	{"sync=spsc_atomic,bug=spsc_misuse", "delay", "messages", 200, "2:1", NULL, 0},
	{"sync=mutex_cond", "stall;kill:at=*e/*", "pass", 200, NULL, "controlled", 20},
	{"sync=mutex_cond", "kill:at=ring/*/locked", "dead-holder", 1, NULL, "controlled", 20},
	{"sync=sem", "stall;kill:at=*e/*", "pass", 200, NULL, "controlled", 20},
	{"sync=spsc_atomic", "kill;stall", "pass", 200, NULL, "controlled", 20},
	{"bug=none_sync", "", "messages", 100, "2:2", "controlled", 20},
	{"bug=check_then_act", "", "messages", 100, "1:2", "controlled", 20},
	{"bug=wrap_off_by_one", "", "messages", 10, NULL, "controlled", 20},
	/* A few messages: the producer ends and the consumer waits for a signal that was lost. */
	{"bug=lost_wakeup", "", "deadlock", 100, NULL, "controlled", 4},
	{"sync=spsc_atomic,bug=spsc_misuse", "", "messages", 100, "2:1", "controlled", 20},
	/* --detect races: the planted races at their smallest ops, the correct rings silent. */
	{"bug=none_sync", "", "race", 3, "2:2", "races", 2},
	/* The unlocked look at tail and head: a data race with the locked writes of both. */
	{"bug=check_then_act", "", "race", 3, "1:2", "races", 2},
	{"sync=spsc_atomic,bug=spsc_misuse", "", "race", 10, "2:1", "races", 100},
	/* Under the scheduler its atomics are steps: the producers meet inside a send. */
	{"sync=spsc_atomic,bug=spsc_misuse", "", "race", 10, "2:1", "controlled,races", 5},
	{"sync=mutex_cond", "delay;stall;kill:at=*e/*", "pass", 30, "2:2", "races", 50},
	{"sync=sem", "delay;stall;kill:at=*e/*", "pass", 30, "2:2", "races", 50},
	{"sync=spsc_atomic", "delay;kill;stall", "pass", 30, NULL, "races", 50},
	{0},
};

/* --detect races names the bytes of a race by these (slots: the first's offset and on). */
static const ic_field ring_fields[] = {
	{"ring", "head", offsetof(ring, head), sizeof(uint64_t)},
	{"ring", "tail_seen", offsetof(ring, tail_seen), sizeof(uint64_t)},
	{"ring", "fill", offsetof(ring, fill), sizeof(uint64_t)},
	{"ring", "tail", offsetof(ring, tail), sizeof(uint64_t)},
	{"ring", "head_seen", offsetof(ring, head_seen), sizeof(uint64_t)},
	{"ring", "slots[]", offsetof(ring, slots), SIZE_MAX / 2},
	{0},
};

const ic_scenario ic_scenario_shm_ring = {
	.name = "shm_ring",
	.summary = "a bounded ring buffer of messages in shared memory",
	.keys = ring_keys,
	.roles = ring_roles,
	.points = ring_points,
	.lock_sites = ring_sites,
	.checkers = "messages,dead-holder,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 2,
	.setup = ring_setup,
	.attach = ring_attach,
	.observe = ic_channel_drain,
	.channel = &ring_channel,
	.teardown = ring_teardown,
	.expect = ring_expect,
	.validate = ring_validate,
	.fields = ring_fields,
};
