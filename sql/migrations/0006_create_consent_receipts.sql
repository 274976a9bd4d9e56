-- Consent receipts: what the server signs for each step of a consent. The receipt names
-- the person only by the recipient's pseudonym for them.
SET LOCAL ROLE mado_owner;

CREATE FUNCTION portal.consent_receipt(p_person uuid, p_consent uuid, p_event bigint)
RETURNS TABLE (consent_id uuid, kind text, recipient text, programme text, purpose text,
	       items text[], data_from date, data_to date, freq_unit text, freq_max integer,
	       data_life_days integer, valid_from timestamptz, valid_until timestamptz,
	       event_id bigint, event_type text, event_at timestamptz, event_channel text,
	       status text, uses bigint, principal text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT c.id, c.kind, c.recipient, c.programme, c.purpose, c.items, c.data_from,
	       c.data_to, c.freq_unit, c.freq_max, c.data_life_days, c.valid_from, c.valid_until,
	       e.id, e.type, e.at, e.channel, e.new_status,
	       (SELECT count(*) FROM portal.consent_uses u WHERE u.consent_id = c.id
		  AND u.at <= coalesce((SELECT min(n.at) FROM portal.consent_events n
					WHERE n.consent_id = c.id AND n.id > e.id), 'infinity')),
	       (SELECT s.pseudonym FROM portal.pseudonyms s
		WHERE s.person_id = c.person_id AND s.org_code = c.recipient)
	FROM portal.consents c JOIN portal.consent_events e ON e.consent_id = c.id
	WHERE c.id = p_consent AND c.person_id = p_person
	  AND (p_event IS NULL OR e.id = p_event)
	ORDER BY e.id DESC LIMIT 1
$$;

REVOKE EXECUTE ON FUNCTION portal.consent_receipt(uuid, uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.consent_receipt(uuid, uuid, bigint) TO mado_app;
