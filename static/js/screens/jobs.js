/*
 * screens/jobs.js - the signed-in person's recent jobs (GET /api/v1/jobs):
 * state, subject, tracking number and time; a delayed job says when it is
 * tried next and why.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, el = ui.el, $ = ui.$;
	var back = 'compose';

	var STATES = {
		awaiting_scan: 'Waiting for the scan', queued: 'Queued', sending: 'Sending',
		sent: 'Sent', failed: 'Failed', canceled: 'Canceled', expired: 'Expired',
		delivery_unknown: 'Delivery unknown'
	};

	function item(j) {
		var lines = [
			el('span', { className: 'badge s-' + (j.state || '') }, [STATES[j.state] || j.state]),
			el('span', { className: 'subject' }, [j.subject || '(no subject)']),
			el('span', { className: 'time' }, [ui.formatTime(j.created_at)])
		];
		var detail = [];
		if (j.to && j.to.length)
			detail.push('To ' + j.to.join(', '));
		if (j.tracking_id)
			detail.push('Tracking ' + j.tracking_id);
		if ((j.state === 'failed' || j.state === 'delivery_unknown') && j.error &&
		    j.error.message)
			detail.push(j.error.message);
		if (SP.api.jobDelay(j))
			detail.push(SP.api.jobDelay(j));
		return el('li', {}, [el('div', { className: 'job-head' }, lines),
				     el('div', { className: 'hint' }, [detail.join(' · ')])]);
	}

	function load() {
		var list = $('jobs-list');
		ui.clear(list);
		ui.text($('jobs-status'), 'Loading…');
		SP.api.listJobs(function (err, data) {
			var i, jobs;
			if (err) {
				if (err.status === 401)
					return SP.app.sessionLost();
				ui.text($('jobs-status'), err.message);
				return;
			}
			jobs = data && data.jobs ? data.jobs : [];
			ui.clear(list);
			for (i = 0; i < jobs.length; i++)
				list.appendChild(item(jobs[i]));
			ui.text($('jobs-status'), jobs.length ? '' : 'No jobs yet.');
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
				back: { label: 'Back', fn: function () { SP.app.go(back); } },
				next: { label: 'Refresh', fn: load }
			};
		}
	};
}(window.SP));
