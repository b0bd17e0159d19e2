/*
 * store.js - what the weblet remembers on this printer (localStorage only):
 * recent user names, recent recipients, the last registered-email and scan
 * settings.  Never a password, a token or a message: those live in memory
 * for one visit at most.  forget() removes every key this file writes.
 */
(function (SP) {
	'use strict';

	var PREFIX = 'scanpost.';
	var KEYS = ['usernames', 'recipients', 'registered', 'scan', 'copy_to_me'];
	var MAX_USERNAMES = 5;
	var MAX_RECIPIENTS = 20;

	function storage() {
		try {
			return window.localStorage || null;
		} catch (e) { /* storage disabled by policy */
			return null;
		}
	}

	function read(key) {
		var s = storage(), v;
		if (!s)
			return null;
		try {
			v = s.getItem(PREFIX + key);
			return v === null ? null : JSON.parse(v);
		} catch (e) {
			return null;
		}
	}

	function write(key, value) {
		var s = storage();
		if (!s)
			return;
		try {
			s.setItem(PREFIX + key, JSON.stringify(value));
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
		forget: function () {
			var s = storage(), i;
			if (!s)
				return;
			for (i = 0; i < KEYS.length; i++) {
				try {
					s.removeItem(PREFIX + KEYS[i]);
				} catch (e) {
				}
			}
		}
	};
}(window.SP));
