/*
 * determinism.c: --check-determinism. A controlled run is a function of its
 * seed only if the scenario has no nondeterminism of its own (a clock read,
 * a blocking call the harness does not see, a private spin loop). Each seed
 * runs twice and the two decision logs are compared: the first step where
 * they part says which process, at which point, did what differently.
 */
#include "core/run.h"
#include "core/schedule.h"
#include "core/spec.h"
#include "role/sched.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *kind_name(unsigned kind)
{
	static const char *const names[] = {[IC_D_STEP] = "went on", [IC_D_SWITCH] = "waited",
					    [IC_D_PREEMPT] = "was preempted", [IC_D_TIMEOUT] = "timed out",
					    [IC_D_FAULT] = "had a fault injected", [IC_D_END] = "returned",
					    [IC_D_DEATH] = "died", [IC_D_START] = "was chosen to run first"};
	return kind <= IC_D_START ? names[kind] : "?";
}

static void describe(const ic_run_cfg *cfg, const ic_decision *d, char *buf, size_t size)
{
	char point[IC_NAME + 24], label[24];
	if (!d) {
		snprintf(buf, size, "had ended");
		return;
	}
	ic_point_name(cfg->sc, d->point, point, sizeof(point));
	ic_slot_label(cfg, d->slot, label, sizeof(label));
	snprintf(buf, size, "step %" PRIu64 ": %s at %s %s", d->step, label, point, kind_name(d->kind));
}

static void diverged(const ic_run_cfg *cfg, const ic_decisions *a, const ic_decisions *b,
		     const ic_run_result *second, ic_run_result *res)
{
	uint64_t i = 0, n = a->n < b->n ? a->n : b->n;
	while (i < n && memcmp(&a->v[i], &b->v[i], sizeof(a->v[i])) == 0)
		i++;
	if (i == a->n && i == b->n && res->schedule.hash == second->schedule.hash)
		return;
	if (res->nfindings == IC_MAX_FINDINGS)
		res->nfindings--;
	ic_finding *f = &res->findings[res->nfindings++];
	f->checker = "determinism";
	f->nmarks = 0;
	char one[160], two[160];
	describe(cfg, i < a->n ? &a->v[i] : NULL, one, sizeof(one));
	describe(cfg, i < b->n ? &b->v[i] : NULL, two, sizeof(two));
	snprintf(f->text, sizeof(f->text),
		 "the same seed scheduled differently: decision %" PRIu64 " of %" PRIu64 "/%" PRIu64 " differs\n"
		 "  first run:  %s\n  second run: %s\n"
		 "  something the scheduler does not see decides: a clock read, a blocking call not made\n"
		 "  through ic_, a wait loop not made through ic_backoff_wait\n",
		 i + 1, a->n, b->n, one, two);
	res->status = IC_RUN_FAIL;
}

void ic_run_determinism(const ic_run_cfg *cfg, ic_run_result *res)
{
	ic_run_cfg again = *cfg;
	again.check_determinism = false;
	ic_decisions first, second;
	ic_run_result *other = malloc(sizeof(*other));
	ic_run_one_logged(&again, res, &first);
	if (!other || res->status == IC_RUN_INTERRUPTED || res->status == IC_RUN_BROKEN)
		goto out;
	again.keep = false;
	ic_run_one_logged(&again, other, &second);
	if (other->status == IC_RUN_INTERRUPTED)
		res->status = IC_RUN_INTERRUPTED;
	else if (other->status != IC_RUN_BROKEN)
		diverged(cfg, &first, &second, other, res);
	free(second.v);
out:
	free(first.v);
	free(other);
}
