/*
 * arena_fixture.h: a run arena for in-process tests, made under a fresh run
 * id and reported through cmocka when it cannot be.
 */
#ifndef IC_ARENA_FIXTURE_H
#define IC_ARENA_FIXTURE_H

#include "internal.h"

static inline int test_arena_open(ic_arena_handle *h, char runid[17], unsigned slots, uint64_t cap)
{
	char err[256];
	ic_runid_new(runid);
	if (ic_arena_create(h, runid, slots, cap, err, sizeof(err)) != 0) {
		print_error("%s\n", err);
		return -1;
	}
	return 0;
}

#endif
