/*
 * fuzz_json_read.c: libFuzzer target for the strict JSON reader that merge
 * trusts with files from anywhere. Whatever the bytes, ic_jparse either
 * fails with an offset inside the text or builds a tree; a tree written back
 * by the results writer (ic_json_value) must parse again to an equal tree,
 * or merge would rewrite a shard's runs into something else.
 */
#include "campaign/json_read.h"
#include "campaign/report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void round_trip(const ic_jval *root)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	ic_json_value(f, root);
	fclose(f);
	ic_jval again;
	ic_jerr err;
	if (ic_jparse(text, len, &again, &err) != 0) {
		fprintf(stderr, "written back, the value does not parse: offset %zu: %s\n%s\n", err.offset, err.what,
			text);
		abort();
	}
	if (!ic_jequal(root, &again)) {
		fprintf(stderr, "written back, the value reads differently:\n%s\n", text);
		abort();
	}
	ic_jfree(&again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ic_jval root;
	ic_jerr err;
	if (ic_jparse((const char *)data, size, &root, &err) != 0) {
		if (err.offset > size)
			abort(); /* an error names a byte of the text, or its end */
		return 0;
	}
	/* What merge asks of a document. */
	(void)ic_jget_str(&root, "format");
	(void)ic_jget(ic_jget(&root, "summary"), "exit");
	if (!ic_jequal(&root, &root))
		abort();
	round_trip(&root);
	ic_jfree(&root);
	return 0;
}
