/*
 * leaks: after cleanup, no object of this run exists. Objects are attributed
 * by the run id in their names (SysV: keys derived from the run's secret) and
 * by owner, never by a global before/after diff, so parallel runs cannot
 * cause false alarms, nor can another user's object that carries the run's id
 * (the run reports that as interference). What the tracker knew was removed;
 * what remains was created behind its back. With --keep nothing is removed,
 * but an untracked object is a leak all the same: it is judged too.
 */
#include "../harness/internal.h"

static bool leaks_check(const ic_facts *f, ic_finding *out)
{
	if (f->nleaks == 0)
		return false;
	if (f->kept)
		ic_finding_addf(out, "%u object%s of this run %s created untracked: cleanup would leave %s"
				     " (kept with --keep)\n",
				f->nleaks, f->nleaks == 1 ? "" : "s", f->nleaks == 1 ? "was" : "were",
				f->nleaks == 1 ? "it" : "them");
	else
		ic_finding_addf(out, "%u object%s of this run remained after cleanup (created untracked)\n",
				f->nleaks, f->nleaks == 1 ? "" : "s");
	for (unsigned i = 0; i < f->nleaks; i++)
		ic_finding_addf(out, "  %s\n", f->leaks[i]);
	return true;
}

const ic_checker ic_checker_leaks = {
	.name = "leaks",
	.summary = "no object of this run remains after cleanup",
	.check = leaks_check,
};
