/*
 * crash: no role dies of a signal that no injector sent, and none fails
 * (exits non-zero). A crash shows the backtrace its fault handler unwound.
 */
#include "../harness/internal.h"

static bool crash_check(const ic_facts *f, ic_finding *out)
{
	bool found = false;
	for (unsigned i = 0; i < f->nprocs; i++) {
		const ic_proc_facts *p = &f->procs[i];
		if (p->exited && p->code == 0)
			continue;
		if (!p->exited && (p->injected || p->harness_killed))
			continue;
		if (!found)
			ic_finding_addf(out, "a role %s\n", p->exited ? "failed" : "crashed");
		found = true;
		if (p->exited) {
			ic_finding_addf(out, "  %s exited with status %d\n", p->label, p->code);
			continue;
		}
		ic_finding_addf(out, "  %s (pid %d) died of %s, which no injector sent\n", p->label,
				(int)p->pid, ic_signal_name(p->code));
		for (unsigned k = 0; k < IC_BT_FRAMES && p->crash_bt[k]; k++)
			ic_finding_addf(out, "    #%u %s\n", k, p->crash_bt[k]);
	}
	return found;
}

const ic_checker ic_checker_crash = {
	.name = "crash",
	.summary = "no role dies of a signal no injector sent, nor fails",
	.check = crash_check,
};
