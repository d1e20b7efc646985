/*
 * sweep.c: objects left by dead ipchaos runs. A run is alive while its
 * supervisor holds the flock on its arena, whatever pid numbers are reused;
 * a run kept with --keep says so in its arena. Objects of a run whose arena
 * is gone are orphans once older than a minute (younger ones may belong to a
 * run being set up, or to someone squatting a name: not ours to remove).
 *
 * Anyone can write a file under /dev/shm with an arena's name, and root runs
 * this. So an arena is believed only when it is the sweeping user's own
 * 0600 regular file with one link, read with pread into a private copy (a
 * file truncated under a mapping would SIGBUS us), whose header agrees with
 * its size and name; an object it lists is taken only when named for its
 * run; and every object, listed or found by name, is removed only after a
 * look at the object itself says it is the sweeping user's (ipcsnap.c).
 */
#include "internal.h"
#include "core/arena.h"
#include "core/ipcsnap.h"
#include "core/sweep.h"
#include "core/escape.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ORPHAN_AGE 60 /* seconds */

enum { SLOT_LIVE = 2 }; /* ic_tracked.state of an object that was not removed by its owner */

static bool older_than(time_t mtime, time_t seconds)
{
	return time(NULL) - mtime > seconds;
}

/* ---- The arena reader ---- */

/*
 * Whether the file may be opened and read as one of the user's arenas (an
 * empty one is an arena whose set-up died); otherwise r->state says why not.
 */
static bool file_may_be_arena(const struct stat *st, ic_sweep_arena *r)
{
	r->owner = st->st_uid;
	int verdict = ic_arena_file_check(st, r->why, sizeof(r->why));
	if (verdict == IC_ARENA_FILE_OK && st->st_size != 0 && !ic_arena_size_ok((uint64_t)st->st_size)) {
		snprintf(r->why, sizeof(r->why), "%lld bytes, no whole header", (long long)st->st_size);
		verdict = IC_ARENA_FILE_NOT_ARENA;
	}
	if (verdict != IC_ARENA_FILE_OK)
		r->state = verdict == IC_ARENA_FILE_NOT_YOURS ? IC_SWEEP_NOT_YOURS : IC_SWEEP_NOT_ARENA;
	return verdict == IC_ARENA_FILE_OK;
}

/*
 * Nothing written yet: ic_arena_create died between O_EXCL and its header
 * (an empty file, or space reserved and still zero). Dead once old.
 */
static int judge_unfinished(const struct stat *st, ic_sweep_arena *r)
{
	return r->state = older_than(st->st_mtime, ORPHAN_AGE) ? IC_SWEEP_DEAD : IC_SWEEP_YOUNG;
}

/* The header and tracked table into a private copy, judged against the file. */
static int judge_header(int fd, const struct stat *st, const char *runid, ic_sweep_arena *r)
{
	ic_arena *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		return r->state = IC_SWEEP_NOT_ARENA;
	}
	ssize_t got = pread(fd, a, sizeof(*a), 0);
	if (got != (ssize_t)sizeof(*a)) {
		/* Shorter than fstat said a moment ago: changing under us. */
		snprintf(r->why, sizeof(r->why), "could not read a whole header");
		r->state = IC_SWEEP_NOT_ARENA;
	} else if (a->magic == 0 && a->size == 0) {
		judge_unfinished(st, r);
	} else if (!ic_arena_header_ok(a, (uint64_t)st->st_size, runid, r->why, sizeof(r->why))) {
		r->state = IC_SWEEP_NOT_ARENA;
	} else {
		r->state = atomic_load(&a->kept) ? IC_SWEEP_KEPT : IC_SWEEP_DEAD;
		r->copy = a;
		a = NULL;
	}
	free(a);
	return r->state;
}

int ic_sweep_read_arena(int dirfd, const char *runid, ic_sweep_arena *r)
{
	char name[64];
	struct stat st;
	int fd = -1;
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	snprintf(name, sizeof(name), "ipchaos.%.16s.arena", runid);
	/* Judged by name first: another user's file is never opened, a FIFO never waited on. */
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		r->state = IC_SWEEP_GONE;
		goto out;
	}
	if (!file_may_be_arena(&st, r))
		goto out;
	/* Then the file we hold, which no rename can change any more. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		r->state = errno == ENOENT ? IC_SWEEP_GONE : IC_SWEEP_NOT_ARENA;
		snprintf(r->why, sizeof(r->why), "cannot open it: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r->state = IC_SWEEP_NOT_ARENA;
		snprintf(r->why, sizeof(r->why), "cannot fstat it: %s", strerror(errno));
		goto out;
	}
	if (!file_may_be_arena(&st, r))
		goto out;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		r->state = errno == EWOULDBLOCK ? IC_SWEEP_LIVE : IC_SWEEP_NOT_ARENA;
		snprintf(r->why, sizeof(r->why), "cannot lock it: %s", strerror(errno));
		goto out;
	}
	if (st.st_size == 0)
		judge_unfinished(&st, r);
	else
		judge_header(fd, &st, runid, r);
	if (r->state == IC_SWEEP_DEAD || r->state == IC_SWEEP_KEPT) {
		r->fd = fd; /* locked: the run stays dead while we remove it */
		fd = -1;
	}
out:
	if (fd >= 0)
		close(fd);
	return r->state;
}

void ic_sweep_arena_close(ic_sweep_arena *r)
{
	free(r->copy);
	r->copy = NULL;
	if (r->fd >= 0)
		close(r->fd); /* releases the lock taken to judge it */
	r->fd = -1;
}

/* The one place that knows which keys a run derives: one of them, or not. */
static int compare_keys(const void *a, const void *b)
{
	key_t x = *(const key_t *)a, y = *(const key_t *)b;
	return (x > y) - (x < y);
}

/* The keys come from the run's secret, in its arena: without the arena, none are known. */
static bool run_keys(const char *runid, const ic_arena *copy, key_t keys[IC_SYSV_KEYS])
{
	if (!copy)
		return false;
	for (unsigned n = 0; n < IC_SYSV_KEYS; n++)
		keys[n] = ic_sysv_key_of(runid, copy->secret, n);
	qsort(keys, IC_SYSV_KEYS, sizeof(keys[0]), compare_keys);
	return true;
}

static bool is_run_key(const key_t keys[IC_SYSV_KEYS], long key)
{
	key_t k = (key_t)key;
	return (long)k == key && bsearch(&k, keys, IC_SYSV_KEYS, sizeof(keys[0]), compare_keys) != NULL;
}

bool ic_sweep_tracked_is_runs(const ic_arena *a, const ic_tracked *t)
{
	char runid[17], name[sizeof(t->name)], prefix[32];
	key_t keys[IC_SYSV_KEYS];
	snprintf(runid, sizeof(runid), "%.16s", a->runid);
	if (t->kind == IC_OBJ_SYSV_MSG)
		return run_keys(runid, a, keys) && is_run_key(keys, t->key);
	if (t->kind != IC_OBJ_SHM && t->kind != IC_OBJ_MQ)
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1, t->name);
	size_t len = (size_t)snprintf(prefix, sizeof(prefix), "/ipchaos.%s.", runid);
	/* One more component after the prefix: "/ipchaos.<id>./../x" is no name of the run. */
	return strlen(runid) == 16 && strncmp(name, prefix, len) == 0 && name[len] &&
	       !strchr(name + len, '/') && strcmp(name + len, ".") != 0 && strcmp(name + len, "..") != 0;
}

/* ---- What carries a run id: names in /dev/shm and of mqueues ---- */

typedef struct seen {
	char id[17];
	int kind;       /* IC_IPC_SHM, IC_IPC_SEM or IC_IPC_MQ */
	bool arena;     /* "ipchaos.<id>.arena" */
	uid_t owner;
	time_t mtime;
	char name[256]; /* a file name in /dev/shm, or a queue's "/name" */
} seen;

typedef struct seen_list {
	seen *v;
	size_t n, cap;
} seen_list;

static seen *seen_add(seen_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		seen *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	seen *s = &l->v[l->n++];
	memset(s, 0, sizeof(*s));
	return s;
}

/* "ipchaos.<id>.x" or "sem.ipchaos.<id>.x": the run id, else false. */
static bool run_id_of(const char *name, char id[17])
{
	if (strncmp(name, "sem.", 4) == 0)
		name += 4;
	return name[0] != '/' && ic_runid_of_name(name, id);
}

/* Every name of a run in /dev/shm (of run `only` when not NULL), with its owner and age. */
static void collect_shm(int dirfd, const char *only, seen_list *l)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		char id[17];
		struct stat st;
		if (!run_id_of(e->d_name, id) || (only && strcmp(id, only) != 0) ||
		    fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		seen *s = seen_add(l);
		if (!s)
			break;
		memcpy(s->id, id, sizeof(id));
		s->kind = strncmp(e->d_name, "sem.", 4) == 0 ? IC_IPC_SEM : IC_IPC_SHM;
		s->arena = s->kind == IC_IPC_SHM && strcmp(e->d_name + 8 + 16, ".arena") == 0;
		s->owner = st.st_uid;
		s->mtime = st.st_mtime;
		snprintf(s->name, sizeof(s->name), "%s", e->d_name);
	}
	closedir(d);
}

/* Queues of runs, listed privately where no mqueue filesystem is mounted (root). */
static void collect_mqueues(const char *only, seen_list *l)
{
	ic_ipc_snap q = {0};
	ic_mqueue_list(&q);
	for (unsigned i = 0; i < q.n; i++) {
		char id[17];
		const ic_ipc_obj *o = &q.objs[i];
		if (!run_id_of(o->name + 1, id) || (only && strcmp(id, only) != 0))
			continue;
		seen *s = seen_add(l);
		if (!s)
			break;
		memcpy(s->id, id, sizeof(id));
		s->kind = IC_IPC_MQ;
		s->owner = o->owner;
		s->mtime = o->mtime;
		snprintf(s->name, sizeof(s->name), "%s", o->name);
	}
	ic_ipc_snap_free(&q);
}

/* By run id, a run's arena first, then by kind and name (a listing in a stable order). */
static int compare_seen(const void *a, const void *b)
{
	const seen *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	if (!c)
		c = (int)y->arena - (int)x->arena;
	if (!c)
		c = x->kind - y->kind;
	return c ? c : strcmp(x->name, y->name);
}

/* ---- One run ---- */

typedef struct sweep_ctx {
	int dirfd; /* /dev/shm */
	uid_t me;
	bool clean;
	FILE *out;
	ic_sweep_tally *tally;
	ic_ipc_snap sysv; /* SysV message queues, listed at the first dead run */
	bool sysv_listed;
} sweep_ctx;

typedef struct object {
	int kind;         /* IC_IPC_SHM, IC_IPC_SEM, IC_IPC_MQ, IC_IPC_SYSV_MSG */
	char name[256];   /* a file name in /dev/shm, or a queue's "/name" */
	long key;         /* SysV */
	bool not_the_run; /* listed by the arena, but not named for its run: its word is not taken */
	int result;       /* ic_owned */
	uid_t owner;
	int err;
} object;

typedef struct object_list {
	object *v;
	size_t n, cap;
} object_list;

/*
 * Names found in a directory are distinct; what the arena lists (64 at most)
 * and SysV keys (256 at most) are looked up before being added.
 */
static object *object_add(object_list *l, int kind, const char *name, long key, bool maybe_there)
{
	for (size_t i = 0; maybe_there && i < l->n; i++)
		if (l->v[i].kind == kind && strcmp(l->v[i].name, name) == 0 && l->v[i].key == key)
			return NULL; /* already there: found by name and listed by the arena */
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		object *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	object *o = &l->v[l->n++];
	memset(o, 0, sizeof(*o));
	o->kind = kind;
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->key = key;
	return o;
}

/* What the run's arena lists and its owner did not remove; shm names as file names. */
static void add_tracked(object_list *l, const ic_arena *a)
{
	unsigned n = atomic_load(&a->ntracked);
	for (unsigned i = 0; i < n && i < IC_MAX_TRACKED; i++) {
		const ic_tracked *t = &a->tracked[i];
		char name[sizeof(t->name)];
		if (atomic_load(&t->state) != SLOT_LIVE)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1, t->name);
		bool ours = ic_sweep_tracked_is_runs(a, t);
		int kind = t->kind == IC_OBJ_MQ ? IC_IPC_MQ : t->kind == IC_OBJ_SYSV_MSG ? IC_IPC_SYSV_MSG : IC_IPC_SHM;
		const char *as = kind == IC_IPC_SHM && ours ? name + 1 : kind == IC_IPC_SYSV_MSG ? "" : name;
		object *o = object_add(l, kind, as, kind == IC_IPC_SYSV_MSG ? (long)t->key : 0, true);
		if (o)
			o->not_the_run = !ours;
	}
}

/* SysV message queues whose key is one of the run's (known from its arena's secret). */
static void add_sysv(sweep_ctx *c, object_list *l, const char *runid, const ic_arena *copy)
{
	key_t keys[IC_SYSV_KEYS];
	if (!run_keys(runid, copy, keys))
		return;
	if (!c->sysv_listed)
		ic_sysv_msg_list(&c->sysv);
	c->sysv_listed = true;
	for (unsigned i = 0; i < c->sysv.n; i++)
		if (is_run_key(keys, c->sysv.objs[i].key))
			object_add(l, IC_IPC_SYSV_MSG, "", c->sysv.objs[i].key, true);
}

static void act(const sweep_ctx *c, object *o)
{
	errno = 0;
	if (o->not_the_run)
		o->result = IC_OWNED_ODD;
	else if (o->kind == IC_IPC_SHM || o->kind == IC_IPC_SEM)
		o->result = ic_file_owned_at(c->dirfd, o->name, c->clean, &o->owner);
	else
		o->result = ic_ipc_owned(o->kind, o->name, o->key, c->clean, &o->owner);
	o->err = errno;
}

static void print_object(const sweep_ctx *c, const object *o)
{
	char what[300];
	if (o->kind == IC_IPC_SYSV_MSG)
		snprintf(what, sizeof(what), "SysV message queue key 0x%08lx", o->key);
	else if (o->kind == IC_IPC_MQ || o->not_the_run)
		snprintf(what, sizeof(what), "%s %.256s", o->kind == IC_IPC_MQ ? "POSIX message queue" : "name",
			 o->name);
	else
		snprintf(what, sizeof(what), "/dev/shm/%.256s", o->name);
	if (o->result == IC_OWNED)
		ic_line(c->out, "    %s", what);
	else if (o->result == IC_OWNED_FOREIGN && o->owner == (uid_t)-1)
		ic_line(c->out, "    %s: not yours (closed to you), left alone", what);
	else if (o->result == IC_OWNED_FOREIGN)
		ic_line(c->out, "    %s: not yours (uid %u), left alone", what, (unsigned)o->owner);
	else if (o->not_the_run)
		ic_line(c->out, "    %s: listed by the arena but not named for its run, left alone", what);
	else if (o->result == IC_OWNED_ODD)
		ic_line(c->out, "    %s: not an object ipchaos makes, left alone", what);
	else
		ic_line(c->out, "    %s: %s: %s", what, c->clean ? "not removed" : "cannot check its owner",
			strerror(o->err));
}

/*
 * A dead run of the user's: its names found here, what its arena (when one
 * was read) lists, its SysV queues; the arena last, so that a sweep cut short
 * leaves the list of the rest. The dry run and the clean one list the same.
 */
static void sweep_dead(sweep_ctx *c, const char *runid, const seen *g, size_t n, const ic_sweep_arena *ar)
{
	object_list l = {0};
	unsigned mine = 0, left = 0, failed = 0;
	char arena[64];
	for (size_t i = 0; i < n; i++)
		if (!g[i].arena)
			object_add(&l, g[i].kind, g[i].name, 0, false);
	if (ar->copy)
		add_tracked(&l, ar->copy);
	add_sysv(c, &l, runid, ar->copy);
	snprintf(arena, sizeof(arena), "ipchaos.%.16s.arena", runid);
	if (ar->fd >= 0)
		object_add(&l, IC_IPC_SHM, arena, 0, false);
	for (size_t i = 0; i < l.n; i++) {
		act(c, &l.v[i]);
		mine += l.v[i].result == IC_OWNED;
		left += l.v[i].result == IC_OWNED_FOREIGN || l.v[i].result == IC_OWNED_ODD;
		failed += l.v[i].result == IC_OWNED_ERROR;
	}
	c->tally->objects += mine;
	c->tally->left_alone += left;
	c->tally->failed += failed;
	if (c->out) {
		fprintf(c->out, "  run %s: dead%s, %u object%s%s", runid, ar->fd >= 0 ? "" : " (no arena)", mine,
			mine == 1 ? "" : "s", c->clean ? " removed" : "");
		if (left)
			fprintf(c->out, ", %u left alone", left);
		if (failed)
			fprintf(c->out, ", %u %s", failed, c->clean ? "not removed" : "not checked");
		fprintf(c->out, "\n");
		for (size_t i = 0; i < l.n; i++)
			if (l.v[i].result != IC_OWNED_GONE)
				print_object(c, &l.v[i]);
	}
	free(l.v);
}

/* A run with no arena: the user's if any of its names is; dead once all of those are old. */
static int judge_orphan(const sweep_ctx *c, const seen *g, size_t n, ic_sweep_arena *ar)
{
	bool any = false, old = true;
	for (size_t i = 0; i < n; i++) {
		if (g[i].owner != c->me)
			continue;
		any = true;
		old = old && older_than(g[i].mtime, ORPHAN_AGE);
	}
	ar->owner = g[0].owner;
	return ar->state = !any ? IC_SWEEP_NOT_YOURS : old ? IC_SWEEP_DEAD : IC_SWEEP_YOUNG;
}

static const char *const state_names[] = {"live", "kept (--keep)", "dead", "too young to judge"};

static void sweep_run(sweep_ctx *c, const seen *g, size_t n)
{
	ic_sweep_arena ar = {.fd = -1};
	int state = g[0].arena ? ic_sweep_read_arena(c->dirfd, g[0].id, &ar) : judge_orphan(c, g, n, &ar);
	const char *no_arena = g[0].arena ? "" : " (no arena)";
	if (state == IC_SWEEP_DEAD) {
		sweep_dead(c, g[0].id, g, n, &ar);
	} else if (state == IC_SWEEP_NOT_YOURS || state == IC_SWEEP_NOT_ARENA) {
		c->tally->left_alone += (unsigned)n;
		if (c->out && state == IC_SWEEP_NOT_YOURS)
			fprintf(c->out, "  run %s: not yours (uid %u)%s, left alone, %zu object%s\n", g[0].id,
				(unsigned)ar.owner, no_arena, n, n == 1 ? "" : "s");
		else if (c->out)
			ic_line(c->out, "  run %s: /dev/shm/%s is not an ipchaos arena (%s), left alone, %zu object%s",
				g[0].id, g[0].name, ar.why, n, n == 1 ? "" : "s");
	} else if (c->out && state != IC_SWEEP_GONE && (state != IC_SWEEP_YOUNG || !c->clean)) {
		/* Gone: its run just ended. Too young: not worth a line in a sweep that removes. */
		fprintf(c->out, "  run %s: %s%s, %zu object%s\n", g[0].id, state_names[state], no_arena, n,
			n == 1 ? "" : "s");
	}
	ic_sweep_arena_close(&ar);
}

static void sweep_ctx_init(sweep_ctx *c, bool clean, FILE *out, ic_sweep_tally *tally)
{
	memset(c, 0, sizeof(*c));
	memset(tally, 0, sizeof(*tally));
	c->me = geteuid();
	c->clean = clean;
	c->out = out;
	c->tally = tally;
	c->dirfd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void sweep_ctx_free(sweep_ctx *c)
{
	ic_ipc_snap_free(&c->sysv);
	if (c->dirfd >= 0)
		close(c->dirfd);
}

int ic_sweep_report(bool clean, FILE *out, ic_sweep_tally *tally)
{
	sweep_ctx c;
	seen_list l = {0};
	sweep_ctx_init(&c, clean, out, tally);
	if (c.dirfd < 0)
		goto out;
	collect_shm(c.dirfd, NULL, &l);
	collect_mqueues(NULL, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof(l.v[0]), compare_seen);
	for (size_t i = 0, j; i < l.n; i = j) {
		for (j = i + 1; j < l.n && strcmp(l.v[j].id, l.v[i].id) == 0; j++)
			;
		sweep_run(&c, &l.v[i], j - i);
	}
out:
	free(l.v);
	sweep_ctx_free(&c);
	return 0;
}

int ic_sweep_stale(bool clean, FILE *out, unsigned *removed)
{
	ic_sweep_tally t;
	int rc = ic_sweep_report(clean, out, &t);
	if (removed)
		*removed = t.objects;
	return rc;
}

/* Why run `runid` cannot be removed; NULL when it can. `ar` holds its arena, when read. */
static const char *refuse_removal(sweep_ctx *c, const seen_list *l, const char *runid, ic_sweep_arena *ar,
				  char *err, size_t errsize)
{
	if (l->n && l->v[0].arena) {
		int state = ic_sweep_read_arena(c->dirfd, runid, ar);
		if (state == IC_SWEEP_LIVE)
			snprintf(err, errsize, "run %s is live (its supervisor holds the arena's lock)", runid);
		else if (state == IC_SWEEP_YOUNG)
			snprintf(err, errsize, "run %s is being set up (its arena has no header yet)", runid);
		else if (state == IC_SWEEP_NOT_YOURS)
			snprintf(err, errsize, "run %s is not yours (its arena is uid %u's)", runid, (unsigned)ar->owner);
		else if (state == IC_SWEEP_NOT_ARENA)
			snprintf(err, errsize, "run %s: /dev/shm/%s is not an ipchaos arena (%s)", runid, l->v[0].name,
				 ar->why);
		else
			return NULL; /* dead, kept, or gone meanwhile */
		return err;
	}
	bool mine = false;
	for (size_t i = 0; i < l->n && !mine; i++)
		mine = l->v[i].owner == c->me;
	if (l->n && !mine)
		snprintf(err, errsize, "run %s is not yours (its objects are uid %u's)", runid, (unsigned)l->v[0].owner);
	return l->n && !mine ? err : NULL;
}

int ic_sweep_remove_run(const char *runid, FILE *out, ic_sweep_tally *tally, char *err, size_t errsize)
{
	sweep_ctx c;
	seen_list l = {0};
	object_list sysv = {0};
	ic_sweep_arena ar = {.fd = -1};
	int rc = -1;
	sweep_ctx_init(&c, true, out, tally);
	if (c.dirfd < 0) {
		snprintf(err, errsize, "cannot open /dev/shm: %s", strerror(errno));
		goto out;
	}
	collect_shm(c.dirfd, runid, &l);
	collect_mqueues(runid, &l);
	if (l.n)
		qsort(l.v, l.n, sizeof(l.v[0]), compare_seen);
	if (refuse_removal(&c, &l, runid, &ar, err, errsize))
		goto out;
	add_sysv(&c, &sysv, runid, ar.copy);
	if (l.n == 0 && sysv.n == 0) {
		snprintf(err, errsize, "no object of run %s here (in /dev/shm, mqueues or SysV keys)", runid);
		goto out;
	}
	sweep_dead(&c, runid, l.v, l.n, &ar);
	rc = 0;
out:
	ic_sweep_arena_close(&ar);
	free(sysv.v);
	free(l.v);
	sweep_ctx_free(&c);
	return rc;
}
