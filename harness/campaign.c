/*
 * campaign.c: seed sweeps over the named scenarios, and `--all`: every
 * declared expectation of every scenario, a planted bug that goes unfound
 * being a failure of the tool itself.
 */
#include "cases.h"
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct campaign {
	const ic_opts *o;
	ic_tally t;
	ic_json json;
	bool finding; /* a finding (or, for --all, a missed expectation) */
	bool broken;
	bool interrupted;
	ic_run_result *res;
	ic_run_result *scratch; /* for replays */
	FILE *out;              /* the human report: stdout, or stderr when stdout carries TAP */
	ic_cases cases;
	uint64_t t0;
	bool out_of_time;       /* --time-budget reached: no new seed was started */
	uint64_t last_seed;     /* of the last run started */
} campaign;

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

static bool interrupt_pending(void)
{
	sigset_t pending;
	sigpending(&pending);
	return sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM);
}

static void run_counted(campaign *c, const ic_run_cfg *cfg, ic_run_result *res, const char *expected)
{
	c->last_seed = cfg->seed;
	ic_run_one(cfg, res);
	if (res->status == IC_RUN_INTERRUPTED || interrupt_pending()) {
		c->interrupted = true;
		return;
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
}

/* How many of k replays of a failing run ended with the same verdict. */
static unsigned replay(campaign *c, const ic_run_cfg *cfg, const ic_run_result *res)
{
	unsigned same = 0;
	ic_run_cfg again = *cfg;
	again.keep = false; /* only the reported run is kept for inspection */
	for (unsigned i = 0; i < c->o->replays && !c->interrupted; i++) {
		ic_run_one(&again, c->scratch);
		if (c->scratch->status == IC_RUN_INTERRUPTED || interrupt_pending())
			c->interrupted = true;
		else if (strcmp(ic_run_verdict(c->scratch), ic_run_verdict(res)) == 0)
			same++;
	}
	return same;
}

/* A failing (or kept) run's report; a failing one is replayed first if asked. */
static void show_run(campaign *c, const ic_run_cfg *cfg, const ic_run_result *res)
{
	bool replayed = res->status != IC_RUN_PASS && c->o->replays > 0;
	unsigned same = replayed ? replay(c, cfg, res) : 0;
	ic_report_run(c->out, cfg, res, replayed && !c->interrupted ? c->o->replays : 0, same);
	fflush(c->out);
}

static void sweep(campaign *c, ic_run_cfg cfg)
{
	ic_case *k = ic_case_begin(&c->cases, &cfg, NULL);
	for (uint64_t s = 0; s < c->o->seeds && !c->interrupted && !over_budget(c); s++) {
		if (!in_shard(c, s))
			continue;
		cfg.seed = c->o->seed + s;
		run_counted(c, &cfg, c->res, NULL);
		if (c->interrupted)
			break;
		if (k)
			ic_case_run(k, &cfg, c->res);
		if (c->res->status == IC_RUN_PASS && !c->res->kept[0])
			continue;
		show_run(c, &cfg, c->res);
		c->finding |= c->res->status == IC_RUN_FAIL;
		c->broken |= c->res->status == IC_RUN_BROKEN;
		if (c->res->status == IC_RUN_FAIL && !c->o->keep_going)
			break;
	}
	if (k)
		ic_case_end(&c->cases, k);
}

/* ---- --all ---- */

static int expectation_cfg(const campaign *c, const ic_scenario *sc, const ic_expect *e,
			   ic_run_cfg *cfg, char *err, size_t errsize)
{
	char spec[256], inject[256];
	memset(cfg, 0, sizeof(*cfg));
	snprintf(spec, sizeof(spec), "%s%s%s", sc->name, e->variant[0] ? ":" : "", e->variant);
	if (ic_cli_parse_spec(c->o, cfg, spec, err, errsize) != 0)
		return -1;
	if (e->procs && ic_cli_parse_procs(cfg, e->procs, err, errsize) != 0)
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
	return ic_cli_validate(cfg, err, errsize);
}

/* Runs seeds until the expectation is decided; true when it was met. */
static bool decide_expectation(campaign *c, const ic_expect *e, ic_run_cfg *cfg, const char *spec,
			       bool want_pass, ic_case *k)
{
	const char *inj = e->inject[0] ? e->inject : "no injection";
	char why[512];
	double t0 = c->t.seconds;
	uint64_t s;
	for (s = 0; s < e->seeds; s++) {
		cfg->seed = c->o->seed + s;
		run_counted(c, cfg, c->res, e->verdict);
		if (c->interrupted)
			return true;
		bool found = !want_pass && ic_run_has_finding(c->res, e->verdict);
		if (found) {
			if (k)
				k->runs++, k->seconds += c->res->seconds, k->last_seed = cfg->seed;
			fprintf(c->out, "  ok    %-34s [%s] %s found at seed 0x%" PRIx64 " (%" PRIu64 " run%s, %.2f s)\n",
				spec, inj, e->verdict, cfg->seed, s + 1, s ? "s" : "", c->t.seconds - t0);
			return true;
		}
		if (k)
			ic_case_run(k, cfg, c->res);
		if (c->res->status != IC_RUN_PASS) {
			fprintf(c->out, "  MISS  %-34s [%s] expected %s, got %s:\n", spec, inj, e->verdict,
				ic_run_verdict(c->res));
			show_run(c, cfg, c->res);
			return false;
		}
	}
	if (want_pass) {
		fprintf(c->out, "  ok    %-34s [%s] pass, %u seeds (%.2f s)\n", spec, inj, e->seeds, c->t.seconds - t0);
		return true;
	}
	snprintf(why, sizeof(why), "planted bug not found: expected %s within %u seeds", e->verdict, e->seeds);
	if (k)
		ic_case_fail(k, why);
	fprintf(c->out, "  MISS  %-34s [%s] %s\n", spec, inj, why);
	return false;
}

static bool check_expectation(campaign *c, const ic_scenario *sc, const ic_expect *e)
{
	char err[512], spec[256];
	ic_run_cfg cfg;
	bool want_pass = strcmp(e->verdict, "pass") == 0;
	if (expectation_cfg(c, sc, e, &cfg, err, sizeof(err)) != 0) {
		fprintf(c->out, "  BROKEN %s:%s: the expectation does not parse: %s\n", sc->name, e->variant, err);
		c->broken = true;
		return true;
	}
	ic_cli_spec_text(&cfg, spec, sizeof(spec));
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
			fprintf(c->out, "%s\n", sc->name);
			for (const ic_expect *e = sc->expect; e && e->verdict && !c->interrupted; e++) {
				/* Shards split the expectations, not their seeds: each is decided whole. */
				if (!in_shard(c, index++) || over_budget(c))
					continue;
				bool ok = check_expectation(c, sc, e);
				fflush(c->out);
				if (c->interrupted)
					return;
				*met += ok;
				*missed += !ok;
			}
		}
}

static int exit_code(const campaign *c)
{
	if (c->interrupted)
		return IC_EXIT_INTERRUPTED;
	if (c->finding)
		return IC_EXIT_FINDING;
	return c->broken ? IC_EXIT_BROKEN : IC_EXIT_OK;
}

int ic_campaign(const ic_opts *o)
{
	campaign c = {.o = o, .out = o->tap ? stderr : stdout, .t0 = ic_now_ns()};
	c.cases.tap = o->tap ? stdout : NULL;
	c.res = malloc(sizeof(*c.res));
	c.scratch = malloc(sizeof(*c.scratch));
	if (!c.res || !c.scratch) {
		fprintf(stderr, "ipchaos: out of memory\n");
		free(c.res);
		free(c.scratch);
		return IC_EXIT_BROKEN;
	}
	if (ic_json_open(&c.json, o->json, o->all ? "all" : "run") != 0) {
		fprintf(stderr, "ipchaos: cannot write %s: %s\n", o->json, strerror(errno));
		free(c.res);
		free(c.scratch);
		return IC_EXIT_BROKEN;
	}
	if (o->tap)
		printf("TAP version 14\n");
	if (o->seed_random)
		fprintf(c.out, "seed: 0x%" PRIx64 " (drawn at random)\n", o->seed);
	if (o->shard_count > 1)
		fprintf(c.out, "shard %u of %u (0-based): %s i with i %% %u == %u\n", o->shard_index, o->shard_count,
			o->all ? "expectations" : "seeds", o->shard_count, o->shard_index);
	unsigned met = 0, missed = 0;
	uint64_t t0 = ic_now_ns();
	if (o->all) {
		run_all(&c, &met, &missed);
		c.finding = missed > 0;
	} else {
		for (unsigned i = 0; i < o->nruns && !c.interrupted; i++) {
			sweep(&c, o->runs[i]);
			if (c.finding && !o->keep_going)
				break;
		}
	}
	c.t.seconds = (double)(ic_now_ns() - t0) / 1e9; /* wall clock, replays and reports included */
	if (c.interrupted)
		fprintf(c.out, "interrupted: stopped after cleaning up the current run\n");
	if (c.out_of_time)
		fprintf(c.out,
			"time budget of %g s reached: %" PRIu64 " runs done, the last with seed 0x%" PRIx64
			" (of 0x%" PRIx64 "..0x%" PRIx64 ")\n",
			o->time_budget, c.t.runs, c.last_seed, o->seed, o->seed + o->seeds - 1);
	ic_report_summary(c.out, &c.t);
	if (o->all)
		fprintf(c.out, "expectations: %u met, %u missed\n", met, missed);
	ic_tap_plan(&c.cases);
	int code = exit_code(&c);
	if (ic_json_close(&c.json, &c.t, code) != 0) {
		fprintf(stderr, "ipchaos: writing %s failed: %s\n", o->json, strerror(errno));
		if (code == IC_EXIT_OK)
			code = IC_EXIT_BROKEN;
	}
	if (o->junit && ic_junit_write(&c.cases, o->junit) != 0) {
		fprintf(stderr, "ipchaos: writing %s failed: %s\n", o->junit, strerror(errno));
		if (code == IC_EXIT_OK)
			code = IC_EXIT_BROKEN;
	}
	ic_cases_free(&c.cases);
	free(c.res);
	free(c.scratch);
	return code;
}
