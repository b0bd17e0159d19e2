/*
 * diagnostics.test.js - the field diagnostics screen (issue 8, "Field
 * diagnostics") at both canvases: #diagnostics lists every EIP service the
 * weblet uses with what answered, and its one-page test scan reaches
 * scanpost (bytes and sha256 shown), is canceled so its document is
 * deleted, and sends nothing (rmail-sim's /_sim/messages never sees it).
 */
'use strict';

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./harness');

const SUBJECT = 'scanpost diagnostics test scan (never sent)';
const SERVICES = ['config', 'session', 'template', 'scan', 'jobs'];

let browser;

before(async () => {
	await h.checkStack();
	browser = await h.launch();
});

after(async () => {
	if (browser)
		await browser.close();
});

async function rows(page) {
	await page.waitForFunction((ids) => ids.every((id) => {
		const r = document.getElementById('diag-' + id);
		return r && /good|bad/.test(r.className);
	}), SERVICES, { timeout: 30000 });
	return page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
		const cells = Array.from(document.getElementById('diag-' + id).children)
			.map((c) => c.textContent);
		return [id, { service: cells[0], sent: cells[1], answered: cells[2], said: cells[3],
			      good: document.getElementById('diag-' + id).className === 'good' }];
	})), SERVICES);
}

for (const size of h.SIZES) {
	const canvas = `${size.width}x${size.height}`;
	describe(`diagnostics at ${canvas}`, () => {
		test('#diagnostics lists every service the app uses and what answered', async () => {
			await h.device.reset();
			await h.device.config({ canvas, user: 'diag-tech', user_email: 'tech@example.org' });
			const dev = (await h.device.state()).device;
			const v = await h.visit(browser, size);
			const page = await v.open('#screen-diagnostics:not([hidden])', '/#diagnostics');
			const r = await rows(page);

			const sent = {
				config: ['/webservices/office/device_configuration/1', 'SOAP 1.1',
					 'http://www.xerox.com/webservices/office/device_configuration/1'],
				session: ['/webservices/office/cuisession/1', 'SOAP 1.1',
					  'http://www.xerox.com/webservices/office/cuisession/1'],
				template: ['/webservices/office/template_management/1', 'SOAP 1.1',
					   'http://www.xerox.com/webservices/office/template_management/1/'],
				scan: ['/webservices/ScanService/2', 'SOAP 1.2',
				       'http://www.xerox.com/webservices/scanservice/2'],
				jobs: ['/webservices/JobManagement/1', 'SOAP 1.2',
				       'http://xml.namespaces.xerox.com/enterprise/JobManagement/1']
			};
			for (const id of SERVICES) {
				assert.ok(r[id].service.includes(sent[id][0]), `${id}: its path`);
				assert.equal(r[id].sent, `${sent[id][1]}, ${sent[id][2]}`, `${id}: sent as`);
				/* Whatever the operation's fate, the service answers in its
				 * own SOAP version. */
				assert.match(r[id].answered, new RegExp(`^HTTP \\d{3}, ${sent[id][1]}`),
					     `${id}: ${r[id].answered}`);
			}
			for (const id of ['config', 'session', 'template']) {
				assert.ok(r[id].good, `${id} answered without a fault: ${r[id].said}`);
				assert.match(r[id].answered, /^HTTP 200, /);
			}
			assert.equal(r.config.said, `model ${dev.model} (altalink), serial ${dev.serial}, ` +
				     `name ${dev.name}, canvas ${canvas}`);
			assert.equal(r.session.said, 'user diag-tech <tech@example.org>');
			assert.match(r.template.said, /^\d+ template\(s\) stored/);
			for (const id of ['scan', 'jobs'])
				assert.match(r[id].said, r[id].good ? /^interface version \d/ : /^Fault: ./,
					     `${id}: a version or the printer's fault in words`);
			assert.match(await page.textContent('#diag-signin'), /sign in first/);
			assert.equal(await page.textContent('#btn-next'), 'Sign in');
			await v.shot(page, 'diagnostics');
			await v.close();
		});

		test('the test scan reaches scanpost, is deleted, and sends nothing', async () => {
			await h.device.reset();
			await h.device.config({ canvas, pages: 1, page_delay_ms: 200 });
			const v = await h.visit(browser, size);
			const page = await v.open('#screen-diagnostics:not([hidden])', '/#diagnostics');
			await rows(page);
			await h.next(page);                         /* Sign in */
			await h.screen(page, 'signin');
			await page.fill('#signin-user', h.DEMO_USER);
			await page.fill('#signin-pass', h.DEMO_PASSWORD);
			await h.next(page);
			await h.screen(page, 'diagnostics');        /* back where the visit began */
			assert.match(await page.textContent('#diag-signin'), /^Signed in as /);
			assert.equal(await page.textContent('#btn-next'), 'Run a test scan');
			await h.next(page);
			await page.waitForFunction(() => {
				const last = document.querySelector('#diag-steps li:last-child');
				return last && /good|bad/.test(last.className);
			}, null, { timeout: 60000, polling: 200 });
			const steps = await page.$$eval('#diag-steps li', (l) =>
				l.map((x) => ({ text: x.textContent, cls: x.className })));
			const last = steps[steps.length - 1];
			assert.equal(last.cls, 'good', JSON.stringify(steps));
			assert.match(last.text, /Test job canceled \(canceled\): its document is deleted\. Nothing was sent\.$/);
			const arrived = steps.filter((s) => /^Arrived at scanpost: /.test(s.text));
			assert.equal(arrived.length, 1, 'one file for one page');
			const m = /^Arrived at scanpost: (\S+), (\d+) bytes, sha256 ([0-9a-f]{64})$/
				.exec(arrived[0].text);
			assert.ok(m, arrived[0].text);
			assert.ok(Number(m[2]) > 0);
			await page.evaluate(() => {
				const main = document.getElementById('main');
				main.scrollTop = main.scrollHeight;
			});
			await v.shot(page, 'diagnostics-test-scan');

			const job = await h.jobBySubject(page, SUBJECT);
			assert.equal(job.state, 'canceled');
			assert.equal(job.tracking_id || null, null);
			assert.deepEqual((await h.device.state()).templates, [], 'the template was deleted');
			/* Nothing went to RMail, now or a little later. */
			await new Promise((res) => setTimeout(res, 1500));
			const all = await h.rmail.messages();
			const list = Array.isArray(all) ? all : all.messages || [];
			assert.deepEqual(list.filter((x) => x.subject === SUBJECT ||
						     x.customer_tracking_id === job.id), []);
			await page.click('#btn-back');              /* Close */
			await h.screen(page, 'compose');
			assert.equal(new URL(page.url()).hash, '', 'closing leaves #diagnostics');
			await v.close();
		});
	});
}
