/*
 * tracker.c: every IPC object a run creates is registered in the arena before
 * it exists, so whatever happens to its creator the supervisor can remove it;
 * and afterwards a scan by run id finds what was made behind its back.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE, SLOT_REMOVED };

int ic_tracker_add(ic_arena *arena, int kind, const char *name)
{
	unsigned i = atomic_fetch_add(&arena->ntracked, 1);
	if (i >= IC_MAX_TRACKED) {
		errno = ENOSPC;
		return -1;
	}
	ic_tracked *t = &arena->tracked[i];
	atomic_store(&t->state, SLOT_CLAIMED);
	t->kind = kind;
	snprintf(t->name, sizeof(t->name), "%s", name);
	/* Only a whole name counts: a registration torn by a kill preceded any creation. */
	atomic_store_explicit(&t->state, SLOT_LIVE, memory_order_release);
	return 0;
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

void ic_tracker_sweep(ic_arena *arena)
{
	unsigned n = atomic_load(&arena->ntracked);
	for (unsigned i = 0; i < n && i < IC_MAX_TRACKED; i++) {
		ic_tracked *t = &arena->tracked[i];
		if (atomic_load_explicit(&t->state, memory_order_acquire) != SLOT_LIVE)
			continue;
		if (t->kind == IC_OBJ_SHM)
			shm_unlink(t->name);
		atomic_store(&t->state, SLOT_REMOVED);
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

unsigned ic_tracker_leftovers(const char *runid, bool remove, char (*out)[272], unsigned max)
{
	char mine[64], sem[64], arena[64];
	snprintf(mine, sizeof(mine), "ipchaos.%s.", runid);
	snprintf(sem, sizeof(sem), "sem.ipchaos.%s.", runid);
	snprintf(arena, sizeof(arena), "ipchaos.%s.arena", runid);
	unsigned n = 0;
	DIR *d = opendir("/dev/shm"); /* segments, and named semaphores as sem.NAME */
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!(starts_with(e->d_name, mine) || starts_with(e->d_name, sem)) ||
		    strcmp(e->d_name, arena) == 0)
			continue;
		if (n < max)
			snprintf(out[n], sizeof(out[n]), "/dev/shm/%.255s", e->d_name);
		n++;
		if (remove)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return n < max ? n : max;
}
