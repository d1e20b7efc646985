/*
 * tracker.h: the supervisor's side of the resource tracker: what roles registered and
 * did not remove is swept after them, and a run's leftovers found by its id.
 */
#ifndef IC_TRACKER_H
#define IC_TRACKER_H

#include "internal.h"

/* Remove every tracked object still registered (after the roles ended or died). */
void ic_tracker_sweep(ic_arena *arena);
/*
 * Objects of run `runid` still present, by name alone (never a global diff),
 * the arena aside; removed too when `remove`. `mqueues`: list POSIX queues
 * too (costs a process where no mqueue filesystem is mounted). Returns how
 * many (up to max listed).
 */
unsigned ic_tracker_leftovers(const char *runid, bool remove, bool mqueues, char (*out)[272],
			      unsigned max);

#endif
