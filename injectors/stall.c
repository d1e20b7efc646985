/*
 * stall: SIGSTOP a process in the middle of its work for up to max ms, then
 * the supervisor sends SIGCONT. Like kill, the plan picks one victim, one
 * point (or the at= glob), the hit (or hit=) and the length from the seed; with p=,
 * every process stalls at each matching hit with probability p. Shows
 * timeouts that are too short and peers that assume progress; the watchdog
 * does not count a planned stall as a hang.
 */
#include "../harness/internal.h"

#include <inttypes.h>
#include <signal.h>

static const ic_param stall_params[] = {
	{"at", IC_P_POINT, "", "stall at a point matching this glob (default: one drawn from the seed)"},
	{"p", IC_P_PROB, "0", "stall at each matching hit with this probability instead of a planned hit"},
	{"max", IC_P_MSEC, "20", "longest stall, milliseconds"},
	{"hit", IC_P_COUNT, "", "stall at this hit of the point (default: drawn from 1..ops)"},
	{0},
};

static void stall_plan(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng)
{
	ic_plan_strike(inst, env, rng);
	inst->plan.words[2] = 1 + ic_rng_below(rng, ic_inj_uint(inst, "max") + 1); /* ms */
}

static bool stall_at(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, enum ic_site site)
{
	uint64_t hit;
	if (site != IC_SITE_POINT || !ic_strike_now(inst, ctx, name, &hit))
		return false;
	/* A planned stall has its length; one drawn with p= draws its own. */
	uint64_t ms = ic_inj_num(inst, "p") > 0
			      ? 1 + ic_rng_below(ic_ctx_rng(ctx), ic_inj_uint(inst, "max") + 1)
			      : inst->plan.words[2];
	ic_fired(ctx, inst, name);
	ic_stall_self(ctx, ms * 1000000ull);
	return false;
}

static void stall_describe(const ic_inj_inst *inst, const ic_plan_env *env, char *buf, size_t size)
{
	double p = ic_inj_num(inst, "p");
	const char *at = ic_inj_str(inst, "at");
	if (p > 0)
		snprintf(buf, size, "SIGSTOP any process for up to %" PRIu64 "ms with p=%g at each hit of %s",
			 ic_inj_uint(inst, "max"), p, at[0] ? at : "every point");
	else
		snprintf(buf, size, "SIGSTOP %s for %llums at hit %llu of %s", env->labels[inst->plan.words[0]],
			 (unsigned long long)inst->plan.words[2], (unsigned long long)inst->plan.words[1],
			 IC_PLAN_POINT(inst));
}

const ic_injector ic_injector_stall = {
	.name = "stall",
	.summary = "SIGSTOP a process at a planned hit of a point, SIGCONT after up to max ms",
	.params = stall_params,
	.plan = stall_plan,
	.at = stall_at,
	.describe = stall_describe,
};
