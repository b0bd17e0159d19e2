/*
 * fuzz_device_soap.c - fuzzes device-sim's SOAP request handling
 * (sim/device/soap.c, services.c, and what they call: the template parser
 * on PutTemplate, the template store, the SSO assertion).
 *
 * The first byte picks the service path (its value modulo 5) and the
 * request's Content-Type (its value / 5, modulo 4: text/xml,
 * application/soap+xml, application/json, none); the rest is the request
 * body, as the HTTP server would hand it over.  scanjob_start and simlog are stubbed
 * here: no scan threads, no log lines.  Build:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isim/device \
 *     $(pkg-config --cflags libxml-2.0) tests/fuzz/fuzz_device_soap.c \
 *     sim/device/soap.c sim/device/services.c sim/device/device.c \
 *     sim/device/tmpl_parse.c sim/device/sso.c \
 *     $(pkg-config --libs libxml-2.0 libcrypto) -lpthread -o fuzz_device_soap
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "scanjob.h"
#include "services.h"
#include "simlog.h"
#include "soap.h"

void simlog(const char *level, const char *event, ...)
{
	(void)level;
	(void)event;
}

/* Starting a scan would start a thread; the request parsing before it is
 * what is fuzzed.  Every other name is "no such template". */
enum scanjob_err scanjob_start(struct device *d, const char *template_name, unsigned *id_out)
{
	(void)d;
	*id_out = 1001;
	return strcmp(template_name, "fuzz.xst") == 0 ? SCANJOB_OK : SCANJOB_ERR_NO_TEMPLATE;
}

static const char *const paths[] = {
    "/webservices/office/template_management/1",
    "/webservices/ScanService/2",
    "/webservices/JobManagement/1",
    "/webservices/office/device_configuration/1",
    "/webservices/office/cuisession/1",
};

static struct device dev;

/* device_init made a work directory; leave nothing behind. */
static void device_done(void)
{
	device_free(&dev);
}

static struct device *device(void)
{
	static int ready;

	if (!ready) {
		struct device_identity id = {"3TB123456", "Xerox AltaLink C8170", "Fuzz", 800, 480};
		struct device_user user = {true, "alice", "alice@example.org"};
		unsigned char key[DEVICE_SSO_KEY_LEN] = {1, 2, 3};

		soap_init();
		if (device_init(&dev, &id, &user, NULL, key) != 0)
			abort();
		atexit(device_done);
		ready = 1;
	}
	/* Keep the store from filling up across runs. */
	if (dev.n_templates >= DEVICE_MAX_TEMPLATES - 1)
		device_reset(&dev);
	return &dev;
}

static const char *const types[] = {"text/xml; charset=utf-8", "application/soap+xml",
                                    "application/json", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct device *d = device();
	const char *answer_type = NULL;
	struct soap_buf out;
	int status;

	if (size < 1)
		return 0;
	soap_buf_init(&out);
	status = services_handle(d, paths[data[0] % 5], types[(data[0] / 5) % 4],
	                         (const char *)data + 1, size - 1, false, &out, &answer_type);
	/* Every answer is a whole envelope with its type, never a bare error. */
	if ((status != 200 && status != 400 && status != 500) || !answer_type ||
	    (!out.oom && (!out.s || !strstr(out.s, "Envelope"))))
		abort();
	soap_buf_free(&out);
	return 0;
}
