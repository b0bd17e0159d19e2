/*
 * screens/compose.js - step 3: To, Cc, Bcc, subject and message.  Addresses
 * are checked as they are typed, with the API's own rules (validate.js), and
 * the wrong one is named under its field.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, $ = ui.$, t = SP.t;
	var LISTS = ['to', 'cc', 'bcc'];
	var target = 'to';   /* the address field a recent recipient goes into */
	var touched = {};    /* fields the person has left once: empty To is named then */

	function typed() {
		return { to: $('compose-to').value, cc: $('compose-cc').value,
			 bcc: $('compose-bcc').value };
	}

	function showErrors(result, all) {
		var i, n, msg, input;
		for (i = 0; i < LISTS.length; i++) {
			n = LISTS[i];
			msg = result.errors[n];
			if (msg && !all && !touched[n] && result.lists[n].length === 0)
				msg = null;
			input = $('compose-' + n);
			ui.text($('compose-' + n + '-error'), msg || '');
			if (msg)
				input.setAttribute('aria-invalid', 'true');
			else
				input.removeAttribute('aria-invalid');
		}
	}

	/* true when subject and message suit the API (one line; body text). */
	function checkText() {
		var s = SP.validate.text($('compose-subject').value, 'line', 0, 255);
		var b = SP.validate.text($('compose-body').value, 'body', 0, 10000);
		ui.text($('compose-subject-error'), s ? t('compose.subject_bad', { why: s }) : '');
		ui.text($('compose-body-error'), b ? t('compose.body_bad', { why: b }) : '');
		return !s && !b;
	}

	function live() {
		showErrors(SP.validate.recipients(typed()), false);
		checkText();
	}

	/* Which field a tapped recent recipient goes into. */
	function recentTitle() {
		ui.text($('compose-recent-title'), t('compose.recent', { field: t('f.' + target) }));
	}

	function addRecipient(addr) {
		var input = $('compose-' + target), list = SP.validate.split(input.value), i;
		for (i = 0; i < list.length; i++)
			if (list[i].toLowerCase() === addr.toLowerCase())
				return;
		input.value = list.concat([addr]).join(', ');
		live();
	}

	function next() {
		var result = SP.validate.recipients(typed()), i;
		showErrors(result, true);
		if (!checkText() || !result.ok) {
			for (i = 0; i < LISTS.length; i++)
				if (result.errors[LISTS[i]]) {
					$('compose-' + LISTS[i]).focus();
					return;
				}
			($('compose-subject-error').textContent ? $('compose-subject')
								 : $('compose-body')).focus();
			return;
		}
		save();
		SP.app.go('registered');
	}

	function save() {
		var d = SP.state.draft;
		d.to = $('compose-to').value;
		d.cc = $('compose-cc').value;
		d.bcc = $('compose-bcc').value;
		d.subject = $('compose-subject').value;
		d.body = $('compose-body').value;
		d.confirmOutside = false; /* asked again for what is now there */
	}

	SP.screens = SP.screens || {};
	SP.screens.compose = {
		id: 'screen-compose',
		focusesItself: true,
		init: function () {
			var i;
			for (i = 0; i < LISTS.length; i++)
				(function (n) {
					var input = $('compose-' + n);
					ui.on(input, 'input', live);
					ui.on(input, 'focus', function () {
						target = n;
						recentTitle();
					});
					ui.on(input, 'blur', function () {
						if (input.value !== '')
							touched[n] = true;
						live();
					});
				}(LISTS[i]));
			ui.on($('compose-subject'), 'input', live);
			ui.on($('compose-body'), 'input', live);
		},
		enter: function () {
			var d = SP.state.draft;
			$('compose-to').value = d.to;
			$('compose-cc').value = d.cc;
			$('compose-bcc').value = SP.policy.bccAllowed() ? d.bcc : '';
			ui.show($('compose-bcc').parentNode, SP.policy.bccAllowed());
			$('compose-subject').value = d.subject;
			$('compose-body').value = d.body;
			touched = {};
			target = 'to';
			recentTitle();
			ui.chips($('compose-recent'), SP.store.recipients(), addRecipient);
			live();
			$('compose-to').focus();
		},
		/* Keeps what was typed when moving between screens, but never past
		 * the end of a session: the next person at the printer starts blank. */
		leave: function () {
			if (SP.state.user)
				save();
		},
		footer: function () {
			return { next: { label: t('btn.next'), fn: next }, step: t('compose.step') };
		}
	};
}(window.SP));
