/*
 * i18n.js - the weblet in the person's language.  Every text the person
 * reads comes from one table per language (js/i18n/en.js, de.js, ...):
 * t(key, {name: value}) fills "{name}" placeholders.  English is always
 * loaded and stands in for a key a table lacks; another language's table
 * is loaded when it is chosen.
 *
 * The language is the one the person chose on the screen (remembered per
 * printer user, store.js), else the first of the browser's languages
 * (navigator.languages, which the browser takes from the printer's
 * language) that the weblet has, else English.  Dates and numbers use
 * Intl in that language; API errors are read by their code.
 */
(function (SP) {
	'use strict';

	var LANGS = ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'];
	/* Each language by its own name: the same in every table. */
	var NAMES = {
		en: 'English', de: 'Deutsch', fr: 'Français', es: 'Español', it: 'Italiano',
		nl: 'Nederlands', pt: 'Português', sv: 'Svenska', da: 'Dansk', no: 'Norsk',
		fi: 'Suomi', pl: 'Polski', cs: 'Čeština', hu: 'Magyar', ru: 'Русский',
		tr: 'Türkçe', el: 'Ελληνικά', ja: '日本語', ko: '한국어'
	};
	var tables = {}, lang = 'en', listeners = [];

	function has(code) {
		for (var i = 0; i < LANGS.length; i++)
			if (LANGS[i] === code)
				return true;
		return false;
	}

	/* The browser's languages, most wanted first ("de-CH" counts as "de"). */
	function browserLanguages() {
		var n = window.navigator || {}, l = n.languages;
		if (!l || !l.length)
			l = [n.language || n.userLanguage || 'en'];
		return l;
	}

	function base(tag) {
		return String(tag || '').toLowerCase().split(/[-_]/)[0];
	}

	function fromBrowser() {
		var l = browserLanguages(), i;
		for (i = 0; i < l.length; i++)
			if (has(base(l[i])))
				return base(l[i]);
		return 'en';
	}

	/* The locale for dates and numbers: the browser's own tag when it is
	 * of the chosen language (de-CH keeps its forms), else the language. */
	function locale() {
		var l = browserLanguages(), i;
		for (i = 0; i < l.length; i++)
			if (base(l[i]) === lang)
				return l[i];
		return lang;
	}

	function fill(s, params) {
		return s.replace(/\{(\w+)\}/g, function (m, k) {
			return params && params.hasOwnProperty(k) ? String(params[k]) : m;
		});
	}

	function t(key, params) {
		var s = tables[lang] && tables[lang][key];
		if (typeof s !== 'string')
			s = tables.en && tables.en[key];
		return typeof s === 'string' ? fill(s, params) : key;
	}

	/* key.one or key.other by n; {n} is n in the language's form. */
	function tn(key, n, params) {
		var p = { n: number(n) }, k;
		for (k in params || {})
			if (params.hasOwnProperty(k))
				p[k] = params[k];
		return t(key + (n === 1 ? '.one' : '.other'), p);
	}

	function intl(kind, opts) {
		try {
			return typeof Intl === 'object' ? new Intl[kind](locale(), opts) : null;
		} catch (e) {
			return null;
		}
	}

	function number(n) {
		var f = intl('NumberFormat', {});
		return f ? f.format(n) : String(n);
	}

	/* A file's size in KB (at least 1) or MB, as the language writes numbers. */
	function size(bytes) {
		var f = intl('NumberFormat', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
		if (bytes >= 1048576)
			return (f ? f.format(bytes / 1048576) : (bytes / 1048576).toFixed(1)) + ' MB';
		return number(Math.max(1, Math.round(bytes / 1024))) + ' KB';
	}

	function two(n) {
		return (n < 10 ? '0' : '') + n;
	}

	/* Date and time (iso: a string or a Date); withSeconds for a clock. */
	function dateTime(iso, timeOnly, withSeconds) {
		var d = iso instanceof Date ? iso : new Date(iso), o = { hour: '2-digit', minute: '2-digit' };
		var f;
		if (isNaN(d.getTime()))
			return iso || '';
		if (withSeconds)
			o.second = '2-digit';
		if (!timeOnly) {
			o.year = 'numeric';
			o.month = '2-digit';
			o.day = '2-digit';
		}
		f = intl('DateTimeFormat', o);
		if (f)
			return f.format(d);
		return (timeOnly ? '' : d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' +
			two(d.getDate()) + ' ') + two(d.getHours()) + ':' + two(d.getMinutes()) +
			(withSeconds ? ':' + two(d.getSeconds()) : '');
	}

	/*
	 * What the person reads for an API (or printer) error: the words of its
	 * code in the chosen language; the server's own English words when the
	 * language is English (they may be more precise) or the code is not in
	 * the table.
	 */
	function error(err) {
		var key = err && err.code ? 'err.' + err.code : '', s;
		if (!err)
			return '';
		s = lang !== 'en' && key && tables[lang] ? tables[lang][key] : undefined;
		if (typeof s === 'string')
			return s;
		return err.message || (key && tables.en[key]) || String(err.code || '');
	}

	/* Texts of the page itself: data-t (text), data-t-label (aria-label). */
	function apply(root) {
		var all = (root || document).getElementsByTagName('*'), i, e, k;
		for (i = 0; i < all.length; i++) {
			e = all[i];
			if ((k = e.getAttribute('data-t')))
				e.textContent = t(k);
			if ((k = e.getAttribute('data-t-label')))
				e.setAttribute('aria-label', t(k));
		}
		document.documentElement.setAttribute('lang', lang);
		document.title = t('app.title');
	}

	/* Loads a language's table once (a script in js/i18n/); cb(ok). */
	function load(code, cb) {
		var js;
		if (tables[code])
			return cb(true);
		js = document.createElement('script');
		js.src = 'js/i18n/' + code + '.js';
		js.onload = function () { cb(!!tables[code]); };
		js.onerror = function () { cb(false); };
		document.body.appendChild(js);
	}

	/* Switches to code (a language of LANGS): the page's texts change, then
	 * each listener redraws its own; cb() once done (also when the table
	 * could not be loaded: the language stays as it was). */
	function use(code, cb) {
		if (!has(code))
			code = 'en';
		load(code, function (ok) {
			var i;
			if (ok && code !== lang) {
				lang = code;
				apply(document);
				for (i = 0; i < listeners.length; i++)
					listeners[i](lang);
			} else {
				apply(document);
			}
			if (cb)
				cb();
		});
	}

	SP.i18n = {
		LANGS: LANGS, NAMES: NAMES,
		add: function (code, table) { tables[code] = table; },
		table: function (code) { return tables[code]; },
		lang: function () { return lang; },
		fromBrowser: fromBrowser,
		use: use, apply: apply, error: error,
		number: number, size: size, dateTime: dateTime,
		onChange: function (fn) { listeners.push(fn); }
	};
	SP.t = t;
	SP.tn = tn;
}(window.SP));
