/*
 * campaign.h: a campaign: the runs the command line asked for (a sweep of
 * seeds per spec, or every expectation with --all), judged, replayed and
 * reported, serially or through the worker pool.
 */
#ifndef IC_CAMPAIGN_H
#define IC_CAMPAIGN_H

#include "core/outfile.h"
#include "core/spec.h"

#define IC_MAX_SPECS 32

#define IC_MAX_JOBS 64

enum { IC_OUT_JSON, IC_OUT_JUNIT, IC_OUT_FILES };

enum ic_verbosity { IC_QUIET, IC_NORMAL, IC_VERBOSE };

typedef struct ic_opts {
	const ic_scenario *const *extra; /* the user's scenarios, from ic_main() */
	bool all;
	unsigned nonly;                          /* run --all NAME...: only these scenarios' expectations */
	const ic_scenario *only[IC_MAX_SPECS];
	unsigned nruns;
	ic_run_cfg runs[IC_MAX_SPECS]; /* one per SCENARIO argument, fully resolved */
	uint64_t seed;
	bool seed_random;
	uint64_t seeds;
	unsigned replays;
	const char *json;
	bool keep_going;
	bool keep;
	double timeout;
	char runid[17]; /* hidden --run-id: a test proves a squatted name fails safely */
	const char *junit; /* --junit FILE */
	bool tap;          /* --tap: TAP 14 on stdout, the report on stderr */
	unsigned shard_index, shard_count; /* run the seeds (or expectations) i with i % count == index */
	double time_budget; /* seconds; 0: none */
	unsigned jobs;      /* runs at a time, each in a worker process (1: in this one) */
	enum ic_verbosity verbosity;
	char made_by[32];   /* --made-by: the version that printed the replay line */
	const char *under; /* --under TOOL: every role runs under it ("memcheck"); NULL: none */
	int mode;          /* --mode: enum ic_mode */
	int strategy;      /* --strategy: enum ic_strategy */
	unsigned depth;    /* --depth: PCT's d (0: the default) */
	uint64_t steps;    /* --steps: PCT's k (0: measured by a first run) */
	bool check_determinism; /* --check-determinism: each seed twice, schedules compared */
	const char *schedule;   /* --schedule FILE: the listed schedule every run replays */
	struct ic_sched_list *listed; /* its entries, loaded while parsing (the command frees them) */
	bool shrink;            /* --shrink: the first finding is shrunk (campaign/shrink.h) */
	bool detect_races; /* --detect races: the instrumented scenarios, the race checker */
	char warnings[2048]; /* "ipchaos run: warning: ...\n" lines, printed before any run */
	ic_outfile out[IC_OUT_FILES]; /* --json, --junit: opened before anything runs (ic_cli_open_outputs) */
	/* ---- Story and trace (issue 13) ---- */
	int story;         /* --story[=full]: enum ic_story_mode (core/story.h) */
	const char *trace; /* --trace FILE: checked before anything runs; NULL: none */
	bool trace_all;    /* --trace-all: every run's trace, not only failing runs' */
} ic_opts;

/* Runs it: the exit code (DESIGN.md). It takes over o->out's descriptors. */
int ic_campaign(const ic_opts *o);

#endif
