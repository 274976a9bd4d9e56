-- Access transparency: organisations and their certificates, legal bases, pairwise
-- pseudonyms, the append-only access log, disputes with freezes, alerts and notices.
--
-- The application role reads a person's own rows under row-level security and does
-- everything else through SECURITY DEFINER functions owned by mado_owner, so that no
-- data leaves an agency schema without its access record in the same transaction
-- (DESIGN.md promise 1).
SET LOCAL ROLE mado_owner;

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA portal;

-- Who may come through the gateway, and who oversees. Names in Japanese and English.
-- gateway_since / reports_since say since when the organisation's accesses reach Mado:
-- the coverage list, so that silence is never mistaken for "nobody looked".
CREATE TABLE portal.organisations (
	code          text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
	kind          text NOT NULL CHECK (kind IN ('agency', 'private', 'desk', 'supervisor')),
	name_ja       text NOT NULL CHECK (length(name_ja) BETWEEN 1 AND 200),
	name_en       text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
	gateway_since date,
	reports_since date,
	created_at    timestamptz NOT NULL DEFAULT now()
);

-- An organisation's client certificates, by the SHA-256 of their public key; the chain
-- to the organisation CA is checked by the server on every connection.
CREATE TABLE portal.org_certs (
	key_hash   text PRIMARY KEY CHECK (key_hash ~ '^[0-9a-f]{64}$'),
	org_code   text NOT NULL REFERENCES portal.organisations (code),
	added_at   timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz
);

-- A processor may relay requests for a controller only when registered for it.
CREATE TABLE portal.org_relays (
	processor  text NOT NULL REFERENCES portal.organisations (code),
	controller text NOT NULL REFERENCES portal.organisations (code),
	PRIMARY KEY (processor, controller)
);

-- Data items and the agency schema that holds each (read only by portal.gw_query).
CREATE TABLE portal.data_items (
	code          text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_.-]{1,63}$'),
	holder        text NOT NULL REFERENCES portal.organisations (code),
	holder_schema text NOT NULL CHECK (holder_schema ~ '^agency_[a-z0-9_]{1,40}$'),
	sensitive     boolean NOT NULL DEFAULT false,
	name_ja       text NOT NULL,
	name_en       text NOT NULL
);

CREATE TABLE portal.purposes (
	code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_.-]{1,63}$'),
	name_ja    text NOT NULL,
	name_en    text NOT NULL,
	explain_ja text NOT NULL DEFAULT '',
	explain_en text NOT NULL DEFAULT ''
);

-- Which organisation may obtain which item for which purpose under which law. sealable:
-- a law-enforcement basis, whose requests may carry a disclosure date.
CREATE TABLE portal.legal_bases (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	org_code    text NOT NULL REFERENCES portal.organisations (code),
	item        text NOT NULL REFERENCES portal.data_items (code),
	purpose     text NOT NULL REFERENCES portal.purposes (code),
	legal_ref   text NOT NULL CHECK (length(legal_ref) BETWEEN 1 AND 200),
	law_ja      text NOT NULL DEFAULT '',
	law_en      text NOT NULL DEFAULT '',
	sealable    boolean NOT NULL DEFAULT false,
	valid_from  date NOT NULL DEFAULT '2000-01-01',
	valid_until date,
	UNIQUE (org_code, item, purpose, legal_ref)
);

-- The pseudonym key never leaves the database owner; the application role cannot read it.
CREATE TABLE portal.pseudonym_key (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	key bytea NOT NULL CHECK (length(key) = 32)
);
INSERT INTO portal.pseudonym_key (key) VALUES (portal.gen_random_bytes(32));

-- Pairwise pseudonyms: what an organisation knows a person by, HMAC-SHA-256 of the key
-- over "organisation:person", base64url without padding.
CREATE TABLE portal.pseudonyms (
	org_code  text NOT NULL REFERENCES portal.organisations (code),
	pseudonym text NOT NULL CHECK (pseudonym ~ '^[A-Za-z0-9_-]{43}$'),
	person_id uuid NOT NULL REFERENCES portal.people (id),
	PRIMARY KEY (org_code, pseudonym),
	UNIQUE (person_id, org_code)
);

CREATE FUNCTION portal.pseudonym_of(p_org text, p_person uuid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT rtrim(translate(encode(portal.hmac(convert_to(p_org || ':' || p_person::text,
						'UTF8'), k.key, 'sha256'), 'base64'),
			       '+/', '-_'), '=')
	FROM portal.pseudonym_key k
$$;

CREATE FUNCTION portal.pseudonyms_for_person() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO portal.pseudonyms (org_code, pseudonym, person_id)
	SELECT o.code, portal.pseudonym_of(o.code, NEW.id), NEW.id FROM portal.organisations o
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
CREATE TRIGGER people_pseudonyms AFTER INSERT ON portal.people
	FOR EACH ROW EXECUTE FUNCTION portal.pseudonyms_for_person();

CREATE FUNCTION portal.pseudonyms_for_org() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO portal.pseudonyms (org_code, pseudonym, person_id)
	SELECT NEW.code, portal.pseudonym_of(NEW.code, p.id), p.id FROM portal.people p
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
CREATE TRIGGER organisations_pseudonyms AFTER INSERT ON portal.organisations
	FOR EACH ROW EXECUTE FUNCTION portal.pseudonyms_for_org();

-- The access log. Append-only: no role gets UPDATE, DELETE or TRUNCATE, and triggers
-- refuse them anyway (also on each partition, since TRUNCATE of a partition does not
-- fire the parent's trigger). Partitioned by month of recorded_at; see
-- portal.access_partitions_ensure.
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
	CHECK ((sealed_until IS NULL) = (sealing_body IS NULL))
) PARTITION BY RANGE (recorded_at);
CREATE INDEX access_events_person ON portal.access_events (person_id, occurred_at DESC, id DESC);
CREATE INDEX access_events_org ON portal.access_events (org_code, recorded_at);

-- The idempotency keys of every recorded event: a retried report writes nothing twice.
CREATE TABLE portal.access_event_keys (
	org_code text NOT NULL,
	event_id uuid NOT NULL,
	PRIMARY KEY (org_code, event_id)
);

CREATE FUNCTION portal.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER access_events_append_only BEFORE UPDATE OR DELETE ON portal.access_events
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER access_events_no_truncate BEFORE TRUNCATE ON portal.access_events
	FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER access_event_keys_append_only BEFORE UPDATE OR DELETE ON portal.access_event_keys
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER access_event_keys_no_truncate BEFORE TRUNCATE ON portal.access_event_keys
	FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change();

ALTER TABLE portal.access_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE portal.access_events FORCE ROW LEVEL SECURITY;
CREATE POLICY access_events_own ON portal.access_events FOR SELECT TO mado_app
	USING (person_id = nullif(current_setting('mado.person_id', true), '')::uuid);
-- The owner writes through the gateway functions and reads for dispute queues.
CREATE POLICY access_events_owner ON portal.access_events TO mado_owner
	USING (true) WITH CHECK (true);

-- Creates the monthly partitions from this month to months_ahead months on; each gets
-- its own TRUNCATE guard. Called by migrate (below) and by the server as months turn.
CREATE FUNCTION portal.access_partitions_ensure(months_ahead integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	m date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
	part text;
	made integer := 0;
BEGIN
	FOR i IN 0 .. least(greatest(months_ahead, 0), 24) LOOP
		part := 'access_events_' || to_char(m, 'YYYYMM');
		IF to_regclass('portal.' || part) IS NULL THEN
			BEGIN
				EXECUTE format('CREATE TABLE portal.%I PARTITION OF portal.access_events'
					       ' FOR VALUES FROM (%L) TO (%L)', part,
					       m::timestamp AT TIME ZONE 'UTC',
					       (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
				EXECUTE format('CREATE TRIGGER no_truncate BEFORE TRUNCATE ON portal.%I'
					       ' FOR EACH STATEMENT EXECUTE FUNCTION'
					       ' portal.refuse_change()', part);
				made := made + 1;
			EXCEPTION WHEN duplicate_table THEN
				NULL; -- another server made it at the same moment
			END;
		END IF;
		m := (m + interval '1 month')::date;
	END LOOP;
	RETURN made;
END
$$;
SELECT portal.access_partitions_ensure(2);

-- Disputes: "I don't recognise this" or "this data is not mine", with a case number.
CREATE SEQUENCE portal.dispute_seq;
CREATE TABLE portal.disputes (
	case_no    text PRIMARY KEY,
	person_id  uuid NOT NULL REFERENCES portal.people (id),
	event_row  bigint NOT NULL,
	org_code   text NOT NULL REFERENCES portal.organisations (code),
	kind       text NOT NULL CHECK (kind IN ('not-recognised', 'not-mine')),
	note       text CHECK (length(note) <= 1000),
	status     text NOT NULL DEFAULT 'open'
		CHECK (status IN ('open', 'acknowledged', 'reverified', 'corrected', 'rejected')),
	answer     text CHECK (length(answer) <= 1000),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (person_id, event_row, kind)
);
CREATE INDEX disputes_person ON portal.disputes (person_id, created_at DESC);
CREATE INDEX disputes_org ON portal.disputes (org_code, status);

-- "Not mine" freezes the disputed items of their source for this person until the
-- source re-verifies the link.
CREATE TABLE portal.item_freezes (
	person_id uuid NOT NULL REFERENCES portal.people (id),
	item      text NOT NULL REFERENCES portal.data_items (code),
	case_no   text NOT NULL REFERENCES portal.disputes (case_no),
	frozen_at timestamptz NOT NULL DEFAULT now(),
	lifted_at timestamptz,
	PRIMARY KEY (person_id, item, case_no)
);

-- Alerts for new accesses, delivered into the notice list.
CREATE TABLE portal.alert_settings (
	person_id  uuid PRIMARY KEY REFERENCES portal.people (id),
	mode       text NOT NULL CHECK (mode IN ('off', 'all', 'sensitive', 'off-hours')),
	updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE portal.notices (
	id         bigint GENERATED ALWAYS AS IDENTITY,
	person_id  uuid NOT NULL REFERENCES portal.people (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	kind       text NOT NULL CHECK (kind IN ('access', 'dispute')),
	event_row  bigint,
	org_code   text,
	items      text[],
	case_no    text,
	read_at    timestamptz,
	PRIMARY KEY (person_id, id)
);

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['disputes', 'item_freezes', 'alert_settings', 'notices'] LOOP
		EXECUTE format('ALTER TABLE portal.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE portal.%I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY %I ON portal.%I TO mado_app'
			       ' USING (person_id = nullif(current_setting(''mado.person_id'', true),'
			       ' '''')::uuid) WITH CHECK (person_id = nullif(current_setting('
			       '''mado.person_id'', true), '''')::uuid)', t || '_own', t);
		EXECUTE format('CREATE POLICY %I ON portal.%I TO mado_owner USING (true)'
			       ' WITH CHECK (true)', t || '_owner', t);
	END LOOP;
END
$$;

-- A notice for a new access when the person asked for one. Sealed entries raise none
-- until they open (their existence shows in the log itself).
CREATE FUNCTION portal.alert_for(p_row bigint, p_person uuid, p_org text, p_items text[],
				 p_at timestamptz, p_sealed boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	m text;
	local timestamp := p_at AT TIME ZONE 'Asia/Tokyo';
BEGIN
	IF p_sealed THEN
		RETURN;
	END IF;
	SELECT mode INTO m FROM portal.alert_settings WHERE person_id = p_person;
	IF m IS NULL OR m = 'off' THEN
		RETURN;
	END IF;
	IF m = 'sensitive' AND NOT EXISTS (SELECT 1 FROM portal.data_items d
					   WHERE d.code = ANY (p_items) AND d.sensitive) THEN
		RETURN;
	END IF;
	IF m = 'off-hours' AND extract(isodow FROM local) < 6
	   AND local::time BETWEEN '08:00' AND '19:00' THEN
		RETURN;
	END IF;
	INSERT INTO portal.notices (person_id, kind, event_row, org_code, items)
	VALUES (p_person, 'access', p_row, p_org, p_items);
END
$$;

/*
 * The gateway: one call checks the request, writes its access record and returns the
 * data, in the caller's transaction. A refusal is recorded too (outcome denied) and
 * returns one row with the reason. Unknown pseudonyms and items are bad input: nothing
 * is written. If the record cannot be written the call fails, and so no data leaves.
 */
CREATE FUNCTION portal.gw_query(p_org text, p_pseudonym text, p_items text[], p_purpose text,
				p_legal_ref text, p_case_ref text, p_officer text,
				p_officer_role text, p_actor_kind text, p_relay_for text,
				p_sealed_until date, p_sealing_body text)
RETURNS TABLE (row_id bigint, event_id uuid, outcome text, reason text, item text, value jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	v_person uuid;
	v_controller text := coalesce(p_relay_for, p_org);
	v_reason text;
	v_event uuid := gen_random_uuid();
	v_row bigint;
	v_schema text;
BEGIN
	SELECT s.person_id INTO v_person FROM portal.pseudonyms s
	WHERE s.org_code = p_org AND s.pseudonym = p_pseudonym;
	IF v_person IS NULL THEN
		RETURN QUERY SELECT NULL::bigint, NULL::uuid, 'invalid'::text, 'unknown-person'::text,
			NULL::text, NULL::jsonb;
		RETURN;
	END IF;
	SELECT min(i) INTO v_reason FROM unnest(p_items) i
	WHERE NOT EXISTS (SELECT 1 FROM portal.data_items d WHERE d.code = i);
	IF v_reason IS NOT NULL THEN
		RETURN QUERY SELECT NULL::bigint, NULL::uuid, 'invalid'::text, 'unknown-item'::text,
			v_reason, NULL::jsonb;
		RETURN;
	END IF;
	v_reason := NULL;

	IF p_relay_for IS NOT NULL AND NOT EXISTS (SELECT 1 FROM portal.org_relays r
		WHERE r.processor = p_org AND r.controller = p_relay_for) THEN
		v_reason := 'relay-not-registered';
	ELSIF EXISTS (SELECT 1 FROM unnest(p_items) i WHERE NOT EXISTS (
		SELECT 1 FROM portal.legal_bases b
		WHERE b.org_code = v_controller AND b.item = i AND b.purpose = p_purpose
		  AND b.legal_ref = p_legal_ref AND b.valid_from <= current_date
		  AND (b.valid_until IS NULL OR b.valid_until >= current_date))) THEN
		v_reason := 'no-legal-basis';
	ELSIF p_sealed_until IS NOT NULL AND EXISTS (SELECT 1 FROM unnest(p_items) i
		WHERE NOT EXISTS (SELECT 1 FROM portal.legal_bases b
			WHERE b.org_code = v_controller AND b.item = i AND b.purpose = p_purpose
			  AND b.legal_ref = p_legal_ref AND b.sealable)) THEN
		v_reason := 'seal-not-allowed';
	ELSIF EXISTS (SELECT 1 FROM portal.item_freezes f
		WHERE f.person_id = v_person AND f.item = ANY (p_items) AND f.lifted_at IS NULL) THEN
		v_reason := 'items-frozen';
	END IF;

	INSERT INTO portal.access_event_keys (org_code, event_id) VALUES (p_org, v_event);
	INSERT INTO portal.access_events (event_id, person_id, occurred_at, org_code, relay_for,
		officer, officer_role, actor_kind, channel, purpose, legal_ref, case_ref, items,
		outcome, reason, sealed_until, sealing_body)
	VALUES (v_event, v_person, now(), p_org, p_relay_for, p_officer, p_officer_role,
		p_actor_kind, 'gateway', p_purpose, p_legal_ref, p_case_ref, p_items,
		CASE WHEN v_reason IS NULL THEN 'served' ELSE 'denied' END, v_reason,
		CASE WHEN v_reason IS NULL THEN p_sealed_until END,
		CASE WHEN v_reason IS NULL AND p_sealed_until IS NOT NULL THEN p_sealing_body END)
	RETURNING id INTO v_row;
	PERFORM portal.alert_for(v_row, v_person, p_org, p_items, now(),
				 v_reason IS NULL AND p_sealed_until IS NOT NULL);

	IF v_reason IS NOT NULL THEN
		RETURN QUERY SELECT v_row, v_event, 'denied'::text, v_reason, NULL::text, NULL::jsonb;
		RETURN;
	END IF;
	RETURN QUERY SELECT v_row, v_event, 'served'::text, NULL::text, NULL::text, NULL::jsonb;
	FOR v_schema IN SELECT DISTINCT d.holder_schema FROM portal.data_items d
			WHERE d.code = ANY (p_items) LOOP
		RETURN QUERY EXECUTE format('SELECT NULL::bigint, NULL::uuid, ''served''::text,'
			' NULL::text, h.item, h.value FROM %I.holdings h'
			' WHERE h.person_id = $1 AND h.item = ANY ($2)', v_schema)
			USING v_person, p_items;
	END LOOP;
END
$$;

/*
 * Reported accesses: a batch (JSON array, already checked field by field by the server)
 * is written whole or not at all. Returns the index and field of the first event that
 * names an unknown person, item or purpose (nothing written), or the counts written and
 * skipped as already recorded.
 */
CREATE FUNCTION portal.gw_report(p_org text, p_events jsonb)
RETURNS TABLE (bad_index integer, bad_field text, written integer, duplicates integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	v_total integer := jsonb_array_length(p_events);
	v_written integer;
	v_bad integer;
BEGIN
	CREATE TEMP TABLE IF NOT EXISTS gw_batch (
		idx integer, event_id uuid, person_id uuid, occurred_at timestamptz,
		relay_for text, officer text, officer_role text, actor_kind text,
		purpose text, legal_ref text, case_ref text, items text[]
	) ON COMMIT DROP;
	TRUNCATE gw_batch;
	INSERT INTO gw_batch
	SELECT e.ord - 1, (e.v->>'event_id')::uuid, s.person_id, (e.v->>'occurred_at')::timestamptz,
	       e.v->>'relay_for', e.v->>'officer', e.v->>'officer_role', e.v->>'actor_kind',
	       e.v->>'purpose', e.v->>'legal_ref', e.v->>'case_ref',
	       ARRAY(SELECT jsonb_array_elements_text(e.v->'items'))
	FROM jsonb_array_elements(p_events) WITH ORDINALITY e(v, ord)
	LEFT JOIN portal.pseudonyms s ON s.org_code = p_org AND s.pseudonym = e.v->>'person';

	SELECT min(idx) INTO v_bad FROM gw_batch WHERE person_id IS NULL;
	IF v_bad IS NOT NULL THEN
		RETURN QUERY SELECT v_bad, 'person'::text, 0, 0;
		RETURN;
	END IF;
	SELECT min(idx) INTO v_bad FROM gw_batch b
	WHERE EXISTS (SELECT 1 FROM unnest(b.items) i
		      WHERE NOT EXISTS (SELECT 1 FROM portal.data_items d WHERE d.code = i));
	IF v_bad IS NOT NULL THEN
		RETURN QUERY SELECT v_bad, 'items'::text, 0, 0;
		RETURN;
	END IF;
	SELECT min(idx) INTO v_bad FROM gw_batch b
	WHERE NOT EXISTS (SELECT 1 FROM portal.purposes p WHERE p.code = b.purpose);
	IF v_bad IS NOT NULL THEN
		RETURN QUERY SELECT v_bad, 'purpose'::text, 0, 0;
		RETURN;
	END IF;
	SELECT min(idx) INTO v_bad FROM gw_batch b
	WHERE b.relay_for IS NOT NULL AND NOT EXISTS (SELECT 1 FROM portal.org_relays r
		WHERE r.processor = p_org AND r.controller = b.relay_for);
	IF v_bad IS NOT NULL THEN
		RETURN QUERY SELECT v_bad, 'relay_for'::text, 0, 0;
		RETURN;
	END IF;

	WITH fresh AS (
		INSERT INTO portal.access_event_keys (org_code, event_id)
		SELECT p_org, b.event_id FROM gw_batch b
		ON CONFLICT DO NOTHING RETURNING event_id
	), ins AS (
		INSERT INTO portal.access_events (event_id, person_id, occurred_at, org_code,
			relay_for, officer, officer_role, actor_kind, channel, purpose, legal_ref,
			case_ref, items, outcome)
		SELECT b.event_id, b.person_id, b.occurred_at, p_org, b.relay_for, b.officer,
		       b.officer_role, b.actor_kind, 'report', b.purpose, b.legal_ref, b.case_ref,
		       b.items, 'served'
		FROM gw_batch b JOIN fresh f ON f.event_id = b.event_id
		RETURNING id, person_id, items, occurred_at
	), alerts AS (
		SELECT portal.alert_for(r.id, r.person_id, p_org, r.items, r.occurred_at, false)
		FROM ins r WHERE EXISTS (SELECT 1 FROM portal.alert_settings a
					  WHERE a.person_id = r.person_id AND a.mode <> 'off')
	)
	SELECT (SELECT count(*) FROM ins) + 0 * (SELECT count(*) FROM alerts) INTO v_written;
	RETURN QUERY SELECT NULL::integer, NULL::text, v_written, v_total - v_written;
END
$$;

-- A person's dispute: a case number, the entry's organisation's queue and, for "not
-- mine", a freeze of the entry's items for this person.
CREATE FUNCTION portal.dispute_open(p_person uuid, p_row bigint, p_kind text, p_note text)
RETURNS TABLE (case_no text, created boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_org text;
	v_items text[];
	v_case text;
BEGIN
	SELECT e.org_code, e.items INTO v_org, v_items FROM portal.access_events e
	WHERE e.id = p_row AND e.person_id = p_person
	  AND (e.sealed_until IS NULL OR e.sealed_until <= current_date);
	IF v_org IS NULL THEN
		RETURN;
	END IF;
	SELECT d.case_no INTO v_case FROM portal.disputes d
	WHERE d.person_id = p_person AND d.event_row = p_row AND d.kind = p_kind;
	IF v_case IS NOT NULL THEN
		RETURN QUERY SELECT v_case, false;
		RETURN;
	END IF;
	v_case := 'MD-' || to_char(now() AT TIME ZONE 'Asia/Tokyo', 'YYYY') || '-' ||
		  lpad(nextval('portal.dispute_seq')::text, 7, '0');
	INSERT INTO portal.disputes (case_no, person_id, event_row, org_code, kind, note)
	VALUES (v_case, p_person, p_row, v_org, p_kind, p_note);
	IF p_kind = 'not-mine' THEN
		INSERT INTO portal.item_freezes (person_id, item, case_no)
		SELECT p_person, i, v_case FROM unnest(v_items) i
		WHERE EXISTS (SELECT 1 FROM portal.data_items d WHERE d.code = i);
	END IF;
	RETURN QUERY SELECT v_case, true;
END
$$;

-- The dispute queue of an organisation: disputes about its own entries, about items it
-- holds, or all of them for a supervisor. Pseudonyms only; never the person id.
CREATE FUNCTION portal.dispute_queue(p_org text, p_status text)
RETURNS TABLE (case_no text, kind text, status text, pseudonym text, org_code text,
	       items text[], occurred_at timestamptz, created_at timestamptz, note text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT d.case_no, d.kind, d.status, s.pseudonym, d.org_code, e.items, e.occurred_at,
	       d.created_at, d.note
	FROM portal.disputes d
	JOIN portal.access_events e ON e.id = d.event_row AND e.person_id = d.person_id
	JOIN portal.pseudonyms s ON s.person_id = d.person_id AND s.org_code = p_org
	WHERE (p_status IS NULL OR d.status = p_status)
	  AND (d.org_code = p_org
	       OR EXISTS (SELECT 1 FROM portal.organisations o
			  WHERE o.code = p_org AND o.kind = 'supervisor')
	       OR EXISTS (SELECT 1 FROM portal.data_items i
			  WHERE i.code = ANY (e.items) AND i.holder = p_org))
	ORDER BY d.created_at, d.case_no
	LIMIT 500
$$;

-- An organisation answers a dispute. 'reverified' is the source confirming the link,
-- which lifts the freeze on the items it holds. Returns false when the organisation
-- may not answer this case (or the case does not exist).
CREATE FUNCTION portal.dispute_answer(p_org text, p_case text, p_status text, p_answer text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	d portal.disputes%ROWTYPE;
	v_holder boolean;
BEGIN
	SELECT * INTO d FROM portal.disputes x WHERE x.case_no = p_case FOR UPDATE;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	SELECT EXISTS (SELECT 1 FROM portal.item_freezes f JOIN portal.data_items i ON i.code = f.item
		       WHERE f.case_no = p_case AND i.holder = p_org)
	    OR EXISTS (SELECT 1 FROM portal.access_events e JOIN portal.data_items i
		       ON i.code = ANY (e.items)
		       WHERE e.id = d.event_row AND e.person_id = d.person_id AND i.holder = p_org)
	INTO v_holder;
	IF NOT (d.org_code = p_org OR v_holder) THEN
		RETURN false;
	END IF;
	IF p_status = 'reverified' AND NOT v_holder THEN
		RETURN false;
	END IF;
	UPDATE portal.disputes x SET status = p_status, answer = p_answer, updated_at = now()
	WHERE x.case_no = p_case;
	IF p_status = 'reverified' THEN
		UPDATE portal.item_freezes f SET lifted_at = now()
		FROM portal.data_items i
		WHERE f.case_no = p_case AND f.lifted_at IS NULL AND i.code = f.item
		  AND i.holder = p_org;
	END IF;
	INSERT INTO portal.notices (person_id, kind, case_no, org_code)
	VALUES (d.person_id, 'dispute', p_case, p_org);
	RETURN true;
END
$$;

-- The organisation a client certificate key belongs to (for the gateway's door).
CREATE FUNCTION portal.org_by_key(p_key_hash text)
RETURNS TABLE (code text, kind text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT o.code, o.kind FROM portal.org_certs c JOIN portal.organisations o ON o.code = c.org_code
	WHERE c.key_hash = p_key_hash AND c.revoked_at IS NULL
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA portal FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION portal.pseudonym_of(text, uuid), portal.pseudonyms_for_person(),
	portal.pseudonyms_for_org(), portal.refuse_change(),
	portal.access_partitions_ensure(integer),
	portal.alert_for(bigint, uuid, text, text[], timestamptz, boolean),
	portal.gw_query(text, text, text[], text, text, text, text, text, text, text, date, text),
	portal.gw_report(text, jsonb), portal.dispute_open(uuid, bigint, text, text),
	portal.dispute_queue(text, text), portal.dispute_answer(text, text, text, text),
	portal.org_by_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.gw_query(text, text, text[], text, text, text, text, text,
					  text, text, date, text),
	portal.gw_report(text, jsonb), portal.dispute_open(uuid, bigint, text, text),
	portal.dispute_queue(text, text), portal.dispute_answer(text, text, text, text),
	portal.org_by_key(text), portal.access_partitions_ensure(integer) TO mado_app;
GRANT SELECT ON portal.organisations, portal.data_items, portal.purposes, portal.legal_bases
	TO mado_app;
GRANT SELECT ON portal.access_events TO mado_app;
GRANT SELECT ON portal.disputes, portal.item_freezes, portal.notices TO mado_app;
GRANT SELECT, INSERT, UPDATE ON portal.alert_settings TO mado_app;
-- mado org-cert binds certificates; the gateway itself reads them through org_by_key.
GRANT SELECT, INSERT, UPDATE ON portal.org_certs TO mado_app;
GRANT UPDATE (read_at) ON portal.notices TO mado_app;
