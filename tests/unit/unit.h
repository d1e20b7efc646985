/*
 * unit.h: helpers every cmocka suite here shares. Include after cmocka.h.
 */
#ifndef IC_UNIT_H
#define IC_UNIT_H

#include "internal.h"
#include "core/arena.h"
#include "core/tracker.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static inline void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in '%s'", needle, hay);
}

/* Process i of a checker's facts: a role that exited 0 holding no lock, its log ev (or NULL), its label. */
__attribute__((format(printf, 4, 5))) static inline void test_proc_facts(ic_facts *f, unsigned i, ic_event *ev,
									const char *label_fmt, ...)
{
	ic_proc_facts *p = &f->procs[i];
	va_list ap;
	va_start(ap, label_fmt);
	vsnprintf(p->label, sizeof(p->label), label_fmt, ap);
	va_end(ap);
	p->ev = ev;
	p->exited = true;
	p->held[0] = -1;
}

/* An event at the end of p's log ev (room for max), one tick of *clock after the last. */
static inline void test_event_add(ic_proc_facts *p, ic_event *ev, unsigned max, uint64_t *clock, uint32_t kind,
				  uint32_t op, uint64_t a, uint64_t b)
{
	assert_true(p->nev < max);
	ev[p->nev++] = (ic_event){.t_ns = (*clock)++, .kind = kind, .op = op, .a = a, .b = b};
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
