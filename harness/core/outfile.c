/*
 * outfile.c: results files checked by opening them. stat() and access() only
 * guess: access() says yes to root for a file on /proc, and neither sees that
 * --json and --junit name one file. Opening each output at argument time
 * answers for real, and keeping the descriptor means the file written is the
 * file that was checked.
 */
#include "core/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif
#ifndef FUSECTL_MAGIC
#define FUSECTL_MAGIC 0x65735543
#endif

/* Kernel interfaces that look like files: writing results there is a mistake at best. */
static const char *pseudo_fs(int fd)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} kinds[] = {
		{PROC_SUPER_MAGIC, "procfs (/proc)"}, {SYSFS_MAGIC, "sysfs (/sys)"},
		{CGROUP_SUPER_MAGIC, "cgroupfs"},     {CGROUP2_SUPER_MAGIC, "cgroup2fs"},
		{DEBUGFS_MAGIC, "debugfs"},           {TRACEFS_MAGIC, "tracefs"},
		{SECURITYFS_MAGIC, "securityfs"},     {SELINUX_MAGIC, "selinuxfs"},
		{SMACK_MAGIC, "smackfs"},             {BPF_FS_MAGIC, "bpffs"},
		{PSTOREFS_MAGIC, "pstore"},           {EFIVARFS_MAGIC, "efivarfs"},
		{CONFIGFS_MAGIC, "configfs"},         {BINFMTFS_MAGIC, "binfmt_misc"},
		{FUSECTL_MAGIC, "fusectl"},           {NSFS_MAGIC, "nsfs"},
	};
	struct statfs sf;
	if (fstatfs(fd, &sf) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((unsigned long)sf.f_type == kinds[i].magic)
			return kinds[i].name;
	return NULL;
}

/* A character device that takes text harmlessly by its number: /dev/null, /dev/zero, /dev/full, a
 * terminal (virtual consoles and serial lines, /dev/tty, pseudo-terminals). */
static bool harmless_chr(dev_t dev)
{
	unsigned maj = major(dev), min = minor(dev);
	return (maj == 1 && (min == 3 || min == 5 || min == 7)) || maj == 4 || (maj == 5 && min == 0) ||
	       (maj >= 136 && maj <= 143);
}

/* What is wrong with a file of this type (fd: open on it, or -1 before opening), or NULL. */
static const char *unfit(int fd, const struct stat *st, char *why, size_t size)
{
	const char *fs = fd >= 0 ? pseudo_fs(fd) : NULL;
	if (fs) {
		snprintf(why, size, "on %s, a kernel interface, not a place for results", fs);
		return why;
	}
	if (S_ISREG(st->st_mode) || S_ISFIFO(st->st_mode) || S_ISDIR(st->st_mode))
		return NULL; /* a directory: open says EISDIR */
	if (S_ISCHR(st->st_mode) && harmless_chr(st->st_rdev) && (fd < 0 || major(st->st_rdev) == 1 || isatty(fd)))
		return NULL;
	snprintf(why, size, "%s: name a regular file, a pipe or a terminal",
		 S_ISBLK(st->st_mode) ? "a block device" : S_ISCHR(st->st_mode) ? "a device" : "not a regular file");
	return why;
}

/* A dangling symbolic link: open(O_CREAT) would create whatever it points to, or fail on a missing directory. */
static bool dangling(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) != 0 && errno == ENOENT;
}

/* Opens one file: 0, or -1 with err. Never truncates: nothing is lost until it is written. */
static int open_one(ic_outfile *f, char *err, size_t errsize)
{
	const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY;
	struct stat st;
	char why[160];
	f->created = false;
	/* Not even opened: opening some devices acts (a watchdog arms, a tape rewinds, ptmx makes a terminal). */
	if (stat(f->path, &st) == 0 && unfit(-1, &st, why, sizeof(why))) {
		snprintf(err, errsize, "%s %s: %s", f->opt, f->path, why);
		return -1;
	}
	/* O_EXCL first, to know whether this check made the file (it does not follow a final symlink). */
	f->fd = open(f->path, flags | O_EXCL, 0666);
	if (f->fd >= 0) {
		f->created = true;
	} else if (errno == EEXIST) {
		if (dangling(f->path)) {
			snprintf(err, errsize, "%s %s: a symbolic link to nothing (name the file to write itself)", f->opt,
				 f->path);
			return -1;
		}
		/* O_CREAT again, so the kernel's protected_regular/protected_symlinks checks apply as to any writer. */
		f->fd = open(f->path, flags, 0666);
	}
	if (f->fd < 0) {
		if (errno == EISDIR)
			snprintf(err, errsize, "%s %s: is a directory (name a file to write)", f->opt, f->path);
		else
			snprintf(err, errsize, "%s %s: cannot write there (%s)", f->opt, f->path, strerror(errno));
		return -1;
	}
	if (fstat(f->fd, &st) != 0)
		snprintf(why, sizeof(why), "%s", strerror(errno));
	else if (!unfit(f->fd, &st, why, sizeof(why)))
		return 0;
	snprintf(err, errsize, "%s %s: %s", f->opt, f->path, why); /* the caller closes (and removes) it */
	return -1;
}

/* Closes f, and removes it if it was created here and the name still leads to it. */
static void undo_one(ic_outfile *f)
{
	struct stat ours, now;
	if (!f->path || f->fd < 0)
		return;
	if (f->created && fstat(f->fd, &ours) == 0 && lstat(f->path, &now) == 0 && ours.st_dev == now.st_dev &&
	    ours.st_ino == now.st_ino)
		unlink(f->path);
	close(f->fd);
	f->fd = -1;
	f->created = false;
}

/* Two names for one file: only regular files and pipes count (/dev/null twice is fine). */
static bool same_file(const ic_outfile *a, const ic_outfile *b)
{
	struct stat sa, sb;
	if (fstat(a->fd, &sa) != 0 || fstat(b->fd, &sb) != 0 || S_ISCHR(sa.st_mode))
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static bool is_chr(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

/* Before anything is created: an empty name, or one name given twice (a device such as /dev/null aside). */
static int check_names(const ic_outfile *files, unsigned n, char *err, size_t errsize)
{
	for (unsigned i = 0; i < n; i++) {
		if (!files[i].path)
			continue;
		if (!files[i].path[0]) {
			snprintf(err, errsize, "%s '': an empty file name (name a file to write)", files[i].opt);
			return -1;
		}
		for (unsigned j = 0; j < i; j++)
			if (files[j].path && strcmp(files[i].path, files[j].path) == 0 && !is_chr(files[i].path)) {
				snprintf(err, errsize, "%s %s: also named by %s (each results file needs a name of its own)",
					 files[i].opt, files[i].path, files[j].opt);
				return -1;
			}
	}
	return 0;
}

int ic_outfiles_open(ic_outfile *files, unsigned n, char *err, size_t errsize)
{
	int rc = -1;
	for (unsigned i = 0; i < n; i++)
		files[i].fd = -1;
	if (check_names(files, n, err, errsize) != 0)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (!files[i].path)
			continue;
		if (open_one(&files[i], err, errsize) != 0)
			goto undo;
		for (unsigned j = 0; j < i; j++)
			if (files[j].fd >= 0 && same_file(&files[i], &files[j])) {
				snprintf(err, errsize, "%s %s: the same file as %s %s (each results file needs a file of its own)",
					 files[i].opt, files[i].path, files[j].opt, files[j].path);
				goto undo;
			}
	}
	rc = 0;
undo:
	if (rc != 0)
		ic_outfiles_abandon(files, n);
	return rc;
}

FILE *ic_outfile_stream(ic_outfile *f)
{
	struct stat st;
	FILE *stream;
	if (!f->path || f->fd < 0) {
		errno = EBADF;
		return NULL;
	}
	/* Emptied only now: until the results are written, an existing file keeps what it had. */
	if (fstat(f->fd, &st) != 0 || (S_ISREG(st.st_mode) && ftruncate(f->fd, 0) != 0))
		return NULL;
	if (!(stream = fdopen(f->fd, "w")))
		return NULL;
	f->fd = -1;
	f->created = false;
	return stream;
}

void ic_outfiles_abandon(ic_outfile *files, unsigned n)
{
	int saved = errno;
	for (unsigned i = 0; i < n; i++)
		undo_one(&files[i]);
	errno = saved;
}
