/*
 * audit.h: `ipchaos audit`.
 */
#ifndef IC_AUDIT_H
#define IC_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/outfile.h"

#define IC_AUDIT_MAX_PATHS 8

typedef struct ic_audit_opts {
	char **cmd; /* after "--" */
	bool kill;
	double kill_lo, kill_hi; /* seconds */
	int sig;                 /* sent at the kill time; SIGKILL after --grace */
	double grace, timeout;
	uint64_t seed, seeds;
	const char *paths[IC_AUDIT_MAX_PATHS + 1];       /* resolved: absolute, no links */
	const char *paths_given[IC_AUDIT_MAX_PATHS + 1]; /* as typed, for the replay line */
	char paths_buf[IC_AUDIT_MAX_PATHS][4096];
	unsigned npaths;
	bool no_isolate, keep, list, stale, clean;
	bool remove;            /* host mode: remove what the program's tree is known to have made */
	const char *remove_run; /* --remove-run: a run id */
	ic_outfile out[2];      /* --json, --junit: opened before anything runs */
} ic_audit_opts;

/* 0, or -1 with a one-line message naming the bad value. */
int ic_audit_parse(ic_audit_opts *o, int argc, char **argv, char *err, size_t errsize);
/*
 * Exit code: 0 nothing left, 1 something leaked (an object, a process, a timeout), 2 the
 * command could not be executed, 3 the harness failed, 130/143 interrupted (SIGINT/SIGTERM);
 * --remove-run: 2 when the run cannot be removed (live, not yours, not here).
 */
int ic_audit(const ic_audit_opts *o);

#endif
