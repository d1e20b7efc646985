/*
 * mq: producers send to consumers over one POSIX message queue. The kernel
 * keeps the queue whatever happens to either side, and delivers in order per
 * priority: prio=on gives each message one of four priorities (its lane),
 * and the order promise is per (producer, priority).
 * Checkers: messages, hang, crash, leaks. Injectors: all; fail makes
 * mq_timedsend/mq_timedreceive fail with EINTR or ETIMEDOUT.
 */
#include "ipchaos.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#define MQ_DEPTH 10 /* Debian's default fs.mqueue.msg_max; unprivileged users get no more */

static const char *const prio_values[] = {"off", "on", NULL};

static const ic_key mq_keys[] = {
	{"prio", prio_values, "on: four priorities, order is promised per priority", NULL, NULL},
	{"size", NULL, "message size in bytes (64, 8K, A..B)", "64", ic_size_check},
	{0},
};

static const char *const mq_points[] = {"produce/begin", "produce/sent", "consume/begin",
					"consume/received", "call/mq_send", "call/mq_receive", NULL};

typedef struct mq_state {
	int mq;
	bool prio;
} mq_state;

static long read_limit(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static const char *mq_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	uint64_t lo, hi;
	long max = read_limit("/proc/sys/fs/mqueue/msgsize_max");
	if (ic_size_range(ctx, "size", &lo, &hi) == 0 && max > 0 && hi > (uint64_t)max) {
		snprintf(buf, size,
			 "size %llu is above this system's mqueue message limit %ld "
			 "(raise it with: sysctl fs.mqueue.msgsize_max=%llu)",
			 (unsigned long long)hi, max, (unsigned long long)hi);
		return buf;
	}
	return NULL;
}

static int mq_setup(ic_ctx *ctx)
{
	uint64_t lo, hi;
	mq_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	st->mq = -1;
	ic_set_state(ctx, st);
	if (ic_size_range(ctx, "size", &lo, &hi) != 0)
		return -1;
	st->prio = ic_variant(ctx, "prio")[1] == 'n';
	long depth = read_limit("/proc/sys/fs/mqueue/msg_max");
	st->mq = ic_mq_open(ctx, "mq", O_CREAT | O_EXCL | O_RDWR, 0600,
			    depth > 0 && depth < MQ_DEPTH ? depth : MQ_DEPTH, (long)hi);
	if (st->mq < 0 && errno == EMFILE) {
		struct rlimit rl;
		getrlimit(RLIMIT_MSGQUEUE, &rl);
		ic_errorf(ctx, "mq_open: RLIMIT_MSGQUEUE (%llu bytes for this user, shared by all its queues) "
			       "is used up: raise it with ulimit -q, or end other queues' owners",
			  (unsigned long long)rl.rlim_cur);
	}
	return st->mq < 0 ? -1 : 0;
}

/* A role started by exec (run --under) opens the queue setup made. */
static int mq_attach(ic_ctx *ctx)
{
	mq_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	ic_set_state(ctx, st);
	st->prio = ic_variant(ctx, "prio")[1] == 'n';
	st->mq = ic_mq_open(ctx, "mq", O_RDWR, 0, 0, 0);
	return st->mq < 0 ? -1 : 0;
}

static int mq_send_one(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	const mq_state *st = ic_state(ctx);
	struct timespec until = ic_deadline(20);
	if (ic_mq_timedsend(ctx, st->mq, msg, len, lane, &until) == 0)
		return 0;
	return errno;
}

static long mq_recv_one(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	(void)drain;
	const mq_state *st = ic_state(ctx);
	struct timespec until = ic_deadline(wait_ms);
	ssize_t n = ic_mq_timedreceive(ctx, st->mq, buf, cap, NULL, &until);
	if (n >= 0)
		return (long)n;
	return errno == ETIMEDOUT ? 0 : -errno;
}

static unsigned mq_lane(ic_ctx *ctx, uint64_t seq)
{
	const mq_state *st = ic_state(ctx);
	return st->prio ? (unsigned)(seq % 4) : 0;
}

static const ic_channel mq_channel = {.send = mq_send_one, .recv = mq_recv_one, .lane = mq_lane};

static void mq_teardown(ic_ctx *ctx)
{
	mq_state *st = ic_state(ctx);
	if (!st)
		return;
	if (st->mq >= 0) {
		mq_close((mqd_t)st->mq);
		ic_mq_unlink(ctx, "mq");
	}
	free(st);
	ic_set_state(ctx, NULL);
}

static const ic_role_desc mq_roles[] = {
	{"p", ic_channel_producer, 1},
	{"c", ic_channel_consumer, 1},
	{0},
};

static const ic_expect mq_expect[] = {
	{"", "delay;kill;stall;fail", "pass", 200, NULL, NULL, 0},
	{"prio=on", "delay;kill;stall;fail", "pass", 200, "2:2", NULL, 0},
	{"size=8K", "delay;kill;stall;fail", "pass", 50, NULL, NULL, 0},
	{"", "kill;stall;fail", "pass", 200, NULL, "controlled", 20},
	{"prio=on", "kill;stall;fail", "pass", 100, "2:2", "controlled", 20},
	{0},
};

const ic_scenario ic_scenario_mq = {
	.name = "mq",
	.summary = "producers and consumers over one POSIX message queue",
	.keys = mq_keys,
	.roles = mq_roles,
	.points = mq_points,
	.checkers = "messages,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 2,
	.setup = mq_setup,
	.attach = mq_attach,
	.observe = ic_channel_drain,
	.channel = &mq_channel,
	.teardown = mq_teardown,
	.expect = mq_expect,
	.validate = mq_validate,
};
