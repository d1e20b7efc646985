/*
 * run.h: one run of one scenario variant under one plan.
 */
#ifndef IC_RUN_H
#define IC_RUN_H

#include "role/ctx.h"
#include "core/tracker.h"

enum ic_run_status { IC_RUN_PASS, IC_RUN_FAIL, IC_RUN_BROKEN, IC_RUN_INTERRUPTED };

#define IC_MAX_FINDINGS 5
#define IC_MAX_INTERFERENCE 8

/* How a controlled run was scheduled: what its report and replay line state. */
typedef struct ic_schedule {
	int mode;                 /* enum ic_mode; the rest only when controlled */
	int strategy;             /* enum ic_strategy */
	unsigned n, depth;        /* processes; PCT's d */
	uint64_t k;               /* the steps PCT spread its change points over */
	uint64_t steps, switches, preemptions, timeouts;
	uint64_t decisions;       /* records in the decision log (at most its room) */
	uint64_t hash;            /* over every decision: equal hashes, equal schedules */
	bool log_full;            /* the decision log ran out of room: it lacks the last decisions */
} ic_schedule;

typedef struct ic_run_result {
	enum ic_run_status status;
	char runid[17];
	unsigned nfindings;
	ic_finding findings[IC_MAX_FINDINGS];
	char broken[512];    /* why the harness could not judge the run */
	char evidence[4096]; /* roles' ends, the plan, what fired: shown with any finding */
	char kept[2048];     /* with --keep: the objects left for inspection, ", "-separated */
	unsigned ninterference; /* another user's objects carrying this run's id (may be more than listed) */
	ic_foreign interference[IC_MAX_INTERFERENCE]; /* never judged, never removed */
	uint64_t recoveries; /* robust locks taken over from dead holders */
	uint64_t messages;   /* received intact, by consumers and the drain */
	uint64_t bytes;      /* their total length */
	double transfer_s;   /* first send invoked to last receive by a consumer */
	double seconds;
	ic_schedule schedule;
	/* ---- Story and trace (issue 13): asked for by cfg->story and cfg->trace ---- */
	char story[16384]; /* the story as printed (cut at this size, saying so); "" if none */
	char trace[512];   /* the trace file written, or why it could not be; "" if none */
	char notes[512]; /* checkers' lines on what they passed, "\n"-ended (--verbose) */
	/* Records (rwcache): read and written while both went on, and for how long (bench). */
	uint64_t rec_reads, rec_writes;
	double rec_span_s;
	/* Per injector of the run (cfg->inj order): how often it fired, over all processes. */
	uint64_t fired[IC_MAX_INJ];
	int interrupt_sig; /* IC_RUN_INTERRUPTED: SIGINT or SIGTERM (the exit code says which) */
} ic_run_result;

/* Runs it; SIGCHLD, SIGINT and SIGTERM must be blocked in the caller. */
void ic_run_one(const ic_run_cfg *cfg, ic_run_result *res);

/* A controlled run's decision log, copied out before its arena goes. */
typedef struct ic_decisions {
	ic_decision *v;
	uint64_t n;
} ic_decisions;
/* The same, keeping the decision log in *log (malloc'd; free it; empty when chaos). */
void ic_run_one_logged(const ic_run_cfg *cfg, ic_run_result *res, ic_decisions *log);

/*
 * A role started by exec (run --under): becomes process `slot` of the run in
 * `arena`, exactly as a forked one would, and never returns, but with -1 and
 * a message when the slot does not fit the run.
 */
int ic_run_role(const ic_run_cfg *cfg, ic_arena *arena, unsigned slot, char *err, size_t errsize);

/* --check-determinism: runs cfg twice; res is the first run's, with a "determinism"
 * finding when the two decision logs differ. */
void ic_run_determinism(const ic_run_cfg *cfg, ic_run_result *res);

/* The verdict as one word: "pass", the first finding's checker, "broken", "interrupted". */
const char *ic_run_verdict(const ic_run_result *res);
bool ic_run_has_finding(const ic_run_result *res, const char *checker);

#endif
