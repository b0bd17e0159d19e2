/*
 * harness.js - what the browser tests share: the browser, the stack's
 * addresses and simulators, and steps through the weblet's screens.
 *
 * TLS: the browser verifies certificates as usual.  The stack's nginx
 * certificate is pinned with --ignore-certificate-errors-spki-list (the
 * base64 SHA-256 of its SubjectPublicKeyInfo): Chromium accepts that one key
 * although the local test CA is not in its trust store, and still refuses
 * any other certificate.  Nothing disables checking altogether (no
 * ignoreHTTPSErrors).  Node's own calls trust var/tls/ca.crt through
 * NODE_EXTRA_CA_CERTS, set by run.js.
 */
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const SP_URL = (process.env.SP_URL || 'https://127.0.0.1:8443').replace(/\/$/, '');
const RMAIL_URL = (process.env.RMAIL_URL || 'https://127.0.0.1:8444').replace(/\/$/, '');
const DEVICE_SIM_URL = (process.env.DEVICE_SIM_URL || 'http://127.0.0.1:8081').replace(/\/$/, '');
const VAR = process.env.SP_VAR || path.resolve(__dirname, '..', '..', 'var');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, 'artifacts');
/* 'nginx' (default): the stack serves the device's /webservices/ on the
 * weblet's own origin, as config.js expects.  'browser': the test forwards
 * them to DEVICE_SIM_URL itself, for a stack that does not proxy them. */
const DEVICE_ROUTE = process.env.DEVICE_ROUTE || 'nginx';
const DEMO_USER = process.env.DEMO_USER || 'demo@example.com';
const DEMO_PASSWORD = process.env.DEMO_PASSWORD ||
	fs.readFileSync(path.join(VAR, 'demo-password'), 'utf8').trim();

const SIZES = [{ width: 800, height: 480 }, { width: 1024, height: 600 }];
/* The fonts Chromium may use: 'installed' (what the machine has; the stack
 * installs fonts-liberation and fonts-dejavu-core), or 'dejavu' (only
 * DejaVu, as on a fresh Debian without Chromium's recommended fonts:
 * fonts/dejavu-only.conf). */
const FONTS = process.env.FONTS || 'installed';
const FONT_CONFIGS = {
	installed: null,
	dejavu: path.join(__dirname, 'fonts', 'dejavu-only.conf')
};
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/* ---- the browser ------------------------------------------------------ */

function spkiHash(certFile) {
	const cert = new crypto.X509Certificate(fs.readFileSync(certFile));
	const der = cert.publicKey.export({ type: 'spki', format: 'der' });
	return crypto.createHash('sha256').update(der).digest('base64');
}

/* Playwright gives each launch a fresh, temporary user-data-dir.  fonts:
 * a key of FONT_CONFIGS (FONTS by default). */
function launch(fonts = FONTS) {
	assert.ok(fonts in FONT_CONFIGS, `FONTS must be one of ${Object.keys(FONT_CONFIGS)}`);
	return chromium.launch({
		executablePath: CHROMIUM,
		env: FONT_CONFIGS[fonts] ? Object.assign({}, process.env,
			{ FONTCONFIG_FILE: FONT_CONFIGS[fonts] }) : process.env,
		headless: true,
		args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
		       '--no-first-run', '--disable-background-networking',
		       '--disable-component-update', '--disable-sync',
		       '--ignore-certificate-errors-spki-list=' +
			       spkiHash(path.join(VAR, 'tls', 'nginx.crt'))]
	});
}

/* ---- HTTP to the stack and the simulators ------------------------------ */

async function http(method, url, body) {
	const res = await fetch(url, {
		method,
		headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const text = await res.text();
	let data = null;
	try {
		data = text ? JSON.parse(text) : null;
	} catch (e) {
		data = text;
	}
	return { status: res.status, data };
}

async function ok(method, url, body) {
	const r = await http(method, url, body);
	assert.ok(r.status >= 200 && r.status < 300,
		  `${method} ${url} answered ${r.status}: ${JSON.stringify(r.data)}`);
	return r.data;
}

const device = {
	reset: () => ok('POST', DEVICE_SIM_URL + '/_sim/reset'),
	config: (knobs) => ok('POST', DEVICE_SIM_URL + '/_sim/config', knobs),
	state: () => ok('GET', DEVICE_SIM_URL + '/_sim/state'),
	/* The person at the printer's panel: 'start' (the next original is in)
	 * or 'done' (no more originals), while a job waits for one. */
	panel: (button) => ok('POST', DEVICE_SIM_URL + '/_sim/panel', { button })
};

const rmail = {
	messages: () => ok('GET', RMAIL_URL + '/_sim/messages'),
	fault: (spec) => ok('POST', RMAIL_URL + '/_sim/faults', spec),
	clearFaults: () => ok('DELETE', RMAIL_URL + '/_sim/faults')
};

async function checkStack() {
	const h = await http('GET', SP_URL + '/healthz');
	assert.equal(h.status, 200, `the stack is not up: ${SP_URL}/healthz answered ${h.status}`);
	for (const [what, url, probe] of [['device-sim', DEVICE_SIM_URL, device.state],
					  ['rmail-sim', RMAIL_URL, rmail.messages]]) {
		try {
			await probe();
		} catch (e) {
			throw new Error(`${what} does not answer at ${url}: ${e.message}`);
		}
	}
	if (DEVICE_ROUTE === 'nginx') {
		const r = await http('POST', SP_URL + '/webservices/office/device_configuration/1');
		assert.ok(r.status !== 404, `${SP_URL}/webservices/ is not served (404): ` +
			  'the stack must proxy it to device-sim, or run with DEVICE_ROUTE=browser');
	}
}

async function forwardToDevice(route) {
	const req = route.request();
	const res = await fetch(DEVICE_SIM_URL + new URL(req.url()).pathname, {
		method: req.method(),
		headers: { 'Content-Type': req.headers()['content-type'] || 'text/xml',
			   SOAPAction: req.headers().soapaction || '""' },
		body: req.postData() || undefined
	});
	await route.fulfill({ status: res.status, body: await res.text(),
			      headers: { 'Content-Type': res.headers.get('content-type') || 'text/xml' } });
}

/* ---- one visit: a context (fresh storage) and its pages ---------------- */

/*
 * Opens a browser context of the given size, its browser in the given
 * language (navigator.languages, Accept-Language).  Every page it opens is
 * watched: a script error or a Content-Security-Policy refusal fails the
 * test in close().  shot(page, name) saves artifacts/WxH/name.png and runs
 * axe-core there; a serious or critical violation fails the test.
 */
async function visit(browser, size, locale = 'en-US') {
	const ctx = await browser.newContext({ viewport: size, locale });
	if (DEVICE_ROUTE === 'browser')
		await ctx.route('**/webservices/**', forwardToDevice);
	const problems = [];
	const dir = path.join(ARTIFACTS, `${size.width}x${size.height}`);
	fs.mkdirSync(dir, { recursive: true });

	/* ready: the selector that says the weblet has settled (by default the
	 * sign-in or the compose screen); at: what follows the site's URL. */
	async function open(ready, at = '/') {
		const page = await ctx.newPage();
		page.on('pageerror', (e) => problems.push('script error: ' + e.message));
		page.on('console', (m) => {
			if (/Content.Security.Policy/i.test(m.text()))
				problems.push('CSP: ' + m.text());
		});
		await page.goto(SP_URL + at);
		await page.waitForSelector(ready ||
			'#screen-signin:not([hidden]), #screen-compose:not([hidden])');
		return page;
	}

	async function shot(page, name) {
		await page.evaluate(() => new Promise((r) => setTimeout(r, 50)));
		await page.screenshot({ path: path.join(dir, name + '.png') });
		if (!(await page.evaluate(() => typeof window.axe === 'object')))
			await page.evaluate(AXE_SOURCE);
		const result = await page.evaluate(() => window.axe.run(document, {
			resultTypes: ['violations']
		}));
		const bad = result.violations.filter((v) => v.impact === 'serious' ||
							     v.impact === 'critical');
		assert.deepEqual(bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ` +
					       v.nodes.map((n) => n.target.join(' ')).join(', ')),
				 [], `axe on screen "${name}" at ${size.width}x${size.height}`);
	}

	async function close() {
		await ctx.close();
		assert.deepEqual(problems, [], 'the page reported errors');
	}

	return { ctx, open, shot, close, size };
}

/*
 * The administrator's choice SP.config.guestMemory = true (static/js/
 * config.js): a guest printer then keeps one shared memory.  The context's
 * pages get config.js as the site serves it with that one value changed.
 */
async function allowGuestMemory(ctx) {
	await ctx.route('**/js/config.js', async (route) => {
		const res = await route.fetch();
		const text = await res.text();
		assert.match(text, /guestMemory: false,/, 'config.js has the guestMemory setting');
		await route.fulfill({ response: res,
				      body: text.replace('guestMemory: false,', 'guestMemory: true,') });
	});
}

/* ---- steps through the weblet ------------------------------------------ */

const screen = (page, name) => page.waitForSelector(`#screen-${name}:not([hidden])`);

async function next(page) {
	await page.click('#btn-next');
}

async function signIn(page, user = DEMO_USER, password = DEMO_PASSWORD) {
	await screen(page, 'signin');
	await page.fill('#signin-user', user);
	await page.fill('#signin-pass', password);
	await next(page);
	await screen(page, 'compose');
}

async function compose(page, m) {
	await page.fill('#compose-to', m.to || '');
	await page.fill('#compose-cc', m.cc || '');
	await page.fill('#compose-bcc', m.bcc || '');
	await page.fill('#compose-subject', m.subject || '');
	await page.fill('#compose-body', m.body || '');
}

/* Clicks the button-like option whose text is exactly label. */
async function choose(page, groupId, label) {
	const re = new RegExp('^' + label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$');
	await page.locator(`#${groupId} label`).filter({ hasText: re }).click();
}

/* From compose to the progress screen, with scan settings set by fn. */
async function composeToSend(page, m, registered, scan) {
	await compose(page, m);
	await next(page);
	await screen(page, 'registered');
	if (registered)
		await registered(page);
	await next(page);
	await screen(page, 'scan');
	if (scan)
		await scan(page);
	await next(page);
	await screen(page, 'review');
	await next(page);
	await screen(page, 'progress');
}

/* Waits until the progress screen ends: 'Sent', 'Not sent' or 'Canceled'. */
async function outcome(page, timeout = 90000) {
	await page.waitForFunction(() => ['Sent', 'Not sent', 'Canceled']
		.indexOf(document.getElementById('progress-title').textContent) >= 0,
	null, { timeout, polling: 200 });
	return page.textContent('#progress-title');
}

/* Waits for the end and asserts it is 'Sent', naming the reason if not. */
async function expectSent(page) {
	const end = await outcome(page);
	const why = end === 'Sent' ? '' : await page.textContent('#progress-error-text');
	assert.equal(end, 'Sent', `the job ended "${end}": ${why}`);
}

/* The API as the signed-in page sees it (same origin, its cookie). */
function api(page, method, p, body) {
	return page.evaluate(async ({ method, p, body }) => {
		const s = await fetch('/api/v1/session').then((r) => r.json()).catch(() => ({}));
		const headers = { 'X-CSRF-Token': s.csrf_token || '' };
		if (body !== undefined)
			headers['Content-Type'] = 'application/json';
		const r = await fetch(p, { method, headers,
			body: body === undefined ? undefined : JSON.stringify(body) });
		const text = await r.text();
		return { status: r.status, data: text ? JSON.parse(text) : null };
	}, { method, p, body });
}

async function jobBySubject(page, subject) {
	const r = await api(page, 'GET', '/api/v1/jobs');
	assert.equal(r.status, 200);
	const job = r.data.jobs.find((j) => j.subject === subject);
	assert.ok(job, `no job with subject ${subject}`);
	return (await api(page, 'GET', '/api/v1/jobs/' + job.id)).data;
}

async function rmailMessage(trackingId) {
	const all = await rmail.messages();
	const list = Array.isArray(all) ? all : all.messages || [];
	return list.find((m) => String(m.tracking_id).toLowerCase() ===
		String(trackingId).toLowerCase());
}

/* A subject no other run used. */
function subject(what, size) {
	return `${what} ${size.width}x${size.height} ${crypto.randomBytes(3).toString('hex')}`;
}

module.exports = {
	SP_URL, RMAIL_URL, DEVICE_SIM_URL, DEMO_USER, DEMO_PASSWORD, SIZES, ARTIFACTS, FONTS,
	launch, checkStack, device, rmail, visit, allowGuestMemory, screen, next, signIn, compose,
	choose,
	composeToSend, outcome, expectSent, api, jobBySubject, rmailMessage, subject
};
