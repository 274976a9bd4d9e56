-- A held account gains no device either: a phone code the computer showed before the
-- operator disabled the account could otherwise still add the phone's passkey after it
-- (the phone's login would then be refused, but the device would stay on the account).
-- One check for both things a hold closes, new sessions and new passkeys: SQLSTATE MD001,
-- which mado answers as 403 account-disabled.
SET LOCAL ROLE mado_owner;

ALTER FUNCTION portal.sessions_refuse_held() RENAME TO refuse_held_account;
CREATE TRIGGER passkeys_refuse_held BEFORE INSERT ON portal.passkeys
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_held_account();
