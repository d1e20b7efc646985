/*
 * ic_main.c: the `ipchaos` command: list, run, merge, audit, help.
 */
#include "audit/audit.h"
#include "bench/bench.h"
#include "cli/cli.h"
#include "campaign/merge.h"
#include "campaign/shrink.h"
#include "core/escape.h"
#include "core/schedule.h"
#include "core/sweep.h"
#include "core/under.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>


static const char usage[] =
	"usage: ipchaos list\n"
	"       ipchaos run SCENARIO[:KEY=VAL,...]... [options]\n"
	"       ipchaos run --all [SCENARIO...] [--seed S] [--json FILE]\n"
	"       ipchaos shrink FILE.json [--run N] [--time-budget DUR] [--max-runs N] [--out FILE]\n"
	"       ipchaos merge FILE... [--json OUT] [--junit OUT]\n"
	"       ipchaos audit [options] -- COMMAND [ARGS...] | --list | --stale [--clean]\n"
	"       ipchaos bench [--channels LIST] [--sizes LIST] [--procs P:C] [--reps N] [--time SEC]\n"
	"                     [--quick] [--csv FILE] [--json FILE] [--svg FILE]\n"
	"       ipchaos bench rare [--reps N] [--time SEC] [--lifetime SEC] [--quick] [--csv FILE] [--json FILE]\n"
	"       ipchaos --version | --help\n";

static const char run_help[] =
	"ipchaos run: run scenarios under injected faults and check their invariants\n"
	"\n"
	"  SCENARIO[:KEY=VAL,...]  a scenario and variant (see ipchaos list); a bare name\n"
	"                          runs its default variant, which is a correct one\n"
	"  --all                   every declared variant against its expected verdict\n"
	"                          (of the SCENARIOs named, when some are)\n"
	"  --inject NAME[:K=V,..]  add an injector (repeatable); see ipchaos list. One that can\n"
	"                          never act on the scenario is refused; one that may never\n"
	"                          act (hit= past --ops, p=0) is warned about before the runs\n"
	"  --seed S                first seed: decimal (010 is ten), 0x hex, or 'random' (default 1)\n"
	"  --seeds N               runs with seeds S, S+1, ... S+N-1 (default 1)\n"
	"  --procs N[:M]           processes per role (default: the scenario's, 2 for shm_counter)\n"
	"  --ops N                 operations per process (default: the scenario's, 1000)\n"
	"  --timeout DUR           hang watchdog: no progress for DUR (seconds, or 500ms, 1m;\n"
	"                          default 2; times IPCHAOS_TIMEOUT_FACTOR, a number from 0.01\n"
	"                          to 1000, and 30 under valgrind)\n"
	"  --replays K             re-run each failing seed K times, report how often it reproduced\n"
	"  --json FILE             write every run's result as JSON\n"
	"  --junit FILE            write JUnit XML: a testcase per scenario variant and injector set\n"
	"                          (per expectation with --all)\n"
	"  --tap                   TAP 14 on stdout (the report goes to stderr)\n"
	"  --shard I/N             run only seeds (with --all: expectations) i with i % N == I;\n"
	"                          default from GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS, or with\n"
	"  --shards N              from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job)\n"
	"  --time-budget DUR       start no new run after DUR (90s, 5m, 1h); says how far it got\n"
	"  --jobs J                run J seeds at a time (1-64), reported in seed order; default 1,\n"
	"                          as parallel runs perturb each other's timing and so how often\n"
	"                          a race shows; the runs judged are the same as a serial run's\n"
	"  -q, --quiet             only findings, missed expectations and the summary\n"
	"  -v, --verbose           also a line per run (seed, verdict, time)\n"
	"  --made-by VERSION       ends every replay line; another version warns that the\n"
	"                          same seed may schedule differently\n"
	"  --keep-going            do not stop at the first finding\n"
	"  --keep                  leave the run's objects (arena, segments) for inspection\n"
	"  --under memcheck        run every role under valgrind memcheck (needs valgrind in\n"
	"                          PATH; timeouts x30); its errors are crash findings with\n"
	"                          their stacks. Roles start by exec, so not for pipe or unix,\n"
	"                          whose roles inherit descriptors; nor with --all\n"
	"  --mode chaos|controlled chaos (default): the OS schedules, with seeded delays;\n"
	"                          controlled: one process at a time under a seeded scheduler,\n"
	"                          so a seed is one interleaving and its replay is exact\n"
	"  --strategy pct|random   controlled: PCT priorities and change points (default), or\n"
	"                          a random choice at every step\n"
	"  --depth D               controlled, PCT: bugs of up to D ordering constraints (default 3)\n"
	"  --steps K               controlled, PCT: the steps a run takes (default: measured by\n"
	"                          one run of the first seed)\n"
	"  --check-determinism     controlled: run each seed twice, report where they part\n"
	"  --schedule FILE         controlled: replay the choices a schedule file lists (ipchaos\n"
	"                          shrink writes them); every other choice is the plainest one\n"
	"  --shrink                controlled: shrink the first finding (see ipchaos shrink)\n"
	"  --story[=full]          a failing run's story: step (or time), process, point,\n"
	"                          operation, value, fault, the evidence marked <==; one\n"
	"                          screen around the evidence, or =full for every row\n"
	"  --trace FILE            a failing run's timeline, Chrome Trace Event JSON (open in\n"
	"                          ui.perfetto.dev); several runs: FILE.SEED.EXT, one a run\n"
	"  --trace-all             with --trace: every run's timeline, passing ones too\n"
	"  --detect races          report data races between the processes on their shared\n"
	"                          segments (happens-before, on every run where two unordered\n"
	"                          conflicting accesses occur); the built-in scenarios run\n"
	"                          their instrumented copy. Not with --under, nor --all\n"
	"\n"
	"A progress bar is drawn on stderr when it is a terminal and CI is unset; otherwise\n"
	"a plain progress line every 10 s.\n"
	"\n"
	"exit: 0 all passed, 1 a finding (--all: an expectation missed), 2 bad usage,\n"
	"      3 the harness failed in a run, 130 interrupted by SIGINT, 143 by SIGTERM (after cleaning up)\n";

static void list_keys(FILE *out, const ic_scenario *sc)
{
	for (unsigned k = 0; sc->keys && sc->keys[k].name; k++) {
		fprintf(out, "    %s=", sc->keys[k].name);
		if (!sc->keys[k].values)
			fprintf(out, "%s*", sc->keys[k].def);
		for (unsigned v = 0; sc->keys[k].values && sc->keys[k].values[v]; v++)
			fprintf(out, "%s%s%s", v ? "|" : "", sc->keys[k].values[v], v ? "" : "*");
		fprintf(out, "   %s\n", sc->keys[k].help);
	}
}

static void list_names(FILE *out, const char *title, const char *const *names)
{
	fprintf(out, "    %s:", title);
	for (unsigned i = 0; names && names[i]; i++)
		fprintf(out, " %s", names[i]);
	fprintf(out, "\n");
}

static void list_scenario(FILE *out, const ic_scenario *sc)
{
	fprintf(out, "  %-14s %s\n", sc->name, sc->summary);
	list_keys(out, sc);
	fprintf(out, "    roles:");
	for (unsigned r = 0; sc->roles[r].name; r++)
		fprintf(out, " %s x%u", sc->roles[r].name, sc->roles[r].default_count);
	fprintf(out, "; ops %llu per process\n", (unsigned long long)sc->default_ops);
	list_names(out, "points", sc->points);
	list_names(out, "lock sites", sc->lock_sites);
	fprintf(out, "    checkers: %s\n    expected (run --all):\n", sc->checkers ? sc->checkers : "all");
	for (const ic_expect *e = sc->expect; e && e->verdict; e++) {
		fprintf(out, "      %-30s [%s]%s%s", e->variant, e->inject[0] ? e->inject : "no injection",
			e->procs ? " --procs " : "", e->procs ? e->procs : "");
		/* As run's options say it: "races" is --detect races, "controlled,races" both. */
		if (e->mode && strncmp(e->mode, "controlled", 10) == 0)
			fprintf(out, " --mode controlled");
		if (e->mode && strstr(e->mode, "races"))
			fprintf(out, " --detect races");
		if (e->ops)
			fprintf(out, " --ops %llu", (unsigned long long)e->ops);
		fprintf(out, " -> %s within %u seed%s\n", e->verdict, e->seeds, e->seeds == 1 ? "" : "s");
	}
}

void ic_cli_list(FILE *out, const ic_opts *o)
{
	fprintf(out, "scenarios (* marks a key's default):\n");
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		list_scenario(out, ic_builtin_scenarios[i]);
	for (unsigned i = 0; o->extra && o->extra[i]; i++)
		list_scenario(out, o->extra[i]);
	fprintf(out, "\ninjectors (--inject NAME:KEY=VAL,...):\n");
	for (unsigned i = 0; ic_injectors[i]; i++) {
		const ic_injector *inj = ic_injectors[i];
		fprintf(out, "  %-14s %s\n", inj->name, inj->summary);
		for (unsigned p = 0; inj->params[p].key; p++)
			fprintf(out, "    %s=%s   %s\n", inj->params[p].key,
				inj->params[p].def[0] ? inj->params[p].def : "(unset)", inj->params[p].help);
	}
	fprintf(out, "\ncheckers:\n");
	for (unsigned i = 0; ic_checkers[i]; i++)
		fprintf(out, "  %-14s %s\n", ic_checkers[i]->name, ic_checkers[i]->summary);
}

static bool wants_help(int argc, char **argv)
{
	/* Not after "--": those are the audited program's own arguments. */
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static const char list_help[] =
	"ipchaos list: the scenarios with their variants, roles, points and expected\n"
	"verdicts (run --all), the injectors with their keys, and the checkers\n"
	"\n"
	"  ipchaos list   (takes no arguments)\n";

static int cmd_list(const ic_opts *o, int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(list_help, stdout);
		return IC_EXIT_OK;
	}
	if (argc > 0) {
		ic_line(stderr, "ipchaos list: takes no arguments, got '%s' (see ipchaos list --help)", argv[0]);
		return IC_EXIT_USAGE;
	}
	ic_cli_list(stdout, o);
	return IC_EXIT_OK;
}

static int run_parsed(ic_opts *o)
{
	fputs(o->warnings, stderr);
	/* Taken synchronously by the supervisor, so a run is always cleaned up whole. */
	ic_block_run_signals();
	unsigned swept = 0;
	ic_sweep_stale(true, NULL, &swept);
	if (swept)
		fprintf(o->tap ? stderr : stdout, "swept %u object%s left by dead ipchaos runs (see ipchaos audit --stale)\n", swept,
		       swept == 1 ? "" : "s");
	return ic_campaign(o);
}

static int cmd_run(ic_opts *o, int argc, char **argv)
{
	char err[1024];
	int code = IC_EXIT_USAGE;
	if (wants_help(argc, argv)) {
		fputs(run_help, stdout);
		return IC_EXIT_OK;
	}
	/* Outputs last: a file is created only once every other argument is known good. */
	if (ic_cli_parse_run(o, argc, argv, err, sizeof(err)) != 0 || ic_cli_open_outputs(o, err, sizeof(err)) != 0)
		ic_line(stderr, "ipchaos run: %s", err);
	else
		code = run_parsed(o);
	ic_cli_free(o);
	return code;
}

static const char audit_help[] =
	"ipchaos audit: run a program and report the IPC objects it leaves behind\n"
	"\n"
	"  ipchaos audit [options] -- COMMAND [ARGS...]\n"
	"  ipchaos audit --list             every IPC object now, by owner\n"
	"  ipchaos audit --stale [--clean]  objects of dead ipchaos runs (and remove them)\n"
	"  ipchaos audit --remove-run ID    every object of one run of yours that is not alive\n"
	"\n"
	"  --kill-after A..B   send the signal to the program's whole tree at a time drawn from the\n"
	"                      seed, from the start (1..2m: a bare A takes B's unit)\n"
	"  --signal SIG        that signal: TERM, INT, HUP, QUIT, USR1, USR2, KILL (default KILL);\n"
	"                      also to processes left when the program ends, and at the timeout\n"
	"  --grace DUR         then SIGKILL to what is still alive after DUR (default 2s)\n"
	"  --timeout DUR       a program still running then is a timeout finding (default 60s)\n"
	"  --seed S, --seeds N runs with seeds S..S+N-1 (default 1, 1)\n"
	"  --paths DIR         also audit Unix socket files and FIFOs under DIR, an existing directory\n"
	"                      outside /dev/shm (isolated: an overlay, the host's is never written)\n"
	"  --json F, --junit F the results as JSON (ipchaos-audit) and JUnit XML\n"
	"  --no-isolate        audit in the host's namespaces (default: own IPC, mount and PID\n"
	"                      namespaces where the machine allows it); nothing is removed\n"
	"  --remove            with --no-isolate: remove what the program's tree is known to have made\n"
	"\n"
	"Reported: objects left (who made each, when, what became of it, how to remove it) and\n"
	"processes of the program's tree still alive when its main process ended.\n"
	"\n"
	"exit: 0 nothing left, 1 an object or process left or a timeout, 2 bad usage or a command\n"
	"      that cannot be executed, 3 the audit itself failed, 130/143 SIGINT/SIGTERM\n";

static const char merge_help[] =
	"ipchaos merge: combine the JSON results of shards (run --json, with --shard or --all)\n"
	"\n"
	"  ipchaos merge FILE... [--json OUT] [--junit OUT]\n"
	"\n"
	"  FILE          a results file written by run --json; all of one mode (run or --all)\n"
	"  --json OUT    the merged result, in the same format: runs ordered by spec, injectors\n"
	"                and seed, the summary recounted (seconds: the inputs' summed)\n"
	"  --junit OUT   JUnit XML from the merged runs, as run --junit writes it\n"
	"\n"
	"Shards must be disjoint: a run (spec, injectors, procs, ops, expectation, seed) found\n"
	"in two files is an error; so is an input over 256 MiB (not a results file).\n"
	"Inputs from other versions or environments merge, with a warning; the output keeps\n"
	"the first file's environment. The outputs are created once the inputs are read.\n"
	"\n"
	"exit: as run would have: 1 a run failed (--all: an expectation missed), 2 bad usage or\n"
	"      input, 3 a run was broken or an input ended in 3, 130 or 143, else 0\n";

static int cmd_merge(int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(merge_help, stdout);
		return IC_EXIT_OK;
	}
	return ic_merge(argc, argv);
}

static const char shrink_help[] =
	"ipchaos shrink: make a failing controlled run small while it still fails the same checker\n"
	"\n"
	"  ipchaos shrink FILE.json [--run N] [--time-budget DUR] [--max-runs N] [--out FILE]\n"
	"                           [--story=full]\n"
	"\n"
	"  FILE.json          a results file (run --json) holding a failing controlled run\n"
	"  --run N            the N-th run of the file (default: the first that failed)\n"
	"  --time-budget DUR  stop searching after DUR with the best found so far (default 60s)\n"
	"  --max-runs N       and after N runs: a bound that does not depend on the machine's speed\n"
	"  --out FILE         the shrunk schedule (default: ipchaos-SCENARIO-SEED.schedule here)\n"
	"  --story=full       the shrunk run's story with every row (default: one screen)\n"
	"\n"
	"Fewer processes, fewer operations, fewer injected faults, fewer preemptions, fewer\n"
	"steps: it prints the sizes before and after, the shrunk run's report and story, and a replay\n"
	"line naming the schedule file (run ... --schedule FILE), which reproduces it exactly.\n"
	"The same input shrinks to the same result unless the time budget cuts it short.\n"
	"\n"
	"exit: 1 shrunk (the shrunk run fails), 2 bad usage or a run that cannot be shrunk\n"
	"      exactly (chaos mode, passing, not failing again), 3 broken, 130 SIGINT, 143 SIGTERM\n";

static int cmd_shrink(const ic_opts *o, int argc, char **argv)
{
	if (wants_help(argc, argv)) {
		fputs(shrink_help, stdout);
		return IC_EXIT_OK;
	}
	return ic_shrink_main(o->extra, argc, argv);
}

static int cmd_audit(int argc, char **argv)
{
	char err[1024];
	ic_audit_opts o;
	if (wants_help(argc, argv)) {
		fputs(audit_help, stdout);
		return IC_EXIT_OK;
	}
	if (ic_audit_parse(&o, argc, argv, err, sizeof(err)) != 0) {
		ic_line(stderr, "ipchaos audit: %s", err);
		return IC_EXIT_USAGE;
	}
	ic_block_run_signals();
	return ic_audit(&o);
}

int ic_main(int argc, char **argv, const ic_scenario *const *extra)
{
	ic_opts *o = calloc(1, sizeof(*o));
	int code = IC_EXIT_USAGE;
	if (!o) {
		fprintf(stderr, "ipchaos: out of memory\n");
		return IC_EXIT_BROKEN;
	}
	o->extra = extra;
	if (extra && extra[0])
		ic_set_program_name(argv[0]);
	const char *cmd = argc > 1 ? argv[1] : "";
	if (strcmp(cmd, "__role") == 0) {
		/* Hidden: a role started by exec under a tool (run --under); a user's ic_main has it too. */
		code = ic_under_role_main(argc - 2, argv + 2, extra);
	} else if (strcmp(cmd, "run") == 0) {
		code = cmd_run(o, argc - 2, argv + 2);
	} else if (strcmp(cmd, "merge") == 0) {
		code = cmd_merge(argc - 2, argv + 2);
	} else if (strcmp(cmd, "shrink") == 0) {
		code = cmd_shrink(o, argc - 2, argv + 2);
	} else if (strcmp(cmd, "audit") == 0) {
		code = cmd_audit(argc - 2, argv + 2);
	} else if (strcmp(cmd, "bench") == 0) {
		code = ic_bench_main(o->extra, argc - 2, argv + 2);
	} else if (strcmp(cmd, "list") == 0) {
		code = cmd_list(o, argc - 2, argv + 2);
	} else if (strcmp(cmd, "--version") == 0) {
		printf("ipchaos %s\n", IC_VERSION);
		code = IC_EXIT_OK;
	} else if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		fputs("\n", stdout);
		fputs(run_help, stdout);
		code = IC_EXIT_OK;
	} else if (cmd[0]) {
		ic_line(stderr, "ipchaos: unknown command '%s' (valid: list, run, shrink, merge, audit, bench, --help, --version)", cmd);
	} else {
		fputs(usage, stderr);
	}
	free(o);
	return code;
}
