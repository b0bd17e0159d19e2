/*
 * api.js - the scanpost JSON API client (DESIGN 3.1).
 *
 * Same origin, so the session cookie (HttpOnly, SameSite=Strict) travels by
 * itself; every state change carries the X-CSRF-Token that sign-in or
 * GET /api/v1/session returned.  Every callback is cb(err, body, status):
 * err is null or {status, code, message} from the {"error": {...}} envelope
 * (status 0 and code 'network' when nothing answered), with retryAfter
 * (seconds) when the answer had a Retry-After header (a 429: DESIGN 3.7).
 */
(function (SP) {
	'use strict';

	var TIMEOUT_MS = 30000;
	var csrf = null;

	function parse(text) {
		try {
			return text ? JSON.parse(text) : null;
		} catch (e) {
			return null;
		}
	}

	/* Retry-After (RFC 9110, 10.2.3) in seconds, or null. */
	function retryAfter(xhr) {
		var v = xhr.getResponseHeader('Retry-After'), when;
		if (!v)
			return null;
		if (/^\s*\d+\s*$/.test(v))
			return parseInt(v, 10);
		when = Date.parse(v);
		return isNaN(when) ? null : Math.max(0, Math.ceil((when - new Date().getTime()) / 1000));
	}

	function request(method, path, body, cb) {
		var xhr = new XMLHttpRequest(), done = false, timer;

		function finish(err, data, status) {
			if (done)
				return;
			done = true;
			clearTimeout(timer);
			cb(err, data, status);
		}

		xhr.open(method, path, true);
		xhr.setRequestHeader('Accept', 'application/json');
		if (body !== undefined)
			xhr.setRequestHeader('Content-Type', 'application/json; charset=utf-8');
		if (method !== 'GET' && csrf)
			xhr.setRequestHeader('X-CSRF-Token', csrf);
		xhr.onreadystatechange = function () {
			var data, e;
			if (xhr.readyState !== 4 || done)
				return;
			if (xhr.status === 0) {
				finish({ status: 0, code: 'network', message: SP.t('err.network') }, null, 0);
				return;
			}
			data = parse(xhr.responseText);
			if (xhr.status >= 200 && xhr.status < 300) {
				finish(null, data, xhr.status);
				return;
			}
			e = data && data.error ? data.error : {};
			finish({ status: xhr.status, code: e.code || 'http_' + xhr.status,
				 message: e.message || SP.t('err.http', { status: xhr.status }), retryAfter: retryAfter(xhr) }, data, xhr.status);
		};
		timer = setTimeout(function () {
			xhr.abort();
			finish({ status: 0, code: 'timeout', message: SP.t('err.timeout') }, null, 0);
		}, TIMEOUT_MS);
		xhr.send(body === undefined ? null : JSON.stringify(body));
	}

	function keepSession(cb) {
		return function (err, data, status) {
			if (!err && data && data.csrf_token)
				csrf = data.csrf_token;
			if (!err && data && data.preview)
				SP.preview.setting(data.preview);
			cb(err, data, status);
		};
	}

	function jobPath(id) {
		return '/api/v1/jobs/' + encodeURIComponent(id);
	}

	/* issue 10: a queued job that failed before waits for its next try;
	 * the one wording of "delayed, next try at …, because …" for the
	 * progress screen and the recent jobs.  '' when the job is not delayed. */
	function jobDelay(j) {
		if (!j || j.state !== 'queued' || !j.error || !j.next_attempt_at)
			return '';
		return SP.t('progress.delayed', { time: SP.ui.formatTime(j.next_attempt_at),
						  why: SP.i18n.error(j.error) });
	}

	SP.api = {
		jobDelay: jobDelay,
		getSession: function (cb) {
			request('GET', '/api/v1/session', undefined, keepSession(cb));
		},
		/*
		 * device: null, or {ticket} standing for the printer's proof of
		 * its user (DESIGN 3.4, sso.js); with remember (the person's
		 * consent) the service stores the credentials for single sign-on
		 * and answers sso_stored: true (or sso_error, why not).
		 */
		signIn: function (username, password, remember, device, cb) {
			var body = { username: username, password: password, remember: !!remember };
			if (device)
				body.device = device;
			request('POST', '/api/v1/session', body, keepSession(cb));
		},
		/* 200 {service_provider, security_token_key}: what to ask the
		 * printer for (sso.js); 404 sso_off. */
		ssoParams: function (cb) {
			request('GET', '/api/v1/session/sso/ticket', undefined, cb);
		},
		/* device {serial, security_token} -> 201 {sso_ticket, device_user};
		 * 403 sso_assertion_refused. */
		ssoTicket: function (device, cb) {
			request('POST', '/api/v1/session/sso/ticket', { device: device }, cb);
		},
		/* 201 as signIn (+ sso: true); 404 sso_not_stored, 403
		 * sso_assertion_refused, 401 sso_credentials_refused. */
		ssoSignIn: function (device, cb) {
			request('POST', '/api/v1/session/sso', { device: device }, keepSession(cb));
		},
		/* Deletes the stored credentials of the device's user: 204 or 404. */
		ssoForget: function (device, cb) {
			request('DELETE', '/api/v1/session/sso', { device: device }, cb);
		},
		signOut: function (cb) {
			request('DELETE', '/api/v1/session', undefined, function (err, d, s) {
				csrf = null;
				cb(err, d, s);
			});
		},
		/* 200: the administrator's policy (policy.js). */
		getPolicy: function (cb) {
			request('GET', '/api/v1/policy', undefined, cb);
		},
		createJob: function (body, cb) {
			request('POST', '/api/v1/jobs', body, cb);
		},
		submitJob: function (id, cb) {
			request('POST', jobPath(id) + '/submit', {}, cb);
		},
		getJob: function (id, cb) {
			request('GET', jobPath(id), undefined, cb);
		},
		/* 200 {pages, bytes, files, images: [{page, width, height, png}]};
		 * 422 no_preview, 503 preview_busy. */
		preview: function (id, cb) {
			request('GET', jobPath(id) + '/preview', undefined, cb);
		},
		listJobs: function (cb) {
			request('GET', '/api/v1/jobs', undefined, cb);
		},
		cancelJob: function (id, cb) {
			request('DELETE', jobPath(id), undefined, cb);
		},
		forgetSession: function () {
			csrf = null;
		}
	};
}(window.SP));
