/*
 * config.js - the weblet's one setting.
 *
 * deviceBase: where the printer's EIP web services answer (DESIGN 3.3).
 *   ''                  same origin: the local stack, where nginx serves
 *                       /webservices/ from the device simulator.
 *   'http://127.0.0.1'  on a real Xerox printer: its own loopback services.
 */
var SP = window.SP || {};
window.SP = SP;
SP.config = {
	deviceBase: ''
};
