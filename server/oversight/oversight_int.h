/* Shared by the files of server/oversight only. */
#ifndef MADO_OVERSIGHT_INT_H
#define MADO_OVERSIGHT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/config.h"
#include "mado/db.h"

struct reveal {
	const char *id, *supervisor, *org, *officer, *reason, *requested_at, *answer, *answered_at;
};

/* A document the database made (jsonb as text). */
struct oversight_doc {
	const char *doc;
};

struct oversight_anomaly {
	const char *id, *kind, *org, *subject, *period_start, *period_end, *measure, *baseline,
	    *threshold, *found_at, *status, *closed_at, *finding;
};

struct oversight_event {
	const char *id, *at, *author, *kind, *body;
};

/* A case the supervisor asked an organisation about, as the organisation sees it. */
struct oversight_asked {
	const char *id, *kind, *subject, *period_start, *period_end, *measure, *threshold, *status,
	    *questions /* JSON */;
};

/* A dispute in the supervisor's queue. */
struct oversight_dispute {
	const char *case_no, *kind, *status, *org, *created_at, *updated_at, *taken_by, *deadline,
	    *escalated_at, *closed_at, *outcome;
	bool overdue;
};

/* A dispute case opened by the supervisor: the case and its entry. */
struct oversight_case {
	const char *case_no, *kind, *status, *note, *answer, *org, *created_at, *updated_at, *item,
	    *occurred_at, *items /* JSON */, *purpose, *legal_ref, *officer, *officer_role,
	    *channel, *outcome, *reason, *taken_by, *taken_at, *deadline, *escalated_at,
	    *escalation, *closed_at, *outcome_found, *finding, *record_row;
};

/* oversight.c: the settings, and the thresholds as the database takes them. */
struct oversight_settings {
	int scan_s;
	int lag_s;
	int due_days;
	int public_min;
	char thresholds[512]; /* JSON for portal.oversight_scan */
};
extern struct oversight_settings oversight__s;

/* oversight_store.c: the SQL, through the functions of sql/functions/oversight.sql. */
/* MADO_E_NOT_FOUND when org's records hold no such official (or the asker is no
   supervisor). */
int oversight__reveal_request(struct mado_db *db, const char *supervisor, const char *org,
			      const char *officer, const char *reason, char *id, size_t idlen);
int oversight__reveal_answer(struct mado_db *db, const char *org, const char *id,
			     const char *answer, bool *done);
int oversight__reveals(struct mado_db *db, const char *org, mado_db_row_fn fn, void *arg);

/* Counts the access log's newest rows into the aggregates (up to lag_s ago). */
int oversight__rollup(struct mado_db *db, int lag_s);
/* The anomaly scan: *found new cases, -1 when another scan was running. */
int oversight__scan(struct mado_db *db, const char *thresholds, int *found);
/* One-row documents: the overview, statistics (from, to: dates), public transparency. */
int oversight__overview(struct mado_db *db, int due_days, mado_db_row_fn fn, void *arg);
int oversight__statistics(struct mado_db *db, const char *from, const char *to, int due_days,
			  mado_db_row_fn fn, void *arg);
int oversight__transparency(struct mado_db *db, int min_cell, int months, mado_db_row_fn fn,
			    void *arg);
/* Anomaly cases: a list (status NULL: not closed), one case (by id) and its history. */
int oversight__anomalies(struct mado_db *db, const char *status, mado_db_row_fn fn, void *arg);
int oversight__anomaly(struct mado_db *db, const char *id, mado_db_row_fn fn, void *arg);
int oversight__anomaly_history(struct mado_db *db, const char *id, mado_db_row_fn fn, void *arg);
/* What the staff member does with a case (open, note, question, close): MADO_OK,
   MADO_E_NOT_FOUND (no such case) or MADO_E_CONFLICT (closed already). */
int oversight__anomaly_act(struct mado_db *db, const char *sup, const char *staff, const char *id,
			   const char *action, const char *body);
/* The organisation's side: the cases it was asked about, and its answer (*done false when
   no case of its waits for one). */
int oversight__asked_of(struct mado_db *db, const char *org, mado_db_row_fn fn, void *arg);
int oversight__anomaly_answer(struct mado_db *db, const char *org, const char *id,
			      const char *answer, bool *done);
/* Disputes: the queue (filter NULL: all), one case read (recorded in the person's log),
   and the supervisor's actions (take, deadline, escalate, close): MADO_OK,
   MADO_E_NOT_FOUND or MADO_E_CONFLICT. */
int oversight__disputes(struct mado_db *db, const char *filter, int due_days, mado_db_row_fn fn,
			void *arg);
int oversight__dispute_read(struct mado_db *db, const char *sup, const char *staff,
			    const char *case_no, mado_db_row_fn fn, void *arg);
int oversight__dispute_act(struct mado_db *db, const char *sup, const char *staff,
			   const char *case_no, const char *action, const char *deadline,
			   const char *text, const char *outcome);

#endif
