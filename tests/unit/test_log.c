/*
 * test_log.c: the run arena and the per-process event log in it. Checkers
 * trust only records below `committed`, so the log must never count a record
 * before it is whole, never write past its slot, and never touch another's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"
#include "role/ctx.h"

#define CAP 8

typedef struct fixture {
	char runid[17];
	ic_arena_handle h;
	ic_run_cfg cfg;
	ic_ctx ctx; /* bound to slot 0 */
} fixture;

static bool shm_exists(const char *runid, const char *object)
{
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm/ipchaos.%s.%s", runid, object);
	return access(path, F_OK) == 0;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (test_arena_open(&f->h, f->runid, 2, CAP) != 0) {
		free(f);
		return -1;
	}
	f->cfg.sc = ic_builtin_scenarios[0];
	f->cfg.seed = 1;
	f->cfg.ninj = 0;
	f->ctx.state = NULL; /* ic_ctx_init keeps it: setup's state survives the bind */
	ic_ctx_init(&f->ctx, &f->cfg, f->h.arena, 0, 0, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	ic_arena_destroy(&f->h, false);
	free(f);
	return 0;
}

static ic_slot *slot_of(fixture *f, unsigned i)
{
	return &f->h.arena->slots[i];
}

static ic_event *events_of(fixture *f, unsigned i)
{
	return ic_slot_events(f->h.arena, slot_of(f, i));
}

static uint64_t committed(const ic_slot *s)
{
	return atomic_load_explicit(&s->committed, memory_order_acquire);
}

static void assert_event(const ic_event *e, uint32_t kind, uint32_t op, uint64_t a, uint64_t b)
{
	assert_int_equal(e->kind, kind);
	assert_int_equal(e->op, op);
	assert_int_equal(e->a, a);
	assert_int_equal(e->b, b);
}

static void test_arena_header(void **state)
{
	fixture *f = *state;
	ic_arena *a = f->h.arena;
	assert_int_equal(a->magic, IC_ARENA_MAGIC);
	assert_string_equal(a->runid, f->runid);
	assert_int_equal(a->nslots, 2);
	assert_int_equal(strlen(f->runid), 16);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(a->slots[i].cap, CAP);
		assert_int_equal(committed(&a->slots[i]), 0);
		/* Every slot's log lies inside the mapping. */
		assert_true(a->slots[i].events_off + CAP * sizeof(ic_event) <= a->size);
	}
	assert_true(a->slots[1].events_off >= a->slots[0].events_off + CAP * sizeof(ic_event));
	assert_true(shm_exists(f->runid, "arena"));
}

static void test_log_records_in_order(void **state)
{
	fixture *f = *state;
	ic_invoke(&f->ctx, IC_OP_INC, 1, 7);
	ic_ok(&f->ctx, IC_OP_INC, 1, 7);
	ic_fail(&f->ctx, IC_OP_INC, EIO, 8);
	ic_info(&f->ctx, IC_OP_RECOVER, 0, 1);

	assert_int_equal(committed(slot_of(f, 0)), 4);
	const ic_event *e = events_of(f, 0);
	assert_event(&e[0], IC_EV_INVOKE, IC_OP_INC, 1, 7);
	assert_event(&e[1], IC_EV_OK, IC_OP_INC, 1, 7);
	assert_event(&e[2], IC_EV_FAIL, IC_OP_INC, EIO, 8);
	assert_event(&e[3], IC_EV_INFO, IC_OP_RECOVER, 0, 1);
	assert_true(e[0].t_ns > 0);
	for (int i = 1; i < 4; i++)
		assert_true(e[i].t_ns >= e[i - 1].t_ns); /* CLOCK_MONOTONIC never goes back */
	assert_int_equal(atomic_load(&slot_of(f, 0)->overflow), 0);
}

/*
 * A process killed mid-write leaves a partly written record at index
 * `committed`: a reader must not see it, and the next write replaces it whole.
 */
static void test_log_torn_record_invisible(void **state)
{
	fixture *f = *state;
	ic_invoke(&f->ctx, IC_OP_INC, 1, 0);
	ic_ok(&f->ctx, IC_OP_INC, 1, 0);
	ic_slot *s = slot_of(f, 0);
	ic_event *torn = &events_of(f, 0)[committed(s)];
	torn->kind = IC_EV_OK;
	torn->op = IC_OP_INC;
	torn->a = 0xdeadbeef; /* t_ns and b never written: the kill came first */

	assert_int_equal(committed(s), 2);

	ic_invoke(&f->ctx, IC_OP_READ, 5, 6);
	assert_int_equal(committed(s), 3);
	assert_event(torn, IC_EV_INVOKE, IC_OP_READ, 5, 6);
	assert_true(torn->t_ns > 0);
}

static void test_log_overflow_stops_at_cap(void **state)
{
	fixture *f = *state;
	for (uint64_t i = 0; i < CAP + 3; i++)
		ic_info(&f->ctx, IC_OP_USER, i, 0);
	ic_slot *s = slot_of(f, 0);
	assert_int_equal(committed(s), CAP);
	assert_int_equal(atomic_load(&s->overflow), 1);
	/* The last record is the CAP-th one, not a later one written over it. */
	assert_int_equal(events_of(f, 0)[CAP - 1].a, CAP - 1);
	/* The bytes after slot 0's log are slot 1's: still zero. */
	static const ic_event zero[CAP];
	assert_memory_equal(events_of(f, 1), zero, sizeof(zero));
}

static void test_log_slots_isolated(void **state)
{
	fixture *f = *state;
	static const ic_event zero[CAP];
	for (int i = 0; i < CAP + 1; i++)
		ic_ok(&f->ctx, IC_OP_INC, 1, (uint64_t)i);
	ic_slot *s1 = slot_of(f, 1);
	assert_int_equal(committed(s1), 0);
	assert_int_equal(atomic_load(&s1->overflow), 0);
	assert_memory_equal(events_of(f, 1), zero, sizeof(zero));

	/* And the other way round: slot 1's writes leave slot 0's log as it was. */
	ic_ctx other;
	other.state = NULL;
	ic_ctx_init(&other, &f->cfg, f->h.arena, 1, 0, 1);
	ic_invoke(&other, IC_OP_READ, 11, 12);
	assert_int_equal(committed(s1), 1);
	assert_event(&events_of(f, 1)[0], IC_EV_INVOKE, IC_OP_READ, 11, 12);
	assert_int_equal(committed(slot_of(f, 0)), CAP);
	assert_int_equal(events_of(f, 0)[0].op, IC_OP_INC);
}

/* ic_ctx_init keeps the state setup made: roles inherit it. */
static void test_ctx_init_keeps_state(void **state)
{
	fixture *f = *state;
	int marker;
	ic_ctx c;
	c.state = &marker;
	ic_ctx_init(&c, &f->cfg, f->h.arena, 1, 0, 1);
	assert_ptr_equal(ic_state(&c), &marker);
	assert_int_equal(ic_index(&c), 1);
	assert_int_equal(c.head.armed, 0); /* no injectors: points cost one load */
	assert_string_equal(ic_run_id(&c), f->runid);
}

static void test_arena_destroy_unlinks(void **state)
{
	(void)state;
	char runid[17], err[256];
	ic_arena_handle h;
	ic_runid_new(runid);
	assert_int_equal(ic_arena_create(&h, runid, 1, 4, err, sizeof(err)), 0);
	assert_true(shm_exists(runid, "arena"));
	ic_arena_destroy(&h, false);
	assert_false(shm_exists(runid, "arena"));
	assert_null(h.arena);
	assert_int_equal(h.fd, -1);
}

/* --keep leaves the arena for inspection: destroy unmaps but does not unlink. */
static void test_arena_destroy_keep(void **state)
{
	(void)state;
	char runid[17], err[256], name[80];
	ic_arena_handle h;
	ic_runid_new(runid);
	assert_int_equal(ic_arena_create(&h, runid, 1, 4, err, sizeof(err)), 0);
	snprintf(name, sizeof(name), "%s", h.name);
	ic_arena_destroy(&h, true);
	bool kept = shm_exists(runid, "arena");
	shm_unlink(name);
	assert_true(kept);
}

/* O_EXCL: a name that exists belongs to someone else and is neither used nor harmed. */
static void test_arena_create_refuses_existing(void **state)
{
	fixture *f = *state;
	char err[256] = "";
	ic_arena_handle second;
	assert_int_equal(ic_arena_create(&second, f->runid, 2, CAP, err, sizeof(err)), -1);
	assert_contains(err, f->h.name);
	assert_contains(err, "exists");
	assert_null(second.arena);

	assert_true(shm_exists(f->runid, "arena"));
	ic_ok(&f->ctx, IC_OP_INC, 1, 0);
	assert_int_equal(committed(slot_of(f, 0)), 1);
	assert_int_equal(f->h.arena->magic, IC_ARENA_MAGIC);
}

/*
 * Cleaning up the handle of a failed create is the usual idiom (create set
 * fd = -1 for it); it must not unlink the other run's arena it refused to use.
 */
static void test_arena_destroy_after_failed_create(void **state)
{
	fixture *f = *state;
	char err[256];
	ic_arena_handle second;
	assert_int_equal(ic_arena_create(&second, f->runid, 2, CAP, err, sizeof(err)), -1);
	ic_arena_destroy(&second, false);
	assert_true(shm_exists(f->runid, "arena"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arena_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_records_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_torn_record_invisible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_overflow_stops_at_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_slots_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctx_init_keeps_state, setup, teardown),
		cmocka_unit_test(test_arena_destroy_unlinks),
		cmocka_unit_test(test_arena_destroy_keep),
		cmocka_unit_test_setup_teardown(test_arena_create_refuses_existing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arena_destroy_after_failed_create, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
