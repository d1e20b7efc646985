/*
 * internal.h: the harness's own types, shared by harness/, injectors/ and checkers/.
 *
 * Three small vtables: a scenario (public, in ipchaos.h), an injector (plan
 * before fork, act at points in the child) and a checker (a verdict from facts
 * only: events, exits, locks held at death, watchdog, leftovers).
 */
#ifndef IC_INTERNAL_H
#define IC_INTERNAL_H

#include "ipchaos.h"

#include <stdbool.h>
#include <signal.h>
#include <stdio.h>

#define IC_MAX_PROCS 64
#define IC_MAX_ROLES 4
#define IC_MAX_KEYS 8
#define IC_MAX_INJ 8
#define IC_INJ_PARAMS 6
#define IC_MAX_LOCKS 16
#define IC_MAX_TRACKED 64
#define IC_MAX_FIRES 8
#define IC_BT_FRAMES 16
#define IC_NAME 48
#define IC_MAX_OPS 10000000ull

/* ---- RNG: splitmix64 seeds xoshiro256** (both public domain, Vigna) ---- */

typedef struct ic_rng {
	uint64_t s[4];
} ic_rng;

uint64_t ic_splitmix64(uint64_t *state);
void ic_rng_seed(ic_rng *rng, uint64_t seed);
/* An independent stream per (seed, a, b): a process's role and index, or a plan's injector. */
void ic_rng_stream(ic_rng *rng, uint64_t seed, uint64_t a, uint64_t b);
uint64_t ic_rng_next(ic_rng *rng);
uint64_t ic_rng_below(ic_rng *rng, uint64_t n); /* uniform in [0, n), n > 0 */
double ic_rng_unit(ic_rng *rng);                /* uniform in [0, 1) */

enum { IC_STREAM_PLAN = 0x504c414e, IC_STREAM_SUPERVISOR = 0x53555056, IC_STREAM_SCHED = 0x53434844 };

/* ---- Keyed PRF: SipHash-2-4 (Aumasson, Bernstein), for names no one else can derive ---- */

#define IC_SECRET_BYTES 16
uint64_t ic_siphash24(const uint8_t key[IC_SECRET_BYTES], const void *data, size_t len);

/* ---- Run arena: one shared region per run ---------------------------- */

typedef struct ic_event {
	uint64_t t_ns; /* CLOCK_MONOTONIC */
	uint32_t kind; /* enum ic_ev_kind */
	uint32_t op;   /* enum ic_op */
	uint64_t a, b;
	/* Controlled mode (the story, the trace): the scheduler's step when it was logged, and
	 * the decisions logged before it, its exact place among them. 0 in chaos mode. */
	uint64_t step, decided;
} ic_event;

typedef struct ic_fire {
	char point[IC_NAME];
	uint32_t inj; /* index into the run's injectors */
	uint32_t count;
} ic_fire;

/* ---- Cross-process lockdep (role/ctx.c records, checkers/lockorder.c judges) ---- */

#define IC_MAX_EDGES 32 /* lock orders recorded per process; more are counted, not kept */

/* One order a process took two locks in: `to` was taken while `from` was held. */
typedef struct ic_lock_edge {
	uint8_t from, to;         /* lock ids */
	uint16_t always_held;     /* lock ids held at every time it was taken (a gate lock shows here) */
	uint32_t pad;
	uint64_t count;           /* times taken so */
	char from_point[IC_NAME]; /* the point passed before `from` was taken ("" if none) */
	char to_point[IC_NAME];   /* the point passed before `to` was taken */
} ic_lock_edge;

/* One per process; written only by that process, except pid (supervisor). */
typedef struct ic_slot {
	_Atomic uint64_t committed; /* events [0, committed) are whole (release store) */
	uint64_t cap;
	uint64_t events_off; /* from the arena's start */
	atomic_int overflow; /* the log filled up: the run is broken, not judged */
	pid_t pid;
	atomic_int finished;          /* its body returned, or the supervisor reaped it */
	_Atomic uint64_t stall_until; /* stopped by the stall injector until then (ns); 0 if not */
	atomic_int injected_sig;      /* set just before an injector's signal */
	char injected_at[IC_NAME];    /* the point it fired at */
	uint64_t injected_hit;        /* which hit of that point */
	atomic_int crash_sig;         /* set by the fault handler once crash_bt is whole */
	char crash_bt[IC_BT_FRAMES][IC_NAME + 16];
	uint32_t nfires;
	ic_fire fires[IC_MAX_FIRES];
	/* Lockdep: the orders it took locks in, and the lock it is blocked on now. */
	atomic_uint nedges;          /* edges [0, nedges) are whole (release store) */
	atomic_uint edges_lost;      /* orders not kept: the table was full */
	ic_lock_edge edges[IC_MAX_EDGES];
	atomic_int waiting_for;      /* chaos: lock id + 1 while blocked in ic_lock; 0 otherwise */
	atomic_uint wait_seq;        /* bumped before each wait is published: a wait seen twice is one wait */
	uint64_t wait_since;         /* ns, when that wait began */
	char wait_point[IC_NAME];    /* the point passed before it */
	char misuse[160]; /* the process broke a contract of the loops (role/msg.c): the run is BROKEN */
} ic_slot;

typedef struct ic_lockrec {
	char site[IC_NAME];
	int kind;
	atomic_int holder; /* slot index + 1; 0 when free */
	_Atomic uint64_t readers; /* rwlock: bit per slot holding it shared */
} ic_lockrec;

/* Does process `slot` hold this lock, exclusively or (rwlock) shared? */
static inline bool ic_lockrec_held_by(ic_lockrec *rec, unsigned slot)
{
	if (atomic_load(&rec->holder) == (int)slot + 1)
		return true;
	return slot < 64 && (atomic_load(&rec->readers) >> slot & 1u);
}

enum ic_obj_kind { IC_OBJ_SHM = 1, IC_OBJ_MQ, IC_OBJ_SYSV_MSG };

typedef struct ic_tracked {
	/* 0 free, 1 claimed, 2 named, 3 removed by its owner, 4 never ours: its
	 * create failed (a squatter's name) or it was another user's: never swept */
	atomic_int state;
	int kind;         /* enum ic_obj_kind */
	char name[80];    /* POSIX objects */
	key_t key;        /* SysV objects */
	unsigned mode;    /* as created (after umask); 0 if it was only opened */
	bool excl;        /* created with O_EXCL / IPC_EXCL */
} ic_tracked;

/* ---- Race detection (--detect races; role/race.c) ------------------------
 *
 * Happens-before across processes: a vector clock per role in the arena,
 * shadow state per 8-byte word of the checked segments in a shadow segment
 * the supervisor maps before fork (indexed by region and offset, never by
 * address). Setup's accesses are never recorded: they happen before all.
 */
#define IC_RACE_REGIONS 16
#define IC_RACE_PCS 4     /* an access's pc and its callers, kept per shadow word */
#define IC_RACE_STACK 12  /* the reporting access's stack, from libunwind */
#define IC_RACE_REPORTS 8 /* distinct pairs of code locations; more are counted */

typedef uint32_t ic_vclock[IC_MAX_PROCS];

typedef struct ic_race_region {
	char name[IC_NAME]; /* the object, as the scenario named it */
	uint64_t size;
	uint64_t first;     /* its first shadow word */
	uint64_t words;     /* 0: not checked (no room left in the shadow) */
} ic_race_region;

enum { IC_RACE_WRITE = 1, IC_RACE_ATOMIC = 2, IC_RACE_SKIPPED = 4 /* its lock skipped (nolock) */ };

/* One side of a race, as reported. */
typedef struct ic_race_side {
	uint32_t slot;  /* the process */
	uint32_t flags; /* IC_RACE_WRITE, IC_RACE_ATOMIC, IC_RACE_SKIPPED */
	uint32_t size;  /* bytes */
	uint32_t npc;
	uint64_t clock; /* its clock then */
	char point[IC_NAME]; /* the point it had last passed ("" if none) */
	uint64_t pc[IC_RACE_STACK]; /* innermost first */
} ic_race_side;

typedef struct ic_race_report {
	uint32_t region;
	uint32_t lock;         /* 0: a race; else 1 + the lock id one side skipped (nolock) and the other held */
	uint64_t offset;       /* from the region's start, of the word's first byte accessed */
	ic_race_side now, before;
	_Atomic uint64_t folded; /* further races on the same pair of code locations */
	char field[IC_NAME];     /* the scenario's name for those bytes, or "" (filled before judging) */
} ic_race_report;

/* In the arena: zero and unused unless the run detects races. */
typedef struct ic_race_arena {
	int on;
	bool locks;             /* the run may skip locks (nolock): the lock discipline is checked too */
	atomic_int lock;        /* regions and reports */
	uint64_t shadow;        /* its address: mapped before fork, the same in every role */
	uint64_t shadow_size;
	uint64_t words, used;   /* shadow words, and those given to regions */
	unsigned nprocs;
	unsigned nregions;
	ic_race_region regions[IC_RACE_REGIONS];
	ic_vclock clock[IC_MAX_PROCS]; /* each role's, written by it alone; final once it died */
	ic_vclock lockclock[IC_MAX_LOCKS];
	_Atomic uint64_t races;      /* every race found, folded ones included */
	struct {
		uint64_t n;
		char pad[56]; /* a cache line each: a shared counter would cost every access a transfer */
	} checked[IC_MAX_PROCS];     /* each role's checked accesses: 0 says nothing was instrumented */
	_Atomic uint64_t unchecked;  /* regions past the table or the shadow's room */
	_Atomic uint64_t lost;       /* read sets that found no room: races may be missed */
	_Atomic uint64_t nosync;     /* sync clocks that found no room: edges lost, races not judged */
	_Atomic uint64_t qexact, qwide; /* queue receives ordered after the sends they may have got; after every equal send */
	unsigned nreports;
	ic_race_report reports[IC_RACE_REPORTS];
} ic_race_arena;

/* The current stack's program counters, innermost first, below the caller's `skip` frames. */
unsigned ic_bt_pcs(uint64_t *pc, unsigned max, unsigned skip);
/* A program counter of this binary as "function+0xoff" (or the hex address). */
void ic_bt_symbol(uint64_t pc, char *buf, size_t size);

/* ---- Controlled mode: one process runs at a time (role/sched.c) ---- */

enum ic_mode { IC_MODE_CHAOS, IC_MODE_CONTROLLED };
/* LIST: the choices a --schedule file lists, and the plainest choice everywhere else. */
enum ic_strategy { IC_STRATEGY_PCT, IC_STRATEGY_RANDOM, IC_STRATEGY_LIST };
#define IC_MAX_DEPTH 16
#define IC_DEFAULT_DEPTH 3

enum ic_pstate { IC_PS_RUNNABLE, IC_PS_WAITING, IC_PS_STALLED, IC_PS_DONE, IC_PS_DEAD };
/* What a waiting process waits for. */
enum ic_wait { IC_WAIT_NONE, IC_WAIT_LOCK, IC_WAIT_COND, IC_WAIT_IO, IC_WAIT_SPIN };

typedef struct ic_sched_proc {
	atomic_uint futex;   /* bumped and woken when it is given the baton */
	int state;           /* enum ic_pstate */
	int wait;            /* enum ic_wait */
	uint64_t wait_obj;   /* the lock id; the condition variable's address */
	uint64_t wait_epoch; /* IO and spin waits: runnable again once another step was taken */
	bool timed;          /* the wait may time out */
	bool timed_out;      /* the scheduler ended it: nothing else could run */
	bool woken;          /* lock and condition waits: released or signalled */
	int64_t prio;         /* PCT: d..d+n-1 at first, 1..d-1 at change points, < 0 after yields */
	uint64_t stall_until; /* a step */
	char point[IC_NAME];  /* where it last was */
	bool arrived;         /* it reached the start */
	bool acted;           /* a call that may change what others wait for, since its last wait */
	uint64_t decided;     /* decisions it made: a listed schedule names its choices by this count */
} ic_sched_proc;

/* One step of a controlled run, as the decision log keeps it. */
typedef struct ic_decision {
	uint64_t step;
	uint32_t point; /* FNV-1a of the point's name */
	uint16_t slot;  /* the process at that step */
	uint8_t kind;   /* enum ic_dkind */
	uint8_t next;   /* who holds the baton after it; 0xff: nobody */
} ic_decision;

enum ic_dkind {
	IC_D_STEP,     /* it went on */
	IC_D_SWITCH,   /* another process was given the baton: the step's process waits or ended */
	IC_D_PREEMPT,  /* another process was given the baton though this one could go on */
	IC_D_TIMEOUT,  /* a timed wait ended: nothing else could run */
	IC_D_FAULT,    /* an injector fired here */
	IC_D_END,      /* the process returned */
	IC_D_DEATH,    /* the process died (injected kill or crash) */
	IC_D_START,    /* the first choice, once every process arrived: slot is the chosen one */
};

/*
 * One entry of a listed schedule (--schedule, what `ipchaos shrink` writes).
 * A choice is named by the deciding process and how many decisions it had
 * made before, not by a global step: removing another process's entry then
 * shifts less of the rest, which is what lets a shrink take entries away.
 */
typedef struct ic_listed {
	uint64_t nth;   /* the deciding process's decisions before this one */
	uint32_t point; /* a fault: the point's id (ic_sched_point_id) */
	uint16_t slot;  /* the deciding process; IC_LISTED_START: the first choice */
	uint8_t kind;   /* enum ic_lkind */
	uint8_t arg;    /* a switch: the process given the baton; a fault: the injector's index */
} ic_listed;

enum ic_lkind { IC_L_SWITCH, IC_L_FAULT };
#define IC_LISTED_START 0xffff
#define IC_MAX_LISTED 100000

enum ic_over { IC_OVER_NO, IC_OVER_DEADLOCK, IC_OVER_DEAD_HOLDER, IC_OVER_LIVELOCK };

typedef struct ic_sched {
	int mode;             /* enum ic_mode */
	int strategy;         /* enum ic_strategy */
	unsigned nprocs, depth;
	uint64_t k;           /* the steps PCT spreads its change points over */
	uint64_t change[IC_MAX_DEPTH]; /* ascending steps at which the running process is demoted */
	unsigned nchange, next_change;
	int64_t floor;        /* the lowest priority given so far: a yielding process goes below it */
	atomic_uint ready;    /* processes at the start */
	atomic_int turn;      /* the slot holding the baton; -1: nobody */
	atomic_int over;      /* enum ic_over: nobody will be given the baton again */
	uint64_t step, epoch;
	uint64_t progress_step;  /* the step of the last operation logged */
	uint64_t livelock_steps; /* that many steps with none logged is a hang */
	uint64_t switches, preemptions, timeouts;
	uint64_t hash;        /* FNV-1a over every decision */
	ic_rng rng;           /* the random strategy's choices */
	uint64_t log_off, log_cap; /* the decision log, in the arena */
	uint64_t list_off, nlist;  /* a listed schedule's entries, sorted (slot, nth, kind), in the arena */
	_Atomic uint64_t nlog;
	ic_sched_proc procs[IC_MAX_PROCS];
	/* Scenario time (ic_now) is step + skipped microseconds: when every process sleeps, the
	 * clock jumps to the first to wake. Stalls and sleeps end at that clock. */
	uint64_t skipped;
} ic_sched;

#define IC_ARENA_MAGIC 0x69706368616f7321ull /* "ipchaos!" */

typedef struct ic_arena {
	uint64_t magic;
	uint64_t size;
	char runid[24];
	/* Per run, from getrandom, never shown: object names and SysV keys are
	 * derived from it, so no one who sees the run id can create them first. */
	uint8_t secret[IC_SECRET_BYTES];
	atomic_int kept; /* --keep: a sweeper must leave this run's objects alone */
	atomic_uint ready; /* roles waiting at the start barrier */
	atomic_uint go;    /* the start barrier's release (a futex word) */
	char role_args[2048]; /* --under: the run as `run` arguments, for roles started by exec */
	ic_sched sched;       /* controlled mode */
	ic_race_arena race;   /* --detect races */
	atomic_uint nlocks;
	ic_lockrec locks[IC_MAX_LOCKS];
	int lockdep; /* set before fork: roles record lock orders (the lockorder checker judges the run) */
	atomic_uint ntracked;
	ic_tracked tracked[IC_MAX_TRACKED];
	uint32_t nslots; /* roles' processes, then the supervisor's */
	ic_slot slots[];
} ic_arena;

ic_event *ic_slot_events(ic_arena *arena, const ic_slot *slot);

/* An info record of the loops (role/msg.c): a consumer or the drain stopped receiving
 * because more had arrived than was ever sent; what it left unread is not lost. */
#define IC_OP_FLOOD (IC_OP_USER - 1)

/* ---- Resource tracker: what a run created, by name ---- */

/* Register before creating: a process killed in between leaks nothing. 0, or -1 (ENOSPC). */
int ic_tracker_add(ic_arena *arena, int kind, const char *name, key_t key);
/* What a creation gave: the object's mode and whether it was exclusive (perms). */
void ic_tracker_created(ic_arena *arena, const char *name, unsigned mode, bool excl);
/* Its owner removed it in normal flow. */
void ic_tracker_removed(ic_arena *arena, const char *name);
/* Its creation made nothing of ours (EEXIST: someone else's object): never sweep it. */
void ic_tracker_not_ours(ic_arena *arena, const char *name);

/*
 * SysV keys of a run: n in 0..255 for its objects, n + 256 for bench's second
 * channel instance. Each is 31 bits of SipHash keyed by the run's secret over
 * (run id, n): positive, never IPC_PRIVATE, and unknowable without the secret.
 */
#define IC_SYSV_KEYS 512
key_t ic_sysv_key_of(const char *runid, const uint8_t secret[IC_SECRET_BYTES], unsigned n);
/* Is `key` one of ic_sysv_key_of(runid, secret, 0 .. IC_SYSV_KEYS-1)? */
bool ic_sysv_key_is_run(const char *runid, const uint8_t secret[IC_SECRET_BYTES], key_t key);

/* ---- Injectors ------------------------------------------------------- */

enum ic_ptype { IC_P_PROB, IC_P_USEC, IC_P_COUNT, IC_P_POINT, IC_P_SITE, IC_P_PROC, IC_P_MSEC };

typedef struct ic_param {
	const char *key;
	enum ic_ptype type;
	const char *def; /* "" = unset */
	const char *help;
} ic_param;

enum ic_site { IC_SITE_POINT, IC_SITE_LOCK };

/* A wrapped system call, as the fail injector sees it. */
typedef struct ic_call {
	const char *name;  /* "call/mq_send" */
	const int *errors; /* what this call can really return, transient ones first */
	unsigned nerrors;
	size_t *len;       /* stream I/O: may be shortened; else NULL */
} ic_call;

/* The facts a plan may be drawn from. */
typedef struct ic_plan_env {
	unsigned nprocs;
	const char *const *labels; /* "p0", "p1", ... */
	const char *const *points;
	const char *const *lock_sites;
	uint64_t ops;
	/* Per process, the points its role passes (NULL-terminated), or NULL: not known (or all). */
	const char *const *const *proc_points;
} ic_plan_env;

typedef struct ic_inj_inst ic_inj_inst;

typedef struct ic_injector {
	const char *name;
	const char *summary;
	const ic_param *params; /* {0}-terminated */
	/* Before fork, from the plan stream only: fill inst->plan. */
	void (*plan)(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng);
	/* In the process, at a point or lock site; returns true to skip that lock. */
	bool (*at)(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, enum ic_site site);
	/* Optional, in the process, at a wrapped call: an errno to fail it with, or 0. */
	int (*call)(const ic_inj_inst *inst, ic_ctx *ctx, ic_call *call);
	/* The plan as one phrase: "p1 at counter/locked, hit 437". */
	void (*describe)(const ic_inj_inst *inst, const ic_plan_env *env, char *buf, size_t size);
	bool skips_locks; /* `at` may skip a lock: --detect races checks the lock discipline too */
} ic_injector;

struct ic_inj_inst {
	const ic_injector *inj;
	unsigned index; /* in the run's injector list */
	double num[IC_INJ_PARAMS];     /* IC_P_PROB */
	uint64_t whole[IC_INJ_PARAMS]; /* IC_P_COUNT, IC_P_USEC, IC_P_MSEC: exact up to 2^64-1 */
	char str[IC_INJ_PARAMS][IC_NAME];
	union {
		unsigned char bytes[128];
		uint64_t words[16];
	} plan;
};

/* Parse "name[:k=v,...]" (each key once); 0, or -1 with a one-line message naming the bad value. */
int ic_inj_parse(ic_inj_inst *inst, const char *spec, char *err, size_t errsize);
/*
 * Check point and site globs, given or default, against what the scenario
 * declares: -1 when the injector can never act on it (nolock without lock
 * sites, fail without wrapped calls, an at= that matches nothing).
 */
int ic_inj_validate(const ic_inj_inst *inst, const ic_scenario *sc, char *err, size_t errsize);
/* true and one line (without "warning: ") when it may never act on a run of ops x nprocs (p=0, hit= past it). */
bool ic_inj_warning(const ic_inj_inst *inst, uint64_t ops, unsigned nprocs, char *buf, size_t size);
/* "delay:p=0.1,max=20" with every parameter, for replay lines. */
void ic_inj_format(const ic_inj_inst *inst, char *buf, size_t size);
double ic_inj_num(const ic_inj_inst *inst, const char *key);    /* a probability */
uint64_t ic_inj_uint(const ic_inj_inst *inst, const char *key); /* a count or duration, exact */
const char *ic_inj_str(const ic_inj_inst *inst, const char *key);
bool ic_name_matches(const char *pattern, const char *name);

/*
 * The plan kill and stall share: a victim, a point (at=, or one drawn from
 * the scenario's) and which hit of it (hit=, or drawn from 1..ops). With
 * at=, the victim is drawn among the processes whose role passes a point it
 * matches (env->proc_points), when any role is known to.
 * words[0] victim, words[1] hit, words[2] the injector's own, then the point.
 */
void ic_plan_strike(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng);
#define IC_PLAN_POINT(inst) ((char *)&(inst)->plan.words[3])
/* In the process: is this the planned hit (or, with p=, a drawn one)? *hit is its number. */
bool ic_strike_now(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, uint64_t *hit);
/*
 * In the process: `drawn` (what the injector's own plan or draw decided at
 * this point or call), unless a listed schedule (--schedule) is replayed:
 * then whether it lists this fault. Injectors draw first either way, so the
 * process's stream stays where the original run had it.
 */
bool ic_inj_listed(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, bool drawn);

/* Called by injectors, in the process: count a firing at a point. */
void ic_fired(ic_ctx *ctx, const ic_inj_inst *inst, const char *point);
/* Record that an injector sends `sig` to this process now, then send it. */
void ic_inject_signal(ic_ctx *ctx, int sig, const char *point, uint64_t hit);
/* Stop this process now; the supervisor continues it after `ns`. */
void ic_stall_self(ic_ctx *ctx, uint64_t ns);
/* Controlled mode: this process steps back below every other (true); chaos: nothing (false). */
bool ic_inject_yield(ic_ctx *ctx);
/* Per-process, per-injector scratch (hit counters). */
uint64_t *ic_inj_scratch(ic_ctx *ctx, const ic_inj_inst *inst);
ic_rng *ic_ctx_rng(ic_ctx *ctx);
unsigned ic_ctx_slot(const ic_ctx *ctx);

/* ---- Facts and checkers ---------------------------------------------- */

typedef struct ic_proc_facts {
	char label[16]; /* "p0" */
	pid_t pid;
	const ic_event *ev;
	uint64_t nev;
	bool exited;     /* else killed by a signal */
	int code;        /* exit code, or signal number */
	bool injected;   /* the signal was sent by an injector */
	bool harness_killed; /* the supervisor killed it (finding, watchdog, interrupt) */
	char injected_at[IC_NAME];
	uint64_t injected_hit;
	int held[IC_MAX_LOCKS]; /* locks it held when it died: lock ids, -1 ends */
	const char *crash_bt[IC_BT_FRAMES]; /* NULL-terminated; from its fault handler */
	const char *stack; /* watchdog: its stack through ptrace, or NULL */
	const char *tool_report; /* --under: the tool's first error, its stack, one frame a line; or NULL */
	const char *waiting; /* a deadlocked controlled run: what it waited for, and where; or NULL */
	const ic_lock_edge *edges; /* lockdep: the orders it took locks in */
	unsigned nedges;
	unsigned edges_lost;       /* orders it took that the table had no room for */
} ic_proc_facts;

typedef struct ic_lock_facts {
	char site[IC_NAME];
	int kind;
} ic_lock_facts;

typedef struct ic_facts {
	unsigned nprocs;
	ic_proc_facts procs[IC_MAX_PROCS];
	const ic_event *observer; /* the supervisor's final reads */
	uint64_t nobserver;
	unsigned nlocks;
	ic_lock_facts locks[IC_MAX_LOCKS];
	bool hang;            /* the watchdog fired */
	bool deadlock;        /* controlled mode: no process could go on, and none could time out;
			       * chaos: the supervisor saw a cycle of waits on ic_ locks (ncycle > 0) */
	unsigned ncycle;      /* chaos: the cycle: cycle[i].proc waits for cycle[i].lock, held by cycle[i+1].proc */
	struct {
		unsigned proc;
		int lock;
		char point[IC_NAME]; /* the point it passed before it began to wait */
	} cycle[IC_MAX_PROCS];
	double cycle_ms;      /* from the last wait of the cycle beginning to the supervisor seeing it */
	double hang_seconds;  /* T: no progress for this long */
	uint64_t hang_steps;  /* controlled: no operation logged in this many steps (0: chaos) */
	unsigned nobjects;    /* what the run created, for perms */
	struct {
		char name[80];
		unsigned mode;
		bool excl;
	} objects[IC_MAX_TRACKED];
	unsigned allowed_mode; /* the widest mode the scenario declares (0600 unless it says) */
	bool kept;            /* --keep: tracked objects stay on purpose; untracked ones are leaks still */
	const ic_race_arena *race; /* --detect races: what the detector found; NULL when off */
	unsigned nleaks;      /* this run's untracked objects, by name and owner (another user's are not) */
	char leaks[16][272];  /* "/dev/shm/ipchaos.<runid>.untracked.<tag>" */
	bool log_full;        /* a process's log filled up: judge what it holds, claim no loss */
	const char *observer_stack; /* the scenario's observe made no progress (hang): its stack; or NULL */
} ic_facts;

/* ---- Evidence marks: where, in the run's story, the invariant broke (issue 13) ---- */
enum ic_mark_kind {
	IC_MARK_EVENT, /* event `at` of the process's log */
	IC_MARK_END,   /* how the process ended: its death, or its last step (a hang, a deadlock) */
	IC_MARK_LOCK,  /* the process took lock `at` (the dead holder's acquire) */
};
#define IC_MAX_MARKS 8
typedef struct ic_mark {
	uint16_t proc; /* index in ic_facts.procs; nprocs: the supervisor's final reads */
	uint16_t kind; /* enum ic_mark_kind */
	uint64_t at;   /* an event index, or a lock id */
	char why[40];  /* what it shows: "load of the lost update" */
} ic_mark;

typedef struct ic_finding {
	const char *checker;
	char text[4096]; /* first line: the verdict; then evidence lines */
	unsigned nmarks; /* evidence marks the checker could point at (the story marks their rows) */
	ic_mark marks[IC_MAX_MARKS];
} ic_finding;

typedef struct ic_checker {
	const char *name;
	const char *summary;
	/* true and a finding when the invariant broke. */
	bool (*check)(const ic_facts *facts, ic_finding *out);
	/* Optional: one line on a run it passed (liveness: detection latencies), for --verbose; "" for none. */
	void (*note)(const ic_facts *facts, char *buf, size_t size);
} ic_checker;

bool ic_lock_kind_recovers(int kind);
/* Appends printf-style to out->text, never past its end. */
void ic_finding_addf(ic_finding *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An evidence mark, if there is room (the first IC_MAX_MARKS are kept). */
void ic_finding_mark(ic_finding *out, unsigned proc, enum ic_mark_kind kind, uint64_t at, const char *why);
const char *ic_signal_name(int sig);

/* ---- Registries ------------------------------------------------------ */

extern const ic_scenario *const ic_builtin_scenarios[];
/* --detect races: a built-in scenario's copy compiled with -fsanitize=thread; any other as it is. */
const ic_scenario *ic_race_twin(const ic_scenario *sc);
extern const ic_injector *const ic_injectors[];
extern const ic_checker *const ic_checkers[];
const ic_injector *ic_injector_find(const char *name);
const ic_checker *ic_checker_find(const char *name);

/* ---- Parsing: what users type, read one way by every command (core/parse.c) ----
 *
 * Decimal means decimal (010 is ten); 0x hex only for seeds; no spaces,
 * signs, exponents, inf or nan; no silent overflow. 0, or -1 and, when err
 * is not NULL, one line: "LABEL VALUE: expected ..." (no space after a label
 * ending in '='). Declared here, not in core/, because role/ reads sizes too.
 */

/* A whole number from min to max. */
int ic_parse_u64(const char *label, const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
		 size_t errsize);
/* A 64-bit seed: decimal, or 0x and hex digits (0x0 to 0xffffffffffffffff). */
int ic_parse_seed(const char *label, const char *s, uint64_t *out, char *err, size_t errsize);
/* A decimal number: digits, optionally '.' and digits ("0.5", not ".5", "1." or "1e3"). */
int ic_parse_real(const char *label, const char *s, double min, double max, double *out, char *err,
		  size_t errsize);
/* Seconds: a decimal number, bare or with ms, s, m or h ("0.2", "200ms", "90s", "5m", "1h"). */
int ic_parse_duration(const char *label, const char *s, double min, double max, double *out, char *err,
		      size_t errsize);
/* "A..B" or "A", durations; a bare A takes B's unit, whichever it is ("1..2m" is 60 to 120 seconds). */
int ic_parse_duration_range(const char *label, const char *s, double min, double max, double *lo, double *hi,
			    char *err, size_t errsize);
/* Bytes: a whole number, bare or with K or M (binary: 1K is 1024). */
int ic_parse_size(const char *label, const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
		  size_t errsize);

/* A value as errors echo it: as typed, or quoted when that is needed to see it (empty, spaces). */
const char *ic_shown(const char *value, char *buf, size_t size);

#define IC_LIST_MAX 64
typedef struct ic_list {
	char buf[1024];
	char *item[IC_LIST_MAX]; /* into buf */
	unsigned n;
} ic_list;
/*
 * s split at sep into l->item[0 .. l->n): at least one item and none empty
 * ("a,,b", ",a", "a," and "" are refused). An error reads "LABEL 'SHOWN': ...",
 * SHOWN the whole input the list came from ("shm_counter:lock=mutex,").
 */
int ic_parse_list(ic_list *l, const char *label, const char *shown, const char *s, char sep, char *err,
		  size_t errsize);

/* ---- Misc ------------------------------------------------------------ */

/* Exit codes of every command (DESIGN.md): findings beat harness failures beat success. */
enum { IC_EXIT_OK = 0, IC_EXIT_FINDING = 1, IC_EXIT_USAGE = 2, IC_EXIT_BROKEN = 3,
       IC_EXIT_INTERRUPTED = 130 };
/* A campaign ended by SIGTERM exits 128 + 15, as a shell reports a process the signal ended. */
#define IC_EXIT_TERMINATED 143

uint64_t ic_now_ns(void);

#define IC_VALGRIND_SLOWDOWN 30 /* memcheck runs code 20-50x slower */
/* IPCHAOS_TIMEOUT_FACTOR: the watchdog's multiplier, IC_TIMEOUT_FACTOR_MIN to _MAX (a huge one
 * would overflow the watchdog into a false hang). */
#define IC_TIMEOUT_FACTOR_MIN 0.01
#define IC_TIMEOUT_FACTOR_MAX 1000.0
/* Every command that runs something calls this before it does: 0, or -1 and one line. */
int ic_timeout_factor_check(char *err, size_t errsize);
double ic_timeout_factor(void); /* IPCHAOS_TIMEOUT_FACTOR (1 when unset), times more under valgrind */
/* The supervisor takes SIGCHLD, SIGINT and SIGTERM synchronously: block them before runs. */
void ic_block_run_signals(void);
/* Those signals, as the set a supervisor waits for with sigtimedwait. */
void ic_run_signals(sigset_t *set);
/* The first line of a file (a sysctl, /proc/loadavg) without its newline; "" when unreadable. */
void ic_read_first_line(const char *path, char *buf, size_t size);
/* --jobs: a worker's run under way is cancelled by this signal, queued with the
 * job's id (a real-time signal: one for an ended job cannot hide the next). */
#define IC_CANCEL_SIG (SIGRTMIN + 1)

#endif
