/*
 * report.h: writers of one in-memory result: the human report and JSON.
 */
#ifndef IC_REPORT_H
#define IC_REPORT_H

#include "core/outfile.h"
#include "core/run.h"
#include "core/spec.h"
#include "campaign/json_read.h"

typedef struct ic_tally {
	uint64_t runs, passed, failed, broken;
	uint64_t messages, bytes; /* received intact, over all runs */
	double transfer_s;        /* the runs' transfer spans, summed */
	double seconds;
} ic_tally;

/* One run as the human report shows it, whether it ran here or was read back from JSON. */
typedef struct ic_run_view {
	const char *spec, *inject, *runid; /* inject: "none", or the injectors joined by spaces */
	uint64_t seed;
	double seconds;
	const char *broken; /* why the harness could not judge it; NULL unless broken */
	unsigned nfindings;
	const char *checker[IC_MAX_FINDINGS], *text[IC_MAX_FINDINGS];
	const char *evidence, *kept, *replay; /* "" when there is none */
	unsigned ninterference; /* another user's objects carrying the run's id (as many as listed) */
	const char *interference[IC_MAX_INTERFERENCE];
	long interference_uid[IC_MAX_INTERFERENCE]; /* -1: unknown */
	bool controlled; /* a controlled run: a replay counts only with the same schedule */
	const char *story, *trace; /* --story's table, --trace's file (or why not); NULL or "" when none */
} ic_run_view;

/* The finding (or broken run) as a block that ends with its replay line. */
void ic_report_view(FILE *out, const ic_run_view *v, unsigned replays, unsigned reproduced);
void ic_report_run(FILE *out, const ic_run_cfg *cfg, const ic_run_result *res, unsigned replays,
		   unsigned reproduced);
void ic_report_summary(FILE *out, const ic_tally *t);

/* JSON, streamed: open, one object per run, then the summary. */
typedef struct ic_json {
	FILE *f;
	bool first;
} ic_json;

/* Into out, opened by ic_outfiles_open (out NULL or not asked for: no JSON); -1 (errno) when it cannot. */
int ic_json_open(ic_json *j, ic_outfile *out, const char *mode_name);
/* Same, with an environment read back from another results file (NULL: this machine's). */
int ic_json_open_env(ic_json *j, ic_outfile *out, const char *mode_name, const ic_jval *environment);
void ic_json_run(ic_json *j, const ic_run_cfg *cfg, const ic_run_result *res, const char *expected);
/* What each planned fault did in a run, for --verbose: "kill x1, delay never" ("" without injectors). */
void ic_fired_text(const ic_run_cfg *cfg, const ic_run_result *res, char *buf, size_t size);
/* A run object read back from a results file, written as it was. */
void ic_json_run_value(ic_json *j, const ic_jval *run);
/* Any value, compact; strings re-escaped, numbers as they were written. */
void ic_json_value(FILE *f, const ic_jval *v);
/* -1 when any write failed (errno set): the results file is not to be trusted. */
int ic_json_close(ic_json *j, const ic_tally *t, int exit_code);

#endif
