#!/usr/bin/env node
/*
 * run.js - runs the weblet's browser tests against the running local stack
 * (./stack up): node's test runner with the TAP reporter, so the run ends
 * with "# pass N" / "# fail N"; the exit code is non-zero on any failure.
 *
 *   cd tests/browser && npm ci && node run.js
 *
 * Environment (defaults in brackets):
 *   SP_URL          the scanpost site [https://127.0.0.1:8443]
 *   RMAIL_URL       rmail-sim, for /_sim/messages and /_sim/faults [https://127.0.0.1:8444]
 *   DEVICE_SIM_URL  device-sim (its /_sim/ control API, and its SOAP services
 *                   when DEVICE_ROUTE=browser) [http://127.0.0.1:8081]
 *   DEVICE_ROUTE    nginx: the weblet reaches the device services through the
 *                   stack's nginx (/webservices/), as on a printer it reaches
 *                   its own; browser: the test forwards them [nginx]
 *   SP_VAR          the stack's var/ directory, for the CA, the nginx
 *                   certificate and the demo password [../../var]
 *   DEMO_USER, DEMO_PASSWORD   the RMail demo account [demo@example.com, var/demo-password]
 *   CHROMIUM        the browser [/usr/bin/chromium]
 */
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const here = __dirname;
const varDir = process.env.SP_VAR || path.resolve(here, '..', '..', 'var');
const ca = path.join(varDir, 'tls', 'ca.crt');
const env = Object.assign({}, process.env, { SP_VAR: varDir });

if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
	console.error('run.js: node_modules is missing: run `npm ci` in tests/browser first');
	process.exit(2);
}
if (!fs.existsSync(ca)) {
	console.error(`run.js: ${ca} is missing: is the stack up (./stack up)?`);
	process.exit(2);
}
/* Node's fetch (the tests' own calls to the API and the simulators) trusts
 * the stack's local test CA, and only it beyond the system's. */
env.NODE_EXTRA_CA_CERTS = ca;

/* Every *.test.js here, in name order: each test sets up what it needs. */
const tests = fs.readdirSync(here).filter((f) => f.endsWith('.test.js')).sort()
	.map((f) => path.join(here, f));

fs.mkdirSync(path.join(here, 'artifacts'), { recursive: true });
const r = spawnSync(process.execPath,
	['--test', '--test-reporter=tap', '--test-concurrency=1'].concat(tests),
	{ cwd: here, env, stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
