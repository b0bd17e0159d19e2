/*
 * config.js - the weblet's settings: where the printer's services are, and
 * how long a scan may keep the weblet waiting.
 *
 * deviceBase: where the printer's EIP web services answer (DESIGN 3.3).
 *   ''                  same origin: the local stack, where nginx serves
 *                       /webservices/ from the device simulator.
 *   'http://127.0.0.1'  on a real Xerox printer: its own loopback services.
 *
 * guestMemory: whether a printer where nobody is logged in at the panel (a
 *   guest) remembers recent user names, recipients and settings between
 *   visits (store.js).  false (the default): a guest's visit leaves nothing
 *   behind for the next person.  true: all guests of this printer share one
 *   memory, so each sees whom the last ones wrote to; choose it only where
 *   that is acceptable.  A logged-in printer user always has a memory of
 *   their own, which nobody else sees.
 */
var SP = window.SP || {};
window.SP = SP;
SP.config = {
	deviceBase: '',
	guestMemory: false,
	/* How long the weblet waits on the printer during a scan before it
	 * stops and says so: no change in what the printer reports; a build
	 * job waiting for the next original; Completed without its reasons
	 * (then the scan is taken as done and scanpost checks the files). */
	scanQuietSeconds: 120,
	nextOriginalSeconds: 600,
	settleSeconds: 30
};
