/*
 * queue.c - the sender's claimed job and its retry delay (see queue.h).
 */
#include "queue.h"

#include <stdlib.h>

#include "crypto.h"

void queued_job_free(struct queued_job *j)
{
	free(j->spec_json);
	j->spec_json = NULL;
}

long queue_backoff_ms(long base, int attempt, long retry_after, long cap_seconds)
{
	const long cap = (cap_seconds > 0 ? cap_seconds : 1) * 1000;
	long delay = base * 1000;
	uint32_t rnd = 0;

	for (int i = 1; i < attempt && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	/* "Equal jitter": half fixed, half random, so retries spread out. */
	sp_random(&rnd, sizeof(rnd));
	delay = delay / 2 + (long)(rnd % (uint32_t)(delay / 2 + 1));
	if (retry_after >= 0 && delay < retry_after * 1000)
		delay = retry_after * 1000;
	return delay;
}

int queue_horizon_passed(long horizon_epoch, long give_up_after, long now)
{
	return horizon_epoch > 0 && now - horizon_epoch >= give_up_after;
}
