/*
 * spec.c: the run spec. A run is named by its text, SCENARIO:KEY=VAL,... with
 * its processes, ops, seed and injectors; this parses it, checks it, and prints
 * it back, up to the replay line that reproduces the run. Every command that
 * names a run (run, bench, merge, a role started by exec) goes through here.
 */
#include "core/spec.h"
#include "core/escape.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

int ic_spec_split(const char *spec, char *buf, size_t size, char **args, const char *what,
		  char *err, size_t errsize)
{
	if (strlen(spec) >= size) {
		snprintf(err, errsize, "%s spec too long: %.40s...", what, spec);
		return -1;
	}
	snprintf(buf, size, "%s", spec);
	*args = strchr(buf, ':');
	if (*args)
		*(*args)++ = '\0';
	return 0;
}

void ic_join_names(char *buf, size_t size, const void *first, size_t stride)
{
	size_t len = 0;
	buf[0] = '\0';
	for (const char *const *n = first; *n; n = (const char *const *)((const char *)n + stride)) {
		int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *n);
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
}

const ic_scenario *ic_spec_find_scenario(const ic_scenario *const *extra, const char *name)
{
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		if (strcmp(ic_builtin_scenarios[i]->name, name) == 0)
			return ic_builtin_scenarios[i];
	for (unsigned i = 0; extra && extra[i]; i++)
		if (strcmp(extra[i]->name, name) == 0)
			return extra[i];
	return NULL;
}

static void scenario_names(const ic_scenario *const *extra, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? ", " : "",
					ic_builtin_scenarios[i]->name);
	for (unsigned i = 0; extra && extra[i]; i++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? ", " : "",
					extra[i]->name);
}

static int key_index(const ic_scenario *sc, const char *key)
{
	for (int i = 0; sc->keys && sc->keys[i].name; i++)
		if (strcmp(sc->keys[i].name, key) == 0)
			return i;
	return -1;
}

static int set_variant(ic_run_cfg *cfg, char *kv, unsigned *given, char *err, size_t errsize)
{
	const ic_scenario *sc = cfg->sc;
	char valid[512];
	char *eq = strchr(kv, '=');
	if (eq)
		*eq = '\0';
	int k = key_index(sc, kv);
	if (k < 0 || !eq) {
		valid[0] = '\0';
		if (sc->keys)
			ic_join_names(valid, sizeof(valid), &sc->keys[0].name, sizeof(ic_key));
		snprintf(err, errsize, "%s key '%s' for scenario %s (valid: %s; as key=value)",
			 k < 0 ? "unknown" : "no value for", kv, sc->name, valid[0] ? valid : "none");
		return -1;
	}
	if (*given & (1u << k)) {
		snprintf(err, errsize, "%s given twice for scenario %s", kv, sc->name);
		return -1;
	}
	*given |= 1u << k;
	if (!sc->keys[k].values) {
		const char *why = sc->keys[k].check ? sc->keys[k].check(eq + 1) : NULL;
		if (why || strlen(eq + 1) >= sizeof(cfg->variant[k])) {
			snprintf(err, errsize, "%s=%s for %s: expected %s", kv, eq + 1, sc->name,
				 why ? why : "a shorter value");
			return -1;
		}
		snprintf(cfg->variant[k], sizeof(cfg->variant[k]), "%s", eq + 1);
		return 0;
	}
	for (const char *const *v = sc->keys[k].values; *v; v++)
		if (strcmp(*v, eq + 1) == 0) {
			snprintf(cfg->variant[k], sizeof(cfg->variant[k]), "%s", *v);
			return 0;
		}
	ic_join_names(valid, sizeof(valid), sc->keys[k].values, sizeof(char *));
	snprintf(err, errsize, "%s=%s is not a variant of %s (valid %s: %s)", kv, eq + 1, sc->name, kv,
		 valid);
	return -1;
}

/* A user's scenario may declare more than the harness holds: refuse it before writing anything. */
static int check_descriptor(const ic_scenario *sc, char *err, size_t errsize)
{
	unsigned nkeys = 0, nroles = 0;
	while (sc->keys && sc->keys[nkeys].name)
		nkeys++;
	while (sc->roles && sc->roles[nroles].name)
		nroles++;
	if (nkeys > IC_MAX_KEYS || nroles == 0 || nroles > IC_MAX_ROLES) {
		snprintf(err, errsize, "scenario %s declares %u keys and %u roles (at most %d keys, 1 to %d roles)",
			 sc->name, nkeys, nroles, IC_MAX_KEYS, IC_MAX_ROLES);
		return -1;
	}
	return 0;
}

int ic_spec_parse(const ic_scenario *const *extra, ic_run_cfg *cfg, const char *spec, char *err, size_t errsize)
{
	char buf[256], names[512], *args;
	if (ic_spec_split(spec, buf, sizeof(buf), &args, "scenario", err, errsize) != 0)
		return -1;
	cfg->sc = ic_spec_find_scenario(extra, buf);
	if (!cfg->sc) {
		scenario_names(extra, names, sizeof(names));
		snprintf(err, errsize, "unknown scenario '%s' (valid: %s)", buf, names);
		return -1;
	}
	if (check_descriptor(cfg->sc, err, errsize) != 0)
		return -1;
	for (unsigned k = 0; cfg->sc->keys && cfg->sc->keys[k].name; k++)
		snprintf(cfg->variant[k], sizeof(cfg->variant[k]), "%s",
			 cfg->sc->keys[k].values ? cfg->sc->keys[k].values[0] : cfg->sc->keys[k].def);
	cfg->nroles = 0;
	for (; cfg->sc->roles[cfg->nroles].name; cfg->nroles++)
		cfg->counts[cfg->nroles] = cfg->sc->roles[cfg->nroles].default_count;
	cfg->ops = cfg->sc->default_ops;
	if (!args)
		return 0;
	/* "shm_counter:", "shm_counter:,," and "shm_counter:lock=mutex," are typos, not the defaults. */
	ic_list kvs;
	unsigned given = 0;
	if (ic_parse_list(&kvs, "scenario", spec, args, ',', err, errsize) != 0)
		return -1;
	for (unsigned i = 0; i < kvs.n; i++)
		if (set_variant(cfg, kvs.item[i], &given, err, errsize) != 0)
			return -1;
	return 0;
}

int ic_spec_parse_procs(ic_run_cfg *cfg, const char *arg, char *err, size_t errsize)
{
	unsigned counts[IC_MAX_ROLES], total = 0;
	char shown[64];
	ic_list l;
	if (ic_parse_list(&l, "", arg, arg, ':', NULL, 0) != 0 || l.n != cfg->nroles)
		goto bad;
	for (unsigned r = 0; r < l.n; r++) {
		uint64_t v;
		if (ic_parse_u64("", l.item[r], 1, IC_MAX_PROCS, &v, NULL, 0) != 0)
			goto bad;
		counts[r] = (unsigned)v;
		total += counts[r];
	}
	if (total > IC_MAX_PROCS)
		goto bad;
	memcpy(cfg->counts, counts, l.n * sizeof(counts[0]));
	return 0;
bad:
	snprintf(err, errsize,
		 "--procs %s: %s needs %u count%s of 1 to %d processes%s, at most %d in all",
		 ic_shown(arg, shown, sizeof(shown)),
		 cfg->sc->name, cfg->nroles, cfg->nroles == 1 ? "" : "s (P:C)", IC_MAX_PROCS,
		 cfg->nroles == 1 ? "" : " each", IC_MAX_PROCS);
	return -1;
}

/* Does the NULL-terminated list hold name? */
static bool listed(const char *const *names, const char *name)
{
	for (unsigned i = 0; names && names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/*
 * The producer/consumer loops' contract (ipchaos.h, ic_channel), checked
 * before anything runs: found by trial and error otherwise, as a false hang
 * or points that kill never draws.
 */
static int channel_contract(const ic_scenario *sc, char *err, size_t errsize)
{
	static const char *const loop_points[] = {IC_LOOP_POINTS, NULL};
	for (unsigned r = 0; sc->roles && sc->roles[r].name; r++) {
		const ic_role_desc *d = &sc->roles[r];
		bool producer = d->body == ic_channel_producer, consumer = d->body == ic_channel_consumer;
		if ((producer && r != 0) || (consumer && r != 1)) {
			snprintf(err, errsize,
				 "scenario %s: role %u (%s) runs ic_channel_%s, but the loops take role 0 as "
				 "the producers and role 1 as the consumers (valid: ic_channel_producer in role 0, "
				 "ic_channel_consumer in role 1)",
				 sc->name, r, d->name, producer ? "producer" : "consumer");
			return -1;
		}
	}
	if (!sc->channel)
		return 0;
	for (unsigned i = 0; loop_points[i]; i++)
		if (!listed(sc->points, loop_points[i])) {
			snprintf(err, errsize,
				 "scenario %s: its .points lack %s, which its channel's loops pass (valid: "
				 ".points listing IC_LOOP_POINTS and the channel's own)",
				 sc->name, loop_points[i]);
			return -1;
		}
	return 0;
}

int ic_spec_validate(const ic_run_cfg *cfg, char *err, size_t errsize)
{
	if (channel_contract(cfg->sc, err, errsize) != 0)
		return -1;
	if (!cfg->sc->validate)
		return 0;
	ic_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	char why[512];
	if (!cfg->sc->validate(&ctx, why, sizeof(why)))
		return 0;
	char spec[256];
	ic_spec_text(cfg, spec, sizeof(spec));
	snprintf(err, errsize, "%s: %s", spec, why);
	return -1;
}

void ic_spec_text(const ic_run_cfg *cfg, char *buf, size_t size)
{
	size_t len = (size_t)snprintf(buf, size, "%s", cfg->sc->name);
	for (unsigned k = 0; cfg->sc->keys && cfg->sc->keys[k].name && len < size; k++)
		len += (size_t)snprintf(buf + len, size - len, "%c%s=%s", k ? ',' : ':',
					cfg->sc->keys[k].name, cfg->variant[k]);
}

static const char *program_name = "ipchaos";

void ic_set_program_name(const char *argv0)
{
	if (argv0 && argv0[0])
		program_name = argv0;
}

const char *ic_strategy_name(int strategy)
{
	static const char *const names[] = {[IC_STRATEGY_PCT] = "pct", [IC_STRATEGY_RANDOM] = "random",
					    [IC_STRATEGY_LIST] = "list"};
	return strategy >= 0 && strategy <= IC_STRATEGY_LIST ? names[strategy] : "?";
}

const char *ic_program_name(void)
{
	return program_name;
}

void ic_spec_replay_line(const ic_run_cfg *cfg, char *buf, size_t size)
{
	char spec[256], inj[256];
	ic_spec_text(cfg, spec, sizeof(spec));
	size_t len = (size_t)snprintf(buf, size, "%s run %s", ic_program_name(), spec);
	for (unsigned i = 0; i < cfg->ninj && len < size; i++) {
		ic_inj_format(&cfg->inj[i], inj, sizeof(inj));
		len += (size_t)snprintf(buf + len, size - len, " --inject %s", inj);
	}
	if (len < size)
		len += (size_t)snprintf(buf + len, size - len, " --seed 0x%" PRIx64 " --procs ", cfg->seed);
	for (unsigned r = 0; r < cfg->nroles && len < size; r++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u", r ? ":" : "", cfg->counts[r]);
	if (len < size)
		len += (size_t)snprintf(buf + len, size - len, " --ops %" PRIu64, cfg->ops);
	if (cfg->timeout_s != IC_DEFAULT_TIMEOUT && len < size)
		len += (size_t)snprintf(buf + len, size - len, " --timeout %.17g", cfg->timeout_s);
	if (cfg->under && len < size)
		len += (size_t)snprintf(buf + len, size - len, " --under %s", cfg->under);
	/* A listed schedule is the whole schedule: the file says every choice that matters. */
	if (cfg->strategy == IC_STRATEGY_LIST && cfg->schedule && len < size) {
		char quoted[PATH_MAX + 64];
		ic_shell_quote(cfg->schedule, quoted, sizeof(quoted));
		len += (size_t)snprintf(buf + len, size - len, " --schedule %s", quoted);
	} else if (cfg->mode == IC_MODE_CONTROLLED && len < size) /* exactly only with the same scheduler and k */
		len += (size_t)snprintf(buf + len, size - len, " --mode controlled --strategy %s --depth %u --steps %" PRIu64,
					ic_strategy_name(cfg->strategy),
					cfg->depth ? cfg->depth : IC_DEFAULT_DEPTH, cfg->steps);
	if (cfg->check_determinism && len < size)
		len += (size_t)snprintf(buf + len, size - len, " --check-determinism");
	if (cfg->detect_races && len < size)
		len += (size_t)snprintf(buf + len, size - len, " --detect races");
	/* Another version may schedule the same seed differently: the replay says which made it. */
	if (len < size)
		snprintf(buf + len, size - len, " --made-by %s", IC_VERSION);
}
