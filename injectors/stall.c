/*
 * stall: SIGSTOP a process in the middle of its work for up to max ms, then
 * the supervisor sends SIGCONT. Like kill, the plan picks one victim, one
 * point (or the at= glob), the hit and the length from the seed; with p=,
 * every process stalls at each matching hit with probability p. Shows
 * timeouts that are too short and peers that assume progress; the watchdog
 * does not count a planned stall as a hang.
 */
#include "../harness/internal.h"

#include <signal.h>

static const ic_param stall_params[] = {
	{"at", IC_P_POINT, "", "stall at a point matching this glob (default: one drawn from the seed)"},
	{"p", IC_P_PROB, "0", "stall at each matching hit with this probability instead of a planned hit"},
	{"max", IC_P_MSEC, "20", "longest stall, milliseconds"},
	{0},
};

enum { PLAN_VICTIM, PLAN_HIT, PLAN_MS };
#define PLAN_POINT(inst) ((char *)&(inst)->plan.words[3])
#define PLAN_POINT_MAX (sizeof(((ic_inj_inst *)0)->plan) - 3 * sizeof(uint64_t))

static void stall_plan(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng)
{
	const char *at = ic_inj_str(inst, "at");
	unsigned npoints = 0;
	while (env->points && env->points[npoints])
		npoints++;
	inst->plan.words[PLAN_VICTIM] = ic_rng_below(rng, env->nprocs);
	inst->plan.words[PLAN_HIT] = 1 + ic_rng_below(rng, env->ops ? env->ops : 1);
	inst->plan.words[PLAN_MS] = 1 + ic_rng_below(rng, (uint64_t)ic_inj_num(inst, "max") + 1);
	const char *point = at[0] || npoints == 0 ? at : env->points[ic_rng_below(rng, npoints)];
	snprintf(PLAN_POINT(inst), PLAN_POINT_MAX, "%s", point);
}

static void stall_now(ic_ctx *ctx, const ic_inj_inst *inst, const char *name, uint64_t ms)
{
	ic_fired(ctx, inst, name);
	ic_stall_self(ctx, ms * 1000000ull);
}

static bool stall_at(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, enum ic_site site)
{
	if (site != IC_SITE_POINT)
		return false;
	double p = ic_inj_num(inst, "p");
	uint64_t *hits = ic_inj_scratch(ctx, inst);
	if (p > 0) {
		if (!ic_name_matches(ic_inj_str(inst, "at"), name) || ic_rng_unit(ic_ctx_rng(ctx)) >= p)
			return false;
		stall_now(ctx, inst, name, 1 + ic_rng_below(ic_ctx_rng(ctx), (uint64_t)ic_inj_num(inst, "max") + 1));
		return false;
	}
	if (ic_ctx_slot(ctx) != inst->plan.words[PLAN_VICTIM] || !ic_name_matches(PLAN_POINT(inst), name))
		return false;
	if (++hits[0] == inst->plan.words[PLAN_HIT])
		stall_now(ctx, inst, name, inst->plan.words[PLAN_MS]);
	return false;
}

static void stall_describe(const ic_inj_inst *inst, const ic_plan_env *env, char *buf, size_t size)
{
	double p = ic_inj_num(inst, "p");
	const char *at = ic_inj_str(inst, "at");
	if (p > 0)
		snprintf(buf, size, "SIGSTOP any process for up to %gms with p=%g at each hit of %s",
			 ic_inj_num(inst, "max"), p, at[0] ? at : "every point");
	else
		snprintf(buf, size, "SIGSTOP %s for %llums at hit %llu of %s",
			 env->labels[inst->plan.words[PLAN_VICTIM]],
			 (unsigned long long)inst->plan.words[PLAN_MS],
			 (unsigned long long)inst->plan.words[PLAN_HIT], PLAN_POINT(inst));
}

const ic_injector ic_injector_stall = {
	.name = "stall",
	.summary = "SIGSTOP a process at a planned hit of a point, SIGCONT after up to max ms",
	.params = stall_params,
	.plan = stall_plan,
	.at = stall_at,
	.describe = stall_describe,
};
