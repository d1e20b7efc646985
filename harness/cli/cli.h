/*
 * cli.h: the command line, parsed and validated whole before anything runs.
 */
#ifndef IC_CLI_H
#define IC_CLI_H

#include "core/run.h"

#define IC_MAX_SPECS 32

/* Exit codes (DESIGN.md): findings beat harness failures beat success. */
enum { IC_EXIT_OK = 0, IC_EXIT_FINDING = 1, IC_EXIT_USAGE = 2, IC_EXIT_BROKEN = 3,
       IC_EXIT_INTERRUPTED = 130 };

#define IC_DEFAULT_TIMEOUT 2.0
#define IC_MAX_JOBS 64

enum ic_verbosity { IC_QUIET, IC_NORMAL, IC_VERBOSE };

typedef struct ic_opts {
	const ic_scenario *const *extra; /* the user's scenarios, from ic_main() */
	bool all;
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
} ic_opts;

/* argv after "run". 0, or -1 with a one-line message naming the bad value and the valid ones. */
int ic_cli_parse_run(ic_opts *o, int argc, char **argv, char *err, size_t errsize);
/* "shm_counter:lock=none" into cfg's scenario and variant. */
int ic_cli_parse_spec(const ic_opts *o, ic_run_cfg *cfg, const char *spec, char *err, size_t errsize);
/* The scenario's own check of a resolved run (sizes against system limits, P:C). */
int ic_cli_validate(const ic_run_cfg *cfg, char *err, size_t errsize);
/* "2" or "1:3" into per-role counts. */
int ic_cli_parse_procs(ic_run_cfg *cfg, const char *arg, char *err, size_t errsize);
int ic_cli_parse_seed(const char *arg, uint64_t *seed);
const ic_scenario *ic_cli_find_scenario(const ic_opts *o, const char *name);
/* What replay lines start with: "ipchaos", or a user's scenario program as it
 * was invoked (ic_main sets it), so they run from where it ran. */
void ic_set_program_name(const char *argv0);
const char *ic_program_name(void);
/* The exact command that reproduces a run. */
void ic_cli_replay_line(const ic_run_cfg *cfg, char *buf, size_t size);
/* "shm_counter:lock=none,bug=none" */
void ic_cli_spec_text(const ic_run_cfg *cfg, char *buf, size_t size);

/* A results file is refused before anything runs: 0 when path can be written. */
int ic_cli_check_writable(const char *opt, const char *path, char *err, size_t errsize);
/* "--opt=value" or "--opt value" at argv[*i]; NULL when it is not this option (*missing: no value). */
const char *ic_cli_opt(const char *name, int argc, char **argv, int *i, bool *missing);

int ic_campaign(const ic_opts *o);
void ic_cli_list(FILE *out, const ic_opts *o);

#endif
