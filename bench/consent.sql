-- bench/consent's baseline: the fetch of portal.rp_fetch (sql/migrations/0005) without
-- the consent decision — the grant still names the person, the use is still recorded and
-- the data still read, but no expiry, status, item, range or frequency check and no row
-- lock. Loaded into the bench's throwaway cluster only; keep it in step with rp_fetch.
CREATE SCHEMA IF NOT EXISTS bench;
CREATE FUNCTION bench.fetch_unchecked(p_org text, p_token_hash bytea, p_items text[])
RETURNS TABLE (outcome text, pseudonym text, item text, value jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c portal.consents%ROWTYPE;
	v_row bigint;
	v_event uuid := gen_random_uuid();
	v_pseud text;
BEGIN
	SELECT x.* INTO c FROM portal.rp_grants g JOIN portal.consents x ON x.id = g.consent_id
	WHERE g.token_hash = p_token_hash AND g.recipient = p_org;
	INSERT INTO portal.access_event_keys (org_code, event_id) VALUES (p_org, v_event);
	INSERT INTO portal.access_events (event_id, person_id, occurred_at, org_code, actor_kind,
		channel, purpose, legal_ref, items, consent_id, outcome)
	VALUES (v_event, c.person_id, now(), p_org, 'machine', 'private', c.purpose, 'consent',
		p_items, c.id, 'served')
	RETURNING id INTO v_row;
	INSERT INTO portal.consent_uses (consent_id, person_id, event_row, items)
	VALUES (c.id, c.person_id, v_row, p_items);
	SELECT s.pseudonym INTO v_pseud FROM portal.pseudonyms s
	WHERE s.person_id = c.person_id AND s.org_code = p_org;
	RETURN QUERY SELECT 'served'::text, v_pseud, h.item, h.value FROM agency_tax.holdings h
	WHERE h.person_id = c.person_id AND h.item = ANY (p_items);
END
$$;
