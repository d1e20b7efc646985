/*
 * inject.c: injector specs ("kill:at=counter/locked,p=0.01") parsed against
 * each injector's parameter table, validated against the scenario, and
 * printed back whole for replay lines.
 */
#include "core/spec.h"
#include "role/sched.h"

#include <inttypes.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

bool ic_name_matches(const char *pattern, const char *name)
{
	return pattern[0] == '\0' || fnmatch(pattern, name, 0) == 0;
}

static int param_index(const ic_injector *inj, const char *key)
{
	for (int i = 0; inj->params[i].key; i++)
		if (strcmp(inj->params[i].key, key) == 0)
			return i;
	return -1;
}

double ic_inj_num(const ic_inj_inst *inst, const char *key)
{
	int i = param_index(inst->inj, key);
	return i < 0 ? 0 : inst->num[i];
}

uint64_t ic_inj_uint(const ic_inj_inst *inst, const char *key)
{
	int i = param_index(inst->inj, key);
	return i < 0 ? 0 : inst->whole[i];
}

const char *ic_inj_str(const ic_inj_inst *inst, const char *key)
{
	int i = param_index(inst->inj, key);
	return i < 0 ? "" : inst->str[i];
}

static const char *const *injector_names(void)
{
	static const char *names[16];
	unsigned i = 0;
	for (; ic_injectors[i] && i < 15; i++)
		names[i] = ic_injectors[i]->name;
	names[i] = NULL;
	return names;
}

/* "300us" or "300" for IC_P_USEC, "20ms" or "20" for IC_P_MSEC: the digits alone into buf. */
static const char *without_unit(const char *val, const char *unit, char *buf, size_t size)
{
	size_t n = strlen(val), u = strlen(unit);
	if (u == 0 || n <= u || strcmp(val + n - u, unit) != 0 || n - u >= size)
		return val;
	memcpy(buf, val, n - u);
	buf[n - u] = '\0';
	return buf;
}

/*
 * One parameter's value, read as its type says: probabilities as decimals,
 * counts and durations as exact whole numbers (a count stored as a double
 * would round 2^64-1 and never fire). "" is the default's "unset".
 */
static int set_value(ic_inj_inst *inst, int i, const char *val, char *err, size_t errsize)
{
	const ic_param *p = &inst->inj->params[i];
	char label[64], digits[IC_NAME], shown[IC_NAME + 2];
	int rc = 0;

	snprintf(label, sizeof(label), "%s:%s=", inst->inj->name, p->key);
	inst->num[i] = 0;
	inst->whole[i] = 0;
	if (strlen(val) >= sizeof(inst->str[i])) {
		snprintf(err, errsize, "%s%.40s...: too long (at most %zu characters)", label, val,
			 sizeof(inst->str[i]) - 1);
		return -1;
	}
	snprintf(inst->str[i], sizeof(inst->str[i]), "%s", val);
	if (!val[0])
		return 0; /* unset: the injector's own default behaviour */
	switch (p->type) {
	case IC_P_PROB:
		rc = ic_parse_real(label, val, 0, 1, &inst->num[i], err, errsize);
		break;
	case IC_P_USEC:
		rc = ic_parse_u64(label, without_unit(val, "us", digits, sizeof(digits)), 0, 10000000,
				  &inst->whole[i], err, errsize);
		break;
	case IC_P_MSEC:
		rc = ic_parse_u64(label, without_unit(val, "ms", digits, sizeof(digits)), 0, 10000,
				  &inst->whole[i], err, errsize);
		break;
	case IC_P_COUNT:
		rc = ic_parse_u64(label, val, 1, UINT64_MAX, &inst->whole[i], err, errsize);
		break;
	case IC_P_POINT:
	case IC_P_SITE:
	case IC_P_PROC:
		break;
	}
	/* The message names what was typed, unit and all. */
	bool usec = p->type == IC_P_USEC;
	if (rc != 0 && (usec || p->type == IC_P_MSEC))
		snprintf(err, errsize, "%s%s: expected a whole number of %s from 0 to %s (the unit %s is optional)",
			 label, ic_shown(val, shown, sizeof(shown)), usec ? "microseconds" : "milliseconds",
			 usec ? "10000000" : "10000", usec ? "us" : "ms");
	return rc;
}

int ic_inj_parse(ic_inj_inst *inst, const char *spec, char *err, size_t errsize)
{
	char buf[256], names[256], *args;
	ic_list kvs;
	unsigned given = 0;

	memset(inst, 0, sizeof(*inst));
	if (ic_spec_split(spec, buf, sizeof(buf), &args, "injector", err, errsize) != 0)
		return -1;
	inst->inj = ic_injector_find(buf);
	if (!inst->inj) {
		ic_join_names(names, sizeof(names), injector_names(), sizeof(char *));
		snprintf(err, errsize, "unknown injector '%s' (valid: %s)", buf, names);
		return -1;
	}
	for (int i = 0; inst->inj->params[i].key; i++)
		if (set_value(inst, i, inst->inj->params[i].def, err, errsize) != 0)
			return -1;
	/* "kill:" and "delay:p=0.1," are typos, not the defaults. */
	if (!args)
		return 0;
	if (ic_parse_list(&kvs, "injector", spec, args, ',', err, errsize) != 0)
		return -1;
	for (unsigned k = 0; k < kvs.n; k++) {
		char *kv = kvs.item[k], *eq = strchr(kv, '=');
		if (eq)
			*eq = '\0';
		int i = param_index(inst->inj, kv);
		if (i < 0 || !eq || !eq[1]) {
			ic_join_names(names, sizeof(names), &inst->inj->params[0].key, sizeof(ic_param));
			snprintf(err, errsize, "%s key '%s' for injector %s (valid: %s; as key=value)",
				 i < 0 ? "unknown" : "no value for", kv, inst->inj->name, names);
			return -1;
		}
		if (given & (1u << i)) {
			snprintf(err, errsize, "%s given twice for injector %s", kv, inst->inj->name);
			return -1;
		}
		given |= 1u << i;
		if (set_value(inst, i, eq + 1, err, errsize) != 0)
			return -1;
	}
	return 0;
}

/*
 * An injector whose glob matches nothing the scenario declares can never act
 * on it, whatever the seed: refused, because a run that passes would read as
 * if the fault had happened. That holds for a default glob too (nolock on a
 * scenario without lock sites, fail on one without wrapped calls).
 */
static int check_names(const ic_inj_inst *inst, const ic_param *p, const char *pattern,
		       const char *const *names, const ic_scenario *sc, char *err, size_t errsize)
{
	const char *kind = p->type == IC_P_POINT ? "point" : "lock site";
	for (unsigned i = 0; names && names[i]; i++)
		if (ic_name_matches(pattern, names[i]))
			return 0;
	char list[512] = "none";
	if (names && names[0])
		ic_join_names(list, sizeof(list), names, sizeof(char *));
	if (strcmp(pattern, p->def) != 0)
		snprintf(err, errsize, "%s:%s=%s matches no %s of %s (valid: %s)", inst->inj->name, p->key,
			 pattern, kind, sc->name, list);
	else if (!pattern[0])
		snprintf(err, errsize, "%s never acts on %s: it declares no %s", inst->inj->name, sc->name, kind);
	else
		snprintf(err, errsize, "%s never acts on %s: no %s of it matches %s=%s (its %ss: %s)",
			 inst->inj->name, sc->name, kind, p->key, pattern, kind, list);
	return -1;
}

int ic_inj_validate(const ic_inj_inst *inst, const ic_scenario *sc, char *err, size_t errsize)
{
	for (int i = 0; inst->inj->params[i].key; i++) {
		const ic_param *p = &inst->inj->params[i];
		if (p->type == IC_P_POINT &&
		    check_names(inst, p, inst->str[i], sc->points, sc, err, errsize) != 0)
			return -1;
		if (p->type == IC_P_SITE &&
		    check_names(inst, p, inst->str[i], sc->lock_sites, sc, err, errsize) != 0)
			return -1;
	}
	return 0;
}

/* p=0 where p is the only trigger (not kill's or stall's "0 = planned", not fail's with nth=). */
static bool never_by_chance(const ic_inj_inst *inst)
{
	int p = param_index(inst->inj, "p");
	return p >= 0 && inst->str[p][0] && inst->num[p] == 0 && strcmp(inst->inj->params[p].def, "0") != 0 &&
	       !ic_inj_str(inst, "nth")[0];
}

bool ic_inj_warning(const ic_inj_inst *inst, uint64_t ops, unsigned nprocs, char *buf, size_t size)
{
	char spec[256];
	ic_inj_format(inst, spec, sizeof(spec));
	if (never_by_chance(inst)) {
		snprintf(buf, size, "%s never acts: its probability p is 0", spec);
		return true;
	}
	/*
	 * A process passes a point about once per op, a consumer once per message
	 * of every producer: a planned hit past ops x processes can only be reached
	 * by retries, so most likely never. Not an error: retries do happen.
	 */
	const char *hit = ic_inj_str(inst, "hit");
	uint64_t reach = ops * nprocs;
	if (hit[0] && ic_inj_num(inst, "p") == 0 && ic_inj_uint(inst, "hit") > reach) {
		snprintf(buf, size,
			 "%s may never act: hit %s is past --ops %" PRIu64 " x %u processes, about the most "
			 "passes a point gets",
			 spec, hit, ops, nprocs);
		return true;
	}
	return false;
}

void ic_inj_format(const ic_inj_inst *inst, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "%s", inst->inj->name);
	char sep = ':';
	for (int i = 0; inst->inj->params[i].key && len < size; i++) {
		if (!inst->str[i][0])
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%c%s=%s", sep, inst->inj->params[i].key,
					inst->str[i]);
		sep = ',';
	}
}

const char *const *ic_role_points(const ic_scenario *sc, unsigned role)
{
	static const char *const producer[] = {"produce/begin", "produce/sent", NULL};
	static const char *const consumer[] = {"consume/begin", "consume/received", NULL};
	if (sc->role_points && sc->role_points[role])
		return sc->role_points[role];
	if (sc->roles[role].body == ic_channel_producer)
		return producer;
	return sc->roles[role].body == ic_channel_consumer ? consumer : NULL;
}

/* Does process i pass a point that `at` matches, as far as its role says? */
static bool passes(const ic_plan_env *env, unsigned i, const char *at)
{
	const char *const *points = env->proc_points ? env->proc_points[i] : NULL;
	for (unsigned k = 0; points && points[k]; k++)
		if (ic_name_matches(at, points[k]))
			return true;
	return false;
}

/*
 * The victim: with at=, among the processes known to pass that point (a
 * victim that never gets there wastes the seed); else, or when none is
 * known to, among all. One draw either way: the rest of the plan stays put.
 */
static uint64_t draw_victim(const ic_plan_env *env, const char *at, ic_rng *rng)
{
	unsigned eligible[IC_MAX_PROCS], n = 0;
	for (unsigned i = 0; at[0] && i < env->nprocs && i < IC_MAX_PROCS; i++)
		if (passes(env, i, at))
			eligible[n++] = i;
	if (n == 0)
		return ic_rng_below(rng, env->nprocs);
	return eligible[ic_rng_below(rng, n)];
}

void ic_plan_strike(ic_inj_inst *inst, const ic_plan_env *env, ic_rng *rng)
{
	const char *at = ic_inj_str(inst, "at");
	unsigned npoints = 0;
	while (env->points && env->points[npoints])
		npoints++;
	inst->plan.words[0] = draw_victim(env, at, rng);
	/* Each process passes each point about once per op: the hit lands inside the run. */
	inst->plan.words[1] = 1 + ic_rng_below(rng, env->ops ? env->ops : 1);
	if (ic_inj_str(inst, "hit")[0]) /* drawn all the same: the rest of the plan stays put */
		inst->plan.words[1] = ic_inj_uint(inst, "hit");
	const char *point = at[0] || npoints == 0 ? at : env->points[ic_rng_below(rng, npoints)];
	snprintf(IC_PLAN_POINT(inst), sizeof(inst->plan) - 3 * sizeof(uint64_t), "%s", point);
}

bool ic_strike_now(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, uint64_t *hit)
{
	uint64_t *hits = ic_inj_scratch(ctx, inst);
	double p = ic_inj_num(inst, "p");
	bool strike = false;
	*hit = hits[0];
	if (p > 0 && ic_name_matches(ic_inj_str(inst, "at"), name)) {
		*hit = ++hits[0];
		strike = ic_rng_unit(ic_ctx_rng(ctx)) < p;
	} else if (p <= 0 && ic_ctx_slot(ctx) == inst->plan.words[0] &&
		   ic_name_matches(IC_PLAN_POINT(inst), name)) {
		*hit = ++hits[0];
		strike = *hit == inst->plan.words[1];
	}
	return ic_inj_listed(inst, ctx, name, strike);
}

bool ic_inj_listed(const ic_inj_inst *inst, ic_ctx *ctx, const char *name, bool drawn)
{
	int listed = ic_sched_listed_fault(ctx, inst->index, name);
	return listed < 0 ? drawn : listed == 1;
}
