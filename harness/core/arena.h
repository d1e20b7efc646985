/*
 * arena.h: the run arena's life: made by the supervisor, attached by a role started
 * by exec, removed (or kept) at the end. Its layout is internal.h's: roles write it.
 */
#ifndef IC_ARENA_H
#define IC_ARENA_H

#include "internal.h"

typedef struct ic_arena_handle {
	ic_arena *arena;
	int fd; /* holds the flock that marks the run alive */
	char name[80];
	size_t size;
} ic_arena_handle;

/* 0, or -1 with a message in err. */
int ic_arena_create(ic_arena_handle *h, const char *runid, unsigned nslots, uint64_t cap,
		    char *err, size_t errsize);
/* The same with room for a controlled run's decision log of `decisions` records. */
int ic_arena_create_logged(ic_arena_handle *h, const char *runid, unsigned nslots, uint64_t cap,
			   uint64_t decisions, char *err, size_t errsize);
void ic_arena_destroy(ic_arena_handle *h, bool keep);
/* A role started by exec: maps a live run's arena by name, taking no lock. 0, or -1 with err. */
int ic_arena_attach(ic_arena_handle *h, const char *name, char *err, size_t errsize);
void ic_runid_new(char out[17]);

#endif
