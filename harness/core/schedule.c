/*
 * schedule.c: listed schedules, from a decision log, to a file and back.
 *
 * The file is text, a line an entry, so a person can read a shrunk failure's
 * choices and a diff shows what changed between two:
 *
 *   ipchaos-schedule 1
 *   procs 2
 *   k 24
 *   inject 0 kill
 *   start 1
 *   switch 1 2 0
 *   fault 0 3 0 counter/loaded
 *
 * "switch S N T": at the N-th decision of process S (0-based), T gets the
 * baton. "fault S N I POINT": after S made N decisions, at POINT, injector I
 * fires. "start T": T runs first. '#' starts a comment. "k": the steps the
 * original run was expected to take, by which a livelock is measured.
 */
#include "core/schedule.h"
#include "core/escape.h"
#include "core/spec.h"
#include "role/sched.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const call_names[] = {"call/write",   "call/read",       "call/send",   "call/recv",
					  "call/mq_send", "call/mq_receive", "call/msgsnd", "call/msgrcv",
					  NULL};

static bool name_is(const char *name, uint32_t id, char *buf, size_t size)
{
	if (ic_sched_point_id(name) != id)
		return false;
	snprintf(buf, size, "%s", name);
	return true;
}

void ic_point_name(const ic_scenario *sc, uint32_t id, char *buf, size_t size)
{
	char lock[IC_NAME + 8];
	for (unsigned i = 0; sc->points && sc->points[i]; i++)
		if (name_is(sc->points[i], id, buf, size))
			return;
	for (unsigned i = 0; sc->lock_sites && sc->lock_sites[i]; i++) {
		if (name_is(sc->lock_sites[i], id, buf, size)) /* where nolock acts */
			return;
		for (unsigned u = 0; u < 2; u++) {
			snprintf(lock, sizeof(lock), "%s:%s", u ? "unlock" : "lock", sc->lock_sites[i]);
			if (name_is(lock, id, buf, size))
				return;
		}
	}
	for (unsigned i = 0; call_names[i]; i++)
		if (name_is(call_names[i], id, buf, size))
			return;
	if (name_is("start", id, buf, size))
		return;
	snprintf(buf, size, "@%08" PRIx32, id);
}

void ic_slot_label(const ic_run_cfg *cfg, unsigned slot, char *buf, size_t size)
{
	unsigned role = 0;
	while (role + 1 < cfg->nroles && slot >= cfg->counts[role])
		slot -= cfg->counts[role++];
	snprintf(buf, size, "%s%u", cfg->sc->roles[role].name, slot);
}

/* ---- The list ---- */

int ic_listed_cmp(const ic_listed *a, const ic_listed *b)
{
	if (a->slot != b->slot)
		return a->slot < b->slot ? -1 : 1;
	if (a->nth != b->nth)
		return a->nth < b->nth ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->arg != b->arg)
		return a->arg < b->arg ? -1 : 1;
	return a->point < b->point ? -1 : a->point > b->point;
}

static int listed_order(const void *a, const void *b)
{
	return ic_listed_cmp(a, b);
}

void ic_schedule_sort(ic_sched_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), listed_order);
}

void ic_schedule_free(ic_sched_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int ic_schedule_copy(const ic_sched_list *from, ic_sched_list *to)
{
	*to = *from;
	to->v = NULL;
	if (from->n && !(to->v = malloc(from->n * sizeof(*to->v))))
		return -1;
	if (from->n)
		memcpy(to->v, from->v, from->n * sizeof(*to->v));
	return 0;
}

static void header_of(const ic_run_cfg *cfg, uint64_t k, ic_sched_list *l)
{
	l->nprocs = cfg->nprocs;
	l->k = k;
	l->ninj = cfg->ninj;
	for (unsigned i = 0; i < cfg->ninj; i++)
		snprintf(l->inj[i], sizeof(l->inj[i]), "%s", cfg->inj[i].inj->name);
}

int ic_schedule_from_log(const ic_decisions *log, const ic_run_cfg *cfg, ic_sched_list *out)
{
	uint64_t nth[IC_MAX_PROCS] = {0};
	memset(out, 0, sizeof(*out));
	header_of(cfg, cfg->steps, out);
	if (log->n && !(out->v = malloc(log->n * sizeof(*out->v))))
		return -1;
	for (uint64_t i = 0; i < log->n; i++) {
		const ic_decision *d = &log->v[i];
		if (d->slot >= IC_MAX_PROCS)
			continue;
		ic_listed e = {.nth = nth[d->slot], .slot = d->slot, .arg = d->next};
		if (d->kind == IC_D_START) {
			e = (ic_listed){.slot = IC_LISTED_START, .kind = IC_L_SWITCH, .arg = d->next};
		} else if (d->kind == IC_D_FAULT) {
			e.kind = IC_L_FAULT;
			e.point = d->point;
		} else {
			nth[d->slot]++;
			if (d->next == d->slot || d->next == 0xff)
				continue; /* it went on, or nobody could: the plain choice */
			e.kind = IC_L_SWITCH;
		}
		out->v[out->n++] = e;
	}
	ic_schedule_sort(out);
	return 0;
}

void ic_schedule_apply(const ic_sched_list *l, ic_run_cfg *cfg, const char *path)
{
	cfg->mode = IC_MODE_CONTROLLED;
	cfg->strategy = IC_STRATEGY_LIST;
	if (!cfg->depth)
		cfg->depth = IC_DEFAULT_DEPTH;
	cfg->list = l->v;
	cfg->nlist = l->n;
	cfg->steps = l->k;
	cfg->schedule = path;
}

int ic_schedule_check(const ic_sched_list *l, const ic_run_cfg *cfg, char *err, size_t errsize)
{
	if (l->nprocs != cfg->nprocs) {
		snprintf(err, errsize, "--schedule: it was made for %u processes and this run has %u (--procs)",
			 l->nprocs, cfg->nprocs);
		return -1;
	}
	if (l->ninj != cfg->ninj) {
		snprintf(err, errsize, "--schedule: it was made for %u injectors and this run has %u (--inject)",
			 l->ninj, cfg->ninj);
		return -1;
	}
	for (unsigned i = 0; i < l->ninj; i++)
		if (strcmp(l->inj[i], cfg->inj[i].inj->name) != 0) {
			snprintf(err, errsize, "--schedule: its injector %u is %s and this run's is %s", i, l->inj[i],
				 cfg->inj[i].inj->name);
			return -1;
		}
	return 0;
}

/* ---- Writing ---- */

static void write_entry(FILE *f, const ic_listed *e, const ic_run_cfg *cfg)
{
	char who[24], to[24], point[IC_NAME + 16];
	if (e->slot == IC_LISTED_START) {
		ic_slot_label(cfg, e->arg, to, sizeof(to));
		fprintf(f, "start %u\t# %s runs first\n", e->arg, to);
		return;
	}
	ic_slot_label(cfg, e->slot, who, sizeof(who));
	if (e->kind == IC_L_SWITCH) {
		ic_slot_label(cfg, e->arg, to, sizeof(to));
		fprintf(f, "switch %u %" PRIu64 " %u\t# at %s's decision %" PRIu64 ", %s gets the baton\n", e->slot,
			e->nth, e->arg, who, e->nth, to);
		return;
	}
	ic_point_name(cfg->sc, e->point, point, sizeof(point));
	fprintf(f, "fault %u %" PRIu64 " %u %s\t# %s at %s: %s\n", e->slot, e->nth, e->arg, point, who, point,
		e->arg < cfg->ninj ? cfg->inj[e->arg].inj->name : "?");
}

int ic_schedule_write(FILE *f, const ic_sched_list *l, const ic_run_cfg *cfg)
{
	char replay[1024];
	ic_spec_replay_line(cfg, replay, sizeof(replay));
	fprintf(f, "# ipchaos schedule: a controlled run's choices; the plainest choice everywhere else\n");
	fprintf(f, "# replay: %s\n", replay);
	fprintf(f, "ipchaos-schedule %d\nprocs %u\nk %" PRIu64 "\n", IC_SCHEDULE_VERSION, l->nprocs, l->k);
	for (unsigned i = 0; i < l->ninj; i++)
		fprintf(f, "inject %u %s\n", i, l->inj[i]);
	for (int start = 1; start >= 0; start--) /* the first choice first: it is read in that order */
		for (uint64_t i = 0; i < l->n; i++)
			if ((l->v[i].slot == IC_LISTED_START) == start)
				write_entry(f, &l->v[i], cfg);
	int failed = ferror(f);
	failed |= fclose(f) != 0;
	return failed ? -1 : 0;
}

/* ---- Reading ---- */

typedef struct reader {
	const char *path;
	unsigned line;
	char *err;
	size_t errsize;
} reader;

static int __attribute__((format(printf, 2, 3))) bad(reader *r, const char *fmt, ...)
{
	char what[256], shown[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(r->err, r->errsize, "--schedule %s: line %u: %s", ic_shown(r->path, shown, sizeof(shown)),
		 r->line, what);
	return -1;
}

/* The next whitespace-separated word of *s, or NULL. */
static char *word(char **s)
{
	char *w = *s + strspn(*s, " \t");
	if (!*w)
		return NULL;
	char *end = w + strcspn(w, " \t");
	if (*end)
		*end++ = '\0';
	*s = end;
	return w;
}

static int number(reader *r, char **s, const char *what, uint64_t max, uint64_t *out)
{
	char *w = word(s);
	if (!w)
		return bad(r, "%s missing", what);
	if (ic_parse_u64(what, w, 0, max, out, NULL, 0) != 0)
		return bad(r, "%s %.40s: expected a whole number from 0 to %" PRIu64, what, w, max);
	return 0;
}

static int entry(reader *r, char *s, const char *kw, ic_sched_list *l)
{
	uint64_t slot, nth = 0, arg, to;
	ic_listed e = {0};
	if (strcmp(kw, "start") == 0) {
		if (number(r, &s, "process", IC_MAX_PROCS - 1, &to) != 0)
			return -1;
		e = (ic_listed){.slot = IC_LISTED_START, .kind = IC_L_SWITCH, .arg = (uint8_t)to};
	} else if (strcmp(kw, "switch") == 0) {
		if (number(r, &s, "process", IC_MAX_PROCS - 1, &slot) != 0 ||
		    number(r, &s, "decision", UINT64_MAX, &nth) != 0 ||
		    number(r, &s, "process", IC_MAX_PROCS - 1, &to) != 0)
			return -1;
		e = (ic_listed){.nth = nth, .slot = (uint16_t)slot, .kind = IC_L_SWITCH, .arg = (uint8_t)to};
	} else {
		char *point;
		if (number(r, &s, "process", IC_MAX_PROCS - 1, &slot) != 0 ||
		    number(r, &s, "decision", UINT64_MAX, &nth) != 0 ||
		    number(r, &s, "injector", IC_MAX_INJ - 1, &arg) != 0)
			return -1;
		if (!(point = word(&s)))
			return bad(r, "point missing");
		uint32_t id = ic_sched_point_id(point);
		if (point[0] == '@' && strlen(point) == 9 && strspn(point + 1, "0123456789abcdef") == 8)
			id = (uint32_t)strtoul(point + 1, NULL, 16); /* a point the writer could not name */
		e = (ic_listed){.nth = nth, .point = id, .slot = (uint16_t)slot, .kind = IC_L_FAULT,
				.arg = (uint8_t)arg};
	}
	if (word(&s))
		return bad(r, "more words than a %s entry has", kw);
	if (e.slot != IC_LISTED_START && e.slot >= l->nprocs)
		return bad(r, "process %u: the schedule has %u (procs)", e.slot, l->nprocs);
	if (e.kind == IC_L_SWITCH && e.arg >= l->nprocs)
		return bad(r, "process %u: the schedule has %u (procs)", e.arg, l->nprocs);
	if (e.kind == IC_L_FAULT && e.arg >= l->ninj)
		return bad(r, "injector %u: the schedule names %u (inject)", e.arg, l->ninj);
	if (l->n == IC_MAX_LISTED)
		return bad(r, "more than %d entries", IC_MAX_LISTED);
	l->v[l->n++] = e;
	return 0;
}

static int header(reader *r, char *s, const char *kw, ic_sched_list *l)
{
	uint64_t v, i;
	if (l->n)
		return bad(r, "%s after the first entry: the header (procs, k, inject) comes first", kw);
	if (strcmp(kw, "procs") == 0) {
		if (number(r, &s, "procs", IC_MAX_PROCS, &v) != 0)
			return -1;
		l->nprocs = (unsigned)v;
	} else if (strcmp(kw, "k") == 0) {
		if (number(r, &s, "k", 1000000000, &l->k) != 0)
			return -1;
	} else {
		char *name;
		if (number(r, &s, "injector", IC_MAX_INJ - 1, &i) != 0)
			return -1;
		if (i != l->ninj)
			return bad(r, "inject %" PRIu64 ": expected injector %u next", i, l->ninj);
		if (!(name = word(&s)) || !ic_injector_find(name))
			return bad(r, "inject %" PRIu64 ": expected an injector's name", i);
		snprintf(l->inj[l->ninj++], sizeof(l->inj[0]), "%s", name);
	}
	return word(&s) ? bad(r, "more words than a %s line has", kw) : 0;
}

static int parse_line(reader *r, char *s, bool *versioned, ic_sched_list *l)
{
	s[strcspn(s, "#\n")] = '\0';
	char *kw = word(&s);
	if (!kw)
		return 0;
	if (!*versioned) {
		uint64_t v;
		if (strcmp(kw, "ipchaos-schedule") != 0)
			return bad(r, "expected \"ipchaos-schedule %d\" first: this is no schedule file",
				   IC_SCHEDULE_VERSION);
		if (number(r, &s, "version", 1000, &v) != 0)
			return -1;
		if (v != IC_SCHEDULE_VERSION)
			return bad(r, "version %" PRIu64 ": this ipchaos reads version %d", v, IC_SCHEDULE_VERSION);
		*versioned = true;
		return 0;
	}
	if (strcmp(kw, "procs") == 0 || strcmp(kw, "k") == 0 || strcmp(kw, "inject") == 0)
		return header(r, s, kw, l);
	if (strcmp(kw, "start") == 0 || strcmp(kw, "switch") == 0 || strcmp(kw, "fault") == 0) {
		if (!l->nprocs)
			return bad(r, "%s before procs", kw);
		return entry(r, s, kw, l);
	}
	return bad(r, "'%.40s': expected procs, k, inject, start, switch or fault", kw);
}

int ic_schedule_load(const char *path, ic_sched_list *out, char *err, size_t errsize)
{
	reader r = {.path = path, .err = err, .errsize = errsize};
	bool versioned = false;
	char line[512];
	int rc = -1;
	char shown[128];
	struct stat st;
	memset(out, 0, sizeof(*out));
	/* Non-blocking: a FIFO named here must not hang the command before it is refused. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	FILE *f = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? fdopen(fd, "r") : NULL;
	if (!f) {
		snprintf(err, errsize, "--schedule %s: %s", ic_shown(path, shown, sizeof(shown)),
			 fd >= 0 ? "not a regular file" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!(out->v = malloc(IC_MAX_LISTED * sizeof(*out->v)))) {
		snprintf(err, errsize, "--schedule: out of memory");
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		r.line++;
		if (!strchr(line, '\n') && !feof(f)) {
			bad(&r, "longer than %zu bytes", sizeof(line) - 2);
			goto out;
		}
		if (parse_line(&r, line, &versioned, out) != 0)
			goto out;
	}
	if (ferror(f))
		bad(&r, "%s", strerror(errno));
	else if (!versioned)
		bad(&r, "empty: expected \"ipchaos-schedule %d\"", IC_SCHEDULE_VERSION);
	else if (!out->nprocs)
		bad(&r, "no procs line");
	else
		rc = 0;
out:
	fclose(f);
	if (rc != 0)
		ic_schedule_free(out);
	else
		ic_schedule_sort(out);
	return rc;
}
