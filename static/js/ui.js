/*
 * ui.js - small DOM helpers.  Text from people or servers goes in through
 * textContent and value only, never as markup.
 */
(function (SP) {
	'use strict';

	var uid = 0;

	function $(id) {
		return document.getElementById(id);
	}

	/* el('p', {className: 'hint', id: 'x'}, ['text', childNode, ...]) */
	function el(tag, props, children) {
		var e = document.createElement(tag), k, i, c;
		props = props || {};
		for (k in props)
			if (props.hasOwnProperty(k)) {
				if (k === 'className' || k === 'type' || k === 'value' ||
				    k === 'checked' || k === 'disabled' || k === 'name')
					e[k] = props[k];
				else
					e.setAttribute(k, props[k]);
			}
		children = children || [];
		for (i = 0; i < children.length; i++) {
			c = children[i];
			if (c === null || c === undefined)
				continue;
			e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
		}
		return e;
	}

	function text(node, s) {
		node.textContent = s === null || s === undefined ? '' : String(s);
	}

	function clear(node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
	}

	function show(node, on) {
		if (on)
			node.removeAttribute('hidden');
		else
			node.setAttribute('hidden', 'hidden');
	}

	function hasClass(node, c) {
		return (' ' + node.className + ' ').indexOf(' ' + c + ' ') >= 0;
	}

	function setClass(node, c, on) {
		if (on && !hasClass(node, c))
			node.className = (node.className ? node.className + ' ' : '') + c;
		else if (!on)
			node.className = (' ' + node.className + ' ').replace(' ' + c + ' ', ' ')
				.replace(/^\s+|\s+$/g, '');
	}

	function newId(prefix) {
		uid += 1;
		return prefix + '-' + uid;
	}

	function on(node, ev, fn) {
		node.addEventListener(ev, fn, false);
	}

	/* Buttons that each fill in or add a remembered value. */
	function chips(container, values, onPick) {
		var i;
		clear(container);
		for (i = 0; i < values.length; i++)
			container.appendChild(chip(values[i], onPick));
		show(container.parentNode, values.length > 0);
	}

	function chip(value, onPick) {
		var b = el('button', { type: 'button', className: 'chip' }, [value]);
		on(b, 'click', function () {
			onPick(value);
		});
		return b;
	}

	/*
	 * A form control for one settings field (SP.settings).  Returns
	 * {node, get(), set(v), field}; onChange is called after each change.
	 */
	function control(f, prefix, onChange) {
		var id = prefix + '-' + f.key.replace(/_/g, '-'), node, input, radios = [], i;
		var st = SP.settings, label = st.fieldLabel(f), hintText = st.fieldHint(f);
		var hintId = hintText ? id + '-hint' : null;
		var hint = hintText ? el('p', { className: 'hint', id: hintId }, [hintText]) : null;
		var err = el('p', { className: 'error', id: id + '-error', 'aria-live': 'polite' });

		if (f.kind === 'choice' && f.widget === 'seg') {
			node = el('fieldset', { className: 'field seg-group', id: id },
				  [el('legend', {}, [label])]);
			var row = el('div', { className: 'seg-row' });
			for (i = 0; i < f.options.length; i++) {
				input = el('input', { type: 'radio', name: id, value: String(i),
						      id: id + '-' + i });
				if (hintId)
					input.setAttribute('aria-describedby', hintId);
				radios.push(input);
				on(input, 'change', onChange);
				row.appendChild(el('label', { className: 'seg', 'for': id + '-' + i },
						   [input, el('span', {}, [st.optionLabel(f, i)])]));
			}
			node.appendChild(row);
			if (hint)
				node.appendChild(hint);
			return {
				node: node, field: f,
				get: function () {
					for (var j = 0; j < radios.length; j++)
						if (radios[j].checked)
							return f.options[j][0];
					return f.def;
				},
				set: function (v) {
					for (var j = 0; j < radios.length; j++)
						radios[j].checked = f.options[j][0] === v;
				}
			};
		}

		if (f.kind === 'choice') {
			input = el('select', { id: id });
			for (i = 0; i < f.options.length; i++)
				input.appendChild(el('option', { value: String(i) }, [st.optionLabel(f, i)]));
			on(input, 'change', onChange);
		} else if (f.kind === 'bool') {
			input = el('input', { type: 'checkbox', id: id });
			on(input, 'change', onChange);
			node = el('div', { className: 'field check' },
				  [el('label', { 'for': id }, [input, el('span', {}, [label])]), hint]);
			return {
				node: node, field: f,
				get: function () { return input.checked; },
				set: function (v) { input.checked = v === true; }
			};
		} else {
			input = el(f.kind === 'lines' ? 'textarea' : 'input',
				   { id: id, maxlength: String(f.max), 'aria-describedby': id + '-error' });
			if (f.kind === 'lines')
				input.setAttribute('rows', '2');
			else
				input.type = 'text';
			on(input, 'input', onChange);
		}
		if (hintId)
			input.setAttribute('aria-describedby',
					   (input.getAttribute('aria-describedby') || '') + ' ' + hintId);
		node = el('div', { className: 'field' },
			  [el('label', { 'for': id }, [label]), input, hint, err]);
		return {
			node: node, field: f, error: err, input: input,
			get: function () {
				return f.kind === 'choice' ? f.options[input.selectedIndex][0] : input.value;
			},
			set: function (v) {
				if (f.kind !== 'choice') {
					input.value = v;
					return;
				}
				for (var j = 0; j < f.options.length; j++)
					if (f.options[j][0] === v)
						input.selectedIndex = j;
			}
		};
	}

	/* A date and time in the chosen language's form (i18n.js). */
	function formatTime(iso) {
		return SP.i18n.dateTime(iso);
	}

	SP.ui = {
		$: $, el: el, text: text, clear: clear, show: show, setClass: setClass,
		hasClass: hasClass, newId: newId, on: on, chips: chips, control: control,
		formatTime: formatTime
	};
}(window.SP));
