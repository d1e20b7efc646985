/*
 * audit_int.h: what the files of audit/ share: the objects and processes an
 * audited run leaves, how it ended, and the steps that find them. Not used
 * outside audit/.
 */
#ifndef IC_AUDIT_INT_H
#define IC_AUDIT_INT_H

#include "audit/audit.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define AUDIT_CMD_MAX 160   /* a command line as reported, cut at a character */
#define AUDIT_NAME_MAX 320  /* "/dev/shm/" + NAME_MAX, "/" + a queue's NAME_MAX */
#define AUDIT_MAX_PROCS 64  /* leftover processes listed; more are counted */
#define AUDIT_MAX_SYSV 256  /* SysV semaphore sets and queues whose creation was seen */

/* What an object is. The first ones are core/ipcsnap.h's; then /dev/shm's other entries. */
enum audit_kind {
	AUDIT_SHM, AUDIT_SEM, AUDIT_MQ, AUDIT_SYSV_SHM, AUDIT_SYSV_SEM, AUDIT_SYSV_MSG, AUDIT_SOCKET, AUDIT_FIFO,
	AUDIT_SHM_FILE,  /* a regular file below a directory of /dev/shm */
	AUDIT_SHM_DIR,   /* a directory in /dev/shm */
	AUDIT_SHM_OTHER, /* a link, FIFO or socket in /dev/shm */
	AUDIT_KINDS
};

/* What became of an object once it was seen. */
enum audit_fate {
	AUDIT_GONE,    /* isolated: it died with the audit's namespace (or overlay) */
	AUDIT_LEFT,    /* on the host, left there (host mode never removes unasked) */
	AUDIT_REMOVED, /* on the host, removed (--remove, and made by the program's tree) */
	AUDIT_KEPT,    /* on the host, --remove asked, but not known to be the program's */
};

typedef struct audit_obj {
	int kind;                    /* enum audit_kind */
	char name[AUDIT_NAME_MAX];   /* a path, or "/name" for a queue; "" for SysV */
	bool cut;                    /* the name did not fit: shown cut, never removed by name */
	uint32_t key;                /* SysV: the key as ipcs shows it */
	int id;                      /* SysV */
	uid_t owner;
	unsigned mode;
	long long size;              /* bytes; mqueue: queued bytes (QSIZE); SysV sem: semaphores */
	pid_t creator;               /* as the host sees it; 0 unknown */
	bool by_program;             /* the creator was in the program's tree when it made it */
	bool creator_gone;           /* it ended before it could be looked at: whose it was is unknown */
	char creator_cmd[AUDIT_CMD_MAX];
	int fate;                    /* enum audit_fate */
} audit_obj;

typedef struct audit_objs {
	unsigned n, cap;
	audit_obj *v;
} audit_objs;

typedef struct audit_proc {
	pid_t pid;                   /* as the host sees it */
	char state;                  /* as ps shows it: R, S, D, T, Z */
	double age;                  /* seconds since it started */
	char cmd[AUDIT_CMD_MAX];
} audit_proc;

/* How the program's main process ended, and what the audit did. */
enum audit_end { AUDIT_END_EXIT, AUDIT_END_PLANNED, AUDIT_END_TIMEOUT, AUDIT_END_INTERRUPTED };

typedef struct audit_result {
	int status;                  /* wait status of the main process */
	int end;                     /* enum audit_end */
	int exec_errno;              /* the command could not be executed: why (0: it ran) */
	bool signalled;              /* the planned signal was sent */
	bool killed_tree;            /* SIGKILL had to end processes after the grace */
	int interrupt_sig;           /* SIGINT or SIGTERM the audit got, forwarded to the tree */
	double kill_at, elapsed, main_end;
	unsigned nprocs, nprocs_total; /* leftover processes: listed, and all of them */
	audit_proc procs[AUDIT_MAX_PROCS];
	int failure;                 /* errno of a set-up step that failed, 0 if none */
	char failed_step[64];
	char watch[96];              /* how creators were seen: fanotify, or why not */
	char terminal[64];           /* what the program had of the terminal */
	unsigned nsysv;              /* semget/msgget calls with IPC_CREAT seen (seccomp), at most AUDIT_MAX_SYSV */
	struct audit_sysv_call {
		int kind;                /* AUDIT_SYSV_SEM or AUDIT_SYSV_MSG */
		uint32_t key;
		pid_t pid;               /* as the host sees it */
		char cmd[AUDIT_CMD_MAX];
	} sysv[AUDIT_MAX_SYSV];
} audit_result;

/* ---- Snapshots (audit_snap.c) ---- */

audit_obj *audit_objs_add(audit_objs *s);
void audit_objs_free(audit_objs *s);
/* /dev/shm (every entry, recursively), the queues of the mqueue filesystem on
 * mq_dirfd (-1: none), SysV, and sockets and FIFOs under paths (with their
 * names as shown[] says: the program's view of an overlay). */
void audit_snapshot(audit_objs *s, int mq_dirfd, const char *const *paths, const char *const *shown);
/* Objects of after not in before. */
void audit_diff(const audit_objs *before, const audit_objs *after, audit_objs *out);
const char *audit_kind_name(int kind);
bool audit_kind_sysv(int kind);
/* The command that removes it on the host, into buf. */
const char *audit_remove_hint(const audit_obj *o, char *buf, size_t size);
/* Remove it now (host mode, --remove); 0 or -1 with errno. */
int audit_remove(const audit_obj *o);
/* SysV shm's cpid as the caller's /proc shows it, for key id. 0: unknown. */
pid_t audit_sysv_shm_cpid(int id);

/* ---- Processes (audit_proc.c) ---- */

/* The command line of pid from proc (a /proc directory fd), spaces between arguments. */
bool audit_cmdline(int procfd, pid_t pid, char *buf, size_t size);

typedef struct audit_tree {
	int procfd;                  /* the host's /proc */
	pid_t self;                  /* excluded: the supervisor (host pid) */
	pid_t root;                  /* host mode: the program's main process */
	char pidns[64];              /* isolated: the namespace every member is in ("" host mode) */
} audit_tree;
/* Every process of the tree alive now (but the supervisor), at most max into pids; the count of all. */
unsigned audit_tree_pids(const audit_tree *t, pid_t *pids, unsigned max);
/* Whether pid is in the tree now. */
bool audit_tree_has(const audit_tree *t, pid_t pid);
/* State, age and command of each of them into r->procs. */
void audit_tree_describe(const audit_tree *t, audit_result *r);

/* ---- Creators (audit_watch.c) ---- */

typedef struct audit_seen {
	char name[AUDIT_NAME_MAX];   /* as a snapshot names it */
	pid_t pid;                   /* as the host sees it */
	bool in_tree, gone;
	char cmd[AUDIT_CMD_MAX];
} audit_seen;

typedef struct audit_watch {
	int fd;                      /* fanotify, or -1 */
	int procfd;                  /* /proc to name creators by */
	const audit_tree *tree;      /* to tell the program's from others' */
	struct audit_root {
		int mountfd;             /* to decode a directory's handle; -1: none (mqueue) */
		int fsid[2];   
		char prefix[AUDIT_NAME_MAX]; /* mqueue: "" (names are "/x"), paths' upper: the shown dir */
		char strip[AUDIT_NAME_MAX];  /* the part of a decoded path replaced by prefix */
		bool mqueue;
	} roots[IC_AUDIT_MAX_PATHS + 2];
	unsigned nroots;
	audit_seen *seen;
	unsigned nseen, capseen;
	int ino;                     /* inotify, for what fanotify cannot watch (mqueue), or -1 */
	struct audit_iwatch { int wd, dirfd; char prefix[AUDIT_NAME_MAX]; } iw[IC_AUDIT_MAX_PATHS + 2];
	unsigned niw;
	struct audit_sysv_seen { int id; pid_t pid; bool in_tree, gone; char cmd[AUDIT_CMD_MAX]; } *shm;
	unsigned nshm, capshm;
} audit_watch;

/* Watches creations where the caller may (fanotify needs root in the first user namespace). */
void audit_watch_init(audit_watch *w, int procfd, const audit_tree *tree);
/* A directory whose filesystem to watch, its paths shown as strip -> prefix. */
bool audit_watch_add(audit_watch *w, int dirfd, const char *strip, const char *prefix, bool mqueue);
/* The same by inotify: the creator is the tree's process holding the new object open at that moment. */
bool audit_watch_add_inotify(audit_watch *w, int dirfd, const char *prefix);
/* Reads what happened since; notes each new SysV segment's creator while it is alive. */
void audit_watch_poll(audit_watch *w);
/* Fills each object's creator from what was seen. */
void audit_watch_attribute(const audit_watch *w, audit_objs *objs);
void audit_watch_close(audit_watch *w);

/* ---- Running (audit_run.c) ---- */

/* One seed: the program run isolated or on the host; objects it left into left. */
void audit_run_isolated(const ic_audit_opts *o, double kill_at, audit_result *res, audit_objs *left);
void audit_run_host(const ic_audit_opts *o, double kill_at, audit_result *res, audit_objs *left);
bool audit_can_isolate(void);
/* The host's mqueue filesystem: where it is mounted, or a detached one (root); -1: none. */
int audit_host_mqueue(void);
/* SIGINT or SIGTERM pending for the audit (consumed), or 0. */
int audit_take_interrupt(void);

/* ---- SysV creators (audit_sysv.c) ---- */

/* In the program's process, before exec: a filter that stops at semget and msgget; its listener, or -1. */
int audit_sysv_filter(void);
/* Answers one stopped call (letting it go on), noting who made what; procfd: the host's /proc. */
void audit_sysv_notified(int listener, int procfd, audit_result *res);
/* Fills the creators of SysV semaphore sets and queues from the calls seen. */
void audit_sysv_attribute(const audit_result *res, audit_objs *objs);

/* ---- Report (audit_report.c) ---- */

typedef struct audit_seed {
	uint64_t seed;
	audit_result res;
	audit_objs left;
	bool leaked;                 /* anything left, a process or an object */
} audit_seed;

/* One object, one line (and how to remove it when it is on the host and hints asked). */
void audit_print_object(FILE *f, const audit_obj *x, bool hints);
void audit_print_seed(FILE *f, const ic_audit_opts *o, const audit_seed *s, bool isolated);
void audit_replay_line(FILE *f, const ic_audit_opts *o, uint64_t seed);
void audit_write_json(FILE *f, const ic_audit_opts *o, const audit_seed *seeds, unsigned n, bool isolated);
void audit_write_junit(FILE *f, const ic_audit_opts *o, const audit_seed *seeds, unsigned n);

#endif
