/*
 * layout.test.js - the header holds with any fonts (issue 8): at both
 * printer canvases, with the fonts this machine has and with DejaVu only
 * (fonts/dejavu-only.conf, a fresh Debian without fonts-liberation), the
 * header's buttons stay on one line and the signed-in user's address is
 * shown in full: the printer's name gives way first, then a long address
 * wraps.  The worst case is set up in the page itself (every account
 * button shown, a long printer name, a long address), so one launch per
 * font set is enough and the test stays cheap.
 */
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const LONG_NAME = 'Front desk AltaLink C8170 (second floor, east wing)';
const ADDRESSES = ['demo@example.com',
		   'firstname.lastname.department@subsidiary.example.org'];
const BUTTONS = ['btn-jobs', 'btn-sso-forget', 'btn-notyou', 'btn-exit'];

/* Shows the header as a signed-in person with a stored sign-in sees it. */
function worstHeader(page, user, deviceName) {
	return page.evaluate(({ user, deviceName, buttons }) => {
		window.SP.state.user = user;
		document.getElementById('who').textContent = user;
		document.getElementById('device-name').textContent = deviceName;
		document.body.className += ' signed-in sso-stored';
		document.getElementById('btn-signout').hidden = true;
		for (const id of buttons)
			document.getElementById(id).hidden = false;
		window.dispatchEvent(new Event('resize'));
	}, { user, deviceName, buttons: BUTTONS });
}

function measure(page) {
	return page.evaluate((buttons) => {
		const box = (e) => e.getBoundingClientRect();
		const bar = box(document.querySelector('header.bar.top'));
		const where = document.getElementById('where');
		const who = box(document.getElementById('who'));
		const w = box(where);
		return {
			bar: { top: bar.top, bottom: bar.bottom },
			tops: buttons.map((id) => box(document.getElementById(id)).top),
			bottoms: buttons.map((id) => box(document.getElementById(id)).bottom),
			whereFits: where.scrollWidth <= where.clientWidth + 1 &&
				where.scrollHeight <= where.clientHeight + 1,
			whoInside: who.left >= w.left - 1 && who.right <= w.right + 1 &&
				who.top >= w.top - 1 && who.bottom <= w.bottom + 1 &&
				who.bottom <= bar.bottom,
			whoText: document.getElementById('who').textContent
		};
	}, BUTTONS);
}

for (const fonts of ['installed', 'dejavu']) {
	describe(`the header with ${fonts} fonts`, () => {
		let browser;
		before(async () => {
			await h.checkStack();
			browser = await h.launch(fonts);
		});
		after(async () => {
			if (browser)
				await browser.close();
		});

		for (const size of h.SIZES) {
			test(`at ${size.width}x${size.height} the user is shown in full`, async () => {
				await h.device.reset();
				await h.device.config({ canvas: `${size.width}x${size.height}` });
				const v = await h.visit(browser, size);
				const page = await v.open();
				for (const user of ADDRESSES) {
					await worstHeader(page, user, LONG_NAME);
					const m = await measure(page);
					assert.equal(new Set(m.tops).size, 1,
						     `the buttons are on one line (${user})`);
					assert.ok(m.tops[0] >= m.bar.top && Math.max(...m.bottoms) <=
						  m.bar.bottom, 'the buttons are inside the header');
					assert.ok(m.whereFits, `nothing overflows (${user})`);
					assert.ok(m.whoInside, `the whole address is in view (${user})`);
					assert.equal(m.whoText, user);
				}
				await v.shot(page, `header-long-address-${fonts}`);
				await v.close();
			});
		}
	});
}
