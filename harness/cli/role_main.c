/*
 * role_main.c: `ipchaos __role ARENA SLOT`, the entry of a role started by
 * exec (run --under). It reads the run's `run` arguments from the arena,
 * parses them as the command line would, and becomes that process of the run.
 */
#include "cli/cli.h"
#include "core/arena.h"
#include "core/escape.h"
#include "core/under.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ic_under_role_main(int argc, char **argv, const ic_scenario *const *extra)
{
	char err[1024], args[sizeof(((ic_arena *)0)->role_args)], *words[64];
	char *end;
	if (argc != 2) {
		fprintf(stderr, "ipchaos __role: expects ARENA SLOT (run --under starts it)\n");
		return IC_EXIT_USAGE;
	}
	unsigned long slot = strtoul(argv[1], &end, 10);
	if (*end || end == argv[1] || slot >= IC_MAX_PROCS) {
		ic_line(stderr, "ipchaos __role: SLOT %s: expected a process index below %d", argv[1], IC_MAX_PROCS);
		return IC_EXIT_ROLE_START;
	}
	ic_arena_handle h;
	if (ic_arena_attach(&h, argv[0], err, sizeof(err)) != 0) {
		ic_line(stderr, "ipchaos __role: %s", err);
		return IC_EXIT_ROLE_START;
	}
	snprintf(args, sizeof(args), "%s", h.arena->role_args);
	int n = 0;
	for (char *save = NULL, *w = strtok_r(args, " ", &save); w && n < 64; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	ic_opts *o = calloc(1, sizeof(*o));
	snprintf(err, sizeof(err), "out of memory");
	if (o) {
		o->extra = extra;
		if (ic_cli_parse_run(o, n, words, err, sizeof(err)) == 0) {
			ic_run_cfg cfg = o->runs[0];
			cfg.seed = o->seed;
			/* Returns only when the slot does not fit the run. */
			ic_run_role(&cfg, h.arena, (unsigned)slot, err, sizeof(err));
		}
	}
	ic_line(stderr, "ipchaos __role: %s", err);
	free(o);
	ic_arena_destroy(&h, true);
	return IC_EXIT_ROLE_START;
}
