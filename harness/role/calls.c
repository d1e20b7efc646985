/*
 * calls.c: system calls the fail injector can make fail, each also a point
 * ("call/<name>"), and the tracked message-passing objects.
 */
#include "role/ctx.h"
#include "role/sched.h"
#include "role/race.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

/*
 * The errors each call can really return at run time, transient ones first.
 * Not EAGAIN for read and write: on a stream that has data (or room) the
 * kernel never says so; a short transfer is what really happens there.
 */
static const int io_errors[] = {EINTR};
static const int send_errors[] = {EINTR, EAGAIN, ENOBUFS};
static const int mq_errors[] = {EINTR, ETIMEDOUT};
static const int msgsnd_errors[] = {EINTR, EAGAIN, ENOMEM};
static const int msgrcv_errors[] = {EINTR, ENOMSG};

/* 0, or the errno an injector chose for this call; may shorten *len. */
static int call_fault(ic_ctx *ctx, const char *name, const int *errors, unsigned nerrors, size_t *len)
{
	if (!ctx->head.armed)
		return 0;
	ic_point_hit(ctx, name);
	ic_call call = {.name = name, .errors = errors, .nerrors = nerrors, .len = len};
	for (unsigned i = 0; i < ctx->cfg->ninj; i++) {
		const ic_inj_inst *inst = &ctx->cfg->inj[i];
		int e = inst->inj->call ? inst->inj->call(inst, ctx, &call) : 0;
		if (e)
			return e;
	}
	return 0;
}

#define FAULT(name, errs, lenp)                                                  \
	do {                                                                     \
		int e_ = call_fault(ctx, "call/" name, errs, N(errs), lenp);     \
		if (e_) {                                                        \
			errno = e_;                                              \
			return -1;                                               \
		}                                                                \
	} while (0)

/*
 * Controlled mode: one process runs at a time, so a call must never block
 * with the baton held. It is made in its non-blocking form; while it would
 * block, the process waits without the baton until another has stepped, then
 * tries again. A caller that asked for a non-blocking call gets EAGAIN as usual.
 */

static bool fd_blocks(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl >= 0 && !(fl & O_NONBLOCK);
}

/* read or write once without blocking. O_NONBLOCK is on the open file description, which
 * peers share, and is put back at once: safe, as no peer runs meanwhile. */
static ssize_t io_once(int fd, void *buf, size_t len, bool writing)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	ssize_t n = writing ? write(fd, buf, len) : read(fd, buf, len);
	int saved = errno;
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl);
	errno = saved;
	return n;
}

/* --detect races: a receive that got something happens after every earlier send on the object. */
static ssize_t received(ic_ctx *ctx, int fd_or_id, bool sysv, const void *buf, ssize_t n, bool framed)
{
	if (n >= 0)
		ic_race_chan_recv(ctx, fd_or_id, sysv, buf, (size_t)n, framed);
	return n;
}

/* Does this socket keep message boundaries (datagrams, seqpacket)? */
static bool sock_framed(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type != SOCK_STREAM;
}

/* n, after telling the scheduler a call that succeeded may have changed what others wait for. */
static ssize_t acted(ic_ctx *ctx, ssize_t n)
{
	if (n >= 0)
		ic_sched_acted(ctx);
	return n;
}

static ssize_t io_controlled(ic_ctx *ctx, int fd, void *buf, size_t len, bool writing)
{
	bool blocks = fd_blocks(fd);
	for (;;) {
		ssize_t n = acted(ctx, io_once(fd, buf, len, writing));
		if (n >= 0 || errno != EAGAIN || !blocks)
			return n;
		ic_sched_wait(ctx, IC_WAIT_IO, (uint64_t)fd, false);
	}
}

ssize_t ic_write(ic_ctx *ctx, int fd, const void *buf, size_t len)
{
	FAULT("write", io_errors, &len);
	ic_race_chan_send(ctx, fd, false, buf, len, false);
	if (ctx->scheduled)
		return io_controlled(ctx, fd, (void *)buf, len, true);
	return write(fd, buf, len);
}

ssize_t ic_read(ic_ctx *ctx, int fd, void *buf, size_t len)
{
	FAULT("read", io_errors, &len);
	if (ctx->scheduled)
		return received(ctx, fd, false, buf, io_controlled(ctx, fd, buf, len, false), false);
	return received(ctx, fd, false, buf, read(fd, buf, len), false);
}

static ssize_t sock_controlled(ic_ctx *ctx, int fd, void *buf, size_t len, int flags, bool sending)
{
	bool blocks = !(flags & MSG_DONTWAIT) && fd_blocks(fd);
	for (;;) {
		ssize_t n = acted(ctx, sending ? send(fd, buf, len, flags | MSG_DONTWAIT)
					       : recv(fd, buf, len, flags | MSG_DONTWAIT));
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK) || !blocks)
			return n;
		ic_sched_wait(ctx, IC_WAIT_IO, (uint64_t)fd, false);
	}
}

ssize_t ic_send(ic_ctx *ctx, int fd, const void *buf, size_t len, int flags)
{
	FAULT("send", send_errors, NULL);
	ic_race_chan_send(ctx, fd, false, buf, len, sock_framed(fd));
	if (ctx->scheduled)
		return sock_controlled(ctx, fd, (void *)buf, len, flags, true);
	return send(fd, buf, len, flags);
}

ssize_t ic_recv(ic_ctx *ctx, int fd, void *buf, size_t len, int flags)
{
	FAULT("recv", io_errors, NULL);
	if (ctx->scheduled)
		return received(ctx, fd, false, buf, sock_controlled(ctx, fd, buf, len, flags, false), sock_framed(fd));
	return received(ctx, fd, false, buf, recv(fd, buf, len, flags), sock_framed(fd));
}

/* A deadline already past: mq_timed* return at once instead of blocking. */
static const struct timespec mq_now_or_never = {0, 0};

/* One try at an mqueue send or receive: --detect races counts a send around the call that makes it. */
static ssize_t mq_once(ic_ctx *ctx, int mq, char *msg, size_t len, unsigned prio, unsigned *prio_out,
		       const struct timespec *abs_timeout, bool sending)
{
	if (!sending)
		return mq_timedreceive((mqd_t)mq, msg, len, prio_out, abs_timeout);
	ic_race_qsend_begin(ctx, mq, false, msg, len, prio);
	int rc = mq_timedsend((mqd_t)mq, msg, len, prio, abs_timeout);
	ic_race_qsend_end(ctx, rc == 0);
	return rc;
}

/*
 * Chaos mode with --detect races: a send holds its queue's send lock for one
 * try that cannot block; room is waited for outside it, until the caller's
 * deadline, as the blocking call would. False: the deadline passed (errno set).
 */
static bool mq_wait_room(int mq, const struct timespec *abs_timeout)
{
	int ms = 50; /* then tried again: the queue may have room that poll was not woken for */
	if (abs_timeout) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		int64_t left = (int64_t)(abs_timeout->tv_sec - now.tv_sec) * 1000 +
			       (abs_timeout->tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0) {
			errno = ETIMEDOUT;
			return false;
		}
		ms = left < ms ? (int)left : ms;
	}
	struct pollfd p = {.fd = mq, .events = POLLOUT};
	return poll(&p, 1, ms) >= 0; /* EINTR: returned as the blocking call would */
}

/* Tries that cannot block, waiting between them: under the scheduler, or for a counted send. */
static ssize_t mq_tries(ic_ctx *ctx, int mq, char *msg, size_t len, unsigned prio, unsigned *prio_out,
			const struct timespec *abs_timeout, bool sending)
{
	struct mq_attr attr;
	bool blocks = mq_getattr((mqd_t)mq, &attr) == 0 && !(attr.mq_flags & O_NONBLOCK);
	for (;;) {
		ssize_t n = mq_once(ctx, mq, msg, len, prio, prio_out, &mq_now_or_never, sending);
		if (ctx->scheduled)
			acted(ctx, n);
		if (n >= 0 || (errno != ETIMEDOUT && errno != EAGAIN))
			return n;
		if (!blocks) {
			errno = EAGAIN;
			return -1;
		}
		if (!ctx->scheduled) {
			if (!mq_wait_room(mq, abs_timeout))
				return -1;
		} else if (!ic_sched_wait(ctx, IC_WAIT_IO, (uint64_t)mq, abs_timeout != NULL)) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

int ic_mq_timedsend(ic_ctx *ctx, int mq, const char *msg, size_t len, unsigned prio,
		    const struct timespec *abs_timeout)
{
	FAULT("mq_send", mq_errors, NULL);
	if (ctx->scheduled || ic_race_on())
		return (int)mq_tries(ctx, mq, (char *)msg, len, prio, NULL, abs_timeout, true);
	return mq_timedsend((mqd_t)mq, msg, len, prio, abs_timeout);
}

ssize_t ic_mq_timedreceive(ic_ctx *ctx, int mq, char *msg, size_t len, unsigned *prio,
			   const struct timespec *abs_timeout)
{
	FAULT("mq_receive", mq_errors, NULL);
	unsigned got_prio = 0;
	ic_race_qrecv_begin(ctx, mq, false);
	ssize_t n = ctx->scheduled ? mq_tries(ctx, mq, msg, len, 0, &got_prio, abs_timeout, false)
				   : mq_timedreceive((mqd_t)mq, msg, len, &got_prio, abs_timeout);
	ic_race_qrecv_end(ctx, mq, false, msg, n, got_prio, true); /* mq_receive never cuts one short */
	if (prio && n >= 0)
		*prio = got_prio;
	return n;
}

/* One try at a SysV send, counted as mq_once counts one. */
static int msgsnd_once(ic_ctx *ctx, int id, const void *msg, size_t len, int flags)
{
	ic_race_qsend_begin(ctx, id, true, msg, len + sizeof(long), 0); /* the type, then the text */
	int rc = msgsnd(id, msg, len, flags);
	ic_race_qsend_end(ctx, rc == 0);
	return rc;
}

int ic_msgsnd(ic_ctx *ctx, int id, const void *msg, size_t len, int flags)
{
	FAULT("msgsnd", msgsnd_errors, NULL);
	if (!ctx->scheduled && !ic_race_on())
		return msgsnd(id, msg, len, flags);
	int rc;
	/* Tries that cannot block: the scheduler's, or a counted send's (its send lock is held for one). */
	while ((rc = msgsnd_once(ctx, id, msg, len, flags | IPC_NOWAIT)) != 0 && errno == EAGAIN &&
	       !(flags & IPC_NOWAIT)) {
		if (ctx->scheduled)
			ic_sched_wait(ctx, IC_WAIT_IO, (uint64_t)id, false);
		else if (nanosleep(&(struct timespec){0, 50000}, NULL) != 0)
			return -1; /* EINTR, as the blocking call */
	}
	return ctx->scheduled ? (int)acted(ctx, rc) : rc;
}

ssize_t ic_msgrcv(ic_ctx *ctx, int id, void *msg, size_t len, long type, int flags)
{
	FAULT("msgrcv", msgrcv_errors, NULL);
	if (flags & MSG_COPY) { /* a copy, not a receive: the conservative edge, nothing counted */
		ssize_t n = msgrcv(id, msg, len, type, flags);
		return received(ctx, id, true, msg, n < 0 ? n : n + (ssize_t)sizeof(long), true);
	}
	ic_race_qrecv_begin(ctx, id, true);
	ssize_t n;
	if (!ctx->scheduled)
		n = msgrcv(id, msg, len, type, flags);
	else {
		while ((n = msgrcv(id, msg, len, type, flags | IPC_NOWAIT)) < 0 && errno == ENOMSG &&
		       !(flags & IPC_NOWAIT))
			ic_sched_wait(ctx, IC_WAIT_IO, (uint64_t)id, false);
		acted(ctx, n);
	}
	/* A SysV message: its type, then n bytes of text; MSG_NOERROR may have cut it to len. */
	bool whole = !(flags & MSG_NOERROR) || n < (ssize_t)len;
	ic_race_qrecv_end(ctx, id, true, msg, n < 0 ? n : n + (ssize_t)sizeof(long), 0, whole);
	return n;
}

int ic_poll(ic_ctx *ctx, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	if (!ctx || !ctx->scheduled)
		return poll(fds, nfds, timeout_ms);
	for (;;) {
		int n = poll(fds, nfds, 0);
		if (n != 0 || timeout_ms == 0)
			return n;
		if (!ic_sched_wait(ctx, IC_WAIT_IO, 0, timeout_ms > 0))
			return 0;
	}
}

/* ---- Tracked message-passing objects ---- */

int ic_mq_open(ic_ctx *ctx, const char *object, int oflag, mode_t mode, long maxmsg, long msgsize)
{
	char name[80];
	if (ic_object_name(ctx, object, name, sizeof(name)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!(oflag & O_CREAT))
		return (int)mq_open(name, oflag);
	if (ic_tracker_add(ctx->arena, IC_OBJ_MQ, name, 0) != 0)
		return -1;
	struct mq_attr attr = {.mq_maxmsg = maxmsg, .mq_msgsize = msgsize};
	int mq = (int)mq_open(name, oflag, mode, &attr);
	int saved = errno;
	struct stat st; /* an mqd_t is a descriptor on Linux: fstat gives the queue's owner */
	/* Nothing of ours was made (EEXIST, or another user's queue opened without
	 * O_EXCL): the harness must never remove it. */
	if (mq < 0 || (fstat(mq, &st) == 0 && st.st_uid != geteuid())) {
		ic_tracker_not_ours(ctx->arena, name);
	} else {
		mode_t mask = umask(0); /* roles are single-threaded: read it and put it back */
		umask(mask);
		ic_tracker_created(ctx->arena, name, mode & ~mask, oflag & O_EXCL);
	}
	if (mq >= 0)
		ic_race_queue_made(ctx, mq, false);
	errno = saved;
	return mq;
}

int ic_mq_unlink(ic_ctx *ctx, const char *object)
{
	char name[80];
	if (ic_object_name(ctx, object, name, sizeof(name)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int rc = mq_unlink(name);
	if (rc == 0)
		ic_tracker_removed(ctx->arena, name);
	return rc;
}

/* From the run's secret: a key no other user can create first (see ic_sysv_key_of). */
key_t ic_sysv_key(const ic_ctx *ctx, unsigned n)
{
	return ic_sysv_key_of(ctx->arena->runid, ctx->arena->secret,
			      (n & 0xff) + (ctx->instance ? 256 : 0));
}

/* How the tracker, the leftover scan and the kept listing name a queue. */
static void sysv_msg_name(key_t key, char *buf, size_t size)
{
	snprintf(buf, size, "SysV message queue key 0x%08x", (unsigned)key);
}

int ic_msgget(ic_ctx *ctx, unsigned n, int mode)
{
	key_t key = ic_sysv_key(ctx, n);
	char name[80];
	sysv_msg_name(key, name, sizeof(name));
	if (ic_tracker_add(ctx->arena, IC_OBJ_SYSV_MSG, name, key) != 0)
		return -1;
	int id = msgget(key, IPC_CREAT | IPC_EXCL | (mode & 0777));
	int saved = errno;
	if (id >= 0) {
		ic_tracker_created(ctx->arena, name, (unsigned)mode & 0777, true);
		ic_race_queue_made(ctx, id, true);
	} else {
		ic_tracker_not_ours(ctx->arena, name); /* EEXIST: not ours to remove */
	}
	errno = saved;
	return id;
}

int ic_msg_remove(ic_ctx *ctx, int id)
{
	struct msqid_ds ds;
	if (msgctl(id, IPC_STAT, &ds) != 0)
		return -1;
	int rc = msgctl(id, IPC_RMID, NULL);
	if (rc == 0) {
		char name[80];
		sysv_msg_name(ds.msg_perm.__key, name, sizeof(name));
		ic_tracker_removed(ctx->arena, name);
	}
	return rc;
}
