/*
 * under.c: roles under a tool (run --under memcheck). The supervisor still
 * forks each role (process group, PDEATHSIG, its pid in the arena), but the
 * child execs valgrind on this binary's hidden `__role ARENA SLOT` entry.
 * That process maps the live arena, parses the run back from the arguments
 * the supervisor left there (the replay line: the same parser, so the same
 * scenario, variant, counts, seed and injector plans), lets the scenario
 * re-open what setup made (its attach hook), and runs the same role_main as
 * a forked role. Memcheck writes to a memfd the supervisor made (nothing on
 * disk to clean); its first error and stack become the crash finding's evidence.
 */
#include "core/under.h"
#include "core/spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define RUN_WORD " run "

/* valgrind cannot run a binary built with AddressSanitizer: its shadow memory clashes. */
#if defined(__SANITIZE_ADDRESS__)
static const bool built_with_asan = true;
#else
static const bool built_with_asan = false;
#endif

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[4096];
	while (path && *path) {
		size_t n = strcspn(path, ":");
		snprintf(dir, sizeof(dir), "%.*s/%s", (int)(n ? n : 1), n ? path : ".", prog);
		if (access(dir, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

int ic_under_parse(const char *value, const char **tool, char *err, size_t errsize)
{
	if (strcmp(value, "memcheck") != 0) {
		snprintf(err, errsize, "--under %s: unknown tool (valid: %s)", value, IC_UNDER_TOOLS);
		return -1;
	}
	if (!in_path("valgrind")) {
		snprintf(err, errsize, "--under memcheck needs valgrind in PATH");
		return -1;
	}
	if (built_with_asan) {
		snprintf(err, errsize, "--under memcheck: this ipchaos is built with AddressSanitizer, "
				       "which valgrind cannot run (use a build without IPCHAOS_SANITIZE)");
		return -1;
	}
	*tool = "memcheck";
	return 0;
}

/* Without setup there is nothing to inherit; with one, attach must re-open it. */
static bool can_exec(const ic_scenario *sc)
{
	return !sc->setup || sc->attach;
}

static void append_name(char *buf, size_t size, const ic_scenario *sc)
{
	size_t len = strlen(buf);
	if (can_exec(sc) && len < size)
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "", sc->name);
}

int ic_under_validate(const ic_scenario *const *extra, const ic_scenario *sc, char *err, size_t errsize)
{
	if (can_exec(sc))
		return 0;
	char valid[512] = "";
	for (unsigned i = 0; ic_builtin_scenarios[i]; i++)
		append_name(valid, sizeof(valid), ic_builtin_scenarios[i]);
	for (unsigned i = 0; extra && extra[i]; i++)
		append_name(valid, sizeof(valid), extra[i]);
	snprintf(err, errsize,
		 "--under: scenario %s cannot start its roles by exec: they inherit what its setup "
		 "made through fork (valid: %s)", sc->name, valid);
	return -1;
}

int ic_under_role_args(const ic_run_cfg *cfg, char *buf, size_t size)
{
	char line[4096];
	ic_spec_replay_line(cfg, line, sizeof(line));
	/* What follows "PROGRAM run ": the program is ipchaos or a user's (ic_main). */
	size_t skip = strlen(ic_program_name()) + strlen(RUN_WORD);
	size_t len = strlen(line);
	if (len + 1 >= sizeof(line) || len < skip || strncmp(line + skip - strlen(RUN_WORD), RUN_WORD,
							     strlen(RUN_WORD)) != 0 || len - skip >= size)
		return -1;
	snprintf(buf, size, "%s", line + skip);
	return 0;
}

void ic_under_exec(const char *tool, const char *self, const char *arena, unsigned slot, int log_fd)
{
	char tool_opt[32], exit_opt[32], log_opt[32], slot_arg[16];
	snprintf(tool_opt, sizeof(tool_opt), "--tool=%s", tool);
	snprintf(exit_opt, sizeof(exit_opt), "--error-exitcode=%d", IC_UNDER_ERROR_EXIT);
	snprintf(log_opt, sizeof(log_opt), "--log-fd=%d", log_fd);
	snprintf(slot_arg, sizeof(slot_arg), "%u", slot);
	/*
	 * Leaks are not checked: a role ends in _exit, and what it holds then is
	 * not a bug. No gdbserver: its FIFOs in /tmp would outlive a killed role.
	 */
	char *argv[] = {"valgrind", tool_opt, "-q", exit_opt, "--leak-check=no", "--vgdb=no",
			"--num-callers=24", log_opt, (char *)self, "__role", (char *)arena, slot_arg, NULL};
	execvp(argv[0], argv);
}

/* ---- Reading memcheck's log ---- */

/* The line's text after valgrind's "==PID== " prefix. */
static const char *log_text(const char *line)
{
	if (strncmp(line, "==", 2) != 0)
		return line;
	const char *end = strstr(line + 2, "==");
	return end ? end + 2 + (end[2] == ' ') : line;
}

static size_t line_len(const char *p)
{
	return strcspn(p, "\n");
}

static const char *next_line(const char *p)
{
	p += line_len(p);
	return *p ? p + 1 : p;
}

static bool is_frame(const char *text)
{
	return strncmp(text, "   at 0x", 8) == 0 || strncmp(text, "   by 0x", 8) == 0;
}

/* An error is a line at the left margin followed by its stack. */
static bool is_error(const char *line)
{
	const char *text = log_text(line);
	return text[0] && text[0] != ' ' && text[0] != '\n' && is_frame(log_text(next_line(line)));
}

#define ADD(...) (len += len < size ? (size_t)snprintf(out + len, size - len, __VA_ARGS__) : 0)

bool ic_under_report(const char *log, char *out, size_t size)
{
	size_t len = 0;
	unsigned errors = 0;
	const char *first = NULL;
	out[0] = '\0';
	for (const char *p = log; *p; p = next_line(p))
		if (is_error(p) && !errors++)
			first = p;
	if (!first)
		return false;
	const char *text = log_text(first);
	ADD("%.*s\n", (int)line_len(text), text);
	unsigned k = 0;
	const char *p = next_line(first);
	for (; *p && is_frame(log_text(p)); p = next_line(p)) {
		text = log_text(p);
		const char *fn = strstr(text, ": ");
		fn = fn ? fn + 2 : text + 3;
		if (k < IC_BT_FRAMES)
			ADD("    #%u %.*s\n", k, (int)line_len(fn), fn);
		/* The harness's own frames below the role are noise, as in crash stacks. */
		if (k++ >= IC_BT_FRAMES || strncmp(fn, "role_main ", 10) == 0)
			break;
	}
	while (*p && is_frame(log_text(p)))
		p = next_line(p);
	text = log_text(p);
	if (text[0] == ' ' && text[1] != ' ') /* " Address 0x... is inside a block ..." */
		ADD("    %.*s\n", (int)line_len(text + 1), text + 1);
	if (errors > 1)
		ADD("    (%u errors in all; the first is shown)\n", errors);
	return true;
}

#undef ADD

bool ic_under_tool_failed(const char *log, char *why, size_t size)
{
	for (const char *p = log; *p; p = next_line(p)) {
		const char *text = log_text(p);
		if (strncasecmp(text, "valgrind: ", 10) == 0) {
			snprintf(why, size, "%.*s", (int)line_len(text), text);
			return true;
		}
	}
	return false;
}
