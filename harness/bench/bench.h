/*
 * bench.h: `ipchaos bench`, the channels of the message scenarios measured
 * bare. A cell is one ic_run_one() of a wrapper scenario whose roles drive
 * the scenario's own ic_channel (no second implementation) with the event
 * log, checksums and injectors off; the roles publish what they measured in
 * an ic_bench_cell that the bench maps shared before the run forks them.
 */
#ifndef IC_BENCH_H
#define IC_BENCH_H

#include "core/outfile.h"
#include "core/run.h"
#include "core/spec.h"

enum ic_bench_mode {
	IC_BENCH_STREAM,   /* producers send for a time, consumers count */
	IC_BENCH_PINGPONG, /* one message there and back, timed each trip */
};

enum { IC_BENCH_CSV, IC_BENCH_JSON, IC_BENCH_SVG, IC_BENCH_FILES }; /* its results files */

/* How the stream roles use the channel: its api= key, where it has the in-place calls. */
enum ic_bench_api {
	IC_BENCH_COPY,         /* send and recv: the message copied in and out */
	IC_BENCH_INPLACE,      /* reserve/commit, peek/release: header written and read, the body never moves */
	IC_BENCH_INPLACE_READ, /* the same, and the consumer reads every byte where it lies */
};

#define IC_BENCH_MIN_SIZE 8u /* the bench header: sequence, producer, flags */
#define IC_BENCH_MAX_RTT (1u << 20) /* round trips sampled per cell */

/* Shared between the bench and the roles of one cell run (MAP_SHARED, made before fork). */
typedef struct ic_bench_cell {
	const ic_scenario *inner; /* the scenario whose channel is measured */
	int mode;                 /* enum ic_bench_mode */
	bool armed;               /* points enabled with no injector: the cost of a point call */
	int api;                  /* enum ic_bench_api (stream cells) */
	uint32_t size;            /* every message, bytes */
	double warmup_s, time_s;  /* untimed, then timed */
	/* Written by the roles. */
	_Atomic uint64_t sent;    /* messages all producers sent */
	_Atomic uint64_t received;/* messages all consumers received */
	struct {
		uint64_t t_first, t_last; /* first timed message received; last producer's last */
		uint64_t timed;           /* timed messages received */
	} consumer[IC_MAX_PROCS];
	uint64_t rtt_n;           /* ping-pong: round trips sampled */
	uint64_t rtt_median_ns, rtt_p99_ns;
	char error[256];          /* what a role found wrong (sequence, length), else "" */
} ic_bench_cell;

/* Role bodies and the setup of a cell's wrapper scenario (bench_loop.c). */
int ic_bench_producer(ic_ctx *ctx);
int ic_bench_consumer(ic_ctx *ctx);
int ic_bench_ping(ic_ctx *ctx);
int ic_bench_pong(ic_ctx *ctx);
int ic_bench_setup(ic_ctx *ctx);
void ic_bench_teardown(ic_ctx *ctx);
/* The disabled-point loop that callgrind counts: n calls, with or without a point. */
void ic_bench_point_loop(uint64_t n, bool points);

/* ---- The matrix and what it measured (bench.c), written out by bench_out.c and bench_svg.c ---- */

#define IC_BENCH_MAX_CHANNELS 16
#define IC_BENCH_MAX_SIZES 12
#define IC_BENCH_MAX_REPS 20

enum ic_bench_style { IC_STYLE_MP, IC_STYLE_SHM, IC_STYLE_HYBRID };

typedef struct ic_bench_channel {
	ic_run_cfg cfg; /* scenario, variant and counts; the size is set per cell */
	char spec[160]; /* as given: "shm_ring:sync=spsc_atomic" */
	int style;      /* enum ic_bench_style */
	int size_key;   /* index of the scenario's "size" key */
	int api;        /* enum ic_bench_api: from its api= key, if the channel has the in-place calls */
} ic_bench_channel;

/* One channel at one size: medians over the repetitions; 0 where not measured. */
typedef struct ic_bench_result {
	char na[384];     /* why this cell cannot run here; "" if it can */
	char error[512];  /* a repetition failed: what was found */
	char pp_na[384];  /* why no round trip was measured at this size; "" if one was or none asked */
	bool pingpong;    /* a round trip is measured at this size */
	bool points;      /* points enabled vs disabled are compared at this size */
	bool one_to_one;  /* --procs above 1:1: the same cell at 1:1 is measured too */
	double msgs_s, mb_s, logged_s, armed_s, rtt_median_ns, rtt_p99_ns, single_s;
	double rate[IC_BENCH_MAX_REPS], logged[IC_BENCH_MAX_REPS], armed[IC_BENCH_MAX_REPS];
	double single[IC_BENCH_MAX_REPS];
	unsigned nsingle;
	double rtt_med[IC_BENCH_MAX_REPS], rtt_p99[IC_BENCH_MAX_REPS];
	unsigned nrate, nlogged, narmed, nrtt;
} ic_bench_result;

/* ---- The read-mostly table (bench_rw.c): rwcache's locks at 1, 2 and 4 readers a writer ---- */

#define IC_BENCH_RW_LOCKS 3   /* rwlock, mutex, seqlock */
#define IC_BENCH_RW_READERS 3 /* 1, 2, 4 readers per writer */

typedef struct ic_bench_rw {
	double reads[IC_BENCH_RW_LOCKS][IC_BENCH_RW_READERS][IC_BENCH_MAX_REPS];  /* records read/s */
	double writes[IC_BENCH_RW_LOCKS][IC_BENCH_RW_READERS][IC_BENCH_MAX_REPS]; /* records written/s */
	unsigned n[IC_BENCH_RW_LOCKS][IC_BENCH_RW_READERS];
	double reads_s[IC_BENCH_RW_LOCKS][IC_BENCH_RW_READERS], writes_s[IC_BENCH_RW_LOCKS][IC_BENCH_RW_READERS];
	char error[256]; /* a run found something (it must not: correct variants only) */
} ic_bench_rw;

extern const char *const ic_bench_rw_locks[IC_BENCH_RW_LOCKS];
extern const unsigned ic_bench_rw_readers[IC_BENCH_RW_READERS];

typedef struct ic_bench ic_bench;
/* One repetition of the table (every lock at every reader count): an exit code, 130 when interrupted. */
int ic_bench_rw_rep(ic_bench *b, bool tty);
/* Medians over the repetitions; then the table, on out. */
void ic_bench_rw_summarise(ic_bench *b);
void ic_bench_rw_print(FILE *out, const ic_bench *b);

typedef struct ic_bench {
	unsigned nchannels, nsizes, reps;
	ic_bench_channel ch[IC_BENCH_MAX_CHANNELS];
	uint32_t sizes[IC_BENCH_MAX_SIZES]; /* ascending */
	double time_s, warmup_s;            /* per cell and repetition */
	bool quick;
	const char *csv, *json, *svg;
	ic_outfile out[IC_BENCH_FILES];     /* csv, json, svg: opened before anything runs */
	char procs[24];                     /* "1:1", as the stream cells ran */
	bool contended;                     /* --procs above 1:1 */
	/* The physical limits, measured in the same run (medians over repetitions). */
	double memcpy_mb_s[IC_BENCH_MAX_SIZES];     /* through 32 MiB regions: the limit */
	double memcpy_hot_mb_s[IC_BENCH_MAX_SIZES]; /* between two buffers in cache */
	double memcpy_rep[IC_BENCH_MAX_SIZES][IC_BENCH_MAX_REPS];
	double memcpy_hot_rep[IC_BENCH_MAX_SIZES][IC_BENCH_MAX_REPS];
	double futex_median_ns, futex_p99_ns;
	double futex_rep[2][IC_BENCH_MAX_REPS];
	double point_instructions;          /* per disabled point call (callgrind); 0: not counted */
	char point_na[256];                 /* why not */
	double point_ns;                    /* per disabled point call, wall time */
	unsigned nlimit;                    /* repetitions of the limits measured */
	ic_bench_result res[IC_BENCH_MAX_CHANNELS][IC_BENCH_MAX_SIZES];
	ic_bench_rw rw; /* the read-mostly table */
} ic_bench;

/* The fastest channel of `style` at size i (its msg/s; 0 if none ran), and which. */
double ic_bench_best(const ic_bench *b, unsigned i, int style, unsigned *which);
/* "64 B", "1 KiB" */
void ic_bench_size_text(uint32_t size, char *buf, size_t n);
const char *ic_bench_style_name(int style);

void ic_bench_print(FILE *out, const ic_bench *b);
/* Into f, which they close: 0, or -1 with errno: the file is not to be trusted. */
int ic_bench_write_csv(const ic_bench *b, FILE *f);
int ic_bench_write_json(const ic_bench *b, FILE *f);
int ic_bench_write_svg(const ic_bench *b, FILE *f);

/* `ipchaos bench rare ARGS...` (argv after "rare"): rare messages, set-up against per-message cost (bench_rare.c). */
int ic_bench_rare_main(int argc, char **argv);
/*
 * bench rare's model: a pattern costs setup / lifetime + rate x per-message
 * CPU time each second. The rate (messages a second) at which x and y cost
 * the same, given each one's set-up and per-message nanoseconds: > 0, or 0
 * when one of them costs no more at every rate.
 */
double ic_bench_rare_break_even(double setup_x, double msg_x, double setup_y, double msg_y, double lifetime_s);

/* `ipchaos bench ARGS...` (argv after "bench"): an exit code. */
int ic_bench_main(const ic_scenario *const *extra, int argc, char **argv);

#endif
