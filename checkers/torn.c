/*
 * torn: no reader ever accepted a torn record. Writers log each record they
 * write (IC_OP_REC_WRITE: record and version in a, a digest of the whole
 * content in b) before they start writing it; readers log what they
 * accepted (IC_OP_REC_READ, the same encoding) once they accept it. Every
 * accepted (record, version, digest) must be one that some writer wrote,
 * whole, and began no later than the read ended; anything else mixes two
 * writes. From the log alone: no scenario internals.
 * A write killed half-way is still a write that began, so a reader that
 * saw it whole is no finding; a reader that saw half of it is.
 */
#include "../harness/internal.h"

#include <inttypes.h>
#include <stdlib.h>

typedef struct torn_write {
	uint64_t key, digest; /* record << 48 | version; the content's digest */
	uint64_t t_ns;        /* when it began (its invoke) */
	unsigned proc;        /* the writer; nprocs: the supervisor's setup */
} torn_write;

static int write_cmp(const void *pa, const void *pb)
{
	const torn_write *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->digest != b->digest)
		return a->digest < b->digest ? -1 : 1;
	return a->t_ns < b->t_ns ? -1 : a->t_ns > b->t_ns;
}

static uint64_t count_writes(const ic_event *ev, uint64_t n)
{
	uint64_t c = 0;
	for (uint64_t i = 0; i < n; i++)
		c += ev[i].op == IC_OP_REC_WRITE && ev[i].kind == IC_EV_INVOKE;
	return c;
}

static uint64_t add_writes(torn_write *w, uint64_t at, const ic_event *ev, uint64_t n, unsigned proc)
{
	for (uint64_t i = 0; i < n; i++)
		if (ev[i].op == IC_OP_REC_WRITE && ev[i].kind == IC_EV_INVOKE)
			w[at++] = (torn_write){ev[i].a, ev[i].b, ev[i].t_ns, proc};
	return at;
}

/* Every write of the run, sorted by (key, digest, start). NULL when there are none. */
static torn_write *collect_writes(const ic_facts *f, uint64_t *nw)
{
	uint64_t n = count_writes(f->observer, f->nobserver);
	for (unsigned p = 0; p < f->nprocs; p++)
		n += count_writes(f->procs[p].ev, f->procs[p].nev);
	*nw = n;
	torn_write *w = n ? malloc(n * sizeof(*w)) : NULL;
	if (!w)
		return NULL;
	uint64_t at = add_writes(w, 0, f->observer, f->nobserver, f->nprocs);
	for (unsigned p = 0; p < f->nprocs; p++)
		at = add_writes(w, at, f->procs[p].ev, f->procs[p].nev, p);
	qsort(w, n, sizeof(*w), write_cmp);
	return w;
}

/* The first write of this key at or after index lo..: binary search for (key, digest). */
static uint64_t lower_bound(const torn_write *w, uint64_t n, uint64_t key, uint64_t digest)
{
	uint64_t lo = 0, hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (w[mid].key < key || (w[mid].key == key && w[mid].digest < digest))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Did a write of exactly this content begin by t? */
static bool written_by(const torn_write *w, uint64_t n, uint64_t key, uint64_t digest, uint64_t t)
{
	uint64_t i = lower_bound(w, n, key, digest);
	return i < n && w[i].key == key && w[i].digest == digest && w[i].t_ns <= t;
}

static uint64_t writes_of(const torn_write *w, uint64_t n, uint64_t key)
{
	uint64_t c = 0;
	for (uint64_t i = lower_bound(w, n, key, 0); i < n && w[i].key == key; i++)
		c++;
	return c;
}

static void describe_torn(const ic_facts *f, const torn_write *w, uint64_t nw, const ic_event *e,
			  const char *reader, ic_finding *out)
{
	unsigned rec = (unsigned)(e->a >> 48);
	uint64_t version = e->a & 0xffffffffffffull;
	uint64_t n = writes_of(w, nw, e->a);
	ic_finding_addf(out, "  %s accepted record %u version %" PRIu64 " (digest %016" PRIx64 "): ", reader, rec,
			version, e->b);
	if (n == 0) {
		ic_finding_addf(out, "no write of that version began before\n");
		return;
	}
	ic_finding_addf(out, "%" PRIu64 " write%s of that version, none with that content:", n, n == 1 ? "" : "s");
	uint64_t i = lower_bound(w, nw, e->a, 0);
	for (unsigned shown = 0; i < nw && w[i].key == e->a && shown < 2; i++, shown++)
		ic_finding_addf(out, " %s wrote %016" PRIx64, w[i].proc < f->nprocs ? f->procs[w[i].proc].label : "setup",
				w[i].digest);
	ic_finding_addf(out, "\n");
}

/* The same torn content read again (another reader, another time) says nothing new. */
static bool already_shown(uint64_t shown[][2], unsigned n, const ic_event *e)
{
	for (unsigned i = 0; i < n; i++)
		if (shown[i][0] == e->a && shown[i][1] == e->b)
			return true;
	return false;
}

static bool torn_check(const ic_facts *f, ic_finding *out)
{
	uint64_t nw, reads = 0, torn = 0, shown[3][2];
	unsigned nshown = 0;
	torn_write *w = collect_writes(f, &nw);
	if (nw && !w) {
		ic_finding_addf(out, "cannot check: out of memory for %" PRIu64 " writes\n", nw);
		return true;
	}
	for (unsigned p = 0; p < f->nprocs; p++) {
		const ic_proc_facts *pf = &f->procs[p];
		for (uint64_t i = 0; i < pf->nev; i++) {
			const ic_event *e = &pf->ev[i];
			if (e->op != IC_OP_REC_READ || e->kind != IC_EV_INFO)
				continue;
			reads++;
			if (written_by(w, nw, e->a, e->b, e->t_ns))
				continue;
			if (torn++ == 0)
				ic_finding_addf(out, "a reader accepted a record no writer wrote whole\n");
			if (nshown < 3 && !already_shown(shown, nshown, e)) {
				shown[nshown][0] = e->a;
				shown[nshown++][1] = e->b;
				describe_torn(f, w, nw, e, pf->label, out);
			}
		}
	}
	if (torn)
		ic_finding_addf(out, "  %" PRIu64 " torn of %" PRIu64 " records read, %" PRIu64 " writes\n", torn,
				reads, nw);
	free(w);
	return torn > 0;
}

const ic_checker ic_checker_torn = {
	.name = "torn",
	.summary = "every record a reader accepted was written whole by some writer, before the read ended",
	.check = torn_check,
};
