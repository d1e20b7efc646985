/*
 * counter: the final value of a shared counter lies within [committed,
 * committed + indeterminate]. Committed increments are those logged ok; an
 * increment invoked by a process that died before its ok may or may not have
 * landed, so it widens the range instead of raising a false alarm. Applies to
 * scenarios whose supervisor logs a final IC_OP_READ of the counter.
 */
#include "../harness/internal.h"

#include <inttypes.h>
#include <stdlib.h>

typedef struct tally {
	uint64_t ok;
	uint64_t indeterminate;
} tally;

static tally count_increments(const ic_event *ev, uint64_t n)
{
	tally t = {0, 0};
	bool open = false;
	uint64_t amount = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (ev[i].op != IC_OP_INC)
			continue;
		if (ev[i].kind == IC_EV_INVOKE) {
			if (open) /* an invoke never completed: indeterminate */
				t.indeterminate += amount;
			open = true;
			amount = ev[i].a;
		} else if (ev[i].kind == IC_EV_OK) {
			t.ok += ev[i].a;
			open = false;
		} else if (ev[i].kind == IC_EV_FAIL) {
			open = false;
		}
	}
	if (open)
		t.indeterminate += amount;
	return t;
}

static bool final_read(const ic_facts *f, uint64_t *value)
{
	bool found = false;
	for (uint64_t i = 0; i < f->nobserver; i++) {
		if (f->observer[i].op == IC_OP_READ && f->observer[i].kind == IC_EV_OK) {
			*value = f->observer[i].a;
			found = true;
		}
	}
	return found;
}

/* ---- Evidence: a lost update is two loads of the same value, each stored back plus one ---- */

typedef struct load {
	uint64_t value, t_ns;
	unsigned proc;
	uint64_t at, store; /* event indices: the load, and the store after it (UINT64_MAX: none) */
} load;

static int by_value_then_time(const void *x, const void *y)
{
	const load *a = x, *b = y;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return a->t_ns < b->t_ns ? -1 : a->t_ns > b->t_ns;
}

/* The store of `value` this process made after event i, before its next load. */
static uint64_t store_after(const ic_proc_facts *p, uint64_t i, uint64_t value)
{
	for (uint64_t k = i + 1; k < p->nev && !(p->ev[k].op == IC_OP_LOAD); k++)
		if (p->ev[k].op == IC_OP_STORE && p->ev[k].a == value)
			return k;
	return UINT64_MAX;
}

/* Scenarios that log their loads and stores (IC_OP_LOAD/STORE) get the lost update marked. */
static void mark_lost_update(const ic_facts *f, ic_finding *out)
{
	uint64_t n = 0;
	for (unsigned i = 0; i < f->nprocs; i++)
		for (uint64_t k = 0; k < f->procs[i].nev; k++)
			n += f->procs[i].ev[k].op == IC_OP_LOAD;
	load *v = n ? malloc(n * sizeof(*v)) : NULL;
	if (!v)
		return;
	n = 0;
	for (unsigned i = 0; i < f->nprocs; i++)
		for (uint64_t k = 0; k < f->procs[i].nev; k++) {
			const ic_event *e = &f->procs[i].ev[k];
			if (e->op == IC_OP_LOAD)
				v[n++] = (load){e->a, e->t_ns, i, k, store_after(&f->procs[i], k, e->a + 1)};
		}
	qsort(v, n, sizeof(*v), by_value_then_time);
	for (uint64_t k = 0; k + 1 < n; k++) {
		const load *a = &v[k], *b = &v[k + 1];
		if (a->value != b->value || a->proc == b->proc || a->store == UINT64_MAX || b->store == UINT64_MAX)
			continue;
		ic_finding_mark(out, a->proc, IC_MARK_EVENT, a->at, "load: both see the same value");
		ic_finding_mark(out, b->proc, IC_MARK_EVENT, b->at, "load: both see the same value");
		/* The later store overwrites the earlier: that one's increment is lost. */
		const load *first = f->procs[a->proc].ev[a->store].t_ns <= f->procs[b->proc].ev[b->store].t_ns ? a : b;
		const load *second = first == a ? b : a;
		ic_finding_mark(out, first->proc, IC_MARK_EVENT, first->store, "store: one increment");
		ic_finding_mark(out, second->proc, IC_MARK_EVENT, second->store, "store: overwrites it, one lost");
		break;
	}
	free(v);
}

static bool counter_check(const ic_facts *f, ic_finding *out)
{
	uint64_t value;
	if (!final_read(f, &value))
		return false;
	tally total = {0, 0};
	tally per[IC_MAX_PROCS];
	for (unsigned i = 0; i < f->nprocs; i++) {
		per[i] = count_increments(f->procs[i].ev, f->procs[i].nev);
		total.ok += per[i].ok;
		total.indeterminate += per[i].indeterminate;
	}
	uint64_t hi = total.ok + total.indeterminate;
	if (value >= total.ok && value <= hi)
		return false;

	if (total.indeterminate)
		ic_finding_addf(out, "expected %" PRIu64 "..%" PRIu64, total.ok, hi);
	else
		ic_finding_addf(out, "expected %" PRIu64, total.ok);
	if (value < total.ok)
		ic_finding_addf(out, ", got %" PRIu64 " (%" PRIu64 " increments lost)\n", value,
				total.ok - value);
	else
		ic_finding_addf(out, ", got %" PRIu64 " (%" PRIu64 " more than were made)\n", value,
				value - hi);
	for (unsigned i = 0; i < f->nprocs; i++) {
		ic_finding_addf(out, "  %s: %" PRIu64 " increments ok", f->procs[i].label, per[i].ok);
		if (per[i].indeterminate)
			ic_finding_addf(out, ", %" PRIu64 " indeterminate", per[i].indeterminate);
		ic_finding_addf(out, "\n");
	}
	mark_lost_update(f, out);
	return true;
}

const ic_checker ic_checker_counter = {
	.name = "counter",
	.summary = "final counter within [committed, committed + indeterminate]",
	.check = counter_check,
};
