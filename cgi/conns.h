/*
 * conns.h - the API pool's FastCGI connections, kept open between
 * requests (nginx `keepalive` + `fastcgi_keep_conn on`, FastCGI 1.0,
 * 3.5 FCGI_KEEP_CONN).
 *
 * libfcgi serves a kept connection by blocking in read() on it until the
 * next request: a worker would sit on an idle connection while requests
 * on other connections wait in the accept backlog.  So one thread watches
 * the listening socket and every idle connection (epoll), and hands a
 * connection to a worker only when a request has arrived on it; the
 * worker gives it back after the answer.  An idle connection holds no
 * worker.
 */
#ifndef SCANPOST_CONNS_H
#define SCANPOST_CONNS_H

/* At most this many connections open at once; one more is closed at
 * accept (nginx answers 502).  nginx keeps at most `keepalive` idle ones
 * per worker process (nginx/scanpost.conf). */
#define CONNS_MAX 1024

struct conns;

/* Watches listen_fd, which stays the caller's.  NULL when out of memory
 * or without epoll (errno set).  conns_free frees it. */
struct conns *conns_new(int listen_fd);

/* The watching thread (daemon_spawn): runs until conns_stop. */
void *conns_main(void *arg);

/* Blocks until a connection has a request waiting: its slot, with its fd
 * in *fd; the caller serves it and then passes the slot to conns_keep or
 * conns_closed.  -1 once stopping. */
int conns_next(struct conns *c, int *fd);

/* The request is answered and the connection stays open: watch it for the
 * next. */
void conns_keep(struct conns *c, int slot);

/* The connection was closed (libfcgi closes it after an error or when nginx
 * did not ask to keep it). */
void conns_closed(struct conns *c, int slot);

/* Wakes the watching thread and every worker in conns_next; they return. */
void conns_stop(struct conns *c);

/* Closes the idle connections still open and frees c (after the threads
 * were joined). */
void conns_free(struct conns *c);

#endif
