-- mado-holder's database: what one data holder (an agency) keeps, in a database of its
-- own. Nothing here names the agency: each holder runs this in its own database. Safe to
-- run again: it creates what is missing and changes nothing that exists.
SET client_min_messages = warning;
BEGIN;

CREATE SCHEMA IF NOT EXISTS holder;
REVOKE ALL ON SCHEMA holder FROM PUBLIC;

-- The values, under the holder's pseudonym for each person (the one Mado knows them by
-- for this organisation). as_of: the day the value is about (a year's figure: the year's
-- last day; a state: the day it was last confirmed); an answer for a data period holds
-- only values whose day lies in it.
CREATE TABLE IF NOT EXISTS holder.holdings (
	pseudonym text NOT NULL,
	item text NOT NULL,
	value jsonb NOT NULL,
	as_of date,
	PRIMARY KEY (pseudonym, item)
);

-- Every ticket answered, by its access record: a record is answered once.
CREATE TABLE IF NOT EXISTS holder.used_tickets (
	record uuid PRIMARY KEY,
	used_at timestamptz NOT NULL DEFAULT now()
);

-- One row per request to the service, refusals included; record is the ticket's when its
-- signature held, else NULL.
CREATE TABLE IF NOT EXISTS holder.requests (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	record uuid,
	outcome text NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_record ON holder.requests (record);

-- Reads by the holder's own officials (mado-holder read), each reported to Mado as an
-- access to the person's data; reported_at is set once Mado accepted the report.
CREATE TABLE IF NOT EXISTS holder.internal_reads (
	event_id uuid PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	pseudonym text NOT NULL,
	items text[] NOT NULL,
	officer text NOT NULL,
	purpose text NOT NULL,
	legal_ref text NOT NULL,
	reported_at timestamptz
);

-- The replay table and the request log are append-only: a used ticket never becomes
-- usable again, and a request once logged stays.
CREATE OR REPLACE FUNCTION holder.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE OR REPLACE TRIGGER used_tickets_append_only BEFORE UPDATE OR DELETE ON holder.used_tickets
	FOR EACH ROW EXECUTE FUNCTION holder.refuse_change();
CREATE OR REPLACE TRIGGER used_tickets_no_truncate BEFORE TRUNCATE ON holder.used_tickets
	FOR EACH STATEMENT EXECUTE FUNCTION holder.refuse_change();
CREATE OR REPLACE TRIGGER requests_append_only BEFORE UPDATE OR DELETE ON holder.requests
	FOR EACH ROW EXECUTE FUNCTION holder.refuse_change();
CREATE OR REPLACE TRIGGER requests_no_truncate BEFORE TRUNCATE ON holder.requests
	FOR EACH STATEMENT EXECUTE FUNCTION holder.refuse_change();

COMMIT;
