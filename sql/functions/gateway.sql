-- The agency gateway: whether an agency's query is served (the person and items known, a
-- registered relay, a legal basis for every item and purpose, sealing only under a
-- sealable basis, no disputed item frozen), and whether a reported batch is taken (every
-- event names a known person, items, purpose and relay). Both record through
-- portal.record_access before anything is returned. The legal bases read are the current
-- approved version of their register entry (portal.legal_bases), and a served or refused
-- query's record names that version.
SET LOCAL ROLE mado_owner;

/*
 * The holders a decided access asks: for the person and the items, one object per
 * holding organisation with its address, its own pseudonym for the person and its items
 * among those asked, {"holder", "url", "subject", "items"} (url "" when the holder has
 * registered none). Mado relays each its part with a signed ticket (server/relay).
 */
CREATE OR REPLACE FUNCTION portal.holder_targets(p_person uuid, p_items text[])
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(jsonb_agg(jsonb_build_object('holder', d.holder,
		'url', coalesce(o.holder_url, ''), 'subject', s.pseudonym, 'items', d.items)
		ORDER BY d.holder), '[]'::jsonb)
	FROM (SELECT x.holder, array_agg(x.code ORDER BY x.code) AS items
	      FROM portal.data_items x WHERE x.code = ANY (p_items) GROUP BY x.holder) d
	JOIN portal.organisations o ON o.code = d.holder
	JOIN portal.pseudonyms s ON s.org_code = d.holder AND s.person_id = p_person
$$;
REVOKE EXECUTE ON FUNCTION portal.holder_targets(uuid, text[]) FROM PUBLIC;

/*
 * A holder did not answer a decided access (down, slow, or refusing the ticket): the
 * person's log gets a second entry beside the first, the same access with outcome failed
 * and reason holder-unavailable, so it does not read as served. Sealed stays sealed.
 * p_row and p_event are the served record's row id and event id as the deciding call
 * returned them (both must match).
 */
CREATE OR REPLACE FUNCTION portal.relay_failed(p_row bigint, p_event uuid)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	e portal.access_events%ROWTYPE;
	v_row bigint;
BEGIN
	SELECT * INTO e FROM portal.access_events x WHERE x.id = p_row AND x.event_id = p_event
	  AND x.outcome = 'served';
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no served access record %', p_row
			USING ERRCODE = 'no_data_found';
	END IF;
	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		gen_random_uuid(), e.person_id, now(), e.org_code, e.relay_for,
		e.officer, e.officer_role, e.actor_kind, e.channel,
		e.purpose, e.legal_ref, e.case_ref, e.items, e.consent_id,
		'failed', 'holder-unavailable', e.sealed_until, e.sealing_body
	)::portal.access_record], ARRAY[e.register_version]) w;
	RETURN v_row;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.relay_failed(bigint, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.relay_failed(bigint, uuid) TO mado_app;

/*
 * Where Mado asks an organisation's data holder (mado holder-url): an https URL, or NULL
 * to clear it. Only an organisation that holds data items has a holder. Returns false
 * when the organisation holds none (or does not exist).
 */
CREATE OR REPLACE FUNCTION portal.holder_url_set(p_org text, p_url text)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM portal.data_items d WHERE d.holder = p_org) THEN
		RETURN false;
	END IF;
	UPDATE portal.organisations SET holder_url = p_url WHERE code = p_org;
	RETURN true;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.holder_url_set(text, text) FROM PUBLIC;

/*
 * The gateway: one call checks the request and writes its access record, in the
 * caller's transaction; served, its row names the holders to ask (targets, as
 * portal.holder_targets gives them) and Mado relays the query there once the record is
 * committed. A refusal is recorded too (outcome denied) and returns one row with the
 * reason. Unknown pseudonyms and items are bad input: nothing is written. If the record
 * cannot be written the call fails, and so no holder is asked.
 */
DROP FUNCTION IF EXISTS portal.gw_query(text, text, text[], text, text, text, text, text, text,
					text, date, text, text, integer);
CREATE OR REPLACE FUNCTION portal.gw_query(p_org text, p_pseudonym text, p_items text[],
					   p_purpose text, p_legal_ref text, p_case_ref text,
					   p_officer text, p_officer_role text, p_actor_kind text,
					   p_relay_for text, p_sealed_until date,
					   p_sealing_body text, p_seal_ref text,
					   p_seal_grace_s integer)
RETURNS TABLE (row_id bigint, event_id uuid, outcome text, reason text, item text,
	       targets jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	v_person uuid;
	v_controller text := coalesce(p_relay_for, p_org);
	v_reason text;
	v_event uuid := gen_random_uuid();
	v_row bigint;
	v_sealed boolean;
	v_version bigint;
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

	-- The version of the basis entry (controller, purpose, legal reference) the query is
	-- decided under: one version for all its items.
	SELECT b.register_version INTO v_version FROM portal.legal_bases b
	WHERE b.org_code = v_controller AND b.purpose = p_purpose AND b.legal_ref = p_legal_ref
	LIMIT 1;

	-- A request for a seal from an organisation that holds a sealable basis is sealed
	-- whether it is served or refused, whatever the refusal's reason: shown at once, a
	-- refused query would tip off the person it is about. The refusal is still recorded,
	-- and opens like a served one: at its disclosure date once the supervisor confirms its
	-- approval reference, else when the grace period ends. An organisation with no
	-- sealable basis never seals: its request for one is refused and shown.
	v_sealed := p_sealed_until IS NOT NULL AND EXISTS (SELECT 1 FROM portal.legal_bases b
		WHERE b.org_code = v_controller AND b.sealable AND b.valid_from <= current_date
		  AND (b.valid_until IS NULL OR b.valid_until >= current_date));
	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		v_event, v_person, now(), p_org, p_relay_for,
		p_officer, p_officer_role, p_actor_kind, 'gateway',
		p_purpose, p_legal_ref, p_case_ref, p_items, NULL,
		CASE WHEN v_reason IS NULL THEN 'served' ELSE 'denied' END, v_reason,
		CASE WHEN v_sealed THEN p_sealed_until END,
		CASE WHEN v_sealed THEN p_sealing_body END
	)::portal.access_record], ARRAY[v_version]) w;
	-- A fresh random event id is never a recorded key; if it were, nothing may leave.
	IF v_row IS NULL THEN
		RAISE EXCEPTION 'access event % is already recorded', v_event
			USING ERRCODE = 'unique_violation';
	END IF;
	IF v_sealed THEN
		INSERT INTO portal.seals (event_row, person_id, org_code, approval_ref, sealing_body,
					  sealed_until, outcome, grace_until)
		VALUES (v_row, v_person, p_org, coalesce(p_seal_ref, 'none'), p_sealing_body,
			p_sealed_until, CASE WHEN v_reason IS NULL THEN 'served' ELSE 'denied' END,
			now() + make_interval(secs => greatest(p_seal_grace_s, 0)));
	END IF;

	IF v_reason IS NOT NULL THEN
		RETURN QUERY SELECT v_row, v_event, 'denied'::text, v_reason, NULL::text, NULL::jsonb;
		RETURN;
	END IF;
	RETURN QUERY SELECT v_row, v_event, 'served'::text, NULL::text, NULL::text,
		portal.holder_targets(v_person, p_items);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.gw_query(text, text, text[], text, text, text, text, text,
					   text, text, date, text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.gw_query(text, text, text[], text, text, text, text, text,
					  text, text, date, text, text, integer) TO mado_app;

/*
 * Reported accesses: a batch (JSON array, already checked field by field by the server)
 * is written whole or not at all. Returns the index and field of the first event that
 * names an unknown person, item or purpose, or an unregistered relay (nothing written;
 * every event is checked for the person first, then for items, purpose and relay), or
 * the counts written and skipped as already recorded.
 *
 * No temporary table: one in the caller's session could be prepared by the caller, and
 * this function runs as the owner. The batch lives in an array of access records.
 */
CREATE OR REPLACE FUNCTION portal.gw_report(p_org text, p_events jsonb)
RETURNS TABLE (bad_index integer, bad_field text, written integer, duplicates integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	v_total integer := jsonb_array_length(p_events);
	v_records portal.access_record[];
	v_written integer;
	v_bad integer;
	v_field text;
BEGIN
	-- An unknown pseudonym leaves person_id NULL, to be named below.
	SELECT array_agg(ROW(
		(e.v->>'event_id')::uuid, s.person_id, (e.v->>'occurred_at')::timestamptz, p_org,
		e.v->>'relay_for', e.v->>'officer', e.v->>'officer_role', e.v->>'actor_kind',
		'report', e.v->>'purpose', e.v->>'legal_ref', e.v->>'case_ref',
		ARRAY(SELECT jsonb_array_elements_text(e.v->'items')), NULL,
		'served', NULL, NULL, NULL
	)::portal.access_record ORDER BY e.ord) INTO v_records
	FROM jsonb_array_elements(p_events) WITH ORDINALITY e(v, ord)
	LEFT JOIN portal.pseudonyms s ON s.org_code = p_org AND s.pseudonym = e.v->>'person';

	SELECT b.idx, b.field INTO v_bad, v_field
	FROM (SELECT (r.ordinality - 1)::integer AS idx, CASE
		WHEN r.person_id IS NULL THEN 'person'
		WHEN EXISTS (SELECT 1 FROM unnest(r.items) i
			     WHERE NOT EXISTS (SELECT 1 FROM portal.data_items d WHERE d.code = i))
			THEN 'items'
		WHEN NOT EXISTS (SELECT 1 FROM portal.purposes p WHERE p.code = r.purpose)
			THEN 'purpose'
		WHEN r.relay_for IS NOT NULL AND NOT EXISTS (SELECT 1 FROM portal.org_relays x
			WHERE x.processor = p_org AND x.controller = r.relay_for)
			THEN 'relay_for'
	      END AS field
	      FROM unnest(v_records) WITH ORDINALITY r) b
	WHERE b.field IS NOT NULL
	ORDER BY array_position(ARRAY['person', 'items', 'purpose', 'relay_for'], b.field), b.idx
	LIMIT 1;
	IF v_bad IS NOT NULL THEN
		RETURN QUERY SELECT v_bad, v_field, 0, 0;
		RETURN;
	END IF;

	SELECT count(*) INTO v_written FROM portal.record_access(v_records);
	RETURN QUERY SELECT NULL::integer, NULL::text, v_written, v_total - v_written;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.gw_report(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.gw_report(text, jsonb) TO mado_app;
