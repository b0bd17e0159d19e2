/*
 * mailbox.h - the syntax of one mailbox scanpost may send to (DESIGN 3.1).
 *
 * RFC 5321/5322 local@domain with a dot-atom local part and a domain of at
 * least two LDH labels (RFC 1035 2.3.1, RFC 5890), within the RFC 5321
 * 4.5.3.1 length limits.  Quoted local parts, address literals ([1.2.3.4])
 * and SMTPUTF8 (RFC 6531) addresses are refused; IDN domains come as
 * A-labels (xn--).  jobspec.c checks every recipient with this, and
 * jobspec_check_address (jobspec.h) is the public name for it.
 */
#ifndef SCANPOST_MAILBOX_H
#define SCANPOST_MAILBOX_H

#include <stddef.h>

/* Checks one mailbox (len bytes, no NUL needed).  Returns 0, or -1 with
 * *why (when not NULL) pointing at a static reason that reads after "it"
 * ("has no '@'"). */
int mailbox_check(const char *addr, size_t len, const char **why);

#endif
