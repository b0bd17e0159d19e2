/*
 * simlog.h - JSON log lines on stderr for device-sim.
 *
 * One line per event: {"time":..., "level":..., "component":"device-sim",
 * "event":..., <key>: <value>, ...}.  Values are strings the caller formats;
 * never pass document bytes, template bodies or keys.  Thread-safe.
 */
#ifndef DEVICE_SIM_SIMLOG_H
#define DEVICE_SIM_SIMLOG_H

/* Writes one line: level ("info", "warn", "error"), event name, then
 * key/value string pairs ending with a NULL key.  A NULL value is written
 * as JSON null. */
void simlog(const char *level, const char *event, ...);

#endif
