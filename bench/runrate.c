/*
 * runrate: how close a harness run of shm_counter (--ops 1000 --procs 2) comes
 * to the bare ceiling of the same work: create, size and map a segment, fork
 * two processes that each add 1 a thousand times, wait for both, unlink.
 * Rounds alternate (bare, harness, bare, ...) so machine drift hits both.
 *
 * usage: ipchaos-bench-runs [ROUNDS [RUNS_PER_ROUND]]
 */
#include "core/run.h"
#include "core/spec.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { OPS = 1000, PROCS = 2 };

static int bare_once(const char *name)
{
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		return -1;
	atomic_ulong *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (counter == MAP_FAILED)
		return -1;
	for (int p = 0; p < PROCS; p++) {
		pid_t pid = fork();
		if (pid == 0) {
			for (int i = 0; i < OPS; i++)
				atomic_fetch_add(counter, 1);
			_exit(0);
		}
	}
	for (int p = 0; p < PROCS; p++)
		wait(NULL);
	int ok = atomic_load(counter) == OPS * PROCS ? 0 : -1;
	munmap(counter, 4096);
	shm_unlink(name);
	return ok;
}

static int harness_cfg(ic_run_cfg *cfg, const char *spec)
{
	char err[256];
	memset(cfg, 0, sizeof(*cfg));
	if (ic_spec_parse(NULL, cfg, spec, err, sizeof(err)) != 0) {
		fprintf(stderr, "runrate: %s\n", err);
		return -1;
	}
	cfg->counts[0] = PROCS;
	cfg->nprocs = PROCS;
	cfg->ops = OPS;
	cfg->timeout_s = 10;
	return 0;
}

static double time_harness(ic_run_cfg *cfg, ic_run_result *res, int runs, int *bad)
{
	uint64_t t0 = ic_now_ns();
	for (int i = 0; i < runs; i++) {
		cfg->seed = (uint64_t)i + 1;
		ic_run_one(cfg, res);
		*bad += res->status != IC_RUN_PASS;
	}
	return (double)(ic_now_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	int runs = argc > 2 ? atoi(argv[2]) : 200;
	if (rounds < 1 || runs < 1) {
		fprintf(stderr, "usage: ipchaos-bench-runs [ROUNDS>0 [RUNS_PER_ROUND>0]]\n");
		return 2;
	}
	ic_block_run_signals();

	ic_run_cfg atomic_cfg, robust_cfg;
	ic_run_result *res = malloc(sizeof(*res));
	if (!res || harness_cfg(&atomic_cfg, "shm_counter:lock=atomic") != 0 ||
	    harness_cfg(&robust_cfg, "shm_counter:lock=robust") != 0)
		return 3;
	char name[64];
	snprintf(name, sizeof(name), "/ipchaos.bench%d.bare", (int)getpid());
	double bare_s = 0, atomic_s = 0, robust_s = 0;
	int bad = 0;
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = ic_now_ns();
		for (int i = 0; i < runs; i++)
			bad += bare_once(name) != 0;
		bare_s += (double)(ic_now_ns() - t0) / 1e9;
		atomic_s += time_harness(&atomic_cfg, res, runs, &bad);
		robust_s += time_harness(&robust_cfg, res, runs, &bad);
	}
	free(res);
	double n = (double)rounds * runs;
	printf("shm_counter --ops %d --procs %d, %d rounds x %d runs, interleaved\n", OPS, PROCS, rounds, runs);
	printf("  bare fork+wait+shm ceiling   %8.0f runs/s\n", n / bare_s);
	printf("  ipchaos lock=atomic          %8.0f runs/s   %.2f of the ceiling\n", n / atomic_s,
	       bare_s / atomic_s);
	printf("  ipchaos lock=robust          %8.0f runs/s   %.2f of the ceiling\n", n / robust_s,
	       bare_s / robust_s);
	if (bad)
		printf("  %d runs did not pass: the figures above are not trustworthy\n", bad);
	return bad ? 1 : 0;
}
