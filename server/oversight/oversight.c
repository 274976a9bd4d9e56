/*
 * The anomaly scan's schedule: portal.oversight_scan every oversight_scan_s seconds (the
 * first a short while after start), with the thresholds of the configuration. Several
 * servers may share a database: the scan takes an advisory lock, so only one runs at a
 * time and the others skip their turn.
 */
#include <stdio.h>

#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/every.h"
#include "mado/log.h"
#include "mado/oversight.h"
#include "oversight_int.h"

struct oversight_settings oversight__s = {
    .scan_s = 300, .lag_s = 60, .due_days = 30, .public_min = 10};

static struct mado_every *schedule;

static void
scan_once(void *arg)
{
	struct mado_db *db = NULL;
	int found = 0, rc;

	(void)arg;
	if ((rc = mado_db_acquire(&db)) == MADO_OK)
		rc = oversight__scan(db, oversight__s.thresholds, &found);
	mado_db_release(db);
	if (rc != MADO_OK)
		mado_log_warn(NULL, "oversight: the anomaly scan failed: %s", mado_err_slug(rc));
	else if (found > 0)
		mado_log_info(NULL, "oversight: the anomaly scan found %d new cases", found);
}

int
mado_oversight_init(const struct mado_config *cfg)
{
	oversight__s.scan_s = cfg->oversight_scan_s;
	oversight__s.lag_s = cfg->oversight_lag_s;
	oversight__s.due_days = cfg->dispute_due_days;
	oversight__s.public_min = cfg->public_stats_min;
	snprintf(oversight__s.thresholds, sizeof(oversight__s.thresholds),
		 "{\"people_hour\":%d,\"night_reads\":%d,\"night_from\":%d,\"night_to\":%d,"
		 "\"spike_factor\":%d,\"spike_min\":%d,\"org_spike_min\":%d,\"refusal_pct\":%d,"
		 "\"refusal_min\":%d,\"proxy_people\":%d,\"new_case_refs\":%d,\"lag_s\":%d}",
		 cfg->anomaly_people_hour, cfg->anomaly_night_reads, cfg->anomaly_night_from,
		 cfg->anomaly_night_to, cfg->anomaly_spike_factor, cfg->anomaly_spike_min,
		 cfg->anomaly_org_spike_min, cfg->anomaly_refusal_pct, cfg->anomaly_refusal_min,
		 cfg->anomaly_proxy_people, cfg->anomaly_new_case_refs, cfg->oversight_lag_s);
	if (oversight__s.scan_s == 0 || schedule != NULL)
		return MADO_OK;
	/* The first scan soon after start, so that a fresh server has its cases. */
	schedule = mado_every_start(30, oversight__s.scan_s, scan_once, NULL);
	return schedule != NULL ? MADO_OK : MADO_E_INTERNAL;
}

void
mado_oversight_free(void)
{
	mado_every_stop(schedule);
	schedule = NULL;
}
