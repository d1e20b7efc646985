/*
 * race_chan.c: the detector's edges through channels: a descriptor or SysV
 * id keyed as the object behind it, the conservative edge (every send before
 * every later receive of the same content), and for the run's POSIX and SysV
 * queues the counted edge of race_queue.c, with what setup left in them
 * counted before the fork.
 */
#include "role/race.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>

/* The channel object behind a descriptor (the same in every process that opened it), or a SysV id. */
static uint64_t chan_key(int fd_or_id, bool sysv)
{
	if (sysv)
		return (uint64_t)KEY_SYSV << 56 | (uint64_t)(uint32_t)fd_or_id << 8;
	struct stat st;
	if (fstat(fd_or_id, &st) != 0)
		return (uint64_t)KEY_CHAN << 56 | 1ull << 55 | (uint64_t)(uint32_t)fd_or_id << 8;
	/* The two ends of a socket pair are two inodes, and nothing names the pair:
	 * every socket of the run is one channel (more order, never less). */
	if (S_ISSOCK(st.st_mode))
		return (uint64_t)KEY_CHAN << 56 | 1ull << 54;
	return (uint64_t)KEY_CHAN << 56 | ((((uint64_t)st.st_dev << 32 ^ (uint64_t)st.st_ino) << 8) & 0x7fffffffffffffull);
}

/*
 * A channel that keeps message boundaries (mqueue, SysV queue, datagrams) is
 * keyed by what a message says too: its first bytes and length, hashed into
 * one of 256 buckets. A receive then takes the sends of the same bucket only
 * (the one it got among them): a slot index sent back twice orders the two
 * takers with nobody. A byte stream's reads cut writes anywhere: one key.
 */
#define CHAN_BUCKETS 256

static uint64_t chan_bucket(uint64_t key, const void *msg, size_t len)
{
	const unsigned char *b = msg;
	uint64_t h = 1469598103934665603ull ^ len;
	for (size_t i = 0; i < len && i < 64; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return (key & ~0xffull) ^ (h % CHAN_BUCKETS);
}

void ic_race_chan_send(ic_ctx *ctx, int fd_or_id, bool sysv, const void *msg, size_t len, bool framed)
{
	(void)ctx;
	if (!ic_race_me.on)
		return;
	uint64_t key = chan_key(fd_or_id, sysv);
	ic_race_release(&ic_race_me, ic_race_sync(&ic_race_me, framed ? chan_bucket(key, msg, len) : key), true);
}

void ic_race_chan_recv(ic_ctx *ctx, int fd_or_id, bool sysv, const void *msg, size_t len, bool framed)
{
	(void)ctx;
	if (!ic_race_me.on)
		return;
	uint64_t key = chan_key(fd_or_id, sysv);
	ic_race_acquire(&ic_race_me, ic_race_sync(&ic_race_me, framed ? chan_bucket(key, msg, len) : key));
}

/* ---- Ordered queues (race_queue.c): a receive takes the send it got ---- */

/* What a message says, and its priority: messages of one content keep their order in a queue. */
static uint64_t content_of(const void *msg, size_t len, unsigned prio)
{
	const unsigned char *b = msg;
	uint64_t h = 1469598103934665603ull ^ len ^ (uint64_t)prio << 32;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* The send or receive under way (a role is one thread): its queue and what it carries. */
static struct {
	ic_race_queue *q;
	uint64_t content;
} qsend;
static struct {
	ic_race_queue *q;
	uint64_t begun;
} qrecv;

void ic_race_qsend_begin(ic_ctx *ctx, int fd_or_id, bool sysv, const void *msg, size_t len, unsigned prio)
{
	qsend.q = NULL;
	if (!ic_race_me.on)
		return;
	int saved = errno;
	uint64_t key = chan_key(fd_or_id, sysv);
	qsend.q = ic_race_queue_of(&ic_race_me, key);
	if (qsend.q && !ic_race_queue_counted(qsend.q))
		qsend.q = NULL; /* never counted: no list, no send lock */
	qsend.content = content_of(msg, len, prio);
	if (qsend.q)
		ic_race_q_send_begin(&ic_race_me, qsend.q, qsend.content);
	/* Into its content's bucket too, for receives that cannot count; its tick comes after the push's copy. */
	ic_race_chan_send(ctx, fd_or_id, sysv, msg, len, true);
	errno = saved;
}

void ic_race_qsend_end(ic_ctx *ctx, bool sent)
{
	(void)ctx;
	int saved = errno;
	if (qsend.q)
		ic_race_q_send_end(&ic_race_me, qsend.q, qsend.content, sent);
	qsend.q = NULL;
	errno = saved;
}

void ic_race_queue_made(ic_ctx *ctx, int fd_or_id, bool sysv)
{
	(void)ctx;
	if (!ic_race_me.on)
		return;
	int saved = errno;
	ic_race_queue *q = ic_race_queue_of(&ic_race_me, chan_key(fd_or_id, sysv));
	if (q)
		ic_race_queue_trust(q, false);
	errno = saved;
}

bool ic_race_on(void)
{
	return ic_race_me.on;
}

void ic_race_qrecv_begin(ic_ctx *ctx, int fd_or_id, bool sysv)
{
	(void)ctx;
	qrecv.q = NULL;
	if (!ic_race_me.on)
		return;
	int saved = errno;
	qrecv.q = ic_race_queue_of(&ic_race_me, chan_key(fd_or_id, sysv));
	if (qrecv.q)
		qrecv.begun = ic_race_q_recv_begin(qrecv.q);
	errno = saved;
}

void ic_race_qrecv_end(ic_ctx *ctx, int fd_or_id, bool sysv, const void *msg, ssize_t n, unsigned prio, bool whole)
{
	if (!ic_race_me.on)
		return;
	int saved = errno;
	bool exact = qrecv.q && ic_race_q_recv_end(&ic_race_me, qrecv.q, qrecv.begun, n >= 0, whole,
						      n >= 0 ? content_of(msg, (size_t)n, prio) : 0);
	if (n >= 0 && !exact)
		ic_race_chan_recv(ctx, fd_or_id, sysv, msg, (size_t)n, true);
	if (n >= 0)
		atomic_fetch_add(exact ? &ic_race_me.ra->qexact : &ic_race_me.ra->qwide, 1);
	qrecv.q = NULL;
	errno = saved;
}

/*
 * What setup left in the run's queues was sent before any role began, by
 * calls nothing counted: taken out and put back in the same order, each is
 * pushed (with no clock: setup happens before everything), so the counting
 * starts right, and the queue is trusted. Any other queue (one this could not
 * read whole, one setup did not track, one a role made) is never counted:
 * its receives take the conservative edge.
 */
static void seed_mq(ic_race_proc *p, const char *name)
{
	mqd_t mq = mq_open(name, O_RDWR | O_NONBLOCK);
	if (mq == (mqd_t)-1)
		return;
	struct mq_attr a;
	ic_race_queue *q = ic_race_queue_of(p, chan_key((int)mq, false));
	bool whole = q && mq_getattr(mq, &a) == 0;
	/* A length and a priority, then the message, each at a long's alignment. */
	size_t stride = whole ? 2 * sizeof(long) + (((size_t)a.mq_msgsize + sizeof(long) - 1) & ~(sizeof(long) - 1)) : 0;
	char *buf = NULL;
	if (whole && a.mq_curmsgs > 0 && !(buf = malloc((size_t)a.mq_curmsgs * stride)))
		whole = false;
	if (buf) {
		long k = 0;
		for (; k < a.mq_curmsgs; k++) {
			long *hdr = (long *)(buf + (size_t)k * stride);
			unsigned prio;
			ssize_t n = mq_receive(mq, (char *)(hdr + 2), (size_t)a.mq_msgsize, &prio);
			if (n < 0)
				break;
			hdr[0] = n;
			hdr[1] = prio;
		}
		whole = k == a.mq_curmsgs;
		for (long i = 0; i < k; i++) {
			long *hdr = (long *)(buf + (size_t)i * stride);
			uint64_t c = content_of(hdr + 2, (size_t)hdr[0], (unsigned)hdr[1]);
			ic_race_q_send_begin(p, q, c);
			bool sent = mq_send(mq, (char *)(hdr + 2), (size_t)hdr[0], (unsigned)hdr[1]) == 0;
			ic_race_q_send_end(p, q, c, sent);
			whole &= sent;
		}
	}
	if (q)
		ic_race_queue_trust(q, whole);
	free(buf);
	mq_close(mq);
}

static void seed_sysv(ic_race_proc *p, key_t key)
{
	int id = msgget(key, 0);
	struct msqid_ds ds;
	ic_race_queue *q = id >= 0 ? ic_race_queue_of(p, chan_key(id, true)) : NULL;
	if (!q || msgctl(id, IPC_STAT, &ds) != 0)
		return;
	if (ds.msg_qnum == 0) {
		ic_race_queue_trust(q, true);
		return;
	}
	size_t cap = ds.msg_cbytes + ds.msg_qnum * 3 * sizeof(long); /* a length, a type, padding */
	char *buf = malloc(cap), *at = buf;
	if (!buf)
		return;
	bool whole = true;
	/* Each as a length, then its type and text, as msgrcv gives them. */
	for (msgqnum_t k = 0; k < ds.msg_qnum; k++) {
		ssize_t n = msgrcv(id, at + sizeof(long), (size_t)(buf + cap - at) - 2 * sizeof(long), 0, IPC_NOWAIT);
		if (n < 0) {
			whole = false;
			break;
		}
		*(long *)at = n;
		at += 2 * sizeof(long) + (((size_t)n + sizeof(long) - 1) & ~(sizeof(long) - 1));
	}
	for (char *m = buf; m < at;) {
		long n = *(long *)m;
		uint64_t c = content_of(m + sizeof(long), (size_t)n + sizeof(long), 0);
		ic_race_q_send_begin(p, q, c);
		bool sent = msgsnd(id, m + sizeof(long), (size_t)n, IPC_NOWAIT) == 0;
		ic_race_q_send_end(p, q, c, sent);
		whole &= sent;
		m += 2 * sizeof(long) + (((size_t)n + sizeof(long) - 1) & ~(sizeof(long) - 1));
	}
	ic_race_queue_trust(q, whole);
	free(buf);
}

void ic_race_seed_queues(ic_arena *arena, ic_race_shadow *sh)
{
	ic_race_proc setup = {.ra = &arena->race, .sh = sh}; /* not on: its sends carry no clock */
	for (unsigned i = 0; i < IC_MAX_TRACKED; i++) {
		ic_tracked *t = &arena->tracked[i];
		if (atomic_load(&t->state) != 2)
			continue;
		if (t->kind == IC_OBJ_MQ)
			seed_mq(&setup, t->name);
		else if (t->kind == IC_OBJ_SYSV_MSG)
			seed_sysv(&setup, t->key);
	}
}
