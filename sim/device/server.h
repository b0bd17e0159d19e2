/*
 * server.h - the device's HTTP server (libmicrohttpd): SOAP services at
 * their paths (services.h), the simulator's /_sim/ API (control.h).
 *
 * SOAP: POST only (GET and OPTIONS on a service path get 405 with
 * "Allow: POST"); the body (over SOAP_MAX_REQUEST bytes it is not kept) and
 * its Content-Type go to services_handle, which answers or faults.
 * Anything else: 404.
 */
#ifndef DEVICE_SIM_SERVER_H
#define DEVICE_SIM_SERVER_H

#include "device.h"

struct server;

/* Listens on host:port (IPv4 address or "localhost") and serves d.  NULL
 * on failure (why says so).  d must outlive the server. */
struct server *server_start(struct device *d, const char *host, unsigned port, char *why,
                            size_t whylen);

/* Stops accepting, finishes the requests in flight, frees the server. */
void server_stop(struct server *s);

#endif
