/*
 * cases.c: JUnit XML (the common schema: properties at suite level only,
 * seed and replay in the failure text and system-out) and TAP 14.
 */
#include "campaign/cases.h"
#include "campaign/report.h"
#include "core/escape.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

ic_case *ic_case_begin_named(ic_cases *cs, const char *scenario, const char *spec, const char *inject,
			     const char *expected)
{
	if (cs->n == cs->cap) {
		unsigned cap = cs->cap ? 2 * cs->cap : 16;
		ic_case *v = realloc(cs->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		cs->v = v;
		cs->cap = cap;
	}
	ic_case *k = &cs->v[cs->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%.255s [%.255s]%s%.32s", spec, inject[0] ? inject : "no injection",
		 expected ? " -> " : "", expected ? expected : "");
	snprintf(k->classname, sizeof(k->classname), "%s", scenario);
	return k;
}

ic_case *ic_case_begin(ic_cases *cs, const ic_run_cfg *cfg, const char *expected)
{
	char spec[256], inj[256] = "", one[128];
	ic_spec_text(cfg, spec, sizeof(spec));
	if (cfg->mode == IC_MODE_CONTROLLED) /* a case of its own beside the same spec in chaos */
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), " (controlled)");
	if (cfg->detect_races) /* --detect races: its own case too */
		snprintf(spec + strlen(spec), sizeof(spec) - strlen(spec), " (races)");
	for (unsigned i = 0; i < cfg->ninj; i++) {
		ic_inj_format(&cfg->inj[i], one, sizeof(one));
		size_t len = strlen(inj);
		snprintf(inj + len, sizeof(inj) - len, "%s%s", i ? " " : "", one);
	}
	return ic_case_begin_named(cs, cfg->sc->name, spec, inj, expected);
}

void ic_case_count(ic_case *k, uint64_t seed, double seconds)
{
	if (!k->runs++)
		k->first_seed = seed;
	k->last_seed = seed;
	k->seconds += seconds;
}

void ic_case_failure(ic_case *k, int outcome, const char *verdict, const char *text, uint64_t seed,
		     const char *replay, char *detail)
{
	if (k->outcome != IC_CASE_PASS) {
		free(detail);
		return;
	}
	k->outcome = outcome;
	k->seed = seed;
	snprintf(k->message, sizeof(k->message), "%s: %.*s (seed 0x%" PRIx64 ")", verdict,
		 (int)strcspn(text, "\n"), text, seed);
	snprintf(k->replay, sizeof(k->replay), "%s", replay);
	k->detail = detail;
}

void ic_case_run(ic_case *k, const ic_run_cfg *cfg, const ic_run_result *res)
{
	ic_case_count(k, cfg->seed, res->seconds);
	if (res->status == IC_RUN_PASS || k->outcome != IC_CASE_PASS)
		return;
	char replay[1024], *detail = NULL;
	size_t size = 0;
	ic_spec_replay_line(cfg, replay, sizeof(replay));
	FILE *f = open_memstream(&detail, &size);
	if (f) {
		ic_report_run(f, cfg, res, 0, 0);
		fclose(f);
	}
	ic_case_failure(k, res->status == IC_RUN_BROKEN ? IC_CASE_ERROR : IC_CASE_FAIL, ic_run_verdict(res),
			res->status == IC_RUN_BROKEN ? res->broken : res->findings[0].text, cfg->seed, replay, detail);
}

void ic_case_fail(ic_case *k, const char *message)
{
	k->outcome = IC_CASE_FAIL;
	snprintf(k->message, sizeof(k->message), "%s", message);
}

/* A YAML double-quoted scalar: its escapes (\n, \e, \xNN) are ic_esc's, plus \" and \\. */
static void tap_yaml_line(FILE *f, const char *key, const char *value)
{
	fprintf(f, "  %s: \"", key);
	for (const char *p = value, *q; *p; p = q + (*q != '\0')) {
		q = p + strcspn(p, "\"\\");
		ic_esc_write(f, p, (size_t)(q - p));
		if (*q)
			fprintf(f, "\\%c", *q);
	}
	fprintf(f, "\"\n");
}

void ic_case_end(ic_cases *cs, ic_case *k)
{
	if (!cs->tap)
		return;
	fprintf(cs->tap, "%s %u - %s # %" PRIu64 " run%s\n", k->outcome == IC_CASE_PASS ? "ok" : "not ok", cs->n,
		k->name, k->runs, k->runs == 1 ? "" : "s");
	if (k->outcome != IC_CASE_PASS) {
		fprintf(cs->tap, "  ---\n");
		tap_yaml_line(cs->tap, "message", k->message);
		if (k->replay[0]) {
			fprintf(cs->tap, "  seed: \"0x%" PRIx64 "\"\n", k->seed);
			tap_yaml_line(cs->tap, "replay", k->replay);
		}
		fprintf(cs->tap, "  ...\n");
	}
	fflush(cs->tap);
}

void ic_tap_plan(const ic_cases *cs)
{
	if (cs->tap)
		fprintf(cs->tap, "1..%u\n", cs->n);
}

static void xml_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '<')
			fputs("&lt;", f);
		else if (*p == '>')
			fputs("&gt;", f);
		else if (*p == '&')
			fputs("&amp;", f);
		else if (*p == '"')
			fputs("&quot;", f);
		else if (*p < 0x20 && *p != '\n' && *p != '\t')
			fputc('?', f); /* XML 1.0 has no way to say these */
		else
			fputc(*p, f);
	}
}

static void junit_case(FILE *f, const ic_case *k)
{
	fprintf(f, "    <testcase classname=\"");
	xml_text(f, k->classname);
	fprintf(f, "\" name=\"");
	xml_text(f, k->name);
	fprintf(f, "\" time=\"%.3f\">\n", k->seconds);
	if (k->outcome != IC_CASE_PASS) {
		const char *tag = k->outcome == IC_CASE_ERROR ? "error" : "failure";
		fprintf(f, "      <%s message=\"", tag);
		xml_text(f, k->message);
		fprintf(f, "\" type=\"%.*s\">", (int)strcspn(k->message, ":"), k->message);
		xml_text(f, k->detail ? k->detail : k->message);
		fprintf(f, "</%s>\n", tag);
	}
	fprintf(f, "      <system-out>seeds 0x%" PRIx64 "..0x%" PRIx64 ", %" PRIu64 " run%s", k->first_seed,
		k->last_seed, k->runs, k->runs == 1 ? "" : "s");
	if (k->replay[0]) {
		fprintf(f, "\nfailing seed 0x%" PRIx64 "\nreplay: ", k->seed);
		xml_text(f, k->replay);
	}
	fprintf(f, "</system-out>\n    </testcase>\n");
}

int ic_junit_write(const ic_cases *cs, ic_outfile *out)
{
	FILE *f = ic_outfile_stream(out);
	if (!f)
		return -1;
	unsigned failures = 0, errors = 0;
	double seconds = 0;
	for (unsigned i = 0; i < cs->n; i++) {
		failures += cs->v[i].outcome == IC_CASE_FAIL;
		errors += cs->v[i].outcome == IC_CASE_ERROR;
		seconds += cs->v[i].seconds;
	}
	struct utsname u;
	uname(&u);
	const char *version = cs->version ? cs->version : IC_VERSION;
	const char *kernel = cs->kernel ? cs->kernel : u.release;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites name=\"ipchaos\" tests=\"%u\" failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n", cs->n,
		failures, errors, seconds);
	fprintf(f, "  <testsuite name=\"ipchaos\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"0\" time=\"%.3f\">\n",
		cs->n, failures, errors, seconds);
	fprintf(f, "    <properties>\n      <property name=\"version\" value=\"");
	xml_text(f, version);
	fprintf(f, "\"/>\n      <property name=\"kernel\" value=\"");
	xml_text(f, kernel);
	fprintf(f, "\"/>\n    </properties>\n");
	for (unsigned i = 0; i < cs->n; i++)
		junit_case(f, &cs->v[i]);
	fprintf(f, "  </testsuite>\n</testsuites>\n");
	int failed = ferror(f);
	failed |= fclose(f) != 0;
	return failed ? -1 : 0;
}

void ic_cases_free(ic_cases *cs)
{
	for (unsigned i = 0; i < cs->n; i++)
		free(cs->v[i].detail);
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}
