-- The operator can disable a person's account (mado account --disable): while a hold is
-- on it, no session opens for the person, neither their own (card, passkey, phone) nor a
-- helper's acting for them (proxy, desk), and disabling ends the open ones. A hold is the
-- operator's alone: the application role can neither read, add nor lift one. Each
-- disabling and enabling is an event in the person's login history, with its reason.
SET LOCAL ROLE mado_owner;

CREATE TABLE portal.account_holds (
	person_id uuid PRIMARY KEY REFERENCES portal.people (id),
	since     timestamptz NOT NULL DEFAULT now(),
	reason    text NOT NULL
		CHECK (reason IN ('person-request', 'suspected-misuse', 'deceased', 'legal-order'))
);
REVOKE ALL ON portal.account_holds FROM PUBLIC;

ALTER TABLE portal.login_events DROP CONSTRAINT login_events_event_check;
ALTER TABLE portal.login_events ADD CONSTRAINT login_events_event_check
	CHECK (event IN ('login', 'failure', 'logout', 'expired', 'revoked', 'card-bound',
			 'device-added', 'device-removed', 'card-step-up', 'disabled', 'enabled'));

-- Whichever path opens a person's session, it does not open while their account is held:
-- SQLSTATE MD001, which mado answers as 403 account-disabled.
CREATE FUNCTION portal.sessions_refuse_held() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM portal.account_holds h WHERE h.person_id = NEW.person_id) THEN
		RAISE EXCEPTION 'the account is disabled' USING ERRCODE = 'MD001';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.sessions_refuse_held() FROM PUBLIC;
CREATE TRIGGER sessions_refuse_held BEFORE INSERT ON portal.sessions
	FOR EACH ROW WHEN (NEW.person_id IS NOT NULL)
	EXECUTE FUNCTION portal.sessions_refuse_held();
