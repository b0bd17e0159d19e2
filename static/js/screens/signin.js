/*
 * screens/signin.js - step 2: RMail user name and password.  The user name
 * is remembered on this printer after a successful sign-in; the password
 * only ever sits in its field until the request leaves.  When the printer
 * has a logged-in user, a checkbox asks for consent to store the sign-in
 * for single sign-on (DESIGN 3.4); never for a guest.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, $ = ui.$;
	var consent = null; /* the consent checkbox, when offered */

	/* What the person reads for each refusal (DESIGN 3.1 error codes). */
	var MESSAGES = {
		rmail_auth_failed: 'RMail did not accept this user name and password.',
		rmail_unavailable: 'RMail can\'t be reached; try again.',
		invalid_field: 'Enter your user name and password.'
	};

	function error(msg) {
		ui.text($('signin-error'), msg);
	}

	function two(n) {
		return (n < 10 ? '0' : '') + n;
	}

	/* A 429: when to try again, in words and clock time (Retry-After). */
	function tooMany(seconds) {
		var s = seconds > 0 ? seconds : 60;
		var at = new Date(new Date().getTime() + s * 1000), wait;
		var clock = two(at.getHours()) + ':' + two(at.getMinutes());
		if (s < 60) {
			clock += ':' + two(at.getSeconds());
			wait = s === 1 ? '1 second' : s + ' seconds';
		} else {
			wait = Math.ceil(s / 60) === 1 ? 'a minute' : Math.ceil(s / 60) + ' minutes';
		}
		return 'Too many sign-in attempts. For your account\'s safety, please try again ' +
			'in ' + wait + ', at ' + clock + '.';
	}

	function submit() {
		var user = $('signin-user').value.replace(/^\s+|\s+$/g, ''), pass = $('signin-pass');
		var remember = !!(consent && consent.checked);
		if (user === '') {
			error('Enter your RMail user name.');
			$('signin-user').focus();
			return;
		}
		if (pass.value === '') {
			error('Enter your password.');
			pass.focus();
			return;
		}
		error('');
		ui.text($('forget-status'), '');
		SP.app.busy(true);
		ui.text($('step'), 'Signing in…');
		if (remember)
			SP.sso.fresh(function (e, device) {
				send(user, remember, device);
			});
		else
			send(user, false, null);
	}

	/* device: a fresh assertion to store the sign-in under, or null. */
	function send(user, remember, device) {
		var pass = $('signin-pass');
		SP.api.signIn(user, pass.value, remember, device, function (err, data) {
			pass.value = '';
			if (err) {
				SP.app.busy(false);
				if (err.status === 429)
					error(tooMany(err.retryAfter));
				else
					error(MESSAGES[err.code] || (err.status === 502 ? MESSAGES.rmail_unavailable
										 : err.message));
				pass.focus();
				return;
			}
			SP.store.rememberUsername(data.user || user);
			SP.sso.afterSignIn(remember, data, function (note) {
				SP.app.busy(false);
				SP.app.signedIn(data.user || user, note ? function () {
					SP.account.notify(note);
				} : null);
			});
		});
	}

	function renderConsent() {
		var slot = $('signin-sso'), who = SP.sso.deviceUser();
		ui.clear(slot);
		consent = null;
		if (!who)
			return;
		consent = ui.el('input', { type: 'checkbox', id: 'signin-remember',
					   'aria-describedby': 'signin-remember-hint' });
		consent.checked = SP.sso.refused();
		slot.appendChild(ui.el('div', { className: 'field check consent' }, [
			ui.el('label', { 'for': 'signin-remember' }, [consent, ui.el('span', {}, [
				'Remember my RMail sign-in for ' + who + ' on every printer'])]),
			ui.el('p', { className: 'hint', id: 'signin-remember-hint' },
			      ['Kept encrypted by scanpost; you can forget it later.'])
		]));
	}

	function fillRecent() {
		var names = SP.store.usernames(), du = SP.state.deviceUser;
		/* The printer's signed-in user's address is a likely RMail name. */
		if (names.length === 0 && du && du.from && du.username !== 'guest')
			names = [du.from];
		ui.chips($('signin-recent'), names, function (name) {
			$('signin-user').value = name;
			$('signin-pass').focus();
		});
		return names;
	}

	SP.screens = SP.screens || {};
	SP.screens.signin = {
		id: 'screen-signin',
		focusesItself: true,
		init: function () {
			ui.on($('btn-forget'), 'click', function () {
				SP.store.forget();
				$('signin-user').value = '';
				SP.state.registered = SP.settings.defaults(SP.settings.registered);
				SP.state.scan = SP.settings.defaults(SP.settings.scan);
				fillRecent();
				ui.text($('forget-status'), 'Your remembered user names, recipients ' +
					'and settings are gone from this printer.');
			});
		},
		enter: function () {
			var names = fillRecent();
			$('signin-pass').value = '';
			error('');
			renderConsent();
			if ($('signin-user').value === '' && names.length === 1)
				$('signin-user').value = names[0];
			($('signin-user').value ? $('signin-pass') : $('signin-user')).focus();
		},
		notice: function (msg) {
			error(msg);
		},
		footer: function () {
			return { next: { label: 'Sign in', fn: submit } };
		}
	};
}(window.SP));
