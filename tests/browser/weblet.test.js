/*
 * weblet.test.js - the weblet in a real browser against the running stack
 * (nginx, scanpost-api, scanpost-sender, device-sim, rmail-sim), at both
 * printer canvases.  Each test resets device-sim and uses its own browser
 * context (fresh localStorage and cookies) unless it tests remembering.
 */
'use strict';

const { describe, test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let browser;

before(async () => {
	await h.checkStack();
	browser = await h.launch();
});

after(async () => {
	if (browser)
		await browser.close();
});

function canvas(size) {
	return `${size.width}x${size.height}`;
}

const sorted = (a) => a.slice().sort();

for (const size of h.SIZES) {
	describe(`weblet at ${canvas(size)}`, () => {
		beforeEach(async () => {
			await h.device.reset();
			await h.device.config({ canvas: canvas(size), pages: 2, page_delay_ms: 300 });
		});

		test('sends a registered message; RMail holds the document and the options; ' +
		     'the next visit offers what was used; forget clears it', async (t) => {
			const v = await h.visit(browser, size);
			/* A guest printer whose administrator lets guests share one
			 * memory (config.js); the default keeps nothing for guests
			 * (memory.test.js). */
			await h.allowGuestMemory(v.ctx);
			const page = await v.open();
			const subj = h.subject('Contract', size);
			let job;

			await t.test('a wrong password is refused in words', async () => {
				await v.shot(page, 'signin');
				await page.fill('#signin-user', h.DEMO_USER);
				await page.fill('#signin-pass', 'not-the-password');
				await h.next(page);
				await page.waitForFunction(() =>
					document.getElementById('signin-error').textContent !== '');
				assert.equal(await page.textContent('#signin-error'),
					     'RMail did not accept this user name and password.');
				await v.shot(page, 'signin-error');
			});

			await t.test('the full workflow reaches sent', async () => {
				await h.device.config({ page_delay_ms: 900 });
				await h.signIn(page);
				await h.compose(page, { to: 'alice@example.org', cc: 'bob@example.net',
							bcc: 'carol@example.com', subject: subj,
							body: 'Please sign and return.' });
				await v.shot(page, 'compose');
				await h.next(page);
				await h.screen(page, 'registered');
				/* marked (the default): RMail's add-on never encrypts or
				 * e-signs unmarked mail, so the screen does not offer it */
				await h.choose(page, 'registered-encryption', 'Always encrypted PDF');
				await page.check('#registered-esign');
				await page.fill('#registered-sidenote', 'Sign page 2 <b>&amp;</b>');
				await page.fill('#registered-reference', 'REF-42');
				await v.shot(page, 'registered');
				await h.next(page);
				await h.screen(page, 'scan');
				await page.fill('#scan-file-name', 'Contract');
				await v.shot(page, 'scan');
				await h.next(page);
				await h.screen(page, 'review');
				const review = await page.textContent('#review-body');
				for (const s of ['alice@example.org', 'bob@example.net', 'carol@example.com',
						 subj, 'Marked', 'Always encrypted PDF', 'REF-42'])
					assert.ok(review.includes(s), `review shows ${s}`);
				await v.shot(page, 'review');
				await h.next(page);
				await h.screen(page, 'progress');
				await page.waitForFunction(() => /Scanning page \d/.test(
					document.getElementById('progress-status').textContent),
				null, { timeout: 30000, polling: 100 });
				await v.shot(page, 'progress-scanning');
				await h.expectSent(page);
				const shown = (await page.textContent('#progress-tracking')).trim();
				assert.ok(shown.length > 0, 'the tracking id is shown');
				await v.shot(page, 'sent');

				job = await h.jobBySubject(page, subj);
				assert.equal(job.state, 'sent');
				assert.equal(job.tracking_id, shown);
				assert.ok(job.files.length >= 1, 'the job has its scanned file');
				const msg = await h.rmailMessage(shown);
				assert.ok(msg, 'rmail-sim accepted the message');
				assert.deepEqual(sorted(msg.attachments.map((a) => a.sha256)),
						 sorted(job.files.map((f) => f.sha256)),
						 'RMail holds exactly the scanned files');
				const o = msg.options;
				assert.equal(o['X-RPost-Type'], '1', 'marked');
				assert.equal(o['X-RPost-SecuRmail'], '1', 'encrypted');
				assert.equal(o['X-RPost-TLS'], undefined, 'always PDF, not TLS first');
				assert.equal(o['X-RPost-Esign'], '1');
				assert.equal(o['X-RPost-Sidenote-Text'], 'Sign page 2 <b>&amp;</b>');
				assert.equal(o['X-RPost-CustomerTrackingId'], job.id);
				const all = JSON.stringify(msg);
				for (const a of ['alice@example.org', 'bob@example.net', 'carol@example.com'])
					assert.ok(all.includes(a), `RMail got recipient ${a}`);
				assert.equal(msg.subject, subj);
			});

			await t.test('recent jobs lists it with its tracking id', async () => {
				await page.click('#btn-jobs');
				await h.screen(page, 'jobs');
				await page.waitForFunction((s) =>
					document.getElementById('jobs-list').textContent.indexOf(s) >= 0, subj);
				const text = await page.textContent('#jobs-list');
				assert.ok(text.includes(job.tracking_id));
				assert.ok(text.includes('Sent'));
				await v.shot(page, 'jobs');
			});

			await t.test('the next visit offers the user name and recipients', async () => {
				await page.click('#btn-signout');
				await h.screen(page, 'signin');
				const again = await v.open();
				await h.screen(again, 'signin');
				assert.deepEqual(await again.$$eval('#signin-recent button',
					(b) => b.map((x) => x.textContent)), [h.DEMO_USER]);
				await again.click('#signin-recent button');
				assert.equal(await again.inputValue('#signin-user'), h.DEMO_USER);
				await again.fill('#signin-pass', h.DEMO_PASSWORD);
				await h.next(again);
				await h.screen(again, 'compose');
				const chips = await again.$$eval('#compose-recent button',
					(b) => b.map((x) => x.textContent));
				assert.deepEqual(sorted(chips), sorted(['alice@example.org',
					'bob@example.net', 'carol@example.com']));
				await again.click('#compose-cc');
				await again.locator('#compose-recent button', { hasText: 'bob@' }).click();
				assert.equal(await again.inputValue('#compose-cc'), 'bob@example.net');
				await v.shot(again, 'compose-recent');
				/* Settings come back; the password never went into storage. */
				await again.fill('#compose-to', 'alice@example.org');
				await again.fill('#compose-cc', '');
				await h.next(again);
				await h.screen(again, 'registered');
				assert.ok(await again.isChecked('#registered-encryption-2'),
					  'Always encrypted PDF remembered');
				const stored = await again.evaluate(() => JSON.stringify(window.localStorage));
				assert.ok(!stored.includes(h.DEMO_PASSWORD), 'no password in localStorage');
				await again.click('#btn-signout');
				await h.screen(again, 'signin');
				await again.close();
			});

			await t.test('forget removes everything remembered', async () => {
				await page.reload();
				await h.screen(page, 'signin');
				await page.click('#btn-forget');
				assert.match(await page.textContent('#forget-status'), /gone/);
				assert.equal(await page.isVisible('#signin-recent'), false);
				const keys = await page.evaluate(() => Object.keys(window.localStorage)
					.filter((k) => k.indexOf('scanpost.') === 0));
				assert.deepEqual(keys, []);
				await v.shot(page, 'signin-forgotten');
				await page.reload();
				await h.screen(page, 'signin');
				assert.equal(await page.inputValue('#signin-user'), '');
				assert.equal(await page.$$eval('#signin-recent button', (b) => b.length), 0);
			});
			await v.close();
		});

		test('a two-sided color searchable PDF', async () => {
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Two-sided', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'dave@example.org', subject: subj }, null,
					      async (p) => {
				await h.choose(p, 'scan-sides', '2-sided');
				await h.choose(p, 'scan-color', 'Color');
				await p.selectOption('#scan-format', { label: 'TIFF, one file' });
				assert.equal(await p.isVisible('#scan-searchable'), false,
					     'no searchable text for TIFF');
				await p.selectOption('#scan-format', { label: 'PDF' });
				assert.equal(await p.isVisible('#scan-language'), false);
				await p.check('#scan-searchable');
				/* Each language of the text by its own name (i18n.js NAMES). */
				await p.selectOption('#scan-language', { label: 'Deutsch' });
				await v.shot(p, 'scan-searchable');
			});
			await h.expectSent(page);
			const job = await h.jobBySubject(page, subj);
			const docs = job.files.filter((f) => /\.pdf$/i.test(f.name));
			assert.equal(docs.length, 1, 'one PDF: ' + JSON.stringify(job.files));
			const st = await h.device.state();
			const dj = st.jobs[0];
			assert.equal(dj.images_total, 4, 'two pages, both sides');
			const msg = await h.rmailMessage(job.tracking_id);
			assert.ok(msg.attachments.some((a) => a.sha256 === docs[0].sha256));
			await v.close();
		});

		test('a multi-file XSM_TIFF_V6 scan', async () => {
			await h.device.config({ pages: 3 });
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Per page', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'erin@example.org', subject: subj }, null,
					      async (p) => {
				await p.selectOption('#scan-format', { label: 'TIFF, one file per page' });
				assert.equal(await p.isVisible('#scan-searchable'), false);
			});
			await h.expectSent(page);
			const job = await h.jobBySubject(page, subj);
			const tiffs = job.files.filter((f) => /\.tiff?$/i.test(f.name));
			assert.equal(tiffs.length, 3, 'one TIFF per page: ' + JSON.stringify(job.files));
			const msg = await h.rmailMessage(job.tracking_id);
			assert.deepEqual(sorted(msg.attachments.map((a) => a.sha256)),
					 sorted(job.files.map((f) => f.sha256)));
			await v.close();
		});

		test('empty To and invalid recipients are named as they are typed', async () => {
			const v = await h.visit(browser, size);
			const page = await v.open();
			await h.signIn(page);
			await h.next(page);
			assert.equal(await page.textContent('#compose-to-error'),
				     'Add at least one recipient.');
			assert.equal(await page.getAttribute('#compose-to', 'aria-invalid'), 'true');
			await page.fill('#compose-to', 'alice@example.org, bob@exa mple');
			assert.equal(await page.textContent('#compose-to-error'),
				     '"bob@exa" has a domain without a dot.');
			await page.fill('#compose-cc', 'al..ice@example.org');
			assert.match(await page.textContent('#compose-cc-error'), /"al\.\.ice@example\.org" has "\.\."/);
			await page.fill('#compose-bcc', 'ALICE@example.org');
			assert.match(await page.textContent('#compose-bcc-error'), /already in To/);
			await v.shot(page, 'compose-invalid');
			await h.next(page);
			await h.screen(page, 'compose');
			/* The server's verdict is the same. */
			const r = await h.api(page, 'POST', '/api/v1/jobs', { to: ['bob@exa'] });
			assert.equal(r.status, 400);
			assert.equal(r.data.error.code, 'invalid_field');
			await page.fill('#compose-to', 'alice@example.org');
			await page.fill('#compose-cc', '');
			await page.fill('#compose-bcc', '');
			await h.next(page);
			await h.screen(page, 'registered');
			await v.close();
		});

		test('a paper jam is explained and the job can be canceled', async () => {
			await h.device.config({ pages: 3, jam_after_page: 1 });
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Jam', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'frank@example.org', subject: subj });
			assert.equal(await h.outcome(page), 'Not sent');
			/* Xerox's sources name no jam reason: the job ends JobAborted,
			 * told in words as an abort (jobstate.js). */
			assert.equal(await page.textContent('#progress-error-text'),
				     'The printer stopped the scan before it was finished. ' +
				     'Check the printer, then scan again.');
			assert.deepEqual(await page.$$eval('#progress-choices button',
				(b) => b.map((x) => x.textContent)), ['Scan again', 'Edit', 'Cancel job']);
			await v.shot(page, 'paper-jam');
			const st = await h.device.state();
			assert.deepEqual(st.templates, [], 'the template was deleted');
			await page.click('#progress-choices >> text=Cancel job');
			await page.waitForFunction(() =>
				document.getElementById('progress-title').textContent === 'Canceled');
			const job = await h.jobBySubject(page, subj);
			assert.equal(job.state, 'canceled');
			await v.close();
		});

		test('a scan canceled on the printer can be scanned again', async () => {
			await h.device.config({ pages: 3, cancel_after_page: 1 });
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Canceled', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'grace@example.org', subject: subj });
			assert.equal(await h.outcome(page), 'Not sent');
			assert.equal(await page.textContent('#progress-error-text'), 'Scan canceled.');
			await v.shot(page, 'scan-canceled');
			const first = await h.jobBySubject(page, subj);
			await h.device.config({ cancel_after_page: null });
			await page.click('#progress-choices >> text=Scan again');
			await page.waitForFunction(() =>
				document.getElementById('progress-title').textContent === 'Sending');
			await h.expectSent(page);
			const jobs = (await h.api(page, 'GET', '/api/v1/jobs')).data.jobs
				.filter((j) => j.subject === subj);
			assert.equal(jobs.length, 2);
			assert.deepEqual(sorted(jobs.map((j) => j.state)), ['canceled', 'sent']);
			assert.equal(jobs.find((j) => j.state === 'canceled').id, first.id);
			await v.close();
		});

		test('an RMail refusal fails the job with its reason shown', async () => {
			const reason = 'Recipient blocked by the sender policy (sim)';
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Refused', size);
			await h.signIn(page);
			await h.rmail.fault({ kind: 'business', path: '/api/v1/Mail', count: 1,
					      message: reason });
			try {
				await h.composeToSend(page, { to: 'heidi@example.org', subject: subj });
				assert.equal(await h.outcome(page), 'Not sent');
			} finally {
				await h.rmail.clearFaults();
			}
			/* The sender may name the RMail call first ("Mail: ..."). */
			const shown = await page.textContent('#progress-error-text');
			assert.ok(shown.includes(reason), `the reason is shown: ${shown}`);
			assert.match(await page.textContent('#progress-error-help'), /send again/);
			await v.shot(page, 'rmail-failed');
			const job = await h.jobBySubject(page, subj);
			assert.equal(job.state, 'failed');
			assert.equal(job.error.message, shown);
			await v.close();
		});

		test('RMail out of reach at sign-in is said in words', async () => {
			const v = await h.visit(browser, size);
			const page = await v.open();
			await h.rmail.fault({ kind: 'status', status: 503, path: '/Token', count: 20 });
			try {
				await page.fill('#signin-user', h.DEMO_USER);
				await page.fill('#signin-pass', h.DEMO_PASSWORD);
				await h.next(page);
				await page.waitForFunction(() =>
					document.getElementById('signin-error').textContent !== '',
				null, { timeout: 60000 });
			} finally {
				await h.rmail.clearFaults();
			}
			assert.equal(await page.textContent('#signin-error'),
				     'RMail can\'t be reached; try again.');
			await v.shot(page, 'signin-rmail-down');
			await v.close();
		});

		test('sign-out leaves nothing typed for the next person', async () => {
			const v = await h.visit(browser, size);
			const page = await v.open();
			await h.signIn(page);
			await h.compose(page, { to: 'ivan@example.org', subject: 'Private matter',
						body: 'Confidential' });
			await page.click('#btn-jobs');
			await h.screen(page, 'jobs');
			await page.click('#btn-signout');
			await h.screen(page, 'signin');
			assert.equal(await page.inputValue('#signin-pass'), '');
			await h.signIn(page);
			for (const f of ['to', 'cc', 'bcc', 'subject', 'body'])
				assert.equal(await page.inputValue('#compose-' + f), '', f);
			await v.close();
		});

		test('exit signs out and leaves the app', async () => {
			const v = await h.visit(browser, size);
			const page = await v.open();
			await h.signIn(page);
			await page.click('#btn-exit');
			await page.waitForFunction(() =>
				document.getElementById('start-title').textContent === 'Goodbye');
			const s = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status));
			assert.equal(s, 401, 'the session is over');
			await v.shot(page, 'goodbye');
			await v.close();
		});
	});
}
