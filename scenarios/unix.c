/*
 * unix: each producer has a Unix domain socket pair of its own,
 * type=stream|seqpacket|dgram; consumer j reads the sockets of producers j,
 * j+C, ..., and a dead consumer's sockets are taken over. The supervisor keeps both ends, so a dead reader loses only the
 * message it was reading. Order is promised per socket: a stream is framed
 * (and resynchronised after a torn frame), seqpacket and dgram keep message
 * boundaries (Linux's Unix datagrams are reliable and ordered).
 * bug=no_framing treats each read() of a stream as one message.
 * Checkers: messages, hang, crash, leaks. Injectors: all.
 */
#include "ipchaos.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DGRAM_MAX (64u << 10) /* below the default socket send buffer (212992) */

static const char *const type_values[] = {"stream", "seqpacket", "dgram", NULL};
static const char *const bug_values[] = {"none", "no_framing", NULL};

static const ic_key unix_keys[] = {
	{"type", type_values, "socket type", NULL, NULL},
	{"bug", bug_values, "no_framing: each read() of a stream taken as one message", NULL, NULL},
	{"size", NULL, "message size in bytes (64, 8K, A..B; at most 64K but for streams)", "64",
	 ic_size_check},
	{0},
};

static const char *const unix_points[] = {"produce/begin", "produce/sent", "consume/begin",
					  "consume/received", "call/write", "call/read", "call/send",
					  "call/recv", NULL};

typedef struct unix_state {
	unsigned n;
	int type; /* SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM */
	bool no_framing;
	int (*sv)[2]; /* [0] the producer's end, [1] the consumer's */
	ic_stream **streams;
} unix_state;

static int socket_type(const char *v)
{
	return v[0] == 's' && v[1] == 't' ? SOCK_STREAM : v[0] == 's' ? SOCK_SEQPACKET : SOCK_DGRAM;
}

static const char *unix_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	uint64_t lo, hi;
	int type = socket_type(ic_variant(ctx, "type"));
	if (ic_role_count(ctx, 1) > ic_role_count(ctx, 0))
		snprintf(buf, size, "--procs %u:%u: each consumer reads whole sockets, one per producer; "
				    "use at most as many consumers as producers",
			 ic_role_count(ctx, 0), ic_role_count(ctx, 1));
	else if (type != SOCK_STREAM && strcmp(ic_variant(ctx, "bug"), "no_framing") == 0)
		snprintf(buf, size, "bug=no_framing needs type=stream: %s keeps message boundaries",
			 ic_variant(ctx, "type"));
	else if (type != SOCK_STREAM && ic_size_range(ctx, "size", &lo, &hi) == 0 && hi > DGRAM_MAX)
		snprintf(buf, size, "size %llu is above %u, the largest %s message this test sends "
				    "(the socket buffer, net.core.wmem_default, bounds it)",
			 (unsigned long long)hi, DGRAM_MAX, ic_variant(ctx, "type"));
	else
		return NULL;
	return buf;
}

static void unix_teardown(ic_ctx *ctx)
{
	unix_state *st = ic_state(ctx);
	if (!st)
		return;
	for (unsigned i = 0; i < st->n; i++) {
		close(st->sv[i][0]);
		close(st->sv[i][1]);
		ic_stream_free(st->streams[i]);
	}
	free(st->sv);
	free(st->streams);
	free(st);
	ic_set_state(ctx, NULL);
}

static int unix_setup(ic_ctx *ctx)
{
	uint64_t lo, hi;
	unix_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	ic_set_state(ctx, st);
	if (ic_size_range(ctx, "size", &lo, &hi) != 0)
		return -1;
	st->type = socket_type(ic_variant(ctx, "type"));
	st->no_framing = strcmp(ic_variant(ctx, "bug"), "no_framing") == 0;
	unsigned n = ic_role_count(ctx, 0);
	st->sv = calloc(n, sizeof(*st->sv));
	st->streams = calloc(n, sizeof(*st->streams));
	if (!st->sv || !st->streams)
		return -1;
	for (; st->n < n; st->n++) {
		if (socketpair(AF_UNIX, st->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, st->sv[st->n]) != 0)
			return -1;
		st->streams[st->n] = ic_stream_new(st->sv[st->n][1], hi);
		if (!st->streams[st->n]) {
			st->n++;
			return -1;
		}
	}
	return 0;
}

static int unix_send(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	(void)lane;
	const unix_state *st = ic_state(ctx);
	int fd = st->sv[ic_index(ctx)][0];
	if (st->type == SOCK_STREAM)
		return ic_stream_send(ctx, fd, msg, len);
	if (ic_send(ctx, fd, msg, len, 0) == (ssize_t)len)
		return 0;
	if (errno != EAGAIN && errno != ENOBUFS)
		return errno;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	return ic_poll(ctx, &p, 1, 20) == 0 ? ETIMEDOUT : EAGAIN;
}

/* One message from socket i, or 0 when it has none now. */
static long unix_one(ic_ctx *ctx, unsigned i, void *buf, size_t cap, bool drain)
{
	const unix_state *st = ic_state(ctx);
	int fd = st->sv[i][1];
	if (st->type == SOCK_STREAM && !st->no_framing) {
		long n = ic_stream_recv(ctx, st->streams[i], buf, cap, 0);
		if (n == 0 && drain)
			ic_stream_discard(st->streams[i]); /* a frame torn by a killed writer */
		return n;
	}
	ssize_t n = st->no_framing ? ic_read(ctx, fd, buf, cap) : ic_recv(ctx, fd, buf, cap, 0);
	if (n > 0)
		return (long)n;
	return n == 0 || errno == EAGAIN ? 0 : -errno;
}

static int unix_fd(ic_ctx *ctx, unsigned i)
{
	const unix_state *st = ic_state(ctx);
	return st->sv[i][1];
}

static long unix_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	const unix_state *st = ic_state(ctx);
	ic_endpoints ep = {.n = st->n, .one = unix_one, .fd = unix_fd};
	return ic_endpoints_recv(ctx, &ep, buf, cap, drain, wait_ms);
}

static const ic_channel unix_channel = {.send = unix_send, .recv = unix_recv};

static const ic_role_desc unix_roles[] = {
	{"p", ic_channel_producer, 1},
	{"c", ic_channel_consumer, 1},
	{0},
};

static const ic_expect unix_expect[] = {
	{"type=stream", "delay;kill;stall;fail", "pass", 200, NULL, NULL, 0},
	{"type=seqpacket", "delay;kill;stall;fail", "pass", 200, NULL, NULL, 0},
	{"type=dgram", "delay;kill;stall;fail", "pass", 200, "2:2", NULL, 0},
	{"type=stream,bug=no_framing", "fail", "messages", 200, NULL, NULL, 0},
	{"type=stream", "kill;stall;fail", "pass", 200, NULL, "controlled", 20},
	{"type=dgram", "kill;stall;fail", "pass", 100, "2:2", "controlled", 20},
	{"type=stream,bug=no_framing", "fail", "messages", 100, NULL, "controlled", 20},
	{0},
};

const ic_scenario ic_scenario_unix = {
	.name = "unix",
	.summary = "messages over a Unix domain socket pair per producer",
	.keys = unix_keys,
	.roles = unix_roles,
	.points = unix_points,
	.checkers = "messages,hang,crash,leaks,perms",
	.default_ops = 1000,
	.events_per_op = 2,
	.setup = unix_setup,
	.observe = ic_channel_drain,
	.channel = &unix_channel,
	.teardown = unix_teardown,
	.expect = unix_expect,
	.validate = unix_validate,
};
