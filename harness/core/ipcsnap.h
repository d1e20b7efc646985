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
#include <time.h>

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
	time_t mtime;      /* files and mqueues: last change; SysV: 0 */
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
 * Appends every POSIX mqueue ("/name", owner, mode, mtime) to `s`, from the
 * mqueue filesystem where one is mounted, else (root) from one mounted in a
 * private mount namespace of a child; false when they cannot be listed here.
 */
bool ic_mqueue_list(ic_ipc_snap *s);
/* Appends every SysV message queue (key, id, owner) to `s`. */
void ic_sysv_msg_list(ic_ipc_snap *s);

/*
 * Removal that never follows anyone's word for whose an object is: it looks
 * at the object itself, without following links, and touches it only when
 * the calling user owns it (SysV: owns and created it: an owner can hand a
 * queue's uid to anyone, never its creator).
 */
typedef enum ic_owned {
	IC_OWNED,         /* the caller's (and removed, when asked) */
	IC_OWNED_GONE,    /* no such object (any more) */
	IC_OWNED_FOREIGN, /* another user's: left alone, its owner given ((uid_t)-1: unknown) */
	IC_OWNED_ODD,     /* a name no ipchaos object has, or not a regular file: left alone */
	IC_OWNED_ERROR,   /* could not tell or could not remove: errno says why */
} ic_owned;
/*
 * kind: IC_IPC_SHM or IC_IPC_SEM (a file of /dev/shm, "/name" or "name"),
 * IC_IPC_MQ ("/name"), IC_IPC_SYSV_MSG (`key`). `owner` gets the owner when
 * known. With `remove`, an object of the caller's is removed.
 */
ic_owned ic_ipc_owned(int kind, const char *name, long key, bool remove, uid_t *owner);
/*
 * The same for a file `name` in the directory `dirfd`; removes only where no
 * other user can swap the name meanwhile (a sticky or private directory).
 */
ic_owned ic_file_owned_at(int dirfd, const char *name, bool remove, uid_t *owner);
/* The mqueue filesystem's mount point, or NULL. */
const char *ic_mqueue_mount(char *buf, size_t size);

#endif
