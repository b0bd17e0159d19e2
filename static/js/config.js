/*
 * config.js - the weblet's settings: where the printer's services are, and
 * how long a scan may keep the weblet waiting.
 *
 * deviceBase: where the printer's EIP web services answer (DESIGN 3.3).
 *   ''                  same origin: the local stack, where nginx serves
 *                       /webservices/ from the device simulator.
 *   'http://127.0.0.1'  on a real Xerox printer: its own loopback services.
 *
 * guestMemory: false (default): a guest (nobody logged in at the panel)
 *   leaves nothing remembered for the next person; true: all guests share
 *   one memory (README, "Limits and shared printers").
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
