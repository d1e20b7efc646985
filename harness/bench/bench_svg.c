/*
 * bench_svg.c: the bench as a self-contained SVG chart: throughput (MB/s)
 * against message size, both axes logarithmic, one line per channel (warm
 * colours shared memory, cool ones message passing), one core's memcpy as a
 * dashed line. Plain SVG 1.1, no script or external font: any browser, a
 * README on GitHub.
 */
#include "bench/bench.h"

#include <math.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

enum { WIDTH = 980, HEIGHT = 600, LEFT = 78, RIGHT = 290, TOP = 58, BOTTOM = 62 };

/* Distinct on white and for the common colour blindnesses, by style. */
static const char *const shm_colours[] = {"#d62728", "#ff7f0e", "#8c564b", "#e377c2", "#bcbd22"};
static const char *const mp_colours[] = {"#1f77b4", "#17becf", "#2ca02c", "#9467bd", "#393b79",
					 "#6baed6", "#31a354", "#756bb1"};
static const char *const hybrid_colour = "#7f7f7f";

typedef struct axes {
	double x0, x1; /* log2 of the sizes at the plot's edges */
	double y0, y1; /* log10 of MB/s at the plot's edges */
} axes;

static double px(const axes *a, double size)
{
	return LEFT + (log2(size) - a->x0) / (a->x1 - a->x0) * (WIDTH - LEFT - RIGHT);
}

static double py(const axes *a, double mb)
{
	return HEIGHT - BOTTOM - (log10(mb) - a->y0) / (a->y1 - a->y0) * (HEIGHT - TOP - BOTTOM);
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static axes make_axes(const ic_bench *b)
{
	double lo = INFINITY, hi = 0;
	for (unsigned s = 0; s < b->nsizes; s++) {
		if (b->memcpy_mb_s[s] > 0) {
			lo = fmin(lo, b->memcpy_mb_s[s]);
			hi = fmax(hi, b->memcpy_mb_s[s]);
		}
		for (unsigned c = 0; c < b->nchannels; c++)
			if (b->res[c][s].mb_s > 0 && !b->res[c][s].error[0]) {
				lo = fmin(lo, b->res[c][s].mb_s);
				hi = fmax(hi, b->res[c][s].mb_s);
			}
	}
	if (!(hi > 0)) {
		lo = 1;
		hi = 10;
	}
	double xs = log2(b->sizes[0]), xe = log2(b->sizes[b->nsizes - 1]);
	double pad = xe > xs ? (xe - xs) * 0.04 : 1;
	return (axes){.x0 = xs - pad, .x1 = xe + pad, .y0 = floor(log10(lo)), .y1 = fmax(ceil(log10(hi)), floor(log10(lo)) + 1)};
}

static void grid(FILE *f, const ic_bench *b, const axes *a)
{
	fprintf(f, "<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
	for (double d = a->y0; d <= a->y1 + 1e-9; d++) {
		for (int m = 2; m <= 9 && d < a->y1; m++)
			fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#f2f2f2\"/>\n", LEFT,
				WIDTH - RIGHT, py(a, m * pow(10, d)), py(a, m * pow(10, d)));
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, WIDTH - RIGHT,
			py(a, pow(10, d)), py(a, pow(10, d)));
	}
	for (unsigned s = 0; s < b->nsizes; s++)
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>\n", px(a, b->sizes[s]),
			px(a, b->sizes[s]), TOP, HEIGHT - BOTTOM);
	fprintf(f, "</g>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>\n",
		LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
	fprintf(f, "<g class=\"labels\" font-size=\"12\" fill=\"#333\">\n");
	for (double d = a->y0; d <= a->y1 + 1e-9; d++) {
		double v = pow(10, d);
		char label[32];
		if (v >= 1e3)
			snprintf(label, sizeof(label), "%g GB/s", v / 1e3);
		else
			snprintf(label, sizeof(label), "%g MB/s", v);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6, py(a, v) + 4, label);
	}
	for (unsigned s = 0; s < b->nsizes; s++) {
		char sz[32];
		ic_bench_size_text(b->sizes[s], sz, sizeof(sz));
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", px(a, b->sizes[s]),
			HEIGHT - BOTTOM + 18, sz);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"13\">message size</text>\n",
		LEFT + (WIDTH - LEFT - RIGHT) / 2, HEIGHT - BOTTOM + 42);
	fprintf(f, "</g>\n");
}

static const char *colour_of(const ic_bench *b, unsigned c)
{
	unsigned shm = 0, mp = 0;
	for (unsigned i = 0; i < c; i++) {
		shm += b->ch[i].style == IC_STYLE_SHM;
		mp += b->ch[i].style == IC_STYLE_MP;
	}
	if (b->ch[c].style == IC_STYLE_SHM)
		return shm_colours[shm % (sizeof(shm_colours) / sizeof(shm_colours[0]))];
	if (b->ch[c].style == IC_STYLE_MP)
		return mp_colours[mp % (sizeof(mp_colours) / sizeof(mp_colours[0]))];
	return hybrid_colour;
}

static void channel_line(FILE *f, const ic_bench *b, const axes *a, unsigned c)
{
	const char *colour = colour_of(b, c);
	bool shm = b->ch[c].style == IC_STYLE_SHM;
	fprintf(f, "<g class=\"series\"><title>");
	xml_text(f, b->ch[c].spec);
	fprintf(f, "</title>\n<polyline class=\"channel\" data-channel=\"");
	xml_text(f, b->ch[c].spec);
	fprintf(f, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" stroke-linejoin=\"round\"%s points=\"", colour,
		shm ? "2.6" : "1.8", b->ch[c].style == IC_STYLE_HYBRID ? " stroke-dasharray=\"2 3\"" : "");
	for (unsigned s = 0, n = 0; s < b->nsizes; s++) {
		const ic_bench_result *r = &b->res[c][s];
		if (r->mb_s > 0 && !r->error[0])
			fprintf(f, "%s%.1f,%.1f", n++ ? " " : "", px(a, b->sizes[s]), py(a, r->mb_s));
	}
	fprintf(f, "\"/>\n");
	for (unsigned s = 0; s < b->nsizes; s++) {
		const ic_bench_result *r = &b->res[c][s];
		if (r->mb_s > 0 && !r->error[0])
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"/>\n", px(a, b->sizes[s]),
				py(a, r->mb_s), shm ? "3.4" : "2.6", colour);
	}
	fprintf(f, "</g>\n");
}

static void memcpy_line(FILE *f, const ic_bench *b, const axes *a)
{
	fprintf(f, "<g class=\"series\"><title>memcpy, one core</title>\n<polyline class=\"limit\" data-limit=\"memcpy\" "
		   "fill=\"none\" stroke=\"#000\" stroke-width=\"1.6\" stroke-dasharray=\"7 5\" points=\"");
	for (unsigned s = 0, n = 0; s < b->nsizes; s++)
		if (b->memcpy_mb_s[s] > 0)
			fprintf(f, "%s%.1f,%.1f", n++ ? " " : "", px(a, b->sizes[s]), py(a, b->memcpy_mb_s[s]));
	fprintf(f, "\"/></g>\n");
}

static void legend(FILE *f, const ic_bench *b)
{
	int x = WIDTH - RIGHT + 22, y = TOP + 6;
	static const int order[] = {IC_STYLE_SHM, IC_STYLE_HYBRID, IC_STYLE_MP};
	static const char *const heading[] = {"shared memory", "hybrid", "message passing"};
	fprintf(f, "<g class=\"legend\" font-size=\"12\" fill=\"#222\">\n");
	fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#000\" stroke-width=\"1.6\" "
		   "stroke-dasharray=\"7 5\"/><text x=\"%d\" y=\"%d\">memcpy, one core (limit)</text>\n",
		x, x + 26, y, y, x + 32, y + 4);
	y += 24;
	for (unsigned k = 0; k < 3; k++) {
		bool any = false;
		for (unsigned c = 0; c < b->nchannels; c++) {
			if (b->ch[c].style != order[k])
				continue;
			if (!any) {
				fprintf(f, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\" fill=\"#555\">%s</text>\n", x, y + 4,
					heading[k]);
				y += 18;
			}
			any = true;
			fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"%s\"%s/>"
				   "<text x=\"%d\" y=\"%d\">", x, x + 26, y, y, colour_of(b, c),
				order[k] == IC_STYLE_SHM ? "2.6" : "1.8",
				order[k] == IC_STYLE_HYBRID ? " stroke-dasharray=\"2 3\"" : "", x + 32, y + 4);
			xml_text(f, b->ch[c].spec);
			fprintf(f, "</text>\n");
			y += 18;
		}
		y += any ? 8 : 0;
	}
	fprintf(f, "</g>\n");
}

int ic_bench_write_svg(const ic_bench *b, FILE *f)
{
	axes a = make_axes(b);
	struct utsname u;
	uname(&u);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, sans-serif\">\n",
		WIDTH, HEIGHT, WIDTH, HEIGHT);
	fprintf(f, "<title>ipchaos bench: throughput against message size</title>\n");
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
	fprintf(f, "<text x=\"%d\" y=\"26\" font-size=\"17\" font-weight=\"bold\" fill=\"#111\">"
		   "Throughput against message size, shared memory vs message passing</text>\n", LEFT);
	fprintf(f, "<text x=\"%d\" y=\"44\" font-size=\"12\" fill=\"#555\">ipchaos bench, --procs %s, median of %u x %g s; "
		   "MB = 10^6 bytes; Linux ", LEFT, b->procs, b->reps, b->time_s);
	xml_text(f, u.release);
	char load[64] = "";
	FILE *l = fopen("/proc/loadavg", "r");
	if (l && fgets(load, sizeof(load), l))
		load[strcspn(load, " ")] = '\0';
	if (l)
		fclose(l);
	fprintf(f, ", %ld cores, load %s</text>\n", sysconf(_SC_NPROCESSORS_ONLN), load[0] ? load : "?");
	grid(f, b, &a);
	memcpy_line(f, b, &a);
	for (unsigned c = 0; c < b->nchannels; c++)
		channel_line(f, b, &a, c);
	legend(f, b);
	fprintf(f, "</svg>\n");
	int failed = ferror(f);
	return fclose(f) != 0 || failed ? -1 : 0;
}
