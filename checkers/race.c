/*
 * race: with --detect races, two accesses of different processes to the same
 * bytes of a checked segment, at least one a write and not both atomic, with
 * no happens-before between them (role/race.c found them as they happened).
 * A race is reported whether or not it broke anything in this run. The
 * report names the segment and offset, both accesses (process, kind, size,
 * the point each had last passed, both stacks), and how many more races on
 * the same pair of code locations were folded into it.
 * A run that skipped a lock (nolock) is also judged by the lock discipline:
 * an access made with lock L skipped and another process's access holding
 * L, one a write, no lock in common, is reported in whichever order they
 * came, as the skipped lock was all that kept them apart.
 * Facts: the arena's race section; silent when the run did not detect races,
 * and when the detector lost an edge for want of room (it would not be sure).
 */
#include "internal.h"

#include <inttypes.h>
#include <string.h>

static const char *kind_of(const ic_race_side *s)
{
	if (s->flags & IC_RACE_ATOMIC)
		return s->flags & IC_RACE_WRITE ? "atomic write" : "atomic read";
	return s->flags & IC_RACE_WRITE ? "write" : "read";
}

static const char *label_of(const ic_facts *f, unsigned slot)
{
	return slot < f->nprocs ? f->procs[slot].label : "?";
}

static void add_stack(ic_finding *out, const ic_race_side *s)
{
	for (unsigned i = 0; i < s->npc && i < IC_RACE_STACK; i++) {
		char frame[IC_NAME + 24];
		ic_bt_symbol(s->pc[i], frame, sizeof(frame));
		ic_finding_addf(out, "      %s\n", frame);
		/* Below the role's entry are the harness's frames. */
		if (strncmp(frame, "role_main", 9) == 0 && (frame[9] == '+' || frame[9] == '\0'))
			break;
	}
}

static void add_side(ic_finding *out, const ic_facts *f, const char *which, const ic_race_side *s)
{
	ic_finding_addf(out, "    %s: %s %s of %u byte%s, after point %s (its clock %" PRIu64 ")\n", which,
			label_of(f, s->slot), kind_of(s), s->size, s->size == 1 ? "" : "s",
			s->point[0] ? s->point : "(none yet)", s->clock);
	add_stack(out, s);
}

static const char *region_name(const ic_race_arena *ra, unsigned region)
{
	return region < ra->nregions ? ra->regions[region].name : "?";
}

static const char *lock_name(const ic_facts *f, const ic_race_report *r)
{
	return r->lock && r->lock <= f->nlocks ? f->locks[r->lock - 1].site : "?";
}

/* A skipped lock's pair: who skipped it, who held it. */
static void add_lock_pair(ic_finding *out, const ic_facts *f, const ic_race_report *r)
{
	const ic_race_side *sk = r->now.flags & IC_RACE_SKIPPED ? &r->now : &r->before;
	const ic_race_side *held = sk == &r->now ? &r->before : &r->now;
	ic_finding_addf(out, "%s %s it with lock %s skipped (nolock), %s %s it holding that lock: no lock in common, "
			     "only timing kept them apart",
			label_of(f, sk->slot), sk->flags & IC_RACE_WRITE ? "wrote" : "read", lock_name(f, r),
			label_of(f, held->slot), held->flags & IC_RACE_WRITE ? "wrote" : "read");
}

static bool race_check(const ic_facts *f, ic_finding *out)
{
	const ic_race_arena *ra = f->race;
	if (!ra || !ra->on || ra->nreports == 0 || atomic_load(&ra->nosync) > 0)
		return false;
	const ic_race_report *r = &ra->reports[0];
	uint64_t races = atomic_load(&ra->races);
	if (r->lock) {
		ic_finding_addf(out, "%s+0x%" PRIx64 ": ", region_name(ra, r->region), r->offset);
		add_lock_pair(out, f, r);
	} else {
		ic_finding_addf(out, "%s %s %s+0x%" PRIx64 " while %s %s it, unordered: a data race",
				label_of(f, r->now.slot), r->now.flags & IC_RACE_WRITE ? "wrote" : "read",
				region_name(ra, r->region), r->offset, label_of(f, r->before.slot),
				r->before.flags & IC_RACE_WRITE ? "had written" : "had read");
	}
	ic_finding_addf(out, " (%" PRIu64 " race%s, %u pair%s of code locations)\n", races, races == 1 ? "" : "s",
			ra->nreports, ra->nreports == 1 ? "" : "s");
	for (unsigned i = 0; i < ra->nreports; i++) {
		r = &ra->reports[i];
		uint64_t folded = atomic_load(&r->folded);
		ic_finding_addf(out, "  race %u: segment %s, offset %" PRIu64 " (0x%" PRIx64 ")%s%s", i + 1,
				region_name(ra, r->region), r->offset, r->offset, r->field[0] ? ", field " : "",
				r->field);
		if (folded)
			ic_finding_addf(out, ", %" PRIu64 " more on the same pair of code locations folded in", folded);
		if (r->lock) {
			ic_finding_addf(out, "\n    ");
			add_lock_pair(out, f, r);
		}
		ic_finding_addf(out, "\n");
		add_side(out, f, "now", &r->now);
		add_side(out, f, "before", &r->before);
		if (strlen(out->text) > sizeof(out->text) - 512)
			break; /* the first races whole rather than all of them cut */
	}
	if (atomic_load(&ra->unchecked))
		ic_finding_addf(out, "  (%" PRIu64 " segment%s not checked: no room in the shadow)\n",
				atomic_load(&ra->unchecked), atomic_load(&ra->unchecked) == 1 ? "" : "s");
	return true;
}

const ic_checker ic_checker_race = {
	.name = "race",
	.summary = "--detect races: conflicting accesses of processes with no happens-before between them",
	.check = race_check,
};
