-- The access record as one type, and the record of applied function files.
--
-- From here on, function bodies live in sql/functions/<module>.sql: `mado migrate`
-- applies those files after the pending migrations, whole, in one transaction, and
-- records each file's SHA-256 in portal.schema_functions. Migrations hold tables, types,
-- grants on tables and data, and stay forward-only. A migration never calls a function
-- of sql/functions: it runs before the function files, so it would meet the previous
-- body, or on a new database the one an old migration created.
--
-- Conventions for every migration: create objects after SET LOCAL ROLE mado_owner;
-- schema-qualify every name; grant mado_app the least it needs, in the same file.
SET LOCAL ROLE mado_owner;

-- One access to a person's data, as portal.record_access writes it into
-- portal.access_events (which adds the row id and recorded_at).
CREATE TYPE portal.access_record AS (
	event_id     uuid,
	person_id    uuid,
	occurred_at  timestamptz,
	org_code     text,
	relay_for    text,
	officer      text,
	officer_role text,
	actor_kind   text,
	channel      text,
	purpose      text,
	legal_ref    text,
	case_ref     text,
	items        text[],
	consent_id   uuid,
	outcome      text,
	reason       text,
	sealed_until date,
	sealing_body text
);

-- The function files as last applied, by file name (e.g. consent.sql).
CREATE TABLE portal.schema_functions (
	name       text PRIMARY KEY,
	checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
	applied_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON portal.schema_functions FROM PUBLIC;
GRANT SELECT ON portal.schema_functions TO mado_app;
