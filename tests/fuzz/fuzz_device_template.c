/*
 * fuzz_device_template.c - fuzzes device-sim's job template parser
 * (sim/device/tmpl_parse.c) and the settings reader behind it
 * (sim/device/scansettings.c), with what the device receives in
 * PutTemplate's templateContent.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isim/device \
 *     tests/fuzz/fuzz_device_template.c sim/device/tmpl_parse.c \
 *     sim/device/scansettings.c -o fuzz_device_template
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scansettings.h"
#include "tmpl_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_settings s;
	struct tmpl t;
	char why[256];
	size_t i, j;

	if (tmpl_parse((const char *)data, size, &t, why, sizeof(why)) != TMPL_OK) {
		/* A failed parse leaves nothing behind to free. */
		if (t.n != 0 || t.sections != NULL)
			abort();
		return 0;
	}
	/* Every value is a NUL-terminated string within the limits. */
	for (i = 0; i < t.n; i++)
		for (j = 0; j < t.sections[i].n; j++)
			if (strlen(t.sections[i].entries[j].value) > TMPL_VALUE_MAX)
				abort();
	/* Both families: the filing URL is built differently (scansettings.h). */
	for (i = 0; i < 2; i++) {
		if (scan_settings_from_template(
		        &t, i ? DEVICE_FAMILY_VERSALINK : DEVICE_FAMILY_ALTALINK, &s, why,
		        sizeof(why)) == 0) {
			if (s.dpi == 0 || s.width_pt <= 0 || s.script_path[0] != '/' ||
			    strncmp(s.url, "https://", 8) != 0)
				abort();
		}
	}
	tmpl_free(&t);
	return 0;
}
