/*
 * audit_watch.c: who made each object. fanotify reports every creation in
 * the watched filesystems (/dev/shm, the mqueue filesystem, the upper layer
 * of --paths) with the creating process's pid, looked up at once, while it
 * is likely alive; SysV segments carry their creator's pid, read while the
 * run goes on. fanotify needs root in the first user namespace: elsewhere
 * creators of files and queues are "unknown", and the report says why. The
 * kernel records no creator for SysV semaphores and message queues.
 */
#include "audit/audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <stddef.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

void audit_watch_init(audit_watch *w, int procfd, const audit_tree *tree)
{
	memset(w, 0, sizeof(*w));
	w->procfd = procfd;
	w->tree = tree;
	w->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_DFID_NAME | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY);
	w->ino = -1;
}

bool audit_watch_add_inotify(audit_watch *w, int dirfd, const char *prefix)
{
	char path[64];
	if (w->ino < 0)
		w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ino < 0 || w->niw == sizeof(w->iw) / sizeof(w->iw[0]))
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	int wd = inotify_add_watch(w->ino, path, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	if (wd < 0)
		return false;
	w->iw[w->niw].wd = wd;
	w->iw[w->niw].dirfd = dirfd;
	snprintf(w->iw[w->niw].prefix, sizeof(w->iw[w->niw].prefix), "%s", prefix);
	w->niw++;
	return true;
}

bool audit_watch_add(audit_watch *w, int dirfd, const char *strip, const char *prefix, bool mqueue)
{
	struct statfs sf;
	if (w->fd < 0 || w->nroots == sizeof(w->roots) / sizeof(w->roots[0]) || fstatfs(dirfd, &sf) != 0)
		return false;
	/* A detached mount's own descriptor is refused (EBADF): its root, opened, is not. */
	int root = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return false;
	struct audit_root *r = &w->roots[w->nroots];
	memcpy(r->fsid, &sf.f_fsid, sizeof(r->fsid) < sizeof(sf.f_fsid) ? sizeof(r->fsid) : sizeof(sf.f_fsid));
	/* Marking a filesystem twice is fine: the roots below tell its parts apart. */
	if (fanotify_mark(w->fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_CREATE | FAN_MOVED_TO | FAN_ONDIR, root,
			  NULL) != 0) {
		close(root);
		return false;
	}
	r->mountfd = root;
	r->mqueue = mqueue;
	snprintf(r->strip, sizeof(r->strip), "%s", strip);
	snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
	w->nroots++;
	return true;
}

static audit_seen *seen_slot(audit_watch *w, const char *name)
{
	for (unsigned i = 0; i < w->nseen; i++)
		if (strcmp(w->seen[i].name, name) == 0)
			return &w->seen[i];
	if (w->nseen == w->capseen) {
		unsigned cap = w->capseen ? 2 * w->capseen : 32;
		audit_seen *v = realloc(w->seen, cap * sizeof(*v));
		if (!v)
			return NULL;
		w->seen = v;
		w->capseen = cap;
	}
	audit_seen *s = &w->seen[w->nseen++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	return s;
}

static void note_creator(audit_watch *w, const char *name, pid_t pid)
{
	audit_seen *s = seen_slot(w, name);
	if (!s)
		return;
	s->pid = pid;
	s->in_tree = w->tree && audit_tree_has(w->tree, pid);
	s->gone = !audit_cmdline(w->procfd, pid, s->cmd, sizeof(s->cmd));
	if (s->gone)
		snprintf(s->cmd, sizeof(s->cmd), "(ended before it could be named)");
}

/* A process of the tree that has the file (dev, ino) open now: its creator, as far as anyone can tell. */
static pid_t holder(const audit_watch *w, dev_t dev, ino_t ino)
{
	pid_t pids[256];
	unsigned n = w->tree ? audit_tree_pids(w->tree, pids, 256) : 0;
	for (unsigned i = 0; i < n && i < 256; i++) {
		char dir[64];
		snprintf(dir, sizeof(dir), "%d/fd", (int)pids[i]);
		int fd = openat(w->procfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		if (!d) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		bool found = false;
		struct stat st;
		for (struct dirent *e; !found && (e = readdir(d));)
			found = e->d_name[0] != '.' && fstatat(fd, e->d_name, &st, 0) == 0 && st.st_dev == dev &&
				st.st_ino == ino;
		closedir(d);
		if (found)
			return pids[i];
	}
	return 0;
}

static void poll_inotify(audit_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t n = read(w->ino, buf, sizeof(buf));
		if (n <= 0)
			return;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const void *)p;
			for (unsigned i = 0; e->len && i < w->niw; i++) {
				struct stat st;
				char name[2 * AUDIT_NAME_MAX];
				if (w->iw[i].wd != e->wd || fstatat(w->iw[i].dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
					continue;
				pid_t pid = holder(w, st.st_dev, st.st_ino);
				snprintf(name, sizeof(name), "%s/%s", w->iw[i].prefix, e->name);
				if (pid > 0)
					note_creator(w, name, pid);
			}
			p += sizeof(*e) + e->len;
		}
	}
}

/* The directory of an event as the program sees it, from its handle: root r's path. */
static bool event_dir(const struct audit_root *r, struct file_handle *fh, char *dir, size_t size)
{
	if (r->mqueue) {
		dir[0] = '\0';
		return true;
	}
	int fd = open_by_handle_at(r->mountfd, fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return false;
	char link[64], path[AUDIT_NAME_MAX];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n <= 0)
		return false;
	path[n] = '\0';
	size_t k = strlen(r->strip);
	if (strncmp(path, r->strip, k) != 0 || (path[k] != '\0' && path[k] != '/'))
		return false;
	snprintf(dir, size, "%s%s", r->prefix, path + k);
	return true;
}

/*
 * One event's records, from bytes read: records are not 8-byte aligned (a
 * name's length decides where the next one starts), so each part is copied
 * out before it is looked at.
 */
static void one_event(audit_watch *w, const char *ev, size_t len, pid_t pid, size_t metadata_len)
{
	size_t off = metadata_len;
	while (off + sizeof(struct fanotify_event_info_header) <= len) {
		struct fanotify_event_info_header hdr;
		memcpy(&hdr, ev + off, sizeof(hdr));
		if (hdr.len == 0 || off + hdr.len > len)
			break;
		size_t fh_at = off + offsetof(struct fanotify_event_info_fid, handle);
		struct file_handle fhh;
		if (hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME && fh_at + sizeof(fhh) <= off + hdr.len) {
			memcpy(&fhh, ev + fh_at, sizeof(fhh));
			size_t name_at = fh_at + sizeof(fhh) + fhh.handle_bytes;
			union {
				struct file_handle fh;
				char bytes[sizeof(struct file_handle) + MAX_HANDLE_SZ];
			} h;
			if (fhh.handle_bytes <= MAX_HANDLE_SZ && name_at < off + hdr.len) {
				memcpy(&h, ev + fh_at, sizeof(fhh) + fhh.handle_bytes);
				const char *fname = ev + name_at;
				size_t fname_max = off + hdr.len - name_at;
				const char *fsid = ev + off + offsetof(struct fanotify_event_info_fid, fsid);
				for (unsigned i = 0; i < w->nroots && memchr(fname, '\0', fname_max); i++) {
					char dir[AUDIT_NAME_MAX], name[2 * AUDIT_NAME_MAX + 2];
					if (memcmp(fsid, w->roots[i].fsid, sizeof(w->roots[i].fsid)) != 0 ||
					    !event_dir(&w->roots[i], &h.fh, dir, sizeof(dir)))
						continue;
					snprintf(name, sizeof(name), "%s/%s", dir, fname);
					note_creator(w, name, pid);
					break;
				}
			}
		}
		off += hdr.len;
	}
}

/* New SysV segments: their creator's pid is the kernel's; its command is read now, while it lives. */
static void poll_sysv_shm(audit_watch *w)
{
	FILE *f = fopen("/proc/sysvipc/shm", "re");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		long key, id, size, cpid;
		unsigned perms;
		if (sscanf(line, "%ld %ld %o %ld %ld", &key, &id, &perms, &size, &cpid) != 5)
			continue;
		bool known = false;
		for (unsigned i = 0; i < w->nshm && !known; i++)
			known = w->shm[i].id == (int)id && w->shm[i].pid == (pid_t)cpid;
		if (known)
			continue;
		if (w->nshm == w->capshm) {
			unsigned cap = w->capshm ? 2 * w->capshm : 16;
			struct audit_sysv_seen *v = realloc(w->shm, cap * sizeof(*v));
			if (!v)
				break;
			w->shm = v;
			w->capshm = cap;
		}
		struct audit_sysv_seen *s = &w->shm[w->nshm++];
		s->id = (int)id;
		s->pid = (pid_t)cpid;
		s->in_tree = w->tree && audit_tree_has(w->tree, s->pid);
		s->gone = !audit_cmdline(w->procfd, s->pid, s->cmd, sizeof(s->cmd));
		if (s->gone)
			snprintf(s->cmd, sizeof(s->cmd), "(ended before it could be named)");
	}
	if (f)
		fclose(f);
}

void audit_watch_poll(audit_watch *w)
{
	poll_sysv_shm(w);
	if (w->ino >= 0)
		poll_inotify(w);
	if (w->fd < 0)
		return;
	char buf[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n <= 0)
			return;
		for (size_t off = 0; off + sizeof(struct fanotify_event_metadata) <= (size_t)n;) {
			struct fanotify_event_metadata m;
			memcpy(&m, buf + off, sizeof(m));
			if (m.event_len < sizeof(m) || off + m.event_len > (size_t)n)
				break;
			if (m.vers == FANOTIFY_METADATA_VERSION && m.pid > 0)
				one_event(w, buf + off, m.event_len, m.pid, m.metadata_len);
			off += m.event_len;
		}
	}
}

void audit_watch_attribute(const audit_watch *w, audit_objs *objs)
{
	for (unsigned i = 0; i < objs->n; i++) {
		audit_obj *o = &objs->v[i];
		if (o->kind == AUDIT_SYSV_SHM) {
			for (unsigned j = 0; j < w->nshm; j++)
				if (w->shm[j].id == o->id) {
					o->creator = w->shm[j].pid;
					o->by_program = w->shm[j].in_tree;
					o->creator_gone = w->shm[j].gone;
					snprintf(o->creator_cmd, sizeof(o->creator_cmd), "%s", w->shm[j].cmd);
				}
			continue;
		}
		for (unsigned j = 0; j < w->nseen; j++)
			if (strcmp(w->seen[j].name, o->name) == 0) {
				o->creator = w->seen[j].pid;
				o->by_program = w->seen[j].in_tree;
				o->creator_gone = w->seen[j].gone;
				snprintf(o->creator_cmd, sizeof(o->creator_cmd), "%s", w->seen[j].cmd);
			}
	}
}

void audit_watch_close(audit_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->ino >= 0)
		close(w->ino);
	for (unsigned i = 0; i < w->nroots; i++)
		if (w->roots[i].mountfd >= 0)
			close(w->roots[i].mountfd);
	free(w->seen);
	free(w->shm);
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->ino = -1;
}
