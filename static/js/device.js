/*
 * device.js - the printer's EIP web services (DESIGN 3.3): SOAP 1.1 over
 * XMLHttpRequest to SP.config.deviceBase.
 *
 * Requests are built as text with every value escaped (XML 1.0, 2.4: & < >
 * " '), never by pasting user data into markup.  Answers are parsed with
 * DOMParser; elements are found by local name, so a device that prefixes
 * its namespaces differently still answers.  Several answers carry a second
 * XML document escaped inside one element (JobInfo, Information): lookup()
 * parses those too.  Callbacks are cb(err, result); err is {code, message}.
 */
(function (SP) {
	'use strict';

	var SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
	var TIMEOUT_MS = 20000;

	/* The services and their namespaces, as the EIP SDK names them. */
	var SERVICES = {
		config: ['/webservices/office/device_configuration/1',
			 'http://www.xerox.com/webservices/office/device_configuration/1'],
		session: ['/webservices/office/cuisession/1',
			  'http://www.xerox.com/webservices/office/cuisession/1'],
		template: ['/webservices/office/template_management/1',
			   'http://www.xerox.com/webservices/office/template_management/1'],
		scan: ['/webservices/ScanService/2',
		       'http://www.xerox.com/webservices/scanservice/2'],
		jobs: ['/webservices/JobManagement/1',
		       'http://xml.namespaces.xerox.com/enterprise/JobManagement/1']
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
				(v instanceof Array ? elements(v) : escapeXml(v)) +
				'</' + list[i][0] + '>';
		}
		return out;
	}

	function envelope(op, ns, children) {
		return '<?xml version="1.0" encoding="utf-8"?>' +
			'<soap:Envelope xmlns:soap="' + SOAP_ENV + '"><soap:Body>' +
			'<' + op + ' xmlns="' + ns + '">' + elements(children) + '</' + op + '>' +
			'</soap:Body></soap:Envelope>';
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

	function call(service, op, children, cb) {
		var svc = SERVICES[service], xhr = new XMLHttpRequest(), done = false, timer;

		function finish(err, doc) {
			if (done)
				return;
			done = true;
			clearTimeout(timer);
			cb(err, doc);
		}

		xhr.open('POST', SP.config.deviceBase + svc[0], true);
		xhr.setRequestHeader('Content-Type', 'text/xml; charset=utf-8');
		xhr.setRequestHeader('SOAPAction', '""');
		xhr.onreadystatechange = function () {
			var doc, fault;
			if (xhr.readyState !== 4 || done)
				return;
			if (xhr.status === 0) {
				finish({ code: 'unreachable',
					 message: 'The printer\'s services do not answer.' });
				return;
			}
			doc = parseXml(xhr.responseText);
			fault = doc ? first(doc, 'Fault') : null;
			if (fault || xhr.status !== 200 || !doc) {
				finish({ code: 'fault', status: xhr.status,
					 message: textOf(first(fault, 'faultstring')) ||
						  textOf(first(fault, 'Text')) ||
						  'The printer refused ' + op + ' (' + xhr.status + ').' });
				return;
			}
			finish(null, doc);
		};
		timer = setTimeout(function () {
			xhr.abort();
			finish({ code: 'timeout', message: 'The printer did not answer in time.' });
		}, TIMEOUT_MS);
		xhr.send(envelope(op, svc[1], children));
	}

	function number(node) {
		var n = parseInt(textOf(node), 10);
		return isNaN(n) ? 0 : n;
	}

	SP.device = {
		escapeXml: escapeXml,

		/* cb(err, {name, model, serial, width, height}) */
		information: function (cb) {
			call('config', 'GetDeviceInformationRequest', [], function (err, doc) {
				var dev, canvas;
				if (err)
					return cb(err);
				dev = lookup(doc, 'device');
				canvas = lookup(doc, 'canvasSize');
				cb(null, {
					name: textOf(dev ? first(dev, 'name') : lookup(doc, 'name')),
					model: textOf(dev ? first(dev, 'model') : lookup(doc, 'model')),
					serial: textOf(dev ? first(dev, 'serial') : lookup(doc, 'serial')),
					width: number(first(canvas, 'width')),
					height: number(first(canvas, 'height'))
				});
			});
		},

		/* cb(err, {username, from}); username is 'guest' when nobody is in. */
		session: function (cb) {
			call('session', 'GetSessionInformationRequest', [], function (err, doc) {
				if (err)
					return cb(err);
				cb(null, { username: textOf(lookup(doc, 'username')),
					   from: textOf(lookup(doc, 'from')) });
			});
		},

		/*
		 * cb(err, token): the security token of the logged-in user for a
		 * cloud service provider, keyB64 the Base64 of the key that lets
		 * an app have it (XrxSession.js, GetSecurityTokenRequest ->
		 * GetSecurityTokenResponse/SecurityToken, Base64).  A fault when
		 * the printer has none (DESIGN 3.4; sso.js).
		 */
		securityToken: function (provider, keyB64, cb) {
			call('session', 'GetSecurityTokenRequest',
			     [['ServiceProvider', provider], ['SecurityTokenKey', keyB64]],
			     function (err, doc) {
				     var token = err ? '' : textOf(lookup(doc, 'SecurityToken'));
				     if (!err && !token)
					     err = { code: 'no_token', message: 'The printer gave no token.' };
				     cb(err, token);
			     });
		},

		exitApplication: function (cb) {
			call('session', 'ExitApplicationRequest', [], cb);
		},

		/* cb(err, checksum) */
		putTemplate: function (name, content, cb) {
			call('template', 'PutTemplateRequest',
			     [['templateName', name], ['templateContent', content]],
			     function (err, doc) {
				     cb(err, err ? null : textOf(lookup(doc, 'TemplateChecksum')));
			     });
		},

		deleteTemplate: function (name, checksum, cb) {
			call('template', 'DeleteTemplateRequest',
			     [['templateName', name], ['priorChecksum', checksum || '']], cb);
		},

		/* cb(err, jobId) */
		scanWithTemplate: function (name, cb) {
			call('scan', 'InitiateScanWithTemplateRequest',
			     [['ScanTemplateID', name], ['IsFromTemplatePool', 'false']],
			     function (err, doc) {
				     cb(err, err ? null : textOf(lookup(doc, 'JobID')));
			     });
		},

		/* cb(err, {state, reasons: [...], images, total}) from the escaped JobInfo. */
		jobDetails: function (jobId, cb) {
			call('jobs', 'GetJobDetailsRequest',
			     [['JobData', [['JobIdentifierType', 'JobId'],
					   ['JobIdentifierString', jobId]]],
			      ['JobType', 'WorkflowScanning']],
			     function (err, doc) {
				     var reasons = [], docs, list, i, k, parts, j;
				     if (err)
					     return cb(err);
				     docs = [doc].concat(embedded(doc));
				     for (k = 0; k < docs.length; k++) {
					     list = docs[k].getElementsByTagNameNS('*', 'JobStateReasons');
					     for (i = 0; i < list.length; i++) {
						     parts = textOf(list[i]).split(/\s+/);
						     for (j = 0; j < parts.length; j++)
							     if (parts[j])
								     reasons.push(parts[j]);
					     }
				     }
				     cb(null, { state: textOf(lookup(doc, 'JobState')),
						reasons: reasons,
						images: number(lookup(doc, 'ImagesScanned')),
						total: number(lookup(doc, 'ImagesToScan')) });
			     });
		}
	};
}(window.SP));
