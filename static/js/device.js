/*
 * device.js - the printer's EIP web services (DESIGN 3.3), sent exactly as
 * Xerox's EIP JavaScript library sends them: tests/fixtures/eip/requests/
 * holds each request with its source; tests/browser/eip.test.js checks
 * build() against them.
 *
 * Values are escaped (XML 1.0, 2.4), never pasted as markup.  Answers are
 * read with DOMParser by local name; lookup() also reads the documents
 * escaped inside an answer (JobInfoXmlDocument, Information).  Callbacks
 * are cb(err, result, meta): err {code, message}; meta what answered (HTTP
 * status, SOAP version, namespace) for the diagnostics screen.
 */
(function (SP) {
	'use strict';

	var TIMEOUT_MS = 20000;
	var SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
	var SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
	/* XrxWebservices.js declares these on its standard envelopes. */
	var WS_DECL = ' xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
		' xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"' +
		' xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"';

	/* The library's envelopes: [SOAP namespace, declarations, empty Header?]:
	 * XrxWebservices.js XRX_SOAP11_SOAPSTART ('1.1'), XRX_SOAPSTART ('1.2');
	 * XRXSession.js XRX_SESSION_SOAPSTART ('session': xsi, xsd, no Header). */
	var ENVELOPES = {
		'1.1': [SOAP11, WS_DECL, true],
		'1.2': [SOAP12, WS_DECL, true],
		session: [SOAP11, ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
			  ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"', false]
	};

	/* Each service: [path, namespace of its operations, envelope], from the
	 * library's XRX_*_PATH, XRX_*_NAMESPACE and the SOAPSTART it uses. */
	var SERVICES = {
		config: ['/webservices/office/device_configuration/1',       /* XRXDeviceConfig.js */
			 'http://www.xerox.com/webservices/office/device_configuration/1', '1.1'],
		session: ['/webservices/office/cuisession/1',                /* XRXSession.js */
			  'http://www.xerox.com/webservices/office/cuisession/1', 'session'],
		template: ['/webservices/office/template_management/1',      /* XRXTemplate.js */
			   'http://www.xerox.com/webservices/office/template_management/1/', '1.1'],
		scan: ['/webservices/ScanService/2',                         /* XRXScanV2.js */
		       'http://www.xerox.com/webservices/scanservice/2', '1.2'],
		jobs: ['/webservices/JobManagement/1',                       /* XRXJobManagement.js */
		       'http://xml.namespaces.xerox.com/enterprise/JobManagement/1', '1.2']
	};

	/* xrxCallAjax's headers when a call passes none (every call here):
	 * text/xml even for SOAP 1.2, and an empty SOAPAction. */
	var HEADERS = [['SOAPAction', '""'], ['Content-Type', 'text/xml']];

	/* The operations: [service, element, children(args)]. */
	function none() {
		return [];
	}
	var OPS = {
		GetDeviceInformation: ['config', 'GetDeviceInformationRequest', none],
		GetSessionInformation: ['session', 'GetSessionInformationRequest', none],
		ExitApplication: ['session', 'ExitApplicationRequest', none],
		/* XrxSession.js (2020, "Added GetSecurityToken"):
		 * xrxSessionGetSecurityTokenRequest; the key is Base64 (sso.js). */
		GetSecurityToken: ['session', 'GetSecurityTokenRequest', function (a) {
			return [['ServiceProvider', a.provider], ['SecurityTokenKey', a.key]];
		}],
		ListTemplates: ['template', 'ListTemplatesRequest', none],
		PutTemplate: ['template', 'PutTemplateRequest', function (a) {
			return [['templateName', a.name], ['templateContent', a.content]];
		}],
		DeleteTemplate: ['template', 'DeleteTemplateRequest', function (a) {
			return [['templateName', a.name], ['priorChecksum', a.checksum]];
		}],
		/* Token: the library's default '' (no job token). */
		InitiateScanWithTemplate: ['scan', 'InitiateScanWithTemplateRequest', function (a) {
			return [['ScanTemplateID', a.name], ['IsFromTemplatePool', 'false'],
				['Token', a.token || '']];
		}],
		ScanInterfaceVersion: ['scan', 'GetInterfaceVersionRequest', none],
		GetJobDetails: ['jobs', 'GetJobDetailsRequest', function (a) {
			return [['JobData', [['JobIdentifierType', 'JobId'],
					     ['JobIdentifierString', a.jobId]]],
				['JobType', 'WorkflowScanning']];
		}],
		JobsInterfaceVersion: ['jobs', 'GetInterfaceVersionRequest', none]
	};

	function escapeXml(s) {
		return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;')
			.replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
	}

	/* [[name, text or nested list], ...] as XML elements. */
	function elements(list) {
		var out = '', i, v;
		for (i = 0; i < list.length; i++) {
			v = list[i][1];
			out += '<' + list[i][0] + '>' +
				(v instanceof Array ? elements(v) : escapeXml(v === undefined ||
									     v === null ? '' : v)) +
				'</' + list[i][0] + '>';
		}
		return out;
	}

	/* {service, path, soap, headers, body} of one operation. */
	function build(op, args) {
		var o = OPS[op], svc = SERVICES[o[0]], env = ENVELOPES[svc[2]];
		return {
			service: o[0], path: svc[0], soap: env[0] === SOAP12 ? '1.2' : '1.1',
			ns: svc[1], headers: HEADERS,
			body: '<?xml version="1.0" encoding="utf-8"?>' +
				'<soap:Envelope xmlns:soap="' + env[0] + '"' + env[1] + '>' +
				(env[2] ? '<soap:Header></soap:Header>' : '') + '<soap:Body>' +
				'<' + o[1] + ' xmlns="' + svc[1] + '">' + elements(o[2](args || {})) +
				'</' + o[1] + '></soap:Body></soap:Envelope>'
		};
	}

	function parseXml(text) {
		var doc;
		try {
			doc = new DOMParser().parseFromString(text, 'text/xml');
		} catch (e) {
			return null;
		}
		if (!doc || !doc.documentElement ||
		    doc.getElementsByTagName('parsererror').length > 0)
			return null;
		return doc;
	}

	function first(node, name) {
		var list = node ? node.getElementsByTagNameNS('*', name) : null;
		return list && list.length ? list[0] : null;
	}

	function textOf(node) {
		return node ? String(node.textContent).replace(/^\s+|\s+$/g, '') : '';
	}

	/* The documents escaped inside the text of elements of node. */
	function embedded(node) {
		var all = node.getElementsByTagNameNS('*', '*'), out = [], i, t, d;
		for (i = 0; i < all.length; i++) {
			if (all[i].childNodes.length !== 1 || all[i].firstChild.nodeType !== 3)
				continue;
			t = textOf(all[i]);
			if (t.charAt(0) === '<' && (d = parseXml(t)))
				out.push(d);
		}
		return out;
	}

	/* The first element called name in doc, or in a document escaped in it. */
	function lookup(doc, name) {
		var e = first(doc, name), docs, i;
		if (e)
			return e;
		docs = embedded(doc);
		for (i = 0; i < docs.length; i++)
			if ((e = first(docs[i], name)))
				return e;
		return null;
	}

	/* HTTP status, SOAP version, namespace and name of the answer. */
	function answered(status, doc) {
		var root = doc ? doc.documentElement : null, body = first(doc, 'Body'), el = null, n;
		for (n = body ? body.firstChild : null; n && !el; n = n.nextSibling)
			if (n.nodeType === 1)
				el = n;
		return {
			status: status,
			soap: !root ? '' : root.namespaceURI === SOAP12 ? '1.2'
				: root.namespaceURI === SOAP11 ? '1.1' : root.namespaceURI || '',
			ns: el && el.localName !== 'Fault' ? el.namespaceURI || '' : '',
			element: el ? el.localName : ''
		};
	}

	/* A SOAP 1.1 (faultstring) or 1.2 (Reason/Text) fault in words. */
	function faultText(fault) {
		return textOf(first(fault, 'faultstring')) || textOf(first(fault, 'Text'));
	}

	function call(op, args, cb) {
		var req = build(op, args), xhr = new XMLHttpRequest(), done = false, timer, i;

		function finish(err, doc, meta) {
			if (done)
				return;
			done = true;
			clearTimeout(timer);
			cb(err, doc, meta);
		}

		xhr.open('POST', SP.config.deviceBase + req.path, true);
		for (i = 0; i < req.headers.length; i++)
			xhr.setRequestHeader(req.headers[i][0], req.headers[i][1]);
		xhr.onreadystatechange = function () {
			var doc, fault, meta;
			if (xhr.readyState !== 4 || done)
				return;
			if (xhr.status === 0) {
				finish({ code: 'unreachable', message: SP.t('err.unreachable') }, null,
				       answered(0, null));
				return;
			}
			doc = parseXml(xhr.responseText);
			meta = answered(xhr.status, doc);
			fault = doc ? first(doc, 'Fault') : null;
			if (fault || xhr.status !== 200 || !doc) {
				meta.fault = faultText(fault);
				finish({ code: 'fault', status: xhr.status,
					 message: meta.fault || SP.t('err.refused', { op: op,
										     status: xhr.status }) }, null, meta);
				return;
			}
			finish(null, doc, meta);
		};
		timer = setTimeout(function () {
			xhr.abort();
			finish({ code: 'timeout', message: SP.t('err.printer_timeout') },
			       null, answered(0, null));
		}, TIMEOUT_MS);
		xhr.send(req.body);
	}

	function number(node) {
		var n = parseInt(textOf(node), 10);
		return isNaN(n) ? 0 : n;
	}

	/* DESIGN 3.3: nobody logged in is 'guest' in any case, as Xerox apps
	 * compare it (sarathpk931/noteconverter_v14 src/app/app.module.ts,
	 * Session()); the one place that decides it.  No name is nobody too. */
	function isGuest(name) {
		return !name || /^guest$/i.test(name);
	}

	/* The job API's device.family: "versalink" or "primelink" in the model,
	 * any case, is a VersaLink (the same file, Device()). */
	function family(model) {
		return /versalink|primelink/i.test(model || '') ? 'versalink' : 'altalink';
	}

	/* An answer read by read(doc); err and meta as they came. */
	function reading(read, cb) {
		return function (err, doc, meta) {
			cb(err, err ? null : read(doc), meta);
		};
	}

	function parseInformation(doc) {
		var dev = lookup(doc, 'device'), canvas = lookup(doc, 'canvasSize');
		var get = function (n) {
			return textOf(dev ? first(dev, n) : lookup(doc, n));
		};
		return { name: get('name'), model: get('model'), serial: get('serial'),
			 width: number(first(canvas, 'width')),
			 height: number(first(canvas, 'height')) };
	}

	/* username is 'guest' (so spelled) when nobody is logged in. */
	function parseSession(doc) {
		var name = textOf(lookup(doc, 'username'));
		return { username: isGuest(name) ? 'guest' : name, guest: isGuest(name),
			 from: textOf(lookup(doc, 'from')) };
	}

	/* {state, reasons: [...], images, total} from the escaped JobInfo;
	 * JobStateReasons may hold several words ("JobAborted PaperJam"). */
	function parseJob(doc) {
		var reasons = [], docs = [doc].concat(embedded(doc)), list, i, k, parts, j;
		for (k = 0; k < docs.length; k++) {
			list = docs[k].getElementsByTagNameNS('*', 'JobStateReasons');
			for (i = 0; i < list.length; i++) {
				parts = textOf(list[i]).split(/\s+/);
				for (j = 0; j < parts.length; j++)
					if (parts[j])
						reasons.push(parts[j]);
			}
		}
		return { state: textOf(lookup(doc, 'JobState')), reasons: reasons,
			 images: number(lookup(doc, 'ImagesScanned')),
			 total: number(lookup(doc, 'ImagesToScan')) };
	}

	SP.device = {
		SERVICES: SERVICES,
		OPS: OPS,
		build: build,
		escapeXml: escapeXml,
		isGuest: isGuest,
		family: family,
		/* The job body's device ({family}) from what the printer said at
		 * start (SP.state.device), or undefined (left out) if it did not. */
		jobDevice: function () {
			var d = SP.state && SP.state.device;
			return d ? { family: family(d.model) } : undefined;
		},
		parse: { information: parseInformation, session: parseSession, job: parseJob },

		/* cb(err, {name, model, serial, width, height}) */
		information: function (cb) {
			call('GetDeviceInformation', null, reading(parseInformation, cb));
		},

		/* cb(err, {username, guest, from}); username is 'guest' when
		 * nobody is in. */
		session: function (cb) {
			call('GetSessionInformation', null, reading(parseSession, cb));
		},

		/*
		 * cb(err, token): the security token of the logged-in user for a
		 * cloud service provider, keyB64 the Base64 of the key that lets
		 * an app have it (XrxSession.js, GetSecurityTokenRequest ->
		 * GetSecurityTokenResponse/SecurityToken, Base64).  A fault when
		 * the printer has none (DESIGN 3.4; sso.js).
		 */
		securityToken: function (provider, keyB64, cb) {
			call('GetSecurityToken', { provider: provider, key: keyB64 },
			     function (err, doc, meta) {
				     var token = err ? '' : textOf(lookup(doc, 'SecurityToken'));
				     if (!err && !token)
					     err = { code: 'no_token', message: SP.t('err.no_token') };
				     cb(err, token, meta);
			     });
		},

		exitApplication: function (cb) {
			call('ExitApplication', null, cb);
		},

		/* cb(err, checksum) */
		putTemplate: function (name, content, cb) {
			call('PutTemplate', { name: name, content: content }, reading(function (doc) {
				return textOf(lookup(doc, 'TemplateChecksum'));
			}, cb));
		},

		deleteTemplate: function (name, checksum, cb) {
			call('DeleteTemplate', { name: name, checksum: checksum || '' }, cb);
		},

		/* cb(err, jobId) */
		scanWithTemplate: function (name, cb) {
			call('InitiateScanWithTemplate', { name: name }, reading(function (doc) {
				return textOf(lookup(doc, 'JobID'));
			}, cb));
		},

		jobDetails: function (jobId, cb) {
			call('GetJobDetails', { jobId: jobId }, reading(parseJob, cb));
		},

		/* Any operation of OPS: cb(err, doc, meta), and the readers. */
		call: call,
		lookup: lookup,
		text: textOf
	};
}(window.SP));
