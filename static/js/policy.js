/*
 * policy.js - the administrator's policy as GET /api/v1/policy tells it
 * (README, Admin policy): what the screens lock, hide, preset and ask.  The
 * server enforces every rule itself; this only keeps the screens from
 * offering what it would refuse.
 */
(function (SP) {
	'use strict';

	var NONE = { locked: {}, defaults: {}, hidden: {}, allowed_domains: [],
		     outside_domains: 'refuse', max_recipients: 50, bcc_allowed: true,
		     copy_to_me: 'allowed' };
	var p = NONE;

	function own(o, k) {
		return !!o && Object.prototype.hasOwnProperty.call(o, k);
	}

	/* The locked value of group.key (group 'registered' or 'scan'), or
	 * undefined. */
	function locked(group, key) {
		var g = p.locked[group];
		return own(g, key) ? g[key] : undefined;
	}

	function hidden(group, key) {
		var list = p.hidden[group] || [], i;
		for (i = 0; i < list.length; i++)
			if (list[i] === key)
				return true;
		return false;
	}

	/* Locks over values; defaults where the person has no value of their
	 * own (remembered: what store.js kept). */
	function settle(group, values, remembered) {
		var d = p.defaults[group] || {}, l = p.locked[group] || {}, k;
		for (k in d)
			if (own(d, k) && !own(remembered, k))
				values[k] = d[k];
		for (k in l)
			if (own(l, k))
				values[k] = l[k];
		return values;
	}

	/* Addresses (of the lists given) outside the allowed domains. */
	function outside(addresses) {
		var out = [], i, j, dom, ok;
		if (!p.allowed_domains.length)
			return out;
		for (i = 0; i < addresses.length; i++) {
			dom = addresses[i].substring(addresses[i].lastIndexOf('@') + 1).toLowerCase();
			for (ok = false, j = 0; j < p.allowed_domains.length; j++)
				ok = ok || dom === p.allowed_domains[j];
			if (!ok)
				out.push(addresses[i]);
		}
		return out;
	}

	SP.policy = {
		/* Asks the service once per sign-in; without an answer the screens
		 * show no policy (the service still enforces it). */
		load: function (cb) {
			SP.api.getPolicy(function (err, data) {
				p = !err && data && data.locked ? data : NONE;
				SP.state.registered = settle('registered', SP.state.registered,
							     SP.store.registered());
				SP.state.scan = settle('scan', SP.state.scan, SP.store.scan());
				cb();
			});
		},
		locked: locked,
		hidden: hidden,
		outside: outside,
		ask: function () { return p.outside_domains === 'ask'; },
		domains: function () { return p.allowed_domains.join(', '); },
		maxRecipients: function () { return p.max_recipients; },
		bccAllowed: function () { return p.bcc_allowed !== false; },
		/* 'off', 'allowed' or 'forced' */
		copyToMe: function () { return p.copy_to_me; },
		/* The job body's settings object without hidden fields: the
		 * service gives them their policy value (a lock, a default, or
		 * jobspec's). */
		strip: function (group, obj) {
			var k;
			for (k in obj)
				if (own(obj, k) && hidden(group, k))
					delete obj[k];
			return obj;
		}
	};
}(window.SP));
