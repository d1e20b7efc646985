/*
 * test_names.c: the names and SysV keys of a run's objects. They carry the
 * run id, so an audit can attribute them, and a tag (SipHash-2-4 keyed by the
 * run's secret), so that nobody who sees the run id can derive them first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"
#include "role/ctx.h"

typedef struct fixture {
	char runid[17];
	ic_arena_handle h;
	ic_run_cfg cfg;
	ic_ctx ctx;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	if (test_arena_open(&f->h, f->runid, 2, 8) != 0) {
		free(f);
		return -1;
	}
	f->cfg.sc = ic_builtin_scenarios[0];
	f->cfg.seed = 1;
	ic_ctx_init(&f->ctx, &f->cfg, f->h.arena, 0, 0, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char found[16][272];
	ic_tracker_leftovers(f->runid, f->h.arena->secret, true, false, found, 16);
	ic_arena_destroy(&f->h, false);
	free(f);
	return 0;
}

/* ---- SipHash-2-4 ---- */

/* The key 00 01 .. 0f of the SipHash paper (Aumasson, Bernstein 2012) and its reference code. */
static void paper_key(uint8_t key[16])
{
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
}

static uint64_t hash_of_first(unsigned len)
{
	uint8_t key[16], msg[64];
	paper_key(key);
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	return ic_siphash24(key, msg, len);
}

/* The paper's Appendix A: the 15-byte message 00 01 .. 0e. */
static void test_siphash_paper_vector(void **state)
{
	(void)state;
	assert_int_equal(hash_of_first(15), 0xa129ca6149be45e5ull);
}

/* More of the reference vectors (vectors.h): no input (only the length word) and one whole word. */
static void test_siphash_reference_vectors(void **state)
{
	(void)state;
	assert_int_equal(hash_of_first(0), 0x726fdb47dd0e0e31ull);
	assert_int_equal(hash_of_first(8), 0x93f5f5799a932462ull);
}

/* ---- object names ---- */

static void assert_matches(const char *s, const char *pattern)
{
	regex_t re;
	assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	int rc = regexec(&re, s, 0, NULL, 0);
	regfree(&re);
	if (rc != 0)
		fail_msg("'%s' does not match /%s/", s, pattern);
}

static void test_name_format(void **state)
{
	fixture *f = *state;
	char name[80], again[80], pattern[128];
	assert_int_equal(ic_object_name(&f->ctx, "counter", name, sizeof(name)), 0);
	snprintf(pattern, sizeof(pattern), "^/ipchaos\\.%s\\.counter\\.[0-9a-f]{16}$", f->runid);
	assert_matches(name, pattern);
	/* Every process of the run computes the same name. */
	assert_int_equal(ic_object_name(&f->ctx, "counter", again, sizeof(again)), 0);
	assert_string_equal(name, again);
}

/* The tag is the secret's: same run id, another secret, another name. */
static void test_name_needs_the_secret(void **state)
{
	fixture *f = *state;
	char name[80], other[80];
	assert_int_equal(ic_object_name(&f->ctx, "counter", name, sizeof(name)), 0);
	f->h.arena->secret[0] ^= 1;
	assert_int_equal(ic_object_name(&f->ctx, "counter", other, sizeof(other)), 0);
	f->h.arena->secret[0] ^= 1;
	assert_string_not_equal(name, other);
	assert_int_equal(strncmp(name, other, strlen(name) - 16), 0); /* same prefix: same run */
}

/* One visible name does not give the next: the tags of two objects share nothing simple. */
static void test_name_tags_differ_per_object(void **state)
{
	fixture *f = *state;
	char a[80], b[80];
	assert_int_equal(ic_object_name(&f->ctx, "data", a, sizeof(a)), 0);
	assert_int_equal(ic_object_name(&f->ctx, "free", b, sizeof(b)), 0);
	assert_string_not_equal(a + strlen(a) - 16, b + strlen(b) - 16);
}

static void test_name_second_instance(void **state)
{
	fixture *f = *state;
	char first[80], second[80], pattern[128];
	assert_int_equal(ic_object_name(&f->ctx, "ring", first, sizeof(first)), 0);
	f->ctx.instance = 1;
	assert_int_equal(ic_object_name(&f->ctx, "ring", second, sizeof(second)), 0);
	f->ctx.instance = 0;
	snprintf(pattern, sizeof(pattern), "^/ipchaos\\.%s\\.b\\.ring\\.[0-9a-f]{16}$", f->runid);
	assert_matches(second, pattern);
	assert_string_not_equal(first + strlen(first) - 16, second + strlen(second) - 16);
}

/* IC_OBJECT_MAX bytes always fit the 80 the harness's buffers hold; one more is refused. */
static void test_name_length_limit(void **state)
{
	fixture *f = *state;
	char object[IC_OBJECT_MAX + 2], name[80];
	memset(object, 'o', IC_OBJECT_MAX);
	object[IC_OBJECT_MAX] = '\0';
	f->ctx.instance = 1; /* the longest names: "b." more */
	assert_int_equal(ic_object_name(&f->ctx, object, name, sizeof(name)), 0);
	f->ctx.instance = 0;
	strcat(object, "o");
	assert_int_equal(ic_object_name(&f->ctx, object, name, sizeof(name)), -1);
	errno = 0;
	assert_int_equal(ic_shm_open(&f->ctx, object, O_CREAT | O_EXCL | O_RDWR, 0600), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(atomic_load(&f->h.arena->ntracked), 0);
}

/* ---- SysV keys ---- */

static void test_key_format(void **state)
{
	fixture *f = *state;
	const uint8_t *secret = f->h.arena->secret;
	key_t k0 = ic_sysv_key(&f->ctx, 0);
	assert_true(k0 > 0); /* positive, never IPC_PRIVATE */
	assert_int_equal(k0, ic_sysv_key_of(f->runid, secret, 0));
	assert_int_not_equal(k0, ic_sysv_key(&f->ctx, 1));
	f->ctx.instance = 1;
	assert_int_equal(ic_sysv_key(&f->ctx, 0), ic_sysv_key_of(f->runid, secret, 256));
	f->ctx.instance = 0;
	for (unsigned n = 0; n < IC_SYSV_KEYS; n++)
		assert_true(ic_sysv_key_is_run(f->runid, secret, ic_sysv_key_of(f->runid, secret, n)));
}

/* Neither the run id nor a neighbour's key gives a run's key: it takes the secret. */
static void test_key_needs_the_secret(void **state)
{
	fixture *f = *state;
	uint8_t other[IC_SECRET_BYTES];
	memcpy(other, f->h.arena->secret, sizeof(other));
	other[15] ^= 0x80;
	key_t mine = ic_sysv_key_of(f->runid, f->h.arena->secret, 0);
	assert_int_not_equal(mine, ic_sysv_key_of(f->runid, other, 0));
	assert_false(ic_sysv_key_is_run(f->runid, other, mine));
	assert_int_not_equal(ic_sysv_key_of(f->runid, f->h.arena->secret, 1) - 1, mine);
}

/* ---- the secret ---- */

/* Drawn per run, even when the run id is forced (--run-id): never a function of the id. */
static void test_secret_per_run(void **state)
{
	fixture *f = *state;
	ic_arena_handle again;
	char err[256];
	uint8_t first[IC_SECRET_BYTES], zero[IC_SECRET_BYTES] = {0};
	memcpy(first, f->h.arena->secret, sizeof(first));
	assert_memory_not_equal(first, zero, sizeof(zero));
	ic_arena_destroy(&f->h, false);
	assert_int_equal(ic_arena_create(&again, f->runid, 2, 8, err, sizeof(err)), 0);
	f->h = again;
	f->ctx.arena = again.arena;
	assert_memory_not_equal(first, again.arena->secret, sizeof(first));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_paper_vector),
		cmocka_unit_test(test_siphash_reference_vectors),
		cmocka_unit_test_setup_teardown(test_name_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_needs_the_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_tags_differ_per_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_second_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_length_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_needs_the_secret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_per_run, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
