-- The shard side of PL/Proxy sharding (scripts/shards): installed on every shard, a
-- database with Mado's whole schema that holds the people whose id hashes to it and all
-- their records. The proxy (proxy.sql) calls these as mado_app; each acts for the person
-- it is given, as mado's own transaction would (mado.person_id), since a person's
-- session was checked on the proxy before the call was routed here.
SET LOCAL ROLE mado_owner;
CREATE SCHEMA IF NOT EXISTS shard;
REVOKE ALL ON SCHEMA shard FROM PUBLIC;
GRANT USAGE ON SCHEMA shard TO mado_app;

-- A new person, with the id the proxy chose (its hash chose this shard).
CREATE OR REPLACE FUNCTION shard.person_add(p_person uuid) RETURNS uuid
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	INSERT INTO portal.people (id) VALUES (p_person) RETURNING id
$$;

-- A shard's part of a batch of access records: portal.record_access, the one writer of
-- the log, here as in every other path that records.
CREATE OR REPLACE FUNCTION shard.record_access(p_records portal.access_record[])
RETURNS TABLE (ord integer, id bigint)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT * FROM portal.record_access(p_records)
$$;

-- The person's latest entries (the access log's first page).
CREATE OR REPLACE FUNCTION shard.access_latest(p_person uuid, p_limit integer)
RETURNS TABLE (id bigint, occurred_at timestamptz, org_code text, purpose text, items text[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM set_config('mado.person_id', p_person::text, true);
	RETURN QUERY
	SELECT e.id, e.occurred_at, e.org_code, e.purpose, e.items FROM portal.access_events e
	WHERE e.person_id = p_person
	ORDER BY e.occurred_at DESC, e.id DESC LIMIT least(p_limit, 200);
END
$$;

-- The person turns a push programme's notices on (portal.consent_push_give decides).
CREATE OR REPLACE FUNCTION shard.consent_push_give(p_person uuid, p_programme text,
						   p_days integer)
RETURNS TABLE (consent_id uuid, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM set_config('mado.person_id', p_person::text, true);
	RETURN QUERY SELECT * FROM portal.consent_push_give(p_person, p_programme, p_days, 'self');
END
$$;

-- The person's consents.
CREATE OR REPLACE FUNCTION shard.consents_of(p_person uuid)
RETURNS TABLE (id uuid, kind text, recipient text, programme text, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT c.id, c.kind::text, c.recipient::text, c.programme::text, c.status::text FROM portal.consents c
	WHERE c.person_id = p_person ORDER BY c.created_at, c.id
$$;

-- An organisation's side: how many accesses it recorded on this shard (the proxy adds
-- the shards' answers).
CREATE OR REPLACE FUNCTION shard.org_access_count(p_org text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT count(*) FROM portal.access_events e WHERE e.org_code = p_org
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA shard FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA shard TO mado_app;
