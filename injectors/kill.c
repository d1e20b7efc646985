/*
 * kill: SIGKILL a process in the middle of its work. By default the plan picks
 * one victim, one point (or the at= glob) and the hit of it to die at, all from
 * the seed; with p= every process dies at a matching hit with probability p.
 * Proves that state survives a dead participant: robust locks, atomics,
 * message channels; and that a plain lock does not (dead-holder).
 */
#include "../harness/internal.h"

#include <signal.h>
#include <string.h>

static const ic_param kill_params[] = {
	{"at", IC_P_POINT, "", "die at a point matching this glob (default: one drawn from the seed)"},
	{"p", IC_P_PROB, "0", "die at each matching hit with this probability instead of a planned hit"},
	{"hit", IC_P_COUNT, "", "die at this hit of the point (default: drawn from 1..ops)"},
	{0},
};

enum { PLAN_VICTIM, PLAN_HIT };
#define PLAN_POINT(inst) ((char *)&(inst)->plan.words[2])
#define PLAN_POINT_MAX (sizeof(((ic_inj_inst *)0)->plan) - 2 * sizeof(uint64_t))

static void kill_plan(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng)
{
	const char *at = ic_inj_str(inst, "at");
	unsigned npoints = 0;
	while (env->points && env->points[npoints])
		npoints++;
	inst->plan.words[PLAN_VICTIM] = ic_rng_below(rng, env->nprocs);
	/* Each process passes each point about once per op: the hit lands inside the run. */
	inst->plan.words[PLAN_HIT] = 1 + ic_rng_below(rng, env->ops ? env->ops : 1);
	if (ic_inj_str(inst, "hit")[0]) /* drawn all the same: the rest of the plan stays put */
		inst->plan.words[PLAN_HIT] = (uint64_t)ic_inj_num(inst, "hit");
	const char *point = at[0] || npoints == 0 ? at : env->points[ic_rng_below(rng, npoints)];
	snprintf(PLAN_POINT(inst), PLAN_POINT_MAX, "%s", point);
}

static bool kill_at(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, enum ic_site site)
{
	if (site != IC_SITE_POINT)
		return false;
	double p = ic_inj_num(inst, "p");
	uint64_t *hits = ic_inj_scratch(ctx, inst);
	if (p > 0) {
		if (!ic_name_matches(ic_inj_str(inst, "at"), name))
			return false;
		hits[0]++;
		if (ic_rng_unit(ic_ctx_rng(ctx)) >= p)
			return false;
	} else {
		if (ic_ctx_slot(ctx) != inst->plan.words[PLAN_VICTIM] ||
		    !ic_name_matches(PLAN_POINT(inst), name))
			return false;
		if (++hits[0] != inst->plan.words[PLAN_HIT])
			return false;
	}
	ic_fired(ctx, inst, name);
	ic_inject_signal(ctx, SIGKILL, name, hits[0]);
	return false;
}

static void kill_describe(const ic_inj_inst *inst, const ic_plan_env *env, char *buf, size_t size)
{
	double p = ic_inj_num(inst, "p");
	const char *at = ic_inj_str(inst, "at");
	if (p > 0)
		snprintf(buf, size, "SIGKILL any process with p=%g at each hit of %s", p,
			 at[0] ? at : "every point");
	else
		snprintf(buf, size, "SIGKILL %s at hit %llu of %s",
			 env->labels[inst->plan.words[PLAN_VICTIM]],
			 (unsigned long long)inst->plan.words[PLAN_HIT], PLAN_POINT(inst));
}

const ic_injector ic_injector_kill = {
	.name = "kill",
	.summary = "SIGKILL a process at a planned hit of a point",
	.params = kill_params,
	.plan = kill_plan,
	.at = kill_at,
	.describe = kill_describe,
};
