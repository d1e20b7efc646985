/*
 * test_sweep.c: the sweeper believes an arena only when it is the sweeping
 * user's own 0600 regular file with one link whose header agrees with its
 * size and name, reads it without mapping it, takes an arena's word only for
 * objects named for its run, and removes nothing another user owns. Arenas
 * here are crafted in a private directory; a second owner needs root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "core/ipcsnap.h"
#include "core/sweep.h"

#define OTHER_UID 4242

typedef struct fixture {
	char dir[64];
	int dirfd;
	char runid[17];
	char arena[64]; /* the arena's file name for runid */
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ipchaos-test-sweep.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ic_runid_new(f->runid);
	snprintf(f->arena, sizeof(f->arena), "ipchaos.%s.arena", f->runid);
	*state = f;
	return f->dirfd >= 0 ? 0 : -1;
}

/* Everything in the private directory (files only), then the directory. */
static int teardown(void **state)
{
	fixture *f = *state;
	int fd = openat(f->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	fchmod(f->dirfd, 0700);
	for (struct dirent *e; d && (e = readdir(d));)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(f->dirfd, e->d_name, 0);
	if (d)
		closedir(d);
	close(f->dirfd);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* A header as ic_arena_create writes it, for one role. */
static ic_arena *header(const char *runid, size_t *size)
{
	*size = sizeof(ic_arena) + sizeof(ic_slot);
	ic_arena *a = calloc(1, *size);
	assert_non_null(a);
	a->magic = IC_ARENA_MAGIC;
	a->size = *size;
	snprintf(a->runid, sizeof(a->runid), "%s", runid);
	a->nslots = 1;
	return a;
}

/* `len` bytes of `a` as file `name`, mode exactly `mode`. */
static void write_file(const fixture *f, const char *name, const void *a, size_t len, mode_t mode)
{
	int fd = openat(f->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, a, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void write_arena(const fixture *f, const ic_arena *a, size_t len)
{
	write_file(f, f->arena, a, len, 0600);
}

static void make_old(const fixture *f, const char *name)
{
	struct timespec times[2] = {{time(NULL) - 120, 0}, {time(NULL) - 120, 0}};
	assert_int_equal(utimensat(f->dirfd, name, times, AT_SYMLINK_NOFOLLOW), 0);
}

static int read_arena(const fixture *f, ic_sweep_arena *r)
{
	return ic_sweep_read_arena(f->dirfd, f->runid, r);
}

static void test_whole_arena_is_dead_and_copied(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	atomic_store(&a->ntracked, 1);
	snprintf(a->tracked[0].name, sizeof(a->tracked[0].name), "/ipchaos.%s.counter", f->runid);
	write_arena(f, a, size);
	ic_sweep_arena r;
	assert_int_equal(read_arena(f, &r), IC_SWEEP_DEAD);
	assert_non_null(r.copy);
	assert_true(r.fd >= 0);
	assert_string_equal(r.copy->runid, f->runid);
	assert_string_equal(r.copy->tracked[0].name, a->tracked[0].name);
	/* It holds the lock: the run cannot come back while it is removed. */
	int other = openat(f->dirfd, f->arena, O_RDONLY | O_CLOEXEC);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	ic_sweep_arena_close(&r);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	free(a);
}

static void test_kept_arena_is_kept(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	atomic_store(&a->kept, 1);
	write_arena(f, a, size);
	ic_sweep_arena r;
	assert_int_equal(read_arena(f, &r), IC_SWEEP_KEPT);
	ic_sweep_arena_close(&r);
	free(a);
}

static void test_locked_arena_is_live(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	write_arena(f, a, size);
	int holder = openat(f->dirfd, f->arena, O_RDONLY | O_CLOEXEC);
	assert_int_equal(flock(holder, LOCK_EX), 0);
	ic_sweep_arena r;
	assert_int_equal(read_arena(f, &r), IC_SWEEP_LIVE);
	assert_int_equal(r.fd, -1);
	assert_null(r.copy);
	ic_sweep_arena_close(&r);
	close(holder);
	free(a);
}

/* Each way a file can fail to be an arena: left alone, saying why. */
static void expect_not_arena(const fixture *f, const char *why)
{
	ic_sweep_arena r;
	assert_int_equal(read_arena(f, &r), IC_SWEEP_NOT_ARENA);
	assert_int_equal(r.fd, -1);
	assert_null(r.copy);
	assert_contains(r.why, why);
	ic_sweep_arena_close(&r);
}

static void test_wrong_magic(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	a->magic ^= 1;
	write_arena(f, a, size);
	expect_not_arena(f, "no ipchaos header");
	free(a);
}

static void test_truncated(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	write_arena(f, a, sizeof(ic_arena) - 1);
	expect_not_arena(f, "no whole header");
	free(a);
}

static void test_size_mismatch(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	a->size = size + 4096;
	write_arena(f, a, size);
	expect_not_arena(f, "its header says");
	free(a);
}

static void test_wrong_runid(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header("0000000000000001", &size);
	write_arena(f, a, size);
	expect_not_arena(f, "another run");
	free(a);
}

static void test_open_to_others(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	write_file(f, f->arena, a, size, 0644);
	expect_not_arena(f, "mode 0644");
	free(a);
}

/* A link to a whole arena is not followed, whoever made it. */
static void test_symlink(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	write_file(f, "elsewhere", a, size, 0600);
	assert_int_equal(symlinkat("elsewhere", f->dirfd, f->arena), 0);
	expect_not_arena(f, "not a regular file");
	free(a);
}

/* A FIFO under the name: judged without opening it, so nothing waits for a writer. */
static void test_fifo(void **state)
{
	fixture *f = *state;
	assert_int_equal(mkfifoat(f->dirfd, f->arena, 0600), 0);
	expect_not_arena(f, "not a regular file");
}

/* A second name for the file: someone else's name for it, or it is someone else's. */
static void test_hard_link(void **state)
{
	fixture *f = *state;
	size_t size;
	ic_arena *a = header(f->runid, &size);
	write_arena(f, a, size);
	assert_int_equal(linkat(f->dirfd, f->arena, f->dirfd, "second-name", 0), 0);
	expect_not_arena(f, "2 links");
	free(a);
}

static void test_other_users_arena_is_not_yours(void **state)
{
	fixture *f = *state;
	size_t size;
	if (geteuid() != 0)
		skip(); /* a file of another owner needs root to make */
	ic_arena *a = header(f->runid, &size);
	write_arena(f, a, size);
	assert_int_equal(fchownat(f->dirfd, f->arena, OTHER_UID, OTHER_UID, 0), 0);
	ic_sweep_arena r;
	assert_int_equal(read_arena(f, &r), IC_SWEEP_NOT_YOURS);
	assert_int_equal(r.owner, OTHER_UID);
	assert_int_equal(r.fd, -1);
	assert_null(r.copy);
	ic_sweep_arena_close(&r);
	free(a);
}

/* ic_arena_create died before its header: maybe still in set-up, dead after a minute. */
static void test_empty_arena_young_then_dead(void **state)
{
	fixture *f = *state;
	write_file(f, f->arena, "", 0, 0600);
	ic_sweep_arena r;
	assert_int_equal(read_arena(f, &r), IC_SWEEP_YOUNG);
	ic_sweep_arena_close(&r);
	make_old(f, f->arena);
	assert_int_equal(read_arena(f, &r), IC_SWEEP_DEAD);
	assert_null(r.copy); /* nothing to believe: its objects are found by name */
	assert_true(r.fd >= 0);
	ic_sweep_arena_close(&r);
}

static void test_reserved_unwritten_arena_dead_when_old(void **state)
{
	fixture *f = *state;
	size_t size = sizeof(ic_arena) + sizeof(ic_slot);
	ic_arena *zeros = calloc(1, size);
	assert_non_null(zeros);
	write_arena(f, zeros, size);
	make_old(f, f->arena);
	ic_sweep_arena r;
	assert_int_equal(read_arena(f, &r), IC_SWEEP_DEAD);
	assert_null(r.copy);
	ic_sweep_arena_close(&r);
	free(zeros);
}

static void test_missing_arena_is_gone(void **state)
{
	fixture *f = *state;
	ic_sweep_arena r;
	assert_int_equal(read_arena(f, &r), IC_SWEEP_GONE);
	ic_sweep_arena_close(&r);
}

static bool tracked_name_is_runs(const ic_arena *a, int kind, const char *name)
{
	ic_tracked t = {.kind = kind};
	snprintf(t.name, sizeof(t.name), "%.*s", (int)sizeof(t.name) - 1, name);
	return ic_sweep_tracked_is_runs(a, &t);
}

static bool tracked_key_is_runs(const ic_arena *a, key_t key)
{
	ic_tracked t = {.kind = IC_OBJ_SYSV_MSG, .key = key};
	return ic_sweep_tracked_is_runs(a, &t);
}

/* An arena's word is taken only for names and keys of its own run. */
static void test_tracked_entries_of_the_run_only(void **state)
{
	fixture *f = *state;
	size_t size;
	char name[96], other[17];
	ic_arena *a = header(f->runid, &size);
	do
		ic_runid_new(other);
	while (strcmp(other, f->runid) == 0);

	snprintf(name, sizeof(name), "/ipchaos.%s.counter", f->runid);
	assert_true(tracked_name_is_runs(a, IC_OBJ_SHM, name));
	assert_true(tracked_name_is_runs(a, IC_OBJ_MQ, name));
	assert_false(tracked_name_is_runs(a, IC_OBJ_MQ, "/rootq"));
	snprintf(name, sizeof(name), "/ipchaos.%s.counter", other);
	assert_false(tracked_name_is_runs(a, IC_OBJ_SHM, name));
	snprintf(name, sizeof(name), "/ipchaos.%s.", f->runid);
	assert_false(tracked_name_is_runs(a, IC_OBJ_SHM, name));
	snprintf(name, sizeof(name), "/ipchaos.%s./../x", f->runid);
	assert_false(tracked_name_is_runs(a, IC_OBJ_SHM, name));
	snprintf(name, sizeof(name), "/ipchaos.%s...", f->runid);
	assert_false(tracked_name_is_runs(a, IC_OBJ_SHM, name));
	snprintf(name, sizeof(name), "ipchaos.%s.counter", f->runid);
	assert_false(tracked_name_is_runs(a, IC_OBJ_SHM, name));
	snprintf(name, sizeof(name), "/ipchaos.%s.counter", f->runid);
	assert_false(tracked_name_is_runs(a, 99, name));

	assert_true(tracked_key_is_runs(a, ic_sysv_key_of(f->runid, a->secret, 0)));
	assert_true(tracked_key_is_runs(a, ic_sysv_key_of(f->runid, a->secret, 511)));
	assert_false(tracked_key_is_runs(a, ic_sysv_key_of(other, a->secret, 0)));
	assert_false(tracked_key_is_runs(a, 0x1234abcd));
	assert_false(tracked_key_is_runs(a, 0));

	/* A name with no end in its 80 bytes is read as far as it goes, no further. */
	ic_tracked t = {.kind = IC_OBJ_SHM};
	memset(t.name, 'x', sizeof(t.name));
	assert_false(ic_sweep_tracked_is_runs(a, &t));
	free(a);
}

static bool exists_at(const fixture *f, const char *name)
{
	struct stat st;
	return fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_owned_removal(void **state)
{
	fixture *f = *state;
	uid_t owner = 0;
	write_file(f, "mine", "x", 1, 0600);
	assert_int_equal(ic_file_owned_at(f->dirfd, "mine", false, &owner), IC_OWNED);
	assert_int_equal(owner, geteuid());
	assert_true(exists_at(f, "mine")); /* a look only */
	assert_int_equal(ic_file_owned_at(f->dirfd, "/mine", true, NULL), IC_OWNED);
	assert_false(exists_at(f, "mine"));
	assert_int_equal(ic_file_owned_at(f->dirfd, "mine", true, NULL), IC_OWNED_GONE);
	/* Never through a path or a link: the link stays, and so does what it points to. */
	assert_int_equal(ic_file_owned_at(f->dirfd, "../ipchaos-test-sweep-none", true, NULL), IC_OWNED_ODD);
	assert_int_equal(ic_file_owned_at(f->dirfd, "..", true, NULL), IC_OWNED_ODD);
	write_file(f, "target", "x", 1, 0600);
	assert_int_equal(symlinkat("target", f->dirfd, "link"), 0);
	assert_int_equal(ic_file_owned_at(f->dirfd, "link", true, NULL), IC_OWNED_ODD);
	assert_true(exists_at(f, "link"));
	assert_true(exists_at(f, "target"));
}

static void test_owned_removal_leaves_other_users_file(void **state)
{
	fixture *f = *state;
	uid_t owner = 0;
	if (geteuid() != 0)
		skip();
	write_file(f, "theirs", "x", 1, 0600);
	assert_int_equal(fchownat(f->dirfd, "theirs", OTHER_UID, OTHER_UID, 0), 0);
	assert_int_equal(ic_file_owned_at(f->dirfd, "theirs", true, &owner), IC_OWNED_FOREIGN);
	assert_int_equal(owner, OTHER_UID);
	assert_true(exists_at(f, "theirs"));
}

/* Where others could swap the name between look and unlink, nothing is removed. */
static void test_owned_removal_refuses_open_directory(void **state)
{
	fixture *f = *state;
	write_file(f, "mine", "x", 1, 0600);
	assert_int_equal(fchmod(f->dirfd, 0777), 0);
	errno = 0;
	assert_int_equal(ic_file_owned_at(f->dirfd, "mine", true, NULL), IC_OWNED_ERROR);
	assert_int_equal(errno, EPERM);
	assert_true(exists_at(f, "mine"));
	assert_int_equal(fchmod(f->dirfd, 01777), 0);
	assert_int_equal(ic_file_owned_at(f->dirfd, "mine", true, NULL), IC_OWNED);
	assert_int_equal(fchmod(f->dirfd, 0700), 0);
}

/* A name squatted by another user under a run's id survives the run's leftover scan. */
static void test_leftover_scan_leaves_other_users_object(void **state)
{
	fixture *f = *state;
	char path[96], found[4][272];
	if (geteuid() != 0)
		skip();
	snprintf(path, sizeof(path), "/dev/shm/ipchaos.%s.squatted", f->runid);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchown(fd, OTHER_UID, OTHER_UID), 0);
	close(fd);
	ic_tracker_leftovers(f->runid, NULL, true, false, found, 4);
	bool kept = access(path, F_OK) == 0;
	unlink(path);
	assert_true(kept);
}

/* A role started by exec attaches only to this user's 0600 arena, by the same checks. */
static void test_attach_checks_the_file(void **state)
{
	(void)state;
	ic_arena_handle h, role;
	char runid[17], err[256], path[96];
	assert_int_equal(test_arena_open(&h, runid, 1, 8), 0);
	snprintf(path, sizeof(path), "/dev/shm/ipchaos.%s.arena", runid);
	assert_int_equal(ic_arena_attach(&role, h.name, err, sizeof(err)), 0);
	ic_arena_destroy(&role, true);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(ic_arena_attach(&role, h.name, err, sizeof(err)), -1);
	assert_contains(err, "mode 0644");
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(ic_arena_attach(&role, "/ipchaos.notarunid.arena", err, sizeof(err)), -1);
	ic_arena_destroy(&h, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_whole_arena_is_dead_and_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_arena_is_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_arena_is_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_runid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_to_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_users_arena_is_not_yours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_arena_young_then_dead, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_unwritten_arena_dead_when_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_arena_is_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tracked_entries_of_the_run_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owned_removal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owned_removal_leaves_other_users_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owned_removal_refuses_open_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leftover_scan_leaves_other_users_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_checks_the_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
