/*
 * bench.c: `ipchaos bench`, shared memory against message passing, measured.
 * Every channel x size cell runs the scenario's own channel with the harness
 * off (bench_loop.c), several repetitions interleaved (A B C A B C ...) so
 * that drift of a shared machine hits every cell alike, next to the
 * physical limits measured in the same run: memcpy bandwidth on one core
 * and a bare futex wake round trip. The harness's costs are separate
 * columns: the run loops with logging and checksums, and points enabled.
 */
#include "bench/bench.h"
#include "core/args.h"
#include "core/escape.h"
#include "core/sweep.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>
#include <libgen.h>

static const char *const default_channels[] = {
	"mq", "pipe", "unix:type=stream", "unix:type=seqpacket", "unix:type=dgram", "sysv_msg",
	"shm_ring:sync=mutex_cond", "shm_ring:sync=sem", "shm_ring:sync=spsc_atomic", "hybrid",
	"shm_batch", "shm_batch:api=inplace", "shm_batch:api=inplace_read", NULL,
};
static const uint32_t default_sizes[] = {64, 1024, 8192, 65536, 1048576};

#define PINGPONG_MAX_SIZE 1024 /* round trips are measured at the small sizes */

static const char help[] =
	"ipchaos bench: shared memory against message passing, measured on this machine\n"
	"\n"
	"  --channels LIST   channels to measure, in run's syntax: a comma token without '='\n"
	"                    starts a new one (shm_ring:sync=spsc_atomic,mq,pipe); default:\n"
	"                    mq, pipe, unix (stream, seqpacket, dgram), sysv_msg,\n"
	"                    shm_ring (mutex_cond, sem, spsc_atomic), hybrid, shm_batch\n"
	"                    (copying, and in place: api=inplace, api=inplace_read)\n"
	"  --sizes LIST      message sizes in bytes, K and M binary (default 64,1K,8K,64K,1M)\n"
	"  --procs P:C       producers and consumers of the throughput cells (default 1:1);\n"
	"                    round trips are always one process each way\n"
	"  --reps N          repetitions of every cell, interleaved (default 3; --quick 1)\n"
	"  --time DUR        timed per cell and repetition, after a warm-up of a fifth: seconds,\n"
	"                    or 200ms (0.001 to 60; default 0.5; --quick 0.02)\n"
	"  --quick           every cell briefly: the whole matrix in a few seconds (tests)\n"
	"  --csv FILE        a row per channel and size\n"
	"  --json FILE       everything measured, with the environment\n"
	"  --svg FILE        a chart: throughput against message size, log-log, one line per\n"
	"                    channel, the memcpy limit dashed\n"
	"\n"
	"After the channels, the read-mostly table: rwcache with lock=rwlock, mutex, seqlock,\n"
	"1 writer and 1, 2, 4 readers, records read and written per second, all at once.\n"
	"\n"
	"Throughput is messages (and MB, 10^6 bytes) per second received while the producers\n"
	"send as fast as they can; the event log, checksums and injectors are off, every\n"
	"message's sequence is still checked. 'logged' is the same channel through the run\n"
	"loops (ipchaos run): log, body pattern and crc on. A cell that cannot run here says\n"
	"n/a and why (a size above fs.mqueue.msgsize_max), and does not change the exit code.\n"
	"\n"
	"ipchaos bench rare [--help]: rare messages, a segment's set-up against each pattern's\n"
	"cost per message, and the break-even rates.\n"
	"\n"
	"exit: 0 measured, 1 a channel broke (lost, reordered or corrupt a message), 2 bad\n"
	"      usage, 3 the harness failed, 130 interrupted\n";

/* ---- Options ---- */

static int style_of(const ic_scenario *sc)
{
	if (strncmp(sc->name, "shm", 3) == 0)
		return IC_STYLE_SHM;
	return strcmp(sc->name, "hybrid") == 0 ? IC_STYLE_HYBRID : IC_STYLE_MP;
}

static int size_key_of(const ic_scenario *sc)
{
	for (int k = 0; sc->keys && sc->keys[k].name; k++)
		if (strcmp(sc->keys[k].name, "size") == 0)
			return k;
	return -1;
}

/* Its api= key, where the channel has the in-place calls: copy, inplace or inplace_read. */
static int api_of(const ic_run_cfg *cfg)
{
	const ic_channel *ch = cfg->sc->channel;
	if (!ch->reserve || !ch->commit || !ch->peek || !ch->release)
		return IC_BENCH_COPY;
	for (unsigned k = 0; cfg->sc->keys[k].name; k++)
		if (strcmp(cfg->sc->keys[k].name, "api") == 0)
			return strcmp(cfg->variant[k], "inplace") == 0	    ? IC_BENCH_INPLACE
			       : strcmp(cfg->variant[k], "inplace_read") == 0 ? IC_BENCH_INPLACE_READ
									   : IC_BENCH_COPY;
	return IC_BENCH_COPY;
}

static void channel_names(const ic_scenario *const *extra, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		if (ic_builtin_scenarios[i]->channel && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
						ic_builtin_scenarios[i]->name);
	for (unsigned i = 0; extra && extra[i]; i++)
		if (extra[i]->channel && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", extra[i]->name);
}

static int add_channel(ic_bench *b, const ic_scenario *const *extra, const char *spec, char *err, size_t errsize)
{
	if (b->nchannels == IC_BENCH_MAX_CHANNELS) {
		snprintf(err, errsize, "--channels: at most %d channels", IC_BENCH_MAX_CHANNELS);
		return -1;
	}
	ic_bench_channel *c = &b->ch[b->nchannels];
	char name[64], names[512];
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(spec, ":"), spec);
	const ic_scenario *sc = ic_spec_find_scenario(extra, name);
	if (!sc || !sc->channel || size_key_of(sc) < 0) {
		channel_names(extra, names, sizeof(names));
		snprintf(err, errsize, "--channels: %s is %s (valid: %s)", name,
			 sc ? "not a message channel" : "no channel", names);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	if (ic_spec_parse(extra, &c->cfg, spec, err, errsize) != 0) {
		char copy[1024];
		snprintf(copy, sizeof(copy), "--channels: %s", err);
		snprintf(err, errsize, "%s", copy);
		return -1;
	}
	c->size_key = size_key_of(c->cfg.sc);
	c->api = api_of(&c->cfg);
	snprintf(c->spec, sizeof(c->spec), "%s", spec);
	c->style = style_of(c->cfg.sc);
	b->nchannels++;
	return 0;
}

/* "shm_ring:sync=spsc_atomic,mq,pipe": a token with ':' or without '=' starts a channel. */
static int parse_channels(ic_bench *b, const ic_scenario *const *extra, const char *list, char *err, size_t errsize)
{
	char spec[256] = "";
	ic_list l;
	if (ic_parse_list(&l, "--channels", list, list, ',', err, errsize) != 0)
		return -1;
	for (unsigned i = 0; i < l.n; i++) {
		const char *tok = l.item[i];
		if (strncmp(tok, "size=", 5) == 0 || strstr(tok, ":size=")) {
			snprintf(err, errsize, "--channels %s: the size is set by --sizes", list);
			return -1;
		}
		bool starts = strchr(tok, ':') || !strchr(tok, '=');
		if (starts && spec[0] && add_channel(b, extra, spec, err, errsize) != 0)
			return -1;
		if (starts)
			snprintf(spec, sizeof(spec), "%s", tok);
		else if (!spec[0]) {
			snprintf(err, errsize, "--channels %s: %s names no channel (write NAME:%s)", list, tok, tok);
			return -1;
		} else {
			size_t n = strlen(spec);
			snprintf(spec + n, sizeof(spec) - n, "%s%s", strchr(spec, ':') ? "," : ":", tok);
		}
	}
	return add_channel(b, extra, spec, err, errsize);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* "64,1K,1M": each a size (core/parse.c), none empty; sorted, duplicates dropped. */
static int parse_sizes(ic_bench *b, const char *list, char *err, size_t errsize)
{
	char label[80];
	ic_list l;
	if (ic_parse_list(&l, "--sizes", list, list, ',', err, errsize) != 0)
		return -1;
	if (l.n > IC_BENCH_MAX_SIZES) {
		snprintf(err, errsize, "--sizes %s: at most %d sizes", list, IC_BENCH_MAX_SIZES);
		return -1;
	}
	snprintf(label, sizeof(label), "--sizes %.40s: size", list);
	b->nsizes = 0;
	for (unsigned i = 0; i < l.n; i++) {
		uint64_t v;
		if (ic_parse_size(label, l.item[i], IC_BENCH_MIN_SIZE, 64u << 20, &v, err, errsize) != 0)
			return -1;
		b->sizes[b->nsizes++] = (uint32_t)v;
	}
	qsort(b->sizes, b->nsizes, sizeof(b->sizes[0]), cmp_u32);
	unsigned n = 1;
	for (unsigned i = 1; i < b->nsizes; i++)
		if (b->sizes[i] != b->sizes[n - 1])
			b->sizes[n++] = b->sizes[i];
	b->nsizes = n;
	return 0;
}

typedef struct bench_args {
	const char *channels, *sizes, *procs, *reps, *time;
} bench_args;

static int parse_args(ic_bench *b, bench_args *a, int argc, char **argv, char *err, size_t errsize)
{
	static const char *const files[] = {"--csv", "--json", "--svg"};
	const char **targets[] = {&b->csv, &b->json, &b->svg};
	bool missing = false;
	for (int i = 0; i < argc; i++) {
		const char *v;
		bool known = false;
		if ((v = ic_arg_opt("--channels", argc, argv, &i, &missing)))
			a->channels = v, known = true;
		else if ((v = ic_arg_opt("--sizes", argc, argv, &i, &missing)))
			a->sizes = v, known = true;
		else if ((v = ic_arg_opt("--procs", argc, argv, &i, &missing)))
			a->procs = v, known = true;
		else if ((v = ic_arg_opt("--reps", argc, argv, &i, &missing)))
			a->reps = v, known = true;
		else if ((v = ic_arg_opt("--time", argc, argv, &i, &missing)))
			a->time = v, known = true;
		else if (strcmp(argv[i], "--quick") == 0)
			b->quick = known = true;
		for (unsigned f = 0; !known && !missing && f < 3; f++)
			if ((v = ic_arg_opt(files[f], argc, argv, &i, &missing))) {
				*targets[f] = v; /* checked by opening it, once every argument is known good */
				known = true;
			}
		if (missing) {
			snprintf(err, errsize, "%s needs a value", argv[i]);
			return -1;
		}
		if (!known) {
			snprintf(err, errsize, "unknown argument '%s' (valid: --channels, --sizes, --procs, --reps, "
					       "--time, --quick, --csv, --json, --svg; see ipchaos bench --help)", argv[i]);
			return -1;
		}
	}
	return 0;
}

/* The options, resolved and checked whole before anything runs. */
static int configure(ic_bench *b, const ic_scenario *const *extra, int argc, char **argv, char *err, size_t errsize)
{
	bench_args a = {0};
	uint64_t reps;
	if (parse_args(b, &a, argc, argv, err, errsize) != 0)
		return -1;
	b->reps = b->quick ? 1 : 3;
	b->time_s = b->quick ? 0.02 : 0.5;
	if (a.reps) {
		if (ic_parse_u64("--reps", a.reps, 1, IC_BENCH_MAX_REPS, &reps, err, errsize) != 0)
			return -1;
		b->reps = (unsigned)reps;
	}
	if (a.time && ic_parse_duration("--time", a.time, 0.001, 60, &b->time_s, err, errsize) != 0)
		return -1;
	if (ic_timeout_factor_check(err, errsize) != 0)
		return -1;
	b->warmup_s = b->time_s / 5;
	if (a.channels) {
		if (parse_channels(b, extra, a.channels, err, errsize) != 0)
			return -1;
	} else {
		for (unsigned i = 0; default_channels[i]; i++)
			if (add_channel(b, extra, default_channels[i], err, errsize) != 0)
				return -1;
	}
	if (a.sizes) {
		if (parse_sizes(b, a.sizes, err, errsize) != 0)
			return -1;
	} else {
		b->nsizes = sizeof(default_sizes) / sizeof(default_sizes[0]);
		memcpy(b->sizes, default_sizes, sizeof(default_sizes));
	}
	snprintf(b->procs, sizeof(b->procs), "%s", a.procs ? a.procs : "1:1");
	for (unsigned c = 0; c < b->nchannels; c++) {
		ic_run_cfg *cfg = &b->ch[c].cfg;
		if (ic_spec_parse_procs(cfg, b->procs, err, errsize) != 0)
			return -1;
		cfg->nprocs = 0;
		for (unsigned r = 0; r < cfg->nroles; r++)
			cfg->nprocs += cfg->counts[r];
		b->contended |= cfg->nprocs > 2;
	}
	return 0;
}

/* ---- Which cells can run here ---- */

/*
 * pipe and unix:type=stream frame a byte stream by the run loops' 32-byte
 * header (ic_stream): smaller messages cannot be framed there.
 */
static bool framed_stream(const ic_run_cfg *cfg)
{
	if (strcmp(cfg->sc->name, "pipe") == 0)
		return true;
	for (unsigned k = 0; cfg->sc->keys && cfg->sc->keys[k].name; k++)
		if (strcmp(cfg->sc->keys[k].name, "type") == 0 && strcmp(cfg->variant[k], "stream") == 0)
			return strcmp(cfg->sc->name, "unix") == 0;
	return false;
}

static void set_size(ic_run_cfg *cfg, int key, uint32_t size)
{
	snprintf(cfg->variant[key], sizeof(cfg->variant[key]), "%u", (unsigned)size);
}

/* "" when the channel can do this size at these counts, else why not. */
static void why_not(const ic_bench_channel *c, uint32_t size, bool one_to_one, char *buf, size_t n)
{
	ic_run_cfg cfg = c->cfg;
	buf[0] = '\0';
	if (one_to_one) {
		cfg.counts[0] = cfg.counts[1] = 1;
		cfg.nprocs = 2;
	}
	if (size < IC_MSG_MIN && framed_stream(&cfg)) {
		snprintf(buf, n, "a framed stream needs messages of at least %u bytes (its header)", IC_MSG_MIN);
		return;
	}
	set_size(&cfg, c->size_key, size);
	char err[768];
	if (ic_spec_validate(&cfg, err, sizeof(err)) != 0) {
		/* Without the "spec: " prefix: the row already names the channel. */
		const char *why = strstr(err, ": ");
		snprintf(buf, n, "%.*s", (int)n - 1, why ? why + 2 : err);
	}
}

static void plan_cells(ic_bench *b)
{
	for (unsigned c = 0; c < b->nchannels; c++) {
		bool points_placed = false;
		for (unsigned s = 0; s < b->nsizes; s++) {
			ic_bench_result *r = &b->res[c][s];
			why_not(&b->ch[c], b->sizes[s], false, r->na, sizeof(r->na));
			bool small = b->sizes[s] <= PINGPONG_MAX_SIZE || s == 0;
			if (small) {
				why_not(&b->ch[c], b->sizes[s], true, r->pp_na, sizeof(r->pp_na));
				r->pingpong = !r->pp_na[0];
			}
			if (!r->na[0] && !points_placed)
				r->points = points_placed = true;
			if (!r->na[0] && b->contended) {
				char why[384];
				why_not(&b->ch[c], b->sizes[s], true, why, sizeof(why));
				r->one_to_one = !why[0];
			}
		}
	}
}

static int runnable(const ic_bench *b, char *err, size_t errsize)
{
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++)
			if (!b->res[c][s].na[0] || b->res[c][s].pingpong)
				return 0;
	snprintf(err, errsize, "no channel can do these sizes here (%s at %u bytes: %s)", b->ch[0].spec,
		 (unsigned)b->sizes[0], b->res[0][0].na);
	return -1;
}

/* ---- The limits: memcpy on one core, a futex wake round trip, a disabled point ---- */

#define STREAM_REGION (32u << 20) /* beyond one core's caches on this kind of machine */

/*
 * One core's memcpy of `size`-byte blocks: between two hot buffers (region
 * 0), or walking through two regions of `region` bytes, as data between
 * processes must travel. The best of short trials: a limit is what the
 * machine can do, and a trial the scheduler interrupted says nothing about it.
 */
static double memcpy_mb_s(uint32_t size, size_t region, double seconds)
{
	size_t span = region > size ? region - region % size : size;
	unsigned char *src = malloc(span), *dst = malloc(span);
	double best = 0;
	if (src && dst) {
		memset(src, 0x5a, span);
		memset(dst, 0, span);
		size_t batch = (span > (256u << 10) ? span : (256u << 10)) / size, off = 0;
		uint64_t end = ic_now_ns() + (uint64_t)(seconds * 1e9), t0, t1;
		unsigned trials = 0;
		do {
			trials++;
			t0 = ic_now_ns();
			for (size_t i = 0; i < batch; i++) {
				memcpy(dst + off, src + off, size);
				__asm__ volatile("" : : "r"(dst), "r"(src) : "memory"); /* each copy happens */
				off = off + size < span ? off + size : 0;
			}
			t1 = ic_now_ns();
			double rate = (double)batch * size / ((double)(t1 - t0 + 1) / 1e9) / 1e6;
			best = rate > best ? rate : best;
		} while (t1 < end || trials < 4);
	}
	free(src);
	free(dst);
	return best;
}

/* Waits while *w == val, at most 100 ms: a peer that died must not hang us. */
static void futex_wait(atomic_uint *w, unsigned val)
{
	struct timespec limit = {0, 100 * 1000 * 1000};
	syscall(SYS_futex, w, FUTEX_WAIT, val, &limit, NULL, 0);
}

static void futex_wake(atomic_uint *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* The ponger of the futex round trip: echo each 1 on w[0] as a 1 on w[1]; 2 ends it. */
static _Noreturn void futex_pong(atomic_uint *w, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	for (;;) {
		unsigned v;
		while ((v = atomic_load(&w[0])) == 0)
			futex_wait(&w[0], 0);
		if (v == 2)
			_exit(0);
		atomic_store(&w[0], 0);
		atomic_store(&w[1], 1);
		futex_wake(&w[1]);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median and p99 of a bare FUTEX_WAKE/FUTEX_WAIT round trip between two processes. */
static int futex_rtt(double seconds, double *median, double *p99)
{
	enum { MAX_SAMPLES = 1 << 18 };
	atomic_uint *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double *s = malloc(MAX_SAMPLES * sizeof(*s));
	int rc = -1;
	if (w == MAP_FAILED || !s)
		goto out;
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		goto out;
	if (pid == 0)
		futex_pong(w, parent);
	unsigned n = 0;
	uint64_t end = ic_now_ns() + (uint64_t)(seconds * 1e9);
	for (uint64_t t0; n < MAX_SAMPLES && (t0 = ic_now_ns()) < end;) {
		atomic_store(&w[0], 1);
		futex_wake(&w[0]);
		while (atomic_load(&w[1]) == 0) {
			futex_wait(&w[1], 0);
			if (atomic_load(&w[1]) == 0 && waitpid(pid, NULL, WNOHANG) == pid)
				goto out; /* the ponger died: no figure */
		}
		atomic_store(&w[1], 0);
		s[n++] = (double)(ic_now_ns() - t0);
	}
	atomic_store(&w[0], 2);
	futex_wake(&w[0]);
	waitpid(pid, NULL, 0);
	if (n) {
		qsort(s, n, sizeof(*s), cmp_double);
		*median = s[n / 2];
		*p99 = s[(size_t)n * 99 / 100];
		rc = 0;
	}
out:
	if (w != MAP_FAILED)
		munmap(w, 4096);
	free(s);
	return rc;
}

/* Starts `self` counting n calls (with or without a point) under callgrind into `out`: its pid, or -1. */
static pid_t callgrind_start(const char *self, uint64_t n, bool points, const char *out)
{
	char arg[64], outarg[4200];
	snprintf(arg, sizeof(arg), "%llu:%s", (unsigned long long)n, points ? "points" : "none");
	snprintf(outarg, sizeof(outarg), "--callgrind-out-file=%s", out);
	fflush(NULL);
	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		/* It ends with us; SIGTERM, which we block, must reach it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		if (getppid() != parent)
			_exit(127);
		int null = open("/dev/null", O_RDWR);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execlp("valgrind", "valgrind", "--tool=callgrind", outarg, self, "bench", "--point-loop", arg,
		       (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Instructions of the whole program ("totals:" of callgrind's output), or 0; removes the file. */
static uint64_t callgrind_finish(pid_t pid, const char *out)
{
	int status = 0;
	uint64_t total = 0;
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		FILE *f = fopen(out, "r");
		char line[512];
		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "totals:", 7) == 0 || strncmp(line, "summary:", 8) == 0)
				total = strtoull(strchr(line, ':') + 1, NULL, 10);
		if (f)
			fclose(f);
	}
	unlink(out);
	return total;
}

static int temp_file(char *buf, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(buf, size, "%s/ipchaos-callgrind.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(buf);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dirs[4096], full[4400];
	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/%s", d, prog);
		if (access(full, X_OK) == 0)
			return true;
	}
	return false;
}

/* A disabled point, by instruction count (a repeatable figure) and by wall time. */
static void measure_point(ic_bench *b)
{
	enum { CALLS = 1000000 };
	uint64_t n = b->quick ? 20000000 : 200000000, t0 = ic_now_ns();
	ic_bench_point_loop(n, true);
	uint64_t t1 = ic_now_ns();
	ic_bench_point_loop(n, false);
	uint64_t t2 = ic_now_ns();
	double d = ((double)(t1 - t0) - (double)(t2 - t1)) / (double)n;
	b->point_ns = d > 0 ? d : 0;

	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (!on_path("valgrind")) {
		snprintf(b->point_na, sizeof(b->point_na), "valgrind is not installed");
		return;
	}
	if (len <= 0) {
		snprintf(b->point_na, sizeof(b->point_na), "cannot find this program (/proc/self/exe)");
		return;
	}
	self[len] = '\0';
	/* Both at once: the difference is the loop's, startup and exit cancel out. */
	char out[2][4096];
	uint64_t with = 0, without = 0;
	if (temp_file(out[0], sizeof(out[0])) == 0) {
		if (temp_file(out[1], sizeof(out[1])) == 0) {
			pid_t a = callgrind_start(self, CALLS, true, out[0]);
			pid_t b2 = callgrind_start(self, CALLS, false, out[1]);
			with = callgrind_finish(a, out[0]);
			without = callgrind_finish(b2, out[1]);
		} else {
			unlink(out[0]);
		}
	}
	if (!with || !without || with < without)
		snprintf(b->point_na, sizeof(b->point_na), "valgrind --tool=callgrind did not run");
	else
		b->point_instructions = (double)(with - without) / CALLS;
}

/* ---- Cells ---- */

static const ic_role_desc stream_roles[] = {
	{"p", ic_bench_producer, 1},
	{"c", ic_bench_consumer, 1},
	{0},
};
static const ic_role_desc pingpong_roles[] = {
	{"p", ic_bench_ping, 1},
	{"c", ic_bench_pong, 1},
	{0},
};

typedef struct cell_run {
	ic_bench *b;
	ic_bench_cell *shared; /* MAP_SHARED: the roles write their measurements here */
	unsigned step, steps, rep;
	bool tty;
	int exit_code;
	bool interrupted;
} cell_run;

static void progress(cell_run *cr, const ic_bench_channel *c, uint32_t size, const char *what)
{
	char sz[32];
	if (!cr->tty)
		return;
	ic_bench_size_text(size, sz, sizeof(sz));
	fprintf(stderr, "\r\033[K[%u/%u] rep %u/%u  %s  %s  %s", ++cr->step, cr->steps, cr->rep + 1,
		cr->b->reps, c->spec, sz, what);
	fflush(stderr);
}

/* A run's verdict as the cell's error; false when the run was not clean. */
static bool judge_run(cell_run *cr, ic_bench_result *r, const ic_run_result *res, const char *what)
{
	if (res->status == IC_RUN_INTERRUPTED) {
		cr->interrupted = true;
		return false;
	}
	const char *detail = cr->shared->error[0] ? cr->shared->error : NULL;
	if (res->status == IC_RUN_PASS && !detail)
		return true;
	if (!r->error[0]) {
		const char *why = res->status == IC_RUN_BROKEN ? res->broken
				  : res->nfindings ? res->findings[0].text : "";
		snprintf(r->error, sizeof(r->error), "%s: %s%s%.*s", what, detail ? detail : "",
			 detail ? "; " : "", (int)strcspn(why, "\n"), why);
	}
	int code = res->status == IC_RUN_BROKEN ? IC_EXIT_BROKEN : IC_EXIT_FINDING;
	if (cr->exit_code == IC_EXIT_OK || code == IC_EXIT_FINDING)
		cr->exit_code = code;
	return false;
}

/* A throughput repetition: every message sent was received, at this rate over the timed window. */
static void record_stream(cell_run *cr, ic_bench_result *r, const ic_bench_cell *m, unsigned consumers,
			  double *rates, unsigned *n)
{
	uint64_t sent = atomic_load(&m->sent), received = atomic_load(&m->received), timed = 0,
		 first = UINT64_MAX, last = 0;
	for (unsigned i = 0; i < consumers; i++) {
		timed += m->consumer[i].timed;
		if (m->consumer[i].timed && m->consumer[i].t_first < first)
			first = m->consumer[i].t_first;
		if (m->consumer[i].t_last > last)
			last = m->consumer[i].t_last;
	}
	if (sent != received) {
		snprintf(r->error, sizeof(r->error), "throughput: %llu messages sent, %llu received",
			 (unsigned long long)sent, (unsigned long long)received);
		cr->exit_code = IC_EXIT_FINDING;
	} else if (timed > 1 && last > first && *n < IC_BENCH_MAX_REPS) {
		rates[(*n)++] = (double)timed / ((double)(last - first) / 1e9);
	}
}

/* mode: enum ic_bench_mode; single: at 1:1 whatever --procs says (round trips always are). */
static void run_bench_cell(cell_run *cr, unsigned c, unsigned s, int mode, bool armed, bool single)
{
	ic_bench *b = cr->b;
	ic_bench_channel *ch = &b->ch[c];
	ic_bench_result *r = &b->res[c][s];
	ic_scenario wrap = *ch->cfg.sc;
	wrap.setup = ic_bench_setup;
	wrap.teardown = ic_bench_teardown;
	wrap.observe = NULL; /* the roles themselves account for every message */
	wrap.roles = mode == IC_BENCH_PINGPONG ? pingpong_roles : stream_roles;
	wrap.expect = NULL;
	ic_run_cfg cfg = ch->cfg;
	cfg.sc = &wrap;
	set_size(&cfg, ch->size_key, b->sizes[s]);
	if (mode == IC_BENCH_PINGPONG || single) {
		cfg.counts[0] = cfg.counts[1] = 1;
		cfg.nprocs = 2;
	}
	cfg.ops = 1;
	cfg.timeout_s = b->warmup_s + b->time_s + 5;
	cfg.bench = cr->shared;
	memset(cr->shared, 0, sizeof(*cr->shared));
	*cr->shared = (ic_bench_cell){.inner = ch->cfg.sc, .mode = mode, .armed = armed, .size = b->sizes[s],
				      .api = mode == IC_BENCH_STREAM ? ch->api : IC_BENCH_COPY,
				      .warmup_s = b->warmup_s, .time_s = b->time_s};
	progress(cr, ch, b->sizes[s], mode == IC_BENCH_PINGPONG ? "round trip" : armed ? "points on"
				      : single ? "throughput at 1:1" : "throughput");
	ic_run_result *res = malloc(sizeof(*res));
	if (!res) {
		snprintf(r->error, sizeof(r->error), "out of memory");
		cr->exit_code = IC_EXIT_BROKEN;
		return;
	}
	ic_run_one(&cfg, res);
	const ic_bench_cell *m = cr->shared;
	const char *what = mode == IC_BENCH_PINGPONG ? "round trip" : "throughput";
	if (!judge_run(cr, r, res, what))
		goto out;
	if (mode == IC_BENCH_PINGPONG) {
		if (m->rtt_n && r->nrtt < IC_BENCH_MAX_REPS) {
			r->rtt_med[r->nrtt] = (double)m->rtt_median_ns;
			r->rtt_p99[r->nrtt++] = (double)m->rtt_p99_ns;
		}
		goto out;
	}
	record_stream(cr, r, m, cfg.counts[1], armed ? r->armed : single ? r->single : r->rate,
		      armed ? &r->narmed : single ? &r->nsingle : &r->nrate);
out:
	free(res);
}

/* Messages per second through the run loops: log, body pattern and crc on. */
static void run_logged_cell(cell_run *cr, unsigned c, unsigned s)
{
	ic_bench *b = cr->b;
	ic_bench_channel *ch = &b->ch[c];
	ic_bench_result *r = &b->res[c][s];
	ic_run_cfg cfg = ch->cfg;
	set_size(&cfg, ch->size_key, b->sizes[s]);
	/* The loops moved about 200k 64-byte messages a second here: aim at a third of a cell. */
	double guess = 200000.0 / (1.0 + b->sizes[s] / 4096.0) * b->time_s / 3;
	cfg.ops = guess < 20 ? 20 : guess > 200000 ? 200000 : (uint64_t)guess;
	cfg.timeout_s = IC_DEFAULT_TIMEOUT;
	cfg.bench = NULL;
	memset(cr->shared, 0, sizeof(*cr->shared));
	progress(cr, ch, b->sizes[s], "logged");
	ic_run_result *res = malloc(sizeof(*res));
	if (!res)
		return;
	ic_run_one(&cfg, res);
	if (judge_run(cr, r, res, "logged") && res->transfer_s > 0 && r->nlogged < IC_BENCH_MAX_REPS)
		r->logged[r->nlogged++] = (double)res->messages / res->transfer_s;
	free(res);
}

static void measure_limits(cell_run *cr)
{
	ic_bench *b = cr->b;
	double per_size = b->quick ? 0.01 : 0.1;
	unsigned k = b->nlimit;
	if (cr->tty) {
		fprintf(stderr, "\r\033[K[%u/%u] rep %u/%u  memcpy and futex limits", ++cr->step, cr->steps,
			cr->rep + 1, b->reps);
		fflush(stderr);
	}
	for (unsigned s = 0; s < b->nsizes; s++) {
		b->memcpy_rep[s][k] = memcpy_mb_s(b->sizes[s], STREAM_REGION, per_size);
		b->memcpy_hot_rep[s][k] = memcpy_mb_s(b->sizes[s], 0, per_size / 4);
	}
	double med = 0, p99 = 0;
	if (futex_rtt(b->quick ? 0.02 : 0.2, &med, &p99) == 0) {
		b->futex_rep[0][k] = med;
		b->futex_rep[1][k] = p99;
	}
	b->nlimit++;
}

static bool interrupt_pending(void)
{
	sigset_t pending;
	return sigpending(&pending) == 0 && (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM));
}

static unsigned steps_per_rep(const ic_bench *b)
{
	unsigned n = 1;
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++) {
			const ic_bench_result *r = &b->res[c][s];
			n += r->na[0] ? 0 : 1 + (b->sizes[s] >= IC_MSG_MIN) + r->points + r->one_to_one;
			n += r->pingpong;
		}
	return n;
}

/* Repetition-major: every cell once, then every cell again, so drift hits all alike. */
static int run_matrix(ic_bench *b, bool tty)
{
	cell_run cr = {.b = b, .tty = tty, .exit_code = IC_EXIT_OK};
	cr.shared = mmap(NULL, sizeof(*cr.shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cr.shared == MAP_FAILED) {
		fprintf(stderr, "ipchaos bench: cannot map its shared record: %s\n", strerror(errno));
		return IC_EXIT_BROKEN;
	}
	cr.steps = steps_per_rep(b) * b->reps;
	for (cr.rep = 0; cr.rep < b->reps && !cr.interrupted; cr.rep++) {
		measure_limits(&cr);
		/* The read-mostly table (bench_rw.c), interleaved with the channels as they are. */
		int rw = ic_bench_rw_rep(b, tty);
		cr.interrupted |= rw == IC_EXIT_INTERRUPTED;
		if (rw != IC_EXIT_OK && rw != IC_EXIT_INTERRUPTED && (cr.exit_code == IC_EXIT_OK || rw == IC_EXIT_FINDING))
			cr.exit_code = rw;
		for (unsigned c = 0; c < b->nchannels && !cr.interrupted; c++)
			for (unsigned s = 0; s < b->nsizes && !cr.interrupted; s++) {
				const ic_bench_result *r = &b->res[c][s];
				if (!r->na[0]) {
					run_bench_cell(&cr, c, s, IC_BENCH_STREAM, false, false);
					if (r->one_to_one && !cr.interrupted)
						run_bench_cell(&cr, c, s, IC_BENCH_STREAM, false, true);
					/* The run loops' messages carry a 32-byte header: smaller ones they cannot send. */
					if (!cr.interrupted && b->sizes[s] >= IC_MSG_MIN)
						run_logged_cell(&cr, c, s);
					if (r->points && !cr.interrupted)
						run_bench_cell(&cr, c, s, IC_BENCH_STREAM, true, false);
				}
				if (r->pingpong && !cr.interrupted)
					run_bench_cell(&cr, c, s, IC_BENCH_PINGPONG, false, true);
				cr.interrupted |= interrupt_pending();
			}
	}
	if (tty)
		fprintf(stderr, "\r\033[K");
	munmap(cr.shared, sizeof(*cr.shared));
	return cr.interrupted ? IC_EXIT_INTERRUPTED : cr.exit_code;
}

/* ---- Medians ---- */

static double median(double *v, unsigned n)
{
	if (n == 0)
		return 0;
	double copy[IC_BENCH_MAX_REPS];
	memcpy(copy, v, n * sizeof(*v));
	qsort(copy, n, sizeof(*copy), cmp_double);
	return n % 2 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
}

static void summarise(ic_bench *b)
{
	for (unsigned s = 0; s < b->nsizes; s++) {
		b->memcpy_mb_s[s] = median(b->memcpy_rep[s], b->nlimit);
		b->memcpy_hot_mb_s[s] = median(b->memcpy_hot_rep[s], b->nlimit);
	}
	b->futex_median_ns = median(b->futex_rep[0], b->nlimit);
	b->futex_p99_ns = median(b->futex_rep[1], b->nlimit);
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++) {
			ic_bench_result *r = &b->res[c][s];
			r->msgs_s = median(r->rate, r->nrate);
			r->mb_s = r->msgs_s * b->sizes[s] / 1e6;
			r->logged_s = median(r->logged, r->nlogged);
			r->armed_s = median(r->armed, r->narmed);
			r->single_s = median(r->single, r->nsingle);
			r->rtt_median_ns = median(r->rtt_med, r->nrtt);
			r->rtt_p99_ns = median(r->rtt_p99, r->nrtt);
		}
}

/* ---- The command ---- */

/* "N:points" or "N:none", from measure_point: a loop of N disabled points, or of none. */
static int point_loop_main(const char *arg)
{
	ic_list l;
	uint64_t n;
	if (ic_parse_list(&l, "", arg, arg, ':', NULL, 0) != 0 || l.n != 2 ||
	    ic_parse_u64("", l.item[0], 0, UINT64_MAX, &n, NULL, 0) != 0 ||
	    (strcmp(l.item[1], "points") != 0 && strcmp(l.item[1], "none") != 0))
		return IC_EXIT_USAGE;
	ic_bench_point_loop(n, strcmp(l.item[1], "points") == 0);
	return IC_EXIT_OK;
}

int ic_bench_main(const ic_scenario *const *extra, int argc, char **argv)
{
	char err[1024];
	if (argc >= 1 && strcmp(argv[0], "rare") == 0)
		return ic_bench_rare_main(argc - 1, argv + 1);
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(help, stdout);
			return IC_EXIT_OK;
		}
	/* Internal: the loop callgrind counts, in this very binary. */
	if (argc == 2 && strcmp(argv[0], "--point-loop") == 0)
		return point_loop_main(argv[1]);
	ic_bench *b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "ipchaos bench: out of memory\n");
		return IC_EXIT_BROKEN;
	}
	int code = IC_EXIT_USAGE;
	if (configure(b, extra, argc, argv, err, sizeof(err)) != 0)
		goto bad;
	plan_cells(b);
	if (runnable(b, err, sizeof(err)) != 0)
		goto bad;
	/* Outputs last, before the sweep: a file is created only once every other argument is good. */
	b->out[IC_BENCH_CSV] = IC_OUTFILE("--csv");
	b->out[IC_BENCH_CSV].path = b->csv;
	b->out[IC_BENCH_JSON] = IC_OUTFILE("--json");
	b->out[IC_BENCH_JSON].path = b->json;
	b->out[IC_BENCH_SVG] = IC_OUTFILE("--svg");
	b->out[IC_BENCH_SVG].path = b->svg;
	if (ic_outfiles_open(b->out, IC_BENCH_FILES, err, sizeof(err)) != 0)
		goto bad;

	ic_block_run_signals();
	unsigned swept = 0;
	ic_sweep_stale(true, NULL, &swept);
	if (swept)
		printf("swept %u object%s left by dead ipchaos runs (see ipchaos audit --stale)\n", swept,
		       swept == 1 ? "" : "s");
	bool tty = isatty(STDERR_FILENO);
	if (tty)
		fprintf(stderr, "counting a disabled point's instructions (valgrind --tool=callgrind)...");
	measure_point(b);
	code = run_matrix(b, tty);
	if (code == IC_EXIT_INTERRUPTED) {
		fprintf(stderr, "ipchaos bench: interrupted; nothing written\n");
		goto out;
	}
	summarise(b);
	ic_bench_rw_summarise(b);
	ic_bench_print(stdout, b);
	ic_bench_rw_print(stdout, b);
	int (*writers[])(const ic_bench *, FILE *) = {ic_bench_write_csv, ic_bench_write_json, ic_bench_write_svg};
	for (unsigned i = 0; i < IC_BENCH_FILES; i++) {
		if (!b->out[i].path)
			continue;
		FILE *f = ic_outfile_stream(&b->out[i]);
		if (!f || writers[i](b, f) != 0) {
			ic_line(stderr, "ipchaos bench: writing %s failed: %s", b->out[i].path, strerror(errno));
			code = IC_EXIT_BROKEN;
		}
	}
	goto out;
bad:
	ic_line(stderr, "ipchaos bench: %s", err);
out:
	ic_outfiles_abandon(b->out, IC_BENCH_FILES); /* interrupted: nothing written, nothing created */
	free(b);
	return code;
}
