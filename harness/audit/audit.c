/*
 * audit.c: `ipchaos audit`: run any program, instrumented or not, and report
 * the IPC objects it left behind, optionally killing it at a seeded moment.
 * Isolated (the default where the machine allows it), each run gets its own
 * IPC, mount and PID namespaces with a private /dev/shm and mqueue mount, so
 * nothing else on the machine can show up as a leak and parallel audits
 * never see each other; the after-snapshot is taken inside, by the
 * namespace's init, before the last process leaves. Not isolated, it diffs
 * the host's namespace and counts only what appeared during the run.
 */
#include "audit/audit.h"
#include "core/args.h"
#include "core/escape.h"
#include "internal.h"
#include "core/ipcsnap.h"
#include "core/sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IC_EXIT_NOEXEC 127

/* ---- Arguments ---- */

#define AUDIT_MAX_SECONDS (7 * 86400.0)

/* "A..B" or "A", durations; "200..500ms": the unit of the upper bound applies to a bare lower one. */
static int parse_range(const char *s, double *lo, double *hi)
{
	char buf[64];
	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	char *dots = strstr(buf, "..");
	if (dots)
		*dots = '\0';
	const char *upper = dots ? dots + 2 : buf;
	if (ic_parse_duration("", buf, 0, AUDIT_MAX_SECONDS, lo, NULL, 0) != 0 ||
	    ic_parse_duration("", upper, 0, AUDIT_MAX_SECONDS, hi, NULL, 0) != 0)
		return -1;
	if (dots && strpbrk(buf, "smh") == NULL && strstr(upper, "ms"))
		*lo /= 1000;
	return *lo > *hi ? -1 : 0;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {{"TERM", SIGTERM}, {"INT", SIGINT}, {"HUP", SIGHUP}, {"QUIT", SIGQUIT},
	       {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"KILL", SIGKILL}};

static int parse_signal(const char *s)
{
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcmp(signals[i].name, s) == 0)
			return signals[i].sig;
	return -1;
}

static bool command_exists(const char *cmd)
{
	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0;
	const char *path = getenv("PATH");
	char buf[4096], dir[4096];
	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(dir, sizeof(dir), "%s/%s", d, cmd);
		if (access(dir, X_OK) == 0)
			return true;
	}
	return false;
}

int ic_audit_parse(ic_audit_opts *o, int argc, char **argv, char *err, size_t errsize)
{
	const char *v;
	char bad[128];
	bool missing = false;
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->seeds = 1;
	o->grace = 2;
	o->timeout = 60;
	o->sig = SIGKILL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			o->cmd = argv + i + 1;
			break;
		} else if ((v = ic_arg_opt("--kill-after", argc, argv, &i, &missing))) {
			snprintf(bad, sizeof(bad), "--kill-after %s", v);
			if (parse_range(v, &o->kill_lo, &o->kill_hi) != 0)
				goto bad_duration;
			o->kill = true;
		} else if ((v = ic_arg_opt("--grace", argc, argv, &i, &missing))) {
			if (ic_parse_duration("--grace", v, 0, AUDIT_MAX_SECONDS, &o->grace, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--timeout", argc, argv, &i, &missing))) {
			if (ic_parse_duration("--timeout", v, 0.001, AUDIT_MAX_SECONDS, &o->timeout, err,
					      errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--signal", argc, argv, &i, &missing))) {
			if ((o->sig = parse_signal(v)) < 0) {
				snprintf(err, errsize, "--signal %s: not a signal (valid: TERM, INT, HUP, QUIT, USR1, USR2, KILL)", v);
				return -1;
			}
		} else if ((v = ic_arg_opt("--seeds", argc, argv, &i, &missing))) {
			if (ic_parse_u64("--seeds", v, 1, 100000, &o->seeds, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--seed", argc, argv, &i, &missing))) {
			if (ic_parse_seed("--seed", v, &o->seed, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--paths", argc, argv, &i, &missing))) {
			if (o->npaths == IC_AUDIT_MAX_PATHS || !*v) {
				snprintf(err, errsize, "--paths %s: a directory, at most %d of them", v, IC_AUDIT_MAX_PATHS);
				return -1;
			}
			o->paths[o->npaths++] = v;
		} else if ((v = ic_arg_opt("--remove-run", argc, argv, &i, &missing))) {
			if (strlen(v) != 16 || strspn(v, "0123456789abcdef") != 16) {
				snprintf(err, errsize, "--remove-run %s: expected a run id, 16 lowercase hex digits "
					 "(as in /dev/shm/ipchaos.<id>.arena)", v);
				return -1;
			}
			o->remove_run = v;
		} else if (missing) {
			break;
		} else if (strcmp(a, "--no-isolate") == 0) {
			o->no_isolate = true;
		} else if (strcmp(a, "--keep") == 0) {
			o->keep = true;
		} else if (strcmp(a, "--list") == 0) {
			o->list = true;
		} else if (strcmp(a, "--stale") == 0) {
			o->stale = true;
		} else if (strcmp(a, "--clean") == 0) {
			o->clean = true;
		} else {
			snprintf(err, errsize,
				 "unknown option '%s' (valid: --kill-after, --seeds, --seed, --signal, --grace, --timeout, "
				 "--paths, --no-isolate, --keep, --list, --stale [--clean], --remove-run ID; then -- COMMAND...)", a);
			return -1;
		}
	}
	if (missing) {
		snprintf(err, errsize, "%s needs a value", argv[argc - 1]);
		return -1;
	}
	if (o->remove_run && (o->list || o->stale || o->clean)) {
		snprintf(err, errsize, "--remove-run goes alone (not with %s)",
			 o->list ? "--list" : o->stale ? "--stale" : "--clean");
		return -1;
	}
	if (ic_timeout_factor_check(err, errsize) != 0)
		return -1;
	if (o->list || o->stale || o->remove_run) {
		if (o->cmd) {
			snprintf(err, errsize, "%s takes no command",
				 o->list ? "--list" : o->stale ? "--stale" : "--remove-run");
			return -1;
		}
		return 0;
	}
	if (o->clean) {
		snprintf(err, errsize, "--clean goes with --stale");
		return -1;
	}
	if (!o->cmd || !o->cmd[0]) {
		snprintf(err, errsize, "no command to audit: ipchaos audit [options] -- COMMAND [ARGS...]");
		return -1;
	}
	if (!command_exists(o->cmd[0])) {
		snprintf(err, errsize, "command '%s' not found or not executable", o->cmd[0]);
		return -1;
	}
	return 0;
bad_duration:
	snprintf(err, errsize, "%s: expected a duration or a range A..B of them, from 0 to %g seconds (0.5, 500ms, "
			       "2s, 1m; 0.2..2s)", bad, AUDIT_MAX_SECONDS);
	return -1;
}

/* ---- Running the program ---- */

typedef struct audit_result {
	int status;        /* wait status of the program */
	bool signalled;    /* the planned signal was sent */
	bool timed_out;
	double kill_at, elapsed;
	unsigned nleft;    /* objects left (follow on the pipe when isolated) */
	int failure;       /* errno of a set-up step that failed, 0 if none */
	char failed_step[64];
} audit_result;

static double since(uint64_t t0)
{
	return (double)(ic_now_ns() - t0) / 1e9;
}

static bool interrupted(void)
{
	sigset_t p;
	sigpending(&p);
	return sigismember(&p, SIGINT) || sigismember(&p, SIGTERM);
}

/* Send `sig` to the program and all it started: the whole PID namespace, or its group. */
static void signal_all(pid_t pgid, bool pidns, int sig)
{
	if (pidns)
		kill(-1, sig); /* from the namespace's init: everyone but itself */
	else
		kill(-pgid, sig);
}

static _Noreturn void exec_program(const ic_audit_opts *o, bool pidns)
{
	setpgid(0, 0);
	if (!pidns)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(o->cmd[0], o->cmd);
	_exit(IC_EXIT_NOEXEC);
}

/* Runs it to its end: its own exit, the planned signal (then SIGKILL after the grace), or the timeout. */
static void run_program(const ic_audit_opts *o, double kill_at, bool pidns, audit_result *res)
{
	fflush(NULL); /* every stream: a role that calls exit() must not write our buffers again */
	uint64_t t0 = ic_now_ns();
	pid_t pid = fork();
	if (pid < 0) {
		res->failure = errno;
		snprintf(res->failed_step, sizeof(res->failed_step), "fork");
		return;
	}
	if (pid == 0)
		exec_program(o, pidns);
	setpgid(pid, pid);
	res->kill_at = kill_at;
	double signalled_at = 0;
	for (;;) {
		int status;
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid) {
			res->status = status;
			break;
		}
		double now = since(t0);
		if (o->kill && !res->signalled && now >= kill_at) {
			signal_all(pid, pidns, o->sig);
			res->signalled = true;
			signalled_at = now;
		} else if (res->signalled && o->sig != SIGKILL && now >= signalled_at + o->grace) {
			signal_all(pid, pidns, SIGKILL);
		}
		if (now >= o->timeout || interrupted()) {
			res->timed_out = now >= o->timeout;
			signal_all(pid, pidns, SIGKILL);
		}
		struct timespec tick = {0, 2 * 1000 * 1000};
		nanosleep(&tick, NULL);
	}
	res->elapsed = since(t0);
	/* What it left running dies too: a daemon that outlives the audit is no audit. */
	signal_all(pid, pidns, SIGKILL);
	if (pidns)
		while (waitpid(-1, NULL, 0) > 0)
			;
}

static void remove_all(const ic_ipc_snap *left, bool files_only)
{
	for (unsigned i = 0; i < left->n; i++) {
		int k = left->objs[i].kind;
		if (!files_only || k == IC_IPC_SOCKET || k == IC_IPC_FIFO)
			ic_ipc_remove(&left->objs[i]);
	}
}

static void audit_in_place(const ic_audit_opts *o, double kill_at, audit_result *res, ic_ipc_snap *left)
{
	ic_ipc_snap before, after;
	ic_ipc_snapshot(&before, o->paths);
	run_program(o, kill_at, false, res);
	ic_ipc_snapshot(&after, o->paths);
	ic_ipc_diff(&before, &after, left);
	res->nleft = left->n;
	ic_ipc_snap_free(&before);
	ic_ipc_snap_free(&after);
}

static bool write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static bool read_all(int fd, void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static int private_mounts(const char *mqdir, audit_result *res)
{
	const char *step = "make mounts private";
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		goto fail;
	step = "mount a private tmpfs on /dev/shm";
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
		goto fail;
	step = "mount the mqueue filesystem";
	if (mount("mqueue", mqdir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		goto fail;
	/*
	 * The program's /proc is its PID namespace's: tools that read it (a leak
	 * sanitizer listing its threads) must not see an outer process instead.
	 * Best effort: where it is refused, the outer /proc is what there is.
	 */
	(void)mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	return 0;
fail:
	res->failure = errno;
	snprintf(res->failed_step, sizeof(res->failed_step), "%s", step);
	return -1;
}

/* PID 1 of the audit's namespaces: set up, run, snapshot before leaving, report on fd. */
static _Noreturn void namespace_init(const ic_audit_opts *o, double kill_at, const char *mqdir, int fd)
{
	audit_result res = {0};
	ic_ipc_snap before = {0}, after = {0}, left = {0};
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (private_mounts(mqdir, &res) == 0) {
		ic_ipc_snapshot(&before, o->paths);
		run_program(o, kill_at, true, &res);
		ic_ipc_snapshot(&after, o->paths);
		ic_ipc_diff(&before, &after, &left);
		res.nleft = left.n;
	}
	bool ok = write_all(fd, &res, sizeof(res)) &&
		  (left.n == 0 || write_all(fd, left.objs, left.n * sizeof(left.objs[0])));
	_exit(ok ? 0 : 3);
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

/*
 * New IPC, mount and PID namespaces; for a user other than root, inside a
 * new user namespace of its own where it is root (uid and gid mapped 1:1).
 */
static int enter_namespaces(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int flags = CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWPID;
	if (uid != 0)
		flags |= CLONE_NEWUSER;
	if (unshare(flags) != 0)
		return -1;
	if (uid == 0)
		return 0;
	char map[64];
	if (!write_file("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (!write_file("/proc/self/uid_map", map))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	return write_file("/proc/self/gid_map", map) ? 0 : -1;
}

static void audit_isolated(const ic_audit_opts *o, double kill_at, audit_result *res, ic_ipc_snap *left)
{
	char mqdir[] = "/tmp/ipchaos-audit-mq.XXXXXX";
	int fds[2];
	memset(left, 0, sizeof(*left));
	if (!mkdtemp(mqdir) || pipe(fds) != 0) {
		res->failure = errno;
		snprintf(res->failed_step, sizeof(res->failed_step), "make a mount point or pipe");
		return;
	}
	fflush(NULL); /* every stream: a role that calls exit() must not write our buffers again */
	pid_t outer = fork();
	if (outer == 0) {
		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (enter_namespaces() != 0)
			_exit(3);
		pid_t init = fork();
		if (init == 0)
			namespace_init(o, kill_at, mqdir, fds[1]);
		int status = 0;
		waitpid(init, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
	}
	close(fds[1]);
	if (outer < 0 || !read_all(fds[0], res, sizeof(*res))) {
		res->failure = outer < 0 ? errno : EPROTO;
		snprintf(res->failed_step, sizeof(res->failed_step), "enter new namespaces");
	} else if (res->nleft) {
		left->objs = calloc(res->nleft, sizeof(left->objs[0]));
		left->n = left->cap = res->nleft;
		if (!left->objs || !read_all(fds[0], left->objs, res->nleft * sizeof(left->objs[0])))
			left->n = 0;
	}
	close(fds[0]);
	if (outer > 0)
		waitpid(outer, NULL, 0);
	rmdir(mqdir);
}

/* Root, or a kernel that gives users namespaces of their own: then each audited run is alone. */
static bool can_isolate(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(enter_namespaces() == 0 ? 0 : 1);
	int status = 1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* ---- Report ---- */

static void replay_line(const ic_audit_opts *o, uint64_t seed)
{
	printf("  replay: ipchaos audit");
	if (o->kill)
		printf(" --kill-after %g..%gs --signal %s --grace %gs", o->kill_lo, o->kill_hi,
		       ic_signal_name(o->sig) + 3, o->grace);
	printf(" --timeout %gs --seed 0x%" PRIx64, o->timeout, seed);
	/* Quoted as a shell reads them back, control bytes escaped inside $'...': still one line. */
	for (unsigned i = 0; i < o->npaths; i++) {
		printf(" --paths ");
		ic_shell_word(stdout, o->paths[i]);
	}
	if (o->no_isolate)
		printf(" --no-isolate");
	printf(" --");
	for (char **a = o->cmd; *a; a++) {
		putchar(' ');
		ic_shell_word(stdout, *a);
	}
	printf("\n");
}

static void describe_end(const audit_result *res)
{
	if (res->timed_out)
		printf("timed out, killed after %.2f s", res->elapsed);
	else if (WIFEXITED(res->status) && WEXITSTATUS(res->status) == IC_EXIT_NOEXEC)
		printf("exited 127 (could not be run?) after %.2f s", res->elapsed);
	else if (WIFEXITED(res->status))
		printf("exited %d after %.2f s", WEXITSTATUS(res->status), res->elapsed);
	else
		printf("died of %s after %.2f s", ic_signal_name(WTERMSIG(res->status)), res->elapsed);
	if (res->signalled)
		printf(" (signalled at %.2f s as planned)", res->kill_at);
	else if (res->kill_at > 0)
		printf(" (before the planned signal at %.2f s)", res->kill_at);
}

static double kill_time(const ic_audit_opts *o, uint64_t seed)
{
	ic_rng rng;
	ic_rng_stream(&rng, seed, IC_STREAM_PLAN, 0);
	return o->kill_lo + (o->kill_hi - o->kill_lo) * ic_rng_unit(&rng);
}

static int audit_seed(const ic_audit_opts *o, bool isolated, uint64_t seed, unsigned *leaked)
{
	audit_result res = {0};
	ic_ipc_snap left = {0};
	double kill_at = o->kill ? kill_time(o, seed) : 0;
	if (isolated)
		audit_isolated(o, kill_at, &res, &left);
	else
		audit_in_place(o, kill_at, &res, &left);
	/* In a user namespace of its own the program was root: report its real owner. */
	for (unsigned i = 0; isolated && geteuid() != 0 && i < left.n; i++)
		if (left.objs[i].owner == 0)
			left.objs[i].owner = geteuid();
	if (res.failure) {
		printf("seed 0x%" PRIx64 ": BROKEN: could not %s: %s\n", seed, res.failed_step, strerror(res.failure));
		ic_ipc_snap_free(&left);
		return -1;
	}
	printf("seed 0x%" PRIx64 ": ", seed);
	describe_end(&res);
	if (left.n == 0) {
		printf("; nothing left\n");
	} else {
		printf("; left %u object%s:\n", left.n, left.n == 1 ? "" : "s");
		for (unsigned i = 0; i < left.n; i++)
			ic_ipc_print(stdout, &left.objs[i]);
		/* Isolated, IPC objects died with the namespace; files in --paths did not. */
		if (!o->keep)
			remove_all(&left, isolated);
		replay_line(o, seed);
		(*leaked)++;
	}
	fflush(stdout);
	ic_ipc_snap_free(&left);
	return 0;
}

static int audit_list(void)
{
	ic_ipc_snap s;
	ic_ipc_snapshot(&s, NULL);
	printf("%u IPC objects%s\n", s.n, s.mqueue_visible ? "" : " (mqueues not listed: no mqueue filesystem mounted)");
	for (uid_t owner = 0; s.n;) {
		/* Group by owner: print the smallest owner not yet printed. */
		bool any = false;
		uid_t next = (uid_t)-1;
		for (unsigned i = 0; i < s.n; i++)
			if (s.objs[i].owner >= owner && s.objs[i].owner < next)
				next = s.objs[i].owner, any = true;
		if (!any)
			break;
		printf("owner %u:\n", (unsigned)next);
		for (unsigned i = 0; i < s.n; i++)
			if (s.objs[i].owner == next)
				ic_ipc_print(stdout, &s.objs[i]);
		if (next == (uid_t)-1)
			break;
		owner = next + 1;
	}
	ic_ipc_snap_free(&s);
	return 0;
}

static void print_left_alone(const ic_sweep_tally *t)
{
	if (t->left_alone)
		printf("; %u left alone (not yours, or not what ipchaos makes)", t->left_alone);
	if (t->failed)
		printf("; %u could not be checked or removed", t->failed);
	printf("\n");
}

/* The dry run lists and counts exactly what --clean removes. */
static int audit_stale(bool clean)
{
	ic_sweep_tally t;
	printf("ipchaos runs with objects in /dev/shm%s:\n", clean ? " (dead ones removed)" : "");
	ic_sweep_report(clean, stdout, &t);
	if (clean)
		printf("%u object%s removed", t.objects, t.objects == 1 ? "" : "s");
	else
		printf("%u object%s of dead runs (--clean removes them)", t.objects, t.objects == 1 ? "" : "s");
	print_left_alone(&t);
	return t.failed && clean ? IC_EXIT_BROKEN : IC_EXIT_OK;
}

static int audit_remove_run(const char *runid)
{
	ic_sweep_tally t;
	char err[256];
	if (ic_sweep_remove_run(runid, stdout, &t, err, sizeof(err)) != 0) {
		fprintf(stderr, "ipchaos audit: --remove-run %s: %s; nothing removed\n", runid, err);
		return IC_EXIT_USAGE;
	}
	printf("%u object%s removed", t.objects, t.objects == 1 ? "" : "s");
	print_left_alone(&t);
	return t.failed ? IC_EXIT_BROKEN : IC_EXIT_OK;
}

int ic_audit(const ic_audit_opts *o)
{
	if (o->list)
		return audit_list();
	if (o->stale)
		return audit_stale(o->clean);
	if (o->remove_run)
		return audit_remove_run(o->remove_run);
	bool isolated = !o->no_isolate && can_isolate();
	ic_line(stdout, "audit: %s (%s)", o->cmd[0],
	       isolated ? (geteuid() == 0 ? "isolated: own IPC, mount and PID namespaces, private /dev/shm and mqueue"
				  : "isolated: own user, IPC, mount and PID namespaces, private /dev/shm and mqueue")
	       : o->no_isolate ? "not isolated (--no-isolate): host namespace, objects that appeared during the run"
			       : "not isolated (this machine does not allow new namespaces): host namespace, "
				 "objects that appeared during the run");
	unsigned leaked = 0, broken = 0, runs = 0;
	for (uint64_t s = 0; s < o->seeds && !interrupted(); s++, runs++)
		broken += audit_seed(o, isolated, o->seed + s, &leaked) != 0;
	printf("summary: %u run%s, %u leaked, %u clean, %u broken\n", runs, runs == 1 ? "" : "s", leaked,
	       runs - leaked - broken, broken);
	if (interrupted())
		return 130;
	return leaked ? 1 : broken ? 3 : 0;
}
