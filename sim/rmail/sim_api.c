/*
 * sim_api.c - the simulator-only /_sim endpoints: what was accepted, what
 * was uploaded, counters, and fault rules. No auth: the simulator is a test
 * fixture and must never face a real network.
 */
#include "routes.h"

#include <stdio.h>

void sim_messages(const struct call *c, struct reply *r)
{
	struct store_query all = {0};

	reply_json(r, 200, store_messages_find(c->sim->store, &all));
}

void sim_uploads(const struct call *c, struct reply *r)
{
	reply_json(r, 200, store_uploads_json(c->sim->store));
}

void sim_stats(const struct call *c, struct reply *r)
{
	reply_json(r, 200, store_stats_json(c->sim->store));
}

void sim_reset(const struct call *c, struct reply *r)
{
	json_object *o = json_object_new_object();

	store_reset(c->sim->store);
	faults_clear(c->sim->faults);
	json_object_object_add(o, "reset", json_object_new_boolean(1));
	reply_json(r, 200, o);
}

void sim_faults_list(const struct call *c, struct reply *r)
{
	reply_json(r, 200, faults_json(c->sim->faults));
}

void sim_faults_add(const struct call *c, struct reply *r)
{
	json_object *spec = call_json_body(c, r);
	struct fault added;
	char err[256];

	if (!spec)
		return;
	if (faults_add(c->sim->faults, spec, &added, err, sizeof(err)) < 0)
		reply_message(r, 400, err);
	else
		reply_json(r, 201, fault_json(&added));
	json_object_put(spec);
}

void sim_faults_clear(const struct call *c, struct reply *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cleared",
	                       json_object_new_int64((int64_t)faults_clear(c->sim->faults)));
	reply_json(r, 200, o);
}
