/*
 * app.js - the wiring: which screen shows, the header and footer bars, and
 * step 1 of the workflow (DESIGN 2): ask the printer who and what it is,
 * and the scanpost service whether a session is open.
 *
 * Each screen (js/screens/) registers SP.screens[name] = {id, init(),
 * enter(), footer()}; footer() returns {back, next, step} where back and
 * next are {label, fn} or null.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, $ = ui.$;
	var current = null, busy = false, footer = {};

	SP.state = {
		user: null,          /* RMail user name of the open session */
		device: null,        /* {name, model, serial, width, height} */
		deviceUser: null,    /* {username, from} of the printer's own session */
		draft: { to: '', cc: '', bcc: '', subject: '', body: '' },
		registered: SP.settings.cleanAll(SP.settings.registered, SP.store.registered()),
		scan: SP.settings.cleanAll(SP.settings.scan, SP.store.scan())
	};

	function renderFooter() {
		var back = $('btn-back'), next = $('btn-next');
		footer = current && SP.screens[current].footer ? SP.screens[current].footer() : {};
		ui.show(back, !!footer.back);
		ui.show(next, !!footer.next);
		ui.text(back, footer.back ? footer.back.label : '');
		ui.text(next, footer.next ? footer.next.label : '');
		ui.text($('step'), footer.step || '');
		back.disabled = busy;
		next.disabled = busy;
	}

	function renderHeader() {
		var signedIn = !!SP.state.user;
		ui.text($('who'), signedIn ? '· ' + SP.state.user : '');
		ui.show($('btn-jobs'), signedIn && current !== 'jobs');
		ui.show($('btn-signout'), signedIn);
	}

	function go(name) {
		var screens = SP.screens, k, s;
		var previous = current;
		if (previous && screens[previous].leave)
			screens[previous].leave();
		for (k in screens)
			if (screens.hasOwnProperty(k))
				ui.show($(screens[k].id), k === name);
		current = name;
		busy = false;
		s = screens[name];
		if (s.enter)
			s.enter(previous);
		renderHeader();
		renderFooter();
		$('main').scrollTop = 0;
		if (!s.focusesItself) {
			var h = $(s.id).getElementsByTagName('h1')[0];
			if (h)
				h.focus();
		}
	}

	function setBusy(on) {
		busy = on;
		renderFooter();
	}

	function signedIn(user) {
		SP.state.user = user;
		go('compose');
	}

	/* A 401 from any call: the session ended (idle timeout, sign-out elsewhere). */
	function sessionLost() {
		SP.state.user = null;
		SP.state.draft = { to: '', cc: '', bcc: '', subject: '', body: '' };
		SP.api.forgetSession();
		go('signin');
		SP.screens.signin.notice('Your session has ended. Please sign in again.');
	}

	/* The canvas of the printer's screen (800x480 or 1024x600) picks the
	 * type scale; a desktop browser falls back to the window's width. */
	function adaptCanvas(width) {
		var w = width || window.innerWidth || 800;
		ui.setClass(document.body, 'canvas-1024', w >= 1000);
		ui.setClass(document.body, 'canvas-800', w < 1000);
	}

	function startUp() {
		adaptCanvas(0);
		go('start');
		SP.device.information(function (err, info) {
			if (err) {
				ui.text($('device-name'), 'Printer services unavailable');
				return;
			}
			SP.state.device = info;
			ui.text($('device-name'), info.name || info.model || 'Printer');
			adaptCanvas(info.width);
		});
		SP.device.session(function (err, s) {
			if (!err)
				SP.state.deviceUser = s;
		});
		resume();
	}

	function resume() {
		ui.text($('start-status'), 'Connecting to the scanpost service…');
		SP.api.getSession(function (err, data) {
			if (!err && data && data.user) {
				signedIn(data.user);
			} else if (err && err.status === 401) {
				go('signin');
			} else {
				ui.text($('start-status'), err ? err.message
					: 'The scanpost service gave an unexpected answer.');
				SP.screens.start.retry = true;
				renderFooter();
			}
		});
	}

	function signOut(then) {
		setBusy(true);
		SP.api.signOut(function () {
			SP.state.user = null;
			SP.state.draft = { to: '', cc: '', bcc: '', subject: '', body: '' };
			then();
		});
	}

	function exitApp() {
		function leave() {
			SP.device.exitApplication(function () {
				go('start');
				ui.text($('start-title'), 'Goodbye');
				ui.text($('start-status'), 'scanpost has closed. You can use the printer.');
			});
		}
		if (SP.state.user)
			signOut(leave);
		else
			leave();
	}

	SP.screens = SP.screens || {};
	SP.screens.start = {
		id: 'screen-start',
		footer: function () {
			return SP.screens.start.retry ? { next: { label: 'Try again', fn: function () {
				SP.screens.start.retry = false;
				renderFooter();
				resume();
			} } } : {};
		}
	};

	SP.app = {
		go: go, busy: setBusy, refreshFooter: renderFooter, signedIn: signedIn,
		sessionLost: sessionLost,
		current: function () { return current; }
	};

	ui.on($('btn-back'), 'click', function () {
		if (!busy && footer.back)
			footer.back.fn();
	});
	ui.on($('btn-next'), 'click', function () {
		if (!busy && footer.next)
			footer.next.fn();
	});
	/* Enter in a one-line field does what the main button does. */
	ui.on(document, 'keydown', function (e) {
		var t = e.target;
		if ((e.keyCode === 13) && t && t.tagName === 'INPUT' &&
		    t.type !== 'checkbox' && t.type !== 'radio' && footer.next && !busy) {
			e.preventDefault();
			footer.next.fn();
		}
	});
	ui.on($('btn-jobs'), 'click', function () { go('jobs'); });
	ui.on($('btn-signout'), 'click', function () {
		SP.screens.progress.stop();
		signOut(function () { go('signin'); });
	});
	ui.on($('btn-exit'), 'click', function () {
		SP.screens.progress.stop();
		exitApp();
	});

	(function init() {
		var k;
		for (k in SP.screens)
			if (SP.screens.hasOwnProperty(k) && SP.screens[k].init)
				SP.screens[k].init();
		startUp();
	}());
}(window.SP));
