/*
 * json_read.h: a small, strict JSON reader (RFC 8259), enough to read our own
 * results files back: a whole document into a tree, or the first error with
 * its byte offset. No extensions: no comments, no trailing commas, no NaN.
 */
#ifndef IC_JSON_READ_H
#define IC_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>

/* Deeper nesting is refused: the reader recurses once per level. */
#define IC_JSON_MAX_DEPTH 64

enum ic_jtype { IC_JNULL, IC_JFALSE, IC_JTRUE, IC_JNUMBER, IC_JSTRING, IC_JARRAY, IC_JOBJECT };

typedef struct ic_jval {
	enum ic_jtype type;
	size_t offset;          /* of its first byte in the text, for error messages */
	char *str;              /* a string's UTF-8 value, or a number's text as written (exact) */
	double num;             /* a number's value */
	size_t n;               /* an array's items, an object's members */
	struct ic_jval *items;  /* the n items, or the n members' values */
	char **keys;            /* an object's n keys, in document order, no duplicates */
} ic_jval;

typedef struct ic_jerr {
	size_t offset; /* of the byte where the text stopped being JSON */
	char what[160];
} ic_jerr;

/* 0 and *root (free it with ic_jfree), or -1 and *err (root holds nothing). */
int ic_jparse(const char *text, size_t len, ic_jval *root, ic_jerr *err);
void ic_jfree(ic_jval *v);

/* The member `key` of an object; NULL when v is no object or has no such member. */
const ic_jval *ic_jget(const ic_jval *v, const char *key);
/* Its string value, NULL when missing or not a string. */
const char *ic_jget_str(const ic_jval *v, const char *key);
/* Same value: equal types, numbers by their value, objects regardless of member order. */
bool ic_jequal(const ic_jval *a, const ic_jval *b);

/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 when it is not one. */
size_t ic_utf8_len(const unsigned char *s, size_t avail);

/* A results file is never this big: a bigger input (or /dev/zero) is refused, not read. */
#define IC_JSON_MAX_FILE ((size_t)256 << 20)
#define IC_JSON_MAX_FILE_TEXT "256 MiB"
/*
 * The whole file, at most IC_JSON_MAX_FILE bytes: a regular file by its size,
 * anything else (a pipe, a device) by what it gives. 0 and *text (malloc'd,
 * not terminated), or -1 with err.
 */
int ic_jread_file(const char *path, char **text, size_t *len, char *err, size_t errsize);

#endif
