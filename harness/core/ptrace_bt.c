/*
 * ptrace_bt.c: the stack of another process, through libunwind's ptrace
 * accessors. Kept apart from backtrace.c: the remote unwinder and the local
 * one are different libunwind flavours.
 */
#include "internal.h"
#include "core/backtrace.h"

#include <libunwind-ptrace.h>

#include <errno.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

static size_t unwind_remote(pid_t pid, char *buf, size_t size)
{
	size_t len = 0;
	unw_addr_space_t as = unw_create_addr_space(&_UPT_accessors, 0);
	void *upt = as ? _UPT_create(pid) : NULL;
	unw_cursor_t cur;
	if (!upt || unw_init_remote(&cur, as, upt) != 0) {
		len = (size_t)snprintf(buf, size, "      (libunwind could not start unwinding)\n");
		goto out;
	}
	for (int n = 0; n < IC_BT_FRAMES && len < size; n++) {
		char name[128];
		unw_word_t off = 0, ip = 0;
		name[0] = '\0';
		unw_get_reg(&cur, UNW_REG_IP, &ip);
		if (unw_get_proc_name(&cur, name, sizeof(name), &off) == 0)
			len += (size_t)snprintf(buf + len, size - len, "      #%d %s+0x%lx\n", n, name,
						(unsigned long)off);
		else
			len += (size_t)snprintf(buf + len, size - len, "      #%d 0x%lx\n", n,
						(unsigned long)ip);
		if (ic_bt_is_last_frame(name) || unw_step(&cur) <= 0)
			break;
	}
out:
	if (upt)
		_UPT_destroy(upt);
	if (as)
		unw_destroy_addr_space(as);
	return len;
}

int ic_bt_ptrace(pid_t pid, char *buf, size_t size, int *exit_status)
{
	int status;
	buf[0] = '\0';
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) != 0) {
		snprintf(buf, size, "      (cannot attach with ptrace: %s)\n", strerror(errno));
		return -1;
	}
	/* Interrupt it wherever it is blocked; the stop is reported to us alone. */
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0 || waitpid(pid, &status, __WALL) != pid) {
		snprintf(buf, size, "      (could not stop it to unwind)\n");
		ptrace(PTRACE_DETACH, pid, 0, 0);
		return -1;
	}
	if (!WIFSTOPPED(status)) { /* it ended meanwhile, and that wait reaped it */
		*exit_status = status;
		return 1;
	}
	unwind_remote(pid, buf, size);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}
