/*
 * store.js - what the weblet remembers (localStorage): recent RMail user
 * names, recipients, the last settings, the language chosen on the screen;
 * never a password, token or message.
 * Kept per printer user (the panel's logged-in person, SP.state.deviceUser):
 * never shown to another user or a guest; forget() clears one's own.  A
 * guest keeps nothing unless config.js guestMemory (then one shared memory).
 */
(function (SP) {
	'use strict';

	var PREFIX = 'scanpost.';
	var KEYS = ['usernames', 'recipients', 'registered', 'scan', 'copy_to_me', 'language'];
	var MAX_USERNAMES = 5;
	var MAX_RECIPIENTS = 20;

	function storage() {
		try {
			return window.localStorage || null;
		} catch (e) { /* storage disabled by policy */
			return null;
		}
	}

	/* The printer user's prefix; null: nothing may be kept. */
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

	/* The old shared memory (scanpost.usernames, ...) is nobody's: it goes,
	 * as does a guest memory no longer allowed. */
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
		/* "Send a copy to me" (options.js): true, false, or null (never set). */
		copyToMe: function () {
			var v = read('copy_to_me');
			return v === true || v === false ? v : null;
		},
		rememberCopyToMe: function (on) {
			write('copy_to_me', on === true);
		},
		/* The language chosen on the screen (i18n.js), or null. */
		language: function () {
			var v = read('language');
			return typeof v === 'string' && SP.i18n.LANGS.indexOf(v) >= 0 ? v : null;
		},
		rememberLanguage: function (code) {
			write('language', code);
		},
		/* The current printer user's entries only. */
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
