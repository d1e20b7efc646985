/*
 * progress.h: how far a campaign got, while it runs: a bar redrawn in place on
 * a terminal, or a plain line every ten seconds where output is a log (not a
 * terminal, or CI set). Nothing under --quiet.
 */
#ifndef IC_PROGRESS_H
#define IC_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ic_progress {
	FILE *bar;   /* a terminal to draw on, or NULL */
	FILE *lines; /* a log for plain lines, or NULL */
	const char *unit;
	uint64_t total, done, runs, findings;
	uint64_t t0, shown; /* ns */
	bool drawn;         /* a bar is on the terminal's last line */
} ic_progress;

/* Picks the form from the streams and the environment; quiet: none at all. */
void ic_progress_start(ic_progress *p, FILE *log, bool quiet, uint64_t total, const char *unit);
void ic_progress_step(ic_progress *p, uint64_t done, uint64_t runs, uint64_t findings);
/* Takes the bar off the terminal before other output is written. */
void ic_progress_clear(ic_progress *p);

#endif
