/*
 * backtrace.c: stacks through libunwind. A role's fault handler unwinds its
 * own stack into its arena slot (the process is about to die; the supervisor
 * reads it after). A stuck process is unwound from outside with the ptrace
 * unwinder, which needs no cooperation from it.
 */
#include "internal.h"
#include "core/backtrace.h"

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

/* The one piece of per-process state a signal handler cannot be handed. */
static ic_slot *fault_slot;

static void frame_text(unw_cursor_t *cur, char *buf, size_t size)
{
	char name[IC_NAME];
	unw_word_t off = 0, ip = 0;
	unw_get_reg(cur, UNW_REG_IP, &ip);
	if (unw_get_proc_name(cur, name, sizeof(name), &off) == 0)
		snprintf(buf, size, "%s+0x%lx", name, (unsigned long)off);
	else
		snprintf(buf, size, "0x%lx", (unsigned long)ip);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	unw_cursor_t cur;
	unsigned n = 0;
	/* Start at the faulting frame itself: the kernel's ucontext is libunwind's context. */
	if (unw_init_local2(&cur, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) == 0) {
		do
			frame_text(&cur, fault_slot->crash_bt[n], sizeof(fault_slot->crash_bt[n]));
		while (!ic_bt_is_last_frame(fault_slot->crash_bt[n]) && ++n < IC_BT_FRAMES &&
		       unw_step(&cur) > 0);
		n += n < IC_BT_FRAMES;
	}
	if (n < IC_BT_FRAMES)
		fault_slot->crash_bt[n][0] = '\0';
	atomic_store_explicit(&fault_slot->crash_sig, sig, memory_order_release);
	/* SA_RESETHAND restored the default: die of it once this handler returns. */
	raise(sig);
}

void ic_bt_install_fault_handler(ic_slot *slot)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS};
	size_t stack_size = 64 * 1024;
	void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stack != MAP_FAILED) {
		/* A stack overflow must still be reported: run the handler elsewhere. */
		stack_t ss = {.ss_sp = stack, .ss_size = stack_size, .ss_flags = 0};
		sigaltstack(&ss, NULL);
	}
	fault_slot = slot;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

bool ic_bt_is_last_frame(const char *frame)
{
	/* observer_main: where the scenario's observe runs, in a child of its own (core/run.c) */
	return (strncmp(frame, "role_main", 9) == 0 && (frame[9] == '+' || frame[9] == '\0')) ||
	       (strncmp(frame, "observer_main", 13) == 0 && (frame[13] == '+' || frame[13] == '\0'));
}

/* ---- Race reports: a stack now, and program counters recorded earlier ---- */

unsigned ic_bt_pcs(uint64_t *pc, unsigned max, unsigned skip)
{
	unw_context_t uc;
	unw_cursor_t cur;
	unsigned n = 0;
	if (unw_getcontext(&uc) != 0 || unw_init_local(&cur, &uc) != 0)
		return 0;
	while (n < max && unw_step(&cur) > 0) { /* the first step leaves this frame */
		unw_word_t ip = 0;
		unw_get_reg(&cur, UNW_REG_IP, &ip);
		if (skip) {
			skip--;
			continue;
		}
		pc[n++] = ip;
	}
	return n;
}

void ic_bt_symbol(uint64_t pc, char *buf, size_t size)
{
	unw_context_t uc;
	unw_cursor_t cur;
	char name[IC_NAME];
	unw_word_t off = 0;
	/* A cursor moved to the pc: libunwind names the function there, static ones too. */
	if (unw_getcontext(&uc) == 0 && unw_init_local(&cur, &uc) == 0 &&
	    unw_set_reg(&cur, UNW_REG_IP, (unw_word_t)pc) == 0 &&
	    unw_get_proc_name(&cur, name, sizeof(name), &off) == 0)
		snprintf(buf, size, "%s+0x%lx", name, (unsigned long)off);
	else
		snprintf(buf, size, "0x%lx", (unsigned long)pc);
}
