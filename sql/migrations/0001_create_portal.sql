-- The portal schema and its roles.
--
-- mado_owner (NOLOGIN) owns every object, so no login role can bypass row-level security
-- as an owner. mado_app is the role `mado serve` connects as: it owns nothing and gets
-- only the privileges each migration grants it. The role that runs `mado migrate` must be
-- allowed to create roles (first run only) and must be a member of mado_owner.
--
-- Conventions for every migration: create objects after SET LOCAL ROLE mado_owner;
-- schema-qualify every name; grant mado_app the least it needs, in the same file.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mado_owner') THEN
		CREATE ROLE mado_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mado_app') THEN
		CREATE ROLE mado_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
	END IF;
	EXECUTE format('GRANT CREATE, CONNECT ON DATABASE %I TO mado_owner', current_database());
	EXECUTE format('GRANT CONNECT ON DATABASE %I TO mado_app', current_database());
END
$$;

GRANT mado_owner TO CURRENT_USER;

SET LOCAL ROLE mado_owner;

CREATE SCHEMA portal;
GRANT USAGE ON SCHEMA portal TO mado_app;

CREATE TABLE portal.schema_migrations (
	version    integer PRIMARY KEY CHECK (version > 0),
	name       text NOT NULL UNIQUE,
	checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
	applied_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON portal.schema_migrations TO mado_app;
