/*
 * validate.js - the checks the API makes (src/lib/jobspec.c), made as the person
 * types so a wrong address is named before anything is sent.
 */
(function (SP) {
	'use strict';

	var MAX_RECIPIENTS = 50; /* to, cc and bcc together (JOBSPEC_MAX_RECIPIENTS) */
	var ATEXT = /^[A-Za-z0-9!#$%&'*+\-\/=?\^_`{|}~]$/; /* RFC 5322 3.2.3 */
	var LDH = /^[A-Za-z0-9\-]$/;

	function localPart(s) {
		var i;
		if (s.length === 0)
			return 'has no local part before "@"';
		if (s.length > 64) /* RFC 5321 4.5.3.1.1 */
			return 'has a local part longer than 64 characters';
		if (s.charAt(0) === '.' || s.charAt(s.length - 1) === '.')
			return 'has a local part that starts or ends with "."';
		for (i = 0; i < s.length; i++) {
			if (s.charAt(i) === '.') {
				if (s.charAt(i + 1) === '.')
					return 'has ".." in its local part';
			} else if (!ATEXT.test(s.charAt(i))) {
				return 'has a character not allowed before "@"';
			}
		}
		return null;
	}

	/* RFC 1035 2.3.1 LDH labels, at least two of them. */
	function domain(s) {
		var labels, i, j, l;
		if (s.length === 0)
			return 'has no domain after "@"';
		if (s.length > 255) /* RFC 5321 4.5.3.1.2 */
			return 'has a domain longer than 255 characters';
		labels = s.split('.');
		for (i = 0; i < labels.length; i++) {
			l = labels[i];
			if (l.length === 0)
				return 'has an empty part in its domain';
			if (l.length > 63)
				return 'has a domain label longer than 63 characters';
			for (j = 0; j < l.length; j++)
				if (!LDH.test(l.charAt(j)))
					return 'has a character not allowed in a domain';
			if (l.charAt(0) === '-' || l.charAt(l.length - 1) === '-')
				return 'has a domain part that starts or ends with "-"';
		}
		if (labels.length < 2)
			return 'has a domain without a dot';
		return null;
	}

	/* null when addr is a valid address, else why not. */
	function address(addr) {
		var at;
		if (addr.length > 254) /* RFC 5321 4.5.3.1.3 */
			return 'is longer than 254 characters';
		at = addr.indexOf('@');
		if (at < 0)
			return 'has no "@"';
		return localPart(addr.substring(0, at)) || domain(addr.substring(at + 1));
	}

	/* Splits what was typed into addresses (commas, semicolons, spaces). */
	function split(text) {
		var parts = String(text).split(/[\s,;]+/), out = [], i;
		for (i = 0; i < parts.length; i++)
			if (parts[i] !== '')
				out.push(parts[i]);
		return out;
	}

	/*
	 * Checks the three lists ({to, cc, bcc}: strings as typed).  Returns
	 * {lists: {to: [...], ...}, errors: {to: 'message' or null, ...}, ok}.
	 * Each error names the wrong address, as the API would.
	 */
	function recipients(typed) {
		var names = ['to', 'cc', 'bcc'], seen = {}, total = 0, pol = SP.policy;
		var max = pol ? pol.maxRecipients() : MAX_RECIPIENTS, out1;
		var out = { lists: {}, errors: {}, ok: true };
		var n, i, list, why, key;
		for (n = 0; n < names.length; n++) {
			list = split(typed[names[n]] || '');
			out.lists[names[n]] = list;
			out.errors[names[n]] = null;
			for (i = 0; i < list.length && !out.errors[names[n]]; i++) {
				why = address(list[i]);
				key = list[i].toLowerCase();
				if (why)
					out.errors[names[n]] = '"' + list[i] + '" ' + why + '.';
				else if (seen[key])
					out.errors[names[n]] = '"' + list[i] + '" is already in ' +
						seen[key] + '.';
				seen[key] = seen[key] || names[n].charAt(0).toUpperCase() +
					names[n].substring(1);
			}
			total += list.length;
			/* The administrator's rules (policy.js); the service applies them too. */
			out1 = pol && !pol.ask() ? pol.outside(list) : [];
			if (!out.errors[names[n]] && out1.length)
				out.errors[names[n]] = '"' + out1[0] + '" is outside the domains your ' +
					'administrator allows (' + pol.domains() + ').';
			if (!out.errors[names[n]] && names[n] === 'bcc' && list.length &&
			    pol && !pol.bccAllowed())
				out.errors.bcc = 'Your administrator does not allow Bcc.';
		}
		if (!out.errors.to && out.lists.to.length === 0)
			out.errors.to = 'Add at least one recipient.';
		if (!out.errors.to && total > max)
			out.errors.to = 'At most ' + max + ' recipients in all.';
		for (n = 0; n < names.length; n++)
			if (out.errors[names[n]])
				out.ok = false;
		return out;
	}

	/* null when s suits the API's text class ('line', 'lines', 'body',
	 * 'ascii') within [min, max] characters, else why not. */
	function text(s, cls, min, max) {
		var bad;
		if (cls === 'ascii')
			bad = /[^\x20-\x7e]/;
		else if (cls === 'lines')
			bad = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
		else if (cls === 'body')
			bad = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/;
		else
			bad = /[\x00-\x1f\x7f-\x9f]/;
		if (min && s.length < min)
			return 'must not be empty';
		if (max && s.length > max)
			return 'is longer than ' + max + ' characters';
		if (bad.test(s))
			return cls === 'ascii' ? 'may use plain letters, digits and punctuation only'
				: 'has a character that is not allowed';
		return null;
	}

	SP.validate = { address: address, split: split, recipients: recipients, text: text };
}(window.SP));
