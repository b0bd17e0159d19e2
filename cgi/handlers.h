/*
 * handlers.h - the handlers bound to the route ids in dispatch (main.c).
 * Each answers the request itself; the route's session and CSRF checks have
 * already passed when it is called.
 */
#ifndef SCANPOST_HANDLERS_H
#define SCANPOST_HANDLERS_H

#include "request.h"

void h_healthz(struct req *r);
void h_metrics(struct req *r);
void h_session_create(struct req *r);
void h_session_sso(struct req *r);
void h_session_sso_forget(struct req *r);
void h_session_sso_params(struct req *r);
void h_session_sso_ticket(struct req *r);
void h_session_get(struct req *r);
void h_session_delete(struct req *r);
void h_policy_get(struct req *r);

#endif
