/*
 * escape.c: outside text made inert for terminals and logs (escape.h says
 * what is escaped and why). Escaping happens where a line is printed, not
 * where a message is composed: the few sinks cover every path that quotes
 * argv, a spec, a file name or a JSON string.
 */
#include "core/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The UTF-8 sequence at s: its length (1 to 4) and code point, or 0 when it is not valid UTF-8
 * (overlong forms, surrogates and code points above U+10FFFF are not). */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2 : s[0] >= 0xe0 && s[0] <= 0xef ? 3
		 : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
	if (n == 0 || n > avail)
		return 0;
	uint32_t c = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Code points that move the cursor, start a control sequence, break a line or reorder text. */
static bool inert(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return false;
	if (c == 0x2028 || c == 0x2029)
		return false;
	return !(c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
		 (c >= 0x2066 && c <= 0x2069));
}

/*
 * The escaped form of the character at s (never more than 16 bytes, a 4-byte
 * sequence as \xNN each): into out, its length returned; *used: bytes of s taken.
 */
static size_t escape_one(const unsigned char *s, size_t avail, char out[17], size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t c = 0;
	size_t n = utf8_decode(s, avail, &c);
	const char *named = NULL;
	if (n == 1)
		named = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == 0x1b ? "\\e" : NULL;
	*used = n ? n : 1;
	if (named) {
		strcpy(out, named);
		return 2;
	}
	if (n && inert(c)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return n;
	}
	size_t len = 0;
	for (size_t i = 0; i < *used; i++) {
		out[len++] = '\\';
		out[len++] = 'x';
		out[len++] = hex[s[i] >> 4];
		out[len++] = hex[s[i] & 0xf];
	}
	out[len] = '\0';
	return len;
}

const char *ic_esc(const char *s, char *buf, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), len = 0;
	if (!size)
		return buf;
	while (left) {
		char one[17];
		size_t used, n = escape_one(p, left, one, &used);
		if (len + n >= size)
			break;
		memcpy(buf + len, one, n);
		len += n;
		p += used;
		left -= used;
	}
	buf[len] = '\0';
	return buf;
}

void ic_esc_write(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	while (len) {
		char one[17];
		size_t used, n = escape_one(p, len, one, &used);
		fwrite(one, 1, n, f);
		p += used;
		len -= used;
	}
}

void ic_vline(FILE *f, const char *fmt, va_list ap)
{
	char small[1024], *text = small;
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small) && (text = malloc((size_t)n + 1)))
		vsnprintf(text, (size_t)n + 1, fmt, again);
	va_end(again);
	if (!text) /* out of memory: the line cut short, still escaped */
		text = small;
	if (n > 0)
		ic_esc_write(f, text, strlen(text));
	fputc('\n', f);
	if (text != small)
		free(text);
}

void ic_line(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ic_vline(f, fmt, ap);
	va_end(ap);
}

/* Whether any character of s would be escaped. */
static bool needs_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		char one[17];
		size_t used, n = escape_one(p + i, len - i, one, &used);
		if (n != used || memcmp(one, p + i, n) != 0)
			return true;
		i += used;
	}
	return false;
}

void ic_shell_word(FILE *f, const char *s)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%";
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	if (*s && strspn(s, plain) == len) {
		fputs(s, f);
	} else if (!needs_escape(s)) {
		fputc('\'', f);
		for (const char *c = s; *c; c++)
			if (*c == '\'')
				fputs("'\\''", f);
			else
				fputc(*c, f);
		fputc('\'', f);
	} else {
		fputs("$'", f);
		for (size_t i = 0; i < len;) {
			char one[17];
			size_t used, n = escape_one(p + i, len - i, one, &used);
			if (p[i] == '\'' || p[i] == '\\') /* inside $'...' these two are escapes too */
				fprintf(f, "\\%c", p[i]);
			else
				fwrite(one, 1, n, f);
			i += used;
		}
		fputc('\'', f);
	}
}

const char *ic_shell_quote(const char *s, char *buf, size_t size)
{
	FILE *f = size ? fmemopen(buf, size, "w") : NULL;
	if (!f) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	ic_shell_word(f, s);
	fclose(f); /* fmemopen ends the text with '\0', cut to fit */
	return buf;
}

void ic_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		uint32_t cp;
		size_t n = utf8_decode(p, strnlen((const char *)p, 4), &cp);
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (n == 0)
			fputs("\\ufffd", f);
		else
			fwrite(p, 1, n, f);
		p += n ? n : 1;
	}
	fputc('"', f);
}
