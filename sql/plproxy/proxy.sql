-- The proxy database of PL/Proxy sharding (scripts/shards): no data, only functions that
-- route each person-keyed call to the shard their id hashes to (hashtext of the id, over
-- a power-of-two number of shards), and organisation-side calls to every shard. The
-- cluster "mado_shards" (the shards' connection strings) is created by scripts/shards.
-- The wrappers in `proxy` check, as portal.require_person does, that the transaction acts
-- for the person; the routing functions in `route` are not callable by mado_app.
CREATE EXTENSION IF NOT EXISTS plproxy;
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mado_app') THEN
		CREATE ROLE mado_app LOGIN;
	END IF;
END
$$;
CREATE SCHEMA IF NOT EXISTS portal;
CREATE SCHEMA IF NOT EXISTS route;
CREATE SCHEMA IF NOT EXISTS proxy;
REVOKE ALL ON SCHEMA route FROM PUBLIC;
GRANT USAGE ON SCHEMA portal, proxy TO mado_app;

-- The access record as portal.record_access takes it (sql/migrations/0007).
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'access_record'
		       AND typnamespace = 'portal'::regnamespace) THEN
		CREATE TYPE portal.access_record AS (event_id uuid, person_id uuid,
			occurred_at timestamptz, org_code text, relay_for text, officer text,
			officer_role text, actor_kind text, channel text, purpose text,
			legal_ref text, case_ref text, items text[], consent_id uuid,
			outcome text, reason text, sealed_until date, sealing_body text);
	END IF;
END
$$;

-- The shard key: the person's id, hashed.
CREATE OR REPLACE FUNCTION route.person_hash(p_person uuid) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtext(p_person::text) $$;
CREATE OR REPLACE FUNCTION route.record_hash(p_record portal.access_record) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtext((p_record).person_id::text) $$;

CREATE OR REPLACE FUNCTION route.person_add(p_person uuid) RETURNS uuid AS $$
	CLUSTER 'mado_shards';
	RUN ON route.person_hash(p_person);
	TARGET shard.person_add;
$$ LANGUAGE plproxy;

-- A batch of records is split: each shard gets its people's records in one call.
CREATE OR REPLACE FUNCTION route.record_access(p_records portal.access_record[])
RETURNS TABLE (ord integer, id bigint) AS $$
	CLUSTER 'mado_shards';
	SPLIT p_records;
	RUN ON route.record_hash(p_records);
	TARGET shard.record_access;
$$ LANGUAGE plproxy;

CREATE OR REPLACE FUNCTION route.access_latest(p_person uuid, p_limit integer)
RETURNS TABLE (id bigint, occurred_at timestamptz, org_code text, purpose text, items text[]) AS $$
	CLUSTER 'mado_shards';
	RUN ON route.person_hash(p_person);
	TARGET shard.access_latest;
$$ LANGUAGE plproxy;

CREATE OR REPLACE FUNCTION route.consent_push_give(p_person uuid, p_programme text,
						   p_days integer)
RETURNS TABLE (consent_id uuid, reason text) AS $$
	CLUSTER 'mado_shards';
	RUN ON route.person_hash(p_person);
	TARGET shard.consent_push_give;
$$ LANGUAGE plproxy;

CREATE OR REPLACE FUNCTION route.consents_of(p_person uuid)
RETURNS TABLE (id uuid, kind text, recipient text, programme text, status text) AS $$
	CLUSTER 'mado_shards';
	RUN ON route.person_hash(p_person);
	TARGET shard.consents_of;
$$ LANGUAGE plproxy;

CREATE OR REPLACE FUNCTION route.org_access_count(p_org text) RETURNS SETOF bigint AS $$
	CLUSTER 'mado_shards';
	RUN ON ALL;
	TARGET shard.org_access_count;
$$ LANGUAGE plproxy;

-- What mado_app calls.
CREATE OR REPLACE FUNCTION proxy.require_person(p_person uuid) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_person IS NULL
	   OR p_person IS DISTINCT FROM nullif(current_setting('mado.person_id', true), '')::uuid THEN
		RAISE EXCEPTION 'this transaction does not act for that person'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
END
$$;

-- A new person (card registration): the id is chosen here, so that its hash picks the shard.
CREATE OR REPLACE FUNCTION proxy.person_new() RETURNS uuid
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT route.person_add(gen_random_uuid())
$$;

CREATE OR REPLACE FUNCTION proxy.record_access(p_records portal.access_record[])
RETURNS TABLE (id bigint)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	-- ord is each shard's own position in its part of the batch, so only ids come back
	SELECT r.id FROM route.record_access(p_records) r
$$;

CREATE OR REPLACE FUNCTION proxy.access_latest(p_person uuid, p_limit integer)
RETURNS TABLE (id bigint, occurred_at timestamptz, org_code text, purpose text, items text[])
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM proxy.require_person(p_person);
	RETURN QUERY SELECT * FROM route.access_latest(p_person, p_limit);
END
$$;

CREATE OR REPLACE FUNCTION proxy.consent_push_give(p_person uuid, p_programme text,
						   p_days integer)
RETURNS TABLE (consent_id uuid, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM proxy.require_person(p_person);
	RETURN QUERY SELECT * FROM route.consent_push_give(p_person, p_programme, p_days);
END
$$;

CREATE OR REPLACE FUNCTION proxy.consents_of(p_person uuid)
RETURNS TABLE (id uuid, kind text, recipient text, programme text, status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM proxy.require_person(p_person);
	RETURN QUERY SELECT * FROM route.consents_of(p_person);
END
$$;

CREATE OR REPLACE FUNCTION proxy.org_access_count(p_org text) RETURNS bigint
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(sum(n), 0)::bigint FROM route.org_access_count(p_org) n
$$;

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA route, proxy FROM PUBLIC;
GRANT EXECUTE ON FUNCTION proxy.person_new(), proxy.record_access(portal.access_record[]),
	proxy.access_latest(uuid, integer), proxy.consent_push_give(uuid, text, integer),
	proxy.consents_of(uuid), proxy.org_access_count(text) TO mado_app;
