/*
 * eip.test.js - the weblet's EIP requests are what Xerox's EIP JavaScript
 * library sends (issue 8, points 1 and 2), and its reading of the printer's
 * answers (job states, the guest user) is DESIGN 3.3's.  No browser and no
 * stack: static/js/device.js and jobstate.js run in a bare context with
 * @xmldom/xmldom's DOMParser, as the printer's browser runs them.
 *
 * Each file in tests/fixtures/eip/requests/ is one request as the library
 * builds it, with its source (see the README there); device.js builds the
 * same operation from the file's args and must give the same path, headers,
 * envelope and elements.
 */
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { DOMParser } = require('@xmldom/xmldom');

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'eip', 'requests');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

/* device.js and jobstate.js as the browser loads them: after the language
 * tables (i18n.js, English). */
function loadWeblet() {
	const ctx = { window: { SP: { config: { deviceBase: '' } }, navigator: { languages: ['en'] } },
		      DOMParser };
	vm.createContext(ctx);
	for (const f of ['i18n.js', 'i18n/en.js', 'device.js', 'jobstate.js'])
		vm.runInContext(fs.readFileSync(path.join(ROOT, 'static', 'js', f), 'utf8'), ctx,
				{ filename: f });
	return ctx.window.SP;
}

function parse(xml, what) {
	const errors = [];
	const doc = new DOMParser({ onError: (level, msg) => errors.push(`${level}: ${msg}`) })
		.parseFromString(xml, 'text/xml');
	assert.deepEqual(errors, [], `${what} is well-formed XML`);
	return doc;
}

/* An element as comparable data: namespace, local name, attributes (not
 * namespace declarations), then its element children or else its text.
 * Whitespace-only text between elements is layout and left out. */
function canon(el) {
	const attrs = [], kids = [];
	for (let i = 0; i < el.attributes.length; i++) {
		const a = el.attributes[i];
		if (a.name !== 'xmlns' && a.prefix !== 'xmlns')
			attrs.push(`{${a.namespaceURI || ''}}${a.localName}=${a.value}`);
	}
	let text = '';
	for (let n = el.firstChild; n; n = n.nextSibling) {
		if (n.nodeType === 1)
			kids.push(canon(n));
		else if (n.nodeType === 3 || n.nodeType === 4)
			text += n.nodeValue;
	}
	const out = { name: `{${el.namespaceURI || ''}}${el.localName}`, attrs: attrs.sort() };
	if (kids.length) {
		assert.match(text, /^\s*$/, `${out.name} mixes text and elements`);
		out.children = kids;
	} else {
		out.text = text;
	}
	return out;
}

/* The namespaces the Envelope declares: {prefix: uri}. */
function declarations(envelope) {
	const out = {};
	for (let i = 0; i < envelope.attributes.length; i++) {
		const a = envelope.attributes[i];
		if (a.prefix === 'xmlns')
			out[a.localName] = a.value;
	}
	return out;
}

/* The fixture's comment lines "key: value". */
function facts(xml, file) {
	const m = /<!--([\s\S]*?)-->/.exec(xml);
	assert.ok(m, `${file} starts with its comment`);
	const out = {};
	for (const line of m[1].split('\n')) {
		const kv = /^\s*(source|op|args|request|Content-Type|SOAPAction):\s*(.*)$/.exec(line);
		if (kv)
			out[kv[1]] = kv[2].trim();
	}
	for (const k of ['source', 'op', 'args', 'request', 'Content-Type', 'SOAPAction'])
		assert.ok(k in out, `${file} says ${k}`);
	return out;
}

const fixtures = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.xml')).sort();

test('there is a fixture for every operation device.js sends, and only for those', () => {
	const SP = loadWeblet();
	const ops = fixtures.map((f) => facts(fs.readFileSync(path.join(FIXTURES, f), 'utf8'), f).op);
	assert.deepEqual(ops.slice().sort(), Object.keys(SP.device.OPS).sort());
	assert.deepEqual(fixtures, ops.map((op) => op + '.xml').sort(), 'each file is named after its op');
});

for (const file of fixtures) {
	test(`device.js sends ${file.replace(/\.xml$/, '')} as Xerox's library does`, () => {
		const SP = loadWeblet();
		const xml = fs.readFileSync(path.join(FIXTURES, file), 'utf8');
		const f = facts(xml, file);
		assert.match(f.source, /^[\w.-]+\/[\w.-]+ \S+\.js$/, 'the source names a repository and a path');
		const req = SP.device.build(f.op, JSON.parse(f.args));

		assert.equal('POST ' + req.path, f.request);
		const headers = Object.fromEntries(req.headers.map(([k, v]) => [k, v]));
		assert.deepEqual(headers, { 'Content-Type': f['Content-Type'], SOAPAction: f.SOAPAction });
		assert.ok(req.body.startsWith('<?xml version="1.0" encoding="utf-8"?>'));

		const want = parse(xml, file).documentElement;
		const got = parse(req.body, 'the request').documentElement;
		assert.ok([SOAP11, SOAP12].includes(want.namespaceURI), 'the fixture is a SOAP envelope');
		assert.equal(got.namespaceURI, want.namespaceURI, 'the SOAP version');
		assert.equal(req.soap, want.namespaceURI === SOAP12 ? '1.2' : '1.1');
		assert.deepEqual(declarations(got), declarations(want), 'the envelope declarations');
		assert.deepEqual(canon(got), canon(want));
	});
}

test('the namespaces are the library\'s, service by service (DESIGN 3.3)', () => {
	const { SERVICES } = loadWeblet().device;
	const ns = (s) => SERVICES[s][1];
	assert.equal(ns('template'), 'http://www.xerox.com/webservices/office/template_management/1/',
		     'the template namespace ends with a slash');
	assert.equal(loadWeblet().device.build('InitiateScanWithTemplate', { name: 'x' }).soap, '1.2');
	assert.equal(loadWeblet().device.build('GetJobDetails', { jobId: '1' }).soap, '1.2');
	assert.equal(loadWeblet().device.build('PutTemplate', { name: 'x', content: 'y' }).soap, '1.1');
});

test('values are escaped, never pasted as markup', () => {
	const SP = loadWeblet();
	const req = SP.device.build('PutTemplate', { name: 'a<b>&"\'', content: ']]></x><y>' });
	const doc = parse(req.body, 'the request');
	const text = (n) => doc.getElementsByTagNameNS('*', n)[0].textContent;
	assert.equal(text('templateName'), 'a<b>&"\'');
	assert.equal(text('templateContent'), ']]></x><y>');
	assert.equal(doc.getElementsByTagNameNS('*', 'y').length, 0);
});

/* A GetSessionInformation answer whose escaped Information names user. */
function sessionAnswer(user, from) {
	const info = `<SessionInformation><username>${user}</username><email><from>${from}</from>` +
		'</email></SessionInformation>';
	const esc = info.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
	return new DOMParser().parseFromString(`<s:Envelope xmlns:s="${SOAP11}"><s:Body>` +
		'<SessionInformationResponse xmlns="http://www.xerox.com/webservices/office/cuisession/1">' +
		`<Information>${esc}</Information></SessionInformationResponse></s:Body></s:Envelope>`,
	'text/xml');
}

test('"guest" in any case is nobody logged in (DESIGN 3.3, issue 8 point 6)', () => {
	const SP = loadWeblet();
	for (const name of ['guest', 'Guest', 'GUEST', 'gUeSt', '']) {
		const s = SP.device.parse.session(sessionAnswer(name, 'x@example.org'));
		assert.equal(s.guest, true, name);
		assert.equal(s.username, 'guest', `${name} reads as 'guest'`);
		assert.equal(SP.device.isGuest(name), true);
	}
	for (const name of ['guests', 'aguest', 'weblet-sso', 'Guest User']) {
		const s = SP.device.parse.session(sessionAnswer(name, 'x@example.org'));
		assert.equal(s.guest, false, name);
		assert.equal(s.username, name);
	}
});

/* DESIGN 3.3's job-state table, case by case. */
test('job states are read as Xerox\'s sample reads them (DESIGN 3.3, issue 8 point 3)', () => {
	const { judge } = loadWeblet().jobState;
	const cases = [
		['Processing', [], 'scanning'],
		['Processing', ['None'], 'scanning'],
		['Completed', [], 'settling'],
		['Completed', ['None'], 'settling'],
		['Completed', ['JobCompletedSuccessfully'], 'done'],
		['Completed', ['SomethingElse'], 'done'],
		['ProcessingStopped', ['NextOriginalWait'], 'next_original'],
		['ProcessingStopped', [], 'scanning'],
		['ProcessingStopped', ['JobCompletedSuccessfully'], 'done'],
		['Completed', ['JobCanceledByUser'], 'canceled'],
		['Completed', ['CancelByUser'], 'canceled'],
		['ProcessingStopped', ['JobCanceledByUser'], 'canceled'],
		['', ['JobCanceledByUser'], 'canceled'],
		['Completed', ['JobAborted'], 'failed'],
		['Completed', ['AbortBySystem'], 'failed'],
		['Completed', ['InputScanSizeNotDetermined'], 'failed'],
		['Completed', ['SecurityIRMarkDetected'], 'failed'],
		['Completed', ['JobAborted', 'PaperJam'], 'failed'],
		['', [], 'scanning'],
		['', ['Whatever'], 'failed'],
		['Pending', [], 'scanning']
	];
	for (const [state, reasons, verdict] of cases)
		assert.equal(judge({ state, reasons }).verdict, verdict, `${state} ${reasons.join(' ')}`);
	for (const [state, reasons] of [['Completed', ['JobAborted']], ['Completed', ['AbortBySystem']],
					['Completed', ['JobAborted', 'PaperJam']],
					['Completed', ['SecurityIRMarkDetected']]]) {
		const j = judge({ state, reasons });
		assert.ok(j.words.length > 20, `${reasons} is told in words`);
	}
	assert.equal(judge({ state: 'Completed', reasons: ['JobAborted', 'PaperJam'] }).words,
		     judge({ state: 'Completed', reasons: ['JobAborted'] }).words,
		     'a reason no source names adds nothing');
});

test('the device family is read from the model as Xerox apps read it (issue 8 point 5)', () => {
	const SP = loadWeblet();
	for (const m of ['Xerox VersaLink C7025', 'XEROX VERSALINK B405', 'Xerox PrimeLink C9065'])
		assert.equal(SP.device.family(m), 'versalink', m);
	for (const m of ['Xerox AltaLink C8170', 'Xerox WorkCentre 7855', ''])
		assert.equal(SP.device.family(m), 'altalink', m);
	assert.equal(SP.device.jobDevice(), undefined, 'left out when the printer said nothing');
	SP.state = { device: { model: 'Xerox VersaLink C7025' } };
	assert.deepEqual({ ...SP.device.jobDevice() }, { family: 'versalink' });
});
