/*
 * args.c: what every command's argument parser shares (run, merge, bench,
 * audit): an option's value. Results paths are core/outfile.c's.
 */
#include "core/args.h"

#include <string.h>

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
