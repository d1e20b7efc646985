/*
 * race.c: the detector's engine. FastTrack over the shadow segment: per
 * 8-byte word the last write's epoch and the last reads' (one epoch while
 * reads are ordered, a read set when concurrent ones meet), each with the
 * bytes it touched, so that neighbours in one word never conflict. A race is
 * two overlapping accesses of different processes, at least one a write, not
 * both atomic, neither happening before the other.
 *
 * Shadow words are found by (region, offset), never by address: a segment
 * mapped at different places in different processes has one history.
 *
 * A run that may skip locks (nolock) keeps a second record per word: the
 * last accesses made holding a lock and made with one skipped, of two
 * processes each. An access with lock L skipped and another process's
 * access holding L, overlapping, one a write, no lock in common, is
 * reported whatever the order they came in: only the lock that was not
 * taken kept them apart, so the timing of this run decided the rest.
 */
#include "role/race.h"

#include <sched.h>
#include <string.h>

#define STRIPES 4096     /* locks over shadow words: two processes on one word take turns */
#define READER_SETS 1024 /* concurrent read sets, reused once a write supersedes them */
#define SYNC_CLOCKS 4096 /* atomic words, condition variables, channels */
#define MSG_RING 64      /* a producer's last sends whose clocks are kept */

/* An epoch: clock | slot << 32 | bytes << 40 | flags << 48. */
enum { E_VALID = 1, E_ATOMIC = 2, E_SHARED = 4, E_WRITE = 8 /* lock records only */ };
#define E_CLOCK(e) ((uint32_t)(e))
#define E_SLOT(e) ((unsigned)(((e) >> 32) & 0xff))
#define E_BYTES(e) ((unsigned)(((e) >> 40) & 0xff))
#define E_FLAGS(e) ((unsigned)((e) >> 48))

typedef struct access_rec {
	uint64_t e;
	uint64_t point; /* the address of the name of the last point: the same binary in every role */
	uint64_t pc[IC_RACE_PCS];
} access_rec;

typedef struct shadow_word {
	access_rec w, r; /* r's clock is a reader set's index when E_SHARED */
} shadow_word;

/* An access as lock discipline sees it: the locks held and skipped then. */
typedef struct lock_rec {
	access_rec a;
	uint32_t held, skipped;
} lock_rec;

/* Of two processes each: the last access made holding a lock, and with one skipped. */
typedef struct lock_word {
	lock_rec held[2], skipped[2];
	uint8_t held_next, skipped_next; /* which of the two goes next: the older */
} lock_word;

typedef struct reader_set {
	uint32_t next_free;
	access_rec by[IC_MAX_PROCS];
} reader_set;

typedef struct sync_clock {
	_Atomic uint64_t key; /* 0: free */
	ic_vclock vc;
} sync_clock;

typedef struct msg_clock {
	_Atomic uint64_t seq; /* seq + 1; 0: none */
	ic_vclock vc;
} msg_clock;

struct ic_race_shadow {
	atomic_int stripe[STRIPES];
	atomic_int readers_lock, sync_lock;
	uint32_t readers_free; /* index + 1 of a free set; 0: none */
	uint32_t readers_next;
	uint64_t words;
	unsigned nprocs;
	bool locks;    /* lock words kept: a run that may skip locks */
	uint64_t readers_off, sync_off, msg_off, queues_off, words_off, locks_off; /* from the segment's start */
};

static uint64_t align64(uint64_t n)
{
	return (n + 63) & ~63ull;
}

size_t ic_race_shadow_bytes(uint64_t words, unsigned nprocs, bool locks)
{
	return align64(sizeof(ic_race_shadow)) + align64(READER_SETS * sizeof(reader_set)) +
	       align64(SYNC_CLOCKS * sizeof(sync_clock)) + align64((uint64_t)nprocs * MSG_RING * sizeof(msg_clock)) +
	       align64(ic_race_queues_bytes()) + align64(words * sizeof(shadow_word)) +
	       (locks ? words * sizeof(lock_word) : 0);
}

ic_race_shadow *ic_race_shadow_init(void *mem, uint64_t words, unsigned nprocs, bool locks)
{
	ic_race_shadow *sh = mem;
	sh->words = words;
	sh->nprocs = nprocs;
	sh->locks = locks;
	sh->readers_off = align64(sizeof(*sh));
	sh->sync_off = sh->readers_off + align64(READER_SETS * sizeof(reader_set));
	sh->msg_off = sh->sync_off + align64(SYNC_CLOCKS * sizeof(sync_clock));
	sh->queues_off = sh->msg_off + align64((uint64_t)nprocs * MSG_RING * sizeof(msg_clock));
	sh->words_off = sh->queues_off + align64(ic_race_queues_bytes());
	sh->locks_off = sh->words_off + align64(words * sizeof(shadow_word));
	return sh;
}

static void *at(ic_race_shadow *sh, uint64_t off)
{
	return (char *)sh + off;
}

void *ic_race_queues_mem(ic_race_shadow *sh)
{
	return at(sh, sh->queues_off);
}

static reader_set *readers(ic_race_shadow *sh, uint32_t i)
{
	return (reader_set *)at(sh, sh->readers_off) + i;
}

void ic_race_spin_lock(atomic_int *l)
{
	unsigned n = 0;
	while (atomic_exchange_explicit(l, 1, memory_order_acquire))
		while (atomic_load_explicit(l, memory_order_relaxed))
			if (++n % 64 == 0)
				sched_yield(); /* two cores, more processes: the holder may be waiting for ours */
}

void ic_race_spin_unlock(atomic_int *l)
{
	atomic_store_explicit(l, 0, memory_order_release);
}

void ic_race_proc_init(ic_race_proc *p, ic_race_arena *ra, ic_race_shadow *sh, unsigned slot)
{
	p->ra = ra;
	p->sh = sh;
	p->slot = slot;
	p->clock = ra->clock[slot];
	p->clock[slot] = 1;
	p->depth = 0;
	p->point = NULL;
	p->fenced = false;
	p->held = p->skipped = 0;
	memset(p->pending, 0, sizeof(p->pending));
	memset(p->nolock, 0, sizeof(p->nolock));
	p->on = true;
}

/* ---- Vector clocks ---- */

static void vc_join(uint32_t *dst, const uint32_t *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t v = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		if (v > dst[i])
			__atomic_store_n(&dst[i], v, __ATOMIC_RELAXED);
	}
}

static void vc_copy(uint32_t *dst, const uint32_t *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		__atomic_store_n(&dst[i], src[i], __ATOMIC_RELAXED);
}

/* The process's own entry grows: what it does next is a new epoch. */
static void tick(ic_race_proc *p)
{
	__atomic_store_n(&p->clock[p->slot], p->clock[p->slot] + 1, __ATOMIC_RELAXED);
}

void ic_race_release(ic_race_proc *p, uint32_t *sync, bool join)
{
	if (!sync)
		return;
	if (join)
		vc_join(sync, p->clock, p->ra->nprocs);
	else
		vc_copy(sync, p->clock, p->ra->nprocs);
	tick(p);
}

void ic_race_acquire_lock(ic_race_proc *p, const uint32_t *sync)
{
	if (sync)
		vc_join(p->clock, sync, p->ra->nprocs);
}

/* Any other edge: the lock discipline's clock learns it too (the sender's whole clock: more order, never less). */
void ic_race_acquire(ic_race_proc *p, const uint32_t *sync)
{
	ic_race_acquire_lock(p, sync);
	if (sync && p->sh->locks)
		vc_join(p->nolock, sync, p->ra->nprocs);
}

/* Did the access of epoch e happen before this process's present? */
static bool before_now(const ic_race_proc *p, uint64_t e)
{
	return E_CLOCK(e) <= p->clock[E_SLOT(e)];
}

/* ---- Sync clocks, by key ---- */

uint32_t *ic_race_sync(ic_race_proc *p, uint64_t key)
{
	ic_race_shadow *sh = p->sh;
	sync_clock *t = at(sh, sh->sync_off);
	uint64_t h = (key * 0x9e3779b97f4a7c15ull) >> 52; /* 12 bits: SYNC_CLOCKS */
	key |= 1ull << 63; /* never 0 */
	for (unsigned i = 0; i < SYNC_CLOCKS; i++) {
		sync_clock *s = &t[(h + i) % SYNC_CLOCKS];
		uint64_t k = atomic_load_explicit(&s->key, memory_order_acquire);
		if (k == key)
			return s->vc;
		if (k != 0)
			continue;
		ic_race_spin_lock(&sh->sync_lock);
		k = atomic_load_explicit(&s->key, memory_order_relaxed);
		if (k == 0)
			atomic_store_explicit(&s->key, key, memory_order_release);
		ic_race_spin_unlock(&sh->sync_lock);
		if (k == 0 || k == key)
			return s->vc;
	}
	atomic_fetch_add(&p->ra->nosync, 1); /* an edge is lost: the run's races are not judged */
	return NULL;
}

/* ---- Reports ---- */

static void side_from(ic_race_side *s, const access_rec *a, unsigned slot, unsigned flags, unsigned size)
{
	s->slot = slot;
	s->flags = flags;
	s->size = size;
	s->clock = E_CLOCK(a->e);
	snprintf(s->point, sizeof(s->point), "%s", a->point ? (const char *)(uintptr_t)a->point : "");
	s->npc = 0;
	for (unsigned i = 0; i < IC_RACE_PCS && a->pc[i]; i++)
		s->pc[s->npc++] = a->pc[i];
}

/* The stack through libunwind, from the access's own frame outwards. */
static void current_stack(ic_race_side *s, uint64_t access_pc)
{
	uint64_t pcs[IC_RACE_STACK + 8];
	unsigned n = ic_bt_pcs(pcs, IC_RACE_STACK + 8, 0), first = 0;
	for (unsigned i = 0; i < n; i++)
		if (pcs[i] == access_pc) {
			first = i;
			break;
		}
	if (first == 0 && (n == 0 || pcs[0] != access_pc)) {
		s->pc[0] = access_pc; /* not found: at least the access itself */
		s->npc = 1;
		return;
	}
	s->npc = 0;
	for (unsigned i = first; i < n && s->npc < IC_RACE_STACK; i++)
		s->pc[s->npc++] = pcs[i];
}

/* lock: 0 for a race; else 1 + the lock one side skipped and the other held. */
static void report(ic_race_proc *p, unsigned region, uint64_t off, const access_rec *now, unsigned now_flags,
		   unsigned now_size, const access_rec *before, unsigned before_slot, unsigned before_flags,
		   unsigned lock)
{
	ic_race_arena *ra = p->ra;
	atomic_fetch_add(&ra->races, 1);
	uint64_t a = now->pc[0], b = before->pc[0];
	ic_race_spin_lock(&ra->lock);
	for (unsigned i = 0; i < ra->nreports; i++) {
		ic_race_report *r = &ra->reports[i];
		uint64_t x = r->now.pc[0], y = r->before.pc[0];
		if ((x == a && y == b) || (x == b && y == a)) {
			atomic_fetch_add(&r->folded, 1);
			ic_race_spin_unlock(&ra->lock);
			return;
		}
	}
	if (ra->nreports < IC_RACE_REPORTS) {
		ic_race_report *r = &ra->reports[ra->nreports];
		r->region = region;
		r->offset = off;
		r->lock = lock;
		side_from(&r->now, now, p->slot, now_flags, now_size);
		current_stack(&r->now, a);
		side_from(&r->before, before, before_slot, before_flags, E_BYTES(before->e) ? (unsigned)__builtin_popcount(E_BYTES(before->e)) : 0);
		ra->nreports++;
	}
	ic_race_spin_unlock(&ra->lock);
}

/* ---- Accesses ---- */

static access_rec record(const ic_race_proc *p, unsigned bytes, unsigned flags, uint64_t pc)
{
	access_rec a = {.e = p->clock[p->slot] | (uint64_t)p->slot << 32 | (uint64_t)bytes << 40 |
			     (uint64_t)(flags | E_VALID) << 48,
			.point = (uint64_t)(uintptr_t)p->point};
	a.pc[0] = pc;
	for (unsigned i = 1; i < IC_RACE_PCS && i <= p->depth && p->depth - i < 64; i++)
		a.pc[i] = p->calls[p->depth - i];
	return a;
}

/* Does the earlier access a conflict with this one: other process, overlapping, not both atomic, unordered? */
static bool conflicts(const ic_race_proc *p, uint64_t e, unsigned bytes, bool atomic)
{
	return (E_FLAGS(e) & E_VALID) && E_SLOT(e) != p->slot && (E_BYTES(e) & bytes) &&
	       !((E_FLAGS(e) & E_ATOMIC) && atomic) && !before_now(p, e);
}

static unsigned side_flags(uint64_t e, bool write)
{
	return (write ? IC_RACE_WRITE : 0) | (E_FLAGS(e) & E_ATOMIC ? IC_RACE_ATOMIC : 0);
}

static unsigned popcount(unsigned bytes)
{
	return (unsigned)__builtin_popcount(bytes);
}

typedef struct word_ctx {
	ic_race_proc *p;
	unsigned region;
	uint64_t off;     /* of the word */
	unsigned bytes;   /* mask within it */
	unsigned flags;
	access_rec now;
	bool raced;
} word_ctx;

static void race_with(word_ctx *w, const access_rec *before, bool before_write)
{
	if (w->raced)
		return; /* one race per access is enough to report it */
	w->raced = true;
	unsigned first = (unsigned)__builtin_ctz(w->bytes);
	report(w->p, w->region, w->off + first, &w->now, w->flags, popcount(w->bytes), before,
	       E_SLOT(before->e), side_flags(before->e, before_write), 0);
}

static void free_readers(ic_race_shadow *sh, uint32_t i)
{
	ic_race_spin_lock(&sh->readers_lock);
	readers(sh, i)->next_free = sh->readers_free;
	sh->readers_free = i + 1;
	ic_race_spin_unlock(&sh->readers_lock);
}

static bool new_readers(ic_race_shadow *sh, uint32_t *out)
{
	ic_race_spin_lock(&sh->readers_lock);
	bool ok = true;
	if (sh->readers_free) {
		*out = sh->readers_free - 1;
		sh->readers_free = readers(sh, *out)->next_free;
	} else if (sh->readers_next < READER_SETS) {
		*out = sh->readers_next++;
	} else {
		ok = false;
	}
	ic_race_spin_unlock(&sh->readers_lock);
	if (ok)
		memset(readers(sh, *out)->by, 0, sizeof(readers(sh, *out)->by));
	return ok;
}

static void check_reads(word_ctx *w, shadow_word *sw)
{
	ic_race_proc *p = w->p;
	bool atomic = w->flags & IC_RACE_ATOMIC;
	if (!(E_FLAGS(sw->r.e) & E_SHARED)) {
		if (conflicts(p, sw->r.e, w->bytes, atomic))
			race_with(w, &sw->r, false);
		return;
	}
	reader_set *rs = readers(p->sh, E_CLOCK(sw->r.e));
	for (unsigned k = 0; k < p->ra->nprocs; k++)
		if (conflicts(p, rs->by[k].e, w->bytes, atomic))
			race_with(w, &rs->by[k], false);
}

/* A write: checked against the last write and the reads, then it is the last write. */
static void write_word(word_ctx *w, shadow_word *sw)
{
	ic_race_proc *p = w->p;
	bool atomic = w->flags & IC_RACE_ATOMIC;
	if (sw->w.e == w->now.e)
		return; /* the same write again in this epoch */
	if (conflicts(p, sw->w.e, w->bytes, atomic))
		race_with(w, &sw->w, true);
	check_reads(w, sw);
	sw->w = w->now;
	/* Reads of bytes it did not cover may still race with later writes: keep them. */
	if ((E_FLAGS(sw->r.e) & E_SHARED)) {
		reader_set *rs = readers(p->sh, E_CLOCK(sw->r.e));
		bool all = true;
		for (unsigned k = 0; k < p->ra->nprocs; k++)
			all &= !(E_FLAGS(rs->by[k].e) & E_VALID) || (E_BYTES(rs->by[k].e) & ~w->bytes) == 0;
		if (all) {
			free_readers(p->sh, E_CLOCK(sw->r.e));
			memset(&sw->r, 0, sizeof(sw->r));
		}
	} else if ((E_BYTES(sw->r.e) & ~w->bytes) == 0) {
		memset(&sw->r, 0, sizeof(sw->r));
	}
}

/* A read: checked against the last write, then recorded (a read set once reads are concurrent). */
static void read_word(word_ctx *w, shadow_word *sw)
{
	ic_race_proc *p = w->p;
	bool atomic = w->flags & IC_RACE_ATOMIC;
	if (conflicts(p, sw->w.e, w->bytes, atomic))
		race_with(w, &sw->w, true);
	if (atomic)
		return; /* an atomic read conflicts with plain writes only, checked above: not kept */
	uint64_t r = sw->r.e;
	if (E_FLAGS(r) & E_SHARED) {
		access_rec *mine = &readers(p->sh, E_CLOCK(r))->by[p->slot];
		unsigned keep = E_CLOCK(mine->e) == E_CLOCK(w->now.e) ? E_BYTES(mine->e) : 0;
		*mine = w->now;
		mine->e |= (uint64_t)keep << 40;
		return;
	}
	/* Ordered after the kept read (or the same process's): this read supersedes it. */
	if (!(E_FLAGS(r) & E_VALID) || E_SLOT(r) == p->slot || before_now(p, r)) {
		unsigned keep = (E_FLAGS(r) & E_VALID) && E_SLOT(r) == p->slot && E_CLOCK(r) == E_CLOCK(w->now.e)
					? E_BYTES(r)
					: 0;
		sw->r = w->now;
		sw->r.e |= (uint64_t)keep << 40;
		return;
	}
	uint32_t set;
	if (!new_readers(p->sh, &set)) {
		atomic_fetch_add(&p->ra->lost, 1); /* the earlier read is forgotten: a race may be missed */
		sw->r = w->now;
		return;
	}
	reader_set *rs = readers(p->sh, set);
	rs->by[E_SLOT(r)] = sw->r;
	rs->by[p->slot] = w->now;
	sw->r.e = set | (uint64_t)(E_SHARED | E_VALID) << 48;
}

static shadow_word *word_of(ic_race_proc *p, unsigned region, uint64_t off, atomic_int **lock)
{
	uint64_t idx = p->ra->regions[region].first + off / 8;
	*lock = &p->sh->stripe[idx % STRIPES];
	return (shadow_word *)at(p->sh, p->sh->words_off) + idx;
}

/* ---- Skipped locks: the lock discipline, order aside ---- */

/*
 * The lock that kept old and now apart and nothing else, + 1; 0 if none did,
 * if they do not conflict, or if an edge other than a lock's orders them (a
 * message, an atomic: that order holds in every run).
 */
static unsigned unprotected(const ic_race_proc *p, const lock_rec *old, const lock_rec *now)
{
	uint64_t o = old->a.e, n = now->a.e;
	if (!(E_FLAGS(o) & E_VALID) || E_SLOT(o) == E_SLOT(n) || !(E_BYTES(o) & E_BYTES(n)))
		return 0;
	if (E_CLOCK(o) <= p->nolock[E_SLOT(o)])
		return 0;
	if (!((E_FLAGS(o) | E_FLAGS(n)) & E_WRITE) || (E_FLAGS(o) & E_FLAGS(n) & E_ATOMIC))
		return 0;
	if (old->held & now->held)
		return 0; /* a lock in common still keeps them apart */
	uint32_t only = (old->skipped & now->held) | (now->skipped & old->held);
	return only ? (unsigned)__builtin_ctz(only) + 1 : 0;
}

/* Keep r as one of two processes' last: replacing its own process's, else the older. */
static void keep(lock_rec two[2], uint8_t *next, const lock_rec *r)
{
	for (unsigned i = 0; i < 2; i++)
		if ((E_FLAGS(two[i].a.e) & E_VALID) && E_SLOT(two[i].a.e) == E_SLOT(r->a.e)) {
			two[i] = *r;
			return;
		}
	two[*next] = *r;
	*next ^= 1;
}

static void lock_word_access(word_ctx *w, lock_word *lw)
{
	ic_race_proc *p = w->p;
	lock_rec now = {.a = w->now, .held = p->held, .skipped = p->skipped};
	if (w->flags & IC_RACE_WRITE)
		now.a.e |= (uint64_t)E_WRITE << 48;
	const lock_rec *old[4] = {&lw->held[0], &lw->held[1], &lw->skipped[0], &lw->skipped[1]};
	for (unsigned i = 0; i < 4 && !w->raced; i++) {
		unsigned lock = unprotected(p, old[i], &now);
		if (!lock)
			continue;
		w->raced = true;
		bool mine = now.skipped >> (lock - 1) & 1; /* which side skipped it */
		report(p, w->region, w->off + (unsigned)__builtin_ctz(w->bytes), &w->now,
		       w->flags | (mine ? IC_RACE_SKIPPED : 0), popcount(w->bytes), &old[i]->a, E_SLOT(old[i]->a.e),
		       side_flags(old[i]->a.e, E_FLAGS(old[i]->a.e) & E_WRITE) | (mine ? 0 : IC_RACE_SKIPPED), lock);
	}
	if (now.held)
		keep(lw->held, &lw->held_next, &now);
	if (now.skipped)
		keep(lw->skipped, &lw->skipped_next, &now);
}

/* With the word's stripe held. */
static void word_locked(word_ctx *w, shadow_word *sw)
{
	w->now = record(w->p, w->bytes, w->flags & IC_RACE_ATOMIC ? E_ATOMIC : 0, w->now.pc[0]);
	if (w->flags & IC_RACE_WRITE)
		write_word(w, sw);
	else
		read_word(w, sw);
	ic_race_shadow *sh = w->p->sh;
	if (sh->locks && (w->p->held | w->p->skipped))
		lock_word_access(w, (lock_word *)at(sh, sh->locks_off) + (sw - (shadow_word *)at(sh, sh->words_off)));
}

static void access_word(word_ctx *w)
{
	atomic_int *l;
	shadow_word *sw = word_of(w->p, w->region, w->off, &l);
	ic_race_spin_lock(l);
	word_locked(w, sw);
	ic_race_spin_unlock(l);
}

void ic_race_access(ic_race_proc *p, unsigned region, uint64_t off, unsigned size, unsigned flags,
		    uint64_t pc)
{
	const ic_race_region *rg = &p->ra->regions[region];
	if (!rg->words)
		return;
	p->ra->checked[p->slot].n++;
	uint64_t end = off + size;
	if (end > rg->words * 8)
		end = rg->words * 8;
	word_ctx w = {.p = p, .region = region, .flags = flags};
	w.now.pc[0] = pc;
	/* Word by word: an unaligned or long access touches several. */
	for (uint64_t o = off; o < end;) {
		uint64_t word = o & ~7ull, stop = word + 8 < end ? word + 8 : end;
		w.off = word;
		w.bytes = (unsigned)(((1u << (stop - o)) - 1) << (o - word));
		access_word(&w);
		o = stop;
	}
}

/* ---- Atomics: their edges by memory order ---- */


static bool acquires(int mo)
{
	return mo == IC_MO_ACQUIRE || mo == IC_MO_CONSUME || mo == IC_MO_ACQ_REL || mo == IC_MO_SEQ_CST;
}

static bool releases(int mo)
{
	return mo == IC_MO_RELEASE || mo == IC_MO_ACQ_REL || mo == IC_MO_SEQ_CST;
}

static uint64_t word_key(unsigned region, uint64_t off)
{
	return (uint64_t)1 << 60 | (uint64_t)region << 40 | (off / 8);
}

/* The bytes an atomic of `size` at off covers in its word (an atomic never spans two). */
static unsigned atomic_bytes(uint64_t off, unsigned size)
{
	unsigned in = (unsigned)(off & 7), n = size > 8 - in ? 8 - in : size;
	return ((1u << n) - 1) << in;
}

atomic_int *ic_race_atomic_lock(ic_race_proc *p, unsigned region, uint64_t off)
{
	atomic_int *l;
	word_of(p, region, off, &l);
	ic_race_spin_lock(l);
	return l;
}

/*
 * The operation was done with the word's stripe held: every atomic on the
 * word is in one order with its shadow, so a load takes exactly the clock
 * the store it read published.
 */
void ic_race_atomic_done(ic_race_proc *p, atomic_int *lock, unsigned region, uint64_t off, unsigned size,
			 bool loaded, bool stored, int mo, uint64_t pc)
{
	atomic_int *l;
	shadow_word *sw = word_of(p, region, off, &l); /* the sync table's own lock is taken inside a stripe, never around one */
	uint32_t *sync = p->ra->regions[region].words ? ic_race_sync(p, word_key(region, off)) : NULL;
	word_ctx w = {.p = p, .region = region, .off = off & ~7ull, .bytes = atomic_bytes(off, size)};
	w.now.pc[0] = pc;
	if (p->ra->regions[region].words)
		p->ra->checked[p->slot].n++;
	if (loaded && p->ra->regions[region].words) {
		w.flags = IC_RACE_ATOMIC;
		word_locked(&w, sw);
		if (sync && acquires(mo))
			ic_race_acquire(p, sync);
		else if (sync)
			vc_join(p->pending, sync, p->ra->nprocs); /* an acquire fence takes it later */
	}
	if (stored && p->ra->regions[region].words) {
		w.flags = IC_RACE_WRITE | IC_RACE_ATOMIC;
		w.raced = false;
		word_locked(&w, sw);
		/* A store replaces the clock it publishes; a read-modify-write continues the release sequence. */
		if (sync && releases(mo))
			ic_race_release(p, sync, loaded);
		else if (sync && p->fenced)
			loaded ? vc_join(sync, p->fence_clock, p->ra->nprocs)
			       : vc_copy(sync, p->fence_clock, p->ra->nprocs);
		/* A relaxed store leaves the clock as it was: more order than C11 gives, never less. */
	}
	ic_race_spin_unlock(lock);
}

void ic_race_atomic(ic_race_proc *p, unsigned region, uint64_t off, unsigned size, bool load, bool store,
		    int mo, uint64_t pc)
{
	ic_race_atomic_done(p, ic_race_atomic_lock(p, region, off), region, off, size, load, store, mo, pc);
}

void ic_race_fence(ic_race_proc *p, int mo)
{
	if (acquires(mo))
		ic_race_acquire(p, p->pending);
	if (releases(mo)) {
		vc_copy(p->fence_clock, p->clock, p->ra->nprocs);
		p->fenced = true;
		tick(p);
	}
}

/* ---- Messages ---- */

static msg_clock *msg_slot(ic_race_proc *p, unsigned producer, uint64_t seq)
{
	ic_race_shadow *sh = p->sh;
	if (producer >= sh->nprocs)
		return NULL;
	return (msg_clock *)at(sh, sh->msg_off) + (uint64_t)producer * MSG_RING + seq % MSG_RING;
}

void ic_race_msg_send(ic_race_proc *p, uint64_t seq)
{
	msg_clock *m = msg_slot(p, p->slot, seq);
	if (!m)
		return;
	vc_copy(m->vc, p->clock, p->ra->nprocs);
	atomic_store_explicit(&m->seq, seq + 1, memory_order_release);
	tick(p);
}

void ic_race_msg_recv(ic_race_proc *p, unsigned producer, uint64_t seq)
{
	msg_clock *m = msg_slot(p, producer, seq);
	/* Overwritten by a later send: its clock is at least this one's, so taking it
	 * orders more than the truth, never less (a race may be missed, none invented). */
	if (m && atomic_load_explicit(&m->seq, memory_order_acquire) >= seq + 1)
		ic_race_acquire(p, m->vc);
}
