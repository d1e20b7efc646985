/*
 * nolock: a missing lock in otherwise correct code. At lock sites matching at=
 * (every site by default) skip the acquire, and its release, with probability
 * p. Combined with delay, the counter checker must then see lost updates.
 */
#include "../harness/internal.h"

static const ic_param nolock_params[] = {
	{"p", IC_P_PROB, "0.1", "probability of skipping each acquire"},
	{"at", IC_P_SITE, "", "only at lock sites matching this glob (default: every site)"},
	{0},
};

static void nolock_plan(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng)
{
	(void)inst, (void)env, (void)rng;
}

static bool nolock_at(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, enum ic_site site)
{
	if (site != IC_SITE_LOCK || !ic_name_matches(ic_inj_str(inst, "at"), name))
		return false;
	if (!ic_inj_listed(inst, ctx, name, ic_rng_unit(ic_ctx_rng(ctx)) < ic_inj_num(inst, "p")))
		return false;
	ic_fired(ctx, inst, name);
	return true;
}

static void nolock_describe(const ic_inj_inst *inst, const ic_plan_env *env, char *buf, size_t size)
{
	(void)env;
	const char *at = ic_inj_str(inst, "at");
	snprintf(buf, size, "skip lock and unlock with p=%g at %s", ic_inj_num(inst, "p"),
		 at[0] ? at : "every lock site");
}

const ic_injector ic_injector_nolock = {
	.name = "nolock",
	.summary = "skip lock acquire/release at lock sites (a missing lock)",
	.params = nolock_params,
	.plan = nolock_plan,
	.at = nolock_at,
	.describe = nolock_describe,
	.skips_locks = true,
};
