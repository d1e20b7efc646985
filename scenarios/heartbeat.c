/*
 * heartbeat: workers do jobs and publish heartbeats (via=shm: a timestamp in
 * shared memory; via=mq: a message on a queue); a monitor declares a worker
 * dead after `timeout` without a beat, fences it and restarts its unfinished
 * jobs. Proves that a killed worker is declared dead within timeout + one
 * period, that no live worker is declared dead (one stopped for less than
 * the timeout included), and that a worker declared dead while alive (stopped
 * for longer) does no job twice: jobs land in a ledger that refuses a
 * fenced worker. Timeouts and periods are scenario time (ic_now), so
 * controlled mode runs it on its virtual clock.
 * Every run has a fake wall clock that steps forward once, at a time drawn
 * from the seed: only bug=wall_clock reads it.
 * Checkers: liveness, dead-holder, hang, crash, leaks, perms.
 * Injectors: kill and stall (workers), delay, fail (via=mq: its calls).
 */
#include "ipchaos.h"

#include <stdio.h>
#include <string.h>

#define HB_MAX_WORKERS 16
#define HB_MQ_DEPTH 8                       /* within Debian's default fs.mqueue.msg_max (10) */
#define HB_WALL_STEP 3600000000000ull /* the fake wall clock's step: an hour forward */

enum hb_via { VIA_SHM, VIA_MQ };
enum hb_bug { BUG_NONE, BUG_NO_TIMEOUT, BUG_WALL_CLOCK, BUG_NO_FENCE };

typedef struct hb_worker {
	_Atomic uint64_t beat;  /* via=shm: its last beat, on the clock the variant reads */
	_Atomic uint64_t epoch; /* bumped (under the ledger lock) when it is declared dead */
	atomic_int finished;    /* all its jobs are done: nobody needs to watch it */
} hb_worker;

typedef struct hb_shared {
	int via, bug;
	unsigned nworkers;
	uint64_t ops;                   /* jobs per worker: worker w owns w, w + W, w + 2W, ... */
	uint64_t timeout, period, work; /* ns of scenario time; a job takes `work` */
	uint64_t t_init;                /* setup's time */
	uint64_t step_after;            /* the fake wall clock steps forward this long into the watch */
	_Atomic uint64_t watch_from;    /* the monitor's first round; 0 before */
	int mq;                         /* via=mq: the beats' queue (inherited) */
	ic_lock_t ledger;               /* robust: a worker may die holding it */
	hb_worker w[HB_MAX_WORKERS];
	uint32_t done[];                /* the ledger: how often each job was applied */
} hb_shared;

typedef struct hb_msg {
	uint32_t worker;
	uint32_t pad;
	uint64_t at;
} hb_msg;

static const char *const via_values[] = {"shm", "mq", NULL};
static const char *const bug_values[] = {"none", "no_timeout", "wall_clock", "no_fence", NULL};

static const char *duration_check(const char *value);

static const ic_key hb_keys[] = {
	{"via", via_values, "how beats travel: a timestamp in shared memory, or a message on a queue", NULL,
	 NULL},
	{"bug", bug_values,
	 "a planted defect, found by liveness: no_timeout (the monitor never declares anyone dead), "
	 "wall_clock (it measures on a wall clock, which steps: everyone is declared dead), no_fence "
	 "(a worker declared dead keeps working: its jobs are done twice)",
	 NULL, NULL},
	{"timeout", NULL, "silence after which a worker is dead (scenario time: 500us, 20ms, 1s)", "20ms",
	 duration_check},
	{"period", NULL, "how often workers beat and the monitor looks (scenario time)", "2ms", duration_check},
	{0},
};

static const char *const hb_points[] = {"hb/work/begin", "hb/work/done", "hb/beat", "hb/monitor/round",
					"hb/monitor/takeover", "call/mq_send", "call/mq_receive", NULL};
static const char *const hb_sites[] = {"hb/ledger", NULL};

static int index_of(const char *const *values, const char *v)
{
	for (int i = 0; values[i]; i++)
		if (strcmp(values[i], v) == 0)
			return i;
	return 0;
}

/* "500us", "20ms", "1s": ns, or 0 when it is none of those (or out of 100us..60s). */
static uint64_t duration_ns(const char *v)
{
	uint64_t n = 0;
	const char *p = v;
	for (; *p >= '0' && *p <= '9' && n < 1000000000ull; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (p == v)
		return 0;
	uint64_t unit = strcmp(p, "us") == 0 ? 1000ull : strcmp(p, "ms") == 0 ? 1000000ull
						     : strcmp(p, "s") == 0	    ? 1000000000ull
										    : 0;
	uint64_t ns = n * unit;
	return ns >= 100000ull && ns <= 60000000000ull ? ns : 0;
}

static const char *duration_check(const char *value)
{
	return duration_ns(value) ? NULL : "a duration from 100us to 60s: digits and us, ms or s (20ms)";
}

static const char *hb_validate(const ic_ctx *ctx, char *buf, size_t size)
{
	uint64_t timeout = duration_ns(ic_variant(ctx, "timeout"));
	uint64_t period = duration_ns(ic_variant(ctx, "period"));
	if (ic_role_count(ctx, 1) != 1)
		snprintf(buf, size, "heartbeat takes one monitor (--procs W:1), not %u", ic_role_count(ctx, 1));
	else if (ic_role_count(ctx, 0) > HB_MAX_WORKERS)
		snprintf(buf, size, "heartbeat takes at most %d workers, not %u", HB_MAX_WORKERS,
			 ic_role_count(ctx, 0));
	else if (timeout < 2 * period)
		snprintf(buf, size, "timeout=%s is under two periods (period=%s): a live worker would look dead",
			 ic_variant(ctx, "timeout"), ic_variant(ctx, "period"));
	else
		return NULL;
	return buf;
}

/* ---- Clocks ---- */

/* The fake wall clock: scenario time, plus an hour once the per-run step has happened. */
static uint64_t wall_of(hb_shared *sh, uint64_t now)
{
	uint64_t from = atomic_load(&sh->watch_from);
	return from && now >= from + sh->step_after ? now + HB_WALL_STEP : now;
}

/* The clock the variant measures beats and timeouts on. */
static uint64_t clock_of(hb_shared *sh, uint64_t now)
{
	return sh->bug == BUG_WALL_CLOCK ? wall_of(sh, now) : now;
}

/* ---- Setup ---- */

static size_t hb_size(uint64_t jobs)
{
	return sizeof(hb_shared) + jobs * sizeof(uint32_t);
}

static int hb_open_queue(ic_ctx *ctx, hb_shared *sh, int oflag)
{
	sh->mq = ic_mq_open(ctx, "beats", O_RDWR | O_NONBLOCK | oflag, 0600, HB_MQ_DEPTH, sizeof(hb_msg));
	return sh->mq < 0 ? -1 : 0;
}

static void hb_config(ic_ctx *ctx, hb_shared *sh)
{
	sh->via = index_of(via_values, ic_variant(ctx, "via"));
	sh->bug = index_of(bug_values, ic_variant(ctx, "bug"));
	sh->nworkers = ic_role_count(ctx, 0);
	sh->ops = ic_ops(ctx);
	sh->timeout = duration_ns(ic_variant(ctx, "timeout"));
	sh->period = duration_ns(ic_variant(ctx, "period"));
	sh->work = sh->period / 4;
	sh->t_init = ic_now(ctx);
	/* The step lands while the workers work: after two periods, before half their jobs. */
	uint64_t span = sh->ops * sh->work / 2;
	sh->step_after = 2 * sh->period + (span ? ic_rand(ctx) % span : 0);
	atomic_init(&sh->watch_from, 0);
}

static int hb_setup(ic_ctx *ctx)
{
	uint64_t jobs = ic_ops(ctx) * ic_role_count(ctx, 0);
	hb_shared *sh = ic_shm_create(ctx, "heartbeat", hb_size(jobs), O_CREAT | O_EXCL, 0600);
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	hb_config(ctx, sh);
	sh->mq = -1;
	for (unsigned w = 0; w < sh->nworkers; w++)
		atomic_init(&sh->w[w].beat, clock_of(sh, sh->t_init));
	if (ic_lock_init(ctx, &sh->ledger, IC_LOCK_ROBUST, "hb/ledger") != 0)
		return -1;
	if (sh->via == VIA_MQ && hb_open_queue(ctx, sh, O_CREAT | O_EXCL) != 0)
		return -1;
	/* What the liveness checker judges by, in the log: it never sees this struct. */
	ic_info(ctx, IC_OP_HB_CONFIG, sh->timeout, sh->period);
	ic_info(ctx, IC_OP_HB_START, sh->t_init, jobs);
	return 0;
}

static int hb_attach(ic_ctx *ctx)
{
	hb_shared *sh = ic_shm_attach(ctx, "heartbeat");
	if (!sh)
		return -1;
	ic_set_state(ctx, sh);
	return sh->via == VIA_MQ ? hb_open_queue(ctx, sh, 0) : 0;
}

static void hb_teardown(ic_ctx *ctx)
{
	hb_shared *sh = ic_state(ctx);
	if (!sh)
		return;
	if (sh->mq >= 0) {
		close(sh->mq);
		ic_mq_unlink(ctx, "beats");
	}
	munmap(sh, hb_size(sh->ops * sh->nworkers));
	ic_set_state(ctx, NULL);
	ic_shm_unlink(ctx, "heartbeat");
}

/* ---- The ledger: where a job's effect lands, once ---- */

enum { APPLIED, FENCED, ALREADY };

/* A worker's job: refused once the worker was declared dead (its epoch moved), unless no_fence. */
static int ledger_apply(ic_ctx *ctx, hb_shared *sh, uint64_t job, unsigned w, uint64_t epoch)
{
	if (ic_lock(ctx, &sh->ledger) < 0)
		return FENCED;
	int rc = APPLIED;
	if (sh->bug != BUG_NO_FENCE && atomic_load(&sh->w[w].epoch) != epoch)
		rc = FENCED;
	else
		sh->done[job]++;
	ic_unlock(ctx, &sh->ledger);
	return rc;
}

/* The monitor's restart of a job: only if nobody applied it yet. */
static int ledger_take_over(ic_ctx *ctx, hb_shared *sh, uint64_t job)
{
	if (ic_lock(ctx, &sh->ledger) < 0)
		return ALREADY;
	int rc = sh->done[job] ? ALREADY : APPLIED;
	if (rc == APPLIED)
		sh->done[job]++;
	ic_unlock(ctx, &sh->ledger);
	return rc;
}

/* ---- Workers ---- */

/* Publishes a beat, then logs it with its scenario time: a beat counts once it is visible. */
static void hb_beat(ic_ctx *ctx, hb_shared *sh, unsigned w)
{
	uint64_t now = ic_now(ctx);
	uint64_t at = clock_of(sh, now);
	if (sh->via == VIA_SHM) {
		atomic_store_explicit(&sh->w[w].beat, at, memory_order_seq_cst);
	} else {
		hb_msg m = {w, 0, at};
		struct timespec now_ts = ic_deadline(0); /* non-blocking: never waited for, but not NULL */
		int rc;
		while ((rc = ic_mq_timedsend(ctx, sh->mq, (const char *)&m, sizeof(m), 0, &now_ts)) != 0 &&
		       (errno == EINTR || errno == ETIMEDOUT))
			;
		if (rc != 0)
			return; /* full (the monitor is late): this beat is lost, and not logged */
	}
	ic_info(ctx, IC_OP_HB_BEAT, w, now);
}

static int hb_worker_role(ic_ctx *ctx)
{
	hb_shared *sh = ic_state(ctx);
	unsigned w = ic_index(ctx);
	uint64_t epoch = 0; /* as setup made it: a worker declared dead before it began is fenced too */
	hb_beat(ctx, sh, w); /* first: the log knows which worker this process is */
	uint64_t last = ic_now(ctx);
	for (uint64_t k = 0; k < sh->ops; k++) {
		uint64_t job = w + k * sh->nworkers;
		ic_point(ctx, "hb/work/begin");
		if (ic_now(ctx) - last >= sh->period) {
			ic_point(ctx, "hb/beat");
			hb_beat(ctx, sh, w);
			last = ic_now(ctx);
		}
		ic_invoke(ctx, IC_OP_HB_WORK, job, 0);
		ic_sleep(ctx, sh->work);
		ic_point(ctx, "hb/work/done");
		if (ledger_apply(ctx, sh, job, w, epoch) == FENCED) {
			ic_fail(ctx, IC_OP_HB_WORK, ESTALE, job);
			return 0; /* declared dead: the monitor has its jobs now */
		}
		ic_ok(ctx, IC_OP_HB_WORK, job, 0);
	}
	atomic_store(&sh->w[w].finished, 1);
	return 0;
}

/* ---- The monitor ---- */

typedef struct hb_watch {
	uint64_t since;                /* when it began to watch, on the variant's clock */
	uint64_t seen[HB_MAX_WORKERS]; /* via=mq: the newest beat received, per worker */
	bool dead[HB_MAX_WORKERS];     /* declared: its late beats are ignored */
} hb_watch;

/* via=mq: every beat waiting in the queue (transient failures retried: a beat left behind
 * would make a live worker look dead). */
static void hb_drain(ic_ctx *ctx, hb_shared *sh, hb_watch *mw)
{
	hb_msg m;
	struct timespec now_ts = ic_deadline(0); /* non-blocking: never waited for, but not NULL */
	for (;;) {
		ssize_t n = ic_mq_timedreceive(ctx, sh->mq, (char *)&m, sizeof(m), NULL, &now_ts);
		if (n < 0 && (errno == EINTR || errno == ETIMEDOUT))
			continue;
		if (n != (ssize_t)sizeof(m))
			return;
		if (m.worker < sh->nworkers && !mw->dead[m.worker] && m.at > mw->seen[m.worker])
			mw->seen[m.worker] = m.at;
	}
}

/* Its newest beat; a worker that has not beaten yet gets a timeout from the start of the watch. */
static uint64_t last_beat(ic_ctx *ctx, hb_shared *sh, hb_watch *mw, unsigned w)
{
	uint64_t beat;
	if (sh->via == VIA_SHM) {
		beat = atomic_load_explicit(&sh->w[w].beat, memory_order_seq_cst);
	} else {
		hb_drain(ctx, sh, mw);
		beat = mw->seen[w];
	}
	return beat > mw->since ? beat : mw->since;
}

/* Silent for the timeout, on the variant's clock, at scenario time `now`? */
static bool silent(ic_ctx *ctx, hb_shared *sh, hb_watch *mw, unsigned w, uint64_t now)
{
	uint64_t beat = last_beat(ctx, sh, mw, w);
	uint64_t clock = clock_of(sh, now);
	return sh->bug != BUG_NO_TIMEOUT && clock >= beat && clock - beat >= sh->timeout;
}

static void take_over(ic_ctx *ctx, hb_shared *sh, unsigned w)
{
	for (uint64_t k = 0; k < sh->ops; k++) {
		uint64_t job = w + k * sh->nworkers;
		ic_point(ctx, "hb/monitor/takeover");
		ic_invoke(ctx, IC_OP_HB_WORK, job, 1);
		if (ledger_take_over(ctx, sh, job) == APPLIED)
			ic_ok(ctx, IC_OP_HB_WORK, job, 1);
		else
			ic_fail(ctx, IC_OP_HB_WORK, EALREADY, job);
	}
}

/*
 * Looked silent: look again inside a logged operation, so the checker can
 * tell which beats were visible when the verdict was taken; then fence the
 * worker (its epoch moves under the ledger lock) and restart its jobs.
 */
static void declare(ic_ctx *ctx, hb_shared *sh, hb_watch *mw, unsigned w, uint64_t round)
{
	ic_invoke(ctx, IC_OP_HB_DECLARE, w, round);
	uint64_t now = ic_now(ctx);
	if (!silent(ctx, sh, mw, w, now)) {
		ic_fail(ctx, IC_OP_HB_DECLARE, 0, w);
		return;
	}
	if (ic_lock(ctx, &sh->ledger) >= 0) {
		atomic_fetch_add(&sh->w[w].epoch, 1);
		ic_unlock(ctx, &sh->ledger);
	}
	mw->dead[w] = true;
	ic_ok(ctx, IC_OP_HB_DECLARE, w, now);
	take_over(ctx, sh, w);
}

/* One look at every worker still watched; true when none is left to watch. */
static bool hb_round(ic_ctx *ctx, hb_shared *sh, hb_watch *mw, uint64_t round)
{
	bool watching = false;
	for (unsigned w = 0; w < sh->nworkers; w++) {
		if (mw->dead[w] || atomic_load(&sh->w[w].finished))
			continue;
		if (silent(ctx, sh, mw, w, ic_now(ctx)))
			declare(ctx, sh, mw, w, round);
		watching |= !mw->dead[w];
	}
	return !watching;
}

static int hb_monitor_role(ic_ctx *ctx)
{
	hb_shared *sh = ic_state(ctx);
	hb_watch mw = {0};
	uint64_t planned = ic_now(ctx), start = 0, quiet_since = 0;
	atomic_store(&sh->watch_from, planned);
	mw.since = clock_of(sh, planned);
	ic_info(ctx, IC_OP_HB_WATCH, planned, sh->period);
	for (;;) {
		ic_point(ctx, "hb/monitor/round");
		start = ic_now(ctx);
		if (start - planned > sh->period / 4) {
			/* Late (stalled, or not scheduled): said, so the checker allows for it. */
			ic_info(ctx, IC_OP_HB_LATE, planned, start);
			planned += (start - planned) / sh->period * sh->period;
		}
		if (hb_round(ctx, sh, &mw, start))
			break;
		/* Workers that died unseen (bug=no_timeout): watch a timeout more, then stop. */
		if (ic_role_running(ctx, 0) == 0) {
			if (!quiet_since)
				quiet_since = start;
			else if (start - quiet_since >= sh->timeout + 2 * sh->period)
				break;
		}
		planned += sh->period;
		uint64_t now = ic_now(ctx);
		if (planned > now)
			ic_sleep(ctx, planned - now);
	}
	ic_info(ctx, IC_OP_HB_STOP, start, 0);
	return 0;
}

static const ic_role_desc hb_roles[] = {
	{"w", hb_worker_role, 2},
	{"m", hb_monitor_role, 1},
	{0},
};

static const ic_expect hb_expect[] = {
	/* Kills and stalls land on workers (their points); a stall under timeout - 2 periods. */
	{"via=shm", "delay;kill:at=hb/work/*", "pass", 30, NULL, NULL, 0},
	{"via=shm", "stall:at=hb/work/*,max=15", "pass", 30, NULL, NULL, 0},
	{"via=shm", "stall:at=hb/work/*,max=200", "pass", 20, NULL, NULL, 0},
	{"via=mq", "delay;kill:at=hb/work/*", "pass", 30, NULL, NULL, 0},
	{"via=mq", "stall:at=hb/work/*,max=200;fail", "pass", 20, NULL, NULL, 0},
	{"via=shm,bug=no_timeout", "kill:at=hb/work/*", "liveness", 5, NULL, NULL, 0},
	{"via=shm,bug=wall_clock", "", "liveness", 10, NULL, NULL, 0},
	{"via=mq,bug=wall_clock", "", "liveness", 10, NULL, NULL, 0},
	{"via=shm,bug=no_fence", "stall:at=hb/work/*,max=200", "liveness", 10, NULL, NULL, 0},
	/* Controlled mode: on the virtual clock, a seed is one exact schedule. */
	{"via=shm", "kill:at=hb/work/*", "pass", 30, NULL, "controlled", 0},
	{"via=shm", "stall:at=hb/work/*,max=15", "pass", 30, NULL, "controlled", 0},
	{"via=mq", "stall:at=hb/work/*,max=200;kill:at=hb/work/*", "pass", 30, NULL, "controlled", 0},
	{"via=shm,bug=no_timeout", "kill:at=hb/work/*", "liveness", 5, NULL, "controlled", 0},
	{"via=shm,bug=wall_clock", "", "liveness", 10, NULL, "controlled", 0},
	{"via=shm,bug=no_fence", "stall:at=hb/work/*,max=200", "liveness", 10, NULL, "controlled", 0},
	{0},
};

const ic_scenario ic_scenario_heartbeat = {
	.name = "heartbeat",
	.summary = "a monitor declares workers dead after a timeout without heartbeats, and fences them",
	.keys = hb_keys,
	.roles = hb_roles,
	.points = hb_points,
	.lock_sites = hb_sites,
	.checkers = "liveness,dead-holder,hang,crash,leaks,perms",
	.default_ops = 60,
	.events_per_op = 8,
	.setup = hb_setup,
	.attach = hb_attach,
	.teardown = hb_teardown,
	.expect = hb_expect,
	.validate = hb_validate,
};
