/*
 * test_escape.c: outside text printed inert. A newline or an escape sequence
 * in a spec, a file name or a JSON string must neither start a second line
 * nor reach the terminal; valid UTF-8 stays readable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "core/escape.h"

static void expect_esc(const char *in, const char *want)
{
	char buf[256];
	ic_esc(in, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("escaped '%s', expected '%s'", buf, want);
}

static void test_controls(void **state)
{
	(void)state;
	expect_esc("plain text, 0x2a: ok", "plain text, 0x2a: ok");
	expect_esc("a\nb", "a\\nb");
	expect_esc("a\tb\rc", "a\\tb\\rc");
	expect_esc("\x1b[31mred", "\\e[31mred");
	expect_esc("\x1b]0;title\x07", "\\e]0;title\\x07");
	expect_esc("nul\x01\x1f\x7f", "nul\\x01\\x1f\\x7f");
	expect_esc("back\\slash \\n", "back\\slash \\n"); /* inert: messages quote backslashes of their own */
}

static void test_utf8(void **state)
{
	(void)state;
	expect_esc("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_esc("\x9b" "31m", "\\x9b31m");                       /* 8-bit CSI, not UTF-8 */
	expect_esc("\xc2\x9b" "31m", "\\xc2\\x9b31m");              /* U+009B: CSI again */
	expect_esc("a\xe2\x80\xa8" "b", "a\\xe2\\x80\\xa8b");       /* U+2028 line separator */
	expect_esc("\xe2\x80\xae" "txt", "\\xe2\\x80\\xaetxt");     /* U+202E right-to-left override */
	expect_esc("\xc3", "\\xc3");                                /* cut short */
	expect_esc("\xe0\x80\xaf", "\\xe0\\x80\\xaf");              /* overlong */
	expect_esc("\xed\xa0\x80", "\\xed\\xa0\\x80");              /* a surrogate */
}

/* Cut to fit at a whole escape, never inside one. */
static void test_truncation(void **state)
{
	(void)state;
	char buf[6];
	ic_esc("ab\ncd", buf, sizeof(buf));
	assert_string_equal(buf, "ab\\nc");
	ic_esc("abc\x1b", buf, 5);
	assert_string_equal(buf, "abc");
	ic_esc("x", buf, 1);
	assert_string_equal(buf, "");
}

static char *captured(void (*print)(FILE *f, const char *arg), const char *arg)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	assert_non_null(f);
	print(f, arg);
	fclose(f);
	return text;
}

static void line_of(FILE *f, const char *arg)
{
	ic_line(f, "ipchaos run: %s: bad", arg);
}

/* One line, however many newlines the quoted text holds. */
static void test_line(void **state)
{
	(void)state;
	char *text = captured(line_of, "x\nFAIL forged\n");
	assert_string_equal(text, "ipchaos run: x\\nFAIL forged\\n: bad\n");
	free(text);
	char *long_arg = malloc(5000);
	assert_non_null(long_arg);
	memset(long_arg, '\n', 4999);
	long_arg[4999] = '\0';
	text = captured(line_of, long_arg);
	assert_int_equal(strlen(text), strlen("ipchaos run: : bad\n") + 2 * 4999);
	assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1);
	free(text);
	free(long_arg);
}

static void shell_word(FILE *f, const char *arg)
{
	ic_shell_word(f, arg);
}

static void expect_word(const char *in, const char *want)
{
	char *text = captured(shell_word, in);
	if (strcmp(text, want) != 0)
		fail_msg("quoted '%s', expected '%s'", text, want);
	free(text);
}

/* What a replay line shows, bash reads back as the same argument. */
static void test_shell_word(void **state)
{
	(void)state;
	expect_word("./prog", "./prog");
	expect_word("", "''");
	expect_word("two words", "'two words'");
	expect_word("it's", "'it'\\''s'");
	expect_word("back\\slash", "'back\\slash'");
	expect_word("a\nb", "$'a\\nb'");
	expect_word("\x1b[2J'", "$'\\e[2J\\''");
	expect_word("a\\b\n", "$'a\\\\b\\n'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_shell_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
