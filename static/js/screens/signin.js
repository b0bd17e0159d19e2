/*
 * screens/signin.js - step 2: RMail user name and password.  The user name
 * is remembered on this printer after a successful sign-in; the password
 * only ever sits in its field until the request leaves.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, $ = ui.$;

	/* What the person reads for each refusal (DESIGN 3.1 error codes). */
	var MESSAGES = {
		rmail_auth_failed: 'RMail did not accept this user name and password.',
		rmail_unavailable: 'RMail can\'t be reached; try again.',
		rate_limited: 'Too many attempts. Wait a minute, then try again.',
		invalid_field: 'Enter your user name and password.'
	};

	function error(msg) {
		ui.text($('signin-error'), msg);
	}

	function submit() {
		var user = $('signin-user').value.replace(/^\s+|\s+$/g, ''), pass = $('signin-pass');
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
		SP.api.signIn(user, pass.value, function (err, data) {
			pass.value = '';
			SP.app.busy(false);
			if (err) {
				error(MESSAGES[err.code] || (err.status === 502 ? MESSAGES.rmail_unavailable
									 : err.message));
				pass.focus();
				return;
			}
			SP.store.rememberUsername(data.user || user);
			SP.app.signedIn(data.user || user);
		});
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
				ui.text($('forget-status'), 'Remembered user names, recipients and ' +
					'settings are gone from this printer.');
			});
		},
		enter: function () {
			var names = fillRecent();
			$('signin-pass').value = '';
			error('');
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
