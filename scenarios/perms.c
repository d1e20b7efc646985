/*
 * perms: two processes share a segment the supervisor creates with mode=
 * (0600 by default) and, unless bug=no_excl, O_EXCL. Proves the perms
 * checker: mode=0644 or 0666 is readable by others (the umask may narrow
 * 0666 to 0644: still too wide), and no_excl would have used a segment that
 * someone else created first. Checkers: perms, crash, leaks.
 */
#include "ipchaos.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *const mode_values[] = {"0600", "0644", "0666", NULL};
static const char *const bug_values[] = {"none", "no_excl", NULL};

static const ic_key perms_keys[] = {
	{"mode", mode_values, "the segment's mode", NULL, NULL},
	{"bug", bug_values, "no_excl: create it without O_EXCL", NULL, NULL},
	{0},
};

static const char *const perms_points[] = {"perms/write", NULL};

typedef struct perms_shared {
	atomic_uint_fast64_t writes;
} perms_shared;

static int perms_setup(ic_ctx *ctx)
{
	mode_t mode = (mode_t)strtoul(ic_variant(ctx, "mode"), NULL, 8);
	int excl = strcmp(ic_variant(ctx, "bug"), "no_excl") == 0 ? 0 : O_EXCL;
	perms_shared *sh = ic_shm_create(ctx, "data", sizeof(perms_shared), O_CREAT | excl, mode);
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	return 0;
}

static int perms_attach(ic_ctx *ctx)
{
	perms_shared *sh = ic_shm_attach(ctx, "data");
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	return 0;
}

static int perms_role(ic_ctx *ctx)
{
	perms_shared *sh = ic_state(ctx);
	for (uint64_t i = 0; i < ic_ops(ctx); i++) {
		ic_point(ctx, "perms/write");
		atomic_fetch_add(&sh->writes, 1);
	}
	return 0;
}

static void perms_teardown(ic_ctx *ctx)
{
	perms_shared *sh = ic_state(ctx);
	if (!sh)
		return;
	munmap(sh, sizeof(*sh));
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "data");
}

static const ic_role_desc perms_roles[] = {
	{"p", perms_role, 2},
	{0},
};

static const ic_expect perms_expect[] = {
	{"mode=0600", "delay;kill", "pass", 20, NULL, NULL, 0},
	{"mode=0644", "", "perms", 1, NULL, NULL, 0},
	{"mode=0666", "", "perms", 1, NULL, NULL, 0},
	{"bug=no_excl", "", "perms", 1, NULL, NULL, 0},
	{"mode=0600", "kill", "pass", 20, NULL, "controlled", 0},
	{"mode=0644", "", "perms", 1, NULL, "controlled", 0},
	{0},
};

const ic_scenario ic_scenario_perms = {
	.name = "perms",
	.summary = "a shared segment's mode and O_EXCL",
	.keys = perms_keys,
	.roles = perms_roles,
	.points = perms_points,
	.checkers = "perms,crash,leaks",
	.default_ops = 100,
	.events_per_op = 1,
	.setup = perms_setup,
	.attach = perms_attach,
	.teardown = perms_teardown,
	.expect = perms_expect,
};
