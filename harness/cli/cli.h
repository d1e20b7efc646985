/*
 * cli.h: the command line, parsed and validated whole before anything runs.
 * It only turns arguments into options; the run spec is core/spec.h's.
 */
#ifndef IC_CLI_H
#define IC_CLI_H

#include "campaign/campaign.h"

/* argv after "run". 0, or -1 with a one-line message naming the bad value and the valid ones. */
int ic_cli_parse_run(ic_opts *o, int argc, char **argv, char *err, size_t errsize);
/* Then --json and --junit, opened (created if need be, not emptied) so that a path that cannot
 * take the results is bad usage before anything runs: 0, or -1 with one line and nothing created. */
int ic_cli_open_outputs(ic_opts *o, char *err, size_t errsize);
void ic_cli_list(FILE *out, const ic_opts *o);
/* What parsing allocated (a --schedule file's entries), whether it succeeded or not. */
void ic_cli_free(ic_opts *o);
/* --trace FILE: opened and let go, so a path that cannot take a trace is bad usage before
 * anything runs (called by ic_cli_open_outputs; on failure the others are abandoned too). */
int ic_cli_check_trace(ic_opts *o, char *err, size_t errsize);
/* `ipchaos __role ARENA SLOT` (argv from ARENA on): becomes that role; returns only on failure. */
int ic_under_role_main(int argc, char **argv, const ic_scenario *const *extra);

#endif
