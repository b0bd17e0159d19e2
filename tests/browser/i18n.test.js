/*
 * i18n.test.js - the weblet in the person's language (README "Languages"):
 * a printer whose browser speaks German gets the whole workflow in German
 * at 800x480 and at 1024x600 (sign-in, message, registered settings, scan settings,
 * review, scanning, sent) with no text cut off, nothing wider than the
 * screen and axe clean on every screen; an API error shown in German by
 * its code; the language control switches the screen with what was typed
 * kept, and a printer user's choice is remembered for them.
 */
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const h = require('./harness');

const size = { width: 800, height: 480 };
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

/*
 * What does not fit on the screen as shown: the page or the main area
 * scrolling sideways, a shown element reaching past the screen's edges,
 * or the text of a shown element cut by its box (wider or taller than it
 * with overflow hidden, or spilling out of a button or field); what is
 * there for screen readers only (a 1-pixel box) is not shown.  The
 * printer's name in the header is left out: it gives way by design
 * (app.js fitHeader).
 */
function misfits(page) {
	return page.evaluate(() => {
		const bad = [];
		const vw = document.documentElement.clientWidth;
		const main = document.getElementById('main');
		const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
			' "' + (e.textContent || e.value || '').trim().slice(0, 40) + '"';
		if (document.documentElement.scrollWidth > vw + 1)
			bad.push('the page scrolls sideways');
		if (main.scrollWidth > main.clientWidth + 1)
			bad.push('the main area scrolls sideways');
		for (const e of document.querySelectorAll('body *')) {
			if (!e.getClientRects().length || e.closest('#device-name') ||
			    e.tagName === 'OPTION')
				continue;
			const cs = getComputedStyle(e);
			if (cs.visibility === 'hidden')
				continue;
			const text = Array.from(e.childNodes).some((n) =>
				n.nodeType === 3 && n.textContent.trim() !== '');
			const field = /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(e.tagName);
			if (!text && !field)
				continue;
			const r = e.getBoundingClientRect();
			if (r.width <= 1 || r.height <= 1)
				continue; /* for screen readers only (.sr-state) */
			if (r.right > vw + 1 || r.left < -1)
				bad.push(`${name(e)} reaches past the screen (${Math.round(r.left)}..` +
					 `${Math.round(r.right)})`);
			if (cs.display === 'inline' || e.tagName === 'TEXTAREA' || e.type === 'checkbox' ||
			    e.type === 'radio')
				continue;
			const clips = cs.overflowX !== 'visible' || field;
			if (clips && e.scrollWidth > e.clientWidth + 1)
				bad.push(`${name(e)} is cut: ${e.scrollWidth} wide in ${e.clientWidth}`);
			if (cs.overflowY === 'hidden' && e.scrollHeight > e.clientHeight + 1)
				bad.push(`${name(e)} is cut: ${e.scrollHeight} high in ${e.clientHeight}`);
		}
		return bad;
	});
}

async function fits(v, page, name) {
	assert.deepEqual(await misfits(page), [], `the ${name} screen fits ${v.size}`);
	await v.shot(page, 'de-' + name);
}

const text = (page, sel) => page.textContent(sel);

describe('the weblet in German', () => {
	/* The German workflow at both canvases of the printers (DESIGN 3.2):
	 * German has the longest words of the seven languages. */
	for (const canvas of [size, { width: 1024, height: 600 }])
	test(`a German printer at ${canvas.width}x${canvas.height}: the whole workflow in ` +
	     'German; an API error by its code', async (t) => {
		await h.device.reset();
		await h.device.config({ canvas: `${canvas.width}x${canvas.height}`, pages: 2,
					page_delay_ms: 200 });
		const v = await h.visit(browser, canvas, 'de-DE');
		v.size = `${canvas.width}x${canvas.height}`;
		const page = await v.open();
		const subj = h.subject('Vertrag', canvas);

		await t.test('sign-in, and a refused password in German by its code', async () => {
			assert.equal(await page.getAttribute('html', 'lang'), 'de');
			assert.equal(await text(page, '#signin-title'), 'Bei RMail anmelden');
			assert.equal(await text(page, '#btn-next'), 'Anmelden');
			assert.equal(await page.inputValue('#lang'), 'de');
			await fits(v, page, 'signin');
			await page.fill('#signin-user', h.DEMO_USER);
			await page.fill('#signin-pass', 'nicht-das-passwort');
			await h.next(page);
			await page.waitForFunction(() =>
				document.getElementById('signin-error').textContent !== '');
			/* The API answered 401 rmail_auth_failed in English. */
			assert.equal(await text(page, '#signin-error'),
				     'RMail hat diesen Benutzernamen und dieses Passwort nicht akzeptiert.');
			await fits(v, page, 'signin-error');
		});

		await t.test('message, with a wrong address named in German', async () => {
			await h.signIn(page);
			assert.equal(await text(page, '#compose-title'), 'Nachricht');
			assert.equal(await text(page, 'label[for=compose-to]'), 'An');
			assert.equal(await text(page, '#step'), 'Schritt 1/4 · Nachricht');
			await h.compose(page, { to: 'alice@example', subject: subj,
						body: 'Bitte unterschreiben Sie den beigefügten Vertrag.' });
			await h.next(page);
			assert.equal(await text(page, '#compose-to-error'),
				     '„alice@example“ hat eine Domain ohne Punkt.');
			await page.fill('#compose-to', 'alice@example.org');
			await page.fill('#compose-cc', 'bob@example.org');
			await page.locator('#compose-to').focus();
			await fits(v, page, 'compose');
			await h.next(page);
		});

		await t.test('registered email and scan settings', async () => {
			await h.screen(page, 'registered');
			assert.equal(await text(page, '#registered-title'), 'Einschreiben');
			assert.equal(await text(page, '#registered-marked legend'), 'Einschreiben');
			await h.choose(page, 'registered-encryption', 'Immer verschlüsseltes PDF');
			await fits(v, page, 'registered');
			await h.next(page);
			await h.screen(page, 'scan');
			assert.equal(await text(page, '#scan-title'), 'Scaneinstellungen');
			await h.choose(page, 'scan-color', 'Schwarzweiß');
			await fits(v, page, 'scan');
			await h.next(page);
		});

		await t.test('review, scanning and sent', async () => {
			await h.screen(page, 'review');
			assert.equal(await text(page, '#review-title'), 'Prüfen und senden');
			const review = await text(page, '#review-body');
			assert.match(review, /Immer verschlüsseltes PDF/);
			assert.match(review, /Schwarzweiß/);
			assert.equal(await text(page, '#btn-next'), 'Scannen und senden');
			await fits(v, page, 'review');
			await h.next(page);
			await h.screen(page, 'progress');
			await page.waitForFunction(() => /gescannt|wird gescannt/i.test(
				document.getElementById('progress-stages').textContent), null,
				{ timeout: 30000, polling: 100 });
			await fits(v, page, 'scanning');
			await page.waitForFunction(() => ['Gesendet', 'Nicht gesendet'].indexOf(
				document.getElementById('progress-title').textContent) >= 0, null,
				{ timeout: 90000, polling: 200 });
			const why = await text(page, '#progress-error-text');
			assert.equal(await text(page, '#progress-title'), 'Gesendet', why);
			assert.equal(await text(page, '#progress-status'),
				     'RMail hat Ihre Nachricht. Der Scan ist bei scanpost gelöscht.');
			assert.match(await text(page, '#stage-scan'), /^2 Seiten gescannt, erledigt$/);
			await fits(v, page, 'sent');
		});

		await t.test('recent jobs: states and times in German', async () => {
			await page.click('#btn-jobs');
			await h.screen(page, 'jobs');
			await page.waitForFunction((s) =>
				document.getElementById('jobs-list').textContent.indexOf(s) >= 0, subj);
			const list = await text(page, '#jobs-list');
			assert.match(list, /Gesendet/);
			/* de-DE dates: 02.12.2026, 14:35 */
			assert.match(list, /\d\d\.\d\d\.\d{4}, \d\d:\d\d/);
			await fits(v, page, 'jobs');
		});
		await v.close();
	});

	test('the language control switches the screen, keeps what was typed, and is ' +
	     'remembered for the printer user', async () => {
		const who = crypto.randomBytes(3).toString('hex');
		await h.device.reset();
		await h.device.config({ canvas: '800x480', pages: 1, page_delay_ms: 100,
					user: `lang-${who}`, user_email: `lang-${who}@example.org` });
		const v = await h.visit(browser, size, 'en-US');
		let page = await v.open();
		await h.signIn(page);
		assert.equal(await text(page, 'label[for=compose-to]'), 'To');
		await h.compose(page, { to: 'alice@example.org', subject: 'Draft kept' });
		await page.selectOption('#lang', 'de');
		await page.waitForFunction(() =>
			document.querySelector('label[for=compose-to]').textContent === 'An');
		assert.equal(await page.getAttribute('html', 'lang'), 'de');
		assert.equal(await text(page, '#btn-next'), 'Weiter');
		assert.equal(await text(page, '#btn-jobs'), 'Aufträge');
		assert.equal(await page.inputValue('#compose-to'), 'alice@example.org');
		assert.equal(await page.inputValue('#compose-subject'), 'Draft kept');
		assert.deepEqual(await misfits(page), []);
		await h.next(page);
		await h.screen(page, 'registered');
		assert.equal(await text(page, '#step'), 'Schritt 2/4 · Einschreiben');
		/* On a settings screen the choice made stays through a switch. */
		await h.choose(page, 'registered-marked', 'Ungekennzeichnet');
		await page.selectOption('#lang', 'fr');
		await page.waitForFunction(() =>
			document.getElementById('registered-title').textContent === 'E-mail recommandé');
		assert.equal(await page.isChecked('#registered-marked-1'), true, 'still unmarked');
		assert.equal(await text(page, '#registered-encryption-why'),
			     'Un e-mail non marqué est envoyé sans chiffrement.');
		assert.deepEqual(await misfits(page), []);
		await page.close();

		/* The same printer user comes back: French, although the browser
		 * speaks English. */
		page = await v.open();
		await h.screen(page, 'compose');
		await page.waitForFunction(() => document.documentElement.lang === 'fr');
		assert.equal(await text(page, 'label[for=compose-to]'), 'À');
		await page.close();

		/* Someone else at the same printer: the browser's English. */
		await h.device.config({ user: `other-${who}`, user_email: `other-${who}@example.org` });
		page = await v.open();
		await h.screen(page, 'compose');
		assert.equal(await page.getAttribute('html', 'lang'), 'en');
		assert.equal(await text(page, 'label[for=compose-to]'), 'To');
		await v.close();
	});

	test('a language the weblet does not have: English', async () => {
		await h.device.reset();
		await h.device.config({ canvas: '800x480' });
		const v = await h.visit(browser, size, 'ja-JP');
		const page = await v.open();
		assert.equal(await page.getAttribute('html', 'lang'), 'en');
		assert.equal(await text(page, '#signin-title'), 'Sign in to RMail');
		await v.close();
	});
});
