-- Independent oversight: the supervisor's staff log in as staff (role supervisor, bound to
-- an organisation of kind supervisor), the anomaly cases the database finds in the access
-- log, and the supervisor's handling of disputes.
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.staff DROP CONSTRAINT staff_role_check;
ALTER TABLE portal.staff ADD CONSTRAINT staff_role_check
	CHECK (role IN ('clerk', 'desk-lead', 'supervisor'));

-- A supervisor's read of a person's entries (opening a dispute case) is recorded in that
-- person's log under this purpose, with channel supervisor.
INSERT INTO portal.purposes (code, name_ja, name_en, explain_ja, explain_en)
VALUES ('oversight.case', '監督機関による調査', 'Investigation by the supervisor',
	'独立した監督機関が、あなたの申し立て（異議）を調べるために記録を読んだため。',
	'The independent supervisor read the record to look into your dispute.')
ON CONFLICT (code) DO NOTHING;

-- Aggregates of the access log, kept by portal.oversight_rollup: rows recorded up to
-- rolled_to are counted in them, so statistics and baselines never scan the whole log.
-- Days are days in Japan (Asia/Tokyo) of occurred_at.
CREATE TABLE portal.oversight_daily (
	day        date NOT NULL,
	org_code   text NOT NULL,
	purpose    text NOT NULL,
	channel    text NOT NULL,
	outcome    text NOT NULL,
	reason     text NOT NULL DEFAULT '',
	actor_kind text NOT NULL,
	n          bigint NOT NULL,
	PRIMARY KEY (day, org_code, purpose, channel, outcome, reason, actor_kind)
);
CREATE INDEX oversight_daily_org ON portal.oversight_daily (org_code, day);

-- Each official's reads a day (human reads naming an official), and how many of them at
-- night: the baseline an official's day is compared with.
CREATE TABLE portal.oversight_officer_daily (
	day      date NOT NULL,
	org_code text NOT NULL,
	officer  text NOT NULL,
	n        bigint NOT NULL,
	PRIMARY KEY (org_code, officer, day)
);
CREATE INDEX oversight_officer_daily_day ON portal.oversight_officer_daily (day);

-- Case references each organisation has named, and the day each was first seen.
CREATE TABLE portal.oversight_case_refs (
	org_code  text NOT NULL,
	case_ref  text NOT NULL,
	first_day date NOT NULL,
	PRIMARY KEY (org_code, case_ref)
);
CREATE INDEX oversight_case_refs_day ON portal.oversight_case_refs (org_code, first_day);

-- Sealed entries by organisation and the day their seal opens.
CREATE TABLE portal.oversight_seals (
	org_code     text NOT NULL,
	sealed_until date NOT NULL,
	n            bigint NOT NULL,
	PRIMARY KEY (org_code, sealed_until)
);

-- Where the rollup is, and when the anomaly scan last ran.
CREATE TABLE portal.oversight_state (
	one        boolean PRIMARY KEY DEFAULT true CHECK (one),
	rolled_to  timestamptz NOT NULL DEFAULT '-infinity',
	scanned_at timestamptz
);
INSERT INTO portal.oversight_state DEFAULT VALUES;

-- Anomalies the database found: each a case the supervisor opens, annotates, sends to the
-- organisation for an answer and closes. subject: the official (as the organisation's
-- records name them), the proxy (by the supervisor's pseudonym), or '' for the
-- organisation as a whole. One case per kind, organisation, subject and period.
CREATE TABLE portal.anomalies (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind         text NOT NULL CHECK (kind IN ('many-people', 'night', 'official-spike',
						   'org-spike', 'refusals', 'proxy-people',
						   'new-case-refs')),
	org_code     text NOT NULL REFERENCES portal.organisations (code),
	subject      text NOT NULL DEFAULT '' CHECK (length(subject) <= 80),
	period_start timestamptz NOT NULL,
	period_end   timestamptz NOT NULL,
	measure      numeric NOT NULL,
	baseline     numeric,
	threshold    numeric NOT NULL,
	found_at     timestamptz NOT NULL DEFAULT now(),
	status       text NOT NULL DEFAULT 'new'
		CHECK (status IN ('new', 'open', 'asked', 'answered', 'closed')),
	closed_at    timestamptz,
	finding      text CHECK (length(finding) BETWEEN 1 AND 2000),
	CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
	UNIQUE (kind, org_code, subject, period_start)
);
CREATE INDEX anomalies_status ON portal.anomalies (status, found_at);
CREATE INDEX anomalies_org ON portal.anomalies (org_code, status);

-- What happened to a case, in order: opened, notes, the question to the organisation,
-- its answer, the closing finding. Append-only.
CREATE TABLE portal.anomaly_events (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	anomaly_id bigint NOT NULL REFERENCES portal.anomalies (id),
	at         timestamptz NOT NULL DEFAULT now(),
	author     text NOT NULL CHECK (length(author) BETWEEN 1 AND 80),
	kind       text NOT NULL CHECK (kind IN ('opened', 'note', 'question', 'answer', 'closed')),
	body       text CHECK (length(body) BETWEEN 1 AND 2000)
);
CREATE INDEX anomaly_events_case ON portal.anomaly_events (anomaly_id, id);
CREATE TRIGGER anomaly_events_append_only BEFORE UPDATE OR DELETE ON portal.anomaly_events
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER anomaly_events_no_truncate BEFORE TRUNCATE ON portal.anomaly_events
	FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change();

-- The supervisor's handling of a dispute: taken over (by a staff member, by reference),
-- a deadline, an escalation, and the closing finding, which the person sees with their
-- case (row-level security as for disputes).
CREATE TABLE portal.dispute_oversight (
	case_no      text PRIMARY KEY REFERENCES portal.disputes (case_no),
	person_id    uuid NOT NULL REFERENCES portal.people (id),
	supervisor   text NOT NULL REFERENCES portal.organisations (code),
	taken_by     text NOT NULL CHECK (taken_by ~ '^S-[0-9a-f]{12}$'),
	taken_at     timestamptz NOT NULL DEFAULT now(),
	deadline     date,
	escalated_at timestamptz,
	escalation   text CHECK (length(escalation) BETWEEN 1 AND 1000),
	closed_at    timestamptz,
	closed_by    text CHECK (closed_by ~ '^S-[0-9a-f]{12}$'),
	outcome      text CHECK (outcome IN ('upheld', 'not-upheld', 'resolved')),
	finding      text CHECK (length(finding) BETWEEN 1 AND 2000),
	CHECK ((closed_at IS NULL) = (outcome IS NULL) AND (outcome IS NULL) = (finding IS NULL)),
	CHECK ((escalated_at IS NULL) = (escalation IS NULL))
);
CREATE INDEX dispute_oversight_person ON portal.dispute_oversight (person_id);
ALTER TABLE portal.dispute_oversight ENABLE ROW LEVEL SECURITY;
ALTER TABLE portal.dispute_oversight FORCE ROW LEVEL SECURITY;
CREATE POLICY dispute_oversight_own ON portal.dispute_oversight FOR SELECT TO mado_app
	USING (person_id = nullif(current_setting('mado.person_id', true), '')::uuid);
CREATE POLICY dispute_oversight_owner ON portal.dispute_oversight TO mado_owner
	USING (true) WITH CHECK (true);

-- Everything else goes through the functions of sql/functions/oversight.sql.
REVOKE ALL ON portal.oversight_daily, portal.oversight_officer_daily, portal.oversight_case_refs,
	portal.oversight_seals, portal.oversight_state, portal.anomalies, portal.anomaly_events,
	portal.dispute_oversight FROM PUBLIC;
GRANT SELECT ON portal.dispute_oversight TO mado_app;
