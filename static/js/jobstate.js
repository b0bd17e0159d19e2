/*
 * jobstate.js - what the printer's scan job state means (DESIGN 3.3): one
 * table, as Xerox's sample scan apps read GetJobDetails (scanService.js
 * checkLoop in somimphasis/NoteConverter_AngularJS, Xerox.Wnc.Web/Scripts/
 * App/Services/; a later Xerox sample adds SecurityIRMarkDetected).
 */
(function (SP) {
	'use strict';

	/*
	 * [JobState ('*' any, '' none), reason ('' none yet or "None", '*' any
	 * other, else a word among the JobStateReasons), verdict, words]; the
	 * first match wins.  Verdicts: scanning (poll), settling (Completed
	 * without reasons yet: poll, bounded), next_original (build job: the
	 * person loads the next original and presses Start; poll), done
	 * (submit), canceled and failed (stop, in words).
	 */
	var TABLE = [
		['*', 'JobCanceledByUser', 'canceled', 'Scan canceled.'],
		['*', 'CancelByUser', 'canceled', 'Scan canceled.'],
		['*', 'InputScanSizeNotDetermined', 'failed', 'The printer could not tell the ' +
		 'size of the original. Choose an original size and scan again.'],
		['*', 'SecurityIRMarkDetected', 'failed', 'The printer found a security mark ' +
		 'on the original and does not scan it.'],
		['*', 'AbortBySystem', 'failed', 'The printer stopped the scan by itself. ' +
		 'Check the printer for a message, then scan again.'],
		['*', 'JobAborted', 'failed', 'The printer stopped the scan before it was ' +
		 'finished. Check the printer, then scan again.'],
		['ProcessingStopped', 'NextOriginalWait', 'next_original', ''],
		['ProcessingStopped', '', 'scanning', ''],
		['Completed', '', 'settling', ''],
		['ProcessingStopped', '*', 'done', ''],
		['Completed', '*', 'done', ''],
		['', '', 'scanning', ''],
		['', '*', 'failed', 'The printer stopped the scan.'],
		['*', '*', 'scanning', '']
	];

	function has(list, v) {
		for (var i = 0; i < list.length; i++)
			if (list[i] === v)
				return true;
		return false;
	}

	/* info: {state, reasons: [...]} from SP.device.jobDetails.  Returns
	 * {verdict, words, reason}: reason is the word that decided, if any. */
	function judge(info) {
		var reasons = [], i, row;
		for (i = 0; i < info.reasons.length; i++)
			if (info.reasons[i] !== 'None')
				reasons.push(info.reasons[i]);
		for (i = 0; i < TABLE.length; i++) {
			row = TABLE[i];
			if ((row[0] === '*' || row[0] === info.state) &&
			    (row[1] === '*' || (row[1] === '' ? reasons.length === 0
						 : has(reasons, row[1]))))
				return { verdict: row[2], reason: row[1] !== '*' ? row[1] : reasons.join(' '),
					 words: row[1] === '*' && row[3] ? row[3].replace(/\.$/, ' (' +
						reasons.join(', ') + ').') : row[3] };
		}
	}

	SP.jobState = { judge: judge, TABLE: TABLE };
}(window.SP));
