/*
 * fuzz_config.c - the config file parser (inih + the key table).
 *
 * The input is the whole file.  It is written to one file made at start
 * (on /dev/shm when there is one: the run is then not bound by the disk)
 * and removed at exit.  Oracles: what loads respects the table's bounds;
 * a refusal always says why.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_file(void)
{
	unlink(path);
}

static const char *file(void)
{
	int fd;

	if (path[0])
		return path;
	snprintf(path, sizeof(path), "/dev/shm/fuzz_config_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/fuzz_config_XXXXXX");
		fd = mkstemp(path);
	}
	if (fd < 0)
		abort();
	close(fd);
	atexit(remove_file);
	return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = file();
	struct sp_config cfg;
	char err[512];
	int fd = open(p, O_WRONLY | O_TRUNC);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
		abort();
	if (config_load(&cfg, p, err, sizeof(err)) == 0) {
		/* Whatever was accepted must respect the table's bounds. */
		if (cfg.api_workers < 1 || cfg.api_workers > 256 || cfg.db_conninfo == NULL ||
		    strncmp(cfg.rmail_base_url, "https://", 8) != 0)
			abort();
		config_free(&cfg);
	} else if (err[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	return 0;
}
