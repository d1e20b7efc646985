/*
 * ctx.h: a run's configuration and the per-process context behind ic_ctx.
 */
#ifndef IC_CTX_H
#define IC_CTX_H

#include "internal.h"

/* Everything that decides a run; with the seed it is the replay. */
typedef struct ic_run_cfg {
	const ic_scenario *sc;
	char variant[IC_MAX_KEYS][IC_NAME]; /* chosen value per scenario key */
	unsigned nroles;
	unsigned counts[IC_MAX_ROLES]; /* processes per role */
	unsigned nprocs;
	uint64_t ops;
	uint64_t seed;
	unsigned ninj;
	ic_inj_inst inj[IC_MAX_INJ];
	double timeout_s; /* watchdog: no progress for this long is a hang */
	bool keep;        /* leave the run's objects for inspection */
	char runid[17];   /* forced by the hidden --run-id (tests); "" draws one */
	const char *under; /* --under: the tool every role runs under ("memcheck"), or NULL */
	struct ic_bench_cell *bench; /* ipchaos bench: the cell's shared record; NULL in runs */
	int mode;         /* enum ic_mode */
	int strategy;     /* enum ic_strategy (controlled) */
	unsigned depth;   /* PCT's d: bugs of up to d ordering constraints */
	uint64_t steps;   /* PCT's k, the steps a run takes; 0: not known yet */
	bool check_determinism; /* run twice, compare the decision logs */
	/* --schedule FILE (strategy LIST): its entries, sorted by (slot, nth, kind),
	 * owned by whoever loaded them; the path, for replay lines */
	const ic_listed *list;
	uint64_t nlist;
	const char *schedule;
	/* ---- What a run leaves for a person (issue 13); they decide nothing of the run ---- */
	int story;          /* enum ic_story_mode (core/story.h): a failing run's story into the result */
	const char *trace;  /* --trace FILE (argv's: valid in the pool's forked workers); NULL: none */
	bool trace_all;     /* --trace-all: every run's trace, not only failing runs' */
	bool trace_per_seed; /* a campaign: FILE named by seed (core/story.h's ic_trace_path) */
	unsigned trace_spec; /* with several specs: 1 + its index, named in the file; 0: one spec */
	bool detect_races; /* --detect races: the instrumented scenarios, checked by the race runtime */
} ic_run_cfg;

struct ic_ctx {
	struct ic_ctx_head head; /* first: ic_point() reads it inline */
	const ic_run_cfg *cfg;
	ic_arena *arena;
	unsigned slot; /* index in arena->slots */
	unsigned role;
	unsigned index;
	ic_rng rng;
	void *state;
	void *local; /* ic_set_local(): this process's own (a channel's per-process state) */
	uint32_t lock_skipped; /* bit per lock id: this process skipped its acquire */
	/* Lockdep (arena->lockdep): the last point passed, the locks held in the order
	 * taken, and where each order this process took is in its slot's edge table. */
	bool lockdep;
	const char *point;  /* the last point passed ("" before any); the scenario's own string */
	unsigned nheld;
	struct {
		uint8_t id;
		const char *point; /* the point passed before it was taken */
	} held[IC_MAX_LOCKS];
	uint8_t edge_at[IC_MAX_LOCKS][IC_MAX_LOCKS]; /* [from][to]: edge index + 1; 0 none; IC_EDGE_LOST */
	bool scheduled; /* a role of a controlled run: it runs only with the baton */
	uint64_t scratch[IC_MAX_INJ][4];
	/* bench's second channel instance (1): its objects are named "b.<object>"
	 * and its SysV keys are n + 256, so the two never collide; else 0 */
	unsigned instance;
	char error[256]; /* ic_errorf(): why setup or observe failed */
};

#define IC_EDGE_LOST 0xff /* edge_at: that order did not fit the table (counted once) */

/* Bind ctx to a slot: the supervisor's (role = IC_MAX_ROLES) or a role's process. */
void ic_ctx_init(ic_ctx *ctx, const ic_run_cfg *cfg, ic_arena *arena, unsigned slot,
		 unsigned role, unsigned index);

#endif
