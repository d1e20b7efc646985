/*
 * audit_run.c: running the audited program and its whole process tree.
 *
 * Isolated, three processes take part: the audit (on the host), the outer
 * one (new user when not root, IPC and mount namespaces: it mounts the
 * private /dev/shm, an mqueue filesystem that is never attached anywhere, and
 * an overlay on each --paths directory whose upper layer is a detached
 * tmpfs, so the host directory is never written; it watches creations and
 * takes both snapshots), and the namespace's init (the new PID namespace's
 * pid 1, with a /proc of its own), which runs the program and supervises
 * the tree. Objects die with the namespaces once the outer process ends.
 * On the host, the audit itself supervises, as a subreaper so that daemons
 * come back to it, and removes nothing unless asked.
 *
 * Supervision is the same in both: the planned signal (from the start, to
 * the whole tree), --timeout, and the audit's own SIGINT/SIGTERM send the
 * signal to every process, then SIGKILL after --grace; processes alive when
 * the main one ends are reported, then given the same treatment.
 */
#include "audit/audit_int.h"
#include "core/escape.h"
#include "core/ipcsnap.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS (2 * 1000 * 1000)

static double since(uint64_t t0)
{
	return (double)(ic_now_ns() - t0) / 1e9;
}

static void fail_step(audit_result *r, const char *step)
{
	if (r->failure)
		return;
	r->failure = errno ? errno : EIO;
	snprintf(r->failed_step, sizeof(r->failed_step), "%s", step);
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

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = write_all(fd, text, strlen(text));
	return close(fd) == 0 && ok;
}

int audit_take_interrupt(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	struct timespec zero = {0, 0};
	int sig = sigtimedwait(&set, NULL, &zero);
	return sig > 0 ? sig : 0;
}

/* ---- The program ---- */

typedef struct exec_report {
	int step; /* 0 exec, 1 its user namespace */
	int err;
} exec_report;

/* Maps the user to itself in a user namespace of its own: the program runs as who ran the audit. */
static int own_user(uid_t uid, gid_t gid)
{
	char map[64];
	if (unshare(CLONE_NEWUSER) != 0 || !write_file("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "%u 0 1", (unsigned)uid);
	if (!write_file("/proc/self/uid_map", map))
		return -1;
	snprintf(map, sizeof(map), "%u 0 1", (unsigned)gid);
	return write_file("/proc/self/gid_map", map) ? 0 : -1;
}

/* The seccomp listener to the supervisor, over sock (a byte, with the descriptor when there is one). */
static void send_listener(int sock, int listener)
{
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (listener >= 0) {
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &listener, sizeof(int));
	}
	(void)!sendmsg(sock, &m, 0);
	if (listener >= 0)
		close(listener);
	close(sock);
}

static int receive_listener(int sock)
{
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	int fd = -1;
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) == 1) {
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	}
	close(sock);
	return fd;
}

static _Noreturn void exec_program(const ic_audit_opts *o, int report_fd, int sock, uid_t as_uid, gid_t as_gid)
{
	exec_report r = {0, 0};
	/* Who makes SysV semaphores and queues: the supervisor hears of each semget and msgget. */
	send_listener(sock, sock >= 0 ? audit_sysv_filter() : -1);
	static const int reset[] = {SIGPIPE, SIGINT, SIGTERM, SIGCHLD, SIGTTIN, SIGTTOU, SIGHUP, SIGQUIT};
	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		signal(reset[i], SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (as_uid != 0 && own_user(as_uid, as_gid) != 0) {
		r.step = 1;
		goto failed;
	}
	execvp(o->cmd[0], o->cmd);
failed:
	r.err = errno;
	(void)!write(report_fd, &r, sizeof(r));
	_exit(127);
}

/*
 * Forks and execs; the close-on-exec pipe tells a program that ran from one
 * that could not be run. With `seccomp`, *listener gets the descriptor its
 * semget and msgget calls stop on (-1 where it could not be had).
 */
static pid_t start_program(const ic_audit_opts *o, audit_result *res, uid_t as_uid, gid_t as_gid, bool seccomp,
			   int *listener)
{
	int fds[2], sv[2] = {-1, -1};
	*listener = -1;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		fail_step(res, "make a pipe");
		return -1;
	}
	if (seccomp && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		sv[0] = sv[1] = -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (sv[0] >= 0)
			close(sv[0]);
		exec_program(o, fds[1], sv[1], as_uid, as_gid);
	}
	close(fds[1]);
	if (sv[1] >= 0)
		close(sv[1]);
	if (sv[0] >= 0)
		*listener = pid > 0 ? receive_listener(sv[0]) : (close(sv[0]), -1);
	if (pid < 0) {
		fail_step(res, "fork");
		close(fds[0]);
		return -1;
	}
	exec_report r;
	if (read_all(fds[0], &r, sizeof(r))) {
		errno = r.err;
		if (r.step == 1)
			fail_step(res, "map the user into the program's user namespace");
		else
			res->exec_errno = r.err ? r.err : ENOEXEC;
		waitpid(pid, NULL, 0);
		pid = -1;
		if (*listener >= 0)
			close(*listener), *listener = -1;
	}
	close(fds[0]);
	return pid;
}

/* ---- Supervision ---- */

typedef struct sup {
	const ic_audit_opts *o;
	const audit_tree *tree;
	bool pidns;          /* kill(-1) reaches exactly the tree */
	int stopfd;          /* isolated: the audit writes the signal it got here; -1: take it ourselves */
	audit_watch *watch;  /* host mode: polled each tick */
	double kill_at;
	int listener;        /* seccomp: semget and msgget of the tree stop here; -1 none */
	audit_result *res;
} sup;

/* A tick's wait, answering the tree's stopped semget and msgget calls meanwhile. */
static void tick(sup *s)
{
	if (s->listener < 0) {
		struct timespec t = {0, TICK_NS};
		nanosleep(&t, NULL);
		return;
	}
	struct pollfd p = {.fd = s->listener, .events = POLLIN};
	if (poll(&p, 1, TICK_NS / 1000000) <= 0)
		return;
	if (p.revents & POLLIN)
		audit_sysv_notified(s->listener, s->tree->procfd, s->res);
	else if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) { /* no process with the filter left */
		close(s->listener);
		s->listener = -1;
	}
}

static void signal_tree(const sup *s, int sig)
{
	if (s->pidns) {
		kill(-1, sig); /* from the namespace's init: everyone but itself */
		return;
	}
	pid_t pids[1024];
	unsigned n = audit_tree_pids(s->tree, pids, 1024);
	for (unsigned i = 0; i < n && i < 1024; i++)
		kill(pids[i], sig);
}

static int stop_requested(const sup *s)
{
	if (s->stopfd < 0)
		return audit_take_interrupt();
	int sig = 0;
	return read(s->stopfd, &sig, sizeof(sig)) == (ssize_t)sizeof(sig) ? sig : 0;
}

/* Reaps what ended; true once nothing of the tree is left. `signalled`: the audit already asked the tree to end. */
static bool reap(const sup *s, pid_t main, audit_result *res, double now, bool *main_alive, bool signalled)
{
	bool ended = false, all = false;
	for (;;) {
		int status;
		pid_t got = waitpid(-1, &status, WNOHANG);
		if (got <= 0) {
			all = got < 0 && errno == ECHILD;
			break;
		}
		if (got == main && *main_alive) {
			*main_alive = false;
			ended = true;
			res->status = status;
			res->main_end = now;
		}
	}
	/* Who the program left running when it ended by itself (the dead reaped first); once the audit
	 * has signalled, what ends within the grace is cleaning up, not left. */
	if (ended && !all && !signalled)
		audit_tree_describe(s->tree, res);
	return all;
}

static void supervise(sup *s, pid_t main, uint64_t t0, audit_result *res)
{
	const ic_audit_opts *o = s->o;
	bool main_alive = true, timed_out = false, leftovers_signalled = false;
	double soft_at = -1; /* when the last polite signal went out: SIGKILL after the grace */
	for (;;) {
		double now = since(t0);
		if (reap(s, main, res, now, &main_alive, soft_at >= 0))
			break;
		int sig = res->interrupt_sig ? 0 : stop_requested(s);
		if (sig) {
			res->interrupt_sig = sig;
			signal_tree(s, sig);
			soft_at = now;
		}
		if (o->kill && !res->signalled && now >= s->kill_at) {
			signal_tree(s, o->sig);
			res->signalled = true;
			soft_at = now;
		}
		if (!timed_out && now >= o->timeout) {
			timed_out = true;
			signal_tree(s, o->sig);
			soft_at = now;
		}
		/* It ended, others go on: they get the signal now, unless the plan still holds one for them. */
		if (!main_alive && !leftovers_signalled && (!o->kill || res->signalled)) {
			leftovers_signalled = true;
			if (soft_at < 0)
				signal_tree(s, o->sig), soft_at = now;
		}
		/* The grace is over: what is still there gets SIGKILL. */
		if (soft_at >= 0 && now >= soft_at + o->grace && !res->killed_tree &&
		    audit_tree_pids(s->tree, NULL, 0) > 0) {
			if (res->nprocs_total == 0) /* what did not end within the grace is left too */
				audit_tree_describe(s->tree, res);
			signal_tree(s, SIGKILL);
			res->killed_tree = true;
		}
		if (main_alive) /* how it ended: decided by what happened before its end */
			res->end = res->interrupt_sig ? AUDIT_END_INTERRUPTED
				   : timed_out	      ? AUDIT_END_TIMEOUT
				   : res->signalled   ? AUDIT_END_PLANNED
						      : AUDIT_END_EXIT;
		if (s->watch)
			audit_watch_poll(s->watch);
		tick(s);
	}
	if (s->listener >= 0)
		close(s->listener);
	res->elapsed = since(t0);
	/* A run that overran its time ended in a timeout, even when only a leftover process overran it. */
	if (timed_out && res->end == AUDIT_END_EXIT)
		res->end = AUDIT_END_TIMEOUT;
}

static void describe_terminal(audit_result *res)
{
	if (!isatty(STDIN_FILENO))
		snprintf(res->terminal, sizeof(res->terminal), "no terminal");
	else if (tcgetpgrp(STDIN_FILENO) == getpgrp())
		snprintf(res->terminal, sizeof(res->terminal), "the terminal, in the foreground");
	else
		snprintf(res->terminal, sizeof(res->terminal), "the terminal, in the background (the audit was)");
}

/* ---- Isolated ---- */

/* Overlay options take ',' ':' and '\' escaped. */
static void escape_option(char *out, size_t size, const char *s)
{
	size_t n = 0;
	for (; *s && n + 2 < size; s++) {
		if (*s == ',' || *s == ':' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n] = '\0';
}

static int detached(const char *fstype, audit_result *res)
{
	int fs = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) != 0) {
		fail_step(res, fstype[0] == 'm' ? "make an mqueue filesystem" : "make a tmpfs for --paths");
		if (fs >= 0)
			close(fs);
		return -1;
	}
	int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mnt < 0)
		fail_step(res, "mount a detached filesystem");
	close(fs);
	return mnt;
}

typedef struct outer_env {
	int mqfd, upfd;
	char upper[IC_AUDIT_MAX_PATHS][64]; /* /proc/self/fd/N/i/u: what the program made in path i */
	const char *uppers[IC_AUDIT_MAX_PATHS + 1], *shown[IC_AUDIT_MAX_PATHS + 1];
} outer_env;

static int overlay_paths(const ic_audit_opts *o, outer_env *e, audit_result *res, bool root)
{
	if (o->npaths == 0)
		return 0;
	if ((e->upfd = detached("tmpfs", res)) < 0)
		return -1;
	for (unsigned i = 0; i < o->npaths; i++) {
		char d[16], lower[2 * PATH_MAX], opts[3 * PATH_MAX];
		snprintf(d, sizeof(d), "%u", i);
		if (mkdirat(e->upfd, d, 0700) != 0) {
			fail_step(res, "make an upper layer for --paths");
			return -1;
		}
		snprintf(d, sizeof(d), "%u/u", i);
		mkdirat(e->upfd, d, 0755);
		snprintf(d, sizeof(d), "%u/w", i);
		mkdirat(e->upfd, d, 0700);
		escape_option(lower, sizeof(lower), o->paths[i]);
		snprintf(e->upper[i], sizeof(e->upper[i]), "/proc/self/fd/%d/%u/u", e->upfd, i);
		snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=/proc/self/fd/%d/%u/u,workdir=/proc/self/fd/%d/%u/w%s",
			 lower, e->upfd, i, e->upfd, i, root ? "" : ",userxattr");
		if (mount("overlay", o->paths[i], "overlay", 0, opts) != 0) {
			fail_step(res, "mount an overlay on a --paths directory");
			return -1;
		}
		e->uppers[i] = e->upper[i];
		e->shown[i] = o->paths[i];
	}
	return 0;
}

static int private_mounts(const ic_audit_opts *o, outer_env *e, audit_result *res, bool root)
{
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		fail_step(res, "make mounts private");
		return -1;
	}
	if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
		fail_step(res, "mount a private tmpfs on /dev/shm");
		return -1;
	}
	/* Never attached anywhere: no directory to make on the host, none to leave behind. */
	if ((e->mqfd = detached("mqueue", res)) < 0)
		return -1;
	return overlay_paths(o, e, res, root);
}

/* New IPC, mount and PID namespaces; not root: in a user namespace of its own, where it is root. */
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

bool audit_can_isolate(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(enter_namespaces() == 0 ? 0 : 1);
	int status = 1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* PID 1 of the audit's namespace: runs the program and its tree to the end, reports on fd. */
static _Noreturn void namespace_init(const ic_audit_opts *o, double kill_at, int fd, int stopfd, uid_t as_uid,
				     gid_t as_gid)
{
	audit_result res = {0};
	audit_tree tree = {.procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
	char self[32] = "";
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	ssize_t n = readlinkat(tree.procfd, "self", self, sizeof(self) - 1);
	tree.self = n > 0 ? (pid_t)atoi(self) : 0;
	n = readlinkat(tree.procfd, "self/ns/pid", tree.pidns, sizeof(tree.pidns) - 1);
	if (tree.procfd < 0 || n <= 0)
		fail_step(&res, "read the host's /proc");
	/*
	 * The program's /proc is its PID namespace's (a leak sanitizer lists its
	 * threads there), in a mount namespace of our own: the outer process
	 * keeps the host's, to name creators. Best effort.
	 */
	if (unshare(CLONE_NEWNS) == 0)
		(void)mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	fcntl(stopfd, F_SETFL, O_NONBLOCK);
	uint64_t t0 = ic_now_ns();
	res.kill_at = kill_at;
	describe_terminal(&res);
	int listener = -1;
	pid_t main = res.failure ? -1 : start_program(o, &res, as_uid, as_gid, true, &listener);
	if (main > 0) {
		sup s = {.o = o, .tree = &tree, .pidns = true, .stopfd = stopfd, .kill_at = kill_at,
			 .listener = listener, .res = &res};
		supervise(&s, main, t0, &res);
	}
	_exit(write_all(fd, &res, sizeof(res)) ? 0 : 3);
}

/* Waits for the init, watching creations meanwhile; its result into res. */
static bool take_init_result(int fd, audit_result *res)
{
	static audit_result r; /* large: not on the stack */
	if (!read_all(fd, &r, sizeof(r)))
		return false;
	char watch[sizeof(res->watch)];
	memcpy(watch, res->watch, sizeof(watch));
	*res = r;
	memcpy(res->watch, watch, sizeof(watch));
	return true;
}

static void follow_init(pid_t init, int fd, audit_watch *w, audit_result *res)
{
	bool have = false, ended = false;
	while (!ended) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (!have && poll(&p, 1, 2) > 0)
			have = take_init_result(fd, res);
		audit_watch_poll(w);
		ended = waitpid(init, NULL, have ? 0 : WNOHANG) == init;
	}
	/* It may have written and ended between a look and a wait: what it wrote is still in the pipe. */
	if (!have)
		have = take_init_result(fd, res);
	audit_watch_poll(w);
	if (!have)
		fail_step(res, "hear from the namespace's init");
}

static void watch_outer(audit_watch *w, const ic_audit_opts *o, const outer_env *e, audit_result *res, bool root)
{
	int shm = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* The mqueue filesystem has no file handles for fanotify: inotify, and whoever holds the queue open. */
	bool mq = audit_watch_add_inotify(w, e->mqfd, "");
	/* Not root, fanotify may open but hides every other process's pid: inotify then. */
	if (!root && w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
		errno = EPERM;
	}
	if (w->fd >= 0 && shm >= 0 && audit_watch_add(w, shm, "/dev/shm", "/dev/shm", false)) {
		snprintf(res->watch, sizeof(res->watch), "fanotify%s", mq ? ", inotify for mqueues" : "");
		for (unsigned i = 0; i < o->npaths; i++) {
			char strip[32];
			snprintf(strip, sizeof(strip), "/%u/u", i);
			audit_watch_add(w, e->upfd, strip, o->paths[i], false);
		}
	} else {
		int err = errno;
		/* Kept open for the watch's lookups: closed with the outer process. */
		bool ok = shm >= 0 && audit_watch_add_inotify(w, shm, "/dev/shm");
		shm = -1;
		snprintf(res->watch, sizeof(res->watch), "inotify (no fanotify here: %s)%s", strerror(err),
			 ok ? "" : ", partly");
	}
	if (shm >= 0)
		close(shm);
}

static _Noreturn void send_result(int fd, const audit_result *res, const audit_objs *left)
{
	bool ok = write_all(fd, res, sizeof(*res)) && write_all(fd, &left->n, sizeof(left->n)) &&
		  (left->n == 0 || write_all(fd, left->v, left->n * sizeof(left->v[0])));
	_exit(ok ? 0 : 3);
}

/* The outer process: namespaces, mounts, snapshots and the creators; the result to fd. */
static _Noreturn void outer(const ic_audit_opts *o, double kill_at, int fd, int stopfd)
{
	audit_result res = {0};
	audit_objs before = {0}, after = {0}, left = {0};
	outer_env e = {.mqfd = -1, .upfd = -1};
	audit_watch w;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	audit_tree tree = {.procfd = procfd, .self = getpid()};
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (enter_namespaces() != 0) {
		fail_step(&res, "enter new namespaces");
		send_result(fd, &res, &left);
	}
	if (private_mounts(o, &e, &res, uid == 0) != 0)
		send_result(fd, &res, &left);
	audit_watch_init(&w, procfd, &tree);
	watch_outer(&w, o, &e, &res, uid == 0);
	audit_snapshot(&before, e.mqfd, e.uppers, e.shown);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		fail_step(&res, "make a pipe");
		send_result(fd, &res, &left);
	}
	fflush(NULL);
	pid_t init = fork();
	if (init == 0) {
		close(fds[0]);
		namespace_init(o, kill_at, fds[1], stopfd, uid, gid);
	}
	close(fds[1]);
	if (init < 0) {
		fail_step(&res, "fork the namespace's init");
		send_result(fd, &res, &left);
	}
	char link[64];
	snprintf(link, sizeof(link), "%d/ns/pid", (int)init);
	ssize_t n = readlinkat(procfd, link, tree.pidns, sizeof(tree.pidns) - 1);
	if (n <= 0)
		tree.pidns[0] = '\0';
	follow_init(init, fds[0], &w, &res);
	audit_snapshot(&after, e.mqfd, e.uppers, e.shown);
	audit_diff(&before, &after, &left);
	audit_watch_attribute(&w, &left);
	audit_sysv_attribute(&res, &left);
	for (unsigned i = 0; i < left.n; i++) {
		left.v[i].fate = AUDIT_GONE;
		left.v[i].by_program = true; /* nothing else ran in these namespaces */
	}
	send_result(fd, &res, &left);
}

void audit_run_isolated(const ic_audit_opts *o, double kill_at, audit_result *res, audit_objs *left)
{
	int rfd[2], sfd[2];
	memset(left, 0, sizeof(*left));
	if (pipe2(rfd, O_CLOEXEC) != 0) {
		fail_step(res, "make a pipe");
		return;
	}
	if (pipe2(sfd, O_CLOEXEC) != 0) {
		fail_step(res, "make a pipe");
		close(rfd[0]);
		close(rfd[1]);
		return;
	}
	fflush(NULL); /* every stream: a child that calls exit() must not write our buffers again */
	pid_t pid = fork();
	if (pid == 0) {
		close(rfd[0]);
		close(sfd[1]);
		outer(o, kill_at, rfd[1], sfd[0]);
	}
	close(rfd[1]);
	close(sfd[0]);
	bool got = false;
	while (pid > 0 && !got) {
		struct pollfd p = {.fd = rfd[0], .events = POLLIN};
		if (poll(&p, 1, 20) > 0)
			got = read_all(rfd[0], res, sizeof(*res));
		if (p.revents && !got)
			break;
		int sig = audit_take_interrupt();
		if (sig)
			(void)!write(sfd[1], &sig, sizeof(sig));
	}
	unsigned n = 0;
	if (!got) {
		fail_step(res, "enter new namespaces");
	} else if (read_all(rfd[0], &n, sizeof(n)) && n) {
		left->v = calloc(n, sizeof(left->v[0]));
		left->n = left->cap = left->v && read_all(rfd[0], left->v, n * sizeof(left->v[0])) ? n : 0;
	}
	close(rfd[0]);
	close(sfd[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* ---- On the host ---- */

/* The host's queues: where the mqueue filesystem is mounted, or a detached one of our own (root). */
int audit_host_mqueue(void)
{
	char dir[256];
	if (ic_mqueue_mount(dir, sizeof(dir)))
		return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	audit_result ignored = {0};
	return geteuid() == 0 ? detached("mqueue", &ignored) : -1;
}

static void host_fates(const ic_audit_opts *o, audit_objs *left)
{
	for (unsigned i = 0; i < left->n; i++) {
		audit_obj *x = &left->v[i];
		x->fate = AUDIT_LEFT;
		if (!o->remove)
			continue;
		/* Only what the program's tree is known to have made: never a bystander's. */
		if (x->by_program && audit_remove(x) == 0)
			x->fate = AUDIT_REMOVED;
		else if (!x->by_program)
			x->fate = AUDIT_KEPT; /* a bystander's, or no one can say whose */
	}
}

void audit_run_host(const ic_audit_opts *o, double kill_at, audit_result *res, audit_objs *left)
{
	audit_objs before = {0}, after = {0};
	audit_watch w;
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int mqfd = audit_host_mqueue();
	audit_tree tree = {.procfd = procfd, .self = getpid()};
	memset(left, 0, sizeof(*left));
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* a daemon's setsid does not take it out of sight */
	audit_watch_init(&w, procfd, &tree);
	int shm = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.fd < 0)
		snprintf(res->watch, sizeof(res->watch), "unavailable (fanotify: %s)", strerror(errno));
	else if (shm < 0 || !audit_watch_add(&w, shm, "/dev/shm", "/dev/shm", false))
		snprintf(res->watch, sizeof(res->watch), "unavailable (fanotify_mark: %s)", strerror(errno));
	else
		snprintf(res->watch, sizeof(res->watch), "fanotify");
	if (mqfd >= 0)
		audit_watch_add_inotify(&w, mqfd, "");
	for (unsigned i = 0; i < o->npaths; i++) {
		int d = open(o->paths[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (d >= 0 && audit_watch_add(&w, d, o->paths[i], o->paths[i], false))
			close(d);
		else if (d >= 0)
			close(d);
	}
	audit_snapshot(&before, mqfd, o->paths, NULL);
	uint64_t t0 = ic_now_ns();
	res->kill_at = kill_at;
	describe_terminal(res);
	/* Not root, a filter would need no_new_privs, which changes how the program runs: none then. */
	int listener = -1;
	pid_t main = start_program(o, res, 0, 0, geteuid() == 0, &listener);
	if (main > 0) {
		tree.root = main;
		sup s = {.o = o, .tree = &tree, .stopfd = -1, .watch = &w, .kill_at = kill_at, .listener = listener,
			 .res = res};
		supervise(&s, main, t0, res);
		audit_snapshot(&after, mqfd, o->paths, NULL);
		audit_diff(&before, &after, left);
		audit_watch_attribute(&w, left);
		audit_sysv_attribute(res, left);
		host_fates(o, left);
	}
	if (shm >= 0)
		close(shm);
	if (mqfd >= 0)
		close(mqfd);
	if (procfd >= 0)
		close(procfd);
	audit_watch_close(&w);
	audit_objs_free(&before);
	audit_objs_free(&after);
}
