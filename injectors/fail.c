/*
 * fail: a wrapped system call (ic_write, ic_mq_timedsend, ...) returns an
 * error that call can really return, picked by the seed; stream reads and
 * writes may instead transfer only part of the buffer. At the nth= matching
 * call of each process, or with probability p at each, and never twice in a
 * row for the same call, so a correct retry always gets through. EINTR and
 * EAGAIN must be retried by correct code; other errors fail that operation.
 * Finds code that assumes write() writes everything (short_write, no_framing).
 */
#include "../harness/internal.h"

#include <string.h>

static const ic_param fail_params[] = {
	{"p", IC_P_PROB, "0.02", "probability that a matching call fails"},
	{"nth", IC_P_COUNT, "", "instead of p: only the nth matching call of each process fails"},
	{"at", IC_P_POINT, "call/*", "only calls matching this glob (call/write, call/mq_send, ...)"},
	{"short", IC_P_PROB, "0.5", "for stream reads and writes: the share of failures that are short transfers"},
	{0},
};

static void fail_plan(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng)
{
	(void)inst, (void)env, (void)rng;
}

static bool fail_at(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, enum ic_site site)
{
	(void)inst, (void)ctx, (void)name, (void)site;
	return false;
}

static int fail_call(const ic_inj_inst *inst, ic_ctx *ctx, ic_call *call)
{
	if (!ic_name_matches(ic_inj_str(inst, "at"), call->name))
		return 0;
	uint64_t *scratch = ic_inj_scratch(ctx, inst); /* [0] matching calls, [1] last one failed */
	uint64_t n = ++scratch[0];
	bool again = scratch[1] == n - 1 && n > 1;
	const char *nth = ic_inj_str(inst, "nth");
	ic_rng *rng = ic_ctx_rng(ctx);
	bool fire = nth[0] ? n == ic_inj_uint(inst, "nth") : ic_rng_unit(rng) < ic_inj_num(inst, "p");
	if (!ic_inj_listed(inst, ctx, call->name, fire) || again)
		return 0;
	scratch[1] = n;
	ic_fired(ctx, inst, call->name);
	if (call->len && *call->len > 1 && ic_rng_unit(rng) < ic_inj_num(inst, "short")) {
		*call->len = 1 + ic_rng_below(rng, *call->len - 1); /* a short transfer, not an error */
		return 0;
	}
	return call->errors[ic_rng_below(rng, call->nerrors)];
}

static void fail_describe(const ic_inj_inst *inst, const ic_plan_env *env, char *buf, size_t size)
{
	(void)env;
	const char *nth = ic_inj_str(inst, "nth");
	if (nth[0])
		snprintf(buf, size, "call %s of each process matching %s fails", nth, ic_inj_str(inst, "at"));
	else
		snprintf(buf, size, "calls matching %s fail with p=%g (short transfers %g of those on streams)",
			 ic_inj_str(inst, "at"), ic_inj_num(inst, "p"), ic_inj_num(inst, "short"));
}

const ic_injector ic_injector_fail = {
	.name = "fail",
	.summary = "make wrapped IPC calls fail with an errno they can really return, or transfer short",
	.params = fail_params,
	.plan = fail_plan,
	.at = fail_at,
	.call = fail_call,
	.describe = fail_describe,
};
