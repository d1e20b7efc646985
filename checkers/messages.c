/*
 * messages: every message whose send is ok is received exactly once, intact
 * (CRC), and in order per (producer, lane) at each consumer; a message whose
 * send is indeterminate (its producer died mid-send) is received at most
 * once; nothing arrives that was never sent. A consumer killed with a
 * receive open may have taken one message with it, so each such consumer
 * excuses one missing message. The supervisor's final drain counts as a
 * consumer, so "lost" means lost, not "not yet read". When a log filled
 * up, its tail is missing: duplicates and the rest are judged on what the
 * logs hold, and no loss is claimed.
 */
#include "../harness/internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

enum { NONE, INVOKED, SENT, FAILED };
#define LANES 256 /* the lane is logged in 8 bits */
#define SHOW 8 /* ids listed per kind of problem */

typedef struct producer {
	uint64_t n;        /* sequence numbers seen in invokes */
	uint8_t *state;    /* per seq: NONE, INVOKED, SENT, FAILED */
	uint32_t *received;
} producer;

typedef struct tally {
	bool flood; /* a reader stopped at a flood (IC_OP_FLOOD): what it left unread is not lost */
	unsigned lost, duplicated, reordered, corrupt, garbled, phantom, failed_arrived;
	unsigned allowance;
	bool dup_marked, order_marked; /* the first of each is marked for the story */
	char lost_ids[256], dup_ids[256], order_ids[256], corrupt_ids[256], phantom_ids[256];
} tally;

static void add_id(char *list, size_t size, unsigned *count, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add_id(char *list, size_t size, unsigned *count, const char *fmt, ...)
{
	if ((*count)++ >= SHOW)
		return;
	size_t len = strlen(list);
	va_list ap;
	va_start(ap, fmt);
	if (len && len + 2 < size)
		memcpy(list + len, ", ", 3), len += 2;
	vsnprintf(list + len, size - len, fmt, ap);
	va_end(ap);
}

static void scan_sends(const ic_proc_facts *p, producer *pr)
{
	for (uint64_t i = 0; i < p->nev; i++)
		if (p->ev[i].op == IC_OP_SEND && p->ev[i].kind == IC_EV_INVOKE)
			pr->n = (p->ev[i].a & 0xffffffffffffull) + 1 > pr->n ? (p->ev[i].a & 0xffffffffffffull) + 1 : pr->n;
	pr->state = calloc(pr->n ? pr->n : 1, 1);
	pr->received = calloc(pr->n ? pr->n : 1, sizeof(uint32_t));
	for (uint64_t i = 0; i < p->nev && pr->state && pr->received; i++) {
		const ic_event *e = &p->ev[i];
		uint64_t seq = e->op == IC_OP_SEND ? (e->kind == IC_EV_FAIL ? e->b : e->a) & 0xffffffffffffull : 0;
		if (e->op != IC_OP_SEND || seq >= pr->n)
			continue;
		pr->state[seq] = e->kind == IC_EV_INVOKE ? INVOKED : e->kind == IC_EV_OK ? SENT
				 : e->kind == IC_EV_FAIL ? FAILED : pr->state[seq];
	}
}

/* ---- Evidence marks: the message's send and the receive that shows the problem ---- */

static void mark_send(const ic_facts *f, ic_finding *out, uint64_t p, uint64_t seq, const char *why)
{
	const ic_proc_facts *pr = &f->procs[p];
	for (uint64_t i = 0; i < pr->nev; i++)
		if (pr->ev[i].op == IC_OP_SEND && pr->ev[i].kind == IC_EV_OK &&
		    (pr->ev[i].a & 0xffffffffffffull) == seq) {
			ic_finding_mark(out, (unsigned)p, IC_MARK_EVENT, i, why);
			return;
		}
}

/* A duplicate's other receive: the first one (any consumer's, or the drain's) that is not (who, at). */
static void mark_other_receive(const ic_facts *f, ic_finding *out, uint64_t id, unsigned who, uint64_t at)
{
	for (unsigned p = 0; p <= f->nprocs; p++) {
		const ic_event *ev = p < f->nprocs ? f->procs[p].ev : f->observer;
		uint64_t nev = p < f->nprocs ? f->procs[p].nev : f->nobserver;
		for (uint64_t i = 0; i < nev; i++)
			if (ev[i].op == IC_OP_RECV && ev[i].kind == IC_EV_OK && ev[i].a == id && !(p == who && i == at)) {
				ic_finding_mark(out, p, IC_MARK_EVENT, i, "duplicated: one receive");
				return;
			}
	}
}

/* The first of each kind of problem is marked: one pair tells the story. */
static void mark_receive(const ic_facts *f, ic_finding *out, unsigned who, uint64_t i, uint64_t p,
			 uint64_t seq, const char *what, bool *done)
{
	if (*done || !out)
		return;
	*done = true;
	char why[40];
	snprintf(why, sizeof(why), "%s: its send", what);
	mark_send(f, out, p, seq, why);
	snprintf(why, sizeof(why), "%s: %s", what, strcmp(what, "duplicated") == 0 ? "another receive" : "this receive");
	ic_finding_mark(out, who, IC_MARK_EVENT, i, why);
}

/* One consumer's receives (or the drain's, who = nprocs): counts, and order per (producer, lane). */
static void scan_receives(const char *who, unsigned whom, const ic_event *ev, uint64_t nev, producer *prods,
			  unsigned nprods, const ic_facts *f, tally *t, ic_finding *out)
{
	uint64_t (*last)[LANES] = calloc(nprods, sizeof(*last)); /* seq + 1 */
	for (uint64_t i = 0; i < nev && last; i++) {
		const ic_event *e = &ev[i];
		t->flood |= e->op == IC_OP_FLOOD && e->kind == IC_EV_INFO;
		if (e->op != IC_OP_RECV || e->kind != IC_EV_OK)
			continue;
		unsigned status = e->b & 0xff, lane = (e->b >> 8) & (LANES - 1);
		uint64_t p = e->a >> 48, seq = e->a & 0xffffffffffffull;
		if (status == IC_MSG_GARBLED) {
			t->garbled++;
			continue;
		}
		if (p >= nprods || seq >= prods[p].n || prods[p].state[seq] == NONE) {
			if (p < nprods)
				add_id(t->phantom_ids, sizeof(t->phantom_ids), &t->phantom, "%s#%" PRIu64 " at %s",
				       f->procs[p].label, seq, who);
			else
				add_id(t->phantom_ids, sizeof(t->phantom_ids), &t->phantom,
				       "slot %" PRIu64 "#%" PRIu64 " at %s", p, seq, who);
			continue;
		}
		const char *label = f->procs[p].label;
		if (status == IC_MSG_CORRUPT) {
			add_id(t->corrupt_ids, sizeof(t->corrupt_ids), &t->corrupt, "%s#%" PRIu64 " at %s", label, seq, who);
			continue;
		}
		if (prods[p].state[seq] == FAILED)
			add_id(t->phantom_ids, sizeof(t->phantom_ids), &t->failed_arrived,
			       "%s#%" PRIu64 " (its send failed) at %s", label, seq, who);
		prods[p].received[seq]++;
		if (prods[p].received[seq] == 2 && !t->dup_marked && out) {
			mark_other_receive(f, out, e->a, whom, i);
			mark_receive(f, out, whom, i, p, seq, "duplicated", &t->dup_marked);
		}
		if (last[p][lane] > seq + 1) {
			add_id(t->order_ids, sizeof(t->order_ids), &t->reordered,
			       "%s got %s#%" PRIu64 " after #%" PRIu64, who, label, seq, last[p][lane] - 1);
			mark_receive(f, out, whom, i, p, seq, "reordered", &t->order_marked);
		}
		if (seq + 1 > last[p][lane])
			last[p][lane] = seq + 1;
	}
	free(last);
}

static bool has_open(const ic_proc_facts *p, uint32_t op)
{
	bool open = false;
	for (uint64_t i = 0; i < p->nev; i++)
		if (p->ev[i].op == op)
			open = p->ev[i].kind == IC_EV_INVOKE;
	return open;
}

static void judge_counts(const producer *prods, unsigned nprods, const ic_facts *f, tally *t, ic_finding *out)
{
	for (unsigned p = 0; p < nprods; p++)
		for (uint64_t seq = 0; seq < prods[p].n; seq++) {
			uint32_t got = prods[p].received[seq];
			if (got > 1)
				add_id(t->dup_ids, sizeof(t->dup_ids), &t->duplicated, "%s#%" PRIu64 " x%u",
				       f->procs[p].label, seq, got);
			/* A full log may lack the receive: only what it holds is judged. */
			if (got == 0 && prods[p].state[seq] == SENT && !f->log_full && !t->flood) {
				if (!t->lost && out)
					mark_send(f, out, p, seq, "lost: sent ok, never received");
				add_id(t->lost_ids, sizeof(t->lost_ids), &t->lost, "%s#%" PRIu64, f->procs[p].label, seq);
			}
		}
	for (unsigned i = 0; i < f->nprocs; i++)
		t->allowance += !f->procs[i].exited && has_open(&f->procs[i], IC_OP_RECV);
}

static void report(const tally *t, ic_finding *out)
{
	ic_finding_addf(out, "messages lost, duplicated, reordered or corrupted\n");
	if (t->lost > t->allowance)
		ic_finding_addf(out, "  lost %u (%u excused by consumers killed mid-receive): %s%s\n", t->lost,
				t->allowance, t->lost_ids, t->lost > SHOW ? ", ..." : "");
	if (t->duplicated)
		ic_finding_addf(out, "  duplicated %u: %s%s\n", t->duplicated, t->dup_ids, t->duplicated > SHOW ? ", ..." : "");
	if (t->flood)
		ic_finding_addf(out, "  receiving stopped: more messages arrived than were ever sent (losses not judged)\n");
	if (t->reordered)
		ic_finding_addf(out, "  reordered %u: %s%s\n", t->reordered, t->order_ids, t->reordered > SHOW ? ", ..." : "");
	if (t->corrupt)
		ic_finding_addf(out, "  corrupt %u (crc): %s%s\n", t->corrupt, t->corrupt_ids, t->corrupt > SHOW ? ", ..." : "");
	if (t->garbled)
		ic_finding_addf(out, "  garbled %u (no valid header where a message was returned)\n", t->garbled);
	if (t->phantom || t->failed_arrived)
		ic_finding_addf(out, "  never sent %u: %s\n", t->phantom + t->failed_arrived, t->phantom_ids);
}

static bool messages_check(const ic_facts *f, ic_finding *out)
{
	producer *prods = calloc(f->nprocs ? f->nprocs : 1, sizeof(*prods));
	tally *t = calloc(1, sizeof(*t));
	bool any_send = false, bad = false;
	if (!prods || !t)
		goto out;
	for (unsigned i = 0; i < f->nprocs; i++) {
		scan_sends(&f->procs[i], &prods[i]);
		any_send |= prods[i].n > 0;
	}
	if (!any_send)
		goto out; /* not a message scenario */
	for (unsigned i = 0; i < f->nprocs; i++)
		scan_receives(f->procs[i].label, i, f->procs[i].ev, f->procs[i].nev, prods, f->nprocs, f, t, out);
	scan_receives("drain", f->nprocs, f->observer, f->nobserver, prods, f->nprocs, f, t, out);
	judge_counts(prods, f->nprocs, f, t, out);
	bad = t->lost > t->allowance || t->duplicated || t->reordered || t->corrupt || t->garbled ||
	      t->phantom || t->failed_arrived;
	if (bad)
		report(t, out);
out:
	for (unsigned i = 0; prods && i < f->nprocs; i++) {
		free(prods[i].state);
		free(prods[i].received);
	}
	free(prods);
	free(t);
	return bad;
}

const ic_checker ic_checker_messages = {
	.name = "messages",
	.summary = "every sent message received once, intact, in order; nothing unsent received",
	.check = messages_check,
};
