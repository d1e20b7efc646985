/*
 * leaks: after cleanup, no object of this run exists. Objects are attributed
 * by the run id in their names, never by a global before/after diff, so
 * parallel runs cannot cause false alarms. What the tracker knew was removed;
 * what remains was created behind its back.
 */
#include "../harness/internal.h"

static bool leaks_check(const ic_facts *f, ic_finding *out)
{
	if (!f->leaks_checked || f->nleaks == 0)
		return false;
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
