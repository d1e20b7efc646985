/*
 * audit_snap.c: what exists that a program can leave: every entry of
 * /dev/shm (files and directories below it too), POSIX queues with the bytes
 * they hold, SysV objects by the 32-bit key ipcs shows, and sockets and FIFOs
 * under --paths. Names that do not fit are marked cut and never removed.
 */
#include "audit/audit_int.h"

#include <dirent.h>
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

#define SNAP_DEPTH 16

const char *audit_kind_name(int kind)
{
	static const char *const names[AUDIT_KINDS] = {
		"posix-shm", "posix-sem", "posix-mq", "sysv-shm", "sysv-sem", "sysv-msg", "socket", "fifo",
		"shm-file",  "shm-dir",   "shm-other"};
	return kind >= 0 && kind < AUDIT_KINDS ? names[kind] : "?";
}

bool audit_kind_sysv(int kind)
{
	return kind == AUDIT_SYSV_SHM || kind == AUDIT_SYSV_SEM || kind == AUDIT_SYSV_MSG;
}

audit_obj *audit_objs_add(audit_objs *s)
{
	if (s->n == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 32;
		audit_obj *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	audit_obj *o = &s->v[s->n++];
	memset(o, 0, sizeof(*o));
	return o;
}

void audit_objs_free(audit_objs *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void add_entry(audit_objs *s, int kind, const char *dir, const char *name, const struct stat *st)
{
	audit_obj *o = audit_objs_add(s);
	if (!o)
		return;
	o->kind = kind;
	int w = snprintf(o->name, sizeof(o->name), "%s/%s", dir, name);
	o->cut = w < 0 || (size_t)w >= sizeof(o->name);
	o->owner = st->st_uid;
	o->mode = st->st_mode & 07777;
	o->size = (long long)st->st_size;
}

static int shm_kind(const struct stat *st, int depth, const char *name)
{
	if (S_ISDIR(st->st_mode))
		return AUDIT_SHM_DIR;
	if (!S_ISREG(st->st_mode))
		return AUDIT_SHM_OTHER;
	if (depth > 0)
		return AUDIT_SHM_FILE;
	return strncmp(name, "sem.", 4) == 0 ? AUDIT_SEM : AUDIT_SHM;
}

/* Every entry of /dev/shm, what is inside its directories too: `mkdir /dev/shm/app` leaks as well. */
static void scan_shm(audit_objs *s, int dirfd, const char *path, int depth)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		add_entry(s, shm_kind(&st, depth, e->d_name), path, e->d_name, &st);
		if (S_ISDIR(st.st_mode) && depth < SNAP_DEPTH) {
			char sub[AUDIT_NAME_MAX];
			int w = snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			int fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0 && w > 0 && (size_t)w < sizeof(sub))
				scan_shm(s, fd, sub, depth + 1);
			else if (fd >= 0)
				close(fd);
		}
	}
	closedir(d);
}

/* A queue's file reads "QSIZE:123 NOTIFY:..."; its inode size is not what it holds. */
static long long mq_qsize(int dirfd, const char *name)
{
	char buf[128] = "";
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	long long q = -1;
	if (n > 0) {
		buf[n] = '\0';
		if (sscanf(buf, "QSIZE:%lld", &q) != 1)
			q = -1;
	}
	return q;
}

static void scan_mqueue(audit_objs *s, int mq_dirfd)
{
	int fd = openat(mq_dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		if (e->d_name[0] == '.' || fstatat(fd, e->d_name, &st, 0) != 0)
			continue;
		add_entry(s, AUDIT_MQ, "", e->d_name, &st); /* "/name": as mq_open takes it */
		s->v[s->n - 1].size = mq_qsize(fd, e->d_name);
	}
	closedir(d);
}

/* /proc/sysvipc/{shm,sem,msg}: key id perms, then columns that differ per kind. */
static void scan_sysv(audit_objs *s, const char *file, int kind)
{
	FILE *f = fopen(file, "re");
	char line[512];
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		long key, id, c[10] = {0};
		unsigned perms;
		if (sscanf(line, "%ld %ld %o %ld %ld %ld %ld %ld %ld", &key, &id, &perms, &c[0], &c[1], &c[2], &c[3],
			   &c[4], &c[5]) < 5)
			continue;
		audit_obj *o = audit_objs_add(s);
		if (!o)
			break;
		o->kind = kind;
		o->key = (uint32_t)key; /* a key_t is an int: ipcs shows its 32 bits */
		o->id = (int)id;
		o->mode = perms & 0777;
		if (kind == AUDIT_SYSV_SHM) /* size cpid lpid nattch uid */
			o->size = c[0], o->owner = (uid_t)c[4];
		else if (kind == AUDIT_SYSV_MSG) /* cbytes qnum lspid lrpid uid */
			o->size = c[0], o->owner = (uid_t)c[4];
		else /* nsems uid */
			o->size = c[0], o->owner = (uid_t)c[1];
	}
	fclose(f);
}

pid_t audit_sysv_shm_cpid(int id)
{
	FILE *f = fopen("/proc/sysvipc/shm", "re");
	char line[512];
	pid_t pid = 0;
	while (f && fgets(line, sizeof(line), f)) {
		long key, sid, size, cpid;
		unsigned perms;
		if (sscanf(line, "%ld %ld %o %ld %ld", &key, &sid, &perms, &size, &cpid) == 5 && sid == id)
			pid = (pid_t)cpid;
	}
	if (f)
		fclose(f);
	return pid;
}

static void scan_paths(audit_objs *s, const char *dir, const char *shown, int depth)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		char path[AUDIT_NAME_MAX], sub[AUDIT_NAME_MAX];
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)) {
			add_entry(s, S_ISSOCK(st.st_mode) ? AUDIT_SOCKET : AUDIT_FIFO, shown, e->d_name, &st);
		} else if (S_ISDIR(st.st_mode) && depth < SNAP_DEPTH) {
			int a = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			int b = snprintf(sub, sizeof(sub), "%s/%s", shown, e->d_name);
			if (a > 0 && (size_t)a < sizeof(path) && b > 0 && (size_t)b < sizeof(sub))
				scan_paths(s, path, sub, depth + 1);
		}
	}
	closedir(d);
}

void audit_snapshot(audit_objs *s, int mq_dirfd, const char *const *paths, const char *const *shown)
{
	memset(s, 0, sizeof(*s));
	int fd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		scan_shm(s, fd, "/dev/shm", 0);
	if (mq_dirfd >= 0)
		scan_mqueue(s, mq_dirfd);
	scan_sysv(s, "/proc/sysvipc/shm", AUDIT_SYSV_SHM);
	scan_sysv(s, "/proc/sysvipc/sem", AUDIT_SYSV_SEM);
	scan_sysv(s, "/proc/sysvipc/msg", AUDIT_SYSV_MSG);
	for (unsigned i = 0; paths && paths[i]; i++)
		scan_paths(s, paths[i], shown ? shown[i] : paths[i], 0);
}

static bool same(const audit_obj *a, const audit_obj *b)
{
	if (a->kind != b->kind)
		return false;
	if (audit_kind_sysv(a->kind))
		return a->key == b->key && a->id == b->id;
	return strcmp(a->name, b->name) == 0;
}

void audit_diff(const audit_objs *before, const audit_objs *after, audit_objs *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < after->n; i++) {
		bool old = false;
		for (unsigned j = 0; j < before->n && !old; j++)
			old = same(&after->v[i], &before->v[j]);
		audit_obj *o = old ? NULL : audit_objs_add(out);
		if (o)
			*o = after->v[i];
	}
}

/* A name as a shell reads it back: in '...', a quote as '\''. Control bytes stay inert inside. */
static void shell_quoted(char *buf, size_t size, const char *prefix, const char *s)
{
	size_t n = (size_t)snprintf(buf, size, "%s'", prefix);
	for (; *s && n + 5 < size; s++) {
		if (*s == '\'')
			n += (size_t)snprintf(buf + n, size - n, "'\\''");
		else
			buf[n++] = *s;
	}
	snprintf(buf + n, size - n, "'");
}

const char *audit_remove_hint(const audit_obj *o, char *buf, size_t size)
{
	static const char *const ipcrm[] = {[AUDIT_SYSV_SHM] = "-m", [AUDIT_SYSV_SEM] = "-s", [AUDIT_SYSV_MSG] = "-q"};
	if (audit_kind_sysv(o->kind))
		snprintf(buf, size, "ipcrm %s %d", ipcrm[o->kind], o->id);
	else if (o->cut)
		snprintf(buf, size, "(its name is too long to show whole: find it with ls)");
	else if (o->kind == AUDIT_MQ) /* the mqueue filesystem, where it is mounted (util-linux has no tool) */
		shell_quoted(buf, size, "rm /dev/mqueue", o->name);
	else if (o->kind == AUDIT_SHM_DIR)
		shell_quoted(buf, size, "rm -r ", o->name);
	else
		shell_quoted(buf, size, "rm ", o->name);
	return buf;
}

int audit_remove(const audit_obj *o)
{
	if (o->cut) {
		errno = ENAMETOOLONG;
		return -1;
	}
	switch (o->kind) {
	case AUDIT_SYSV_SHM:
		return shmctl(o->id, IPC_RMID, NULL);
	case AUDIT_SYSV_SEM:
		return semctl(o->id, 0, IPC_RMID);
	case AUDIT_SYSV_MSG:
		return msgctl(o->id, IPC_RMID, NULL);
	case AUDIT_MQ:
		return mq_unlink(o->name);
	case AUDIT_SHM_DIR:
		return rmdir(o->name);
	default:
		return unlink(o->name);
	}
}
