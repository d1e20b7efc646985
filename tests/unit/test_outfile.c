/*
 * test_outfile.c: results files checked by opening them. A path that cannot
 * take the results is refused before anything runs, and a refusal leaves
 * nothing created; an existing file keeps its content until it is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "core/outfile.h"

typedef struct dir {
	char path[64];
	char a[96], b[96], link[96];
	char err[512];
} dir;

static int setup(void **state)
{
	dir *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/ipchaos-outfile-XXXXXX");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	snprintf(d->a, sizeof(d->a), "%s/a.json", d->path);
	snprintf(d->b, sizeof(d->b), "%s/b.xml", d->path);
	snprintf(d->link, sizeof(d->link), "%s/link", d->path);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	dir *d = *state;
	unlink(d->a);
	unlink(d->b);
	unlink(d->link);
	rmdir(d->path);
	free(d);
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Two outputs, as run's --json and --junit. */
static int open_two(dir *d, const char *json, const char *junit, ic_outfile f[2])
{
	f[0] = IC_OUTFILE("--json");
	f[0].path = json;
	f[1] = IC_OUTFILE("--junit");
	f[1].path = junit;
	d->err[0] = '\0';
	return ic_outfiles_open(f, 2, d->err, sizeof(d->err));
}

static void test_written_then_kept(void **state)
{
	dir *d = *state;
	ic_outfile f[2];
	assert_int_equal(open_two(d, d->a, NULL, f), 0);
	assert_true(exists(d->a));
	FILE *s = ic_outfile_stream(&f[0]);
	assert_non_null(s);
	fputs("{}\n", s);
	assert_int_equal(fclose(s), 0);
	ic_outfiles_abandon(f, 2);
	assert_true(exists(d->a)); /* written: kept */
}

static void test_abandoned_removed(void **state)
{
	dir *d = *state;
	ic_outfile f[2];
	assert_int_equal(open_two(d, d->a, d->b, f), 0);
	ic_outfiles_abandon(f, 2);
	assert_false(exists(d->a));
	assert_false(exists(d->b));
}

/* An existing file is opened, not emptied, and not removed if the command stops first. */
static void test_existing_untouched(void **state)
{
	dir *d = *state;
	ic_outfile f[2];
	FILE *w = fopen(d->a, "w");
	assert_non_null(w);
	fputs("old results\n", w);
	fclose(w);
	assert_int_equal(open_two(d, d->a, NULL, f), 0);
	ic_outfiles_abandon(f, 2);
	struct stat st;
	assert_int_equal(stat(d->a, &st), 0);
	assert_int_equal(st.st_size, 12);
}

static void expect_refused(dir *d, const char *json, const char *junit, const char *needle)
{
	ic_outfile f[2];
	if (open_two(d, json, junit, f) != -1)
		fail_msg("--json %s --junit %s accepted", json, junit ? junit : "(none)");
	assert_contains(d->err, needle);
	assert_null(strchr(d->err, '\n'));
	assert_int_equal(f[0].fd, -1);
	assert_int_equal(f[1].fd, -1);
}

static void test_refused(void **state)
{
	dir *d = *state;
	expect_refused(d, "", NULL, "--json '': an empty file name");
	expect_refused(d, d->path, NULL, "is a directory");
	expect_refused(d, "/nonexistent-dir/x.json", NULL, "cannot write there");
	/* Root may open it for writing (access() says yes): the filesystem is what refuses it. */
	expect_refused(d, "/proc/version", NULL, geteuid() == 0 ? "kernel interface" : "/proc/version");
	struct stat st;
	if (stat("/dev/ptmx", &st) == 0 && S_ISCHR(st.st_mode)) /* refused unopened: opening it makes a terminal */
		expect_refused(d, "/dev/ptmx", NULL, "a device");
	assert_int_equal(symlink("/nonexistent-dir/x.json", d->link), 0);
	expect_refused(d, d->link, NULL, "a symbolic link to nothing");
	assert_false(exists("/nonexistent-dir"));
}

/* The same name twice is refused before either is created; two names for one file once opened. */
static void test_same_file(void **state)
{
	dir *d = *state;
	expect_refused(d, d->a, d->a, "--junit");
	assert_false(exists(d->a));
	assert_int_equal(symlink(d->a, d->link), 0);
	expect_refused(d, d->a, d->link, "the same file as --json");
	assert_false(exists(d->a)); /* created by the check, removed by its refusal */
	ic_outfile f[2];
	assert_int_equal(open_two(d, "/dev/null", "/dev/null", f), 0); /* a device may take both */
	ic_outfiles_abandon(f, 2);
	assert_true(exists("/dev/null"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_written_then_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abandoned_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
