-- Registers and seals (issue 13, items 5 and 6).
--
-- Legal bases, private-service registrations and organisation certificates become
-- versioned, append-only registers. A change is a proposal (kind, key, the whole new
-- content) made by the operator, identified by the SHA-256 of an organisation-CA
-- certificate's public key and its subject; it takes effect only when a supervisor staff
-- member (portal.staff of a supervisor organisation, role supervisor) approves it, with a
-- different certificate. Approval writes the next version and brings the tables the
-- gateway, the consent flow and the organisation gate read (portal.legal_bases,
-- portal.rp_services, portal.org_certs) in line with it: those tables now hold the current
-- approved version only, each row naming it (register_version), and refuse any write
-- that does not come from an approval.
--
-- The rows those tables held when this migration ran become version 1 of their entries,
-- approved at migration time (register_versions.proposal is NULL for them). A legal basis
-- entry is one organisation's purpose under one legal reference, with its items; rows of
-- one entry that disagreed on law text, sealability or validity take the narrowest
-- (sealable only if all were, the latest start, the earliest end).
--
-- Seals: a sealed law-enforcement query names its approval reference; the supervisor
-- confirms it (portal.seal_confirmations), or the sealing body the supervisor named for
-- it (portal.sealing_bodies) does, over its organisation's gateway certificate. An unconfirmed seal opens at its grace_until
-- (seal_grace_s after it was recorded); a confirmed one at its sealed_until. Entries that
-- were sealed before this migration have no reference: they get one that says so and the
-- default grace (72 hours) from now.
SET LOCAL ROLE mado_owner;

CREATE TABLE portal.register_proposals (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind         text NOT NULL CHECK (kind IN ('legal-basis', 'private-service', 'org-cert')),
	key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 300),
	content      jsonb NOT NULL CHECK (jsonb_typeof(content) = 'object'),
	proposer     text NOT NULL CHECK (length(proposer) BETWEEN 1 AND 200),
	proposer_key text NOT NULL CHECK (proposer_key ~ '^[0-9a-f]{64}$'),
	note         text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
	proposed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX register_proposals_entry ON portal.register_proposals (kind, key, id);

-- One decision per proposal. proposer_key is the proposal's, copied so that a CHECK can
-- hold the two-person rule on the row itself; a trigger checks the copy and the staff
-- member's key.
CREATE TABLE portal.register_decisions (
	proposal     bigint PRIMARY KEY REFERENCES portal.register_proposals (id),
	approved     boolean NOT NULL,
	staff_id     uuid NOT NULL REFERENCES portal.staff (id),
	staff_ref    text NOT NULL,
	staff_key    text NOT NULL CHECK (staff_key ~ '^[0-9a-f]{64}$'),
	proposer_key text NOT NULL,
	note         text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
	decided_at   timestamptz NOT NULL DEFAULT now(),
	CONSTRAINT register_decisions_two_people CHECK (staff_key <> proposer_key)
);

CREATE TABLE portal.register_versions (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind        text NOT NULL CHECK (kind IN ('legal-basis', 'private-service', 'org-cert')),
	key         text NOT NULL,
	version     integer NOT NULL CHECK (version >= 1),
	content     jsonb NOT NULL,
	-- NULL: in force before the registers, approved by this migration.
	proposal    bigint UNIQUE REFERENCES portal.register_proposals (id),
	approved_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (kind, key, version)
);

ALTER TABLE portal.legal_bases ADD COLUMN register_version bigint
	REFERENCES portal.register_versions (id);
ALTER TABLE portal.rp_services ADD COLUMN register_version bigint
	REFERENCES portal.register_versions (id);
ALTER TABLE portal.org_certs ADD COLUMN register_version bigint
	REFERENCES portal.register_versions (id);

-- Version 1 of what is there now.
INSERT INTO portal.register_versions (kind, key, version, content)
SELECT 'legal-basis', b.org_code || '/' || b.purpose || '/' || b.legal_ref, 1,
       jsonb_build_object('org', b.org_code, 'purpose', b.purpose, 'legal_ref', b.legal_ref,
			  'items', to_jsonb(array_agg(b.item ORDER BY b.item)),
			  'law_ja', min(b.law_ja), 'law_en', min(b.law_en),
			  'sealable', bool_and(b.sealable), 'valid_from', max(b.valid_from),
			  'valid_until', min(b.valid_until))
FROM portal.legal_bases b GROUP BY b.org_code, b.purpose, b.legal_ref;
UPDATE portal.legal_bases b SET register_version = v.id, law_ja = v.content->>'law_ja',
	law_en = v.content->>'law_en', sealable = (v.content->>'sealable')::boolean,
	valid_from = (v.content->>'valid_from')::date,
	valid_until = (v.content->>'valid_until')::date
FROM portal.register_versions v
WHERE v.kind = 'legal-basis' AND v.key = b.org_code || '/' || b.purpose || '/' || b.legal_ref;

INSERT INTO portal.register_versions (kind, key, version, content)
SELECT 'private-service', s.org_code, 1,
       jsonb_build_object('org', s.org_code, 'name_ja', o.name_ja, 'name_en', o.name_en,
			  'purposes', to_jsonb(s.purposes), 'items', to_jsonb(s.items),
			  'redirect_uris', to_jsonb(s.redirect_uris))
FROM portal.rp_services s JOIN portal.organisations o ON o.code = s.org_code;
UPDATE portal.rp_services s SET register_version = v.id FROM portal.register_versions v
WHERE v.kind = 'private-service' AND v.key = s.org_code;

INSERT INTO portal.register_versions (kind, key, version, content)
SELECT 'org-cert', c.key_hash, 1,
       jsonb_build_object('org', c.org_code, 'key_hash', c.key_hash,
			  'revoked', c.revoked_at IS NOT NULL)
FROM portal.org_certs c;
UPDATE portal.org_certs c SET register_version = v.id FROM portal.register_versions v
WHERE v.kind = 'org-cert' AND v.key = c.key_hash;

-- The version an access was served under: the legal basis entry's for the gateway, the
-- registration's for a private service's fetch. No foreign key: the log is written on
-- every access and the id comes from the register's own row in the same function.
ALTER TABLE portal.access_events ADD COLUMN register_version bigint;

CREATE TABLE portal.seals (
	event_row    bigint PRIMARY KEY,
	person_id    uuid NOT NULL,
	org_code     text NOT NULL,
	approval_ref text NOT NULL CHECK (length(approval_ref) BETWEEN 1 AND 200),
	sealing_body text NOT NULL,
	sealed_until date NOT NULL,
	outcome      text NOT NULL,
	recorded_at  timestamptz NOT NULL DEFAULT now(),
	grace_until  timestamptz NOT NULL
);
CREATE INDEX seals_org ON portal.seals (org_code, recorded_at);

-- The sealing bodies the supervisor names: a body named here confirms the seals that name
-- it, through its own organisation's gateway certificate.
CREATE TABLE portal.sealing_bodies (
	name     text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
	org_code text NOT NULL REFERENCES portal.organisations (code),
	named_by uuid NOT NULL REFERENCES portal.staff (id),
	named_at timestamptz NOT NULL DEFAULT now()
);

-- A confirmation by a supervisor staff member, or by the named sealing body.
CREATE TABLE portal.seal_confirmations (
	event_row    bigint PRIMARY KEY REFERENCES portal.seals (event_row),
	staff_id     uuid REFERENCES portal.staff (id),
	org_code     text REFERENCES portal.organisations (code),
	note         text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
	confirmed_at timestamptz NOT NULL DEFAULT now(),
	CHECK ((staff_id IS NULL) <> (org_code IS NULL))
);

INSERT INTO portal.seals (event_row, person_id, org_code, approval_ref, sealing_body,
			  sealed_until, outcome, recorded_at, grace_until)
SELECT e.id, e.person_id, e.org_code, 'none (sealed before approval references)',
       e.sealing_body, e.sealed_until, e.outcome, e.recorded_at, now() + interval '72 hours'
FROM portal.access_events e WHERE e.sealed_until IS NOT NULL;

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['register_proposals', 'register_decisions', 'register_versions',
				 'seals', 'seal_confirmations', 'sealing_bodies'] LOOP
		EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON portal.%I'
			       ' FOR EACH ROW EXECUTE FUNCTION portal.refuse_change()',
			       t || '_append_only', t);
		EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON portal.%I'
			       ' FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change()',
			       t || '_no_truncate', t);
	END LOOP;
END
$$;

-- The tables the decisions read change only through an approval (which sets
-- mado.register_apply for its own transaction). The trigger functions' bodies live in
-- sql/functions/registers.sql from here on; they are made here too because the triggers
-- need them before the function files are applied.
CREATE OR REPLACE FUNCTION portal.register_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF current_setting('mado.register_apply', true) IS DISTINCT FROM 'on' THEN
		RAISE EXCEPTION '% changes only through an approved register proposal', TG_TABLE_NAME
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.register_guard() FROM PUBLIC;

CREATE OR REPLACE FUNCTION portal.rp_service_not_sensitive() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM portal.data_items d WHERE d.code = ANY (NEW.items) AND d.sensitive)
	THEN
		RAISE EXCEPTION 'a private service may not be registered for sensitive items'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.rp_service_not_sensitive() FROM PUBLIC;

CREATE OR REPLACE FUNCTION portal.register_decision_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NEW.proposer_key IS DISTINCT FROM (SELECT p.proposer_key FROM portal.register_proposals p
					      WHERE p.id = NEW.proposal)
	   OR NOT EXISTS (SELECT 1 FROM portal.staff s WHERE s.id = NEW.staff_id
			  AND s.key_hash = NEW.staff_key AND s.ref = NEW.staff_ref) THEN
		RAISE EXCEPTION 'a decision names the proposal''s proposer and the staff member''s key'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.register_decision_check() FROM PUBLIC;

CREATE TRIGGER register_decisions_check BEFORE INSERT ON portal.register_decisions
	FOR EACH ROW EXECUTE FUNCTION portal.register_decision_check();
CREATE TRIGGER rp_services_not_sensitive BEFORE INSERT OR UPDATE ON portal.rp_services
	FOR EACH ROW EXECUTE FUNCTION portal.rp_service_not_sensitive();
CREATE TRIGGER legal_bases_register BEFORE INSERT OR UPDATE OR DELETE ON portal.legal_bases
	FOR EACH ROW EXECUTE FUNCTION portal.register_guard();
CREATE TRIGGER legal_bases_register_truncate BEFORE TRUNCATE ON portal.legal_bases
	FOR EACH STATEMENT EXECUTE FUNCTION portal.register_guard();
CREATE TRIGGER rp_services_register BEFORE INSERT OR UPDATE OR DELETE ON portal.rp_services
	FOR EACH ROW EXECUTE FUNCTION portal.register_guard();
CREATE TRIGGER rp_services_register_truncate BEFORE TRUNCATE ON portal.rp_services
	FOR EACH STATEMENT EXECUTE FUNCTION portal.register_guard();
CREATE TRIGGER org_certs_register BEFORE INSERT OR UPDATE OR DELETE ON portal.org_certs
	FOR EACH ROW EXECUTE FUNCTION portal.register_guard();
CREATE TRIGGER org_certs_register_truncate BEFORE TRUNCATE ON portal.org_certs
	FOR EACH STATEMENT EXECUTE FUNCTION portal.register_guard();

-- The gateway names the seal's approval reference and its grace: the old signature goes.
DROP FUNCTION IF EXISTS portal.gw_query(text, text, text[], text, text, text, text, text, text,
					text, date, text);

-- The registers are public; proposals and decisions are read by the supervisor's pages
-- and the public history. Seals are read through functions only.
REVOKE ALL ON portal.register_proposals, portal.register_decisions, portal.register_versions,
	portal.seals, portal.seal_confirmations, portal.sealing_bodies FROM PUBLIC;
GRANT SELECT ON portal.register_proposals, portal.register_decisions, portal.register_versions
	TO mado_app;
