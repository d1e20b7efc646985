/*
 * test_race.c: the race detector's engine on synthetic access sequences:
 * vector clocks and epochs, the shadow word's state machine (write-write,
 * write-read, shared reads then a write, neighbours in one word), atomics by
 * memory order and fences, lock and message edges, folding, and the race
 * checker's report. Three processes, one region, all in this process's heap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "internal.h"
#include "role/race.h"

#define WORDS 64
#define NPROCS 3

typedef struct fixture {
	ic_race_arena ra;
	void *shadow;
	ic_race_proc p[NPROCS];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	size_t bytes = ic_race_shadow_bytes(WORDS, NPROCS, true);
	f->shadow = calloc(1, bytes);
	assert_non_null(f->shadow);
	f->ra.on = 1;
	f->ra.nprocs = NPROCS;
	f->ra.nregions = 1;
	snprintf(f->ra.regions[0].name, sizeof(f->ra.regions[0].name), "counter");
	f->ra.regions[0].size = WORDS * 8;
	f->ra.regions[0].words = WORDS;
	ic_race_shadow *sh = ic_race_shadow_init(f->shadow, WORDS, NPROCS, true);
	for (unsigned i = 0; i < NPROCS; i++)
		ic_race_proc_init(&f->p[i], &f->ra, sh, i);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	free(f->shadow);
	free(f);
	return 0;
}

#define W IC_RACE_WRITE
#define A IC_RACE_ATOMIC

static uint64_t races(fixture *f)
{
	return atomic_load(&f->ra.races);
}

/* ---- Vector clocks and epochs ---- */

static void test_clock_starts_at_one_and_release_ticks(void **state)
{
	fixture *f = *state;
	ic_vclock lock = {0};
	assert_int_equal(f->p[0].clock[0], 1);
	assert_int_equal(f->p[0].clock[1], 0);
	ic_race_release(&f->p[0], lock, false);
	assert_int_equal(lock[0], 1);
	assert_int_equal(f->p[0].clock[0], 2); /* a new epoch after the release */
	ic_race_acquire(&f->p[1], lock);
	assert_int_equal(f->p[1].clock[0], 1);
	assert_int_equal(f->p[1].clock[1], 1); /* its own entry untouched */
}

/* ---- The shadow word's state machine ---- */

static void test_write_write_unordered_is_a_race(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 8, 8, W, 0x100);
	ic_race_access(&f->p[1], 0, 8, 8, W, 0x200);
	assert_int_equal(races(f), 1);
	assert_int_equal(f->ra.nreports, 1);
	const ic_race_report *r = &f->ra.reports[0];
	assert_int_equal(r->offset, 8);
	assert_int_equal(r->now.slot, 1);
	assert_int_equal(r->before.slot, 0);
	assert_int_equal(r->now.flags, W);
	assert_int_equal(r->before.flags, W);
	assert_int_equal(r->before.pc[0], 0x100);
	assert_int_equal(r->now.size, 8);
}

static void test_write_read_unordered_is_a_race(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 0, 4, W, 0x100);
	ic_race_access(&f->p[1], 0, 0, 4, 0, 0x200);
	assert_int_equal(races(f), 1);
	assert_int_equal(f->ra.reports[0].now.flags, 0);
	assert_int_equal(f->ra.reports[0].before.flags, W);
}

static void test_read_read_is_no_race(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 0, 8, 0, 0x100);
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	ic_race_access(&f->p[2], 0, 0, 8, 0, 0x300);
	assert_int_equal(races(f), 0);
}

static void test_same_process_never_races(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	ic_race_access(&f->p[0], 0, 0, 8, 0, 0x110);
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x120);
	assert_int_equal(races(f), 0);
}

static void test_neighbours_in_one_word_do_not_conflict(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 0, 4, W, 0x100);
	ic_race_access(&f->p[1], 0, 4, 4, W, 0x200);
	ic_race_access(&f->p[2], 0, 6, 2, 0, 0x300); /* p1's bytes: a race with it, not with p0 */
	assert_int_equal(races(f), 1);
	assert_int_equal(f->ra.reports[0].before.slot, 1);
}

static void test_unaligned_access_spans_two_words(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 12, 8, W, 0x100); /* bytes 12..19: words 1 and 2 */
	ic_race_access(&f->p[1], 0, 16, 1, 0, 0x200);
	assert_int_equal(races(f), 1);
	assert_int_equal(f->ra.reports[0].offset, 16);
}

static void test_shared_reads_then_write(void **state)
{
	fixture *f = *state;
	ic_vclock from0 = {0};
	ic_race_access(&f->p[0], 0, 0, 8, 0, 0x100);
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200); /* concurrent reads: a read set */
	ic_race_release(&f->p[0], from0, false);
	ic_race_acquire(&f->p[2], from0);            /* p2 is after p0's read, not p1's */
	ic_race_access(&f->p[2], 0, 0, 8, W, 0x300);
	assert_int_equal(races(f), 1);
	assert_int_equal(f->ra.reports[0].before.slot, 1);
	assert_int_equal(f->ra.reports[0].before.flags, 0);
}

static void test_shared_reads_then_ordered_write(void **state)
{
	fixture *f = *state;
	ic_vclock from0 = {0}, from1 = {0};
	ic_race_access(&f->p[0], 0, 0, 8, 0, 0x100);
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	ic_race_release(&f->p[0], from0, false);
	ic_race_release(&f->p[1], from1, false);
	ic_race_acquire(&f->p[2], from0);
	ic_race_acquire(&f->p[2], from1);
	ic_race_access(&f->p[2], 0, 0, 8, W, 0x300);
	assert_int_equal(races(f), 0);
}

/* ---- Edges ---- */

static void test_lock_edge_orders(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	ic_race_release(&f->p[0], f->ra.lockclock[0], false); /* ic_unlock */
	ic_race_acquire(&f->p[1], f->ra.lockclock[0]);        /* the next ic_lock */
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	ic_race_access(&f->p[1], 0, 0, 8, W, 0x210);
	assert_int_equal(races(f), 0);
	/* p2 never took the lock. */
	ic_race_access(&f->p[2], 0, 0, 8, 0, 0x300);
	assert_int_equal(races(f), 1);
}

static void test_message_edge_orders(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	ic_race_msg_send(&f->p[0], 0);
	ic_race_access(&f->p[0], 0, 8, 8, W, 0x110); /* after the send: not ordered before the receive */
	ic_race_msg_recv(&f->p[1], 0, 0);
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	assert_int_equal(races(f), 0);
	ic_race_access(&f->p[1], 0, 8, 8, 0, 0x210);
	assert_int_equal(races(f), 1);
}

static void test_unreceived_message_orders_nothing(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	ic_race_msg_recv(&f->p[1], 0, 5); /* never sent */
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	assert_int_equal(races(f), 1);
}

/* ---- Atomics and memory orders ---- */

static void test_both_atomic_never_race(void **state)
{
	fixture *f = *state;
	ic_race_atomic(&f->p[0], 0, 0, 8, true, true, IC_MO_RELAXED, 0x100);
	ic_race_atomic(&f->p[1], 0, 0, 8, true, true, IC_MO_RELAXED, 0x200);
	ic_race_atomic(&f->p[2], 0, 0, 8, true, false, IC_MO_RELAXED, 0x300);
	assert_int_equal(races(f), 0);
}

static void test_atomic_write_plain_read_race(void **state)
{
	fixture *f = *state;
	ic_race_atomic(&f->p[0], 0, 0, 8, false, true, IC_MO_SEQ_CST, 0x100);
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	assert_int_equal(races(f), 1);
	assert_int_equal(f->ra.reports[0].before.flags, W | A);
}

/* Data at word 1, a flag at word 0: the message-passing idiom under each pair of orders. */
static uint64_t publish(fixture *f, int store_mo, int load_mo)
{
	ic_race_access(&f->p[0], 0, 8, 8, W, 0x100);
	ic_race_atomic(&f->p[0], 0, 0, 8, false, true, store_mo, 0x110);
	ic_race_atomic(&f->p[1], 0, 0, 8, true, false, load_mo, 0x200);
	ic_race_access(&f->p[1], 0, 8, 8, 0, 0x210);
	return races(f);
}

static void test_release_acquire_orders(void **state)
{
	assert_int_equal(publish(*state, IC_MO_RELEASE, IC_MO_ACQUIRE), 0);
}

static void test_seq_cst_orders(void **state)
{
	assert_int_equal(publish(*state, IC_MO_SEQ_CST, IC_MO_SEQ_CST), 0);
}

static void test_relaxed_store_orders_nothing(void **state)
{
	assert_int_equal(publish(*state, IC_MO_RELAXED, IC_MO_ACQUIRE), 1);
}

static void test_relaxed_load_orders_nothing(void **state)
{
	assert_int_equal(publish(*state, IC_MO_RELEASE, IC_MO_RELAXED), 1);
}

static void test_fences_order_relaxed_atomics(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 8, 8, W, 0x100);
	ic_race_fence(&f->p[0], IC_MO_RELEASE);
	ic_race_atomic(&f->p[0], 0, 0, 8, false, true, IC_MO_RELAXED, 0x110);
	ic_race_atomic(&f->p[1], 0, 0, 8, true, false, IC_MO_RELAXED, 0x200);
	ic_race_fence(&f->p[1], IC_MO_ACQUIRE);
	ic_race_access(&f->p[1], 0, 8, 8, 0, 0x210);
	assert_int_equal(races(f), 0);
}

static void test_rmw_continues_release_sequence(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 8, 8, W, 0x100);
	ic_race_atomic(&f->p[0], 0, 0, 8, false, true, IC_MO_RELEASE, 0x110);
	ic_race_atomic(&f->p[2], 0, 0, 8, true, true, IC_MO_RELAXED, 0x300); /* a relaxed fetch_add */
	ic_race_atomic(&f->p[1], 0, 0, 8, true, false, IC_MO_ACQUIRE, 0x200);
	ic_race_access(&f->p[1], 0, 8, 8, 0, 0x210);
	assert_int_equal(races(f), 0);
}

/* ---- Reports ---- */

static void test_same_code_pair_folds(void **state)
{
	fixture *f = *state;
	for (unsigned word = 0; word < 5; word++) {
		ic_race_access(&f->p[0], 0, word * 8, 8, W, 0x100);
		ic_race_access(&f->p[1], 0, word * 8, 8, W, 0x200);
	}
	assert_int_equal(races(f), 5);
	assert_int_equal(f->ra.nreports, 1);
	assert_int_equal(atomic_load(&f->ra.reports[0].folded), 4);
}

static void test_checker_reports_both_sides(void **state)
{
	fixture *f = *state;
	ic_race_access(&f->p[0], 0, 24, 8, W, 0x100);
	ic_race_access(&f->p[1], 0, 24, 8, W, 0x200);
	ic_race_access(&f->p[0], 0, 32, 8, W, 0x100);
	ic_race_access(&f->p[1], 0, 32, 8, W, 0x200);
	static ic_facts facts;
	memset(&facts, 0, sizeof(facts));
	facts.nprocs = 2;
	snprintf(facts.procs[0].label, sizeof(facts.procs[0].label), "p0");
	snprintf(facts.procs[1].label, sizeof(facts.procs[1].label), "p1");
	facts.race = &f->ra;
	const ic_checker *c = ic_checker_find("race");
	assert_non_null(c);
	static ic_finding out;
	memset(&out, 0, sizeof(out));
	assert_true(c->check(&facts, &out));
	assert_contains(out.text, "p1 wrote counter+0x18 while p0 had written it");
	assert_contains(out.text, "segment counter, offset 24");
	assert_contains(out.text, "1 more on the same pair of code locations folded in");
	assert_contains(out.text, "now: p1 write of 8 bytes");
	assert_contains(out.text, "before: p0 write of 8 bytes");
	/* A lost edge makes every race uncertain: silent, never a false alarm. */
	atomic_store(&f->ra.nosync, 1);
	memset(&out, 0, sizeof(out));
	assert_false(c->check(&facts, &out));
	facts.race = NULL;
	assert_false(c->check(&facts, &out));
}

/* ---- Ordered queues: a receive takes the send it got ---- */

#define IDX 0x5107 /* a content: a slot index */

/* A queue counted from empty, as seeding leaves one. */
static ic_race_queue *counted_queue(fixture *f, unsigned who)
{
	ic_race_queue *q = ic_race_queue_of(&f->p[who], 0x100);
	assert_non_null(q);
	ic_race_queue_trust(q, true);
	return q;
}

/* As the runtime sends: the push copies the clock, then the conservative edge's release ticks it. */
static void q_send(fixture *f, unsigned who, ic_race_queue *q, uint64_t content, bool sent)
{
	ic_race_q_send_begin(&f->p[who], q, content);
	ic_race_release(&f->p[who], ic_race_sync(&f->p[who], 0x77), true);
	ic_race_q_send_end(&f->p[who], q, content, sent);
}

static bool q_recv(fixture *f, unsigned who, ic_race_queue *q, uint64_t content)
{
	uint64_t begun = ic_race_q_recv_begin(q);
	return ic_race_q_recv_end(&f->p[who], q, begun, true, true, content);
}

/* hybrid's double_free: a slot index sent back twice; its two takers are ordered with nobody. */
static void test_queue_twice_sent_index_orders_each_taker_with_its_own_send(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = counted_queue(f, 2);
	assert_non_null(q);
	q_send(f, 2, q, IDX, true);
	q_send(f, 2, q, IDX, true);
	assert_true(q_recv(f, 0, q, IDX)); /* p0 takes the first */
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	ic_vclock data = {0};
	ic_race_release(&f->p[0], data, false); /* its slot goes to p2, who reads it and frees it again */
	ic_race_acquire(&f->p[2], data);
	ic_race_access(&f->p[2], 0, 0, 8, 0, 0x200);
	q_send(f, 2, q, IDX, true);
	assert_int_equal(races(f), 0);
	assert_true(q_recv(f, 1, q, IDX)); /* p1 got the second: sent before p0 wrote */
	ic_race_access(&f->p[1], 0, 0, 8, W, 0x300);
	assert_int_equal(races(f), 1);
}

static void test_queue_receive_takes_its_send(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = counted_queue(f, 0);
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	q_send(f, 0, q, IDX, true);
	ic_race_access(&f->p[0], 0, 8, 8, W, 0x110); /* after the send */
	assert_true(q_recv(f, 1, q, IDX));
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	assert_int_equal(races(f), 0);
	ic_race_access(&f->p[1], 0, 8, 8, 0, 0x210);
	assert_int_equal(races(f), 1);
}

/* A call that failed sent nothing: its entry goes, and the next send is the one received. */
static void test_queue_failed_send_is_undone(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = counted_queue(f, 0);
	q_send(f, 0, q, IDX, false);
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	q_send(f, 0, q, IDX, true);
	assert_true(q_recv(f, 1, q, IDX));
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	assert_int_equal(races(f), 0);
}

/* Two receives under way at once may have got either message: each joins both sends. */
static void test_queue_concurrent_receives_take_both(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = counted_queue(f, 2);
	q_send(f, 2, q, IDX, true);
	ic_race_access(&f->p[2], 0, 0, 8, W, 0x100); /* between the two sends */
	q_send(f, 2, q, IDX, true);
	uint64_t b0 = ic_race_q_recv_begin(q), b1 = ic_race_q_recv_begin(q);
	assert_true(ic_race_q_recv_end(&f->p[1], q, b1, true, true, IDX)); /* the later one finishes first */
	assert_true(ic_race_q_recv_end(&f->p[0], q, b0, true, true, IDX));
	ic_race_access(&f->p[0], 0, 0, 8, 0, 0x200);
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x300);
	assert_int_equal(races(f), 0);
}

/* A message nobody pushed (a raw call): the counts cannot be right, and the receive says so. */
static void test_queue_unpushed_message_falls_back(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = counted_queue(f, 0);
	assert_false(q_recv(f, 1, q, IDX)); /* no list for it at all */
	q_send(f, 0, q, IDX, true);
	assert_true(q_recv(f, 1, q, IDX));
	assert_false(q_recv(f, 1, q, IDX)); /* more received than pushed */
	q_send(f, 0, q, IDX, true);
	assert_false(q_recv(f, 1, q, IDX)); /* and the list stays off */
}

/* A message cut short names no list: the whole queue is counted no more. */
static void test_queue_cut_message_turns_queue_off(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = counted_queue(f, 0);
	q_send(f, 0, q, IDX, true);
	q_send(f, 0, q, IDX + 1, true);
	uint64_t b = ic_race_q_recv_begin(q);
	assert_false(ic_race_q_recv_end(&f->p[1], q, b, true, false, 0x1234));
	assert_false(q_recv(f, 1, q, IDX));
}

/* More unreceived sends of one content than a list keeps: that content is conservative from then on. */
static void test_queue_overflow_falls_back(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = counted_queue(f, 0);
	for (unsigned i = 0; i < 40; i++)
		q_send(f, 0, q, IDX, true);
	assert_false(q_recv(f, 1, q, IDX));
	/* Received ones make room: another content's list goes on past its size. */
	for (unsigned i = 0; i < 40; i++) {
		q_send(f, 0, q, IDX + 1, true);
		assert_true(q_recv(f, 1, q, IDX + 1));
	}
}

/* ---- Skipped locks (nolock): the lock discipline, whatever the order ---- */

#define L0 1u /* lock 0 */
#define L1 2u /* lock 1 */

/* p0 skips lock 0 and writes; p1 takes lock 0 after p0's next real unlock: ordered, yet reported. */
static void test_skipped_lock_then_holder_is_reported(void **state)
{
	fixture *f = *state;
	ic_vclock lock = {0};
	f->p[0].skipped = L0;
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	f->p[0].skipped = 0;
	f->p[0].held = L0; /* its next operation takes the lock for real */
	ic_race_release(&f->p[0], lock, false);
	f->p[0].held = 0;
	ic_race_acquire_lock(&f->p[1], lock);
	f->p[1].held = L0;
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	assert_int_equal(races(f), 1);
	const ic_race_report *r = &f->ra.reports[0];
	assert_int_equal(r->lock, 1);
	assert_int_equal(r->now.slot, 1);
	assert_true(r->before.flags & IC_RACE_SKIPPED);
	assert_false(r->now.flags & IC_RACE_SKIPPED);
}

/* The holder first, the skipper after it (ordered through the lock): reported too. */
static void test_holder_then_skipped_lock_is_reported(void **state)
{
	fixture *f = *state;
	ic_vclock lock = {0};
	f->p[1].held = L0;
	ic_race_access(&f->p[1], 0, 0, 8, W, 0x200);
	ic_race_release(&f->p[1], lock, false);
	f->p[1].held = 0;
	ic_race_acquire_lock(&f->p[0], lock); /* p0's earlier real section */
	f->p[0].skipped = L0;
	ic_race_access(&f->p[0], 0, 0, 8, 0, 0x100);
	assert_int_equal(races(f), 1);
	assert_true(f->ra.reports[0].now.flags & IC_RACE_SKIPPED);
}

/* Another lock both hold still keeps them apart; reads alone, atomics alone, or one process never conflict. */
static void test_skipped_lock_with_protection_left_is_silent(void **state)
{
	fixture *f = *state;
	f->p[1].held = L0 | L1;
	ic_race_access(&f->p[1], 0, 0, 8, W, 0x200);
	ic_race_access(&f->p[1], 0, 8, 8, 0, 0x210);
	ic_race_access(&f->p[1], 0, 16, 8, W | A, 0x220);
	ic_race_access(&f->p[1], 0, 24, 8, W, 0x230);
	ic_vclock lock = {0};
	ic_race_release(&f->p[1], lock, false); /* ordered, so that only the discipline could speak */
	ic_race_acquire_lock(&f->p[0], lock);
	f->p[0].held = L1;
	f->p[0].skipped = L0;
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100); /* both hold lock 1 */
	f->p[0].held = 0;
	ic_race_access(&f->p[0], 0, 8, 8, 0, 0x110);  /* two reads */
	ic_race_access(&f->p[0], 0, 16, 8, A, 0x120); /* two atomics */
	f->p[1].skipped = L0;
	f->p[1].held = 0;
	ic_race_access(&f->p[1], 0, 24, 8, W, 0x240); /* its own access */
	assert_int_equal(races(f), 0);
}

/* What the sender does after the send is not ordered before the receive. */
static void test_queue_write_after_send_races(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = counted_queue(f, 0);
	q_send(f, 0, q, IDX, true);
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100); /* the slot written after it was handed on */
	assert_true(q_recv(f, 1, q, IDX));
	ic_race_access(&f->p[1], 0, 0, 8, 0, 0x200);
	assert_int_equal(races(f), 1);
}

/* A queue nobody emptied and counted (a role made it, setup did not track it) is never counted. */
static void test_queue_untrusted_is_never_counted(void **state)
{
	fixture *f = *state;
	ic_race_queue *q = ic_race_queue_of(&f->p[0], 0x200);
	q_send(f, 0, q, IDX, true);
	assert_false(q_recv(f, 1, q, IDX));
	q = counted_queue(f, 0);
	ic_race_queue_trust(q, false);
	q_send(f, 0, q, IDX, true);
	assert_false(q_recv(f, 1, q, IDX));
}

/* A skipped lock on data handed over by a message: the message orders them in every run. */
static void test_skipped_lock_ordered_by_message_is_silent(void **state)
{
	fixture *f = *state;
	f->p[1].held = L0;
	ic_race_access(&f->p[1], 0, 0, 8, W, 0x200);
	f->p[1].held = 0;
	ic_race_msg_send(&f->p[1], 0);
	ic_race_msg_recv(&f->p[0], 1, 0);
	f->p[0].skipped = L0;
	ic_race_access(&f->p[0], 0, 0, 8, W, 0x100);
	assert_int_equal(races(f), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_clock_starts_at_one_and_release_ticks),
		T(test_write_write_unordered_is_a_race),
		T(test_write_read_unordered_is_a_race),
		T(test_read_read_is_no_race),
		T(test_same_process_never_races),
		T(test_neighbours_in_one_word_do_not_conflict),
		T(test_unaligned_access_spans_two_words),
		T(test_shared_reads_then_write),
		T(test_shared_reads_then_ordered_write),
		T(test_lock_edge_orders),
		T(test_message_edge_orders),
		T(test_unreceived_message_orders_nothing),
		T(test_queue_twice_sent_index_orders_each_taker_with_its_own_send),
		T(test_queue_receive_takes_its_send),
		T(test_queue_failed_send_is_undone),
		T(test_queue_concurrent_receives_take_both),
		T(test_queue_unpushed_message_falls_back),
		T(test_queue_cut_message_turns_queue_off),
		T(test_queue_overflow_falls_back),
		T(test_skipped_lock_then_holder_is_reported),
		T(test_holder_then_skipped_lock_is_reported),
		T(test_skipped_lock_with_protection_left_is_silent),
		T(test_queue_write_after_send_races),
		T(test_queue_untrusted_is_never_counted),
		T(test_skipped_lock_ordered_by_message_is_silent),
		T(test_both_atomic_never_race),
		T(test_atomic_write_plain_read_race),
		T(test_release_acquire_orders),
		T(test_seq_cst_orders),
		T(test_relaxed_store_orders_nothing),
		T(test_relaxed_load_orders_nothing),
		T(test_fences_order_relaxed_atomics),
		T(test_rmw_continues_release_sequence),
		T(test_same_code_pair_folds),
		T(test_checker_reports_both_sides),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
