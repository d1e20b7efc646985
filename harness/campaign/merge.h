/*
 * merge.h: `ipchaos merge`: the JSON results of shards into one result.
 */
#ifndef IC_MERGE_H
#define IC_MERGE_H

/* argv after "merge" (--help is the caller's); the exit code `run` would have had. */
int ic_merge(int argc, char **argv);

#endif
