/*
 * memory.test.js - what a shared printer remembers, and for whom (issue
 * 10, static/js/store.js): recent user names, recipients and settings are
 * kept per printer user (the person logged in at the printer's panel),
 * never shown to another printer user or to a guest; "Forget" clears one's
 * own; a guest printer keeps nothing unless the administrator allows it
 * (config.js guestMemory, false here as shipped).  Then the sign-in screen
 * says in words, with the time, when a throttled person may try again.
 *
 * One browser context for the whole test: one printer, one localStorage,
 * several people in turn.  The printer users are this file's own; the
 * printer is a guest again at the end (device-sim reset).
 */
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./harness');

const size = h.SIZES[0];
const run = crypto.randomBytes(3).toString('hex');
const A = { user: `mem-a-${run}`, user_email: `mem-a-${run}@example.org` };
const B = { user: `mem-b-${run}`, user_email: `mem-b-${run}@example.org` };
const A_TO = `a-correspondent-${run}@example.org`;
const B_TO = `b-correspondent-${run}@example.org`;
const GUEST_TO = `guest-correspondent-${run}@example.org`;

let browser;

before(async () => {
	await h.checkStack();
	browser = await h.launch();
});

after(async () => {
	await h.device.reset();
	if (browser)
		await browser.close();
});

/* Someone logs in at the printer's panel (null: nobody, a guest), then
 * opens the weblet in the printer's browser (v). */
async function arrive(v, who) {
	await h.device.reset();
	await h.device.config(Object.assign({ canvas: `${size.width}x${size.height}`, pages: 1,
					      page_delay_ms: 100 }, who || {}));
	/* The one before left with "Exit" (which signs out): no session. */
	await v.ctx.clearCookies();
	const page = await v.open();
	await h.screen(page, 'signin');
	return page;
}

const chips = (page, id) => page.$$eval(`#${id} button`, (b) => b.map((x) => x.textContent));
const storedText = (page) => page.evaluate(() => JSON.stringify(window.localStorage));

/* Signs in as the demo account, writes to `to` and sends it: the weblet
 * remembers the recipient (and the user name) for whoever is at the panel. */
async function sendTo(page, to, what) {
	await h.signIn(page);
	await h.composeToSend(page, { to, subject: h.subject(what, size) });
	await h.expectSent(page);
}

describe('per-person memory on a shared printer', () => {
	test('A\'s recipients are shown to A only: not to B, not to a guest; ' +
	     'forget clears one\'s own; a guest keeps nothing', async () => {
		const v = await h.visit(browser, size);

		/* A at the printer */
		let page = await arrive(v, A);
		await sendTo(page, A_TO, 'Memory A');
		await page.close();
		page = await arrive(v, A);
		assert.ok((await chips(page, 'signin-recent')).includes(h.DEMO_USER),
			  'A is offered the user name A used');
		await h.signIn(page);
		assert.deepEqual(await chips(page, 'compose-recent'), [A_TO], 'A sees A\'s recipient');
		await page.close();

		/* B at the same printer */
		page = await arrive(v, B);
		assert.ok(!(await chips(page, 'signin-recent')).includes(h.DEMO_USER),
			  'B is not offered the user name A used');
		await h.signIn(page);
		assert.deepEqual(await chips(page, 'compose-recent'), [], 'B sees none of A\'s recipients');
		assert.ok(!(await page.textContent('body')).includes(A_TO), 'A\'s recipient nowhere');
		await v.shot(page, 'memory-other-user');
		await page.close();
		page = await arrive(v, B);
		await sendTo(page, B_TO, 'Memory B');
		await page.close();

		/* a guest (nobody logged in at the panel) */
		page = await arrive(v, null);
		assert.deepEqual(await chips(page, 'signin-recent'), [], 'a guest is offered no user name');
		await h.signIn(page);
		assert.deepEqual(await chips(page, 'compose-recent'), [], 'a guest sees no recipient');
		const body = await page.textContent('body');
		assert.ok(!body.includes(A_TO) && !body.includes(B_TO), 'nobody\'s recipients shown');
		await v.shot(page, 'memory-guest');
		await page.close();
		page = await arrive(v, null);
		await sendTo(page, GUEST_TO, 'Memory guest');
		assert.ok(!(await storedText(page)).includes(GUEST_TO), 'a guest\'s recipient is not kept');
		await page.close();
		page = await arrive(v, null);
		await h.signIn(page);
		assert.deepEqual(await chips(page, 'compose-recent'), [], 'the next guest sees nothing');
		await page.close();

		/* A again: A's own memory is there; A forgets it, B's stays */
		page = await arrive(v, A);
		await page.click('#btn-forget');
		assert.match(await page.textContent('#forget-status'), /Your remembered .* gone/);
		const left = await storedText(page);
		assert.ok(!left.includes(A_TO), 'A\'s recipients are gone');
		assert.ok(left.includes(B_TO), 'B\'s memory is not A\'s to forget');
		await h.signIn(page);
		assert.deepEqual(await chips(page, 'compose-recent'), [], 'A\'s memory is empty now');
		await page.close();
		page = await arrive(v, B);
		await h.signIn(page);
		assert.deepEqual(await chips(page, 'compose-recent'), [B_TO], 'B still sees B\'s');
		await page.close();
		await v.close();
	});
});

describe('a throttled sign-in', () => {
	test('says in words, with the time, when to try again', async () => {
		/* A user name that RMail keeps refusing: the api blocks it after
		 * signin_attempts (5 in the stack) and answers 429 + Retry-After. */
		const name = `throttled-${run}@example.org`;
		let last;
		for (let i = 0; i < 8; i++) {
			const r = await fetch(h.SP_URL + '/api/v1/session', {
				method: 'POST', headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ username: name, password: 'wrong' })
			});
			last = { status: r.status, retry: Number(r.headers.get('retry-after')) };
			if (last.status === 429)
				break;
		}
		assert.equal(last.status, 429, 'the api throttles the name');
		assert.ok(last.retry > 60, `Retry-After ${last.retry}`);

		const v = await h.visit(browser, size);
		const page = await arrive(v, null);
		await page.fill('#signin-user', name);
		await page.fill('#signin-pass', 'wrong');
		const t0 = Date.now();
		await h.next(page);
		await page.waitForFunction(() =>
			document.getElementById('signin-error').textContent !== '');
		const text = await page.textContent('#signin-error');
		/* The printer's clock time then, as the weblet computes it from
		 * Retry-After (within the minute the request took). */
		/* The clock as the browser's language writes it (en-US: 02:35 PM). */
		const hhmm = (ms) => new Date(ms).toLocaleTimeString('en-US',
			{ hour: '2-digit', minute: '2-digit' }).replace(/\s/g, ' ');
		const from = t0 + (last.retry - 60) * 1000, to = Date.now() + (last.retry + 60) * 1000;
		const times = new Set();
		for (let ms = from; ms <= to; ms += 30000)
			times.add(hhmm(ms));
		assert.match(text, /^Too many sign-in attempts\. .*try again in \d+ minutes, at \d\d:\d\d\s[AP]M\.$/,
			     text);
		assert.ok([...times].some((t) => text.replace(/\s/g, ' ').includes(t)),
			  `the time in "${text}"`);
		await v.shot(page, 'signin-throttled');
		await page.close();
		await v.close();
	});
});
