/*
 * dead-holder: a process died holding a lock that cannot recover (plain
 * mutex, semaphore, spinlock); every later taker blocks forever. The arena
 * records holders, and the kill is injected at a point, so the verdict is
 * deterministic and names the lock and its holder. A robust mutex recovers
 * and is not a finding.
 */
#include "../harness/internal.h"

#include <inttypes.h>

static bool dead_holder_check(const ic_facts *f, ic_finding *out)
{
	bool found = false;
	for (unsigned i = 0; i < f->nprocs; i++) {
		const ic_proc_facts *p = &f->procs[i];
		if (p->exited || p->harness_killed) /* the harness's own kill proves nothing */
			continue;
		for (unsigned k = 0; k < IC_MAX_LOCKS && p->held[k] >= 0; k++) {
			const ic_lock_facts *l = &f->locks[p->held[k]];
			if (ic_lock_kind_recovers(l->kind))
				continue;
			if (!found)
				ic_finding_addf(out, "a process died holding a lock that cannot recover\n");
			found = true;
			ic_finding_addf(out, "  %s died of %s", p->label, ic_signal_name(p->code));
			if (p->injected)
				ic_finding_addf(out, " (injected at %s, hit %" PRIu64 ")", p->injected_at,
						p->injected_hit);
			ic_finding_addf(out, " holding '%s' (%s): every later taker blocks forever\n",
					l->site, ic_lock_kind_name(l->kind));
			ic_finding_mark(out, i, IC_MARK_LOCK, (uint64_t)p->held[k], "took the lock");
			ic_finding_mark(out, i, IC_MARK_END, 0, "died holding it");
		}
	}
	return found;
}

const ic_checker ic_checker_dead_holder = {
	.name = "dead-holder",
	.summary = "no process dies holding a lock that cannot recover",
	.check = dead_holder_check,
};
