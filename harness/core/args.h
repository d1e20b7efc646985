/*
 * args.h: what every command's argument parser shares.
 */
#ifndef IC_ARGS_H
#define IC_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* "--opt=value" or "--opt value" at argv[*i]; NULL when it is not this option (*missing: no value). */
const char *ic_arg_opt(const char *name, int argc, char **argv, int *i, bool *missing);

#endif
