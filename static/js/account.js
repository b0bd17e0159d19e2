/*
 * account.js - the header's account actions: "Not you?" (sign out, then
 * the manual sign-in, with no automatic sign-in again this visit), "Forget
 * my stored sign-in" (DESIGN 3.4), and the small panel under the header
 * that asks before forgetting and says in words what happened.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, $ = ui.$, t = SP.t;
	var opener = null;

	function isOpen() {
		return !$('account-panel').hasAttribute('hidden');
	}

	/* refocus: give the focus back to the button that opened the panel. */
	function close(refocus) {
		var back = opener;
		opener = null;
		if (!isOpen())
			return;
		ui.show($('account-panel'), false);
		ui.clear($('account-choices'));
		if (refocus !== false && back && !back.hasAttribute('hidden'))
			back.focus();
	}

	/* text, then buttons: choices is [[label, fn, primary], ...]. */
	function panel(text, choices, from) {
		var box = $('account-choices'), i, b;
		ui.text($('account-text'), text);
		ui.clear(box);
		for (i = 0; i < choices.length; i++) {
			b = ui.el('button', { type: 'button', className: choices[i][2] ? 'primary' : '' },
				  [choices[i][0]]);
			ui.on(b, 'click', choices[i][1]);
			box.appendChild(b);
		}
		opener = from || null;
		ui.show($('account-panel'), true);
		box.firstChild.focus();
	}

	function notify(text, from) {
		panel(text, [[t('btn.ok'), close]], from);
	}

	function notYou() {
		close(false);
		SP.screens.progress.stop();
		SP.sso.signedOut(true);
		SP.app.signOut(function () {
			SP.app.go('signin');
		});
	}

	function forgetNow() {
		var buttons = $('account-choices').getElementsByTagName('button'), i;
		for (i = 0; i < buttons.length; i++)
			buttons[i].disabled = true;
		ui.text($('account-text'), t('acct.forgetting'));
		SP.sso.forget(function (err) {
			if (err && err.status === 401) {
				close(false);
				return SP.app.sessionLost();
			}
			SP.app.refreshHeader();
			notify(err ? t('acct.not_forgotten', { why: SP.i18n.error(err) })
				   : t('acct.forgotten'), $('btn-notyou'));
		});
	}

	function askForget() {
		panel(t('acct.ask_forget', { user: SP.sso.deviceUser() }),
		      [[t('acct.forget'), forgetNow, true], [t('acct.keep'), close]],
		      $('btn-sso-forget'));
	}

	SP.account = {
		init: function () {
			ui.on($('btn-notyou'), 'click', notYou);
			ui.on($('btn-sso-forget'), 'click', askForget);
			ui.on(document, 'keydown', function (e) {
				if (e.keyCode === 27 && isOpen())
					close();
			});
		},
		notify: notify,
		close: close
	};
}(window.SP));
