/*
 * liveness: a heartbeat monitor's promises, from the log alone.
 *  - every killed worker is declared dead by the first round of the monitor
 *    that began at least `timeout` after its last beat: within timeout + one
 *    period, plus however late the monitor said its rounds were;
 *  - no worker is declared dead while a beat it published before the
 *    verdict is younger than the timeout (a worker stopped for less than the
 *    timeout is alive; one stopped for longer may be declared dead);
 *  - no job is applied twice (a worker declared dead must be fenced), and,
 *    when the monitor watched to the end, none is lost (a dead worker's jobs
 *    are restarted), unless a killed process left it indeterminate.
 * Times are scenario time (ic_now: virtual in controlled mode), as logged by
 * the scenario: HB_CONFIG and HB_START from setup, HB_BEAT from workers,
 * HB_WATCH, HB_LATE, HB_DECLARE and HB_STOP from the monitor, HB_WORK from all.
 * Whether a beat was visible to a verdict is decided by log order: the
 * monitor looks again after logging the invoke of its declaration.
 */
#include "../harness/internal.h"

#include <inttypes.h>
#include <stdlib.h>

#define LV_MAX_LATE 256

typedef struct lv_decl {
	bool made;
	uint64_t invoked_ns; /* the log time of its invoke: beats logged before were visible */
	uint64_t round;      /* the start of the round that took it */
	uint64_t at;         /* scenario time of the verdict */
} lv_decl;

typedef struct lv_run {
	uint64_t timeout, period, t_init, jobs;
	int monitor;            /* its process, or -1 */
	uint64_t grid;          /* its first round; later ones every period */
	bool stopped;           /* it logged its last round: it watched to the end */
	uint64_t stop;
	unsigned nlate;
	uint64_t late[LV_MAX_LATE][2]; /* planned, began */
	int worker_proc[IC_MAX_PROCS]; /* per worker index; -1 unknown */
	lv_decl decl[IC_MAX_PROCS];
} lv_run;

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

/* ---- Reading the log ---- */

static bool read_config(const ic_facts *f, lv_run *r)
{
	bool config = false, start = false;
	for (uint64_t i = 0; i < f->nobserver; i++) {
		const ic_event *e = &f->observer[i];
		if (e->kind == IC_EV_INFO && e->op == IC_OP_HB_CONFIG) {
			r->timeout = e->a;
			r->period = e->b;
			config = true;
		} else if (e->kind == IC_EV_INFO && e->op == IC_OP_HB_START) {
			r->t_init = e->a;
			r->jobs = e->b;
			start = true;
		}
	}
	return config && start && r->period > 0;
}

static void read_monitor(const ic_facts *f, unsigned p, lv_run *r)
{
	const ic_proc_facts *pf = &f->procs[p];
	uint64_t inv_ns = 0, round = 0;
	for (uint64_t i = 0; i < pf->nev; i++) {
		const ic_event *e = &pf->ev[i];
		if (e->op == IC_OP_HB_WATCH) {
			r->monitor = (int)p;
			r->grid = e->a;
		} else if (e->op == IC_OP_HB_LATE && r->nlate < LV_MAX_LATE) {
			r->late[r->nlate][0] = e->a;
			r->late[r->nlate++][1] = e->b;
		} else if (e->op == IC_OP_HB_STOP) {
			r->stopped = true;
			r->stop = e->a;
		} else if (e->op == IC_OP_HB_DECLARE && e->kind == IC_EV_INVOKE) {
			inv_ns = e->t_ns;
			round = e->b;
		} else if (e->op == IC_OP_HB_DECLARE && e->kind == IC_EV_OK && e->a < IC_MAX_PROCS &&
			   !r->decl[e->a].made) {
			r->decl[e->a] = (lv_decl){true, inv_ns, round, e->b};
		}
	}
}

static bool read_run(const ic_facts *f, lv_run *r)
{
	*r = (lv_run){.monitor = -1};
	for (unsigned w = 0; w < IC_MAX_PROCS; w++)
		r->worker_proc[w] = -1;
	if (!read_config(f, r))
		return false;
	for (unsigned p = 0; p < f->nprocs; p++) {
		const ic_proc_facts *pf = &f->procs[p];
		for (uint64_t i = 0; i < pf->nev; i++) {
			const ic_event *e = &pf->ev[i];
			if (e->op == IC_OP_HB_WATCH) {
				read_monitor(f, p, r);
				break;
			}
			if (e->op == IC_OP_HB_BEAT && e->a < IC_MAX_PROCS) {
				r->worker_proc[e->a] = (int)p; /* its first beat names it */
				break;
			}
		}
	}
	return true;
}

/* The newest beat of worker w logged by log time `by` (UINT64_MAX: any); the monitor counts
 * one at the start of its watch. */
static uint64_t newest_beat(const ic_facts *f, const lv_run *r, unsigned w, uint64_t by)
{
	uint64_t newest = r->grid;
	if (r->worker_proc[w] < 0)
		return newest;
	const ic_proc_facts *pf = &f->procs[r->worker_proc[w]];
	for (uint64_t i = 0; i < pf->nev; i++) {
		const ic_event *e = &pf->ev[i];
		if (e->op == IC_OP_HB_BEAT && e->a == w && e->t_ns <= by && e->b > newest)
			newest = e->b;
	}
	return newest;
}

/*
 * The latest the first round beginning at or after `due` may have begun: a
 * round the monitor did not call late began within a quarter period of its
 * planned time; one it called late began when it said.
 */
static uint64_t round_due(const lv_run *r, uint64_t due)
{
	uint64_t best = UINT64_MAX;
	for (unsigned i = 0; i < r->nlate; i++)
		if (r->late[i][1] >= due && r->late[i][1] < best)
			best = r->late[i][1];
	uint64_t g = due <= r->grid ? r->grid : r->grid + (due - r->grid + r->period - 1) / r->period * r->period;
	for (; g < best; g += r->period) {
		bool skipped = false;
		for (unsigned i = 0; i < r->nlate && !skipped; i++)
			skipped = r->late[i][0] <= g && g <= r->late[i][1];
		if (!skipped)
			return g + r->period / 4 < best ? g + r->period / 4 : best;
	}
	return best;
}

/* ---- The promises ---- */

static unsigned false_declarations(const ic_facts *f, const lv_run *r, ic_finding *out)
{
	unsigned n = 0;
	for (unsigned w = 0; w < IC_MAX_PROCS; w++) {
		const lv_decl *d = &r->decl[w];
		if (!d->made)
			continue;
		uint64_t beat = newest_beat(f, r, w, d->invoked_ns);
		if (d->at >= beat + r->timeout)
			continue;
		n++;
		ic_finding_addf(out, "  worker %u%s%s declared dead at %.3f ms, %.3f ms after a beat it had "
				     "published (timeout %.3f ms): it was alive\n",
				w, r->worker_proc[w] >= 0 ? " " : "",
				r->worker_proc[w] >= 0 ? f->procs[r->worker_proc[w]].label : "", ms(d->at - r->grid),
				ms(d->at > beat ? d->at - beat : 0), ms(r->timeout));
	}
	return n;
}

/* A worker's process that died of a signal nobody but an injector sent. */
static bool killed(const ic_facts *f, int p)
{
	return p >= 0 && !f->procs[p].exited && !f->procs[p].harness_killed;
}

static unsigned missed_deaths(const ic_facts *f, const lv_run *r, ic_finding *out, double *lat, unsigned *nlat)
{
	unsigned n = 0;
	if (!r->stopped) /* the monitor died or was stopped: it promised nothing */
		return 0;
	for (unsigned w = 0; w < IC_MAX_PROCS; w++) {
		int p = r->worker_proc[w];
		if (!killed(f, p))
			continue;
		uint64_t last = newest_beat(f, r, w, UINT64_MAX), due = last + r->timeout;
		const lv_decl *d = &r->decl[w];
		if (d->made && d->round <= round_due(r, due)) {
			if (d->at >= last && *nlat < IC_MAX_PROCS)
				lat[(*nlat)++] = ms(d->at - last);
			continue;
		}
		if (!d->made && r->stop < due)
			continue; /* the monitor stopped before it was due */
		n++;
		ic_finding_addf(out, "  %s (worker %u) was killed, last beat at %.3f ms: due by the round of %.3f ms", f->procs[p].label,
				w, ms(last - r->grid), ms(round_due(r, due) - r->grid));
		if (d->made)
			ic_finding_addf(out, ", declared dead only in the round of %.3f ms (%.3f ms after its last beat)\n",
					ms(d->round - r->grid), ms(d->at - last));
		else
			ic_finding_addf(out, ", never declared dead (the monitor watched until %.3f ms)\n",
					ms(r->stop - r->grid));
	}
	return n;
}

typedef struct lv_job {
	uint32_t done;          /* oks */
	bool open;              /* invoked by a process that died before saying how it went */
	int by[2];              /* the first two processes that did it */
} lv_job;

static void tally_jobs(const ic_facts *f, const lv_run *r, lv_job *jobs)
{
	for (unsigned p = 0; p < f->nprocs; p++) {
		const ic_proc_facts *pf = &f->procs[p];
		uint64_t open = UINT64_MAX;
		for (uint64_t i = 0; i < pf->nev; i++) {
			const ic_event *e = &pf->ev[i];
			if (e->op != IC_OP_HB_WORK)
				continue;
			uint64_t job = e->kind == IC_EV_FAIL ? e->b : e->a;
			if (job >= r->jobs)
				continue;
			if (e->kind == IC_EV_INVOKE) {
				open = job;
			} else if (e->kind == IC_EV_OK || e->kind == IC_EV_FAIL) {
				open = UINT64_MAX;
				if (e->kind == IC_EV_OK && jobs[job].done < 2)
					jobs[job].by[jobs[job].done] = (int)p;
				jobs[job].done += e->kind == IC_EV_OK;
			}
		}
		if (open != UINT64_MAX)
			jobs[open].open = true;
	}
}

static unsigned job_faults(const ic_facts *f, const lv_run *r, ic_finding *out)
{
	lv_job *jobs = calloc(r->jobs ? r->jobs : 1, sizeof(*jobs));
	if (!jobs)
		return 0;
	tally_jobs(f, r, jobs);
	bool whole = r->stopped && r->monitor >= 0 && f->procs[r->monitor].exited;
	unsigned twice = 0, lost = 0;
	for (uint64_t j = 0; j < r->jobs; j++) {
		if (jobs[j].done > 1 && twice++ < 3)
			ic_finding_addf(out, "  job %" PRIu64 " done %u times: by %s and by %s\n", j, jobs[j].done,
					f->procs[jobs[j].by[0]].label, f->procs[jobs[j].by[1]].label);
		if (whole && jobs[j].done == 0 && !jobs[j].open && lost++ < 3)
			ic_finding_addf(out, "  job %" PRIu64 " never done, and nobody died doing it\n", j);
	}
	if (twice > 3)
		ic_finding_addf(out, "  %u jobs done twice in all\n", twice);
	if (lost > 3)
		ic_finding_addf(out, "  %u jobs never done in all\n", lost);
	free(jobs);
	return twice + lost;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* "detection latency: n 2, min 20.1 ms, median 21.0 ms, max 21.0 ms (bound: timeout 20 ms + period 2 ms)" */
static void latency_line(const lv_run *r, double *lat, unsigned n, char *buf, size_t size)
{
	if (n == 0) {
		snprintf(buf, size, "detection latency: no worker was killed");
		return;
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	snprintf(buf, size,
		 "detection latency: n %u, min %.3f ms, median %.3f ms, max %.3f ms "
		 "(bound: timeout %.3f ms + period %.3f ms)",
		 n, lat[0], lat[n / 2], lat[n - 1], ms(r->timeout), ms(r->period));
}

static bool liveness_check(const ic_facts *f, ic_finding *out)
{
	lv_run r;
	if (!read_run(f, &r))
		return false;
	for (unsigned p = 0; p < f->nprocs; p++)
		if (f->procs[p].harness_killed)
			return false; /* the run was ended early (hang, dead holder): nothing to judge */
	double lat[IC_MAX_PROCS];
	unsigned nlat = 0;
	ic_finding tmp = {.text = ""};
	unsigned n = false_declarations(f, &r, &tmp);
	n += missed_deaths(f, &r, &tmp, lat, &nlat);
	n += job_faults(f, &r, &tmp);
	if (n == 0)
		return false;
	char line[256];
	latency_line(&r, lat, nlat, line, sizeof(line));
	ic_finding_addf(out, "the heartbeat monitor broke %u of its promises\n%s  %s\n", n, tmp.text, line);
	return true;
}

/* A run without a finding: the latencies, for --verbose. */
static void liveness_note(const ic_facts *f, char *buf, size_t size)
{
	lv_run r;
	buf[0] = '\0';
	if (!read_run(f, &r))
		return;
	double lat[IC_MAX_PROCS];
	unsigned nlat = 0;
	ic_finding tmp = {.text = ""};
	missed_deaths(f, &r, &tmp, lat, &nlat);
	if (nlat)
		latency_line(&r, lat, nlat, buf, size);
}

const ic_checker ic_checker_liveness = {
	.name = "liveness",
	.summary = "killed workers declared dead within timeout + period, live ones never; no job done twice",
	.check = liveness_check,
	.note = liveness_note,
};
