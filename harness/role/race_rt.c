/*
 * race_rt.c: the detector's runtime in each process: the run's regions as
 * this process mapped them, the shadow segment's life, the harness's edges
 * (its channels' are in race_chan.c), and the __tsan_* entry points that
 * code compiled with -fsanitize=thread calls (gcc's and clang's sets both;
 * libtsan is never linked). An access outside the checked regions costs a
 * flag test and a range check.
 */
#include "role/race.h"
#include "role/sched.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define SLACK_WORDS (1u << 16)              /* for regions roles map after the fork */
#define SHADOW_MAX ((size_t)256 << 20)       /* regions past it are not checked, and said so */

/* This process's: the entry points are handed no context. Inherited through fork. */
ic_race_proc ic_race_me;

static void ra_lock(ic_race_arena *ra)
{
	while (atomic_exchange_explicit(&ra->lock, 1, memory_order_acquire))
		;
}

static void ra_unlock(ic_race_arena *ra)
{
	atomic_store_explicit(&ra->lock, 0, memory_order_release);
}

void ic_race_run_begin(ic_arena *arena, bool on, unsigned nprocs)
{
	memset(&ic_race_me, 0, sizeof(ic_race_me));
	ic_race_me.ra = &arena->race;
	arena->race.on = on;
	arena->race.locks = false; /* set by the supervisor when an injector may skip locks */
	arena->race.nprocs = nprocs;
}

static uint64_t words_of(uint64_t size)
{
	return (size + 7) / 8;
}

/* Room in the shadow for a region (ra locked): its words, or 0 and counted. */
static void place(ic_race_arena *ra, ic_race_region *rg)
{
	uint64_t n = words_of(rg->size);
	if (ra->used + n > ra->words) {
		atomic_fetch_add(&ra->unchecked, 1);
		return;
	}
	rg->first = ra->used;
	rg->words = n;
	ra->used += n;
}

int ic_shared_region(ic_ctx *ctx, const char *object, void *addr, size_t size)
{
	if (!ctx || !ctx->arena->race.on || !addr || !size || !object)
		return 0;
	ic_race_arena *ra = &ctx->arena->race;
	int found = -1;
	ra_lock(ra);
	for (unsigned i = 0; i < ra->nregions && found < 0; i++)
		if (strcmp(ra->regions[i].name, object) == 0)
			found = (int)i;
	if (found < 0 && ra->nregions < IC_RACE_REGIONS) {
		ic_race_region *rg = &ra->regions[ra->nregions];
		snprintf(rg->name, sizeof(rg->name), "%s", object);
		rg->size = size;
		if (ra->shadow) /* made by a role: room from the slack */
			place(ra, rg);
		found = (int)ra->nregions++;
	} else if (found < 0) {
		atomic_fetch_add(&ra->unchecked, 1);
	}
	ra_unlock(ra);
	if (found < 0 || ic_race_me.nmaps == IC_RACE_REGIONS)
		return 0;
	size_t known = ra->regions[found].size;
	ic_race_me.maps[ic_race_me.nmaps].base = (uintptr_t)addr;
	ic_race_me.maps[ic_race_me.nmaps].size = size < known ? size : known;
	ic_race_me.maps[ic_race_me.nmaps].region = (unsigned)found;
	ic_race_me.nmaps++;
	return 0;
}

int ic_race_shadow_make(ic_arena *arena, char *err, size_t errsize)
{
	ic_race_arena *ra = &arena->race;
	if (!ra->on)
		return 0;
	uint64_t need = 0;
	for (unsigned i = 0; i < ra->nregions; i++)
		need += words_of(ra->regions[i].size);
	uint64_t words = need + SLACK_WORDS;
	while (words > SLACK_WORDS && ic_race_shadow_bytes(words, ra->nprocs, ra->locks) > SHADOW_MAX)
		words /= 2; /* the regions that fit are checked; the others are counted */
	size_t bytes = ic_race_shadow_bytes(words, ra->nprocs, ra->locks);
	/* Anonymous and shared: every role inherits it at the same place, and it dies with the run. */
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		snprintf(err, errsize, "--detect races: cannot map a shadow segment of %zu bytes: %s", bytes,
			 strerror(errno));
		return -1;
	}
	ic_race_shadow_init(mem, words, ra->nprocs, ra->locks);
	ra->words = words;
	ra->used = 0;
	for (unsigned i = 0; i < ra->nregions; i++)
		place(ra, &ra->regions[i]);
	ra->shadow = (uint64_t)(uintptr_t)mem;
	ra->shadow_size = bytes;
	ic_race_seed_queues(arena, mem);
	return 0;
}

void ic_race_shadow_free(ic_arena *arena)
{
	ic_race_arena *ra = &arena->race;
	if (ra->shadow)
		munmap((void *)(uintptr_t)ra->shadow, ra->shadow_size);
	ra->shadow = 0;
	ic_race_me.on = false;
	ic_race_me.nmaps = 0;
}

void ic_race_role_begin(ic_ctx *ctx)
{
	ic_race_arena *ra = &ctx->arena->race;
	if (!ra->on || !ra->shadow)
		return;
	ic_race_proc_init(&ic_race_me, ra, (ic_race_shadow *)(uintptr_t)ra->shadow, ctx->slot);
	ic_race_me.ctx = ctx;
}

/* ---- Where an address is ---- */

static inline bool lookup(const volatile void *addr, unsigned *region, uint64_t *off)
{
	uintptr_t a = (uintptr_t)addr;
	for (unsigned i = 0; i < ic_race_me.nmaps; i++)
		if (a - ic_race_me.maps[i].base < ic_race_me.maps[i].size) {
			*region = ic_race_me.maps[i].region;
			*off = a - ic_race_me.maps[i].base;
			return true;
		}
	return false;
}

/* A sync key for an object: its region and offset when checked (one key in every process), else its address. */
static uint64_t object_key(unsigned kind, const volatile void *obj)
{
	unsigned region;
	uint64_t off;
	if (lookup(obj, &region, &off))
		return (uint64_t)kind << 56 | (uint64_t)region << 40 | off;
	return (uint64_t)kind << 56 | ((uint64_t)(uintptr_t)obj & 0xffffffffffffull) | 1ull << 55;
}


/* ---- The harness's edges ---- */

void ic_race_point(const char *name)
{
	ic_race_me.point = name;
}

void ic_race_lock_acquired(ic_ctx *ctx, int lock_id, bool recovered_from)
{
	(void)ctx;
	if (!ic_race_me.on || lock_id < 0 || lock_id >= IC_MAX_LOCKS)
		return;
	ic_race_acquire_lock(&ic_race_me, ic_race_me.ra->lockclock[lock_id]);
	ic_race_me.held |= 1u << lock_id;
	/* Taken over from a dead holder: its clock is final, and all it did came before. */
	int holder = atomic_load(&ctx->arena->locks[lock_id].holder);
	if (recovered_from && holder > 0 && (unsigned)holder <= ic_race_me.ra->nprocs)
		ic_race_acquire_lock(&ic_race_me, ic_race_me.ra->clock[holder - 1]);
}

void ic_race_lock_release(ic_ctx *ctx, int lock_id)
{
	(void)ctx;
	if (ic_race_me.on && lock_id >= 0 && lock_id < IC_MAX_LOCKS) {
		/* Joined, not copied: readers of an rwlock release it in any order. */
		ic_race_release(&ic_race_me, ic_race_me.ra->lockclock[lock_id], true);
		ic_race_me.held &= ~(1u << lock_id);
	}
}

void ic_race_lock_skipped(ic_ctx *ctx, int lock_id, bool skipped)
{
	(void)ctx;
	if (!ic_race_me.on || lock_id < 0 || lock_id >= IC_MAX_LOCKS)
		return;
	if (skipped)
		ic_race_me.skipped |= 1u << lock_id;
	else
		ic_race_me.skipped &= ~(1u << lock_id);
}

void ic_race_cond_signal(ic_ctx *ctx, const void *cond)
{
	(void)ctx;
	if (ic_race_me.on)
		ic_race_release(&ic_race_me, ic_race_sync(&ic_race_me, object_key(KEY_COND, cond)), true);
}

void ic_race_cond_woken(ic_ctx *ctx, const void *cond)
{
	(void)ctx;
	if (ic_race_me.on)
		ic_race_acquire(&ic_race_me, ic_race_sync(&ic_race_me, object_key(KEY_COND, cond)));
}

void ic_race_sem_post(const void *sem)
{
	if (ic_race_me.on)
		ic_race_release(&ic_race_me, ic_race_sync(&ic_race_me, object_key(KEY_SEM, sem)), true);
}

void ic_race_sem_acquired(const void *sem)
{
	if (ic_race_me.on)
		ic_race_acquire(&ic_race_me, ic_race_sync(&ic_race_me, object_key(KEY_SEM, sem)));
}

void ic_race_msg_sent(ic_ctx *ctx, uint64_t seq)
{
	(void)ctx;
	if (ic_race_me.on)
		ic_race_msg_send(&ic_race_me, seq);
}

void ic_race_msg_received(ic_ctx *ctx, const void *buf, long len)
{
	(void)ctx;
	ic_msg_hdr h;
	if (ic_race_me.on && len > 0 && ic_msg_check(buf, (size_t)len, &h) != IC_MSG_GARBLED)
		ic_race_msg_recv(&ic_race_me, h.producer, h.seq);
}

/* ---- Semaphores and the like, as the instrumented copy's shim calls them ---- */

int ic_race_shim_sem_post(sem_t *sem)
{
	ic_race_sem_post(sem);
	return sem_post(sem);
}

int ic_race_shim_sem_wait(sem_t *sem)
{
	int rc = sem_wait(sem);
	if (rc == 0)
		ic_race_sem_acquired(sem);
	return rc;
}

int ic_race_shim_sem_trywait(sem_t *sem)
{
	int rc = sem_trywait(sem);
	if (rc == 0)
		ic_race_sem_acquired(sem);
	return rc;
}

int ic_race_shim_sem_timedwait(sem_t *sem, const struct timespec *abs_timeout)
{
	int rc = sem_timedwait(sem, abs_timeout);
	if (rc == 0)
		ic_race_sem_acquired(sem);
	return rc;
}

/* ---- The compiler's entry points ---- */

#define PC() ((uint64_t)(uintptr_t)__builtin_return_address(0))

static inline void plain(const volatile void *addr, unsigned size, unsigned flags, uint64_t pc)
{
	unsigned region;
	uint64_t off;
	if (__builtin_expect(!ic_race_me.on, 1) || !lookup(addr, &region, &off))
		return;
	ic_race_access(&ic_race_me, region, off, size, flags, pc);
}

void __tsan_init(void);
void __tsan_init(void)
{
}

void __tsan_func_entry(void *pc);
void __tsan_func_entry(void *pc)
{
	if (ic_race_me.depth < sizeof(ic_race_me.calls) / sizeof(ic_race_me.calls[0]))
		ic_race_me.calls[ic_race_me.depth] = (uint64_t)(uintptr_t)pc;
	ic_race_me.depth++;
}

void __tsan_func_exit(void);
void __tsan_func_exit(void)
{
	if (ic_race_me.depth)
		ic_race_me.depth--;
}

#define PLAIN(n)                                                                                  \
	void __tsan_read##n(void *a);                                                             \
	void __tsan_read##n(void *a) { plain(a, n, 0, PC()); }                                    \
	void __tsan_write##n(void *a);                                                            \
	void __tsan_write##n(void *a) { plain(a, n, IC_RACE_WRITE, PC()); }                       \
	void __tsan_unaligned_read##n(const void *a);                                             \
	void __tsan_unaligned_read##n(const void *a) { plain(a, n, 0, PC()); }                    \
	void __tsan_unaligned_write##n(void *a);                                                  \
	void __tsan_unaligned_write##n(void *a) { plain(a, n, IC_RACE_WRITE, PC()); }             \
	void __tsan_volatile_read##n(void *a);                                                    \
	void __tsan_volatile_read##n(void *a) { plain(a, n, 0, PC()); }                           \
	void __tsan_volatile_write##n(void *a);                                                   \
	void __tsan_volatile_write##n(void *a) { plain(a, n, IC_RACE_WRITE, PC()); }              \
	void __tsan_read##n##_pc(void *a, void *pc);                                              \
	void __tsan_read##n##_pc(void *a, void *pc) { plain(a, n, 0, (uint64_t)(uintptr_t)pc); } \
	void __tsan_write##n##_pc(void *a, void *pc);                                             \
	void __tsan_write##n##_pc(void *a, void *pc)                                              \
	{                                                                                         \
		plain(a, n, IC_RACE_WRITE, (uint64_t)(uintptr_t)pc);                              \
	}
PLAIN(1)
PLAIN(2)
PLAIN(4)
PLAIN(8)
PLAIN(16)

void __tsan_read_range(void *a, unsigned long size);
void __tsan_read_range(void *a, unsigned long size)
{
	plain(a, (unsigned)(size > 1u << 30 ? 1u << 30 : size), 0, PC());
}

void __tsan_write_range(void *a, unsigned long size);
void __tsan_write_range(void *a, unsigned long size)
{
	plain(a, (unsigned)(size > 1u << 30 ? 1u << 30 : size), IC_RACE_WRITE, PC());
}

/* memcpy and co., as clang may call them and as the shim names them. */
void *__tsan_memcpy(void *dst, const void *src, size_t n);
void *__tsan_memcpy(void *dst, const void *src, size_t n)
{
	plain(src, (unsigned)(n > 1u << 30 ? 1u << 30 : n), 0, PC());
	plain(dst, (unsigned)(n > 1u << 30 ? 1u << 30 : n), IC_RACE_WRITE, PC());
	return memcpy(dst, src, n);
}

void *__tsan_memmove(void *dst, const void *src, size_t n);
void *__tsan_memmove(void *dst, const void *src, size_t n)
{
	plain(src, (unsigned)(n > 1u << 30 ? 1u << 30 : n), 0, PC());
	plain(dst, (unsigned)(n > 1u << 30 ? 1u << 30 : n), IC_RACE_WRITE, PC());
	return memmove(dst, src, n);
}

void *__tsan_memset(void *dst, int c, size_t n);
void *__tsan_memset(void *dst, int c, size_t n)
{
	plain(dst, (unsigned)(n > 1u << 30 ? 1u << 30 : n), IC_RACE_WRITE, PC());
	return memset(dst, c, n);
}

/* ---- Atomics: done here, with their memory orders ---- */

/* The operation under the word's stripe when the word is checked; plain otherwise. */
/*
 * Under the scheduler, an atomic on a checked segment is a step of its own
 * ("atomic:ring"): another process may run between a load and the store
 * that depends on it, where lock-free code keeps its races. Taken before
 * the word's stripe, never while holding it.
 */
static void atomic_step(unsigned region)
{
	ic_ctx *ctx = ic_race_me.ctx;
	if (!ctx || !ctx->scheduled)
		return;
	char name[IC_NAME + 8]; /* the scheduler keeps what fits */
	snprintf(name, sizeof(name), "atomic:%s", ic_race_me.ra->regions[region].name);
	ic_sched_step(ctx, name);
}

#define ATOMIC_OP(a, loaded, stored, mo, expr)                                                     \
	do {                                                                                       \
		unsigned region_;                                                                  \
		uint64_t off_;                                                                     \
		if (__builtin_expect(!ic_race_me.on, 1) || !lookup(a, &region_, &off_)) {          \
			expr;                                                                      \
			break;                                                                     \
		}                                                                                  \
		atomic_step(region_);                                                              \
		atomic_int *l_ = ic_race_atomic_lock(&ic_race_me, region_, off_);                  \
		expr;                                                                              \
		ic_race_atomic_done(&ic_race_me, l_, region_, off_, sizeof(*(a)), loaded, stored,  \
				    (int)((mo) & 0xffff), PC());                                   \
	} while (0)

#define RMW(T, bits, name, op)                                                                     \
	T __tsan_atomic##bits##_##name(volatile T *a, T v, int mo);                                 \
	T __tsan_atomic##bits##_##name(volatile T *a, T v, int mo)                                  \
	{                                                                                          \
		T old;                                                                             \
		ATOMIC_OP(a, true, true, mo, old = op(a, v, __ATOMIC_SEQ_CST));                    \
		return old;                                                                        \
	}

#define ATOMICS(T, bits)                                                                           \
	T __tsan_atomic##bits##_load(const volatile T *a, int mo);                                  \
	T __tsan_atomic##bits##_load(const volatile T *a, int mo)                                   \
	{                                                                                          \
		T v;                                                                               \
		ATOMIC_OP(a, true, false, mo, v = __atomic_load_n(a, __ATOMIC_SEQ_CST));           \
		return v;                                                                          \
	}                                                                                          \
	void __tsan_atomic##bits##_store(volatile T *a, T v, int mo);                               \
	void __tsan_atomic##bits##_store(volatile T *a, T v, int mo)                                \
	{                                                                                          \
		ATOMIC_OP(a, false, true, mo, __atomic_store_n(a, v, __ATOMIC_SEQ_CST));           \
	}                                                                                          \
	RMW(T, bits, exchange, __atomic_exchange_n)                                                \
	RMW(T, bits, fetch_add, __atomic_fetch_add)                                                \
	RMW(T, bits, fetch_sub, __atomic_fetch_sub)                                                \
	RMW(T, bits, fetch_and, __atomic_fetch_and)                                                \
	RMW(T, bits, fetch_or, __atomic_fetch_or)                                                  \
	RMW(T, bits, fetch_xor, __atomic_fetch_xor)                                                \
	RMW(T, bits, fetch_nand, __atomic_fetch_nand)                                              \
	int __tsan_atomic##bits##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo); \
	int __tsan_atomic##bits##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, int fmo)  \
	{                                                                                          \
		int ok = 0;                                                                        \
		unsigned region;                                                                   \
		uint64_t off;                                                                      \
		if (__builtin_expect(!ic_race_me.on, 1) || !lookup(a, &region, &off))                       \
			return __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST,       \
							   __ATOMIC_SEQ_CST);                      \
		atomic_int *l = ic_race_atomic_lock(&ic_race_me, region, off);                             \
		ok = __atomic_compare_exchange_n(a, c, v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
		/* A failed exchange only read, with its failure order. */                         \
		ic_race_atomic_done(&ic_race_me, l, region, off, sizeof(T), true, ok, (ok ? mo : fmo) & 0xffff, \
				    PC());                                                         \
		return ok;                                                                         \
	}                                                                                          \
	int __tsan_atomic##bits##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo);   \
	int __tsan_atomic##bits##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, int fmo)    \
	{                                                                                          \
		return __tsan_atomic##bits##_compare_exchange_strong(a, c, v, mo, fmo);            \
	}                                                                                          \
	T __tsan_atomic##bits##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo);       \
	T __tsan_atomic##bits##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo)        \
	{                                                                                          \
		__tsan_atomic##bits##_compare_exchange_strong(a, &c, v, mo, fmo);                  \
		return c;                                                                          \
	}

ATOMICS(int8_t, 8)
ATOMICS(int16_t, 16)
ATOMICS(int32_t, 32)
ATOMICS(int64_t, 64)

void __tsan_atomic_thread_fence(int mo);
void __tsan_atomic_thread_fence(int mo)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ic_race_me.on)
		ic_race_fence(&ic_race_me, mo & 0xffff);
}

void __tsan_atomic_signal_fence(int mo);
void __tsan_atomic_signal_fence(int mo)
{
	(void)mo;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}
