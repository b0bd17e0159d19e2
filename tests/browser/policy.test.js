/*
 * policy.test.js - the administrator's policy on the printer's screen
 * (issue 12, README Admin policy), at 800x480 and 1024x600: locked fields
 * read-only with "Set by your administrator.", hidden fields not shown,
 * defaults applied, Bcc hidden when not allowed, the recipient cap, outside
 * domains refused or asked, and "Send me a copy" reaching rmail-sim with
 * the signed-in address.  Each rule is also tried straight at the API from
 * the signed-in page: the service refuses what the screen does not offer.
 *
 * The test writes the stack's var/policy.conf (the api looks at it every
 * 2 s) and puts the empty one back at the end.
 */
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const VAR = process.env.SP_VAR || path.resolve(__dirname, '..', '..', 'var');
const POLICY = path.join(VAR, 'policy.conf');
let browser, saved;

/* As an administrator would: a new file moved into place, then the api's
 * check interval (POLICY_CHECK_INTERVAL, 2 s) waited out. */
async function setPolicy(text) {
	fs.writeFileSync(POLICY + '.new', text + '\n', { mode: 0o644 });
	fs.renameSync(POLICY + '.new', POLICY);
	await new Promise((r) => setTimeout(r, 2500));
}

before(async () => {
	await h.checkStack();
	saved = fs.readFileSync(POLICY, 'utf8');
	browser = await h.launch();
});

after(async () => {
	if (saved !== undefined) {
		fs.writeFileSync(POLICY + '.new', saved, { mode: 0o644 });
		fs.renameSync(POLICY + '.new', POLICY);
	}
	if (browser)
		await browser.close();
});

const disabled = (page, sel) => page.$eval(sel, (e) => e.disabled);

async function start(size) {
	await h.device.reset();
	await h.device.config({ canvas: `${size.width}x${size.height}`, pages: 1,
				page_delay_ms: 100 });
	const v = await h.visit(browser, size);
	/* "remembered" needs a memory: a guest printer whose administrator lets
	 * guests share one (config.js; memory.test.js covers per-person memory). */
	await h.allowGuestMemory(v.ctx);
	const page = await v.open();
	await h.signIn(page);
	return { v, page };
}

/* The recipients rmail-sim got for the job of subject subj. */
async function delivered(page, subj) {
	const job = await h.jobBySubject(page, subj);
	const msg = await h.rmailMessage(job.tracking_id);
	assert.ok(msg, 'rmail-sim accepted the message');
	return msg;
}

const mine = (list) => (list || []).filter((a) => a.toLowerCase() === h.DEMO_USER).length;

for (const size of h.SIZES) {
	describe(`admin policy at ${size.width}x${size.height}`, () => {
		test('locked fields read-only, hidden fields gone, defaults applied, Bcc ' +
		     'hidden, the recipient cap; the API refuses each bypass', async () => {
			await setPolicy(['lock.registered.encryption = always_pdf',
					 'lock.scan.resolution = RES_200X200',
					 'default.scan.color = BLACK_AND_WHITE',
					 'hide = registered.reference',
					 'max_recipients = 2',
					 'bcc_allowed = false',
					 'copy_to_me = off'].join('\n'));
			const { v, page } = await start(size);

			/* compose: no Bcc field; more than 2 recipients named */
			assert.ok(!(await page.isVisible('#compose-bcc')), 'Bcc is not offered');
			await page.fill('#compose-to', 'a@example.org, b@example.org');
			await page.fill('#compose-cc', 'c@example.org');
			await page.fill('#compose-subject', 'Policy');
			await h.next(page);
			assert.equal(await page.textContent('#compose-to-error'),
				     'At most 2 recipients in all.');
			assert.ok(await page.isVisible('#screen-compose'), 'still on compose');
			await page.fill('#compose-cc', '');
			await h.next(page);
			await h.screen(page, 'registered');

			/* registered: encryption locked, reference hidden, no copy option */
			for (const i of [0, 1, 2])
				assert.ok(await disabled(page, `#registered-encryption-${i}`),
					  `encryption option ${i} is read-only`);
			assert.ok(await page.isChecked('#registered-encryption-2'),
				  'the locked value is shown');
			assert.equal(await page.textContent('#registered-encryption-why'),
				     'Set by your administrator.');
			assert.ok(!(await page.isVisible('#registered-reference')), 'reference hidden');
			assert.ok(!(await page.isVisible('#registered-copy-to-me')), 'copy is off');
			/* unmarked mail is never encrypted: with encryption locked on,
			 * unmarked is not offered */
			assert.ok(await disabled(page, '#registered-marked-1'), 'Unmarked not offered');
			assert.equal(await page.textContent('#registered-marked-why'),
				     'Not possible with what your administrator set.');
			await v.shot(page, 'policy-locked');
			await h.next(page);
			await h.screen(page, 'scan');
			assert.ok(await disabled(page, '#scan-resolution'), 'resolution read-only');
			assert.equal(await page.$eval('#scan-resolution',
				(e) => e.options[e.selectedIndex].text), '200 dpi');
			assert.equal(await page.textContent('#scan-resolution-why'),
				     'Set by your administrator.');
			assert.ok(await page.isChecked('#scan-color-1'), 'default: black and white');
			await v.shot(page, 'policy-scan');
			await h.next(page);
			await h.screen(page, 'review');
			const review = await page.textContent('#review-body');
			assert.match(review, /Always encrypted PDF/);
			assert.match(review, /200 dpi/);
			assert.doesNotMatch(review, /Customer reference/, 'hidden in the review too');

			/* the same rules, straight at the API */
			const tries = [
				[{ to: ['a@example.org'], registered: { encryption: 'off' } },
				 'lock.registered.encryption'],
				[{ to: ['a@example.org'], scan: { resolution: 'RES_600X600' } },
				 'lock.scan.resolution'],
				[{ to: ['a@example.org'], registered: { reference: 'R1' } }, 'hide'],
				[{ to: ['a@example.org'], bcc: ['b@example.org'] }, 'bcc_allowed'],
				[{ to: ['a@example.org', 'b@example.org', 'c@example.org'] },
				 'max_recipients'],
				[{ to: ['a@example.org'], copy_to_me: true }, 'copy_to_me']
			];
			for (const [body, rule] of tries) {
				const r = await h.api(page, 'POST', '/api/v1/jobs', body);
				assert.equal(r.status, 400, `${rule}: ${JSON.stringify(r.data)}`);
				assert.equal(r.data.error.code, 'policy_violation');
				assert.equal(r.data.error.rule, rule);
			}
			const pol = await h.api(page, 'GET', '/api/v1/policy');
			assert.equal(pol.data.locked.registered.encryption, 'always_pdf');
			await page.close();
			await v.close();
		});

		test('outside domains: refused on compose, or asked before sending', async () => {
			await setPolicy('allowed_domains = example.org\noutside_domains = refuse');
			let { v, page } = await start(size);
			await h.compose(page, { to: 'alice@example.org', cc: 'eve@elsewhere.example',
						subject: 'Refused' });
			await h.next(page);
			assert.match(await page.textContent('#compose-cc-error'),
				     /"eve@elsewhere\.example" is outside the domains your administrator allows \(example\.org\)/);
			assert.ok(await page.isVisible('#screen-compose'));
			let r = await h.api(page, 'POST', '/api/v1/jobs',
					    { to: ['alice@example.org'], cc: ['eve@elsewhere.example'],
					      confirm_outside_domains: true });
			assert.equal(r.status, 400);
			assert.deepEqual(r.data.error.fields, ['cc[0]']);
			await page.close();
			await v.close();

			await setPolicy('allowed_domains = example.org\noutside_domains = ask');
			({ v, page } = await start(size));
			const subj = h.subject('Outside', size);
			await h.compose(page, { to: 'alice@example.org', cc: 'eve@elsewhere.example',
						subject: subj });
			await h.next(page);
			await h.screen(page, 'registered');
			await h.next(page);
			await h.screen(page, 'scan');
			await h.next(page);
			await h.screen(page, 'review');
			await h.next(page);
			await page.waitForSelector('#review-confirm:not([hidden])');
			assert.match(await page.textContent('#review-confirm-text'),
				     /eve@elsewhere\.example is outside your organization \(example\.org\)/);
			assert.ok(await page.isVisible('#screen-review'), 'nothing sent yet');
			await v.shot(page, 'policy-outside-ask');
			r = await h.api(page, 'POST', '/api/v1/jobs',
					{ to: ['alice@example.org'], cc: ['eve@elsewhere.example'] });
			assert.equal(r.status, 409, 'the API wants the confirmation too');
			assert.equal(r.data.error.code, 'policy_confirmation_required');
			await page.click('#review-confirm button.primary');
			await h.screen(page, 'progress');
			await h.expectSent(page);
			const msg = await delivered(page, subj);
			assert.deepEqual(msg.cc, ['eve@elsewhere.example']);
			await page.close();
			await v.close();
		});

		test('send me a copy: the signed-in address arrives at rmail-sim; ' +
		     'remembered; forced by policy', async () => {
			await setPolicy('copy_to_me = allowed');
			let { v, page } = await start(size);
			let subj = h.subject('Copy', size);
			await h.compose(page, { to: 'alice@example.org', subject: subj });
			await h.next(page);
			await h.screen(page, 'registered');
			assert.ok(!(await page.isChecked('#registered-copy-to-me')), 'off at first');
			assert.ok(!(await disabled(page, '#registered-copy-to-me')));
			assert.match(await page.textContent('#registered-copy-to-me-why'),
				     new RegExp(h.DEMO_USER.replace('.', '\\.') + ' as Bcc'));
			await page.check('#registered-copy-to-me');
			await v.shot(page, 'policy-copy-to-me');
			await h.next(page);
			await h.screen(page, 'scan');
			await h.next(page);
			await h.screen(page, 'review');
			assert.match(await page.textContent('#review-body'), /Copy to me/);
			await h.next(page);
			await h.screen(page, 'progress');
			await h.expectSent(page);
			let msg = await delivered(page, subj);
			assert.equal(mine(msg.bcc), 1, 'one copy to the sender, as Bcc');
			assert.deepEqual(msg.to, ['alice@example.org']);
			await page.close();

			/* the next visit of the same person starts with it on */
			page = await v.open();
			await h.compose(page, { to: 'alice@example.org', subject: 'again' });
			await h.next(page);
			await h.screen(page, 'registered');
			assert.ok(await page.isChecked('#registered-copy-to-me'), 'remembered');
			await page.close();
			await v.close();

			await setPolicy('copy_to_me = forced');
			({ v, page } = await start(size));
			subj = h.subject('Forced copy', size);
			await h.compose(page, { to: 'bob@example.org', subject: subj });
			await h.next(page);
			await h.screen(page, 'registered');
			assert.ok(await page.isChecked('#registered-copy-to-me'), 'forced on');
			assert.ok(await disabled(page, '#registered-copy-to-me'), 'read-only');
			assert.match(await page.textContent('#registered-copy-to-me-why'),
				     /^Set by your administrator\./);
			const r = await h.api(page, 'POST', '/api/v1/jobs',
					      { to: ['bob@example.org'], copy_to_me: false });
			assert.equal(r.status, 400, 'the API keeps it on');
			assert.equal(r.data.error.rule, 'copy_to_me');
			await h.next(page);
			await h.screen(page, 'scan');
			await h.next(page);
			await h.screen(page, 'review');
			await h.next(page);
			await h.screen(page, 'progress');
			await h.expectSent(page);
			msg = await delivered(page, subj);
			assert.equal(mine(msg.bcc), 1, 'forced copy to the sender');
			await page.close();
			await v.close();
		});
	});
}
