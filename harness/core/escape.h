/*
 * escape.h: text from outside (argv, specs, file names, JSON strings, IPC
 * object names) made inert before it reaches a terminal or a log, so that an
 * error stays one line and no escape sequence is ever sent.
 *
 * What is escaped, and how (the same notation as C and bash's $'...'):
 *   \n \t \r   for newline, tab and carriage return
 *   \e         for ESC (0x1b)
 *   \xNN       for every other byte below 0x20, DEL (0x7f), and each byte of:
 *              - a byte sequence that is not valid UTF-8 (a lone 0x9b is CSI
 *                to a terminal in 8-bit mode),
 *              - the C1 controls U+0080..U+009F (CSI again, as UTF-8),
 *              - U+2028 and U+2029 (line and paragraph separators: a new line
 *                to some viewers),
 *              - the bidirectional controls U+061C, U+200E, U+200F,
 *                U+202A..U+202E, U+2066..U+2069 (text that displays in
 *                another order than it reads).
 * Valid UTF-8 otherwise passes unchanged: a name in any script stays readable.
 * A backslash is not escaped: it neither breaks a line nor moves the cursor, and
 * messages escaped whole (ic_line) may quote one in their own text (the JSON
 * reader lists \" \\ \n as valid escapes). So a "\n" shown is either an escaped
 * newline or the two characters as typed: an ambiguity accepted, as both are inert.
 */
#ifndef IC_ESCAPE_H
#define IC_ESCAPE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* s escaped into buf, cut (at a character, never inside an escape) to fit size; returns buf. */
const char *ic_esc(const char *s, char *buf, size_t size);
/* The first len bytes of s, escaped, onto f. */
void ic_esc_write(FILE *f, const char *s, size_t len);
/*
 * One line onto f: fmt formatted, then escaped whole, then '\n'. For lines that
 * carry outside text: fmt itself holds no newline, so what is printed is one line
 * however the text it quotes was made. Every error line goes through here.
 */
void ic_line(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ic_vline(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* An argument as a POSIX shell reads it back: as is, in '...', or in $'...' when it holds bytes to escape. */
void ic_shell_word(FILE *f, const char *s);
/*
 * s as a JSON string (RFC 8259), quotes included: '"', '\\' and control bytes
 * escaped, and bytes that are not UTF-8 (a name typed in another encoding, a
 * kernel string) written as U+FFFD, so a results file stays valid JSON.
 */
void ic_json_str(FILE *f, const char *s);
/* The same into buf (cut to fit size); returns buf. */
const char *ic_shell_quote(const char *s, char *buf, size_t size);

#endif
