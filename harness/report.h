/*
 * report.h: writers of one in-memory result: the human report and JSON.
 */
#ifndef IC_REPORT_H
#define IC_REPORT_H

#include "cli.h"

typedef struct ic_tally {
	uint64_t runs, passed, failed, broken;
	uint64_t messages, bytes; /* received intact, over all runs */
	double transfer_s;        /* the runs' transfer spans, summed */
	double seconds;
} ic_tally;

/*
 * The command that reproduces a run, starting with the program that ran it:
 * "ipchaos", or a user's scenario program (ic_main) as it was invoked.
 */
void ic_replay_line(const ic_run_cfg *cfg, char *buf, size_t size);

/* The finding (or broken run) as a block that ends with its replay line. */
void ic_report_run(FILE *out, const ic_run_cfg *cfg, const ic_run_result *res, unsigned replays,
		   unsigned reproduced);
void ic_report_summary(FILE *out, const ic_tally *t);

/* JSON, streamed: open, one object per run, then the summary. */
typedef struct ic_json {
	FILE *f;
	bool first;
} ic_json;

int ic_json_open(ic_json *j, const char *path, const char *mode_name);
void ic_json_run(ic_json *j, const ic_run_cfg *cfg, const ic_run_result *res, const char *expected);
/* -1 when any write failed (errno set): the results file is not to be trusted. */
int ic_json_close(ic_json *j, const ic_tally *t, int exit_code);

#endif
