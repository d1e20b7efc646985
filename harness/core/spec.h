/*
 * spec.h: the run spec: SCENARIO:KEY=VAL,... with processes, ops, seed and
 * injectors, parsed into an ic_run_cfg and printed back as text and as the
 * replay line. Every error is one line naming the bad value and the valid ones.
 */
#ifndef IC_SPEC_H
#define IC_SPEC_H

#include "role/ctx.h"

#define IC_DEFAULT_TIMEOUT 2.0 /* the watchdog, seconds; replay lines name any other */

/* A built-in scenario, or one of the user's (extra: NULL-terminated, or NULL); NULL if none. */
const ic_scenario *ic_spec_find_scenario(const ic_scenario *const *extra, const char *name);
/* "shm_counter:lock=none" into cfg's scenario and variant, the rest at the scenario's defaults. */
int ic_spec_parse(const ic_scenario *const *extra, ic_run_cfg *cfg, const char *spec, char *err,
		  size_t errsize);
/* "2" or "1:3" into per-role counts: one decimal count per role, none empty. */
int ic_spec_parse_procs(ic_run_cfg *cfg, const char *arg, char *err, size_t errsize);
/* The scenario's own check of a resolved run (sizes against system limits, P:C). */
int ic_spec_validate(const ic_run_cfg *cfg, char *err, size_t errsize);
/* "shm_counter:lock=none,bug=none" */
void ic_spec_text(const ic_run_cfg *cfg, char *buf, size_t size);
/* What replay lines start with: "ipchaos", or a user's scenario program as it
 * was invoked (ic_main sets it), so they run from where it ran. */
void ic_set_program_name(const char *argv0);
const char *ic_program_name(void);
/* "pct", "random", "list" (a --schedule file's) */
const char *ic_strategy_name(int strategy);
/* The exact command that reproduces a run. */
void ic_spec_replay_line(const ic_run_cfg *cfg, char *buf, size_t size);

/*
 * Copies "name[:k=v,...]" into buf and splits it: buf holds the name, *args
 * the rest or NULL. -1 (with a message about the `what`) when too long.
 */
int ic_spec_split(const char *spec, char *buf, size_t size, char **args, const char *what,
		  char *err, size_t errsize);
/*
 * The points a role's processes pass: the scenario's role_points entry, else
 * the loops' for a role whose body is ic_channel_producer/consumer, else NULL
 * (not known).
 */
const char *const *ic_role_points(const ic_scenario *sc, unsigned role);
/* "a, b, c" from a NULL-terminated run of strings `stride` bytes apart. */
void ic_join_names(char *buf, size_t size, const void *first, size_t stride);

#endif
