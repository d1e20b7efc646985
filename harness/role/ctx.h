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
	uint32_t lock_skipped; /* bit per lock id: this process skipped its acquire */
	bool scheduled; /* a role of a controlled run: it runs only with the baton */
	uint64_t scratch[IC_MAX_INJ][4];
	/* bench's second channel instance (1): its objects are named "b.<object>"
	 * and its SysV keys are n + 256, so the two never collide; else 0 */
	unsigned instance;
	char error[256]; /* ic_errorf(): why setup or observe failed */
};

/* Bind ctx to a slot: the supervisor's (role = IC_MAX_ROLES) or a role's process. */
void ic_ctx_init(ic_ctx *ctx, const ic_run_cfg *cfg, ic_arena *arena, unsigned slot,
		 unsigned role, unsigned index);

#endif
