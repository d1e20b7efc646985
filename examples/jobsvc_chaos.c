/*
 * jobsvc_chaos: the ipchaos scenarios of this project, and a main that runs
 * them with the ipchaos command line (list, run, run --all, replay lines).
 *
 * workq: producers push jobs into the shared queue, consumers pop them; the
 *   messages checker proves every job is done exactly once. bug=unlocked_peek
 *   is the real bug in wq_pop (see workq.c).
 * tally: clients add to the tally server's total over message queues; the
 *   counter checker proves every acknowledged add is in the total, once.
 */
#include "ipchaos.h"
#include "tally.h"
#include "workq.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* ---- workq ------------------------------------------------------------ */

enum { WQ_PRODUCER, WQ_CONSUMER };
#define JOB_LOG (8u << 16) /* IC_OP_SEND/RECV b: an 8-byte message, lane 0, intact */

static int wq_producer(ic_ctx *ctx)
{
	workq *q = ic_state(ctx);
	for (uint64_t seq = 0; seq < ic_ops(ctx); seq++) {
		uint64_t job = ic_msg_id(ic_proc(ctx), seq);
		ic_invoke(ctx, IC_OP_SEND, job, JOB_LOG);
		int rc;
		ic_backoff wait = {.yields = 100, .sleep_us = 50};
		while ((rc = wq_push(ctx, q, job)) == EAGAIN && ic_role_running(ctx, WQ_CONSUMER))
			ic_backoff_wait(ctx, &wait, 20); /* a wait the harness sees: it schedules it */
		if (rc != 0) {
			ic_fail(ctx, IC_OP_SEND, (uint64_t)rc, job);
			return 1;
		}
		ic_ok(ctx, IC_OP_SEND, job, JOB_LOG);
	}
	return 0;
}

static int wq_consumer(ic_ctx *ctx)
{
	workq *q = ic_state(ctx);
	for (;;) {
		uint64_t job;
		int rc;
		ic_invoke(ctx, IC_OP_RECV, 0, 0);
		for (ic_backoff wait = {.yields = 100, .sleep_us = 50};;) {
			/* Read before the pop: a producer gone by then has pushed all it will. */
			bool producing = ic_role_running(ctx, WQ_PRODUCER) > 0;
			rc = wq_pop(ctx, q, &job);
			if (rc != EAGAIN || !producing)
				break;
			ic_backoff_wait(ctx, &wait, 20);
		}
		if (rc != 0) {
			ic_fail(ctx, IC_OP_RECV, (uint64_t)rc, 0);
			return rc == EAGAIN ? 0 : 1;
		}
		ic_ok(ctx, IC_OP_RECV, job, JOB_LOG | IC_MSG_INTACT);
	}
}

static int wq_setup(ic_ctx *ctx)
{
	workq *q = ic_shm_create(ctx, "workq", sizeof(workq), O_CREAT | O_EXCL, 0600);
	if (!q)
		return -1;
	ic_set_state(ctx, q);
	return wq_init(ctx, q, strcmp(ic_variant(ctx, "bug"), "unlocked_peek") == 0);
}

/* The final drain: jobs nobody took are "lost" only if they are not here. */
static int wq_observe(ic_ctx *ctx)
{
	workq *q = ic_state(ctx);
	uint64_t job;
	for (;;) {
		ic_invoke(ctx, IC_OP_RECV, 0, 0);
		if (wq_pop_alone(ctx, q, &job) != 0)
			break;
		ic_ok(ctx, IC_OP_RECV, job, JOB_LOG | IC_MSG_INTACT);
	}
	ic_fail(ctx, IC_OP_RECV, EAGAIN, 0);
	return 0;
}

static void wq_teardown(ic_ctx *ctx)
{
	workq *q = ic_state(ctx);
	if (!q)
		return;
	/* A lock whose holder died is left as it is: destroying it is undefined. */
	munmap(q, sizeof(*q));
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "workq");
}

static const char *const wq_bugs[] = {"none", "unlocked_peek", NULL};
static const ic_key wq_keys[] = {
	{"bug", wq_bugs, "unlocked_peek: wq_pop trusts a count it read without the lock", NULL, NULL},
	{0},
};
static const ic_role_desc wq_roles[] = {
	{"p", wq_producer, 2},
	{"c", wq_consumer, 2},
	{0},
};
static const char *const wq_points[] = {"workq/push/locked", "workq/push/written", "workq/pop/peeked",
					"workq/pop/locked",  "workq/pop/taken",    NULL};
/* Who passes which: a kill pinned with at= (kill:at=workq/pop/locked) strikes only a consumer. */
static const char *const wq_push_points[] = {"workq/push/locked", "workq/push/written", NULL};
static const char *const wq_pop_points[] = {"workq/pop/peeked", "workq/pop/locked", "workq/pop/taken", NULL};
static const char *const *const wq_role_points[] = {wq_push_points, wq_pop_points};
static const char *const wq_sites[] = {"workq", NULL};
static const ic_expect wq_expect[] = {
	{"bug=none", "delay", "pass", 50, NULL, NULL, 0},
	{"bug=unlocked_peek", "delay", "messages", 100, NULL, NULL, 0},
	{"bug=none", "kill:at=workq/pop/locked,p=0.05", "dead-holder", 1, NULL, NULL, 0},
	/* Planned: one consumer dies at one hit of the point, in every seed (role_points). */
	{"bug=none", "kill:at=workq/pop/locked", "dead-holder", 3, NULL, NULL, 0},
	{0},
};

static const ic_scenario scenario_workq = {
	.name = "workq",
	.summary = "producers and consumers share a job queue in shared memory",
	.keys = wq_keys,
	.roles = wq_roles,
	.points = wq_points,
	.role_points = wq_role_points,
	.lock_sites = wq_sites,
	.checkers = "messages,dead-holder,hang,crash,leaks,perms",
	.default_ops = 500,
	.events_per_op = 2,
	.setup = wq_setup,
	.observe = wq_observe,
	.teardown = wq_teardown,
	.expect = wq_expect,
};

/* ---- tally ------------------------------------------------------------ */

enum { TALLY_SERVER, TALLY_CLIENT };
#define TALLY_MAX_CLIENTS 8

typedef struct tally_shared {
	uint64_t total; /* the server's state, here so that observe can read it */
	int requests;
	int replies[TALLY_MAX_CLIENTS];
	unsigned nclients;
} tally_shared;

static int tally_server_role(ic_ctx *ctx)
{
	tally_shared *sh = ic_state(ctx);
	tally_server s = {sh->requests, sh->replies, sh->nclients, &sh->total};
	for (;;) {
		bool clients = ic_role_running(ctx, TALLY_CLIENT) > 0;
		int rc = tally_serve_one(ctx, &s, 20);
		if (rc == EAGAIN && !clients)
			return 0;
		if (rc != 0 && rc != EAGAIN)
			return 1;
	}
}

static int tally_client_role(ic_ctx *ctx)
{
	tally_shared *sh = ic_state(ctx);
	tally_client c = {sh->requests, sh->replies[ic_index(ctx)], ic_index(ctx), 0};
	for (uint64_t op = 0; op < ic_ops(ctx); op++) {
		uint64_t amount = 1 + ic_rand(ctx) % 9, total;
		ic_invoke(ctx, IC_OP_INC, amount, op);
		int rc = tally_add(ctx, &c, amount, &total);
		if (rc < 0)
			return 1; /* sent, unanswered: the add stays indeterminate */
		if (rc > 0)
			ic_fail(ctx, IC_OP_INC, (uint64_t)rc, op);
		else
			ic_ok(ctx, IC_OP_INC, amount, op);
	}
	return 0;
}

static const char *tally_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	if (ic_role_count(ctx, TALLY_SERVER) == 1 && ic_role_count(ctx, TALLY_CLIENT) <= TALLY_MAX_CLIENTS)
		return NULL;
	snprintf(buf, size, "tally runs one server and at most %d clients (--procs 1:N, N <= %d)",
		 TALLY_MAX_CLIENTS, TALLY_MAX_CLIENTS);
	return buf;
}

static int tally_setup(ic_ctx *ctx)
{
	tally_shared *sh = ic_shm_create(ctx, "tally", sizeof(tally_shared), O_CREAT | O_EXCL, 0600);
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	sh->nclients = ic_role_count(ctx, TALLY_CLIENT);
	sh->requests = -1;
	for (unsigned i = 0; i < sh->nclients; i++)
		sh->replies[i] = -1;
	sh->requests = ic_mq_open(ctx, "tally.req", O_RDWR | O_CREAT | O_EXCL, 0600, 8, sizeof(tally_req));
	if (sh->requests < 0)
		return -1;
	for (unsigned i = 0; i < sh->nclients; i++) {
		char name[32];
		snprintf(name, sizeof(name), "tally.rep%u", i);
		sh->replies[i] = ic_mq_open(ctx, name, O_RDWR | O_CREAT | O_EXCL, 0600, 2, sizeof(tally_rep));
		if (sh->replies[i] < 0)
			return -1;
	}
	return 0;
}

static int tally_observe(ic_ctx *ctx)
{
	const tally_shared *sh = ic_state(ctx);
	ic_invoke(ctx, IC_OP_READ, 0, 0);
	ic_ok(ctx, IC_OP_READ, sh->total, 0);
	return 0;
}

/* Copes with a setup that stopped half-way: the harness sweeps what it registered. */
static void tally_teardown(ic_ctx *ctx)
{
	tally_shared *sh = ic_state(ctx);
	if (!sh)
		return;
	if (sh->requests >= 0) {
		mq_close((mqd_t)sh->requests);
		ic_mq_unlink(ctx, "tally.req");
	}
	for (unsigned i = 0; i < sh->nclients && sh->replies[i] >= 0; i++) {
		char name[32];
		snprintf(name, sizeof(name), "tally.rep%u", i);
		mq_close((mqd_t)sh->replies[i]);
		ic_mq_unlink(ctx, name);
	}
	munmap(sh, sizeof(*sh));
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "tally");
}

static const ic_role_desc tally_roles[] = {
	{"server", tally_server_role, 1},
	{"c", tally_client_role, 2},
	{0},
};
static const char *const tally_points[] = {"tally/serve/received", "tally/serve/applied",
					   "tally/add/sent",       "call/mq_timedsend",
					   "call/mq_timedreceive", NULL};
static const char *const tally_sites[] = {NULL};
static const char *const tally_server_points[] = {"tally/serve/received", "tally/serve/applied",
						  "call/mq_timedsend", "call/mq_timedreceive", NULL};
static const char *const tally_client_points[] = {"tally/add/sent", "call/mq_timedsend",
						  "call/mq_timedreceive", NULL};
static const char *const *const tally_role_points[] = {tally_server_points, tally_client_points};
static const ic_expect tally_expect[] = {
	{"", "delay", "pass", 20, NULL, NULL, 0},
	{"", "fail;delay", "pass", 20, NULL, NULL, 0},
	{0},
};

static const ic_scenario scenario_tally = {
	.name = "tally",
	.summary = "clients add to a server's total over POSIX message queues",
	.keys = NULL,
	.roles = tally_roles,
	.points = tally_points,
	.role_points = tally_role_points,
	.lock_sites = tally_sites,
	.checkers = "counter,hang,crash,leaks,perms",
	.default_ops = 200,
	.events_per_op = 2,
	.setup = tally_setup,
	.observe = tally_observe,
	.teardown = tally_teardown,
	.expect = tally_expect,
	.validate = tally_validate,
	.flags = IC_SC_MQUEUES,
};

int main(int argc, char **argv)
{
	static const ic_scenario *const mine[] = {&scenario_workq, &scenario_tally, NULL};
	return ic_main(argc, argv, mine);
}
