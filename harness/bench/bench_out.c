/*
 * bench_out.c: what `ipchaos bench` measured, as an aligned table on the
 * terminal, CSV (a row per channel and size) and JSON (everything, with the
 * environment). All three come from the one ic_bench in memory.
 */
#include "bench/bench.h"
#include "core/escape.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- Shared helpers ---- */


const char *ic_bench_style_name(int style)
{
	return style == IC_STYLE_SHM ? "shm" : style == IC_STYLE_HYBRID ? "hybrid" : "mp";
}

void ic_bench_size_text(uint32_t size, char *buf, size_t n)
{
	if (size >= (1u << 20) && size % (1u << 20) == 0)
		snprintf(buf, n, "%u MiB", size >> 20);
	else if (size >= 1024 && size % 1024 == 0)
		snprintf(buf, n, "%u KiB", size >> 10);
	else
		snprintf(buf, n, "%u B", size);
}

double ic_bench_best(const ic_bench *b, unsigned i, int style, unsigned *which)
{
	double best = 0;
	for (unsigned c = 0; c < b->nchannels; c++) {
		const ic_bench_result *r = &b->res[c][i];
		if (b->ch[c].style == style && !r->error[0] && r->msgs_s > best) {
			best = r->msgs_s;
			if (which)
				*which = c;
		}
	}
	return best;
}

static double slowest(const ic_bench *b, unsigned i, int style, unsigned *which)
{
	double low = 0;
	for (unsigned c = 0; c < b->nchannels; c++) {
		const ic_bench_result *r = &b->res[c][i];
		if (b->ch[c].style == style && !r->error[0] && r->msgs_s > 0 && (low == 0 || r->msgs_s < low)) {
			low = r->msgs_s;
			*which = c;
		}
	}
	return low;
}

/* Three significant figures, with k or M: "15.2M", "812k", "96.0". */
static void fmt_count(double v, const char *unit, char *buf, size_t n)
{
	const char *suffix = "";
	if (v >= 1e6) {
		v /= 1e6;
		suffix = "M";
	} else if (v >= 1e3) {
		v /= 1e3;
		suffix = "k";
	}
	snprintf(buf, n, v >= 100 ? "%.0f%s%s" : v >= 10 ? "%.1f%s%s" : "%.2f%s%s", v, suffix, unit);
}

static void fmt_plain(double v, char *buf, size_t n)
{
	snprintf(buf, n, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
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

static int name_width(const ic_bench *b)
{
	int w = 8;
	for (unsigned c = 0; c < b->nchannels; c++)
		if ((int)strlen(b->ch[c].spec) > w)
			w = (int)strlen(b->ch[c].spec);
	return w;
}

/* ---- The terminal table ---- */

static void print_limits(FILE *out, const ic_bench *b)
{
	char v[32], sz[32];
	fprintf(out, "limits, measured in this run:\n  memcpy, one core, through 32 MiB buffers (the limit):");
	for (unsigned s = 0; s < b->nsizes; s++) {
		ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
		fmt_plain(b->memcpy_mb_s[s] / 1e3, v, sizeof(v));
		fprintf(out, "%s %s %s GB/s", s ? "," : "", sz, v);
	}
	fprintf(out, "\n  memcpy, one core, between two buffers in its cache:");
	for (unsigned s = 0; s < b->nsizes; s++) {
		ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
		fmt_plain(b->memcpy_hot_mb_s[s] / 1e3, v, sizeof(v));
		fprintf(out, "%s %s %s GB/s", s ? "," : "", sz, v);
	}
	char med[32], p99[32];
	fmt_ns(b->futex_median_ns, med, sizeof(med));
	fmt_ns(b->futex_p99_ns, p99, sizeof(p99));
	fprintf(out, "\n  futex wake round trip (two processes, FUTEX_WAKE then FUTEX_WAIT each way): median %s, p99 %s\n",
		med, p99);
	if (b->point_instructions > 0)
		fprintf(out, "  a disabled point: %.1f instructions per call (valgrind --tool=callgrind), %.2f ns\n",
			b->point_instructions, b->point_ns);
	else
		fprintf(out, "  a disabled point: instructions n/a (%s), %.2f ns\n", b->point_na, b->point_ns);
}

static void print_throughput(FILE *out, const ic_bench *b)
{
	int w = name_width(b);
	fprintf(out, "\nthroughput, --procs %s (median of %u; MB = 10^6 bytes; logged: through the run loops,"
		     " event log and crc on)\n", b->procs, b->reps);
	fprintf(out, "%-*s  %7s  %8s  %8s  %8s  %7s  %8s  %6s%s\n", w, "channel", "size", "msg/s", "MB/s",
		"memcpy", "vs mp", "logged", "cost", b->contended ? "   vs 1:1" : "");
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++) {
			const ic_bench_result *r = &b->res[c][s];
			char sz[32], rate[32], mb[32], frac[32] = "", vs[32] = "", lg[32] = "", cost[32] = "", one[32] = "";
			ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
			fprintf(out, "%-*s  %7s  ", w, b->ch[c].spec, sz);
			if (r->na[0]) {
				fprintf(out, "n/a: %s\n", r->na);
				continue;
			}
			if (r->error[0] || r->msgs_s <= 0) {
				fprintf(out, "FAIL: %s\n", r->error[0] ? r->error : "no timed message (a cell too short?)");
				continue;
			}
			double best = ic_bench_best(b, s, IC_STYLE_MP, NULL);
			fmt_count(r->msgs_s, "", rate, sizeof(rate));
			fmt_plain(r->mb_s, mb, sizeof(mb));
			if (b->memcpy_mb_s[s] > 0)
				snprintf(frac, sizeof(frac), "%.1f%%", 100 * r->mb_s / b->memcpy_mb_s[s]);
			if (best > 0)
				snprintf(vs, sizeof(vs), "%.2fx", r->msgs_s / best);
			if (r->logged_s > 0) {
				fmt_count(r->logged_s, "", lg, sizeof(lg));
				snprintf(cost, sizeof(cost), "%.1fx", r->msgs_s / r->logged_s);
			}
			if (r->single_s > 0)
				snprintf(one, sizeof(one), "%.2fx", r->msgs_s / r->single_s);
			char line[256];
			snprintf(line, sizeof(line), "%8s  %8s  %8s  %7s  %8s  %6s  %7s", rate, mb, frac, vs, lg, cost, one);
			size_t n = strlen(line);
			while (n && line[n - 1] == ' ')
				line[--n] = '\0';
			fprintf(out, "%s\n", line);
		}
}

static void print_styles(FILE *out, const ic_bench *b)
{
	bool any = false;
	for (unsigned s = 0; s < b->nsizes; s++) {
		unsigned shm = 0, mp = 0, low = 0;
		double best_shm = ic_bench_best(b, s, IC_STYLE_SHM, &shm), best_mp = ic_bench_best(b, s, IC_STYLE_MP, &mp);
		if (best_shm <= 0 || best_mp <= 0)
			continue;
		if (!any)
			fprintf(out, "\nshared memory / message passing, the fastest of each at each size:\n");
		any = true;
		char sz[32], a[32], m[32];
		ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
		fmt_count(best_shm, "", a, sizeof(a));
		fmt_count(best_mp, "", m, sizeof(m));
		fprintf(out, "  %-7s %5.1fx  %s %s msg/s vs %s %s", sz, best_shm / best_mp, b->ch[shm].spec, a,
			b->ch[mp].spec, m);
		double worst = slowest(b, s, IC_STYLE_SHM, &low);
		if (low != shm)
			fprintf(out, "; slowest shm %s: %.2fx", b->ch[low].spec, worst / best_mp);
		fprintf(out, "\n");
	}
}

/* ---- Batching and zero-copy: the batched ring against message passing ---- */

/* The first channel of scenario `name` (with this api, for shm_batch) measured at size s, else -1. */
static int measured(const ic_bench *b, const char *name, int api, unsigned s)
{
	for (unsigned c = 0; c < b->nchannels; c++) {
		const ic_bench_result *r = &b->res[c][s];
		if (strcmp(b->ch[c].cfg.sc->name, name) == 0 && b->ch[c].api == api && !r->na[0] && !r->error[0] &&
		    r->msgs_s > 0)
			return (int)c;
	}
	return -1;
}

/* "69.7x mq" into buf, or "" when `mp` was not measured at that size. */
static void ratio_to(const ic_bench *b, unsigned c, int mp, unsigned s, char *buf, size_t n)
{
	buf[0] = '\0';
	if (mp >= 0)
		snprintf(buf, n, "%.1fx %s", b->res[c][s].msgs_s / b->res[mp][s].msgs_s, b->ch[mp].spec);
}

static void print_batching(FILE *out, const ic_bench *b)
{
	bool any = false;
	int w = name_width(b);
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++) {
			if (strcmp(b->ch[c].cfg.sc->name, "shm_batch") != 0 || measured(b, "shm_batch", b->ch[c].api, s) < 0)
				continue;
			int mq = measured(b, "mq", IC_BENCH_COPY, s), pipe = measured(b, "pipe", IC_BENCH_COPY, s);
			if (mq < 0 && pipe < 0)
				continue;
			if (!any)
				fprintf(out, "\nbatching and zero-copy: the batched ring against an mqueue and a pipe, same run"
					     " (goal at 64 B: 40x mq, 10x pipe)\n");
			any = true;
			char sz[32], rate[32], vmq[64], vpipe[64];
			ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
			fmt_count(b->res[c][s].msgs_s, "", rate, sizeof(rate));
			ratio_to(b, c, mq, s, vmq, sizeof(vmq));
			ratio_to(b, c, pipe, s, vpipe, sizeof(vpipe));
			fprintf(out, "  %-*s  %7s  %8s msg/s  %-14s  %s\n", w, b->ch[c].spec, sz, rate, vmq, vpipe);
		}
	for (unsigned s = 0; s < b->nsizes; s++) {
		int in = measured(b, "shm_batch", IC_BENCH_INPLACE, s), rd = measured(b, "shm_batch", IC_BENCH_INPLACE_READ, s);
		if (in < 0 || rd < 0 || b->sizes[s] < 4096)
			continue;
		char sz[32], each[32], read[32];
		double t_in = 1e9 / b->res[in][s].msgs_s, t_rd = 1e9 / b->res[rd][s].msgs_s;
		ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
		fmt_ns(t_in, each, sizeof(each));
		fmt_ns(t_rd > t_in ? t_rd - t_in : 0, read, sizeof(read));
		fprintf(out, "  %s in place: no byte of the body copied (the producer writes the header into its slot,"
			     " the consumer checks it): %s a message.\n", sz, each);
		if (t_rd > t_in)
			fprintf(out, "    Reading all of it where it lies costs the consumer %s more (%.2f GB/s; memcpy through"
				     " 32 MiB buffers: %.2f GB/s).\n", read, b->sizes[s] / (t_rd - t_in),
				b->memcpy_mb_s[s] / 1e3);
	}
}

static void print_latency(FILE *out, const ic_bench *b)
{
	int w = name_width(b);
	fprintf(out, "\nround trip (ping-pong, one process each way, over two instances of the channel; median of %u)\n",
		b->reps);
	fprintf(out, "%-*s  %7s  %9s  %9s  %8s\n", w, "channel", "size", "median", "p99", "vs futex");
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++) {
			const ic_bench_result *r = &b->res[c][s];
			char sz[32], med[32], p99[32];
			if (!r->pingpong && !r->pp_na[0])
				continue;
			ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
			fprintf(out, "%-*s  %7s  ", w, b->ch[c].spec, sz);
			if (!r->pingpong) {
				fprintf(out, "n/a: %s\n", r->pp_na);
				continue;
			}
			if (r->rtt_median_ns <= 0) {
				fprintf(out, "FAIL: %s\n", r->error[0] ? r->error : "no round trip timed");
				continue;
			}
			fmt_ns(r->rtt_median_ns, med, sizeof(med));
			fmt_ns(r->rtt_p99_ns, p99, sizeof(p99));
			fprintf(out, "%9s  %9s  %7.2fx\n", med, p99,
				b->futex_median_ns > 0 ? r->rtt_median_ns / b->futex_median_ns : 0);
		}
}

static void print_points(FILE *out, const ic_bench *b)
{
	int w = name_width(b);
	fprintf(out, "\nharness points on the hot path: disabled (the default, no injector) vs enabled with no injector\n");
	fprintf(out, "%-*s  %7s  %9s  %9s  %8s\n", w, "channel", "size", "disabled", "enabled", "+ns/msg");
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++) {
			const ic_bench_result *r = &b->res[c][s];
			if (!r->points || r->msgs_s <= 0 || r->armed_s <= 0)
				continue;
			char sz[32], off[32], on[32];
			ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
			fmt_count(r->msgs_s, "", off, sizeof(off));
			fmt_count(r->armed_s, "", on, sizeof(on));
			fprintf(out, "%-*s  %7s  %9s  %9s  %8.1f\n", w, b->ch[c].spec, sz, off, on,
				1e9 / r->armed_s - 1e9 / r->msgs_s);
		}
}

void ic_bench_print(FILE *out, const ic_bench *b)
{
	struct utsname u;
	uname(&u);
	fprintf(out, "ipchaos bench: %u channel%s x %u size%s, %u rep%s x %g s per cell after %g s warm-up, interleaved\n",
		b->nchannels, b->nchannels == 1 ? "" : "s", b->nsizes, b->nsizes == 1 ? "" : "s", b->reps,
		b->reps == 1 ? "" : "s", b->time_s, b->warmup_s);
	char load[64];
	ic_read_first_line("/proc/loadavg", load, sizeof(load));
	load[strcspn(load, " ")] = '\0'; /* the 1-minute figure */
	fprintf(out, "machine: Linux %s %s, %ld cores, load average %s at the end, %s\n", u.release,
		u.machine, sysconf(_SC_NPROCESSORS_ONLN), load[0] ? load : "?",
#ifdef __OPTIMIZE__
		"optimized build"
#else
		"unoptimized build (Debug: build with -DCMAKE_BUILD_TYPE=Release to measure)"
#endif
	);
	print_limits(out, b);
	print_throughput(out, b);
	print_styles(out, b);
	print_batching(out, b);
	print_latency(out, b);
	print_points(out, b);
	fprintf(out, "\nmemcpy: the cell's MB/s as a share of one core copying through 32 MiB buffers at that size.\n"
		     "A shared-memory ring copies each message twice, in (producer) and out (consumer): one memcpy\n"
		     "per message per core is its floor; with the two copies on two cores at once it can reach 100%%,\n"
		     "and more while its 8 slots fit in the caches. Pipes and sockets copy twice too, in the kernel.\n");
}

/* ---- CSV ---- */

static void csv_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* A measured number, or an empty field. */
static void csv_num(FILE *f, double v)
{
	if (v > 0)
		fprintf(f, ",%.6g", v);
	else
		fputs(",", f);
}

static int finish_file(FILE *f)
{
	int failed = ferror(f);
	int saved = errno;
	if (fclose(f) != 0 || failed) {
		if (failed)
			errno = saved ? saved : EIO;
		return -1;
	}
	return 0;
}

#define CSV_COLUMNS                                                                                   \
	"channel,style,size,procs,status,reason,msgs_per_s,mb_per_s,memcpy_fraction,vs_best_mp,"       \
	"logged_msgs_per_s,harness_cost,rtt_median_ns,rtt_p99_ns,rtt_vs_futex,points_enabled_msgs_per_s," \
	"point_ns_per_msg,memcpy_mb_per_s,one_to_one_msgs_per_s,vs_one_to_one"

static const char *status_of(const ic_bench_result *r)
{
	return r->na[0] ? "n/a" : r->error[0] || r->msgs_s <= 0 ? "fail" : "ok";
}

int ic_bench_write_csv(const ic_bench *b, FILE *f)
{
	fprintf(f, "%s\n", CSV_COLUMNS);
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++) {
			const ic_bench_result *r = &b->res[c][s];
			double best = ic_bench_best(b, s, IC_STYLE_MP, NULL);
			bool ok = !r->na[0] && !r->error[0] && r->msgs_s > 0;
			csv_str(f, b->ch[c].spec);
			fprintf(f, ",%s,%u,%s,%s,", ic_bench_style_name(b->ch[c].style), (unsigned)b->sizes[s],
				b->procs, status_of(r));
			csv_str(f, r->na[0] ? r->na : r->error);
			csv_num(f, ok ? r->msgs_s : 0);
			csv_num(f, ok ? r->mb_s : 0);
			csv_num(f, ok && b->memcpy_mb_s[s] > 0 ? r->mb_s / b->memcpy_mb_s[s] : 0);
			csv_num(f, ok && best > 0 ? r->msgs_s / best : 0);
			csv_num(f, ok ? r->logged_s : 0);
			csv_num(f, ok && r->logged_s > 0 ? r->msgs_s / r->logged_s : 0);
			csv_num(f, r->rtt_median_ns);
			csv_num(f, r->rtt_p99_ns);
			csv_num(f, r->rtt_median_ns > 0 && b->futex_median_ns > 0 ? r->rtt_median_ns / b->futex_median_ns : 0);
			csv_num(f, ok ? r->armed_s : 0);
			double added = ok && r->armed_s > 0 ? 1e9 / r->armed_s - 1e9 / r->msgs_s : 0;
			/* Within noise points can look free or better: an empty field, not a negative cost. */
			csv_num(f, added);
			csv_num(f, b->memcpy_mb_s[s]);
			csv_num(f, ok ? r->single_s : 0);
			csv_num(f, ok && r->single_s > 0 ? r->msgs_s / r->single_s : 0);
			fputc('\n', f);
		}
	return finish_file(f);
}

/* ---- JSON ---- */

/* ,"key":value, only when measured (a positive number). */
static void json_num(FILE *f, const char *key, double v)
{
	if (v > 0)
		fprintf(f, ",\"%s\":%.6g", key, v);
}

static void json_environment(FILE *f)
{
	struct utsname u;
	char mq[64], msgmax[64];
	uname(&u);
	ic_read_first_line("/proc/sys/fs/mqueue/msgsize_max", mq, sizeof(mq));
	ic_read_first_line("/proc/sys/kernel/msgmax", msgmax, sizeof(msgmax));
	fprintf(f, "\"environment\":{\"version\":\"%s\",\"kernel\":", IC_VERSION);
	ic_json_str(f, u.release);
	fprintf(f, ",\"machine\":");
	ic_json_str(f, u.machine);
	fprintf(f, ",\"cores\":%ld,\"optimized\":%s,\"sysctl\":{\"fs.mqueue.msgsize_max\":",
		sysconf(_SC_NPROCESSORS_ONLN),
#ifdef __OPTIMIZE__
		"true"
#else
		"false"
#endif
	);
	ic_json_str(f, mq);
	fprintf(f, ",\"kernel.msgmax\":");
	ic_json_str(f, msgmax);
	char load[64];
	ic_read_first_line("/proc/loadavg", load, sizeof(load));
	fprintf(f, "},\"loadavg\":");
	ic_json_str(f, load);
	fprintf(f, "}");
}

static void json_limits(FILE *f, const ic_bench *b)
{
	fprintf(f, ",\"limits\":{\"memcpy\":[");
	for (unsigned s = 0; s < b->nsizes; s++)
		fprintf(f, "%s{\"size\":%u,\"mb_per_s\":%.6g,\"hot_mb_per_s\":%.6g}", s ? "," : "",
			(unsigned)b->sizes[s], b->memcpy_mb_s[s], b->memcpy_hot_mb_s[s]);
	fprintf(f, "],\"futex_rtt\":{\"median_ns\":%.6g,\"p99_ns\":%.6g},\"disabled_point\":{\"ns\":%.6g",
		b->futex_median_ns, b->futex_p99_ns, b->point_ns);
	if (b->point_instructions > 0)
		fprintf(f, ",\"instructions\":%.6g", b->point_instructions);
	else {
		fprintf(f, ",\"instructions_na\":");
		ic_json_str(f, b->point_na);
	}
	fprintf(f, "}}");
}

static void json_cell(FILE *f, const ic_bench *b, unsigned c, unsigned s)
{
	const ic_bench_result *r = &b->res[c][s];
	bool ok = !r->na[0] && !r->error[0] && r->msgs_s > 0;
	double best = ic_bench_best(b, s, IC_STYLE_MP, NULL);
	fprintf(f, "{\"channel\":");
	ic_json_str(f, b->ch[c].spec);
	fprintf(f, ",\"style\":\"%s\",\"size\":%u,\"procs\":\"%s\",\"status\":\"%s\"",
		ic_bench_style_name(b->ch[c].style), (unsigned)b->sizes[s], b->procs, status_of(r));
	if (r->na[0] || r->error[0]) {
		fprintf(f, ",\"reason\":");
		ic_json_str(f, r->na[0] ? r->na : r->error);
	}
	if (ok) {
		json_num(f, "msgs_per_s", r->msgs_s);
		json_num(f, "mb_per_s", r->mb_s);
		json_num(f, "memcpy_fraction", b->memcpy_mb_s[s] > 0 ? r->mb_s / b->memcpy_mb_s[s] : 0);
		json_num(f, "vs_best_mp", best > 0 ? r->msgs_s / best : 0);
		json_num(f, "logged_msgs_per_s", r->logged_s);
		json_num(f, "harness_cost", r->logged_s > 0 ? r->msgs_s / r->logged_s : 0);
		json_num(f, "points_enabled_msgs_per_s", r->armed_s);
		json_num(f, "one_to_one_msgs_per_s", r->single_s);
		json_num(f, "vs_one_to_one", r->single_s > 0 ? r->msgs_s / r->single_s : 0);
		/* Within noise, enabled points can look free: then absent, not a negative cost. */
		json_num(f, "point_ns_per_msg", r->armed_s > 0 ? 1e9 / r->armed_s - 1e9 / r->msgs_s : 0);
	}
	if (r->pingpong || r->pp_na[0]) {
		fprintf(f, ",\"rtt\":{\"status\":\"%s\"", !r->pingpong ? "n/a" : r->rtt_median_ns > 0 ? "ok" : "fail");
		if (!r->pingpong) {
			fprintf(f, ",\"reason\":");
			ic_json_str(f, r->pp_na);
		}
		json_num(f, "median_ns", r->rtt_median_ns);
		json_num(f, "p99_ns", r->rtt_p99_ns);
		json_num(f, "vs_futex", b->futex_median_ns > 0 ? r->rtt_median_ns / b->futex_median_ns : 0);
		fprintf(f, "}");
	}
	fprintf(f, "}");
}

static void json_styles(FILE *f, const ic_bench *b)
{
	bool first = true;
	fprintf(f, ",\"shm_vs_mp\":[");
	for (unsigned s = 0; s < b->nsizes; s++) {
		unsigned shm = 0, mp = 0;
		double a = ic_bench_best(b, s, IC_STYLE_SHM, &shm), m = ic_bench_best(b, s, IC_STYLE_MP, &mp);
		if (a <= 0 || m <= 0)
			continue;
		fprintf(f, "%s{\"size\":%u,\"ratio\":%.6g,\"shm\":", first ? "" : ",", (unsigned)b->sizes[s], a / m);
		ic_json_str(f, b->ch[shm].spec);
		fprintf(f, ",\"shm_msgs_per_s\":%.6g,\"mp\":", a);
		ic_json_str(f, b->ch[mp].spec);
		fprintf(f, ",\"mp_msgs_per_s\":%.6g}", m);
		first = false;
	}
	fprintf(f, "]");
}

/* The batched ring's ratios, as print_batching shows them. */
static void json_batching(FILE *f, const ic_bench *b)
{
	bool first = true;
	fprintf(f, ",\"batching\":[");
	for (unsigned c = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++) {
			int mq = measured(b, "mq", IC_BENCH_COPY, s), pipe = measured(b, "pipe", IC_BENCH_COPY, s);
			if (strcmp(b->ch[c].cfg.sc->name, "shm_batch") != 0 || measured(b, "shm_batch", b->ch[c].api, s) < 0 ||
			    (mq < 0 && pipe < 0))
				continue;
			fprintf(f, "%s{\"channel\":", first ? "" : ",");
			ic_json_str(f, b->ch[c].spec);
			fprintf(f, ",\"size\":%u,\"msgs_per_s\":%.6g", (unsigned)b->sizes[s], b->res[c][s].msgs_s);
			json_num(f, "vs_mq", mq >= 0 ? b->res[c][s].msgs_s / b->res[mq][s].msgs_s : 0);
			json_num(f, "vs_pipe", pipe >= 0 ? b->res[c][s].msgs_s / b->res[pipe][s].msgs_s : 0);
			fprintf(f, "}");
			first = false;
		}
	fprintf(f, "]");
}

int ic_bench_write_json(const ic_bench *b, FILE *f)
{
	fprintf(f, "{\"format\":\"ipchaos-bench\",\"format_version\":1,");
	json_environment(f);
	fprintf(f, ",\"config\":{\"procs\":\"%s\",\"reps\":%u,\"time_s\":%g,\"warmup_s\":%g,\"quick\":%s,"
		   "\"sizes\":[", b->procs, b->reps, b->time_s, b->warmup_s, b->quick ? "true" : "false");
	for (unsigned s = 0; s < b->nsizes; s++)
		fprintf(f, "%s%u", s ? "," : "", (unsigned)b->sizes[s]);
	fprintf(f, "],\"channels\":[");
	for (unsigned c = 0; c < b->nchannels; c++) {
		fprintf(f, "%s{\"channel\":", c ? "," : "");
		ic_json_str(f, b->ch[c].spec);
		fprintf(f, ",\"style\":\"%s\"}", ic_bench_style_name(b->ch[c].style));
	}
	fprintf(f, "]}");
	json_limits(f, b);
	fprintf(f, ",\"cells\":[");
	for (unsigned c = 0, n = 0; c < b->nchannels; c++)
		for (unsigned s = 0; s < b->nsizes; s++, n++) {
			fputs(n ? "," : "", f);
			json_cell(f, b, c, s);
		}
	fprintf(f, "]");
	json_styles(f, b);
	json_batching(f, b);
	fprintf(f, "}\n");
	return finish_file(f);
}
