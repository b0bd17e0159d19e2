/*
 * settings.js - the registered-email and scan settings as tables (DESIGN 3.1):
 * the JSON key, the closed list of values the API accepts, what the person
 * at the printer reads, and the default.  The option screens, the review and
 * the job body are all made from these tables, so a value can never drift
 * from the API's list.
 *
 * Field kinds: 'choice' (options [[value, label], ...]; widget 'seg' for a
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

	var registered = [
		{ key: 'marked', kind: 'choice', widget: 'seg', label: 'Registered email',
		  options: [[true, 'Marked'], [false, 'Unmarked']], def: true,
		  hint: 'Marked shows recipients that the email is registered; unmarked ' +
			'looks like ordinary email. Either way you get a Registered Receipt.' },
		{ key: 'encryption', kind: 'choice', widget: 'seg', label: 'Encryption',
		  options: [['off', 'Off'], ['tls_preferred', 'TLS preferred'],
			    ['always_pdf', 'Always encrypted PDF']], def: 'tls_preferred' },
		{ key: 'large_mail', kind: 'choice', widget: 'seg', label: 'Large-file transfer',
		  options: [['auto', 'Automatic'], ['force', 'Always']], def: 'auto',
		  hint: 'Automatic uses it only for large scans.' },
		{ key: 'esign', kind: 'bool', label: 'Ask recipients to e-sign', def: false },
		{ key: 'sidenote', kind: 'lines', label: 'SideNote text', max: 1000, def: '',
		  text: 'lines' },
		{ key: 'sidenote_cc', kind: 'bool', label: 'Show the SideNote on the Cc copies',
		  def: false, onlyIf: 'sidenote_cc' },
		{ key: 'sidenote_bcc', kind: 'bool', label: 'Show the SideNote on the Bcc copies',
		  def: false, onlyIf: 'sidenote_bcc' },
		{ key: 'reference', kind: 'text', label: 'Customer reference', max: 100, def: '',
		  text: 'ascii' }
	];

	var scan = [
		{ key: 'sides', kind: 'choice', widget: 'seg', label: 'Sides',
		  options: [['ONE_SIDED', '1-sided'], ['TWO_SIDED', '2-sided'],
			    ['SECOND_SIDE_ROTATION', '2-sided, rotate side 2']], def: 'ONE_SIDED' },
		{ key: 'color', kind: 'choice', widget: 'seg', label: 'Color',
		  options: [['AUTO', 'Auto'], ['BLACK_AND_WHITE', 'Black and white'],
			    ['GRAYSCALE', 'Grayscale'], ['FULL_COLOR', 'Color']], def: 'AUTO' },
		{ key: 'resolution', kind: 'choice', widget: 'select', label: 'Resolution',
		  options: [['RES_150X150', '150 dpi'], ['RES_200X200', '200 dpi'],
			    ['RES_300X300', '300 dpi'], ['RES_400X400', '400 dpi'],
			    ['RES_600X600', '600 dpi']], def: 'RES_300X300' },
		{ key: 'orientation', kind: 'choice', widget: 'seg', label: 'Orientation',
		  options: [['PORTRAIT', 'Portrait'], ['LANDSCAPE', 'Landscape']], def: 'PORTRAIT' },
		{ key: 'original_size', kind: 'choice', widget: 'select', label: 'Original size',
		  options: [['AUTO', 'Auto-detect'], ['NA_8.5x11LEF', 'Letter, long edge first'],
			    ['NA_8.5x11SEF', 'Letter, short edge first'],
			    ['NA_8.5x14SEF', 'Legal, short edge first'],
			    ['ISO_A4LEF', 'A4, long edge first'], ['ISO_A4SEF', 'A4, short edge first'],
			    ['ISO_A3SEF', 'A3, short edge first'], ['ISO_A5LEF', 'A5, long edge first']],
		  def: 'AUTO' },
		{ key: 'original_type', kind: 'choice', widget: 'select', label: 'Original type',
		  options: [['MIXED', 'Text and photo'], ['PHOTO', 'Photo'], ['TEXT', 'Text'],
			    ['MAP', 'Map'], ['NEWSPAPER_AND_MAGAZINE', 'Newspaper or magazine']],
		  def: 'MIXED' },
		{ key: 'format', kind: 'choice', widget: 'select', label: 'File format',
		  options: [['PDF', 'PDF'], ['PDF/A-1b', 'PDF/A (for archiving)'],
			    ['TIFF_V6', 'TIFF, one file'], ['XSM_TIFF_V6', 'TIFF, one file per page']],
		  def: 'PDF' },
		{ key: 'searchable', kind: 'bool', label: 'Searchable text (OCR)', def: false,
		  onlyIf: 'pdf' },
		{ key: 'language', kind: 'choice', widget: 'select', label: 'Language of the text',
		  options: [['en', 'English'], ['fr', 'French'], ['de', 'German'], ['es', 'Spanish'],
			    ['it', 'Italian'], ['nl', 'Dutch'], ['pt', 'Portuguese'], ['sv', 'Swedish'],
			    ['da', 'Danish'], ['no', 'Norwegian'], ['fi', 'Finnish'], ['pl', 'Polish'],
			    ['cs', 'Czech'], ['hu', 'Hungarian'], ['ru', 'Russian'], ['tr', 'Turkish'],
			    ['el', 'Greek'], ['ja', 'Japanese'], ['ko', 'Korean']], def: 'en',
		  onlyIf: 'searchable' },
		{ key: 'file_name', kind: 'text', label: 'File name', min: 1, max: 64, def: 'Scan',
		  text: 'line' }
	];

	/*
	 * While `when` holds, field `key` may only take the values in `only`;
	 * the others are not offered and the person reads `why`.  In order: an
	 * earlier rule's choice stands (the add-on's checkServiceCompatiblity:
	 * unmarked disables encryption and e-sign; large mail disables e-sign;
	 * e-sign and large mail exclude each other).
	 */
	var rules = [
		{ when: function (v) { return v.marked === false; }, key: 'encryption', only: ['off'],
		  why: 'Unmarked email is sent without encryption.' },
		{ when: function (v) { return v.marked === false; }, key: 'esign', only: [false],
		  why: 'E-sign needs marked email.' },
		{ when: function (v) { return v.large_mail === 'force'; }, key: 'esign', only: [false],
		  why: 'E-sign is not available with large-file transfer.' },
		{ when: function (v) { return v.esign === true; }, key: 'large_mail', only: ['auto'],
		  why: 'With e-sign the scan goes as ordinary email, without large-file transfer.' }
	];

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
			return v ? 'Yes' : 'No';
		if (f.kind === 'choice') {
			for (i = 0; i < f.options.length; i++)
				if (f.options[i][0] === v)
					return f.options[i][1];
		}
		return v === '' ? '(none)' : String(v);
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
		applies: applies,
		resolve: resolve,
		toJson: toJson
	};
}(window.SP));
