/*
 * tally.c: the service. EINTR and ETIMEDOUT (a full queue, or one the
 * deadline found empty) are retried; both can be injected.
 */
#include "tally.h"

#include <errno.h>

static bool transient(int err)
{
	return err == EINTR || err == ETIMEDOUT || err == EAGAIN;
}

static int send_all(ic_ctx *ctx, int mq, const void *msg, size_t len)
{
	for (;;) {
		struct timespec deadline = ic_deadline(100);
		if (ic_mq_timedsend(ctx, mq, msg, len, 0, &deadline) == 0)
			return 0;
		if (!transient(errno))
			return errno;
	}
}

int tally_serve_one(ic_ctx *ctx, tally_server *s, int wait_ms)
{
	tally_req req;
	struct timespec deadline = ic_deadline(wait_ms);
	ssize_t n = ic_mq_timedreceive(ctx, s->requests, (char *)&req, sizeof(req), NULL, &deadline);
	if (n < 0)
		return transient(errno) ? EAGAIN : errno;
	if ((size_t)n != sizeof(req) || req.client >= s->nclients)
		return EBADMSG;
	ic_point(ctx, "tally/serve/received");
	*s->total += req.amount;
	ic_point(ctx, "tally/serve/applied");
	tally_rep rep = {req.seq, 0, *s->total};
	return send_all(ctx, s->replies[req.client], &rep, sizeof(rep));
}

int tally_add(ic_ctx *ctx, tally_client *c, uint64_t amount, uint64_t *total)
{
	tally_req req = {c->id, ++c->seq, amount};
	int rc = send_all(ctx, c->requests, &req, sizeof(req));
	if (rc != 0)
		return rc;
	ic_point(ctx, "tally/add/sent");
	for (;;) {
		tally_rep rep;
		struct timespec deadline = ic_deadline(100);
		ssize_t n = ic_mq_timedreceive(ctx, c->replies, (char *)&rep, sizeof(rep), NULL, &deadline);
		if (n < 0 && transient(errno))
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n == sizeof(rep) && rep.seq == req.seq) {
			*total = rep.total;
			return 0;
		}
	}
}
