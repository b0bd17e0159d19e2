/* fuzz_config.c - the config file parser (inih + the key table). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_config_XXXXXX";
	struct sp_config cfg;
	char err[512];
	int fd = mkstemp(path);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	if (config_load(&cfg, path, err, sizeof(err)) == 0) {
		/* Whatever was accepted must respect the table's bounds. */
		if (cfg.api_workers < 1 || cfg.api_workers > 256 || cfg.db_conninfo == NULL ||
		    strncmp(cfg.rmail_base_url, "https://", 8) != 0)
			abort();
		config_free(&cfg);
	} else if (err[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	unlink(path);
	return 0;
}
