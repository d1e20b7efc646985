/*
 * hang: every role finishes within the progress watchdog (no committed event
 * from any live role for T seconds). When it fires, the supervisor has taken
 * each stuck process's stack through ptrace; the finding shows them.
 */
#include "../harness/internal.h"

static bool hang_check(const ic_facts *f, ic_finding *out)
{
	if (!f->hang)
		return false;
	if (f->hang_steps) { /* controlled mode: decided in steps, so it replays */
		ic_finding_addf(out, "no operation completed in %llu steps: a livelock\n",
				(unsigned long long)f->hang_steps);
		for (unsigned i = 0; i < f->nprocs; i++)
			if (f->procs[i].waiting) {
				ic_finding_addf(out, "  %s %s\n", f->procs[i].label, f->procs[i].waiting);
				ic_finding_mark(out, i, IC_MARK_END, 0, "its last step");
			}
		return true;
	}
	unsigned stuck = f->observer_stack != NULL;
	for (unsigned i = 0; i < f->nprocs; i++)
		stuck += f->procs[i].stack != NULL;
	ic_finding_addf(out, "no progress for %.1f s; %u process%s still running\n", f->hang_seconds,
			stuck, stuck == 1 ? "" : "es");
	/* The roles ended; the scenario's final read (observe, a drain) did not. */
	if (f->observer_stack)
		ic_finding_addf(out, "  the final read (observe) was stuck in:\n%s", f->observer_stack);
	for (unsigned i = 0; i < f->nprocs; i++) {
		const ic_proc_facts *p = &f->procs[i];
		if (p->stack) {
			ic_finding_addf(out, "  %s (pid %d) was stuck in:\n%s", p->label, (int)p->pid,
					p->stack);
			ic_finding_mark(out, i, IC_MARK_END, 0, "its last event: stuck after it");
		}
	}
	return true;
}

const ic_checker ic_checker_hang = {
	.name = "hang",
	.summary = "every role finishes within the progress watchdog",
	.check = hang_check,
};
