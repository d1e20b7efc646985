/*
 * delay: scheduling noise. At each point (or those matching at=), with
 * probability p, yield, sleep or spin for up to max microseconds, all drawn
 * from the process's own seeded stream. Widens race windows so that a planted
 * race shows within a few seeds. Makes sense everywhere. In controlled mode
 * the process drops to the lowest priority instead: a preemption, not time.
 */
#include "../harness/internal.h"

#include <inttypes.h>
#include <sched.h>
#include <time.h>

static const ic_param delay_params[] = {
	{"p", IC_P_PROB, "0.05", "probability of a delay at each point hit"},
	{"max", IC_P_USEC, "20", "longest delay, microseconds"},
	{"at", IC_P_POINT, "", "only at points matching this glob (default: every point)"},
	{0},
};

static void delay_plan(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng)
{
	/* The decisions are drawn per hit from each process's stream; nothing to fix here. */
	(void)inst, (void)env, (void)rng;
}

static void spin_for(uint64_t ns)
{
	uint64_t end = ic_now_ns() + ns;
	while (ic_now_ns() < end)
		ic_cpu_relax();
}

static bool delay_at(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, enum ic_site site)
{
	if (site != IC_SITE_POINT || !ic_name_matches(ic_inj_str(inst, "at"), name))
		return false;
	ic_rng *rng = ic_ctx_rng(ctx);
	if (!ic_inj_listed(inst, ctx, name, ic_rng_unit(rng) < ic_inj_num(inst, "p")))
		return false;
	/* Controlled mode: time is the scheduler's; a delay is this process stepping back. */
	if (ic_inject_yield(ctx)) {
		ic_fired(ctx, inst, name);
		return false;
	}
	uint64_t us = ic_rng_below(rng, ic_inj_uint(inst, "max") + 1);
	switch (ic_rng_below(rng, 3)) {
	case 0:
		sched_yield();
		break;
	case 1: {
		struct timespec ts = {.tv_sec = (time_t)(us / 1000000), .tv_nsec = (long)(us % 1000000) * 1000};
		nanosleep(&ts, NULL);
		break;
	}
	default:
		spin_for(us * 1000);
	}
	ic_fired(ctx, inst, name);
	return false;
}

static void delay_describe(const ic_inj_inst *inst, const ic_plan_env *env, char *buf, size_t size)
{
	(void)env;
	const char *at = ic_inj_str(inst, "at");
	snprintf(buf, size, "yield, sleep or spin up to %" PRIu64 "us with p=%g at %s", ic_inj_uint(inst, "max"),
		 ic_inj_num(inst, "p"), at[0] ? at : "every point");
}

const ic_injector ic_injector_delay = {
	.name = "delay",
	.summary = "yield, sleep or spin at points (scheduling noise)",
	.params = delay_params,
	.plan = delay_plan,
	.at = delay_at,
	.describe = delay_describe,
};
