/*
 * arena.c: the run's private shared region. Created O_EXCL and 0600 under an
 * unguessable name, space reserved up front so a full /dev/shm is an error
 * here rather than a SIGBUS in a role, and flock'ed for the run's lifetime so a
 * sweeper can tell a dead run's leftovers from a live run's without trusting pids.
 * It holds the run's secret, from which object names and SysV keys are derived:
 * only the run's user can read it (0600), so only the run can make its objects.
 */
#include "internal.h"
#include "core/arena.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

void ic_runid_new(char out[17])
{
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		/* No entropy source: still unique enough per process and moment. */
		uint64_t sm = ic_now_ns() ^ ((uint64_t)getpid() << 32);
		r = ic_splitmix64(&sm);
	}
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++)
		out[i] = hex[(r >> (60 - 4 * i)) & 0xf];
	out[16] = '\0';
}

/*
 * Unpredictable bytes, or -1: a secret drawn from the clock would let another
 * user derive the run's names, so there is no weak fallback here.
 */
static int random_bytes(uint8_t *out, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = getrandom(out + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == len)
		return 0;
	/* A kernel before getrandom(2): the same pool through its device. */
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	got = 0;
	while (fd >= 0 && got < len) {
		ssize_t n = read(fd, out + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	return got == len ? 0 : -1;
}

ic_event *ic_slot_events(ic_arena *arena, const ic_slot *slot)
{
	return (ic_event *)((char *)arena + slot->events_off);
}

static size_t arena_layout(unsigned nslots, uint64_t cap, uint64_t decisions, uint64_t listed,
			   size_t *events_start, size_t *log_start, size_t *list_start)
{
	size_t head = sizeof(ic_arena) + (size_t)nslots * sizeof(ic_slot);
	head = (head + alignof(ic_event) - 1) & ~(alignof(ic_event) - 1);
	*events_start = head;
	*log_start = head + (size_t)nslots * cap * sizeof(ic_event);
	*list_start = *log_start + (size_t)decisions * sizeof(ic_decision);
	return *list_start + (size_t)listed * sizeof(ic_listed);
}

int ic_arena_create(ic_arena_handle *h, const char *runid, unsigned nslots, uint64_t cap,
		    char *err, size_t errsize)
{
	return ic_arena_create_logged(h, runid, nslots, cap, 0, 0, err, errsize);
}

int ic_arena_create_logged(ic_arena_handle *h, const char *runid, unsigned nslots, uint64_t cap,
			   uint64_t decisions, uint64_t listed, char *err, size_t errsize)
{
	size_t events_start, log_start, list_start;
	size_t size = arena_layout(nslots, cap, decisions, listed, &events_start, &log_start, &list_start);
	int rc;

	memset(h, 0, sizeof(*h));
	h->fd = -1;
	snprintf(h->name, sizeof(h->name), "/ipchaos.%s.arena", runid);
	h->fd = shm_open(h->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (h->fd < 0) {
		snprintf(err, errsize, "cannot create run arena %s: %s%s", h->name, strerror(errno),
			 errno == EEXIST ? " (refusing to use an object someone else created)" : "");
		h->name[0] = '\0'; /* not ours: a destroy of this handle must leave it alone */
		return -1;
	}
	/* Blocking: a sweeper judging this new arena holds the lock for a moment. */
	if (flock(h->fd, LOCK_EX) != 0) {
		snprintf(err, errsize, "cannot lock run arena %s: %s", h->name, strerror(errno));
		goto fail_unlink;
	}
	rc = posix_fallocate(h->fd, 0, (off_t)size);
	if (rc != 0) {
		snprintf(err, errsize, "cannot reserve %zu bytes for run arena %s in /dev/shm: %s",
			 size, h->name, strerror(rc));
		goto fail_unlink;
	}
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errsize, "cannot map run arena %s: %s", h->name, strerror(errno));
		goto fail_unlink;
	}
	h->arena = p;
	h->size = size;
	ic_arena *a = h->arena;
	a->magic = IC_ARENA_MAGIC;
	a->size = size;
	snprintf(a->runid, sizeof(a->runid), "%s", runid);
	if (random_bytes(a->secret, sizeof(a->secret)) != 0) {
		snprintf(err, errsize, "cannot draw the run's secret from the kernel: %s", strerror(errno));
		munmap(p, size);
		h->arena = NULL;
		goto fail_unlink;
	}
	a->nslots = nslots;
	for (unsigned i = 0; i < nslots; i++) {
		a->slots[i].cap = cap;
		a->slots[i].events_off = events_start + (size_t)i * cap * sizeof(ic_event);
	}
	a->sched.log_off = log_start;
	a->sched.log_cap = decisions;
	a->sched.list_off = list_start;
	return 0;

fail_unlink:
	shm_unlink(h->name);
	close(h->fd);
	h->fd = -1;
	h->name[0] = '\0'; /* a destroy of this handle must not touch the name again */
	return -1;
}

bool ic_runid_of_name(const char *name, char id[17])
{
	if (name[0] == '/')
		name++;
	if (strncmp(name, "ipchaos.", 8) != 0)
		return false;
	name += 8;
	if (strspn(name, "0123456789abcdef") < 16 || name[16] != '.')
		return false;
	memcpy(id, name, 16);
	id[16] = '\0';
	return true;
}

int ic_arena_file_check(const struct stat *st, char *why, size_t whysize)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whysize, "not a regular file");
		return IC_ARENA_FILE_NOT_ARENA;
	}
	if (st->st_uid != geteuid()) {
		snprintf(why, whysize, "uid %u", (unsigned)st->st_uid);
		return IC_ARENA_FILE_NOT_YOURS;
	}
	if (st->st_mode & 077) {
		snprintf(why, whysize, "mode %04o, an arena is 0600", (unsigned)(st->st_mode & 07777));
		return IC_ARENA_FILE_NOT_ARENA;
	}
	if (st->st_nlink != 1) {
		snprintf(why, whysize, "%lu links, an arena has 1", (unsigned long)st->st_nlink);
		return IC_ARENA_FILE_NOT_ARENA;
	}
	return IC_ARENA_FILE_OK;
}

bool ic_arena_size_ok(uint64_t size)
{
	return size >= sizeof(ic_arena) && size <= IC_ARENA_MAX_SIZE;
}

bool ic_arena_header_ok(const ic_arena *a, uint64_t file_size, const char *runid, char *why,
			size_t whysize)
{
	bool ok = false;
	if (a->magic != IC_ARENA_MAGIC)
		snprintf(why, whysize, "no ipchaos header");
	else if (a->size != file_size)
		snprintf(why, whysize, "its header says %llu bytes, the file has %llu",
			 (unsigned long long)a->size, (unsigned long long)file_size);
	else if (strnlen(a->runid, sizeof(a->runid)) != strlen(runid) || strcmp(a->runid, runid) != 0)
		snprintf(why, whysize, "its header names another run");
	else
		ok = true;
	return ok;
}

int ic_arena_attach(ic_arena_handle *h, const char *name, char *err, size_t errsize)
{
	struct stat st;
	char runid[17], why[96] = "";
	void *p = MAP_FAILED;
	int fd = -1, rc = -1;
	memset(h, 0, sizeof(*h));
	h->fd = -1; /* the flock stays the supervisor's: nothing of ours to hold */
	if (!ic_runid_of_name(name, runid)) {
		snprintf(err, errsize, "%s is not the name of an ipchaos run arena", name);
		goto out;
	}
	/* O_NOFOLLOW: a link planted under the name is not the run's arena. */
	fd = shm_open(name, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errsize, "cannot open run arena %s: %s", name, strerror(errno));
		goto out;
	}
	if (ic_arena_file_check(&st, why, sizeof(why)) != IC_ARENA_FILE_OK || !ic_arena_size_ok((uint64_t)st.st_size)) {
		snprintf(err, errsize, "%s is not this user's ipchaos run arena (%s)", name,
			 why[0] ? why : "size out of range");
		goto out;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errsize, "cannot map run arena %s: %s", name, strerror(errno));
		goto out;
	}
	if (!ic_arena_header_ok(p, (uint64_t)st.st_size, runid, why, sizeof(why))) {
		snprintf(err, errsize, "%s is not an ipchaos run arena (%s)", name, why);
		munmap(p, (size_t)st.st_size);
		goto out;
	}
	h->arena = p;
	h->size = (size_t)st.st_size;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

void ic_arena_destroy(ic_arena_handle *h, bool keep)
{
	if (h->arena)
		munmap(h->arena, h->size);
	h->arena = NULL;
	/* Unlink before the flock goes with the fd: no moment where it looks dead but exists. */
	if (!keep && h->name[0])
		shm_unlink(h->name);
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
}
