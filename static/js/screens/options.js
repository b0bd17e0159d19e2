/*
 * screens/options.js - steps 4 and 5: the registered-email settings and the
 * scan settings, each a form made from its table in settings.js.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, $ = ui.$;

	/* One settings screen: name, table, where its values live in SP.state. */
	function settingsScreen(name, fields, stateKey, step, prev, next) {
		var controls = [];

		function values() {
			var v = {}, i;
			for (i = 0; i < controls.length; i++)
				v[controls[i].field.key] = controls[i].get();
			return v;
		}

		/* Shows the fields that apply; names text that the API would refuse.
		 * Returns the first control in error, or null. */
		function refresh() {
			var v = values(), i, c, why, bad = null;
			for (i = 0; i < controls.length; i++) {
				c = controls[i];
				ui.show(c.node, SP.settings.applies(c.field, v));
				if (!c.error)
					continue;
				why = SP.validate.text(c.get(), c.field.text, c.field.min, c.field.max);
				ui.text(c.error, why ? c.field.label + ' ' + why + '.' : '');
				if (why)
					c.input.setAttribute('aria-invalid', 'true');
				else
					c.input.removeAttribute('aria-invalid');
				if (why && !bad)
					bad = c;
			}
			return bad;
		}

		function save() {
			SP.state[stateKey] = values();
		}

		return {
			id: 'screen-' + name,
			init: function () {
				var form = $(name + '-form'), i, c;
				for (i = 0; i < fields.length; i++) {
					c = ui.control(fields[i], name, refresh);
					controls.push(c);
					form.appendChild(c.node);
				}
			},
			enter: function () {
				var i;
				for (i = 0; i < controls.length; i++)
					controls[i].set(SP.state[stateKey][controls[i].field.key]);
				refresh();
			},
			footer: function () {
				return {
					back: { label: 'Back', fn: function () {
						save();
						SP.app.go(prev);
					} },
					next: { label: 'Next', fn: function () {
						var bad = refresh();
						if (bad) {
							bad.input.focus();
							return;
						}
						save();
						SP.app.go(next);
					} },
					step: step
				};
			}
		};
	}

	SP.screens = SP.screens || {};
	SP.screens.registered = settingsScreen('registered', SP.settings.registered, 'registered',
					       'Step 2 of 4 · Registered email', 'compose', 'scan');
	SP.screens.scan = settingsScreen('scan', SP.settings.scan, 'scan',
					 'Step 3 of 4 · Scan settings', 'registered', 'review');
}(window.SP));
