/*
 * sso.js - single sign-on on the weblet's side (DESIGN 3.4): who the
 * printer says is logged in, proving it to scanpost, signing in with stored
 * credentials at launch, storing them with consent, forgetting them.
 *
 * The proof is what a real printer has: the security token of its
 * logged-in user, from GetSecurityTokenRequest (Xerox's XrxSession.js),
 * asked for the ServiceProvider and with the SecurityTokenKey (sent in
 * Base64, as Xerox's own app does) that the service names at GET
 * /api/v1/session/sso/ticket.  The token goes once to POST
 * /api/v1/session/sso/ticket, which uses it up and answers a ticket; the
 * ticket stands for it in every later call of this visit (a printer may
 * hand out the same token for its whole login session).  Ticket and token
 * live in this module's memory only, never in storage, and no password
 * does.  What else it remembers is for this visit: whether the open
 * session's credentials are stored, whether the stored ones were refused
 * at launch, and whether the person said "Not you?".
 */
(function (SP) {
	'use strict';

	var stored = false;   /* the device user has credentials in the vault */
	var refused = false;  /* RMail refused the stored password at launch */
	var declined = false; /* "Not you?": no automatic sign-in again this visit */
	var ticket = null;    /* scanpost's ticket for the printer's proof */
	var vouched = null;   /* null: not asked yet; true/false: proof given or not */

	/* What a launch that did not sign in means on the sign-in screen: the
	 * notice shown and whether the consent starts checked (the stored entry
	 * is replaced, or forgotten if the person unchecks it); notice: a key. */
	var LAUNCH = {
		sso_not_stored: { notice: '', consent: false },
		sso_off: { notice: '', consent: false },
		sso_credentials_refused: { notice: 'sso.password_changed', consent: true },
		sso_assertion_refused: { notice: 'sso.not_confirmed', consent: false },
		other: { notice: 'sso.unavailable', consent: false }
	};

	/* Base64 of the UTF-8 of s (RFC 4648, 4), as the printer wants the key. */
	function base64(s) {
		return window.btoa(unescape(encodeURIComponent(s)));
	}

	function isGuest(name) {
		return !name || String(name).toLowerCase() === 'guest';
	}

	/* Keeps what the printer said about its user. */
	function setDeviceUser(s) {
		SP.state.deviceUser = { username: s.username, from: s.from };
	}

	/* The printer's logged-in user; '' for a guest, or once the printer
	 * could not prove who it is. */
	function deviceUser() {
		var du = SP.state.deviceUser, dev = SP.state.device;
		if (!du || isGuest(du.username) || !dev || !dev.serial || vouched === false)
			return '';
		return du.username;
	}

	/* GET then POST /api/v1/session/sso/ticket around the printer's token.
	 * cb(err, {ticket}). */
	function newTicket(cb) {
		SP.api.ssoParams(function (err, p) {
			if (err)
				return cb(err);
			SP.device.securityToken(p.service_provider, base64(p.security_token_key),
						function (e, token) {
				if (e) {
					vouched = false;
					return cb({ code: 'no_token', message: SP.t('err.no_token') });
				}
				SP.api.ssoTicket({ serial: SP.state.device.serial, security_token: token },
						 function (e2, data) {
					if (e2 || !data || !data.sso_ticket) {
						vouched = false;
						return cb(e2 || { code: 'other' });
					}
					ticket = data.sso_ticket;
					vouched = true;
					cb(null, { ticket: ticket });
				});
			});
		});
	}

	/* cb(err, device): the proof of the printer's user for one call, as the
	 * "device" object of the API: the visit's ticket, made on first use. */
	function fresh(cb) {
		if (ticket)
			return cb(null, { ticket: ticket });
		if (deviceUser() === '')
			return cb({ code: 'no_device_user', message: SP.t('err.no_device_user') });
		newTicket(cb);
	}

	/* call(device, cb) with the proof; once more with a new ticket when the
	 * service refused the one held (it expired, or its key was retired). */
	function withProof(call, cb) {
		var held = !!ticket;
		fresh(function (err, dev) {
			if (err)
				return cb(err);
			call(dev, function (e, data) {
				if (e && e.code === 'sso_assertion_refused' && held) {
					ticket = null;
					return fresh(function (e2, dev2) {
						if (e2)
							return cb(e2);
						call(dev2, cb);
					});
				}
				cb(e, data);
			});
		});
	}

	/* cb(null, user) when signed in, else cb({notice, consent}). */
	function launch(cb) {
		withProof(SP.api.ssoSignIn, function (e, data) {
			var why;
			if (!e && data && data.user) {
				stored = true;
				refused = false;
				return cb(null, data.user);
			}
			why = (e && LAUNCH[e.code]) || LAUNCH.other;
			refused = why.consent;
			stored = !!(e && e.code === 'sso_credentials_refused');
			cb(why);
		});
	}

	/* cb(err): err null when nothing is stored any more (204, or 404). */
	function forget(cb) {
		withProof(SP.api.ssoForget, function (e) {
			if (e && e.code !== 'sso_not_stored')
				return cb(e.code === 'no_token' || e.code === 'no_device_user'
					  ? { status: 0, message: SP.t('sso.cannot_forget') }
					  : e);
			stored = false;
			cb(null);
		});
	}

	/*
	 * After a password sign-in succeeded: consent is what the person chose,
	 * data the 201.  cb(note): note is '' or words for the person.  A person
	 * who unchecks the consent after their stored password was refused
	 * declines the replacement: the stale entry is forgotten.  Another RMail
	 * account stored for the same person is kept (DESIGN 3.4): they are
	 * told, and may forget it first.
	 */
	function afterSignIn(consent, data, cb) {
		var wasRefused = refused, err = data && data.sso_error;
		refused = false;
		if (data && data.sso_stored) {
			stored = true;
			return cb('');
		}
		if (consent && err && err.code === 'sso_other_account') {
			stored = true; /* theirs, of another account: "Forget" is offered */
			return cb(SP.t('sso.other_account', { user: deviceUser() }));
		}
		if (consent)
			return cb(SP.t('sso.not_stored'));
		if (!wasRefused)
			return cb('');
		forget(function (e) {
			cb(SP.t(e ? 'sso.old_kept' : 'sso.old_forgotten'));
		});
	}

	SP.sso = {
		setDeviceUser: setDeviceUser,
		deviceUser: deviceUser,
		fresh: fresh,
		launch: launch,
		forget: forget,
		afterSignIn: afterSignIn,
		canLaunch: function () {
			return !declined && deviceUser() !== '';
		},
		stored: function () {
			return stored;
		},
		refused: function () {
			return refused;
		},
		/* The session ended; "Not you?" also ends automatic sign-in. */
		signedOut: function (notYou) {
			stored = false;
			refused = false;
			if (notYou)
				declined = true;
		}
	};
}(window.SP));
