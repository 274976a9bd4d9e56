-- Proxy mandates: who may give, accept, use and end a mandate, what an acting-for session
-- may do on each request, the safety flag, the reminder before the term and the
-- supervisor's report. Every decision is here; the server passes what the request says.
SET LOCAL ROLE mado_owner;

/*
 * Where a mandate stands now: 'pending' (offered, its code still good), 'active', or why
 * it no longer holds: 'revoked' / 'revoked-at-desk' (by the principal), 'safety-flag',
 * 'card-revoked' (a card of the principal revoked since the mandate was given), 'term',
 * 'code-expired' (never accepted). Revocation, the flag and the term are read on every
 * call: a mandate ends at the very next request, whether or not anything wrote ended_at.
 */
CREATE OR REPLACE FUNCTION portal.mandate_state(m portal.mandates) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT CASE
		WHEN m.ended_at IS NOT NULL THEN m.end_reason
		WHEN EXISTS (SELECT 1 FROM portal.safety_flags f WHERE f.person_id = m.principal_id)
			THEN 'safety-flag'
		WHEN EXISTS (SELECT 1 FROM portal.card_bindings b WHERE b.person_id = m.principal_id
			     AND b.revoked_at IS NOT NULL AND b.revoked_at >= m.created_at)
			THEN 'card-revoked'
		WHEN m.ends_at <= now() THEN 'term'
		WHEN m.accepted_at IS NULL AND m.code_expires_at <= now() THEN 'code-expired'
		WHEN m.accepted_at IS NULL THEN 'pending'
		ELSE 'active'
	END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_state(portal.mandates) FROM PUBLIC;

/*
 * The proxy's branch of portal.session_helper: an acting-for session (channel proxy) may
 * use its mandate's themes (and end itself) while the mandate is active and the session's
 * card is the proxy's own, not revoked. The log names the helper as officer
 * "proxy:<mandate>" of the portal itself (role proxy): with the person whose log it is,
 * both identities. No row otherwise: the session may do nothing.
 */
CREATE OR REPLACE FUNCTION portal.proxy_session_helper(p_session bytea)
RETURNS TABLE (acts text[], org_code text, officer text, officer_role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT m.themes || ARRAY['session']::text[], 'proxies'::text, 'proxy:' || m.id::text,
	       'proxy'::text
	FROM portal.proxy_sessions ps
	JOIN portal.sessions s ON s.id_hash = ps.session_hash
	JOIN portal.mandates m ON m.id = ps.mandate_id
	JOIN portal.card_bindings b ON b.id = s.binding_id
	WHERE ps.session_hash = p_session AND s.channel = 'proxy'
	  AND s.person_id = m.principal_id AND b.person_id = m.proxy_id AND b.revoked_at IS NULL
	  AND portal.mandate_state(m) = 'active'
$$;
REVOKE EXECUTE ON FUNCTION portal.proxy_session_helper(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.proxy_session_helper(bytea) TO mado_app;

-- A notice about a mandate in a person's list (kind proxy; title: what happened; body:
-- the name that person gave the other side).
CREATE OR REPLACE FUNCTION portal.mandate_notice(p_person uuid, p_what text, p_label text)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	INSERT INTO portal.notices (person_id, kind, title, body)
	VALUES (p_person, 'proxy', p_what, p_label)
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_notice(uuid, text, text) FROM PUBLIC;

/*
 * The reminder a month before the term, to both sides, once per mandate: the mandate is
 * not renewed by itself; a new one needs a new offer and acceptance. Sent on the server's
 * schedule (mandates_remind_due) and, so that nobody who looks misses one, whenever
 * either side looks at their mandates or the proxy starts acting. p_person: that
 * person's mandates; NULL: every mandate. The number of mandates reminded of.
 */
DROP FUNCTION IF EXISTS portal.mandates_remind(uuid); -- it returned nothing once
CREATE OR REPLACE FUNCTION portal.mandates_remind(p_person uuid) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	m portal.mandates;
	n integer := 0;
BEGIN
	-- FOR UPDATE: of two servers sending at once, the second sees reminded_at set.
	FOR m IN SELECT * FROM portal.mandates x
		 WHERE (p_person IS NULL OR x.principal_id = p_person OR x.proxy_id = p_person)
		   AND x.reminded_at IS NULL AND x.ended_at IS NULL AND x.accepted_at IS NOT NULL
		   AND x.ends_at - interval '1 month' <= now() FOR UPDATE LOOP
		IF portal.mandate_state(m) <> 'active' THEN
			CONTINUE;
		END IF;
		PERFORM portal.mandate_notice(m.principal_id, 'ends-soon', m.label);
		PERFORM portal.mandate_notice(m.proxy_id, 'ends-soon', m.proxy_label);
		UPDATE portal.mandates SET reminded_at = now() WHERE id = m.id;
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandates_remind(uuid) FROM PUBLIC;

-- The server's schedule (mandate_remind_s): every reminder that is due.
CREATE OR REPLACE FUNCTION portal.mandates_remind_due() RETURNS integer
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT portal.mandates_remind(NULL)
$$;
REVOKE EXECUTE ON FUNCTION portal.mandates_remind_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandates_remind_due() TO mado_app;

/*
 * The principal offers a mandate: themes from the fixed list (the table's CHECK), a label
 * naming the proxy, a term ending on p_ends_on (Japan's calendar: after today, at most a
 * year ahead), and the hash of the one-time acceptance code, good for p_code_ttl_s.
 * Only in the person's own session (p_channel self), never under the safety flag.
 * reason: NULL (made), 'own-session-only', 'safety-flag', 'term', 'too-many'.
 */
CREATE OR REPLACE FUNCTION portal.mandate_offer(p_person uuid, p_channel text, p_themes text[],
						p_label text, p_ends_on date, p_code_hash bytea,
						p_code_ttl_s integer)
RETURNS TABLE (reason text, id uuid, ends_at timestamptz, code_expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_today date := (now() AT TIME ZONE 'Asia/Tokyo')::date;
	v_id uuid;
BEGIN
	PERFORM portal.require_person(p_person);
	IF p_channel IS DISTINCT FROM 'self' THEN
		RETURN QUERY SELECT 'own-session-only'::text, NULL::uuid, NULL::timestamptz,
				    NULL::timestamptz;
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM portal.safety_flags f WHERE f.person_id = p_person) THEN
		RETURN QUERY SELECT 'safety-flag'::text, NULL::uuid, NULL::timestamptz,
				    NULL::timestamptz;
		RETURN;
	END IF;
	IF p_ends_on IS NULL OR p_ends_on <= v_today OR p_ends_on > v_today + interval '1 year' THEN
		RETURN QUERY SELECT 'term'::text, NULL::uuid, NULL::timestamptz, NULL::timestamptz;
		RETURN;
	END IF;
	IF (SELECT count(*) FROM portal.mandates m WHERE m.principal_id = p_person
	    AND portal.mandate_state(m) IN ('pending', 'active')) >= 20 THEN
		RETURN QUERY SELECT 'too-many'::text, NULL::uuid, NULL::timestamptz,
				    NULL::timestamptz;
		RETURN;
	END IF;
	INSERT INTO portal.mandates (principal_id, themes, label, code_hash, code_expires_at,
				     ends_at)
	VALUES (p_person, ARRAY(SELECT DISTINCT t FROM unnest(p_themes) t ORDER BY t), p_label,
		p_code_hash, now() + make_interval(secs => p_code_ttl_s),
		least(((p_ends_on + 1)::timestamp AT TIME ZONE 'Asia/Tokyo'),
		      now() + interval '1 year 1 day'))
	RETURNING mandates.id INTO v_id;
	RETURN QUERY SELECT NULL::text, m.id, m.ends_at, m.code_expires_at
		     FROM portal.mandates m WHERE m.id = v_id;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_offer(uuid, text, text[], text, date, bytea, integer)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandate_offer(uuid, text, text[], text, date, bytea, integer)
	TO mado_app;

/*
 * The proxy accepts with the code, in their own session, naming the principal as they
 * will see them. The code works once. When the proxy now holds active mandates of more
 * than p_max people, every supervisor is told (by its pseudonym of the proxy).
 * reason: NULL (accepted), 'own-session-only', 'code-invalid', 'own-mandate'.
 */
CREATE OR REPLACE FUNCTION portal.mandate_accept(p_person uuid, p_channel text,
						 p_code_hash bytea, p_label text, p_max integer)
RETURNS TABLE (reason text, id uuid, themes text[], ends_at timestamptz, people integer,
	       reported boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	m portal.mandates;
	v_people integer;
	v_reported boolean := false;
BEGIN
	PERFORM portal.require_person(p_person);
	IF p_channel IS DISTINCT FROM 'self' THEN
		RETURN QUERY SELECT 'own-session-only'::text, NULL::uuid, NULL::text[],
				    NULL::timestamptz, NULL::integer, false;
		RETURN;
	END IF;
	SELECT * INTO m FROM portal.mandates x WHERE x.code_hash = p_code_hash FOR UPDATE;
	IF NOT FOUND OR portal.mandate_state(m) <> 'pending' THEN
		RETURN QUERY SELECT 'code-invalid'::text, NULL::uuid, NULL::text[],
				    NULL::timestamptz, NULL::integer, false;
		RETURN;
	END IF;
	IF m.principal_id = p_person THEN
		RETURN QUERY SELECT 'own-mandate'::text, NULL::uuid, NULL::text[],
				    NULL::timestamptz, NULL::integer, false;
		RETURN;
	END IF;
	UPDATE portal.mandates x SET proxy_id = p_person, proxy_label = p_label,
		accepted_at = now(), code_hash = NULL
	WHERE x.id = m.id;
	PERFORM portal.mandate_notice(m.principal_id, 'accepted', m.label);
	SELECT count(DISTINCT x.principal_id) INTO v_people FROM portal.mandates x
	WHERE x.proxy_id = p_person AND portal.mandate_state(x) = 'active';
	IF v_people > p_max THEN
		INSERT INTO portal.proxy_reports (supervisor, proxy, people, max_people)
		SELECT o.code, portal.pseudonym_of(o.code, p_person), v_people, p_max
		FROM portal.organisations o WHERE o.kind = 'supervisor';
		v_reported := true;
	END IF;
	RETURN QUERY SELECT NULL::text, m.id, m.themes, m.ends_at, v_people, v_reported;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_accept(uuid, text, bytea, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandate_accept(uuid, text, bytea, text, integer) TO mado_app;

/*
 * The principal ends a mandate (offered or accepted), alone and at any time: in their
 * own session or at a desk (the desk's session names channel desk), never in a proxy's.
 * The proxy is told. Returns the mandate's state before, or no row for no such mandate
 * of theirs.
 */
CREATE OR REPLACE FUNCTION portal.mandate_revoke(p_person uuid, p_channel text, p_id uuid)
RETURNS TABLE (state text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	m portal.mandates;
	v_state text;
BEGIN
	PERFORM portal.require_person(p_person);
	IF p_channel NOT IN ('self', 'desk') THEN
		RAISE EXCEPTION 'only the principal ends a mandate'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	SELECT * INTO m FROM portal.mandates x WHERE x.id = p_id AND x.principal_id = p_person
	FOR UPDATE;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	v_state := portal.mandate_state(m);
	IF v_state IN ('pending', 'active') THEN
		UPDATE portal.mandates x SET ended_at = now(), code_hash = NULL,
			end_reason = CASE p_channel WHEN 'desk' THEN 'revoked-at-desk' ELSE 'revoked' END
		WHERE x.id = m.id;
		IF m.proxy_id IS NOT NULL THEN
			PERFORM portal.mandate_notice(m.proxy_id, 'ended', m.proxy_label);
		END IF;
	END IF;
	RETURN QUERY SELECT v_state;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_revoke(uuid, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandate_revoke(uuid, text, uuid) TO mado_app;

/*
 * The safety flag: every mandate the person gave ends now and no new one can be given.
 * p_by says who set it ('self', or the desk and its officer). Returns the number of
 * mandates it ended; setting it again changes nothing.
 */
CREATE OR REPLACE FUNCTION portal.safety_flag_set(p_person uuid, p_by text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	m portal.mandates;
	v_ended integer := 0;
BEGIN
	PERFORM portal.require_person(p_person);
	INSERT INTO portal.safety_flags (person_id, set_by) VALUES (p_person, p_by)
	ON CONFLICT (person_id) DO NOTHING;
	FOR m IN SELECT * FROM portal.mandates x WHERE x.principal_id = p_person
		 AND x.ended_at IS NULL FOR UPDATE LOOP
		UPDATE portal.mandates x SET ended_at = now(), end_reason = 'safety-flag',
			code_hash = NULL
		WHERE x.id = m.id;
		IF m.proxy_id IS NOT NULL AND m.ends_at > now() THEN
			PERFORM portal.mandate_notice(m.proxy_id, 'ended', m.proxy_label);
		END IF;
		v_ended := v_ended + 1;
	END LOOP;
	RETURN v_ended;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.safety_flag_set(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.safety_flag_set(uuid, text) TO mado_app;

/*
 * The proxy starts acting for the principal: from their own session (p_own, channel
 * self), a new session of channel proxy (p_new, with its own CSRF token) of the principal
 * whose card binding is the proxy's, ending when the own session or the mandate would.
 * The principal is told once per acting-for session. reason: NULL (started),
 * 'own-session-only', 'not-active'.
 */
CREATE OR REPLACE FUNCTION portal.mandate_act(p_person uuid, p_channel text, p_own bytea,
					      p_id uuid, p_new bytea, p_csrf text)
RETURNS TABLE (reason text, label text, themes text[], ends_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	s portal.sessions;
	m portal.mandates;
BEGIN
	PERFORM portal.require_person(p_person);
	SELECT * INTO s FROM portal.sessions x WHERE x.id_hash = p_own AND x.person_id = p_person
	AND x.channel = 'self' AND x.expires_at > now();
	IF p_channel IS DISTINCT FROM 'self' OR NOT FOUND THEN
		RETURN QUERY SELECT 'own-session-only'::text, NULL::text, NULL::text[],
				    NULL::timestamptz;
		RETURN;
	END IF;
	PERFORM portal.mandates_remind(p_person);
	SELECT * INTO m FROM portal.mandates x WHERE x.id = p_id AND x.proxy_id = p_person;
	IF NOT FOUND OR portal.mandate_state(m) <> 'active' THEN
		RETURN QUERY SELECT 'not-active'::text, NULL::text, NULL::text[],
				    NULL::timestamptz;
		RETURN;
	END IF;
	INSERT INTO portal.sessions (id_hash, person_id, binding_id, channel, method, csrf_token,
				     expires_at, shared, client_net)
	VALUES (p_new, m.principal_id, s.binding_id, 'proxy', s.method, p_csrf,
		least(s.expires_at, m.ends_at), s.shared, s.client_net);
	INSERT INTO portal.proxy_sessions (session_hash, mandate_id) VALUES (p_new, m.id);
	PERFORM portal.mandate_notice(m.principal_id, 'acting', m.label);
	RETURN QUERY SELECT NULL::text, m.proxy_label, m.themes, m.ends_at;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_act(uuid, text, bytea, uuid, bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandate_act(uuid, text, bytea, uuid, bytea, text) TO mado_app;

-- The acting-for session's mandate as the proxy sees it (for the banner on every screen).
CREATE OR REPLACE FUNCTION portal.mandate_acting(p_person uuid, p_session bytea)
RETURNS TABLE (id uuid, label text, themes text[], ends_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.require_person(p_person);
	RETURN QUERY SELECT m.id, m.proxy_label, m.themes, m.ends_at
	FROM portal.proxy_sessions ps JOIN portal.mandates m ON m.id = ps.mandate_id
	WHERE ps.session_hash = p_session AND m.principal_id = p_person;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_acting(uuid, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandate_acting(uuid, bytea) TO mado_app;

-- Ends an acting-for session (the proxy going back to their own, or leaving).
CREATE OR REPLACE FUNCTION portal.mandate_act_end(p_session bytea) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	WITH d AS (DELETE FROM portal.sessions s USING portal.proxy_sessions ps
		   WHERE s.id_hash = p_session AND ps.session_hash = s.id_hash
		   AND s.channel = 'proxy' RETURNING 1)
	SELECT EXISTS (SELECT 1 FROM d)
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_act_end(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandate_act_end(bytea) TO mado_app;

/*
 * The person's mandates, given (role given: their label for the proxy) and received
 * (role received: their label for the principal), newest first, with where each stands.
 * Sends the reminders that are due first. Times as UTC RFC 3339 text.
 */
DROP FUNCTION IF EXISTS portal.mandates_mine(uuid); -- its columns were timestamptz once
CREATE OR REPLACE FUNCTION portal.mandates_mine(p_person uuid)
RETURNS TABLE (id uuid, role text, label text, themes text[], state text,
	       created_at text, accepted_at text, ends_at text, ended_at text,
	       code_expires_at text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	f CONSTANT text := 'YYYY-MM-DD"T"HH24:MI:SS"Z"';
BEGIN
	PERFORM portal.require_person(p_person);
	PERFORM portal.mandates_remind(p_person);
	RETURN QUERY
	SELECT m.id, CASE WHEN m.principal_id = p_person THEN 'given' ELSE 'received' END,
	       CASE WHEN m.principal_id = p_person THEN m.label ELSE m.proxy_label END,
	       m.themes, portal.mandate_state(m), to_char(m.created_at AT TIME ZONE 'UTC', f),
	       to_char(m.accepted_at AT TIME ZONE 'UTC', f),
	       to_char(m.ends_at AT TIME ZONE 'UTC', f),
	       to_char(m.ended_at AT TIME ZONE 'UTC', f),
	       to_char(m.code_expires_at AT TIME ZONE 'UTC', f)
	FROM portal.mandates m WHERE m.principal_id = p_person OR m.proxy_id = p_person
	ORDER BY m.created_at DESC, m.id LIMIT 200;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandates_mine(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandates_mine(uuid) TO mado_app;

-- Is the person's safety flag set?
CREATE OR REPLACE FUNCTION portal.safety_flag_of(p_person uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.require_person(p_person);
	RETURN EXISTS (SELECT 1 FROM portal.safety_flags f WHERE f.person_id = p_person);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.safety_flag_of(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.safety_flag_of(uuid) TO mado_app;

-- What the proxy did under one of the principal's mandates: the records of its
-- acting-for sessions in the principal's log, newest first.
CREATE OR REPLACE FUNCTION portal.mandate_actions(p_person uuid, p_id uuid)
RETURNS TABLE (row_id bigint, occurred_at timestamptz, items text[], outcome text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.require_person(p_person);
	RETURN QUERY SELECT e.id, e.occurred_at, e.items, e.outcome FROM portal.access_events e
	WHERE e.person_id = p_person AND e.channel = 'proxy' AND e.officer = 'proxy:' || p_id::text
	  AND EXISTS (SELECT 1 FROM portal.mandates m WHERE m.id = p_id
		      AND m.principal_id = p_person)
	ORDER BY e.occurred_at DESC, e.id DESC LIMIT 500;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.mandate_actions(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.mandate_actions(uuid, uuid) TO mado_app;

-- The supervisor's reports of proxies acting for more people than allowed.
CREATE OR REPLACE FUNCTION portal.proxy_reports_of(p_org text)
RETURNS TABLE (id bigint, proxy text, people integer, max_people integer,
	       reported_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT r.id, r.proxy, r.people, r.max_people, r.reported_at FROM portal.proxy_reports r
	JOIN portal.organisations o ON o.code = r.supervisor AND o.kind = 'supervisor'
	WHERE r.supervisor = p_org ORDER BY r.reported_at DESC, r.id DESC LIMIT 500
$$;
REVOKE EXECUTE ON FUNCTION portal.proxy_reports_of(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.proxy_reports_of(text) TO mado_app;
