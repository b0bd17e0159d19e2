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

	var ui = SP.ui, el = ui.el, $ = ui.$, t = SP.t;

	/* Each stage's words are 'stage.<name>' in the language tables. */
	var STAGES = ['create', 'scan', 'upload', 'queued', 'sending', 'sent'];
	var DEVICE_POLL_MS = 700;   /* GetJobDetails while the printer scans */
	var JOB_POLL_MS = 1000;     /* GET /api/v1/jobs/{id} once submitted */
	var DEVICE_ERRORS_MAX = 8;  /* consecutive unanswered polls before giving up */

	/* Job states of the API (DESIGN 3.1) once submitted. */
	var JOB_STATES = {
		queued: ['queued', 'progress.queued'],
		sending: ['sending', 'progress.sending']
	};

	var run = 0, timer = null, job = null, tpl = null, submitted = false, ended = null;
	/* What the screen shows, as keys and values, so a change of language
	 * can show it again: the title, the status line and each stage's own
	 * words when not its name. */
	var shown = { title: ['progress.title'], status: [''], labels: {} };

	function words(k) {
		return k[0] ? t(k[0], k[1]) : (k[2] || '');
	}

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
		shown.labels = {};
		for (i = 0; i < STAGES.length; i++)
			ol.appendChild(el('li', { id: 'stage-' + STAGES[i], className: 'todo' },
					  [el('span', { className: 'mark', 'aria-hidden': 'true' }),
					   el('span', { className: 'label' }, [t('stage.' + STAGES[i])]),
					   el('span', { className: 'sr-state' }, [t('stage.todo')])]));
	}

	/* The words of stage key: label ([key, params]) or its name. */
	function setLabel(key, label) {
		if (label)
			shown.labels[key] = label;
		ui.text($('stage-' + key).getElementsByTagName('span')[1],
			shown.labels[key] ? words(shown.labels[key]) : t('stage.' + key));
	}

	/* The screen again in another language. */
	function relabel() {
		var i, li;
		for (i = 0; i < STAGES.length; i++) {
			li = $('stage-' + STAGES[i]);
			setLabel(STAGES[i]);
			ui.text(li.getElementsByTagName('span')[2], t('stage.' + li.className));
		}
		ui.text($('progress-title'), words(shown.title));
		ui.text($('progress-status'), words(shown.status));
		if (shown.help)
			ui.text($('progress-error-help'), words(shown.help));
		li = $('progress-choices').getElementsByTagName('button');
		for (i = 0; i < li.length; i++)
			ui.text(li[i], t(CHOICES[shown.choices[i]][0]));
	}

	/* Stages before key are done, key is current (or 'failed'), the rest wait. */
	function stage(key, label, how) {
		var seen = false, i, li, state;
		for (i = 0; i < STAGES.length; i++) {
			li = $('stage-' + STAGES[i]);
			if (STAGES[i] === key) {
				seen = true;
				state = how || 'current';
				if (!label)
					delete shown.labels[key];
				setLabel(key, label);
			} else {
				state = seen ? 'todo' : 'done';
			}
			li.className = state;
			if (state === 'current')
				li.setAttribute('aria-current', 'step');
			else
				li.removeAttribute('aria-current');
			ui.text(li.getElementsByTagName('span')[2], t('stage.' + state));
		}
	}

	/* The scan stage, once over, says how many pages it took. */
	function scanned(images) {
		if (images > 0)
			setLabel('scan', ['stage.scanned.' + (images === 1 ? 'one' : 'other'),
					  { n: SP.i18n.number(images) }]);
	}

	/* The status line: a key and its values, or words as they are (k null). */
	function status(k, params, as) {
		shown.status = [k, params, as];
		ui.text($('progress-status'), words(shown.status));
	}

	function title(k) {
		shown.title = [k];
		ui.text($('progress-title'), t(k));
	}

	/* Hidden fields are left out (the service gives them their policy
	 * value); the copy to me is asked for, the service adds the address. */
	function jobBody() {
		var d = SP.state.draft, r = SP.validate.recipients(d), st = SP.settings;
		var b = {
			to: r.lists.to, cc: r.lists.cc, bcc: r.lists.bcc,
			subject: d.subject, body: d.body,
			registered: SP.policy.strip('registered',
						    st.toJson(st.registered, SP.state.registered)),
			scan: SP.policy.strip('scan', st.toJson(st.scan, SP.state.scan)),
			device: SP.device.jobDevice()
		};
		if (SP.policy.copyToMe() !== 'off')
			b.copy_to_me = SP.state.copyToMe === true;
		if (d.confirmOutside)
			b.confirm_outside_domains = true;
		return b;
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
		again: ['progress.again', function () {
			discardJob(start);
		}],
		edit: ['progress.edit', function () {
			discardJob(function () { SP.app.go('review'); });
		}],
		cancel: ['progress.cancel', function () {
			run++;
			dropTemplate();
			discardJob(function () {
				finish('canceled');
				title('progress.canceled_title');
				status('progress.canceled');
				ui.show($('progress-error'), false);
			});
		}],
		resend: ['progress.resend', function () {
			job = null;
			SP.app.go('review');
		}],
		retry: ['btn.retry', function () {
			submit(run);
		}]
	};

	/* message: words as they are (they stay in the language they were
	 * told in); help: [key, params] or null. */
	function fail(key, message, help, choices) {
		var box = $('progress-choices'), i, b;
		clearTimeout(timer);
		stage(key, null, 'failed');
		title('progress.not_sent');
		status('');
		shown.help = help;
		shown.choices = choices;
		ui.text($('progress-error-text'), message);
		ui.text($('progress-error-help'), help ? t(help[0], help[1]) : '');
		ui.clear(box);
		for (i = 0; i < choices.length; i++) {
			b = el('button', { type: 'button', className: i === 0 ? 'primary' : 'secondary' },
			       [t(CHOICES[choices[i]][0])]);
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
		fail(key, SP.i18n.error(err), null, choices);
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
		title('progress.title');
		ui.show($('progress-error'), false);
		ui.show($('progress-sent'), false);
		stage('create');
		status('progress.creating');
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
		status('progress.preparing');
		SP.device.putTemplate(name, job.template, function (err, checksum) {
			if (!alive(r))
				return;
			if (err)
				return fail('scan', t('progress.no_template', { why: SP.i18n.error(err) }),
					    null, ['again', 'edit', 'cancel']);
			tpl = { name: name, checksum: checksum };
			SP.device.scanWithTemplate(name, function (err2, deviceJob) {
				if (!alive(r))
					return;
				if (err2 || !deviceJob) {
					dropTemplate();
					return fail('scan', t('progress.no_start', { why: err2 ?
						    SP.i18n.error(err2) : t('progress.no_job_id') }), null,
						    ['again', 'edit', 'cancel']);
				}
				stage('scan');
				status('progress.scanning');
				watchScan(r, deviceJob, { errors: 0, seen: '', since: 0 });
			});
		});
	}

	/* Polling is bounded (config.js): an unchanged report for
	 * scanQuietSeconds, or a wait for the next original longer than
	 * nextOriginalSeconds, ends in words; Completed without reasons is
	 * taken as done after settleSeconds (submit checks the files). */
	function limit(name) {
		return SP.config[name] * 1000;
	}

	function scanStatus(info) {
		if (info.total > 0 && info.images >= info.total) {
			scanned(info.images);
			stage('upload');
			status('progress.uploading');
		} else if (info.images > 0) {
			stage('scan', ['stage.page', { n: SP.i18n.number(info.images) }]);
			status('progress.scanning_page', { n: SP.i18n.number(info.images) });
		}
	}

	function quiet(c, seconds, what) {
		var n = SP.config[seconds];
		if (c.waited < limit(seconds))
			return false;
		dropTemplate();
		fail('scan', t(n < 120 ? 'progress.quiet_seconds' : 'progress.quiet_minutes',
			       { what: t(what), n: SP.i18n.number(n < 120 ? n : Math.round(n / 60)) }),
		     ['progress.quiet_help'], ['again', 'cancel']);
		return true;
	}

	/* What each verdict of SP.jobState does; true when watching goes on. */
	var VERDICTS = {
		scanning: function (c) {
			scanStatus(c.info);
			return !quiet(c, 'scanQuietSeconds', 'progress.no_progress');
		},
		settling: function (c) {
			if (c.waited >= limit('settleSeconds'))
				return VERDICTS.done(c);
			scanStatus({ images: c.info.images, total: c.info.images });
			return true;
		},
		next_original: function (c) {
			stage('scan', ['stage.next_original']);
			status('progress.next_original');
			return !quiet(c, 'nextOriginalSeconds', 'progress.waited_original');
		},
		done: function (c) {
			var r = c.r;
			scanned(c.info.images);
			dropTemplate();
			/* The pages first, when asked for (preview.js). */
			SP.preview.offer(job.id, function () {
				if (!alive(r))
					return;
				SP.app.go('progress');
				submit(r);
			}, function () {
				SP.app.go('progress');
				discardJob(start);
			});
			return false;
		},
		canceled: function (c) {
			dropTemplate();
			fail('scan', c.judged.words, null, ['again', 'edit', 'cancel']);
			return false;
		},
		failed: function (c) {
			dropTemplate();
			fail('scan', c.judged.words, ['progress.failed_help'],
			     ['again', 'edit', 'cancel']);
			return false;
		}
	};

	/* w: {errors, seen, since}: unanswered polls in a row, and since when
	 * the printer's report has been what it is. */
	function watchScan(r, deviceJob, w) {
		SP.device.jobDetails(deviceJob, function (err, info) {
			var now = new Date().getTime(), judged, seen;
			if (!alive(r))
				return;
			if (err) {
				if (w.errors + 1 >= DEVICE_ERRORS_MAX) {
					dropTemplate();
					return fail('scan', t('progress.lost_printer',
							      { why: SP.i18n.error(err) }), null, ['again', 'cancel']);
				}
				w.errors += 1;
				return later(r, DEVICE_POLL_MS, function () { watchScan(r, deviceJob, w); });
			}
			judged = SP.jobState.judge(info);
			seen = [judged.verdict, info.state, info.reasons.join(' '), info.images].join('|');
			if (seen !== w.seen) {
				w.seen = seen;
				w.since = now;
			}
			w.errors = 0;
			if (VERDICTS[judged.verdict]({ r: r, info: info, judged: judged,
						      waited: now - w.since }))
				later(r, DEVICE_POLL_MS, function () { watchScan(r, deviceJob, w); });
		});
	}

	/* ---- step 8: submit ------------------------------------------------- */

	function submit(r) {
		stage('upload');
		status('progress.uploading');
		ui.show($('progress-error'), false);
		SP.api.submitJob(job.id, function (err) {
			if (!alive(r))
				return;
			if (err && err.code === 'nothing_uploaded')
				return fail('upload', t('progress.nothing_uploaded'),
					    ['progress.nothing_uploaded_help'], ['again', 'edit', 'cancel']);
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
					status('progress.checking', { why: err ? SP.i18n.error(err) : '' });
				return later(r, JOB_POLL_MS, function () { follow(r, errors + 1); });
			}
			if (JOB_STATES[j.state]) {
				stage(JOB_STATES[j.state][0]);
				status(null, null, SP.api.jobDelay(j) || (t(JOB_STATES[j.state][1]) +
				       (j.attempts > 1 ? ' ' + t('progress.attempt', { n: j.attempts }) : '')));
				return later(r, JOB_POLL_MS, function () { follow(r, 0); });
			}
			if (j.state === 'sent')
				return sent(j);
			/* The retry horizon passed while RMail may have it: never
			 * "failed", and never "send again" without looking first. */
			if (j.state === 'delivery_unknown')
				return fail('sending', j.error && j.error.message ? SP.i18n.error(j.error)
					    : t('progress.unknown'),
					    ['progress.unknown_help', { id: j.id.substring(0, 8) }], ['resend']);
			fail(j.state === 'failed' ? 'sending' : 'queued',
			     j.error && j.error.message ? SP.i18n.error(j.error)
							: t('progress.ended_as', { state: t('state.' + j.state) }),
			     ['progress.failed_send_help', { id: j.id.substring(0, 8) }], ['resend']);
		});
	}

	function sent(j) {
		stage('sent', null, 'done');
		title('progress.sent');
		ui.text($('progress-tracking'), j.tracking_id || '');
		ui.show($('progress-sent'), true);
		status('progress.done');
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
		relabel: relabel,
		footer: function () {
			if (ended !== null)
				return { next: { label: t('progress.new'), fn: function () {
					discardJob(function () {
						SP.state.draft = { to: '', cc: '', bcc: '', subject: '',
								   body: '' };
						SP.app.go('compose');
					});
				} } };
			if (job && !submitted)
				return { back: { label: t('btn.cancel'), fn: CHOICES.cancel[1] } };
			return {};
		}
	};
}(window.SP));
