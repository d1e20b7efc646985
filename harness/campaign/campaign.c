/*
 * campaign.c: seed sweeps over the named scenarios, and `--all`: every
 * declared expectation of every scenario, a planted bug that goes unfound
 * being a failure of the tool itself.
 */
#include "campaign/campaign.h"
#include "campaign/cases.h"
#include "campaign/pool.h"
#include "campaign/progress.h"
#include "campaign/report.h"
#include "campaign/shrink.h"
#include "core/escape.h"
#include "role/sched.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct campaign {
	const ic_opts *o;
	ic_tally t;
	ic_json json;
	bool finding; /* a finding (or, for --all, a missed expectation) */
	bool broken;
	bool interrupted;
	int interrupt_sig;      /* SIGINT or SIGTERM: the exit code is 130 or 143 */
	ic_run_result *res;
	ic_run_result *scratch; /* for replays */
	FILE *out;              /* the human report: stdout, or stderr when stdout carries TAP */
	ic_cases cases;
	uint64_t t0;
	bool out_of_time;       /* --time-budget reached: no new seed was started */
	bool shrunk;            /* --shrink: the first finding was */
	uint64_t last_seed;     /* of the last run started */
	ic_pool *pool;          /* --jobs */
	ic_progress progress;
	uint64_t decided;       /* expectations decided (--all), for the progress */
	ic_outfile files[IC_OUT_FILES]; /* --json, --junit: taken over from the options */
} campaign;

/* A line of the report that --quiet keeps (findings, misses). */
static void __attribute__((format(printf, 2, 3))) report_line(campaign *c, const char *fmt, ...)
{
	va_list ap;
	ic_progress_clear(&c->progress);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
}

/* A line that --quiet drops. */
static void __attribute__((format(printf, 2, 3))) say(campaign *c, const char *fmt, ...)
{
	va_list ap;
	if (c->o->verbosity == IC_QUIET)
		return;
	ic_progress_clear(&c->progress);
	va_start(ap, fmt);
	vfprintf(c->out, fmt, ap);
	va_end(ap);
}

/* Past the time budget, no new run starts (the one under way finishes). */
static bool over_budget(campaign *c)
{
	if (c->o->time_budget > 0 && (double)(ic_now_ns() - c->t0) / 1e9 >= c->o->time_budget)
		c->out_of_time = true;
	return c->out_of_time;
}

static bool in_shard(const campaign *c, uint64_t i)
{
	return i % c->o->shard_count == c->o->shard_index;
}

/* SIGINT or SIGTERM waiting to be taken, or 0. */
static int pending_interrupt(void)
{
	sigset_t pending;
	sigpending(&pending);
	return sigismember(&pending, SIGTERM) ? SIGTERM : sigismember(&pending, SIGINT) ? SIGINT : 0;
}

static bool interrupt_pending(void)
{
	return pending_interrupt() != 0;
}

/* Interrupted: by the signal the run took, else by the one still pending (--jobs). */
static void note_interrupt(campaign *c, const ic_run_result *res)
{
	c->interrupted = true;
	if (!c->interrupt_sig)
		c->interrupt_sig = res && res->status == IC_RUN_INTERRUPTED && res->interrupt_sig
					   ? res->interrupt_sig
					   : pending_interrupt();
}

/* A run's result into the tally and the JSON; false when the campaign was interrupted. */
static bool account(campaign *c, const ic_run_cfg *cfg, const ic_run_result *res, const char *expected)
{
	c->last_seed = cfg->seed;
	if (res->status == IC_RUN_INTERRUPTED || interrupt_pending()) {
		note_interrupt(c, res);
		return false;
	}
	c->t.runs++;
	c->t.seconds += res->seconds;
	c->t.passed += res->status == IC_RUN_PASS;
	c->t.failed += res->status == IC_RUN_FAIL;
	c->t.broken += res->status == IC_RUN_BROKEN;
	c->t.messages += res->messages;
	c->t.bytes += res->bytes;
	c->t.transfer_s += res->transfer_s;
	ic_json_run(&c->json, cfg, res, expected);
	return true;
}

/* After each run judged: --verbose says it, the progress shows it. */
static void progress_run(campaign *c, const ic_run_cfg *cfg, const ic_run_result *res)
{
	if (c->o->verbosity == IC_VERBOSE) {
		char spec[256], fired[256];
		ic_spec_text(cfg, spec, sizeof(spec));
		ic_fired_text(cfg, res, fired, sizeof(fired));
		say(c, "  run   %-34s seed 0x%" PRIx64 " %s (%.3f s)%s%s\n", spec, cfg->seed, ic_run_verdict(res),
		    res->seconds, fired[0] ? "; fired: " : "", fired);
		/* Checkers' lines on a run they passed (liveness: its detection latencies). */
		for (const char *l = res->notes, *nl; *l && (nl = strchr(l, '\n')); l = nl + 1)
			say(c, "          %.*s\n", (int)(nl - l), l);
	}
	uint64_t findings = c->t.failed + c->t.broken;
	ic_progress_step(&c->progress, c->o->all ? c->decided : c->t.runs, c->t.runs, findings);
}

/*
 * The seeds of one spec, in order, run up to --jobs ahead of the one being
 * judged. Whatever is ahead when the caller stops is cancelled and never
 * counted, so the runs judged are exactly a serial campaign's.
 */
typedef struct feed {
	ic_run_cfg cfg;    /* the spec; the seed is set per run */
	uint64_t next;     /* offset of the next seed to consider */
	uint64_t end;
	bool shard;        /* only the offsets of this shard */
	bool budgeted;     /* stops at --time-budget (an expectation is decided whole) */
	const char *expected;
	unsigned head, n;  /* the runs submitted and not yet judged */
	uint64_t id[IC_MAX_JOBS], seed[IC_MAX_JOBS];
} feed;

static void feed_fill(campaign *c, feed *f)
{
	while (f->n < c->o->jobs && f->next < f->end && !(f->budgeted && over_budget(c)) && !interrupt_pending()) {
		uint64_t s = f->next++;
		if (f->shard && !in_shard(c, s))
			continue;
		unsigned slot = (f->head + f->n++) % IC_MAX_JOBS;
		f->cfg.seed = c->o->seed + s;
		f->seed[slot] = f->cfg.seed;
		f->id[slot] = ic_pool_submit(c->pool, &f->cfg);
	}
}

/* The next run in seed order, counted, into *cfg and c->res; false when there is none. */
static bool feed_next(campaign *c, feed *f, ic_run_cfg *cfg)
{
	feed_fill(c, f);
	if (f->n == 0) {
		if (interrupt_pending())
			note_interrupt(c, NULL);
		return false;
	}
	*cfg = f->cfg;
	cfg->seed = f->seed[f->head];
	ic_pool_wait(c->pool, f->id[f->head], c->res);
	f->head = (f->head + 1) % IC_MAX_JOBS;
	f->n--;
	if (!account(c, cfg, c->res, f->expected))
		return false;
	progress_run(c, cfg, c->res);
	return true;
}

static void feed_stop(campaign *c, feed *f)
{
	ic_pool_cancel(c->pool);
	f->n = 0;
}

/* How many of k replays of a failing run ended with the same verdict. */
static unsigned replay(campaign *c, const ic_run_cfg *cfg, const ic_run_result *res)
{
	unsigned same = 0;
	ic_run_cfg again = *cfg;
	again.keep = false; /* only the reported run is kept for inspection */
	again.story = 0;    /* and only it tells its story, or writes its trace */
	again.trace = NULL;
	for (unsigned done = 0; done < c->o->replays && !c->interrupted;) {
		uint64_t ids[IC_MAX_JOBS];
		unsigned batch = c->o->replays - done < c->o->jobs ? c->o->replays - done : c->o->jobs;
		for (unsigned i = 0; i < batch; i++)
			ids[i] = ic_pool_submit(c->pool, &again);
		for (unsigned i = 0; i < batch; i++, done++) {
			ic_pool_wait(c->pool, ids[i], c->scratch);
			if (c->scratch->status == IC_RUN_INTERRUPTED || interrupt_pending())
				note_interrupt(c, c->scratch);
			else if (strcmp(ic_run_verdict(c->scratch), ic_run_verdict(res)) == 0 &&
				 c->scratch->schedule.hash == res->schedule.hash)
				same++; /* controlled: the very same schedule too (chaos hashes are 0) */
		}
	}
	return same;
}

/* A failing (or kept) run's report; a failing one is replayed first if asked. */
static void show_run(campaign *c, const ic_run_cfg *cfg, const ic_run_result *res)
{
	bool replayed = res->status != IC_RUN_PASS && c->o->replays > 0;
	unsigned same = replayed ? replay(c, cfg, res) : 0;
	ic_progress_clear(&c->progress);
	ic_report_run(c->out, cfg, res, replayed && !c->interrupted ? c->o->replays : 0, same);
	fflush(c->out);
}

/* --shrink: the first finding made small, then reported under it. */
static void shrink_finding(campaign *c, const ic_run_cfg *cfg, const ic_run_result *res)
{
	ic_shrink_opts so = {.budget_s = IC_SHRINK_DEFAULT_BUDGET, .report = c->out, .story = cfg->story};
	c->shrunk = true;
	ic_progress_clear(&c->progress);
	fprintf(c->out, "shrinking the finding (%s; at most %g s)\n", res->findings[0].checker, so.budget_s);
	fflush(c->out);
	int code = ic_shrink(cfg, res->findings[0].checker, &so);
	if (code == IC_EXIT_INTERRUPTED || code == IC_EXIT_TERMINATED) {
		c->interrupted = true;
		c->interrupt_sig = code == IC_EXIT_TERMINATED ? SIGTERM : SIGINT;
	}
	fflush(c->out);
}

/*
 * Controlled mode without --steps: PCT's k is measured by one run of the
 * first seed without injectors, so that every seed of the spec (and the
 * replay line) uses the same k whatever --jobs is.
 */
static void calibrate(campaign *c, ic_run_cfg *cfg)
{
	if (cfg->mode != IC_MODE_CONTROLLED || cfg->steps)
		return;
	ic_run_cfg probe = *cfg;
	probe.seed = c->o->seed;
	probe.ninj = 0;
	probe.keep = false;
	probe.runid[0] = '\0';
	probe.story = 0;
	probe.trace = NULL;
	ic_pool_wait(c->pool, ic_pool_submit(c->pool, &probe), c->scratch);
	if (c->scratch->status == IC_RUN_INTERRUPTED)
		note_interrupt(c, c->scratch); /* the probe took the signal: the sweep must not start */
	/* A probe that failed (a planted bug, a livelock) may have run long or short: guess instead. */
	bool measured = c->scratch->status == IC_RUN_PASS && c->scratch->schedule.steps;
	cfg->steps = measured ? c->scratch->schedule.steps : ic_sched_default_steps(cfg, cfg->nprocs);
}

/* PCT's promise for what ran: per run 1/(n k^(d-1)), over N runs 1 - (1 - p)^N. */
static void say_bound(campaign *c, const ic_run_cfg *cfg, uint64_t runs)
{
	if (cfg->mode != IC_MODE_CONTROLLED || cfg->strategy != IC_STRATEGY_PCT || !runs)
		return;
	double p = ic_sched_bound(cfg->nprocs, cfg->steps, cfg->depth);
	char spec[256];
	ic_spec_text(cfg, spec, sizeof(spec));
	say(c, "pct: %s: any bug of depth <= %u is found in a run with p >= %.3g (1/(n k^(d-1)), n=%u, "
	       "k=%" PRIu64 "), in these %" PRIu64 " runs with p >= %.3g\n",
	    spec, cfg->depth, p, cfg->nprocs, cfg->steps, runs, 1 - pow(1 - p, (double)runs));
}

/*
 * A planned fault that fired in no run of a sweep: its passes prove nothing
 * about that fault, which a reader of "N passed" would otherwise assume.
 */
static void say_never_fired(campaign *c, const ic_run_cfg *cfg, const uint64_t *fired_runs, uint64_t runs)
{
	char spec[256], inj[256];
	if (!runs)
		return;
	ic_spec_text(cfg, spec, sizeof(spec));
	for (unsigned i = 0; i < cfg->ninj && i < IC_MAX_INJ; i++) {
		if (fired_runs[i])
			continue;
		ic_inj_format(&cfg->inj[i], inj, sizeof(inj));
		report_line(c, "never fired: %s in %" PRIu64 " run%s of %s: those runs did not test it\n", inj, runs,
			    runs == 1 ? "" : "s", spec);
	}
}

static void sweep(campaign *c, ic_run_cfg cfg)
{
	calibrate(c, &cfg);
	ic_case *k = ic_case_begin(&c->cases, &cfg, NULL);
	feed f = {.cfg = cfg, .end = c->o->seeds, .shard = true, .budgeted = true};
	uint64_t runs = 0, fired_runs[IC_MAX_INJ] = {0};
	while (feed_next(c, &f, &cfg)) {
		runs++;
		for (unsigned i = 0; i < cfg.ninj && i < IC_MAX_INJ; i++)
			fired_runs[i] += c->res->fired[i] > 0;
		if (k)
			ic_case_run(k, &cfg, c->res);
		/* A pass is shown only when something was kept or interfered with. */
		if (c->res->status == IC_RUN_PASS && !c->res->kept[0] && !c->res->ninterference)
			continue;
		show_run(c, &cfg, c->res);
		if (c->res->status == IC_RUN_FAIL && c->o->shrink && !c->shrunk)
			shrink_finding(c, &cfg, c->res);
		c->finding |= c->res->status == IC_RUN_FAIL;
		c->broken |= c->res->status == IC_RUN_BROKEN;
		if (c->res->status == IC_RUN_FAIL && !c->o->keep_going)
			break;
	}
	feed_stop(c, &f);
	if (k)
		ic_case_end(&c->cases, k);
	say_bound(c, &cfg, runs);
	say_never_fired(c, &cfg, fired_runs, runs);
}

/* ---- --all ---- */

/* run --all NAME...: is this scenario one of those named (or were none)? */
static bool all_includes(const campaign *c, const ic_scenario *sc)
{
	for (unsigned i = 0; i < c->o->nonly; i++)
		if (c->o->only[i] == sc)
			return true;
	return c->o->nonly == 0;
}

static int expectation_cfg(const campaign *c, const ic_scenario *sc, const ic_expect *e,
			   ic_run_cfg *cfg, char *err, size_t errsize)
{
	char spec[256], inject[256];
	memset(cfg, 0, sizeof(*cfg));
	snprintf(spec, sizeof(spec), "%s%s%s", sc->name, e->variant[0] ? ":" : "", e->variant);
	if (ic_spec_parse(c->o->extra, cfg, spec, err, errsize) != 0)
		return -1;
	if (e->procs && ic_spec_parse_procs(cfg, e->procs, err, errsize) != 0)
		return -1;
	cfg->nprocs = 0;
	for (unsigned r = 0; r < cfg->nroles; r++)
		cfg->nprocs += cfg->counts[r];
	snprintf(inject, sizeof(inject), "%s", e->inject);
	for (char *save = NULL, *one = strtok_r(inject, ";", &save); one;
	     one = strtok_r(NULL, ";", &save)) {
		if (cfg->ninj == IC_MAX_INJ || ic_inj_parse(&cfg->inj[cfg->ninj], one, err, errsize) != 0 ||
		    ic_inj_validate(&cfg->inj[cfg->ninj], sc, err, errsize) != 0)
			return -1;
		cfg->inj[cfg->ninj].index = cfg->ninj;
		cfg->ninj++;
	}
	cfg->timeout_s = c->o->timeout;
	cfg->keep = c->o->keep;
	snprintf(cfg->runid, sizeof(cfg->runid), "%s", c->o->runid);
	if (e->ops)
		cfg->ops = e->ops;
	/* "races": chaos with --detect races; "controlled,races": both. */
	cfg->detect_races = e->mode && strstr(e->mode, "races") != NULL;
	if (e->mode && strcmp(e->mode, "controlled") != 0 && strcmp(e->mode, "races") != 0 &&
	    strcmp(e->mode, "controlled,races") != 0) {
		snprintf(err, errsize, "mode %s (valid: controlled, races, controlled,races, or none for chaos)",
			 e->mode);
		return -1;
	}
	if (e->mode && strncmp(e->mode, "controlled", 10) == 0) {
		cfg->mode = IC_MODE_CONTROLLED;
		cfg->depth = IC_DEFAULT_DEPTH;
	}
	return ic_spec_validate(cfg, err, errsize);
}

/* Runs seeds until the expectation is decided; true when it was met. */
static bool decide_expectation(campaign *c, const ic_expect *e, ic_run_cfg *cfg, const char *spec,
			       bool want_pass, ic_case *k)
{
	const char *inj = e->inject[0] ? e->inject : "no injection";
	char why[512];
	double t0 = c->t.seconds;
	feed f = {.cfg = *cfg, .end = e->seeds, .expected = e->verdict};
	uint64_t s;
	for (s = 0; s < e->seeds; s++) {
		if (!feed_next(c, &f, cfg))
			break;
		bool found = !want_pass && ic_run_has_finding(c->res, e->verdict);
		if (found) {
			feed_stop(c, &f);
			if (k)
				ic_case_count(k, cfg->seed, c->res->seconds);
			say(c, "  ok    %-34s [%s] %s found at seed 0x%" PRIx64 " (%" PRIu64 " run%s, %.2f s)\n",
			    spec, inj, e->verdict, cfg->seed, s + 1, s ? "s" : "", c->t.seconds - t0);
			return true;
		}
		if (k)
			ic_case_run(k, cfg, c->res);
		if (c->res->status != IC_RUN_PASS) {
			feed_stop(c, &f);
			report_line(c, "  MISS  %-34s [%s] expected %s, got %s:\n", spec, inj, e->verdict,
				    ic_run_verdict(c->res));
			show_run(c, cfg, c->res);
			return false;
		}
	}
	feed_stop(c, &f);
	if (c->interrupted)
		return true;
	if (want_pass) {
		say(c, "  ok    %-34s [%s] pass, %u seeds (%.2f s)\n", spec, inj, e->seeds, c->t.seconds - t0);
		return true;
	}
	snprintf(why, sizeof(why), "planted bug not found: expected %s within %u seeds", e->verdict, e->seeds);
	if (k)
		ic_case_fail(k, why);
	report_line(c, "  MISS  %-34s [%s] %s\n", spec, inj, why);
	return false;
}

static bool check_expectation(campaign *c, const ic_scenario *sc, const ic_expect *e, uint64_t index)
{
	char err[512], spec[256];
	ic_run_cfg cfg;
	bool want_pass = strcmp(e->verdict, "pass") == 0;
	if (expectation_cfg(c, sc, e, &cfg, err, sizeof(err)) != 0) {
		report_line(c, "  BROKEN %s:%s: the expectation does not parse: %s\n", sc->name, e->variant, err);
		c->broken = true;
		return true;
	}
	/* Story and trace: each expectation's traces named by its index and the seed. */
	cfg.story = c->o->story;
	cfg.trace = c->o->trace;
	cfg.trace_all = c->o->trace_all;
	cfg.trace_per_seed = true;
	cfg.trace_spec = (unsigned)index + 1;
	calibrate(c, &cfg);
	ic_spec_text(&cfg, spec, sizeof(spec));
	if (cfg.mode == IC_MODE_CONTROLLED) /* the same variant is often expected in both modes */
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), " (controlled)");
	if (cfg.detect_races) /* and with the race detector: a case of its own */
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), " (races)");
	ic_case *k = ic_case_begin(&c->cases, &cfg, e->verdict);
	bool met = decide_expectation(c, e, &cfg, spec, want_pass, k);
	if (k)
		ic_case_end(&c->cases, k);
	return met;
}

static void run_all(campaign *c, unsigned *met, unsigned *missed)
{
	const ic_scenario *const *lists[] = {ic_builtin_scenarios, c->o->extra};
	uint64_t index = 0;
	for (unsigned l = 0; l < 2; l++)
		for (unsigned i = 0; lists[l] && lists[l][i]; i++) {
			const ic_scenario *sc = lists[l][i];
			if (!all_includes(c, sc))
				continue;
			say(c, "%s\n", sc->name);
			for (const ic_expect *e = sc->expect; e && e->verdict && !c->interrupted; e++) {
				/* Shards split the expectations, not their seeds: each is decided whole. */
				if (!in_shard(c, index++) || over_budget(c))
					continue;
				bool ok = check_expectation(c, sc, e, index - 1);
				fflush(c->out);
				if (c->interrupted)
					return;
				*met += ok;
				*missed += !ok;
				c->decided++;
			}
		}
}

/* What the progress counts up to: the seeds (or expectations) of this shard. */
static uint64_t progress_total(const campaign *c)
{
	const ic_scenario *const *lists[] = {ic_builtin_scenarios, c->o->extra};
	uint64_t n = 0, index = 0;
	if (!c->o->all) {
		for (uint64_t s = 0; s < c->o->seeds; s++)
			n += in_shard(c, s);
		return n * c->o->nruns;
	}
	for (unsigned l = 0; l < 2; l++)
		for (unsigned i = 0; lists[l] && lists[l][i]; i++)
			for (const ic_expect *e = lists[l][i]->expect; e && e->verdict && all_includes(c, lists[l][i]); e++)
				n += in_shard(c, index++);
	return n;
}

static int exit_code(const campaign *c)
{
	if (c->interrupted)
		return c->interrupt_sig == SIGTERM ? IC_EXIT_TERMINATED : IC_EXIT_INTERRUPTED;
	if (c->finding)
		return IC_EXIT_FINDING;
	return c->broken ? IC_EXIT_BROKEN : IC_EXIT_OK;
}

static void say_preamble(campaign *c)
{
	const ic_opts *o = c->o;
	if (o->tap)
		printf("TAP version 14\n");
	if (o->seed_random)
		fprintf(c->out, "seed: 0x%" PRIx64 " (drawn at random)\n", o->seed);
	if (o->shard_count > 1)
		fprintf(c->out, "shard %u of %u (0-based): %s i with i %% %u == %u\n", o->shard_index,
			o->shard_count, o->all ? "expectations" : "seeds", o->shard_count, o->shard_index);
	if (o->made_by[0] && strcmp(o->made_by, IC_VERSION) != 0)
		fprintf(stderr,
			"ipchaos: warning: this replay comes from ipchaos %s and this is %s: "
			"the same seed may not schedule the same way\n",
			o->made_by, IC_VERSION);
	if (o->jobs > 1)
		say(c, "jobs: %u runs at a time, reported in seed order\n", o->jobs);
	if (o->mode == IC_MODE_CONTROLLED && o->strategy == IC_STRATEGY_LIST)
		say(c, "mode: controlled, the schedule listed in %s\n", o->schedule);
	else if (o->mode == IC_MODE_CONTROLLED && o->strategy == IC_STRATEGY_RANDOM)
		say(c, "mode: controlled, random: one process at a time, each seed one schedule\n");
	else if (o->mode == IC_MODE_CONTROLLED)
		say(c, "mode: controlled, pct depth %u: one process at a time, each seed one schedule\n",
		    o->depth ? o->depth : IC_DEFAULT_DEPTH);
}

static void say_epilogue(campaign *c, unsigned met, unsigned missed)
{
	const ic_opts *o = c->o;
	if (c->interrupted)
		fprintf(c->out, "interrupted: stopped after cleaning up the current run\n");
	if (c->out_of_time)
		fprintf(c->out,
			"time budget of %g s reached: %" PRIu64 " runs done, the last with seed 0x%" PRIx64
			" (of 0x%" PRIx64 "..0x%" PRIx64 ")\n",
			o->time_budget, c->t.runs, c->last_seed, o->seed, o->seed + o->seeds - 1);
	ic_report_summary(c->out, &c->t);
	if (o->all)
		fprintf(c->out, "expectations: %u met, %u missed\n", met, missed);
	ic_tap_plan(&c->cases);
}

static void run_campaign(campaign *c)
{
	const ic_opts *o = c->o;
	unsigned met = 0, missed = 0;
	uint64_t t0 = ic_now_ns();
	ic_progress_start(&c->progress, c->out, o->verbosity == IC_QUIET, progress_total(c),
			  o->all ? "expectations" : "seeds");
	say_preamble(c);
	if (o->all) {
		run_all(c, &met, &missed);
		c->finding = missed > 0;
	} else {
		for (unsigned i = 0; i < o->nruns && !c->interrupted; i++) {
			sweep(c, o->runs[i]);
			if (c->finding && !o->keep_going)
				break;
		}
	}
	ic_progress_clear(&c->progress);
	c->t.seconds = (double)(ic_now_ns() - t0) / 1e9; /* wall clock, replays and reports included */
	say_epilogue(c, met, missed);
}

/* The code, or IC_EXIT_BROKEN when a results file could not be written. */
static int write_results(campaign *c, int code)
{
	const ic_opts *o = c->o;
	if (ic_json_close(&c->json, &c->t, code) != 0) {
		ic_line(stderr, "ipchaos: writing %s failed: %s", o->json, strerror(errno));
		if (code == IC_EXIT_OK)
			code = IC_EXIT_BROKEN;
	}
	if (o->junit && ic_junit_write(&c->cases, &c->files[IC_OUT_JUNIT]) != 0) {
		ic_line(stderr, "ipchaos: writing %s failed: %s", o->junit, strerror(errno));
		if (code == IC_EXIT_OK)
			code = IC_EXIT_BROKEN;
	}
	return code;
}

int ic_campaign(const ic_opts *o)
{
	campaign c = {.o = o, .out = o->tap ? stderr : stdout, .t0 = ic_now_ns()};
	int code = IC_EXIT_BROKEN;
	memcpy(c.files, o->out, sizeof(c.files));
	c.cases.tap = o->tap ? stdout : NULL;
	c.res = malloc(sizeof(*c.res));
	c.scratch = malloc(sizeof(*c.scratch));
	if (!c.res || !c.scratch)
		fprintf(stderr, "ipchaos: out of memory\n");
	else if (ic_json_open(&c.json, &c.files[IC_OUT_JSON], o->all ? "all" : "run") != 0)
		ic_line(stderr, "ipchaos: cannot write %s: %s", o->json, strerror(errno));
	else if (!(c.pool = ic_pool_open(o->jobs)))
		fprintf(stderr, "ipchaos: cannot start %u worker processes: %s\n", o->jobs, strerror(errno));
	else {
		run_campaign(&c);
		code = exit_code(&c);
	}
	ic_pool_close(c.pool);
	code = write_results(&c, code);
	ic_outfiles_abandon(c.files, IC_OUT_FILES); /* what was never written: none, unless out of memory */
	ic_cases_free(&c.cases);
	free(c.res);
	free(c.scratch);
	return code;
}
