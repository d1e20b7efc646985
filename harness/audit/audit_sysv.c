/*
 * audit_sysv.c: who made a SysV semaphore set or message queue, which the
 * kernel does not record. A seccomp filter, installed in the program before
 * it runs and inherited by all it starts, stops each semget and msgget; the
 * supervisor notes the caller (pid as the host sees it, command line: it is
 * alive, stopped in the call) and lets the call go on unchanged. A key names
 * its object; IPC_PRIVATE objects are attributed when one process alone made
 * that kind, else their creator stays unknown.
 */
#include "audit/audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define AUDIT_SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_SECCOMP_ARCH AUDIT_ARCH_AARCH64
#endif

int audit_sysv_filter(void)
{
#ifdef AUDIT_SECCOMP_ARCH
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_SECCOMP_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_semget, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_msgget, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* The host's pid of a pid of ours: a pidfd's fdinfo, read through the host's /proc, says it. */
static pid_t host_pid(int procfd, pid_t pid)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return 0;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "self/fdinfo/%d", pfd);
	int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	close(pfd);
	buf[n > 0 ? n : 0] = '\0';
	const char *p = strstr(buf, "\nPid:");
	return p ? (pid_t)atoi(p + 5) : 0;
}

void audit_sysv_notified(int listener, int procfd, audit_result *res)
{
	struct seccomp_notif_sizes sizes;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
		return;
	/* The kernel's structures may be larger than this header's: sized as it says. */
	struct seccomp_notif *req = calloc(1, sizes.seccomp_notif > sizeof(*req) ? sizes.seccomp_notif : sizeof(*req));
	struct seccomp_notif_resp *resp =
		calloc(1, sizes.seccomp_notif_resp > sizeof(*resp) ? sizes.seccomp_notif_resp : sizeof(*resp));
	if (!req || !resp || ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) != 0)
		goto out;
	int nr = req->data.nr;
	unsigned long long flags = nr == __NR_semget ? req->data.args[2] : req->data.args[1];
	if ((flags & IPC_CREAT) && res->nsysv < AUDIT_MAX_SYSV) {
		struct audit_sysv_call *c = &res->sysv[res->nsysv];
		c->kind = nr == __NR_semget ? AUDIT_SYSV_SEM : AUDIT_SYSV_MSG;
		c->key = (uint32_t)req->data.args[0];
		c->pid = host_pid(procfd, (pid_t)req->pid);
		if (c->pid > 0 && audit_cmdline(procfd, c->pid, c->cmd, sizeof(c->cmd)))
			res->nsysv++;
	}
	resp->id = req->id;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE; /* the call runs as it would have */
	(void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
out:
	free(req);
	free(resp);
}

/* The one process that made every IPC_PRIVATE object of this kind, or NULL. */
static const struct audit_sysv_call *only_private_maker(const audit_result *res, int kind)
{
	const struct audit_sysv_call *one = NULL;
	for (unsigned i = 0; i < res->nsysv; i++) {
		const struct audit_sysv_call *c = &res->sysv[i];
		if (c->kind != kind || c->key != (uint32_t)IPC_PRIVATE)
			continue;
		if (one && one->pid != c->pid)
			return NULL;
		one = c;
	}
	return one;
}

void audit_sysv_attribute(const audit_result *res, audit_objs *objs)
{
	for (unsigned i = 0; i < objs->n; i++) {
		audit_obj *o = &objs->v[i];
		const struct audit_sysv_call *by = NULL;
		if ((o->kind != AUDIT_SYSV_SEM && o->kind != AUDIT_SYSV_MSG) || o->creator)
			continue;
		if (o->key == (uint32_t)IPC_PRIVATE)
			by = only_private_maker(res, o->kind);
		for (unsigned j = 0; o->key != (uint32_t)IPC_PRIVATE && !by && j < res->nsysv; j++)
			if (res->sysv[j].kind == o->kind && res->sysv[j].key == o->key)
				by = &res->sysv[j]; /* the first to ask for it with IPC_CREAT: it was new */
		if (by) {
			o->creator = by->pid;
			snprintf(o->creator_cmd, sizeof(o->creator_cmd), "%s", by->cmd);
			o->by_program = true; /* only the program's tree carries the filter */
		}
	}
}
