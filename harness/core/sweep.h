/*
 * sweep.h: finding and removing what dead ipchaos runs left behind.
 */
#ifndef IC_SWEEP_H
#define IC_SWEEP_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Every run with objects in /dev/shm (or the mqueue filesystem): live (its
 * arena is flock'ed), kept (--keep), or dead; with `clean`, a dead run's
 * objects are removed. Each run is listed on `out` when not NULL.
 */
int ic_sweep_stale(bool clean, FILE *out, unsigned *removed);

#endif
