/*
 * report.c: the human report (evidence before opinion, replay line last) and
 * the JSON writer, both from the same run result.
 */
#include "campaign/report.h"
#include "core/escape.h"
#include "role/sched.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>


static void inject_text(const ic_run_cfg *cfg, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->ninj && len < size; i++) {
		char one[256];
		ic_inj_format(&cfg->inj[i], one, sizeof(one));
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? " " : "", one);
	}
	if (!cfg->ninj)
		snprintf(buf, size, "none");
}

/* Text of several lines, each as its own escaped line: a finding quotes object names anyone may choose. */
static void put_lines(FILE *out, const char *indent, const char *text)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		int len = end ? (int)(end - line) : (int)strlen(line);
		ic_line(out, "%s%.*s", indent, len, line);
		line = end ? end + 1 : NULL;
	}
}

void ic_report_view(FILE *out, const ic_run_view *v, unsigned replays, unsigned reproduced)
{
	ic_line(out, "%s seed 0x%" PRIx64 "  inject %s  (run %s, %.3f s)", v->spec, v->seed, v->inject, v->runid,
		v->seconds);
	if (v->broken)
		ic_line(out, "  BROKEN: %s", v->broken);
	for (unsigned i = 0; i < v->nfindings; i++) {
		const char *text = v->text[i];
		const char *nl = strchr(text, '\n');
		int first = nl ? (int)(nl - text) : (int)strlen(text);
		ic_line(out, "  FAIL %s: %.*s", v->checker[i], first, text);
		put_lines(out, "  ", nl ? nl + 1 : NULL); /* evidence lines, indented under the verdict */
	}
	put_lines(out, "", v->evidence);
	/* Not the program's doing, so not a finding; but a user reading "pass" should know. */
	for (unsigned i = 0; i < v->ninterference; i++) {
		char owner[32] = "owner unknown";
		if (v->interference_uid[i] >= 0)
			snprintf(owner, sizeof(owner), "uid %ld", v->interference_uid[i]);
		ic_line(out, "  interference: another user's object carries this run's id (%s): %s; not judged",
			owner, v->interference[i]);
	}
	if (v->kept[0]) {
		ic_line(out, "  kept for inspection: %s", v->kept);
		ic_line(out, "  remove with: ipchaos audit --remove-run %s", v->runid);
	}
	if (v->story && v->story[0])
		put_lines(out, "", v->story);
	if (v->trace && v->trace[0])
		ic_line(out, "  trace: %s", v->trace);
	if (replays)
		fprintf(out, "  reproduced %u/%u replays%s\n", reproduced, replays,
			v->controlled ? " (same verdict, same schedule)" : "");
	ic_line(out, "  replay: %s", v->replay);
}

void ic_report_run(FILE *out, const ic_run_cfg *cfg, const ic_run_result *res, unsigned replays,
		   unsigned reproduced)
{
	char spec[256], inj[512], replay[1024];
	ic_spec_text(cfg, spec, sizeof(spec));
	inject_text(cfg, inj, sizeof(inj));
	ic_spec_replay_line(cfg, replay, sizeof(replay));
	ic_run_view v = {.spec = spec, .inject = inj, .runid = res->runid, .seed = cfg->seed,
			 .seconds = res->seconds, .broken = res->status == IC_RUN_BROKEN ? res->broken : NULL,
			 .nfindings = res->nfindings, .evidence = res->evidence, .kept = res->kept,
			 .replay = replay, .controlled = res->schedule.mode == IC_MODE_CONTROLLED,
			 .story = res->story, .trace = res->trace};
	for (unsigned i = 0; i < res->nfindings; i++) {
		v.checker[i] = res->findings[i].checker;
		v.text[i] = res->findings[i].text;
	}
	for (unsigned i = 0; i < res->ninterference && i < IC_MAX_INTERFERENCE; i++) {
		v.interference[i] = res->interference[i].what;
		v.interference_uid[i] = res->interference[i].uid;
		v.ninterference++;
	}
	ic_report_view(out, &v, replays, reproduced);
}

void ic_report_summary(FILE *out, const ic_tally *t)
{
	fprintf(out,
		"summary: %" PRIu64 " runs, %" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64
		" broken, %.2f s, %.0f runs/s\n",
		t->runs, t->passed, t->failed, t->broken, t->seconds,
		t->seconds > 0 ? (double)t->runs / t->seconds : 0.0);
	if (t->messages && t->transfer_s > 0)
		fprintf(out,
			"messages: %" PRIu64 " received intact, %.0f msg/s, %.2f MB/s while moving"
			" (first send to last receive, logging included)\n",
			t->messages, (double)t->messages / t->transfer_s, (double)t->bytes / t->transfer_s / 1e6);
}

/* ---- JSON ---- */

/* JSON has no inf or nan: those are written as null. */
static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%g", v);
	else
		fputs("null", f);
}

static const char *sanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return "address,undefined";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return "address,undefined";
#endif
#endif
	return "none";
}

static void json_environment(FILE *f)
{
	static const char *const sysctls[][2] = {
		{"kernel.shmmax", "/proc/sys/kernel/shmmax"},
		{"kernel.shmall", "/proc/sys/kernel/shmall"},
		{"kernel.shmmni", "/proc/sys/kernel/shmmni"},
		{"kernel.msgmax", "/proc/sys/kernel/msgmax"},
		{"kernel.msgmnb", "/proc/sys/kernel/msgmnb"},
		{"kernel.sem", "/proc/sys/kernel/sem"},
		{"fs.mqueue.msg_max", "/proc/sys/fs/mqueue/msg_max"},
		{"fs.mqueue.msgsize_max", "/proc/sys/fs/mqueue/msgsize_max"},
		{"fs.mqueue.queues_max", "/proc/sys/fs/mqueue/queues_max"},
	};
	static const struct {
		const char *name;
		int resource;
	} limits[] = {{"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NOFILE", RLIMIT_NOFILE},
		      {"RLIMIT_NPROC", RLIMIT_NPROC}};
	struct utsname u;
	char value[128];
	uname(&u);
	fprintf(f, "\"environment\":{\"version\":\"%s\",\"kernel\":", IC_VERSION);
	ic_json_str(f, u.release);
	fprintf(f, ",\"machine\":");
	ic_json_str(f, u.machine);
	fprintf(f, ",\"cores\":%ld,\"sanitizer\":\"%s\",\"timeout_factor\":", sysconf(_SC_NPROCESSORS_ONLN),
		sanitizer());
	json_num(f, ic_timeout_factor());
	fprintf(f, ",\"sysctl\":{");
	for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		ic_read_first_line(sysctls[i][1], value, sizeof(value)); /* "" when this kernel has none */
		fprintf(f, "%s\"%s\":", i ? "," : "", sysctls[i][0]);
		ic_json_str(f, value);
	}
	fprintf(f, "},\"rlimit\":{");
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit rl;
		getrlimit(limits[i].resource, &rl);
		fprintf(f, "%s\"%s\":", i ? "," : "", limits[i].name);
		if (rl.rlim_cur == RLIM_INFINITY)
			fprintf(f, "\"unlimited\"");
		else
			fprintf(f, "%llu", (unsigned long long)rl.rlim_cur);
	}
	fprintf(f, "}}");
}

void ic_json_value(FILE *f, const ic_jval *v)
{
	switch (v->type) {
	case IC_JNULL:
		fputs("null", f);
		break;
	case IC_JFALSE:
		fputs("false", f);
		break;
	case IC_JTRUE:
		fputs("true", f);
		break;
	case IC_JNUMBER:
		fputs(v->str, f); /* as it was written: 64-bit integers stay exact */
		break;
	case IC_JSTRING:
		ic_json_str(f, v->str);
		break;
	case IC_JARRAY:
	case IC_JOBJECT:
		fputc(v->type == IC_JARRAY ? '[' : '{', f);
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				fputc(',', f);
			if (v->type == IC_JOBJECT) {
				ic_json_str(f, v->keys[i]);
				fputc(':', f);
			}
			ic_json_value(f, &v->items[i]);
		}
		fputc(v->type == IC_JARRAY ? ']' : '}', f);
		break;
	}
}

int ic_json_open_env(ic_json *j, ic_outfile *out, const char *mode_name, const ic_jval *environment)
{
	j->first = true;
	j->f = NULL;
	if (!out || !out->path)
		return 0;
	/* The descriptor opened (and checked) with the arguments: CLOEXEC, so not inherited by roles' exec. */
	if (!(j->f = ic_outfile_stream(out)))
		return -1;
	fprintf(j->f, "{\"format\":\"ipchaos-results\",\"format_version\":1,\"mode\":\"%s\",", mode_name);
	if (environment) {
		fprintf(j->f, "\"environment\":");
		ic_json_value(j->f, environment);
	} else {
		json_environment(j->f);
	}
	fprintf(j->f, ",\n\"runs\":[");
	return 0;
}

int ic_json_open(ic_json *j, ic_outfile *out, const char *mode_name)
{
	return ic_json_open_env(j, out, mode_name, NULL);
}

void ic_json_run_value(ic_json *j, const ic_jval *run)
{
	if (!j->f)
		return;
	fprintf(j->f, "%s\n", j->first ? "" : ",");
	j->first = false;
	ic_json_value(j->f, run);
}

/* "mode", and for a controlled run how it was scheduled: equal hashes, equal schedules. */
static void json_schedule(FILE *f, const ic_schedule *s, const char *file)
{
	if (s->mode != IC_MODE_CONTROLLED) {
		fprintf(f, ",\"mode\":\"chaos\"");
		return;
	}
	fprintf(f,
		",\"mode\":\"controlled\",\"schedule\":{\"strategy\":\"%s\",\"n\":%u,\"depth\":%u,\"k\":%" PRIu64
		",\"bound\":%.6g,\"steps\":%" PRIu64 ",\"switches\":%" PRIu64 ",\"preemptions\":%" PRIu64
		",\"timeouts\":%" PRIu64 ",\"decisions\":%" PRIu64 ",\"hash\":\"%016" PRIx64 "\"",
		ic_strategy_name(s->strategy), s->n, s->depth, s->k,
		ic_sched_bound(s->n, s->k, s->depth), s->steps, s->switches, s->preemptions, s->timeouts,
		s->decisions, s->hash);
	if (s->strategy == IC_STRATEGY_LIST && file) {
		fprintf(f, ",\"file\":");
		ic_json_str(f, file);
	}
	fputc('}', f);
}

/* Which planned faults happened: every injector of the run with how often it fired (0: never). */
static void json_fired(FILE *f, const ic_run_cfg *cfg, const ic_run_result *res)
{
	char inj[256];
	fprintf(f, ",\"fired\":[");
	for (unsigned i = 0; i < cfg->ninj && i < IC_MAX_INJ; i++) {
		ic_inj_format(&cfg->inj[i], inj, sizeof(inj));
		fprintf(f, "%s{\"injector\":", i ? "," : "");
		ic_json_str(f, inj);
		fprintf(f, ",\"count\":%" PRIu64 "}", res->fired[i]);
	}
	fputc(']', f);
}

void ic_fired_text(const ic_run_cfg *cfg, const ic_run_result *res, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->ninj && i < IC_MAX_INJ && len < size; i++) {
		const char *name = cfg->inj[i].inj->name, *sep = i ? ", " : "";
		if (res->fired[i])
			len += (size_t)snprintf(buf + len, size - len, "%s%s x%" PRIu64, sep, name, res->fired[i]);
		else
			len += (size_t)snprintf(buf + len, size - len, "%s%s never", sep, name);
	}
}

void ic_json_run(ic_json *j, const ic_run_cfg *cfg, const ic_run_result *res, const char *expected)
{
	if (!j->f)
		return;
	FILE *f = j->f;
	char spec[256], inj[256], replay[1024];
	ic_spec_text(cfg, spec, sizeof(spec));
	ic_spec_replay_line(cfg, replay, sizeof(replay));
	fprintf(f, "%s\n{\"scenario\":", j->first ? "" : ",");
	j->first = false;
	ic_json_str(f, cfg->sc->name);
	fprintf(f, ",\"spec\":");
	ic_json_str(f, spec);
	fprintf(f, ",\"inject\":[");
	for (unsigned i = 0; i < cfg->ninj; i++) {
		ic_inj_format(&cfg->inj[i], inj, sizeof(inj));
		fprintf(f, "%s", i ? "," : "");
		ic_json_str(f, inj);
	}
	fprintf(f, "],\"procs\":\"");
	for (unsigned r = 0; r < cfg->nroles; r++)
		fprintf(f, "%s%u", r ? ":" : "", cfg->counts[r]);
	fprintf(f, "\",\"ops\":%" PRIu64 ",\"timeout\":%g", cfg->ops, cfg->timeout_s);
	fprintf(f, ",\"seed\":\"0x%" PRIx64 "\",\"run_id\":\"%s\",\"verdict\":", cfg->seed, res->runid);
	ic_json_str(f, ic_run_verdict(res));
	if (expected) {
		fprintf(f, ",\"expected\":");
		ic_json_str(f, expected);
	}
	json_schedule(f, &res->schedule, cfg->schedule);
	if (cfg->detect_races) /* a case of its own in merge, as in run */
		fprintf(f, ",\"detect\":\"races\"");
	fprintf(f, ",\"seconds\":%.6f,\"recoveries\":%" PRIu64 ",\"messages\":%" PRIu64
		   ",\"bytes\":%" PRIu64 ",\"findings\":[",
		res->seconds, res->recoveries, res->messages, res->bytes);
	for (unsigned i = 0; i < res->nfindings; i++) {
		fprintf(f, "%s{\"checker\":", i ? "," : "");
		ic_json_str(f, res->findings[i].checker);
		fprintf(f, ",\"text\":");
		ic_json_str(f, res->findings[i].text);
		fputc('}', f);
	}
	fprintf(f, "]");
	json_fired(f, cfg, res);
	if (res->ninterference) {
		fprintf(f, ",\"interference\":[");
		for (unsigned i = 0; i < res->ninterference && i < IC_MAX_INTERFERENCE; i++) {
			fprintf(f, "%s{\"object\":", i ? "," : "");
			ic_json_str(f, res->interference[i].what);
			fprintf(f, ",\"uid\":");
			if (res->interference[i].uid >= 0)
				fprintf(f, "%ld}", res->interference[i].uid);
			else
				fprintf(f, "null}");
		}
		fprintf(f, "]");
	}
	if (res->status == IC_RUN_BROKEN) {
		fprintf(f, ",\"broken\":");
		ic_json_str(f, res->broken);
	}
	if (res->status != IC_RUN_PASS) {
		fprintf(f, ",\"evidence\":");
		ic_json_str(f, res->evidence);
	}
	if (res->story[0]) { /* --story: the table as printed */
		fprintf(f, ",\"story\":");
		ic_json_str(f, res->story);
	}
	if (res->trace[0]) { /* --trace: the file written, or why it could not be */
		fprintf(f, ",\"trace\":");
		ic_json_str(f, res->trace);
	}
	fprintf(f, ",\"replay\":");
	ic_json_str(f, replay);
	fputc('}', f);
}

int ic_json_close(ic_json *j, const ic_tally *t, int exit_code)
{
	if (!j->f)
		return 0;
	fprintf(j->f,
		"\n],\n\"summary\":{\"runs\":%" PRIu64 ",\"passed\":%" PRIu64 ",\"failed\":%" PRIu64
		",\"broken\":%" PRIu64 ",\"seconds\":%.6f,\"exit\":%d}}\n",
		t->runs, t->passed, t->failed, t->broken, t->seconds, exit_code);
	/* A results file CI trusts must not be silently short: report any failed write. */
	int failed = ferror(j->f);
	failed |= fclose(j->f) != 0;
	j->f = NULL;
	return failed ? -1 : 0;
}
