/*
 * screens/progress.js - steps 7 to 9: create the job, have the printer scan
 * with its template and upload, submit, then follow the job until RMail has
 * it.  Every stage shows: creating the job, scanning (page n), uploading,
 * queued, sending, sent; a stop says why in words and what can be done.
 *
 * Each start() begins a new run; callbacks of an older run are ignored, so
 * leaving the screen (sign-out, exit, a new scan) never acts on a stale job.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, el = ui.el, $ = ui.$;

	var STAGES = [['create', 'Creating the job'], ['scan', 'Scanning'],
		      ['upload', 'Uploading'], ['queued', 'Queued'],
		      ['sending', 'Sending to RMail'], ['sent', 'Sent']];
	var DEVICE_POLL_MS = 700;   /* GetJobDetails while the printer scans */
	var JOB_POLL_MS = 1000;     /* GET /api/v1/jobs/{id} once submitted */
	var DEVICE_ERRORS_MAX = 8;  /* consecutive unanswered polls before giving up */

	/* Why the printer stopped (JobStateReasons), in words, most telling
	 * first: a jam arrives as "JobAborted PaperJam". */
	var REASON_ORDER = ['PaperJam', 'JobCanceledByUser', 'FileTransferFailed',
			    'InputScanSizeNotDetermined', 'InvalidTemplate', 'DocumentFeederEmpty',
			    'JobAborted'];
	var REASONS = {
		PaperJam: 'Paper jam: clear it and scan again.',
		JobCanceledByUser: 'Scan canceled.',
		FileTransferFailed: 'The scan could not be uploaded.',
		InputScanSizeNotDetermined: 'The printer could not tell the size of the ' +
			'original. Choose an original size and scan again.',
		InvalidTemplate: 'The printer could not use these scan settings.',
		DocumentFeederEmpty: 'There is nothing in the document feeder.',
		JobAborted: 'The printer stopped the scan.'
	};

	/* Job states of the API (DESIGN 3.1) once submitted. */
	var JOB_STATES = {
		queued: ['queued', 'Queued: scanpost will send it in a moment.'],
		sending: ['sending', 'Sending to RMail…']
	};

	var run = 0, timer = null, job = null, tpl = null, submitted = false, ended = null;

	function alive(r) {
		return r === run;
	}

	function later(r, ms, fn) {
		clearTimeout(timer);
		timer = setTimeout(function () {
			if (alive(r))
				fn();
		}, ms);
	}

	function renderStages() {
		var ol = $('progress-stages'), i;
		ui.clear(ol);
		for (i = 0; i < STAGES.length; i++)
			ol.appendChild(el('li', { id: 'stage-' + STAGES[i][0], className: 'todo' },
					  [el('span', { className: 'mark', 'aria-hidden': 'true' }),
					   el('span', { className: 'label' }, [STAGES[i][1]]),
					   el('span', { className: 'sr-state' }, [', not yet'])]));
	}

	/* Stages before key are done, key is current (or 'failed'), the rest wait. */
	function stage(key, label, how) {
		var seen = false, i, li, state;
		for (i = 0; i < STAGES.length; i++) {
			li = $('stage-' + STAGES[i][0]);
			if (STAGES[i][0] === key) {
				seen = true;
				state = how || 'current';
				li.getElementsByTagName('span')[1].textContent = label || STAGES[i][1];
			} else {
				state = seen ? 'todo' : 'done';
			}
			li.className = state;
			if (state === 'current')
				li.setAttribute('aria-current', 'step');
			else
				li.removeAttribute('aria-current');
			ui.text(li.getElementsByTagName('span')[2],
				{ todo: ', not yet', done: ', done', current: ', in progress',
				  failed: ', stopped' }[state]);
		}
	}

	/* The scan stage, once over, says how many pages it took. */
	function scanned(images) {
		if (images > 0)
			ui.text($('stage-scan').getElementsByTagName('span')[1],
				'Scanned ' + images + (images === 1 ? ' page' : ' pages'));
	}

	function status(msg) {
		ui.text($('progress-status'), msg);
	}

	function title(s) {
		ui.text($('progress-title'), s);
	}

	function jobBody() {
		var d = SP.state.draft, r = SP.validate.recipients(d);
		return {
			to: r.lists.to, cc: r.lists.cc, bcc: r.lists.bcc,
			subject: d.subject, body: d.body,
			registered: SP.settings.toJson(SP.settings.registered, SP.state.registered),
			scan: SP.settings.toJson(SP.settings.scan, SP.state.scan)
		};
	}

	/* DeleteTemplate after every scan, whatever happened (fire and forget). */
	function dropTemplate() {
		if (tpl) {
			SP.device.deleteTemplate(tpl.name, tpl.checksum, function () {});
			tpl = null;
		}
	}

	/* Cancels the job while it awaits its scan (its document is deleted). */
	function discardJob(then) {
		var id = job && !submitted ? job.id : null;
		job = null;
		if (!id)
			return then();
		SP.api.cancelJob(id, function () { then(); });
	}

	var CHOICES = {
		again: ['Scan again', function () {
			discardJob(start);
		}],
		edit: ['Edit', function () {
			discardJob(function () { SP.app.go('review'); });
		}],
		cancel: ['Cancel job', function () {
			run++;
			dropTemplate();
			discardJob(function () {
				finish('canceled');
				title('Canceled');
				status('Canceled. Nothing was sent.');
				ui.show($('progress-error'), false);
			});
		}],
		resend: ['Edit and send again', function () {
			job = null;
			SP.app.go('review');
		}],
		retry: ['Try again', function () {
			submit(run);
		}]
	};

	function fail(key, message, help, choices) {
		var box = $('progress-choices'), i, b;
		clearTimeout(timer);
		stage(key, null, 'failed');
		title('Not sent');
		status('');
		ui.text($('progress-error-text'), message);
		ui.text($('progress-error-help'), help || '');
		ui.clear(box);
		for (i = 0; i < choices.length; i++) {
			b = el('button', { type: 'button', className: i === 0 ? 'primary' : 'secondary' },
			       [CHOICES[choices[i]][0]]);
			ui.on(b, 'click', CHOICES[choices[i]][1]);
			box.appendChild(b);
		}
		ui.show($('progress-error'), true);
		finish('failed');
		box.firstChild.focus();
	}

	function finish(how) {
		ended = how;
		SP.app.refreshFooter();
	}

	function apiFailed(key, err, choices) {
		if (err.status === 401) {
			SP.app.sessionLost();
			return;
		}
		fail(key, err.message, null, choices);
	}

	/* ---- step 7: the job and the scan ---------------------------------- */

	function start() {
		var r;
		stop();
		r = run;
		job = null;
		submitted = false;
		ended = null;
		renderStages();
		title('Sending');
		ui.show($('progress-error'), false);
		ui.show($('progress-sent'), false);
		stage('create');
		status('Creating the job…');
		SP.app.refreshFooter();
		var body = jobBody();
		SP.api.createJob(body, function (err, data) {
			if (!alive(r))
				return;
			if (err)
				return apiFailed('create', err, ['edit']);
			job = data;
			SP.app.refreshFooter();
			SP.store.rememberRecipients(body.to.concat(body.cc, body.bcc));
			SP.store.rememberSettings(SP.state.registered, SP.state.scan);
			putTemplate(r);
		});
	}

	function putTemplate(r) {
		var name = 'scanpost_' + job.id.replace(/[^0-9a-fA-F]/g, '').substring(0, 8) + '.xst';
		status('Preparing the printer…');
		SP.device.putTemplate(name, job.template, function (err, checksum) {
			if (!alive(r))
				return;
			if (err)
				return fail('scan', 'The printer did not take the scan settings: ' +
					    err.message, null, ['again', 'edit', 'cancel']);
			tpl = { name: name, checksum: checksum };
			SP.device.scanWithTemplate(name, function (err2, deviceJob) {
				if (!alive(r))
					return;
				if (err2 || !deviceJob) {
					dropTemplate();
					return fail('scan', 'The printer did not start the scan: ' +
						    (err2 ? err2.message : 'no job id.'), null,
						    ['again', 'edit', 'cancel']);
				}
				stage('scan');
				status('Scanning…');
				watchScan(r, deviceJob, 0);
			});
		});
	}

	function stopReason(reasons) {
		var i;
		for (i = 0; i < REASON_ORDER.length; i++)
			if (contains(reasons, REASON_ORDER[i]))
				return REASONS[REASON_ORDER[i]];
		return 'The scan stopped' + (reasons.length ? ' (' + reasons.join(', ') + ').' : '.');
	}

	function contains(list, v) {
		for (var i = 0; i < list.length; i++)
			if (list[i] === v)
				return true;
		return false;
	}

	function watchScan(r, deviceJob, errors) {
		SP.device.jobDetails(deviceJob, function (err, info) {
			if (!alive(r))
				return;
			if (err) {
				if (errors + 1 >= DEVICE_ERRORS_MAX) {
					dropTemplate();
					return fail('scan', 'The printer stopped answering about the ' +
						    'scan: ' + err.message, null, ['again', 'cancel']);
				}
				return later(r, DEVICE_POLL_MS, function () {
					watchScan(r, deviceJob, errors + 1);
				});
			}
			if (info.state === 'Completed' &&
			    (info.reasons.length === 0 || contains(info.reasons, 'JobCompletedSuccessfully'))) {
				scanned(info.images);
				dropTemplate();
				return submit(r);
			}
			if (info.state === 'Completed' || info.state === 'ProcessingStopped' ||
			    info.state === 'Aborted' || info.state === 'Canceled') {
				dropTemplate();
				return fail('scan', stopReason(info.reasons),
					    contains(info.reasons, 'JobCanceledByUser') ? null
					    : 'Nothing was sent. Choose what to do next.',
					    ['again', 'edit', 'cancel']);
			}
			if (info.total > 0 && info.images >= info.total) {
				scanned(info.images);
				stage('upload');
				status('Uploading the scan…');
			} else if (info.images > 0) {
				stage('scan', 'Scanning page ' + info.images);
				status('Scanning page ' + info.images + '…');
			}
			if (contains(info.reasons, 'NextOriginalWait'))
				status('Place the next page, then press Start on the printer.');
			later(r, DEVICE_POLL_MS, function () { watchScan(r, deviceJob, 0); });
		});
	}

	/* ---- step 8: submit ------------------------------------------------- */

	function submit(r) {
		stage('upload');
		status('Uploading the scan…');
		ui.show($('progress-error'), false);
		SP.api.submitJob(job.id, function (err) {
			if (!alive(r))
				return;
			if (err && err.code === 'nothing_uploaded')
				return fail('upload', 'The printer finished, but no scanned file ' +
					    'reached scanpost.', 'Check the printer\'s network ' +
					    'settings, then scan again.', ['again', 'edit', 'cancel']);
			if (err)
				return apiFailed('upload', err, err.status === 409 ? ['again', 'edit']
								 : ['retry', 'cancel']);
			submitted = true;
			SP.app.refreshFooter();
			stage('queued');
			status(JOB_STATES.queued[1]);
			later(r, JOB_POLL_MS, function () { follow(r, 0); });
		});
	}

	/* ---- step 9: until RMail has it -------------------------------------- */

	function follow(r, errors) {
		SP.api.getJob(job.id, function (err, j) {
			if (!alive(r))
				return;
			if (err && err.status === 401)
				return SP.app.sessionLost();
			if (err || !j) {
				if (errors >= 3)
					status('Checking on the job… (' + (err ? err.message : '') + ')');
				return later(r, JOB_POLL_MS, function () { follow(r, errors + 1); });
			}
			if (JOB_STATES[j.state]) {
				stage(JOB_STATES[j.state][0]);
				status(JOB_STATES[j.state][1] +
				       (j.attempts > 1 ? ' Attempt ' + j.attempts + '.' : ''));
				return later(r, JOB_POLL_MS, function () { follow(r, 0); });
			}
			if (j.state === 'sent')
				return sent(j);
			fail(j.state === 'failed' ? 'sending' : 'queued',
			     j.error && j.error.message ? j.error.message
							: 'The job ended as ' + j.state + '.',
			     'Nothing was delivered. Check the recipients and settings and ' +
			     'send again; if it happens again, ask your administrator ' +
			     'and quote the job number ' + j.id.substring(0, 8) + '.',
			     ['resend']);
		});
	}

	function sent(j) {
		stage('sent', 'Sent', 'done');
		title('Sent');
		ui.text($('progress-tracking'), j.tracking_id || '');
		ui.show($('progress-sent'), true);
		status('RMail has your message. The scan is deleted from scanpost.');
		finish('sent');
		SP.state.draft = { to: '', cc: '', bcc: '', subject: '', body: '' };
	}

	function stop() {
		run++;
		clearTimeout(timer);
		dropTemplate();
	}

	SP.screens = SP.screens || {};
	SP.screens.progress = {
		id: 'screen-progress',
		init: renderStages,
		start: start,
		stop: stop,
		footer: function () {
			if (ended !== null)
				return { next: { label: 'New message', fn: function () {
					discardJob(function () {
						SP.state.draft = { to: '', cc: '', bcc: '', subject: '',
								   body: '' };
						SP.app.go('compose');
					});
				} } };
			if (job && !submitted)
				return { back: { label: 'Cancel', fn: CHOICES.cancel[1] } };
			return {};
		}
	};
}(window.SP));
