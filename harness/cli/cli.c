/*
 * cli.c: `ipchaos` argument parsing. Every bad value is caught here, before any
 * run starts, with one line naming it and what would be valid.
 */
#include "cli/cli.h"
#include "core/under.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

const ic_scenario *ic_cli_find_scenario(const ic_opts *o, const char *name)
{
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		if (strcmp(ic_builtin_scenarios[i]->name, name) == 0)
			return ic_builtin_scenarios[i];
	for (unsigned i = 0; o->extra && o->extra[i]; i++)
		if (strcmp(o->extra[i]->name, name) == 0)
			return o->extra[i];
	return NULL;
}

static void scenario_names(const ic_opts *o, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? ", " : "",
					ic_builtin_scenarios[i]->name);
	for (unsigned i = 0; o->extra && o->extra[i]; i++)
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? ", " : "",
					o->extra[i]->name);
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

int ic_cli_parse_spec(const ic_opts *o, ic_run_cfg *cfg, const char *spec, char *err, size_t errsize)
{
	char buf[256], names[512], *args;
	if (ic_spec_split(spec, buf, sizeof(buf), &args, "scenario", err, errsize) != 0)
		return -1;
	cfg->sc = ic_cli_find_scenario(o, buf);
	if (!cfg->sc) {
		scenario_names(o, names, sizeof(names));
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
	unsigned given = 0;
	for (char *save = NULL, *kv = args ? strtok_r(args, ",", &save) : NULL; kv;
	     kv = strtok_r(NULL, ",", &save))
		if (set_variant(cfg, kv, &given, err, errsize) != 0)
			return -1;
	return 0;
}

int ic_cli_parse_procs(ic_run_cfg *cfg, const char *arg, char *err, size_t errsize)
{
	unsigned counts[IC_MAX_ROLES], n = 0, total = 0;
	const char *p = arg;
	while (n < IC_MAX_ROLES) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || errno || v < 1 || v > IC_MAX_PROCS || *p == '-' || (*end && *end != ':'))
			goto bad;
		counts[n++] = (unsigned)v;
		total += (unsigned)v;
		if (!*end)
			break;
		p = end + 1;
	}
	if (n != cfg->nroles || total > IC_MAX_PROCS)
		goto bad;
	memcpy(cfg->counts, counts, sizeof(counts));
	return 0;
bad:
	snprintf(err, errsize,
		 "--procs %s: %s needs %u count%s of 1 to %d processes%s, at most %d in all", arg,
		 cfg->sc->name, cfg->nroles, cfg->nroles == 1 ? "" : "s (P:C)", IC_MAX_PROCS,
		 cfg->nroles == 1 ? "" : " each", IC_MAX_PROCS);
	return -1;
}

int ic_cli_parse_seed(const char *arg, uint64_t *seed)
{
	char *end;
	if (!*arg || *arg == '-' || *arg == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 0);
	if (end == arg || *end || errno)
		return -1;
	*seed = v;
	return 0;
}

static int parse_count(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out,
		       char *err, size_t errsize)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	if (end == arg || *end || errno || *arg == '-' || v < min || v > max) {
		snprintf(err, errsize, "%s %s: expected a whole number from %" PRIu64 " to %" PRIu64, opt,
			 arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int ic_cli_check_writable(const char *opt, const char *path, char *err, size_t errsize)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errsize, "%s %s: is a directory (name a file to write)", opt, path);
			return -1;
		}
		if (access(path, W_OK) == 0)
			return 0;
	} else {
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", path);
		if (errno == ENOENT && access(dirname(copy), W_OK | X_OK) == 0)
			return 0;
	}
	snprintf(err, errsize, "%s %s: cannot write there (%s)", opt, path, strerror(errno));
	return -1;
}

int ic_cli_validate(const ic_run_cfg *cfg, char *err, size_t errsize)
{
	if (!cfg->sc->validate)
		return 0;
	ic_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = cfg;
	char why[512];
	if (!cfg->sc->validate(&ctx, why, sizeof(why)))
		return 0;
	char spec[256];
	ic_cli_spec_text(cfg, spec, sizeof(spec));
	snprintf(err, errsize, "%s: %s", spec, why);
	return -1;
}

static int parse_shard(const char *v, unsigned *index, unsigned *count)
{
	char *end;
	if (*v < '0' || *v > '9')
		return -1;
	unsigned long i = strtoul(v, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	unsigned long n = strtoul(end + 1, &end, 10);
	if (*end || n < 1 || n > 100000 || i >= n)
		return -1;
	*index = (unsigned)i;
	*count = (unsigned)n;
	return 0;
}

/* What a CI matrix (GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS) or an indexed job says. */
static int shard_from_env(ic_opts *o, unsigned shards, char *err, size_t errsize)
{
	const char *index = getenv("GTEST_SHARD_INDEX"), *total = getenv("GTEST_TOTAL_SHARDS");
	char spec[64];
	if (index && total) {
		snprintf(spec, sizeof(spec), "%s/%s", index, total);
		if (parse_shard(spec, &o->shard_index, &o->shard_count) != 0) {
			snprintf(err, errsize, "GTEST_SHARD_INDEX=%s GTEST_TOTAL_SHARDS=%s: expected 0 <= index < total",
				 index, total);
			return -1;
		}
		return 0;
	}
	if (!shards)
		return 0;
	index = getenv("JOB_COMPLETION_INDEX");
	snprintf(spec, sizeof(spec), "%s/%u", index ? index : "", shards);
	if (!index || parse_shard(spec, &o->shard_index, &o->shard_count) != 0) {
		snprintf(err, errsize, "--shards %u: JOB_COMPLETION_INDEX=%s is not an index below %u", shards,
			 index ? index : "(unset)", shards);
		return -1;
	}
	return 0;
}

/* Scenario-level settings that apply to every spec, checked once all are known. */
typedef struct run_flags {
	const char *inject[IC_MAX_INJ];
	unsigned ninject;
	const char *procs;
	const char *ops;
} run_flags;

static int resolve_run(ic_opts *o, ic_run_cfg *cfg, const run_flags *fl, char *err, size_t errsize)
{
	if (fl->procs && ic_cli_parse_procs(cfg, fl->procs, err, errsize) != 0)
		return -1;
	cfg->nprocs = 0;
	for (unsigned r = 0; r < cfg->nroles; r++)
		cfg->nprocs += cfg->counts[r];
	if (fl->ops && parse_count("--ops", fl->ops, 1, IC_MAX_OPS, &cfg->ops, err, errsize) != 0)
		return -1;
	cfg->ninj = fl->ninject;
	for (unsigned i = 0; i < fl->ninject; i++) {
		if (ic_inj_parse(&cfg->inj[i], fl->inject[i], err, errsize) != 0 ||
		    ic_inj_validate(&cfg->inj[i], cfg->sc, err, errsize) != 0)
			return -1;
		cfg->inj[i].index = i;
	}
	cfg->timeout_s = o->timeout;
	cfg->keep = o->keep;
	snprintf(cfg->runid, sizeof(cfg->runid), "%s", o->runid);
	cfg->under = o->under;
	if (o->under && ic_under_validate(o, cfg->sc, err, errsize) != 0)
		return -1;
	return ic_cli_validate(cfg, err, errsize);
}

const char *ic_cli_opt(const char *name, int argc, char **argv, int *i, bool *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* What a version string may hold: "0.1.0", "1.2.3-rc1+g1234abc". */
#define VERSION_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-~_"

int ic_cli_parse_run(ic_opts *o, int argc, char **argv, char *err, size_t errsize)
{
	run_flags fl = {0};
	const char *specs[IC_MAX_SPECS];
	unsigned nspecs = 0;
	const char *v;
	bool missing = false;
	uint64_t n;

	unsigned shards_env = 0;
	o->seed = 1;
	o->seeds = 1;
	o->timeout = IC_DEFAULT_TIMEOUT;
	o->shard_count = 1;
	o->jobs = 1;
	o->verbosity = IC_NORMAL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((v = ic_cli_opt("--inject", argc, argv, &i, &missing))) {
			if (fl.ninject == IC_MAX_INJ) {
				snprintf(err, errsize, "--inject %s: at most %d injectors", v, IC_MAX_INJ);
				return -1;
			}
			fl.inject[fl.ninject++] = v;
		} else if ((v = ic_cli_opt("--seed", argc, argv, &i, &missing))) {
			o->seed_random = strcmp(v, "random") == 0;
			if (!o->seed_random && ic_cli_parse_seed(v, &o->seed) != 0) {
				snprintf(err, errsize,
					 "--seed %s: expected a 64-bit number (decimal or 0x hex) or 'random'", v);
				return -1;
			}
		} else if ((v = ic_cli_opt("--seeds", argc, argv, &i, &missing))) {
			if (parse_count("--seeds", v, 1, 100000000, &o->seeds, err, errsize) != 0)
				return -1;
		} else if ((v = ic_cli_opt("--procs", argc, argv, &i, &missing))) {
			fl.procs = v;
		} else if ((v = ic_cli_opt("--ops", argc, argv, &i, &missing))) {
			fl.ops = v;
		} else if ((v = ic_cli_opt("--timeout", argc, argv, &i, &missing))) {
			char *end;
			o->timeout = strtod(v, &end);
			if (end == v || *end || !(o->timeout > 0 && o->timeout <= 86400)) {
				snprintf(err, errsize, "--timeout %s: expected seconds, more than 0 and at most 86400", v);
				return -1;
			}
		} else if ((v = ic_cli_opt("--replays", argc, argv, &i, &missing))) {
			if (parse_count("--replays", v, 0, 10000, &n, err, errsize) != 0)
				return -1;
			o->replays = (unsigned)n;
		} else if ((v = ic_cli_opt("--json", argc, argv, &i, &missing))) {
			if (ic_cli_check_writable("--json", v, err, errsize) != 0)
				return -1;
			o->json = v;
		} else if ((v = ic_cli_opt("--junit", argc, argv, &i, &missing))) {
			if (ic_cli_check_writable("--junit", v, err, errsize) != 0)
				return -1;
			o->junit = v;
		} else if ((v = ic_cli_opt("--shard", argc, argv, &i, &missing))) {
			if (parse_shard(v, &o->shard_index, &o->shard_count) != 0) {
				snprintf(err, errsize, "--shard %s: expected I/N with 0 <= I < N (the I-th of N slices)", v);
				return -1;
			}
		} else if ((v = ic_cli_opt("--shards", argc, argv, &i, &missing))) {
			if (parse_count("--shards", v, 1, 100000, &n, err, errsize) != 0)
				return -1;
			shards_env = (unsigned)n;
		} else if ((v = ic_cli_opt("--time-budget", argc, argv, &i, &missing))) {
			if ((o->time_budget = ic_parse_duration(v)) <= 0) {
				snprintf(err, errsize, "--time-budget %s: expected a duration (90s, 5m, 1h)", v);
				return -1;
			}
		} else if ((v = ic_cli_opt("--jobs", argc, argv, &i, &missing))) {
			if (parse_count("--jobs", v, 1, IC_MAX_JOBS, &n, err, errsize) != 0)
				return -1;
			o->jobs = (unsigned)n;
		} else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			o->verbosity = IC_QUIET;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			o->verbosity = IC_VERBOSE;
		} else if ((v = ic_cli_opt("--made-by", argc, argv, &i, &missing))) {
			if (strlen(v) >= sizeof(o->made_by) || strspn(v, VERSION_CHARS) != strlen(v)) {
				snprintf(err, errsize, "--made-by %.40s: expected an ipchaos version such as %s", v,
					 IC_VERSION);
				return -1;
			}
			snprintf(o->made_by, sizeof(o->made_by), "%s", v);
		} else if ((v = ic_cli_opt("--under", argc, argv, &i, &missing))) {
			if (ic_under_parse(v, &o->under, err, errsize) != 0)
				return -1;
		} else if (strcmp(a, "--tap") == 0) {
			o->tap = true;
		} else if ((v = ic_cli_opt("--run-id", argc, argv, &i, &missing))) {
			if (strlen(v) != 16 || strspn(v, "0123456789abcdef") != 16) {
				snprintf(err, errsize, "--run-id %s: expected 16 lowercase hex digits", v);
				return -1;
			}
			snprintf(o->runid, sizeof(o->runid), "%s", v);
		} else if (strcmp(a, "--all") == 0) {
			o->all = true;
		} else if (strcmp(a, "--keep-going") == 0) {
			o->keep_going = true;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = true;
		} else if (missing) {
			break;
		} else if (a[0] == '-') {
			snprintf(err, errsize,
				 "unknown option '%s' (valid: --all, --inject, --seed, --seeds, --procs, --ops, "
				 "--timeout, --replays, --json, --junit, --tap, --shard, --shards, --time-budget, "
				 "--jobs, --quiet, --verbose, --keep-going, --keep, --under; see ipchaos run --help)", a);
			return -1;
		} else if (nspecs == IC_MAX_SPECS) {
			snprintf(err, errsize, "%s: at most %d scenarios in one run", a, IC_MAX_SPECS);
			return -1;
		} else {
			specs[nspecs++] = a;
		}
		if (missing)
			break;
	}
	if (missing) {
		snprintf(err, errsize, "%s needs a value", argv[argc - 1]);
		return -1;
	}
	if (o->shard_count == 1 && shard_from_env(o, shards_env, err, errsize) != 0)
		return -1;
	if (o->jobs > 1 && o->runid[0]) {
		snprintf(err, errsize, "--run-id names one run: it does not go with --jobs %u", o->jobs);
		return -1;
	}
	/* Runs started ahead and then cancelled would be kept too, and never reported. */
	if (o->jobs > 1 && o->keep) {
		snprintf(err, errsize, "--keep leaves the reported run for inspection: it does not go with --jobs %u",
			 o->jobs);
		return -1;
	}
	if (o->all == (nspecs > 0)) {
		snprintf(err, errsize, o->all ? "--all runs every scenario: name none with it"
					      : "name a scenario to run, or --all (see ipchaos list)");
		return -1;
	}
	if (o->all && (fl.ninject || fl.procs || fl.ops)) {
		snprintf(err, errsize, "--all runs each variant with its declared injectors, processes and ops: "
				       "--inject, --procs and --ops do not apply");
		return -1;
	}
	if (o->all && o->under) {
		snprintf(err, errsize, "--all runs each variant as declared, natively: --under does not apply");
		return -1;
	}
	for (unsigned s = 0; s < nspecs; s++) {
		memset(&o->runs[s], 0, sizeof(o->runs[s]));
		if (ic_cli_parse_spec(o, &o->runs[s], specs[s], err, errsize) != 0 ||
		    resolve_run(o, &o->runs[s], &fl, err, errsize) != 0)
			return -1;
	}
	o->nruns = nspecs;
	if (o->seed_random && getrandom(&o->seed, sizeof(o->seed), 0) != (ssize_t)sizeof(o->seed)) {
		snprintf(err, errsize, "--seed random: no entropy available (%s)", strerror(errno));
		return -1;
	}
	return 0;
}

void ic_cli_spec_text(const ic_run_cfg *cfg, char *buf, size_t size)
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

const char *ic_program_name(void)
{
	return program_name;
}

void ic_cli_replay_line(const ic_run_cfg *cfg, char *buf, size_t size)
{
	char spec[256], inj[256];
	ic_cli_spec_text(cfg, spec, sizeof(spec));
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
	/* Another version may schedule the same seed differently: the replay says which made it. */
	if (len < size)
		snprintf(buf + len, size - len, " --made-by %s", IC_VERSION);
}
