-- A staff member's certificate is re-checked for revocation while their session lasts, as
-- a resident's card is (every card_recheck_s): a clerk whose certificate the organisation
-- revokes at its CA loses the terminal within minutes, not at the end of a ten-hour
-- session. The session keeps the certificate it logged in with and when that was last
-- checked. Sessions opened before this have no certificate to check: they end, with the
-- visits of their terminals, and their staff log in again.
SET LOCAL ROLE mado_owner;

DO $$
DECLARE
	v_terminal bytea;
BEGIN
	FOR v_terminal IN SELECT x.id_hash FROM portal.staff_sessions x LOOP
		PERFORM portal.staff_logout(v_terminal);
	END LOOP;
END
$$;

ALTER TABLE portal.staff_sessions
	ADD COLUMN cert bytea NOT NULL,
	ADD COLUMN checked_at timestamptz NOT NULL DEFAULT now();
