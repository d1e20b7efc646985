/*
 * args.c: what every command's argument parser shares (run, merge, bench,
 * audit): an option's value, and a results path checked before anything runs.
 */
#include "core/args.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ic_arg_opt(const char *name, int argc, char **argv, int *i, bool *missing)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int ic_arg_check_writable(const char *opt, const char *path, char *err, size_t errsize)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errsize, "%s %s: is a directory (name a file to write)", opt, path);
			return -1;
		}
		if (access(path, W_OK) == 0)
			return 0;
	} else {
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", path);
		if (errno == ENOENT && access(dirname(copy), W_OK | X_OK) == 0)
			return 0;
	}
	snprintf(err, errsize, "%s %s: cannot write there (%s)", opt, path, strerror(errno));
	return -1;
}
