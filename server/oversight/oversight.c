/*
 * The anomaly scan's schedule: one thread that runs portal.oversight_scan every
 * oversight_scan_s seconds (the first a short while after start), with the thresholds of
 * the configuration. Several servers may share a database: the scan takes an advisory
 * lock, so only one runs at a time and the others skip their turn.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/log.h"
#include "mado/oversight.h"
#include "oversight_int.h"

struct oversight_settings oversight__s = {
    .scan_s = 300, .lag_s = 60, .due_days = 30, .public_min = 10};

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop;
} sched = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void
scan_once(void)
{
	struct mado_db *db = NULL;
	int found = 0, rc;

	if ((rc = mado_db_acquire(&db)) == MADO_OK)
		rc = oversight__scan(db, oversight__s.thresholds, &found);
	mado_db_release(db);
	if (rc != MADO_OK)
		mado_log_warn(NULL, "oversight: the anomaly scan failed: %s", mado_err_slug(rc));
	else if (found > 0)
		mado_log_info(NULL, "oversight: the anomaly scan found %d new cases", found);
}

static void *
run(void *arg)
{
	struct timespec at;
	/* The first scan soon after start, so that a fresh server has its cases. */
	int wait_s = oversight__s.scan_s < 30 ? oversight__s.scan_s : 30;

	(void)arg;
	pthread_mutex_lock(&sched.lock);
	while (!sched.stop) {
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_sec += wait_s;
		while (!sched.stop &&
		       pthread_cond_timedwait(&sched.wake, &sched.lock, &at) != ETIMEDOUT)
			;
		if (sched.stop)
			break;
		pthread_mutex_unlock(&sched.lock);
		scan_once();
		pthread_mutex_lock(&sched.lock);
		wait_s = oversight__s.scan_s;
	}
	pthread_mutex_unlock(&sched.lock);
	return NULL;
}

int
mado_oversight_init(const struct mado_config *cfg)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

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
	if (oversight__s.scan_s == 0 || sched.running)
		return MADO_OK;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&sched.wake, &ca);
	pthread_condattr_destroy(&ca);
	sched.stop = false;
	/* The thread takes no signals: the main thread alone waits for the stop signals. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&sched.thread, NULL, run, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&sched.wake);
		return MADO_E_INTERNAL;
	}
	sched.running = true;
	return MADO_OK;
}

void
mado_oversight_free(void)
{
	if (!sched.running)
		return;
	pthread_mutex_lock(&sched.lock);
	sched.stop = true;
	pthread_cond_signal(&sched.wake);
	pthread_mutex_unlock(&sched.lock);
	pthread_join(sched.thread, NULL);
	pthread_cond_destroy(&sched.wake);
	sched.running = false;
}
