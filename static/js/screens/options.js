/*
 * screens/options.js - steps 4 and 5: the registered-email settings and the
 * scan settings, each a form made from its table in settings.js.  A value
 * the settings' rules exclude (combinations RMail does not allow) is never
 * offered: its button or box is disabled, and the reason is shown.
 */
(function (SP) {
	'use strict';

	var ui = SP.ui, $ = ui.$, t = SP.t;
	var ADMIN = 'opt.admin';
	var NOT_WITH_ADMIN = 'opt.not_with_admin';

	function allowed(lock, value) {
		var i;
		if (!lock)
			return true;
		for (i = 0; i < lock.only.length; i++)
			if (lock.only[i] === value)
				return true;
		return false;
	}

	/* Offers control c's values as lock (from SP.settings.resolve, or the
	 * administrator's: lock.admin) allows: the others are disabled, and
	 * lock.why is read under the field.  An administrator's lock leaves the
	 * field read-only. */
	function offer(c, lock) {
		var inputs = c.node.getElementsByTagName('input');
		var options = c.node.getElementsByTagName('option'), j, ok;
		var admin = !!lock && lock.admin === true;

		if (c.input)
			c.input.disabled = admin;
		if (c.field.kind === 'bool' && inputs.length) {
			inputs[0].disabled = !!lock && lock.only.length === 1;
		} else if (c.field.kind === 'choice') {
			var items = c.field.widget === 'seg' ? inputs : options;
			for (j = 0; j < items.length; j++) {
				ok = allowed(lock, c.field.options[j][0]);
				items[j].disabled = !ok || admin;
				if (c.field.widget === 'seg' && items[j].nextSibling)
					items[j].nextSibling.style.opacity = ok ? '' : '0.45';
			}
		}
		ui.text(c.why, lock ? t(lock.why) : '');
		ui.show(c.why, !!lock);
	}

	/* One settings screen: name, table, where its values live in SP.state. */
	function settingsScreen(name, fields, stateKey, step, prev, next) {
		var controls = [], copy = null, builtIn = null; /* the form's language */

		function raw() {
			var v = {}, i;
			for (i = 0; i < controls.length; i++)
				v[controls[i].field.key] = controls[i].get();
			return v;
		}

		/* The administrator's lock of field f, or undefined. */
		function adminLock(f) {
			return SP.policy.locked(stateKey, f.key);
		}

		/* Whether value o of key k leaves every locked field (lk) as the
		 * administrator set it once the rules are applied. */
		function keepsLocks(v, k, o, lk) {
			var w = {}, x, rv;
			for (x in v)
				if (v.hasOwnProperty(x))
					w[x] = v[x];
			w[k] = o;
			rv = SP.settings.resolve(w).values;
			for (x in lk)
				if (lk.hasOwnProperty(x) && rv[x] !== lk[x])
					return false;
			return true;
		}

		/* The values of field f that keep the locks (all when none bind). */
		function lockFree(f, v, lk) {
			var opts = f.kind === 'bool' ? [true, false] : [], only = [], i;
			for (i = 0; f.kind === 'choice' && i < f.options.length; i++)
				opts.push(f.options[i][0]);
			for (i = 0; i < opts.length; i++)
				if (keepsLocks(v, f.key, opts[i], lk))
					only.push(opts[i]);
			return only.length < opts.length ? only : null;
		}

		/* The values with the administrator's locks, then the rules applied,
		 * shown as such on the controls.  A value that the rules would
		 * answer by changing a locked field (unmarked, with encryption
		 * locked on) is not offered either. */
		function values() {
			var v = raw(), lk = {}, free = {}, r, i, c, f, lv, lock, only;
			for (i = 0; i < controls.length; i++)
				if ((lv = adminLock(controls[i].field)) !== undefined)
					v[controls[i].field.key] = lk[controls[i].field.key] = lv;
			for (i = 0; i < controls.length; i++) {
				f = controls[i].field;
				if (lk.hasOwnProperty(f.key) || (only = lockFree(f, v, lk)) === null)
					continue;
				free[f.key] = only;
				if (!keepsLocks(v, f.key, v[f.key], lk) && only.length)
					v[f.key] = only[0];
			}
			r = SP.settings.resolve(v);
			for (i = 0; i < controls.length; i++) {
				c = controls[i];
				f = c.field;
				if (r.values[f.key] !== c.get())
					c.set(r.values[f.key]);
				lock = r.locked[f.key];
				if (lk.hasOwnProperty(f.key))
					lock = { only: [lk[f.key]], why: ADMIN, admin: true };
				else if (free[f.key] && !lock)
					lock = { only: free[f.key], why: NOT_WITH_ADMIN };
				offer(c, lock);
			}
			return r.values;
		}

		/* Shows the fields that apply; names text that the API would refuse.
		 * Returns the first control in error, or null. */
		function refresh() {
			var v = values(), i, c, why, bad = null;
			for (i = 0; i < controls.length; i++) {
				c = controls[i];
				ui.show(c.node, SP.settings.applies(c.field, v) &&
					!SP.policy.hidden(stateKey, c.field.key));
				if (!c.error)
					continue;
				why = SP.validate.text(c.get(), c.field.text, c.field.min, c.field.max);
				ui.text(c.error, why ? t('v.field_bad', { field: SP.settings.fieldLabel(c.field),
							   why: why }) : '');
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
			var mode = SP.policy.copyToMe();
			SP.state[stateKey] = values();
			if (!copy)
				return;
			SP.state.copyToMe = mode === 'forced' || (mode === 'allowed' && copy.get());
			if (mode === 'allowed')
				SP.store.rememberCopyToMe(copy.get());
		}

		/* "Send me a copy": the signed-in RMail address, added by the
		 * service as Bcc (README); off, the person's, or forced by policy. */
		function enterCopy() {
			var mode = SP.policy.copyToMe(), input = copy.node.getElementsByTagName('input')[0];
			ui.show(copy.node, mode !== 'off');
			copy.set(mode === 'forced' || SP.store.copyToMe() === true);
			input.disabled = mode === 'forced';
			ui.text(copy.why, (mode === 'forced' ? t(ADMIN) + ' ' : '') +
				t('opt.copy_to', { user: SP.state.user }));
		}

		return {
			id: 'screen-' + name,
			/* The form is made anew in the chosen language. */
			init: function () {
				var form = $(name + '-form'), i, c;
				ui.clear(form);
				controls = [];
				builtIn = SP.i18n.lang();
				for (i = 0; i < fields.length; i++) {
					c = ui.control(fields[i], name, refresh);
					c.why = ui.el('p', { className: 'hint',
							     id: name + '-' + fields[i].key.replace(/_/g, '-') + '-why',
							     'aria-live': 'polite' });
					c.node.appendChild(c.why);
					controls.push(c);
					form.appendChild(c.node);
				}
				if (stateKey !== 'registered')
					return;
				copy = ui.control({ key: 'copy_to_me', kind: 'bool', label: t('opt.copy') },
						  name, function () {});
				copy.why = ui.el('p', { className: 'hint', id: name + '-copy-to-me-why' });
				copy.node.appendChild(copy.why);
				form.appendChild(copy.node);
			},
			enter: function () {
				var i;
				if (builtIn !== SP.i18n.lang())
					this.init();
				for (i = 0; i < controls.length; i++)
					controls[i].set(SP.state[stateKey][controls[i].field.key]);
				if (copy)
					enterCopy();
				refresh();
			},
			/* Another language: what is on the screen stays as set. */
			relabel: function () {
				save();
				this.init();
				this.enter();
			},
			footer: function () {
				return {
					back: { label: t('btn.back'), fn: function () {
						save();
						SP.app.go(prev);
					} },
					next: { label: t('btn.next'), fn: function () {
						var bad = refresh();
						if (bad) {
							bad.input.focus();
							return;
						}
						save();
						SP.app.go(next);
					} },
					step: t(step)
				};
			}
		};
	}

	SP.screens = SP.screens || {};
	SP.screens.registered = settingsScreen('registered', SP.settings.registered, 'registered',
					       'registered.step', 'compose', 'scan');
	SP.screens.scan = settingsScreen('scan', SP.settings.scan, 'scan',
					 'scan.step', 'registered', 'review');
}(window.SP));
