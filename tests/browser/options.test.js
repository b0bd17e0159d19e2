/*
 * options.test.js - the registered-email screen never offers what RMail
 * does not allow (RPost's RMail add-on: unmarked mail is neither encrypted
 * nor e-signed, e-sign and large-file transfer exclude each other, the
 * SideNote goes to Cc/Bcc copies only when there are such recipients), says
 * why, and what it sends is accepted end to end (DESIGN 3.2).
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
	if (browser)
		await browser.close();
});

const size = h.SIZES[0];
const disabled = (page, sel) => page.$eval(sel, (e) => e.disabled);
const visible = (page, sel) => page.isVisible(sel);

describe(`registered-email combinations at ${size.width}x${size.height}`, () => {
	test('unmarked, large mail and e-sign are never offered together; the SideNote ' +
	     'copy flags follow the recipients; the job is sent as chosen', async () => {
		await h.device.reset();
		await h.device.config({ canvas: `${size.width}x${size.height}`, pages: 1,
					page_delay_ms: 100 });
		const v = await h.visit(browser, size);
		const page = await v.open();
		const subj = h.subject('Options', size);

		await h.signIn(page);
		await h.compose(page, { to: 'alice@example.org', cc: 'bob@example.net',
					subject: subj, body: 'Combinations.' });
		await h.next(page);
		await h.screen(page, 'registered');

		/* unmarked: no encryption, no e-sign, and the reasons are shown */
		await page.check('#registered-esign');
		await h.choose(page, 'registered-marked', 'Unmarked');
		assert.ok(await page.isChecked('#registered-encryption-0'), 'encryption set to Off');
		assert.ok(await disabled(page, '#registered-encryption-1'), 'TLS preferred not offered');
		assert.ok(await disabled(page, '#registered-encryption-2'), 'encrypted PDF not offered');
		assert.ok(!(await page.isChecked('#registered-esign')), 'e-sign unchecked');
		assert.ok(await disabled(page, '#registered-esign'), 'e-sign not offered');
		assert.match(await page.textContent('#registered-encryption-why'), /Unmarked/);
		assert.match(await page.textContent('#registered-esign-why'), /marked/);
		await v.shot(page, 'registered-unmarked');

		/* marked again: everything is offered again */
		await h.choose(page, 'registered-marked', 'Marked');
		assert.ok(!(await disabled(page, '#registered-encryption-2')));
		assert.ok(!(await disabled(page, '#registered-esign')));
		assert.ok(!(await visible(page, '#registered-esign-why')), 'no reason shown');

		/* large-file transfer and e-sign exclude each other */
		await h.choose(page, 'registered-large-mail', 'Always');
		assert.ok(await disabled(page, '#registered-esign'), 'no e-sign with large mail');
		assert.match(await page.textContent('#registered-esign-why'), /large-file/);
		await h.choose(page, 'registered-large-mail', 'Automatic');
		await page.check('#registered-esign');
		assert.ok(await disabled(page, '#registered-large-mail-1'), 'no forced large mail');
		assert.match(await page.textContent('#registered-large-mail-why'), /e-sign/);
		await page.uncheck('#registered-esign');

		/* SideNote copy flags: offered with a SideNote, for Cc only (no Bcc) */
		assert.ok(!(await visible(page, '#registered-sidenote-cc')), 'no flag without a SideNote');
		await page.fill('#registered-sidenote', 'For your records');
		assert.ok(await visible(page, '#registered-sidenote-cc'), 'Cc flag offered');
		assert.ok(!(await visible(page, '#registered-sidenote-bcc')), 'no Bcc recipient, no Bcc flag');
		await page.check('#registered-sidenote-cc');

		/* send unmarked with the SideNote on the Cc copy */
		await h.choose(page, 'registered-marked', 'Unmarked');
		await h.next(page);
		await h.screen(page, 'scan');
		await h.next(page);
		await h.screen(page, 'review');
		await h.next(page);
		await h.screen(page, 'progress');
		await h.expectSent(page);
		const job = await h.jobBySubject(page, subj);
		const msg = await h.rmailMessage(job.tracking_id);
		assert.ok(msg, 'rmail-sim accepted the message');
		const o = msg.options;
		assert.equal(o['X-RPost-Type'], '2', 'unmarked');
		assert.equal(o['X-RPost-SecuRmail'], undefined, 'not encrypted');
		assert.equal(o['X-RPost-Esign'], undefined, 'no e-sign');
		assert.equal(o['X-RPost-Sidenote-Text'], 'For your records');
		assert.equal(o['X-RPost-Sidenote-Cc'], '1');
		assert.equal(o['X-RPost-Sidenote-Bcc'], '0');
		assert.match(msg.time_zone_offset, /^[+-]\d\d:\d\d$/, 'TimeZoneOffset as +hh:mm');
		await page.close();

		/* a remembered combination RMail refuses is corrected, not offered */
		await h.allowGuestMemory(v.ctx);
		const again = await v.open();
		await again.evaluate(() => window.localStorage.setItem('scanpost.guest.registered',
			JSON.stringify({ marked: false, encryption: 'always_pdf', esign: true,
					 large_mail: 'force' })));
		await again.reload();
		await again.waitForSelector('#screen-signin:not([hidden]), #screen-compose:not([hidden])');
		if (await again.isVisible('#screen-signin'))
			await h.signIn(again);
		await h.compose(again, { to: 'alice@example.org', subject: subj + ' again' });
		await h.next(again);
		await h.screen(again, 'registered');
		assert.ok(await again.isChecked('#registered-encryption-0'), 'remembered PDF becomes Off');
		assert.ok(!(await again.isChecked('#registered-esign')), 'remembered e-sign dropped');
		await again.close();
		await v.close();
	});
});
