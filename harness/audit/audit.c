/*
 * audit.c: `ipchaos audit`: run any program, instrumented or not, and report
 * the IPC objects it left behind, optionally killing it at a seeded moment.
 * Isolated (the default where the machine allows it), each run gets its own
 * IPC, mount and PID namespaces with a private /dev/shm, mqueue filesystem
 * and an overlay on each --paths directory, so nothing else on the machine
 * can show up as a leak, nothing of the host is ever removed, and parallel
 * audits never see each other. Not isolated, it diffs the host's namespace,
 * tells the program's objects from others' by their creator, and removes
 * nothing unless --remove asks (then only the program's). This file: the
 * arguments and the loop over seeds; audit_run.c runs, audit_report.c tells.
 */
#include "audit/audit_int.h"
#include "core/args.h"
#include "core/escape.h"
#include "internal.h"
#include "core/ipcsnap.h"
#include "core/outfile.h"
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
	struct stat st;
	if (!cmd[0])
		return false;
	if (strchr(cmd, '/'))
		return stat(cmd, &st) == 0 && !S_ISDIR(st.st_mode) && access(cmd, X_OK) == 0;
	const char *path = getenv("PATH");
	char buf[4096], dir[4096];
	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(buf, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(dir, sizeof(dir), "%s/%s", d, cmd);
		if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode) && access(dir, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * --paths: an existing directory, outside /dev/shm (whose private tmpfs the
 * audit already shows, and which an overlay cannot sit on), kept resolved.
 */
static int add_path(ic_audit_opts *o, const char *v, char *err, size_t errsize)
{
	struct stat st;
	char *real = o->npaths < IC_AUDIT_MAX_PATHS ? o->paths_buf[o->npaths] : NULL;
	if (!real) {
		snprintf(err, errsize, "--paths %s: at most %d directories", v, IC_AUDIT_MAX_PATHS);
		return -1;
	}
	if (!v[0] || stat(v, &st) != 0 || !S_ISDIR(st.st_mode) || !realpath(v, real)) {
		snprintf(err, errsize, "--paths %s: not an existing directory (valid: a directory to watch for socket files "
				       "and FIFOs)", v);
		return -1;
	}
	if (strcmp(real, "/dev/shm") == 0 || strncmp(real, "/dev/shm/", 9) == 0 || strcmp(real, "/") == 0) {
		snprintf(err, errsize, "--paths %s: %s is %s (valid: a directory outside /dev/shm, not /)", v, real,
			 real[1] ? "under /dev/shm, which the audit already watches whole" : "the root");
		return -1;
	}
	o->paths_given[o->npaths] = v;
	o->paths[o->npaths++] = real;
	return 0;
}

int ic_audit_parse(ic_audit_opts *o, int argc, char **argv, char *err, size_t errsize)
{
	const char *v;
	bool missing = false;
	memset(o, 0, sizeof(*o));
	o->out[0] = IC_OUTFILE("--json");
	o->out[1] = IC_OUTFILE("--junit");
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
			if (ic_parse_duration_range("--kill-after", v, 0, AUDIT_MAX_SECONDS, &o->kill_lo, &o->kill_hi, err,
						    errsize) != 0)
				return -1;
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
			if (add_path(o, v, err, errsize) != 0)
				return -1;
		} else if ((v = ic_arg_opt("--json", argc, argv, &i, &missing))) {
			o->out[0].path = v;
		} else if ((v = ic_arg_opt("--junit", argc, argv, &i, &missing))) {
			o->out[1].path = v;
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
		} else if (strcmp(a, "--remove") == 0) {
			o->remove = true;
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
				 "--paths, --json, --junit, --no-isolate, --remove, --keep, --list, --stale [--clean], --remove-run ID; "
				 "then -- COMMAND...)", a);
			return -1;
		}
	}
	if (missing) {
		snprintf(err, errsize, "%s needs a value", argv[argc - 1]);
		return -1;
	}
	if (o->list && (o->stale || o->clean)) {
		snprintf(err, errsize, "--list goes alone (not with %s)", o->stale ? "--stale" : "--clean");
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
		snprintf(err, errsize, "command '%s' not found, not executable, or a directory", o->cmd[0]);
		return -1;
	}
	if (o->remove && !o->no_isolate) {
		snprintf(err, errsize, "--remove goes with --no-isolate (isolated, nothing is left on the host to remove)");
		return -1;
	}
	return ic_outfiles_open(o->out, 2, err, errsize);
}

/* ---- One seed ---- */

static double kill_time(const ic_audit_opts *o, uint64_t seed)
{
	ic_rng rng;
	ic_rng_stream(&rng, seed, IC_STREAM_PLAN, 0);
	return o->kill_lo + (o->kill_hi - o->kill_lo) * ic_rng_unit(&rng);
}

static void audit_seed_run(const ic_audit_opts *o, bool isolated, audit_seed *s)
{
	double kill_at = o->kill ? kill_time(o, s->seed) : 0;
	if (isolated)
		audit_run_isolated(o, kill_at, &s->res, &s->left);
	else
		audit_run_host(o, kill_at, &s->res, &s->left);
	/* In a user namespace of its own the program's user was root there: report the real owner. */
	for (unsigned i = 0; isolated && geteuid() != 0 && i < s->left.n; i++)
		if (s->left.v[i].owner == 0)
			s->left.v[i].owner = geteuid();
	bool objects = false;
	for (unsigned i = 0; i < s->left.n; i++)
		objects = objects || s->left.v[i].by_program || s->left.v[i].creator == 0 || s->left.v[i].creator_gone;
	s->leaked = !s->res.failure && !s->res.exec_errno &&
		    (objects || s->res.nprocs_total > 0 || s->res.end == AUDIT_END_TIMEOUT);
}

static int audit_list(void)
{
	audit_objs s;
	int mqfd = audit_host_mqueue();
	audit_snapshot(&s, mqfd, NULL, NULL);
	printf("%u IPC objects%s\n", s.n, mqfd >= 0 ? "" : " (mqueues not listed: no mqueue filesystem mounted)");
	if (mqfd >= 0)
		close(mqfd);
	for (uid_t owner = 0; s.n;) {
		/* Group by owner: print the smallest owner not yet printed. */
		bool any = false;
		uid_t next = (uid_t)-1;
		for (unsigned i = 0; i < s.n; i++)
			if (s.v[i].owner >= owner && s.v[i].owner < next)
				next = s.v[i].owner, any = true;
		if (!any)
			break;
		printf("owner %u:\n", (unsigned)next);
		for (unsigned i = 0; i < s.n; i++)
			if (s.v[i].owner == next) {
				s.v[i].fate = AUDIT_LEFT;
				audit_print_object(stdout, &s.v[i], false);
			}
		if (next == (uid_t)-1)
			break;
		owner = next + 1;
	}
	audit_objs_free(&s);
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

static const char *mode_text(bool isolated, const ic_audit_opts *o)
{
	if (isolated)
		return geteuid() == 0 ? "isolated: own IPC, mount and PID namespaces, private /dev/shm and mqueue"
				      : "isolated: own user, IPC, mount and PID namespaces, private /dev/shm and mqueue";
	return o->no_isolate ? "not isolated (--no-isolate): host namespace, objects that appeared during the run"
			     : "not isolated (this machine does not allow new namespaces): host namespace, "
			       "objects that appeared during the run";
}

static void write_outputs(ic_audit_opts *o, const audit_seed *seeds, unsigned n, bool isolated)
{
	FILE *f;
	if (o->out[0].path && (f = ic_outfile_stream(&o->out[0]))) {
		audit_write_json(f, o, seeds, n, isolated);
		fclose(f);
	}
	if (o->out[1].path && (f = ic_outfile_stream(&o->out[1]))) {
		audit_write_junit(f, o, seeds, n);
		fclose(f);
	}
}

/* The command could not be run at all: bad input, told apart from a program that exits 127 itself. */
static int exec_failed(ic_audit_opts *o, const audit_seed *s)
{
	const char *why = strerror(s->res.exec_errno);
	if (s->res.exec_errno == ENOENT && strchr(o->cmd[0], '/'))
		why = "no such file, or a script whose interpreter is missing";
	ic_line(stderr, "ipchaos audit: cannot execute '%s': %s", o->cmd[0], why);
	ic_outfiles_abandon(o->out, 2);
	return IC_EXIT_USAGE;
}

int ic_audit(const ic_audit_opts *opts)
{
	ic_audit_opts *o = (ic_audit_opts *)opts; /* its result files are taken as streams */
	if (o->list)
		return audit_list();
	if (o->stale)
		return audit_stale(o->clean);
	if (o->remove_run)
		return audit_remove_run(o->remove_run);
	bool isolated = !o->no_isolate && audit_can_isolate();
	ic_line(stdout, "audit: %s (%s)", o->cmd[0], mode_text(isolated, o));
	audit_seed *seeds = calloc(o->seeds, sizeof(*seeds));
	if (!seeds)
		return IC_EXIT_BROKEN;
	unsigned leaked = 0, broken = 0, runs = 0;
	int interrupt = 0;
	for (uint64_t i = 0; i < o->seeds && !interrupt; i++, runs++) {
		audit_seed *s = &seeds[i];
		s->seed = o->seed + i;
		audit_seed_run(o, isolated, s);
		if (s->res.exec_errno) {
			int rc = exec_failed(o, s);
			free(seeds);
			return rc;
		}
		if (i == 0 && !s->res.failure)
			ic_line(stdout, "creators: %s; the program has %s", s->res.watch, s->res.terminal);
		audit_print_seed(stdout, o, s, isolated);
		leaked += s->leaked;
		broken += s->res.failure != 0;
		interrupt = s->res.interrupt_sig ? s->res.interrupt_sig : audit_take_interrupt();
	}
	printf("summary: %u run%s, %u leaked, %u clean, %u broken%s\n", runs, runs == 1 ? "" : "s", leaked,
	       runs - leaked - broken, broken, interrupt ? " (interrupted)" : "");
	fflush(stdout);
	write_outputs(o, seeds, runs, isolated);
	for (unsigned i = 0; i < runs; i++)
		audit_objs_free(&seeds[i].left);
	free(seeds);
	if (interrupt)
		return 128 + interrupt;
	return leaked ? IC_EXIT_FINDING : broken ? IC_EXIT_BROKEN : IC_EXIT_OK;
}
