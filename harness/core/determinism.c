/*
 * determinism.c: --check-determinism. A controlled run is a function of its
 * seed only if the scenario has no nondeterminism of its own (a clock read,
 * a blocking call the harness does not see, a private spin loop). Each seed
 * runs twice and the two decision logs are compared: the first step where
 * they part says which process, at which point, did what differently.
 */
#include "core/run.h"
#include "core/spec.h"
#include "role/sched.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const call_names[] = {"call/write",   "call/read",       "call/send",   "call/recv",
					  "call/mq_send", "call/mq_receive", "call/msgsnd", "call/msgrcv",
					  NULL};

static bool name_is(const char *name, uint32_t id, char *buf, size_t size)
{
	if (ic_sched_point_id(name) != id)
		return false;
	snprintf(buf, size, "%s", name);
	return true;
}

/* A point's name back from its hash: the scenario's points, its lock sites, the wrapped calls. */
static void point_name(const ic_scenario *sc, uint32_t id, char *buf, size_t size)
{
	char lock[IC_NAME + 8];
	for (unsigned i = 0; sc->points && sc->points[i]; i++)
		if (name_is(sc->points[i], id, buf, size))
			return;
	for (unsigned i = 0; sc->lock_sites && sc->lock_sites[i]; i++)
		for (unsigned u = 0; u < 2; u++) {
			snprintf(lock, sizeof(lock), "%s:%s", u ? "unlock" : "lock", sc->lock_sites[i]);
			if (name_is(lock, id, buf, size))
				return;
		}
	for (unsigned i = 0; call_names[i]; i++)
		if (name_is(call_names[i], id, buf, size))
			return;
	snprintf(buf, size, "a point hashed %08" PRIx32, id);
}

static const char *kind_name(unsigned kind)
{
	static const char *const names[] = {[IC_D_STEP] = "went on", [IC_D_SWITCH] = "waited",
					    [IC_D_PREEMPT] = "was preempted", [IC_D_TIMEOUT] = "timed out",
					    [IC_D_FAULT] = "had a fault injected", [IC_D_END] = "returned",
					    [IC_D_DEATH] = "died"};
	return kind <= IC_D_DEATH ? names[kind] : "?";
}

/* "p1": a process as the report names it. */
static void label_of(const ic_run_cfg *cfg, unsigned slot, char *buf, size_t size)
{
	unsigned role = 0;
	while (role + 1 < cfg->nroles && slot >= cfg->counts[role])
		slot -= cfg->counts[role++];
	snprintf(buf, size, "%s%u", cfg->sc->roles[role].name, slot);
}

static void describe(const ic_run_cfg *cfg, const ic_decision *d, char *buf, size_t size)
{
	char point[IC_NAME + 24], label[24];
	if (!d) {
		snprintf(buf, size, "had ended");
		return;
	}
	point_name(cfg->sc, d->point, point, sizeof(point));
	label_of(cfg, d->slot, label, sizeof(label));
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
