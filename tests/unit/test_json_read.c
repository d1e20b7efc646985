/*
 * test_json_read.c: the strict JSON reader behind `ipchaos merge`. Valid
 * documents read back exactly (escapes, surrogate pairs, 64-bit integers as
 * written); every class of malformed text is refused with the byte offset
 * where it went wrong; and what the writer emits reads back as it was.
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
#include "campaign/json_read.h"
#include "campaign/report.h"

static void parse_ok(const char *text, ic_jval *v)
{
	ic_jerr err;
	if (ic_jparse(text, strlen(text), v, &err) != 0)
		fail_msg("'%s' refused at offset %zu: %s", text, err.offset, err.what);
}

static void test_values(void **state)
{
	(void)state;
	ic_jval v;
	parse_ok(" {\"s\":\"x\", \"n\":-12.5e1, \"t\":true, \"f\":false, \"z\":null, \"a\":[1,[],{}], \"o\":{}}\n", &v);
	assert_int_equal(v.type, IC_JOBJECT);
	assert_int_equal(v.n, 7);
	assert_string_equal(ic_jget_str(&v, "s"), "x");
	assert_int_equal(ic_jget(&v, "n")->type, IC_JNUMBER);
	assert_true(ic_jget(&v, "n")->num == -125.0);
	assert_string_equal(ic_jget(&v, "n")->str, "-12.5e1");
	assert_int_equal(ic_jget(&v, "t")->type, IC_JTRUE);
	assert_int_equal(ic_jget(&v, "f")->type, IC_JFALSE);
	assert_int_equal(ic_jget(&v, "z")->type, IC_JNULL);
	const ic_jval *a = ic_jget(&v, "a");
	assert_int_equal(a->type, IC_JARRAY);
	assert_int_equal(a->n, 3);
	assert_int_equal(a->items[1].type, IC_JARRAY);
	assert_int_equal(a->items[1].n, 0);
	assert_int_equal(a->items[2].type, IC_JOBJECT);
	assert_int_equal(ic_jget(&v, "o")->n, 0);
	assert_null(ic_jget(&v, "missing"));
	assert_null(ic_jget_str(&v, "n"));  /* not a string */
	assert_null(ic_jget(a, "s"));       /* not an object */
	assert_int_equal(a->items[0].offset, 60);
	ic_jfree(&v);
}

static void test_scalars_at_top(void **state)
{
	(void)state;
	static const char *const texts[] = {"0", "-0", "1.5", "2E+3", "1e-400", "\"\"", "true", "null", " [ ] "};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ic_jval v;
		parse_ok(texts[i], &v);
		ic_jfree(&v);
	}
}

static void test_big_integer_kept_exact(void **state)
{
	(void)state;
	ic_jval v;
	parse_ok("{\"rlimit\":18446744073709551615}", &v);
	assert_string_equal(ic_jget(&v, "rlimit")->str, "18446744073709551615");
	ic_jfree(&v);
}

static void test_string_escapes(void **state)
{
	(void)state;
	ic_jval v;
	parse_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\u20AC \\ud83d\\ude00 raw \xc3\xa9\"", &v);
	assert_int_equal(v.type, IC_JSTRING);
	assert_string_equal(v.str, "q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 raw \xc3\xa9");
	ic_jfree(&v);
}

static void test_equal(void **state)
{
	(void)state;
	ic_jval a, b, c;
	parse_ok("{\"x\":[1,\"y\"],\"k\":{\"a\":null}}", &a);
	parse_ok("{\"k\":{\"a\":null},\"x\":[1.0,\"y\"]}", &b);
	parse_ok("{\"k\":{\"a\":false},\"x\":[1,\"y\"]}", &c);
	assert_true(ic_jequal(&a, &b));
	assert_false(ic_jequal(&a, &c));
	ic_jfree(&a);
	ic_jfree(&b);
	ic_jfree(&c);
}

static void test_depth_limit(void **state)
{
	(void)state;
	char text[2 * IC_JSON_MAX_DEPTH + 3];
	ic_jval v;
	ic_jerr err;
	memset(text, '[', IC_JSON_MAX_DEPTH);
	memset(text + IC_JSON_MAX_DEPTH, ']', IC_JSON_MAX_DEPTH);
	text[2 * IC_JSON_MAX_DEPTH] = '\0';
	parse_ok(text, &v); /* exactly the limit */
	ic_jfree(&v);
	memset(text, '[', IC_JSON_MAX_DEPTH + 1);
	memset(text + IC_JSON_MAX_DEPTH + 1, ']', IC_JSON_MAX_DEPTH + 1);
	text[2 * IC_JSON_MAX_DEPTH + 2] = '\0';
	assert_int_equal(ic_jparse(text, strlen(text), &v, &err), -1);
	assert_int_equal(err.offset, IC_JSON_MAX_DEPTH);
	assert_contains(err.what, "nested deeper than 64");
	assert_int_equal(v.type, IC_JNULL); /* holds nothing */
}

typedef struct bad {
	const char *text;
	size_t offset;
	const char *what;
} bad;

static const bad bads[] = {
	/* truncated */
	{"", 0, "unexpected end of input (expected a value)"},
	{"  ", 2, "unexpected end of input (expected a value)"},
	{"{", 1, "unexpected end of input (expected a key)"},
	{"[1,", 3, "unexpected end of input (expected a value)"},
	{"[1", 2, "unexpected end of input (expected ',' or ']')"},
	{"{\"a\":1", 6, "unexpected end of input (expected ',' or '}')"},
	{"{\"a\"", 4, "unexpected end of input (expected ':')"},
	{"\"abc", 0, "unterminated string"},
	{"\"ab\\", 0, "unterminated string"},
	{"tru", 0, "expected true, false or null"},
	/* bad escapes and string contents */
	{"\"a\\x\"", 2, "bad escape: a backslash then 'x'"},
	{"\"a\\'\"", 2, "bad escape"},
	{"\"\\u12g4\"", 5, "'g' is not a hex digit"},
	{"\"\\u12\"", 5, "not a hex digit"},
	{"\"\\ud800\"", 1, "a high surrogate without a low one"},
	{"\"\\ud800\\u0041\"", 1, "a high surrogate without a low one"},
	{"\"\\udc00\"", 1, "a low surrogate without a high one"},
	{"\"\\u0000\"", 1, "\\u0000 (a NUL character) is not supported"},
	{"\"a\tb\"", 2, "byte 0x09 in a string must be escaped"},
	{"\"\xff\"", 1, "invalid UTF-8 (byte 0xff)"},
	{"\"\xc0\xaf\"", 1, "invalid UTF-8"},     /* overlong '/' */
	{"\"\xed\xa0\x80\"", 1, "invalid UTF-8"}, /* an encoded surrogate */
	{"\"\xe2\x82\"", 1, "invalid UTF-8"},     /* cut short */
	/* trailing garbage */
	{"{} x", 3, "trailing data after the JSON value"},
	{"[1]]", 3, "trailing data"},
	{"1 2", 2, "trailing data"},
	/* bad numbers */
	{"01", 0, "bad number: a leading zero"},
	{"-", 0, "bad number: no digit after '-'"},
	{"-a", 0, "bad number: no digit after '-'"},
	{"1.", 0, "bad number: no digit after '.'"},
	{"1.e5", 0, "bad number: no digit after '.'"},
	{"1e", 0, "bad number: no digit in the exponent"},
	{"1e+", 0, "bad number: no digit in the exponent"},
	{"+1", 0, "unexpected '+' (expected a value)"},
	{".5", 0, "unexpected '.'"},
	{"1e999", 0, "number out of range: 1e999"},
	{"NaN", 0, "unexpected 'N'"},
	{"[Infinity]", 1, "unexpected 'I'"},
	{"0x1F", 1, "trailing data"},
	/* structure */
	{"[1,]", 3, "a trailing comma before ']'"},
	{"{\"a\":1,}", 7, "a trailing comma before '}'"},
	{"[1 2]", 3, "unexpected '2' (expected ',' or ']')"},
	{"{a:1}", 1, "unexpected 'a' (expected a key in quotes)"},
	{"{\"a\" 1}", 5, "unexpected '1' (expected ':')"},
	{"{\"a\":1,\"a\":2}", 7, "duplicate key \"a\""},
	{"// c\n1", 0, "unexpected '/'"},
	{"\xef\xbb\xbf{}", 0, "unexpected byte 0xef"}, /* no byte order mark */
};

static void test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		ic_jval v;
		ic_jerr err = {0, ""};
		int rc = ic_jparse(bads[i].text, strlen(bads[i].text), &v, &err);
		if (rc != -1)
			fail_msg("'%s' was accepted", bads[i].text);
		if (err.offset != bads[i].offset || !strstr(err.what, bads[i].what))
			fail_msg("'%s': offset %zu '%s', expected offset %zu '%s'", bads[i].text, err.offset, err.what,
				 bads[i].offset, bads[i].what);
		assert_int_equal(v.type, IC_JNULL);
		assert_null(v.items);
	}
}

/* Length, not NUL, ends the text: a NUL byte is not the end of a file. */
static void test_nul_byte(void **state)
{
	(void)state;
	ic_jval v;
	ic_jerr err;
	assert_int_equal(ic_jparse("[1]\0", 4, &v, &err), -1);
	assert_int_equal(err.offset, 3);
	assert_contains(err.what, "trailing data");
	assert_int_equal(ic_jparse("[1", 1, &v, &err), -1); /* only "[" is the text */
	assert_int_equal(err.offset, 1);
}

/* The writer's output reads back as the same value; bytes that are not
 * UTF-8 are written as U+FFFD so the file stays valid JSON. */
static void test_round_trip(void **state)
{
	(void)state;
	const char *text = "{\"a\":[\"tab\\tq\\\"\\u00e9\\ud83d\\ude00\",-0.5,18446744073709551615,true,null],\"b\":{}}";
	ic_jval v, back;
	char *out = NULL;
	size_t size = 0;
	parse_ok(text, &v);
	FILE *f = open_memstream(&out, &size);
	assert_non_null(f);
	ic_json_value(f, &v);
	fclose(f);
	parse_ok(out, &back);
	assert_true(ic_jequal(&v, &back));
	assert_string_equal(ic_jget(&back, "a")->items[2].str, "18446744073709551615");
	free(out);
	ic_jfree(&back);

	ic_jfree(&v);
	char latin1[] = "a\xff" "b\xc3";
	v = (ic_jval){.type = IC_JSTRING, .str = latin1};
	f = open_memstream(&out, &size);
	assert_non_null(f);
	ic_json_value(f, &v);
	fclose(f);
	assert_string_equal(out, "\"a\\ufffdb\\ufffd\"");
	parse_ok(out, &back);
	assert_string_equal(back.str, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	ic_jfree(&back);
	free(out);
}

static void test_utf8_len(void **state)
{
	(void)state;
	assert_int_equal(ic_utf8_len((const unsigned char *)"a", 1), 1);
	assert_int_equal(ic_utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(ic_utf8_len((const unsigned char *)"\xc3\xa9", 1), 0);
	assert_int_equal(ic_utf8_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(ic_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(ic_utf8_len((const unsigned char *)"\xf4\x90\x80\x80", 4), 0); /* above U+10FFFF */
	assert_int_equal(ic_utf8_len((const unsigned char *)"\xe0\x80\xaf", 3), 0);     /* overlong */
	assert_int_equal(ic_utf8_len((const unsigned char *)"\x80", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_scalars_at_top),
		cmocka_unit_test(test_big_integer_kept_exact),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_utf8_len),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
