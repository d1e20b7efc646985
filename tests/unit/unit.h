/*
 * unit.h: helpers every cmocka suite here shares. Include after cmocka.h.
 */
#ifndef IC_UNIT_H
#define IC_UNIT_H

#include "internal.h"
#include "core/arena.h"
#include "core/tracker.h"

#include <string.h>

static inline void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in '%s'", needle, hay);
}

/* A run arena under a fresh run id, its failure reported through cmocka. */
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
