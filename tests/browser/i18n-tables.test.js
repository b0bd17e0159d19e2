/*
 * i18n-tables.test.js - the weblet's language tables (static/js/i18n/,
 * README "Languages") before any browser opens them: every language has
 * exactly English's keys, each text the same {placeholders}, no text
 * empty; every key the scripts and index.html name literally is in the
 * tables; each table is a language the weblet offers, loaded on demand
 * within its own budget.
 */
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const STATIC = path.resolve(__dirname, '..', '..', 'static');
const DIR = path.join(STATIC, 'js', 'i18n');

/* i18n.js and every table in a bare context, as the browser loads them. */
function load() {
	const ctx = { window: { SP: {}, navigator: { languages: ['en'] } } };
	vm.createContext(ctx);
	vm.runInContext(fs.readFileSync(path.join(STATIC, 'js', 'i18n.js'), 'utf8'), ctx);
	const codes = fs.readdirSync(DIR).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3));
	for (const c of codes)
		vm.runInContext(fs.readFileSync(path.join(DIR, c + '.js'), 'utf8'), ctx);
	return { i18n: ctx.window.SP.i18n, codes };
}

const placeholders = (s) => (s.match(/\{\w+\}/g) || []).sort();

test('the tables are the languages offered, at least seven', () => {
	const { i18n, codes } = load();
	assert.deepEqual([...codes].sort(), [...i18n.LANGS].sort());
	for (const c of ['en', 'de', 'fr', 'es', 'it', 'nl', 'pt'])
		assert.ok(codes.includes(c), `${c} is offered`);
	for (const c of codes)
		assert.ok(i18n.table(c), `${c}.js adds the table ${c}`);
});

test('every language has exactly the English keys, placeholders alike, no empty text', () => {
	const { i18n, codes } = load();
	const en = i18n.table('en');
	assert.ok(Object.keys(en).length > 250);
	for (const c of codes) {
		const tab = i18n.table(c);
		const missing = Object.keys(en).filter((k) => !(k in tab));
		const extra = Object.keys(tab).filter((k) => !(k in en));
		assert.deepEqual(missing, [], `${c}: keys missing`);
		assert.deepEqual(extra, [], `${c}: keys English does not have`);
		for (const k of Object.keys(en)) {
			assert.equal(typeof tab[k], 'string', `${c} ${k}`);
			assert.ok(tab[k].trim() !== '' || en[k].trim() === '', `${c} ${k} is empty`);
			assert.deepEqual(placeholders(tab[k]), placeholders(en[k]),
					 `${c} ${k}: placeholders`);
		}
	}
});

test('a text that is not English is translated (at most a few alike)', () => {
	const { i18n, codes } = load();
	const en = i18n.table('en');
	for (const c of codes.filter((x) => x !== 'en')) {
		const same = Object.keys(en).filter((k) => i18n.table(c)[k] === en[k]);
		/* Names and codes stay: OK, PDF, Cc, Bcc, Auto, Text ... */
		assert.ok(same.length < 20, `${c}: ${same.length} texts as in English: ${same}`);
	}
});

test('every key the scripts and the page name is in the English table', () => {
	const { i18n } = load();
	const en = i18n.table('en');
	const files = [];
	const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) =>
		e.isDirectory() ? (e.name !== 'i18n' && walk(path.join(d, e.name)))
			: e.name.endsWith('.js') && files.push(path.join(d, e.name)));
	walk(path.join(STATIC, 'js'));
	const keys = new Set();
	for (const f of files) {
		const s = fs.readFileSync(f, 'utf8');
		for (const m of s.matchAll(/\b(?:SP\.)?tn?\(\s*'([a-z_]+\.[A-Za-z0-9_.\/-]+)'/g))
			keys.add(m[1]);
		for (const m of s.matchAll(/'data-t': '([^']+)'/g))
			keys.add(m[1]);
	}
	const html = fs.readFileSync(path.join(STATIC, 'index.html'), 'utf8');
	for (const m of html.matchAll(/data-t(?:-label)?="([^"]+)"/g))
		keys.add(m[1]);
	assert.ok(keys.size > 100, `${keys.size} keys named`);
	const plural = (k) => (k + '.one') in en && (k + '.other') in en;
	assert.deepEqual([...keys].filter((k) => !(k in en) && !plural(k)), []);
});

test('the language: the browser\'s first the weblet has, else English; t and error', () => {
	const { i18n } = load();
	const nav = { languages: ['de-CH', 'en'] };
	const SP = { i18n };
	void SP;
	const ctx = { window: { SP: {}, navigator: nav },
		      document: { getElementsByTagName: () => [], title: '',
				  documentElement: { setAttribute() {} } } };
	vm.createContext(ctx);
	vm.runInContext(fs.readFileSync(path.join(STATIC, 'js', 'i18n.js'), 'utf8'), ctx);
	for (const c of ['en', 'de'])
		vm.runInContext(fs.readFileSync(path.join(DIR, c + '.js'), 'utf8'), ctx);
	const w = ctx.window.SP;
	assert.equal(w.i18n.fromBrowser(), 'de');
	nav.languages = ['ja', 'ko'];
	assert.equal(w.i18n.fromBrowser(), 'en', 'an unsupported language: English');
	nav.languages = ['ja', 'pt-BR'];
	assert.equal(w.i18n.fromBrowser(), 'pt');
	const err = { code: 'rmail_unavailable', message: 'RMail cannot be reached right now.' };
	assert.equal(w.i18n.error(err), err.message, 'English: the server\'s words');
	let done = false;
	w.i18n.use('de', () => { done = true; });
	assert.ok(done);
	assert.equal(w.i18n.lang(), 'de');
	assert.equal(w.t('v.too_many', { n: 50 }), 'Höchstens 50 Empfänger insgesamt.');
	assert.equal(w.tn('stage.scanned', 1), '1 Seite gescannt');
	assert.equal(w.i18n.error(err), 'RMail ist nicht erreichbar; bitte erneut versuchen.');
	assert.equal(w.i18n.error({ code: 'brand_new', message: 'New words.' }), 'New words.',
		     'an unknown code: the server\'s words');
	assert.equal(w.t('no.such.key'), 'no.such.key');
	nav.languages = ['de-DE'];
	assert.equal(w.i18n.number(1234.5), '1.234,5');
	assert.equal(w.i18n.size(3 * 1048576 + 200000), '3,2 MB');
	assert.match(w.i18n.dateTime('2026-12-02T09:05:00Z'), /^02\.12\.2026, \d\d:05$/);
});

test('each other language is loaded only when chosen, within 24 KB', () => {
	const html = fs.readFileSync(path.join(STATIC, 'index.html'), 'utf8');
	assert.match(html, /<script src="js\/i18n\/en\.js"><\/script>/);
	for (const f of fs.readdirSync(DIR).filter((x) => x !== 'en.js')) {
		assert.ok(!html.includes('js/i18n/' + f), `index.html does not load ${f}`);
		const bytes = fs.statSync(path.join(DIR, f)).size;
		assert.ok(bytes <= 24 * 1024, `${f}: ${bytes} bytes`);
	}
});
