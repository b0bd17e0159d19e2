/*
 * preview_main.c - scanpost-preview: renders the pages of one scanned
 * document for the weblet's preview (README, "Preview before sending").
 *
 * scanpost-api starts it per request with an empty environment, feeds the
 * decrypted document on stdin and reads the answer of preview_wire.h on
 * stdout.  It holds no key and no database connection; before it reads a
 * byte it closes every inherited descriptor and limits itself (CPU,
 * memory, no core, no file growth), initialises the libraries, and locks
 * itself in a seccomp filter (preview_sandbox.h).  The api's wall-clock
 * timeout kills it if it is still running.
 *
 *   scanpost-preview --cpu SECONDS --memory-mb MIB --max-bytes BYTES --render-pages N
 *
 * Exit status: 0 when the answer was written (its 'E' record says whether
 * pages came with it), 1 when not even that was possible.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preview_render.h"
#include "preview_sandbox.h"

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The whole of stdin into doc (cap bytes): its length, or -1 when it is
 * longer than cap (-2 on a read error). */
static long read_document(uint8_t *doc, size_t cap)
{
	size_t n = 0;
	uint8_t extra;

	for (;;) {
		ssize_t r = read(0, n < cap ? doc + n : &extra, n < cap ? cap - n : 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -2;
		if (r == 0)
			return (long)n;
		if (n >= cap)
			return -1;
		n += (size_t)r;
	}
}

/* poppler and libtiff describe a broken file on stderr; that is noise in
 * the api's log, and with RLIMIT_FSIZE = 0 a stderr that is a file would
 * end the process.  So stderr goes nowhere. */
static int stderr_quiet(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || dup2(fd, 2) != 2)
		return -1;
	if (fd != 2)
		close(fd);
	return 0;
}

static long arg_long(int argc, char **argv, const char *name, long min, long max)
{
	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], name) == 0) {
			char *end;
			long v = strtol(argv[i + 1], &end, 10);
			if (*end == '\0' && end != argv[i + 1] && v >= min && v <= max)
				return v;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sandbox_limits lim;
	struct render_out out = {NULL, 0, PREVIEW_OUT_MAX};
	uint8_t *doc = NULL;
	long max_bytes, mem_mb, pages, n;
	enum preview_status st = PREVIEW_INTERNAL;

	lim.cpu_seconds = arg_long(argc, argv, "--cpu", 1, 3600);
	mem_mb = arg_long(argc, argv, "--memory-mb", 64, 65536);
	max_bytes = arg_long(argc, argv, "--max-bytes", 1, 1L << 32);
	pages = arg_long(argc, argv, "--render-pages", 0, PREVIEW_MAX_PAGES);
	if (lim.cpu_seconds < 0 || mem_mb < 0 || max_bytes < 0 || pages < 0) {
		fprintf(stderr, "usage: scanpost-preview --cpu SECONDS --memory-mb MIB "
		                "--max-bytes BYTES --render-pages N < document > answer\n");
		return 1;
	}
	lim.memory_bytes = mem_mb << 20;
	if (sandbox_limits_apply(&lim) != 0 || stderr_quiet() != 0)
		return 1;
	/* Both buffers now, so the document's size alone decides a refusal. */
	out.buf = malloc(out.cap);
	doc = malloc((size_t)max_bytes);
	if (out.buf == NULL || doc == NULL || render_warm_up() != 0 || sandbox_lock() != 0)
		return 1;
	if (preview_wire_magic(render_out_put, &out) != 0)
		return 1;

	n = read_document(doc, (size_t)max_bytes);
	if (n == -1)
		st = PREVIEW_TOO_LARGE;
	else if (n < 0)
		st = PREVIEW_INTERNAL;
	else if (render_sniff(doc, (size_t)n) == DOC_PDF)
		st = render_pdf(doc, (size_t)n, (int)pages, &out);
	else if (render_sniff(doc, (size_t)n) == DOC_TIFF)
		st = render_tiff(doc, (size_t)n, (int)pages, &out);
	else
		st = PREVIEW_UNSUPPORTED;
	/* The plaintext goes before the answer does. */
	explicit_bzero(doc, n > 0 ? (size_t)n : n == -1 ? (size_t)max_bytes : 0);
	if (st != PREVIEW_OK) {
		/* No half answer: the pages written so far are dropped. */
		out.len = 0;
		if (preview_wire_magic(render_out_put, &out) != 0)
			return 1;
	}
	if (preview_wire_end(render_out_put, &out, st) != 0 || write_all(1, out.buf, out.len) != 0)
		return 1;
	return 0;
}
