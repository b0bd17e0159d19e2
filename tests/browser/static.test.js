/*
 * static.test.js - what the weblet's files must be before any browser
 * opens them (STYLE 11): JavaScript an old WebKit runs (ES5 syntax), no
 * markup built from strings, nothing inline that the CSP would refuse, at
 * most 100 KB shipped, and address checks that agree with the API's.
 */
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const acorn = require('acorn');

const STATIC = path.resolve(__dirname, '..', '..', 'static');

function files(dir) {
	return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
		e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]);
}

const scripts = files(path.join(STATIC, 'js')).filter((f) => f.endsWith('.js'));

test('every script parses as ECMAScript 5', () => {
	assert.ok(scripts.length >= 8);
	for (const f of scripts)
		assert.doesNotThrow(() => acorn.parse(fs.readFileSync(f, 'utf8'),
			{ ecmaVersion: 5, sourceType: 'script' }), path.relative(STATIC, f));
});

test('no script builds markup from strings or evaluates text', () => {
	const bad = /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(/;
	for (const f of scripts)
		assert.doesNotMatch(fs.readFileSync(f, 'utf8'), bad, path.relative(STATIC, f));
});

test('index.html has no inline script, style or handler (CSP: self only)', () => {
	const html = fs.readFileSync(path.join(STATIC, 'index.html'), 'utf8');
	assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
	assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
	for (const m of html.matchAll(/<script src="([^"]+)"/g))
		assert.ok(fs.existsSync(path.join(STATIC, m[1])), `${m[1]} exists`);
});

/* Loaded only when asked for, never at the start of a visit: the
 * installer's diagnostics screen (#diagnostics, app.js openDiagnostics) and
 * the preview of the scanned pages (preview.js offer, only when the admin's
 * setting or the person's choice wants it).  Each has a budget of its own. */
const ON_DEMAND = {
	diagnostics: ['js/screens/diagnostics.js', 'css/diagnostics.css'],
	preview: ['js/screens/preview.js', 'css/preview.css']
};
/* And each language's table but English's (i18n-tables.test.js checks
 * that they are loaded only when chosen, and their own budget). */
const TABLES = fs.readdirSync(path.join(STATIC, 'js', 'i18n'))
	.filter((f) => f !== 'en.js').map((f) => 'js/i18n/' + f);
const ON_DEMAND_FILES = [].concat(...Object.values(ON_DEMAND));

/*
 * A visit's budget, before compression: 100 KB until issue 8, now 110 KB.
 * Why raised: speaking EIP as Xerox's library does (the envelopes, the
 * job-state table, the header that fits any fonts) and the registered-mail
 * rules taken from RPost's add-on (settings.js, options.js) brought a visit
 * to 105.5 KB when both met (38 KB gzipped); cutting the comments that
 * cite those sources would have bought the rest at the reader's expense.
 * Raised to 118 KB for issue 12: the administrator's policy in the weblet
 * (policy.js; locked fields read-only, hidden fields, presets, the allowed
 * domains and the outside-domain question, Bcc and the recipient cap, copy
 * to myself) brought a visit to 115.7 KB.
 * Raised to 126 KB when issues 10 and 12 met: per-person memory on a shared
 * printer and the "try again at ..." answer to a rate limit (store.js,
 * signin.js), the "delayed, next try at ..., because ..." progress of a
 * retrying job (progress.js, jobs.js), the preview's offer (preview.js) and
 * the policy together make a visit 121.5 KB; what only some visits need
 * (diagnostics, the preview screen) stays out of it.
 * Raised to 150 KB for the weblet in the person's language (issue 12): the
 * words of every screen moved into the English table (js/i18n/en.js, with
 * the API's error codes the other languages translate) and i18n.js (the
 * choice of language, Intl dates and numbers, the switch on the screen)
 * made a visit 144.7 KB (44 KB gzipped, from 36 KB); another language adds
 * its own table (at most 24 KB), loaded only when chosen.
 */
const VISIT_BUDGET = 150 * 1024;

test('a visit loads at most 150 KB before compression; each on-demand part at most 12 KB more', () => {
	const all = files(STATIC).filter((f) => !/\.(png|jpe?g|svg|ico|woff2?)$/.test(f));
	const size = (list) => list.reduce((n, f) => n + fs.statSync(f).size, 0);
	const onDemand = all.filter((f) => ON_DEMAND_FILES.includes(path.relative(STATIC, f)) ||
					    TABLES.includes(path.relative(STATIC, f)));
	assert.equal(onDemand.length, ON_DEMAND_FILES.length + TABLES.length,
		     'the on-demand files exist');
	const html = fs.readFileSync(path.join(STATIC, 'index.html'), 'utf8');
	for (const f of ON_DEMAND_FILES)
		assert.ok(!html.includes(f), `index.html does not load ${f}`);
	const visit = size(all) - size(onDemand);
	assert.ok(visit <= VISIT_BUDGET, `a visit: ${visit} bytes`);
	for (const [part, list] of Object.entries(ON_DEMAND)) {
		const bytes = size(list.map((f) => path.join(STATIC, f)));
		assert.ok(bytes <= 12 * 1024, `${part}: ${bytes} bytes`);
	}
});

/* validate.js in a bare context, as the browser loads it: after the
 * language tables (i18n.js, English by default). */
function loadValidate() {
	const ctx = { window: { SP: {}, navigator: { languages: ['en-US'] } } };
	vm.createContext(ctx);
	for (const f of ['i18n.js', 'i18n/en.js', 'validate.js'])
		vm.runInContext(fs.readFileSync(path.join(STATIC, 'js', f), 'utf8'), ctx);
	return ctx.window.SP.validate;
}

test('addresses are judged as src/lib/jobspec.c judges them', () => {
	const v = loadValidate();
	const good = ['alice@example.org', 'a.b+c@sub.example.co', "o'neil@x-y.example",
		      'x@a.bc', '#!$%&*+-/=?^_`{|}~@example.org'];
	const bad = {
		'alice': 'has no "@"',
		'@example.org': 'has no local part before "@"',
		'.a@example.org': 'has a local part that starts or ends with "."',
		'a..b@example.org': 'has ".." in its local part',
		'a b@example.org': 'has a character not allowed before "@"',
		'a@example': 'has a domain without a dot',
		'a@': 'has no domain after "@"',
		'a@-x.org': 'has a domain part that starts or ends with "-"',
		'a@x..org': 'has an empty part in its domain',
		'a@b@c.org': 'has a character not allowed in a domain',
		[('l'.repeat(65)) + '@x.org']: 'has a local part longer than 64 characters',
		[('a@' + 'b'.repeat(64) + '.org')]: 'has a domain label longer than 63 characters'
	};
	for (const a of good)
		assert.equal(v.address(a), null, a);
	for (const [a, why] of Object.entries(bad))
		assert.equal(v.address(a), why, a);
});

test('recipient lists: empty To, duplicates across fields, the 50 limit', () => {
	const v = loadValidate();
	assert.equal(v.recipients({ to: '' }).errors.to, 'Add at least one recipient.');
	const dup = v.recipients({ to: 'a@x.org', bcc: 'A@X.org' });
	assert.equal(dup.ok, false);
	assert.equal(dup.errors.bcc, '"A@X.org" is already in To.');
	const many = Array.from({ length: 51 }, (_, i) => `u${i}@x.org`).join(', ');
	assert.equal(v.recipients({ to: many }).errors.to, 'At most 50 recipients in all.');
	const ok = v.recipients({ to: 'a@x.org; b@x.org\nc@x.org', cc: ' ', bcc: '' });
	assert.equal(ok.ok, true);
	assert.deepEqual(Array.from(ok.lists.to), ['a@x.org', 'b@x.org', 'c@x.org']);
});
