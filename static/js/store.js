/*
 * store.js - what the weblet remembers on this printer (localStorage only),
 * for one person at a time: recent RMail user names, recent recipients, the
 * last registered-email and scan settings.  Never a password, a token or a
 * message: those live in memory for one visit at most.
 *
 * A shared printer is used by many people, so the memory is kept per
 * printer user: the person logged in at the printer's own panel (its
 * session, GetSessionInformation: SP.state.deviceUser), whose name keys
 * every entry.  What one person's visits left is never shown to another
 * printer user or to a guest, and forget() clears the current person's
 * entries only.  A guest printer (nobody logged in) remembers nothing
 * between visits unless the administrator allows it (SP.config.guestMemory,
 * config.js); then all guests share one memory, as anyone at that printer
 * could see it.
 */
(function (SP) {
	'use strict';

	var PREFIX = 'scanpost.';
	var KEYS = ['usernames', 'recipients', 'registered', 'scan'];
	var MAX_USERNAMES = 5;
	var MAX_RECIPIENTS = 20;

	function storage() {
		try {
			return window.localStorage || null;
		} catch (e) { /* storage disabled by policy */
			return null;
		}
	}

	/* The printer user's own prefix; null when nothing may be kept (a
	 * guest, unless config.js allows a shared guest memory). */
	function scope() {
		var du = SP.state && SP.state.deviceUser, name = du && du.username;
		if (name && String(name).toLowerCase() !== 'guest')
			return PREFIX + 'user.' + encodeURIComponent(String(name).toLowerCase()) + '.';
		return SP.config && SP.config.guestMemory === true ? PREFIX + 'guest.' : null;
	}

	function read(key) {
		var s = storage(), p = scope(), v;
		if (!s || !p)
			return null;
		try {
			v = s.getItem(p + key);
			return v === null ? null : JSON.parse(v);
		} catch (e) {
			return null;
		}
	}

	function write(key, value) {
		var s = storage(), p = scope();
		if (!s || !p)
			return;
		try {
			s.setItem(p + key, JSON.stringify(value));
		} catch (e) { /* full or refused: remembering is a convenience */
		}
	}

	function strings(v) {
		var out = [], i;
		if (!(v instanceof Array))
			return out;
		for (i = 0; i < v.length; i++)
			if (typeof v[i] === 'string' && v[i] !== '')
				out.push(v[i]);
		return out;
	}

	/* New values first, case-insensitive duplicates dropped, at most max. */
	function merge(fresh, old, max) {
		var all = fresh.concat(old), seen = {}, out = [], i, k;
		for (i = 0; i < all.length && out.length < max; i++) {
			k = all[i].toLowerCase();
			if (!seen[k]) {
				seen[k] = true;
				out.push(all[i]);
			}
		}
		return out;
	}

	function object(v) {
		return v && typeof v === 'object' && !(v instanceof Array) ? v : null;
	}

	/* Earlier versions kept one memory for everyone at the printer
	 * (scanpost.usernames, ...): it belongs to nobody we know, so it goes,
	 * and so does a guest memory the administrator no longer allows. */
	(function dropShared() {
		var s = storage(), i;
		if (!s)
			return;
		for (i = 0; i < KEYS.length; i++) {
			try {
				s.removeItem(PREFIX + KEYS[i]);
				if (!(SP.config && SP.config.guestMemory === true))
					s.removeItem(PREFIX + 'guest.' + KEYS[i]);
			} catch (e) {
			}
		}
	}());

	SP.store = {
		/* Whether anything is remembered for whoever is at the printer. */
		remembers: function () {
			return scope() !== null;
		},
		usernames: function () {
			return strings(read('usernames')).slice(0, MAX_USERNAMES);
		},
		rememberUsername: function (name) {
			write('usernames', merge([name], this.usernames(), MAX_USERNAMES));
		},
		recipients: function () {
			return strings(read('recipients')).slice(0, MAX_RECIPIENTS);
		},
		/* list: the addresses of the last message (To, Cc, Bcc in order). */
		rememberRecipients: function (list) {
			write('recipients', merge(strings(list), this.recipients(), MAX_RECIPIENTS));
		},
		registered: function () {
			return object(read('registered'));
		},
		scan: function () {
			return object(read('scan'));
		},
		rememberSettings: function (registered, scan) {
			write('registered', registered);
			write('scan', scan);
		},
		/* Removes what is kept for the current printer user (or the shared
		 * guest memory): nobody else's. */
		forget: function () {
			var s = storage(), p = scope(), i;
			if (!s || !p)
				return;
			for (i = 0; i < KEYS.length; i++) {
				try {
					s.removeItem(p + KEYS[i]);
				} catch (e) {
				}
			}
		}
	};
}(window.SP));
