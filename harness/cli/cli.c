/*
 * cli.c: `ipchaos` argument parsing. Every bad value is caught here, before any
 * run starts, with one line naming it and what would be valid.
 */
#include "cli/cli.h"
#include "core/args.h"
#include "core/schedule.h"
#include "core/under.h"
#include "core/story.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define IC_MAX_SHARDS 100000

/* "I/N": the I-th of N slices, 0 <= I < N <= IC_MAX_SHARDS, both decimal. */
static int parse_shard(const char *v, unsigned *index, unsigned *count)
{
	ic_list l;
	uint64_t i, n;
	if (ic_parse_list(&l, "", v, v, '/', NULL, 0) != 0 || l.n != 2 ||
	    ic_parse_u64("", l.item[0], 0, IC_MAX_SHARDS - 1, &i, NULL, 0) != 0 ||
	    ic_parse_u64("", l.item[1], 1, IC_MAX_SHARDS, &n, NULL, 0) != 0 || i >= n)
		return -1;
	*index = (unsigned)i;
	*count = (unsigned)n;
	return 0;
}

/* What a CI matrix (GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS) or an indexed job says. */
static int shard_from_env(ic_opts *o, unsigned shards, char *err, size_t errsize)
{
	const char *index = getenv("GTEST_SHARD_INDEX"), *total = getenv("GTEST_TOTAL_SHARDS");
	char spec[64];
	if (index && total) {
		snprintf(spec, sizeof(spec), "%.20s/%.20s", index, total);
		if (strlen(index) > 20 || strlen(total) > 20 ||
		    parse_shard(spec, &o->shard_index, &o->shard_count) != 0) {
			snprintf(err, errsize, "GTEST_SHARD_INDEX=%s GTEST_TOTAL_SHARDS=%s: expected 0 <= index < total",
				 index, total);
			return -1;
		}
		return 0;
	}
	if (!shards)
		return 0;
	index = getenv("JOB_COMPLETION_INDEX");
	snprintf(spec, sizeof(spec), "%.20s/%u", index ? index : "", shards);
	if (!index || strlen(index) > 20 || parse_shard(spec, &o->shard_index, &o->shard_count) != 0) {
		snprintf(err, errsize, "--shards %u: JOB_COMPLETION_INDEX=%s is not an index below %u", shards,
			 index ? index : "(unset)", shards);
		return -1;
	}
	return 0;
}

/* Scenario-level settings that apply to every spec, checked once all are known. */
typedef struct run_flags {
	const char *inject[IC_MAX_INJ];
	unsigned ninject;
	const char *procs;
	const char *ops;
} run_flags;

/* An injector that may never act on this run: a line for cmd_run to print before any run. */
static void add_warning(ic_opts *o, const ic_run_cfg *cfg, const ic_inj_inst *inst)
{
	char why[512];
	size_t len = strlen(o->warnings);
	if (!ic_inj_warning(inst, cfg->ops, cfg->nprocs, why, sizeof(why)))
		return;
	snprintf(o->warnings + len, sizeof(o->warnings) - len, "ipchaos run: warning: %s: %s\n", cfg->sc->name, why);
}

static int resolve_run(ic_opts *o, ic_run_cfg *cfg, const run_flags *fl, char *err, size_t errsize)
{
	if (fl->procs && ic_spec_parse_procs(cfg, fl->procs, err, errsize) != 0)
		return -1;
	cfg->nprocs = 0;
	for (unsigned r = 0; r < cfg->nroles; r++)
		cfg->nprocs += cfg->counts[r];
	if (fl->ops && ic_parse_u64("--ops", fl->ops, 1, IC_MAX_OPS, &cfg->ops, err, errsize) != 0)
		return -1;
	cfg->ninj = fl->ninject;
	for (unsigned i = 0; i < fl->ninject; i++) {
		if (ic_inj_parse(&cfg->inj[i], fl->inject[i], err, errsize) != 0 ||
		    ic_inj_validate(&cfg->inj[i], cfg->sc, err, errsize) != 0)
			return -1;
		cfg->inj[i].index = i;
		add_warning(o, cfg, &cfg->inj[i]);
	}
	cfg->timeout_s = o->timeout;
	cfg->keep = o->keep;
	snprintf(cfg->runid, sizeof(cfg->runid), "%s", o->runid);
	cfg->under = o->under;
	if (o->under && ic_under_validate(o->extra, cfg->sc, err, errsize) != 0)
		return -1;
	cfg->mode = o->mode;
	cfg->strategy = o->strategy;
	cfg->depth = o->mode == IC_MODE_CONTROLLED ? (o->depth ? o->depth : IC_DEFAULT_DEPTH) : 0;
	cfg->steps = o->steps;
	cfg->check_determinism = o->check_determinism;
	cfg->story = o->story;
	cfg->trace = o->trace;
	cfg->trace_all = o->trace_all;
	cfg->detect_races = o->detect_races;
	if (ic_spec_validate(cfg, err, errsize) != 0)
		return -1;
	if (o->listed && ic_schedule_check(o->listed, cfg, err, errsize) != 0)
		return -1;
	if (o->listed)
		ic_schedule_apply(o->listed, cfg, o->schedule);
	return 0;
}

static const char *const mode_names[] = {"chaos", "controlled", NULL};
static const char *const strategy_names[] = {"pct", "random", NULL};

/* One of a fixed set of words: its index, or one line naming the valid ones. */
static int parse_choice(const char *opt, const char *v, const char *const *names, int *out, char *err,
			size_t errsize)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	char valid[128], shown[64];
	ic_join_names(valid, sizeof(valid), names, sizeof(char *));
	snprintf(err, errsize, "%s %s: unknown (valid: %s)", opt, ic_shown(v, shown, sizeof(shown)), valid);
	return -1;
}

/* --schedule FILE: one run, replayed under the file's choices; the file is read here. */
static int schedule_opts(ic_opts *o, bool mode_given, bool strategy_given, unsigned nspecs, char *err,
			 size_t errsize)
{
	if (o->all || nspecs != 1) {
		snprintf(err, errsize, "--schedule %s replays a run of one scenario: name exactly one%s",
			 o->schedule, o->all ? ", not --all" : "");
		return -1;
	}
	if (strategy_given || o->depth || o->steps) {
		snprintf(err, errsize, "--schedule decides every choice: --strategy, --depth and --steps do not apply");
		return -1;
	}
	if (mode_given && o->mode != IC_MODE_CONTROLLED) {
		snprintf(err, errsize, "--schedule replays a controlled run: not with --mode chaos");
		return -1;
	}
	o->mode = IC_MODE_CONTROLLED;
	o->strategy = IC_STRATEGY_LIST;
	if (!(o->listed = calloc(1, sizeof(*o->listed)))) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	return ic_schedule_load(o->schedule, o->listed, err, errsize);
}

/* What a version string may hold: "0.1.0", "1.2.3-rc1+g1234abc". */
#define VERSION_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-~_"

/*
 * run --all NAME...: a user's program wants its own expectations only. Each
 * NAME is a scenario (not a variant) that declares some; none: every one.
 */
static int all_only(ic_opts *o, const char *const *names, unsigned n, char *err, size_t errsize)
{
	static ic_run_cfg probe; /* large; parse-time only */
	for (unsigned i = 0; i < n; i++) {
		if (strchr(names[i], ':')) {
			snprintf(err, errsize, "--all %s: --all takes scenario names, each run with its declared "
					       "variants (valid: a name from ipchaos list)", names[i]);
			return -1;
		}
		memset(&probe, 0, sizeof(probe));
		if (ic_spec_parse(o->extra, &probe, names[i], err, errsize) != 0)
			return -1;
		if (!probe.sc->expect || !probe.sc->expect[0].verdict) {
			snprintf(err, errsize, "--all %s: scenario %s declares no expectations (valid: a scenario "
					       "with .expect)", names[i], names[i]);
			return -1;
		}
		o->only[o->nonly++] = probe.sc;
	}
	return 0;
}

int ic_cli_parse_run(ic_opts *o, int argc, char **argv, char *err, size_t errsize)
{
	run_flags fl = {0};
	bool sched_opts = false, mode_given = false, strategy_given = false;
	const char *specs[IC_MAX_SPECS];
	unsigned nspecs = 0;
	const char *v;
	bool missing = false;
	uint64_t n;

	unsigned shards_env = 0;
	o->seed = 1;
	o->seeds = 1;
	o->timeout = IC_DEFAULT_TIMEOUT;
	o->shard_count = 1;
	o->jobs = 1;
	o->verbosity = IC_NORMAL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((v = ic_arg_opt("--inject", argc, argv, &i, &missing))) {
			if (fl.ninject == IC_MAX_INJ) {
				snprintf(err, errsize, "--inject %s: at most %d injectors", v, IC_MAX_INJ);
				return -1;
			}
			fl.inject[fl.ninject++] = v;
		} else if ((v = ic_arg_opt("--seed", argc, argv, &i, &missing))) {
			o->seed_random = strcmp(v, "random") == 0;
			if (!o->seed_random && ic_parse_seed("--seed", v, &o->seed, err, errsize) != 0) {
				size_t len = strlen(err);
				snprintf(err + len, errsize - len, ", or 'random'");
				return -1;
			}
		} else if ((v = ic_arg_opt("--seeds", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--seeds", v, 1, 100000000, &o->seeds, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--procs", argc, argv, &i, &missing))) {
			fl.procs = v;
		} else if ((v = ic_arg_opt("--ops", argc, argv, &i, &missing))) {
			fl.ops = v;
		} else if ((v = ic_arg_opt("--timeout", argc, argv, &i, &missing))) {
			/* At least 1 ms: the replay line prints it back with %.17g, never in exponent form. */
			if (ic_parse_duration("--timeout", v, 0.001, 86400, &o->timeout, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--replays", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--replays", v, 0, 10000, &n, err, errsize) != 0)
				return -1;
			o->replays = (unsigned)n;
		} else if ((v = ic_arg_opt("--json", argc, argv, &i, &missing))) {
			o->json = v; /* checked by opening it, once every argument is known good */
		} else if ((v = ic_arg_opt("--junit", argc, argv, &i, &missing))) {
			o->junit = v;
		} else if ((v = ic_arg_opt("--shard", argc, argv, &i, &missing))) {
			if (parse_shard(v, &o->shard_index, &o->shard_count) != 0) {
				snprintf(err, errsize, "--shard %s: expected I/N with 0 <= I < N (the I-th of N slices)", v);
				return -1;
			}
		} else if ((v = ic_arg_opt("--shards", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--shards", v, 1, IC_MAX_SHARDS, &n, err, errsize) != 0)
				return -1;
			shards_env = (unsigned)n;
		} else if ((v = ic_arg_opt("--time-budget", argc, argv, &i, &missing))) {
			if (ic_parse_duration("--time-budget", v, 0.001, 7 * 86400, &o->time_budget, err,
					      errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--jobs", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--jobs", v, 1, IC_MAX_JOBS, &n, err, errsize) != 0)
				return -1;
			o->jobs = (unsigned)n;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			o->verbosity = IC_QUIET;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			o->verbosity = IC_VERBOSE;
		} else if ((v = ic_arg_opt("--made-by", argc, argv, &i, &missing))) {
			if (!v[0] || strlen(v) >= sizeof(o->made_by) || strspn(v, VERSION_CHARS) != strlen(v)) {
				char shown[48];
				snprintf(err, errsize, "--made-by %.40s: expected an ipchaos version such as %s",
					 ic_shown(v, shown, sizeof(shown)), IC_VERSION);
				return -1;
			}
			snprintf(o->made_by, sizeof(o->made_by), "%s", v);
		} else if ((v = ic_arg_opt("--under", argc, argv, &i, &missing))) {
			if (ic_under_parse(v, &o->under, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--mode", argc, argv, &i, &missing))) {
			mode_given = true;
			if (parse_choice("--mode", v, mode_names, &o->mode, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--strategy", argc, argv, &i, &missing))) {
			strategy_given = true;
			if (parse_choice("--strategy", v, strategy_names, &o->strategy, err, errsize) != 0)
				return -1;
			sched_opts = true;
		} else if ((v = ic_arg_opt("--depth", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--depth", v, 1, IC_MAX_DEPTH, &n, err, errsize) != 0)
				return -1;
			o->depth = (unsigned)n;
			sched_opts = true;
		} else if ((v = ic_arg_opt("--steps", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--steps", v, 1, 1000000000, &o->steps, err, errsize) != 0)
				return -1;
			sched_opts = true;
		} else if ((v = ic_arg_opt("--schedule", argc, argv, &i, &missing))) {
			o->schedule = v;
		} else if (strcmp(a, "--shrink") == 0) {
			o->shrink = true;
		} else if ((v = ic_arg_opt("--detect", argc, argv, &i, &missing))) {
			if (strcmp(v, "races") != 0) {
				char shown[64];
				snprintf(err, errsize, "--detect %s: unknown (valid: races)", ic_shown(v, shown, sizeof(shown)));
				return -1;
			}
			o->detect_races = true;
		} else if (strcmp(a, "--check-determinism") == 0) {
			o->check_determinism = true;
			sched_opts = true;
		} else if (strcmp(a, "--tap") == 0) {
			o->tap = true;
		} else if ((v = ic_arg_opt("--run-id", argc, argv, &i, &missing))) {
			if (strlen(v) != 16 || strspn(v, "0123456789abcdef") != 16) {
				snprintf(err, errsize, "--run-id %s: expected 16 lowercase hex digits", v);
				return -1;
			}
			snprintf(o->runid, sizeof(o->runid), "%s", v);
		} else if (strcmp(a, "--story") == 0 || strncmp(a, "--story=", 8) == 0) {
			static const char *const story_modes[] = {"screen", "full", NULL};
			int m = 0;
			if (a[7] && parse_choice("--story", a + 8, story_modes, &m, err, errsize) != 0)
				return -1;
			o->story = m == 1 ? IC_STORY_FULL : IC_STORY_SCREEN;
		} else if ((v = ic_arg_opt("--trace", argc, argv, &i, &missing))) {
			o->trace = v; /* checked by opening it, with --json and --junit */
		} else if (strcmp(a, "--trace-all") == 0) {
			o->trace_all = true;
		} else if (strcmp(a, "--all") == 0) {
			o->all = true;
		} else if (strcmp(a, "--keep-going") == 0) {
			o->keep_going = true;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = true;
		} else if (missing) {
			break;
		} else if (a[0] == '-') {
			snprintf(err, errsize,
				 "unknown option '%s' (valid: --all, --inject, --seed, --seeds, --procs, --ops, "
				 "--timeout, --replays, --json, --junit, --tap, --shard, --shards, --time-budget, "
				 "--jobs, --quiet, --verbose, --keep-going, --keep, --under, --mode, --strategy, --depth, "
				 "--steps, --check-determinism, --schedule, --shrink, --story, --trace, --trace-all, --detect; see ipchaos run --help)", a);
			return -1;
		} else if (nspecs == IC_MAX_SPECS) {
			snprintf(err, errsize, "%s: at most %d scenarios in one run", a, IC_MAX_SPECS);
			return -1;
		} else {
			specs[nspecs++] = a;
		}
		if (missing)
			break;
	}
	if (missing) {
		snprintf(err, errsize, "%s needs a value", argv[argc - 1]);
		return -1;
	}
	if (o->shard_count == 1 && shard_from_env(o, shards_env, err, errsize) != 0)
		return -1;
	if (ic_timeout_factor_check(err, errsize) != 0)
		return -1;
	if (o->jobs > 1 && o->runid[0]) {
		snprintf(err, errsize, "--run-id names one run: it does not go with --jobs %u", o->jobs);
		return -1;
	}
	/* Runs started ahead and then cancelled would be kept too, and never reported. */
	if (o->jobs > 1 && o->keep) {
		snprintf(err, errsize, "--keep leaves the reported run for inspection: it does not go with --jobs %u",
			 o->jobs);
		return -1;
	}
	if (!o->all && nspecs == 0) {
		snprintf(err, errsize, "name a scenario to run, or --all (see ipchaos list)");
		return -1;
	}
	if (o->all && (fl.ninject || fl.procs || fl.ops)) {
		snprintf(err, errsize, "--all runs each variant with its declared injectors, processes and ops: "
				       "--inject, --procs and --ops do not apply");
		return -1;
	}
	if (o->schedule && schedule_opts(o, mode_given, strategy_given, nspecs, err, errsize) != 0)
		return -1;
	if (o->shrink && o->mode != IC_MODE_CONTROLLED) {
		snprintf(err, errsize, "--shrink needs a controlled run (--mode controlled): a chaos run's "
				       "interleaving is not recorded, so it cannot be shrunk exactly");
		return -1;
	}
	if (o->shrink && o->all) {
		snprintf(err, errsize, "--shrink shrinks the first finding of a sweep: not with --all");
		return -1;
	}
	if (sched_opts && o->mode != IC_MODE_CONTROLLED) {
		snprintf(err, errsize, "--strategy, --depth, --steps and --check-determinism need --mode controlled");
		return -1;
	}
	if (o->mode == IC_MODE_CONTROLLED && o->under) {
		snprintf(err, errsize, "--under %s runs roles at valgrind's pace, outside the scheduler: "
				       "use --mode chaos with it", o->under);
		return -1;
	}
	/* Valgrind would run the instrumented roles, but its own shadow and ours disagree on nothing useful. */
	if (o->detect_races && o->under) {
		snprintf(err, errsize, "--detect races cannot run --under %s: the detector's runtime and "
				       "valgrind's would both watch every access; run them separately", o->under);
		return -1;
	}
	if (o->all && o->detect_races) {
		snprintf(err, errsize, "--all runs each variant as declared: expectations that detect races say "
				       "so themselves (mode races); --detect races does not apply");
		return -1;
	}
	if (o->trace_all && !o->trace) {
		snprintf(err, errsize, "--trace-all writes every run's trace: it needs --trace FILE");
		return -1;
	}
	if (o->all && o->under) {
		snprintf(err, errsize, "--all runs each variant as declared, natively: --under does not apply");
		return -1;
	}
	if (o->all)
		return all_only(o, specs, nspecs, err, errsize);
	for (unsigned s = 0; s < nspecs; s++) {
		memset(&o->runs[s], 0, sizeof(o->runs[s]));
		if (ic_spec_parse(o->extra, &o->runs[s], specs[s], err, errsize) != 0 ||
		    resolve_run(o, &o->runs[s], &fl, err, errsize) != 0)
			return -1;
	}
	o->nruns = nspecs;
	/* A campaign's traces are named by seed (and spec, with several): one file a run. */
	for (unsigned s = 0; s < nspecs; s++) {
		o->runs[s].trace_per_seed = o->seeds > 1 || nspecs > 1;
		o->runs[s].trace_spec = nspecs > 1 ? s + 1 : 0;
	}
	if (o->seed_random && getrandom(&o->seed, sizeof(o->seed), 0) != (ssize_t)sizeof(o->seed)) {
		snprintf(err, errsize, "--seed random: no entropy available (%s)", strerror(errno));
		return -1;
	}
	return 0;
}

void ic_cli_free(ic_opts *o)
{
	if (o->listed)
		ic_schedule_free(o->listed);
	free(o->listed);
	o->listed = NULL;
}

int ic_cli_open_outputs(ic_opts *o, char *err, size_t errsize)
{
	o->out[IC_OUT_JSON] = IC_OUTFILE("--json");
	o->out[IC_OUT_JSON].path = o->json;
	o->out[IC_OUT_JUNIT] = IC_OUTFILE("--junit");
	o->out[IC_OUT_JUNIT].path = o->junit;
	if (ic_outfiles_open(o->out, IC_OUT_FILES, err, errsize) != 0)
		return -1;
	return ic_cli_check_trace(o, err, errsize);
}

/*
 * --trace FILE: runs write it (or, in a campaign, FILE named by seed) where they
 * run, a worker or this process; so the path is proven here, before anything
 * runs, by opening it as the other outputs are, then let go (removed if made now).
 */
int ic_cli_check_trace(ic_opts *o, char *err, size_t errsize)
{
	if (!o->trace)
		return 0;
	ic_outfile files[IC_OUT_FILES + 1];
	memcpy(files, o->out, sizeof(o->out));
	files[IC_OUT_FILES] = IC_OUTFILE("--trace");
	files[IC_OUT_FILES].path = o->trace;
	/* The others are open already: only a clash with them is checked again, by name. */
	for (unsigned i = 0; i < IC_OUT_FILES; i++)
		if (files[i].path && strcmp(files[i].path, o->trace) == 0) {
			snprintf(err, errsize, "--trace %s: the same file as %s", o->trace, files[i].opt);
			ic_outfiles_abandon(o->out, IC_OUT_FILES);
			return -1;
		}
	if (ic_outfiles_open(&files[IC_OUT_FILES], 1, err, errsize) != 0) {
		ic_outfiles_abandon(o->out, IC_OUT_FILES);
		return -1;
	}
	ic_outfiles_abandon(&files[IC_OUT_FILES], 1);
	return 0;
}
