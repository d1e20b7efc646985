/*
 * schedule.h: a controlled run's choices as a list (--schedule FILE): which
 * process gets the baton at which decision, and which faults fire where.
 * `ipchaos shrink` writes one; `run --schedule FILE` replays it exactly.
 * Decisions the list does not name take the plainest choice (the deciding
 * process goes on if it can, else the next one round robin), so a short list
 * is a short story: every entry is a choice that mattered.
 */
#ifndef IC_SCHEDULE_H
#define IC_SCHEDULE_H

#include "core/run.h"

#define IC_SCHEDULE_VERSION 1

typedef struct ic_sched_list {
	ic_listed *v; /* sorted by (slot, nth, kind); malloc'd */
	uint64_t n;
	unsigned nprocs;  /* the run it was made for */
	uint64_t k;       /* the run's k (--steps): a livelock is 10k + 100000 steps without an operation */
	unsigned ninj;
	char inj[IC_MAX_INJ][IC_NAME]; /* the run's injectors by index, by name */
} ic_sched_list;

/* Every choice and fault of a decision log: replayed, it is the same run. 0, or -1 (out of memory). */
int ic_schedule_from_log(const ic_decisions *log, const ic_run_cfg *cfg, ic_sched_list *out);
/* Reads a schedule file: 0, or -1 and one line naming the file, the line and what is wrong. */
int ic_schedule_load(const char *path, ic_sched_list *out, char *err, size_t errsize);
/* Does it fit the run (its processes, its injectors)? 0, or -1 and one line. */
int ic_schedule_check(const ic_sched_list *l, const ic_run_cfg *cfg, char *err, size_t errsize);
/* Writes it, with the run's replay line and each entry explained in comments, and closes f.
 * 0, or -1 (errno). */
int ic_schedule_write(FILE *f, const ic_sched_list *l, const ic_run_cfg *cfg);
/* Points the list to cfg (strategy LIST, mode controlled); l must outlive cfg's runs. */
void ic_schedule_apply(const ic_sched_list *l, ic_run_cfg *cfg, const char *path);
int ic_schedule_copy(const ic_sched_list *from, ic_sched_list *to);
void ic_schedule_sort(ic_sched_list *l);
/* The list's order: (slot, nth, kind, arg, point). */
int ic_listed_cmp(const ic_listed *a, const ic_listed *b);
void ic_schedule_free(ic_sched_list *l);

/* A point's name back from its id: the scenario's points, its lock sites, the wrapped calls. */
void ic_point_name(const ic_scenario *sc, uint32_t id, char *buf, size_t size);
/* "p1": a process as reports name it. */
void ic_slot_label(const ic_run_cfg *cfg, unsigned slot, char *buf, size_t size);

#endif
