/*
 * chprog: a user's own channels, written against the public header as a user
 * wrapping an IPC library would, to test the loops' contract (issue 17).
 *   async:     a receiver with its own I/O thread (it takes messages off a
 *              POSIX queue and hands them over late). declare=yes says so
 *              (IC_CHANNEL_ASYNC) and must never show a false "lost";
 *              declare=no is the same library undeclared (the old trap).
 *   dupe:      a channel that delivers every message ten times: a `messages`
 *              finding (duplicated), decided at once, never a full log.
 *   fulllog:   a consumer of its own logs each message ten times: its log
 *              fills up, and the duplicates it holds are a finding still.
 *   spindrain: a drain (observe) that spins for ever: a `hang` within the
 *              watchdog, and SIGINT during it ends the run with nothing left.
 *   connect:   send answers EAGAIN while a per-process "connection" is made
 *              (state from the open hook, via ic_set_local): the loop backs
 *              off instead of calling millions of times. Roles declare the
 *              points they pass (role_points), so kill:at= never misses.
 *   swapped, nopoints, wrongrole: broken contracts, refused or reported.
 * All share one POSIX message queue made in setup, messages of the default
 * size (no "size" key).
 */
#include "ipchaos.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define DEPTH 10
#define INBOX 16
#define REPEATS 10          /* dupe: deliveries of each message */
#define CONNECT_MS 200      /* connect: how long sends are refused */
#define CONNECT_MAX_CALLS 20000 /* far above a back-off's, far below a busy loop's */

static const char *const points[] = {IC_LOOP_POINTS, NULL};

/* ---- The queue every scenario sends over ---- */

typedef struct shared {
	int mq;
	volatile int never; /* spindrain: what its drain waits for */
} shared;

static int queue_setup(ic_ctx *ctx)
{
	shared *sh = ic_shm_create(ctx, "shared", sizeof(*sh), O_CREAT | O_EXCL, 0600);
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	sh->mq = ic_mq_open(ctx, "q", O_CREAT | O_EXCL | O_RDWR, 0600, DEPTH, IC_MSG_DEFAULT);
	return sh->mq < 0 ? -1 : 0;
}

static void queue_teardown(ic_ctx *ctx)
{
	shared *sh = ic_state(ctx);
	if (!sh)
		return;
	if (sh->mq >= 0) {
		mq_close((mqd_t)sh->mq);
		ic_mq_unlink(ctx, "q");
	}
	munmap(sh, sizeof(*sh));
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "shared");
}

static int queue_send(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	(void)lane;
	const shared *sh = ic_state(ctx);
	struct timespec until = ic_deadline(20);
	return ic_mq_timedsend(ctx, sh->mq, msg, len, 0, &until) == 0 ? 0 : errno;
}

static long queue_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	(void)drain;
	const shared *sh = ic_state(ctx);
	struct timespec until = ic_deadline(wait_ms);
	ssize_t n = ic_mq_timedreceive(ctx, sh->mq, buf, cap, NULL, &until);
	return n >= 0 ? (long)n : errno == ETIMEDOUT ? 0 : -errno;
}

static const ic_channel queue_channel = {.send = queue_send, .recv = queue_recv};

/* ---- async: a receiver whose I/O thread hands messages over late ---- */

typedef struct inbox {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t ready;
	int mq;
	bool stop;
	unsigned head, n;
	uint64_t rng;
	size_t len[INBOX];
	unsigned char msg[INBOX][IC_MSG_DEFAULT];
} inbox;

static void latency(inbox *in)
{
	in->rng = in->rng * 6364136223846793005ull + 1442695040888963407ull;
	struct timespec ts = {0, (long)(in->rng >> 33) % 400000}; /* up to 400 us, as an I/O thread's */
	nanosleep(&ts, NULL);
}

/* The library's I/O thread: off the queue, a while in hand, then into the inbox. */
static void *inbox_thread(void *arg)
{
	inbox *in = arg;
	unsigned char buf[IC_MSG_DEFAULT];
	for (;;) {
		pthread_mutex_lock(&in->mu);
		bool stop = in->stop, full = in->n == INBOX;
		pthread_mutex_unlock(&in->mu);
		if (stop)
			return NULL;
		if (full) {
			latency(in);
			continue;
		}
		struct timespec until = ic_deadline(5);
		ssize_t n = mq_timedreceive((mqd_t)in->mq, (char *)buf, sizeof(buf), NULL, &until);
		if (n <= 0)
			continue;
		latency(in);
		pthread_mutex_lock(&in->mu);
		unsigned slot = (in->head + in->n++) % INBOX;
		in->len[slot] = (size_t)n;
		memcpy(in->msg[slot], buf, (size_t)n);
		pthread_cond_signal(&in->ready);
		pthread_mutex_unlock(&in->mu);
	}
}

/* Producers need nothing of their own; a consumer (or the drain) starts its I/O thread. */
static int async_open(ic_ctx *ctx)
{
	if (ic_role(ctx) == 0)
		return 0;
	const shared *sh = ic_state(ctx);
	inbox *in = calloc(1, sizeof(*in));
	if (!in)
		return ENOMEM;
	in->mq = sh->mq;
	in->rng = (uint64_t)getpid();
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->ready, NULL);
	int rc = pthread_create(&in->thread, NULL, inbox_thread, in);
	if (rc != 0) {
		free(in);
		return rc;
	}
	ic_set_local(ctx, in);
	return 0;
}

static void async_close(ic_ctx *ctx)
{
	inbox *in = ic_local(ctx);
	if (!in)
		return;
	pthread_mutex_lock(&in->mu);
	in->stop = true; /* what it holds is dropped, as a closed receiver's would be */
	pthread_mutex_unlock(&in->mu);
	pthread_join(in->thread, NULL);
	free(in);
	ic_set_local(ctx, NULL);
}

static long async_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	(void)drain;
	inbox *in = ic_local(ctx);
	struct timespec until = ic_deadline(wait_ms);
	long len = 0;
	pthread_mutex_lock(&in->mu);
	while (in->n == 0 && wait_ms > 0 && pthread_cond_timedwait(&in->ready, &in->mu, &until) == 0)
		continue;
	if (in->n > 0 && in->len[in->head] <= cap) {
		len = (long)in->len[in->head];
		memcpy(buf, in->msg[in->head], in->len[in->head]);
		in->head = (in->head + 1) % INBOX;
		in->n--;
	}
	pthread_mutex_unlock(&in->mu);
	return len;
}

static const ic_channel async_channel = {.send = queue_send, .recv = async_recv, .open = async_open,
					 .close = async_close, .flags = IC_CHANNEL_ASYNC};
/* The same library, not declared asynchronous: the loops stop at the first empty receive. */
static const ic_channel undeclared_channel = {.send = queue_send, .recv = async_recv,
					      .open = async_open, .close = async_close};

static const ic_channel *async_pick(const ic_ctx *ctx)
{
	return strcmp(ic_variant(ctx, "declare"), "yes") == 0 ? &async_channel : &undeclared_channel;
}

static int async_producer(ic_ctx *ctx) { return ic_producer_loop(ctx, async_pick(ctx)); }
static int async_consumer(ic_ctx *ctx) { return ic_consumer_loop(ctx, async_pick(ctx)); }
static int async_drain(ic_ctx *ctx) { return ic_drain(ctx, async_pick(ctx)); }

static const char *const declare_values[] = {"yes", "no", NULL};
static const ic_key async_keys[] = {
	{"declare", declare_values, "no: the channel does not say it is asynchronous", NULL, NULL},
	{0},
};
static const ic_role_desc async_roles[] = {{"p", async_producer, 2}, {"c", async_consumer, 2}, {0}};
static const char *const producer_points[] = {"produce/begin", "produce/sent", NULL};
static const char *const consumer_points[] = {"consume/begin", "consume/received", NULL};
static const char *const *const loop_role_points[] = {producer_points, consumer_points};
static const ic_expect async_expect[] = {{"declare=yes", "delay", "pass", 30, NULL, NULL, 200}, {0}};

static const ic_scenario scenario_async = {
	.name = "async",
	.summary = "a receiver with an I/O thread that hands messages over late",
	.keys = async_keys,
	.roles = async_roles,
	.points = points,
	.role_points = loop_role_points,
	.checkers = "messages,hang,crash,leaks,perms",
	.default_ops = 200,
	.events_per_op = 2,
	.setup = queue_setup,
	.observe = async_drain,
	.teardown = queue_teardown,
	.channel = &async_channel,
	.expect = async_expect,
	.flags = IC_SC_MQUEUES,
};

/* ---- dupe: every message delivered REPEATS times ---- */

typedef struct repeater {
	unsigned char last[IC_MSG_DEFAULT];
	long len;
	unsigned left;
} repeater;

static int dupe_open(ic_ctx *ctx)
{
	repeater *r = calloc(1, sizeof(*r));
	ic_set_local(ctx, r);
	return r ? 0 : ENOMEM;
}

static void dupe_close(ic_ctx *ctx)
{
	free(ic_local(ctx));
	ic_set_local(ctx, NULL);
}

static long dupe_recv(ic_ctx *ctx, void *buf, size_t cap, bool drain, int wait_ms)
{
	repeater *r = ic_local(ctx);
	if (r->left == 0) {
		long n = queue_recv(ctx, r->last, sizeof(r->last), drain, wait_ms);
		if (n <= 0)
			return n;
		r->len = n;
		r->left = REPEATS;
	}
	if ((size_t)r->len > cap)
		return -EMSGSIZE;
	r->left--;
	memcpy(buf, r->last, (size_t)r->len);
	return r->len;
}

static const ic_channel dupe_channel = {.send = queue_send, .recv = dupe_recv, .open = dupe_open,
					.close = dupe_close};
static const ic_role_desc loop_roles[] = {{"p", ic_channel_producer, 1}, {"c", ic_channel_consumer, 1}, {0}};
static const ic_expect dupe_expect[] = {{"", "", "messages", 1, NULL, NULL, 0}, {0}};

static const ic_scenario scenario_dupe = {
	.name = "dupe",
	.summary = "a channel that delivers every message ten times",
	.roles = loop_roles,
	.points = points,
	.checkers = "messages,hang,crash,leaks",
	.default_ops = 500,
	.events_per_op = 2,
	.setup = queue_setup,
	.observe = ic_channel_drain,
	.teardown = queue_teardown,
	.channel = &dupe_channel,
	.expect = dupe_expect,
	.flags = IC_SC_MQUEUES,
};

/* ---- fulllog: a consumer of its own that logs every message ten times ---- */

/* Not the loops (they stop a flood): its event log fills up, and the run is judged on what it holds. */
static int fulllog_consumer(ic_ctx *ctx)
{
	unsigned char buf[IC_MSG_DEFAULT + 1];
	for (;;) {
		bool producing = ic_role_running(ctx, 0) > 0; /* read before receiving */
		long n = queue_recv(ctx, buf, sizeof(buf), false, 20);
		if (n <= 0 && !producing)
			return 0;
		if (n <= 0)
			continue;
		ic_msg_hdr h;
		int status = ic_msg_check(buf, (size_t)n, &h);
		for (int i = 0; i < REPEATS; i++) {
			ic_invoke(ctx, IC_OP_RECV, 0, 0);
			ic_ok(ctx, IC_OP_RECV, ic_msg_id(h.producer, h.seq), (uint64_t)n << 16 | (uint64_t)status);
		}
	}
}

static const ic_role_desc fulllog_roles[] = {{"p", ic_channel_producer, 1}, {"c", fulllog_consumer, 1}, {0}};
static const ic_expect fulllog_expect[] = {{"", "", "messages", 1, NULL, NULL, 0}, {0}};

static const ic_scenario scenario_fulllog = {
	.name = "fulllog",
	.summary = "a consumer that logs every message ten times (its log fills up)",
	.roles = fulllog_roles,
	.points = points,
	.checkers = "messages,hang,crash,leaks",
	.default_ops = 500,
	.events_per_op = 2,
	.setup = queue_setup,
	.observe = ic_channel_drain,
	.teardown = queue_teardown,
	.channel = &queue_channel,
	.expect = fulllog_expect,
	.flags = IC_SC_MQUEUES,
};

/* ---- spindrain: a drain that waits for what never comes ---- */

static int spin_drain(ic_ctx *ctx)
{
	shared *sh = ic_state(ctx);
	while (!sh->never) /* a ring's commit flag that a killed writer never set */
		ic_cpu_relax();
	return 0;
}

static const ic_expect spindrain_expect[] = {{"", "", "hang", 1, NULL, NULL, 0}, {0}};

static const ic_scenario scenario_spindrain = {
	.name = "spindrain",
	.summary = "a drain that spins for ever",
	.roles = loop_roles,
	.points = points,
	.checkers = "messages,hang,crash,leaks",
	.default_ops = 50,
	.events_per_op = 2,
	.setup = queue_setup,
	.observe = spin_drain,
	.teardown = queue_teardown,
	.channel = &queue_channel,
	.expect = spindrain_expect,
	.flags = IC_SC_MQUEUES,
};

/* ---- connect: a peer that refuses sends while it connects ---- */

typedef struct connection {
	pid_t pid;             /* whose: state opened after the fork is this process's own */
	struct timespec since; /* when the connection began */
	unsigned long refused;
} connection;

static int connect_open(ic_ctx *ctx)
{
	connection *c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->pid = getpid();
	clock_gettime(CLOCK_MONOTONIC, &c->since);
	ic_set_local(ctx, c);
	return 0;
}

static int connect_send(ic_ctx *ctx, const void *msg, size_t len, unsigned lane)
{
	connection *c = ic_local(ctx);
	if (c->pid != getpid())
		return EPROTO; /* another process's state: the bug per-process state prevents */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (now.tv_sec - c->since.tv_sec) * 1000 + (now.tv_nsec - c->since.tv_nsec) / 1000000;
	if (ms < CONNECT_MS) {
		c->refused++;
		return EAGAIN;
	}
	return queue_send(ctx, msg, len, lane);
}

static const ic_channel connect_channel = {.send = connect_send, .recv = queue_recv, .open = connect_open};

/* The loop, then a look at how hard it pushed while refused: a busy loop fails the role. */
static int connect_producer(ic_ctx *ctx)
{
	int rc = ic_producer_loop(ctx, &connect_channel);
	connection *c = ic_local(ctx);
	if (c && c->refused > CONNECT_MAX_CALLS) {
		fprintf(stderr, "connect: %lu sends while refused for %d ms\n", c->refused, CONNECT_MS);
		rc = 3;
	}
	free(c);
	return rc;
}

static int connect_consumer(ic_ctx *ctx)
{
	int rc = ic_consumer_loop(ctx, &connect_channel);
	free(ic_local(ctx));
	return rc;
}

static int connect_drain(ic_ctx *ctx)
{
	return ic_drain(ctx, &connect_channel);
}

static const ic_role_desc connect_roles[] = {{"p", connect_producer, 1}, {"c", connect_consumer, 1}, {0}};
static const ic_expect connect_expect[] = {{"", "delay", "pass", 3, NULL, NULL, 50}, {0}};

static const ic_scenario scenario_connect = {
	.name = "connect",
	.summary = "send answers EAGAIN while a per-process connection is made",
	.roles = connect_roles,
	.points = points,
	.role_points = loop_role_points,
	.checkers = "messages,hang,crash,leaks",
	.default_ops = 100,
	.events_per_op = 2,
	.setup = queue_setup,
	.observe = connect_drain,
	.teardown = queue_teardown,
	.channel = &connect_channel,
	.expect = connect_expect,
	.flags = IC_SC_MQUEUES,
};

/* ---- Broken contracts ---- */

static const ic_role_desc swapped_roles[] = {{"c", ic_channel_consumer, 1}, {"p", ic_channel_producer, 1}, {0}};
static const ic_scenario scenario_swapped = {
	.name = "swapped",
	.summary = "consumers as role 0 (refused)",
	.roles = swapped_roles,
	.points = points,
	.checkers = "messages,hang,crash,leaks",
	.default_ops = 10,
	.events_per_op = 2,
	.setup = queue_setup,
	.observe = ic_channel_drain,
	.teardown = queue_teardown,
	.channel = &queue_channel,
	.flags = IC_SC_MQUEUES,
};

static const char *const few_points[] = {"produce/begin", "produce/sent", NULL};
static const ic_scenario scenario_nopoints = {
	.name = "nopoints",
	.summary = "a channel whose .points lack the consumer loop's (refused)",
	.roles = loop_roles,
	.points = few_points,
	.checkers = "messages,hang,crash,leaks",
	.default_ops = 10,
	.events_per_op = 2,
	.setup = queue_setup,
	.observe = ic_channel_drain,
	.teardown = queue_teardown,
	.channel = &queue_channel,
	.flags = IC_SC_MQUEUES,
};

static int idle(ic_ctx *ctx) { (void)ctx; return 0; }
static int wrong_producer(ic_ctx *ctx) { return ic_producer_loop(ctx, &queue_channel); }
static const ic_role_desc wrongrole_roles[] = {{"c", idle, 1}, {"p", wrong_producer, 1}, {0}};
static const ic_scenario scenario_wrongrole = {
	.name = "wrongrole",
	.summary = "ic_producer_loop called from role 1 (the run is broken, and says why)",
	.roles = wrongrole_roles,
	.points = points,
	.checkers = "messages,hang,crash,leaks",
	.default_ops = 10,
	.events_per_op = 2,
	.setup = queue_setup,
	.observe = ic_channel_drain,
	.teardown = queue_teardown,
	.channel = &queue_channel,
	.flags = IC_SC_MQUEUES,
};

int main(int argc, char **argv)
{
	static const ic_scenario *const mine[] = {&scenario_async,   &scenario_dupe,     &scenario_fulllog,  &scenario_spindrain,
						  &scenario_connect, &scenario_swapped,  &scenario_nopoints,
						  &scenario_wrongrole, NULL};
	return ic_main(argc, argv, mine);
}
