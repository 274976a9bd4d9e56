/*
 * This server's clock beside the database's. Card validity, revocation answers and
 * sessions are judged by this server's clock, the records' times by the database's: when
 * they disagree, one of them is wrong, and /readyz says so.
 */
#include <stdint.h>
#include <time.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/util.h"

static struct mado_db_stmt Q_CLOCK = MADO_DB_STMT(
    "db_clock", "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms", 0);

struct db_clock {
	long long ms;
};

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
mado_db_clock_skew_ms(struct mado_db *db, int64_t *skew_ms)
{
	static const struct mado_col cols[] = {MADO_COL(INT, db_clock, ms)};
	struct db_clock row;
	int64_t before, after;
	int rc;

	*skew_ms = 0;
	before = wall_ms();
	if ((rc = mado_db_one(db, &Q_CLOCK, NULL, MADO_COLS(cols), &row)) != MADO_OK)
		return rc;
	after = wall_ms();
	/* The database read its clock somewhere in the round trip. Only a reading outside it
	   shows the clocks apart, and by no less than its distance from the nearer end: a
	   slow round trip (a busy machine) can hide a small difference, never make one up. */
	if (row.ms < before)
		*skew_ms = before - (int64_t)row.ms;
	else if (row.ms > after)
		*skew_ms = after - (int64_t)row.ms;
	return MADO_OK;
}
