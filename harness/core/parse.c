/*
 * parse.c: one way to read what a user types, for every command (run,
 * bench, audit, merge, the run spec and injector specs): whole numbers,
 * seeds, decimal reals, durations, sizes and lists. Decimal means decimal
 * (010 is ten); hex only where a 0x form is documented (seeds); no spaces,
 * no sign, no exponent, no inf or nan; overflow is caught digit by digit,
 * never wrapped; a list has no empty item. A refusal is one line naming the
 * value and what would be valid, so every command words it the same way.
 */
#include "internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A value is echoed as typed, quoted when that is needed to see it: empty, or with a space. */
static bool needs_quotes(const char *value)
{
	return !value[0] || strpbrk(value, " \t") != NULL;
}

const char *ic_shown(const char *value, char *buf, size_t size)
{
	if (!needs_quotes(value))
		return value;
	snprintf(buf, size, "'%s'", value);
	return buf;
}

/* "LABEL VALUE: ...", no space after a label ending in '=' ("kill:hit=abc: ..."). */
static void __attribute__((format(printf, 5, 6)))
refuse(char *err, size_t errsize, const char *label, const char *value, const char *fmt, ...)
{
	if (!err || errsize == 0)
		return;
	size_t n = strlen(label);
	const char *sep = n == 0 || label[n - 1] == '=' ? "" : " ";
	char shown[256];
	int w = snprintf(err, errsize, "%s%s%s: ", label, sep, ic_shown(value, shown, sizeof(shown)));
	if (w < 0 || (size_t)w >= errsize)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + w, errsize - (size_t)w, fmt, ap);
	va_end(ap);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits at *s into *v, up to the first non-digit; false on none or past 2^64-1. */
static bool digits_u64(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t acc = 0;
	for (; is_digit(*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (acc > (UINT64_MAX - d) / 10)
			return false;
		acc = acc * 10 + d;
	}
	if (p == *s)
		return false;
	*s = p;
	*v = acc;
	return true;
}

static bool whole_u64(const char *s, uint64_t *v)
{
	return digits_u64(&s, v) && *s == '\0';
}

int ic_parse_u64(const char *label, const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
		 size_t errsize)
{
	uint64_t v;
	if (!whole_u64(s, &v) || v < min || v > max) {
		refuse(err, errsize, label, s, "expected a whole number from %" PRIu64 " to %" PRIu64, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int hex_digit(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ic_parse_seed(const char *label, const char *s, uint64_t *out, char *err, size_t errsize)
{
	uint64_t v = 0;
	bool ok;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		const char *p = s + 2;
		for (ok = *p != '\0'; ok && *p; p++) {
			int d = hex_digit(*p);
			ok = d >= 0 && v <= UINT64_MAX >> 4;
			v = v << 4 | (uint64_t)(d < 0 ? 0 : d);
		}
	} else {
		ok = whole_u64(s, &v);
	}
	if (!ok) {
		refuse(err, errsize, label, s,
		       "expected a 64-bit number, decimal (0 to %" PRIu64 ") or hex (0x0 to 0xffffffffffffffff)",
		       UINT64_MAX);
		return -1;
	}
	*out = v;
	return 0;
}

/* Digits, optionally '.' and more digits: what strtod then reads exactly so (no locale: ipchaos never sets one). */
static bool decimal_real(const char **s, double *v)
{
	const char *p = *s;
	while (is_digit(*p))
		p++;
	if (p == *s)
		return false;
	if (*p == '.') {
		const char *frac = ++p;
		while (is_digit(*p))
			p++;
		if (p == frac)
			return false;
	}
	char *end;
	*v = strtod(*s, &end);
	if (end != p)
		return false;
	*s = p;
	return true;
}

int ic_parse_real(const char *label, const char *s, double min, double max, double *out, char *err,
		  size_t errsize)
{
	const char *p = s;
	double v;
	if (!decimal_real(&p, &v) || *p || !(v >= min && v <= max)) {
		refuse(err, errsize, label, s, "expected a decimal number from %g to %g", min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int ic_parse_duration(const char *label, const char *s, double min, double max, double *out, char *err,
		      size_t errsize)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = {{"", 1}, {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}};
	const char *p = s;
	double v;
	bool ok = decimal_real(&p, &v);
	for (size_t i = 0; ok && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].unit) == 0) {
			v *= units[i].seconds;
			if (v >= min && v <= max) {
				*out = v;
				return 0;
			}
			break;
		}
	refuse(err, errsize, label, s,
	       "expected a duration from %g to %g seconds (a number, or with ms, s, m or h: 500ms, 90s, 5m)", min, max);
	return -1;
}

/* ---- Duration ranges (issue 14): one rule for every unit ---- */

/* The unit at the end of a duration ("" when bare). */
static const char *duration_unit(const char *s)
{
	const char *p = s + strlen(s);
	while (p > s && ((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z')))
		p--;
	return p;
}

int ic_parse_duration_range(const char *label, const char *s, double min, double max, double *lo, double *hi,
			    char *err, size_t errsize)
{
	char low[64];
	const char *dots = strstr(s, "..");
	const char *upper = dots ? dots + 2 : s;
	size_t n = dots ? (size_t)(dots - s) : strlen(s);
	bool ok = n < sizeof(low) - 8;
	if (ok) {
		memcpy(low, s, n);
		low[n] = '\0';
		/* A bare lower bound takes the upper one's unit, whichever: 1..2m is 1m..2m, 1..500ms is 1ms..500ms. */
		if (dots && !*duration_unit(low))
			snprintf(low + n, sizeof(low) - n, "%s", duration_unit(upper));
	}
	ok = ok && ic_parse_duration("", low, min, max, lo, NULL, 0) == 0 &&
	     ic_parse_duration("", upper, min, max, hi, NULL, 0) == 0 && *lo <= *hi;
	if (!ok)
		refuse(err, errsize, label, s,
		       "expected a duration or a range A..B of them, A <= B, from %g to %g seconds (0.5, 500ms, 2s, 1m; "
		       "0.2..2s, where a bare A takes B's unit)", min, max);
	return ok ? 0 : -1;
}

int ic_parse_size(const char *label, const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
		  size_t errsize)
{
	const char *p = s;
	uint64_t v;
	bool ok = digits_u64(&p, &v);
	unsigned shift = *p == 'K' || *p == 'k' ? 10 : *p == 'M' || *p == 'm' ? 20 : 0;
	if (ok && shift) {
		ok = v <= UINT64_MAX >> shift;
		v <<= shift;
		p++;
	}
	if (!ok || *p || v < min || v > max) {
		refuse(err, errsize, label, s,
		       "expected a size from %" PRIu64 " to %" PRIu64 " bytes (bytes, or K and M binary: 64, 8K, 1M)",
		       min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int ic_parse_list(ic_list *l, const char *label, const char *shown, const char *s, char sep, char *err,
		  size_t errsize)
{
	char quoted[sizeof(l->buf) + 2];
	const char *why = NULL;
	/* Quoted: "scenario 'shm_counter:': ..." reads better than "shm_counter:: ...". */
	snprintf(quoted, sizeof(quoted), "'%s'", shown);
	l->n = 0;
	if (strlen(s) >= sizeof(l->buf)) {
		refuse(err, errsize, label, quoted, "too long (at most %zu characters)", sizeof(l->buf) - 1);
		return -1;
	}
	memcpy(l->buf, s, strlen(s) + 1);
	char *item = l->buf;
	for (;;) {
		char *end = strchr(item, sep);
		if (end)
			*end = '\0';
		if (!item[0]) {
			why = s[0] ? "an empty item" : "an empty list";
			break;
		}
		if (l->n == IC_LIST_MAX) {
			refuse(err, errsize, label, quoted, "more than %d items", IC_LIST_MAX);
			l->n = 0;
			return -1;
		}
		l->item[l->n++] = item;
		if (!end)
			return 0;
		item = end + 1;
	}
	refuse(err, errsize, label, quoted, "%s (expected items separated by single '%c', none empty)", why, sep);
	l->n = 0;
	return -1;
}
