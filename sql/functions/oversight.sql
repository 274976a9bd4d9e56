-- Oversight: whether the supervisor may ask an organisation to reveal who an accountable
-- official's pseudonymous id stands for (only a supervisor, only about an official the
-- organisation's records hold), whether the organisation may answer (only its own
-- requests, once), and who sees which requests.
SET LOCAL ROLE mado_owner;

-- A request names an official the organisation's records actually hold.
CREATE OR REPLACE FUNCTION portal.officer_reveal_request(p_supervisor text, p_org text,
							 p_officer text, p_reason text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_id bigint;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM portal.organisations o
		       WHERE o.code = p_supervisor AND o.kind = 'supervisor')
	   OR NOT EXISTS (SELECT 1 FROM portal.access_events e
			  WHERE e.org_code = p_org AND e.officer = p_officer) THEN
		RETURN NULL;
	END IF;
	INSERT INTO portal.officer_reveals (supervisor, org_code, officer, reason)
	VALUES (p_supervisor, p_org, p_officer, p_reason) RETURNING id INTO v_id;
	RETURN v_id;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.officer_reveal_request(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.officer_reveal_request(text, text, text, text) TO mado_app;

-- An organisation answers a request addressed to it, once.
CREATE OR REPLACE FUNCTION portal.officer_reveal_answer(p_org text, p_id bigint, p_answer text)
RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	WITH a AS (
		UPDATE portal.officer_reveals r SET answer = p_answer, answered_at = now()
		WHERE r.id = p_id AND r.org_code = p_org AND r.answer IS NULL RETURNING 1
	)
	SELECT EXISTS (SELECT 1 FROM a)
$$;
REVOKE EXECUTE ON FUNCTION portal.officer_reveal_answer(text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.officer_reveal_answer(text, bigint, text) TO mado_app;

-- The requests addressed to an organisation, or made by it as the supervisor.
CREATE OR REPLACE FUNCTION portal.officer_reveal_list(p_org text)
RETURNS TABLE (id bigint, supervisor text, org_code text, officer text, reason text,
	       requested_at timestamptz, answer text, answered_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT r.id, r.supervisor, r.org_code, r.officer, r.reason, r.requested_at, r.answer,
	       r.answered_at
	FROM portal.officer_reveals r WHERE r.org_code = p_org OR r.supervisor = p_org
	ORDER BY r.requested_at DESC, r.id DESC LIMIT 500
$$;
REVOKE EXECUTE ON FUNCTION portal.officer_reveal_list(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.officer_reveal_list(text) TO mado_app;
