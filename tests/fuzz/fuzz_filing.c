/*
 * fuzz_filing.c - fuzzes the filing protocol's name rules (src/lib/filing.c)
 * with what a device sends in destDir and destName: the input up to its
 * first NUL is destDir, the rest destName.  A normalized folder must stay
 * inside the job's tree: it starts with '/', holds no '\', no empty, "." or
 * ".." component, is at most FILING_DEPTH_MAX deep and FILING_DIR_MAX long,
 * and normalizes to itself.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc/lib \
 *     tests/fuzz/fuzz_filing.c src/lib/filing.c -o fuzz_filing
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filing.h"

static void check_folder(const char *dir)
{
	char again[FILING_DIR_MAX + 1], parent[FILING_DIR_MAX + 1], name[FILING_NAME_MAX + 1];
	const char *p = dir + 1;
	size_t depth = 0;

	if (dir[0] != '/' || strlen(dir) > FILING_DIR_MAX || strchr(dir, '\\'))
		abort();
	if (strcmp(dir, "/") != 0) {
		while (p) {
			const char *slash = strchr(p, '/');
			size_t n = slash ? (size_t)(slash - p) : strlen(p);

			if (n == 0 || (n == 1 && p[0] == '.') ||
			    (n == 2 && p[0] == '.' && p[1] == '.'))
				abort();
			depth++;
			p = slash ? slash + 1 : NULL;
		}
		if (filing_dir_split(dir, parent, sizeof(parent), name, sizeof(name)) != 0 ||
		    !filing_name_ok(name))
			abort();
	}
	if (depth > FILING_DEPTH_MAX)
		abort();
	if (filing_dir_normalize(dir, again, sizeof(again)) != 0 || strcmp(again, dir) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 2), out[FILING_DIR_MAX + 1];
	const char *dir, *name;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	buf[size + 1] = '\0';
	dir = buf;
	name = buf + strlen(buf) + 1;
	if (filing_dir_normalize(dir, out, sizeof(out)) == 0) {
		check_folder(out);
		(void)filing_folder_removable(out);
	}
	if (filing_name_readable(name) &&
	    (!filing_name_ok(name) || filing_kind_of(name) == FILING_KIND_DOCUMENT))
		abort();
	if (filing_name_ok(name) && (strchr(name, '/') || strchr(name, '\\')))
		abort();
	(void)filing_op_of(name);
	free(buf);
	return 0;
}
