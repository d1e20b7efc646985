/*
 * bench_rw.c: bench's read-mostly table. The primer says "use reader-writer
 * locks for read-heavy data"; this measures it: the rwcache scenario's own
 * code (lock=rwlock, mutex, seqlock) with one writer and 1, 2 and 4 readers,
 * as records read and written per second, every role running for the cell's
 * time (rwcache for=: counted in shared memory, nothing logged per record,
 * points unarmed), so the figures compare the locks, not the harness.
 */
#include "bench/bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const ic_bench_rw_locks[IC_BENCH_RW_LOCKS] = {"rwlock", "mutex", "seqlock"};
const unsigned ic_bench_rw_readers[IC_BENCH_RW_READERS] = {1, 2, 4};


static int rw_cell(ic_bench *b, unsigned l, unsigned k)
{
	char spec[64], err[512];
	ic_run_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	/* Counted, not logged: every role runs the cell's time (at least 50 ms: many time slices). */
	unsigned ms = b->time_s < 0.05 ? 50 : (unsigned)(b->time_s * 1000);
	snprintf(spec, sizeof(spec), "rwcache:lock=%s,for=%ums", ic_bench_rw_locks[l], ms);
	if (ic_spec_parse(NULL, &cfg, spec, err, sizeof(err)) != 0) {
		snprintf(b->rw.error, sizeof(b->rw.error), "%.200s", err);
		return IC_EXIT_BROKEN;
	}
	cfg.counts[0] = 1;
	cfg.counts[1] = ic_bench_rw_readers[k];
	cfg.nprocs = 1 + ic_bench_rw_readers[k];
	cfg.ops = 1;
	cfg.timeout_s = IC_DEFAULT_TIMEOUT + ms / 1000.0;
	ic_run_result *res = malloc(sizeof(*res));
	if (!res)
		return IC_EXIT_BROKEN;
	ic_run_one(&cfg, res);
	int code = IC_EXIT_OK;
	if (res->status == IC_RUN_INTERRUPTED) {
		code = IC_EXIT_INTERRUPTED;
	} else if (res->status != IC_RUN_PASS) {
		snprintf(b->rw.error, sizeof(b->rw.error), "%s at 1:%u: %.*s", spec, ic_bench_rw_readers[k],
			 (int)strcspn(res->nfindings ? res->findings[0].text : res->broken, "\n"),
			 res->nfindings ? res->findings[0].text : res->broken);
		code = res->status == IC_RUN_BROKEN ? IC_EXIT_BROKEN : IC_EXIT_FINDING;
	} else if (res->rec_span_s > 0 && b->rw.n[l][k] < IC_BENCH_MAX_REPS) {
		unsigned i = b->rw.n[l][k]++;
		b->rw.reads[l][k][i] = (double)res->rec_reads / res->rec_span_s;
		b->rw.writes[l][k][i] = (double)res->rec_writes / res->rec_span_s;
	}
	free(res);
	return code;
}

int ic_bench_rw_rep(ic_bench *b, bool tty)
{
	int code = IC_EXIT_OK;
	for (unsigned k = 0; k < IC_BENCH_RW_READERS; k++)
		for (unsigned l = 0; l < IC_BENCH_RW_LOCKS; l++) {
			if (tty) {
				fprintf(stderr, "\r\033[K read-mostly: rwcache:lock=%s, 1 writer, %u reader%s",
					ic_bench_rw_locks[l], ic_bench_rw_readers[k], ic_bench_rw_readers[k] == 1 ? "" : "s");
				fflush(stderr);
			}
			int rc = rw_cell(b, l, k);
			if (rc == IC_EXIT_INTERRUPTED)
				return rc;
			if (rc != IC_EXIT_OK && (code == IC_EXIT_OK || rc == IC_EXIT_FINDING))
				code = rc;
		}
	return code;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double rw_median(const double *v, unsigned n)
{
	double copy[IC_BENCH_MAX_REPS];
	if (n == 0)
		return 0;
	memcpy(copy, v, n * sizeof(*v));
	qsort(copy, n, sizeof(*copy), cmp_double);
	return n % 2 ? copy[n / 2] : (copy[n / 2 - 1] + copy[n / 2]) / 2;
}

void ic_bench_rw_summarise(ic_bench *b)
{
	for (unsigned l = 0; l < IC_BENCH_RW_LOCKS; l++)
		for (unsigned k = 0; k < IC_BENCH_RW_READERS; k++) {
			b->rw.reads_s[l][k] = rw_median(b->rw.reads[l][k], b->rw.n[l][k]);
			b->rw.writes_s[l][k] = rw_median(b->rw.writes[l][k], b->rw.n[l][k]);
		}
}

/* "1.23M", "456k", "789", or "-" when not measured. */
static void rate_text(double v, char *buf, size_t size)
{
	if (v <= 0)
		snprintf(buf, size, "-");
	else if (v >= 1e6)
		snprintf(buf, size, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, size, "%.0fk", v / 1e3);
	else
		snprintf(buf, size, "%.0f", v);
}

void ic_bench_rw_print(FILE *out, const ic_bench *b)
{
	const ic_bench_rw *rw = &b->rw;
	fprintf(out, "\nread-mostly: rwcache, 1 writer and 1, 2, 4 readers on 8 records, 4 records a read;\n"
		     "records read and (written) per second, all running at once, medians of %u rep%s\n",
		b->reps, b->reps == 1 ? "" : "s");
	fprintf(out, "%-8s", "readers");
	for (unsigned l = 0; l < IC_BENCH_RW_LOCKS; l++)
		fprintf(out, "  %-9s %-9s", ic_bench_rw_locks[l], "(writes)");
	fprintf(out, "  %s\n", "rwlock/mutex reads");
	for (unsigned k = 0; k < IC_BENCH_RW_READERS; k++) {
		fprintf(out, "%-8u", ic_bench_rw_readers[k]);
		for (unsigned l = 0; l < IC_BENCH_RW_LOCKS; l++) {
			char r[16], w[16];
			rate_text(rw->reads_s[l][k], r, sizeof(r));
			rate_text(rw->writes_s[l][k], w, sizeof(w));
			fprintf(out, "  %-9s %-9s", r, w);
		}
		if (rw->reads_s[0][k] > 0 && rw->reads_s[1][k] > 0)
			fprintf(out, "  %.2fx\n", rw->reads_s[0][k] / rw->reads_s[1][k]);
		else
			fprintf(out, "  -\n");
	}
	if (rw->error[0])
		fprintf(out, "read-mostly: a run was not clean: %s\n", rw->error);
}
