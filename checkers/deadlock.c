/*
 * deadlock: in controlled mode, no process was left that could go on: each
 * live one waited for a lock, a condition, a channel or a peer that only
 * another waiting process could provide, and no wait could time out. Decided
 * at once, when it happens, not after the hang watchdog; the finding names
 * what each process waited for and where. A process that died holding a lock
 * that cannot recover is dead-holder's finding, not this one. Applies where
 * hang does: it is the controlled form of a hang.
 * In chaos mode, the supervisor watches the waits on ic_ locks published in
 * the arena: when they form a cycle (each process holds the lock the one
 * before it waits for), the run ends at once with this finding, naming the
 * cycle: processes, locks and the points they waited at.
 */
#include "../harness/internal.h"

static const char *lock_site(const ic_facts *f, int id)
{
	return id >= 0 && (unsigned)id < f->nlocks ? f->locks[id].site : "?";
}

/* Chaos: the cycle of waits the supervisor saw, each member with what it holds and waits for. */
static bool cycle_report(const ic_facts *f, ic_finding *out)
{
	unsigned n = f->ncycle;
	ic_finding_addf(out, "a cycle of waits on locks:");
	for (unsigned i = 0; i <= n; i++)
		ic_finding_addf(out, "%s%s", i ? " -> " : " ", f->procs[f->cycle[i % n].proc].label);
	ic_finding_addf(out, " (each waits for the next; seen %.1f ms after it closed)\n", f->cycle_ms);
	for (unsigned i = 0; i < n; i++) {
		int held = f->cycle[(i + n - 1) % n].lock, wants = f->cycle[i].lock;
		ic_finding_addf(out, "  %s holds '%s' and waits for '%s' (held by %s)", f->procs[f->cycle[i].proc].label,
				lock_site(f, held), lock_site(f, wants), f->procs[f->cycle[(i + 1) % n].proc].label);
		/* The point is known where points are watched (lockdep, injectors): else none is claimed. */
		ic_finding_addf(out, "%s%s\n", f->cycle[i].point[0] ? " at " : "", f->cycle[i].point);
	}
	return true;
}

static bool deadlock_check(const ic_facts *f, ic_finding *out)
{
	if (!f->deadlock)
		return false;
	if (f->ncycle >= 2 && f->ncycle <= f->nprocs)
		return cycle_report(f, out);
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
	.summary = "no cycle of waits on ic_ locks (chaos), no state where nobody can go on (controlled)",
	.check = deadlock_check,
};
