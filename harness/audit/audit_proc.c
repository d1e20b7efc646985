/*
 * audit_proc.c: the program's process tree as the host's /proc shows it.
 * Isolated, the tree is every process of the audit's PID namespace; on the
 * host, every descendant of the audit (a subreaper: orphans, daemons that
 * call setsid included, come back to it). Pids are the host's, as a user's
 * ps shows them.
 */
#include "audit/audit_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static ssize_t read_at(int procfd, pid_t pid, const char *what, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof(path), "%d/%s", (int)pid, what);
	int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

bool audit_cmdline(int procfd, pid_t pid, char *buf, size_t size)
{
	char raw[AUDIT_CMD_MAX * 2];
	ssize_t n = read_at(procfd, pid, "cmdline", raw, sizeof(raw));
	if (n <= 0) { /* a zombie has none: its name, then */
		char stat[512];
		char *l, *r;
		if (read_at(procfd, pid, "stat", stat, sizeof(stat)) <= 0 || !(l = strchr(stat, '(')) ||
		    !(r = strrchr(stat, ')')))
			return false;
		snprintf(buf, size, "[%.*s]", (int)(r - l - 1), l + 1);
		return true;
	}
	while (n > 0 && raw[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (raw[i] == '\0')
			raw[i] = ' ';
	raw[n] = '\0';
	snprintf(buf, size, "%s", raw);
	return true;
}

/* Fields of /proc/PID/stat after the command's closing parenthesis: state is the 1st, ppid the 2nd, starttime the 20th. */
static bool stat_fields(int procfd, pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
	char buf[1024];
	if (read_at(procfd, pid, "stat", buf, sizeof(buf)) <= 0)
		return false;
	char *p = strrchr(buf, ')');
	if (!p)
		return false;
	int pp;
	unsigned long long st = 0;
	if (sscanf(p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", state, &pp,
		   &st) != 3)
		return false;
	*ppid = pp;
	*start = st;
	return true;
}

static bool in_pidns(const audit_tree *t, pid_t pid)
{
	char path[64], link[64];
	snprintf(path, sizeof(path), "%d/ns/pid", (int)pid);
	ssize_t n = readlinkat(t->procfd, path, link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	return strcmp(link, t->pidns) == 0;
}

/* Host mode: pid descends from the audit (orphans are reparented to it, a subreaper). */
static bool descends(const audit_tree *t, pid_t pid)
{
	for (int hops = 0; pid > 1 && hops < 4096; hops++) {
		char state;
		pid_t ppid;
		unsigned long long start;
		if (pid == t->root || pid == t->self)
			return true;
		if (!stat_fields(t->procfd, pid, &state, &ppid, &start))
			return false;
		pid = ppid;
	}
	return false;
}

bool audit_tree_has(const audit_tree *t, pid_t pid)
{
	if (pid <= 0 || pid == t->self)
		return false;
	return t->pidns[0] ? in_pidns(t, pid) : descends(t, pid);
}

unsigned audit_tree_pids(const audit_tree *t, pid_t *pids, unsigned max)
{
	int fd = openat(t->procfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	unsigned n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	for (struct dirent *e; (e = readdir(d));) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || !audit_tree_has(t, (pid_t)pid))
			continue;
		if (n < max)
			pids[n] = (pid_t)pid;
		n++;
	}
	closedir(d);
	return n;
}

void audit_tree_describe(const audit_tree *t, audit_result *r)
{
	pid_t pids[AUDIT_MAX_PROCS];
	unsigned total = audit_tree_pids(t, pids, AUDIT_MAX_PROCS);
	struct timespec now;
	clock_gettime(CLOCK_BOOTTIME, &now);
	double ticks = (double)sysconf(_SC_CLK_TCK);
	r->nprocs = 0;
	r->nprocs_total = total;
	for (unsigned i = 0; i < total && i < AUDIT_MAX_PROCS; i++) {
		audit_proc *p = &r->procs[r->nprocs];
		pid_t ppid;
		unsigned long long start;
		if (!stat_fields(t->procfd, pids[i], &p->state, &ppid, &start) || p->state == 'Z' || p->state == 'X') {
			r->nprocs_total--; /* ended meanwhile, or dead and not yet reaped */
			continue;
		}
		p->pid = pids[i];
		p->age = (double)now.tv_sec + (double)now.tv_nsec / 1e9 - (double)start / ticks;
		if (!audit_cmdline(t->procfd, pids[i], p->cmd, sizeof(p->cmd)))
			snprintf(p->cmd, sizeof(p->cmd), "?");
		r->nprocs++;
	}
}
