-- My information: the person's own read of what the holding organisations keep about
-- them, recorded before any holder is asked, exactly like an agency's query; and the
-- person's correction requests and "not mine" on an item, which are disputes about the
-- item (queue, answer and notices in accesslog.sql).
SET LOCAL ROLE mado_owner;

/*
 * The person's data, all items or one (p_item): the decision, then what the page needs
 * to show the values the holders send sealed to the person's reply key, which Mado never
 * sees. The first row is the decision: reason NULL when served, with the access record's
 * row id and event id, the organisation, purpose and legal reference it names (for the
 * tickets) and the holders to ask (targets, as portal.holder_targets gives them); or
 * 'unknown-item' (nothing written). Every row after it is one catalogue item asked: its
 * holder and their names, the item's names and source, whether it is frozen for the person
 * and the person's cases about it; no value (those are the holders'). The record is
 * written first (channel self, purpose own-data, organisation mado; in a helper's session
 * p_session, the helper's channel, organisation and officer as portal.session_helper names
 * them); if it cannot be, the call fails and no holder is asked.
 */
DROP FUNCTION IF EXISTS portal.mydata_read(uuid, text);
DROP FUNCTION IF EXISTS portal.mydata_read(uuid, text, bytea);
CREATE FUNCTION portal.mydata_read(p_person uuid, p_item text, p_session bytea)
RETURNS TABLE (reason text, event_row bigint, event_id uuid, requester text, purpose text,
	       legal_ref text, targets jsonb, org text, org_ja text, org_en text, item text,
	       item_ja text, item_en text, source_ja text, source_en text, frozen boolean,
	       cases jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	v_items text[];
	v_event uuid := gen_random_uuid();
	v_row bigint;
	v_channel text := 'self';
	v_org text := 'mado';
	v_purpose text := 'own-data';
	v_officer text;
	v_role text;
	h record;
BEGIN
	PERFORM portal.require_person(p_person);
	SELECT s.channel INTO v_channel FROM portal.sessions s
	WHERE s.id_hash = p_session AND s.person_id = p_person;
	v_channel := coalesce(v_channel, 'self');
	IF v_channel <> 'self' THEN
		SELECT x.* INTO h FROM portal.session_helper(p_session) x;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'this helper may not read the person''s data now'
				USING ERRCODE = 'insufficient_privilege';
		END IF;
		v_org := h.org_code;
		v_officer := h.officer;
		v_role := h.officer_role;
		v_purpose := CASE v_channel WHEN 'desk' THEN 'desk-visit' ELSE 'proxy-mandate' END;
	END IF;
	SELECT array_agg(d.code ORDER BY d.code) INTO v_items FROM portal.data_items d
	WHERE p_item IS NULL OR d.code = p_item;
	IF v_items IS NULL THEN
		RETURN QUERY SELECT 'unknown-item'::text, NULL::bigint, NULL::uuid, NULL::text,
			NULL::text, NULL::text, NULL::jsonb, NULL::text, NULL::text, NULL::text,
			p_item, NULL::text, NULL::text, NULL::text, NULL::text, NULL::boolean,
			NULL::jsonb;
		RETURN;
	END IF;
	-- The log holds at most 32 items an entry; a larger catalogue is recorded as its
	-- first 32 and the count of the rest would be lost, so refuse rather than under-record.
	IF cardinality(v_items) > 32 THEN
		RAISE EXCEPTION 'the catalogue has more items than one access record holds'
			USING ERRCODE = 'program_limit_exceeded';
	END IF;

	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		v_event, p_person, now(), v_org, NULL,
		v_officer, v_role, 'human', v_channel,
		v_purpose, v_purpose, NULL, v_items, NULL,
		'served', NULL, NULL, NULL
	)::portal.access_record]) w;
	IF v_row IS NULL THEN
		RAISE EXCEPTION 'access event % is already recorded', v_event
			USING ERRCODE = 'unique_violation';
	END IF;

	RETURN QUERY SELECT NULL::text, v_row, v_event, v_org, v_purpose, v_purpose,
		portal.holder_targets(p_person, v_items), NULL::text, NULL::text, NULL::text,
		NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::boolean,
		NULL::jsonb;
	RETURN QUERY SELECT NULL::text, NULL::bigint, NULL::uuid, NULL::text, NULL::text,
		NULL::text, NULL::jsonb, d.holder, o.name_ja, o.name_en, d.code, d.name_ja,
		d.name_en, d.source_ja, d.source_en,
		EXISTS (SELECT 1 FROM portal.item_freezes f WHERE f.person_id = p_person
			AND f.item = d.code AND f.lifted_at IS NULL),
		coalesce((SELECT jsonb_agg(jsonb_build_object('case_no', x.case_no,
				'kind', x.kind, 'status', x.status, 'answer', x.answer,
				'created_at', to_char(x.created_at AT TIME ZONE 'UTC',
					'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
				'updated_at', to_char(x.updated_at AT TIME ZONE 'UTC',
					'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
				ORDER BY x.created_at, x.case_no)
			  FROM portal.disputes x WHERE x.person_id = p_person AND x.item = d.code),
			 '[]'::jsonb)
	FROM portal.data_items d JOIN portal.organisations o ON o.code = d.holder
	WHERE d.code = ANY (v_items) ORDER BY d.holder, d.code;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mydata_read(uuid, text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mydata_read(uuid, text, bytea) TO mado_app;

/*
 * A correction request (kind correction) or "this is not mine" (kind not-mine) on a
 * catalogue item: a case number in the holder's dispute queue; "not mine" freezes the
 * item for the person as a "not mine" dispute on an entry does. Whether the person holds
 * the item only its holder knows (Mado keeps no values), so any item of the catalogue may
 * be named; the holder answers a case about an item it does not hold as it answers any.
 * A case of the same kind on the item still in progress (open or acknowledged) is
 * returned instead of a second one (created false). No row: no such item.
 */
CREATE OR REPLACE FUNCTION portal.mydata_case_open(p_person uuid, p_item text, p_kind text,
						   p_note text)
RETURNS TABLE (case_no text, created boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_org text;
	v_case text;
BEGIN
	PERFORM portal.require_person(p_person);
	IF p_kind NOT IN ('correction', 'not-mine') THEN
		RAISE EXCEPTION 'no such kind of case on an item: %', p_kind
			USING ERRCODE = 'check_violation';
	END IF;
	SELECT d.holder INTO v_org FROM portal.data_items d WHERE d.code = p_item;
	IF v_org IS NULL THEN
		RETURN;
	END IF;
	-- One case in progress per person, item and kind, even under concurrent requests.
	PERFORM pg_advisory_xact_lock(hashtextextended('mydata:' || p_person::text || ':' ||
						       p_item || ':' || p_kind, 0));
	SELECT d.case_no INTO v_case FROM portal.disputes d
	WHERE d.person_id = p_person AND d.item = p_item AND d.kind = p_kind
	  AND d.status IN ('open', 'acknowledged')
	ORDER BY d.created_at DESC LIMIT 1;
	IF v_case IS NOT NULL THEN
		RETURN QUERY SELECT v_case, false;
		RETURN;
	END IF;
	v_case := 'MD-' || to_char(now() AT TIME ZONE 'Asia/Tokyo', 'YYYY') || '-' ||
		  lpad(nextval('portal.dispute_seq')::text, 7, '0');
	INSERT INTO portal.disputes (case_no, person_id, event_row, item, org_code, kind, note)
	VALUES (v_case, p_person, NULL, p_item, v_org, p_kind, p_note);
	IF p_kind = 'not-mine' THEN
		INSERT INTO portal.item_freezes (person_id, item, case_no)
		VALUES (p_person, p_item, v_case);
	END IF;
	RETURN QUERY SELECT v_case, true;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mydata_case_open(uuid, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mydata_case_open(uuid, text, text, text) TO mado_app;
