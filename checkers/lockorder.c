/*
 * lockorder: cross-process lockdep. At each ic_lock every process records the
 * locks it already holds: an order "held before taken" between two lock
 * sites, with the points it had passed before each. Over the whole run and
 * every process, by site, these orders form a graph; a cycle in it is an
 * inversion: processes that take the same locks in orders that disagree can
 * deadlock, whether or not this run happened to. The finding names each
 * order of the cycle, the process that took it and its points.
 * Never a false alarm: a trylock orders nothing (it cannot wait), and a
 * cycle whose every order was always taken under one more lock (a gate:
 * only one process at a time can be inside) cannot deadlock and is not
 * reported. Applies to scenarios that list it; roles record orders only in
 * runs with two locks or more that it judges.
 */
#include "../harness/internal.h"

#include <inttypes.h>
#include <string.h>

#define MAX_NODES IC_MAX_LOCKS
#define SEARCH_STEPS 200000 /* a bound on the cycle search; real graphs need a few dozen */

typedef struct witness {
	unsigned proc;
	const ic_lock_edge *e;
} witness;

/* The orders of the run, by site: node u before node v. */
typedef struct graph {
	unsigned n;
	int site_lock[MAX_NODES];    /* a lock of each node: its site names the node */
	int node_of[IC_MAX_LOCKS];   /* lock id -> node */
	bool has[MAX_NODES][MAX_NODES];
	uint16_t always[MAX_NODES][MAX_NODES]; /* locks held every time, by every process */
	uint64_t procs[MAX_NODES][MAX_NODES];  /* bit per process that took it */
	witness first[MAX_NODES][MAX_NODES];
	uint64_t count[MAX_NODES][MAX_NODES];
} graph;

static void build_nodes(const ic_facts *f, graph *g)
{
	for (unsigned id = 0; id < f->nlocks; id++) {
		unsigned u = 0;
		while (u < g->n && strcmp(f->locks[g->site_lock[u]].site, f->locks[id].site) != 0)
			u++;
		if (u == g->n)
			g->site_lock[g->n++] = (int)id;
		g->node_of[id] = (int)u;
	}
}

static void add_edges(const ic_facts *f, graph *g)
{
	for (unsigned p = 0; p < f->nprocs; p++) {
		const ic_proc_facts *pf = &f->procs[p];
		for (unsigned k = 0; k < pf->nedges && k < IC_MAX_EDGES; k++) {
			const ic_lock_edge *e = &pf->edges[k];
			if (e->from >= f->nlocks || e->to >= f->nlocks)
				continue;
			int u = g->node_of[e->from], v = g->node_of[e->to];
			if (u == v)
				continue; /* two locks of one site: one class, its nesting is not judged */
			if (!g->has[u][v]) {
				g->has[u][v] = true;
				g->always[u][v] = 0xffff;
				g->first[u][v] = (witness){p, e};
			}
			g->always[u][v] &= e->always_held;
			g->procs[u][v] |= p < 64 ? 1ull << p : 0;
			g->count[u][v] += e->count;
		}
	}
}

/* A lock held across every order of the cycle, not itself on it: the cycle cannot close. */
static uint16_t gate(const ic_facts *f, const graph *g, const unsigned *cyc, unsigned len)
{
	uint16_t mask = 0xffff;
	for (unsigned i = 0; i < len; i++)
		mask &= g->always[cyc[i]][cyc[(i + 1) % len]];
	for (unsigned id = 0; id < f->nlocks; id++)
		for (unsigned i = 0; i < len; i++)
			if (g->node_of[id] == (int)cyc[i])
				mask &= (uint16_t)~(1u << id);
	return mask;
}

typedef struct search {
	const ic_facts *f;
	const graph *g;
	unsigned path[MAX_NODES];
	bool on[MAX_NODES];
	unsigned want;   /* the cycle length sought */
	unsigned steps;
} search;

/* Simple cycles of exactly s->want nodes through path[0], the others above it (each once). */
static bool dfs(search *s, unsigned depth)
{
	if (++s->steps > SEARCH_STEPS)
		return false;
	unsigned u = s->path[depth - 1];
	if (depth == s->want)
		return s->g->has[u][s->path[0]] && gate(s->f, s->g, s->path, depth) == 0;
	for (unsigned v = s->path[0] + 1; v < s->g->n; v++) {
		if (!s->g->has[u][v] || s->on[v])
			continue;
		s->path[depth] = v;
		s->on[v] = true;
		bool found = dfs(s, depth + 1);
		s->on[v] = false;
		if (found)
			return true;
	}
	return false;
}

/* The shortest ungated cycle into s->path; its length, or 0. */
static unsigned find_cycle(search *s)
{
	for (s->want = 2; s->want <= s->g->n; s->want++)
		for (unsigned start = 0; start < s->g->n; start++) {
			memset(s->on, 0, sizeof(s->on));
			s->path[0] = start;
			s->on[start] = true;
			if (dfs(s, 1))
				return s->want;
		}
	return 0;
}

static const char *site(const ic_facts *f, const graph *g, unsigned node)
{
	return f->locks[g->site_lock[node]].site;
}

static unsigned bits(uint64_t m)
{
	return (unsigned)__builtin_popcountll(m);
}

static void report(const ic_facts *f, const graph *g, const unsigned *cyc, unsigned len, ic_finding *out)
{
	ic_finding_addf(out, "lock order inversion:");
	for (unsigned i = 0; i <= len; i++)
		ic_finding_addf(out, "%s'%s'", i ? " -> " : " ", site(f, g, cyc[i % len]));
	ic_finding_addf(out, ": these locks are taken in orders that disagree, so processes can deadlock%s\n",
			f->deadlock ? "" : " (this run did not)");
	uint64_t all = ~0ull;
	for (unsigned i = 0; i < len; i++) {
		unsigned u = cyc[i], v = cyc[(i + 1) % len];
		const witness *w = &g->first[u][v];
		all &= g->procs[u][v];
		ic_finding_addf(out, "  %s took '%s' at %s while holding '%s' (taken at %s), %" PRIu64 " time%s",
				f->procs[w->proc].label, site(f, g, v), w->e->to_point[0] ? w->e->to_point : "its start",
				site(f, g, u), w->e->from_point[0] ? w->e->from_point : "its start", g->count[u][v],
				g->count[u][v] == 1 ? "" : "s");
		unsigned others = bits(g->procs[u][v]) - 1;
		if (others)
			ic_finding_addf(out, "; %u other process%s too", others, others == 1 ? "" : "es");
		ic_finding_addf(out, "\n");
	}
	if (bits(all) == 1)
		ic_finding_addf(out, "  one process took every order: two running this code can deadlock\n");
	ic_finding_addf(out, "  fix: take them in one global order everywhere, or take the later one with "
			     "ic_trylock and back off (release, then retry)\n");
}

static bool lockorder_check(const ic_facts *f, ic_finding *out)
{
	graph g; /* about 9 KiB */
	memset(&g, 0, sizeof(g));
	if (f->nlocks > IC_MAX_LOCKS)
		return false;
	build_nodes(f, &g);
	add_edges(f, &g);
	search s = {.f = f, .g = &g};
	unsigned len = find_cycle(&s);
	if (len == 0)
		return false;
	report(f, &g, s.path, len, out);
	return true;
}

const ic_checker ic_checker_lockorder = {
	.name = "lockorder",
	.summary = "every process takes locks in one order: no cycle in the lock-order graph (lockdep)",
	.check = lockorder_check,
};
