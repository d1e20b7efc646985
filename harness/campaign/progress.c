/*
 * progress.c: the bar and the plain progress lines.
 */
#include "campaign/progress.h"
#include "internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#define BAR_EVERY_NS (100 * 1000 * 1000ull)
#define LINE_EVERY_NS (10 * 1000 * 1000 * 1000ull)
#define BAR_WIDTH 24

void ic_progress_start(ic_progress *p, FILE *log, bool quiet, uint64_t total, const char *unit)
{
	*p = (ic_progress){.unit = unit, .total = total, .t0 = ic_now_ns()};
	p->shown = p->t0;
	if (quiet)
		return;
	const char *ci = getenv("CI");
	if (isatty(STDERR_FILENO) && !(ci && *ci))
		p->bar = stderr;
	else
		p->lines = log;
}

static void eta_text(const ic_progress *p, double secs, char *buf, size_t size)
{
	if (p->done == 0 || p->done >= p->total)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.0fs", secs / (double)p->done * (double)(p->total - p->done));
}

static void show(ic_progress *p, uint64_t now)
{
	double secs = (double)(now - p->t0) / 1e9;
	double rate = secs > 0 ? (double)p->runs / secs : 0;
	char eta[32];
	eta_text(p, secs, eta, sizeof(eta));
	if (p->bar) {
		unsigned fill = p->total ? (unsigned)(BAR_WIDTH * p->done / p->total) : 0;
		char bar[BAR_WIDTH + 1];
		for (unsigned i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR_WIDTH] = '\0';
		fprintf(p->bar, "\r\033[K[%s] %" PRIu64 "/%" PRIu64 " %s, %" PRIu64 " finding%s, %.0f runs/s, ETA %s",
			bar, p->done, p->total, p->unit, p->findings, p->findings == 1 ? "" : "s", rate, eta);
		fflush(p->bar);
		p->drawn = true;
	} else if (p->lines) {
		fprintf(p->lines, "progress: %" PRIu64 "/%" PRIu64 " %s, %" PRIu64 " finding%s, %.0f runs/s, ETA %s\n",
			p->done, p->total, p->unit, p->findings, p->findings == 1 ? "" : "s", rate, eta);
		fflush(p->lines);
	}
	p->shown = now;
}

void ic_progress_step(ic_progress *p, uint64_t done, uint64_t runs, uint64_t findings)
{
	p->done = done, p->runs = runs, p->findings = findings;
	uint64_t now = ic_now_ns();
	if ((p->bar && now - p->shown >= BAR_EVERY_NS) || (p->lines && now - p->shown >= LINE_EVERY_NS))
		show(p, now);
}

void ic_progress_clear(ic_progress *p)
{
	if (!p->drawn)
		return;
	fputs("\r\033[K", p->bar);
	fflush(p->bar);
	p->drawn = false;
}
