/*
 * tracker.c: every IPC object a run creates is registered in the arena before
 * it exists, so whatever happens to its creator the supervisor can remove it;
 * and afterwards a scan by run id finds what was made behind its back. The
 * scan attributes by owner as well as by name: another user can see a run's
 * id in /dev/shm and make objects that carry it, which are not the run's
 * leaks and never ours to remove.
 */
#include "internal.h"
#include "core/tracker.h"
#include "core/ipcsnap.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <mqueue.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE, SLOT_REMOVED, SLOT_NOT_OURS };

int ic_tracker_add(ic_arena *arena, int kind, const char *name, key_t key)
{
	unsigned i = atomic_fetch_add(&arena->ntracked, 1);
	if (i >= IC_MAX_TRACKED) {
		errno = ENOSPC;
		return -1;
	}
	ic_tracked *t = &arena->tracked[i];
	atomic_store(&t->state, SLOT_CLAIMED);
	t->kind = kind;
	t->key = key;
	snprintf(t->name, sizeof(t->name), "%s", name);
	/* Only a whole name counts: a registration torn by a kill preceded any creation. */
	atomic_store_explicit(&t->state, SLOT_LIVE, memory_order_release);
	return 0;
}

void ic_tracker_created(ic_arena *arena, const char *name, unsigned mode, bool excl)
{
	unsigned n = atomic_load(&arena->ntracked);
	for (unsigned i = n; i-- > 0;) {
		ic_tracked *t = &arena->tracked[i < IC_MAX_TRACKED ? i : 0];
		if (i < IC_MAX_TRACKED && strcmp(t->name, name) == 0) {
			t->mode = mode & 07777;
			t->excl = excl;
			return;
		}
	}
}

void ic_tracker_removed(ic_arena *arena, const char *name)
{
	unsigned n = atomic_load(&arena->ntracked);
	for (unsigned i = 0; i < n && i < IC_MAX_TRACKED; i++) {
		ic_tracked *t = &arena->tracked[i];
		if (atomic_load(&t->state) == SLOT_LIVE && strcmp(t->name, name) == 0)
			atomic_store(&t->state, SLOT_REMOVED);
	}
}

void ic_tracker_not_ours(ic_arena *arena, const char *name)
{
	unsigned n = atomic_load(&arena->ntracked);
	/* The latest registration of that name: the one whose create just failed. */
	for (unsigned i = n < IC_MAX_TRACKED ? n : IC_MAX_TRACKED; i-- > 0;) {
		ic_tracked *t = &arena->tracked[i];
		if (atomic_load(&t->state) == SLOT_LIVE && strcmp(t->name, name) == 0) {
			atomic_store(&t->state, SLOT_NOT_OURS);
			return;
		}
	}
}

/* Never another user's object, even under a name the run registered: someone may have squatted it. */
static void remove_object(int kind, const char *name, key_t key)
{
	int as = kind == IC_OBJ_MQ ? IC_IPC_MQ : kind == IC_OBJ_SYSV_MSG ? IC_IPC_SYSV_MSG : IC_IPC_SHM;
	if (kind == IC_OBJ_SHM || kind == IC_OBJ_MQ || kind == IC_OBJ_SYSV_MSG)
		ic_ipc_owned(as, name, key, true, NULL);
}

void ic_tracker_sweep(ic_arena *arena)
{
	unsigned n = atomic_load(&arena->ntracked);
	for (unsigned i = 0; i < n && i < IC_MAX_TRACKED; i++) {
		ic_tracked *t = &arena->tracked[i];
		if (atomic_load_explicit(&t->state, memory_order_acquire) != SLOT_LIVE)
			continue;
		remove_object(t->kind, t->name, t->key);
		atomic_store(&t->state, SLOT_REMOVED);
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The PRF's input: the run id and the object number, fixed-width so no two inputs collide. */
key_t ic_sysv_key_of(const char *runid, const uint8_t secret[IC_SECRET_BYTES], unsigned n)
{
	char in[48];
	int len = snprintf(in, sizeof(in), "sysv.%.16s.%03x", runid, n & 0xfff);
	uint32_t k = (uint32_t)ic_siphash24(secret, in, (size_t)len) & 0x7fffffff;
	return (key_t)(k ? k : 1); /* positive, and never IPC_PRIVATE */
}

bool ic_sysv_key_is_run(const char *runid, const uint8_t secret[IC_SECRET_BYTES], key_t key)
{
	for (unsigned n = 0; n < IC_SYSV_KEYS; n++)
		if (ic_sysv_key_of(runid, secret, n) == key)
			return true;
	return false;
}

/* Still registered and not removed by its owner: --keep leaves it on purpose, not a leftover. */
static bool tracked_live(const ic_arena *a, int kind, const char *name, key_t key)
{
	unsigned n = a ? atomic_load(&a->ntracked) : 0;
	for (unsigned i = 0; i < n && i < IC_MAX_TRACKED; i++) {
		const ic_tracked *t = &a->tracked[i];
		if (atomic_load(&t->state) == SLOT_LIVE && t->kind == kind &&
		    (kind == IC_OBJ_SYSV_MSG ? t->key == key : strcmp(t->name, name) == 0))
			return true;
	}
	return false;
}

static void copy_what(char *dst, size_t size, const char *what)
{
	snprintf(dst, size, "%.*s", (int)size - 1, what);
}

/* One object that carries the run's id: ours (a leftover) or another user's (interference). */
static void note(ic_scan *s, const char *what, bool ours, long uid)
{
	if (!ours) {
		if (s->nforeign < s->max_foreign) {
			copy_what(s->foreign[s->nforeign].what, sizeof(s->foreign[0].what), what);
			s->foreign[s->nforeign].uid = uid;
		}
		s->nforeign++;
		return;
	}
	if (s->n < s->max)
		copy_what(s->found[s->n], sizeof(s->found[0]), what);
	s->n++;
}

/* POSIX shm and semaphores of this run in /dev/shm, owner read without following a link. */
static void scan_dev_shm(ic_scan *s)
{
	char mine[64], sem[64], arena[64];
	snprintf(mine, sizeof(mine), "ipchaos.%.16s.", s->runid);
	snprintf(sem, sizeof(sem), "sem.ipchaos.%.16s.", s->runid);
	snprintf(arena, sizeof(arena), "ipchaos.%.16s.arena", s->runid);
	DIR *d = opendir("/dev/shm");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		struct stat st;
		char path[360], name[300];
		if ((!starts_with(e->d_name, mine) && !starts_with(e->d_name, sem)) ||
		    strcmp(e->d_name, arena) == 0 || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		snprintf(name, sizeof(name), "/%.255s", e->d_name);
		if (tracked_live(s->tracked, IC_OBJ_SHM, name, 0))
			continue;
		bool ours = st.st_uid == geteuid();
		snprintf(path, sizeof(path), "/dev/shm/%.255s", e->d_name);
		note(s, path, ours, (long)st.st_uid);
		if (ours && s->remove)
			ic_file_owned_at(dirfd(d), e->d_name, true, NULL); /* checks the owner again, as it removes */
	}
	closedir(d);
}

/* Queues of this run, listed by name (a private mqueue mount if need be), owner checked on each. */
static void scan_mqueues(ic_scan *s)
{
	ic_ipc_snap q = {0};
	char mine[64];
	snprintf(mine, sizeof(mine), "/ipchaos.%.16s.", s->runid);
	ic_mqueue_list(&q);
	for (unsigned i = 0; i < q.n; i++) {
		const char *name = q.objs[i].name;
		if (!starts_with(name, mine) || tracked_live(s->tracked, IC_OBJ_MQ, name, 0))
			continue;
		uid_t owner = (uid_t)-1;
		bool ours = ic_ipc_owned(IC_IPC_MQ, name, 0, s->remove, &owner) == IC_OWNED;
		char what[300];
		snprintf(what, sizeof(what), "mqueue %.255s", name);
		note(s, what, ours, owner == (uid_t)-1 ? -1 : (long)owner);
	}
	ic_ipc_snap_free(&q);
}

/*
 * SysV message queues whose key is one of this run's. Ours only if we both
 * own and created it: an owner can give a queue away (IPC_SET), so another
 * user could hand us his, but the creator (cuid) cannot change.
 */
static void scan_sysv_msg(ic_scan *s)
{
	FILE *f = fopen("/proc/sysvipc/msg", "r");
	if (!f)
		return;
	key_t keys[IC_SYSV_KEYS];
	bool derived = false;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		long key, id;
		unsigned uid, cuid;
		/* key msqid perms cbytes qnum lspid lrpid uid gid cuid ... */
		if (sscanf(line, "%ld %ld %*o %*u %*u %*d %*d %u %*u %u", &key, &id, &uid, &cuid) != 4)
			continue;
		/* Only once a queue exists: most runs meet none, and need not pay for 512 hashes. */
		if (!derived) {
			for (unsigned n = 0; n < IC_SYSV_KEYS; n++)
				keys[n] = ic_sysv_key_of(s->runid, s->secret, n);
			derived = true;
		}
		bool mine = false;
		for (unsigned n = 0; n < IC_SYSV_KEYS && !mine; n++)
			mine = keys[n] == (key_t)key;
		if (!mine || tracked_live(s->tracked, IC_OBJ_SYSV_MSG, NULL, (key_t)key))
			continue;
		bool ours = uid == geteuid() && cuid == geteuid();
		char what[64];
		snprintf(what, sizeof(what), "SysV message queue key 0x%08x", (unsigned)key);
		note(s, what, ours, (long)(cuid != geteuid() ? cuid : uid));
		if (ours && s->remove)
			ic_ipc_owned(IC_IPC_SYSV_MSG, NULL, key, true, NULL);
	}
	fclose(f);
}

void ic_tracker_scan(ic_scan *s)
{
	s->n = s->nforeign = 0;
	scan_dev_shm(s);
	if (s->mqueues)
		scan_mqueues(s);
	if (s->secret)
		scan_sysv_msg(s);
}

unsigned ic_tracker_leftovers(const char *runid, const uint8_t *secret, bool remove, bool mqueues,
			      char (*out)[272], unsigned max)
{
	ic_scan s = {.runid = runid, .secret = secret, .remove = remove, .mqueues = mqueues,
		     .found = out, .max = max};
	ic_tracker_scan(&s);
	return s.n < max ? s.n : max;
}
