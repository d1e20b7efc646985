/*
 * outfile.h: the files a command writes its results to (run --json/--junit,
 * merge --json/--junit, bench --csv/--json/--svg), opened while its
 * arguments are checked, so that a path that cannot take the results is
 * bad usage (exit 2, one line) before anything runs, not a failure after.
 */
#ifndef IC_OUTFILE_H
#define IC_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct ic_outfile {
	const char *opt;  /* "--json": names it in messages */
	const char *path; /* as given; NULL: not asked for */
	int fd;           /* open for writing from ic_outfiles_open until ic_outfile_stream; else -1 */
	bool created;     /* ic_outfiles_open made it: removed again if it is never written */
} ic_outfile;

/* Not asked for yet: the option that would name it. */
#define IC_OUTFILE(option) ((ic_outfile){.opt = (option), .fd = -1})

/*
 * Opens (creating, not truncating) every file asked for in files[0..n), or
 * none: 0, or -1 with one line in err and nothing left created. Refused: an
 * empty name; a directory; a symbolic link to nothing; what is not a regular
 * file, a pipe, a terminal or /dev/null, /dev/zero or /dev/full; a file on a
 * kernel interface (/proc, /sys, cgroup, debugfs, ...), where root may open
 * anything; one file named twice (the same name, or the same inode).
 */
int ic_outfiles_open(ic_outfile *files, unsigned n, char *err, size_t errsize);
/* Its stream, the file emptied first: it is being written now, and kept. NULL (errno) when not open. */
FILE *ic_outfile_stream(ic_outfile *f);
/* Closes what was opened and never taken as a stream, and removes what ic_outfiles_open
 * created: a command that ends before writing its results leaves nothing behind. */
void ic_outfiles_abandon(ic_outfile *files, unsigned n);

#endif
