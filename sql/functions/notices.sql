-- Push notices: whether an agency programme's notice reaches a person's notice list (only
-- under the person's active push consent for that programme). Every attempt about a known
-- person is recorded through portal.record_access; the delivered notice itself is what
-- the person sees, so the record raises no access alert.
SET LOCAL ROLE mado_owner;

/*
 * An agency programme's push notice to a person (by the agency's pseudonym): delivered
 * only under an active push consent for that programme; the attempt is recorded either
 * way. Returns 'invalid' for an unknown person or programme (nothing written).
 */
CREATE OR REPLACE FUNCTION portal.push_notice(p_org text, p_programme text,
					      p_pseudonym text, p_title text, p_body text)
RETURNS TABLE (outcome text, reason text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	g portal.push_programmes%ROWTYPE;
	v_person uuid;
	v_consent uuid;
	v_event uuid := gen_random_uuid();
	v_row bigint;
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
	SELECT c.id INTO v_consent FROM portal.consents c
	WHERE c.person_id = v_person AND c.kind = 'push_notice' AND c.programme = g.code
	  AND c.status = 'active' AND c.valid_from <= now() AND c.valid_until > now()
	ORDER BY c.created_at DESC LIMIT 1 FOR SHARE;
	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		v_event, v_person, now(), p_org, NULL,
		NULL, NULL, 'machine', 'push',
		g.purpose, 'consent', NULL, ARRAY['notice'], v_consent,
		CASE WHEN v_consent IS NULL THEN 'denied' ELSE 'served' END,
		CASE WHEN v_consent IS NULL THEN 'no-consent' END, NULL, NULL
	)::portal.access_record]) w;
	IF v_consent IS NULL THEN
		RETURN QUERY SELECT 'denied'::text, 'no-consent'::text;
		RETURN;
	END IF;
	INSERT INTO portal.consent_uses (consent_id, person_id, event_row, items)
	VALUES (v_consent, v_person, v_row, ARRAY['notice']);
	INSERT INTO portal.notices (person_id, kind, event_row, org_code, programme, title, body)
	VALUES (v_person, 'push', v_row, p_org, g.code, p_title, p_body);
	RETURN QUERY SELECT 'served'::text, NULL::text;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.push_notice(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.push_notice(text, text, text, text, text) TO mado_app;
