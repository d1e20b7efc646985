/*
 * tracker.c: every IPC object a run creates is registered in the arena before
 * it exists, so whatever happens to its creator the supervisor can remove it;
 * and afterwards a scan by run id finds what was made behind its back.
 */
#include "internal.h"
#include "core/tracker.h"
#include "core/ipcsnap.h"

#include <dirent.h>
#include <stdlib.h>
#include <mqueue.h>
#include <sys/msg.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE, SLOT_REMOVED };

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

key_t ic_sysv_key_of(const char *runid, unsigned n)
{
	/* 23 bits of the run id and the object number: positive, never IPC_PRIVATE. */
	uint64_t sm = 0;
	for (const char *p = runid; *p; p++)
		sm = sm * 131 + (unsigned char)*p;
	uint64_t h = ic_splitmix64(&sm);
	return (key_t)((((h & 0x7fffff) | 0x400000) << 8) | (n & 0xff));
}

typedef struct leftovers {
	bool remove;
	char (*out)[272];
	unsigned max, n;
} leftovers;

static void note(leftovers *l, const char *what)
{
	if (l->n < l->max)
		snprintf(l->out[l->n], sizeof(l->out[0]), "%.*s", (int)sizeof(l->out[0]) - 1, what);
	l->n++;
}

/* Names in a directory that are this run's: POSIX shm and semaphores, or mqueues. */
static void scan_dir(leftovers *l, const char *dir, const char *runid, bool mqueue)
{
	char mine[64], sem[64], arena[64];
	snprintf(mine, sizeof(mine), "ipchaos.%.16s.", runid);
	snprintf(sem, sizeof(sem), "sem.ipchaos.%.16s.", runid);
	snprintf(arena, sizeof(arena), "ipchaos.%.16s.arena", runid);
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		bool ours = starts_with(e->d_name, mine) || (!mqueue && starts_with(e->d_name, sem));
		if (!ours || (!mqueue && strcmp(e->d_name, arena) == 0))
			continue;
		char path[360];
		snprintf(path, sizeof(path), "%.100s/%.255s", dir, e->d_name);
		note(l, path);
		if (l->remove)
			ic_file_owned_at(dirfd(d), e->d_name, true, NULL);
	}
	closedir(d);
}

/* SysV message queues whose key is one of this run's. */
static void scan_sysv_msg(leftovers *l, const char *runid)
{
	FILE *f = fopen("/proc/sysvipc/msg", "r");
	if (!f)
		return;
	char line[512];
	key_t base = ic_sysv_key_of(runid, 0);
	while (fgets(line, sizeof(line), f)) {
		long key, id;
		if (sscanf(line, "%ld %ld", &key, &id) != 2 || (key_t)(key & ~0xffL) != base)
			continue;
		char what[64];
		snprintf(what, sizeof(what), "SysV message queue key 0x%lx", key);
		note(l, what);
		if (l->remove)
			ic_ipc_owned(IC_IPC_SYSV_MSG, NULL, key, true, NULL);
	}
	fclose(f);
}

/* Queues of this run, listed by name (a private mqueue mount if need be). */
static void scan_mqueues(leftovers *l, const char *runid)
{
	ic_ipc_snap q = {0};
	char mine[64];
	snprintf(mine, sizeof(mine), "/ipchaos.%.16s.", runid);
	ic_mqueue_list(&q);
	for (unsigned i = 0; i < q.n; i++) {
		if (!starts_with(q.objs[i].name, mine))
			continue;
		note(l, q.objs[i].name);
		if (l->remove)
			ic_ipc_owned(IC_IPC_MQ, q.objs[i].name, 0, true, NULL);
	}
	ic_ipc_snap_free(&q);
}

unsigned ic_tracker_leftovers(const char *runid, bool remove, bool mqueues, char (*out)[272],
			      unsigned max)
{
	leftovers l = {.remove = remove, .out = out, .max = max};
	scan_dir(&l, "/dev/shm", runid, false);
	if (mqueues)
		scan_mqueues(&l, runid);
	scan_sysv_msg(&l, runid);
	return l.n < max ? l.n : max;
}
