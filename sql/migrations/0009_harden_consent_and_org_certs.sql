-- Hardening after the November 2026 review.
--
-- Functions whose signature or result changed in sql/functions are dropped here and made
-- again, whole, by their files: the private fetch now names its purpose (rp_fetch), a
-- receipt states the step's status and the status now (consent_receipt), and a dispute
-- answer says why it was not taken (dispute_answer). Dropping the old signatures leaves
-- the application role no way to the old, looser fetch.
SET LOCAL ROLE mado_owner;

DROP FUNCTION IF EXISTS portal.rp_fetch(text, bytea, text, text[], date, date);
DROP FUNCTION IF EXISTS portal.consent_receipt(uuid, uuid, bigint);
DROP FUNCTION IF EXISTS portal.dispute_answer(text, text, text, text);

-- Organisation certificates are the gateway's door: the server only reads them; the
-- operator's `mado org-cert` adds them over the owner's connection (db_migrate_url).
REVOKE INSERT, UPDATE, DELETE ON portal.org_certs FROM mado_app;

-- A revoked certificate stays revoked: adding it again is refused, not an un-revocation.
-- The trigger function's body lives in sql/functions/auth.sql from here on; it is made
-- here too because the trigger needs it before the function files are applied.
CREATE OR REPLACE FUNCTION portal.org_cert_keep_revoked() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
		RAISE EXCEPTION 'organisation certificate % is revoked', OLD.key_hash
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.org_cert_keep_revoked() FROM PUBLIC;
CREATE TRIGGER org_certs_keep_revoked BEFORE UPDATE ON portal.org_certs
	FOR EACH ROW EXECUTE FUNCTION portal.org_cert_keep_revoked();
