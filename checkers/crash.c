/*
 * crash: no role dies of a signal that no injector sent, and none fails
 * (exits non-zero). A crash shows the backtrace its fault handler unwound.
 * Under a tool (run --under memcheck) an error the tool reported is a crash
 * too, however the role ended: its evidence is the tool's error and stack.
 */
#include "../harness/internal.h"

static bool crash_check(const ic_facts *f, ic_finding *out)
{
	bool found = false, tool = false;
	for (unsigned i = 0; i < f->nprocs; i++)
		tool |= f->procs[i].tool_report != NULL;
	for (unsigned i = 0; i < f->nprocs; i++) {
		const ic_proc_facts *p = &f->procs[i];
		if (!p->tool_report && p->exited && p->code == 0)
			continue;
		if (!p->tool_report && !p->exited && (p->injected || p->harness_killed))
			continue;
		if (!found)
			ic_finding_addf(out, "%s\n", tool ? "memcheck found an error in a role"
						   : p->exited ? "a role failed" : "a role crashed");
		found = true;
		if (p->tool_report)
			ic_finding_addf(out, "  %s (pid %d): memcheck: %s", p->label, (int)p->pid,
					p->tool_report);
		else if (p->exited)
			ic_finding_addf(out, "  %s exited with status %d\n", p->label, p->code);
		if (p->exited)
			continue;
		ic_finding_addf(out, "  %s (pid %d) died of %s%s\n", p->label, (int)p->pid,
				ic_signal_name(p->code),
				p->injected || p->harness_killed ? "" : ", which no injector sent");
		ic_finding_mark(out, i, IC_MARK_END, 0, "crashed here");
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
