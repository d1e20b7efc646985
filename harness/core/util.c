/*
 * util.c: time, timeout scaling, signal names, finding text.
 */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <valgrind/valgrind.h>

uint64_t ic_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The factor the user set: 1 when unset or empty (`VAR= cmd` means unset), -1 when not a number in range. */
static double factor_from_env(char *err, size_t errsize)
{
	const char *env = getenv("IPCHAOS_TIMEOUT_FACTOR");
	double f = 1.0;
	if (env && env[0] && ic_parse_real("IPCHAOS_TIMEOUT_FACTOR=", env, IC_TIMEOUT_FACTOR_MIN, IC_TIMEOUT_FACTOR_MAX, &f,
				 err, errsize) != 0)
		return -1;
	return f;
}

int ic_timeout_factor_check(char *err, size_t errsize)
{
	return factor_from_env(err, errsize) < 0 ? -1 : 0;
}

double ic_timeout_factor(void)
{
	/* Commands refuse a bad value before they run (ic_timeout_factor_check): 1 is only a fallback. */
	double f = factor_from_env(NULL, 0);
	if (f < 0)
		f = 1.0;
	/* Memcheck runs code 20-50x slower; a hang verdict must not come from that. */
	if (RUNNING_ON_VALGRIND)
		f *= IC_VALGRIND_SLOWDOWN;
	return f;
}

const char *ic_signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
		{SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
		{SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
		{SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGSTOP, "SIGSTOP"},
		{SIGSYS, "SIGSYS"},   {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return "another signal";
}

void ic_read_first_line(const char *path, char *buf, size_t size)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

void ic_finding_addf(ic_finding *out, const char *fmt, ...)
{
	size_t len = strlen(out->text);
	if (len + 1 >= sizeof(out->text))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->text + len, sizeof(out->text) - len, fmt, ap);
	va_end(ap);
}

void ic_finding_mark(ic_finding *out, unsigned proc, enum ic_mark_kind kind, uint64_t at, const char *why)
{
	if (out->nmarks >= IC_MAX_MARKS)
		return;
	ic_mark *m = &out->marks[out->nmarks++];
	*m = (ic_mark){.proc = (uint16_t)proc, .kind = (uint16_t)kind, .at = at};
	snprintf(m->why, sizeof(m->why), "%s", why);
}

void ic_run_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, IC_CANCEL_SIG);
}

void ic_block_run_signals(void)
{
	sigset_t set;
	ic_run_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}
