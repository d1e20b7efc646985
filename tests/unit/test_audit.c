/*
 * test_audit.c: the audit's logic that needs no process: removal hints a
 * shell reads back, SysV creators from the calls seen (a key names its
 * object; IPC_PRIVATE only when one process made them all), alike objects
 * grouped (and a few not), snapshots diffed, names escaped in the report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"
#include "audit/audit_int.h"

#include <stdlib.h>
#include <string.h>

static audit_obj sysv(int kind, uint32_t key, int id)
{
	audit_obj o = {.kind = kind, .key = key, .id = id, .mode = 0644};
	return o;
}

static void test_remove_hints(void **state)
{
	(void)state;
	char buf[AUDIT_NAME_MAX + 64];
	audit_obj q = sysv(AUDIT_SYSV_MSG, 0x1234, 7);
	assert_string_equal(audit_remove_hint(&q, buf, sizeof(buf)), "ipcrm -q 7");
	audit_obj m = sysv(AUDIT_SYSV_SHM, 1, 3);
	assert_string_equal(audit_remove_hint(&m, buf, sizeof(buf)), "ipcrm -m 3");
	audit_obj f = {.kind = AUDIT_SHM};
	snprintf(f.name, sizeof(f.name), "/dev/shm/it's; rm -rf ~");
	assert_string_equal(audit_remove_hint(&f, buf, sizeof(buf)), "rm '/dev/shm/it'\\''s; rm -rf ~'");
	audit_obj d = {.kind = AUDIT_SHM_DIR};
	snprintf(d.name, sizeof(d.name), "/dev/shm/app");
	assert_string_equal(audit_remove_hint(&d, buf, sizeof(buf)), "rm -r '/dev/shm/app'");
	audit_obj cut = {.kind = AUDIT_SHM, .cut = true};
	assert_non_null(strstr(audit_remove_hint(&cut, buf, sizeof(buf)), "too long"));
	assert_int_equal(audit_remove(&cut), -1); /* never removed by a name it does not have whole */
}

static void add_call(audit_result *r, int kind, uint32_t key, pid_t pid, const char *cmd)
{
	struct audit_sysv_call *c = &r->sysv[r->nsysv++];
	c->kind = kind;
	c->key = key;
	c->pid = pid;
	snprintf(c->cmd, sizeof(c->cmd), "%s", cmd);
}

static void test_sysv_creators(void **state)
{
	(void)state;
	static audit_result r;
	audit_objs objs = {0};
	memset(&r, 0, sizeof(r));
	add_call(&r, AUDIT_SYSV_MSG, 0x10, 100, "first");
	add_call(&r, AUDIT_SYSV_MSG, 0x10, 101, "opened it again");
	add_call(&r, AUDIT_SYSV_SEM, 0, 200, "one maker");
	add_call(&r, AUDIT_SYSV_SEM, 0, 200, "one maker");
	add_call(&r, AUDIT_SYSV_MSG, 0, 300, "a");
	add_call(&r, AUDIT_SYSV_MSG, 0, 301, "b");
	*audit_objs_add(&objs) = sysv(AUDIT_SYSV_MSG, 0x10, 1);
	*audit_objs_add(&objs) = sysv(AUDIT_SYSV_SEM, 0, 2);
	*audit_objs_add(&objs) = sysv(AUDIT_SYSV_MSG, 0, 3);
	*audit_objs_add(&objs) = sysv(AUDIT_SYSV_MSG, 0x99, 4);
	audit_sysv_attribute(&r, &objs);
	assert_int_equal(objs.v[0].creator, 100); /* the first to ask with IPC_CREAT made it */
	assert_string_equal(objs.v[0].creator_cmd, "first");
	assert_int_equal(objs.v[1].creator, 200); /* private, but one process made them all */
	assert_int_equal(objs.v[2].creator, 0);   /* private, two makers: unknown, not a guess */
	assert_int_equal(objs.v[3].creator, 0);   /* no call seen */
	audit_objs_free(&objs);
}

static char *report(const audit_objs *left)
{
	static ic_audit_opts o;
	static char *cmd[] = {"prog", NULL};
	audit_seed s = {.seed = 1, .left = *left, .leaked = true};
	char *text = NULL;
	size_t len = 0;
	memset(&o, 0, sizeof(o));
	o.cmd = cmd;
	o.timeout = 60;
	o.sig = 9;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	audit_print_seed(f, &o, &s, true);
	fclose(f);
	return text;
}

static unsigned count(const char *text, const char *needle)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_grouped(void **state)
{
	(void)state;
	audit_objs many = {0}, few = {0};
	for (int i = 0; i < 10; i++) {
		audit_obj *o = audit_objs_add(&many);
		*o = sysv(AUDIT_SYSV_MSG, 0x100 + (uint32_t)i, i);
		o->creator = 42;
		o->by_program = true;
		snprintf(o->creator_cmd, sizeof(o->creator_cmd), "ipcmk -Q");
	}
	for (int i = 0; i < 3; i++)
		*audit_objs_add(&few) = sysv(AUDIT_SYSV_SEM, 0x200 + (uint32_t)i, i);
	char *text = report(&many);
	assert_non_null(strstr(text, "10 of them keys 0x00000100..0x00000109"));
	assert_non_null(strstr(text, "made by pid 42: ipcmk -Q"));
	assert_int_equal(count(text, "  sysv-msg  key "), 3);
	free(text);
	text = report(&few);
	assert_null(strstr(text, "of them"));
	assert_int_equal(count(text, "  sysv-sem  key "), 3);
	free(text);
	audit_objs_free(&many);
	audit_objs_free(&few);
}

static void test_names_escaped(void **state)
{
	(void)state;
	audit_objs one = {0};
	audit_obj *o = audit_objs_add(&one);
	o->kind = AUDIT_SHM;
	snprintf(o->name, sizeof(o->name), "/dev/shm/a\nseed 0x2: exited 0; nothing left");
	char *text = report(&one);
	assert_non_null(strstr(text, "/dev/shm/a\\nseed 0x2"));
	assert_null(strstr(text, "\nseed 0x2"));
	free(text);
	audit_objs_free(&one);
}

static void test_diff(void **state)
{
	(void)state;
	audit_objs before = {0}, after = {0}, out;
	*audit_objs_add(&before) = sysv(AUDIT_SYSV_SHM, 5, 1);
	*audit_objs_add(&after) = sysv(AUDIT_SYSV_SHM, 5, 1);
	*audit_objs_add(&after) = sysv(AUDIT_SYSV_SHM, 5, 2); /* the same key, a new id: a new object */
	audit_diff(&before, &after, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0].id, 2);
	audit_objs_free(&before);
	audit_objs_free(&after);
	audit_objs_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remove_hints),
		cmocka_unit_test(test_sysv_creators),
		cmocka_unit_test(test_grouped),
		cmocka_unit_test(test_names_escaped),
		cmocka_unit_test(test_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
