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
	 * (submit), canceled and failed (stop, in words: a key of the language
	 * tables; an unforeseen reason is named in the '_why' form).
	 */
	var TABLE = [
		['*', 'JobCanceledByUser', 'canceled', 'scan.canceled'],
		['*', 'CancelByUser', 'canceled', 'scan.canceled'],
		['*', 'InputScanSizeNotDetermined', 'failed', 'scan.size_unknown'],
		['*', 'SecurityIRMarkDetected', 'failed', 'scan.security_mark'],
		['*', 'AbortBySystem', 'failed', 'scan.aborted_system'],
		['*', 'JobAborted', 'failed', 'scan.aborted'],
		['ProcessingStopped', 'NextOriginalWait', 'next_original', ''],
		['ProcessingStopped', '', 'scanning', ''],
		['Completed', '', 'settling', ''],
		['ProcessingStopped', '*', 'done', ''],
		['Completed', '*', 'done', ''],
		['', '', 'scanning', ''],
		['', '*', 'failed', 'scan.stopped'],
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
					 words: !row[3] ? '' : row[1] === '*'
						? SP.t(row[3] + '_why', { why: reasons.join(', ') })
						: SP.t(row[3]) };
		}
	}

	SP.jobState = { judge: judge, TABLE: TABLE };
}(window.SP));
