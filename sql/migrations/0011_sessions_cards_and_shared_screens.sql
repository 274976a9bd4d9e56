-- Cards and sessions the person can see and end, and shared screens: every session gets
-- an opaque handle (never the cookie's hash) and the coarse network it started from, and
-- a session started on a shared computer is marked so that it ends sooner when idle.
-- A card records when it last logged in. Binding a card is kept in the person's login
-- history, and logins and bindings become notices.
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.sessions
	ADD COLUMN handle uuid NOT NULL DEFAULT gen_random_uuid(),
	ADD COLUMN shared boolean NOT NULL DEFAULT false,
	ADD COLUMN client_net text CHECK (client_net ~ '^[0-9a-f.:]{2,45}/[0-9]{1,3}$');
CREATE UNIQUE INDEX sessions_handle ON portal.sessions (handle);

ALTER TABLE portal.card_bindings ADD COLUMN last_used_at timestamptz;

-- The operator binding a card at the office ('operator', event 'card-bound') and a
-- person ending one of their sessions from another one.
ALTER TABLE portal.login_events DROP CONSTRAINT login_events_method_check;
ALTER TABLE portal.login_events ADD CONSTRAINT login_events_method_check
	CHECK (method IN ('webeid', 'tls', 'session', 'operator'));
ALTER TABLE portal.login_events DROP CONSTRAINT login_events_event_check;
ALTER TABLE portal.login_events ADD CONSTRAINT login_events_event_check
	CHECK (event IN ('login', 'failure', 'logout', 'expired', 'revoked', 'card-bound'));

-- Notices of a new login and of a card bound: the kinds already allowed stay allowed
-- (read from the constraint, whichever migrations added them), and these two join them.
DO $$
DECLARE
	v_kinds text[];
BEGIN
	SELECT array_agg(DISTINCT m[1]) INTO v_kinds
	FROM pg_constraint c,
	     regexp_matches(pg_get_constraintdef(c.oid), '''([a-z0-9_-]+)''', 'g') AS m
	WHERE c.conrelid = 'portal.notices'::regclass AND c.conname = 'notices_kind_check';
	v_kinds := array(SELECT DISTINCT k FROM unnest(v_kinds || ARRAY['login', 'card']) k
			 ORDER BY k);
	ALTER TABLE portal.notices DROP CONSTRAINT notices_kind_check;
	EXECUTE format('ALTER TABLE portal.notices ADD CONSTRAINT notices_kind_check'
		       ' CHECK (kind = ANY (%L::text[]))', v_kinds);
END
$$;
