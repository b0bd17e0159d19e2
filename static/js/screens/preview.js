/*
 * screens/preview.js - the scanned pages before they are sent (README,
 * "Preview before sending"): thumbnails, the page count and the size, with
 * Send and Scan again.  GET /api/v1/jobs/{id}/preview answers them; a file
 * that cannot be shown is "no preview", and the person may still send it.
 * Loaded on demand by preview.js.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, el = ui.el, $ = ui.$, t = SP.t;
	var BUSY_RETRIES = 5, run = 0;

	$('main').appendChild(el('section', { id: 'screen-preview', className: 'screen',
					      'aria-labelledby': 'preview-title', hidden: 'hidden' },
		[el('h1', { id: 'preview-title', tabindex: '-1', 'data-t': 'preview.title' },
		     [t('preview.title')]),
		 el('p', { id: 'preview-status', className: 'status-line', role: 'status' }),
		 el('ul', { id: 'preview-pages', className: 'pages' })]));

	function show(p) {
		var list = $('preview-pages'), i, im, words;
		words = SP.tn('preview.pages', p.pages, { size: SP.i18n.size(p.bytes) }) +
			(p.files.length > 1 ? t('preview.files', { n: p.files.length }) : '');
		if (p.more_pages)
			words += t('preview.first', { n: p.images.length });
		ui.text($('preview-status'), words);
		for (i = 0; i < p.images.length; i++) {
			im = p.images[i];
			list.appendChild(el('li', {}, [el('figure', {}, [
				el('img', { src: 'data:image/png;base64,' + im.png,
					    width: String(im.width), height: String(im.height),
					    alt: t('preview.page', { n: im.page }) }),
				el('figcaption', {}, [t('preview.page', { n: im.page })])])]));
		}
	}

	function load(r, id, tries) {
		SP.api.preview(id, function (err, p) {
			if (r !== run)
				return;
			if (err && err.status === 401)
				return SP.app.sessionLost();
			if (err && err.code === 'preview_busy' && tries < BUSY_RETRIES) {
				ui.text($('preview-status'), t('preview.waiting'));
				return setTimeout(function () {
					if (r === run)
						load(r, id, tries + 1);
				}, 2000);
			}
			if (err) {
				ui.setClass($('preview-status'), 'no-preview', true);
				return ui.text($('preview-status'), t('preview.still', {
					why: err.code === 'no_preview' ? t('preview.none') : SP.i18n.error(err) }));
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
			ui.text($('preview-status'), t('preview.loading'));
			load(run, SP.preview.pending().id, 0);
		},
		leave: function () {
			run++;
		},
		footer: function () {
			var p = SP.preview.pending();
			return {
				back: { label: t('progress.again'), fn: p.again },
				next: { label: t('preview.send'), fn: p.send },
				step: t('preview.step')
			};
		}
	};
}(window.SP));
