/*
 * preview.test.js - the scanned pages before they are sent (issue 12,
 * README "Preview before sending"), at both canvases, against the real
 * stack: the api's renderer makes the thumbnails of what device-sim
 * really scanned.  The stack runs with preview = choice, so the box on the
 * scan-settings screen decides; a damaged file (device-sim's corrupt_files
 * knob) is "no preview", and Scan again cancels that job and scans anew.
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

/* The scan-settings step: the box is offered, off by default; tick it. */
async function wantPreview(page) {
	const box = page.locator('#scan-preview');
	assert.equal(await box.isVisible(), true, 'the preview box is offered');
	assert.equal(await box.isChecked(), false, 'and off until the person ticks it');
	await box.check();
}

/* No horizontal scroll, and each thumbnail inside the screen. */
async function fits(page, size) {
	const m = await page.evaluate(() => {
		const main = document.getElementById('main');
		const imgs = Array.from(document.querySelectorAll('#preview-pages img'));
		return {
			scroll: main.scrollWidth - main.clientWidth,
			right: Math.max(0, ...imgs.map((i) => i.getBoundingClientRect().right)),
			loaded: imgs.every((i) => i.complete && i.naturalWidth > 0)
		};
	});
	assert.ok(m.scroll <= 0, `no horizontal scroll (${m.scroll}px)`);
	assert.ok(m.right <= size.width, `thumbnails inside ${size.width}px (${m.right})`);
	assert.ok(m.loaded, 'every thumbnail decodes as an image');
}

for (const size of h.SIZES) {
	const canvas = `${size.width}x${size.height}`;
	describe(`preview before sending at ${canvas}`, () => {
		beforeEach(async () => {
			await h.device.reset();
			await h.device.config({ canvas, pages: 3, page_delay_ms: 150 });
		});

		test('the pages show with their count and size, then Send sends', async () => {
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Preview', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'alice@example.org', subject: subj },
					      null, wantPreview);
			await h.screen(page, 'preview');
			await page.waitForFunction(() =>
				document.querySelectorAll('#preview-pages img').length === 3,
			null, { timeout: 60000, polling: 200 });
			const status = await page.textContent('#preview-status');
			assert.match(status, /^3 pages · \d+(\.\d)? (KB|MB)/);
			assert.equal(await page.textContent('#btn-next'), 'Send');
			assert.equal(await page.textContent('#btn-back'), 'Scan again');
			assert.deepEqual(await page.$$eval('#preview-pages figcaption',
							 (c) => c.map((x) => x.textContent)),
					 ['Page 1', 'Page 2', 'Page 3']);
			await fits(page, size);
			await v.shot(page, 'preview');
			/* Nothing is queued before Send. */
			const waiting = await h.jobBySubject(page, subj);
			assert.equal(waiting.state, 'awaiting_scan');
			await h.next(page);
			await h.screen(page, 'progress');
			await h.expectSent(page);
			const job = await h.jobBySubject(page, subj);
			const msg = await h.rmailMessage(job.tracking_id);
			assert.ok(msg, 'RMail has the message');
			await v.close();
		});

		test('a broken file is "no preview"; Scan again scans anew and sends', async () => {
			await h.device.config({ corrupt_files: true });
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('Preview broken', size);
			await h.signIn(page);
			await h.composeToSend(page, { to: 'alice@example.org', subject: subj },
					      null, wantPreview);
			await h.screen(page, 'preview');
			await page.waitForSelector('#preview-status.no-preview', { timeout: 60000 });
			assert.match(await page.textContent('#preview-status'),
				     /cannot be shown \(no preview\)\. You can still send them, or scan again\./);
			assert.equal(await page.$$eval('#preview-pages img', (i) => i.length), 0);
			await v.shot(page, 'preview-broken');
			const broken = await h.jobBySubject(page, subj);
			/* The api is fine: it answers, and the printer scans again. */
			const health = await h.api(page, 'GET', '/api/v1/session');
			assert.equal(health.status, 200);
			await h.device.config({ corrupt_files: false });
			await page.click('#btn-back');
			await h.screen(page, 'preview');
			await page.waitForFunction(() =>
				document.querySelectorAll('#preview-pages img').length === 3,
			null, { timeout: 60000, polling: 200 });
			await fits(page, size);
			await h.next(page);
			await h.screen(page, 'progress');
			await h.expectSent(page);
			const first = await h.api(page, 'GET', '/api/v1/jobs/' + broken.id);
			assert.equal(first.data.state, 'canceled', 'the broken scan was discarded');
			await v.close();
		});

		test('without the box ticked the job goes straight on', async () => {
			const v = await h.visit(browser, size);
			const page = await v.open();
			const subj = h.subject('No preview', size);
			let asked = false;
			page.on('request', (r) => {
				if (/\/preview$/.test(new URL(r.url()).pathname))
					asked = true;
			});
			await h.signIn(page);
			await h.composeToSend(page, { to: 'alice@example.org', subject: subj });
			await h.expectSent(page);
			assert.equal(asked, false, 'no preview was asked for');
			await v.close();
		});
	});
}
