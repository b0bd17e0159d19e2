/*
 * screens/review.js - step 6: everything at a glance, each part with a way
 * back to change it, and the one button that scans and sends.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, el = ui.el, $ = ui.$, t = SP.t;

	function row(label, value) {
		return el('div', { className: 'row' },
			  [el('dt', {}, [label]), el('dd', {}, [value === '' ? t('set.none') : value])]);
	}

	function part(title, screen, rows) {
		var change = el('button', { type: 'button', className: 'quiet change' },
				[t('review.change')]);
		change.setAttribute('aria-label', t('review.change_part', { part: title }));
		ui.on(change, 'click', function () { SP.app.go(screen); });
		return el('div', { className: 'part' },
			  [el('div', { className: 'part-head' }, [el('h2', {}, [title]), change]),
			   el('dl', {}, rows)]);
	}

	function settingRows(group, fields, values) {
		var rows = [], i;
		for (i = 0; i < fields.length; i++)
			if (SP.settings.applies(fields[i], values) &&
			    !SP.policy.hidden(group, fields[i].key))
				rows.push(row(SP.settings.fieldLabel(fields[i]),
					      SP.settings.label(fields[i], values[fields[i].key])));
		return rows;
	}

	function render() {
		var d = SP.state.draft, r = SP.validate.recipients(d), body = $('review-body');
		var msg = [row(t('f.to'), r.lists.to.join(', '))];
		if (r.lists.cc.length)
			msg.push(row(t('f.cc'), r.lists.cc.join(', ')));
		if (r.lists.bcc.length)
			msg.push(row(t('f.bcc'), r.lists.bcc.join(', ')));
		msg.push(row(t('f.subject'), d.subject));
		msg.push(row(t('f.body'), d.body.length > 200 ? d.body.substring(0, 200) + '…'
							      : d.body));
		ui.clear(body);
		body.appendChild(part(t('compose.title'), 'compose', msg));
		var reg = settingRows('registered', SP.settings.registered, SP.state.registered);
		if (SP.state.copyToMe)
			reg.push(row(t('review.copy'), SP.state.user + ' (Bcc)'));
		body.appendChild(part(t('registered.title'), 'registered', reg));
		body.appendChild(part(t('scan.title'), 'scan',
				      settingRows('scan', SP.settings.scan, SP.state.scan)));
	}

	function send() {
		SP.app.go('progress');
		SP.screens.progress.start();
	}

	/* Ask mode (policy.js): recipients outside the allowed domains are
	 * sent only once the person says so; the service wants that answer. */
	function confirmOutside(list) {
		var box = $('review-confirm'), yes, no;
		ui.clear(box);
		yes = el('button', { type: 'button', className: 'primary' }, [t('review.send_anyway')]);
		no = el('button', { type: 'button', className: 'secondary' },
			[t('review.change_recipients')]);
		ui.on(yes, 'click', function () {
			SP.state.draft.confirmOutside = true;
			ui.show(box, false);
			send();
		});
		ui.on(no, 'click', function () {
			ui.show(box, false);
			SP.app.go('compose');
		});
		box.appendChild(el('p', { id: 'review-confirm-text' },
			[SP.tn('review.outside', list.length, { list: list.join(', '),
								domains: SP.policy.domains() })]));
		box.appendChild(el('div', { className: 'choices' }, [yes, no]));
		ui.show(box, true);
		no.focus();
	}

	SP.screens = SP.screens || {};
	SP.screens.review = {
		id: 'screen-review',
		enter: function () {
			ui.show($('review-confirm'), false);
			render();
		},
		footer: function () {
			return {
				back: { label: t('btn.back'), fn: function () { SP.app.go('scan'); } },
				next: { label: t('review.send'), fn: function () {
					var d = SP.state.draft, r = SP.validate.recipients(d);
					var out = SP.policy.outside(r.lists.to.concat(r.lists.cc, r.lists.bcc));
					if (out.length && SP.policy.ask() && !d.confirmOutside)
						return confirmOutside(out);
					send();
				} },
				step: t('review.step')
			};
		}
	};
}(window.SP));
