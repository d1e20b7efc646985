/*
 * test_story.c: the story and the trace of a run, from records built by hand:
 * events merged with the decision log in the order they happened, evidence
 * marks on their rows, the window a screen shows, and a trace that is JSON
 * with the fields Perfetto needs, every span closed and cut-short spans marked.
 * And the counter checker's marks: a planted lost update is marked, load and
 * store of each process; a correct log raises nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/story.h"
#include "campaign/json_read.h"
#include "role/sched.h"

extern const ic_checker ic_checker_counter;
extern const ic_checker ic_checker_messages;
extern const ic_checker ic_checker_dead_holder;

static const char *const points[] = {"counter/locked", "counter/loaded", "counter/stored", NULL};
static const ic_scenario counter_like = {.name = "counter_like", .points = points};

typedef struct fixture {
	ic_run_record rec;
	ic_run_result res;
	ic_event ev[2][8];
	ic_decision d[16];
} fixture;

static void event(fixture *x, unsigned p, uint32_t kind, uint32_t op, uint64_t a, uint64_t step, uint64_t decided)
{
	ic_record_proc *pr = &x->rec.procs[p];
	pr->ev[pr->nev] = (ic_event){.t_ns = 1000 + 10 * (step * 4 + pr->nev), .kind = kind, .op = op, .a = a,
				     .step = step, .decided = decided};
	pr->nev++;
}

static void decision(fixture *x, uint64_t step, const char *point, unsigned slot, int kind, unsigned next)
{
	x->d[x->rec.ndecisions++] = (ic_decision){.step = step, .point = ic_sched_point_id(point), .slot = (uint16_t)slot,
						  .kind = (uint8_t)kind, .next = (uint8_t)next};
}

/*
 * The lost update, controlled: p0 loads 0 and is preempted; p1 loads 0, stores 1; p0 stores 1.
 * Decision i is preceded by the events whose `decided` is i.
 */
static fixture *lost_update(void)
{
	fixture *x = calloc(1, sizeof(*x));
	ic_run_record *r = &x->rec;
	snprintf(r->spec, sizeof(r->spec), "shm_counter:lock=none");
	r->mode = IC_MODE_CONTROLLED;
	r->nprocs = 2;
	r->sc = &counter_like;
	r->decisions = x->d;
	for (unsigned p = 0; p < 2; p++) {
		snprintf(r->procs[p].label, sizeof(r->procs[p].label), "p%u", p);
		r->procs[p].pid = 100 + (pid_t)p;
		r->procs[p].ev = x->ev[p];
		r->procs[p].exited = true;
	}
	event(x, 0, IC_EV_INVOKE, IC_OP_INC, 1, 0, 0);  /* before any decision */
	decision(x, 1, "counter/locked", 0, IC_D_STEP, 0);
	event(x, 0, IC_EV_INFO, IC_OP_LOAD, 0, 1, 1);
	decision(x, 2, "counter/loaded", 0, IC_D_PREEMPT, 1);
	event(x, 1, IC_EV_INVOKE, IC_OP_INC, 1, 2, 2);
	decision(x, 3, "counter/locked", 1, IC_D_STEP, 1);
	event(x, 1, IC_EV_INFO, IC_OP_LOAD, 0, 3, 3);
	decision(x, 4, "counter/loaded", 1, IC_D_STEP, 1);
	event(x, 1, IC_EV_INFO, IC_OP_STORE, 1, 4, 4);
	decision(x, 5, "counter/stored", 1, IC_D_STEP, 1);
	event(x, 1, IC_EV_OK, IC_OP_INC, 1, 5, 5);
	decision(x, 5, "counter/stored", 1, IC_D_END, 0);
	event(x, 0, IC_EV_INFO, IC_OP_STORE, 1, 5, 6);
	decision(x, 6, "counter/stored", 0, IC_D_STEP, 0);
	event(x, 0, IC_EV_OK, IC_OP_INC, 1, 6, 7);
	decision(x, 6, "counter/stored", 0, IC_D_END, 0xff);
	x->res.status = IC_RUN_FAIL;
	x->res.nfindings = 1;
	ic_finding *f = &x->res.findings[0];
	f->checker = "counter";
	ic_finding_mark(f, 0, IC_MARK_EVENT, 1, "load A");
	ic_finding_mark(f, 1, IC_MARK_EVENT, 1, "load B");
	ic_finding_mark(f, 0, IC_MARK_END, 0, "p0 ends");
	return x;
}

static void test_rows_in_order(void **state)
{
	(void)state;
	fixture *x = lost_update();
	size_t n = 0;
	ic_story_row *v = ic_story_rows(&x->rec, &x->res, &n);
	assert_int_equal(n, 16); /* 8 events, 8 decisions */
	/* The first row is p0's invoke (no decision before it), then its step. */
	assert_int_equal(v[0].kind, IC_ROW_EVENT);
	assert_int_equal(v[0].proc, 0);
	assert_int_equal(v[1].kind, IC_ROW_DECISION);
	/* Steps never go back: the merge keeps the order things happened. */
	for (size_t i = 1; i < n; i++)
		assert_true(v[i].step >= v[i - 1].step);
	/* p1's ok (decided 5) comes before its end decision; p0's store (decided 6) after it. */
	size_t ok = n, end = n, store = n;
	for (size_t i = 0; i < n; i++) {
		if (v[i].kind == IC_ROW_EVENT && v[i].proc == 1 && v[i].e->kind == IC_EV_OK)
			ok = i;
		if (v[i].kind == IC_ROW_DECISION && v[i].proc == 1 && v[i].d->kind == IC_D_END)
			end = i;
		if (v[i].kind == IC_ROW_EVENT && v[i].proc == 0 && v[i].e->op == IC_OP_STORE)
			store = i;
	}
	assert_true(ok < end && end < store);
	free(v);
	free(x);
}

static void test_marks_on_rows(void **state)
{
	(void)state;
	fixture *x = lost_update();
	size_t n = 0;
	ic_story_row *v = ic_story_rows(&x->rec, &x->res, &n);
	unsigned marked = 0;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].mark)
			continue;
		marked++;
		if (strcmp(v[i].mark, "load A") == 0)
			assert_true(v[i].proc == 0 && v[i].kind == IC_ROW_EVENT && v[i].e->op == IC_OP_LOAD);
		else if (strcmp(v[i].mark, "load B") == 0)
			assert_true(v[i].proc == 1 && v[i].kind == IC_ROW_EVENT && v[i].e->op == IC_OP_LOAD);
		else
			assert_true(v[i].proc == 0 && v[i].kind == IC_ROW_DECISION && v[i].d->kind == IC_D_END);
	}
	assert_int_equal(marked, 3);
	free(v);
	free(x);
}

static void test_window(void **state)
{
	(void)state;
	enum { N = 100 };
	ic_story_row rows[N];
	bool show[N];
	memset(rows, 0, sizeof(rows));
	/* Short: everything. */
	assert_int_equal(ic_story_window(rows, IC_STORY_FIT, IC_STORY_SCREEN, show), IC_STORY_FIT);
	/* Long without evidence: the end. */
	assert_int_equal(ic_story_window(rows, N, IC_STORY_SCREEN, show), IC_STORY_FIT);
	assert_false(show[N - IC_STORY_FIT - 1]);
	assert_true(show[N - IC_STORY_FIT] && show[N - 1]);
	/* Long with two marks: the context around each, nothing else. */
	rows[50].mark = "here";
	rows[98].mark = "and here";
	size_t shown = ic_story_window(rows, N, IC_STORY_SCREEN, show);
	assert_int_equal(shown, (2 * IC_STORY_CONTEXT + 1) + (IC_STORY_CONTEXT + 2));
	assert_true(show[50 - IC_STORY_CONTEXT] && show[50 + IC_STORY_CONTEXT] && show[99]);
	assert_false(show[50 - IC_STORY_CONTEXT - 1] || show[50 + IC_STORY_CONTEXT + 1] || show[0]);
	/* Full: every row. */
	assert_int_equal(ic_story_window(rows, N, IC_STORY_FULL, show), N);
}

static char *print_story(const fixture *x, int mode)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ic_story_print(m, &x->rec, &x->res, mode);
	fclose(m);
	return buf;
}

static void test_table(void **state)
{
	(void)state;
	fixture *x = lost_update();
	char *text = print_story(x, IC_STORY_SCREEN);
	assert_contains(text, "story of shm_counter:lock=none seed 0x0: 16 rows");
	assert_contains(text, "preempted -> p1");
	assert_contains(text, "seen 0");
	assert_contains(text, "wrote 1");
	assert_contains(text, "<== load A");
	assert_contains(text, "<== load B");
	assert_contains(text, "counter/loaded");
	assert_true(strstr(text, "omitted") == NULL); /* 16 rows fit */
	free(text);
	/* Chaos: the same events by their clock, with the note about the clock. */
	x->rec.mode = IC_MODE_CHAOS;
	x->rec.ndecisions = 0;
	text = print_story(x, IC_STORY_SCREEN);
	assert_contains(text, "only as good as the clock");
	assert_contains(text, "<== load B");
	assert_contains(text, "exit 0");
	free(text);
	free(x);
}

/* ---- The trace ---- */

static char *write_trace(const fixture *x)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_int_equal(ic_trace_write(m, &x->rec, &x->res), 0);
	fclose(m);
	return buf;
}

/* Valid JSON; each event has ph, ts, pid, tid, name; each X a dur; returns the number of X with cut_short. */
static unsigned check_trace(const char *text, unsigned *evidence)
{
	ic_jval root;
	ic_jerr err;
	if (ic_jparse(text, strlen(text), &root, &err) != 0)
		fail_msg("not JSON at %zu: %s", err.offset, err.what);
	const ic_jval *events = ic_jget(&root, "traceEvents");
	assert_non_null(events);
	assert_int_equal(events->type, IC_JARRAY);
	unsigned cut = 0, names = 0;
	*evidence = 0;
	for (size_t i = 0; i < events->n; i++) {
		const ic_jval *e = &events->items[i];
		const char *ph = ic_jget_str(e, "ph");
		assert_non_null(ph);
		assert_non_null(ic_jget(e, "ts"));
		assert_non_null(ic_jget(e, "pid"));
		assert_non_null(ic_jget(e, "tid"));
		assert_non_null(ic_jget_str(e, "name"));
		assert_true(strcmp(ph, "X") == 0 || strcmp(ph, "i") == 0 || strcmp(ph, "M") == 0);
		if (strcmp(ph, "X") == 0) {
			const ic_jval *dur = ic_jget(e, "dur");
			assert_non_null(dur);
			assert_true(dur->num >= 0);
			const ic_jval *args = ic_jget(e, "args");
			cut += args && ic_jget(args, "cut_short");
		}
		names += strcmp(ph, "M") == 0 && strcmp(ic_jget_str(e, "name"), "process_name") == 0;
		*evidence += ic_jget_str(e, "cat") && strcmp(ic_jget_str(e, "cat"), "evidence") == 0;
	}
	assert_int_equal(names, 3); /* p0, p1, the supervisor */
	ic_jfree(&root);
	return cut;
}

static void test_trace_valid(void **state)
{
	(void)state;
	fixture *x = lost_update();
	char *text = write_trace(x);
	unsigned evidence;
	assert_int_equal(check_trace(text, &evidence), 0); /* both increments completed */
	assert_int_equal(evidence, 3);
	free(text);
	/* A name that is not UTF-8 (a scenario's) still makes valid JSON; quotes and controls escaped. */
	snprintf(x->rec.procs[1].label, sizeof(x->rec.procs[1].label), "p\xff\xe0\x80\"\n");
	text = write_trace(x);
	check_trace(text, &evidence);
	assert_contains(text, "p\\ufffd\\ufffd\\ufffd\\\"\\n");
	free(text);
	free(x);
}

/* p0 killed with its increment open: the span is closed at the death and says so. */
static void test_trace_cut_short(void **state)
{
	(void)state;
	fixture *x = lost_update();
	x->rec.procs[0].nev = 3; /* no ok */
	x->rec.procs[0].exited = false;
	x->rec.procs[0].injected = true;
	x->rec.procs[0].code = 9;
	x->d[x->rec.ndecisions - 2].kind = IC_D_DEATH;
	x->rec.ndecisions--;
	char *text = write_trace(x);
	unsigned evidence;
	assert_int_equal(check_trace(text, &evidence), 1);
	assert_contains(text, "killed (injected)");
	free(text);
	/* Chaos: the same, ended where the supervisor reaped it. */
	x->rec.mode = IC_MODE_CHAOS;
	x->rec.procs[0].end_ns = 5000;
	text = write_trace(x);
	assert_int_equal(check_trace(text, &evidence), 1);
	assert_contains(text, "\"mode\":\"chaos\"");
	free(text);
	free(x);
}

static void test_trace_path(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(ic_trace_path("t.json", false, 0, 42, out, sizeof(out)), 0);
	assert_string_equal(out, "t.json");
	assert_int_equal(ic_trace_path("t.json", true, 0, 42, out, sizeof(out)), 0);
	assert_string_equal(out, "t.0x2a.json");
	assert_int_equal(ic_trace_path("d.x/t", true, 2, 42, out, sizeof(out)), 0);
	assert_string_equal(out, "d.x/t.1.0x2a");
	assert_int_equal(ic_trace_path("dir/.trace", true, 0, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "dir/.trace.0x1");
	assert_int_equal(ic_trace_path("a-very-long-name.json", true, 0, 1, out, 8), -1);
}

/* ---- The counter checker's marks ---- */

static void counter_facts(ic_facts *f, ic_event ev[2][4], ic_event obs[2], uint64_t v0, uint64_t v1, uint64_t final)
{
	memset(f, 0, sizeof(*f));
	f->nprocs = 2;
	uint64_t loads[2] = {v0, v1};
	for (unsigned p = 0; p < 2; p++) {
		test_proc_facts(f, p, NULL, "p%u", p);
		ev[p][0] = (ic_event){.t_ns = 1 + p, .kind = IC_EV_INVOKE, .op = IC_OP_INC, .a = 1};
		ev[p][1] = (ic_event){.t_ns = 3 + p, .kind = IC_EV_INFO, .op = IC_OP_LOAD, .a = loads[p]};
		ev[p][2] = (ic_event){.t_ns = 5 + p, .kind = IC_EV_INFO, .op = IC_OP_STORE, .a = loads[p] + 1};
		ev[p][3] = (ic_event){.t_ns = 7 + p, .kind = IC_EV_OK, .op = IC_OP_INC, .a = 1};
		f->procs[p].ev = ev[p];
		f->procs[p].nev = 4;
	}
	obs[0] = (ic_event){.kind = IC_EV_INVOKE, .op = IC_OP_READ};
	obs[1] = (ic_event){.kind = IC_EV_OK, .op = IC_OP_READ, .a = final};
	f->observer = obs;
	f->nobserver = 2;
}

static void test_counter_marks(void **state)
{
	(void)state;
	ic_facts *f = calloc(1, sizeof(*f));
	ic_finding *out = calloc(1, sizeof(*out));
	ic_event ev[2][4], obs[2];
	counter_facts(f, ev, obs, 0, 0, 1); /* both load 0: one increment lost */
	assert_true(ic_checker_counter.check(f, out));
	assert_int_equal(out->nmarks, 4);
	assert_true(out->marks[0].proc == 0 && out->marks[0].at == 1);
	assert_true(out->marks[1].proc == 1 && out->marks[1].at == 1);
	assert_true(out->marks[2].proc == 0 && out->marks[2].at == 2); /* p0 stored first */
	assert_true(out->marks[3].proc == 1 && out->marks[3].at == 2);
	assert_contains(out->marks[3].why, "lost");
	/* Correct: one after the other, the count right: no finding, so no story. */
	memset(out, 0, sizeof(*out));
	counter_facts(f, ev, obs, 0, 1, 2);
	assert_false(ic_checker_counter.check(f, out));
	free(out);
	free(f);
}

/* messages: p0 sends #0 and #1; c0 receives #0, then #0 again (planted), or #1 (correct). */
static void test_messages_marks(void **state)
{
	(void)state;
	ic_facts *f = calloc(1, sizeof(*f));
	ic_finding *out = calloc(1, sizeof(*out));
	ic_event send[4], recv[4];
	for (int planted = 1; planted >= 0; planted--) {
		memset(f, 0, sizeof(*f));
		memset(out, 0, sizeof(*out));
		f->nprocs = 2;
		for (unsigned p = 0; p < 2; p++)
			test_proc_facts(f, p, NULL, "%s", p ? "c0" : "p0");
		for (uint64_t k = 0; k < 2; k++) {
			send[2 * k] = (ic_event){.kind = IC_EV_INVOKE, .op = IC_OP_SEND, .a = ic_msg_id(0, k)};
			send[2 * k + 1] = (ic_event){.kind = IC_EV_OK, .op = IC_OP_SEND, .a = ic_msg_id(0, k)};
			recv[2 * k] = (ic_event){.kind = IC_EV_INVOKE, .op = IC_OP_RECV};
			recv[2 * k + 1] = (ic_event){.kind = IC_EV_OK, .op = IC_OP_RECV,
						     .a = ic_msg_id(0, planted ? 0 : k), .b = 64u << 16};
		}
		f->procs[0].ev = send;
		f->procs[0].nev = 4;
		f->procs[1].ev = recv;
		f->procs[1].nev = 4;
		if (!planted) {
			assert_false(ic_checker_messages.check(f, out));
			continue;
		}
		assert_true(ic_checker_messages.check(f, out));
		/* #1 lost: its send; #0 duplicated: its send and both receives. */
		bool lost = false, dup_send = false;
		unsigned receives = 0;
		for (unsigned i = 0; i < out->nmarks; i++) {
			const ic_mark *m = &out->marks[i];
			assert_int_equal(m->kind, IC_MARK_EVENT);
			lost |= m->proc == 0 && m->at == 3 && strstr(m->why, "lost");
			dup_send |= m->proc == 0 && m->at == 1 && strstr(m->why, "duplicated");
			receives += m->proc == 1 && (m->at == 1 || m->at == 3) && strstr(m->why, "duplicated") != NULL;
		}
		assert_true(lost && dup_send);
		assert_int_equal(receives, 2);
	}
	free(out);
	free(f);
}

/* dead-holder: the lock the dead process took and its death are marked; an exit is no finding. */
static void test_dead_holder_marks(void **state)
{
	(void)state;
	ic_facts *f = calloc(1, sizeof(*f));
	ic_finding *out = calloc(1, sizeof(*out));
	f->nprocs = 1;
	snprintf(f->procs[0].label, sizeof(f->procs[0].label), "p0");
	f->nlocks = 1;
	snprintf(f->locks[0].site, sizeof(f->locks[0].site), "counter");
	f->locks[0].kind = IC_LOCK_MUTEX;
	f->procs[0].code = 9;
	f->procs[0].injected = true;
	f->procs[0].held[0] = 0;
	f->procs[0].held[1] = -1;
	assert_true(ic_checker_dead_holder.check(f, out));
	assert_int_equal(out->nmarks, 2);
	assert_true(out->marks[0].kind == IC_MARK_LOCK && out->marks[0].at == 0);
	assert_true(out->marks[1].kind == IC_MARK_END && out->marks[1].proc == 0);
	memset(out, 0, sizeof(*out));
	f->procs[0].exited = true; /* it returned: whatever it held, nobody died holding it */
	f->procs[0].code = 0;
	assert_false(ic_checker_dead_holder.check(f, out));
	free(out);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_in_order),
		cmocka_unit_test(test_marks_on_rows),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_trace_valid),
		cmocka_unit_test(test_trace_cut_short),
		cmocka_unit_test(test_trace_path),
		cmocka_unit_test(test_counter_marks),
		cmocka_unit_test(test_messages_marks),
		cmocka_unit_test(test_dead_holder_marks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
