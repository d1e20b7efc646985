/*
 * pool.c: --jobs. Workers are forked once, before any job, and run one job at
 * a time: a configuration in through a pipe, the result back through another.
 * Both are plain data whose pointers (scenario, injector, checker names) point
 * into the binary, so they mean the same in every process of it.
 */
#include "campaign/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct job {
	uint64_t id;
	ic_run_cfg cfg;
	int worker; /* running on it; -1: not started */
	bool done;
	size_t got; /* bytes of res read so far */
	ic_run_result res;
} job;

typedef struct worker {
	pid_t pid;
	int req, resp; /* our ends: jobs out, results in */
	job *busy;
} worker;

struct ic_pool {
	unsigned nworkers; /* 0: jobs run inline */
	worker *w;
	job **q; /* pending jobs in submission order */
	unsigned nq, cap;
	uint64_t next_id;
	bool interrupted; /* SIGINT/SIGTERM reached us and went on to the workers */
};

static int write_full(int fd, const void *buf, size_t len)
{
	for (const char *p = buf; len > 0;) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	for (char *p = buf; len > 0;) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

/*
 * A cancel is IC_CANCEL_SIG queued with the id of the job it is for. It is
 * queued before the parent reads that job's result, so one meant for a job
 * that ended is already pending when the next job arrives: dropped here.
 */
static void drop_stale_cancels(uint64_t job_id)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, IC_CANCEL_SIG);
	siginfo_t si;
	struct timespec zero = {0, 0};
	bool mine = false;
	while (sigtimedwait(&set, &si, &zero) > 0)
		mine |= (uint64_t)(uintptr_t)si.si_value.sival_ptr == job_id;
	if (mine)
		raise(IC_CANCEL_SIG); /* blocked: pending again, for the run to see */
}

static _Noreturn void worker_main(pid_t parent, int req, int resp)
{
	/* Our runs clean up and we end with our parent (SIGTERM is blocked: a run sees it). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGPIPE, SIG_IGN); /* a parent gone is EPIPE: we just end */
	ic_run_cfg *cfg = malloc(sizeof(*cfg));
	ic_run_result *res = malloc(sizeof(*res));
	uint64_t job_id;
	while (cfg && res && getppid() == parent && read_full(req, &job_id, sizeof(job_id)) == 0 &&
	       read_full(req, cfg, sizeof(*cfg)) == 0) {
		drop_stale_cancels(job_id);
		ic_run_one(cfg, res);
		if (write_full(resp, res, sizeof(*res)) != 0)
			break;
	}
	_exit(0);
}

static void close_worker_fds(worker *w)
{
	if (w->req >= 0)
		close(w->req);
	if (w->resp >= 0)
		close(w->resp);
	w->req = w->resp = -1;
}

static int start_worker(ic_pool *p, unsigned i)
{
	int req[2], resp[2];
	if (pipe2(req, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(resp, O_CLOEXEC) != 0) {
		close(req[0]), close(req[1]);
		return -1;
	}
	fflush(NULL); /* the worker must not write our buffered output again */
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		for (unsigned k = 0; k < p->nworkers; k++)
			close_worker_fds(&p->w[k]);
		close(req[1]), close(resp[0]);
		worker_main(parent, req[0], resp[1]);
	}
	close(req[0]), close(resp[1]);
	if (pid < 0) {
		close(req[1]), close(resp[0]);
		return -1;
	}
	p->w[i] = (worker){.pid = pid, .req = req[1], .resp = resp[0], .busy = NULL};
	return 0;
}

static void stop_worker(worker *w)
{
	close_worker_fds(w); /* EOF: it ends after its current run */
	if (w->pid > 0)
		waitpid(w->pid, NULL, 0);
	w->pid = 0;
}

ic_pool *ic_pool_open(unsigned jobs)
{
	ic_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (jobs <= 1)
		return p;
	p->w = calloc(jobs, sizeof(*p->w));
	if (!p->w) {
		free(p);
		return NULL;
	}
	for (unsigned i = 0; i < jobs; i++)
		p->w[i] = (worker){.pid = 0, .req = -1, .resp = -1, .busy = NULL};
	for (p->nworkers = 0; p->nworkers < jobs; p->nworkers++)
		if (start_worker(p, p->nworkers) != 0) {
			int e = errno;
			ic_pool_close(p);
			errno = e;
			return NULL;
		}
	return p;
}

void ic_pool_close(ic_pool *p)
{
	if (!p)
		return;
	ic_pool_cancel(p);
	for (unsigned i = 0; i < p->nworkers; i++)
		stop_worker(&p->w[i]);
	free(p->w);
	free(p->q);
	free(p);
}

uint64_t ic_pool_submit(ic_pool *p, const ic_run_cfg *cfg)
{
	uint64_t id = ++p->next_id;
	job *j = malloc(sizeof(*j));
	if (p->nq == p->cap) {
		unsigned cap = p->cap ? 2 * p->cap : 8;
		job **q = realloc(p->q, cap * sizeof(*q));
		if (q)
			p->q = q, p->cap = cap;
	}
	if (!j || p->nq == p->cap) {
		free(j);
		return 0; /* waiting for id 0 reports the failure */
	}
	*j = (job){.id = id, .cfg = *cfg, .worker = -1, .done = false, .got = 0};
	p->q[p->nq++] = j;
	return id;
}

unsigned ic_pool_pending(const ic_pool *p)
{
	return p->nq;
}

static void set_broken(ic_run_result *res, const char *why)
{
	memset(res, 0, sizeof(*res));
	res->status = IC_RUN_BROKEN;
	snprintf(res->broken, sizeof(res->broken), "%s", why);
}

static void set_interrupted(ic_run_result *res)
{
	memset(res, 0, sizeof(*res));
	res->status = IC_RUN_INTERRUPTED;
}

/* A worker that died leaves a pipe without reader: that is EPIPE here, never our death. */
static int send_job(int fd, const job *j)
{
	sigset_t pipe_sig, old;
	sigemptyset(&pipe_sig);
	sigaddset(&pipe_sig, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_sig, &old);
	int r = write_full(fd, &j->id, sizeof(j->id));
	if (r == 0)
		r = write_full(fd, &j->cfg, sizeof(j->cfg));
	if (r != 0 && errno == EPIPE) {
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe_sig, NULL, &zero);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

static void lost_worker(ic_pool *p, unsigned i);

/* The first job not started, or NULL. */
static job *next_queued(const ic_pool *p)
{
	for (unsigned k = 0; k < p->nq; k++)
		if (p->q[k]->worker < 0 && !p->q[k]->done)
			return p->q[k];
	return NULL;
}

/* Idle workers take queued jobs in order; none start once we are interrupted. */
static void dispatch(ic_pool *p)
{
	for (unsigned i = 0; i < p->nworkers && !p->interrupted; i++) {
		worker *w = &p->w[i];
		job *j = next_queued(p);
		if (!j)
			return;
		if (w->busy || w->pid <= 0)
			continue;
		if (send_job(w->req, j) != 0) {
			lost_worker(p, i); /* it died idle: a fresh one takes its place */
			continue;
		}
		j->worker = (int)i;
		w->busy = j;
	}
}

/* A worker ended mid-job: the job is broken, a fresh worker takes its place. */
static void lost_worker(ic_pool *p, unsigned i)
{
	worker *w = &p->w[i];
	int status = 0;
	close_worker_fds(w);
	waitpid(w->pid, &status, 0);
	if (w->busy) {
		char why[128];
		snprintf(why, sizeof(why), "the worker process running this seed %s %d",
			 WIFSIGNALED(status) ? "was killed by signal" : "exited with status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		set_broken(&w->busy->res, why);
		w->busy->done = true;
		w->busy = NULL;
	}
	w->pid = 0;
	if (start_worker(p, i) != 0)
		w->pid = 0; /* the remaining workers carry on */
}

static void read_result(ic_pool *p, unsigned i)
{
	worker *w = &p->w[i];
	job *j = w->busy;
	ssize_t n = read(w->resp, (char *)&j->res + j->got, sizeof(j->res) - j->got);
	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		lost_worker(p, i);
		return;
	}
	j->got += (size_t)n;
	if (j->got == sizeof(j->res)) {
		j->done = true;
		w->busy = NULL;
	}
}

static void forward_interrupt(ic_pool *p)
{
	sigset_t pending;
	sigpending(&pending);
	int sig = sigismember(&pending, SIGINT) ? SIGINT : sigismember(&pending, SIGTERM) ? SIGTERM : 0;
	if (!sig || p->interrupted)
		return;
	p->interrupted = true;
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].pid > 0)
			kill(p->w[i].pid, sig);
}

/* Waits a little for results; false when no worker is left to wait for. */
static bool pump(ic_pool *p)
{
	if (p->nworkers == 0)
		return false;
	struct pollfd fds[p->nworkers];
	unsigned who[p->nworkers], n = 0;
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].busy) {
			fds[n] = (struct pollfd){.fd = p->w[i].resp, .events = POLLIN, .revents = 0};
			who[n++] = i;
		}
	if (n == 0)
		return false;
	int ready = poll(fds, n, 20);
	forward_interrupt(p);
	for (unsigned k = 0; ready > 0 && k < n; k++)
		if (fds[k].revents)
			read_result(p, who[k]);
	return true;
}

static unsigned find(const ic_pool *p, uint64_t id)
{
	unsigned k = 0;
	while (k < p->nq && p->q[k]->id != id)
		k++;
	return k;
}

static void drop(ic_pool *p, unsigned k)
{
	free(p->q[k]);
	memmove(&p->q[k], &p->q[k + 1], (p->nq - k - 1) * sizeof(*p->q));
	p->nq--;
}

void ic_pool_wait(ic_pool *p, uint64_t id, ic_run_result *res)
{
	unsigned k = find(p, id);
	if (k == p->nq) {
		set_broken(res, "out of memory queueing this run");
		return;
	}
	job *j = p->q[k];
	if (p->nworkers == 0) {
		ic_run_one(&j->cfg, res);
		drop(p, k);
		return;
	}
	while (!j->done && !(p->interrupted && j->worker < 0)) {
		dispatch(p);
		if (!pump(p) && j->worker < 0) {
			set_broken(&j->res, "no worker process is left to run this seed");
			j->done = true;
		}
	}
	if (j->done)
		*res = j->res;
	else
		set_interrupted(res);
	drop(p, find(p, id));
}

void ic_pool_cancel(ic_pool *p)
{
	for (unsigned i = 0; i < p->nworkers; i++)
		if (p->w[i].busy)
			sigqueue(p->w[i].pid, IC_CANCEL_SIG,
				 (union sigval){.sival_ptr = (void *)(uintptr_t)p->w[i].busy->id});
	while (pump(p))
		;
	while (p->nq > 0)
		drop(p, p->nq - 1);
}
