/*
 * conns.c - kept FastCGI connections watched by one thread (conns.h).
 *
 * Each open connection has a slot; epoll watches it with EPOLLONESHOT, so
 * a connection is in the ready queue at most once and never watched while
 * a worker reads it.  The queue holds slots, so it never holds more than
 * CONNS_MAX.
 */
#include "conns.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* epoll data of the two fds that are no connection. */
#define TAG_LISTEN UINT32_MAX
#define TAG_STOP   (UINT32_MAX - 1)

struct conns {
	int listen_fd;
	int epfd;
	int stopfd; /* eventfd: conns_stop wakes epoll_wait */
	pthread_mutex_t mu;
	pthread_cond_t ready_cv;
	int stopping;
	int fds[CONNS_MAX]; /* slot -> fd, -1 when free */
	int nopen;
	int ready[CONNS_MAX]; /* ring of slots with a request waiting */
	int head, nready;
};

struct conns *conns_new(int listen_fd)
{
	struct conns *c = calloc(1, sizeof(*c));
	struct epoll_event ev = {.events = EPOLLIN};

	if (c == NULL)
		return NULL;
	c->listen_fd = listen_fd;
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	for (int i = 0; i < CONNS_MAX; i++)
		c->fds[i] = -1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->ready_cv, NULL);
	if (c->epfd < 0 || c->stopfd < 0)
		goto fail;
	ev.data.u32 = TAG_LISTEN;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, listen_fd, &ev) != 0)
		goto fail;
	ev.data.u32 = TAG_STOP;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->stopfd, &ev) != 0)
		goto fail;
	return c;
fail:
	conns_free(c);
	return NULL;
}

static void watch(struct conns *c, int slot, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u32 = (uint32_t)slot};

	if (epoll_ctl(c->epfd, op, c->fds[slot], &ev) != 0) {
		sp_log(LOG_WARN, "fcgi_conn_watch_failed", "error", strerror(errno), NULL);
		close(c->fds[slot]);
		conns_closed(c, slot);
	}
}

/* Takes the connections waiting in the backlog.  The listening socket is
 * non-blocking (only this thread accepts on it); the connections are not:
 * libfcgi reads them blocking. */
static void accept_all(struct conns *c)
{
	for (;;) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC), slot = -1;

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Out of descriptors: the backlog waits; do not spin. */
				sp_log(LOG_WARN, "fcgi_accept_failed", "error", strerror(errno),
				       NULL);
				nanosleep(&(struct timespec){0, 50 * 1000000}, NULL);
			}
			return; /* EAGAIN: the backlog is empty; else shut down */
		}
		pthread_mutex_lock(&c->mu);
		if (c->nopen < CONNS_MAX)
			for (slot = 0; c->fds[slot] >= 0; slot++)
				;
		if (slot >= 0) {
			c->fds[slot] = fd;
			c->nopen++;
		}
		pthread_mutex_unlock(&c->mu);
		if (slot < 0) {
			sp_log(LOG_WARN, "fcgi_too_many_connections", "%max", LOG_NUM(CONNS_MAX),
			       NULL);
			close(fd);
			continue;
		}
		watch(c, slot, EPOLL_CTL_ADD);
	}
}

void *conns_main(void *arg)
{
	struct conns *c = arg;
	struct epoll_event evs[64];
	int fl = fcntl(c->listen_fd, F_GETFL);

	if (fl < 0 || fcntl(c->listen_fd, F_SETFL, fl | O_NONBLOCK) != 0)
		sp_log(LOG_WARN, "fcgi_listen_nonblock_failed", "error", strerror(errno), NULL);
	for (;;) {
		int n = epoll_wait(c->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);

		if (n < 0 && errno != EINTR) {
			sp_log(LOG_ERROR, "fcgi_epoll_failed", "error", strerror(errno), NULL);
			conns_stop(c);
		}
		pthread_mutex_lock(&c->mu);
		if (c->stopping) {
			pthread_mutex_unlock(&c->mu);
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;

			if (tag == TAG_LISTEN || tag == TAG_STOP)
				continue;
			c->ready[(c->head + c->nready++) % CONNS_MAX] = (int)tag;
			pthread_cond_signal(&c->ready_cv);
		}
		pthread_mutex_unlock(&c->mu);
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 == TAG_LISTEN)
				accept_all(c);
	}
}

int conns_next(struct conns *c, int *fd)
{
	int slot = -1;

	pthread_mutex_lock(&c->mu);
	while (c->nready == 0 && !c->stopping)
		pthread_cond_wait(&c->ready_cv, &c->mu);
	if (!c->stopping) {
		slot = c->ready[c->head];
		c->head = (c->head + 1) % CONNS_MAX;
		c->nready--;
		*fd = c->fds[slot];
	}
	pthread_mutex_unlock(&c->mu);
	return slot;
}

void conns_keep(struct conns *c, int slot)
{
	watch(c, slot, EPOLL_CTL_MOD);
}

void conns_closed(struct conns *c, int slot)
{
	pthread_mutex_lock(&c->mu);
	c->fds[slot] = -1;
	c->nopen--;
	pthread_mutex_unlock(&c->mu);
}

void conns_stop(struct conns *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	pthread_cond_broadcast(&c->ready_cv);
	pthread_mutex_unlock(&c->mu);
	if (write(c->stopfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		sp_log(LOG_WARN, "fcgi_stop_wake_failed", "error", strerror(errno), NULL);
}

void conns_free(struct conns *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < CONNS_MAX; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	if (c->epfd >= 0)
		close(c->epfd);
	if (c->stopfd >= 0)
		close(c->stopfd);
	pthread_cond_destroy(&c->ready_cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
