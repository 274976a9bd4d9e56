-- Card login through a signing app on the same device (issue 14, item 4).
--
-- The login page asks for a challenge with a hand-off: a one-time id, handed to a native
-- card-reading app in an app link together with the origin and the challenge's nonce.
-- The app has no cookie: it posts the Web eID token for the id, and the token is checked
-- against the challenge of the pre-login session the id was made for. Only the id's
-- SHA-256 is stored; it lives five minutes (as the challenge), works once, and belongs to
-- that pre-login session. Once the card has passed, the page's next poll opens the
-- person's session in place of its pre-login session.
SET LOCAL ROLE mado_owner;

CREATE TABLE portal.card_handoffs (
	handoff_hash       text PRIMARY KEY CHECK (handoff_hash ~ '^[0-9a-f]{64}$'),
	session_hash       bytea NOT NULL REFERENCES portal.sessions (id_hash) ON DELETE CASCADE,
	-- waiting: for the app; refused: the app's token did not pass (or is being checked);
	-- approved: the card passed, the page may log in; used: it did.
	state              text NOT NULL DEFAULT 'waiting'
		CHECK (state IN ('waiting', 'refused', 'approved', 'used')),
	person_id          uuid REFERENCES portal.people (id),
	binding_id         bigint REFERENCES portal.card_bindings (id),
	revocation_checked boolean NOT NULL DEFAULT false,
	created_at         timestamptz NOT NULL DEFAULT now(),
	expires_at         timestamptz NOT NULL,
	CHECK ((state IN ('approved', 'used')) = (person_id IS NOT NULL)),
	CHECK ((person_id IS NULL) = (binding_id IS NULL))
);
CREATE INDEX card_handoffs_session ON portal.card_handoffs (session_hash);

GRANT SELECT, INSERT, UPDATE, DELETE ON portal.card_handoffs TO mado_app;

-- "Add this phone": a code shown by a computer in a card session, opened on a phone that
-- is not logged in. After the number check the phone gets a challenge on its own
-- pre-login session (phone_hash) and creates a passkey bound to the code's person and
-- card binding, which the code carries from the start.
ALTER TABLE portal.cross_device_codes
	ADD COLUMN kind text NOT NULL DEFAULT 'login' CHECK (kind IN ('login', 'add-device')),
	ADD COLUMN phone_hash bytea REFERENCES portal.sessions (id_hash) ON DELETE SET NULL;
ALTER TABLE portal.cross_device_codes DROP CONSTRAINT cross_device_codes_check;
ALTER TABLE portal.cross_device_codes ADD CONSTRAINT cross_device_codes_person_check
	CHECK (CASE kind WHEN 'login' THEN (state IN ('approved', 'used')) = (person_id IS NOT NULL)
		ELSE person_id IS NOT NULL AND binding_id IS NOT NULL END);
