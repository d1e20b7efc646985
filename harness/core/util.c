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

double ic_timeout_factor(void)
{
	double f = 1.0;
	const char *env = getenv("IPCHAOS_TIMEOUT_FACTOR");
	if (env) {
		char *end;
		double v = strtod(env, &end);
		if (end != env && *end == '\0' && v > 0)
			f = v;
	}
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

double ic_parse_duration(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || v < 0 || v != v)
		return -1;
	if (strcmp(end, "ms") == 0)
		v /= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60;
	else if (strcmp(end, "h") == 0)
		v *= 3600;
	else if (*end && strcmp(end, "s") != 0)
		return -1;
	return v > 7 * 86400 ? -1 : v;
}
