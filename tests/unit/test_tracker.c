/*
 * test_tracker.c: what a run creates is registered in the arena before it
 * exists and swept afterwards; what it creates behind the tracker's back is
 * found by run id alone, and nothing of another run is ever touched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"
#include "role/ctx.h"

enum { TRACK_LIVE = 2, TRACK_REMOVED = 3 }; /* ic_tracked.state, as documented in internal.h */

typedef struct fixture {
	char runid[17];
	char other[17]; /* a different run, whose objects must survive ours */
	ic_arena_handle h;
	ic_run_cfg cfg;
	ic_ctx ctx;
} fixture;

static void dev_shm_path(char *buf, size_t size, const char *prefix, const char *runid,
			 const char *object)
{
	snprintf(buf, size, "/dev/shm/%sipchaos.%s.%s", prefix, runid, object);
}

static bool exists(const char *prefix, const char *runid, const char *object)
{
	char path[160];
	dev_shm_path(path, sizeof(path), prefix, runid, object);
	return access(path, F_OK) == 0;
}

/* A segment made with plain shm_open: the tracker never hears of it. */
static void make_untracked(const char *runid, const char *object)
{
	char name[96];
	snprintf(name, sizeof(name), "/ipchaos.%s.%s", runid, object);
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
}

/* A named semaphore: glibc keeps it in /dev/shm as sem.NAME. */
static void make_untracked_sem(const char *runid, const char *object)
{
	char name[96];
	snprintf(name, sizeof(name), "/ipchaos.%s.%s", runid, object);
	sem_t *sem = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
	assert_true(sem != SEM_FAILED);
	sem_close(sem);
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (test_arena_open(&f->h, f->runid, 2, 8) != 0) {
		free(f);
		return -1;
	}
	do
		ic_runid_new(f->other);
	while (strcmp(f->other, f->runid) == 0);
	f->cfg.sc = ic_builtin_scenarios[0];
	f->cfg.seed = 1;
	f->ctx.state = NULL;
	ic_ctx_init(&f->ctx, &f->cfg, f->h.arena, 0, 0, 0);
	*state = f;
	return 0;
}

/* Whatever a test left (it may have failed halfway), of both runs. */
static int teardown(void **state)
{
	fixture *f = *state;
	char found[16][272];
	ic_tracker_leftovers(f->runid, true, false, found, 16);
	ic_tracker_leftovers(f->other, true, false, found, 16);
	ic_arena_destroy(&f->h, false);
	free(f);
	return 0;
}

static void test_shm_open_registers_then_unlink_marks(void **state)
{
	fixture *f = *state;
	ic_arena *a = f->h.arena;
	char want[96];
	snprintf(want, sizeof(want), "/ipchaos.%s.obj", f->runid);

	int fd = ic_shm_open(&f->ctx, "obj", O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(atomic_load(&a->ntracked), 1);
	assert_string_equal(a->tracked[0].name, want);
	assert_int_equal(a->tracked[0].kind, IC_OBJ_SHM);
	assert_int_equal(atomic_load(&a->tracked[0].state), TRACK_LIVE);
	assert_true(exists("", f->runid, "obj"));

	assert_int_equal(ic_shm_unlink(&f->ctx, "obj"), 0);
	assert_int_equal(atomic_load(&a->tracked[0].state), TRACK_REMOVED);
	assert_false(exists("", f->runid, "obj"));
}

/* Opening an existing object creates nothing, so registers nothing. */
static void test_shm_open_without_create_not_registered(void **state)
{
	fixture *f = *state;
	make_untracked(f->runid, "existing");
	int fd = ic_shm_open(&f->ctx, "existing", O_RDWR, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(atomic_load(&f->h.arena->ntracked), 0);
}

/*
 * Registration comes first: when it cannot be made (tracker full) the object
 * must not be created either, or it would be untracked.
 */
static void test_shm_open_full_tracker_creates_nothing(void **state)
{
	fixture *f = *state;
	ic_arena *a = f->h.arena;
	char name[96];
	for (unsigned i = 0; i < IC_MAX_TRACKED; i++) {
		snprintf(name, sizeof(name), "/ipchaos.%s.filler%u", f->runid, i);
		assert_int_equal(ic_tracker_add(a, IC_OBJ_SHM, name, 0), 0);
	}
	errno = 0;
	assert_int_equal(ic_shm_open(&f->ctx, "late", O_CREAT | O_EXCL | O_RDWR, 0600), -1);
	assert_int_equal(errno, ENOSPC);
	assert_false(exists("", f->runid, "late"));
}

static void test_sweep_removes_live_objects(void **state)
{
	fixture *f = *state;
	ic_arena *a = f->h.arena;
	int fd = ic_shm_open(&f->ctx, "kept", O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = ic_shm_open(&f->ctx, "gone", O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ic_shm_unlink(&f->ctx, "gone"), 0);

	ic_tracker_sweep(a);
	assert_false(exists("", f->runid, "kept"));
	assert_int_equal(atomic_load(&a->tracked[0].state), TRACK_REMOVED);
	assert_int_equal(atomic_load(&a->tracked[1].state), TRACK_REMOVED);
	/* The arena is not a tracked object: a sweep mid-run must leave it. */
	assert_true(exists("", f->runid, "arena"));
}

static bool listed(char (*found)[272], unsigned n, const char *path)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(found[i], path) == 0)
			return true;
	return false;
}

static void test_leftovers_by_run_id(void **state)
{
	fixture *f = *state;
	char found[16][272], path[160];
	make_untracked(f->runid, "plain");
	make_untracked_sem(f->runid, "x");
	make_untracked(f->other, "plain");
	make_untracked_sem(f->other, "x");

	unsigned n = ic_tracker_leftovers(f->runid, false, false, found, 16);
	assert_int_equal(n, 2);
	dev_shm_path(path, sizeof(path), "", f->runid, "plain");
	assert_true(listed(found, n, path));
	dev_shm_path(path, sizeof(path), "sem.", f->runid, "x");
	assert_true(listed(found, n, path));
	for (unsigned i = 0; i < n; i++) {
		assert_null(strstr(found[i], ".arena"));
		assert_null(strstr(found[i], f->other));
	}
	/* Without remove, a scan is only a look. */
	assert_true(exists("", f->runid, "plain"));
	assert_true(exists("sem.", f->runid, "x"));
}

static void test_leftovers_remove(void **state)
{
	fixture *f = *state;
	char found[16][272];
	make_untracked(f->runid, "plain");
	make_untracked_sem(f->runid, "x");
	make_untracked(f->other, "plain");
	make_untracked_sem(f->other, "x");

	assert_int_equal(ic_tracker_leftovers(f->runid, true, false, found, 16), 2);
	assert_false(exists("", f->runid, "plain"));
	assert_false(exists("sem.", f->runid, "x"));
	assert_true(exists("", f->runid, "arena"));
	assert_true(exists("", f->other, "plain"));
	assert_true(exists("sem.", f->other, "x"));
	assert_int_equal(ic_tracker_leftovers(f->runid, false, false, found, 16), 0);
}

/* More objects than the list holds: the count is capped, removal is not. */
static void test_leftovers_more_than_max(void **state)
{
	fixture *f = *state;
	char found[1][272];
	make_untracked(f->runid, "a");
	make_untracked(f->runid, "b");
	assert_int_equal(ic_tracker_leftovers(f->runid, true, false, found, 1), 1);
	assert_contains(found[0], f->runid);
	assert_false(exists("", f->runid, "a"));
	assert_false(exists("", f->runid, "b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shm_open_registers_then_unlink_marks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shm_open_without_create_not_registered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shm_open_full_tracker_creates_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_removes_live_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_by_run_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_more_than_max, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
