/*
 * sso.js - single sign-on on the weblet's side (DESIGN 3.4): who the
 * printer vouches for, signing in with stored credentials at launch,
 * storing them with consent, forgetting them.
 *
 * The printer's assertion is single-use and valid for 60 seconds, so every
 * call that carries one asks the printer for a new one first (fresh()); it
 * lives in a local variable for that one request and is never stored, nor
 * is any password.  What this module remembers is only for this visit, in
 * memory: whether the open session's credentials are stored, whether the
 * stored ones were refused at launch, and whether the person said "Not
 * you?".
 */
(function (SP) {
	'use strict';

	var stored = false;   /* the credentials of the open session are in the vault */
	var refused = false;  /* RMail refused the stored password at launch */
	var declined = false; /* "Not you?": no automatic sign-in again this visit */

	/* What a launch that did not sign in means on the sign-in screen: the
	 * notice shown and whether the consent starts checked (the stored entry
	 * is replaced, or forgotten if the person unchecks it). */
	var LAUNCH = {
		sso_not_stored: { notice: '', consent: false },
		sso_credentials_refused: { notice: 'Your RMail password has changed. Sign in again.',
					   consent: true },
		sso_assertion_refused: { notice: 'The printer could not confirm who you are. ' +
						 'Sign in with your password.', consent: false },
		other: { notice: 'Automatic sign-in is not available right now. ' +
				 'Sign in with your password.', consent: false }
	};

	/* Keeps what the printer said about its user, without the assertion. */
	function setDeviceUser(s) {
		SP.state.deviceUser = { username: s.username, from: s.from, vouches: !!s.assertion };
	}

	/* The printer's logged-in user, when the printer can vouch for them; ''
	 * for a guest or a printer without an SSO key. */
	function deviceUser() {
		var du = SP.state.deviceUser, dev = SP.state.device;
		if (!du || !du.vouches || !du.username || du.username === 'guest' ||
		    !dev || !dev.serial)
			return '';
		return du.username;
	}

	/* cb(err, {assertion, signature, serial}): a new assertion, for one call. */
	function fresh(cb) {
		SP.device.session(function (err, s) {
			var serial = SP.state.device ? SP.state.device.serial : '';
			if (err)
				return cb(err, null);
			setDeviceUser(s);
			if (!s.assertion || !s.signature || !serial)
				return cb({ code: 'no_assertion',
					    message: 'The printer did not confirm who is logged in.' }, null);
			cb(null, { assertion: s.assertion, signature: s.signature, serial: serial });
		});
	}

	/* cb(null, user) when signed in, else cb({notice, consent}). */
	function launch(cb) {
		fresh(function (err, dev) {
			if (err)
				return cb(LAUNCH.other);
			SP.api.ssoSignIn(dev, function (e, data) {
				var why;
				if (!e && data && data.user) {
					stored = true;
					refused = false;
					return cb(null, data.user);
				}
				why = (e && LAUNCH[e.code]) || LAUNCH.other;
				refused = why.consent;
				cb(why);
			});
		});
	}

	/* cb(err): err null when nothing is stored any more (204, or 404). */
	function forget(cb) {
		fresh(function (err, dev) {
			if (err)
				return cb({ status: 0, message: 'The printer could not confirm who you ' +
							'are, so nothing was forgotten. Try again.' });
			SP.api.ssoForget(dev, function (e) {
				if (e && e.code !== 'sso_not_stored')
					return cb(e);
				stored = false;
				cb(null);
			});
		});
	}

	/*
	 * After a password sign-in succeeded: consent is what the person chose,
	 * data the 201.  cb(note): note is '' or words for the person.  A person
	 * who unchecks the consent after their stored password was refused
	 * declines the replacement: the stale entry is forgotten.
	 */
	function afterSignIn(consent, data, cb) {
		var wasRefused = refused;
		refused = false;
		stored = !!(data && data.sso_stored);
		if (stored || (!consent && !wasRefused))
			return cb('');
		if (consent)
			return cb('Your sign-in could not be stored, so next time you will ' +
				  'type your password again.');
		stored = true;
		forget(function (err) {
			cb(err ? 'Your old stored sign-in could not be forgotten: ' +
			   'use "Forget my stored sign-in" to try again.'
			       : 'Your old stored sign-in is forgotten.');
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
