/*
 * shrink.c: the search for a smaller failing run (Choi and Zeller's delta
 * debugging of schedules, with the faults and sizes of the run shrunk too).
 *
 * A controlled run is first turned into a listed schedule: every choice its
 * decision log shows, and every fault that fired. Replayed, the list is the
 * same run. Then, in passes until none makes progress:
 *   processes: the last process of a role goes (its entries with it);
 *   operations: 1, 2, 4, ... up to the current count;
 *   faults, then choices: chunks of the list removed, halving the chunk.
 * A smaller run that the list no longer makes fail is also looked for with a
 * few PCT seeds derived from the original one. A candidate is kept when it
 * still fails the same checker, is smaller in (processes, operations,
 * faults, preemptions, steps, entries) taken in that order, and is no larger
 * than the original in any of them. Every run is controlled, so the search
 * is a function of its input: the same run shrinks to the same result,
 * unless the time budget cuts it short (--max-runs bounds it exactly).
 */
#include "campaign/shrink.h"
#include "campaign/json_read.h"
#include "campaign/report.h"
#include "core/args.h"
#include "core/escape.h"
#include "core/schedule.h"
#include "core/story.h"
#include "role/sched.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define SEED_TRIES 8        /* PCT seeds tried for a smaller run the list does not make fail */
#define SEED_OPS_MAX 4      /* ... at these few operations only: beyond, the list is the way */
#define MAX_TRIED 64

typedef struct measure {
	unsigned procs;
	uint64_t ops, faults, preemptions, steps, entries;
} measure;

typedef struct cand {
	ic_run_cfg cfg;     /* its list fields point into `list` */
	ic_sched_list list; /* only the entries that took effect */
	measure m;
	ic_run_result res;
} cand;

typedef struct shrinker {
	const char *checker;
	const ic_shrink_opts *so;
	uint64_t t0, runs;
	bool interrupted, out_of_time, out_of_runs;
	int interrupt_sig; /* SIGINT or SIGTERM: exit 130 or 143 */
	uint64_t seed;      /* the original run's: PCT seeds are derived from it */
	measure orig;
	cand best;
	cand *scratch;
	struct sized {
		uint64_t ops;
		unsigned nprocs;
	} tried[MAX_TRIED]; /* sizes already tried under PCT seeds */
	unsigned ntried;
} shrinker;

/* A run was cut short by SIGINT or SIGTERM: the search stops, and says which. */
static void interrupted(shrinker *k, const ic_run_result *res)
{
	k->interrupted = true;
	k->interrupt_sig = res->interrupt_sig ? res->interrupt_sig : SIGINT;
}

static int interrupted_exit(const shrinker *k)
{
	return k->interrupt_sig == SIGTERM ? IC_EXIT_TERMINATED : IC_EXIT_INTERRUPTED;
}

static bool stopped(shrinker *k)
{
	if (k->so->max_runs && k->runs >= k->so->max_runs)
		k->out_of_runs = true;
	if ((double)(ic_now_ns() - k->t0) / 1e9 >= k->so->budget_s)
		k->out_of_time = true;
	return k->interrupted || k->out_of_time || k->out_of_runs;
}

static uint64_t count_kind(const ic_sched_list *l, int kind)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < l->n; i++)
		n += l->v[i].kind == kind && l->v[i].slot != IC_LISTED_START;
	return n;
}

static measure measure_of(const ic_run_cfg *cfg, const ic_run_result *res, const ic_sched_list *l)
{
	return (measure){.procs = cfg->nprocs, .ops = cfg->ops, .faults = count_kind(l, IC_L_FAULT),
			 .preemptions = res->schedule.preemptions, .steps = res->schedule.steps, .entries = l->n};
}

static int cmp_measure(const measure *a, const measure *b)
{
	const uint64_t x[] = {a->procs, a->ops, a->faults, a->preemptions, a->steps, a->entries};
	const uint64_t y[] = {b->procs, b->ops, b->faults, b->preemptions, b->steps, b->entries};
	for (unsigned i = 0; i < sizeof(x) / sizeof(x[0]); i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

static bool within(const measure *a, const measure *orig)
{
	return a->procs <= orig->procs && a->ops <= orig->ops && a->faults <= orig->faults &&
	       a->preemptions <= orig->preemptions && a->steps <= orig->steps;
}

/* The entries of `tried` that the run's log shows taking effect (both sorted: a merge). */
static void keep_effective(ic_sched_list *tried, const ic_sched_list *seen)
{
	uint64_t n = 0, j = 0;
	for (uint64_t i = 0; i < tried->n; i++) {
		while (j < seen->n && ic_listed_cmp(&seen->v[j], &tried->v[i]) < 0)
			j++;
		if (j < seen->n && ic_listed_cmp(&seen->v[j], &tried->v[i]) == 0)
			tried->v[n++] = tried->v[i];
	}
	tried->n = n;
}

static void cand_free(cand *c)
{
	ic_schedule_free(&c->list);
}

/*
 * Runs base under `list` (the list is taken over). true when it failed the
 * checker: *out holds it, its list cut to what took effect.
 */
static bool replay_list(shrinker *k, const ic_run_cfg *base, ic_sched_list *list, cand *out)
{
	ic_decisions log = {0};
	ic_sched_list seen = {0};
	bool failed = false;
	out->cfg = *base;
	ic_schedule_apply(list, &out->cfg, NULL);
	ic_run_one_logged(&out->cfg, &out->res, &log);
	k->runs++;
	if (out->res.status == IC_RUN_INTERRUPTED) {
		interrupted(k, &out->res);
	} else if (ic_run_has_finding(&out->res, k->checker) && !out->res.schedule.log_full &&
		   ic_schedule_from_log(&log, &out->cfg, &seen) == 0) {
		keep_effective(list, &seen);
		out->list = *list;
		*list = (ic_sched_list){0};
		ic_schedule_apply(&out->list, &out->cfg, NULL);
		out->m = measure_of(&out->cfg, &out->res, &out->list);
		failed = true;
	}
	ic_schedule_free(&seen);
	ic_schedule_free(list);
	free(log.v);
	return failed;
}

/* Makes the candidate the best if it is smaller and no larger than the original anywhere. */
static bool consider(shrinker *k, cand *c)
{
	if (cmp_measure(&c->m, &k->best.m) >= 0 || !within(&c->m, &k->orig)) {
		cand_free(c);
		return false;
	}
	cand_free(&k->best);
	k->best = *c;
	ic_schedule_apply(&k->best.list, &k->best.cfg, NULL);
	*c = (cand){0};
	return true;
}

/* base (its sizes changed) under a copy of `list`: kept if it fails and is smaller. */
static bool attempt(shrinker *k, const ic_run_cfg *base, const ic_sched_list *list)
{
	ic_sched_list copy;
	if (stopped(k) || ic_schedule_copy(list, &copy) != 0)
		return false;
	copy.nprocs = base->nprocs;
	return replay_list(k, base, &copy, k->scratch) && consider(k, k->scratch);
}

/* Seeds are tried once per size: the same seeds at the same size fail the same way. */
static bool seeds_tried(shrinker *k, uint64_t ops, unsigned nprocs)
{
	for (unsigned i = 0; i < k->ntried; i++)
		if (k->tried[i].ops == ops && k->tried[i].nprocs == nprocs)
			return true;
	if (k->ntried < MAX_TRIED)
		k->tried[k->ntried++] = (struct sized){ops, nprocs};
	return false;
}

/* base's sizes under a few PCT seeds; a failing one is listed, replayed and considered. */
static bool attempt_seeds(shrinker *k, const ic_run_cfg *base)
{
	for (unsigned i = 0; i < SEED_TRIES && !stopped(k); i++) {
		ic_run_cfg cfg = *base;
		ic_decisions log = {0};
		ic_sched_list list;
		cfg.strategy = IC_STRATEGY_PCT;
		cfg.list = NULL;
		cfg.nlist = 0;
		cfg.seed = k->seed + 1 + i;
		cfg.steps = ic_sched_default_steps(&cfg, cfg.nprocs);
		ic_run_one_logged(&cfg, &k->scratch->res, &log);
		k->runs++;
		if (k->scratch->res.status == IC_RUN_INTERRUPTED)
			interrupted(k, &k->scratch->res);
		bool listed = ic_run_has_finding(&k->scratch->res, k->checker) && !k->scratch->res.schedule.log_full &&
			      ic_schedule_from_log(&log, &cfg, &list) == 0;
		free(log.v);
		if (listed && !stopped(k) && replay_list(k, &cfg, &list, k->scratch) && consider(k, k->scratch))
			return true;
	}
	return false;
}

/* ---- The passes ---- */

/* The list without process `gone`: its entries go, later processes move down one. */
static int drop_process(const ic_sched_list *from, unsigned gone, ic_sched_list *to)
{
	if (ic_schedule_copy(from, to) != 0)
		return -1;
	uint64_t n = 0;
	for (uint64_t i = 0; i < to->n; i++) {
		ic_listed e = to->v[i];
		bool is_switch = e.kind == IC_L_SWITCH;
		if ((e.slot == gone && e.slot != IC_LISTED_START) || (is_switch && e.arg == gone))
			continue;
		if (e.slot != IC_LISTED_START && e.slot > gone)
			e.slot--;
		if (is_switch && e.arg > gone)
			e.arg--;
		to->v[n++] = e;
	}
	to->n = n;
	to->nprocs--;
	ic_schedule_sort(to);
	return 0;
}

static bool pass_procs(shrinker *k)
{
	for (unsigned r = 0, first = 0; r < k->best.cfg.nroles; first += k->best.cfg.counts[r++]) {
		ic_run_cfg cfg = k->best.cfg;
		char err[256];
		ic_sched_list list;
		if (cfg.counts[r] <= 1)
			continue;
		cfg.counts[r]--;
		cfg.nprocs--;
		if (ic_spec_validate(&cfg, err, sizeof(err)) != 0)
			continue; /* the scenario needs them */
		if (drop_process(&k->best.list, first + cfg.counts[r], &list) != 0)
			return false;
		bool smaller = attempt(k, &cfg, &list);
		ic_schedule_free(&list);
		if (smaller || (!seeds_tried(k, cfg.ops, cfg.nprocs) && attempt_seeds(k, &cfg)))
			return true;
	}
	return false;
}

/* The best run at `ops` operations, under its list, then (a few operations only) under PCT seeds. */
static bool attempt_ops(shrinker *k, uint64_t ops)
{
	ic_run_cfg cfg = k->best.cfg;
	cfg.ops = ops;
	if (attempt(k, &cfg, &k->best.list))
		return true;
	if (ops > SEED_OPS_MAX || seeds_tried(k, ops, cfg.nprocs))
		return false;
	return attempt_seeds(k, &cfg);
}

/*
 * 1, 2, 4, ... below the current count; past the first that fails no more,
 * a bisection down from it (failing is not monotonic in the count, so this
 * finds a small count, not always the smallest).
 */
static bool pass_ops(shrinker *k)
{
	uint64_t before = k->best.cfg.ops, below = 0; /* below: the largest count tried that did not fail */
	for (uint64_t ops = 1; ops < k->best.cfg.ops && !stopped(k); ops *= 2) {
		if (attempt_ops(k, ops))
			break;
		below = ops;
	}
	while (k->best.cfg.ops - below > 1 && !stopped(k)) {
		uint64_t mid = below + (k->best.cfg.ops - below) / 2;
		if (!attempt_ops(k, mid))
			below = mid;
	}
	return k->best.cfg.ops < before;
}

/* The list without its entries of `kind` numbered [from, from + n) among those of that kind. */
static int without(const ic_sched_list *l, int kind, uint64_t from, uint64_t n, ic_sched_list *to)
{
	uint64_t seen = 0, kept = 0;
	if (ic_schedule_copy(l, to) != 0)
		return -1;
	for (uint64_t i = 0; i < l->n; i++) {
		bool of_kind = l->v[i].kind == kind;
		if (of_kind && seen >= from && seen < from + n) {
			seen++;
			continue;
		}
		seen += of_kind;
		to->v[kept++] = l->v[i];
	}
	to->n = kept;
	return 0;
}

/* Chunks of the list's entries of one kind removed, halving the chunk down to one entry. */
static bool pass_entries(shrinker *k, int kind)
{
	bool any = false;
	uint64_t total = 0;
	for (uint64_t i = 0; i < k->best.list.n; i++)
		total += k->best.list.v[i].kind == kind;
	for (uint64_t size = total > 1 ? total / 2 : 1; size >= 1 && !stopped(k); size /= 2) {
		for (uint64_t from = 0; !stopped(k);) {
			uint64_t now = 0;
			ic_sched_list list;
			for (uint64_t i = 0; i < k->best.list.n; i++)
				now += k->best.list.v[i].kind == kind;
			if (from >= now || without(&k->best.list, kind, from, size, &list) != 0)
				break;
			bool smaller = attempt(k, &k->best.cfg, &list);
			ic_schedule_free(&list);
			if (smaller)
				any = true; /* the same chunk position now holds the next entries */
			else
				from += size;
		}
		if (size == 1)
			break;
	}
	return any;
}

/* ---- The report ---- */

static void say_measure(FILE *f, const char *what, const measure *m)
{
	fprintf(f, "  %-8s %8" PRIu64 " %6u %7" PRIu64 " %12" PRIu64 " %7" PRIu64 "\n", what, m->ops, m->procs,
		m->faults, m->preemptions, m->steps);
}

static void default_out(const ic_run_cfg *cfg, char *buf, size_t size)
{
	snprintf(buf, size, "ipchaos-%s-0x%" PRIx64 ".schedule", cfg->sc->name, cfg->seed);
}

/* The schedule file: the one the user named (open already), or the default one, opened now. */
static int write_schedule(shrinker *k, char *path, size_t size)
{
	ic_outfile def = IC_OUTFILE("the schedule"), *out = k->so->out;
	char err[512];
	cand *b = &k->best;
	if (!out) {
		default_out(&b->cfg, path, size);
		def.path = path;
		out = &def;
		if (ic_outfiles_open(out, 1, err, sizeof(err)) != 0) {
			ic_line(stderr, "ipchaos shrink: %s", err);
			return -1;
		}
	}
	if (out != &def)
		snprintf(path, size, "%s", out->path);
	b->cfg.schedule = path;
	FILE *f = ic_outfile_stream(out);
	if (!f || ic_schedule_write(f, &b->list, &b->cfg) != 0) {
		ic_line(stderr, "ipchaos shrink: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int report(shrinker *k, double seconds)
{
	FILE *f = k->so->report;
	cand *b = &k->best;
	char path[PATH_MAX];
	if (write_schedule(k, path, sizeof(path)) != 0)
		return IC_EXIT_BROKEN;
	fprintf(f, "shrunk: %s still fails %s\n", b->cfg.sc->name, k->checker);
	fprintf(f, "  %-8s %8s %6s %7s %12s %7s\n", "", "ops", "procs", "faults", "preemptions", "steps");
	say_measure(f, "before", &k->orig);
	say_measure(f, "after", &b->m);
	fprintf(f, "  search: %" PRIu64 " runs, %.1f s%s\n", k->runs, seconds,
		k->interrupted   ? "; interrupted: the best found so far"
		: k->out_of_time ? "; stopped at the time budget: the best found so far"
		: k->out_of_runs ? "; stopped at --max-runs: the best found so far"
				 : "; nothing smaller fails");
	fprintf(f, "  schedule: ");
	ic_line(f, "%s (%" PRIu64 " entries)", path, b->list.n);
	/* Once more, telling its story this time: the same run, as every run here is controlled. */
	ic_run_cfg told = b->cfg;
	told.story = k->so->story ? k->so->story : IC_STORY_SCREEN;
	ic_run_one(&told, &k->scratch->res);
	ic_report_run(f, &b->cfg, ic_run_has_finding(&k->scratch->res, k->checker) ? &k->scratch->res : &b->res, 0, 0);
	return IC_EXIT_FINDING;
}

/* ---- The search ---- */

/* The original run, then its list: the first best. -1 with a line when it cannot be shrunk exactly. */
static int begin(shrinker *k, const ic_run_cfg *orig)
{
	ic_decisions log = {0};
	ic_sched_list list = {0};
	ic_run_cfg cfg = *orig;
	if (!cfg.steps)
		cfg.steps = ic_sched_default_steps(&cfg, cfg.nprocs);
	cfg.keep = false;
	cfg.check_determinism = false;
	cfg.runid[0] = '\0';
	ic_run_one_logged(&cfg, &k->scratch->res, &log);
	k->runs++;
	const ic_run_result *res = &k->scratch->res;
	int rc = -1;
	if (res->status == IC_RUN_INTERRUPTED) {
		interrupted(k, res);
	} else if (!ic_run_has_finding(res, k->checker)) {
		ic_line(stderr, "ipchaos shrink: the run does not fail %s again (verdict %s): nothing to shrink",
			k->checker, ic_run_verdict(res));
	} else if (res->schedule.log_full) {
		ic_line(stderr, "ipchaos shrink: the run took more decisions than its log holds: "
				"it cannot be shrunk exactly (try a smaller --ops)");
	} else if (ic_schedule_from_log(&log, &cfg, &list) != 0) {
		ic_line(stderr, "ipchaos shrink: out of memory");
	} else {
		ic_sched_list all = {0};
		k->orig = measure_of(&cfg, res, &list);
		k->orig.preemptions = res->schedule.preemptions;
		if (ic_schedule_copy(&list, &all) == 0 && replay_list(k, &cfg, &all, &k->best))
			rc = 0; /* the first best: the original itself, as a list */
		else if (!k->interrupted)
			ic_line(stderr, "ipchaos shrink: its schedule, replayed as a list, does not fail %s: "
					"it cannot be shrunk exactly (ipchaos run --check-determinism says why)",
				k->checker);
	}
	ic_schedule_free(&list);
	free(log.v);
	return rc;
}

int ic_shrink(const ic_run_cfg *orig, const char *checker, const ic_shrink_opts *so)
{
	shrinker k = {.checker = checker, .so = so, .t0 = ic_now_ns(), .seed = orig->seed};
	int code = IC_EXIT_USAGE;
	if (orig->mode != IC_MODE_CONTROLLED) {
		ic_line(stderr, "ipchaos shrink: a chaos-mode run's interleaving was not recorded, so it cannot be "
				"shrunk exactly: find the bug with --mode controlled and shrink that run");
		return IC_EXIT_USAGE;
	}
	if (!(k.scratch = calloc(1, sizeof(*k.scratch)))) {
		fprintf(stderr, "ipchaos shrink: out of memory\n");
		return IC_EXIT_BROKEN;
	}
	if (begin(&k, orig) != 0) {
		code = k.interrupted ? interrupted_exit(&k) : IC_EXIT_USAGE;
		goto out;
	}
	/* Sizes first (each makes every later run cheaper), then what the list holds. */
	for (bool progress = true; progress && !stopped(&k);) {
		progress = pass_procs(&k);
		progress |= pass_ops(&k);
		progress |= pass_entries(&k, IC_L_FAULT);
		progress |= pass_entries(&k, IC_L_SWITCH);
	}
	code = report(&k, (double)(ic_now_ns() - k.t0) / 1e9);
	if (k.interrupted)
		code = interrupted_exit(&k);
out:
	cand_free(&k.best);
	free(k.scratch);
	return code;
}

/* ---- `ipchaos shrink FILE.json` ---- */

typedef struct shrink_args {
	const char *file;
	uint64_t run; /* 1-based; 0: the first failing one */
	ic_shrink_opts so;
	ic_outfile out;
} shrink_args;

static int parse_args(shrink_args *a, int argc, char **argv, char *err, size_t errsize)
{
	const char *v;
	bool missing = false;
	a->so.budget_s = IC_SHRINK_DEFAULT_BUDGET;
	a->so.report = stdout;
	a->out = IC_OUTFILE("--out");
	for (int i = 0; i < argc && !missing; i++) {
		if ((v = ic_arg_opt("--run", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--run", v, 1, UINT32_MAX, &a->run, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--time-budget", argc, argv, &i, &missing))) {
			if (ic_parse_duration("--time-budget", v, 0.001, 7 * 86400, &a->so.budget_s, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--max-runs", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--max-runs", v, 1, 100000000, &a->so.max_runs, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--out", argc, argv, &i, &missing))) {
			a->out.path = v;
		} else if (strcmp(argv[i], "--story=full") == 0) {
			a->so.story = IC_STORY_FULL;
		} else if (!missing && argv[i][0] == '-' && argv[i][1]) {
			snprintf(err, errsize, "unknown option %s (valid: --run, --time-budget, --max-runs, --out, --story=full; "
					       "see ipchaos shrink --help)", argv[i]);
			return -1;
		} else if (!missing && a->file) {
			snprintf(err, errsize, "%s: one results file at a time (already %s)", argv[i], a->file);
			return -1;
		} else if (!missing) {
			a->file = argv[i];
		}
	}
	if (missing) {
		snprintf(err, errsize, "%s needs a value", argv[argc - 1]);
		return -1;
	}
	if (!a->file) {
		snprintf(err, errsize, "name a results file (run --json FILE) holding a failing controlled run");
		return -1;
	}
	return ic_timeout_factor_check(err, errsize);
}

/* The run to shrink: the --run-th, or the first that failed. */
static const ic_jval *pick_run(const shrink_args *a, const ic_jval *root, char *err, size_t errsize)
{
	const ic_jval *runs = ic_jget(root, "runs");
	if (root->type != IC_JOBJECT || !ic_jget_str(root, "format") ||
	    strcmp(ic_jget_str(root, "format"), "ipchaos-results") != 0 || !runs || runs->type != IC_JARRAY) {
		snprintf(err, errsize, "%s: not an ipchaos results file (run --json FILE writes one)", a->file);
		return NULL;
	}
	if (a->run > runs->n) {
		snprintf(err, errsize, "--run %" PRIu64 ": %s holds %zu run%s", a->run, a->file, runs->n,
			 runs->n == 1 ? "" : "s");
		return NULL;
	}
	for (size_t i = a->run ? a->run - 1 : 0; i < runs->n; i++) {
		const char *verdict = ic_jget_str(&runs->items[i], "verdict");
		if (verdict && strcmp(verdict, "pass") != 0 && strcmp(verdict, "broken") != 0 &&
		    strcmp(verdict, "interrupted") != 0)
			return &runs->items[i];
		if (a->run) {
			snprintf(err, errsize, "--run %" PRIu64 " of %s: its verdict is %s: nothing to shrink", a->run,
				 a->file, verdict ? verdict : "missing");
			return NULL;
		}
	}
	snprintf(err, errsize, "%s: no run in it failed: nothing to shrink", a->file);
	return NULL;
}

static const char *jstr(const ic_jval *run, const char *key)
{
	const char *s = ic_jget_str(run, key);
	return s ? s : "";
}

static int jnum(const ic_jval *run, const char *key, uint64_t min, uint64_t max, uint64_t *out, char *err,
		size_t errsize)
{
	const ic_jval *v = ic_jget(run, key);
	return ic_parse_u64(key, v && v->type == IC_JNUMBER ? v->str : "", min, max, out, err, errsize);
}

/* The run's injectors, as `run --inject` takes them. */
static int cfg_inject(const ic_jval *run, ic_run_cfg *cfg, char *err, size_t errsize)
{
	const ic_jval *inj = ic_jget(run, "inject");
	if (!inj || inj->type != IC_JARRAY || inj->n > IC_MAX_INJ) {
		snprintf(err, errsize, "\"inject\": expected an array of at most %d strings", IC_MAX_INJ);
		return -1;
	}
	for (size_t i = 0; i < inj->n; i++) {
		if (inj->items[i].type != IC_JSTRING) {
			snprintf(err, errsize, "\"inject\": expected strings");
			return -1;
		}
		if (ic_inj_parse(&cfg->inj[i], inj->items[i].str, err, errsize) != 0 ||
		    ic_inj_validate(&cfg->inj[i], cfg->sc, err, errsize) != 0)
			return -1;
		cfg->inj[i].index = (unsigned)i;
	}
	cfg->ninj = (unsigned)inj->n;
	return 0;
}

/* How it was scheduled: a controlled run's strategy, depth and k (or its schedule file). */
static int cfg_schedule(const ic_jval *run, ic_run_cfg *cfg, ic_sched_list *list, char *err, size_t errsize)
{
	const ic_jval *s = ic_jget(run, "schedule");
	uint64_t depth, k;
	if (strcmp(jstr(run, "mode"), "controlled") != 0 || !s) {
		snprintf(err, errsize, "the run is a chaos-mode run: its interleaving was not recorded, so it cannot "
				       "be shrunk exactly; find the bug with --mode controlled and shrink that run");
		return -1;
	}
	cfg->mode = IC_MODE_CONTROLLED;
	const char *strategy = jstr(s, "strategy");
	if (strcmp(strategy, "list") == 0) {
		if (ic_schedule_load(jstr(s, "file"), list, err, errsize) != 0 ||
		    ic_schedule_check(list, cfg, err, errsize) != 0)
			return -1;
		ic_schedule_apply(list, cfg, ic_jget_str(s, "file"));
		return 0;
	}
	if (strcmp(strategy, "pct") != 0 && strcmp(strategy, "random") != 0) {
		snprintf(err, errsize, "\"schedule\": strategy \"%.20s\" (valid: pct, random, list)", strategy);
		return -1;
	}
	if (jnum(s, "depth", 1, IC_MAX_DEPTH, &depth, err, errsize) != 0 ||
	    jnum(s, "k", 1, 1000000000, &k, err, errsize) != 0)
		return -1;
	cfg->strategy = strcmp(strategy, "pct") == 0 ? IC_STRATEGY_PCT : IC_STRATEGY_RANDOM;
	cfg->depth = (unsigned)depth;
	cfg->steps = k;
	return 0;
}

/* A results file's run back into the run it was. */
static int cfg_of(const ic_scenario *const *extra, const ic_jval *run, ic_run_cfg *cfg, ic_sched_list *list,
		  char *err, size_t errsize)
{
	const ic_jval *timeout = ic_jget(run, "timeout");
	memset(cfg, 0, sizeof(*cfg));
	if (ic_spec_parse(extra, cfg, jstr(run, "spec"), err, errsize) != 0 ||
	    ic_spec_parse_procs(cfg, jstr(run, "procs"), err, errsize) != 0 ||
	    jnum(run, "ops", 1, IC_MAX_OPS, &cfg->ops, err, errsize) != 0 ||
	    ic_parse_seed("seed", jstr(run, "seed"), &cfg->seed, err, errsize) != 0 ||
	    cfg_inject(run, cfg, err, errsize) != 0)
		return -1;
	for (unsigned r = 0; r < cfg->nroles; r++)
		cfg->nprocs += cfg->counts[r];
	if (!timeout || timeout->type != IC_JNUMBER || !(timeout->num > 0) || timeout->num > 86400) {
		snprintf(err, errsize, "\"timeout\": expected seconds, more than 0");
		return -1;
	}
	cfg->timeout_s = timeout->num;
	if (cfg_schedule(run, cfg, list, err, errsize) != 0)
		return -1;
	return ic_spec_validate(cfg, err, errsize);
}

static int load_run(const ic_scenario *const *extra, shrink_args *a, ic_run_cfg *cfg, ic_sched_list *list,
		    char *checker, size_t checker_size, char *err, size_t errsize)
{
	char *text = NULL, why[512];
	size_t len;
	ic_jval root;
	ic_jerr jerr;
	int rc = -1;
	if (ic_jread_file(a->file, &text, &len, why, sizeof(why)) != 0) {
		snprintf(err, errsize, "%s: %s", a->file, why);
		return -1;
	}
	if (ic_jparse(text, len, &root, &jerr) != 0) {
		snprintf(err, errsize, "%s: not JSON at byte %zu: %s", a->file, jerr.offset, jerr.what);
		free(text);
		return -1;
	}
	const ic_jval *run = pick_run(a, &root, err, errsize);
	if (run && cfg_of(extra, run, cfg, list, why, sizeof(why)) != 0)
		snprintf(err, errsize, "%s: %s", a->file, why);
	else if (run) {
		snprintf(checker, checker_size, "%s", jstr(run, "verdict"));
		rc = 0;
	}
	ic_jfree(&root);
	free(text);
	return rc;
}

int ic_shrink_main(const ic_scenario *const *extra, int argc, char **argv)
{
	shrink_args a = {0};
	ic_run_cfg *cfg = calloc(1, sizeof(*cfg));
	ic_sched_list list = {0};
	char err[1024], checker[64];
	int code = IC_EXIT_USAGE;
	if (!cfg) {
		fprintf(stderr, "ipchaos shrink: out of memory\n");
		return IC_EXIT_BROKEN;
	}
	if (parse_args(&a, argc, argv, err, sizeof(err)) != 0 ||
	    load_run(extra, &a, cfg, &list, checker, sizeof(checker), err, sizeof(err)) != 0 ||
	    (a.out.path && ic_outfiles_open(&a.out, 1, err, sizeof(err)) != 0)) {
		ic_line(stderr, "ipchaos shrink: %s", err);
		goto out;
	}
	a.so.out = a.out.path ? &a.out : NULL;
	ic_block_run_signals();
	code = ic_shrink(cfg, checker, &a.so);
out:
	ic_outfiles_abandon(&a.out, 1);
	ic_schedule_free(&list);
	free(cfg);
	return code;
}
