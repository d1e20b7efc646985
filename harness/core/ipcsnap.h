/*
 * ipcsnap.h: what IPC objects exist, in a form two snapshots can be diffed
 * by: POSIX shm and named semaphores (/dev/shm), POSIX mqueues (where the
 * mqueue filesystem is mounted), SysV shm/sem/msg (by key and id), and Unix
 * socket files and FIFOs under given directories.
 */
#ifndef IC_IPCSNAP_H
#define IC_IPCSNAP_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum ic_ipc_kind { IC_IPC_SHM, IC_IPC_SEM, IC_IPC_MQ, IC_IPC_SYSV_SHM, IC_IPC_SYSV_SEM,
		   IC_IPC_SYSV_MSG, IC_IPC_SOCKET, IC_IPC_FIFO };

typedef struct ic_ipc_obj {
	int kind;          /* enum ic_ipc_kind */
	char name[256];    /* path or name; SysV: "key 0x..." */
	long key, id;      /* SysV */
	uid_t owner;
	unsigned mode;
	long long size;    /* bytes (messages for SysV msg: bytes queued) */
	pid_t creator;     /* SysV cpid; 0: unknown */
} ic_ipc_obj;

typedef struct ic_ipc_snap {
	unsigned n, cap;
	ic_ipc_obj *objs;
	bool mqueue_visible; /* an mqueue filesystem was mounted to list */
} ic_ipc_snap;

/* Everything now; `paths` (NULL-terminated, may be NULL) are searched for sockets and FIFOs. */
int ic_ipc_snapshot(ic_ipc_snap *s, const char *const *paths);
void ic_ipc_snap_free(ic_ipc_snap *s);
/* Objects of `after` that are not in `before` (same kind and name, SysV: key and id). */
void ic_ipc_diff(const ic_ipc_snap *before, const ic_ipc_snap *after, ic_ipc_snap *out);
/* One line: kind, name or key, owner, mode, size, creator. */
void ic_ipc_print(FILE *out, const ic_ipc_obj *o);
/* Remove it; 0 or -1 with errno. */
int ic_ipc_remove(const ic_ipc_obj *o);
const char *ic_ipc_kind_name(int kind);
/*
 * Every POSIX mqueue's name ("/name"), from the mqueue filesystem where one
 * is mounted, else (root) from one mounted in a private mount namespace of a
 * child. 0, or -1 when they cannot be listed here.
 */
int ic_list_mqueues(char (*names)[256], unsigned max, unsigned *n);
/* The mqueue filesystem's mount point, or NULL. */
const char *ic_mqueue_mount(char *buf, size_t size);

#endif
