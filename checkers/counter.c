/*
 * counter: the final value of a shared counter lies within [committed,
 * committed + indeterminate]. Committed increments are those logged ok; an
 * increment invoked by a process that died before its ok may or may not have
 * landed, so it widens the range instead of raising a false alarm. Applies to
 * scenarios whose supervisor logs a final IC_OP_READ of the counter.
 */
#include "../harness/internal.h"

#include <inttypes.h>

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
	return true;
}

const ic_checker ic_checker_counter = {
	.name = "counter",
	.summary = "final counter within [committed, committed + indeterminate]",
	.check = counter_check,
};
