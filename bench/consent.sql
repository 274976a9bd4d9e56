-- bench/consent's baseline: the fetch of portal.rp_fetch (sql/functions/consent.sql)
-- without the consent decision, in the shape rp_fetch now has: a decision row without
-- values (the values are the data holders', relayed by the server after the commit). The
-- grant still names the person, the use is still recorded (through portal.record_access,
-- as rp_fetch does) and the row still names the record, the pseudonym and the holders to
-- ask (portal.holder_targets), but no expiry, status, item, range or frequency check, and
-- no count of the use on the consent (the UPDATE whose row lock serialises fetches under
-- one consent). Loaded into the bench's throwaway cluster only; keep it in step with
-- rp_fetch.
CREATE SCHEMA IF NOT EXISTS bench;
CREATE FUNCTION bench.fetch_unchecked(p_org text, p_token_hash bytea, p_items text[])
RETURNS TABLE (outcome text, pseudonym text, row_id bigint, event_id uuid, targets jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c portal.consents%ROWTYPE;
	v_row bigint;
	v_event uuid := gen_random_uuid();
	v_pseud text;
BEGIN
	SELECT x.* INTO c FROM portal.rp_grants g JOIN portal.consents x ON x.id = g.consent_id
	WHERE g.token_hash = p_token_hash AND g.recipient = p_org;
	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		v_event, c.person_id, now(), p_org, NULL,
		NULL, NULL, 'machine', 'private',
		c.purpose, 'consent', NULL, p_items, c.id,
		'served', NULL, NULL, NULL
	)::portal.access_record]) w;
	INSERT INTO portal.consent_uses (consent_id, person_id, event_row, items)
	VALUES (c.id, c.person_id, v_row, p_items);
	SELECT s.pseudonym INTO v_pseud FROM portal.pseudonyms s
	WHERE s.person_id = c.person_id AND s.org_code = p_org;
	RETURN QUERY SELECT 'served'::text, v_pseud, v_row, v_event,
		portal.holder_targets(c.person_id, p_items);
END
$$;
