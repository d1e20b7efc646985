/*
 * rwcache: a read-mostly table of records in shared memory. Writers rewrite
 * one record at a time (a version, fields, a checksum over both); readers
 * read several records per operation. Proves that the chosen synchronisation
 * never lets a reader accept a torn record: lock=rwlock (readers share,
 * writers exclude), lock=seqlock (readers take no lock and retry when the
 * sequence moved), lock=mutex (the baseline). Every write is logged with a
 * digest of what it wrote, every accepted read with a digest of what it saw:
 * the torn checker matches them, from the log alone.
 * What a kill does: a writer killed mid-write holds the rwlock, the mutex or
 * the seqlock's writers' mutex for ever (dead-holder); a reader killed inside
 * holds the rwlock or the mutex (dead-holder), but costs a seqlock nothing.
 * Checkers: torn, dead-holder, hang, crash, leaks, perms.
 * Injectors: delay and stall (tear writes), kill, nolock (a missing lock).
 */
#include "ipchaos.h"

#include <stdio.h>
#include <string.h>

#define RW_RECORDS 8
#define RW_FIELDS 4
#define RW_PER_READ 4 /* records a reader reads per operation */

enum rw_lock { RW_RWLOCK, RW_SEQLOCK, RW_MUTEX };
enum rw_bug { BUG_NONE, BUG_WRITE_UNDER_READ, BUG_UNLOCKED_READ, BUG_SEQLOCK_NO_RECHECK };

/* Relaxed atomics: a seqlock's reader races with the writer by design, and must not be UB. */
typedef struct rw_record {
	_Atomic uint64_t version;
	_Atomic uint64_t field[RW_FIELDS];
	_Atomic uint64_t sum; /* over version and fields: a torn sum shows in the digest too */
} rw_record;

typedef struct rw_shared {
	int lock;       /* enum rw_lock */
	int bug;        /* enum rw_bug */
	uint64_t for_ns; /* for=: run this long and count, logging nothing per record; 0: --ops */
	_Atomic uint64_t reads, writes; /* for=: records, all roles */
	ic_lock_t sync; /* the rwlock, the mutex, or the seqlock's writers' mutex */
	_Alignas(64) _Atomic uint64_t seq; /* seqlock: odd while a write is under way */
	rw_record rec[RW_RECORDS];
} rw_shared;

static const char *const lock_values[] = {"rwlock", "seqlock", "mutex", NULL};
static const char *const bug_values[] = {"none", "write_under_read", "unlocked_read",
					 "seqlock_no_recheck", NULL};

/* "0", or "500us", "200ms", "2s": ns; UINT64_MAX when it is none of those. */
static uint64_t rw_for_ns(const char *v)
{
	uint64_t n = 0;
	const char *p = v;
	for (; *p >= '0' && *p <= '9' && n < 1000000000ull; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (p == v || (n == 0 && *p == '\0'))
		return p == v ? UINT64_MAX : 0;
	uint64_t unit = strcmp(p, "us") == 0 ? 1000ull : strcmp(p, "ms") == 0 ? 1000000ull
						     : strcmp(p, "s") == 0	    ? 1000000000ull
										    : 0;
	uint64_t ns = n * unit;
	return ns > 0 && ns <= 60000000000ull ? ns : UINT64_MAX;
}

static const char *rw_for_check(const char *value)
{
	return rw_for_ns(value) != UINT64_MAX ? NULL : "0, or a duration up to 60s: digits and us, ms or s (200ms)";
}

static const ic_key rw_keys[] = {
	{"lock", lock_values,
	 "rwlock (readers share a pthread rwlock), seqlock (lock-free readers retry on a "
	 "sequence change), mutex (everyone excludes everyone)",
	 NULL, NULL},
	{"bug", bug_values,
	 "a planted defect, found by torn: write_under_read (writers take the read lock; "
	 "lock=rwlock), unlocked_read (readers take no lock), seqlock_no_recheck (readers do not "
	 "re-check the sequence after reading; lock=seqlock)",
	 NULL, NULL},
	{"for", NULL,
	 "0, or run this long (scenario time: 200ms, 1s) and count records instead of logging "
	 "each: what bench's read-mostly table runs; nothing for torn to judge",
	 "0", rw_for_check},
	{0},
};

static const char *const rw_points[] = {"rwcache/write/begin", "rwcache/write/locked", "rwcache/write/field",
					"rwcache/read/begin",  "rwcache/read/locked",  "rwcache/read/record",
					NULL};
static const char *const rw_sites[] = {"rwcache", NULL};

static int index_of(const char *const *values, const char *v)
{
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return 0;
}

static const char *rw_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	int lock = index_of(lock_values, ic_variant(ctx, "lock"));
	int bug = index_of(bug_values, ic_variant(ctx, "bug"));
	if (bug == BUG_WRITE_UNDER_READ && lock != RW_RWLOCK)
		snprintf(buf, size, "bug=write_under_read needs lock=rwlock, not lock=%s", lock_values[lock]);
	else if (bug == BUG_SEQLOCK_NO_RECHECK && lock != RW_SEQLOCK)
		snprintf(buf, size, "bug=seqlock_no_recheck needs lock=seqlock, not lock=%s", lock_values[lock]);
	else
		return NULL;
	return buf;
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 29);
}

static uint64_t sum_of(uint64_t version, const uint64_t *field)
{
	uint64_t h = mix64(0x5eed, version);
	for (unsigned f = 0; f < RW_FIELDS; f++)
		h = mix64(h, field[f]);
	return h;
}

/* What the log carries for a record: its whole content, checksum included. */
static uint64_t digest_of(uint64_t version, const uint64_t *field, uint64_t sum)
{
	return mix64(sum_of(version, field), sum);
}

static uint64_t rec_key(unsigned r, uint64_t version)
{
	return (uint64_t)r << 48 | (version & 0xffffffffffffull);
}

/* The initial records, logged as writes by the supervisor so the checker knows them. */
static void rw_fill_initial(ic_ctx *ctx, rw_shared *sh)
{
	for (unsigned r = 0; r < RW_RECORDS; r++) {
		uint64_t field[RW_FIELDS];
		for (unsigned f = 0; f < RW_FIELDS; f++)
			field[f] = ic_rand(ctx);
		uint64_t sum = sum_of(0, field);
		ic_invoke(ctx, IC_OP_REC_WRITE, rec_key(r, 0), digest_of(0, field, sum));
		atomic_init(&sh->rec[r].version, 0);
		for (unsigned f = 0; f < RW_FIELDS; f++)
			atomic_init(&sh->rec[r].field[f], field[f]);
		atomic_init(&sh->rec[r].sum, sum);
		ic_ok(ctx, IC_OP_REC_WRITE, rec_key(r, 0), digest_of(0, field, sum));
	}
}

static int rw_setup(ic_ctx *ctx)
{
	rw_shared *sh = ic_shm_create(ctx, "rwcache", sizeof(rw_shared), O_CREAT | O_EXCL, 0600);
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	sh->lock = index_of(lock_values, ic_variant(ctx, "lock"));
	sh->bug = index_of(bug_values, ic_variant(ctx, "bug"));
	sh->for_ns = rw_for_ns(ic_variant(ctx, "for"));
	atomic_init(&sh->seq, 0);
	atomic_init(&sh->reads, 0);
	atomic_init(&sh->writes, 0);
	int kind = sh->lock == RW_RWLOCK ? IC_LOCK_RWLOCK : IC_LOCK_MUTEX;
	if (ic_lock_init(ctx, &sh->sync, kind, "rwcache") != 0)
		return -1;
	rw_fill_initial(ctx, sh);
	return 0;
}

static int rw_attach(ic_ctx *ctx)
{
	rw_shared *sh = ic_shm_attach(ctx, "rwcache");
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	return 0;
}

/* ---- Writers ---- */

static int writer_lock(ic_ctx *ctx, rw_shared *sh)
{
	int rc = sh->bug == BUG_WRITE_UNDER_READ ? ic_lock_shared(ctx, &sh->sync) : ic_lock(ctx, &sh->sync);
	if (rc < 0)
		return -1;
	if (sh->lock == RW_SEQLOCK) {
		/* Odd: a write is under way. The fence keeps the fields' stores after it. */
		atomic_store_explicit(&sh->seq, atomic_load_explicit(&sh->seq, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
	}
	return 0;
}

static void writer_unlock(ic_ctx *ctx, rw_shared *sh)
{
	if (sh->lock == RW_SEQLOCK)
		atomic_store_explicit(&sh->seq, atomic_load_explicit(&sh->seq, memory_order_relaxed) + 1,
				      memory_order_release);
	ic_unlock(ctx, &sh->sync);
}

static int rw_write_one(ic_ctx *ctx, rw_shared *sh)
{
	unsigned r = (unsigned)(ic_rand(ctx) % RW_RECORDS);
	ic_point(ctx, "rwcache/write/begin");
	if (writer_lock(ctx, sh) != 0)
		return -1;
	ic_point(ctx, "rwcache/write/locked");
	rw_record *rec = &sh->rec[r];
	uint64_t version = atomic_load_explicit(&rec->version, memory_order_relaxed) + 1;
	uint64_t field[RW_FIELDS];
	for (unsigned f = 0; f < RW_FIELDS; f++)
		field[f] = ic_rand(ctx);
	uint64_t sum = sum_of(version, field);
	uint64_t digest = digest_of(version, field, sum);
	if (!sh->for_ns)
		ic_invoke(ctx, IC_OP_REC_WRITE, rec_key(r, version), digest);
	atomic_store_explicit(&rec->version, version, memory_order_relaxed);
	for (unsigned f = 0; f < RW_FIELDS; f++) {
		atomic_store_explicit(&rec->field[f], field[f], memory_order_relaxed);
		ic_point(ctx, "rwcache/write/field"); /* a torn record, if anyone can see it now */
	}
	atomic_store_explicit(&rec->sum, sum, memory_order_relaxed);
	writer_unlock(ctx, sh);
	if (!sh->for_ns)
		ic_ok(ctx, IC_OP_REC_WRITE, rec_key(r, version), digest);
	return 0;
}

/* --ops operations, or (for=) as many as fit in that time: then false once it is up. */
static bool rw_more(ic_ctx *ctx, const rw_shared *sh, uint64_t op, uint64_t end)
{
	return sh->for_ns ? (op % 64 != 0 || ic_now(ctx) < end) : op < ic_ops(ctx);
}

static int rw_writer(ic_ctx *ctx)
{
	rw_shared *sh = ic_state(ctx);
	uint64_t op = 0, end = ic_now(ctx) + sh->for_ns;
	for (; rw_more(ctx, sh, op, end); op++)
		if (rw_write_one(ctx, sh) != 0)
			return 1;
	atomic_fetch_add(&sh->writes, op);
	return 0;
}

/* ---- Readers ---- */

typedef struct rw_seen {
	unsigned r;
	uint64_t version, digest;
} rw_seen;

static void read_record(ic_ctx *ctx, const rw_record *rec, unsigned r, rw_seen *out)
{
	uint64_t field[RW_FIELDS];
	uint64_t version = atomic_load_explicit(&rec->version, memory_order_relaxed);
	ic_point(ctx, "rwcache/read/record");
	for (unsigned f = 0; f < RW_FIELDS; f++)
		field[f] = atomic_load_explicit(&rec->field[f], memory_order_relaxed);
	uint64_t sum = atomic_load_explicit(&rec->sum, memory_order_relaxed);
	*out = (rw_seen){r, version, digest_of(version, field, sum)};
}

/* seqlock: the sequence when no write is under way (waits, without the baton, while one is). */
static uint64_t seq_begin(ic_ctx *ctx, rw_shared *sh)
{
	ic_backoff b = {.spins = 64, .yields = 1000, .sleep_us = 20};
	uint64_t s;
	while ((s = atomic_load_explicit(&sh->seq, memory_order_acquire)) & 1)
		ic_backoff_wait(ctx, &b, 0);
	return s;
}

static bool seq_unchanged(rw_shared *sh, uint64_t s)
{
	atomic_thread_fence(memory_order_acquire); /* the field loads before the re-check */
	return atomic_load_explicit(&sh->seq, memory_order_relaxed) == s;
}

/* One read of RW_PER_READ records, all under one lock (or one seqlock section). */
static int rw_read_once(ic_ctx *ctx, rw_shared *sh, const unsigned *which, rw_seen *seen)
{
	bool locked = sh->lock != RW_SEQLOCK && sh->bug != BUG_UNLOCKED_READ;
	bool seq = sh->lock == RW_SEQLOCK && sh->bug != BUG_UNLOCKED_READ;
	for (;;) {
		if (locked && ic_lock_shared(ctx, &sh->sync) != 0)
			return -1;
		uint64_t s = seq ? seq_begin(ctx, sh) : 0;
		ic_point(ctx, "rwcache/read/locked");
		for (unsigned i = 0; i < RW_PER_READ; i++)
			read_record(ctx, &sh->rec[which[i]], which[i], &seen[i]);
		if (locked)
			ic_unlock(ctx, &sh->sync);
		if (!seq || sh->bug == BUG_SEQLOCK_NO_RECHECK || seq_unchanged(sh, s))
			return 0;
	}
}

static int rw_reader(ic_ctx *ctx)
{
	rw_shared *sh = ic_state(ctx);
	uint64_t op = 0, end = ic_now(ctx) + sh->for_ns;
	for (; rw_more(ctx, sh, op, end); op++) {
		unsigned which[RW_PER_READ];
		rw_seen seen[RW_PER_READ];
		for (unsigned i = 0; i < RW_PER_READ; i++)
			which[i] = (unsigned)(ic_rand(ctx) % RW_RECORDS);
		ic_point(ctx, "rwcache/read/begin");
		if (rw_read_once(ctx, sh, which, seen) != 0)
			return 1;
		/* Logged once accepted: the read ended no later than this record. */
		for (unsigned i = 0; i < RW_PER_READ && !sh->for_ns; i++)
			ic_info(ctx, IC_OP_REC_READ, rec_key(seen[i].r, seen[i].version), seen[i].digest);
	}
	atomic_fetch_add(&sh->reads, op * RW_PER_READ);
	return 0;
}

/* for=: what was done in that time, for bench (per-record logs would not fit in the arena). */
static int rw_observe(ic_ctx *ctx)
{
	const rw_shared *sh = ic_state(ctx);
	if (sh->for_ns) {
		ic_info(ctx, IC_OP_REC_TALLY, atomic_load(&sh->reads), atomic_load(&sh->writes));
		ic_info(ctx, IC_OP_REC_SPAN, sh->for_ns, 0);
	}
	return 0;
}

static void rw_teardown(ic_ctx *ctx)
{
	rw_shared *sh = ic_state(ctx);
	if (!sh)
		return;
	/* A lock whose holder died is left as it is: destroying it is undefined. */
	munmap(sh, sizeof(rw_shared));
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "rwcache");
}

static const ic_role_desc rw_roles[] = {
	{"w", rw_writer, 1},
	{"r", rw_reader, 2},
	{0},
};

static const ic_expect rw_expect[] = {
	/* Correct variants: silent under delay and stall; kills outside a lock pass. */
	{"lock=rwlock", "delay;stall", "pass", 30, "2:2", NULL, 200},
	{"lock=rwlock", "delay;kill:at=*/begin", "pass", 30, NULL, NULL, 200},
	{"lock=seqlock", "delay;stall", "pass", 30, "2:2", NULL, 200},
	{"lock=seqlock", "delay;kill:at=rwcache/read/*", "pass", 30, NULL, NULL, 200},
	{"lock=mutex", "delay;stall;kill:at=*/begin", "pass", 30, NULL, NULL, 200},
	/* What a kill inside does to each kind (README: a killed writer); the victim is drawn. */
	{"lock=rwlock", "kill:at=rwcache/write/field", "dead-holder", 10, NULL, NULL, 0},
	{"lock=rwlock", "kill:at=rwcache/read/record", "dead-holder", 10, NULL, NULL, 0},
	{"lock=seqlock", "kill:at=rwcache/write/field", "dead-holder", 10, NULL, NULL, 0},
	{"lock=mutex", "kill:at=rwcache/read/record", "dead-holder", 10, NULL, NULL, 0},
	/* Planted bugs. */
	{"lock=rwlock,bug=write_under_read", "delay", "torn", 100, NULL, NULL, 0},
	{"lock=rwlock,bug=unlocked_read", "delay", "torn", 100, NULL, NULL, 0},
	{"lock=mutex,bug=unlocked_read", "delay", "torn", 100, NULL, NULL, 0},
	{"lock=seqlock,bug=seqlock_no_recheck", "delay", "torn", 100, NULL, NULL, 0},
	{"lock=rwlock", "nolock;delay", "torn", 100, NULL, NULL, 0},
	/* Controlled mode: the same at a few operations. */
	{"lock=rwlock", "stall;kill:at=*/begin", "pass", 30, "2:2", "controlled", 20},
	{"lock=seqlock", "stall;kill:at=rwcache/read/*", "pass", 30, "2:2", "controlled", 20},
	{"lock=mutex", "stall", "pass", 30, NULL, "controlled", 20},
	{"lock=rwlock", "kill:at=rwcache/read/record", "dead-holder", 10, NULL, "controlled", 20},
	{"lock=seqlock", "kill:at=rwcache/write/field", "dead-holder", 10, NULL, "controlled", 20},
	{"lock=rwlock,bug=write_under_read", "", "torn", 100, NULL, "controlled", 20},
	{"lock=rwlock,bug=unlocked_read", "", "torn", 100, NULL, "controlled", 20},
	{"lock=seqlock,bug=seqlock_no_recheck", "", "torn", 100, NULL, "controlled", 20},
	{0},
};

const ic_scenario ic_scenario_rwcache = {
	.name = "rwcache",
	.summary = "a read-mostly table in shared memory: rwlock, seqlock or mutex",
	.keys = rw_keys,
	.roles = rw_roles,
	.points = rw_points,
	.lock_sites = rw_sites,
	.checkers = "torn,dead-holder,hang,crash,leaks,perms",
	.default_ops = 500,
	.events_per_op = RW_PER_READ, /* a reader's records; a writer logs two */
	.setup = rw_setup,
	.attach = rw_attach,
	.observe = rw_observe,
	.teardown = rw_teardown,
	.expect = rw_expect,
	.validate = rw_validate,
};
