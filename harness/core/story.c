/*
 * story.c: the story of a run: every decision of the scheduler and every
 * logged event, in the order they happened, as one table, with the rows the
 * checkers named as evidence marked. Controlled mode orders them exactly (an
 * event carries the decisions logged before it); chaos mode by each process's
 * clock reads, which is as good as the clock and no better.
 */
#include "core/story.h"
#include "core/schedule.h"
#include "role/sched.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- Names ---- */

/* The calls role/calls.c wraps: each is a point "call/<name>". */

const char *ic_story_point(const ic_run_record *rec, uint32_t id, char *buf, size_t size)
{
	ic_point_name(rec->sc, id, buf, size);
	return buf;
}

const char *ic_story_op(uint32_t op, char *buf, size_t size)
{
	static const char *const names[] = {[IC_OP_INC] = "inc",         [IC_OP_READ] = "read",
					    [IC_OP_SEND] = "send",       [IC_OP_RECV] = "recv",
					    [IC_OP_RECOVER] = "recover", [IC_OP_LOAD] = "load",
					    [IC_OP_STORE] = "store"};
	if (op < sizeof(names) / sizeof(names[0]) && names[op])
		return names[op];
	snprintf(buf, size, "op %" PRIu32, op);
	return buf;
}

static const char *kind_name(uint32_t kind)
{
	static const char *const names[] = {"?", "invoke", "ok", "fail", "info"};
	return kind <= IC_EV_INFO ? names[kind] : "?";
}

static const char *label_of(const ic_run_record *rec, uint64_t slot)
{
	return slot < rec->nprocs ? rec->procs[slot].label : slot == rec->nprocs ? "sup" : "?";
}

/* The value an event carries, as a person reads it: "seen 3", "p0#12", "EAGAIN". */
static void event_value(const ic_run_record *rec, const ic_event *e, char *buf, size_t size)
{
	buf[0] = '\0';
	if (e->kind == IC_EV_FAIL) {
		snprintf(buf, size, "%s", strerror((int)e->a));
		return;
	}
	uint64_t producer = e->a >> 48, seq = e->a & 0xffffffffffffull;
	switch (e->op) {
	case IC_OP_INC:
		snprintf(buf, size, "+%" PRIu64, e->a);
		break;
	case IC_OP_READ:
		if (e->kind == IC_EV_OK)
			snprintf(buf, size, "read %" PRIu64, e->a);
		break;
	case IC_OP_LOAD:
		snprintf(buf, size, "seen %" PRIu64, e->a);
		break;
	case IC_OP_STORE:
		snprintf(buf, size, "wrote %" PRIu64, e->a);
		break;
	case IC_OP_SEND:
		snprintf(buf, size, "%s#%" PRIu64, label_of(rec, producer), seq);
		break;
	case IC_OP_RECV:
		if (e->kind == IC_EV_OK)
			snprintf(buf, size, "got %s#%" PRIu64 "%s", label_of(rec, producer), seq,
				 (e->b & 0xff) == IC_MSG_CORRUPT ? " corrupt" : (e->b & 0xff) == IC_MSG_GARBLED ? " garbled" : "");
		break;
	case IC_OP_RECOVER:
		if (e->a < rec->nlocks)
			snprintf(buf, size, "lock %s", rec->locks[e->a].site);
		break;
	default:
		snprintf(buf, size, "a=%" PRIu64 " b=%" PRIu64, e->a, e->b);
	}
}

/* ---- Rows ---- */

typedef struct row_list {
	ic_story_row *v;
	size_t n, cap;
} row_list;

static ic_story_row *add_row(row_list *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 256;
		ic_story_row *v = realloc(r->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		r->v = v;
		r->cap = cap;
	}
	ic_story_row *row = &r->v[r->n++];
	memset(row, 0, sizeof(*row));
	return row;
}

static void add_event(row_list *r, unsigned proc, const ic_event *e, uint64_t index)
{
	ic_story_row *row = add_row(r);
	if (row)
		*row = (ic_story_row){.kind = IC_ROW_EVENT, .proc = proc, .step = e->step, .t_ns = e->t_ns,
				      .e = e, .index = index};
}

/* Controlled: events before decision i (they carry how many decisions preceded them), then it. */
static void controlled_rows(const ic_run_record *rec, row_list *r)
{
	uint64_t cur[IC_MAX_PROCS] = {0};
	for (uint64_t i = 0; i <= rec->ndecisions; i++) {
		for (;;) { /* one process runs between two decisions; the clock orders any tie */
			int best = -1;
			for (unsigned p = 0; p < rec->nprocs; p++) {
				const ic_record_proc *pr = &rec->procs[p];
				if (cur[p] < pr->nev && (pr->ev[cur[p]].decided <= i || i == rec->ndecisions) &&
				    (best < 0 || pr->ev[cur[p]].t_ns < rec->procs[best].ev[cur[best]].t_ns))
					best = (int)p;
			}
			if (best < 0)
				break;
			add_event(r, (unsigned)best, &rec->procs[best].ev[cur[best]], cur[best]);
			cur[best]++;
		}
		if (i == rec->ndecisions)
			break;
		ic_story_row *row = add_row(r);
		if (row)
			*row = (ic_story_row){.kind = IC_ROW_DECISION, .proc = rec->decisions[i].slot,
					      .step = rec->decisions[i].step, .d = &rec->decisions[i]};
	}
}

static int by_time(const void *x, const void *y)
{
	const ic_story_row *a = x, *b = y;
	if (a->t_ns != b->t_ns)
		return a->t_ns < b->t_ns ? -1 : 1;
	if (a->proc != b->proc)
		return a->proc < b->proc ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* Chaos: every event by its clock read; each process's end where the supervisor reaped it. */
static void chaos_rows(const ic_run_record *rec, row_list *r)
{
	for (unsigned p = 0; p < rec->nprocs; p++) {
		for (uint64_t k = 0; k < rec->procs[p].nev; k++)
			add_event(r, p, &rec->procs[p].ev[k], k);
		ic_story_row *row = add_row(r);
		if (row) {
			uint64_t last = rec->procs[p].nev ? rec->procs[p].ev[rec->procs[p].nev - 1].t_ns : 0;
			uint64_t end = rec->procs[p].end_ns;
			/* It ended after its last event and before the reap: shown right after the former. */
			*row = (ic_story_row){.kind = IC_ROW_END, .proc = p, .t_ns = last ? last : end, .reaped_ns = end,
					      .index = UINT64_MAX};
		}
	}
	if (r->v)
		qsort(r->v, r->n, sizeof(*r->v), by_time);
}

/* The row of a mark: an event, a process's end (else its last row), the lock step it took. */
static ssize_t mark_row(const ic_run_record *rec, const ic_story_row *v, size_t n, const ic_mark *m)
{
	ssize_t last = -1, end = -1, lock = -1;
	uint32_t lock_id = 0;
	char buf[IC_NAME + 8];
	if (m->kind == IC_MARK_LOCK && m->at < rec->nlocks) {
		snprintf(buf, sizeof(buf), "lock:%s", rec->locks[m->at].site);
		lock_id = ic_sched_point_id(buf);
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i].proc != m->proc)
			continue;
		if (m->kind == IC_MARK_EVENT && v[i].kind == IC_ROW_EVENT && v[i].index == m->at)
			return (ssize_t)i;
		last = (ssize_t)i;
		if (v[i].kind == IC_ROW_END ||
		    (v[i].kind == IC_ROW_DECISION && (v[i].d->kind == IC_D_END || v[i].d->kind == IC_D_DEATH)))
			end = (ssize_t)i;
		if (v[i].kind == IC_ROW_DECISION && lock_id && v[i].d->point == lock_id && end < 0)
			lock = (ssize_t)i;
	}
	if (m->kind == IC_MARK_END)
		return end >= 0 ? end : last;
	return m->kind == IC_MARK_LOCK ? lock : -1;
}

ic_story_row *ic_story_rows(const ic_run_record *rec, const ic_run_result *res, size_t *n)
{
	row_list r = {0};
	if (rec->mode == IC_MODE_CONTROLLED)
		controlled_rows(rec, &r);
	else
		chaos_rows(rec, &r);
	uint64_t after = rec->ndecisions ? rec->decisions[rec->ndecisions - 1].step + 1 : 0;
	for (uint64_t k = 0; k < rec->nobserver; k++) { /* the final reads come last, in either mode */
		add_event(&r, rec->nprocs, &rec->observer[k], k);
		if (r.n && rec->mode == IC_MODE_CONTROLLED)
			r.v[r.n - 1].step = after;
	}
	for (unsigned f = 0; res && f < res->nfindings; f++)
		for (unsigned k = 0; k < res->findings[f].nmarks && k < IC_MAX_MARKS; k++) {
			const ic_mark *m = &res->findings[f].marks[k];
			ssize_t i = mark_row(rec, r.v, r.n, m);
			if (i >= 0 && !r.v[i].mark)
				r.v[i].mark = m->why;
		}
	*n = r.n;
	return r.v;
}

size_t ic_story_window(const ic_story_row *rows, size_t n, int mode, bool *show)
{
	size_t shown = 0, marks = 0;
	for (size_t i = 0; i < n; i++) {
		show[i] = mode == IC_STORY_FULL || n <= IC_STORY_FIT;
		marks += rows[i].mark != NULL;
	}
	for (size_t i = 0; i < n && !show[0] && !marks; i++)
		show[i] = i + IC_STORY_FIT >= n; /* no evidence: the end is where it went wrong */
	for (size_t i = 0; i < n && marks; i++) {
		if (!rows[i].mark)
			continue;
		size_t lo = i > IC_STORY_CONTEXT ? i - IC_STORY_CONTEXT : 0;
		for (size_t k = lo; k < n && k <= i + IC_STORY_CONTEXT; k++)
			show[k] = true;
	}
	for (size_t i = 0; i < n; i++)
		shown += show[i];
	return shown;
}

/* ---- The table ---- */

static const char *decision_text(const ic_run_record *rec, const ic_decision *d, char *buf, size_t size)
{
	const ic_record_proc *p = d->slot < rec->nprocs ? &rec->procs[d->slot] : NULL;
	const char *next = d->next == 0xff ? "nobody" : label_of(rec, d->next);
	switch (d->kind) {
	case IC_D_STEP:
		return "step";
	case IC_D_PREEMPT:
		snprintf(buf, size, "preempted -> %s", next);
		return buf;
	case IC_D_SWITCH:
		snprintf(buf, size, "waits -> %s", next);
		return buf;
	case IC_D_TIMEOUT:
		snprintf(buf, size, "timeout -> %s", next);
		return buf;
	case IC_D_FAULT:
		snprintf(buf, size, "fault: %s", d->next < rec->ninj ? rec->inj_names[d->next] : "?");
		return buf;
	case IC_D_START:
		snprintf(buf, size, "runs first");
		return buf;
	case IC_D_END:
		snprintf(buf, size, "returns (exit %d) -> %s", p ? p->code : 0, next);
		return buf;
	default:
		if (p && !p->exited)
			snprintf(buf, size, "%s by %s -> %s", p->injected ? "killed" : "died", ic_signal_name(p->code), next);
		else
			snprintf(buf, size, "dies -> %s", next);
		return buf;
	}
}

/* Which injector fired at this process's point (the first that did), or "". */
static const char *fault_at(const ic_run_record *rec, unsigned proc, const char *point)
{
	const ic_record_proc *p = &rec->procs[proc];
	for (unsigned i = 0; i < p->nfires; i++)
		if (strcmp(p->fires[i].point, point) == 0 && p->fires[i].inj < rec->ninj)
			return rec->inj_names[p->fires[i].inj];
	return "fault";
}

static void print_row(FILE *out, const ic_run_record *rec, const ic_story_row *row, uint64_t t0)
{
	char when[24], point[IC_NAME + 8], what[64], value[64], buf[32];
	const char *pt = "", *fault = "";
	value[0] = '\0';
	if (rec->mode == IC_MODE_CONTROLLED)
		snprintf(when, sizeof(when), "%" PRIu64, row->step);
	else if (row->t_ns)
		snprintf(when, sizeof(when), "%.1f", (double)(row->t_ns - t0) / 1e3);
	else
		snprintf(when, sizeof(when), "?");
	if (row->kind == IC_ROW_DECISION) {
		pt = ic_story_point(rec, row->d->point, point, sizeof(point));
		snprintf(what, sizeof(what), "%s", decision_text(rec, row->d, value, sizeof(value)));
		value[0] = '\0';
		if (row->d->kind == IC_D_FAULT && row->proc < rec->nprocs)
			fault = row->d->next < rec->ninj ? rec->inj_names[row->d->next] : fault_at(rec, row->proc, pt);
		if (row->d->kind == IC_D_DEATH && row->proc < rec->nprocs && rec->procs[row->proc].injected) {
			fault = "kill";
			pt = rec->procs[row->proc].injected_at; /* the scheduler knows only its last step */
		}
	} else if (row->kind == IC_ROW_EVENT) {
		if (row->e->kind == IC_EV_INFO) /* a fact, not an operation: its name is enough */
			snprintf(what, sizeof(what), "%s", ic_story_op(row->e->op, buf, sizeof(buf)));
		else
			snprintf(what, sizeof(what), "%s %s", kind_name(row->e->kind), ic_story_op(row->e->op, buf, sizeof(buf)));
		event_value(rec, row->e, value, sizeof(value));
	} else {
		const ic_record_proc *p = &rec->procs[row->proc];
		if (p->exited)
			snprintf(what, sizeof(what), "exit %d", p->code);
		else
			snprintf(what, sizeof(what), "%s by %s", p->injected ? "killed" : p->harness_killed ? "ended" : "died",
				 ic_signal_name(p->code));
		if (p->injected) {
			pt = p->injected_at;
			fault = "kill";
		}
		if (row->reaped_ns > t0)
			snprintf(value, sizeof(value), "reaped %.1f", (double)(row->reaped_ns - t0) / 1e3);
	}
	char line[320];
	int len = snprintf(line, sizeof(line), "  %9s %-5s %-22s %-26s %-12s %-7s%s%s", when, label_of(rec, row->proc),
			   pt, what, value, fault, row->mark ? " <== " : "", row->mark ? row->mark : "");
	for (len = len < (int)sizeof(line) ? len : (int)sizeof(line) - 1; len > 0 && line[len - 1] == ' '; len--)
		line[len - 1] = '\0';
	fprintf(out, "%s\n", line);
}

void ic_story_print(FILE *out, const ic_run_record *rec, const ic_run_result *res, int mode)
{
	size_t n = 0;
	ic_story_row *v = ic_story_rows(rec, res, &n);
	bool *show = n ? calloc(n, sizeof(*show)) : NULL;
	bool controlled = rec->mode == IC_MODE_CONTROLLED;
	if (n && !show) {
		fprintf(out, "  story: out of memory\n");
		free(v);
		return;
	}
	size_t shown = ic_story_window(v, n, mode, show);
	uint64_t t0 = UINT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (v[i].t_ns && v[i].t_ns < t0)
			t0 = v[i].t_ns;
	fprintf(out, "  story of %s seed 0x%" PRIx64 ": %zu rows (%s), %zu shown; evidence marked <==\n", rec->spec,
		rec->seed, n, controlled ? "controlled: exact order, by step" : "chaos: by each process's clock",
		shown);
	if (!controlled)
		fprintf(out, "  (chaos mode: times in us from the first event; the order of events of different\n"
			     "   processes is only as good as the clock)\n");
	if (rec->decisions_cut)
		fprintf(out, "  (the decision log filled up: later steps are missing)\n");
	fprintf(out, "  %9s %-5s %-22s %-26s %-12s %s\n", controlled ? "step" : "us", "proc", "point",
		"operation", "value", "fault");
	for (size_t i = 0; i < n;) {
		if (show[i]) {
			print_row(out, rec, &v[i], t0);
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && !show[j])
			j++;
		if (controlled)
			fprintf(out, "  ... %zu rows omitted (steps %" PRIu64 "-%" PRIu64 ") ...\n", j - i, v[i].step,
				v[j - 1].step);
		else
			fprintf(out, "  ... %zu rows omitted ...\n", j - i);
		i = j;
	}
	if (shown < n)
		fprintf(out, "  (every row: --story=full; the timeline: --trace FILE)\n");
	free(show);
	free(v);
}
