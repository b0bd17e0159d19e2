/*
 * screens/jobs.js - the signed-in person's recent jobs (GET /api/v1/jobs):
 * state, subject, tracking number and time; a delayed job says when it is
 * tried next and why.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, el = ui.el, $ = ui.$, t = SP.t;
	var back = 'compose';

	/* The API's job states (DESIGN 3.1) in words: 'state.<name>'. */
	var STATES = { awaiting_scan: 1, queued: 1, sending: 1, sent: 1, failed: 1, canceled: 1,
		       expired: 1, delivery_unknown: 1 };

	function item(j) {
		var lines = [
			el('span', { className: 'badge s-' + (j.state || '') }, [STATES[j.state] ? t('state.' + j.state) : j.state]),
			el('span', { className: 'subject' }, [j.subject || t('jobs.no_subject')]),
			el('span', { className: 'time' }, [ui.formatTime(j.created_at)])
		];
		var detail = [];
		if (j.to && j.to.length)
			detail.push(t('jobs.to', { list: j.to.join(', ') }));
		if (j.tracking_id)
			detail.push(t('jobs.tracking', { id: j.tracking_id }));
		if ((j.state === 'failed' || j.state === 'delivery_unknown') && j.error &&
		    j.error.message)
			detail.push(SP.i18n.error(j.error));
		if (SP.api.jobDelay(j))
			detail.push(SP.api.jobDelay(j));
		return el('li', {}, [el('div', { className: 'job-head' }, lines),
				     el('div', { className: 'hint' }, [detail.join(' · ')])]);
	}

	function load() {
		var list = $('jobs-list');
		ui.clear(list);
		ui.text($('jobs-status'), t('jobs.loading'));
		SP.api.listJobs(function (err, data) {
			var i, jobs;
			if (err) {
				if (err.status === 401)
					return SP.app.sessionLost();
				ui.text($('jobs-status'), SP.i18n.error(err));
				return;
			}
			jobs = data && data.jobs ? data.jobs : [];
			ui.clear(list);
			for (i = 0; i < jobs.length; i++)
				list.appendChild(item(jobs[i]));
			ui.text($('jobs-status'), jobs.length ? '' : t('jobs.none'));
		});
	}

	SP.screens = SP.screens || {};
	SP.screens.jobs = {
		id: 'screen-jobs',
		enter: function (previous) {
			if (previous && previous !== 'jobs')
				back = previous === 'start' || previous === 'signin' ? 'compose' : previous;
			load();
		},
		footer: function () {
			return {
				back: { label: t('btn.back'), fn: function () { SP.app.go(back); } },
				next: { label: t('jobs.refresh'), fn: load }
			};
		}
	};
}(window.SP));
