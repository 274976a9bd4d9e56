-- Support desks: staff bound to a desk organisation, their sessions at the terminal, and
-- visits. Every decision is here: who is staff, which visit a terminal may use, when a
-- visit ends, and what a visit's session may do (portal.desk_session_helper, which
-- portal.session_helper asks on every request of a session of channel desk).
SET LOCAL ROLE mado_owner;

-- The kind of organisation a staff role belongs to: a desk's clerk or desk-lead, the
-- supervisor's supervisor.
CREATE OR REPLACE FUNCTION portal.staff_role_kind(p_role text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT CASE p_role WHEN 'clerk' THEN 'desk' WHEN 'desk-lead' THEN 'desk'
			   WHEN 'supervisor' THEN 'supervisor' END
$$;
REVOKE EXECUTE ON FUNCTION portal.staff_role_kind(text) FROM PUBLIC;

-- The operator binds a staff certificate's key to an organisation and a role (mado
-- staff-bind): a desk's clerk or desk-lead, or the supervisor's staff (role supervisor,
-- organisation of kind supervisor). Returns the staff member's pseudonymous reference, the
-- name the access log knows them by. A key bound before keeps its reference and takes the
-- new role; a revoked one stays revoked.
CREATE OR REPLACE FUNCTION portal.staff_bind(p_key_hash text, p_org text, p_role text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_kind text;
	v_ref text;
BEGIN
	SELECT o.kind INTO v_kind FROM portal.organisations o WHERE o.code = p_org;
	IF v_kind IS NULL OR v_kind IS DISTINCT FROM portal.staff_role_kind(p_role) THEN
		RAISE EXCEPTION 'no % organisation %', coalesce(portal.staff_role_kind(p_role), 'staff'),
			p_org USING ERRCODE = 'foreign_key_violation';
	END IF;
	IF EXISTS (SELECT 1 FROM portal.staff s WHERE s.key_hash = p_key_hash
		   AND (s.revoked_at IS NOT NULL OR s.org_code <> p_org)) THEN
		RAISE EXCEPTION 'this key is revoked or belongs to another organisation'
			USING ERRCODE = 'unique_violation';
	END IF;
	INSERT INTO portal.staff (ref, key_hash, org_code, role)
	VALUES ('S-' || left(replace(gen_random_uuid()::text, '-', ''), 12), p_key_hash, p_org,
		p_role)
	ON CONFLICT (key_hash) DO UPDATE SET role = EXCLUDED.role
	RETURNING ref INTO v_ref;
	RETURN v_ref;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.staff_bind(text, text, text) FROM PUBLIC;

-- A staff login: the certificate (checked by the server against the organisation CAs and
-- their revocation) names a key; a bound, unrevoked key opens a staff session, which
-- keeps the certificate (p_cert, DER) to re-check its revocation. No row: no staff member
-- has this key.
DROP FUNCTION IF EXISTS portal.staff_login(text, bytea, text, integer); -- kept no certificate
CREATE OR REPLACE FUNCTION portal.staff_login(p_key_hash text, p_session bytea, p_csrf text,
					      p_max_s integer, p_cert bytea)
RETURNS TABLE (ref text, org_code text, role text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	st portal.staff;
BEGIN
	SELECT s.* INTO st FROM portal.staff s
	JOIN portal.organisations o ON o.code = s.org_code AND o.kind = portal.staff_role_kind(s.role)
	WHERE s.key_hash = p_key_hash AND s.revoked_at IS NULL;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	DELETE FROM portal.staff_sessions x WHERE x.expires_at < now() - interval '1 hour';
	INSERT INTO portal.staff_sessions (id_hash, staff_id, csrf_token, expires_at, cert)
	VALUES (p_session, st.id, p_csrf, now() + make_interval(secs => p_max_s), p_cert);
	RETURN QUERY SELECT st.ref, st.org_code, st.role;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.staff_login(text, bytea, text, integer, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.staff_login(text, bytea, text, integer, bytea) TO mado_app;

-- The staff member of a staff session, and whether its certificate is due to be checked
-- for revocation again (last checked p_recheck_s or more ago). No row: no such session,
-- or its staff member's key was revoked.
DROP FUNCTION IF EXISTS portal.staff_session_of(bytea); -- said nothing of revocation
CREATE OR REPLACE FUNCTION portal.staff_session_of(p_session bytea, p_recheck_s integer)
RETURNS TABLE (ref text, org_code text, role text, csrf text, expired boolean,
	       recheck_due boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT s.ref, s.org_code, s.role, x.csrf_token, x.expires_at <= now(),
	       x.checked_at <= now() - make_interval(secs => p_recheck_s)
	FROM portal.staff_sessions x JOIN portal.staff s ON s.id = x.staff_id
	WHERE x.id_hash = p_session AND s.revoked_at IS NULL
$$;
REVOKE EXECUTE ON FUNCTION portal.staff_session_of(bytea, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.staff_session_of(bytea, integer) TO mado_app;

-- The certificate a staff session logged in with, for its revocation check.
CREATE OR REPLACE FUNCTION portal.staff_session_cert(p_session bytea) RETURNS bytea
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT x.cert FROM portal.staff_sessions x WHERE x.id_hash = p_session
$$;
REVOKE EXECUTE ON FUNCTION portal.staff_session_cert(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.staff_session_cert(bytea) TO mado_app;

-- What the revocation check found: good (the session goes on until the next check), or
-- revoked at the CA, which ends the staff member as the operator's revocation does
-- (portal.staff_revoke: every session of theirs and their terminals' visits).
CREATE OR REPLACE FUNCTION portal.staff_session_checked(p_session bytea, p_revoked boolean)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_key text;
BEGIN
	IF NOT p_revoked THEN
		UPDATE portal.staff_sessions x SET checked_at = now() WHERE x.id_hash = p_session;
		RETURN;
	END IF;
	SELECT s.key_hash INTO v_key FROM portal.staff_sessions x
	JOIN portal.staff s ON s.id = x.staff_id WHERE x.id_hash = p_session;
	IF FOUND THEN
		PERFORM portal.staff_revoke(v_key);
	END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.staff_session_checked(bytea, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.staff_session_checked(bytea, boolean) TO mado_app;

-- Ends the terminal's open visits (and the residents' sessions in them) for p_reason.
CREATE OR REPLACE FUNCTION portal.desk_visits_close(p_terminal bytea, p_visit uuid, p_reason text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_n integer;
BEGIN
	WITH v AS (
		UPDATE portal.desk_visits d SET ended_at = now(), end_reason = p_reason, nonce = NULL
		WHERE d.terminal = p_terminal AND d.ended_at IS NULL
		  AND (p_visit IS NULL OR d.id = p_visit)
		RETURNING d.id
	), s AS (
		DELETE FROM portal.sessions x USING v WHERE x.desk_visit = v.id RETURNING 1
	)
	SELECT count(*) INTO v_n FROM v;
	RETURN v_n;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.desk_visits_close(bytea, uuid, text) FROM PUBLIC;

-- A staff logout: the terminal's visits end with it.
CREATE OR REPLACE FUNCTION portal.staff_logout(p_session bytea) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.desk_visits_close(p_session, NULL, 'staff-logout');
	DELETE FROM portal.staff_sessions x WHERE x.id_hash = p_session;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.staff_logout(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.staff_logout(bytea) TO mado_app;

-- A new visit at the terminal (a staff session): whatever visit the terminal had ends
-- first, so that nothing of the last resident carries over. The resident's card signs
-- p_nonce to take the visit up, within p_max_s; the visit then lasts p_max_s from the
-- card. Returns the visit and when the card must come by.
CREATE OR REPLACE FUNCTION portal.desk_visit_start(p_terminal bytea, p_nonce text,
						   p_max_s integer)
RETURNS TABLE (visit uuid, ends_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_staff uuid;
BEGIN
	SELECT x.staff_id INTO v_staff FROM portal.staff_sessions x
	JOIN portal.staff s ON s.id = x.staff_id
	WHERE x.id_hash = p_terminal AND x.expires_at > now() AND s.revoked_at IS NULL
	  AND s.role IN ('clerk', 'desk-lead');
	IF NOT FOUND THEN
		RETURN;
	END IF;
	PERFORM portal.desk_visits_close(p_terminal, NULL, 'new-visit');
	RETURN QUERY INSERT INTO portal.desk_visits AS d (staff_id, terminal, nonce, nonce_expires,
							  ends_at)
	VALUES (v_staff, p_terminal, p_nonce, now() + interval '5 minutes',
		now() + make_interval(secs => p_max_s))
	RETURNING d.id, d.ends_at;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.desk_visit_start(bytea, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.desk_visit_start(bytea, text, integer) TO mado_app;

-- Takes the visit's challenge (once). state: 'ready' with the nonce; 'expired' (the
-- challenge ran out); 'ended' (not this terminal's open visit, or past its time);
-- 'has-card' (a card already took the visit up: a second card never continues it, so the
-- visit ends here and the terminal must start a new one).
CREATE OR REPLACE FUNCTION portal.desk_visit_nonce(p_terminal bytea, p_visit uuid)
RETURNS TABLE (state text, nonce text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	d portal.desk_visits;
	v_state text;
BEGIN
	SELECT v.* INTO d FROM portal.desk_visits v
	WHERE v.id = p_visit AND v.terminal = p_terminal AND v.ended_at IS NULL
	FOR UPDATE;
	IF NOT FOUND OR d.ends_at <= now() THEN
		v_state := 'ended';
	ELSIF d.person_id IS NOT NULL THEN
		PERFORM portal.desk_visits_close(p_terminal, p_visit, 'new-card');
		v_state := 'has-card';
	ELSE
		UPDATE portal.desk_visits v SET nonce = NULL WHERE v.id = p_visit;
		v_state := CASE WHEN d.nonce IS NULL OR d.nonce_expires <= now() THEN 'expired'
			   ELSE 'ready' END;
	END IF;
	state := v_state;
	nonce := CASE WHEN v_state = 'ready' THEN d.nonce END;
	RETURN NEXT;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.desk_visit_nonce(bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.desk_visit_nonce(bytea, uuid) TO mado_app;

-- The resident's card (checked by the server, its binding found) takes the visit up: a
-- session of channel desk for the resident, tied to the visit, ending when it ends.
-- Returns the seconds left, or NULL when the visit is no longer open or already has a
-- resident.
CREATE OR REPLACE FUNCTION portal.desk_visit_card(p_terminal bytea, p_visit uuid, p_person uuid,
						  p_binding bigint, p_session bytea, p_csrf text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_ends timestamptz;
BEGIN
	-- The visit's time runs from the card: as long as it was given at the start.
	UPDATE portal.desk_visits v SET person_id = p_person, card_at = now(),
		ends_at = now() + (v.ends_at - v.started_at)
	WHERE v.id = p_visit AND v.terminal = p_terminal AND v.ended_at IS NULL
	  AND v.person_id IS NULL AND v.ends_at > now()
	  AND EXISTS (SELECT 1 FROM portal.card_bindings b WHERE b.id = p_binding
		      AND b.person_id = p_person AND b.revoked_at IS NULL)
	RETURNING v.ends_at INTO v_ends;
	IF v_ends IS NULL THEN
		RETURN NULL;
	END IF;
	INSERT INTO portal.sessions (id_hash, person_id, binding_id, channel, method, csrf_token,
				     expires_at, shared, desk_visit)
	VALUES (p_session, p_person, p_binding, 'desk', 'webeid', p_csrf, v_ends, true, p_visit);
	UPDATE portal.card_bindings b SET last_used_at = now() WHERE b.id = p_binding;
	RETURN greatest(1, ceil(extract(epoch FROM v_ends - now())))::integer;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.desk_visit_card(bytea, uuid, uuid, bigint, bytea, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.desk_visit_card(bytea, uuid, uuid, bigint, bytea, text)
	TO mado_app;

-- "End customer": the visit ends, and the resident's session with it. False when the
-- terminal has no such open visit.
CREATE OR REPLACE FUNCTION portal.desk_visit_end(p_terminal bytea, p_visit uuid)
RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT portal.desk_visits_close(p_terminal, p_visit, 'end-customer') > 0
$$;
REVOKE EXECUTE ON FUNCTION portal.desk_visit_end(bytea, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.desk_visit_end(bytea, uuid) TO mado_app;

/*
 * What a session of channel desk may do now: every theme of a visit (the safety flag only
 * for a desk-lead), as long as the visit is open and within its time, its staff member's
 * key is not revoked and the session is the visit's resident's. No row otherwise: the
 * session can then do nothing. The helper is named by the desk organisation and the
 * staff member's pseudonymous reference and role.
 */
CREATE OR REPLACE FUNCTION portal.desk_session_helper(p_session bytea)
RETURNS TABLE (acts text[], org_code text, officer text, officer_role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT ARRAY['access-log', 'my-information', 'notices', 'withdraw-consents', 'disputes',
		     'end-mandates', 'session']
	       || CASE WHEN st.role = 'desk-lead' THEN ARRAY['safety-flag'] ELSE '{}'::text[] END,
	       st.org_code, st.ref, st.role
	FROM portal.sessions s
	JOIN portal.desk_visits v ON v.id = s.desk_visit
	JOIN portal.staff st ON st.id = v.staff_id
	WHERE s.id_hash = p_session AND s.channel = 'desk' AND v.person_id = s.person_id
	  AND v.ended_at IS NULL AND v.ends_at > now() AND st.revoked_at IS NULL
$$;
REVOKE EXECUTE ON FUNCTION portal.desk_session_helper(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.desk_session_helper(bytea) TO mado_app;

/*
 * The person's desk visits, newest first (p_session NULL), or the visit of the desk
 * session p_session alone (the receipt): where, which clerk (pseudonymous), when, how it
 * ended, and what was done: the themes used, from the person's access log, and how many
 * requests. Only for the person the transaction acts for.
 */
CREATE OR REPLACE FUNCTION portal.desk_visits_of(p_person uuid, p_session bytea)
RETURNS TABLE (id uuid, started_at timestamptz, ended_at timestamptz, ends_at timestamptz,
	       end_reason text, org_code text, org_ja text, org_en text, clerk text, role text,
	       themes text[], requests bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c_themes CONSTANT text[] := ARRAY['access-log', 'my-information', 'notices',
		'withdraw-consents', 'disputes', 'end-mandates', 'safety-flag', 'session'];
BEGIN
	PERFORM portal.require_person(p_person);
	-- Visits past their time ended then, whether or not anyone came back to end them.
	UPDATE portal.desk_visits v SET ended_at = v.ends_at, end_reason = 'time-limit',
		nonce = NULL
	WHERE v.person_id = p_person AND v.ended_at IS NULL AND v.ends_at <= now();
	RETURN QUERY
	SELECT v.id, v.card_at, v.ended_at, v.ends_at, v.end_reason,
	       st.org_code, o.name_ja, o.name_en, st.ref, st.role,
	       coalesce((SELECT array_agg(DISTINCT t ORDER BY t)
			 FROM portal.access_events e, unnest(e.items) t
			 WHERE t = ANY (c_themes) AND e.person_id = p_person AND e.channel = 'desk'
			   AND e.officer = st.ref AND e.org_code = st.org_code
			   AND e.occurred_at >= v.card_at
			   AND e.occurred_at <= coalesce(v.ended_at, v.ends_at)), '{}'),
	       (SELECT count(*) FROM portal.access_events e
		WHERE e.items && c_themes AND e.person_id = p_person AND e.channel = 'desk'
		  AND e.officer = st.ref AND e.org_code = st.org_code
		  AND e.occurred_at >= v.card_at
		  AND e.occurred_at <= coalesce(v.ended_at, v.ends_at))
	FROM portal.desk_visits v
	JOIN portal.staff st ON st.id = v.staff_id
	JOIN portal.organisations o ON o.code = st.org_code
	WHERE v.person_id = p_person
	  AND (p_session IS NULL OR v.id = (SELECT s.desk_visit FROM portal.sessions s
					    WHERE s.id_hash = p_session
					      AND s.person_id = p_person))
	ORDER BY v.card_at DESC
	LIMIT 100;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.desk_visits_of(uuid, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.desk_visits_of(uuid, bytea) TO mado_app;

-- The operator revokes a staff member's key (mado staff-bind --revoke): at once, their
-- sessions end and so do the visits of their terminals. Returns the staff member's
-- reference, or NULL when no staff member has the key. A revoked key stays revoked.
CREATE OR REPLACE FUNCTION portal.staff_revoke(p_key_hash text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_id uuid;
	v_ref text;
	v_terminal bytea;
BEGIN
	UPDATE portal.staff s SET revoked_at = coalesce(s.revoked_at, now())
	WHERE s.key_hash = p_key_hash RETURNING s.id, s.ref INTO v_id, v_ref;
	IF v_id IS NULL THEN
		RETURN NULL;
	END IF;
	FOR v_terminal IN SELECT x.id_hash FROM portal.staff_sessions x WHERE x.staff_id = v_id LOOP
		PERFORM portal.staff_logout(v_terminal);
	END LOOP;
	RETURN v_ref;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.staff_revoke(text) FROM PUBLIC;
