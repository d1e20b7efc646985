/*
 * campaign.c: seed sweeps over the named scenarios, and `--all`: every
 * declared expectation of every scenario, a planted bug that goes unfound
 * being a failure of the tool itself.
 */
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
} campaign;

static bool interrupt_pending(void)
{
	sigset_t pending;
	sigpending(&pending);
	return sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM);
}

static void run_counted(campaign *c, const ic_run_cfg *cfg, ic_run_result *res, const char *expected)
{
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
	ic_report_run(stdout, cfg, res, replayed && !c->interrupted ? c->o->replays : 0, same);
	fflush(stdout);
}

static void sweep(campaign *c, ic_run_cfg cfg)
{
	for (uint64_t s = 0; s < c->o->seeds && !c->interrupted; s++) {
		cfg.seed = c->o->seed + s;
		run_counted(c, &cfg, c->res, NULL);
		if (c->interrupted)
			return;
		if (c->res->status == IC_RUN_PASS && !c->res->kept[0])
			continue;
		show_run(c, &cfg, c->res);
		c->finding |= c->res->status == IC_RUN_FAIL;
		c->broken |= c->res->status == IC_RUN_BROKEN;
		if (c->res->status == IC_RUN_FAIL && !c->o->keep_going)
			return;
	}
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
static bool check_expectation(campaign *c, const ic_scenario *sc, const ic_expect *e)
{
	char err[512], spec[256];
	ic_run_cfg cfg;
	bool want_pass = strcmp(e->verdict, "pass") == 0;
	if (expectation_cfg(c, sc, e, &cfg, err, sizeof(err)) != 0) {
		printf("  BROKEN %s:%s: the expectation does not parse: %s\n", sc->name, e->variant, err);
		c->broken = true;
		return true;
	}
	ic_cli_spec_text(&cfg, spec, sizeof(spec));
	double t0 = c->t.seconds;
	uint64_t s;
	for (s = 0; s < e->seeds; s++) {
		cfg.seed = c->o->seed + s;
		run_counted(c, &cfg, c->res, e->verdict);
		if (c->interrupted)
			return true;
		bool found = !want_pass && ic_run_has_finding(c->res, e->verdict);
		if (found || c->res->status != IC_RUN_PASS) {
			if (found) {
				printf("  ok    %-34s [%s] %s found at seed 0x%" PRIx64 " (%" PRIu64
				       " run%s, %.2f s)\n",
				       spec, e->inject[0] ? e->inject : "no injection", e->verdict, cfg.seed,
				       s + 1, s ? "s" : "", c->t.seconds - t0);
				return true;
			}
			printf("  MISS  %-34s [%s] expected %s, got %s:\n", spec,
			       e->inject[0] ? e->inject : "no injection", e->verdict, ic_run_verdict(c->res));
			show_run(c, &cfg, c->res);
			return false;
		}
	}
	if (want_pass) {
		printf("  ok    %-34s [%s] pass, %u seeds (%.2f s)\n", spec,
		       e->inject[0] ? e->inject : "no injection", e->seeds, c->t.seconds - t0);
		return true;
	}
	printf("  MISS  %-34s [%s] planted bug not found: expected %s within %u seeds\n", spec,
	       e->inject[0] ? e->inject : "no injection", e->verdict, e->seeds);
	return false;
}

static void run_all(campaign *c, unsigned *met, unsigned *missed)
{
	const ic_scenario *const *lists[] = {ic_builtin_scenarios, c->o->extra};
	for (unsigned l = 0; l < 2; l++)
		for (unsigned i = 0; lists[l] && lists[l][i]; i++) {
			const ic_scenario *sc = lists[l][i];
			printf("%s\n", sc->name);
			for (const ic_expect *e = sc->expect; e && e->verdict && !c->interrupted; e++) {
				bool ok = check_expectation(c, sc, e);
				fflush(stdout);
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
	campaign c = {.o = o};
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
	if (o->seed_random)
		printf("seed: 0x%" PRIx64 " (drawn at random)\n", o->seed);
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
		printf("interrupted: stopped after cleaning up the current run\n");
	ic_report_summary(stdout, &c.t);
	if (o->all)
		printf("expectations: %u met, %u missed\n", met, missed);
	int code = exit_code(&c);
	if (ic_json_close(&c.json, &c.t, code) != 0) {
		fprintf(stderr, "ipchaos: writing %s failed: %s\n", o->json, strerror(errno));
		if (code == IC_EXIT_OK)
			code = IC_EXIT_BROKEN;
	}
	free(c.res);
	free(c.scratch);
	return code;
}
