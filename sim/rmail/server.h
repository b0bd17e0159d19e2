/*
 * server.h - rmail-sim's HTTPS server: libmicrohttpd with TLS, one thread
 * per connection, request bodies streamed (uploads straight to files),
 * fault rules applied, one log line per request.
 */
#ifndef RMAIL_SIM_SERVER_H
#define RMAIL_SIM_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "routes.h"

struct server;

/*
 * Starts serving on addr with the PEM certificate chain and key given as
 * NUL-terminated text (kept by the caller until server_stop() returns).
 * sim must outlive the server. Returns the server, or NULL with a reason in
 * err[errlen].
 */
struct server *server_start(struct sim *sim, const struct sockaddr *addr, const char *cert_pem,
                            const char *key_pem, char *err, size_t errlen);

/*
 * Wakes every request that is sleeping for a latency or hang fault, closes
 * all connections, waits for their threads and frees srv. NULL is fine.
 */
void server_stop(struct server *srv);

#endif
