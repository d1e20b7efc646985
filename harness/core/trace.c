/*
 * trace.c: a run as Chrome Trace Event Format JSON (the JSON Object Format:
 * {"traceEvents": [...]}), which Perfetto (ui.perfetto.dev) and
 * chrome://tracing open. A track per process (its pid, named by
 * process_name/thread_name metadata); each operation a complete span ("X",
 * with dur) from invoke to ok or fail; points, faults and ends as instants
 * ("i"); locks held as spans on a track per lock. A span a kill (or the
 * run's end) cut short is closed there, with args.cut_short saying why. The
 * checker's evidence is an instant of its own and args.evidence on its row.
 * Time: chaos, microseconds from the first event (CLOCK_MONOTONIC reads);
 * controlled, the step number, rows within one step a tenth apart.
 */
#include "core/story.h"
#include "core/escape.h"
#include "role/sched.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Above any real pid (PID_MAX_LIMIT is 2^22): the locks' pseudo-process and its tracks. */
#define LOCKS_PID 4194305
#define LOCK_TID(id) (LOCKS_PID + 1 + (int)(id))

typedef struct writer {
	FILE *f;
	bool first;
	const ic_run_record *rec;
} writer;

static int pid_of(const ic_run_record *rec, unsigned proc)
{
	if (proc < rec->nprocs)
		return rec->procs[proc].pid > 0 ? (int)rec->procs[proc].pid : (int)proc + 1;
	return rec->supervisor > 0 ? (int)rec->supervisor : (int)rec->nprocs + 1;
}

/* One trace event's common fields; the caller adds the rest and the closing brace. */
static void begin(writer *w, const char *ph, int pid, int tid, double ts, const char *name, const char *cat)
{
	fprintf(w->f, "%s\n{\"ph\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"name\":", w->first ? "" : ",", ph, pid,
		tid, ts);
	w->first = false;
	ic_json_str(w->f, name);
	fprintf(w->f, ",\"cat\":\"%s\"", cat);
}

static void meta(writer *w, int pid, int tid, const char *what, const char *name)
{
	fprintf(w->f, "%s\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"ts\":0,\"name\":\"%s\",\"args\":{\"name\":",
		w->first ? "" : ",", pid, tid, what);
	w->first = false;
	ic_json_str(w->f, name);
	fputs("}}", w->f);
}

static void arg(FILE *f, bool *first, const char *key, const char *value)
{
	if (!value || !value[0])
		return;
	fprintf(f, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
	ic_json_str(f, value);
}

/* An instant on a process's track, with up to three args. */
static void instant(writer *w, int pid, double ts, const char *name, const char *cat, const char *k1,
		    const char *v1, const char *k2, const char *v2)
{
	begin(w, "i", pid, pid, ts, name, cat);
	fputs(",\"s\":\"t\",\"args\":{", w->f);
	bool first = true;
	arg(w->f, &first, k1, v1);
	arg(w->f, &first, k2, v2);
	fputs("}}", w->f);
}

/* An operation invoked and not yet completed, per process. */
typedef struct open_op {
	bool open;
	double ts;
	const ic_event *e;
	const char *mark;
} open_op;

static void value_of(const ic_run_record *rec, const ic_event *e, char *buf, size_t size)
{
	uint64_t p = e->a >> 48, seq = e->a & 0xffffffffffffull;
	const char *who = p < rec->nprocs ? rec->procs[p].label : "?";
	if (e->kind == IC_EV_FAIL)
		snprintf(buf, size, "%s", strerror((int)e->a));
	else if (e->op == IC_OP_SEND || (e->op == IC_OP_RECV && e->kind == IC_EV_OK))
		snprintf(buf, size, "%s#%" PRIu64, who, seq);
	else
		snprintf(buf, size, "%" PRIu64, e->a);
}

/* The span of an operation: invoke at o->ts to `end`; outcome "ok", "fail", or a cut_short reason. */
static void close_op(writer *w, int pid, open_op *o, double end, const ic_event *done, const char *cut,
		     const char *mark)
{
	char name[32], value[64], vdone[64];
	begin(w, "X", pid, pid, o->ts, ic_story_op(o->e->op, name, sizeof(name)), "op");
	fprintf(w->f, ",\"dur\":%.3f,\"args\":{", end > o->ts ? end - o->ts : 0);
	bool first = true;
	value_of(w->rec, o->e, value, sizeof(value));
	arg(w->f, &first, "invoked", value);
	if (done) {
		value_of(w->rec, done, vdone, sizeof(vdone));
		arg(w->f, &first, "outcome", done->kind == IC_EV_OK ? "ok" : "fail");
		arg(w->f, &first, "value", vdone);
	}
	arg(w->f, &first, "cut_short", cut);
	arg(w->f, &first, "evidence", o->mark ? o->mark : mark);
	fputs("}}", w->f);
	o->open = false;
}

/* A lock's hold by one process: 0 none, 1 at its lock step (maybe waiting), 2 held since `since`. */
typedef struct hold {
	int state;
	double since;
} hold;

static void close_hold(writer *w, unsigned lock, unsigned proc, hold *h, double end, const char *cut)
{
	char name[IC_NAME + 16];
	snprintf(name, sizeof(name), "held by %s", w->rec->procs[proc].label);
	begin(w, "X", LOCKS_PID, LOCK_TID(lock), h->since, name, "lock");
	fprintf(w->f, ",\"dur\":%.3f,\"args\":{", end > h->since ? end - h->since : 0);
	bool first = true;
	arg(w->f, &first, "lock", w->rec->locks[lock].site);
	arg(w->f, &first, "cut_short", cut);
	fputs("}}", w->f);
	h->state = 0;
}

typedef struct state {
	open_op ops[IC_MAX_PROCS + 1];
	hold holds[IC_MAX_LOCKS][IC_MAX_PROCS];
	uint32_t lock_id[IC_MAX_LOCKS], unlock_id[IC_MAX_LOCKS];
} state;

/* Controlled: the lock steps say when each lock was taken and released. */
static void track_locks(writer *w, state *s, const ic_story_row *row, double ts)
{
	const ic_run_record *rec = w->rec;
	if (row->proc >= rec->nprocs)
		return;
	for (unsigned l = 0; l < rec->nlocks; l++) {
		hold *h = &s->holds[l][row->proc];
		bool at_lock = row->kind == IC_ROW_DECISION && row->d->point == s->lock_id[l];
		if (h->state == 1 && !at_lock) /* past its lock step: it holds the lock now */
			*h = (hold){2, ts};
		if (at_lock && h->state == 0)
			h->state = 1;
		if (h->state == 2 && row->kind == IC_ROW_DECISION && row->d->point == s->unlock_id[l])
			close_hold(w, l, row->proc, h, ts, NULL);
	}
}

static bool is_end(const ic_story_row *row)
{
	return row->kind == IC_ROW_END ||
	       (row->kind == IC_ROW_DECISION && (row->d->kind == IC_D_END || row->d->kind == IC_D_DEATH));
}

static void end_proc(writer *w, state *s, unsigned proc, double ts)
{
	const ic_record_proc *p = &w->rec->procs[proc];
	const char *why = p->exited ? "the process ended" : p->injected ? "killed (injected)" : "the process died";
	if (s->ops[proc].open)
		close_op(w, pid_of(w->rec, proc), &s->ops[proc], ts, NULL, why, NULL);
	for (unsigned l = 0; l < w->rec->nlocks; l++)
		if (s->holds[l][proc].state == 2)
			close_hold(w, l, proc, &s->holds[l][proc], ts, p->exited ? "ended holding it" : "died holding it");
}

static void decision_row(writer *w, const ic_story_row *row, double ts)
{
	const ic_run_record *rec = w->rec;
	const ic_decision *d = row->d;
	int pid = pid_of(rec, row->proc);
	char point[IC_NAME + 16], name[IC_NAME + 48], next[16];
	const char *pt = ic_story_point(rec, d->point, point, sizeof(point));
	snprintf(next, sizeof(next), "%s", d->next == 0xff ? "nobody" : d->next < rec->nprocs ? rec->procs[d->next].label : "?");
	const ic_record_proc *p = row->proc < rec->nprocs ? &rec->procs[row->proc] : NULL;
	switch (d->kind) {
	case IC_D_FAULT:
		snprintf(name, sizeof(name), "fault at %s", pt);
		instant(w, pid, ts, name, "fault", "point", pt, "evidence", row->mark);
		return;
	case IC_D_DEATH:
		snprintf(name, sizeof(name), "%s by %s", p && p->injected ? "killed" : "died",
			 p ? ic_signal_name(p->code) : "?");
		instant(w, pid, ts, name, "kill", "point", p && p->injected ? p->injected_at : pt, "evidence", row->mark);
		return;
	case IC_D_END:
		instant(w, pid, ts, "end", "end", "point", pt, "next", next);
		return;
	case IC_D_START:
		instant(w, pid, ts, "runs first", "point", "decision", "start", "next", next);
		return;
	default:
		instant(w, pid, ts, pt, "point",
			"decision", d->kind == IC_D_PREEMPT ? "preempted" : d->kind == IC_D_SWITCH ? "waits"
					: d->kind == IC_D_TIMEOUT ? "timeout" : "step",
			"next", next);
	}
}

static void event_row(writer *w, state *s, const ic_story_row *row, double ts)
{
	const ic_event *e = row->e;
	int pid = pid_of(w->rec, row->proc);
	open_op *o = &s->ops[row->proc];
	char name[32], value[64];
	if (e->kind == IC_EV_INVOKE) {
		if (o->open) /* the next one invoked first: this one is indeterminate */
			close_op(w, pid, o, ts, NULL, "indeterminate: no outcome logged", NULL);
		*o = (open_op){true, ts, e, row->mark};
		return;
	}
	if ((e->kind == IC_EV_OK || e->kind == IC_EV_FAIL) && o->open && o->e->op == e->op) {
		close_op(w, pid, o, ts, e, NULL, row->mark);
		return;
	}
	value_of(w->rec, e, value, sizeof(value));
	instant(w, pid, ts, ic_story_op(e->op, name, sizeof(name)), "info", "value", value, "evidence", row->mark);
}

/* Each row's time: chaos, us from t0; controlled, the step and a tenth per row before it in that step. */
static double row_time(const ic_run_record *rec, const ic_story_row *v, size_t i, uint64_t t0, unsigned *within)
{
	if (rec->mode != IC_MODE_CONTROLLED) { /* an end at the reap: it died somewhere before */
		uint64_t t = v[i].kind == IC_ROW_END && v[i].reaped_ns ? v[i].reaped_ns : v[i].t_ns;
		return t > t0 ? (double)(t - t0) / 1e3 : 0;
	}
	*within = i > 0 && v[i - 1].step == v[i].step ? *within + 1 : 0;
	return (double)v[i].step + (*within < 9 ? *within : 9) / 10.0;
}

static void write_meta(writer *w)
{
	const ic_run_record *rec = w->rec;
	char name[64];
	for (unsigned p = 0; p <= rec->nprocs; p++) {
		int pid = pid_of(rec, p);
		if (p < rec->nprocs)
			snprintf(name, sizeof(name), "%s (pid %d)", rec->procs[p].label, (int)rec->procs[p].pid);
		else
			snprintf(name, sizeof(name), "supervisor (final reads)");
		meta(w, pid, pid, "process_name", name);
		meta(w, pid, pid, "thread_name", p < rec->nprocs ? rec->procs[p].label : "supervisor");
	}
	if (rec->mode != IC_MODE_CONTROLLED || !rec->nlocks)
		return;
	meta(w, LOCKS_PID, LOCKS_PID, "process_name", "locks");
	for (unsigned l = 0; l < rec->nlocks; l++) {
		snprintf(name, sizeof(name), "lock %s (%s)", rec->locks[l].site, ic_lock_kind_name(rec->locks[l].kind));
		meta(w, LOCKS_PID, LOCK_TID(l), "thread_name", name);
	}
}

int ic_trace_write(FILE *out, const ic_run_record *rec, const ic_run_result *res)
{
	size_t n = 0;
	ic_story_row *v = ic_story_rows(rec, res, &n);
	state *s = calloc(1, sizeof(*s));
	if (!s || (n && !v)) {
		free(s);
		free(v);
		errno = ENOMEM;
		return -1;
	}
	writer w = {.f = out, .first = true, .rec = rec};
	bool controlled = rec->mode == IC_MODE_CONTROLLED;
	for (unsigned l = 0; l < rec->nlocks; l++) {
		char buf[IC_NAME + 16];
		snprintf(buf, sizeof(buf), "lock:%s", rec->locks[l].site);
		s->lock_id[l] = ic_sched_point_id(buf);
		snprintf(buf, sizeof(buf), "unlock:%s", rec->locks[l].site);
		s->unlock_id[l] = ic_sched_point_id(buf);
	}
	fputs("{\"traceEvents\":[", out);
	write_meta(&w);
	uint64_t t0 = UINT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (v[i].t_ns && v[i].t_ns < t0)
			t0 = v[i].t_ns;
	unsigned within = 0;
	double ts = 0;
	for (size_t i = 0; i < n; i++) {
		ts = row_time(rec, v, i, t0, &within);
		if (controlled)
			track_locks(&w, s, &v[i], ts);
		if (v[i].kind == IC_ROW_EVENT)
			event_row(&w, s, &v[i], ts);
		else if (v[i].kind == IC_ROW_DECISION)
			decision_row(&w, &v[i], ts);
		else
			instant(&w, pid_of(rec, v[i].proc), ts,
				rec->procs[v[i].proc].exited ? "exit" : rec->procs[v[i].proc].injected ? "killed" : "died",
				"kill", "signal_or_code", rec->procs[v[i].proc].exited ? "exit" : ic_signal_name(rec->procs[v[i].proc].code),
				"evidence", v[i].mark);
		if (v[i].mark)
			instant(&w, pid_of(rec, v[i].proc), ts, "evidence", "evidence", "why", v[i].mark, "checker",
				res && res->nfindings ? res->findings[0].checker : NULL);
		if (v[i].proc < rec->nprocs && is_end(&v[i]))
			end_proc(&w, s, v[i].proc, ts);
	}
	for (unsigned p = 0; p <= rec->nprocs; p++) /* open at the run's end: the harness ended it */
		if (s->ops[p].open)
			close_op(&w, pid_of(rec, p), &s->ops[p], ts, NULL, "the run ended first", NULL);
	for (unsigned l = 0; l < rec->nlocks; l++)
		for (unsigned p = 0; p < rec->nprocs; p++)
			if (s->holds[l][p].state == 2)
				close_hold(&w, l, p, &s->holds[l][p], ts, "the run ended first");
	fprintf(out, "\n],\"displayTimeUnit\":\"ns\",\"otherData\":{\"spec\":");
	ic_json_str(out, rec->spec);
	fprintf(out, ",\"seed\":\"0x%" PRIx64 "\",\"mode\":\"%s\",\"time\":\"%s\",\"verdict\":", rec->seed,
		controlled ? "controlled" : "chaos", controlled ? "step" : "us");
	ic_json_str(out, res ? ic_run_verdict(res) : "?");
	fputs("}}\n", out);
	free(s);
	free(v);
	return ferror(out) ? -1 : 0;
}

int ic_trace_path(const char *base, bool per_seed, unsigned spec, uint64_t seed, char *out, size_t size)
{
	int n;
	if (!per_seed) {
		n = snprintf(out, size, "%s", base);
		return n < 0 || (size_t)n >= size ? -1 : 0;
	}
	const char *slash = strrchr(base, '/');
	const char *dot = strrchr(slash ? slash + 1 : base, '.');
	if (!dot || dot == (slash ? slash + 1 : base)) /* no extension (or a dot file): at the end */
		dot = base + strlen(base);
	char k[16] = "";
	if (spec)
		snprintf(k, sizeof(k), ".%u", spec - 1);
	n = snprintf(out, size, "%.*s%s.0x%" PRIx64 "%s", (int)(dot - base), base, k, seed, dot);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
