/*
 * sweep.h: finding and removing what dead ipchaos runs left behind, and
 * only that: objects of the sweeping user that carry a dead run's id.
 */
#ifndef IC_SWEEP_H
#define IC_SWEEP_H

#include "internal.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct ic_sweep_tally {
	unsigned objects;    /* the user's, of dead runs: removed with `clean`, else what it would remove */
	unsigned left_alone; /* named for a run but another user's (or not checkable): untouched */
	unsigned failed;     /* the user's, but removing it failed */
} ic_sweep_tally;

/*
 * Every run with objects in /dev/shm (or the mqueue filesystem): live (its
 * arena is flock'ed), kept (--keep), dead, too young to judge, or not the
 * user's; with `clean`, the objects of the user's dead runs are removed. The
 * dry run lists and counts exactly what `clean` removes. Each run, and each
 * object of a dead one, is listed on `out` when not NULL. 0.
 */
int ic_sweep_report(bool clean, FILE *out, ic_sweep_tally *tally);
/* ic_sweep_report, only the count of objects removed (or that would be). */
int ic_sweep_stale(bool clean, FILE *out, unsigned *removed);
/*
 * Removes every object of run `runid` (16 lowercase hex digits) that is the
 * user's, kept or dead, listing them on `out`. -1 with one line in err,
 * nothing removed, when the run is live, being set up, not the user's, or
 * has nothing here; else 0.
 */
int ic_sweep_remove_run(const char *runid, FILE *out, ic_sweep_tally *tally, char *err, size_t errsize);

/* ---- The arena reader, on a directory (tests hand it their own) ---- */

enum ic_sweep_state {
	IC_SWEEP_LIVE,      /* its supervisor holds the flock */
	IC_SWEEP_KEPT,      /* --keep */
	IC_SWEEP_DEAD,      /* unlocked, a whole header (or its set-up died over a minute ago) */
	IC_SWEEP_YOUNG,     /* unlocked and no header yet, for less than a minute: maybe being set up */
	IC_SWEEP_GONE,      /* no such file (any more) */
	IC_SWEEP_NOT_YOURS, /* another user's file: never opened, never believed */
	IC_SWEEP_NOT_ARENA, /* the user's, but not what ipchaos makes (why says how) */
};

typedef struct ic_sweep_arena {
	int state;       /* enum ic_sweep_state */
	uid_t owner;     /* the file's */
	char why[96];    /* NOT_YOURS, NOT_ARENA: what was wrong */
	int fd;          /* DEAD, KEPT: open and flock'ed so the run cannot come back; else -1 */
	ic_arena *copy;  /* DEAD, KEPT with a header: a private copy of the header and tracked table */
} ic_sweep_arena;

/*
 * Judges "ipchaos.<runid>.arena" in directory `dirfd` without mapping it: no
 * link followed, no FIFO opened for long, only the user's 0600 regular file
 * with one link is opened, locked and read (pread into a private copy), and
 * believed only when its magic, size and run id agree with the file. Returns
 * r->state; ic_sweep_arena_close releases what it holds.
 */
int ic_sweep_read_arena(int dirfd, const char *runid, ic_sweep_arena *r);
void ic_sweep_arena_close(ic_sweep_arena *r);
/*
 * Whether a tracked entry of `a` (a checked copy) names an object of its own
 * run: a POSIX name "/ipchaos.<runid>." and one more path component, or a
 * SysV key derived from the run. An arena's word for anything else is not
 * taken.
 */
bool ic_sweep_tracked_is_runs(const ic_arena *a, const ic_tracked *t);

#endif
