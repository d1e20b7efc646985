/*
 * tally: a small request/reply service over POSIX message queues. Clients
 * send "add N" to the server's request queue and wait on their own reply
 * queue for the new total. An example of message-passing code a user
 * instruments: the mq calls go through ic_ wrappers, so the fail injector can
 * make them fail the way the kernel can, and the steps are ic_points.
 */
#ifndef TALLY_H
#define TALLY_H

#include "ipchaos.h"

typedef struct tally_req {
	uint32_t client; /* whose reply queue */
	uint32_t seq;    /* echoed in the reply */
	uint64_t amount;
} tally_req;

typedef struct tally_rep {
	uint32_t seq;
	uint32_t pad;
	uint64_t total; /* after this request */
} tally_rep;

typedef struct tally_server {
	int requests;       /* mqd_t */
	const int *replies; /* mqd_t per client */
	unsigned nclients;
	uint64_t *total;    /* where the state lives: the caller's memory */
} tally_server;

typedef struct tally_client {
	int requests, replies; /* mqd_t */
	uint32_t id, seq;
} tally_client;

/* Serve one request, waiting up to wait_ms for it: 0, EAGAIN (none came), or an errno. */
int tally_serve_one(ic_ctx *ctx, tally_server *s, int wait_ms);
/*
 * Add `amount`, *total the total after it. 0; an errno: the request was
 * certainly not sent; or -errno: it was sent and its reply could not be
 * received, so whether it was applied is unknown.
 */
int tally_add(ic_ctx *ctx, tally_client *c, uint64_t amount, uint64_t *total);

#endif
