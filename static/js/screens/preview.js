/*
 * screens/preview.js - the scanned pages before they are sent (README,
 * "Preview before sending"): thumbnails, the page count and the size, with
 * Send and Scan again.  GET /api/v1/jobs/{id}/preview answers them; a file
 * that cannot be shown is "no preview", and the person may still send it.
 * Loaded on demand by preview.js.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, el = ui.el, $ = ui.$;
	var BUSY_RETRIES = 5, run = 0;

	$('main').appendChild(el('section', { id: 'screen-preview', className: 'screen',
					      'aria-labelledby': 'preview-title', hidden: 'hidden' },
		[el('h1', { id: 'preview-title', tabindex: '-1' }, ['Check the pages']),
		 el('p', { id: 'preview-status', className: 'status-line', role: 'status' }),
		 el('ul', { id: 'preview-pages', className: 'pages' })]));

	function size(bytes) {
		return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + ' MB'
			: Math.max(1, Math.round(bytes / 1024)) + ' KB';
	}

	function plural(n, what) {
		return n + ' ' + what + (n === 1 ? '' : 's');
	}

	function show(p) {
		var list = $('preview-pages'), i, im, words;
		words = plural(p.pages, 'page') + ' · ' + size(p.bytes) +
			(p.files.length > 1 ? ' in ' + plural(p.files.length, 'file') : '');
		if (p.more_pages)
			words += ' · the first ' + p.images.length + ' shown';
		ui.text($('preview-status'), words);
		for (i = 0; i < p.images.length; i++) {
			im = p.images[i];
			list.appendChild(el('li', {}, [el('figure', {}, [
				el('img', { src: 'data:image/png;base64,' + im.png,
					    width: String(im.width), height: String(im.height),
					    alt: 'Page ' + im.page }),
				el('figcaption', {}, ['Page ' + im.page])])]));
		}
	}

	function load(r, id, tries) {
		SP.api.preview(id, function (err, p) {
			if (r !== run)
				return;
			if (err && err.status === 401)
				return SP.app.sessionLost();
			if (err && err.code === 'preview_busy' && tries < BUSY_RETRIES) {
				ui.text($('preview-status'), 'Waiting for the preview…');
				return setTimeout(function () {
					if (r === run)
						load(r, id, tries + 1);
				}, 2000);
			}
			if (err) {
				ui.setClass($('preview-status'), 'no-preview', true);
				return ui.text($('preview-status'), (err.code === 'no_preview'
					? 'These pages cannot be shown (no preview).'
					: err.message) + ' You can still send them, or scan again.');
			}
			show(p);
		});
	}

	SP.screens.preview = {
		id: 'screen-preview',
		enter: function () {
			run++;
			ui.clear($('preview-pages'));
			ui.setClass($('preview-status'), 'no-preview', false);
			ui.text($('preview-status'), 'Loading the pages…');
			load(run, SP.preview.pending().id, 0);
		},
		leave: function () {
			run++;
		},
		footer: function () {
			var p = SP.preview.pending();
			return {
				back: { label: 'Scan again', fn: p.again },
				next: { label: 'Send', fn: p.send },
				step: 'Preview'
			};
		}
	};
}(window.SP));
