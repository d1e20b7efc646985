/*
 * deadlock: in controlled mode, no process was left that could go on: each
 * live one waited for a lock, a condition, a channel or a peer that only
 * another waiting process could provide, and no wait could time out. Decided
 * at once, when it happens, not after the hang watchdog; the finding names
 * what each process waited for and where. A process that died holding a lock
 * that cannot recover is dead-holder's finding, not this one. Applies where
 * hang does: it is the controlled form of a hang.
 */
#include "../harness/internal.h"

static bool deadlock_check(const ic_facts *f, ic_finding *out)
{
	if (!f->deadlock)
		return false;
	unsigned waiting = 0;
	for (unsigned i = 0; i < f->nprocs; i++)
		waiting += f->procs[i].waiting != NULL;
	ic_finding_addf(out, "no process can go on: %u waiting, none of them can time out\n", waiting);
	for (unsigned i = 0; i < f->nprocs; i++)
		if (f->procs[i].waiting) {
			ic_finding_addf(out, "  %s %s\n", f->procs[i].label, f->procs[i].waiting);
			ic_finding_mark(out, i, IC_MARK_END, 0, "its last step: waits");
		}
	return true;
}

const ic_checker ic_checker_deadlock = {
	.name = "deadlock",
	.summary = "controlled mode: some process can always go on (else: who waits for what, where)",
	.check = deadlock_check,
};
