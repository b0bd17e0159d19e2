/*
 * retry.test.js - while RMail fails, a job is delayed, not failed, and the
 * weblet says so (issue 10, DESIGN 3.5): the progress screen and the recent
 * jobs show "Delayed, next try at …, because: …" with RMail's words; once
 * RMail answers, the job ends sent.  Against the running stack, with
 * rmail-sim answering 503 to every Upload for a while.
 */
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

let browser;

before(async () => {
	await h.checkStack();
	browser = await h.launch();
});

after(async () => {
	await h.rmail.clearFaults();
	if (browser)
		await browser.close();
});

const size = h.SIZES[0];

describe('a job RMail keeps failing', () => {
	test('is shown delayed with the next try and the reason, then sent', async () => {
		await h.device.reset();
		await h.device.config({ canvas: `${size.width}x${size.height}`, pages: 1,
					page_delay_ms: 200 });
		await h.rmail.clearFaults();
		await h.rmail.fault({ kind: 'status', status: 503, path: '/api/Upload', count: 1000,
				      message: 'RMail is down for maintenance' });
		const v = await h.visit(browser, size);
		const page = await v.open();
		const subj = h.subject('Delayed', size);
		try {
			await h.signIn(page);
			await h.composeToSend(page, { to: 'alice@example.org', subject: subj, body: 'x' });
			await page.waitForFunction(() => /^Delayed, next try at \d\d\/\d\d\/\d{4}, \d\d:\d\d\s[AP]M, because: /
				.test(document.getElementById('progress-status').textContent),
			null, { timeout: 60000, polling: 200 });
			assert.notEqual(await page.textContent('#progress-title'), 'Not sent',
					'a delayed job is not shown as failed');
			await v.shot(page, 'progress-delayed');

			const job = await h.jobBySubject(page, subj);
			assert.equal(job.state, 'queued');
			assert.equal(job.error.code, 'rmail_unavailable');
			assert.match(job.next_attempt_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

			/* The recent jobs say the same, in another tab of the session. */
			const list = await v.open('#screen-compose:not([hidden])');
			await list.waitForSelector('#btn-jobs:not([hidden])');
			await list.click('#btn-jobs');
			await h.screen(list, 'jobs');
			await list.waitForFunction((s) =>
				document.getElementById('jobs-list').textContent.indexOf(s) >= 0, subj);
			assert.match(await list.textContent('#jobs-list'), /Delayed, next try at .*, because: /);

			await h.rmail.clearFaults();
			await h.expectSent(page);
		} finally {
			await h.rmail.clearFaults();
			await v.close();
		}
	});
});
