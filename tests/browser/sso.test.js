/*
 * sso.test.js - single sign-on in the weblet (DESIGN 3.4, issues 5 and 8)
 * against the running stack, at both printer canvases: the consent is
 * offered only when the printer has a logged-in user; the printer's proof
 * is its security token (GetSecurityTokenRequest, as Xerox's XrxSession.js
 * sends it), exchanged once per visit for a ticket; with consent a later
 * launch signs in with no typing; "Forget my stored sign-in" and "Not
 * you?"; another RMail account does not replace the stored one; a changed
 * RMail password leads back to the sign-in, which replaces the stored entry
 * or, declined, forgets it.
 *
 * device-sim hands out one token per login session, as a printer keeps the
 * token of its user's sign-in; a token is used once.  So whenever this
 * suite uses a token from node, it logs the device user in again after,
 * and the page meets a fresh login session.
 *
 * The device user is this suite's own (DEVICE_USER); every test starts and
 * ends with device-sim reset and nothing stored for that user, so the other
 * suites see a guest printer and an empty vault.  The password-change test
 * adds an RMail account of its own to var/rmail/accounts (as
 * tests/integration/t_80_sso.sh does) and restores the file afterwards.
 */
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./harness');

const DEVICE_USER = 'weblet-sso';
const DEVICE_EMAIL = 'weblet-sso@example.com';
const SERIAL_OF = async () => (await h.device.state()).device.serial;
const VAR = process.env.SP_VAR || path.resolve(__dirname, '..', '..', 'var');
const NS_SESSION = 'http://www.xerox.com/webservices/office/cuisession/1';
const CONSENT = `Remember my RMail sign-in for ${DEVICE_USER} on every printer`;

let browser;

before(async () => {
	await h.checkStack();
	browser = await h.launch();
});

after(async () => {
	if (browser)
		await browser.close();
});

/* ---- the printer and the API, from node --------------------------------- */

/* The device user logs in at the printer: a new login session, a new token. */
async function deviceLogin() {
	await h.device.config({ user: DEVICE_USER, user_email: DEVICE_EMAIL });
}

/* What the service says to ask the printer for. */
async function ssoParams() {
	const r = await api('GET', '/api/v1/session/sso/ticket');
	assert.equal(r.status, 200, JSON.stringify(r.data));
	return r.data;
}

/* The logged-in user's security token, as the weblet asks for it. */
async function deviceToken() {
	const p = await ssoParams();
	const key = Buffer.from(p.security_token_key, 'utf8').toString('base64');
	const res = await fetch(h.DEVICE_SIM_URL + '/webservices/office/cuisession/1', {
		method: 'POST',
		headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' },
		body: '<?xml version="1.0" encoding="utf-8"?><soap:Envelope ' +
			'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
			`<GetSecurityTokenRequest xmlns="${NS_SESSION}"><ServiceProvider>` +
			`${p.service_provider}</ServiceProvider><SecurityTokenKey>${key}` +
			'</SecurityTokenKey></GetSecurityTokenRequest></soap:Body></soap:Envelope>'
	});
	const m = /<SecurityToken>([A-Za-z0-9+/=]+)<\/SecurityToken>/.exec(await res.text());
	assert.ok(m, 'device-sim hands out its user\'s token');
	return m[1];
}

/* The device object of one API call: a ticket for a token of a fresh login
 * session; the device user is logged in again after, for the page. */
async function proof() {
	await deviceLogin();
	const r = await api('POST', '/api/v1/session/sso/ticket',
			    { device: { serial: await SERIAL_OF(), security_token: await deviceToken() } });
	assert.equal(r.status, 201, JSON.stringify(r.data));
	await deviceLogin();
	return { ticket: r.data.sso_ticket };
}

async function api(method, p, body, session) {
	const headers = { Accept: 'application/json' };
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (session) {
		headers.Cookie = '__Host-sp_session=' + session.cookie;
		headers['X-CSRF-Token'] = session.csrf;
	}
	const res = await fetch(h.SP_URL + p, { method, headers,
		body: body === undefined ? undefined : JSON.stringify(body) });
	const text = await res.text();
	const data = text ? JSON.parse(text) : null;
	const cookie = res.headers.getSetCookie().map((c) => /^__Host-sp_session=([^;]+)/.exec(c))
		.find((m) => m);
	return { status: res.status, data,
		 session: cookie && data ? { cookie: cookie[1], csrf: data.csrf_token } : null };
}

/* Signs in through the API; with remember, stores the sign-in for the
 * printer's user.  Returns the session ({cookie, csrf}). */
async function apiSignIn(user, password, remember) {
	const body = { username: user, password, remember: !!remember };
	if (remember)
		body.device = await proof();
	const r = await api('POST', '/api/v1/session', body);
	assert.equal(r.status, 201, JSON.stringify(r.data));
	if (remember)
		assert.equal(r.data.sso_stored, true, 'the sign-in is stored');
	return r.session;
}

/* Nothing stored for DEVICE_USER any more (whatever there was).  Leaves
 * device-sim with DEVICE_USER logged in. */
async function forgetStored() {
	await h.device.config({ user: DEVICE_USER, user_email: DEVICE_EMAIL });
	const session = await apiSignIn(h.DEMO_USER, h.DEMO_PASSWORD, false);
	const r = await api('DELETE', '/api/v1/session/sso', { device: await proof() }, session);
	assert.ok(r.status === 204 || r.status === 404, `forget answered ${r.status}`);
	await api('DELETE', '/api/v1/session', undefined, session);
}

async function storedFor() { /* is a sign-in stored for DEVICE_USER? (uses it up) */
	const r = await api('POST', '/api/v1/session/sso', { device: await proof() });
	if (r.session)
		await api('DELETE', '/api/v1/session', undefined, r.session);
	return r.status === 201;
}

/* ---- the browser side --------------------------------------------------- */

/* Records, in order, the page's calls that matter here: 'device-token'
 * (GetSecurityToken, with the request's XML), and 'METHOD /api/v1/...'
 * with its JSON body. */
function watch(target) {
	const log = [];
	target.on('request', (req) => {
		const u = new URL(req.url());
		if (u.pathname === '/webservices/office/cuisession/1' &&
		    /GetSecurityTokenRequest/.test(req.postData() || ''))
			log.push({ what: 'device-token', xml: req.postData() });
		else if (u.pathname.indexOf('/api/v1/session') === 0)
			log.push({ what: req.method() + ' ' + u.pathname,
				   body: req.postData() ? JSON.parse(req.postData()) : null });
	});
	return log;
}

/*
 * The printer's proof as the page gave it: the token once, to the ticket
 * exchange, right after asking the printer (XrxSession.js's request: SOAP
 * 1.1, the session namespace, ServiceProvider and the Base64 key the service
 * named); every other call carries only the ticket that came back.
 * Returns how many calls carried a device object.
 */
function assertProofs(log, serial, params) {
	const key = Buffer.from(params.security_token_key, 'utf8').toString('base64');
	let carried = 0;
	log.forEach((e, i) => {
		if (!e.body || !e.body.device)
			return;
		carried++;
		if (e.what === 'POST /api/v1/session/sso/ticket') {
			const asked = log[i - 1];
			assert.equal(asked && asked.what, 'device-token', 'the printer was asked just before');
			assert.match(asked.xml, /schemas\.xmlsoap\.org\/soap\/envelope/);
			assert.ok(asked.xml.includes(`<GetSecurityTokenRequest xmlns="${NS_SESSION}">`));
			assert.ok(asked.xml.includes(
				`<ServiceProvider>${params.service_provider}</ServiceProvider>`));
			assert.ok(asked.xml.includes(`<SecurityTokenKey>${key}</SecurityTokenKey>`));
			assert.deepEqual(Object.keys(e.body.device).sort(), ['security_token', 'serial']);
			assert.equal(e.body.device.serial, serial);
			assert.match(e.body.device.security_token, /^[A-Za-z0-9+/]{200,}=*$/);
		} else {
			assert.deepEqual(Object.keys(e.body.device), ['ticket'],
					 `${e.what} carries the ticket only`);
		}
	});
	const tokens = log.filter((e) => e.what === 'POST /api/v1/session/sso/ticket')
		.map((e) => e.body.device.security_token);
	assert.equal(new Set(tokens).size, tokens.length, 'no token is sent twice');
	return carried;
}

async function visible(page, sel) {
	return page.isVisible(sel);
}

/* Touch targets of at least 44 px, and the header on one line, its text in full. */
async function assertLayout(page, size, selectors) {
	for (const sel of selectors) {
		const b = await page.locator(sel).boundingBox();
		assert.ok(b, `${sel} is shown`);
		assert.ok(b.height >= 44 && b.width >= 44, `${sel} is ${b.width}x${b.height}`);
		assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= size.width &&
			  b.y + b.height <= size.height, `${sel} is on the screen`);
	}
	const header = await page.evaluate(() => {
		const bar = document.querySelector('header.bar.top');
		const where = document.querySelector('.where');
		const tops = Array.from(document.querySelectorAll('.top-actions button'))
			.filter((b) => !b.hidden).map((b) => b.getBoundingClientRect().top);
		return { barHeight: bar.getBoundingClientRect().height,
			 tops, whereFits: where.scrollWidth <= where.clientWidth + 1,
			 whoWidth: document.getElementById('who').getBoundingClientRect().width };
	});
	assert.equal(new Set(header.tops).size <= 1, true, 'the header buttons are on one line');
	assert.ok(header.tops.every((t) => t >= 0 && t < header.barHeight), 'inside the header');
	assert.ok(header.whereFits, 'the signed-in user is shown in full');
}

async function consentShown(page) {
	return page.getByRole('checkbox', { name: CONSENT }).count();
}

async function noSecretsStored(page) {
	const stored = await page.evaluate(() => JSON.stringify([window.localStorage,
								 window.sessionStorage]));
	assert.ok(!stored.includes(h.DEMO_PASSWORD), 'no password in storage');
	assert.doesNotMatch(stored, /[A-Za-z0-9_+/-]{40,}/, 'no token or ticket in storage');
}

function canvas(size) {
	return `${size.width}x${size.height}`;
}

/* ---- an RMail account of this suite's own, for the password change ------- */

const ACCOUNTS = path.join(VAR, 'rmail', 'accounts');

async function rmailAccount(user, password) {
	const orig = fs.readFileSync(ACCOUNTS, 'utf8');
	const base = orig.endsWith('\n') || orig === '' ? orig : orig + '\n';
	async function set(pw) {
		/* Rewritten in place: the file keeps its owner and mode. */
		fs.writeFileSync(ACCOUNTS, base + `${user}:${pw}\n`);
		process.kill(Number(fs.readFileSync(path.join(VAR, 'run', 'rmail-sim.pid'), 'utf8')),
			     'SIGHUP');
		for (let i = 0; i < 50; i++) {
			const r = await api('POST', '/api/v1/session',
					    { username: user, password: pw, remember: false });
			if (r.status === 201) {
				await api('DELETE', '/api/v1/session', undefined, r.session);
				return;
			}
			await new Promise((res) => setTimeout(res, 200));
		}
		assert.fail('rmail-sim did not take the new password');
	}
	function restore() {
		fs.writeFileSync(ACCOUNTS, orig);
		process.kill(Number(fs.readFileSync(path.join(VAR, 'run', 'rmail-sim.pid'), 'utf8')),
			     'SIGHUP');
	}
	await set(password);
	return { set, restore };
}

/* ---- the tests ----------------------------------------------------------- */

/*
 * test() with a guest printer of the given canvas and nothing stored before,
 * and nothing stored after.  (Not beforeEach/afterEach: node's test runner
 * runs those around each t.test() step too.)
 */
function ssoTest(size, name, fn) {
	test(name, async (t) => {
		await h.device.reset();
		await forgetStored();
		await h.device.reset();
		await h.device.config({ canvas: canvas(size) });
		try {
			await fn(t);
		} finally {
			await forgetStored();
			await h.device.reset();
		}
	});
}

for (const size of h.SIZES) {
	describe(`single sign-on at ${canvas(size)}`, () => {
		ssoTest(size, 'the consent is offered only when the printer has a logged-in user', async () => {
			const v = await h.visit(browser, size);
			const page = await v.open();
			await h.screen(page, 'signin');
			assert.equal(await consentShown(page), 0, 'no consent for a guest');
			assert.equal(await page.$$eval('#signin-sso input', (l) => l.length), 0);

			await h.device.config({ user: DEVICE_USER, user_email: DEVICE_EMAIL });
			const again = await v.open();
			await h.screen(again, 'signin');
			assert.equal(await consentShown(again), 1, 'consent for the device user');
			assert.equal(await again.isChecked('#signin-remember'), false,
				     'consent is never given by default');
			assert.equal(await again.textContent('#signin-error'), '',
				     'nothing stored is no error');
			await assertLayout(again, size, ['label[for=signin-remember]', '#btn-next']);
			await v.shot(again, 'signin-sso-consent');
			await v.close();
		});

		ssoTest(size, 'with consent, a later launch signs in with no typing; forget ends it',
		     async (t) => {
			const serial = await SERIAL_OF();
			const params = await ssoParams();
			await deviceLogin();

			await t.test('sign in with consent stores the sign-in', async () => {
				const v = await h.visit(browser, size);
				const page = await v.open();
				const log = watch(page);
				await page.fill('#signin-user', h.DEMO_USER);
				await page.fill('#signin-pass', h.DEMO_PASSWORD);
				await page.getByRole('checkbox', { name: CONSENT }).check();
				await h.next(page);
				await h.screen(page, 'compose');
				const signin = log.find((e) => e.what === 'POST /api/v1/session');
				assert.equal(signin.body.remember, true);
				/* The launch (before the watch) proved the user and found
				 * nothing stored; the sign-in stores under its ticket. */
				assert.equal(assertProofs(log, serial, params), 1);
				assert.equal(await page.textContent('#who'), h.DEMO_USER);
				assert.equal(await visible(page, '#btn-notyou'), true);
				assert.equal(await visible(page, '#btn-sso-forget'), true);
				await assertLayout(page, size, ['#btn-notyou', '#btn-sso-forget',
								'#btn-jobs', '#btn-exit']);
				await noSecretsStored(page);
				await v.shot(page, 'compose-sso-stored');
				await v.close();
				assert.equal(await storedFor(), true, 'the vault has it');
			});

			await t.test('a new launch signs in as the stored user', async () => {
				const v = await h.visit(browser, size);
				let release;
				const gate = new Promise((r) => { release = r; });
				await v.ctx.route('**/api/v1/session/sso', async (route) => {
					await gate;
					await route.continue();
				});
				const log = watch(v.ctx);
				const page = await v.open('#screen-start:not([hidden])');
				await page.waitForFunction((u) => document.getElementById('start-status')
					.textContent === 'Signing you in as ' + u + '…', DEVICE_USER);
				await v.shot(page, 'sso-signing-in');
				release();
				await h.screen(page, 'compose');
				assert.equal(await page.textContent('#who'), h.DEMO_USER);
				assert.equal(await page.inputValue('#signin-pass'), '');
				assert.equal(await page.inputValue('#signin-user'), '', 'nothing typed');
				assert.deepEqual(log.filter((e) => e.what.indexOf('/api') > 0)
					.map((e) => e.what), ['GET /api/v1/session',
							      'GET /api/v1/session/sso/ticket',
							      'POST /api/v1/session/sso/ticket',
							      'POST /api/v1/session/sso']);
				assert.equal(assertProofs(log, serial, params), 2);
				await noSecretsStored(page);
				assert.equal(await visible(page, '#btn-sso-forget'), true);
				await v.shot(page, 'compose-sso');

				/* Forget, confirmed in words before and after. */
				await page.click('#btn-sso-forget');
				await page.waitForSelector('#account-panel:not([hidden])');
				assert.equal(await page.textContent('#account-text'),
					     `Forget the RMail sign-in stored for ${DEVICE_USER}? No ` +
					     'printer will sign you in automatically any more; you will ' +
					     'type your password.');
				await assertLayout(page, size, ['#account-choices button >> nth=0',
								'#account-choices button >> nth=1']);
				await v.shot(page, 'sso-forget-confirm');
				await page.click('#account-choices >> text=Keep it');
				assert.equal(await visible(page, '#account-panel'), false);
				assert.equal(await visible(page, '#btn-sso-forget'), true, 'kept');

				await page.click('#btn-sso-forget');
				await page.click('#account-choices >> text=Forget it');
				await page.waitForFunction(() => /is forgotten/.test(
					document.getElementById('account-text').textContent));
				assert.equal(await page.textContent('#account-text'),
					     'Your stored sign-in is forgotten. Next time, sign in ' +
					     'with your RMail password.');
				assert.equal(await visible(page, '#btn-sso-forget'), false);
				const forget = log.find((e) => e.what === 'DELETE /api/v1/session/sso');
				assert.ok(forget, 'DELETE /api/v1/session/sso');
				/* The visit's ticket, no second token. */
				assert.equal(assertProofs(log, serial, params), 3);
				await v.shot(page, 'sso-forgotten');
				await page.click('#account-choices >> text=OK');
				assert.equal(await visible(page, '#account-panel'), false);
				assert.equal(await page.textContent('#who'), h.DEMO_USER,
					     'still signed in');
				await v.close();
			});

			await t.test('after forget, a new launch shows the sign-in', async () => {
				await deviceLogin();
				const v = await h.visit(browser, size);
				const page = await v.open();
				await h.screen(page, 'signin');
				assert.equal(await page.textContent('#signin-error'), '');
				assert.equal(await consentShown(page), 1);
				assert.equal(await page.isChecked('#signin-remember'), false);
				await v.close();
			});
		});

		ssoTest(size, '"Not you?" signs out to the manual sign-in, with no automatic sign-in',
		     async () => {
			await deviceLogin();
			const session = await apiSignIn(h.DEMO_USER, h.DEMO_PASSWORD, true);
			await api('DELETE', '/api/v1/session', undefined, session);

			const v = await h.visit(browser, size);
			const page = await v.open('#screen-compose:not([hidden])');
			const log = watch(page);
			await page.click('#btn-notyou');
			await h.screen(page, 'signin');
			assert.equal(await page.textContent('#who'), '');
			assert.equal(await visible(page, '#btn-notyou'), false);
			assert.equal(await visible(page, '#btn-sso-forget'), false);
			assert.equal(await page.isChecked('#signin-remember'), false);
			await page.waitForTimeout(500);
			assert.deepEqual(log.filter((e) => e.what.indexOf('/api') > 0).map((e) => e.what),
					 ['DELETE /api/v1/session'], 'no automatic sign-in again');
			const st = await page.evaluate(() => fetch('/api/v1/session').then((r) => r.status));
			assert.equal(st, 401, 'the session is over');
			await h.screen(page, 'signin');
			await v.shot(page, 'signin-not-you');
			/* The manual sign-in works, and offers the consent unchecked. */
			await h.signIn(page);
			assert.equal(await visible(page, '#btn-sso-forget'), false);
			await v.close();
			assert.equal(await storedFor(), true, '"Not you?" forgets nothing');
		});

		ssoTest(size, 'another RMail account does not replace the stored one; forget first',
		     async () => {
			const other = { user: 'other@example.com',
					password: fs.readFileSync(path.join(VAR, 'other-password'), 'utf8')
						.trim() };
			await deviceLogin();
			const session = await apiSignIn(h.DEMO_USER, h.DEMO_PASSWORD, true);
			await api('DELETE', '/api/v1/session', undefined, session);

			const v = await h.visit(browser, size);
			const page = await v.open('#screen-compose:not([hidden])');
			assert.equal(await page.textContent('#who'), h.DEMO_USER);
			await page.click('#btn-notyou');
			await h.screen(page, 'signin');
			await page.fill('#signin-user', other.user);
			await page.fill('#signin-pass', other.password);
			await page.getByRole('checkbox', { name: CONSENT }).check();
			await h.next(page);
			await page.waitForSelector('#account-panel:not([hidden])');
			assert.equal(await page.textContent('#account-text'),
				     `Another RMail account is stored for ${DEVICE_USER} and was kept. ` +
				     'To store this one instead, use "Forget my stored sign-in", then sign ' +
				     'in again with the box checked.');
			assert.equal(await page.textContent('#who'), other.user, 'signed in all the same');
			assert.equal(await visible(page, '#btn-sso-forget'), true, 'forgetting is offered');
			await v.shot(page, 'sso-other-account-kept');
			await page.click('#account-choices >> text=OK');
			await v.close();

			/* The stored sign-in is still the first account's. */
			const r = await api('POST', '/api/v1/session/sso', { device: await proof() });
			assert.equal(r.status, 201);
			assert.equal(r.data.user, h.DEMO_USER);
			await api('DELETE', '/api/v1/session', undefined, r.session);
		});

		ssoTest(size, 'a changed RMail password: sign in again replaces the stored one; ' +
		     'declining forgets it', async (t) => {
			const user = `sso-web-${crypto.randomBytes(4).toString('hex')}@example.com`;
			const pw = () => crypto.randomBytes(12).toString('base64url');
			const pw1 = pw(), pw2 = pw(), pw3 = pw();
			const account = await rmailAccount(user, pw1);
			try {
				await deviceLogin();
				const session = await apiSignIn(user, pw1, true);
				await api('DELETE', '/api/v1/session', undefined, session);
				await account.set(pw2);

				await t.test('the launch asks again, with the consent checked', async () => {
					const v = await h.visit(browser, size);
					const page = await v.open();
					await h.screen(page, 'signin');
					assert.equal(await page.textContent('#signin-error'),
						     'Your RMail password has changed. Sign in again.');
					assert.equal(await page.isChecked('#signin-remember'), true);
					await v.shot(page, 'signin-sso-password-changed');
					await h.signIn(page, user, pw2);
					assert.equal(await visible(page, '#btn-sso-forget'), true);
					await v.close();
					await deviceLogin();
					const next = await h.visit(browser, size);
					const again = await next.open('#screen-compose:not([hidden])');
					assert.equal(await again.textContent('#who'), user, 'replaced');
					await next.close();
				});

				await account.set(pw3);
				await deviceLogin();
				await t.test('unchecking it forgets the stale entry', async () => {
					const v = await h.visit(browser, size);
					const page = await v.open();
					const log = watch(page);
					assert.equal(await page.isChecked('#signin-remember'), true);
					await page.uncheck('#signin-remember');
					await h.signIn(page, user, pw3);
					await page.waitForSelector('#account-panel:not([hidden])');
					assert.equal(await page.textContent('#account-text'),
						     'Your old stored sign-in is forgotten.');
					assert.ok(log.find((e) => e.what === 'DELETE /api/v1/session/sso'));
					assert.equal(log.find((e) => e.what === 'POST /api/v1/session')
						.body.remember, false);
					assertProofs(log, await SERIAL_OF(), await ssoParams());
					assert.equal(await visible(page, '#btn-sso-forget'), false);
					await v.shot(page, 'sso-declined-forgotten');
					await v.close();
					assert.equal(await storedFor(), false, 'nothing stored');
				});
			} finally {
				account.restore();
			}
		});
	});
}
