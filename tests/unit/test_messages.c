/*
 * test_messages.c: the messages checker judged on logs built by hand, in the
 * shape harness/msg.c writes them. A producer logs invoke/ok (or fail) around
 * each send, a consumer invoke before each receive and ok with (id, length,
 * lane, status) after; the drain is the observer. Each kind of delivery bug
 * must be caught and named, and what a killed process leaves open excused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "internal.h"

#define N 10        /* messages p0 sends in most tests */
#define MAXEV 256
#define NPROCS 3    /* p0, c0, c1 */
#define P0 0
#define C0 1
#define C1 2
#define DRAIN NPROCS /* add_event's index for the observer */
#define LEN 64

typedef struct fixture {
	ic_facts facts;
	ic_finding out;
	ic_event ev[NPROCS + 1][MAXEV]; /* the last: the drain */
} fixture;

/* One producer p0 and two consumers c0, c1 that exited 0; no events yet. */
static int setup(void **state)
{
	fixture *x = calloc(1, sizeof(*x));
	if (!x)
		return -1;
	ic_facts *f = &x->facts;
	static const char *const labels[NPROCS] = {"p0", "c0", "c1"};
	f->nprocs = NPROCS;
	for (unsigned i = 0; i < NPROCS; i++) {
		test_proc_facts(f, i, x->ev[i], "%s", labels[i]);
		f->procs[i].pid = 4200 + (pid_t)i;
	}
	f->observer = x->ev[DRAIN];
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static bool check(fixture *x)
{
	const ic_checker *c = ic_checker_find("messages");
	if (!c)
		fail_msg("no checker named messages");
	x->out.checker = c->name;
	x->out.text[0] = '\0';
	return c->check(&x->facts, &x->out);
}

/* Silent, and nothing written: a pass leaves no stray evidence in the report. */
static void assert_silent(fixture *x)
{
	bool found = check(x);
	if (found)
		fail_msg("unexpected finding: %s", x->out.text);
	assert_string_equal(x->out.text, "");
}

static void assert_finding(fixture *x, const char *needle)
{
	assert_true(check(x));
	assert_contains(x->out.text, "messages lost, duplicated, reordered or corrupted");
	assert_contains(x->out.text, needle);
}

static void add_event(fixture *x, unsigned who, uint32_t kind, uint32_t op, uint64_t a, uint64_t b)
{
	uint64_t *n = who == DRAIN ? &x->facts.nobserver : &x->facts.procs[who].nev;
	assert_true(*n < MAXEV);
	x->ev[who][*n] = (ic_event){.t_ns = *n + 1, .kind = kind, .op = op, .a = a, .b = b};
	(*n)++;
}

static uint64_t send_b(unsigned lane)
{
	return (uint64_t)LEN << 16 | lane << 8;
}

static void send_open(fixture *x, unsigned proc, uint64_t seq, unsigned lane)
{
	add_event(x, proc, IC_EV_INVOKE, IC_OP_SEND, ic_msg_id(proc, seq), send_b(lane));
}

static void send_ok(fixture *x, unsigned proc, uint64_t seq, unsigned lane)
{
	send_open(x, proc, seq, lane);
	add_event(x, proc, IC_EV_OK, IC_OP_SEND, ic_msg_id(proc, seq), send_b(lane));
}

static void send_failed(fixture *x, unsigned proc, uint64_t seq)
{
	send_open(x, proc, seq, 0);
	add_event(x, proc, IC_EV_FAIL, IC_OP_SEND, ENOTCONN, ic_msg_id(proc, seq));
}

/* p0 sends seqs [0, n) on lane 0, each acknowledged. */
static void sends(fixture *x, uint64_t n)
{
	for (uint64_t seq = 0; seq < n; seq++)
		send_ok(x, P0, seq, 0);
}

static void recv_open(fixture *x, unsigned who)
{
	add_event(x, who, IC_EV_INVOKE, IC_OP_RECV, 0, 0);
}

static void recv_status(fixture *x, unsigned who, uint64_t id, unsigned lane, unsigned status)
{
	recv_open(x, who);
	add_event(x, who, IC_EV_OK, IC_OP_RECV, id, (uint64_t)LEN << 16 | lane << 8 | status);
}

static void recv_lane(fixture *x, unsigned who, uint64_t seq, unsigned lane)
{
	recv_status(x, who, ic_msg_id(P0, seq), lane, IC_MSG_INTACT);
}

static void recv(fixture *x, unsigned who, uint64_t seq)
{
	recv_lane(x, who, seq, 0);
}

/* p0's seqs [from, to) received intact, in order, by `who`. */
static void recv_range(fixture *x, unsigned who, uint64_t from, uint64_t to)
{
	for (uint64_t seq = from; seq < to; seq++)
		recv(x, who, seq);
}

/* The receive that found nothing more: how a consumer loop ends. */
static void recv_none(fixture *x, unsigned who)
{
	recv_open(x, who);
	add_event(x, who, IC_EV_FAIL, IC_OP_RECV, 0, 0);
}

static void sigkilled(ic_proc_facts *p)
{
	p->exited = false;
	p->code = SIGKILL;
	p->injected = true;
	snprintf(p->injected_at, sizeof(p->injected_at), "%s", "consume/begin");
	p->injected_hit = 5;
}

static void test_registered(void **state)
{
	(void)state;
	const ic_checker *c = ic_checker_find("messages");
	assert_non_null(c);
	assert_string_equal(c->name, "messages");
}

/* ---- silent on correct logs ---- */

static void test_silent_on_correct_log(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, N);
	recv_none(x, C0);
	recv_none(x, C1);
	recv_none(x, DRAIN);
	assert_silent(x);
}

/* What the consumers left is the drain's: received once all the same. */
static void test_silent_when_drain_receives_the_rest(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, 4);
	recv_none(x, C0);
	recv_range(x, DRAIN, 4, N);
	recv_none(x, DRAIN);
	assert_silent(x);
}

/* Not a message scenario: the checker has nothing to judge, even with receives logged. */
static void test_silent_without_sends(void **state)
{
	fixture *x = *state;
	for (int i = 0; i < 3; i++) {
		add_event(x, P0, IC_EV_INVOKE, IC_OP_INC, 1, 0);
		add_event(x, P0, IC_EV_OK, IC_OP_INC, 1, 0);
	}
	recv_status(x, C0, UINT64_MAX, 0, IC_MSG_GARBLED);
	assert_silent(x);
}

/* ---- lost ---- */

static void test_lost(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, 4);
	recv_range(x, C0, 5, N);
	recv_none(x, C0);
	recv_none(x, DRAIN);
	assert_finding(x, "lost 1");
	assert_contains(x->out.text, "p0#4");
	assert_null(strstr(x->out.text, "p0#5"));
}

/* c0 was killed with a receive open: it may have taken one message with it. */
static void killed_mid_receive(fixture *x, uint64_t resume)
{
	sends(x, N);
	recv_range(x, C0, 0, 4);
	recv_open(x, C0);
	sigkilled(&x->facts.procs[C0]);
	recv_range(x, C1, resume, N);
	recv_none(x, C1);
}

static void test_killed_consumer_excuses_one_lost(void **state)
{
	fixture *x = *state;
	killed_mid_receive(x, 5); /* p0#4 is gone */
	assert_silent(x);
}

static void test_killed_consumer_excuses_only_one(void **state)
{
	fixture *x = *state;
	killed_mid_receive(x, 6); /* p0#4 and p0#5 are gone */
	assert_finding(x, "lost 2 (1 excused by consumers killed mid-receive)");
	assert_contains(x->out.text, "p0#4, p0#5");
}

/* Killed between receives, it held nothing: no excuse. */
static void test_killed_consumer_without_open_receive(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, 4);
	sigkilled(&x->facts.procs[C0]);
	recv_range(x, C1, 5, N);
	assert_finding(x, "lost 1 (0 excused");
	assert_contains(x->out.text, "p0#4");
}

/* Only a receive can take a message with it: a producer killed mid-send excuses nothing. */
static void test_killed_producer_excuses_nothing(void **state)
{
	fixture *x = *state;
	sends(x, N - 1);
	send_open(x, P0, N - 1, 0);
	sigkilled(&x->facts.procs[P0]);
	recv_range(x, C0, 0, 2);
	recv_range(x, C0, 3, N - 1);
	recv_none(x, C0);
	assert_finding(x, "lost 1 (0 excused");
	assert_contains(x->out.text, "p0#2");
}

/* ---- duplicated ---- */

static void test_duplicated_at_one_consumer(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, 4);
	recv(x, C0, 3);
	recv_range(x, C0, 4, N);
	assert_finding(x, "duplicated 1");
	assert_contains(x->out.text, "p0#3 x2");
}

/* Handed to c0 and still there for the drain: a receive that did not remove it. */
static void test_duplicated_by_consumer_and_drain(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, N);
	recv(x, DRAIN, 7);
	assert_finding(x, "duplicated 1");
	assert_contains(x->out.text, "p0#7 x2");
	assert_null(strstr(x->out.text, "\n  reordered")); /* the drain keeps its own order */
}

/* ---- order ---- */

static void test_reordered_at_one_consumer(void **state)
{
	fixture *x = *state;
	static const uint64_t order[N] = {0, 1, 2, 3, 4, 7, 5, 6, 8, 9};
	sends(x, N);
	for (unsigned i = 0; i < N; i++)
		recv(x, C0, order[i]);
	assert_finding(x, "reordered 2");
	assert_contains(x->out.text, "c0 got p0#5 after #7");
	assert_contains(x->out.text, "c0 got p0#6 after #7");
	assert_null(strstr(x->out.text, "\n  lost"));
}

/* Order is promised per lane (a priority): lanes may overtake each other. */
static void test_lanes_may_interleave(void **state)
{
	fixture *x = *state;
	static const unsigned lane_of[6] = {0, 0, 1, 1, 0, 0};
	static const uint64_t order[6] = {0, 1, 4, 5, 2, 3}; /* lane 1's #2 after lane 0's #5 */
	for (uint64_t seq = 0; seq < 6; seq++)
		send_ok(x, P0, seq, lane_of[seq]);
	for (unsigned i = 0; i < 6; i++)
		recv_lane(x, C0, order[i], lane_of[order[i]]);
	assert_silent(x);
}

/* Within a lane, order still holds when another lane is interleaved. */
static void test_reordered_within_a_lane(void **state)
{
	fixture *x = *state;
	static const unsigned lane_of[4] = {1, 0, 1, 0};
	static const uint64_t order[4] = {2, 1, 0, 3}; /* lane 1: #0 after #2 */
	for (uint64_t seq = 0; seq < 4; seq++)
		send_ok(x, P0, seq, lane_of[seq]);
	for (unsigned i = 0; i < 4; i++)
		recv_lane(x, C0, order[i], lane_of[order[i]]);
	assert_finding(x, "reordered 1");
	assert_contains(x->out.text, "c0 got p0#0 after #2");
}

/* Each consumer sees increasing seqs: competing consumers split a stream. */
static void test_two_consumers_each_in_order(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C1, 5, N); /* c1 took the later ones first: its own order holds */
	for (uint64_t seq = 0; seq < 5; seq++)
		recv(x, C0, seq);
	recv_none(x, C0);
	recv_none(x, C1);
	assert_silent(x);
}

/* ---- damaged ---- */

static void test_corrupt_names_the_id(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, 3);
	recv_status(x, C0, ic_msg_id(P0, 3), 0, IC_MSG_CORRUPT);
	recv_range(x, C0, 4, N);
	assert_finding(x, "corrupt 1 (crc): p0#3 at c0");
}

static void test_garbled_counts(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, N);
	recv_status(x, C0, UINT64_MAX, 0, IC_MSG_GARBLED);
	recv_status(x, DRAIN, UINT64_MAX, 0, IC_MSG_GARBLED);
	assert_finding(x, "garbled 2");
	assert_null(strstr(x->out.text, "\n  never sent")); /* no id to blame */
}

/* ---- never sent ---- */

static void test_phantom_seq_never_invoked(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, N);
	recv(x, C1, 99); /* beyond anything p0 invoked */
	assert_finding(x, "never sent 1: p0#99 at c1");
}

/* A gap in the sequence: below the highest invoke, but this one never was. */
static void test_phantom_seq_in_a_gap(void **state)
{
	fixture *x = *state;
	for (uint64_t seq = 0; seq < N; seq++)
		if (seq != 6)
			send_ok(x, P0, seq, 0);
	recv(x, C0, 6);
	recv_range(x, C0, 7, N);
	recv_range(x, DRAIN, 0, 6);
	assert_finding(x, "never sent 1: p0#6 at c0");
}

/* Slot 1 is a consumer that sent nothing; slot 40 is no process at all. */
static void test_phantom_producer(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, N);
	recv_status(x, C0, ic_msg_id(C0, 0), 0, IC_MSG_INTACT);
	recv_status(x, DRAIN, ic_msg_id(40, 2), 0, IC_MSG_INTACT);
	assert_finding(x, "never sent 2");
	assert_contains(x->out.text, "#0 at c0");
	assert_contains(x->out.text, "#2 at drain");
}

/* ---- indeterminate and failed sends ---- */

/* p0 was killed inside its last send: it may or may not have gone out. */
static void killed_mid_send(fixture *x)
{
	sends(x, N - 1);
	send_open(x, P0, N - 1, 0);
	sigkilled(&x->facts.procs[P0]);
	recv_range(x, C0, 0, N - 1);
}

static void test_indeterminate_received_once(void **state)
{
	fixture *x = *state;
	killed_mid_send(x);
	recv(x, C0, N - 1);
	recv_none(x, C0);
	assert_silent(x);
}

static void test_indeterminate_never_received(void **state)
{
	fixture *x = *state;
	killed_mid_send(x);
	recv_none(x, C0);
	recv_none(x, DRAIN);
	assert_silent(x);
}

static void test_indeterminate_received_twice(void **state)
{
	fixture *x = *state;
	killed_mid_send(x);
	recv(x, C0, N - 1);
	recv(x, DRAIN, N - 1);
	assert_finding(x, "duplicated 1");
	assert_contains(x->out.text, "p0#9 x2");
}

/* A send that reported failure must not have delivered anything. */
static void test_failed_send_arrives(void **state)
{
	fixture *x = *state;
	sends(x, 4);
	send_failed(x, P0, 4);
	for (uint64_t seq = 5; seq < N; seq++)
		send_ok(x, P0, seq, 0);
	recv_range(x, C0, 0, N);
	assert_finding(x, "never sent 1");
	assert_contains(x->out.text, "p0#4 (its send failed) at c0");
	assert_null(strstr(x->out.text, "\n  lost"));
}

static void test_failed_send_not_received(void **state)
{
	fixture *x = *state;
	sends(x, 4);
	send_failed(x, P0, 4);
	for (uint64_t seq = 5; seq < N; seq++)
		send_ok(x, P0, seq, 0);
	recv_range(x, C0, 0, 4);
	recv_range(x, C0, 5, N);
	assert_silent(x);
}

/* ---- a full log, a flood: judged on what the logs hold ---- */

/* The tail of c0's receives is missing (its log filled): no loss claimed, duplicates still found. */
static void test_full_log_claims_no_loss(void **state)
{
	fixture *x = *state;
	sends(x, N);
	recv_range(x, C0, 0, 4);
	x->facts.log_full = true;
	assert_silent(x);
	recv(x, C0, 3);
	assert_finding(x, "duplicated 1");
	assert_null(strstr(x->out.text, "\n  lost ")); /* no line of losses */
}

/* A consumer that stopped at a flood (IC_OP_FLOOD) left the rest unread, not lost. */
static void test_flood_stops_and_claims_no_loss(void **state)
{
	fixture *x = *state;
	sends(x, N);
	for (int i = 0; i < 3; i++)
		recv_range(x, C0, 0, 4);
	add_event(x, C0, IC_EV_INFO, IC_OP_FLOOD, 12, N);
	assert_finding(x, "duplicated 4");
	assert_contains(x->out.text, "more messages arrived than were ever sent");
	assert_null(strstr(x->out.text, "\n  lost ")); /* no line of losses */
}

/* The same reads without the flood record: the unread rest is lost. */
static void test_without_flood_record_loss_is_judged(void **state)
{
	fixture *x = *state;
	sends(x, N);
	for (int i = 0; i < 3; i++)
		recv_range(x, C0, 0, 4);
	assert_finding(x, "lost 6");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered),
		T(test_silent_on_correct_log),
		T(test_silent_when_drain_receives_the_rest),
		T(test_silent_without_sends),
		T(test_lost),
		T(test_killed_consumer_excuses_one_lost),
		T(test_killed_consumer_excuses_only_one),
		T(test_killed_consumer_without_open_receive),
		T(test_killed_producer_excuses_nothing),
		T(test_duplicated_at_one_consumer),
		T(test_duplicated_by_consumer_and_drain),
		T(test_reordered_at_one_consumer),
		T(test_lanes_may_interleave),
		T(test_reordered_within_a_lane),
		T(test_two_consumers_each_in_order),
		T(test_corrupt_names_the_id),
		T(test_garbled_counts),
		T(test_phantom_seq_never_invoked),
		T(test_phantom_seq_in_a_gap),
		T(test_phantom_producer),
		T(test_indeterminate_received_once),
		T(test_indeterminate_never_received),
		T(test_indeterminate_received_twice),
		T(test_failed_send_arrives),
		T(test_failed_send_not_received),
		T(test_full_log_claims_no_loss),
		T(test_flood_stops_and_claims_no_loss),
		T(test_without_flood_record_loss_is_judged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
