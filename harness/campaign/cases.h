/*
 * cases.h: test cases as CI systems see them: one per (scenario, variant,
 * injector set) of a sweep, or per expectation of `run --all`; written as
 * JUnit XML and TAP 14 from the same records.
 */
#ifndef IC_CASES_H
#define IC_CASES_H

#include "core/outfile.h"
#include "core/run.h"

enum ic_case_outcome { IC_CASE_PASS, IC_CASE_FAIL, IC_CASE_ERROR };

typedef struct ic_case {
	char name[640];      /* "shm_counter:lock=none,bug=none [delay:p=0.05,max=20]" */
	char classname[64];  /* the scenario */
	uint64_t runs;
	uint64_t first_seed, last_seed;
	double seconds;
	int outcome;         /* enum ic_case_outcome */
	char message[512];   /* the verdict in one line, with the seed */
	char *detail;        /* the finding's report, replay line last (malloc'd) */
	uint64_t seed;       /* the failing seed */
	char replay[1024];
} ic_case;

typedef struct ic_cases {
	ic_case *v;
	unsigned n, cap;
	FILE *tap; /* TAP 14 lines go here as each case ends, or NULL */
	const char *version, *kernel; /* the suite's properties; NULL: this binary's, this machine's */
} ic_cases;

/* Starts a case for this configuration; NULL if out of memory. */
ic_case *ic_case_begin(ic_cases *cs, const ic_run_cfg *cfg, const char *expected);
/* Same from its parts, for runs read back from JSON (inject: joined by spaces, "" for none). */
ic_case *ic_case_begin_named(ic_cases *cs, const char *scenario, const char *spec, const char *inject,
			     const char *expected);
/* Counts a run into it; a failing or broken one (the first) becomes its failure. */
void ic_case_run(ic_case *k, const ic_run_cfg *cfg, const ic_run_result *res);
/* Counts a run into it, without judging it. */
void ic_case_count(ic_case *k, uint64_t seed, double seconds);
/* Its failure, unless it already has one: outcome (IC_CASE_FAIL or IC_CASE_ERROR), the verdict
 * word and text whose first line make the message, the seed, the replay line, and the
 * report block (malloc'd, taken over; may be NULL). */
void ic_case_failure(ic_case *k, int outcome, const char *verdict, const char *text, uint64_t seed,
		     const char *replay, char *detail);
/* Marks it failed with a message of the caller's (a missed expectation). */
void ic_case_fail(ic_case *k, const char *message);
/* Done: the TAP line (and diagnostics) is printed now. */
void ic_case_end(ic_cases *cs, ic_case *k);
/* Into out, opened by ic_outfiles_open; -1 (errno) when it could not be written whole. */
int ic_junit_write(const ic_cases *cs, ic_outfile *out);
void ic_tap_plan(const ic_cases *cs);
void ic_cases_free(ic_cases *cs);

#endif
