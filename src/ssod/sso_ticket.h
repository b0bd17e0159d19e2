/*
 * sso_ticket.h - what scanpost-ssod gives back for a printer's token it
 * verified (DESIGN 3.4), so that one visit needs one token.
 *
 * Why: a printer may hand out the same security token for its whole login
 * session (the token is what the person's sign-in at the printer got), and
 * ssod uses each token once (SAML profiles 4.1.4.5).  Yet one visit may
 * need several operations: a launch finds nothing stored, then the
 * password sign-in stores; or a launch signs in, then "Forget".  The
 * ticket carries the verified identity and the printer's serial for
 * sso_ticket_lifetime seconds; it is sealed under the SSO keyring, which
 * only ssod reads, so the api and the browser hold it without being able
 * to read or forge it.
 *
 *   plaintext = 0x01 || expires (8 bytes, big-endian Unix seconds)
 *               || serial length (1) || serial || identity
 *   blob      = sp_seal_blob(SSO keyring primary, AAD = "scanpost-sso-ticket")
 *   ticket    = kid "." base64url(blob)                RFC 4648, 5; no '='
 */
#ifndef SCANPOST_SSO_TICKET_H
#define SCANPOST_SSO_TICKET_H

#include <stddef.h>
#include <time.h>

#include "crypto.h"
#include "sso_proto.h"

enum sso_ticket_err {
	SSO_TICKET_OK = 0,
	SSO_TICKET_BAD,     /* not a ticket of ours: garbled, altered, its key gone */
	SSO_TICKET_EXPIRED, /* ours, but its time is over */
	SSO_TICKET_CRYPTO,  /* sealing failed */
};

/* Writes the ticket of identity on serial, valid until expires, into out
 * (SSO_TICKET_MAX + 1 bytes).  OK or CRYPTO. */
int sso_ticket_make(const struct keyring *kr, const char *identity, const char *serial,
                    time_t expires, char out[SSO_TICKET_MAX + 1]);

/* Opens a ticket at time now into identity and serial.  OK, BAD, EXPIRED;
 * on anything but OK both are empty. */
int sso_ticket_open(const struct keyring *kr, const char *ticket, time_t now,
                    char identity[SSO_IDENTITY_MAX + 1], char serial[SSO_SERIAL_MAX + 1]);

#endif
