/*
 * race_queue.c: the edge of a message on a queue that keeps its order (a
 * POSIX mqueue, a SysV queue): the receive takes the clock of the very send
 * it got, not of every send of the same content. Two equal messages (a slot
 * index released twice) then order their two receivers with their own
 * senders only.
 *
 * Messages of one content (and priority) leave a queue in the order they
 * entered it, and a send is pushed on its content's list, under the queue's
 * send lock, just before the call that sends it (undone if the call fails):
 * list order is queue order. Which of them a receive got is bounded by
 * counting, never guessed: receives of that content finished before this one
 * began got earlier ones (lo), and at most one more per receive of the queue
 * still under way meanwhile (width). The receive joins every send in
 * [lo, lo + width) that was already pushed when its call returned: a superset
 * of the truth, exact when nobody else receives at the same time. The
 * counts hold only for a queue counted from empty with every send and
 * receive since through the ic_ calls: a queue is trusted only so (race_chan.c
 * seeds setup's). Whatever does not fit (an untrusted queue, tables full, a
 * list overflowing, a count that cannot be right) turns counting off, and
 * the receives take the conservative edge of every send of that content.
 */
#include "role/race.h"

#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#define QUEUES 32    /* the run's ordered queues */
#define FIFOS 256    /* (queue, content) lists */
#define FIFO_LEN 32  /* a list's sends still kept */

typedef struct q_entry {
	uint64_t qseq;  /* the queue's push count when it was pushed */
	uint64_t stamp; /* 0: not yet received; else the finishing receive's stamp */
	ic_vclock vc;
} q_entry;

struct ic_race_queue {
	_Atomic uint64_t key; /* 0: free */
	atomic_int send_lock;
	_Atomic uint64_t pushes;   /* sends pushed, on any list */
	_Atomic uint64_t started;  /* receives begun */
	_Atomic uint64_t finished; /* receives ended, with a message or not: the stamps */
	atomic_bool trusted;       /* counted from empty, every message since through the ic_ calls */
	atomic_bool off;           /* not trusted, or a receive got what it cannot name: conservative */
};

typedef struct fifo {
	_Atomic uint64_t key; /* the queue's key; 0: free */
	uint64_t content;
	atomic_int lock;
	bool off;            /* counts went wrong or the list overflowed: conservative from now on */
	uint64_t base, n;    /* entries [base, n) are kept, at index % FIFO_LEN */
	uint64_t marks;      /* receives of this content that finished */
	uint64_t dropped;    /* the largest stamp among entries no longer kept */
	q_entry e[FIFO_LEN];
} fifo;

typedef struct queues {
	atomic_int lock; /* inserting keys */
	ic_race_queue q[QUEUES];
	fifo f[FIFOS];
} queues;

size_t ic_race_queues_bytes(void)
{
	return sizeof(queues);
}

static queues *tables(ic_race_proc *p)
{
	return ic_race_queues_mem(p->sh);
}

/* The slot of key among n, inserting it (a table's lock held only to insert); NULL: full. */
static _Atomic uint64_t *find_key(atomic_int *lock, _Atomic uint64_t *first, size_t stride, unsigned n,
				  uint64_t key, uint64_t h, bool create, bool (*also)(_Atomic uint64_t *, uint64_t),
				  uint64_t extra)
{
	for (unsigned i = 0; i < n; i++) {
		_Atomic uint64_t *k = (_Atomic uint64_t *)((char *)first + ((h + i) % n) * stride);
		uint64_t v = atomic_load_explicit(k, memory_order_acquire);
		if (v == key && (!also || also(k, extra)))
			return k;
		if (v != 0)
			continue;
		if (!create)
			return NULL;
		ic_race_spin_lock(lock);
		v = atomic_load_explicit(k, memory_order_relaxed);
		if (v == 0) {
			if (also)
				also(k, extra); /* sets the second half of the key before the key shows */
			atomic_store_explicit(k, key, memory_order_release);
		}
		ic_race_spin_unlock(lock);
		if (v == 0 || (v == key && (!also || also(k, extra))))
			return k;
	}
	return NULL;
}

ic_race_queue *ic_race_queue_of(ic_race_proc *p, uint64_t key)
{
	queues *t = tables(p);
	key |= 1; /* never 0 */
	_Atomic uint64_t *k = find_key(&t->lock, &t->q[0].key, sizeof(t->q[0]), QUEUES, key,
				       key * 0x9e3779b97f4a7c15ull >> 40, true, NULL, 0);
	return k ? (ic_race_queue *)((char *)k - offsetof(ic_race_queue, key)) : NULL;
}

bool ic_race_queue_counted(ic_race_queue *q)
{
	return atomic_load(&q->trusted) && !atomic_load(&q->off);
}

void ic_race_queue_trust(ic_race_queue *q, bool trusted)
{
	atomic_store(&q->trusted, trusted);
	if (!trusted)
		atomic_store(&q->off, true);
}

/* A fifo's key is (queue, content): the content is compared, or set while inserting. */
static bool same_content(_Atomic uint64_t *k, uint64_t content)
{
	fifo *f = (fifo *)((char *)k - offsetof(fifo, key));
	if (atomic_load_explicit(k, memory_order_relaxed) == 0)
		f->content = content;
	return f->content == content;
}

static fifo *fifo_of(ic_race_proc *p, ic_race_queue *q, uint64_t content, bool create)
{
	queues *t = tables(p);
	uint64_t key = atomic_load_explicit(&q->key, memory_order_relaxed);
	_Atomic uint64_t *k = find_key(&t->lock, &t->f[0].key, sizeof(t->f[0]), FIFOS, key,
				       (key ^ content) * 0x9e3779b97f4a7c15ull >> 40, create, same_content, content);
	return k ? (fifo *)((char *)k - offsetof(fifo, key)) : NULL;
}

static q_entry *entry(fifo *f, uint64_t i)
{
	return &f->e[i % FIFO_LEN];
}

/* Room for one more: the oldest goes if it was received (its stamp kept as `dropped`), else the list is off. */
static bool make_room(fifo *f)
{
	if (f->n - f->base < FIFO_LEN)
		return true;
	q_entry *old = entry(f, f->base);
	if (f->base >= f->marks)
		return false;
	if (old->stamp > f->dropped)
		f->dropped = old->stamp;
	f->base++;
	return true;
}

/*
 * A sender on a blocking call holds the send lock until it returns, so a
 * second sender may wait a while: spinning, then sleeping briefly.
 */
static void send_lock(atomic_int *l)
{
	for (unsigned n = 0; atomic_exchange_explicit(l, 1, memory_order_acquire); n++) {
		if (n < 1000)
			sched_yield();
		else
			nanosleep(&(struct timespec){0, 20000}, NULL);
	}
}

void ic_race_q_send_begin(ic_race_proc *p, ic_race_queue *q, uint64_t content)
{
	send_lock(&q->send_lock);
	fifo *f = fifo_of(p, q, content, true);
	if (!f)
		return; /* no list for it: its receives fall back, and so would every later send's */
	ic_race_spin_lock(&f->lock);
	if (!f->off && make_room(f)) {
		q_entry *e = entry(f, f->n);
		e->qseq = atomic_fetch_add(&q->pushes, 1);
		e->stamp = 0;
		if (p->on)
			memcpy(e->vc, p->clock, sizeof(e->vc));
		else
			memset(e->vc, 0, sizeof(e->vc)); /* setup's: everything happens after it anyway */
		f->n++;
	} else {
		f->off = true;
	}
	ic_race_spin_unlock(&f->lock);
}

void ic_race_q_send_end(ic_race_proc *p, ic_race_queue *q, uint64_t content, bool sent)
{
	fifo *f = sent ? NULL : fifo_of(p, q, content, false);
	if (f) {
		/* Nothing was sent: the entry is the list's newest (the lock kept every other sender out). */
		ic_race_spin_lock(&f->lock);
		if (!f->off && f->n > f->base)
			f->n--;
		ic_race_spin_unlock(&f->lock);
	}
	atomic_store_explicit(&q->send_lock, 0, memory_order_release);
}

uint64_t ic_race_q_recv_begin(ic_race_queue *q)
{
	uint64_t begun = atomic_load(&q->finished);
	atomic_fetch_add(&q->started, 1);
	return begun;
}

/* Joins the sends the receive may have got; false: the list cannot say, take the conservative edge. */
static bool join_window(ic_race_proc *p, fifo *f, uint64_t begun, uint64_t width, uint64_t pushed)
{
	if (f->off || f->dropped > begun)
		return false; /* a receive that finished after this one began is no longer counted */
	uint64_t lo = f->base;
	while (lo < f->marks && lo < f->n && entry(f, lo)->stamp <= begun)
		lo++;
	uint64_t hi = lo + width < f->n ? lo + width : f->n;
	while (hi > lo && entry(f, hi - 1)->qseq >= pushed)
		hi--; /* pushed after the receive returned: not what it got */
	if (hi == lo)
		return false; /* a send nobody pushed (a raw call): the counts are wrong */
	for (uint64_t i = lo; i < hi; i++)
		ic_race_acquire(p, entry(f, i)->vc);
	return true;
}

bool ic_race_q_recv_end(ic_race_proc *p, ic_race_queue *q, uint64_t begun, bool got, bool whole,
			uint64_t content)
{
	/* Read first: receives begun and sends pushed before this call returned, and no later. */
	uint64_t started = atomic_load(&q->started), pushed = atomic_load(&q->pushes);
	if (got && !whole)
		atomic_store(&q->off, true); /* its list is unknown, so every list's count may be short */
	bool counted = atomic_load(&q->trusted) && !atomic_load(&q->off);
	fifo *f = got && counted ? fifo_of(p, q, content, false) : NULL;
	bool joined = false;
	if (f) {
		ic_race_spin_lock(&f->lock);
		joined = join_window(p, f, begun, started - begun, pushed);
		if (f->marks < f->n) {
			entry(f, f->marks)->stamp = atomic_fetch_add(&q->finished, 1) + 1;
			f->marks++;
		} else {
			atomic_fetch_add(&q->finished, 1);
			f->off = true; /* more received than pushed: someone sent around the wrapper */
		}
		f->off |= !joined;
		ic_race_spin_unlock(&f->lock);
	} else {
		atomic_fetch_add(&q->finished, 1);
	}
	return joined;
}
