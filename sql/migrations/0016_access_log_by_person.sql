-- The access log by person instead of by month. Range partitions on recorded_at made a
-- person's "latest 50" probe every month's index, so the most used page grew slower every
-- month. The log is now hash-partitioned on person_id (8 partitions, the key a future
-- shard will use): a person's rows are in one partition and one index, whatever the
-- length of the history. Retention is no longer a matter of dropping old months; see the
-- README (Data layout).
--
-- The rows move as they are: the same ids (the order in which they were sequenced), the
-- same event keys, and the identity goes on from where the old one stopped. The new
-- table keeps everything the old one promised: append-only for every role (row triggers
-- on the parent, a TRUNCATE guard on the parent and on each partition), row-level
-- security with the same two policies, and SELECT only for the application role.
SET LOCAL ROLE mado_owner;

LOCK TABLE portal.access_events IN ACCESS EXCLUSIVE MODE;
ALTER TABLE portal.access_events RENAME TO access_events_by_month;
ALTER INDEX portal.access_events_person RENAME TO access_events_by_month_person;
ALTER INDEX portal.access_events_org RENAME TO access_events_by_month_org;
ALTER SEQUENCE portal.access_events_id_seq RENAME TO access_events_by_month_id_seq;

CREATE TABLE portal.access_events (
	id            bigint GENERATED ALWAYS AS IDENTITY,
	event_id      uuid NOT NULL,
	person_id     uuid NOT NULL,
	occurred_at   timestamptz NOT NULL,
	recorded_at   timestamptz NOT NULL DEFAULT now(),
	org_code      text NOT NULL,
	relay_for     text,
	officer       text CHECK (officer ~ '^[A-Za-z0-9._:-]{1,64}$'),
	officer_role  text CHECK (length(officer_role) <= 64),
	actor_kind    text NOT NULL CHECK (actor_kind IN ('human', 'machine')),
	channel       text NOT NULL CHECK (channel IN ('self', 'gateway', 'report', 'desk', 'proxy',
						    'private', 'push', 'supervisor')),
	purpose       text NOT NULL,
	legal_ref     text NOT NULL,
	case_ref      text CHECK (length(case_ref) <= 64),
	items         text[] NOT NULL CHECK (cardinality(items) BETWEEN 1 AND 32),
	consent_id    uuid,
	outcome       text NOT NULL CHECK (outcome IN ('served', 'denied', 'failed')),
	reason        text CHECK (reason ~ '^[a-z-]{1,40}$'),
	sealed_until  date,
	sealing_body  text CHECK (length(sealing_body) <= 200),
	CHECK ((sealed_until IS NULL) = (sealing_body IS NULL)),
	-- id is unique on its own (one identity, written only by portal.record_access); the
	-- key carries person_id because a partitioned table's keys must, and its index
	-- finds a row by id in each partition.
	PRIMARY KEY (id, person_id)
) PARTITION BY HASH (person_id);

DO $$
BEGIN
	FOR r IN 0 .. 7 LOOP
		EXECUTE format('CREATE TABLE portal.%I PARTITION OF portal.access_events'
			       ' FOR VALUES WITH (MODULUS 8, REMAINDER %s)', 'access_events_h' || r, r);
		EXECUTE format('CREATE TRIGGER no_truncate BEFORE TRUNCATE ON portal.%I'
			       ' FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change()',
			       'access_events_h' || r);
	END LOOP;
END
$$;

INSERT INTO portal.access_events OVERRIDING SYSTEM VALUE
SELECT id, event_id, person_id, occurred_at, recorded_at, org_code, relay_for, officer,
       officer_role, actor_kind, channel, purpose, legal_ref, case_ref, items, consent_id,
       outcome, reason, sealed_until, sealing_body
FROM portal.access_events_by_month ORDER BY id;

-- The identity goes on after the last id the old one handed out (written or not).
SELECT setval(pg_get_serial_sequence('portal.access_events', 'id'), s.last_value, s.is_called)
FROM portal.access_events_by_month_id_seq s;

DROP TABLE portal.access_events_by_month;
DROP FUNCTION portal.access_partitions_ensure(integer);

-- Indexes after the copy: a person's page, and an organisation's rows by time.
CREATE INDEX access_events_person ON portal.access_events (person_id, occurred_at DESC, id DESC);
CREATE INDEX access_events_org ON portal.access_events (org_code, recorded_at);

CREATE TRIGGER access_events_append_only BEFORE UPDATE OR DELETE ON portal.access_events
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER access_events_no_truncate BEFORE TRUNCATE ON portal.access_events
	FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change();

ALTER TABLE portal.access_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE portal.access_events FORCE ROW LEVEL SECURITY;
CREATE POLICY access_events_own ON portal.access_events FOR SELECT TO mado_app
	USING (person_id = nullif(current_setting('mado.person_id', true), '')::uuid);
CREATE POLICY access_events_owner ON portal.access_events TO mado_owner
	USING (true) WITH CHECK (true);

REVOKE ALL ON portal.access_events FROM PUBLIC;
GRANT SELECT ON portal.access_events TO mado_app;

ANALYZE portal.access_events;
