-- The access log: what is written into it and how (record_access is its one writer, and
-- it is append-only), the alert a person asked for on a new access, and disputes: who
-- may open one, whose queue it reaches, who may answer it and when an answer lifts a
-- freeze. The log is hash-partitioned on person_id (migration 0013); no partition is
-- ever made or dropped as time passes.
SET LOCAL ROLE mado_owner;

-- The append-only guard of the access log, its keys and the consent history (triggers
-- in migrations 0003, 0005 and 0013, and on each partition).
CREATE OR REPLACE FUNCTION portal.refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
REVOKE EXECUTE ON FUNCTION portal.refuse_change() FROM PUBLIC;

-- A notice for a new access when the person asked for one. Sealed entries raise none
-- until they open (their existence shows in the log itself).
CREATE OR REPLACE FUNCTION portal.alert_for(p_row bigint, p_person uuid, p_org text,
					    p_items text[], p_at timestamptz, p_sealed boolean)
RETURNS void
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
REVOKE EXECUTE ON FUNCTION portal.alert_for(bigint, uuid, text, text[], timestamptz, boolean)
	FROM PUBLIC;

/*
 * The one writer of the access log: no other function inserts into portal.access_events
 * or portal.access_event_keys, so "no access without its record" is kept in one place.
 * For each record whose (org_code, event_id) key is new it writes the key, the record and
 * the alert the person asked for; push records raise no alert, since the push notice
 * itself is in the person's notice list, nor do the person's own reads (channel self). A
 * key recorded before, or repeated in p_records, is written once. Returns the 1-based
 * position in p_records and the row id of each record written; skipped records return
 * no row.
 *
 * Set-based (one INSERT per table for a whole report batch). Only the definer functions
 * call it, and they set lock_timeout: a record that cannot be written in time fails
 * their call, and so no data leaves. Callers build each portal.access_record in the
 * type's order: event_id, person_id, occurred_at, org_code, relay_for, officer,
 * officer_role, actor_kind, channel, purpose, legal_ref, case_ref, items, consent_id,
 * outcome, reason, sealed_until, sealing_body.
 */
CREATE OR REPLACE FUNCTION portal.record_access(p_records portal.access_record[])
RETURNS TABLE (ord integer, id bigint)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT r.ord, r.id FROM portal.record_access(p_records, NULL::bigint[]) r
$$;
REVOKE EXECUTE ON FUNCTION portal.record_access(portal.access_record[]) FROM PUBLIC;

-- The same, each record naming the register version it was served under (p_versions[i]
-- for p_records[i]: the legal basis entry's for the gateway, the registration's for a
-- private service; NULL where no register applies).
CREATE OR REPLACE FUNCTION portal.record_access(p_records portal.access_record[],
						p_versions bigint[])
RETURNS TABLE (ord integer, id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN QUERY
	WITH rec AS (
		SELECT DISTINCT ON (r.org_code, r.event_id) r.*, r.ordinality::integer AS pos,
		       p_versions[r.ordinality] AS register_version
		FROM unnest(p_records) WITH ORDINALITY r
		ORDER BY r.org_code, r.event_id, r.ordinality
	), fresh AS (
		INSERT INTO portal.access_event_keys AS k (org_code, event_id)
		SELECT r.org_code, r.event_id FROM rec r
		ON CONFLICT DO NOTHING
		RETURNING k.org_code, k.event_id
	), written AS (
		INSERT INTO portal.access_events AS e (event_id, person_id, occurred_at, org_code,
			relay_for, officer, officer_role, actor_kind, channel, purpose, legal_ref,
			case_ref, items, consent_id, outcome, reason, sealed_until, sealing_body,
			register_version)
		SELECT r.event_id, r.person_id, r.occurred_at, r.org_code, r.relay_for, r.officer,
		       r.officer_role, r.actor_kind, r.channel, r.purpose, r.legal_ref, r.case_ref,
		       r.items, r.consent_id, r.outcome, r.reason, r.sealed_until, r.sealing_body,
		       r.register_version
		FROM rec r JOIN fresh f ON f.org_code = r.org_code AND f.event_id = r.event_id
		ORDER BY r.pos
		RETURNING e.id, e.org_code, e.event_id, e.person_id, e.occurred_at, e.channel,
			  e.items, e.sealed_until, e.outcome
	), queued AS (
		-- The record waits for the transparency log's sequencer (one small row).
		INSERT INTO portal.tlog_pending (kind, record_id, person_id)
		SELECT 'access', w.id, w.person_id FROM written w
	), alerts AS (
		SELECT portal.alert_for(w.id, w.person_id, w.org_code, w.items, w.occurred_at,
					w.sealed_until IS NOT NULL)
		FROM written w
		WHERE w.channel NOT IN ('push', 'self')
		  AND EXISTS (SELECT 1 FROM portal.alert_settings a
			      WHERE a.person_id = w.person_id AND a.mode <> 'off')
		  -- A refused private fetch (a service that keeps trying after a revocation)
		  -- is recorded every time but raises a notice only when the person has had
		  -- none about that service for a day.
		  AND NOT (w.channel = 'private' AND w.outcome = 'denied'
			   AND EXISTS (SELECT 1 FROM portal.notices n
				       WHERE n.person_id = w.person_id AND n.kind = 'access'
					 AND n.org_code = w.org_code
					 AND n.created_at > now() - interval '1 day'))
	)
	SELECT r.pos, w.id
	FROM written w JOIN rec r ON r.org_code = w.org_code AND r.event_id = w.event_id
	-- A CTE without an INSERT of its own runs only when read: this makes the alerts.
	WHERE (SELECT count(*) FROM alerts) >= 0
	ORDER BY r.pos;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.record_access(portal.access_record[], bigint[]) FROM PUBLIC;

-- A person's dispute: a case number, the entry's organisation's queue and, for "not
-- mine", a freeze of the entry's items for this person. The person's own reads (channel
-- self) are not disputed: a case about the data itself is opened on its item
-- (portal.mydata_case_open).
CREATE OR REPLACE FUNCTION portal.dispute_open(p_person uuid, p_row bigint, p_kind text,
					       p_note text)
RETURNS TABLE (case_no text, created boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_org text;
	v_items text[];
	v_case text;
BEGIN
	PERFORM portal.require_person(p_person);
	SELECT e.org_code, e.items INTO v_org, v_items FROM portal.access_events e
	WHERE e.id = p_row AND e.person_id = p_person AND e.channel <> 'self'
	  AND (e.sealed_until IS NULL OR e.sealed_until <= current_date
	       OR NOT portal.seal_holds(e.id));
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
REVOKE EXECUTE ON FUNCTION portal.dispute_open(uuid, bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.dispute_open(uuid, bigint, text, text) TO mado_app;

-- The dispute queue of an organisation: disputes about its own entries, about items it
-- holds, or all of them for a supervisor. Pseudonyms only; never the person id. A case
-- about an item (a correction, or "not mine" on an item) has no entry: its items are
-- that one item and occurred_at is NULL.
CREATE OR REPLACE FUNCTION portal.dispute_queue(p_org text, p_status text)
RETURNS TABLE (case_no text, kind text, status text, pseudonym text, org_code text,
	       items text[], occurred_at timestamptz, created_at timestamptz, note text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT d.case_no, d.kind, d.status, s.pseudonym, d.org_code,
	       coalesce(e.items, ARRAY[d.item]), e.occurred_at, d.created_at, d.note
	FROM portal.disputes d
	LEFT JOIN portal.access_events e ON e.id = d.event_row AND e.person_id = d.person_id
	JOIN portal.pseudonyms s ON s.person_id = d.person_id AND s.org_code = p_org
	WHERE (p_status IS NULL OR d.status = p_status)
	  AND (d.event_row IS NULL OR e.id IS NOT NULL)
	  AND (d.org_code = p_org
	       OR EXISTS (SELECT 1 FROM portal.organisations o
			  WHERE o.code = p_org AND o.kind = 'supervisor')
	       OR EXISTS (SELECT 1 FROM portal.data_items i
			  WHERE i.code = ANY (coalesce(e.items, ARRAY[d.item]))
			    AND i.holder = p_org))
	ORDER BY d.created_at, d.case_no
	LIMIT 500
$$;
REVOKE EXECUTE ON FUNCTION portal.dispute_queue(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.dispute_queue(text, text) TO mado_app;

-- An organisation answers a dispute. 'reverified' is the source confirming the link,
-- which lifts the freeze on the items it holds. An answer must move the case on, so that
-- each one (and the notice it leaves the person) says something new: an open case takes
-- any answer, an acknowledged one a final answer (reverified, corrected, rejected), and a
-- final answer stands, except that another source may still re-verify the items of its
-- own that are frozen. Returns NULL when taken, 'case' when the organisation may not
-- answer this case (or it does not exist), 'answered' when the answer would not move it.
CREATE OR REPLACE FUNCTION portal.dispute_answer(p_org text, p_case text, p_status text,
						 p_answer text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	d portal.disputes%ROWTYPE;
	v_holder boolean;
	v_frozen boolean;
BEGIN
	SELECT * INTO d FROM portal.disputes x WHERE x.case_no = p_case FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'case';
	END IF;
	SELECT EXISTS (SELECT 1 FROM portal.item_freezes f JOIN portal.data_items i ON i.code = f.item
		       WHERE f.case_no = p_case AND i.holder = p_org)
	    OR EXISTS (SELECT 1 FROM portal.access_events e JOIN portal.data_items i
		       ON i.code = ANY (e.items)
		       WHERE e.id = d.event_row AND e.person_id = d.person_id AND i.holder = p_org)
	    OR EXISTS (SELECT 1 FROM portal.data_items i WHERE i.code = d.item AND i.holder = p_org)
	INTO v_holder;
	IF NOT (d.org_code = p_org OR v_holder) THEN
		RETURN 'case';
	END IF;
	IF p_status = 'reverified' AND NOT v_holder THEN
		RETURN 'case';
	END IF;
	SELECT EXISTS (SELECT 1 FROM portal.item_freezes f JOIN portal.data_items i ON i.code = f.item
		       WHERE f.case_no = p_case AND f.lifted_at IS NULL AND i.holder = p_org)
	INTO v_frozen;
	IF p_status = 'open'
	   OR (d.status = 'acknowledged' AND p_status = 'acknowledged')
	   OR (d.status IN ('reverified', 'corrected', 'rejected')
	       AND NOT (p_status = 'reverified' AND v_frozen)) THEN
		RETURN 'answered';
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
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.dispute_answer(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.dispute_answer(text, text, text, text) TO mado_app;
