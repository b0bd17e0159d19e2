/*
 * preview.js - whether the scanned pages are shown before they are sent:
 * the admin's setting from the session answer (always, never, choice) and,
 * for choice, the person's box on the scan-settings screen.  The preview
 * screen is loaded only when it is shown (screens/preview.js).
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, setting = 'never', pending = null;
	var box = ui.el('input', { type: 'checkbox', id: 'scan-preview' });
	var field = ui.el('div', { className: 'field check', hidden: 'hidden' },
		[ui.el('label', { 'for': 'scan-preview' },
		       [box, ui.el('span', { 'data-t': 'scan.preview' }, [SP.t('scan.preview')])])]);

	ui.$('screen-scan').appendChild(field);

	function wanted() {
		return setting === 'always' || (setting === 'choice' && box.checked);
	}

	/* After the scan: send() now, or the pages first, with Send and Scan
	 * again calling send() or again(). */
	function offer(id, send, again) {
		var js;
		if (!wanted())
			return send();
		pending = { id: id, send: send, again: again };
		if (SP.screens.preview)
			return SP.app.go('preview');
		document.getElementsByTagName('head')[0].appendChild(
			ui.el('link', { rel: 'stylesheet', href: 'css/preview.css' }));
		js = ui.el('script', { src: 'js/screens/preview.js' });
		js.onload = function () { SP.app.go('preview'); };
		js.onerror = send;
		document.body.appendChild(js);
	}

	SP.preview = {
		setting: function (v) {
			setting = v;
			ui.show(field, v === 'choice');
		},
		offer: offer,
		pending: function () { return pending; }
	};
}(window.SP));
