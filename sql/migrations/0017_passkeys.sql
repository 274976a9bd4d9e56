-- Passkeys bound to the card, and logging in on a computer with the phone (issue 14).
--
-- A passkey (a WebAuthn credential) belongs to a person and to the card binding it was
-- added under: when that card is revoked, its passkeys stop working and their sessions
-- end. A session records whether a card was used in it (card_at): a card login sets it,
-- a passkey login does not, and a card step-up in the session sets it later. Routes that
-- need the card (adding a device, a proxy mandate) refuse a session without it.
--
-- A cross-device code is shown on a computer (as a QR code and as text) and opened on
-- the person's phone, logged in; the person picks the two-digit number the computer
-- shows, and the computer's pre-login session becomes a session of that person. Codes
-- live two minutes and work once; a wrong number ends them.
SET LOCAL ROLE mado_owner;

CREATE TABLE portal.passkeys (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id     uuid NOT NULL REFERENCES portal.people (id),
	binding_id    bigint NOT NULL REFERENCES portal.card_bindings (id),
	credential_id bytea NOT NULL UNIQUE
		CHECK (length(credential_id) BETWEEN 16 AND 1023),
	public_key    bytea NOT NULL CHECK (length(public_key) BETWEEN 32 AND 2048),
	alg           integer NOT NULL CHECK (alg IN (-7, -8, -257)),
	sign_count    bigint NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
	name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
	attestation   text NOT NULL CHECK (attestation IN ('none', 'packed', 'self')),
	created_at    timestamptz NOT NULL DEFAULT now(),
	last_used_at  timestamptz
);
CREATE INDEX passkeys_person ON portal.passkeys (person_id);
CREATE INDEX passkeys_binding ON portal.passkeys (binding_id);

ALTER TABLE portal.sessions
	ADD COLUMN card_at timestamptz,
	ADD COLUMN passkey_id bigint REFERENCES portal.passkeys (id) ON DELETE CASCADE;
CREATE INDEX sessions_passkey ON portal.sessions (passkey_id);
UPDATE portal.sessions SET card_at = created_at WHERE method IN ('webeid', 'tls');

ALTER TABLE portal.sessions DROP CONSTRAINT sessions_method_check;
ALTER TABLE portal.sessions ADD CONSTRAINT sessions_method_check
	CHECK (method IN ('webeid', 'tls', 'passkey', 'cross-device'));
ALTER TABLE portal.login_events DROP CONSTRAINT login_events_method_check;
ALTER TABLE portal.login_events ADD CONSTRAINT login_events_method_check
	CHECK (method IN ('webeid', 'tls', 'session', 'operator', 'passkey', 'cross-device'));
ALTER TABLE portal.login_events DROP CONSTRAINT login_events_event_check;
ALTER TABLE portal.login_events ADD CONSTRAINT login_events_event_check
	CHECK (event IN ('login', 'failure', 'logout', 'expired', 'revoked', 'card-bound',
			 'device-added', 'device-removed', 'card-step-up'));

CREATE TABLE portal.cross_device_codes (
	code_hash    text PRIMARY KEY CHECK (code_hash ~ '^[0-9a-f]{64}$'),
	-- The computer's pre-login session; the code outlives it (used, refused) for a while.
	session_hash bytea REFERENCES portal.sessions (id_hash) ON DELETE SET NULL,
	number       integer NOT NULL CHECK (number BETWEEN 10 AND 99),
	state        text NOT NULL DEFAULT 'waiting'
		CHECK (state IN ('waiting', 'approved', 'refused', 'used')),
	user_agent   text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 256),
	client_net   text CHECK (client_net ~ '^[0-9a-f.:]{2,45}/[0-9]{1,3}$'),
	person_id    uuid REFERENCES portal.people (id),
	binding_id   bigint REFERENCES portal.card_bindings (id),
	created_at   timestamptz NOT NULL DEFAULT now(),
	expires_at   timestamptz NOT NULL,
	CHECK ((state = 'approved' OR state = 'used') = (person_id IS NOT NULL))
);
CREATE INDEX cross_device_codes_session ON portal.cross_device_codes (session_hash);
CREATE INDEX cross_device_codes_expires ON portal.cross_device_codes (expires_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON portal.passkeys, portal.cross_device_codes TO mado_app;

-- Notices about the person's devices (added, removed, a counter that went backwards): the
-- kinds already allowed stay allowed, whichever way the constraint spells them (a list
-- of literals, or one array literal as migration 0011 wrote it), and 'device' joins them.
DO $$
DECLARE
	v_def text;
	v_kinds text[];
BEGIN
	SELECT pg_get_constraintdef(c.oid) INTO v_def FROM pg_constraint c
	WHERE c.conrelid = 'portal.notices'::regclass AND c.conname = 'notices_kind_check';
	v_kinds := array(SELECT m[1] FROM regexp_matches(v_def, '''([a-z0-9_-]+)''', 'g') AS m)
		|| coalesce(string_to_array((regexp_match(v_def, '''\{([a-z0-9_,-]*)\}'''))[1], ','),
			    '{}'::text[]);
	v_kinds := array(SELECT DISTINCT k FROM unnest(v_kinds || ARRAY['device']) k ORDER BY k);
	ALTER TABLE portal.notices DROP CONSTRAINT notices_kind_check;
	EXECUTE format('ALTER TABLE portal.notices ADD CONSTRAINT notices_kind_check'
		       ' CHECK (kind = ANY (%L::text[]))', v_kinds);
END
$$;
