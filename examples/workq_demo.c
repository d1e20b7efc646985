/*
 * workq_demo: the queue as production code uses it, built with
 * -DIPCHAOS_DISABLE and without libipchaos: the ic_lock calls are plain
 * process-shared mutex calls, ic_shm_create is shm_open + mmap, the points
 * are gone. Two producers push 1..N each, two consumers add what they pop;
 * the sum must come out right.
 */
#include "workq.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PRODUCERS 2
#define CONSUMERS 2
#define JOBS 20000

typedef struct demo {
	workq q;
	atomic_int producing;
	atomic_uint_fast64_t sum;
} demo;

static int produce(demo *d)
{
	for (uint64_t job = 1; job <= JOBS; job++) {
		int rc;
		ic_backoff wait = {.yields = 100, .sleep_us = 50};
		while ((rc = wq_push(NULL, &d->q, job)) == EAGAIN)
			ic_backoff_wait(NULL, &wait, 0);
		if (rc != 0)
			return 1;
	}
	atomic_fetch_sub(&d->producing, 1);
	return 0;
}

static int consume(demo *d)
{
	for (ic_backoff wait = {.yields = 100, .sleep_us = 50};;) {
		bool producing = atomic_load(&d->producing) > 0;
		uint64_t job;
		int rc = wq_pop(NULL, &d->q, &job);
		if (rc == 0)
			atomic_fetch_add(&d->sum, job);
		else if (rc != EAGAIN)
			return 1;
		else if (!producing)
			return 0;
		else
			ic_backoff_wait(NULL, &wait, 0);
	}
}

static int run(demo *d)
{
	int failed = 0;
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(i < PRODUCERS ? produce(d) : consume(d));
		failed |= pid < 0;
	}
	int status;
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	return failed;
}

int main(void)
{
	char object[64];
	snprintf(object, sizeof(object), "workq-demo.%ld", (long)getpid());
	demo *d = ic_shm_create(NULL, object, sizeof(demo), O_CREAT | O_EXCL, 0600);
	if (!d) {
		perror("workq_demo: shm");
		return 1;
	}
	ic_shm_unlink(NULL, object); /* mapped already: nothing to leave behind */
	int failed = wq_init(NULL, &d->q, false) != 0;
	atomic_init(&d->producing, PRODUCERS);
	atomic_init(&d->sum, 0);
	failed = failed || run(d);
	uint64_t want = (uint64_t)PRODUCERS * JOBS * (JOBS + 1) / 2, got = atomic_load(&d->sum);
	printf("workq_demo: %d producers x %d jobs, sum %llu (expected %llu)\n", PRODUCERS, JOBS,
	       (unsigned long long)got, (unsigned long long)want);
	failed = failed || got != want;
	wq_destroy(NULL, &d->q);
	munmap(d, sizeof(*d));
	return failed;
}
