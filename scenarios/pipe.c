/*
 * pipe: each producer writes a framed byte stream into a pipe of its own
 * (frames above PIPE_BUF would interleave on a shared one); consumer j reads
 * the pipes of producers j, j+C, ..., and a dead consumer's pipes are taken
 * over by a live one. The supervisor keeps both ends of every
 * pipe, so a dead reader loses only what it had read, and its drain
 * resynchronises on the next whole frame. Order is promised per pipe.
 * bug=short_write assumes write() writes everything: a short write tears a
 * frame and the messages checker sees it lost.
 * Checkers: messages, hang, crash, leaks. Injectors: all; fail gives
 * EINTR/EAGAIN and short reads and writes.
 */
#include "ipchaos.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const bug_values[] = {"none", "short_write", NULL};

static const ic_key pipe_keys[] = {
	{"bug", bug_values, "short_write: one write() per frame, its count ignored", NULL, NULL},
	{"size", NULL, "message size in bytes (64, 8K, 1M, A..B)", "64", ic_size_check},
	{0},
};

static const char *const pipe_points[] = {"produce/begin", "produce/sent", "consume/begin",
					  "consume/received", "call/write", "call/read", NULL};

typedef struct pipe_state {
	unsigned n;        /* pipes: one per producer */
	bool short_write;
	int (*fds)[2];
	ic_stream **streams; /* this process's read buffer per pipe */
} pipe_state;

static const char *pipe_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	if (ic_role_count(ctx, 1) > ic_role_count(ctx, 0)) {
		snprintf(buf, size, "--procs %u:%u: each consumer reads whole pipes, one per producer; "
				    "use at most as many consumers as producers",
			 ic_role_count(ctx, 0), ic_role_count(ctx, 1));
		return buf;
	}
	return NULL;
}

static void pipe_teardown(ic_ctx *ctx)
{
	pipe_state *st = ic_state(ctx);
	if (!st)
		return;
	for (unsigned i = 0; i < st->n; i++) {
		close(st->fds[i][0]);
		close(st->fds[i][1]);
		ic_stream_free(st->streams[i]);
	}
	free(st->fds);
	free(st->streams);
	free(st);
	ic_set_state(ctx, NULL);
}

static int pipe_setup(ic_ctx *ctx)
{
	uint64_t lo, hi;
	pipe_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	ic_set_state(ctx, st);
	if (ic_size_range(ctx, "size", &lo, &hi) != 0)
		return -1;
	st->short_write = strcmp(ic_variant(ctx, "bug"), "short_write") == 0;
	unsigned n = ic_role_count(ctx, 0);
	st->fds = calloc(n, sizeof(*st->fds));
	st->streams = calloc(n, sizeof(*st->streams));
	if (!st->fds || !st->streams)
		return -1;
	for (; st->n < n; st->n++) {
		if (pipe2(st->fds[st->n], O_NONBLOCK | O_CLOEXEC) != 0)
			return -1;
		st->streams[st->n] = ic_stream_new(st->fds[st->n][0], hi);
		if (!st->streams[st->n]) {
			st->n++;
			return -1;
		}
	}
	return 0;
}

static int pipe_send(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	(void)lane;
	const pipe_state *st = ic_state(ctx);
	int fd = st->fds[ic_index(ctx)][1];
	if (!st->short_write)
		return ic_stream_send(ctx, fd, msg, len);
	ssize_t n = ic_write(ctx, fd, msg, len); /* the planted bug: n < len is taken as done */
	if (n >= 0)
		return 0;
	if (errno == EAGAIN) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		return ic_poll(ctx, &p, 1, 20) == 0 ? ETIMEDOUT : EAGAIN;
	}
	return errno;
}

static long pipe_one(ic_ctx *ctx, unsigned i, void *buf, size_t cap, bool drain)
{
	const pipe_state *st = ic_state(ctx);
	long n = ic_stream_recv(ctx, st->streams[i], buf, cap, 0);
	if (n == 0 && drain)
		ic_stream_discard(st->streams[i]); /* a frame torn by a killed writer */
	return n;
}

static int pipe_fd(ic_ctx *ctx, unsigned i)
{
	const pipe_state *st = ic_state(ctx);
	return st->fds[i][0];
}

static long pipe_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	const pipe_state *st = ic_state(ctx);
	ic_endpoints ep = {.n = st->n, .one = pipe_one, .fd = pipe_fd};
	return ic_endpoints_recv(ctx, &ep, buf, cap, drain, wait_ms);
}

static const ic_channel pipe_channel = {.send = pipe_send, .recv = pipe_recv};

static const ic_role_desc pipe_roles[] = {
	{"p", ic_channel_producer, 1},
	{"c", ic_channel_consumer, 1},
	{0},
};

static const ic_expect pipe_expect[] = {
	{"", "delay;kill;stall;fail", "pass", 200, NULL, NULL, 0},
	{"", "delay;kill;stall;fail", "pass", 100, "3:2", NULL, 0},
	{"size=64K", "delay;kill;stall;fail", "pass", 50, NULL, NULL, 0},
	{"bug=short_write", "fail", "messages", 200, NULL, NULL, 0},
	{"", "kill;stall;fail", "pass", 200, NULL, "controlled", 20},
	{"bug=short_write", "fail", "messages", 100, NULL, "controlled", 20},
	{0},
};

const ic_scenario ic_scenario_pipe = {
	.name = "pipe",
	.summary = "framed byte streams over a pipe per producer",
	.keys = pipe_keys,
	.roles = pipe_roles,
	.points = pipe_points,
	.checkers = "messages,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 2,
	.setup = pipe_setup,
	.observe = ic_channel_drain,
	.channel = &pipe_channel,
	.teardown = pipe_teardown,
	.expect = pipe_expect,
	.validate = pipe_validate,
};
