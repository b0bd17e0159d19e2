/*
 * screens/review.js - step 6: everything at a glance, each part with a way
 * back to change it, and the one button that scans and sends.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, el = ui.el, $ = ui.$;

	function row(label, value) {
		return el('div', { className: 'row' },
			  [el('dt', {}, [label]), el('dd', {}, [value === '' ? '(none)' : value])]);
	}

	function part(title, screen, rows) {
		var change = el('button', { type: 'button', className: 'quiet change' },
				['Change']);
		change.setAttribute('aria-label', 'Change ' + title.toLowerCase());
		ui.on(change, 'click', function () { SP.app.go(screen); });
		return el('div', { className: 'part' },
			  [el('div', { className: 'part-head' }, [el('h2', {}, [title]), change]),
			   el('dl', {}, rows)]);
	}

	function settingRows(fields, values) {
		var rows = [], i;
		for (i = 0; i < fields.length; i++)
			if (SP.settings.applies(fields[i], values))
				rows.push(row(fields[i].label,
					      SP.settings.label(fields[i], values[fields[i].key])));
		return rows;
	}

	function render() {
		var d = SP.state.draft, r = SP.validate.recipients(d), body = $('review-body');
		var msg = [row('To', r.lists.to.join(', '))];
		if (r.lists.cc.length)
			msg.push(row('Cc', r.lists.cc.join(', ')));
		if (r.lists.bcc.length)
			msg.push(row('Bcc', r.lists.bcc.join(', ')));
		msg.push(row('Subject', d.subject));
		msg.push(row('Message', d.body.length > 200 ? d.body.substring(0, 200) + '…'
							      : d.body));
		ui.clear(body);
		body.appendChild(part('Message', 'compose', msg));
		body.appendChild(part('Registered email', 'registered',
				      settingRows(SP.settings.registered, SP.state.registered)));
		body.appendChild(part('Scan settings', 'scan',
				      settingRows(SP.settings.scan, SP.state.scan)));
	}

	SP.screens = SP.screens || {};
	SP.screens.review = {
		id: 'screen-review',
		enter: render,
		footer: function () {
			return {
				back: { label: 'Back', fn: function () { SP.app.go('scan'); } },
				next: { label: 'Scan and send', fn: function () {
					SP.app.go('progress');
					SP.screens.progress.start();
				} },
				step: 'Step 4 of 4 · Review'
			};
		}
	};
}(window.SP));
