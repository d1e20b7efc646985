/*
 * shrink.h: a failing controlled run made small: fewer processes, fewer
 * operations, fewer injected faults, fewer preemptions, fewer steps, while it
 * still fails the same checker. `ipchaos shrink FILE.json` and `run --shrink`.
 */
#ifndef IC_SHRINK_H
#define IC_SHRINK_H

#include "campaign/campaign.h"

#define IC_SHRINK_DEFAULT_BUDGET 60.0 /* seconds */

typedef struct ic_shrink_opts {
	double budget_s;    /* stop searching after this long, with the best found so far */
	uint64_t max_runs;  /* and after this many runs (0: no limit): a bound that does not depend on speed */
	ic_outfile *out;    /* the schedule file, opened before the search; NULL: one named after the
			     * scenario and seed, in the working directory, opened at the end */
	FILE *report;       /* where the sizes, the shrunk run, its story and replay line go */
	int story;          /* enum ic_story_mode of the shrunk run's story: a screen, or every row */
} ic_shrink_opts;

/* Shrinks orig, a controlled run that failed `checker`: the exit code (1: shrunk, the run fails;
 * 2: it cannot be shrunk exactly; 3: broken; 130: interrupted). */
int ic_shrink(const ic_run_cfg *orig, const char *checker, const ic_shrink_opts *so);

/* `ipchaos shrink FILE.json [options]` (argv after "shrink"; --help is the caller's). */
int ic_shrink_main(const ic_scenario *const *extra, int argc, char **argv);

#endif
