/*
 * kill: SIGKILL a process in the middle of its work. By default the plan picks
 * one victim, one point (or the at= glob) and the hit of it to die at, all from
 * the seed; with p= every process dies at a matching hit with probability p.
 * Proves that state survives a dead participant: robust locks, atomics,
 * message channels; and that a plain lock does not (dead-holder).
 */
#include "../harness/internal.h"

#include <signal.h>

static const ic_param kill_params[] = {
	{"at", IC_P_POINT, "", "die at a point matching this glob (default: one drawn from the seed)"},
	{"p", IC_P_PROB, "0", "die at each matching hit with this probability instead of a planned hit"},
	{"hit", IC_P_COUNT, "", "die at this hit of the point (default: drawn from 1..ops)"},
	{0},
};

static void kill_plan(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng)
{
	ic_plan_strike(inst, env, rng);
}

static bool kill_at(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, enum ic_site site)
{
	uint64_t hit;
	if (site != IC_SITE_POINT || !ic_strike_now(inst, ctx, name, &hit))
		return false;
	ic_fired(ctx, inst, name);
	ic_inject_signal(ctx, SIGKILL, name, hit);
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
		snprintf(buf, size, "SIGKILL %s at hit %llu of %s", env->labels[inst->plan.words[0]],
			 (unsigned long long)inst->plan.words[1], IC_PLAN_POINT(inst));
}

const ic_injector ic_injector_kill = {
	.name = "kill",
	.summary = "SIGKILL a process at a planned hit of a point",
	.params = kill_params,
	.plan = kill_plan,
	.at = kill_at,
	.describe = kill_describe,
};
