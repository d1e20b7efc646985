/*
 * arena.c: the run's private shared region. Created O_EXCL and 0600 under an
 * unguessable name, space reserved up front so a full /dev/shm is an error
 * here rather than a SIGBUS in a role, and flock'ed for the run's lifetime so a
 * sweeper can tell a dead run's leftovers from a live run's without trusting pids.
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

ic_event *ic_slot_events(ic_arena *arena, const ic_slot *slot)
{
	return (ic_event *)((char *)arena + slot->events_off);
}

static size_t arena_layout(unsigned nslots, uint64_t cap, uint64_t decisions, size_t *events_start,
			   size_t *log_start)
{
	size_t head = sizeof(ic_arena) + (size_t)nslots * sizeof(ic_slot);
	head = (head + alignof(ic_event) - 1) & ~(alignof(ic_event) - 1);
	*events_start = head;
	*log_start = head + (size_t)nslots * cap * sizeof(ic_event);
	return *log_start + (size_t)decisions * sizeof(ic_decision);
}

int ic_arena_create(ic_arena_handle *h, const char *runid, unsigned nslots, uint64_t cap,
		    char *err, size_t errsize)
{
	return ic_arena_create_logged(h, runid, nslots, cap, 0, err, errsize);
}

int ic_arena_create_logged(ic_arena_handle *h, const char *runid, unsigned nslots, uint64_t cap,
			   uint64_t decisions, char *err, size_t errsize)
{
	size_t events_start, log_start;
	size_t size = arena_layout(nslots, cap, decisions, &events_start, &log_start);
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
	a->nslots = nslots;
	for (unsigned i = 0; i < nslots; i++) {
		a->slots[i].cap = cap;
		a->slots[i].events_off = events_start + (size_t)i * cap * sizeof(ic_event);
	}
	a->sched.log_off = log_start;
	a->sched.log_cap = decisions;
	return 0;

fail_unlink:
	shm_unlink(h->name);
	close(h->fd);
	h->fd = -1;
	h->name[0] = '\0'; /* a destroy of this handle must not touch the name again */
	return -1;
}

int ic_arena_attach(ic_arena_handle *h, const char *name, char *err, size_t errsize)
{
	struct stat st;
	memset(h, 0, sizeof(*h));
	h->fd = -1; /* the flock stays the supervisor's: nothing of ours to hold */
	int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errsize, "cannot open run arena %s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((size_t)st.st_size < sizeof(ic_arena)) {
		snprintf(err, errsize, "%s is not an ipchaos run arena", name);
		close(fd);
		return -1;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int saved = errno;
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errsize, "cannot map run arena %s: %s", name, strerror(saved));
		return -1;
	}
	ic_arena *a = p;
	if (a->magic != IC_ARENA_MAGIC || a->size != (uint64_t)st.st_size) {
		munmap(p, (size_t)st.st_size);
		snprintf(err, errsize, "%s is not an ipchaos run arena", name);
		return -1;
	}
	h->arena = a;
	h->size = (size_t)st.st_size;
	return 0;
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
