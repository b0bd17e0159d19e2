/*
 * scanjob.test.js - the printer's job states and its guest user as a real
 * device reports them (issue 8, points 3 and 6), against the strict
 * device-sim and its knobs (completed_early_polls, next_original_after_page
 * with POST /_sim/panel, abort_after_page, family, user), at both
 * canvases.  How
 * each state is read is static/js/jobstate.js; eip.test.js checks the table
 * case by case, these tests the weblet living through it.
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

function unescapeXml(s) {
	return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"')
		.replace(/&apos;/g, '\'').replace(/&amp;/g, '&');
}

/*
 * What the page asked and was told, in order: {what: 'poll', state,
 * reasons} for each GetJobDetails answer, {what: 'submit'} for each
 * POST .../submit.  A poll's entry is made when its answer arrives and is
 * filled in when its body is read; the page submits only after it read an
 * answer, so the order is the page's.
 */
function watchJob(page) {
	const log = [];
	page.on('response', (res) => {
		if (new URL(res.url()).pathname !== '/webservices/JobManagement/1')
			return;
		const e = { what: 'poll', state: '', reasons: '' };
		log.push(e);
		e.read = res.text().then((t) => {
			const x = unescapeXml(unescapeXml(t));
			e.state = (/<JobState>([^<]*)</.exec(x) || [])[1] || '';
			e.reasons = (/<JobStateReasons>([^<]*)</.exec(x) || [])[1] || '';
		}).catch(() => {});
	});
	page.on('request', (req) => {
		if (req.method() === 'POST' && /\/api\/v1\/jobs\/[^/]+\/submit$/.test(req.url()))
			log.push({ what: 'submit' });
	});
	return {
		log,
		settled: () => Promise.all(log.filter((e) => e.read).map((e) => e.read))
	};
}

const ABORT_WORDS = 'The printer stopped the scan by itself. Check the printer for a ' +
	'message, then scan again.';

for (const size of h.SIZES) {
	const canvas = `${size.width}x${size.height}`;
	describe(`the printer's job states at ${canvas}`, () => {
		beforeEach(async () => {
			await h.device.reset();
			await h.device.config({ canvas, pages: 2, page_delay_ms: 300 });
		});

		test('Completed before its reasons keeps polling, then the job is sent', async () => {
			await h.device.config({ completed_early_polls: 4 });
			const v = await h.visit(browser, size);
			const page = await v.open();
			const watch = watchJob(page);
			const subj = h.subject('Early completed', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'judy@example.org', subject: subj });
			await h.expectSent(page);
			await watch.settled();
			const log = watch.log;
			const early = log.findIndex((e) => e.what === 'poll' && e.state === 'Completed' &&
						    /^(None)?$/.test(e.reasons.trim()));
			const final = log.findIndex((e) => e.what === 'poll' && e.state === 'Completed' &&
						    /JobCompletedSuccessfully/.test(e.reasons));
			const submit = log.findIndex((e) => e.what === 'submit');
			assert.ok(early >= 0, 'the printer said Completed with no reason yet: ' +
				  JSON.stringify(log));
			assert.ok(final > early, 'and its reasons came later');
			assert.ok(submit > final, 'the weblet submitted only after the reasons came');
			assert.equal(log.filter((e) => e.what === 'submit').length, 1);
			const job = await h.jobBySubject(page, subj);
			assert.equal(job.state, 'sent');
			assert.ok(job.files.length >= 1);
			await v.close();
		});

		test('a build job asks for the next original and goes on when Start is pressed',
		     async () => {
			await h.device.config({ next_original_after_page: 1 });
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Next original', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'ken@example.org', subject: subj });
			await page.waitForFunction(() => /next original/.test(
				document.getElementById('progress-status').textContent),
			null, { timeout: 30000, polling: 100 });
			assert.equal(await page.textContent('#progress-status'),
				     'Place the next original, then press Start on the printer. When ' +
				     'there are no more pages, finish the job on the printer.');
			assert.equal(await page.textContent('#stage-scan .label'),
				     'Waiting for the next original');
			assert.equal(await page.getAttribute('#stage-scan', 'aria-current'), 'step');
			assert.equal(await page.textContent('#progress-title'), 'Sending',
				     'the job goes on: no failure');
			await v.shot(page, 'next-original');
			await page.waitForTimeout(1500);
			assert.match(await page.textContent('#progress-status'), /next original/,
				     'it keeps waiting while the printer does');
			await h.device.panel('start');
			await h.expectSent(page);
			const job = await h.jobBySubject(page, subj);
			assert.equal(job.state, 'sent');
			const st = await h.device.state();
			assert.equal(st.jobs[0].images_scanned, 2, 'both pages were scanned');
			await v.close();
		});

		test('an abort by the printer is told in words, and the job can be canceled',
		     async () => {
			await h.device.config({ abort_after_page: 1 });
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Aborted', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'liam@example.org', subject: subj });
			assert.equal(await h.outcome(page), 'Not sent');
			assert.equal(await page.textContent('#progress-error-text'), ABORT_WORDS);
			assert.equal(await page.textContent('#progress-error-help'),
				     'Nothing was sent. Choose what to do next.');
			assert.deepEqual(await page.$$eval('#progress-choices button',
				(b) => b.map((x) => x.textContent)), ['Scan again', 'Edit', 'Cancel job']);
			await v.shot(page, 'scan-aborted');
			assert.deepEqual((await h.device.state()).templates, [],
					 'the template was deleted');
			await page.click('#progress-choices >> text=Cancel job');
			await page.waitForFunction(() =>
				document.getElementById('progress-title').textContent === 'Canceled');
			assert.equal((await h.jobBySubject(page, subj)).state, 'canceled');
			await v.close();
		});

		test('a job that never finishes ends with a clear message, not an endless wait',
		     async () => {
			await h.device.config({ pages: 1, page_delay_ms: 60000 });
			const v = await h.visit(browser, size);
			/* A printer that says nothing new for 2 s (config.js: 120 s). */
			await v.ctx.route('**/js/config.js', async (route) => {
				const res = await route.fetch();
				await route.fulfill({ response: res, body: (await res.text())
					.replace(/scanQuietSeconds: \d+/, 'scanQuietSeconds: 2') });
			});
			const page = await v.open();
			const subj = h.subject('Never ends', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'mia@example.org', subject: subj });
			assert.equal(await h.outcome(page, 30000), 'Not sent');
			assert.equal(await page.textContent('#progress-error-text'),
				     'The printer has not reported any progress on the scan for 2 ' +
				     'seconds, so scanpost stopped waiting.');
			assert.equal(await page.textContent('#progress-error-help'),
				     'Check the printer. Nothing was sent.');
			assert.deepEqual(await page.$$eval('#progress-choices button',
				(b) => b.map((x) => x.textContent)), ['Scan again', 'Cancel job']);
			await v.shot(page, 'scan-never-ends');
			await v.close();
		});

		test('a VersaLink gets its own template: the weblet names the family', async () => {
			await h.device.config({ family: 'versalink', pages: 1 });
			const v = await h.visit(browser, size);
			const page = await v.open();
			const bodies = [];
			page.on('request', (r) => {
				if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/jobs')
					bodies.push(JSON.parse(r.postData()));
			});
			const subj = h.subject('VersaLink', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'nora@example.org', subject: subj });
			await h.expectSent(page);
			assert.equal(bodies.length, 1);
			assert.deepEqual(bodies[0].device, { family: 'versalink' });
			assert.ok((await h.jobBySubject(page, subj)).files.length >= 1);
			await v.close();
		});

		test('"Guest" or "GUEST" from the printer is nobody logged in', async () => {
			for (const user of ['Guest', 'GUEST']) {
				await h.device.config({ user, user_email: 'front-desk@example.org' });
				const v = await h.visit(browser, size);
				const calls = [];
				v.ctx.on('request', (r) => {
					if (new URL(r.url()).pathname.indexOf('/api/v1/session') === 0)
						calls.push(r.method() + ' ' + new URL(r.url()).pathname);
				});
				const page = await v.open();
				await h.screen(page, 'signin');
				assert.equal(await page.$$eval('#signin-sso input', (l) => l.length), 0,
					     `no single sign-on consent for ${user}`);
				assert.equal(await page.$$eval('#signin-recent button', (b) => b.length), 0,
					     `the address of ${user} is not offered as a user name`);
				assert.deepEqual(calls, ['GET /api/v1/session'],
						 `no automatic sign-in for ${user}`);
				await v.shot(page, 'signin-guest-' + user.toLowerCase());
				await v.close();
			}
		});
	});
}
