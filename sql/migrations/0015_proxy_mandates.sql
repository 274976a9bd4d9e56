-- Proxy mandates (issue 12).
--
-- A person (the principal) gives another person (the proxy) a mandate by theme from a
-- fixed list, never a blanket power, for a term of at most one year. The proxy accepts it
-- with their own card, using a one-time code the principal passed on; only the code's
-- hash is kept. The proxy then acts for the principal in a session of channel proxy whose
-- card binding is the proxy's own (portal.proxy_sessions names its mandate); what such a
-- session may do is decided again on every request (portal.proxy_session_helper).
--
-- A mandate ends when the principal revokes it, when the principal's card is revoked,
-- when the principal sets the safety flag, and at its term. It is never renewed: a new
-- mandate is a new offer and a new acceptance.
--
-- A proxy acting for more people than proxy_max_people is reported to the supervisor
-- (portal.proxy_reports), naming the proxy by the supervisor's pseudonym only.
SET LOCAL ROLE mado_owner;

-- What a proxy does is recorded under this organisation (kind portal, like "mado" for the
-- person's own reads), so the person's log says plainly that it was their proxy.
INSERT INTO portal.organisations (code, kind, name_ja, name_en)
VALUES ('proxies', 'portal', '代理人（あなたが代理を頼んだ人）',
	'Your proxy (someone you gave a mandate)')
ON CONFLICT (code) DO NOTHING;

CREATE TABLE portal.mandates (
	id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	principal_id    uuid NOT NULL REFERENCES portal.people (id),
	proxy_id        uuid REFERENCES portal.people (id),
	themes          text[] NOT NULL CHECK (cardinality(themes) BETWEEN 1 AND 5
		AND themes <@ ARRAY['access-log', 'my-information', 'notices', 'withdraw-consents',
				    'disputes']::text[]),
	-- The principal's name for the proxy, and (once accepted) the proxy's for the
	-- principal: Mado knows no names, each side says whom they mean.
	label           text NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
	proxy_label     text CHECK (length(proxy_label) BETWEEN 1 AND 80),
	code_hash       bytea UNIQUE CHECK (length(code_hash) = 32),
	code_expires_at timestamptz NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	accepted_at     timestamptz,
	ends_at         timestamptz NOT NULL,
	ended_at        timestamptz,
	end_reason      text CHECK (end_reason IN ('revoked', 'revoked-at-desk', 'safety-flag')),
	reminded_at     timestamptz,
	CHECK (ends_at <= created_at + interval '1 year 1 day'),
	CHECK (proxy_id IS DISTINCT FROM principal_id),
	CHECK ((proxy_id IS NULL) = (accepted_at IS NULL)),
	CHECK ((proxy_id IS NULL) = (proxy_label IS NULL)),
	CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX mandates_principal ON portal.mandates (principal_id);
CREATE INDEX mandates_proxy ON portal.mandates (proxy_id);

-- The acting-for sessions: a session of channel proxy and the mandate it acts under.
CREATE TABLE portal.proxy_sessions (
	session_hash bytea PRIMARY KEY REFERENCES portal.sessions (id_hash) ON DELETE CASCADE,
	mandate_id   uuid NOT NULL REFERENCES portal.mandates (id),
	created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proxy_sessions_mandate ON portal.proxy_sessions (mandate_id);

-- The safety flag (for example under a protection order): set by the person in their own
-- session, or by a desk-lead on the person's word. While it is set every mandate the
-- person gave has ended and no new one can be given.
CREATE TABLE portal.safety_flags (
	person_id uuid PRIMARY KEY REFERENCES portal.people (id),
	set_at    timestamptz NOT NULL DEFAULT now(),
	set_by    text NOT NULL CHECK (set_by ~ '^[A-Za-z0-9._:-]{1,100}$')
);

-- What the supervisor is told: a proxy acting for more people than allowed.
CREATE TABLE portal.proxy_reports (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	supervisor  text NOT NULL REFERENCES portal.organisations (code),
	proxy       text NOT NULL, -- the supervisor's pseudonym of the proxy
	people      integer NOT NULL CHECK (people > 0),
	max_people  integer NOT NULL CHECK (max_people > 0),
	reported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proxy_reports_supervisor ON portal.proxy_reports (supervisor, reported_at);

-- No direct access for the application: everything goes through the functions of
-- sql/functions/proxy.sql.
REVOKE ALL ON portal.mandates, portal.proxy_sessions, portal.safety_flags, portal.proxy_reports
	FROM PUBLIC;

-- Notices about mandates (kind proxy: the title says what happened): the kinds already
-- allowed stay allowed, and this one joins them.
DO $$
DECLARE
	v_kinds text[];
BEGIN
	-- Each quoted literal of the constraint ('access' or '{access,card}') and its words.
	SELECT array_agg(DISTINCT w) INTO v_kinds
	FROM pg_constraint c,
	     regexp_matches(pg_get_constraintdef(c.oid), '''([^'']*)''', 'g') AS m,
	     regexp_split_to_table(m[1], '[{},]') AS w
	WHERE c.conrelid = 'portal.notices'::regclass AND c.conname = 'notices_kind_check'
	  AND w ~ '^[a-z][a-z0-9_-]*$';
	v_kinds := array(SELECT DISTINCT k FROM unnest(v_kinds || ARRAY['proxy']) k ORDER BY k);
	ALTER TABLE portal.notices DROP CONSTRAINT notices_kind_check;
	EXECUTE format('ALTER TABLE portal.notices ADD CONSTRAINT notices_kind_check'
		       ' CHECK (kind = ANY (%L::text[]))', v_kinds);
END
$$;
