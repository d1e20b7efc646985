/*
 * util.c: time, timeout scaling, signal names, finding text.
 */
#include "internal.h"

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
		f *= 30;
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
