-- Push notices: whether an agency programme's notice reaches a person's notice list (only
-- under the person's active push consent for that programme, and never while an item the
-- programme's notices may speak of is frozen for the person). Every attempt about a known
-- person is recorded through portal.record_access; the delivered notice itself is what
-- the person sees, so the record raises no access alert.
SET LOCAL ROLE mado_owner;

/*
 * An agency programme's push notice to a person (by the agency's pseudonym): delivered
 * only under an active push consent for that programme and within its frequency (its
 * window, Japan time, and the most notices in it); the attempt is recorded either way.
 * A consent whose time is up is expired here, as at any use. Returns 'invalid' for an
 * unknown person or programme (nothing written); refusals are 'no-consent',
 * 'items-frozen' (a "not mine" case froze one of the programme's items) and 'frequency'.
 */
CREATE OR REPLACE FUNCTION portal.push_notice(p_org text, p_programme text,
					      p_pseudonym text, p_title text, p_body text)
RETURNS TABLE (outcome text, reason text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	g portal.push_programmes%ROWTYPE;
	c portal.consents%ROWTYPE;
	v_person uuid;
	v_event uuid := gen_random_uuid();
	v_row bigint;
	v_reason text;
	v_window timestamptz;
	v_used bigint;
	v_limit integer;
BEGIN
	SELECT * INTO g FROM portal.push_programmes x WHERE x.code = p_programme
	  AND x.org_code = p_org;
	SELECT s.person_id INTO v_person FROM portal.pseudonyms s
	WHERE s.org_code = p_org AND s.pseudonym = p_pseudonym;
	IF g.code IS NULL OR v_person IS NULL THEN
		RETURN QUERY SELECT 'invalid'::text,
			CASE WHEN g.code IS NULL THEN 'programme' ELSE 'person' END;
		RETURN;
	END IF;
	PERFORM portal.consent_expire_due(x.id) FROM portal.consents x
	WHERE x.person_id = v_person AND x.kind = 'push_notice' AND x.programme = g.code
	  AND x.status IN ('active', 'paused') AND x.valid_until <= now();
	-- FOR UPDATE: notices under one consent take turns, so the count holds.
	SELECT * INTO c FROM portal.consents x
	WHERE x.person_id = v_person AND x.kind = 'push_notice' AND x.programme = g.code
	  AND x.status = 'active' AND x.valid_from <= now() AND x.valid_until > now()
	ORDER BY x.created_at DESC LIMIT 1 FOR UPDATE;
	IF c.id IS NULL THEN
		v_reason := 'no-consent';
	ELSIF EXISTS (SELECT 1 FROM portal.item_freezes f
		      WHERE f.person_id = v_person AND f.item = ANY (g.items)
			AND f.lifted_at IS NULL) THEN
		v_reason := 'items-frozen';
	ELSE
		v_window := CASE c.freq_unit
				WHEN 'month' THEN date_trunc('month', now() AT TIME ZONE 'Asia/Tokyo')
				ELSE date_trunc('day', now() AT TIME ZONE 'Asia/Tokyo') END
			    AT TIME ZONE 'Asia/Tokyo';
		v_used := CASE WHEN c.freq_unit = 'once' THEN c.uses_total
			       WHEN c.window_start = v_window THEN c.window_uses ELSE 0 END;
		v_limit := CASE c.freq_unit WHEN 'once' THEN 1 ELSE c.freq_max END;
		IF v_used >= v_limit THEN
			v_reason := 'frequency';
		END IF;
	END IF;
	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		v_event, v_person, now(), p_org, NULL,
		NULL, NULL, 'machine', 'push',
		g.purpose, 'consent', NULL, ARRAY['notice'], c.id,
		CASE WHEN v_reason IS NULL THEN 'served' ELSE 'denied' END, v_reason, NULL, NULL
	)::portal.access_record]) w;
	IF v_reason IS NOT NULL THEN
		RETURN QUERY SELECT 'denied'::text, v_reason;
		RETURN;
	END IF;
	INSERT INTO portal.consent_uses (consent_id, person_id, event_row, items)
	VALUES (c.id, v_person, v_row, ARRAY['notice']);
	UPDATE portal.consents x SET uses_total = x.uses_total + 1, window_start = v_window,
		window_uses = v_used + 1
	WHERE x.id = c.id;
	INSERT INTO portal.notices (person_id, kind, event_row, org_code, programme, title, body)
	VALUES (v_person, 'push', v_row, p_org, g.code, p_title, p_body);
	RETURN QUERY SELECT 'served'::text, NULL::text;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.push_notice(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.push_notice(text, text, text, text, text) TO mado_app;
