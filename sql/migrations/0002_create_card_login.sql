-- Card login: people, the cards bound to them, login challenges, sessions, login history
-- and failure counters for rate limiting.
SET LOCAL ROLE mado_owner;

-- A person is only an internal id; names and addresses belong to the residents registry.
-- The id never leaves Mado (DESIGN.md promise 4).
CREATE TABLE portal.people (
	id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	created_at timestamptz NOT NULL DEFAULT now()
);

-- A card's authentication certificate, keyed by (issuer, serial). A renewed card is a new
-- row for the same person. The certificate is kept to re-check revocation for sessions.
CREATE TABLE portal.card_bindings (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id   uuid NOT NULL REFERENCES portal.people (id),
	issuer_hash text NOT NULL CHECK (issuer_hash ~ '^[0-9a-f]{64}$'),
	serial      text NOT NULL CHECK (serial ~ '^-?[0-9A-F]+$'),
	key_hash    text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
	cert        bytea NOT NULL,
	not_before  timestamptz NOT NULL,
	not_after   timestamptz NOT NULL,
	revoked_at  timestamptz,
	checked_at  timestamptz,
	created_at  timestamptz NOT NULL DEFAULT now(),
	UNIQUE (issuer_hash, serial)
);
CREATE INDEX card_bindings_key ON portal.card_bindings (key_hash);
CREATE INDEX card_bindings_person ON portal.card_bindings (person_id);

-- Sessions are looked up by the SHA-256 of the cookie value; the value itself is never
-- stored. A pre-login session (person_id NULL) only carries a challenge.
CREATE TABLE portal.sessions (
	id_hash    bytea PRIMARY KEY CHECK (length(id_hash) = 32),
	person_id  uuid REFERENCES portal.people (id),
	binding_id bigint REFERENCES portal.card_bindings (id),
	channel    text NOT NULL DEFAULT 'self'
		CHECK (channel IN ('self', 'desk', 'proxy', 'supervisor')),
	method     text CHECK (method IN ('webeid', 'tls')),
	csrf_token text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen  timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	CHECK ((person_id IS NULL) = (binding_id IS NULL))
);
CREATE INDEX sessions_person ON portal.sessions (person_id);
CREATE INDEX sessions_binding ON portal.sessions (binding_id);
CREATE INDEX sessions_expires ON portal.sessions (expires_at);

-- One outstanding challenge per pre-login session; taken (deleted) when used, so a nonce
-- works once, and only for the browser session that asked for it.
CREATE TABLE portal.auth_challenges (
	session_hash bytea PRIMARY KEY REFERENCES portal.sessions (id_hash) ON DELETE CASCADE,
	nonce        text NOT NULL CHECK (length(nonce) = 44),
	expires_at   timestamptz NOT NULL
);

-- The person's own login history (Aadhaar-style authentication history).
CREATE TABLE portal.login_events (
	id        bigint GENERATED ALWAYS AS IDENTITY,
	person_id uuid NOT NULL REFERENCES portal.people (id),
	at        timestamptz NOT NULL DEFAULT now(),
	method    text NOT NULL CHECK (method IN ('webeid', 'tls', 'session')),
	event     text NOT NULL CHECK (event IN ('login', 'failure', 'logout', 'expired', 'revoked')),
	reason    text CHECK (reason ~ '^[a-z0-9_-]{1,64}$'),
	PRIMARY KEY (person_id, id)
);
ALTER TABLE portal.login_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE portal.login_events FORCE ROW LEVEL SECURITY;
-- A transaction reads and writes only the rows of the person it set in mado.person_id;
-- unset or empty means no rows at all.
CREATE POLICY login_events_own ON portal.login_events
	USING (person_id = nullif(current_setting('mado.person_id', true), '')::uuid)
	WITH CHECK (person_id = nullif(current_setting('mado.person_id', true), '')::uuid);

-- Failed logins per client address and per card, in fixed windows. Keys are hashes.
CREATE TABLE portal.auth_failures (
	scope        text NOT NULL CHECK (scope IN ('addr', 'card')),
	key_hash     text NOT NULL,
	window_start timestamptz NOT NULL,
	failures     integer NOT NULL CHECK (failures >= 0),
	PRIMARY KEY (scope, key_hash)
);

GRANT SELECT, INSERT, UPDATE ON portal.people, portal.card_bindings TO mado_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON portal.sessions, portal.auth_challenges,
	portal.auth_failures TO mado_app;
GRANT SELECT, INSERT ON portal.login_events TO mado_app;
