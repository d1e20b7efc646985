/*
 * audit_report.c: what an audited run left, for people (one screen: how it
 * ended, the processes still alive, the objects, many alike as one line,
 * who made each, what became of it, how to remove what is on the host, the
 * replay line last) and for machines (JSON, JUnit), from one result.
 */
#include "audit/audit_int.h"
#include "core/escape.h"
#include "internal.h"

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define GROUP_MIN 4      /* this many alike objects make one line */
#define GROUP_EXAMPLES 3

/* An object that counts: isolated, all; on the host, what the program made or what no one can tell. */
static bool counts(const audit_obj *x)
{
	return x->by_program || x->creator == 0 || x->creator_gone;
}

static void end_text(const ic_audit_opts *o, const audit_result *r, char *buf, size_t size)
{
	char how[96];
	if (WIFEXITED(r->status))
		snprintf(how, sizeof(how), "exited %d", WEXITSTATUS(r->status));
	else
		snprintf(how, sizeof(how), "died of %s", ic_signal_name(WTERMSIG(r->status)));
	switch (r->end) {
	case AUDIT_END_TIMEOUT:
		snprintf(buf, size, "timeout: still running at --timeout %gs, %s after %.2f s", o->timeout, how,
			 r->main_end);
		break;
	case AUDIT_END_PLANNED:
		snprintf(buf, size, "%s after %.2f s (signalled with %s at %.2f s as planned)", how, r->main_end,
			 ic_signal_name(o->sig), r->kill_at);
		break;
	case AUDIT_END_INTERRUPTED:
		snprintf(buf, size, "%s after %.2f s (the audit got %s and passed it on)", how, r->main_end,
			 ic_signal_name(r->interrupt_sig));
		break;
	default:
		snprintf(buf, size, "%s after %.2f s%s", how, r->main_end,
			 o->kill && !r->signalled ? " (before the planned signal)" : "");
		if (o->kill && !r->signalled)
			snprintf(buf + strlen(buf), size - strlen(buf), " at %.2f s", r->kill_at);
	}
}

static const char *when_left(const audit_result *r)
{
	switch (r->end) {
	case AUDIT_END_TIMEOUT:
		return "after the timeout killed it";
	case AUDIT_END_PLANNED:
		return "after the planned signal";
	case AUDIT_END_INTERRUPTED:
		return "after the audit was interrupted";
	}
	return "at its own exit";
}

static const char *fate_text(int fate)
{
	switch (fate) {
	case AUDIT_GONE:
		return "gone with the audit's namespace";
	case AUDIT_REMOVED:
		return "removed";
	case AUDIT_KEPT:
		return "left on the host (not known to be the program's: not removed)";
	}
	return "left on the host";
}

static void creator_text(const audit_obj *x, char *buf, size_t size)
{
	if (x->creator == 0)
		snprintf(buf, size, "creator unknown");
	else
		snprintf(buf, size, "made by pid %d: %s%s", (int)x->creator, x->creator_cmd,
			 x->by_program ? "" : x->creator_gone ? ", maybe the program's" : ", not the program's");
}

static void object_line(FILE *f, const audit_obj *x)
{
	audit_print_object(f, x, true);
}

void audit_print_object(FILE *f, const audit_obj *x, bool hints)
{
	char who[AUDIT_CMD_MAX + 64], hint[AUDIT_NAME_MAX + 64], name[AUDIT_NAME_MAX + 32];
	if (audit_kind_sysv(x->kind))
		snprintf(name, sizeof(name), "key 0x%08" PRIx32 " id %d", x->key, x->id);
	else
		snprintf(name, sizeof(name), "%s%s", x->name, x->cut ? "... (cut)" : "");
	creator_text(x, who, sizeof(who));
	/* Names and commands come from anyone: ic_line escapes them, one line an object. */
	ic_line(f, "  %-9s %-32s owner %u mode %04o size %lld; %s; %s", audit_kind_name(x->kind), name,
		(unsigned)x->owner, x->mode, x->size, who, fate_text(x->fate));
	if (hints && (x->fate == AUDIT_LEFT || x->fate == AUDIT_KEPT))
		ic_line(f, "    remove with: %s", audit_remove_hint(x, hint, sizeof(hint)));
}

/* Alike: same kind, owner, mode, fate, and made by the same command (a loop of ipcmk is one maker). */
static bool alike(const audit_obj *a, const audit_obj *b)
{
	return a->kind == b->kind && a->owner == b->owner && a->mode == b->mode && (a->creator == 0) == (b->creator == 0) &&
	       strcmp(a->creator_cmd, b->creator_cmd) == 0 && a->fate == b->fate && a->by_program == b->by_program;
}

/* Many alike objects (a program that leaves 1,000 queues): one line, then a few of them. */
static void group_lines(FILE *f, const audit_objs *objs, unsigned first, bool *done)
{
	const audit_obj *x = &objs->v[first];
	unsigned count = 0;
	uint32_t lo = UINT32_MAX, hi = 0;
	for (unsigned j = first; j < objs->n; j++)
		if (!done[j] && alike(x, &objs->v[j])) {
			count++;
			lo = objs->v[j].key < lo ? objs->v[j].key : lo;
			hi = objs->v[j].key > hi ? objs->v[j].key : hi;
		}
	if (count < GROUP_MIN) {
		for (unsigned j = first; j < objs->n; j++)
			if (!done[j] && alike(x, &objs->v[j]))
				object_line(f, &objs->v[j]), done[j] = true;
		return;
	}
	char who[AUDIT_CMD_MAX + 64], keys[64] = "";
	bool one_maker = true;
	for (unsigned j = first; j < objs->n; j++)
		if (!done[j] && alike(x, &objs->v[j]))
			one_maker = one_maker && objs->v[j].creator == x->creator;
	creator_text(x, who, sizeof(who));
	if (!one_maker) /* "made by pid 12 (and others of the same command): ipcmk -Q" */
		snprintf(who, sizeof(who), "made by pid %d and others, each: %s", (int)x->creator, x->creator_cmd);
	if (audit_kind_sysv(x->kind))
		snprintf(keys, sizeof(keys), " keys 0x%08" PRIx32 "..0x%08" PRIx32, lo, hi);
	ic_line(f, "  %-9s %u of them%s owner %u mode %04o; %s; %s; %u examples:", audit_kind_name(x->kind), count, keys,
		(unsigned)x->owner, x->mode, who, fate_text(x->fate), GROUP_EXAMPLES);
	unsigned shown = 0;
	for (unsigned j = first; j < objs->n; j++)
		if (!done[j] && alike(x, &objs->v[j])) {
			if (shown++ < GROUP_EXAMPLES)
				object_line(f, &objs->v[j]);
			done[j] = true;
		}
}

static void print_objects(FILE *f, const audit_objs *objs, bool counted)
{
	bool *done = calloc(objs->n ? objs->n : 1, sizeof(bool));
	if (!done)
		return;
	for (unsigned i = 0; i < objs->n; i++)
		done[i] = counts(&objs->v[i]) != counted;
	for (unsigned i = 0; i < objs->n; i++)
		if (!done[i])
			group_lines(f, objs, i, done);
	free(done);
}

static void print_processes(FILE *f, const ic_audit_opts *o, const audit_result *r)
{
	for (unsigned i = 0; i < r->nprocs; i++)
		ic_line(f, "  process   pid %-6d state %c age %.2f s: %s", (int)r->procs[i].pid, r->procs[i].state,
			r->procs[i].age, r->procs[i].cmd);
	if (r->nprocs_total > r->nprocs)
		ic_line(f, "  ... and %u more processes", r->nprocs_total - r->nprocs);
	ic_line(f, "    then: %s to each%s", ic_signal_name(o->sig),
		r->killed_tree ? ", and SIGKILL to what was left after the grace" : "");
}

void audit_replay_line(FILE *f, const ic_audit_opts *o, uint64_t seed)
{
	fprintf(f, "ipchaos audit");
	if (o->kill)
		fprintf(f, " --kill-after %gs..%gs --signal %s --grace %gs", o->kill_lo, o->kill_hi,
			ic_signal_name(o->sig) + 3, o->grace);
	fprintf(f, " --timeout %gs --seed 0x%" PRIx64, o->timeout, seed);
	/* Quoted as a shell reads them back, control bytes escaped inside $'...': still one line. */
	for (unsigned i = 0; i < o->npaths; i++) {
		fprintf(f, " --paths ");
		ic_shell_word(f, o->paths_given[i]);
	}
	if (o->no_isolate)
		fprintf(f, " --no-isolate");
	fprintf(f, " --");
	for (char **a = o->cmd; *a; a++) {
		fputc(' ', f);
		ic_shell_word(f, *a);
	}
}

static unsigned counted_objects(const audit_objs *left)
{
	unsigned n = 0;
	for (unsigned i = 0; i < left->n; i++)
		n += counts(&left->v[i]);
	return n;
}

void audit_print_seed(FILE *f, const ic_audit_opts *o, const audit_seed *s, bool isolated)
{
	const audit_result *r = &s->res;
	char end[256];
	(void)isolated;
	if (r->failure) {
		ic_line(f, "seed 0x%" PRIx64 ": BROKEN: could not %s: %s", s->seed, r->failed_step, strerror(r->failure));
		return;
	}
	end_text(o, r, end, sizeof(end));
	unsigned nobj = counted_objects(&s->left);
	if (!s->leaked) {
		ic_line(f, "seed 0x%" PRIx64 ": %s; nothing left", s->seed, end);
	} else {
		char what[96] = "";
		if (r->nprocs_total)
			snprintf(what, sizeof(what), "%u process%s%s", r->nprocs_total, r->nprocs_total == 1 ? "" : "es",
				 nobj ? " and " : "");
		if (nobj)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%u object%s", nobj, nobj == 1 ? "" : "s");
		if (nobj || r->nprocs_total)
			ic_line(f, "seed 0x%" PRIx64 ": %s; left %s %s:", s->seed, end, what, when_left(r));
		else
			ic_line(f, "seed 0x%" PRIx64 ": %s; nothing else left", s->seed, end);
		if (r->nprocs_total)
			print_processes(f, o, r);
		print_objects(f, &s->left, true);
	}
	if (nobj < s->left.n) {
		ic_line(f, "  appeared meanwhile, made by other processes (not counted):");
		print_objects(f, &s->left, false);
	}
	if (s->leaked) {
		fprintf(f, "  replay: ");
		audit_replay_line(f, o, s->seed);
		fputc('\n', f);
	}
	fflush(f);
}

/* ---- JSON ---- */

static const char *end_name(int end)
{
	static const char *const names[] = {"exit", "planned-signal", "timeout", "interrupted"};
	return end >= 0 && end <= AUDIT_END_INTERRUPTED ? names[end] : "?";
}

static const char *fate_name(int fate)
{
	static const char *const names[] = {"gone", "left", "removed", "kept"};
	return fate >= 0 && fate <= AUDIT_KEPT ? names[fate] : "?";
}

static void json_object(FILE *f, const audit_obj *x)
{
	char hint[AUDIT_NAME_MAX + 64];
	fprintf(f, "{\"kind\": \"%s\", ", audit_kind_name(x->kind));
	if (audit_kind_sysv(x->kind))
		fprintf(f, "\"key\": \"0x%08" PRIx32 "\", \"id\": %d, ", x->key, x->id);
	else
		fprintf(f, "\"name\": "), ic_json_str(f, x->name), fprintf(f, ", \"name_cut\": %s, ", x->cut ? "true" : "false");
	fprintf(f, "\"owner\": %u, \"mode\": \"%04o\", \"size\": %lld, \"creator\": ", (unsigned)x->owner, x->mode,
		x->size);
	if (x->creator) {
		fprintf(f, "{\"pid\": %d, \"command\": ", (int)x->creator);
		ic_json_str(f, x->creator_cmd);
		fprintf(f, "}");
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ", \"by_program\": %s, \"counted\": %s, \"fate\": \"%s\", \"remove_with\": ",
		x->by_program ? "true" : "false", counts(x) ? "true" : "false", fate_name(x->fate));
	if (x->fate == AUDIT_LEFT || x->fate == AUDIT_KEPT)
		ic_json_str(f, audit_remove_hint(x, hint, sizeof(hint)));
	else
		fprintf(f, "null");
	fprintf(f, "}");
}

static void json_run(FILE *f, const ic_audit_opts *o, const audit_seed *s)
{
	const audit_result *r = &s->res;
	fprintf(f, "    {\"seed\": \"0x%" PRIx64 "\", ", s->seed);
	if (r->failure) {
		fprintf(f, "\"verdict\": \"broken\", \"error\": ");
		char msg[160];
		snprintf(msg, sizeof(msg), "could not %s: %s", r->failed_step, strerror(r->failure));
		ic_json_str(f, msg);
		fprintf(f, "}");
		return;
	}
	fprintf(f, "\"verdict\": \"%s\", \"end\": \"%s\", ", s->leaked ? "leaked" : "clean", end_name(r->end));
	if (WIFEXITED(r->status))
		fprintf(f, "\"exit_code\": %d, \"signal\": null, ", WEXITSTATUS(r->status));
	else
		fprintf(f, "\"exit_code\": null, \"signal\": \"%s\", ", ic_signal_name(WTERMSIG(r->status)));
	fprintf(f, "\"main_seconds\": %.3f, \"seconds\": %.3f, ", r->main_end, r->elapsed);
	if (o->kill)
		fprintf(f, "\"kill_at\": %.3f, \"signalled\": %s, ", r->kill_at, r->signalled ? "true" : "false");
	fprintf(f, "\"processes_left\": %u, \"processes\": [", r->nprocs_total);
	for (unsigned i = 0; i < r->nprocs; i++) {
		fprintf(f, "%s{\"pid\": %d, \"state\": \"%c\", \"age\": %.3f, \"command\": ", i ? ", " : "",
			(int)r->procs[i].pid, r->procs[i].state, r->procs[i].age);
		ic_json_str(f, r->procs[i].cmd);
		fprintf(f, "}");
	}
	fprintf(f, "], \"killed_after_grace\": %s, \"objects\": [", r->killed_tree ? "true" : "false");
	for (unsigned i = 0; i < s->left.n; i++) {
		fprintf(f, "%s\n      ", i ? "," : "");
		json_object(f, &s->left.v[i]);
	}
	fprintf(f, "], \"replay\": ");
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);
	if (m) {
		audit_replay_line(m, o, s->seed);
		fclose(m);
		ic_json_str(f, line ? line : "");
		free(line);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, "}");
}

void audit_write_json(FILE *f, const ic_audit_opts *o, const audit_seed *seeds, unsigned n, bool isolated)
{
	unsigned leaked = 0, broken = 0;
	fprintf(f, "{\n  \"format\": \"ipchaos-audit\",\n  \"format_version\": 1,\n  \"command\": [");
	for (char **a = o->cmd; *a; a++) {
		fprintf(f, "%s", a == o->cmd ? "" : ", ");
		ic_json_str(f, *a);
	}
	fprintf(f, "],\n  \"isolated\": %s,\n  \"creators\": ", isolated ? "true" : "false");
	ic_json_str(f, n ? seeds[0].res.watch : "");
	fprintf(f, ",\n  \"runs\": [\n");
	for (unsigned i = 0; i < n; i++) {
		json_run(f, o, &seeds[i]);
		fprintf(f, "%s\n", i + 1 < n ? "," : "");
		leaked += seeds[i].leaked;
		broken += seeds[i].res.failure != 0;
	}
	fprintf(f, "  ],\n  \"summary\": {\"runs\": %u, \"leaked\": %u, \"clean\": %u, \"broken\": %u}\n}\n", n, leaked,
		n - leaked - broken, broken);
}

/* ---- JUnit ---- */

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
			fprintf(f, "\\x%02x", *p); /* not allowed in XML 1.0 at all */
		else
			fputc(*p, f);
	}
}

void audit_write_junit(FILE *f, const ic_audit_opts *o, const audit_seed *seeds, unsigned n)
{
	unsigned failures = 0, errors = 0;
	double total = 0;
	for (unsigned i = 0; i < n; i++) {
		failures += seeds[i].leaked;
		errors += seeds[i].res.failure != 0;
		total += seeds[i].res.elapsed;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(f, "<testsuites tests=\"%u\" failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n", n, failures, errors, total);
	fprintf(f, "  <testsuite name=\"ipchaos audit\" tests=\"%u\" failures=\"%u\" errors=\"%u\" time=\"%.3f\">\n", n,
		failures, errors, total);
	for (unsigned i = 0; i < n; i++) {
		const audit_seed *s = &seeds[i];
		fprintf(f, "    <testcase classname=\"audit.");
		xml_text(f, o->cmd[0]);
		fprintf(f, "\" name=\"seed 0x%" PRIx64 "\" time=\"%.3f\">", s->seed, s->res.elapsed);
		if (s->res.failure || s->leaked) {
			char *text = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&text, &len);
			if (m) {
				audit_print_seed(m, o, s, true);
				fclose(m);
			}
			fprintf(f, "\n      <%s message=\"%s\">", s->res.failure ? "error" : "failure",
				s->res.failure ? "the audit could not run" : "left behind");
			xml_text(f, text ? text : "");
			fprintf(f, "</%s>\n    ", s->res.failure ? "error" : "failure");
			free(text);
		}
		fprintf(f, "</testcase>\n");
	}
	fprintf(f, "  </testsuite>\n</testsuites>\n");
}
