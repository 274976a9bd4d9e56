/*
 * Jobs a server runs on a schedule (the anomaly scan, the mandates' reminders): each on
 * its own thread, which takes no signals, so the main thread alone waits for the stop
 * signals. A job that shares its database with other servers takes its own advisory
 * lock or makes its work idempotent: every server runs its schedule.
 */
#ifndef MADO_EVERY_H
#define MADO_EVERY_H

struct mado_every;

/* Runs fn(arg) every period_s seconds, the first time after first_s (or period_s, when
   shorter). NULL when the thread cannot start. */
struct mado_every *mado_every_start(int first_s, int period_s, void (*fn)(void *), void *arg);
/* Stops the schedule, waiting for a run under way, and frees it; NULL does nothing. */
void mado_every_stop(struct mado_every *e);

#endif
