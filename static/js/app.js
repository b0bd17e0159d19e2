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

	var ui = SP.ui, $ = ui.$, t = SP.t;
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

	/*
	 * The header's "user · printer" line fits whatever fonts the browser
	 * has: the printer's name is cut short (or left out) first; an address
	 * too long even alone wraps onto a second line.  Measured, because the
	 * widths depend on the fonts.
	 */
	function fitHeader() {
		var where = $('where'), dev = $('device-name'), room;
		ui.setClass(where, 'wrap', false);
		dev.style.maxWidth = '';
		if (where.scrollWidth <= where.clientWidth)
			return;
		room = where.clientWidth - $('who').offsetWidth - 8;
		if (room >= 60 || !SP.state.user)
			dev.style.maxWidth = Math.max(room, 0) + 'px';
		else
			ui.setClass(where, 'wrap', true);
	}

	/* "Not you?" stands for "Sign out" where single sign-on is at play: it
	 * also keeps the printer's user from being signed in again this visit. */
	function renderHeader() {
		var signedIn = !!SP.state.user;
		var sso = SP.sso.stored() || SP.sso.deviceUser() !== '';
		ui.text($('who'), signedIn ? SP.state.user : '');
		$('who').title = signedIn ? t('top.who', { user: SP.state.user }) : '';
		ui.setClass(document.body, 'signed-in', signedIn);
		ui.setClass(document.body, 'sso-stored', signedIn && SP.sso.stored());
		ui.show($('btn-jobs'), signedIn && current !== 'jobs');
		ui.show($('btn-sso-forget'), signedIn && SP.sso.stored());
		ui.show($('btn-notyou'), signedIn && sso);
		ui.show($('btn-signout'), signedIn && !sso);
		fitHeader();
	}

	function go(name) {
		var screens = SP.screens, k, s;
		var previous = current;
		SP.account.close(false);
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

	/* #diagnostics: the field diagnostics screen, for whoever installs or
	 * services the printer (README); it stays the place to return to. */
	function diagnostics() {
		return window.location.hash === '#diagnostics';
	}

	/* That screen and its stylesheet are loaded only when asked for, so a
	 * person's visit does not carry them. */
	function openDiagnostics() {
		var css, js;
		if (SP.screens.diagnostics)
			return go('diagnostics');
		css = ui.el('link', { rel: 'stylesheet', href: 'css/diagnostics.css' });
		js = ui.el('script', { src: 'js/screens/diagnostics.js' });
		js.onload = function () { go('diagnostics'); };
		document.getElementsByTagName('head')[0].appendChild(css);
		document.body.appendChild(js);
	}

	/* The administrator's policy is read first (policy.js): the screens
	 * are drawn with it.  after: called once the next screen shows. */
	function signedIn(user, after) {
		SP.state.user = user;
		SP.policy.load(function () {
			if (diagnostics())
				openDiagnostics();
			else
				go('compose');
			if (after)
				after();
		});
	}

	/* A 401 from any call: the session ended (idle timeout, sign-out elsewhere). */
	function sessionLost() {
		SP.state.user = null;
		SP.sso.signedOut(false);
		SP.state.draft = { to: '', cc: '', bcc: '', subject: '', body: '' };
		SP.api.forgetSession();
		go('signin');
		SP.screens.signin.notice(t('session.ended'));
	}

	/* The canvas of the printer's screen (800x480 or 1024x600) picks the
	 * type scale; a desktop browser falls back to the window's width. */
	function adaptCanvas(width) {
		var w = width || window.innerWidth || 800;
		ui.setClass(document.body, 'canvas-1024', w >= 1000);
		ui.setClass(document.body, 'canvas-800', w < 1000);
		fitHeader();
	}

	/* The printer (who and what it is, who is logged in) and the service (a
	 * session still open?) are asked at once; the choice waits for all. */
	function startUp() {
		var pending = 3, session = {};
		function ready() {
			pending -= 1;
			if (pending === 0)
				decide(session.err, session.data);
		}
		adaptCanvas(0);
		go('start');
		ui.text($('start-status'), t('start.service'));
		SP.device.information(function (err, info) {
			if (err) {
				ui.text($('device-name'), t('top.no_printer'));
			} else {
				SP.state.device = info;
				ui.text($('device-name'), info.name || info.model || t('top.printer'));
				adaptCanvas(info.width);
				fitHeader();
			}
			ready();
		});
		SP.device.session(function (err, s) {
			if (!err)
				SP.sso.setDeviceUser(s);
			/* The settings remembered for this printer user (store.js). */
			SP.state.registered = SP.settings.cleanAll(SP.settings.registered,
								   SP.store.registered());
			SP.state.scan = SP.settings.cleanAll(SP.settings.scan, SP.store.scan());
			/* ... and the language they chose, if any (i18n.js). */
			if (SP.store.language())
				return SP.i18n.use(SP.store.language(), ready);
			ready();
		});
		SP.api.getSession(function (err, data) {
			session = { err: err, data: data };
			ready();
		});
	}

	function resume() {
		ui.text($('start-title'), t('start.title'));
		ui.text($('start-status'), t('start.service'));
		SP.api.getSession(decide);
	}

	/* A live session goes on; without one, single sign-on when the printer
	 * vouches for its user (DESIGN 3.4), else the sign-in screen. */
	function decide(err, data) {
		if (!err && data && data.user) {
			signedIn(data.user);
		} else if (err && err.status === 401) {
			if (diagnostics())
				openDiagnostics();
			else if (SP.sso.canLaunch())
				launchSso();
			else
				go('signin');
		} else {
			ui.text($('start-status'), err ? SP.i18n.error(err) : t('start.odd'));
			SP.screens.start.retry = true;
			renderFooter();
		}
	}

	function launchSso() {
		ui.text($('start-title'), t('start.sso_title'));
		ui.text($('start-status'), t('start.sso', { user: SP.sso.deviceUser() }));
		SP.sso.launch(function (why, user) {
			if (!why)
				return signedIn(user);
			go('signin');
			if (why.notice)
				SP.screens.signin.notice(t(why.notice));
		});
	}

	function signOut(then) {
		setBusy(true);
		SP.api.signOut(function () {
			SP.state.user = null;
			SP.sso.signedOut(false);
			SP.state.draft = { to: '', cc: '', bcc: '', subject: '', body: '' };
			then();
		});
	}

	function exitApp() {
		function leave() {
			SP.device.exitApplication(function () {
				go('start');
				ui.text($('start-title'), t('start.bye_title'));
				ui.text($('start-status'), t('start.bye'));
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
			return SP.screens.start.retry ? { next: { label: t('btn.retry'), fn: function () {
				SP.screens.start.retry = false;
				renderFooter();
				resume();
			} } } : {};
		}
	};

	SP.app = {
		go: go, busy: setBusy, refreshFooter: renderFooter, refreshHeader: renderHeader,
		signedIn: signedIn, sessionLost: sessionLost, signOut: signOut,
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
	ui.on(window, 'resize', fitHeader);
	ui.on(window, 'hashchange', function () {
		if (diagnostics() && current !== 'start') {
			SP.screens.progress.stop();
			openDiagnostics();
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

	/* The language control (footer): every language by its own name; a
	 * choice is remembered for the printer user (store.js) and the screen
	 * is drawn again in it, with what was typed kept. */
	function languageControl() {
		var sel = $('lang'), i, code, o;
		for (i = 0; i < SP.i18n.LANGS.length; i++) {
			code = SP.i18n.LANGS[i];
			o = ui.el('option', { value: code, lang: code }, [SP.i18n.NAMES[code]]);
			sel.appendChild(o);
		}
		sel.value = SP.i18n.lang();
		ui.on(sel, 'change', function () {
			SP.store.rememberLanguage(sel.value);
			SP.i18n.use(sel.value);
		});
		SP.i18n.onChange(function (lang) {
			var s = current && SP.screens[current];
			sel.value = lang;
			if (s && s.relabel)
				s.relabel();
			else if (s && !/^(start|progress|preview|diagnostics)$/.test(current))
				go(current);
			renderHeader();
			renderFooter();
		});
	}

	(function init() {
		var k;
		SP.account.init();
		for (k in SP.screens)
			if (SP.screens.hasOwnProperty(k) && SP.screens[k].init)
				SP.screens[k].init();
		languageControl();
		/* The browser's language first (the printer's); the table comes
		 * before the first screen so nothing shows in English first. */
		SP.i18n.use(SP.i18n.fromBrowser(), startUp);
	}());
}(window.SP));
