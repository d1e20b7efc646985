/*
 * merge.c: `ipchaos merge FILE...`: the JSON results of shards (run --shard
 * I/N, or run --all --shard I/N) into the one result an unsharded run would
 * have written: the same format, runs in a fixed order (spec, injectors,
 * procs, ops, expectation, seed), the summary recounted, JUnit XML built by
 * the same writer from the same cases, and the exit code run would have had.
 *
 * The rules, all decided before anything is written:
 * - every input is an "ipchaos-results" file of format_version 1 with the
 *   fields run writes, else exit 2 naming the file and what is wrong;
 * - all inputs have one mode ("run" or "all"), else exit 2;
 * - shards are disjoint: one run (spec, injectors, procs, ops, expectation,
 *   seed) in two inputs means the inputs are wrong, exit 2 naming it;
 * - inputs from other ipchaos versions or environments still merge, with a
 *   one-line warning; the output keeps the first file's environment.
 * Exit: 1 if a run failed (mode "all": an expectation was missed, decided
 * from the runs as run --all decides it), else 3 if a run was broken or an
 * input itself ended in 3, 130 or 143 (a failure or an interruption its runs do
 * not show), else 0.
 */
#include "campaign/merge.h"
#include "campaign/cases.h"
#include "campaign/report.h"
#include "core/args.h"
#include "core/escape.h"
#include "core/outfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* An input larger than this is refused unread, whatever it is (/dev/zero would be read forever): a
 * passing run takes about 350 bytes of JSON, so this holds some 750,000 runs, and their tree in memory
 * is several times the text. A larger sweep is sharded into more files. */

typedef struct mrun {
	const ic_jval *v; /* the run object, owned by its file's tree */
	unsigned file;    /* which input */
	size_t index;     /* which of its runs */
	const char *scenario, *spec, *procs, *expected, *verdict, *replay, *broken, *evidence, *runid;
	char *inject; /* the injectors joined by spaces, "" for none (malloc'd) */
	bool controlled; /* "mode": "controlled": a case of its own beside the same spec in chaos */
	bool races;      /* "detect": "races": a case of its own too */
	uint64_t ops, seed, messages, bytes;
	double seconds;
	enum ic_run_status status;
	const ic_jval *findings; /* an array of {checker, text}, checked */
} mrun;

enum { OUT_JSON, OUT_JUNIT, OUT_FILES };

typedef struct merge {
	const char *json, *junit;
	ic_outfile out[OUT_FILES]; /* --json, --junit: opened once the inputs are known good */
	const char **paths;
	unsigned npaths;
	ic_jval *docs;      /* one tree per path */
	const char *mode;   /* "run" or "all", the same in every input */
	mrun *runs;
	size_t nruns, cap;
	bool incomplete;    /* an input recorded exit 3, 130 or 143 */
	unsigned met, missed;
	ic_tally t;
	ic_cases cases;
} merge;

/* ---- the command line ---- */

static int parse_args(merge *m, int argc, char **argv, char *err, size_t errsize)
{
	bool files_only = false;
	for (int i = 0; i < argc; i++) {
		bool missing = false;
		const char *v;
		if (files_only || argv[i][0] != '-')
			m->paths[m->npaths++] = argv[i];
		else if (strcmp(argv[i], "--") == 0)
			files_only = true;
		else if ((v = ic_arg_opt("--json", argc, argv, &i, &missing)))
			m->json = v;
		else if ((v = ic_arg_opt("--junit", argc, argv, &i, &missing)))
			m->junit = v;
		else {
			if (missing)
				snprintf(err, errsize, "%s needs a file name", argv[i]);
			else
				snprintf(err, errsize, "unknown option %s (valid: --json FILE, --junit FILE, --help)", argv[i]);
			return -1;
		}
	}
	if (!m->npaths) {
		snprintf(err, errsize, "no results files to merge (usage: ipchaos merge FILE... [--json OUT] [--junit OUT])");
		return -1;
	}
	m->out[OUT_JSON] = IC_OUTFILE("--json");
	m->out[OUT_JSON].path = m->json;
	m->out[OUT_JUNIT] = IC_OUTFILE("--junit");
	m->out[OUT_JUNIT].path = m->junit;
	return 0;
}

/* ---- reading the inputs ---- */

/* A value as an error message shows it: short, and never raw binary. */
static const char *describe(const ic_jval *v, char *buf, size_t size)
{
	static const char *const names[] = {"null", "false", "true", "a number", "a string", "an array", "an object"};
	if (!v)
		return "missing";
	if (v->type == IC_JSTRING)
		snprintf(buf, size, "\"%.60s\"", v->str); /* control bytes are escaped where it is printed */
	else if (v->type == IC_JNUMBER)
		snprintf(buf, size, "%.40s", v->str);
	else
		snprintf(buf, size, "%s", names[v->type]);
	return buf;
}

static int bad_field(const char *key, const ic_jval *v, const char *want, char *err, size_t errsize)
{
	char buf[96];
	snprintf(err, errsize, "\"%s\" is %s, expected %s", key, describe(v, buf, sizeof(buf)), want);
	return -1;
}

static int get_str(const ic_jval *obj, const char *key, bool required, const char **out, char *err, size_t errsize)
{
	const ic_jval *v = ic_jget(obj, key);
	*out = NULL;
	if (!v && !required)
		return 0;
	if (!v || v->type != IC_JSTRING)
		return bad_field(key, v, "a string", err, errsize);
	*out = v->str;
	return 0;
}

/* A count: a non-negative integer that fits 64 bits. */
static int get_count(const ic_jval *obj, const char *key, bool required, uint64_t *out, char *err, size_t errsize)
{
	const ic_jval *v = ic_jget(obj, key);
	*out = 0;
	if (!v && !required)
		return 0;
	if (!v || v->type != IC_JNUMBER || ic_parse_u64("", v->str, 0, UINT64_MAX, out, NULL, 0) != 0)
		return bad_field(key, v, "an integer from 0 to 2^64-1", err, errsize);
	return 0;
}

static int get_seconds(const ic_jval *obj, const char *key, double *out, char *err, size_t errsize)
{
	const ic_jval *v = ic_jget(obj, key);
	if (!v || v->type != IC_JNUMBER || v->num < 0)
		return bad_field(key, v, "a number of seconds", err, errsize);
	*out = v->num;
	return 0;
}

/* "0x2a", as run writes seeds. */
static int get_seed(const ic_jval *obj, uint64_t *seed, char *err, size_t errsize)
{
	const ic_jval *v = ic_jget(obj, "seed");
	const char *s = v && v->type == IC_JSTRING ? v->str : "";
	if (strncmp(s, "0x", 2) != 0 || ic_parse_seed("", s, seed, NULL, 0) != 0)
		return bad_field("seed", v, "a string like \"0x2a\"", err, errsize);
	return 0;
}

static int get_inject(const ic_jval *obj, char **out, char *err, size_t errsize)
{
	const ic_jval *v = ic_jget(obj, "inject");
	size_t len = 1;
	if (!v || v->type != IC_JARRAY)
		return bad_field("inject", v, "an array of strings", err, errsize);
	for (size_t i = 0; i < v->n; i++) {
		if (v->items[i].type != IC_JSTRING)
			return bad_field("inject", v, "an array of strings", err, errsize);
		len += strlen(v->items[i].str) + 1;
	}
	if (!(*out = malloc(len))) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	(*out)[0] = '\0';
	for (size_t i = 0; i < v->n; i++) {
		if (i)
			strcat(*out, " ");
		strcat(*out, v->items[i].str);
	}
	return 0;
}

static int get_findings(const ic_jval *obj, const ic_jval **out, char *err, size_t errsize)
{
	const ic_jval *v = ic_jget(obj, "findings");
	if (!v || v->type != IC_JARRAY)
		return bad_field("findings", v, "an array", err, errsize);
	for (size_t i = 0; i < v->n; i++)
		if (!ic_jget_str(&v->items[i], "checker") || !ic_jget_str(&v->items[i], "text"))
			return bad_field("findings", &v->items[i], "objects with \"checker\" and \"text\" strings", err,
					 errsize);
	*out = v;
	return 0;
}

static int run_fields(mrun *r, const ic_jval *v, bool all, char *err, size_t errsize)
{
	if (v->type != IC_JOBJECT)
		return bad_field("run", v, "an object", err, errsize);
	if (get_str(v, "scenario", true, &r->scenario, err, errsize) || get_str(v, "spec", true, &r->spec, err, errsize) ||
	    get_str(v, "procs", true, &r->procs, err, errsize) || get_str(v, "verdict", true, &r->verdict, err, errsize) ||
	    get_str(v, "replay", true, &r->replay, err, errsize) ||
	    get_str(v, "expected", all, &r->expected, err, errsize) ||
	    get_str(v, "broken", false, &r->broken, err, errsize) ||
	    get_str(v, "evidence", false, &r->evidence, err, errsize) ||
	    get_str(v, "run_id", false, &r->runid, err, errsize) || get_count(v, "ops", true, &r->ops, err, errsize) ||
	    get_count(v, "messages", false, &r->messages, err, errsize) ||
	    get_count(v, "bytes", false, &r->bytes, err, errsize) || get_seed(v, &r->seed, err, errsize) ||
	    get_seconds(v, "seconds", &r->seconds, err, errsize) || get_findings(v, &r->findings, err, errsize) ||
	    get_inject(v, &r->inject, err, errsize))
		return -1;
	const char *mode;
	if (get_str(v, "mode", false, &mode, err, errsize))
		return -1;
	if (mode && strcmp(mode, "chaos") != 0 && strcmp(mode, "controlled") != 0)
		return bad_field("mode", ic_jget(v, "mode"), "\"chaos\" or \"controlled\"", err, errsize);
	r->controlled = mode && strcmp(mode, "controlled") == 0;
	const char *detect;
	if (get_str(v, "detect", false, &detect, err, errsize))
		return -1;
	if (detect && strcmp(detect, "races") != 0)
		return bad_field("detect", ic_jget(v, "detect"), "\"races\"", err, errsize);
	r->races = detect != NULL;
	r->status = strcmp(r->verdict, "pass") == 0 ? IC_RUN_PASS
		  : strcmp(r->verdict, "broken") == 0 ? IC_RUN_BROKEN : IC_RUN_FAIL;
	/* What the reports quote: a failure's first finding, a broken run's reason. */
	if (r->status == IC_RUN_FAIL && !r->findings->n) {
		snprintf(err, errsize, "verdict \"%.40s\" but no findings (a failed run has one)", r->verdict);
		return -1;
	}
	if (r->status == IC_RUN_BROKEN && !r->broken)
		return bad_field("broken", NULL, "the reason for verdict \"broken\"", err, errsize);
	return 0;
}

static int add_run(merge *m, unsigned file, size_t index, const ic_jval *v, char *err, size_t errsize)
{
	char why[400];
	if (m->nruns == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 256;
		mrun *runs = realloc(m->runs, cap * sizeof(*runs));
		if (!runs) {
			snprintf(err, errsize, "out of memory");
			return -1;
		}
		m->runs = runs;
		m->cap = cap;
	}
	mrun *r = &m->runs[m->nruns];
	memset(r, 0, sizeof(*r));
	r->v = v;
	r->file = file;
	r->index = index;
	if (run_fields(r, v, strcmp(m->mode, "all") == 0, why, sizeof(why)) != 0) {
		free(r->inject);
		snprintf(err, errsize, "runs[%zu]: %s", index, why);
		return -1;
	}
	m->nruns++;
	return 0;
}

/* The top level of one input, and its runs into m->runs. */
static int take_file(merge *m, unsigned f, char *err, size_t errsize)
{
	const ic_jval *d = &m->docs[f], *v;
	const char *mode;
	char buf[96];
	if (d->type != IC_JOBJECT)
		return bad_field("the top level", d, "an object (an ipchaos results file)", err, errsize);
	v = ic_jget(d, "format");
	if (!v || v->type != IC_JSTRING || strcmp(v->str, "ipchaos-results") != 0) {
		snprintf(err, errsize, "not an ipchaos results file: \"format\" is %s, expected \"ipchaos-results\"",
			 describe(v, buf, sizeof(buf)));
		return -1;
	}
	v = ic_jget(d, "format_version");
	if (!v || v->type != IC_JNUMBER || v->num != 1)
		return bad_field("format_version", v, "1 (the version this ipchaos reads)", err, errsize);
	v = ic_jget(d, "mode");
	mode = v && v->type == IC_JSTRING ? v->str : "";
	if (strcmp(mode, "run") != 0 && strcmp(mode, "all") != 0)
		return bad_field("mode", v, "\"run\" or \"all\"", err, errsize);
	if (m->mode && strcmp(mode, m->mode) != 0) {
		snprintf(err, errsize, "mode \"%s\", but %s has mode \"%s\" (results of run and run --all do not merge)",
			 mode, m->paths[0], m->mode);
		return -1;
	}
	m->mode = mode;
	v = ic_jget(d, "environment");
	if (!v || v->type != IC_JOBJECT || !ic_jget_str(v, "version"))
		return bad_field("environment", v, "an object with a \"version\"", err, errsize);
	const ic_jval *summary = ic_jget(d, "summary");
	uint64_t code = 0;
	double seconds = 0;
	if (!summary || summary->type != IC_JOBJECT)
		return bad_field("summary", summary, "an object", err, errsize);
	if (get_count(summary, "exit", true, &code, err, errsize) != 0 ||
	    get_seconds(summary, "seconds", &seconds, err, errsize) != 0)
		return -1;
	m->t.seconds += seconds;
	bool interrupted = code == IC_EXIT_INTERRUPTED || code == IC_EXIT_TERMINATED; /* SIGINT, SIGTERM */
	if (interrupted)
		ic_line(stderr, "ipchaos merge: warning: %s: that run was interrupted (exit %d): its results are incomplete",
			m->paths[f], (int)code);
	m->incomplete |= code == IC_EXIT_BROKEN || interrupted;
	const ic_jval *runs = ic_jget(d, "runs");
	if (!runs || runs->type != IC_JARRAY)
		return bad_field("runs", runs, "an array", err, errsize);
	for (size_t i = 0; i < runs->n; i++)
		if (add_run(m, f, i, &runs->items[i], err, errsize) != 0)
			return -1;
	return 0;
}

static int load(merge *m)
{
	char err[512];
	for (unsigned f = 0; f < m->npaths; f++) {
		char *text = NULL;
		size_t len = 0;
		ic_jerr jerr;
		if (ic_jread_file(m->paths[f], &text, &len, err, sizeof(err)) != 0) {
			ic_line(stderr, "ipchaos merge: %s: %s", m->paths[f], err);
			return -1;
		}
		int parsed = ic_jparse(text, len, &m->docs[f], &jerr);
		free(text);
		if (parsed != 0) {
			ic_line(stderr, "ipchaos merge: %s: offset %zu: %s", m->paths[f], jerr.offset, jerr.what);
			return -1;
		}
		if (take_file(m, f, err, sizeof(err)) != 0) {
			ic_line(stderr, "ipchaos merge: %s: %s", m->paths[f], err);
			return -1;
		}
	}
	return 0;
}

/* ---- order, overlap, environments ---- */

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* The runs of one case (one sweep, or one expectation) compare equal. */
static int cmp_case(const mrun *a, const mrun *b)
{
	int c;
	if ((c = strcmp(a->spec, b->spec)) || (c = strcmp(a->inject, b->inject)) || (c = strcmp(a->procs, b->procs)))
		return c;
	if (a->ops != b->ops)
		return a->ops < b->ops ? -1 : 1;
	if (a->controlled != b->controlled)
		return a->controlled ? 1 : -1;
	if (a->races != b->races)
		return a->races ? 1 : -1;
	return cmp_str(a->expected, b->expected);
}

static int cmp_run(const void *pa, const void *pb)
{
	const mrun *a = pa, *b = pb;
	int c = cmp_case(a, b);
	if (c)
		return c;
	if (a->seed != b->seed)
		return a->seed < b->seed ? -1 : 1;
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Sorted, the same run from two inputs sits side by side. One file may
 * hold a run twice (run A A): that is what was asked, not an overlap. */
static int check_overlap(const merge *m)
{
	for (size_t i = 1; i < m->nruns; i++) {
		const mrun *a = &m->runs[i - 1], *b = &m->runs[i];
		if (a->file == b->file || cmp_case(a, b) || a->seed != b->seed)
			continue;
		ic_line(stderr,
			"ipchaos merge: %s and %s both hold %s [%s]%s%s seed 0x%" PRIx64
			": shards must be disjoint (the same file twice, or different --shard counts?)",
			m->paths[a->file], m->paths[b->file], a->spec, a->inject[0] ? a->inject : "no injection",
			a->expected ? " -> " : "", a->expected ? a->expected : "", a->seed);
		return -1;
	}
	return 0;
}

static const ic_jval *environment(const merge *m, unsigned f)
{
	return ic_jget(&m->docs[f], "environment");
}

/* One line, however many inputs differ: the first difference and the count. */
static void warn_environments(const merge *m)
{
	const ic_jval *e0 = environment(m, 0), *e = NULL;
	unsigned differ = 0, first = 0;
	for (unsigned f = 1; f < m->npaths; f++)
		if (!ic_jequal(e0, environment(m, f)) && !differ++)
			first = f;
	if (!differ)
		return;
	e = environment(m, first);
	char keys[512] = "";
	size_t len = 0;
	for (unsigned side = 0; side < 2; side++) {
		const ic_jval *a = side ? e : e0, *b = side ? e0 : e;
		for (size_t i = 0; i < a->n && len < sizeof(keys); i++) {
			const ic_jval *other = ic_jget(b, a->keys[i]);
			if ((side && other) || (other && ic_jequal(&a->items[i], other)))
				continue; /* the same, or already named from the first side */
			if (strcmp(a->keys[i], "version") == 0 && other)
				len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%sversion %s vs %s", len ? ", " : "",
							ic_jget_str(e0, "version"), ic_jget_str(e, "version"));
			else
				len += (size_t)snprintf(keys + len, sizeof(keys) - len, "%s%s", len ? ", " : "", a->keys[i]);
		}
	}
	char more[64] = "";
	if (differ > 1)
		snprintf(more, sizeof(more), ", and %u more input%s differ", differ - 1, differ > 2 ? "s" : "");
	ic_line(stderr, "ipchaos merge: warning: %s and %s come from different environments (%s)%s; merged anyway, "
			"keeping %s's environment", m->paths[0], m->paths[first], keys, more, m->paths[0]);
}

/* ---- judging: cases, expectations, the report ---- */

/* A uid as the run wrote it (an integer, or null when unknown): -1 for anything else. */
static long uid_of(const ic_jval *uid)
{
	if (!uid || uid->type != IC_JNUMBER || uid->num < 0 || uid->num >= 4294967296.0)
		return -1;
	return (long)uid->num;
}

/* Optional, shown as the run showed it: entries that are not {object, uid} are passed over. */
static void view_interference(const mrun *r, ic_run_view *v)
{
	const ic_jval *in = ic_jget(r->v, "interference");
	for (size_t i = 0; in && in->type == IC_JARRAY && i < in->n; i++) {
		const char *object = ic_jget_str(&in->items[i], "object");
		if (!object || v->ninterference == IC_MAX_INTERFERENCE)
			continue;
		v->interference[v->ninterference] = object;
		v->interference_uid[v->ninterference++] = uid_of(ic_jget(&in->items[i], "uid"));
	}
}

static void run_view(const mrun *r, ic_run_view *v)
{
	memset(v, 0, sizeof(*v));
	v->spec = r->spec;
	v->inject = r->inject[0] ? r->inject : "none";
	v->runid = r->runid ? r->runid : "?";
	v->seed = r->seed;
	v->seconds = r->seconds;
	v->broken = r->status == IC_RUN_BROKEN ? r->broken : NULL;
	for (size_t i = 0; i < r->findings->n && i < IC_MAX_FINDINGS; i++) {
		v->checker[i] = ic_jget_str(&r->findings->items[i], "checker");
		v->text[i] = ic_jget_str(&r->findings->items[i], "text");
		v->nfindings++;
	}
	v->evidence = r->evidence ? r->evidence : "";
	v->kept = "";
	v->replay = r->replay;
	view_interference(r, v);
}

/* What the report says of a run that did not pass: verdict lines, replay line last. */
static void print_run(const mrun *r)
{
	/* Every string here was read from an input file: ic_line escapes it. */
	ic_line(stdout, "%s seed 0x%" PRIx64 "  inject %s", r->spec, r->seed, r->inject[0] ? r->inject : "none");
	if (r->status == IC_RUN_BROKEN)
		ic_line(stdout, "  BROKEN: %.*s", (int)strcspn(r->broken, "\n"), r->broken);
	for (size_t i = 0; i < r->findings->n; i++) {
		const char *text = ic_jget_str(&r->findings->items[i], "text");
		ic_line(stdout, "  FAIL %s: %.*s", ic_jget_str(&r->findings->items[i], "checker"),
			(int)strcspn(text, "\n"), text);
	}
	ic_line(stdout, "  replay: %s", r->replay);
}

/* A failing or broken run counted into its case as run would count it. */
static void case_run(ic_case *k, const mrun *r)
{
	ic_case_count(k, r->seed, r->seconds);
	if (r->status == IC_RUN_PASS || k->outcome != IC_CASE_PASS)
		return;
	ic_run_view v;
	char *detail = NULL;
	size_t size = 0;
	run_view(r, &v);
	FILE *f = open_memstream(&detail, &size);
	if (f) {
		ic_report_view(f, &v, 0, 0);
		fclose(f);
	}
	ic_case_failure(k, r->status == IC_RUN_BROKEN ? IC_CASE_ERROR : IC_CASE_FAIL, r->verdict,
			r->status == IC_RUN_BROKEN ? r->broken : v.text[0], r->seed, r->replay, detail);
}

static bool has_finding(const mrun *r, const char *checker)
{
	for (size_t i = 0; i < r->findings->n; i++)
		if (strcmp(ic_jget_str(&r->findings->items[i], "checker"), checker) == 0)
			return true;
	return false;
}

/* As run --all decides: seeds in order until the planted bug is found (met) or
 * a run ends otherwise than expected (missed); a "pass" needs every run to pass. */
static bool judge_expectation(ic_case *k, const mrun *g, size_t n)
{
	const char *inj = g->inject[0] ? g->inject : "no injection";
	bool want_pass = strcmp(g->expected, "pass") == 0;
	for (size_t i = 0; i < n; i++) {
		if (!want_pass && has_finding(&g[i], g->expected)) {
			ic_case_count(k, g[i].seed, g[i].seconds);
			return true;
		}
		case_run(k, &g[i]);
		if (g[i].status != IC_RUN_PASS) {
			ic_line(stdout, "  MISS  %s [%s] expected %s, got %s:", g->spec, inj, g->expected, g[i].verdict);
			print_run(&g[i]);
			return false;
		}
	}
	if (want_pass)
		return true;
	char why[512];
	snprintf(why, sizeof(why), "planted bug not found: expected %s within %zu seeds", g->expected, n);
	ic_case_fail(k, why);
	ic_line(stdout, "  MISS  %s [%s] %s", g->spec, inj, why);
	return false;
}

static int judge_case(merge *m, const mrun *g, size_t n)
{
	char spec[320]; /* named as run names it: a controlled case stands beside the chaos one */
	snprintf(spec, sizeof(spec), "%s%s%s", g->spec, g->controlled ? " (controlled)" : "",
		 g->races ? " (races)" : "");
	ic_case *k = ic_case_begin_named(&m->cases, g->scenario, spec, g->inject, g->expected);
	if (!k)
		return -1;
	if (strcmp(m->mode, "all") == 0) {
		bool met = judge_expectation(k, g, n);
		m->met += met;
		m->missed += !met;
	} else {
		for (size_t i = 0; i < n; i++) {
			case_run(k, &g[i]);
			if (g[i].status != IC_RUN_PASS)
				print_run(&g[i]);
		}
	}
	/* Runs of an expectation decided early still count, as in their own file. */
	for (size_t i = k->runs; i < n; i++)
		ic_case_count(k, g[i].seed, g[i].seconds);
	return 0;
}

static int judge(merge *m)
{
	for (size_t i = 0; i < m->nruns; i++) {
		const mrun *r = &m->runs[i];
		m->t.runs++;
		m->t.passed += r->status == IC_RUN_PASS;
		m->t.failed += r->status == IC_RUN_FAIL;
		m->t.broken += r->status == IC_RUN_BROKEN;
		m->t.messages += r->messages;
		m->t.bytes += r->bytes;
	}
	for (size_t i = 0, j; i < m->nruns; i = j) {
		for (j = i + 1; j < m->nruns && cmp_case(&m->runs[i], &m->runs[j]) == 0; j++)
			;
		if (judge_case(m, &m->runs[i], j - i) != 0)
			return -1;
	}
	return 0;
}

static int exit_code(const merge *m)
{
	bool all = strcmp(m->mode, "all") == 0;
	if (all ? m->missed > 0 : m->t.failed > 0)
		return IC_EXIT_FINDING;
	/* Under --all a broken run is a missed expectation, counted above. */
	return (!all && m->t.broken > 0) || m->incomplete ? IC_EXIT_BROKEN : IC_EXIT_OK;
}

/* ---- writing ---- */

static int write_json(merge *m, int code)
{
	ic_json j;
	if (ic_json_open_env(&j, &m->out[OUT_JSON], m->mode, environment(m, 0)) != 0) {
		ic_line(stderr, "ipchaos merge: cannot write %s: %s", m->json, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < m->nruns; i++)
		ic_json_run_value(&j, m->runs[i].v);
	if (ic_json_close(&j, &m->t, code) != 0) {
		ic_line(stderr, "ipchaos merge: writing %s failed: %s", m->json, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_outputs(merge *m, int code)
{
	int failed = 0;
	if (m->json)
		failed |= write_json(m, code);
	if (m->junit) {
		m->cases.version = ic_jget_str(environment(m, 0), "version");
		m->cases.kernel = ic_jget_str(environment(m, 0), "kernel");
		if (ic_junit_write(&m->cases, &m->out[OUT_JUNIT]) != 0) {
			ic_line(stderr, "ipchaos merge: writing %s failed: %s", m->junit, strerror(errno));
			failed = -1;
		}
	}
	return failed;
}

static int merge_all(merge *m)
{
	char err[1024];
	if (load(m) != 0)
		return IC_EXIT_USAGE;
	if (m->nruns > 1) /* shards with no runs hold none: qsort's base may not be NULL */
		qsort(m->runs, m->nruns, sizeof(*m->runs), cmp_run);
	if (check_overlap(m) != 0)
		return IC_EXIT_USAGE;
	/* The inputs are good: now the outputs, so that bad usage of either creates nothing. */
	if (ic_outfiles_open(m->out, OUT_FILES, err, sizeof(err)) != 0) {
		ic_line(stderr, "ipchaos merge: %s", err);
		return IC_EXIT_USAGE;
	}
	warn_environments(m);
	printf("merged %u file%s of mode \"%s\"\n", m->npaths, m->npaths == 1 ? "" : "s", m->mode);
	if (judge(m) != 0) {
		fprintf(stderr, "ipchaos merge: out of memory\n");
		return IC_EXIT_BROKEN;
	}
	ic_report_summary(stdout, &m->t);
	if (strcmp(m->mode, "all") == 0)
		printf("expectations: %u met, %u missed\n", m->met, m->missed);
	fflush(stdout);
	int code = exit_code(m);
	if (write_outputs(m, code) != 0 && code == IC_EXIT_OK)
		code = IC_EXIT_BROKEN;
	return code;
}

int ic_merge(int argc, char **argv)
{
	merge m;
	char err[1024];
	int code = IC_EXIT_USAGE;
	memset(&m, 0, sizeof(m));
	m.paths = calloc((size_t)argc + 1, sizeof(*m.paths));
	m.docs = calloc((size_t)argc + 1, sizeof(*m.docs));
	if (!m.paths || !m.docs) {
		fprintf(stderr, "ipchaos merge: out of memory\n");
		code = IC_EXIT_BROKEN;
	} else if (parse_args(&m, argc, argv, err, sizeof(err)) != 0) {
		ic_line(stderr, "ipchaos merge: %s", err);
	} else {
		code = merge_all(&m);
		ic_outfiles_abandon(m.out, OUT_FILES); /* none, unless judging ran out of memory */
	}
	for (size_t i = 0; i < m.nruns; i++)
		free(m.runs[i].inject);
	free(m.runs);
	for (unsigned f = 0; m.docs && f < m.npaths; f++)
		ic_jfree(&m.docs[f]);
	free(m.docs);
	free(m.paths);
	ic_cases_free(&m.cases);
	return code;
}
