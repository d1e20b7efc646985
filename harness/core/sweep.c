/*
 * sweep.c: objects left by dead ipchaos runs. A run is alive while its
 * supervisor holds the flock on its arena, whatever pid numbers are reused;
 * a run kept with --keep says so in its arena. Objects of a run whose arena
 * is gone are orphans once older than a minute (younger ones may belong to a
 * run being set up, or to someone squatting a name: not ours to remove).
 */
#include "internal.h"
#include "core/tracker.h"
#include "core/ipcsnap.h"
#include "core/sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ORPHAN_AGE 60 /* seconds */
#define MAX_RUNS 256

enum run_state { RUN_LIVE, RUN_KEPT, RUN_DEAD, RUN_YOUNG };

typedef struct run_entry {
	char id[17];
	bool has_arena;
	unsigned objects;
} run_entry;

/* "ipchaos.<16 hex>.x" or "sem.ipchaos.<16 hex>.x": the run id, else false. */
static bool run_id_of(const char *name, char id[17])
{
	if (strncmp(name, "sem.", 4) == 0)
		name += 4;
	if (strncmp(name, "ipchaos.", 8) != 0)
		return false;
	name += 8;
	for (int i = 0; i < 16; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	if (name[16] != '.')
		return false;
	memcpy(id, name, 16);
	id[16] = '\0';
	return true;
}

static run_entry *find_or_add(run_entry *runs, unsigned *n, const char *id)
{
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(runs[i].id, id) == 0)
			return &runs[i];
	if (*n == MAX_RUNS)
		return NULL;
	run_entry *r = &runs[(*n)++];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	return r;
}

static void collect(const char *dir, run_entry *runs, unsigned *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		char id[17];
		if (!run_id_of(e->d_name, id))
			continue;
		run_entry *r = find_or_add(runs, n, id);
		if (!r)
			continue;
		r->objects++;
		char arena[64];
		snprintf(arena, sizeof(arena), "ipchaos.%.16s.arena", id);
		r->has_arena |= strcmp(e->d_name, arena) == 0;
	}
	closedir(d);
}

/* Queues of runs with nothing in /dev/shm (listed privately where none is mounted). */
static void collect_mqueues(run_entry *runs, unsigned *n)
{
	char (*names)[256] = calloc(512, sizeof(*names));
	unsigned count = 0;
	if (names && ic_list_mqueues(names, 512, &count) == 0)
		for (unsigned i = 0; i < count; i++) {
			char id[17];
			run_entry *r = run_id_of(names[i] + 1, id) ? find_or_add(runs, n, id) : NULL;
			if (r)
				r->objects++;
		}
	free(names);
}

static bool older_than(const struct stat *st, time_t seconds)
{
	return time(NULL) - st->st_mtime > seconds;
}

/* Judges the run by its arena; a dead one's arena stays open and locked in *fd for removal. */
static enum run_state judge_arena(const char *id, int *fd)
{
	char name[64];
	struct stat st;
	snprintf(name, sizeof(name), "/ipchaos.%.16s.arena", id);
	*fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (*fd < 0 || fstat(*fd, &st) != 0)
		return RUN_YOUNG; /* gone meanwhile: its run finished */
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0)
		return RUN_LIVE;
	enum run_state state = older_than(&st, ORPHAN_AGE) ? RUN_DEAD : RUN_YOUNG;
	if ((size_t)st.st_size >= sizeof(ic_arena)) {
		ic_arena *a = mmap(NULL, sizeof(ic_arena), PROT_READ, MAP_SHARED, *fd, 0);
		if (a != MAP_FAILED) {
			/* A whole header means its creator got past set-up, then let go. */
			if (a->magic == IC_ARENA_MAGIC)
				state = atomic_load(&a->kept) ? RUN_KEPT : RUN_DEAD;
			munmap(a, sizeof(ic_arena));
		}
	}
	return state;
}

/* The objects the dead run registered: the only way to find mqueues with no mqueue fs mounted. */
static unsigned remove_tracked(int fd)
{
	struct stat st;
	unsigned removed = 0;
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(ic_arena))
		return 0;
	ic_arena *a = mmap(NULL, sizeof(ic_arena), PROT_READ, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED)
		return 0;
	unsigned n = atomic_load(&a->ntracked);
	for (unsigned i = 0; a->magic == IC_ARENA_MAGIC && i < n && i < IC_MAX_TRACKED; i++) {
		const ic_tracked *t = &a->tracked[i];
		if (atomic_load(&t->state) != 2)
			continue;
		if (t->kind == IC_OBJ_MQ)
			removed += mq_unlink(t->name) == 0;
		else if (t->kind == IC_OBJ_SYSV_MSG) {
			int id = msgget(t->key, 0);
			removed += id >= 0 && msgctl(id, IPC_RMID, NULL) == 0;
		}
	}
	munmap(a, sizeof(ic_arena));
	return removed;
}

/* Every object of an arena-less run is older than ORPHAN_AGE. */
static bool orphan_old_enough(const char *id)
{
	char mine[64], sem[64];
	bool old = true;
	snprintf(mine, sizeof(mine), "ipchaos.%.16s.", id);
	snprintf(sem, sizeof(sem), "sem.ipchaos.%.16s.", id);
	DIR *d = opendir("/dev/shm");
	if (!d)
		return false;
	for (struct dirent *e; old && (e = readdir(d));) {
		struct stat st;
		if ((strncmp(e->d_name, mine, strlen(mine)) == 0 || strncmp(e->d_name, sem, strlen(sem)) == 0) &&
		    fstatat(dirfd(d), e->d_name, &st, 0) == 0)
			old = older_than(&st, ORPHAN_AGE);
	}
	closedir(d);
	return old;
}

/* The dead run's secret, to know its SysV keys; false when its arena cannot say. */
static bool arena_secret(int fd, uint8_t secret[IC_SECRET_BYTES])
{
	uint64_t magic = 0;
	return fd >= 0 && pread(fd, &magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	       magic == IC_ARENA_MAGIC &&
	       pread(fd, secret, IC_SECRET_BYTES, offsetof(ic_arena, secret)) == IC_SECRET_BYTES;
}

static const char *const state_names[] = {"live", "kept (--keep)", "dead", "too young to judge"};

static unsigned sweep_run(const run_entry *r, bool clean, FILE *out)
{
	int fd = -1;
	char leftovers[16][272];
	/* With no arena, the caller has judged it an old orphan. */
	enum run_state state = r->has_arena ? judge_arena(r->id, &fd) : RUN_DEAD;
	unsigned removed = 0;
	if (state == RUN_DEAD) {
		if (clean && fd >= 0)
			removed += remove_tracked(fd);
		uint8_t secret[IC_SECRET_BYTES];
		removed += ic_tracker_leftovers(r->id, arena_secret(fd, secret) ? secret : NULL, clean, true,
						leftovers, 16);
		if (clean && r->has_arena) {
			char name[64];
			snprintf(name, sizeof(name), "/ipchaos.%.16s.arena", r->id);
			removed += shm_unlink(name) == 0;
		}
	}
	if (out && (state != RUN_YOUNG || !clean))
		fprintf(out, "  run %s: %s%s, %u object%s%s\n", r->id, state_names[state],
			r->has_arena ? "" : " (no arena)", r->objects, r->objects == 1 ? "" : "s",
			state == RUN_DEAD && clean ? " removed" : "");
	if (fd >= 0)
		close(fd); /* releases the lock taken to judge it */
	return state == RUN_DEAD ? removed : 0;
}

int ic_sweep_stale(bool clean, FILE *out, unsigned *removed_out)
{
	run_entry runs[MAX_RUNS];
	unsigned n = 0, removed = 0;
	collect("/dev/shm", runs, &n);
	collect_mqueues(runs, &n);
	for (unsigned i = 0; i < n; i++) {
		/* An orphan object younger than a minute may be a run in set-up: leave it. */
		if (!runs[i].has_arena && !orphan_old_enough(runs[i].id))
			continue;
		removed += sweep_run(&runs[i], clean, out);
	}
	if (removed_out)
		*removed_out = removed;
	return 0;
}
