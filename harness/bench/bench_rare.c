/*
 * bench_rare.c: `ipchaos bench rare`, the primer's pitfall 2 measured: when
 * messages are rare, does a shared segment pay for its set-up? Five ways to
 * pass one 64-byte message to a process that sleeps until it comes: (a) a
 * segment created, sized, mapped, first-touched, used once and unlinked per
 * message, woken by a semaphore; (b) a segment set up once, a semaphore wake
 * per message; (c) an mqueue; (d) a pipe; (e) a Unix datagram socket.
 *
 * Each pattern runs as one ic_run_one of a two-role wrapper scenario (the
 * harness forks, sweeps and times out as for any run): the first role
 * times set-ups of the pattern's objects (both ends, torn down again), then
 * the two play ping-pong, one message at a time. Costs are CPU time, both
 * processes' (CLOCK_THREAD_CPUTIME_ID: system time included, sleeping
 * excluded), so a rate's cost per second is computed, not waited for:
 * set-up / lifetime + rate x per-message.
 */
#include "bench/bench.h"
#include "core/args.h"
#include "core/escape.h"
#include "core/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#define RARE_MSG 64u
#define RARE_MAX_REPS 20

enum rare_pattern { SEG_PER_MSG, SEG_ONCE, MQUEUE, PIPE, DGRAM, NPATTERNS };

static const char *const pattern_key[NPATTERNS] = {"seg_per_msg", "seg_once", "mq", "pipe", "unix_dgram"};
static const char *const pattern_text[NPATTERNS] = {
	"(a) segment per message", "(b) segment once + sem", "(c) mqueue", "(d) pipe", "(e) unix dgram",
};
static const double rates[] = {1, 10, 100, 1000, 10000, 100000};
#define NRATES (sizeof(rates) / sizeof(rates[0]))

static const char help[] =
	"ipchaos bench rare: rare messages, when does shared memory pay?\n"
	"\n"
	"  --reps N          repetitions of every pattern, interleaved (default 3; --quick 1)\n"
	"  --time DUR        per pattern and repetition, set-ups and round trips each (default\n"
	"                    0.3; --quick 0.02)\n"
	"  --lifetime DUR    how long a channel lives, set up once (default 1s): the set-up's\n"
	"                    share of each second is set-up / lifetime\n"
	"  --quick           every pattern briefly (tests)\n"
	"  --csv FILE        a row per pattern\n"
	"  --json FILE       everything measured, with the break-even points\n"
	"\n"
	"One 64-byte message at a time to a process asleep until it comes (ping-pong, one\n"
	"process each way). (a) a segment created, sized, mapped, first-touched, used once and\n"
	"unlinked per message, a semaphore wake; (b) a segment set up once, a semaphore wake per\n"
	"message; (c) an mqueue; (d) a pipe; (e) a Unix datagram socket. Costs are CPU time of\n"
	"both processes; a rate's cost per second is set-up / lifetime + rate x per message.\n"
	"\n"
	"exit: 0 measured, 1 a pattern broke (a message lost or wrong), 2 bad usage, 3 the\n"
	"      harness failed, 130 interrupted\n";

/* ---- Shared between the bench and the two roles of one pattern's run ---- */

typedef struct rare_cell {
	int pattern;
	double time_s;
	/* Written by the roles. */
	double setup_cpu_ns; /* ping: CPU time of `setups` set-ups and teardowns */
	uint64_t setups;
	double cpu_ns[2];  /* each role's CPU time over the timed round trips */
	double wall_ns;    /* ping: wall time of the same */
	uint64_t trips;    /* timed round trips */
	char error[256];   /* what a role found wrong, else "" */
} rare_cell;

/* The pattern's objects, made by setup before the fork. */
typedef struct rare_ctl {
	sem_t ready[2];                                /* a message is there: [0] ping to pong, [1] back */
	_Alignas(64) unsigned char msg[2][RARE_MSG];   /* (b)'s messages */
} rare_ctl;

typedef struct rare_state {
	rare_ctl *ctl;          /* (a), (b) */
	char segment[2][80];    /* (a): each direction's segment, made and removed per message */
	char probe[80];         /* the objects the set-up timing makes and removes */
	int mq[2];              /* (c) */
	int pipe_fd[2][2];      /* (d) */
	int sock[2];            /* (e): ping's end, pong's end */
} rare_state;

static rare_cell *cell_of(ic_ctx *ctx)
{
	return (rare_cell *)(void *)ctx->cfg->bench;
}

static int rare_error(ic_ctx *ctx, const char *what, long detail)
{
	rare_cell *cell = cell_of(ctx);
	if (!cell->error[0])
		snprintf(cell->error, sizeof(cell->error), "%s %s: %s (%ld)", pattern_key[cell->pattern],
			 ic_role(ctx) ? "pong" : "ping", what, detail);
	return 1;
}

static double cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int rare_setup(ic_ctx *ctx)
{
	rare_cell *cell = cell_of(ctx);
	rare_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -1;
	st->mq[0] = st->mq[1] = st->sock[0] = st->sock[1] = -1;
	for (int d = 0; d < 2; d++)
		st->pipe_fd[d][0] = st->pipe_fd[d][1] = -1;
	ic_set_state(ctx, st);
	if (ic_object_name(ctx, "m.there", st->segment[0], sizeof(st->segment[0])) != 0 ||
	    ic_object_name(ctx, "m.back", st->segment[1], sizeof(st->segment[1])) != 0 ||
	    ic_object_name(ctx, "probe", st->probe, sizeof(st->probe)) != 0)
		return -1;
	switch (cell->pattern) {
	case SEG_PER_MSG:
	case SEG_ONCE:
		st->ctl = ic_shm_create(ctx, "ctl", sizeof(rare_ctl), O_CREAT | O_EXCL, 0600);
		if (!st->ctl)
			return -1;
		return sem_init(&st->ctl->ready[0], 1, 0) || sem_init(&st->ctl->ready[1], 1, 0) ? -1 : 0;
	case MQUEUE:
		st->mq[0] = ic_mq_open(ctx, "q.there", O_CREAT | O_EXCL | O_RDWR, 0600, 4, RARE_MSG);
		st->mq[1] = ic_mq_open(ctx, "q.back", O_CREAT | O_EXCL | O_RDWR, 0600, 4, RARE_MSG);
		return st->mq[0] < 0 || st->mq[1] < 0 ? -1 : 0;
	case PIPE:
		return pipe(st->pipe_fd[0]) || pipe(st->pipe_fd[1]) ? -1 : 0;
	default:
		return socketpair(AF_UNIX, SOCK_DGRAM, 0, st->sock);
	}
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void rare_teardown(ic_ctx *ctx)
{
	rare_state *st = ic_state(ctx);
	if (!st)
		return;
	if (st->ctl) {
		munmap(st->ctl, sizeof(rare_ctl));
		ic_shm_unlink(ctx, "ctl");
	}
	for (int d = 0; d < 2; d++) {
		if (st->mq[d] >= 0) {
			mq_close((mqd_t)st->mq[d]);
			ic_mq_unlink(ctx, d ? "q.back" : "q.there");
		}
		close_fd(&st->pipe_fd[d][0]);
		close_fd(&st->pipe_fd[d][1]);
		close_fd(&st->sock[d]);
	}
	free(st);
	ic_set_state(ctx, NULL);
}

/* ---- One set-up and teardown of the pattern's objects, both ends: 0 or an errno ---- */

static int setup_segment(const char *name, bool touch_sem)
{
	int rc = 0, fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600), peer = -1;
	void *mine = MAP_FAILED, *theirs = MAP_FAILED;
	if (fd < 0)
		return errno;
	if (ftruncate(fd, sizeof(rare_ctl)) != 0 ||
	    (mine = mmap(NULL, sizeof(rare_ctl), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		rc = errno;
		goto out;
	}
	if (touch_sem)
		sem_init(&((rare_ctl *)mine)->ready[0], 1, 0); /* the first touch: a page fault */
	else
		memset(mine, 0x5a, RARE_MSG);
	/* The peer's end: it opens and maps the same segment. */
	if ((peer = shm_open(name, O_RDWR, 0)) < 0 ||
	    (theirs = mmap(NULL, sizeof(rare_ctl), PROT_READ | PROT_WRITE, MAP_SHARED, peer, 0)) == MAP_FAILED)
		rc = errno;
	else
		__asm__ volatile("" : : "r"(*(volatile unsigned char *)theirs));
out:
	if (theirs != MAP_FAILED)
		munmap(theirs, sizeof(rare_ctl));
	if (mine != MAP_FAILED)
		munmap(mine, sizeof(rare_ctl));
	if (peer >= 0)
		close(peer);
	close(fd);
	shm_unlink(name);
	return rc;
}

static int setup_once(const rare_state *st, int pattern)
{
	int fd[2];
	switch (pattern) {
	case SEG_PER_MSG: /* its control segment is (b)'s: the wake needs one too */
	case SEG_ONCE:
		return setup_segment(st->probe, true);
	case MQUEUE: {
		struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = RARE_MSG};
		mqd_t q = mq_open(st->probe, O_CREAT | O_EXCL | O_RDWR, 0600, &attr), peer;
		if (q == (mqd_t)-1)
			return errno;
		int rc = (peer = mq_open(st->probe, O_RDWR)) == (mqd_t)-1 ? errno : 0;
		if (!rc)
			mq_close(peer);
		mq_close(q);
		mq_unlink(st->probe);
		return rc;
	}
	case PIPE:
		if (pipe(fd) != 0)
			return errno;
		break;
	default:
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, fd) != 0)
			return errno;
	}
	close(fd[0]);
	close(fd[1]);
	return 0;
}

/* ---- One message each way: 0 or an errno ---- */

static int sem_wait_retry(sem_t *s)
{
	while (sem_wait(s) != 0)
		if (errno != EINTR)
			return errno;
	return 0;
}

/* (a): the sender makes the segment, the receiver removes it. */
static int send_segment(const char *name, const unsigned char *msg)
{
	int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600), rc = 0;
	if (fd < 0)
		return errno;
	void *p = MAP_FAILED;
	if (ftruncate(fd, RARE_MSG) != 0 ||
	    (p = mmap(NULL, RARE_MSG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
		rc = errno;
	else
		memcpy(p, msg, RARE_MSG); /* the first touch */
	if (p != MAP_FAILED)
		munmap(p, RARE_MSG);
	close(fd);
	if (rc)
		shm_unlink(name);
	return rc;
}

static int recv_segment(const char *name, unsigned char *buf)
{
	int fd = shm_open(name, O_RDWR, 0), rc = 0;
	if (fd < 0)
		return errno;
	void *p = mmap(NULL, RARE_MSG, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		rc = errno;
	} else {
		memcpy(buf, p, RARE_MSG);
		munmap(p, RARE_MSG);
	}
	close(fd);
	shm_unlink(name);
	return rc;
}

static int rare_send(rare_state *st, int pattern, int dir, const unsigned char *msg)
{
	int rc = 0;
	switch (pattern) {
	case SEG_PER_MSG:
		if ((rc = send_segment(st->segment[dir], msg)) != 0)
			return rc;
		return sem_post(&st->ctl->ready[dir]) ? errno : 0;
	case SEG_ONCE:
		memcpy(st->ctl->msg[dir], msg, RARE_MSG);
		return sem_post(&st->ctl->ready[dir]) ? errno : 0;
	case MQUEUE:
		return mq_send((mqd_t)st->mq[dir], (const char *)msg, RARE_MSG, 0) ? errno : 0;
	case PIPE:
		return write(st->pipe_fd[dir][1], msg, RARE_MSG) == RARE_MSG ? 0 : errno ? errno : EIO;
	default:
		return send(st->sock[dir], msg, RARE_MSG, 0) == RARE_MSG ? 0 : errno ? errno : EIO;
	}
}

static int rare_recv(rare_state *st, int pattern, int dir, unsigned char *buf)
{
	int rc;
	ssize_t n;
	switch (pattern) {
	case SEG_PER_MSG:
		return (rc = sem_wait_retry(&st->ctl->ready[dir])) ? rc : recv_segment(st->segment[dir], buf);
	case SEG_ONCE:
		if ((rc = sem_wait_retry(&st->ctl->ready[dir])) == 0)
			memcpy(buf, st->ctl->msg[dir], RARE_MSG);
		return rc;
	case MQUEUE:
		while ((n = mq_receive((mqd_t)st->mq[dir], (char *)buf, RARE_MSG, NULL)) < 0 && errno == EINTR)
			;
		break;
	case PIPE:
		/* A pipe write of 64 bytes is atomic (PIPE_BUF), and so is its read. */
		while ((n = read(st->pipe_fd[dir][0], buf, RARE_MSG)) < 0 && errno == EINTR)
			;
		break;
	default:
		/* Ping's end is sock[0], pong's sock[1]: a datagram sent on one arrives at the other. */
		while ((n = recv(st->sock[!dir], buf, RARE_MSG, 0)) < 0 && errno == EINTR)
			;
	}
	return n == RARE_MSG ? 0 : n < 0 ? errno : EIO;
}

/* ---- The roles ---- */

#define WARMUP_TRIPS 16
#define MIN_TRIPS 8
#define LAST UINT64_MAX

static void put_seq(unsigned char *msg, uint64_t seq)
{
	memset(msg, 0x5a, RARE_MSG);
	memcpy(msg, &seq, sizeof(seq));
}

static uint64_t get_seq(const unsigned char *msg)
{
	uint64_t seq;
	memcpy(&seq, msg, sizeof(seq));
	return seq;
}

/* Set-ups for half the time, then round trips for the other: the ping side of both. */
static int rare_ping(ic_ctx *ctx)
{
	rare_cell *cell = cell_of(ctx);
	rare_state *st = ic_state(ctx);
	unsigned char out[RARE_MSG], in[RARE_MSG];
	uint64_t n = 0, end = ic_now_ns() + (uint64_t)(cell->time_s * 1e9);
	double c0 = cpu_ns();
	int rc;
	do {
		if ((rc = setup_once(st, cell->pattern)) != 0)
			return rare_error(ctx, "set-up failed", rc);
	} while (++n < 4 || ic_now_ns() < end);
	cell->setup_cpu_ns = cpu_ns() - c0;
	cell->setups = n;

	double w0 = 0;
	n = 0;
	for (uint64_t seq = 0;; seq++) {
		if (seq == WARMUP_TRIPS) {
			c0 = cpu_ns();
			w0 = (double)ic_now_ns();
			end = ic_now_ns() + (uint64_t)(cell->time_s * 1e9);
		}
		bool last = seq > WARMUP_TRIPS && n >= MIN_TRIPS && ic_now_ns() >= end;
		put_seq(out, last ? LAST : seq);
		if ((rc = rare_send(st, cell->pattern, 0, out)) != 0)
			return rare_error(ctx, "send failed", rc);
		if ((rc = rare_recv(st, cell->pattern, 1, in)) != 0)
			return rare_error(ctx, "receive failed", rc);
		if (get_seq(in) != get_seq(out))
			return rare_error(ctx, "the echo is not the message sent", (long)get_seq(in));
		if (last)
			break;
		n += seq >= WARMUP_TRIPS;
	}
	/* The last trip is timed too: n + 1 round trips since c0. */
	cell->cpu_ns[0] = cpu_ns() - c0;
	cell->wall_ns = (double)ic_now_ns() - w0;
	cell->trips = n + 1;
	return 0;
}

static int rare_pong(ic_ctx *ctx)
{
	rare_cell *cell = cell_of(ctx);
	rare_state *st = ic_state(ctx);
	unsigned char buf[RARE_MSG];
	double c0 = 0;
	for (uint64_t seq = 0;; seq++) {
		int rc = rare_recv(st, cell->pattern, 0, buf);
		if (rc != 0)
			return rare_error(ctx, "receive failed", rc);
		/* Ping starts its clocks after sending message WARMUP_TRIPS; the pong, on receiving it. */
		if (seq == WARMUP_TRIPS)
			c0 = cpu_ns();
		uint64_t got = get_seq(buf);
		if (got != seq && got != LAST)
			return rare_error(ctx, "out of sequence", (long)got);
		if ((rc = rare_send(st, cell->pattern, 1, buf)) != 0)
			return rare_error(ctx, "echo failed", rc);
		if (got == LAST)
			break;
	}
	cell->cpu_ns[1] = cpu_ns() - c0;
	return 0;
}

/* ---- The command ---- */

typedef struct rare_bench {
	unsigned reps;
	double time_s, lifetime_s;
	bool quick;
	const char *csv, *json;
	ic_outfile out[2];
	double setup[NPATTERNS][RARE_MAX_REPS], msg[NPATTERNS][RARE_MAX_REPS], oneway[NPATTERNS][RARE_MAX_REPS];
	unsigned n[NPATTERNS];
	double setup_ns[NPATTERNS], msg_ns[NPATTERNS], oneway_ns[NPATTERNS]; /* medians */
	char error[NPATTERNS][512];
} rare_bench;

static const ic_role_desc rare_roles[] = {
	{"p", rare_ping, 1},
	{"c", rare_pong, 1},
	{0},
};

static const ic_key rare_keys[] = {{0}};

static const ic_scenario rare_scenario = {
	.name = "bench-rare",
	.summary = "ipchaos bench rare: one pattern's set-ups and round trips",
	.keys = rare_keys,
	.roles = rare_roles,
	.checkers = "crash,leaks,hang",
	.default_ops = 1,
	.events_per_op = 1,
	.setup = rare_setup,
	.teardown = rare_teardown,
	.flags = IC_SC_MQUEUES,
};

/* One repetition of one pattern; false when interrupted. */
static bool run_pattern(rare_bench *b, rare_cell *shared, int p, int *code)
{
	ic_run_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.sc = &rare_scenario;
	cfg.nroles = 2;
	cfg.counts[0] = cfg.counts[1] = 1;
	cfg.nprocs = 2;
	cfg.ops = 1;
	cfg.timeout_s = 2 * b->time_s + 5;
	cfg.bench = (struct ic_bench_cell *)(void *)shared;
	memset(shared, 0, sizeof(*shared));
	shared->pattern = p;
	shared->time_s = b->time_s;
	ic_run_result *res = malloc(sizeof(*res));
	if (!res) {
		*code = IC_EXIT_BROKEN;
		snprintf(b->error[p], sizeof(b->error[p]), "out of memory");
		return true;
	}
	ic_run_one(&cfg, res);
	bool going = res->status != IC_RUN_INTERRUPTED;
	if (going && (res->status != IC_RUN_PASS || shared->error[0])) {
		const char *why = res->status == IC_RUN_BROKEN ? res->broken : res->nfindings ? res->findings[0].text : "";
		if (!b->error[p][0])
			snprintf(b->error[p], sizeof(b->error[p]), "%s%s%.*s", shared->error, shared->error[0] ? "; " : "",
				 (int)strcspn(why, "\n"), why);
		*code = res->status == IC_RUN_BROKEN && *code != IC_EXIT_FINDING ? IC_EXIT_BROKEN : IC_EXIT_FINDING;
	} else if (going && shared->trips && shared->setups && b->n[p] < RARE_MAX_REPS) {
		unsigned k = b->n[p]++;
		b->setup[p][k] = shared->setup_cpu_ns / (double)shared->setups;
		b->msg[p][k] = (shared->cpu_ns[0] + shared->cpu_ns[1]) / (2.0 * (double)shared->trips);
		b->oneway[p][k] = shared->wall_ns / (2.0 * (double)shared->trips);
	}
	free(res);
	return going;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
	double copy[RARE_MAX_REPS];
	if (n == 0)
		return 0;
	memcpy(copy, v, n * sizeof(*v));
	qsort(copy, n, sizeof(*copy), cmp_double);
	return n % 2 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
}

/* CPU seconds per second of pattern p at `rate` messages per second. */
static double cost_at(const rare_bench *b, int p, double rate)
{
	return (b->setup_ns[p] / b->lifetime_s + rate * b->msg_ns[p]) / 1e9;
}

static bool measured_ok(const rare_bench *b, int p)
{
	return !b->error[p][0] && b->n[p] > 0;
}

double ic_bench_rare_break_even(double setup_x, double msg_x, double setup_y, double msg_y, double lifetime_s)
{
	/* Equal where (setup_y - setup_x) / lifetime == rate x (msg_x - msg_y): one costs more to set up, less per message. */
	double ds = (setup_y - setup_x) / lifetime_s, dm = msg_x - msg_y;
	if (ds * dm <= 0)
		return 0;
	return ds / dm;
}

static double break_even(const rare_bench *b, int x, int y)
{
	return ic_bench_rare_break_even(b->setup_ns[x], b->msg_ns[x], b->setup_ns[y], b->msg_ns[y], b->lifetime_s);
}

static void fmt_ns(double ns, char *buf, size_t n)
{
	if (ns >= 1e6)
		snprintf(buf, n, "%.2f ms", ns / 1e6);
	else if (ns >= 1e3)
		snprintf(buf, n, ns >= 1e4 ? "%.0f us" : "%.1f us", ns / 1e3);
	else
		snprintf(buf, n, "%.0f ns", ns);
}

static void fmt_rate(double r, char *buf, size_t n)
{
	if (r >= 1e3)
		snprintf(buf, n, r >= 1e4 ? "%.0fk" : "%.1fk", r / 1e3);
	else
		snprintf(buf, n, r >= 10 ? "%.0f" : "%.1f", r);
}

/* "below N messages per second, X costs less than Y; above, Y does", or at every rate. */
static void print_break_even(FILE *out, const rare_bench *b, int x, int y)
{
	if (!measured_ok(b, x) || !measured_ok(b, y))
		return;
	double r = break_even(b, x, y);
	char n[32];
	if (r > 0) {
		fmt_rate(r, n, sizeof(n));
		int low = b->setup_ns[x] < b->setup_ns[y] ? x : y, high = low == x ? y : x;
		fprintf(out, "  below %s messages per second, %s costs less than %s; above, %s does\n", n,
			pattern_text[low] + 4, pattern_text[high] + 4, pattern_text[high] + 4);
	} else {
		int cheap = cost_at(b, x, 1) <= cost_at(b, y, 1) ? x : y;
		fprintf(out, "  %s costs less than %s at every rate (set-up and per message both)\n",
			pattern_text[cheap] + 4, pattern_text[cheap == x ? y : x] + 4);
	}
}

static void print_rare(FILE *out, const rare_bench *b)
{
	struct utsname u;
	uname(&u);
	fprintf(out, "ipchaos bench rare: one 64-byte message at a time to a process asleep until it comes;"
		     " %u rep%s x %g s per pattern, interleaved\n", b->reps, b->reps == 1 ? "" : "s", b->time_s);
	fprintf(out, "machine: Linux %s %s, %ld cores, %s\n", u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN),
#ifdef __OPTIMIZE__
		"optimized build"
#else
		"unoptimized build (Debug: build with -DCMAKE_BUILD_TYPE=Release to measure)"
#endif
	);
	fprintf(out, "\nrare messages: CPU time of both processes (median of %u); CPU time per second at a rate ="
		     " set-up / %g s lifetime + rate x per message\n", b->reps, b->lifetime_s);
	fprintf(out, "%-24s  %8s  %8s  %8s", "pattern", "set-up", "per msg", "one-way");
	for (unsigned i = 0; i < NRATES; i++) {
		char r[32], h[40];
		fmt_rate(rates[i], r, sizeof(r));
		snprintf(h, sizeof(h), "%s/s", r);
		fprintf(out, "  %8s", h);
	}
	fputc('\n', out);
	for (int p = 0; p < NPATTERNS; p++) {
		fprintf(out, "%-24s  ", pattern_text[p]);
		if (!measured_ok(b, p)) {
			fprintf(out, "FAIL: %s\n", b->error[p][0] ? b->error[p] : "nothing timed");
			continue;
		}
		char s[32], m[32], w[32];
		fmt_ns(b->setup_ns[p], s, sizeof(s));
		fmt_ns(b->msg_ns[p], m, sizeof(m));
		fmt_ns(b->oneway_ns[p], w, sizeof(w));
		fprintf(out, "%8s  %8s  %8s", s, m, w);
		for (unsigned i = 0; i < NRATES; i++) {
			char c[32];
			double cost = cost_at(b, p, rates[i]);
			/* More than a core: that rate is beyond one message at a time for this pair. */
			if (cost >= 1)
				snprintf(c, sizeof(c), "%.1f cores", cost);
			else
				fmt_ns(cost * 1e9, c, sizeof(c));
			fprintf(out, "  %8s", c);
		}
		fputc('\n', out);
	}
	fprintf(out, "%-24s  %8s  %8s  %8s", "cheapest", "", "", "");
	for (unsigned i = 0; i < NRATES; i++) {
		int best = -1;
		for (int p = 0; p < NPATTERNS; p++)
			if (measured_ok(b, p) && (best < 0 || cost_at(b, p, rates[i]) < cost_at(b, best, rates[i])))
				best = p;
		fprintf(out, "  %8.8s", best < 0 ? "-" : pattern_key[best]);
	}
	fprintf(out, "\n\nbreak-even (where two patterns cost the same per second):\n");
	print_break_even(out, b, MQUEUE, SEG_ONCE);
	print_break_even(out, b, PIPE, SEG_ONCE);
	print_break_even(out, b, DGRAM, SEG_ONCE);
	print_break_even(out, b, MQUEUE, SEG_PER_MSG);
	if (measured_ok(b, SEG_PER_MSG) && measured_ok(b, MQUEUE))
		fprintf(out, "  a segment per message costs %.1fx an mqueue's message, %.1fx a set-up-once segment's\n",
			b->msg_ns[SEG_PER_MSG] / b->msg_ns[MQUEUE],
			measured_ok(b, SEG_ONCE) ? b->msg_ns[SEG_PER_MSG] / b->msg_ns[SEG_ONCE] : 0);
	fprintf(out, "\nset-up: the objects made, opened by the peer, mapped and first-touched where they are memory,\n"
		     "then closed and removed: both ends, in one process. per msg: the CPU time of both processes per\n"
		     "message, waking the receiver included. one-way: half a round trip, wall time.\n");
}

static int write_csv(const rare_bench *b, FILE *f)
{
	fprintf(f, "pattern,status,reason,setup_ns,message_ns,one_way_ns,lifetime_s");
	for (unsigned i = 0; i < NRATES; i++)
		fprintf(f, ",cpu_s_per_s_at_%.0f", rates[i]);
	fputc('\n', f);
	for (int p = 0; p < NPATTERNS; p++) {
		bool ok = measured_ok(b, p);
		fprintf(f, "%s,%s,\"", pattern_key[p], ok ? "ok" : "fail");
		for (const char *c = ok ? "" : b->error[p]; *c; c++) {
			if (*c == '"')
				fputc('"', f);
			fputc(*c, f);
		}
		fputc('"', f);
		if (ok)
			fprintf(f, ",%.6g,%.6g,%.6g,%g", b->setup_ns[p], b->msg_ns[p], b->oneway_ns[p], b->lifetime_s);
		else
			fprintf(f, ",,,,%g", b->lifetime_s);
		for (unsigned i = 0; i < NRATES; i++)
			if (ok)
				fprintf(f, ",%.6g", cost_at(b, p, rates[i]));
			else
				fputc(',', f);
		fputc('\n', f);
	}
	int failed = ferror(f);
	return fclose(f) != 0 || failed ? -1 : 0;
}

static void json_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static int write_json(const rare_bench *b, FILE *f)
{
	fprintf(f, "{\"format\":\"ipchaos-bench-rare\",\"format_version\":1,\"config\":{\"reps\":%u,\"time_s\":%g,"
		   "\"lifetime_s\":%g,\"quick\":%s,\"message_bytes\":%u,\"rates\":[",
		b->reps, b->time_s, b->lifetime_s, b->quick ? "true" : "false", RARE_MSG);
	for (unsigned i = 0; i < NRATES; i++)
		fprintf(f, "%s%g", i ? "," : "", rates[i]);
	fprintf(f, "]},\"patterns\":[");
	for (int p = 0; p < NPATTERNS; p++) {
		bool ok = measured_ok(b, p);
		fprintf(f, "%s{\"pattern\":\"%s\",\"text\":", p ? "," : "", pattern_key[p]);
		json_text(f, pattern_text[p] + 4);
		fprintf(f, ",\"status\":\"%s\"", ok ? "ok" : "fail");
		if (!ok) {
			fprintf(f, ",\"reason\":");
			json_text(f, b->error[p]);
			fprintf(f, "}");
			continue;
		}
		fprintf(f, ",\"setup_ns\":%.6g,\"message_ns\":%.6g,\"one_way_ns\":%.6g,\"cpu_s_per_s\":[", b->setup_ns[p],
			b->msg_ns[p], b->oneway_ns[p]);
		for (unsigned i = 0; i < NRATES; i++)
			fprintf(f, "%s%.6g", i ? "," : "", cost_at(b, p, rates[i]));
		fprintf(f, "]}");
	}
	fprintf(f, "],\"break_even\":[");
	static const int pairs[][2] = {{MQUEUE, SEG_ONCE}, {PIPE, SEG_ONCE}, {DGRAM, SEG_ONCE}, {MQUEUE, SEG_PER_MSG}};
	bool first = true;
	for (unsigned i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		int x = pairs[i][0], y = pairs[i][1];
		if (!measured_ok(b, x) || !measured_ok(b, y))
			continue;
		double r = break_even(b, x, y);
		fprintf(f, "%s{\"a\":\"%s\",\"b\":\"%s\"", first ? "" : ",", pattern_key[x], pattern_key[y]);
		if (r > 0)
			fprintf(f, ",\"msgs_per_s\":%.6g,\"below\":\"%s\"}", r,
				pattern_key[b->setup_ns[x] < b->setup_ns[y] ? x : y]);
		else
			fprintf(f, ",\"cheaper_at_every_rate\":\"%s\"}",
				pattern_key[cost_at(b, x, 1) <= cost_at(b, y, 1) ? x : y]);
		first = false;
	}
	fprintf(f, "]}\n");
	int failed = ferror(f);
	return fclose(f) != 0 || failed ? -1 : 0;
}

static int configure(rare_bench *b, int argc, char **argv, char *err, size_t errsize)
{
	const char *reps = NULL, *time = NULL, *lifetime = NULL;
	bool missing = false;
	for (int i = 0; i < argc; i++) {
		const char *v;
		if ((v = ic_arg_opt("--reps", argc, argv, &i, &missing)))
			reps = v;
		else if ((v = ic_arg_opt("--time", argc, argv, &i, &missing)))
			time = v;
		else if ((v = ic_arg_opt("--lifetime", argc, argv, &i, &missing)))
			lifetime = v;
		else if (!missing && (v = ic_arg_opt("--csv", argc, argv, &i, &missing)))
			b->csv = v;
		else if (!missing && (v = ic_arg_opt("--json", argc, argv, &i, &missing)))
			b->json = v;
		else if (!missing && strcmp(argv[i], "--quick") == 0)
			b->quick = true;
		else if (!missing) {
			snprintf(err, errsize, "unknown argument '%s' (valid: --reps, --time, --lifetime, --quick, --csv, "
					       "--json; see ipchaos bench rare --help)", argv[i]);
			return -1;
		}
		if (missing) {
			snprintf(err, errsize, "%s needs a value", argv[i]);
			return -1;
		}
	}
	uint64_t n;
	b->reps = b->quick ? 1 : 3;
	b->time_s = b->quick ? 0.02 : 0.3;
	b->lifetime_s = 1;
	if (reps) {
		if (ic_parse_u64("--reps", reps, 1, RARE_MAX_REPS, &n, err, errsize) != 0)
			return -1;
		b->reps = (unsigned)n;
	}
	if (time && ic_parse_duration("--time", time, 0.001, 60, &b->time_s, err, errsize) != 0)
		return -1;
	if (lifetime && ic_parse_duration("--lifetime", lifetime, 0.001, 1e6, &b->lifetime_s, err, errsize) != 0)
		return -1;
	return ic_timeout_factor_check(err, errsize);
}

static int measure(rare_bench *b)
{
	int code = IC_EXIT_OK;
	rare_cell *shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		fprintf(stderr, "ipchaos bench rare: cannot map its shared record: %s\n", strerror(errno));
		return IC_EXIT_BROKEN;
	}
	bool tty = isatty(STDERR_FILENO);
	/* Repetition-major, as the main bench: drift hits every pattern alike. */
	for (unsigned r = 0; r < b->reps; r++)
		for (int p = 0; p < NPATTERNS; p++) {
			if (tty)
				fprintf(stderr, "\r\033[K[%u/%u] rep %u/%u  %s", r * NPATTERNS + p + 1, b->reps * NPATTERNS,
					r + 1, b->reps, pattern_text[p]);
			if (!run_pattern(b, shared, p, &code)) {
				code = IC_EXIT_INTERRUPTED;
				goto out;
			}
		}
out:
	if (tty)
		fprintf(stderr, "\r\033[K");
	munmap(shared, sizeof(*shared));
	for (int p = 0; p < NPATTERNS; p++) {
		b->setup_ns[p] = median(b->setup[p], b->n[p]);
		b->msg_ns[p] = median(b->msg[p], b->n[p]);
		b->oneway_ns[p] = median(b->oneway[p], b->n[p]);
	}
	return code;
}

int ic_bench_rare_main(int argc, char **argv)
{
	char err[1024];
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return IC_EXIT_OK;
		}
	rare_bench *b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "ipchaos bench rare: out of memory\n");
		return IC_EXIT_BROKEN;
	}
	int code = IC_EXIT_USAGE;
	b->out[0] = IC_OUTFILE("--csv");
	b->out[1] = IC_OUTFILE("--json");
	if (configure(b, argc, argv, err, sizeof(err)) != 0)
		goto bad;
	b->out[0].path = b->csv;
	b->out[1].path = b->json;
	if (ic_outfiles_open(b->out, 2, err, sizeof(err)) != 0)
		goto bad;
	ic_block_run_signals();
	unsigned swept = 0;
	ic_sweep_stale(true, NULL, &swept);
	if (swept)
		printf("swept %u object%s left by dead ipchaos runs (see ipchaos audit --stale)\n", swept,
		       swept == 1 ? "" : "s");
	code = measure(b);
	if (code == IC_EXIT_INTERRUPTED) {
		fprintf(stderr, "ipchaos bench rare: interrupted; nothing written\n");
		goto out;
	}
	print_rare(stdout, b);
	int (*writers[])(const rare_bench *, FILE *) = {write_csv, write_json};
	for (unsigned i = 0; i < 2; i++) {
		if (!b->out[i].path)
			continue;
		FILE *f = ic_outfile_stream(&b->out[i]);
		if (!f || writers[i](b, f) != 0) {
			ic_line(stderr, "ipchaos bench rare: writing %s failed: %s", b->out[i].path, strerror(errno));
			code = IC_EXIT_BROKEN;
		}
	}
	goto out;
bad:
	ic_line(stderr, "ipchaos bench rare: %s", err);
out:
	ic_outfiles_abandon(b->out, 2);
	free(b);
	return code;
}
