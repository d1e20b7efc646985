/*
 * sysv_msg: producers send to consumers over one System V message queue,
 * each producer with its own mtype (its lane); consumers take any type. The
 * queue's key is derived from the run id and created IPC_CREAT|IPC_EXCL, so a
 * leftover is always attributable. The kernel orders messages per type.
 * Checkers: messages, hang, crash, leaks. Injectors: all; fail gives msgsnd
 * EINTR, EAGAIN or ENOMEM and msgrcv EINTR or ENOMSG.
 */
#include "ipchaos.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <time.h>

static const ic_key sysv_keys[] = {
	{"size", NULL, "message size in bytes (64, 4K, A..B; at most kernel.msgmax)", "64", ic_size_check},
	{0},
};

static const char *const sysv_points[] = {"produce/begin", "produce/sent", "consume/begin",
					  "consume/received", "call/msgsnd", "call/msgrcv", NULL};

typedef struct sysv_state {
	int id;
	struct msgbuf_any {
		long mtype;
		unsigned char text[];
	} *buf; /* each process's own copy after fork */
} sysv_state;

static long msgmax(void)
{
	long v = -1;
	FILE *f = fopen("/proc/sys/kernel/msgmax", "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static const char *sysv_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	uint64_t lo, hi;
	long max = msgmax();
	if (ic_size_range(ctx, "size", &lo, &hi) == 0 && max > 0 && hi > (uint64_t)max) {
		snprintf(buf, size, "size %llu is above kernel.msgmax (%ld): raise it with sysctl kernel.msgmax=%llu",
			 (unsigned long long)hi, max, (unsigned long long)hi);
		return buf;
	}
	return NULL;
}

static int sysv_setup(ic_ctx *ctx)
{
	uint64_t lo, hi;
	sysv_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	ic_set_state(ctx, st);
	st->id = -1;
	if (ic_size_range(ctx, "size", &lo, &hi) != 0)
		return -1;
	st->buf = malloc(sizeof(*st->buf) + hi + 1);
	if (!st->buf)
		return -1;
	st->id = ic_msgget(ctx, 0, 0600);
	return st->id < 0 ? -1 : 0;
}

/* A role started by exec (run --under) finds the queue setup made by its key. */
static int sysv_attach(ic_ctx *ctx)
{
	uint64_t lo, hi;
	sysv_state *st = calloc(1, sizeof(*st));
	if (!st || ic_size_range(ctx, "size", &lo, &hi) != 0)
		return free(st), -1;
	ic_set_state(ctx, st);
	st->buf = malloc(sizeof(*st->buf) + hi + 1);
	st->id = msgget(ic_sysv_key(ctx, 0), 0);
	return st->buf && st->id >= 0 ? 0 : -1;
}

/* No descriptor to wait on: yield first (the peer is likely about to act), then sleep. */
#define SYSV_BACKOFF ((ic_backoff){.yields = 50, .sleep_us = 200})

static int sysv_send(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	(void)lane;
	const sysv_state *st = ic_state(ctx);
	st->buf->mtype = (long)ic_proc(ctx) + 1;
	memcpy(st->buf->text, msg, len);
	/* Retry for about 20 ms, then let the loop check that a reader is left. */
	for (ic_backoff wait = SYSV_BACKOFF;;) {
		if (ic_msgsnd(ctx, st->id, st->buf, len, IPC_NOWAIT) == 0)
			return 0;
		if (errno != EAGAIN)
			return errno;
		if (!ic_backoff_wait(ctx, &wait, 20))
			return ETIMEDOUT;
	}
}

static long sysv_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	(void)drain;
	const sysv_state *st = ic_state(ctx);
	for (ic_backoff wait = SYSV_BACKOFF;;) {
		ssize_t n = ic_msgrcv(ctx, st->id, st->buf, cap, 0, IPC_NOWAIT);
		if (n >= 0) {
			memcpy(buf, st->buf->text, (size_t)n);
			return (long)n;
		}
		if (errno != ENOMSG)
			return -errno;
		if (wait_ms == 0 || !ic_backoff_wait(ctx, &wait, wait_ms))
			return 0;
	}
}

static unsigned sysv_lane(ic_ctx *ctx, uint64_t seq)
{
	(void)seq;
	return (ic_proc(ctx) + 1) & 0xff; /* the mtype: order is promised per type */
}

static const ic_channel sysv_channel = {.send = sysv_send, .recv = sysv_recv, .lane = sysv_lane};

static void sysv_teardown(ic_ctx *ctx)
{
	sysv_state *st = ic_state(ctx);
	if (!st)
		return;
	if (st->id >= 0)
		ic_msg_remove(ctx, st->id);
	free(st->buf);
	free(st);
	ic_set_state(ctx, NULL);
}

static const ic_role_desc sysv_roles[] = {
	{"p", ic_channel_producer, 1},
	{"c", ic_channel_consumer, 1},
	{0},
};

static const ic_expect sysv_expect[] = {
	{"", "delay;kill;stall;fail", "pass", 200, NULL, NULL, 0},
	{"", "delay;kill;stall;fail", "pass", 100, "2:2", NULL, 0},
	{"", "kill;stall;fail", "pass", 200, NULL, "controlled", 20},
	{0},
};

const ic_scenario ic_scenario_sysv_msg = {
	.name = "sysv_msg",
	.summary = "producers and consumers over one System V message queue, a type per producer",
	.keys = sysv_keys,
	.roles = sysv_roles,
	.points = sysv_points,
	.checkers = "messages,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 2,
	.setup = sysv_setup,
	.attach = sysv_attach,
	.observe = ic_channel_drain,
	.channel = &sysv_channel,
	.teardown = sysv_teardown,
	.expect = sysv_expect,
	.validate = sysv_validate,
};
