/*
 * json_read.c: the strict JSON reader. One pass, recursive descent; every
 * parse function either fills its value whole or leaves it holding nothing,
 * so a failure anywhere frees cleanly.
 */
#include "campaign/json_read.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct jp {
	const unsigned char *s;
	size_t len, pos;
	unsigned depth;
	ic_jerr *err;
} jp;

static int jp_fail(jp *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int jp_fail(jp *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err->what, sizeof(p->err->what), fmt, ap);
	va_end(ap);
	p->err->offset = at;
	return -1;
}

/* "'x'" for a printable byte, "byte 0xNN" otherwise: an error must not print raw binary. */
static const char *byte_name(unsigned char c, char buf[16])
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

static void skip_ws(jp *p)
{
	while (p->pos < p->len &&
	       (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

size_t ic_utf8_len(const unsigned char *s, size_t avail)
{
	if (!avail)
		return 0;
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range: excludes overlong forms and surrogates */
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The 4 hex digits of a \u escape at p->pos (just after the 'u'). */
static int hex4(jp *p, uint32_t *cp)
{
	*cp = 0;
	for (unsigned i = 0; i < 4; i++, p->pos++) {
		char name[16];
		if (p->pos >= p->len)
			return jp_fail(p, p->pos, "unterminated \\u escape");
		unsigned char c = p->s[p->pos];
		int d = c >= '0' && c <= '9' ? c - '0'
		      : c >= 'a' && c <= 'f' ? c - 'a' + 10
		      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return jp_fail(p, p->pos, "bad \\u escape: %s is not a hex digit", byte_name(c, name));
		*cp = *cp << 4 | (uint32_t)d;
	}
	return 0;
}

/* A \u escape (p->pos at the 'u'), a surrogate pair taken whole. */
static int unicode_escape(jp *p, uint32_t *cp)
{
	size_t at = p->pos - 1;
	p->pos++;
	if (hex4(p, cp) != 0)
		return -1;
	if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return jp_fail(p, at, "bad \\u escape: a low surrogate without a high one");
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		uint32_t lo;
		if (p->pos + 1 >= p->len || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return jp_fail(p, at, "bad \\u escape: a high surrogate without a low one");
		p->pos += 2;
		if (hex4(p, &lo) != 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return jp_fail(p, at, "bad \\u escape: a high surrogate without a low one");
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (*cp == 0)
		return jp_fail(p, at, "\\u0000 (a NUL character) is not supported in strings");
	return 0;
}

/* One escape (p->pos at the backslash) appended to out. */
static int escape(jp *p, char *out, size_t *len)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char name[16];
	size_t at = p->pos++;
	if (p->pos >= p->len)
		return jp_fail(p, at, "unterminated string");
	unsigned char c = p->s[p->pos];
	const char *hit = c ? strchr(from, c) : NULL;
	if (hit) {
		out[(*len)++] = to[hit - from];
		p->pos++;
		return 0;
	}
	if (c != 'u')
		return jp_fail(p, at, "bad escape: a backslash then %s (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
			       byte_name(c, name));
	uint32_t cp;
	if (unicode_escape(p, &cp) != 0)
		return -1;
	*len += utf8_put(out + *len, cp);
	return 0;
}

/* A string at p->pos (its opening quote) into a new NUL-terminated buffer. */
static int parse_string(jp *p, char **out)
{
	size_t start = p->pos++, end = p->pos;
	/* The raw span bounds the decoded length: no escape decodes longer than it is written. */
	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return jp_fail(p, start, "unterminated string");
	char *buf = malloc(end - start);
	if (!buf)
		return jp_fail(p, start, "out of memory");
	size_t len = 0;
	while (p->s[p->pos] != '"') {
		unsigned char c = p->s[p->pos];
		char name[16];
		size_t n;
		if (c == '\\') {
			if (escape(p, buf, &len) != 0)
				goto fail;
		} else if (c < 0x20) {
			jp_fail(p, p->pos, "%s in a string must be escaped", byte_name(c, name));
			goto fail;
		} else if ((n = ic_utf8_len(p->s + p->pos, p->len - p->pos)) == 0) {
			jp_fail(p, p->pos, "invalid UTF-8 (%s)", byte_name(c, name));
			goto fail;
		} else {
			memcpy(buf + len, p->s + p->pos, n);
			len += n;
			p->pos += n;
		}
	}
	p->pos++;
	buf[len] = '\0';
	*out = buf;
	return 0;
fail:
	free(buf);
	return -1;
}

static size_t digits(jp *p)
{
	size_t n = 0;
	while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
		p->pos++, n++;
	return n;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? and nothing else. */
static int parse_number(jp *p, ic_jval *v)
{
	size_t start = p->pos;
	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '0') {
		p->pos++;
		if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			return jp_fail(p, start, "bad number: a leading zero");
	} else if (!digits(p))
		return jp_fail(p, start, "bad number: no digit after '-'");
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (!digits(p))
			return jp_fail(p, start, "bad number: no digit after '.'");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (!digits(p))
			return jp_fail(p, start, "bad number: no digit in the exponent");
	}
	size_t len = p->pos - start;
	v->str = malloc(len + 1);
	if (!v->str)
		return jp_fail(p, start, "out of memory");
	memcpy(v->str, p->s + start, len);
	v->str[len] = '\0';
	v->num = strtod(v->str, NULL); /* the grammar above is a subset of strtod's (C locale) */
	if (isinf(v->num)) {
		jp_fail(p, start, "number out of range: %.40s", v->str);
		free(v->str);
		v->str = NULL;
		return -1;
	}
	v->type = IC_JNUMBER;
	return 0;
}

static int parse_literal(jp *p, ic_jval *v)
{
	static const struct {
		const char *word;
		enum ic_jtype type;
	} words[] = {{"true", IC_JTRUE}, {"false", IC_JFALSE}, {"null", IC_JNULL}};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);
		if (p->len - p->pos >= n && memcmp(p->s + p->pos, words[i].word, n) == 0) {
			p->pos += n;
			v->type = words[i].type;
			return 0;
		}
	}
	return jp_fail(p, p->pos, "unexpected '%c' (expected true, false or null)", p->s[p->pos]);
}

static int parse_value(jp *p, ic_jval *v);

/* Room for one more item (and key) in a container of n. */
static int grow(jp *p, ic_jval *v, size_t *cap, bool keys)
{
	if (v->n < *cap)
		return 0;
	size_t ncap = *cap ? 2 * *cap : 8;
	ic_jval *items = realloc(v->items, ncap * sizeof(*items));
	if (!items)
		return jp_fail(p, p->pos, "out of memory");
	v->items = items;
	if (keys) {
		char **k = realloc(v->keys, ncap * sizeof(*k));
		if (!k)
			return jp_fail(p, p->pos, "out of memory");
		v->keys = k;
	}
	*cap = ncap;
	return 0;
}

static int object_member(jp *p, ic_jval *v, size_t *cap)
{
	char *key = NULL;
	ic_jval item = {0};
	char name[16];
	size_t at = p->pos;
	if (p->pos >= p->len)
		return jp_fail(p, p->pos, "unexpected end of input (expected a key)");
	if (p->s[p->pos] != '"')
		return jp_fail(p, p->pos, "unexpected %s (expected a key in quotes)", byte_name(p->s[p->pos], name));
	if (parse_string(p, &key) != 0)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0) {
			jp_fail(p, at, "duplicate key \"%.60s\"", key);
			goto fail;
		}
	skip_ws(p);
	if (p->pos >= p->len || p->s[p->pos] != ':') {
		if (p->pos >= p->len)
			jp_fail(p, p->pos, "unexpected end of input (expected ':')");
		else
			jp_fail(p, p->pos, "unexpected %s (expected ':')", byte_name(p->s[p->pos], name));
		goto fail;
	}
	p->pos++;
	if (parse_value(p, &item) != 0 || grow(p, v, cap, true) != 0)
		goto fail;
	v->keys[v->n] = key;
	v->items[v->n++] = item;
	return 0;
fail:
	free(key);
	ic_jfree(&item);
	return -1;
}

static int array_item(jp *p, ic_jval *v, size_t *cap)
{
	ic_jval item = {0};
	if (parse_value(p, &item) != 0 || grow(p, v, cap, false) != 0) {
		ic_jfree(&item);
		return -1;
	}
	v->items[v->n++] = item;
	return 0;
}

/* An array or object at p->pos (its bracket), members separated by commas. */
static int parse_container(jp *p, ic_jval *v, bool object)
{
	char close = object ? '}' : ']', name[16];
	size_t cap = 0;
	if (++p->depth > IC_JSON_MAX_DEPTH)
		return jp_fail(p, p->pos, "nested deeper than %d levels", IC_JSON_MAX_DEPTH);
	v->type = object ? IC_JOBJECT : IC_JARRAY;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		p->depth--;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if ((object ? object_member(p, v, &cap) : array_item(p, v, &cap)) != 0)
			goto fail;
		skip_ws(p);
		if (p->pos >= p->len) {
			jp_fail(p, p->pos, "unexpected end of input (expected ',' or '%c')", close);
			goto fail;
		}
		if (p->s[p->pos] == close)
			break;
		if (p->s[p->pos] != ',') {
			jp_fail(p, p->pos, "unexpected %s (expected ',' or '%c')", byte_name(p->s[p->pos], name), close);
			goto fail;
		}
		p->pos++;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == close) {
			jp_fail(p, p->pos, "a trailing comma before '%c'", close);
			goto fail;
		}
	}
	p->pos++;
	p->depth--;
	return 0;
fail:
	ic_jfree(v);
	return -1;
}

static int parse_value(jp *p, ic_jval *v)
{
	char name[16];
	skip_ws(p);
	memset(v, 0, sizeof(*v));
	v->offset = p->pos;
	if (p->pos >= p->len)
		return jp_fail(p, p->pos, "unexpected end of input (expected a value)");
	unsigned char c = p->s[p->pos];
	if (c == '{' || c == '[')
		return parse_container(p, v, c == '{');
	if (c == '"') {
		if (parse_string(p, &v->str) != 0)
			return -1;
		v->type = IC_JSTRING;
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(p, v);
	if (c == 't' || c == 'f' || c == 'n')
		return parse_literal(p, v);
	return jp_fail(p, p->pos, "unexpected %s (expected a value)", byte_name(c, name));
}

int ic_jparse(const char *text, size_t len, ic_jval *root, ic_jerr *err)
{
	jp p = {.s = (const unsigned char *)text, .len = len, .pos = 0, .depth = 0, .err = err};
	memset(root, 0, sizeof(*root));
	if (parse_value(&p, root) != 0)
		return -1;
	skip_ws(&p);
	if (p.pos < p.len) {
		ic_jfree(root);
		return jp_fail(&p, p.pos, "trailing data after the JSON value");
	}
	return 0;
}

void ic_jfree(ic_jval *v)
{
	for (size_t i = 0; i < v->n; i++) {
		ic_jfree(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

const ic_jval *ic_jget(const ic_jval *v, const char *key)
{
	if (!v || v->type != IC_JOBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

const char *ic_jget_str(const ic_jval *v, const char *key)
{
	const ic_jval *m = ic_jget(v, key);
	return m && m->type == IC_JSTRING ? m->str : NULL;
}

bool ic_jequal(const ic_jval *a, const ic_jval *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case IC_JNUMBER:
		return a->num == b->num;
	case IC_JSTRING:
		return strcmp(a->str, b->str) == 0;
	case IC_JARRAY:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++)
			if (!ic_jequal(&a->items[i], &b->items[i]))
				return false;
		return true;
	case IC_JOBJECT:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++) {
			const ic_jval *m = ic_jget(b, a->keys[i]);
			if (!m || !ic_jequal(&a->items[i], m))
				return false;
		}
		return true;
	default:
		return true;
	}
}

int ic_jread_file(const char *path, char **text, size_t *len, char *err, size_t errsize)
{
	FILE *f = fopen(path, "rbe");
	char *buf = NULL;
	size_t size = 0, used = 0;
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0)
		goto fail;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > IC_JSON_MAX_FILE)
		goto too_big;
	for (;;) {
		if (used == size) {
			/* Never more than one byte past the cap: enough to tell that the input is too big. */
			size_t nsize = !size ? 65536 : 2 * size > IC_JSON_MAX_FILE + 1 ? IC_JSON_MAX_FILE + 1 : 2 * size;
			char *nbuf = realloc(buf, nsize);
			if (!nbuf) {
				errno = ENOMEM;
				goto fail;
			}
			buf = nbuf;
			size = nsize;
		}
		size_t n = fread(buf + used, 1, size - used, f);
		used += n;
		if (n == 0)
			break;
		if (used > IC_JSON_MAX_FILE)
			goto too_big;
	}
	if (ferror(f))
		goto fail;
	fclose(f);
	*text = buf;
	*len = used;
	return 0;
too_big:
	snprintf(err, errsize, "larger than " IC_JSON_MAX_FILE_TEXT ": not a results file");
	goto out;
fail:
	snprintf(err, errsize, "cannot read: %s", strerror(errno));
out:
	if (f)
		fclose(f);
	free(buf);
	return -1;
}
