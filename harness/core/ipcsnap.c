/*
 * ipcsnap.c: snapshots of the IPC namespace, their difference, and removal.
 * SysV objects are compared by key and id, never by the columns that change
 * (attach counts, times), so a used object is not a new one.
 */
#include "core/ipcsnap.h"
#include "core/escape.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ic_ipc_kind_name(int kind)
{
	static const char *const names[] = {"posix-shm", "posix-sem", "posix-mq", "sysv-shm",
					    "sysv-sem",  "sysv-msg",  "socket",   "fifo"};
	return kind >= 0 && kind <= IC_IPC_FIFO ? names[kind] : "?";
}

static ic_ipc_obj *add(ic_ipc_snap *s)
{
	if (s->n == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 64;
		ic_ipc_obj *o = realloc(s->objs, cap * sizeof(*o));
		if (!o)
			return NULL;
		s->objs = o;
		s->cap = cap;
	}
	ic_ipc_obj *o = &s->objs[s->n++];
	memset(o, 0, sizeof(*o));
	return o;
}

static void add_file(ic_ipc_snap *s, int kind, const char *path, const struct stat *st)
{
	ic_ipc_obj *o = add(s);
	if (!o)
		return;
	o->kind = kind;
	snprintf(o->name, sizeof(o->name), "%.*s", (int)sizeof(o->name) - 1, path);
	o->owner = st->st_uid;
	o->mode = st->st_mode & 07777;
	o->size = (long long)st->st_size;
	o->mtime = st->st_mtime;
}

static void scan_shm(ic_ipc_snap *s)
{
	DIR *d = opendir("/dev/shm");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		char path[300];
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		snprintf(path, sizeof(path), "/dev/shm/%.255s", e->d_name);
		add_file(s, strncmp(e->d_name, "sem.", 4) == 0 ? IC_IPC_SEM : IC_IPC_SHM, path, &st);
	}
	closedir(d);
}

const char *ic_mqueue_mount(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/mounts", "r");
	char line[512], dir[256], type[64];
	const char *found = NULL;
	/* The last one: an audit's own mount, which shows its own IPC namespace. */
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %255s %63s", dir, type) == 2 && strcmp(type, "mqueue") == 0) {
			snprintf(buf, size, "%s", dir);
			found = buf;
		}
	if (f)
		fclose(f);
	return found;
}

/*
 * With no mqueue filesystem mounted, a child mounts one in a mount namespace
 * of its own (root only) and lists it: nothing changes for anyone else.
 * Returns a directory stream on `dir` in the caller, or lists through `out`.
 */
static void list_mqueue_dir(const char *dir, ic_ipc_snap *s)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		char name[300];
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, 0) != 0)
			continue;
		snprintf(name, sizeof(name), "/%.255s", e->d_name); /* the name mq_open takes */
		add_file(s, IC_IPC_MQ, name, &st);
	}
	closedir(d);
}

static bool list_mqueues_privately(ic_ipc_snap *s)
{
	char dir[] = "/tmp/ipchaos-mq.XXXXXX";
	int fds[2];
	if (geteuid() != 0 || !mkdtemp(dir))
		return false;
	if (pipe(fds) != 0) {
		rmdir(dir);
		return false;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		ic_ipc_snap mine = {0};
		if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
		    mount("mqueue", dir, "mqueue", 0, NULL) != 0)
			_exit(1);
		list_mqueue_dir(dir, &mine);
		bool ok = write(fds[1], &mine.n, sizeof(mine.n)) == (ssize_t)sizeof(mine.n);
		for (unsigned i = 0; ok && i < mine.n; i++)
			ok = write(fds[1], &mine.objs[i], sizeof(mine.objs[i])) == (ssize_t)sizeof(mine.objs[i]);
		_exit(ok ? 0 : 1);
	}
	close(fds[1]);
	unsigned n = 0;
	bool ok = pid > 0 && read(fds[0], &n, sizeof(n)) == (ssize_t)sizeof(n);
	for (unsigned i = 0; ok && i < n; i++) {
		ic_ipc_obj o;
		ok = read(fds[0], &o, sizeof(o)) == (ssize_t)sizeof(o);
		ic_ipc_obj *slot = ok ? add(s) : NULL;
		if (slot)
			*slot = o;
	}
	close(fds[0]);
	int status = 1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	rmdir(dir);
	return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void scan_mqueue(ic_ipc_snap *s)
{
	char dir[256];
	if (ic_mqueue_mount(dir, sizeof(dir)))
		list_mqueue_dir(dir, s), s->mqueue_visible = true;
	else
		s->mqueue_visible = list_mqueues_privately(s);
}

bool ic_mqueue_list(ic_ipc_snap *s)
{
	scan_mqueue(s);
	return s->mqueue_visible;
}

/* /proc/sysvipc/{shm,sem,msg}: key id perms ... uid ...; columns differ per kind. */
static void scan_sysv(ic_ipc_snap *s, const char *file, int kind)
{
	FILE *f = fopen(file, "r");
	char line[512];
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) { /* the header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		long key, id, c[10] = {0};
		unsigned perms;
		if (sscanf(line, "%ld %ld %o %ld %ld %ld %ld %ld %ld %ld %ld %ld", &key, &id, &perms, &c[0],
			   &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8]) < 7)
			continue;
		ic_ipc_obj *o = add(s);
		if (!o)
			break;
		o->kind = kind;
		o->key = key;
		o->id = id;
		o->mode = perms & 0777;
		snprintf(o->name, sizeof(o->name), "key 0x%08lx id %ld", key, id);
		if (kind == IC_IPC_SYSV_SHM) { /* size cpid lpid nattch uid */
			o->size = c[0], o->creator = (pid_t)c[1], o->owner = (uid_t)c[4];
		} else if (kind == IC_IPC_SYSV_MSG) { /* cbytes qnum lspid lrpid uid */
			o->size = c[0], o->owner = (uid_t)c[4];
		} else { /* nsems uid */
			o->size = c[0], o->owner = (uid_t)c[1];
		}
	}
	fclose(f);
}

static void scan_paths(ic_ipc_snap *s, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		char path[512];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode))
			add_file(s, S_ISSOCK(st.st_mode) ? IC_IPC_SOCKET : IC_IPC_FIFO, path, &st);
		else if (S_ISDIR(st.st_mode) && depth < 8)
			scan_paths(s, path, depth + 1);
	}
	closedir(d);
}

void ic_sysv_msg_list(ic_ipc_snap *s)
{
	scan_sysv(s, "/proc/sysvipc/msg", IC_IPC_SYSV_MSG);
}

int ic_ipc_snapshot(ic_ipc_snap *s, const char *const *paths)
{
	memset(s, 0, sizeof(*s));
	scan_shm(s);
	scan_mqueue(s);
	scan_sysv(s, "/proc/sysvipc/shm", IC_IPC_SYSV_SHM);
	scan_sysv(s, "/proc/sysvipc/sem", IC_IPC_SYSV_SEM);
	scan_sysv(s, "/proc/sysvipc/msg", IC_IPC_SYSV_MSG);
	for (unsigned i = 0; paths && paths[i]; i++)
		scan_paths(s, paths[i], 0);
	return 0;
}

void ic_ipc_snap_free(ic_ipc_snap *s)
{
	free(s->objs);
	memset(s, 0, sizeof(*s));
}

static bool same(const ic_ipc_obj *a, const ic_ipc_obj *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == IC_IPC_SYSV_SHM || a->kind == IC_IPC_SYSV_SEM || a->kind == IC_IPC_SYSV_MSG)
		return a->key == b->key && a->id == b->id;
	return strcmp(a->name, b->name) == 0;
}

void ic_ipc_diff(const ic_ipc_snap *before, const ic_ipc_snap *after, ic_ipc_snap *out)
{
	memset(out, 0, sizeof(*out));
	out->mqueue_visible = after->mqueue_visible;
	for (unsigned i = 0; i < after->n; i++) {
		bool old = false;
		for (unsigned j = 0; j < before->n && !old; j++)
			old = same(&after->objs[i], &before->objs[j]);
		ic_ipc_obj *o = old ? NULL : add(out);
		if (o)
			*o = after->objs[i];
	}
}

void ic_ipc_print(FILE *out, const ic_ipc_obj *o)
{
	char creator[32] = "unknown";
	if (o->creator > 0)
		snprintf(creator, sizeof(creator), "pid %d", (int)o->creator);
	/* Anyone may name an object: the name is escaped, so the listing stays one line per object. */
	ic_line(out, "  %-9s %-40s owner %u mode %04o size %lld creator %s", ic_ipc_kind_name(o->kind), o->name,
		(unsigned)o->owner, o->mode, o->size, creator);
}

int ic_ipc_remove(const ic_ipc_obj *o)
{
	switch (o->kind) {
	case IC_IPC_SHM:
	case IC_IPC_SEM:
	case IC_IPC_SOCKET:
	case IC_IPC_FIFO:
		return unlink(o->name);
	case IC_IPC_MQ:
		return mq_unlink(o->name);
	case IC_IPC_SYSV_SHM:
		return shmctl((int)o->id, IPC_RMID, NULL);
	case IC_IPC_SYSV_SEM:
		return semctl((int)o->id, 0, IPC_RMID);
	case IC_IPC_SYSV_MSG:
		return msgctl((int)o->id, IPC_RMID, NULL);
	}
	errno = EINVAL;
	return -1;
}

/* ---- Removal checked against the object's owner ---- */

/* One path component: no '/', not empty, not "." or "..". */
static bool plain_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/*
 * Whether no other user can replace `name` in this directory between our look
 * and our unlink: sticky (only a file's owner may unlink or rename over it,
 * as /dev/shm is), or writable by its owner alone, who is us or root.
 */
static bool name_cannot_be_swapped(int dirfd)
{
	struct stat d;
	if (fstat(dirfd, &d) != 0)
		return false;
	if (d.st_mode & S_ISVTX)
		return true;
	return !(d.st_mode & (S_IWGRP | S_IWOTH)) && (d.st_uid == geteuid() || d.st_uid == 0);
}

ic_owned ic_file_owned_at(int dirfd, const char *name, bool remove, uid_t *owner)
{
	struct stat st;
	if (name[0] == '/')
		name++;
	if (!plain_name(name))
		return IC_OWNED_ODD;
	/* The name itself, never what a link points to. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? IC_OWNED_GONE : IC_OWNED_ERROR;
	if (owner)
		*owner = st.st_uid;
	if (st.st_uid != geteuid())
		return IC_OWNED_FOREIGN;
	if (!S_ISREG(st.st_mode))
		return IC_OWNED_ODD; /* POSIX shm and semaphores are regular files */
	if (!remove)
		return IC_OWNED;
	if (!name_cannot_be_swapped(dirfd)) {
		errno = EPERM;
		return IC_OWNED_ERROR;
	}
	if (unlinkat(dirfd, name, 0) != 0)
		return errno == ENOENT ? IC_OWNED_GONE : IC_OWNED_ERROR;
	return IC_OWNED;
}

static ic_owned shm_owned(const char *name, bool remove, uid_t *owner)
{
	int dirfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return IC_OWNED_ERROR;
	ic_owned r = ic_file_owned_at(dirfd, name, remove, owner);
	int saved = errno;
	close(dirfd);
	errno = saved;
	return r;
}

/*
 * A queue's owner from its own descriptor. The mqueue filesystem's root is
 * sticky, so a queue that is ours when we look is still ours when we unlink.
 */
static ic_owned mq_owned(const char *name, bool remove, uid_t *owner)
{
	struct stat st;
	if (name[0] != '/' || !plain_name(name + 1))
		return IC_OWNED_ODD;
	mqd_t q = mq_open(name, O_RDONLY | O_CLOEXEC);
	if (q == (mqd_t)-1 && errno == EACCES)
		q = mq_open(name, O_WRONLY | O_CLOEXEC);
	if (q == (mqd_t)-1 && errno == EACCES) {
		/* Closed to us both ways: ipchaos makes its queues 0600, so another user's. */
		if (owner)
			*owner = (uid_t)-1;
		return IC_OWNED_FOREIGN;
	}
	if (q == (mqd_t)-1)
		return errno == ENOENT ? IC_OWNED_GONE : IC_OWNED_ERROR;
	int rc = fstat((int)q, &st);
	int saved = errno;
	mq_close(q);
	errno = saved;
	if (rc != 0)
		return IC_OWNED_ERROR;
	if (owner)
		*owner = st.st_uid;
	if (st.st_uid != geteuid())
		return IC_OWNED_FOREIGN;
	if (remove && mq_unlink(name) != 0)
		return errno == ENOENT ? IC_OWNED_GONE : IC_OWNED_ERROR;
	return IC_OWNED;
}

/* uid and cuid of queue `id` as /proc lists them, for a queue we may not IPC_STAT. */
static bool msg_owner_in_proc(int id, uid_t *uid, uid_t *cuid)
{
	bool found = false;
	FILE *f = fopen("/proc/sysvipc/msg", "r");
	char line[512];
	while (f && !found && fgets(line, sizeof(line), f)) {
		long key, qid, c[8];
		unsigned perms;
		/* key msqid perms cbytes qnum lspid lrpid uid gid cuid */
		found = sscanf(line, "%ld %ld %o %ld %ld %ld %ld %ld %ld %ld", &key, &qid, &perms, &c[0], &c[1],
			       &c[2], &c[3], &c[4], &c[5], &c[6]) == 10 && qid == id;
		if (found)
			*uid = (uid_t)c[4], *cuid = (uid_t)c[6];
	}
	if (f)
		fclose(f);
	return found;
}

static ic_owned msg_owned(long key, bool remove, uid_t *owner)
{
	struct msqid_ds ds;
	uid_t uid, cuid, me = geteuid();
	/* msgget(IPC_PRIVATE, 0) would make a queue: it is never a run's key. */
	if ((key_t)key == IPC_PRIVATE || key != (long)(key_t)key)
		return IC_OWNED_ODD;
	int id = msgget((key_t)key, 0);
	if (id < 0)
		return errno == ENOENT ? IC_OWNED_GONE : IC_OWNED_ERROR;
	if (msgctl(id, IPC_STAT, &ds) == 0)
		uid = ds.msg_perm.uid, cuid = ds.msg_perm.cuid;
	else if (errno == EIDRM || errno == EINVAL)
		return IC_OWNED_GONE;
	else if (!msg_owner_in_proc(id, &uid, &cuid))
		return IC_OWNED_ERROR;
	if (owner)
		*owner = uid != me ? uid : cuid;
	if (uid != me || cuid != me)
		return IC_OWNED_FOREIGN;
	if (remove && msgctl(id, IPC_RMID, NULL) != 0)
		return errno == EIDRM || errno == EINVAL ? IC_OWNED_GONE : IC_OWNED_ERROR;
	return IC_OWNED;
}

ic_owned ic_ipc_owned(int kind, const char *name, long key, bool remove, uid_t *owner)
{
	switch (kind) {
	case IC_IPC_SHM:
	case IC_IPC_SEM:
		return shm_owned(name, remove, owner);
	case IC_IPC_MQ:
		return mq_owned(name, remove, owner);
	case IC_IPC_SYSV_MSG:
		return msg_owned(key, remove, owner);
	}
	return IC_OWNED_ODD;
}
