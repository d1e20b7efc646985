/*
 * tracker.h: the supervisor's side of the resource tracker: what roles registered and
 * did not remove is swept after them, and a run's leftovers found by its id.
 */
#ifndef IC_TRACKER_H
#define IC_TRACKER_H

#include "internal.h"

/* Remove every tracked object still registered (after the roles ended or died). */
void ic_tracker_sweep(ic_arena *arena);
/* Another user's object that carries a run's id: interference, never ours to judge or remove. */
typedef struct ic_foreign {
	char what[272]; /* "/dev/shm/ipchaos.<runid>.junk", "mqueue /ipchaos...", "SysV message queue key 0x..." */
	long uid;       /* its owner (SysV: its creator when that is not us); -1 if unknown */
} ic_foreign;

/*
 * Objects of one run still present, by name (SysV: by key) and owner, never
 * a global diff; the arena is not one of them. Those the scanning user owns
 * are the run's (leftovers; removed when `remove`); another user's are listed
 * apart and never touched.
 */
typedef struct ic_scan {
	const char *runid;
	const uint8_t *secret;   /* the run's, to know its SysV keys; NULL: SysV queues not looked at */
	const ic_arena *tracked; /* what it registers and still holds is no leftover (--keep); or NULL */
	bool remove;
	bool mqueues; /* list POSIX queues too (costs a process where no mqueue filesystem is mounted) */
	char (*found)[272];      /* the run's leftovers: "/dev/shm/...", "mqueue /...", "SysV ..." */
	unsigned max;
	ic_foreign *foreign;
	unsigned max_foreign;
	unsigned n, nforeign;    /* how many were found (may be more than listed) */
} ic_scan;

void ic_tracker_scan(ic_scan *s);
/* The run's own leftovers only (up to max listed, all removed when `remove`); how many listed. */
unsigned ic_tracker_leftovers(const char *runid, const uint8_t *secret, bool remove, bool mqueues,
			      char (*out)[272], unsigned max);

#endif
