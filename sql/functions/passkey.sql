-- Passkeys: the notices a person gets about their devices.
SET LOCAL ROLE mado_owner;

/*
 * A notice in the person's list about one of their devices: `what` is 'added', 'removed'
 * or 'counter-regressed' (the device's signature counter went backwards: it may have been
 * copied, and the login was refused). Only for the person the transaction acts for.
 */
CREATE OR REPLACE FUNCTION portal.device_notice(p_person uuid, p_what text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.require_person(p_person);
	IF p_what NOT IN ('added', 'removed', 'counter-regressed') THEN
		RAISE EXCEPTION 'not a notice about a device: %', p_what
			USING ERRCODE = 'check_violation';
	END IF;
	INSERT INTO portal.notices (person_id, kind, title) VALUES (p_person, 'device', p_what);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.device_notice(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.device_notice(uuid, text) TO mado_app;
