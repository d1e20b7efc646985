/*
 * fuzz_cli.c: libFuzzer target for `ipchaos run`'s argument parser, specs
 * and injector specs included. The input is split on NUL bytes into argv.
 * Parsing only: ic_cli_parse_run creates no file and starts nothing (the
 * outputs are opened by ic_cli_open_outputs, which is not called here). A
 * refusal must be one line; an accepted spec must print a replay line that
 * parses back into the same run.
 */
#include "cli/cli.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The sharding variables would make most inputs parse one way. */
	unsetenv("GTEST_SHARD_INDEX");
	unsetenv("GTEST_TOTAL_SHARDS");
	unsetenv("JOB_COMPLETION_INDEX");
	return 0;
}

/* The replay line of an accepted run, read back: the same spec and seed. */
static void replay_parses_back(const ic_opts *o)
{
	char line[1024], err[1024], *words[MAX_ARGS];
	ic_run_cfg cfg = o->runs[0];
	cfg.seed = o->seed;
	ic_spec_replay_line(&cfg, line, sizeof(line));
	int n = 0;
	char *save = NULL;
	(void)strtok_r(line, " ", &save); /* the program */
	(void)strtok_r(NULL, " ", &save); /* "run" */
	for (char *w; n < MAX_ARGS && (w = strtok_r(NULL, " ", &save));)
		words[n++] = w;
	ic_opts *again = calloc(1, sizeof(*again));
	if (!again)
		return;
	if (ic_cli_parse_run(again, n, words, err, sizeof(err)) != 0) {
		fprintf(stderr, "the replay line does not parse: %s\n", err);
		abort();
	}
	char a[256], b[256];
	ic_spec_text(&o->runs[0], a, sizeof(a));
	ic_spec_text(&again->runs[0], b, sizeof(b));
	if (strcmp(a, b) != 0 || again->seed != o->seed || again->runs[0].ninj != o->runs[0].ninj) {
		fprintf(stderr, "the replay line reads back as another run: %s vs %s\n", a, b);
		abort();
	}
	ic_cli_free(again);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *argv[MAX_ARGS + 1], err[1024];
	int argc = 0;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t at = 0; at <= size && argc < MAX_ARGS; at += strlen(text + at) + 1)
		argv[argc++] = text + at;
	argv[argc] = NULL;
	ic_opts *o = calloc(1, sizeof(*o));
	if (o) {
		err[0] = '\0';
		if (ic_cli_parse_run(o, argc, argv, err, sizeof(err)) != 0) {
			if (!err[0] || strlen(err) >= sizeof(err))
				abort(); /* a refusal says why */
		} else if (o->nruns > 0 && !o->seed_random) {
			replay_parses_back(o);
		}
		if (o->out[IC_OUT_JSON].fd > 0 || o->out[IC_OUT_JUNIT].fd > 0)
			abort(); /* parsing opened a file */
		ic_cli_free(o);
	}
	free(o);
	free(text);
	return 0;
}
