/*
 * screens/diagnostics.js - field diagnostics (issue 8), at #diagnostics:
 * asks each EIP service the app uses what it is and shows what answered
 * (HTTP status, SOAP version, namespace, and the device model, serial,
 * canvas, session user, templates, interface versions or the fault), then
 * can run a one-page test scan to scanpost that sends nothing: create a
 * job, scan, see the upload arrive (bytes, sha256), cancel the job so the
 * document is deleted.  It never calls submit.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, el = ui.el, $ = ui.$;
	var POLL_MS = 700, UPLOAD_WAIT_MS = 30000;

	/* The screen itself (app.js loads this file only for #diagnostics). */
	$('main').appendChild(el('section', { id: 'screen-diagnostics', className: 'screen',
					      'aria-labelledby': 'diag-title', hidden: 'hidden' }, [
		el('h1', { id: 'diag-title', tabindex: '-1' }, ['Printer diagnostics']),
		el('table', { className: 'diag' }, [
			el('caption', {}, ['What each printer service the app uses answered']),
			el('thead', {}, [el('tr', {}, [
				el('th', { scope: 'col' }, ['Service']), el('th', { scope: 'col' }, ['Sent as']),
				el('th', { scope: 'col' }, ['Answered']), el('th', { scope: 'col' }, ['Said'])])]),
			el('tbody', { id: 'diag-services' })]),
		el('h2', {}, ['One-page test scan']),
		el('p', { className: 'hint' }, ['Scans one page to scanpost, shows it arrive, then ' +
			'cancels the test job so the document is deleted: nothing is sent. ',
			el('span', { id: 'diag-signin' })]),
		el('ol', { id: 'diag-steps', className: 'diag-steps', 'aria-live': 'polite' })]));
	var run = 0, job = null, tpl = null;

	var dev = SP.device;

	/* cb(err, value): operation op, its answer read by read(doc). */
	function ask(op, read) {
		return function (cb) {
			dev.call(op, null, function (err, doc, meta) {
				cb(err, err ? null : read(doc), meta);
			});
		};
	}

	function version(doc) {
		return ['MajorVersion', 'MinorVersion', 'Revision'].map(function (n) {
			return dev.text(dev.lookup(doc, n));
		}).join('.');
	}

	/* [service, label, call(cb), what the answer says (result) in words] */
	var PROBES = [
		['config', 'Device configuration', SP.device.information, function (d) {
			return 'model ' + d.model + ' (' + dev.family(d.model) + '), serial ' +
				d.serial + ', name ' + d.name + ', canvas ' + d.width + 'x' + d.height;
		}],
		['session', 'Session', SP.device.session, function (s) {
			return s.guest ? 'nobody logged in (guest)' : 'user ' + s.username +
				(s.from ? ' <' + s.from + '>' : '');
		}],
		['template', 'Template management', ask('ListTemplates', function (doc) {
			var l = doc.getElementsByTagNameNS('*', 'TemplateName'), out = [], i;
			for (i = 0; i < l.length; i++)
				out.push(dev.text(l[i]));
			return out;
		}), function (t) {
			return t.length + ' template(s) stored' + (t.length ? ': ' + t.join(', ') : '');
		}],
		['scan', 'Scan (ScanService/2)', ask('ScanInterfaceVersion', version), function (v) {
			return 'interface version ' + v;
		}],
		['jobs', 'Job management', ask('JobsInterfaceVersion', version), function (v) {
			return 'interface version ' + v;
		}]
	];

	function cell(tag, text, cls) {
		return el(tag, cls ? { className: cls } : {}, [text]);
	}

	/* One row per service: asked (path, SOAP version, namespace), answered. */
	function probe(r, p, tbody) {
		var svc = dev.SERVICES[p[0]], answer = cell('td', 'Asking…'),
		    said = cell('td', ''), row;
		row = el('tr', { id: 'diag-' + p[0] }, [
			el('th', { scope: 'row' }, [p[1], el('br'), cell('span', svc[0], 'code')]),
			el('td', {}, ['SOAP ' + dev.build(opOf(p[0])).soap + ', ',
				      cell('span', svc[1], 'code')]), answer, said]);
		tbody.appendChild(row);
		p[2](function (err, result, meta) {
			var m = meta || {};
			if (r !== run)
				return;
			ui.text(answer, (m.status ? 'HTTP ' + m.status : 'no answer') +
				(m.soap ? ', SOAP ' + m.soap : '') + (m.ns ? ', ' + m.ns : '') +
				(m.ns && m.ns !== svc[1] ? ' (differs from what was sent)' : ''));
			ui.text(said, err ? 'Fault: ' + err.message : p[3](result));
			row.className = err ? 'bad' : 'good';
		});
	}

	function opOf(service) {
		var k;
		for (k in SP.device.OPS)
			if (SP.device.OPS.hasOwnProperty(k) && SP.device.OPS[k][0] === service)
				return k;
	}

	function step(text) {
		var li = el('li', {}, [text]);
		$('diag-steps').appendChild(li);
		return li;
	}

	function end(text, good) {
		var li = step(text);
		li.className = good ? 'good' : 'bad';
		tpl = null;
		job = null;
		SP.app.refreshFooter();
	}

	/* Cancels the test job: its document is deleted (DELETE, DESIGN 3.1). */
	function discard(r, ending, good) {
		var id = job.id;
		if (tpl)
			SP.device.deleteTemplate(tpl.name, tpl.checksum, function () {});
		SP.api.cancelJob(id, function (err) {
			if (r !== run)
				return;
			SP.api.getJob(id, function (e2, j) {
				end(ending + ' ' + (err ? 'The test job could not be canceled: ' +
						    err.message : 'Test job canceled (' + (j ? j.state
						    : 'gone') + '): its document is deleted. Nothing was sent.'),
				    good && !err);
			});
		});
	}

	/* After the printer's done: the files scanpost received, then cancel. */
	function uploads(r, since) {
		SP.api.getJob(job.id, function (err, j) {
			var i, f;
			if (r !== run)
				return;
			if (!err && j && j.files && j.files.length) {
				for (i = 0; i < j.files.length; i++) {
					f = j.files[i];
					step('Arrived at scanpost: ' + f.name + ', ' + f.bytes +
					     ' bytes, sha256 ' + f.sha256);
				}
				return discard(r, 'The test scan reached scanpost.', true);
			}
			if (new Date().getTime() - since > UPLOAD_WAIT_MS)
				return discard(r, 'The printer finished, but nothing reached scanpost: ' +
					       'check the printer\'s network and HTTPS settings.', false);
			setTimeout(function () { uploads(r, since); }, POLL_MS);
		});
	}

	function watch(r, id, last, polls) {
		SP.device.jobDetails(id, function (err, info) {
			var j, now;
			if (r !== run)
				return;
			if (err)
				return discard(r, 'GetJobDetails failed: ' + err.message, false);
			j = SP.jobState.judge(info);
			now = info.state + ' ' + info.reasons.join(' ');
			if (now !== last)
				step('Printer job ' + id + ': ' + now + (j.words ? ' - ' + j.words : ''));
			if (j.verdict === 'done' || (j.verdict === 'settling' && polls > 40))
				return uploads(r, new Date().getTime());
			if (j.verdict === 'failed' || j.verdict === 'canceled')
				return discard(r, 'The test scan did not finish.', false);
			if (polls * POLL_MS > SP.config.scanQuietSeconds * 1000)
				return discard(r, 'The printer did not finish the test scan in time.', false);
			setTimeout(function () { watch(r, id, now, polls + 1); }, POLL_MS);
		});
	}

	function testScan() {
		var r = run;
		ui.clear($('diag-steps'));
		step('Creating a test job (it is never submitted, so nothing is sent)…');
		SP.api.createJob({ to: ['diagnostics@example.invalid'],
				   subject: 'scanpost diagnostics test scan (never sent)',
				   scan: { file_name: 'Diagnostics' }, device: dev.jobDevice() },
				 function (err, data) {
			if (r !== run)
				return;
			if (err) {
				if (err.status === 401)
					return SP.app.sessionLost();
				return end('scanpost refused the test job: ' + err.message, false);
			}
			job = data;
			SP.app.refreshFooter();
			tpl = { name: 'scanpost_' + job.id.replace(/[^0-9a-fA-F]/g, '').substring(0, 8) +
				     '.xst' };
			step('Test job ' + job.id + ' created; sending its scan settings to the printer.');
			SP.device.putTemplate(tpl.name, job.template, function (e2, checksum) {
				if (r !== run)
					return;
				if (e2) {
					tpl = null;
					return discard(r, 'PutTemplate failed: ' + e2.message, false);
				}
				tpl.checksum = checksum;
				SP.device.scanWithTemplate(tpl.name, function (e3, id) {
					if (r !== run)
						return;
					if (e3 || !id)
						return discard(r, 'InitiateScanWithTemplate failed: ' +
							       (e3 ? e3.message : 'no job id'), false);
					step('Scanning: printer job ' + id + '. Place one page if the ' +
					     'printer asks for it.');
					watch(r, id, '', 0);
				});
			});
		});
	}

	function enter() {
		var tbody = $('diag-services'), i;
		run++;
		ui.clear(tbody);
		ui.clear($('diag-steps'));
		for (i = 0; i < PROBES.length; i++)
			probe(run, PROBES[i], tbody);
		ui.text($('diag-signin'), SP.state.user ? 'Signed in as ' + SP.state.user + '.'
			: 'The test scan creates a job as a signed-in RMail user: sign in first.');
	}

	function close() {
		run++;
		if (window.history && window.history.replaceState)
			window.history.replaceState(null, '', window.location.pathname);
		SP.app.go(SP.state.user ? 'compose' : 'signin');
	}

	SP.screens = SP.screens || {};
	SP.screens.diagnostics = {
		id: 'screen-diagnostics',
		enter: enter,
		leave: function () {
			if (job)
				discard(run, '', false);
			run++;
			job = null;
		},
		footer: function () {
			if (job)
				return { step: 'Test scan running…' };
			return {
				back: { label: 'Close', fn: close },
				next: SP.state.user ? { label: 'Run a test scan', fn: testScan }
					: { label: 'Sign in', fn: function () { SP.app.go('signin'); } }
			};
		}
	};
}(window.SP));
