/*
 * sweeptool: what the sweeper's integration cases need made or looked at,
 * written against the arena's real layout (internal.h):
 *   forge ID MQNAME KEY   an arena /dev/shm/ipchaos.ID.arena of the caller,
 *                         0600, whole and unlocked, listing someone's mqueue
 *                         MQNAME and SysV queue KEY (hex) as its objects
 *   truncate ID           rewrite a whole unlocked arena and truncate it to
 *                         0, over and over until killed
 *   unkeep ID             clear a kept run's --keep flag: it is then dead
 *   run ID dead|kept      a run as a supervisor killed after set-up leaves
 *                         it (kept: as --keep leaves it): its arena, a
 *                         segment and a SysV queue, both tracked; prints the
 *                         queue's key in hex
 *   hold ID               flock the arena as its supervisor would, say
 *                         "held", and wait to be killed
 *   mq-make NAME | mq-exists NAME | mq-rm NAME
 *   msg-make KEY | msg-exists KEY | msg-rm KEY
 * Exit 0 done (exists), 1 not (does not exist), 2 bad usage.
 */
#include "internal.h"
#include "core/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/msg.h>
#include <unistd.h>

static void arena_path(char *buf, size_t size, const char *id)
{
	snprintf(buf, size, "/dev/shm/ipchaos.%s.arena", id);
}

/* A header that passes every check but the owner's, sized as one role's arena. */
static ic_arena *whole_arena(const char *id, size_t *size)
{
	*size = sizeof(ic_arena) + sizeof(ic_slot);
	ic_arena *a = calloc(1, *size);
	if (!a)
		return NULL;
	a->magic = IC_ARENA_MAGIC;
	a->size = *size;
	snprintf(a->runid, sizeof(a->runid), "%s", id);
	a->nslots = 1;
	return a;
}

static int forge(const char *id, const char *mq, const char *key)
{
	char path[128];
	size_t size;
	int rc = 1;
	ic_arena *a = whole_arena(id, &size);
	arena_path(path, sizeof(path), id);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (!a || fd < 0) {
		perror(path);
		goto out;
	}
	atomic_store(&a->ntracked, 2);
	atomic_store(&a->tracked[0].state, 2);
	a->tracked[0].kind = IC_OBJ_MQ;
	snprintf(a->tracked[0].name, sizeof(a->tracked[0].name), "%s", mq);
	atomic_store(&a->tracked[1].state, 2);
	a->tracked[1].kind = IC_OBJ_SYSV_MSG;
	a->tracked[1].key = (key_t)strtol(key, NULL, 16);
	rc = write(fd, a, size) == (ssize_t)size ? 0 : 1;
out:
	if (fd >= 0)
		close(fd);
	free(a);
	return rc;
}

static int truncate_loop(const char *id)
{
	char path[128];
	size_t size;
	ic_arena *a = whole_arena(id, &size);
	arena_path(path, sizeof(path), id);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (!a || fd < 0) {
		perror(path);
		return 1;
	}
	for (;;) {
		if (pwrite(fd, a, size, 0) != (ssize_t)size || ftruncate(fd, 0) != 0) {
			perror(path);
			return 1;
		}
	}
}

static int unkeep(const char *id)
{
	char path[128];
	int zero = 0;
	arena_path(path, sizeof(path), id);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && pwrite(fd, &zero, sizeof(zero), offsetof(ic_arena, kept)) == (ssize_t)sizeof(zero);
	if (fd >= 0)
		close(fd);
	return ok ? 0 : 1;
}

static int make_run(const char *id, const char *how)
{
	ic_arena_handle h;
	char err[256], seg[96];
	if (ic_arena_create(&h, id, 1, 8, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	key_t key = ic_sysv_key_of(id, h.arena->secret, 0); /* the run's secret, as a role derives it */
	snprintf(seg, sizeof(seg), "/ipchaos.%s.seg", id);
	int fd = -1;
	bool ok = ic_tracker_add(h.arena, IC_OBJ_SHM, seg, 0) == 0 &&
		  (fd = shm_open(seg, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0 &&
		  ic_tracker_add(h.arena, IC_OBJ_SYSV_MSG, "sysv", key) == 0 &&
		  msgget(key, IPC_CREAT | IPC_EXCL | 0600) >= 0;
	if (fd >= 0)
		close(fd);
	atomic_store(&h.arena->kept, strcmp(how, "kept") == 0);
	printf("%x\n", (unsigned)key);
	/* Exit holding nothing: the flock goes with the process, the objects stay. */
	return ok ? 0 : 1;
}

static int hold(const char *id)
{
	char path[128];
	arena_path(path, sizeof(path), id);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		perror(path);
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int mq(const char *op, const char *name)
{
	if (strcmp(op, "mq-make") == 0) {
		mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, NULL);
		return q == (mqd_t)-1 ? 1 : 0;
	}
	if (strcmp(op, "mq-rm") == 0)
		return mq_unlink(name) == 0 ? 0 : 1;
	mqd_t q = mq_open(name, O_RDONLY | O_CLOEXEC);
	if (q == (mqd_t)-1)
		return errno == ENOENT ? 1 : 2;
	mq_close(q);
	return 0;
}

static int msg(const char *op, const char *hex)
{
	key_t key = (key_t)strtol(hex, NULL, 16);
	if (strcmp(op, "msg-make") == 0)
		return msgget(key, IPC_CREAT | IPC_EXCL | 0600) < 0 ? 1 : 0;
	int id = msgget(key, 0);
	if (strcmp(op, "msg-rm") == 0)
		return id >= 0 && msgctl(id, IPC_RMID, NULL) == 0 ? 0 : 1;
	return id >= 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	if (argc == 5 && strcmp(op, "forge") == 0)
		return forge(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(op, "truncate") == 0)
		return truncate_loop(argv[2]);
	if (argc == 3 && strcmp(op, "unkeep") == 0)
		return unkeep(argv[2]);
	if (argc == 4 && strcmp(op, "run") == 0 && (strcmp(argv[3], "dead") == 0 || strcmp(argv[3], "kept") == 0))
		return make_run(argv[2], argv[3]);
	if (argc == 3 && strcmp(op, "hold") == 0)
		return hold(argv[2]);
	if (argc == 3 && strncmp(op, "mq-", 3) == 0)
		return mq(op, argv[2]);
	if (argc == 3 && strncmp(op, "msg-", 4) == 0)
		return msg(op, argv[2]);
	fprintf(stderr, "usage: sweeptool forge ID MQNAME KEY | truncate ID | unkeep ID | run ID dead|kept | hold ID | "
			"mq-make|mq-exists|mq-rm NAME | msg-make|msg-exists|msg-rm KEY\n");
	return 2;
}
