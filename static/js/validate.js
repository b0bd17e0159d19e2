/*
 * validate.js - the checks the API makes (src/lib/jobspec.c), made as the person
 * types so a wrong address is named before anything is sent.
 */
(function (SP) {
	'use strict';

	var MAX_RECIPIENTS = 50; /* to, cc and bcc together (JOBSPEC_MAX_RECIPIENTS) */
	var ATEXT = /^[A-Za-z0-9!#$%&'*+\-\/=?\^_`{|}~]$/; /* RFC 5322 3.2.3 */
	var LDH = /^[A-Za-z0-9\-]$/;
	var t = SP.t;

	function localPart(s) {
		var i;
		if (s.length === 0)
			return t('v.no_local');
		if (s.length > 64) /* RFC 5321 4.5.3.1.1 */
			return t('v.local_long');
		if (s.charAt(0) === '.' || s.charAt(s.length - 1) === '.')
			return t('v.local_dot');
		for (i = 0; i < s.length; i++) {
			if (s.charAt(i) === '.') {
				if (s.charAt(i + 1) === '.')
					return t('v.local_dots');
			} else if (!ATEXT.test(s.charAt(i))) {
				return t('v.local_char');
			}
		}
		return null;
	}

	/* RFC 1035 2.3.1 LDH labels, at least two of them. */
	function domain(s) {
		var labels, i, j, l;
		if (s.length === 0)
			return t('v.no_domain');
		if (s.length > 255) /* RFC 5321 4.5.3.1.2 */
			return t('v.domain_long');
		labels = s.split('.');
		for (i = 0; i < labels.length; i++) {
			l = labels[i];
			if (l.length === 0)
				return t('v.domain_empty');
			if (l.length > 63)
				return t('v.label_long');
			for (j = 0; j < l.length; j++)
				if (!LDH.test(l.charAt(j)))
					return t('v.domain_char');
			if (l.charAt(0) === '-' || l.charAt(l.length - 1) === '-')
				return t('v.domain_dash');
		}
		if (labels.length < 2)
			return t('v.domain_nodot');
		return null;
	}

	/* null when addr is a valid address, else why not. */
	function address(addr) {
		var at;
		if (addr.length > 254) /* RFC 5321 4.5.3.1.3 */
			return t('v.addr_long');
		at = addr.indexOf('@');
		if (at < 0)
			return t('v.no_at');
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
					out.errors[names[n]] = t('v.addr_bad', { addr: list[i], why: why });
				else if (seen[key])
					out.errors[names[n]] = t('v.dup', { addr: list[i],
									   field: t('f.' + seen[key]) });
				seen[key] = seen[key] || names[n];
			}
			total += list.length;
			/* The administrator's rules (policy.js); the service applies them too. */
			out1 = pol && !pol.ask() ? pol.outside(list) : [];
			if (!out.errors[names[n]] && out1.length)
				out.errors[names[n]] = t('v.outside', { addr: out1[0],
									   domains: pol.domains() });
			if (!out.errors[names[n]] && names[n] === 'bcc' && list.length &&
			    pol && !pol.bccAllowed())
				out.errors.bcc = t('v.no_bcc');
		}
		if (!out.errors.to && out.lists.to.length === 0)
			out.errors.to = t('v.no_to');
		if (!out.errors.to && total > max)
			out.errors.to = t('v.too_many', { n: max });
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
			return t('v.empty');
		if (max && s.length > max)
			return t('v.too_long', { n: max });
		if (bad.test(s))
			return t(cls === 'ascii' ? 'v.ascii' : 'v.char');
		return null;
	}

	SP.validate = { address: address, split: split, recipients: recipients, text: text };
}(window.SP));
