/*
 * settings.js - the registered-email and scan settings as tables (DESIGN 3.1):
 * the JSON key, the closed list of values the API accepts, what the person
 * at the printer reads, and the default.  The option screens, the review and
 * the job body are all made from these tables, so a value can never drift
 * from the API's list.
 *
 * Field kinds: 'choice' (options [[value], ...]; widget 'seg' for a
 * row of buttons or 'select'), 'bool' (a checkbox), 'text' (one line),
 * 'lines' (several lines).
 *
 * The registered settings combine only as RPost's own RMail add-on lets
 * them (Zimbra-Community/rmail, com_rpost_rmail.js): the API refuses the
 * rest with a 400, so `rules` below keeps the screen from ever offering
 * them, and says why.
 */
(function (SP) {
	'use strict';

	var PDF_FORMATS = { 'PDF': true, 'PDF/A-1b': true };

	/* label, hint and each option's words are keys of the language tables
	 * (i18n.js): 'set.<key>', 'set.<key>.hint', 'set.<key>.<value>'; a
	 * field with named options carries words that are the same in every
	 * language (dots per inch, each language by its own name). */
	var registered = [
		{ key: 'marked', kind: 'choice', widget: 'seg', options: [[true], [false]], def: true,
		  hint: true },
		{ key: 'encryption', kind: 'choice', widget: 'seg',
		  options: [['off'], ['tls_preferred'], ['always_pdf']], def: 'tls_preferred' },
		{ key: 'large_mail', kind: 'choice', widget: 'seg', options: [['auto'], ['force']],
		  def: 'auto', hint: true },
		{ key: 'esign', kind: 'bool', def: false },
		{ key: 'sidenote', kind: 'lines', max: 1000, def: '', text: 'lines' },
		{ key: 'sidenote_cc', kind: 'bool', def: false, onlyIf: 'sidenote_cc' },
		{ key: 'sidenote_bcc', kind: 'bool', def: false, onlyIf: 'sidenote_bcc' },
		{ key: 'reference', kind: 'text', max: 100, def: '', text: 'ascii' }
	];

	var LANGUAGES = ['en', 'fr', 'de', 'es', 'it', 'nl', 'pt', 'sv', 'da', 'no', 'fi', 'pl',
			 'cs', 'hu', 'ru', 'tr', 'el', 'ja', 'ko'];

	var scan = [
		{ key: 'sides', kind: 'choice', widget: 'seg',
		  options: [['ONE_SIDED'], ['TWO_SIDED'], ['SECOND_SIDE_ROTATION']], def: 'ONE_SIDED' },
		{ key: 'color', kind: 'choice', widget: 'seg',
		  options: [['AUTO'], ['BLACK_AND_WHITE'], ['GRAYSCALE'], ['FULL_COLOR']], def: 'AUTO' },
		{ key: 'resolution', kind: 'choice', widget: 'select', named: true,
		  options: [['RES_150X150', '150 dpi'], ['RES_200X200', '200 dpi'],
			    ['RES_300X300', '300 dpi'], ['RES_400X400', '400 dpi'],
			    ['RES_600X600', '600 dpi']], def: 'RES_300X300' },
		{ key: 'orientation', kind: 'choice', widget: 'seg',
		  options: [['PORTRAIT'], ['LANDSCAPE']], def: 'PORTRAIT' },
		{ key: 'original_size', kind: 'choice', widget: 'select',
		  options: [['AUTO'], ['NA_8.5x11LEF'], ['NA_8.5x11SEF'], ['NA_8.5x14SEF'],
			    ['ISO_A4LEF'], ['ISO_A4SEF'], ['ISO_A3SEF'], ['ISO_A5LEF']], def: 'AUTO' },
		{ key: 'original_type', kind: 'choice', widget: 'select',
		  options: [['MIXED'], ['PHOTO'], ['TEXT'], ['MAP'], ['NEWSPAPER_AND_MAGAZINE']],
		  def: 'MIXED' },
		{ key: 'format', kind: 'choice', widget: 'select',
		  options: [['PDF'], ['PDF/A-1b'], ['TIFF_V6'], ['XSM_TIFF_V6']], def: 'PDF' },
		{ key: 'searchable', kind: 'bool', def: false, onlyIf: 'pdf' },
		{ key: 'language', kind: 'choice', widget: 'select', named: true,
		  options: LANGUAGES.map(function (l) { return [l, SP.i18n.NAMES[l]]; }), def: 'en',
		  onlyIf: 'searchable' },
		{ key: 'file_name', kind: 'text', min: 1, max: 64, def: 'Scan', text: 'line' }
	];

	/*
	 * While `when` holds, field `key` may only take the values in `only`;
	 * the others are not offered and the person reads `why` (a key).  In
	 * order: an earlier rule's choice stands (the add-on's
	 * checkServiceCompatiblity: unmarked disables encryption and e-sign;
	 * large mail disables e-sign; e-sign and large mail exclude each other).
	 */
	var rules = [
		{ when: function (v) { return v.marked === false; }, key: 'encryption', only: ['off'],
		  why: 'rule.unmarked_encryption' },
		{ when: function (v) { return v.marked === false; }, key: 'esign', only: [false],
		  why: 'rule.unmarked_esign' },
		{ when: function (v) { return v.large_mail === 'force'; }, key: 'esign', only: [false],
		  why: 'rule.large_esign' },
		{ when: function (v) { return v.esign === true; }, key: 'large_mail', only: ['auto'],
		  why: 'rule.esign_large' }
	];

	/* What the person reads for field f, its hint ('' when none) and its
	 * option i, in the chosen language. */
	function fieldLabel(f) {
		return f.label || SP.t('set.' + f.key);
	}

	function fieldHint(f) {
		return f.hint ? SP.t('set.' + f.key + '.hint') : '';
	}

	function optionLabel(f, i) {
		return f.named ? f.options[i][1] : SP.t('set.' + f.key + '.' + String(f.options[i][0]));
	}

	function within(list, v) {
		for (var i = 0; i < list.length; i++)
			if (list[i] === v)
				return true;
		return false;
	}

	/* The values with every rule applied (a value a rule excludes becomes
	 * the first it allows), and for each locked field its allowed values
	 * and the reason: {values, locked: {key: {only, why}}}. */
	function resolve(values) {
		var out = {}, locked = {}, k, i, r;
		for (k in values)
			if (values.hasOwnProperty(k))
				out[k] = values[k];
		for (i = 0; i < rules.length; i++) {
			r = rules[i];
			if (!(r.key in out) || !r.when(out))
				continue;
			if (!within(r.only, out[r.key]))
				out[r.key] = r.only[0];
			if (!locked[r.key])
				locked[r.key] = { only: r.only, why: r.why };
		}
		return { values: out, locked: locked };
	}

	/* The recipients typed in the compose step (the SideNote copy flags
	 * apply only when there are Cc or Bcc recipients). */
	function recipientCounts() {
		var d = SP.state && SP.state.draft, r;
		if (!d || !SP.validate)
			return { cc: 0, bcc: 0 };
		r = SP.validate.recipients(d);
		return { cc: r.lists.cc.length, bcc: r.lists.bcc.length };
	}

	function defaults(fields) {
		var out = {}, i;
		for (i = 0; i < fields.length; i++)
			out[fields[i].key] = fields[i].def;
		return out;
	}

	/* The value of v in field f when it is one of its options, else its default:
	 * what localStorage remembers is never trusted beyond the closed list. */
	function clean(f, v) {
		var i;
		if (f.kind === 'choice') {
			for (i = 0; i < f.options.length; i++)
				if (f.options[i][0] === v)
					return v;
			return f.def;
		}
		if (f.kind === 'bool')
			return v === true || v === false ? v : f.def;
		return typeof v === 'string' ? v : f.def;
	}

	function cleanAll(fields, obj) {
		var out = {}, i;
		obj = obj || {};
		for (i = 0; i < fields.length; i++)
			out[fields[i].key] = clean(fields[i], obj[fields[i].key]);
		return out;
	}

	function label(f, v) {
		var i;
		if (f.kind === 'bool')
			return SP.t(v ? 'set.yes' : 'set.no');
		if (f.kind === 'choice') {
			for (i = 0; i < f.options.length; i++)
				if (f.options[i][0] === v)
					return optionLabel(f, i);
		}
		return v === '' ? SP.t('set.none') : String(v);
	}

	/* Whether field f applies given the other values (searchable text is
	 * offered with the PDF formats only, its language only when asked for;
	 * the SideNote copy flags with a SideNote and such recipients, as the
	 * add-on's prefDialog offers them). */
	function applies(f, values) {
		if (f.onlyIf === 'pdf')
			return PDF_FORMATS[values.format] === true;
		if (f.onlyIf === 'searchable')
			return PDF_FORMATS[values.format] === true && values.searchable === true;
		if (f.onlyIf === 'sidenote_cc')
			return !!values.sidenote && recipientCounts().cc > 0;
		if (f.onlyIf === 'sidenote_bcc')
			return !!values.sidenote && recipientCounts().bcc > 0;
		return true;
	}

	/* The values that go into the job body, every rule applied: fields that
	 * do not apply are left out, so the API uses its defaults. */
	function toJson(fields, values) {
		var out = {}, i, v = resolve(values).values;
		for (i = 0; i < fields.length; i++)
			if (applies(fields[i], v))
				out[fields[i].key] = v[fields[i].key];
		return out;
	}

	SP.settings = {
		registered: registered,
		scan: scan,
		defaults: defaults,
		cleanAll: cleanAll,
		label: label,
		fieldLabel: fieldLabel,
		fieldHint: fieldHint,
		optionLabel: optionLabel,
		applies: applies,
		resolve: resolve,
		toJson: toJson
	};
}(window.SP));
