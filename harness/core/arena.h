/*
 * arena.h: the run arena's life: made by the supervisor, attached by a role started
 * by exec, removed (or kept) at the end. Its layout is internal.h's: roles write it.
 */
#ifndef IC_ARENA_H
#define IC_ARENA_H

#include "internal.h"

#include <sys/stat.h>

/*
 * The largest arena anyone reads or maps: above what the limits of a run can
 * reserve (IC_MAX_OPS × events per op × processes × slots × 48 bytes is a few
 * TB), far below what overflows an off_t or a size_t.
 */
#define IC_ARENA_MAX_SIZE ((uint64_t)1 << 46)

typedef struct ic_arena_handle {
	ic_arena *arena;
	int fd; /* holds the flock that marks the run alive */
	char name[80];
	size_t size;
} ic_arena_handle;

/* 0, or -1 with a message in err. */
int ic_arena_create(ic_arena_handle *h, const char *runid, unsigned nslots, uint64_t cap,
		    char *err, size_t errsize);
/* The same with room for a controlled run's decision log of `decisions` records
 * and a listed schedule of `listed` entries. */
int ic_arena_create_logged(ic_arena_handle *h, const char *runid, unsigned nslots, uint64_t cap,
			   uint64_t decisions, uint64_t listed, char *err, size_t errsize);
void ic_arena_destroy(ic_arena_handle *h, bool keep);
/*
 * A role started by exec: maps a live run's arena by name ("/ipchaos.<id>.arena"),
 * taking no lock, after the checks of ic_arena_file_check and ic_arena_header_ok.
 * 0, or -1 with err.
 */
int ic_arena_attach(ic_arena_handle *h, const char *name, char *err, size_t errsize);
void ic_runid_new(char out[17]);

enum ic_arena_file { IC_ARENA_FILE_OK, IC_ARENA_FILE_NOT_YOURS, IC_ARENA_FILE_NOT_ARENA };
/*
 * What the file must be before a word of it is believed: a regular file of
 * the calling user, closed to group and others, with one link (a hard link
 * could be anyone's name for it). Its size is the caller's to judge. An enum
 * ic_arena_file; why not in `why`.
 */
int ic_arena_file_check(const struct stat *st, char *why, size_t whysize);
/* Between a whole header and IC_ARENA_MAX_SIZE. */
bool ic_arena_size_ok(uint64_t size);
/* The header's word: the magic, a size equal to the file's, the run id of its name. Else why not. */
bool ic_arena_header_ok(const ic_arena *a, uint64_t file_size, const char *runid, char *why,
			size_t whysize);
/* "ipchaos.<16 hex>.<rest>", with or without the leading '/': the run id, else false. */
bool ic_runid_of_name(const char *name, char id[17]);

#endif
