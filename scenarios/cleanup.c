/*
 * cleanup: a service creates a segment, a message queue and a named
 * semaphore as ordinary code would (plain shm_open and mq_open, and the
 * semaphore's file in /dev/shm as sem_open makes it: the harness does not
 * track them), uses them, and removes them, in one of four styles: none
 * (never: the planted leak), atexit (an exit handler, which a SIGKILL never
 * runs), unlink_early (removed as soon as opened, used through the
 * descriptors: nothing to leak), owner_pid (names carry the creator's pid;
 * the next start, the supervisor's observe step here, removes objects whose
 * owner is dead, as long-running services do). The leaks checker finds what
 * remains by the run id in the names.
 * Checkers: leaks, crash, hang. Injectors: kill (at each point), delay.
 */
#include "ipchaos.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum style { STYLE_NONE, STYLE_ATEXIT, STYLE_UNLINK_EARLY, STYLE_OWNER_PID };
static const char *const style_values[] = {"none", "atexit", "unlink_early", "owner_pid", NULL};

static const ic_key cleanup_keys[] = {
	{"style", style_values, "how the service removes its objects", NULL, NULL},
	{0},
};

static const char *const cleanup_points[] = {"cleanup/ready", "cleanup/used", "cleanup/finishing", NULL};

/* The names of this process's objects: the run's names, and a pid after them for owner_pid. */
typedef struct names {
	char seg[128], queue[128], sem[128];
} names;

static void make_names(const ic_ctx *ctx, names *n, int style, pid_t pid)
{
	char suffix[32] = "", seg[80], queue[80], sem[80];
	if (style == STYLE_OWNER_PID)
		snprintf(suffix, sizeof(suffix), ".%d", (int)pid);
	ic_object_name(ctx, "seg", seg, sizeof(seg));
	ic_object_name(ctx, "queue", queue, sizeof(queue));
	ic_object_name(ctx, "sem", sem, sizeof(sem));
	snprintf(n->seg, sizeof(n->seg), "%s%s", seg, suffix);
	snprintf(n->queue, sizeof(n->queue), "%s%s", queue, suffix);
	snprintf(n->sem, sizeof(n->sem), "%s%s", sem, suffix);
}

/*
 * A new named semaphore, made as glibc's sem_open(O_CREAT) makes one but
 * without its temporary: glibc writes /dev/shm/sem.XXXXXX, links it to
 * sem.NAME and unlinks the temporary, so a kill in between leaves a file
 * that carries no run id and no one can attribute. Here the only file ever
 * made is sem.NAME itself, exclusively. sem_unlink(NAME) removes it; the
 * mapping goes with sem_forget, not sem_close (which knows only sem_open's).
 */
static sem_t *sem_create(const char *name, unsigned value)
{
	char path[160];
	snprintf(path, sizeof(path), "/dev/shm/sem.%s", name + 1);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return SEM_FAILED;
	void *p = MAP_FAILED;
	if (ftruncate(fd, sizeof(sem_t)) == 0)
		p = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED && sem_init(p, 1, value) == 0)
		return p;
	if (p != MAP_FAILED)
		munmap(p, sizeof(sem_t));
	unlink(path);
	return SEM_FAILED;
}

static void sem_forget(sem_t *sem)
{
	munmap(sem, sizeof(*sem));
}

static void unlink_all(const names *n)
{
	shm_unlink(n->seg);
	mq_unlink(n->queue);
	sem_unlink(n->sem);
}

/* atexit() takes no argument: the one name set of this process, for its handler. */
static names exit_names;

static void unlink_at_exit(void)
{
	unlink_all(&exit_names);
}

static int style_of(const ic_ctx *ctx)
{
	for (int i = 0; style_values[i]; i++)
		if (strcmp(style_values[i], ic_variant(ctx, "style")) == 0)
			return i;
	return STYLE_NONE;
}

static int service(ic_ctx *ctx)
{
	int style = style_of(ctx);
	names n;
	make_names(ctx, &n, style, getpid());
	struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 16};
	int fd = shm_open(n.seg, O_RDWR | O_CREAT | O_EXCL, 0600);
	mqd_t q = mq_open(n.queue, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	sem_t *sem = sem_create(n.sem, 1);
	if (fd < 0 || q == (mqd_t)-1 || sem == SEM_FAILED)
		return 1;
	if (style == STYLE_UNLINK_EARLY)
		unlink_all(&n); /* every party has them open: the names are no longer needed */
	if (style == STYLE_ATEXIT) {
		exit_names = n;
		atexit(unlink_at_exit);
	}
	if (ftruncate(fd, 4096) != 0)
		return 1;
	ic_point(ctx, "cleanup/ready");
	for (uint64_t i = 0; i < ic_ops(ctx); i++) {
		char msg[16] = "ping";
		sem_wait(sem);
		mq_send(q, msg, sizeof(msg), 0);
		mq_receive(q, msg, sizeof(msg), NULL);
		sem_post(sem);
		ic_invoke(ctx, IC_OP_USER, i, 0);
		ic_ok(ctx, IC_OP_USER, i, 0);
		ic_point(ctx, "cleanup/used");
	}
	ic_point(ctx, "cleanup/finishing");
	close(fd);
	mq_close(q);
	sem_forget(sem);
	if (style == STYLE_OWNER_PID)
		unlink_all(&n);
	if (style == STYLE_ATEXIT)
		exit(0); /* runs the handler: a role's return would _exit without it */
	return 0;
}

/* The pid after `prefix` in `name`, or 0 if `name` is not prefix + a number. */
static pid_t owner_of(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);
	if (strncmp(name, prefix, len) != 0 || name[len] == '\0' ||
	    strspn(name + len, "0123456789") != strlen(name + len))
		return 0;
	return (pid_t)atoi(name + len);
}

/* "<seg name>.<pid>" and "sem.<sem name>.<pid>" in /dev/shm: a dead owner's go, queue too. */
static void remove_dead_owners(ic_ctx *ctx)
{
	names mine;
	char seg[160], sem[160];
	make_names(ctx, &mine, STYLE_NONE, 0);
	snprintf(seg, sizeof(seg), "%.127s.", mine.seg + 1);
	snprintf(sem, sizeof(sem), "sem.%.127s.", mine.sem + 1);
	DIR *d = opendir("/dev/shm");
	for (struct dirent *e; d && (e = readdir(d));) {
		pid_t owner = owner_of(e->d_name, seg);
		if (owner <= 0)
			owner = owner_of(e->d_name, sem);
		if (owner > 0 && kill(owner, 0) != 0 && errno == ESRCH) {
			names n;
			make_names(ctx, &n, STYLE_OWNER_PID, owner);
			unlink_all(&n);
		}
	}
	if (d)
		closedir(d);
}

static int cleanup_observe(ic_ctx *ctx)
{
	if (style_of(ctx) == STYLE_OWNER_PID)
		remove_dead_owners(ctx); /* the next start of the service */
	return 0;
}

static const ic_role_desc cleanup_roles[] = {
	{"svc", service, 1},
	{0},
};

/* A kill at each point: ready and finishing are passed once, so their hit is the first. */
static const ic_expect cleanup_expect[] = {
	{"style=none", "", "leaks", 1, NULL, NULL, 0},
	{"style=atexit", "delay", "pass", 5, NULL, NULL, 0},
	{"style=atexit", "kill:at=cleanup/used", "leaks", 1, NULL, NULL, 0},
	{"style=unlink_early", "kill:at=cleanup/ready,hit=1", "pass", 5, NULL, NULL, 0},
	{"style=unlink_early", "kill:at=cleanup/used;delay", "pass", 50, NULL, NULL, 0},
	{"style=unlink_early", "kill:at=cleanup/finishing,hit=1", "pass", 5, NULL, NULL, 0},
	{"style=owner_pid", "kill:at=cleanup/ready,hit=1", "pass", 5, NULL, NULL, 0},
	{"style=owner_pid", "kill:at=cleanup/used;delay", "pass", 50, NULL, NULL, 0},
	{"style=owner_pid", "kill:at=cleanup/finishing,hit=1", "pass", 5, NULL, NULL, 0},
	{"style=none", "", "leaks", 1, NULL, "controlled", 0},
	{"style=unlink_early", "kill:at=cleanup/used", "pass", 50, NULL, "controlled", 0},
	{"style=owner_pid", "kill:at=cleanup/used", "pass", 50, NULL, "controlled", 0},
	{0},
};

const ic_scenario ic_scenario_cleanup = {
	.name = "cleanup",
	.summary = "a service's own IPC objects, removed (or not) in four styles",
	.keys = cleanup_keys,
	.roles = cleanup_roles,
	.points = cleanup_points,
	.checkers = "leaks,crash,hang",
	.default_ops = 100,
	.events_per_op = 2,
	.observe = cleanup_observe,
	.expect = cleanup_expect,
	.flags = IC_SC_MQUEUES,
};
