/*
 * under.h: roles run under a tool (run --under memcheck). Such a role is not
 * forked into its body: its forked process execs the tool on this binary's
 * hidden `__role ARENA SLOT` entry, which rebuilds the run from the arena.
 */
#ifndef IC_UNDER_H
#define IC_UNDER_H

#include "core/run.h"

#define IC_UNDER_TOOLS "memcheck" /* what --under accepts, for messages */
#define IC_UNDER_ERROR_EXIT 97    /* a role's exit code when the tool reported an error */
#define IC_EXIT_ROLE_START 124    /* a role started by exec could not rebuild its run */

/* --under VALUE: the tool's name in *tool; -1 with one line (unknown, or not installed). */
int ic_under_parse(const char *value, const char **tool, char *err, size_t errsize);
/* Can this scenario's roles start by exec? -1 with one line naming the ones that can. */
int ic_under_validate(const ic_scenario *const *extra, const ic_scenario *sc, char *err, size_t errsize);
/* The run as `run` arguments, for the arena: roles started by exec parse them back. */
int ic_under_role_args(const ic_run_cfg *cfg, char *buf, size_t size);
/* In the forked child: exec the tool on `self __role ARENA SLOT`; returns only if exec failed. */
void ic_under_exec(const char *tool, const char *self, const char *arena, unsigned slot, int log_fd);
/* The tool's log: its first error and that error's stack into out; false if it reported none. */
bool ic_under_report(const char *log, char *out, size_t size);
/* valgrind itself gave up (unreadable debug info, no tool): its first word on it into why. */
bool ic_under_tool_failed(const char *log, char *why, size_t size);

#endif
