/* Jobs on a schedule (include/mado/every.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "mado/every.h"
#include "mado/util.h"

struct mado_every {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int first_s, period_s;
	void (*fn)(void *);
	void *arg;
	bool stop;
};

static void *
run(void *arg)
{
	struct mado_every *e = arg;
	struct timespec at;
	int wait_s = e->first_s < e->period_s ? e->first_s : e->period_s;

	pthread_mutex_lock(&e->lock);
	while (!e->stop) {
		/* The monotonic clock: a change of the wall clock neither skips nor repeats
		   a run. */
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += wait_s;
		while (!e->stop && pthread_cond_timedwait(&e->wake, &e->lock, &at) != ETIMEDOUT)
			;
		if (e->stop)
			break;
		pthread_mutex_unlock(&e->lock);
		e->fn(e->arg);
		pthread_mutex_lock(&e->lock);
		wait_s = e->period_s;
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

struct mado_every *
mado_every_start(int first_s, int period_s, void (*fn)(void *), void *arg)
{
	struct mado_every *e = mado_xcalloc(1, sizeof(*e));
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	e->first_s = first_s;
	e->period_s = period_s;
	e->fn = fn;
	e->arg = arg;
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->wake, &ca);
	pthread_condattr_destroy(&ca);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&e->thread, NULL, run, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&e->wake);
		pthread_mutex_destroy(&e->lock);
		free(e);
		return NULL;
	}
	return e;
}

void
mado_every_stop(struct mado_every *e)
{
	if (e == NULL)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
