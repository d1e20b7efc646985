/*
 * story.h: what a run did, for a person (issue 13). A run's record is copied
 * out of its arena before the arena goes; from it, the story (a table one
 * screen long: step or time, process, point, operation, value, fault, and
 * the checker's evidence marked) and the trace (Chrome Trace Event Format
 * JSON, for Perfetto and chrome://tracing). In core/ so that `run` (campaign/)
 * and a shrink command (campaign/ or cli/) can both print them.
 */
#ifndef IC_STORY_H
#define IC_STORY_H

#include "core/run.h"

/* One process of a recorded run: its log and how it ended. */
typedef struct ic_record_proc {
	char label[16];
	pid_t pid;
	ic_event *ev; /* malloc'd copy of its committed events */
	uint64_t nev;
	bool exited;         /* else killed by a signal */
	int code;            /* exit code, or signal number */
	bool injected;       /* the signal was an injector's */
	bool harness_killed; /* the supervisor ended it */
	char injected_at[IC_NAME];
	uint64_t end_ns; /* when the supervisor reaped it (CLOCK_MONOTONIC); 0: unknown */
	unsigned nfires;
	ic_fire fires[IC_MAX_FIRES]; /* which injector fired at which point, how often */
} ic_record_proc;

/* A run as it happened: enough for its story and its trace, the arena gone. */
typedef struct ic_run_record {
	char spec[256];
	uint64_t seed;
	int mode; /* enum ic_mode */
	unsigned nprocs;
	ic_record_proc procs[IC_MAX_PROCS];
	pid_t supervisor; /* its final reads are the last process's */
	ic_event *observer;
	uint64_t nobserver;
	ic_decision *decisions; /* controlled: the decision log (malloc'd); NULL in chaos */
	uint64_t ndecisions;
	bool decisions_cut;     /* the log filled up: later steps are missing */
	unsigned nlocks;
	ic_lock_facts locks[IC_MAX_LOCKS];
	unsigned ninj;
	char inj_names[IC_MAX_INJ][16];
	const ic_scenario *sc;     /* its points, lock sites and calls name the decisions' point ids */
} ic_run_record;

/* Runs it as ic_run_one does, keeping its record (free it with ic_run_record_free). */
void ic_run_one_recorded(const ic_run_cfg *cfg, ic_run_result *res, ic_run_record *rec);
void ic_run_record_free(ic_run_record *rec);

/* ---- The story ---- */

enum ic_story_mode { IC_STORY_NONE, IC_STORY_SCREEN, IC_STORY_FULL };

enum ic_row_kind { IC_ROW_DECISION, IC_ROW_EVENT, IC_ROW_END };

/* One line of the story, in the order things happened. */
typedef struct ic_story_row {
	enum ic_row_kind kind;
	unsigned proc;   /* nprocs: the supervisor's final reads */
	uint64_t step;   /* controlled: the scheduler's step */
	uint64_t t_ns;   /* chaos: CLOCK_MONOTONIC (an end: its last event's, as it ended after it) */
	uint64_t reaped_ns; /* chaos, an end: when the supervisor reaped it (0: unknown) */
	const ic_decision *d; /* IC_ROW_DECISION */
	const ic_event *e;    /* IC_ROW_EVENT */
	uint64_t index;       /* IC_ROW_EVENT: in its process's log */
	const char *mark;     /* the evidence this row is, or NULL */
} ic_story_row;

/* Every row of the run, evidence marked from res's findings: malloc'd, *n of them (NULL, 0 if none). */
ic_story_row *ic_story_rows(const ic_run_record *rec, const ic_run_result *res, size_t *n);
/*
 * Which rows a screen shows: show[i] set for each. FULL: all. SCREEN: all if
 * they fit (IC_STORY_FIT), else IC_STORY_CONTEXT rows around each evidence
 * mark, or, with none, the last IC_STORY_FIT rows. Returns how many are shown.
 */
#define IC_STORY_FIT 40
#define IC_STORY_CONTEXT 4
size_t ic_story_window(const ic_story_row *rows, size_t n, int mode, bool *show);
/* The table, with "... N rows omitted ..." lines where the window skips; mode: enum ic_story_mode. */
void ic_story_print(FILE *out, const ic_run_record *rec, const ic_run_result *res, int mode);
/* An operation's name ("inc", "send", ...), or "op N". */
const char *ic_story_op(uint32_t op, char *buf, size_t size);
/* A point's name from its FNV-1a id (declared points, lock sites, wrapped calls); "#<hex>" if unknown. */
const char *ic_story_point(const ic_run_record *rec, uint32_t id, char *buf, size_t size);

/* ---- The trace ---- */

/* Chrome Trace Event Format JSON of the run: 0, or -1 (errno) when a write failed. */
int ic_trace_write(FILE *out, const ic_run_record *rec, const ic_run_result *res);
/*
 * Where a run's trace goes: `base` itself for a single run (!per_seed),
 * else base with ".SEED" (".K.SEED" when spec = K + 1 > 0) inserted before its extension:
 * "t.json" -> "t.0x2a.json", "t.1.0x2a.json". -1 if it does not fit.
 */
int ic_trace_path(const char *base, bool per_seed, unsigned spec, uint64_t seed, char *out, size_t size);

#endif
