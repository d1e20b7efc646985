/*
 * test_tracker.c: what a run creates is registered in the arena before it
 * exists and swept afterwards; what it creates behind the tracker's back is
 * found by run id and owner, and nothing of another run, nor another user's
 * object that carries this run's id, is ever touched.
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
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "role/ctx.h"

enum { TRACK_LIVE = 2, TRACK_REMOVED = 3, TRACK_NOT_OURS = 4 }; /* ic_tracked.state (internal.h) */
#define OTHER_UID 4242 /* another user, for objects chowned to him (root only) */

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

/* Does the run's object (by its full name, tag and all) exist? */
static bool object_exists(const ic_ctx *ctx, const char *object)
{
	char name[80], path[96];
	assert_int_equal(ic_object_name(ctx, object, name, sizeof(name)), 0);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
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
	ic_tracker_leftovers(f->runid, f->h.arena->secret, true, false, found, 16);
	ic_tracker_leftovers(f->other, NULL, true, false, found, 16);
	ic_arena_destroy(&f->h, false);
	free(f);
	return 0;
}

static void test_shm_open_registers_then_unlink_marks(void **state)
{
	fixture *f = *state;
	ic_arena *a = f->h.arena;
	char want[80];
	assert_int_equal(ic_object_name(&f->ctx, "obj", want, sizeof(want)), 0);

	int fd = ic_shm_open(&f->ctx, "obj", O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(atomic_load(&a->ntracked), 1);
	assert_string_equal(a->tracked[0].name, want);
	assert_int_equal(a->tracked[0].kind, IC_OBJ_SHM);
	assert_int_equal(atomic_load(&a->tracked[0].state), TRACK_LIVE);
	assert_true(object_exists(&f->ctx, "obj"));

	assert_int_equal(ic_shm_unlink(&f->ctx, "obj"), 0);
	assert_int_equal(atomic_load(&a->tracked[0].state), TRACK_REMOVED);
	assert_false(object_exists(&f->ctx, "obj"));
}

/* Opening an existing object creates nothing, so registers nothing. */
static void test_shm_open_without_create_not_registered(void **state)
{
	fixture *f = *state;
	char name[80];
	assert_int_equal(ic_object_name(&f->ctx, "existing", name, sizeof(name)), 0);
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	fd = ic_shm_open(&f->ctx, "existing", O_RDWR, 0);
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
	assert_false(object_exists(&f->ctx, "late"));
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
	assert_false(object_exists(&f->ctx, "kept"));
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

	unsigned n = ic_tracker_leftovers(f->runid, f->h.arena->secret, false, false, found, 16);
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

	assert_int_equal(ic_tracker_leftovers(f->runid, f->h.arena->secret, true, false, found, 16), 2);
	assert_false(exists("", f->runid, "plain"));
	assert_false(exists("sem.", f->runid, "x"));
	assert_true(exists("", f->runid, "arena"));
	assert_true(exists("", f->other, "plain"));
	assert_true(exists("sem.", f->other, "x"));
	assert_int_equal(ic_tracker_leftovers(f->runid, f->h.arena->secret, false, false, found, 16), 0);
}

/* More objects than the list holds: the count is capped, removal is not. */
static void test_leftovers_more_than_max(void **state)
{
	fixture *f = *state;
	char found[1][272];
	make_untracked(f->runid, "a");
	make_untracked(f->runid, "b");
	assert_int_equal(ic_tracker_leftovers(f->runid, f->h.arena->secret, true, false, found, 1), 1);
	assert_contains(found[0], f->runid);
	assert_false(exists("", f->runid, "a"));
	assert_false(exists("", f->runid, "b"));
}

/*
 * Someone made the object's name first: the exclusive create fails, and the
 * entry registered before it must not make the sweep remove his object.
 */
static void test_squatted_create_not_swept(void **state)
{
	fixture *f = *state;
	char name[80];
	assert_int_equal(ic_object_name(&f->ctx, "counter", name, sizeof(name)), 0);
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600); /* the squatter */
	assert_true(fd >= 0);
	close(fd);
	errno = 0;
	assert_int_equal(ic_shm_open(&f->ctx, "counter", O_CREAT | O_EXCL | O_RDWR, 0600), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(atomic_load(&f->h.arena->tracked[0].state), TRACK_NOT_OURS);
	ic_tracker_sweep(f->h.arena);
	assert_true(object_exists(&f->ctx, "counter"));
	shm_unlink(name);
}

/* --keep: what the tracker holds is kept on purpose; only what it never knew is a leftover. */
static void test_leftovers_skip_tracked_when_kept(void **state)
{
	fixture *f = *state;
	char found[16][272], path[160];
	int fd = ic_shm_open(&f->ctx, "held", O_CREAT | O_EXCL | O_RDWR, 0600);
	assert_true(fd >= 0);
	close(fd);
	make_untracked(f->runid, "stray");
	ic_scan s = {.runid = f->runid, .secret = f->h.arena->secret, .tracked = f->h.arena,
		     .found = found, .max = 16};
	ic_tracker_scan(&s);
	assert_int_equal(s.n, 1);
	dev_shm_path(path, sizeof(path), "", f->runid, "stray");
	assert_string_equal(found[0], path);
	assert_true(object_exists(&f->ctx, "held"));
}

/*
 * An object that carries the run's id but that another user owns is not the
 * run's: not a leftover, never removed, listed apart with its owner. SysV
 * too: a queue under one of the run's keys given to another user (IPC_SET).
 */
static void test_leftovers_foreign_owner(void **state)
{
	fixture *f = *state;
	char found[16][272], name[96], path[160], what[64];
	ic_foreign foreign[4];
	if (geteuid() != 0)
		skip(); /* only root can give an object away */
	snprintf(name, sizeof(name), "/ipchaos.%s.planted", f->runid);
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, OTHER_UID, OTHER_UID), 0);
	close(fd);
	make_untracked(f->runid, "mine");
	key_t key = ic_sysv_key_of(f->runid, f->h.arena->secret, 5);
	int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	struct msqid_ds ds;
	assert_int_equal(msgctl(id, IPC_STAT, &ds), 0);
	ds.msg_perm.uid = OTHER_UID;
	assert_int_equal(msgctl(id, IPC_SET, &ds), 0);

	ic_scan s = {.runid = f->runid, .secret = f->h.arena->secret, .remove = true, .found = found,
		     .max = 16, .foreign = foreign, .max_foreign = 4};
	ic_tracker_scan(&s);
	assert_int_equal(s.n, 1);
	dev_shm_path(path, sizeof(path), "", f->runid, "mine");
	assert_string_equal(found[0], path);
	assert_int_equal(s.nforeign, 2);
	dev_shm_path(path, sizeof(path), "", f->runid, "planted");
	snprintf(what, sizeof(what), "SysV message queue key 0x%08x", (unsigned)key);
	for (unsigned i = 0; i < 2; i++) {
		assert_int_equal(foreign[i].uid, OTHER_UID);
		assert_true(strcmp(foreign[i].what, path) == 0 || strcmp(foreign[i].what, what) == 0);
	}
	assert_true(exists("", f->runid, "planted"));
	assert_false(exists("", f->runid, "mine"));
	assert_int_equal(msgget(key, 0), id);
	msgctl(id, IPC_RMID, NULL);
	shm_unlink(name);
}

/* A SysV queue under one of the run's keys, made behind the tracker's back: found and removed. */
static void test_leftovers_sysv_by_secret_key(void **state)
{
	fixture *f = *state;
	char found[16][272], what[64];
	key_t key = ic_sysv_key_of(f->runid, f->h.arena->secret, 300);
	int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	assert_true(id >= 0);
	/* Without the secret the scan cannot know the key: it looks at no queue. */
	assert_int_equal(ic_tracker_leftovers(f->runid, NULL, false, false, found, 16), 0);
	assert_int_equal(ic_tracker_leftovers(f->runid, f->h.arena->secret, true, false, found, 16), 1);
	snprintf(what, sizeof(what), "SysV message queue key 0x%08x", (unsigned)key);
	assert_string_equal(found[0], what);
	assert_int_equal(msgget(key, 0), -1);
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
		cmocka_unit_test_setup_teardown(test_squatted_create_not_swept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_skip_tracked_when_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_foreign_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftovers_sysv_by_secret_key, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
