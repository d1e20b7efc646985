/*
 * run.c: the supervisor. One run: arena, plan, setup, roles forked behind a
 * start barrier, reaping with a progress watchdog, final reads, cleanup, the
 * leftover scan, then the checkers over the facts.
 */
#include "core/run.h"
#include "core/spec.h"
#include "core/backtrace.h"
#include "core/tracker.h"
#include "core/arena.h"
#include "core/spec.h"
#include "core/under.h"
#include "core/waitfor.h"
#include "role/sched.h"
#include "core/story.h"
#include "core/spec.h"
#include "role/race.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IC_EXIT_ORPHAN 125 /* the harness died before the role could start */
#define IC_EXIT_EXEC 127   /* the tool could not be started */

typedef struct proc_state {
	pid_t pid;
	bool done;
	int status; /* from waitpid */
	bool harness_killed;
	int held[IC_MAX_LOCKS];
	const char *stack;
	int log_fd; /* --under: the tool's log (a memfd); -1 if none */
	uint64_t end_ns; /* when it was reaped: the story and trace of a chaos run end it there */
} proc_state;

typedef struct run {
	ic_run_cfg cfg; /* the caller's, with the plans drawn */
	ic_arena_handle ah;
	ic_ctx sup;
	pid_t parent;
	pid_t pgid;
	unsigned nprocs;
	unsigned alive;
	char labels[IC_MAX_PROCS][16];
	const char *label_ptrs[IC_MAX_PROCS + 1];
	const char *const *proc_points[IC_MAX_PROCS]; /* per process: the points its role passes, or NULL */
	proc_state procs[IC_MAX_PROCS];
	bool killed_group;
	bool hang;
	bool deadlock; /* controlled: nobody could be given the baton */
	uint64_t hang_steps; /* controlled: a livelock, so many steps without an operation */
	ic_waitfor cycle;    /* chaos: the cycle of waits on ic_ locks that ended the run */
	double cycle_ms;     /* from its closing to the supervisor seeing it */
	bool interrupted;
	int interrupt_sig; /* the signal that interrupted it */
	double timeout;
	char stacks[IC_MAX_PROCS][2048];
	char reports[IC_MAX_PROCS][2048]; /* --under: each role's first error, from its log */
	char waits[IC_MAX_PROCS][160];    /* a deadlock: what each process waited for */
	char self[PATH_MAX];              /* --under: this binary, for the tool to start */
	ic_facts facts;
	pid_t observer;          /* the child running the scenario's observe, while it runs */
	bool observer_hang;      /* it made no progress for the watchdog's T */
	char observer_stack[2048];
	unsigned nleftovers; /* untracked objects of this run the scan found (facts list the first) */
} run;

static bool checker_applies(const ic_scenario *sc, const char *name);

static void make_labels(run *r)
{
	unsigned slot = 0;
	for (unsigned role = 0; role < r->cfg.nroles; role++)
		for (unsigned i = 0; i < r->cfg.counts[role]; i++, slot++) {
			snprintf(r->labels[slot], sizeof(r->labels[slot]), "%s%u",
				 r->cfg.sc->roles[role].name, i);
			r->label_ptrs[slot] = r->labels[slot];
		}
	r->nprocs = slot;
	r->label_ptrs[slot] = NULL;
}

static ic_plan_env plan_env(const run *r)
{
	return (ic_plan_env){
		.nprocs = r->nprocs,
		.labels = r->label_ptrs,
		.points = r->cfg.sc->points,
		.lock_sites = r->cfg.sc->lock_sites,
		.ops = r->cfg.ops,
		.proc_points = r->proc_points,
	};
}

/* Which points each process passes, as its role says: where a pinned kill draws its victim. */
static void find_proc_points(run *r)
{
	unsigned slot = 0;
	for (unsigned role = 0; role < r->cfg.nroles; role++)
		for (unsigned i = 0; i < r->cfg.counts[role] && slot < IC_MAX_PROCS; i++)
			r->proc_points[slot++] = ic_role_points(r->cfg.sc, role);
}

static void draw_plans(run *r)
{
	find_proc_points(r);
	ic_plan_env env = plan_env(r);
	for (unsigned i = 0; i < r->cfg.ninj; i++) {
		ic_rng rng;
		ic_rng_stream(&rng, r->cfg.seed, IC_STREAM_PLAN, i);
		r->cfg.inj[i].index = i;
		r->cfg.inj[i].inj->plan(&r->cfg.inj[i], &env, &rng);
	}
}

/* ---- Roles ---- */

static void futex_wait(atomic_uint *word, unsigned val)
{
	syscall(SYS_futex, word, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void open_barrier(ic_arena *a)
{
	if (atomic_exchange_explicit(&a->go, 1, memory_order_release) == 0)
		syscall(SYS_futex, &a->go, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/*
 * All roles must start within microseconds of each other, or a short race
 * never shows. So the last role to arrive releases the others, who spin
 * (yielding now and then, for a machine with fewer cores than roles) and only
 * sleep on the futex if the wait grows long.
 */
static void start_barrier(ic_arena *a, unsigned nprocs)
{
	if (atomic_fetch_add_explicit(&a->ready, 1, memory_order_acq_rel) + 1 == nprocs) {
		open_barrier(a);
		return;
	}
	for (unsigned n = 0; atomic_load_explicit(&a->go, memory_order_acquire) == 0; n++) {
		if (n < 1000000)
			n % 64 ? ic_cpu_relax() : (void)sched_yield();
		else
			futex_wait(&a->go, 0);
	}
}

/*
 * A role's process from its body's point of view, forked or started by exec.
 * Not inlined: its frame is where crash stacks stop (ic_bt_is_last_frame).
 * `attach`: started by exec, it must re-open what setup made itself.
 */
__attribute__((noinline)) static _Noreturn void role_main(const ic_run_cfg *cfg, ic_arena *a,
							   void *state, unsigned slot, unsigned role,
							   unsigned index, unsigned nprocs, bool attach)
{
	prctl(PR_SET_TIMERSLACK, 1UL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN); /* a write to a closed channel is EPIPE, logged, not a death */
	ic_bt_install_fault_handler(&a->slots[slot]);

	ic_ctx ctx;
	ctx.state = state;
	ic_ctx_init(&ctx, cfg, a, slot, role, index);
	ctx.scheduled = cfg->mode == IC_MODE_CONTROLLED;
	if (attach && cfg->sc->attach && cfg->sc->attach(&ctx) != 0) {
		fprintf(stderr, "ipchaos: %s%u: scenario %s cannot attach to its run: %s\n",
			cfg->sc->roles[role].name, index, cfg->sc->name, strerror(errno));
		_exit(IC_EXIT_ROLE_START);
	}
	ic_race_role_begin(&ctx); /* setup's accesses are not recorded: they happen before all of this */
	if (ctx.scheduled)
		ic_sched_begin(&ctx);
	else
		start_barrier(a, nprocs);
	int rc = cfg->sc->roles[role].body(&ctx);
	atomic_store_explicit(&a->slots[slot].finished, 1, memory_order_release);
	ic_sched_end(&ctx, false);
	_exit(rc & 0xff);
}

static _Noreturn void forked_role(run *r, unsigned slot, unsigned role, unsigned index)
{
	setpgid(0, r->pgid);
	close(r->ah.fd); /* the flock on the arena is the supervisor's alone to hold */
	/* If the harness dies, so do we; and it may already have died before prctl. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != r->parent)
		_exit(IC_EXIT_ORPHAN);
	if (r->cfg.under) {
		/* Ours alone to keep across exec: the tool writes its report there. */
		fcntl(r->procs[slot].log_fd, F_SETFD, 0);
		ic_under_exec(r->cfg.under, r->self, r->ah.name, slot, r->procs[slot].log_fd);
		_exit(IC_EXIT_EXEC);
	}
	role_main(&r->cfg, r->ah.arena, r->sup.state, slot, role, index, r->nprocs, false);
}

static int fork_roles(run *r)
{
	unsigned slot = 0;
	fflush(NULL); /* every stream: a role that calls exit() must not write our buffers again */
	for (unsigned role = 0; role < r->cfg.nroles; role++)
		for (unsigned i = 0; i < r->cfg.counts[role]; i++, slot++) {
			pid_t pid = fork();
			if (pid < 0)
				return -1;
			if (pid == 0)
				forked_role(r, slot, role, i);
			if (r->pgid == 0)
				r->pgid = pid;
			setpgid(pid, r->pgid); /* also in the child: whichever runs first */
			r->procs[slot].pid = pid;
			r->ah.arena->slots[slot].pid = pid;
			r->alive++;
		}
	return 0;
}

static void kill_group(run *r)
{
	if (r->killed_group)
		return;
	r->killed_group = true;
	if (r->pgid > 0)
		kill(-r->pgid, SIGKILL);
	for (unsigned i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid > 0 && !r->procs[i].done)
			kill(r->procs[i].pid, SIGKILL);
}

/* ---- Supervision ---- */

static bool held_locks(run *r, unsigned slot)
{
	ic_arena *a = r->ah.arena;
	unsigned n = 0, nlocks = atomic_load(&a->nlocks);
	bool unrecoverable = false;
	for (unsigned id = 0; id < nlocks && id < IC_MAX_LOCKS; id++) {
		if (!ic_lockrec_held_by(&a->locks[id], slot))
			continue;
		r->procs[slot].held[n++] = (int)id;
		unrecoverable |= !ic_lock_kind_recovers(a->locks[id].kind);
	}
	if (n < IC_MAX_LOCKS)
		r->procs[slot].held[n] = -1;
	return unrecoverable;
}

static void on_exit_status(run *r, pid_t pid, int status)
{
	for (unsigned i = 0; i < r->nprocs; i++) {
		proc_state *p = &r->procs[i];
		if (p->pid != pid || p->done)
			continue;
		p->done = true;
		p->status = status;
		p->end_ns = ic_now_ns();
		r->alive--;
		atomic_store_explicit(&r->ah.arena->slots[i].finished, 1, memory_order_release);
		open_barrier(r->ah.arena); /* a role that died early must not hold the others back */
		bool unrecoverable = WIFSIGNALED(status) && held_locks(r, i);
		/* Controlled: if it died holding the baton, the next process gets it (or nobody). */
		ic_sched_reaped(r->ah.arena, i, unrecoverable);
		if (!WIFSIGNALED(status))
			return;
		int injected = atomic_load(&r->ah.arena->slots[i].injected_sig);
		p->harness_killed = r->killed_group && injected != WTERMSIG(status);
		/* Everyone else would block on that lock forever: end the run now. */
		if (unrecoverable)
			kill_group(r);
		return;
	}
}

static void reap_ready(run *r)
{
	int status;
	pid_t pid;
	while (r->alive > 0 && (pid = waitpid(-1, &status, WNOHANG)) > 0)
		on_exit_status(r, pid, status);
}

/*
 * Events logged; in controlled mode steps taken too: a livelock there is
 * decided in steps (it replays), so the wall clock only judges a process
 * stuck where the scheduler does not see it, however loaded the machine is.
 */
static uint64_t progress(const run *r)
{
	uint64_t sum = 0;
	if (r->cfg.mode == IC_MODE_CONTROLLED)
		sum = __atomic_load_n(&r->ah.arena->sched.step, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < r->nprocs; i++)
		sum += atomic_load_explicit(&r->ah.arena->slots[i].committed, memory_order_acquire);
	return sum;
}

static void collect_stacks(run *r)
{
	for (unsigned i = 0; i < r->nprocs; i++) {
		proc_state *p = &r->procs[i];
		int status;
		if (p->done)
			continue;
		if (r->cfg.under) {
			/* ptrace would unwind the tool's own frames, not the role's. */
			snprintf(r->stacks[i], sizeof(r->stacks[i]),
				 "    (running under %s: no stack taken)\n", r->cfg.under);
			p->stack = r->stacks[i];
			continue;
		}
		int rc = ic_bt_ptrace(p->pid, r->stacks[i], sizeof(r->stacks[i]), &status);
		if (rc == 1)
			on_exit_status(r, p->pid, status);
		else
			p->stack = r->stacks[i];
	}
}

/* Stopped ('T')? A SIGCONT sent before the process's own SIGSTOP would be lost. */
static bool is_stopped(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'T';
}

/* Continue processes whose stall is over; true while any is still stopped. */
static bool end_stalls(run *r, uint64_t now)
{
	bool stalled = false;
	for (unsigned i = 0; i < r->nprocs; i++) {
		ic_slot *s = &r->ah.arena->slots[i];
		uint64_t until = atomic_load(&s->stall_until);
		if (!until || r->procs[i].done)
			continue;
		if (now < until || !is_stopped(r->procs[i].pid)) {
			stalled = true;
			continue;
		}
		atomic_store(&s->stall_until, 0);
		kill(r->procs[i].pid, SIGCONT);
	}
	return stalled;
}

static const char *wait_name(int wait)
{
	static const char *const names[] = {[IC_WAIT_NONE] = "the baton", [IC_WAIT_LOCK] = "lock",
					    [IC_WAIT_COND] = "a condition variable",
					    [IC_WAIT_IO] = "a channel", [IC_WAIT_SPIN] = "a peer (spinning)"};
	return wait >= 0 && wait <= IC_WAIT_SPIN ? names[wait] : "?";
}

/* Nobody runs any more, so the scheduler's state is still: what each process waited for, where. */
static void record_waits(run *r, bool livelock)
{
	ic_arena *a = r->ah.arena;
	r->deadlock = !livelock;
	r->hang = livelock;
	r->hang_steps = a->sched.livelock_steps;
	for (unsigned i = 0; i < r->nprocs; i++) {
		const ic_sched_proc *p = &a->sched.procs[i];
		char *w = r->waits[i];
		size_t len = 0, cap = sizeof(r->waits[i]);
		if (p->state == IC_PS_DONE || p->state == IC_PS_DEAD)
			continue;
		if (p->state == IC_PS_WAITING)
			len = (size_t)snprintf(w, cap, "waits for %s", wait_name(p->wait));
		else
			len = (size_t)snprintf(w, cap, "%s", p->state == IC_PS_STALLED ? "stalled" : "can run");
		if (p->state == IC_PS_WAITING && p->wait == IC_WAIT_LOCK && p->wait_obj < IC_MAX_LOCKS) {
			int holder = atomic_load(&a->locks[p->wait_obj].holder);
			uint64_t readers = atomic_load(&a->locks[p->wait_obj].readers);
			if (holder == 0 && readers) /* an rwlock held for reading: name its first reader */
				holder = __builtin_ctzll(readers) + 1;
			len += (size_t)snprintf(w + len, cap - len, " %s (held by %s)", a->locks[p->wait_obj].site,
						holder > 0 && (unsigned)holder <= r->nprocs ? r->labels[holder - 1]
											    : "nobody");
		}
		if (len < cap)
			snprintf(w + len, cap - len, " at %s", p->point[0] ? p->point : "its start");
	}
}

/* Chaos: a cycle of waits on ic_ locks never resolves; the run ends now, as a deadlock. */
static bool waits_cycle(run *r)
{
	if (r->cfg.mode != IC_MODE_CHAOS || !ic_waitfor_find(r->ah.arena, r->nprocs, &r->cycle))
		return false;
	uint64_t now = ic_now_ns();
	r->cycle_ms = now > r->cycle.closed_ns ? (double)(now - r->cycle.closed_ns) / 1e6 : 0;
	r->deadlock = true;
	return true;
}

static void supervise(run *r)
{
	sigset_t set;
	ic_run_signals(&set);
	uint64_t last_sum = UINT64_MAX, last_progress = ic_now_ns();
	/* Saturated: --timeout, the factor, valgrind and --under multiply past 2^64 ns at their limits. */
	uint64_t limit_ns = r->timeout < 1e10 ? (uint64_t)(r->timeout * 1e9) : UINT64_MAX;

	while (r->alive > 0) {
		struct timespec tick = {0, 2 * 1000 * 1000};
		int sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM || sig == IC_CANCEL_SIG) {
			r->interrupted = true;
			r->interrupt_sig = sig;
			kill_group(r);
		}
		reap_ready(r);
		if (r->alive == 0 || r->killed_group)
			continue;
		int over = atomic_load(&r->ah.arena->sched.over);
		if (over == IC_OVER_DEADLOCK || over == IC_OVER_LIVELOCK) {
			record_waits(r, over == IC_OVER_LIVELOCK);
			kill_group(r);
			continue;
		}
		if (waits_cycle(r)) {
			kill_group(r);
			continue;
		}
		uint64_t sum = progress(r), now = ic_now_ns();
		/* A stall is planned silence, not a hang. */
		if (end_stalls(r, now) || sum != last_sum) {
			last_sum = sum;
			last_progress = now;
		} else if (now - last_progress > limit_ns) {
			r->hang = true;
			collect_stacks(r);
			kill_group(r);
		}
	}
}

/* ---- Cleanup ---- */

/* Listing queues may cost a process: only for runs that made some, or say they might. */
static bool uses_mqueues(const run *r)
{
	if (r->cfg.sc->flags & IC_SC_MQUEUES)
		return true;
	unsigned n = atomic_load(&r->ah.arena->ntracked);
	for (unsigned i = 0; i < n && i < IC_MAX_TRACKED; i++)
		if (r->ah.arena->tracked[i].kind == IC_OBJ_MQ)
			return true;
	return false;
}

/*
 * This run's objects that the tracker did not remove: leaks, removed unless
 * --keep (which keeps them, and what the tracker holds, for inspection).
 * Another user's objects that carry the run's id are interference: reported,
 * never judged, never touched.
 */
static void scan_leftovers(run *r, ic_run_result *res)
{
	ic_facts *f = &r->facts;
	ic_scan s = {.runid = r->ah.arena->runid, .secret = r->ah.arena->secret,
		     .tracked = r->cfg.keep ? r->ah.arena : NULL, .remove = !r->cfg.keep,
		     .mqueues = uses_mqueues(r), .found = f->leaks,
		     .max = sizeof(f->leaks) / sizeof(f->leaks[0]), .foreign = res->interference,
		     .max_foreign = IC_MAX_INTERFERENCE};
	ic_tracker_scan(&s);
	f->nleaks = s.n < s.max ? s.n : s.max;
	r->nleftovers = s.n;
	res->ninterference = s.nforeign;
}

/* ---- Facts and verdicts ---- */

/* The wait-for cycle, with the point each member passed before it began to wait. */
static void copy_cycle(run *r)
{
	ic_facts *f = &r->facts;
	f->ncycle = r->cycle.n;
	f->cycle_ms = r->cycle_ms;
	for (unsigned i = 0; i < r->cycle.n; i++) {
		unsigned p = r->cycle.proc[i];
		f->cycle[i].proc = p;
		f->cycle[i].lock = r->cycle.lock[i];
		snprintf(f->cycle[i].point, sizeof(f->cycle[i].point), "%s", r->ah.arena->slots[p].wait_point);
	}
}

static void build_facts(run *r)
{
	ic_arena *a = r->ah.arena;
	ic_facts *f = &r->facts;
	f->nprocs = r->nprocs;
	for (unsigned i = 0; i < r->nprocs; i++) {
		ic_proc_facts *pf = &f->procs[i];
		proc_state *p = &r->procs[i];
		ic_slot *s = &a->slots[i];
		snprintf(pf->label, sizeof(pf->label), "%s", r->labels[i]);
		pf->pid = p->pid;
		pf->ev = ic_slot_events(a, s);
		pf->nev = atomic_load_explicit(&s->committed, memory_order_acquire);
		pf->exited = WIFEXITED(p->status);
		pf->code = pf->exited ? WEXITSTATUS(p->status) : WTERMSIG(p->status);
		pf->injected = !pf->exited && atomic_load(&s->injected_sig) == pf->code;
		pf->harness_killed = p->harness_killed;
		snprintf(pf->injected_at, sizeof(pf->injected_at), "%s", s->injected_at);
		pf->injected_hit = s->injected_hit;
		memcpy(pf->held, p->held, sizeof(pf->held));
		if (pf->exited)
			pf->held[0] = -1;
		unsigned k = 0;
		if (atomic_load_explicit(&s->crash_sig, memory_order_acquire))
			for (; k < IC_BT_FRAMES && s->crash_bt[k][0]; k++)
				pf->crash_bt[k] = s->crash_bt[k];
		if (k < IC_BT_FRAMES)
			pf->crash_bt[k] = NULL;
		pf->stack = p->stack;
		pf->tool_report = r->reports[i][0] ? r->reports[i] : NULL;
		pf->waiting = r->waits[i][0] ? r->waits[i] : NULL;
		pf->edges = s->edges;
		pf->nedges = atomic_load_explicit(&s->nedges, memory_order_acquire);
		if (pf->nedges > IC_MAX_EDGES)
			pf->nedges = IC_MAX_EDGES;
		pf->edges_lost = atomic_load(&s->edges_lost);
	}
	copy_cycle(r);
	ic_slot *obs = &a->slots[r->nprocs];
	f->observer = ic_slot_events(a, obs);
	f->nobserver = atomic_load(&obs->committed);
	f->nlocks = atomic_load(&a->nlocks);
	if (f->nlocks > IC_MAX_LOCKS)
		f->nlocks = IC_MAX_LOCKS;
	for (unsigned i = 0; i < f->nlocks; i++) {
		snprintf(f->locks[i].site, sizeof(f->locks[i].site), "%s", a->locks[i].site);
		f->locks[i].kind = a->locks[i].kind;
	}
	f->hang = r->hang;
	f->hang_steps = r->hang_steps;
	f->deadlock = r->deadlock;
	f->hang_seconds = r->timeout;
	f->allowed_mode = r->cfg.sc->shared_mode ? r->cfg.sc->shared_mode : 0600;
	unsigned ntracked = atomic_load(&a->ntracked);
	for (unsigned i = 0; i < ntracked && i < IC_MAX_TRACKED; i++) {
		if (!a->tracked[i].mode)
			continue; /* opened, not created here */
		snprintf(f->objects[f->nobjects].name, sizeof(f->objects[0].name), "%s", a->tracked[i].name);
		f->objects[f->nobjects].mode = a->tracked[i].mode;
		f->objects[f->nobjects].excl = a->tracked[i].excl;
		f->nobjects++;
	}
	f->kept = r->cfg.keep;
	/* The supervisor's own accesses are never recorded: the roles' ends happen before its drain. */
	f->race = r->cfg.detect_races ? &a->race : NULL;
}

static bool checker_applies(const ic_scenario *sc, const char *name)
{
	if (!sc->checkers || strcmp(name, "race") == 0)
		return true; /* race: whenever the run detects races (its facts say) */
	if (strcmp(name, "deadlock") == 0)
		name = "hang"; /* the controlled form of a hang: scenarios predate it */
	size_t n = strlen(name);
	for (const char *p = sc->checkers; (p = strstr(p, name)); p += n)
		if ((p == sc->checkers || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* A passing checker's line for --verbose, after those before it. */
static void add_note(const ic_checker *c, const ic_facts *f, ic_run_result *res)
{
	char line[256];
	c->note(f, line, sizeof(line));
	size_t len = strlen(res->notes);
	if (line[0] && len < sizeof(res->notes))
		snprintf(res->notes + len, sizeof(res->notes) - len, "%s: %s\n", c->name, line);
}

/*
 * What a full log cannot decide: increments past its end are not there to
 * count, and a process that logs nothing more looks stuck to the watchdog.
 */
static bool uncertain_on_full_log(const char *checker)
{
	return strcmp(checker, "counter") == 0 || strcmp(checker, "hang") == 0;
}

static void judge(run *r, ic_run_result *res)
{
	for (unsigned i = 0; ic_checkers[i] && res->nfindings < IC_MAX_FINDINGS; i++) {
		const ic_checker *c = ic_checkers[i];
		if (!checker_applies(r->cfg.sc, c->name))
			continue;
		if (r->facts.log_full && uncertain_on_full_log(c->name))
			continue;
		ic_finding *out = &res->findings[res->nfindings];
		out->checker = c->name;
		out->text[0] = '\0';
		out->nmarks = 0; /* a checker that stayed silent may have left some */
		if (c->check(&r->facts, out))
			res->nfindings++;
		else if (c->note)
			add_note(c, &r->facts, res);
	}
	res->status = res->nfindings ? IC_RUN_FAIL : IC_RUN_PASS;
}

static uint64_t count_events(const ic_proc_facts *p, uint32_t kind, uint32_t op)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < p->nev; i++)
		n += p->ev[i].kind == kind && (op == 0 || p->ev[i].op == op);
	return n;
}

/* Messages received intact, and the span they moved in: first send to last receive. */
static void count_received(const ic_event *ev, uint64_t n, ic_run_result *res, uint64_t span[2])
{
	for (uint64_t i = 0; i < n; i++) {
		if (ev[i].op == IC_OP_SEND && ev[i].kind == IC_EV_INVOKE && ev[i].t_ns < span[0])
			span[0] = ev[i].t_ns;
		if (ev[i].op != IC_OP_RECV || ev[i].kind != IC_EV_OK || (ev[i].b & 0xff) != IC_MSG_INTACT)
			continue;
		res->messages++;
		res->bytes += ev[i].b >> 16;
		if (ev[i].t_ns > span[1])
			span[1] = ev[i].t_ns;
	}
}

/* ---- Records read while others were written (bench's read-mostly table) ---- */

static void record_span(const ic_facts *f, uint32_t op, uint32_t kind, uint64_t span[2])
{
	span[0] = UINT64_MAX;
	span[1] = 0;
	for (unsigned p = 0; p < f->nprocs; p++)
		for (uint64_t i = 0; i < f->procs[p].nev; i++) {
			const ic_event *e = &f->procs[p].ev[i];
			if (e->op != op || e->kind != kind)
				continue;
			span[0] = e->t_ns < span[0] ? e->t_ns : span[0];
			span[1] = e->t_ns > span[1] ? e->t_ns : span[1];
		}
}

static uint64_t records_within(const ic_facts *f, uint32_t op, uint32_t kind, uint64_t from, uint64_t to)
{
	uint64_t n = 0;
	for (unsigned p = 0; p < f->nprocs; p++)
		for (uint64_t i = 0; i < f->procs[p].nev; i++) {
			const ic_event *e = &f->procs[p].ev[i];
			n += e->op == op && e->kind == kind && e->t_ns >= from && e->t_ns <= to;
		}
	return n;
}

/* Only while readers and writers both ran: a role that ends early must not flatter the other.
 * A run that counted instead of logging (rwcache for=) says its totals and its time. */
static void count_records(const ic_facts *f, ic_run_result *res)
{
	for (uint64_t i = 0; i < f->nobserver; i++) {
		const ic_event *e = &f->observer[i];
		if (e->kind == IC_EV_INFO && e->op == IC_OP_REC_TALLY) {
			res->rec_reads = e->a;
			res->rec_writes = e->b;
		} else if (e->kind == IC_EV_INFO && e->op == IC_OP_REC_SPAN) {
			res->rec_span_s = (double)e->a / 1e9;
		}
	}
	if (res->rec_span_s > 0)
		return;
	uint64_t rd[2], wr[2];
	record_span(f, IC_OP_REC_READ, IC_EV_INFO, rd);
	record_span(f, IC_OP_REC_WRITE, IC_EV_OK, wr);
	uint64_t from = rd[0] > wr[0] ? rd[0] : wr[0], to = rd[1] < wr[1] ? rd[1] : wr[1];
	if (rd[1] == 0 || wr[1] == 0 || to <= from)
		return;
	res->rec_reads = records_within(f, IC_OP_REC_READ, IC_EV_INFO, from, to);
	res->rec_writes = records_within(f, IC_OP_REC_WRITE, IC_EV_OK, from, to);
	res->rec_span_s = (double)(to - from) / 1e9;
}

static void describe_ends(run *r, ic_run_result *res)
{
	uint64_t span[2] = {UINT64_MAX, 0};
	size_t len = strlen(res->evidence), cap = sizeof(res->evidence);
#define ADD(...) (len += len < cap ? (size_t)snprintf(res->evidence + len, cap - len, __VA_ARGS__) : 0)
	ADD("  roles:");
	for (unsigned i = 0; i < r->nprocs; i++) {
		const ic_proc_facts *p = &r->facts.procs[i];
		ADD("%s %s ", i ? "," : "", p->label);
		if (p->exited)
			ADD("exit %d", p->code);
		else if (p->injected)
			ADD("killed by %s at %s hit %" PRIu64 " (injected)", ic_signal_name(p->code),
			    p->injected_at, p->injected_hit);
		else if (p->harness_killed)
			ADD("killed by the harness");
		else
			ADD("died of %s", ic_signal_name(p->code));
		ADD(" (%" PRIu64 " ok)", count_events(p, IC_EV_OK, 0));
		res->recoveries += count_events(p, IC_EV_INFO, IC_OP_RECOVER);
		count_received(p->ev, p->nev, res, span);
	}
	uint64_t drained_span[2] = {UINT64_MAX, 0}; /* the drain is not the channel's speed */
	count_received(r->facts.observer, r->facts.nobserver, res, drained_span);
	count_records(&r->facts, res);
	res->transfer_s = span[1] > span[0] ? (double)(span[1] - span[0]) / 1e9 : 0;
	ADD("\n");
	if (res->recoveries)
		ADD("  robust lock recovered from a dead holder %" PRIu64 " time%s\n", res->recoveries,
		    res->recoveries == 1 ? "" : "s");
	ic_plan_env env = plan_env(r);
	for (unsigned i = 0; i < r->cfg.ninj; i++) {
		char plan[256];
		r->cfg.inj[i].inj->describe(&r->cfg.inj[i], &env, plan, sizeof(plan));
		ADD("  plan %s: %s\n", r->cfg.inj[i].inj->name, plan);
		bool any = false;
		for (unsigned s = 0; s < r->nprocs; s++) {
			const ic_slot *slot = &r->ah.arena->slots[s];
			for (uint32_t k = 0; k < slot->nfires; k++) {
				if (slot->fires[k].inj != i)
					continue;
				ADD("%s %s at %s x%u", any ? "," : "    fired:", r->labels[s],
				    slot->fires[k].point, slot->fires[k].count);
				res->fired[i] += slot->fires[k].count;
				any = true;
			}
		}
		ADD(any ? "\n" : "    fired: never\n");
	}
#undef ADD
}

/* --detect races: each report's bytes by the scenario's name for them, where it gives one. */
static void name_fields(run *r)
{
	ic_race_arena *ra = &r->ah.arena->race;
	const ic_field *fl = r->cfg.sc->fields;
	for (unsigned i = 0; fl && i < ra->nreports && i < IC_RACE_REPORTS; i++) {
		ic_race_report *rep = &ra->reports[i];
		const char *seg = rep->region < ra->nregions ? ra->regions[rep->region].name : "";
		for (const ic_field *f = fl; f->object; f++)
			if (strcmp(f->object, seg) == 0 && rep->offset >= f->offset && rep->offset < f->offset + f->size)
				snprintf(rep->field, sizeof(rep->field), "%s", f->name);
	}
}

/* --detect races: what was checked, so that a silent detector can be told from a blind one. */
static void describe_races(run *r, ic_run_result *res)
{
	const ic_race_arena *ra = &r->ah.arena->race;
	size_t len = strlen(res->evidence), cap = sizeof(res->evidence);
	if (!r->cfg.detect_races || len >= cap)
		return;
	uint64_t checked = 0;
	for (unsigned i = 0; i < r->nprocs; i++)
		checked += ra->checked[i].n;
	len += (size_t)snprintf(res->evidence + len, cap - len, "  races: %" PRIu64 " accesses checked in", checked);
	for (unsigned i = 0; i < ra->nregions && len < cap; i++)
		len += (size_t)snprintf(res->evidence + len, cap - len, "%s %s", i ? "," : "", ra->regions[i].name);
	if (!ra->nregions && len < cap)
		len += (size_t)snprintf(res->evidence + len, cap - len, " no segment (none made by ic_shm_create "
									"or named by ic_shared_region)");
	if (atomic_load(&ra->unchecked) && len < cap)
		len += (size_t)snprintf(res->evidence + len, cap - len, "; %" PRIu64 " not checked (no room)",
					atomic_load(&ra->unchecked));
	if (atomic_load(&ra->nosync) && len < cap)
		len += (size_t)snprintf(res->evidence + len, cap - len,
					"; sync clocks ran out: races not judged");
	uint64_t exact = atomic_load(&ra->qexact), wide = atomic_load(&ra->qwide);
	if ((exact || wide) && len < cap)
		len += (size_t)snprintf(res->evidence + len, cap - len,
					"; queue receives: %" PRIu64 " after the sends they may have got, %" PRIu64
					" after every equal send",
					exact, wide);
	if (len < cap)
		snprintf(res->evidence + len, cap - len, "\n");
}

static void describe_schedule(run *r, ic_run_result *res)
{
	const ic_sched *s = &r->ah.arena->sched;
	ic_schedule *sc = &res->schedule;
	sc->mode = s->mode;
	if (s->mode != IC_MODE_CONTROLLED)
		return;
	*sc = (ic_schedule){.mode = s->mode, .strategy = s->strategy, .n = s->nprocs, .depth = s->depth,
			    .k = s->k, .steps = s->step, .switches = s->switches,
			    .preemptions = s->preemptions, .timeouts = s->timeouts,
			    .decisions = atomic_load(&s->nlog), .hash = s->hash,
			    .log_full = atomic_load(&s->nlog) >= s->log_cap};
	size_t len = strlen(res->evidence), cap = sizeof(res->evidence);
	char how[32];
	if (s->strategy == IC_STRATEGY_LIST)
		snprintf(how, sizeof(how), "listed");
	else
		snprintf(how, sizeof(how), "%s d=%u", ic_strategy_name(s->strategy), s->depth);
	if (len < cap)
		snprintf(res->evidence + len, cap - len,
			 "  schedule: controlled %s n=%u k=%" PRIu64 ": %" PRIu64 " steps, %" PRIu64
			 " switches (%" PRIu64 " preemptions, %" PRIu64 " timeouts), decisions %016" PRIx64 "\n",
			 how, s->nprocs, s->k, s->step, s->switches, s->preemptions, s->timeouts, s->hash);
}

/* Appends ", what" to the kept listing; says how many did not fit rather than cut one in half. */
static void kept_add(ic_run_result *res, size_t *len, unsigned *left_out, const char *what)
{
	size_t room = sizeof(res->kept) - *len;
	size_t need = strlen(what) + (*len ? 2 : 0);
	if (*left_out || need + 32 >= room) { /* 32: room for the count of the rest */
		(*left_out)++;
		return;
	}
	*len += (size_t)snprintf(res->kept + *len, room, "%s%s", *len ? ", " : "", what);
}

/*
 * Every object --keep left: the arena, what the tracker holds, and this
 * run's untracked objects the scan found (leaks, judged all the same).
 */
static void describe_kept(run *r, ic_run_result *res)
{
	static const char *const where[] = {[IC_OBJ_SHM] = "/dev/shm", [IC_OBJ_MQ] = "mqueue ",
					    [IC_OBJ_SYSV_MSG] = ""};
	ic_arena *a = r->ah.arena;
	char what[400];
	size_t len = 0;
	unsigned left_out = 0;
	snprintf(what, sizeof(what), "/dev/shm%s", r->ah.name);
	kept_add(res, &len, &left_out, what);
	unsigned n = atomic_load(&a->ntracked);
	for (unsigned i = 0; i < n && i < IC_MAX_TRACKED; i++)
		if (atomic_load(&a->tracked[i].state) == 2) {
			snprintf(what, sizeof(what), "%s%s", where[a->tracked[i].kind], a->tracked[i].name);
			kept_add(res, &len, &left_out, what);
		}
	for (unsigned i = 0; i < r->facts.nleaks; i++)
		kept_add(res, &len, &left_out, r->facts.leaks[i]);
	left_out += r->nleftovers - r->facts.nleaks; /* found, but more than the facts list */
	if (left_out)
		snprintf(res->kept + len, sizeof(res->kept) - len, ", and %u more", left_out);
}

static bool log_overflowed(run *r, ic_run_result *res)
{
	for (unsigned i = 0; i <= r->nprocs; i++)
		if (atomic_load(&r->ah.arena->slots[i].overflow)) {
			snprintf(res->broken, sizeof(res->broken),
				 "the event log of %s filled up (%" PRIu64 " records)",
				 i < r->nprocs ? r->labels[i] : "the supervisor",
				 r->ah.arena->slots[i].cap);
			return true;
		}
	return false;
}

/* ---- Roles under a tool ---- */

static int prepare_under(run *r, ic_run_result *res)
{
	ssize_t n = readlink("/proc/self/exe", r->self, sizeof(r->self) - 1);
	if (n <= 0 || (size_t)n >= sizeof(r->self) - 1) {
		snprintf(res->broken, sizeof(res->broken), "cannot find this binary for %s: %s", r->cfg.under,
			 n < 0 ? strerror(errno) : "path too long");
		return -1;
	}
	r->self[n] = '\0';
	if (ic_under_role_args(&r->cfg, r->ah.arena->role_args, sizeof(r->ah.arena->role_args)) != 0) {
		snprintf(res->broken, sizeof(res->broken), "the run's arguments are too long for its arena");
		return -1;
	}
	for (unsigned i = 0; i < r->nprocs; i++)
		if ((r->procs[i].log_fd = memfd_create("ipchaos-under", MFD_CLOEXEC)) < 0) {
			snprintf(res->broken, sizeof(res->broken), "memfd_create: %s", strerror(errno));
			return -1;
		}
	return 0;
}

/* Each role's first error, from what the tool wrote to its memfd; or the tool's own failure. */
static void read_reports(run *r, ic_run_result *res)
{
	size_t size = 64 * 1024; /* the first error is near the start; the rest need not be read */
	char *log = malloc(size);
	for (unsigned i = 0; log && i < r->nprocs; i++) {
		if (r->procs[i].log_fd < 0)
			continue;
		ssize_t n = pread(r->procs[i].log_fd, log, size - 1, 0);
		log[n > 0 ? n : 0] = '\0';
		ic_under_report(log, r->reports[i], sizeof(r->reports[i]));
		char why[256];
		if (!res->broken[0] && ic_under_tool_failed(log, why, sizeof(why)))
			snprintf(res->broken, sizeof(res->broken), "valgrind could not run %s: %s",
				 r->labels[i], why);
	}
	free(log);
}

static void close_logs(run *r)
{
	for (unsigned i = 0; i < IC_MAX_PROCS; i++)
		if (r->procs[i].log_fd >= 0) {
			close(r->procs[i].log_fd);
			r->procs[i].log_fd = -1;
		}
}

/* ---- The final reads: observe in a child, watched as the roles are ---- */

/*
 * observe is user code after the roles: a drain spinning on a ring that
 * killed roles left half-updated must not hang the campaign, nor make it
 * deaf to SIGINT. So it runs in a child of its own: no committed record
 * from it for T seconds is a hang (with its stack), a signal kills it, and
 * cleanup goes on in the supervisor either way.
 */
/* Not inlined: its frame is where a stuck observe's stack stops (ic_bt_is_last_frame). */
__attribute__((noinline)) static _Noreturn void observer_main(run *r, int report_fd)
{
	close(r->ah.fd); /* the flock on the arena is the supervisor's alone to hold */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != r->parent)
		_exit(IC_EXIT_ORPHAN);
	signal(SIGPIPE, SIG_IGN);
	errno = 0;
	if (r->cfg.sc->observe(&r->sup) == 0)
		_exit(0);
	const char *why = r->sup.error[0] ? r->sup.error : strerror(errno);
	ssize_t n = write(report_fd, why, strlen(why));
	(void)n; /* the exit code says it failed; the reason is a courtesy */
	_exit(1);
}

/* SIGKILL the observer and reap it; its status into *status. */
static void observer_kill(run *r, int *status)
{
	kill(r->observer, SIGKILL);
	while (waitpid(r->observer, status, 0) < 0 && errno == EINTR)
		continue;
}

/* Waits for the observer as supervise() waits for roles: signals, progress, the watchdog. */
static int observer_wait(run *r)
{
	sigset_t set;
	ic_run_signals(&set);
	const ic_slot *slot = &r->ah.arena->slots[r->nprocs];
	uint64_t limit_ns = r->timeout < 1e10 ? (uint64_t)(r->timeout * 1e9) : UINT64_MAX;
	uint64_t last = UINT64_MAX, last_progress = ic_now_ns();
	int status = 0;
	for (;;) {
		struct timespec tick = {0, 2 * 1000 * 1000};
		int sig = sigtimedwait(&set, NULL, &tick);
		if (sig == SIGINT || sig == SIGTERM || sig == IC_CANCEL_SIG) {
			r->interrupted = true;
			r->interrupt_sig = sig;
			observer_kill(r, &status);
			return status;
		}
		if (waitpid(r->observer, &status, WNOHANG) == r->observer)
			return status;
		uint64_t now = ic_now_ns(), sum = atomic_load(&slot->committed);
		if (sum != last) {
			last = sum;
			last_progress = now;
		} else if (now - last_progress > limit_ns) {
			r->observer_hang = true;
			if (ic_bt_ptrace(r->observer, r->observer_stack, sizeof(r->observer_stack), &status) == 1)
				return status;
			observer_kill(r, &status);
			return status;
		}
	}
}

static void observe(run *r, ic_run_result *res)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(res->broken, sizeof(res->broken), "pipe for the final read: %s", strerror(errno));
		return;
	}
	fflush(NULL); /* a child that calls exit() must not write our buffers again */
	r->observer = fork();
	if (r->observer == 0)
		observer_main(r, fds[1]);
	close(fds[1]);
	if (r->observer < 0) {
		snprintf(res->broken, sizeof(res->broken), "fork for the final read: %s", strerror(errno));
		close(fds[0]);
		return;
	}
	int status = observer_wait(r);
	char why[256] = "";
	ssize_t n = read(fds[0], why, sizeof(why) - 1);
	why[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	r->observer = 0;
	if (r->interrupted || r->observer_hang)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
		snprintf(res->broken, sizeof(res->broken), "the scenario's final read failed: %s", why);
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		snprintf(res->broken, sizeof(res->broken), "the scenario's final read exited %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(res->broken, sizeof(res->broken), "the scenario's final read died of %s",
			 ic_signal_name(WTERMSIG(status)));
}

/* A stuck observe: a hang finding where the scenario is judged for hangs, else the run is BROKEN. */
static void observer_hung(run *r, ic_run_result *res)
{
	r->facts.hang = true;
	r->facts.observer_stack = r->observer_stack[0] ? r->observer_stack : "    (no stack taken)\n";
	if (!checker_applies(r->cfg.sc, "hang"))
		snprintf(res->broken, sizeof(res->broken),
			 "the scenario's final read made no progress for %.1f s (killed)", r->timeout);
}

/* A process that broke the loops' contract (role/msg.c wrote why): not judged. */
static bool loop_misuse(run *r, ic_run_result *res)
{
	for (unsigned i = 0; i < r->nprocs; i++)
		if (r->ah.arena->slots[i].misuse[0]) {
			snprintf(res->broken, sizeof(res->broken), "%s: %s", r->labels[i],
				 r->ah.arena->slots[i].misuse);
			return true;
		}
	return false;
}

/*
 * A full log is judged on what it holds: a duplicate seen is a duplicate.
 * What a missing tail may hide (a loss, an increment) is not judged; when
 * nothing certain is found, the run stays BROKEN, saying so.
 */
static void judge_full_log(run *r, ic_run_result *res)
{
	r->facts.log_full = true;
	judge(r, res);
	if (!res->nfindings) {
		size_t n = strlen(res->broken);
		snprintf(res->broken + n, sizeof(res->broken) - n, "; nothing certain in what it holds: not judged");
		res->status = IC_RUN_BROKEN;
		return;
	}
	size_t len = strlen(res->evidence);
	if (len < sizeof(res->evidence))
		snprintf(res->evidence + len, sizeof(res->evidence) - len,
			 "  %s: judged on what it holds (no loss is claimed)\n", res->broken);
	res->broken[0] = '\0';
}

/* ---- The run ---- */

static void finish(run *r, ic_run_result *res)
{
	const ic_scenario *sc = r->cfg.sc;
	if (!r->interrupted && sc->observe)
		observe(r, res);
	if (r->cfg.keep) {
		atomic_store(&r->ah.arena->kept, 1); /* a sweeper leaves kept runs alone */
	} else {
		if (sc->teardown)
			sc->teardown(&r->sup);
		ic_tracker_sweep(r->ah.arena);
	}
	scan_leftovers(r, res);
	if (r->cfg.keep)
		describe_kept(r, res);
	if (r->interrupted) {
		res->status = IC_RUN_INTERRUPTED;
		res->interrupt_sig = r->interrupt_sig;
		return;
	}
	read_reports(r, res);
	build_facts(r);
	if (r->observer_hang)
		observer_hung(r, res);
	describe_ends(r, res);
	name_fields(r);
	describe_races(r, res);
	describe_schedule(r, res);
	if (res->broken[0] || loop_misuse(r, res)) {
		res->status = IC_RUN_BROKEN;
		return;
	}
	if (log_overflowed(r, res)) {
		judge_full_log(r, res);
		return;
	}
	judge(r, res);
}

static int start(run *r, ic_run_result *res)
{
	/* A consumer may log every message of every producer: size each log for all of them. */
	uint64_t per_op = r->cfg.sc->events_per_op ? r->cfg.sc->events_per_op : 4;
	uint64_t cap = r->cfg.ops * per_op * r->nprocs + 256;
	/* Controlled: room to log every step (and fault) of a run of the expected length, and of a
	 * livelock up to the steps that decide it: a shrink needs the whole log. */
	uint64_t k = r->cfg.steps ? r->cfg.steps : ic_sched_default_steps(&r->cfg, r->nprocs);
	uint64_t decisions = r->cfg.mode == IC_MODE_CONTROLLED ? 2 * (cap + k + ic_sched_livelock_steps(k)) : 0;
	uint64_t listed = r->cfg.strategy == IC_STRATEGY_LIST ? r->cfg.nlist : 0;
	if (ic_arena_create_logged(&r->ah, res->runid, r->nprocs + 1, cap, decisions, listed, res->broken,
				   sizeof(res->broken)) != 0)
		return -1;
	draw_plans(r);
	ic_sched_init(r->ah.arena, &r->cfg, r->nprocs);
	ic_race_run_begin(r->ah.arena, r->cfg.detect_races, r->nprocs);
	for (unsigned i = 0; i < r->cfg.ninj; i++)
		r->ah.arena->race.locks |= r->cfg.inj[i].inj->skips_locks;
	if (r->cfg.under && prepare_under(r, res) != 0)
		return -1;
	ic_ctx_init(&r->sup, &r->cfg, r->ah.arena, r->nprocs, IC_MAX_ROLES, 0);
	r->sup.head.armed = 0; /* injectors act in roles, never in the supervisor */
	if (r->cfg.sc->setup && r->cfg.sc->setup(&r->sup) != 0) {
		snprintf(res->broken, sizeof(res->broken), "scenario %s setup failed: %s", r->cfg.sc->name,
			 r->sup.error[0] ? r->sup.error : strerror(errno));
		return -1;
	}
	/* Lock orders need two locks, and someone to judge them: else roles record nothing. */
	r->ah.arena->lockdep = atomic_load(&r->ah.arena->nlocks) >= 2 && checker_applies(r->cfg.sc, "lockorder");
	/* The regions setup mapped are known now: their shadow, before the roles fork. */
	return ic_race_shadow_make(r->ah.arena, res->broken, sizeof(res->broken));
}

/* The decision log out of the arena, before it goes. */
static void copy_decisions(const ic_arena *a, ic_decisions *log)
{
	uint64_t n = atomic_load(&a->sched.nlog);
	log->v = n ? malloc(n * sizeof(*log->v)) : NULL;
	log->n = log->v ? n : 0;
	if (log->v)
		memcpy(log->v, (const char *)a + a->sched.log_off, n * sizeof(*log->v));
}

/* ---- The run's record, for its story and trace (issue 13) ---- */

static ic_event *copy_events(const ic_event *ev, uint64_t n)
{
	ic_event *v = n ? malloc(n * sizeof(*v)) : NULL;
	if (v)
		memcpy(v, ev, n * sizeof(*v));
	return v;
}

/* What the facts say, and what only the arena knows (fires, decisions), copied before it goes. */
static void copy_record(run *r, ic_run_record *rec)
{
	ic_arena *a = r->ah.arena;
	const ic_facts *f = &r->facts;
	ic_spec_text(&r->cfg, rec->spec, sizeof(rec->spec));
	rec->seed = r->cfg.seed;
	rec->mode = r->cfg.mode;
	rec->nprocs = r->nprocs;
	rec->sc = r->cfg.sc;
	rec->supervisor = getpid();
	for (unsigned i = 0; i < r->nprocs; i++) {
		ic_record_proc *p = &rec->procs[i];
		const ic_proc_facts *pf = &f->procs[i];
		snprintf(p->label, sizeof(p->label), "%s", pf->label);
		p->pid = pf->pid;
		p->ev = copy_events(pf->ev, pf->nev);
		p->nev = p->ev ? pf->nev : 0;
		p->exited = pf->exited;
		p->code = pf->code;
		p->injected = pf->injected;
		p->harness_killed = pf->harness_killed;
		snprintf(p->injected_at, sizeof(p->injected_at), "%s", pf->injected_at);
		p->end_ns = r->procs[i].end_ns;
		p->nfires = a->slots[i].nfires < IC_MAX_FIRES ? a->slots[i].nfires : IC_MAX_FIRES;
		memcpy(p->fires, a->slots[i].fires, sizeof(p->fires));
	}
	rec->observer = copy_events(f->observer, f->nobserver);
	rec->nobserver = rec->observer ? f->nobserver : 0;
	ic_decisions log;
	copy_decisions(a, &log);
	rec->decisions = log.v;
	rec->ndecisions = log.n;
	rec->decisions_cut = a->sched.log_cap && log.n >= a->sched.log_cap;
	rec->nlocks = f->nlocks;
	memcpy(rec->locks, f->locks, sizeof(rec->locks));
	rec->ninj = r->cfg.ninj;
	for (unsigned i = 0; i < r->cfg.ninj; i++)
		snprintf(rec->inj_names[i], sizeof(rec->inj_names[i]), "%s", r->cfg.inj[i].inj->name);
}

void ic_run_record_free(ic_run_record *rec)
{
	for (unsigned i = 0; i < IC_MAX_PROCS; i++)
		free(rec->procs[i].ev);
	free(rec->observer);
	free(rec->decisions);
	memset(rec, 0, sizeof(*rec));
}

/* cfg->story and cfg->trace: a failing run's story into res, its trace (or every run's) to a file. */
static void tell(const ic_run_cfg *cfg, const ic_run_record *rec, ic_run_result *res)
{
	bool failed = res->status == IC_RUN_FAIL;
	if (cfg->story && failed) {
		FILE *m = fmemopen(res->story, sizeof(res->story), "w");
		if (m) {
			setvbuf(m, NULL, _IONBF, 0);
			ic_story_print(m, rec, res, cfg->story);
			fclose(m);
		}
		size_t len = strlen(res->story);
		if (len >= sizeof(res->story) - 2) /* full: say so rather than end mid-row */
			snprintf(res->story + sizeof(res->story) - 64, 64, "\n  ... cut here: the whole run is in --trace FILE\n");
	}
	if (!cfg->trace || !(failed || cfg->trace_all) || res->status == IC_RUN_INTERRUPTED)
		return;
	char path[sizeof(res->trace)];
	if (ic_trace_path(cfg->trace, cfg->trace_per_seed, cfg->trace_spec, cfg->seed, path, sizeof(path)) != 0) {
		snprintf(res->trace, sizeof(res->trace), "cannot name the trace of seed 0x%" PRIx64 ": too long",
			 cfg->seed);
		return;
	}
	FILE *f = fopen(path, "we");
	int rc = f ? ic_trace_write(f, rec, res) : -1;
	int saved = errno;
	if (f && fclose(f) != 0 && rc == 0)
		rc = -1, saved = errno;
	if (rc == 0)
		snprintf(res->trace, sizeof(res->trace), "%s", path);
	else
		snprintf(res->trace, sizeof(res->trace), "cannot write %.300s: %s", path, strerror(saved));
}

static void run_one(const ic_run_cfg *cfg, ic_run_result *res, ic_decisions *log, ic_run_record *keep_rec)
{
	uint64_t t0 = ic_now_ns();
	run *r = calloc(1, sizeof(*r));
	memset(res, 0, sizeof(*res));
	if (!r) {
		res->status = IC_RUN_BROKEN;
		snprintf(res->broken, sizeof(res->broken), "out of memory");
		return;
	}
	r->cfg = *cfg;
	if (cfg->detect_races)
		r->cfg.sc = ic_race_twin(cfg->sc); /* the same scenario, compiled to be checked */
	r->parent = getpid();
	r->timeout = cfg->timeout_s * ic_timeout_factor() * (cfg->under ? IC_VALGRIND_SLOWDOWN : 1);
	for (unsigned i = 0; i < IC_MAX_PROCS; i++)
		r->procs[i].log_fd = -1;
	make_labels(r);
	if (cfg->runid[0])
		snprintf(res->runid, sizeof(res->runid), "%s", cfg->runid);
	else
		ic_runid_new(res->runid);

	if (start(r, res) != 0) {
		res->status = IC_RUN_BROKEN;
		/* Teardowns cope with a half-done setup; the sweep gets what they miss. */
		if (r->ah.arena && !cfg->keep && cfg->sc->teardown)
			cfg->sc->teardown(&r->sup);
		if (r->ah.arena && !cfg->keep)
			ic_tracker_sweep(r->ah.arena);
		if (r->ah.arena && cfg->keep)
			atomic_store(&r->ah.arena->kept, 1);
		if (r->ah.arena)
			scan_leftovers(r, res); /* what setup made untracked, and any interference */
		if (r->ah.arena && cfg->keep)
			describe_kept(r, res);
	} else {
		if (fork_roles(r) != 0) {
			snprintf(res->broken, sizeof(res->broken), "fork failed: %s", strerror(errno));
			kill_group(r);
		}
		supervise(r);
		finish(r, res);
	}
	if (r->ah.arena && log)
		copy_decisions(r->ah.arena, log);
	/* Only a judged run has facts to record; the caller's record is the caller's to free. */
	bool judged = res->status == IC_RUN_PASS || res->status == IC_RUN_FAIL;
	if (r->ah.arena && judged && (keep_rec || cfg->story || cfg->trace)) {
		ic_run_record *rec = keep_rec ? keep_rec : calloc(1, sizeof(*rec));
		if (rec) {
			copy_record(r, rec);
			tell(cfg, rec, res);
		}
		if (rec && !keep_rec) {
			ic_run_record_free(rec);
			free(rec);
		}
	}
	if (r->ah.arena)
		ic_race_shadow_free(r->ah.arena);
	if (r->ah.arena)
		ic_arena_destroy(&r->ah, cfg->keep);
	close_logs(r);
	free(r);
	res->seconds = (double)(ic_now_ns() - t0) / 1e9;
}

void ic_run_one(const ic_run_cfg *cfg, ic_run_result *res)
{
	if (cfg->check_determinism && cfg->mode == IC_MODE_CONTROLLED)
		ic_run_determinism(cfg, res);
	else
		run_one(cfg, res, NULL, NULL);
}

void ic_run_one_recorded(const ic_run_cfg *cfg, ic_run_result *res, ic_run_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	run_one(cfg, res, NULL, rec);
}

void ic_run_one_logged(const ic_run_cfg *cfg, ic_run_result *res, ic_decisions *log)
{
	*log = (ic_decisions){0};
	run_one(cfg, res, log, NULL);
}

const char *ic_run_verdict(const ic_run_result *res)
{
	switch (res->status) {
	case IC_RUN_PASS:
		return "pass";
	case IC_RUN_FAIL:
		return res->findings[0].checker;
	case IC_RUN_BROKEN:
		return "broken";
	default:
		return "interrupted";
	}
}

bool ic_run_has_finding(const ic_run_result *res, const char *checker)
{
	for (unsigned i = 0; i < res->nfindings; i++)
		if (strcmp(res->findings[i].checker, checker) == 0)
			return true;
	return false;
}

int ic_run_role(const ic_run_cfg *cfg, ic_arena *arena, unsigned slot, char *err, size_t errsize)
{
	run *r = calloc(1, sizeof(*r)); /* the process ends in the role: nothing to free */
	if (!r) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	r->cfg = *cfg;
	make_labels(r);
	if (slot >= r->nprocs || arena->nslots != r->nprocs + 1) {
		snprintf(err, errsize, "process %u is not one of this run's %u", slot, r->nprocs);
		free(r);
		return -1;
	}
	draw_plans(r); /* the same plans as the supervisor's: a function of the seed */
	unsigned role = 0, index = slot;
	while (index >= r->cfg.counts[role])
		index -= r->cfg.counts[role++];
	role_main(&r->cfg, arena, NULL, slot, role, index, r->nprocs, true);
}
