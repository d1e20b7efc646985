/*
 * backtrace.h: stacks of crashed roles (their own fault handler) and of stuck ones
 * (the supervisor's ptrace unwinder).
 */
#ifndef IC_BACKTRACE_H
#define IC_BACKTRACE_H

#include "internal.h"

/* Frames below a role's entry are the harness's own: stacks stop there. */
bool ic_bt_is_last_frame(const char *frame);
/* In a role: on a fault, unwind into slot->crash_bt, then die of the same signal. */
void ic_bt_install_fault_handler(ic_slot *slot);
/*
 * From the supervisor: the stack of a running child, one frame a line. 0, -1
 * (buf says why), or 1: it exited meanwhile and *exit_status is its wait status.
 */
int ic_bt_ptrace(pid_t pid, char *buf, size_t size, int *exit_status);

#endif
