/*
 * screens/signin.js - step 2: RMail user name and password.  The user name
 * is remembered on this printer after a successful sign-in; the password
 * only ever sits in its field until the request leaves.  When the printer
 * has a logged-in user, a checkbox asks for consent to store the sign-in
 * for single sign-on (DESIGN 3.4); never for a guest.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, $ = ui.$, t = SP.t;
	var consent = null; /* the consent checkbox, when offered */

	/* What the person reads for a refusal (DESIGN 3.1 error codes) when
	 * the service's own words do not fit the sign-in screen. */
	var MESSAGES = {
		rmail_auth_failed: 'err.rmail_auth_failed',
		rmail_unavailable: 'err.rmail_unavailable',
		invalid_field: 'signin.need_both'
	};

	function error(msg) {
		ui.text($('signin-error'), msg);
	}

	/* A 429: when to try again, in words and clock time (Retry-After). */
	function tooMany(seconds) {
		var s = seconds > 0 ? seconds : 60;
		var at = new Date(new Date().getTime() + s * 1000);
		return t('signin.too_many', {
			wait: s < 60 ? SP.tn('wait.seconds', s) : SP.tn('wait.minutes', Math.ceil(s / 60)),
			clock: SP.i18n.dateTime(at, true, s < 60)
		});
	}

	function submit() {
		var user = $('signin-user').value.replace(/^\s+|\s+$/g, ''), pass = $('signin-pass');
		var remember = !!(consent && consent.checked);
		if (user === '') {
			error(t('signin.need_user'));
			$('signin-user').focus();
			return;
		}
		if (pass.value === '') {
			error(t('signin.need_pass'));
			pass.focus();
			return;
		}
		error('');
		ui.text($('forget-status'), '');
		SP.app.busy(true);
		ui.text($('step'), t('signin.busy'));
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
			var why = err && (MESSAGES[err.code] ||
					  (err.status === 502 ? MESSAGES.rmail_unavailable : null));
			pass.value = '';
			if (err) {
				SP.app.busy(false);
				if (err.status === 429)
					error(tooMany(err.retryAfter));
				else
					error(why ? t(why) : SP.i18n.error(err));
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

	/* checked: keep the box as it was (a change of language). */
	function renderConsent(checked) {
		var slot = $('signin-sso'), who = SP.sso.deviceUser();
		ui.clear(slot);
		consent = null;
		if (!who)
			return;
		consent = ui.el('input', { type: 'checkbox', id: 'signin-remember',
					   'aria-describedby': 'signin-remember-hint' });
		consent.checked = checked === undefined ? SP.sso.refused() : checked;
		slot.appendChild(ui.el('div', { className: 'field check consent' }, [
			ui.el('label', { 'for': 'signin-remember' }, [consent, ui.el('span', {}, [
				t('signin.remember', { user: who })])]),
			ui.el('p', { className: 'hint', id: 'signin-remember-hint' },
			      [t('signin.remember_hint')])
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
				ui.text($('forget-status'), t('signin.forgotten'));
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
		/* Another language: what was typed stays; a message goes. */
		relabel: function () {
			renderConsent(consent ? consent.checked : undefined);
			error('');
			ui.text($('forget-status'), '');
		},
		notice: function (msg) {
			error(msg);
		},
		footer: function () {
			return { next: { label: t('signin.button'), fn: submit } };
		}
	};
}(window.SP));
