-- Who an organisation is and what it knows a person by: the pairwise pseudonym of each
-- person for each organisation (kept in step as people and organisations are added), and
-- the organisation a client certificate's key belongs to.
SET LOCAL ROLE mado_owner;

-- HMAC-SHA-256 under the pseudonym key over "organisation:person", base64url without
-- padding. The key never leaves the database owner.
CREATE OR REPLACE FUNCTION portal.pseudonym_of(p_org text, p_person uuid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT rtrim(translate(encode(portal.hmac(convert_to(p_org || ':' || p_person::text,
						'UTF8'), k.key, 'sha256'), 'base64'),
			       '+/', '-_'), '=')
	FROM portal.pseudonym_key k
$$;
REVOKE EXECUTE ON FUNCTION portal.pseudonym_of(text, uuid) FROM PUBLIC;

-- Trigger functions (triggers people_pseudonyms and organisations_pseudonyms): a new
-- person gets a pseudonym for every organisation, a new organisation one for every person.
CREATE OR REPLACE FUNCTION portal.pseudonyms_for_person() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO portal.pseudonyms (org_code, pseudonym, person_id)
	SELECT o.code, portal.pseudonym_of(o.code, NEW.id), NEW.id FROM portal.organisations o
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.pseudonyms_for_person() FROM PUBLIC;

CREATE OR REPLACE FUNCTION portal.pseudonyms_for_org() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO portal.pseudonyms (org_code, pseudonym, person_id)
	SELECT NEW.code, portal.pseudonym_of(NEW.code, p.id), p.id FROM portal.people p
	ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.pseudonyms_for_org() FROM PUBLIC;

/*
 * The person a transaction acts for. The server sets mado.person_id (transaction-local)
 * before every statement about a person's own data; a definer function told which person
 * it acts for checks that it is this one, so the application role cannot act for someone
 * else just by naming them. Refuses (insufficient_privilege) otherwise.
 */
CREATE OR REPLACE FUNCTION portal.require_person(p_person uuid) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_person IS NULL
	   OR p_person IS DISTINCT FROM nullif(current_setting('mado.person_id', true), '')::uuid THEN
		RAISE EXCEPTION 'this transaction does not act for that person'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.require_person(uuid) FROM PUBLIC;

-- The organisation a client certificate key belongs to (for the gateway's door).
CREATE OR REPLACE FUNCTION portal.org_by_key(p_key_hash text)
RETURNS TABLE (code text, kind text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT o.code, o.kind FROM portal.org_certs c JOIN portal.organisations o ON o.code = c.org_code
	WHERE c.key_hash = p_key_hash AND c.revoked_at IS NULL
$$;
REVOKE EXECUTE ON FUNCTION portal.org_by_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.org_by_key(text) TO mado_app;

-- Trigger function (trigger org_certs_keep_revoked, migration 0009): a revoked
-- organisation certificate stays revoked; adding it again fails instead of reviving it.
CREATE OR REPLACE FUNCTION portal.org_cert_keep_revoked() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
		RAISE EXCEPTION 'organisation certificate % is revoked', OLD.key_hash
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.org_cert_keep_revoked() FROM PUBLIC;

/*
 * A notice in the person's list about their own login or card (kind 'login': `what` is
 * the login method; kind 'card': 'first-card' or 'renewal'). Only for the person the
 * transaction acts for.
 */
CREATE OR REPLACE FUNCTION portal.auth_notice(p_person uuid, p_kind text, p_what text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.require_person(p_person);
	IF p_kind NOT IN ('login', 'card') THEN
		RAISE EXCEPTION 'not a notice of login or card: %', p_kind
			USING ERRCODE = 'check_violation';
	END IF;
	INSERT INTO portal.notices (person_id, kind, title) VALUES (p_person, p_kind, p_what);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.auth_notice(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.auth_notice(uuid, text, text) TO mado_app;

/*
 * The person ends one of their own sessions by its handle (the person the transaction acts
 * for, and only their sessions: another person's handle is not found). A logout goes into
 * their history. Returns the ended session's method, or no row.
 */
CREATE OR REPLACE FUNCTION portal.end_own_session(p_person uuid, p_handle uuid)
RETURNS TABLE (method text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_method text;
BEGIN
	PERFORM portal.require_person(p_person);
	DELETE FROM portal.sessions s WHERE s.person_id = p_person AND s.handle = p_handle
	RETURNING coalesce(s.method, 'session') INTO v_method;
	IF v_method IS NULL THEN
		RETURN;
	END IF;
	INSERT INTO portal.login_events (person_id, method, event, reason)
	VALUES (p_person, v_method, 'logout', 'ended-by-person');
	RETURN QUERY SELECT v_method;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.end_own_session(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.end_own_session(uuid, uuid) TO mado_app;

/*
 * What a helper's session (channel desk or proxy) may do now, and who the helper is, as
 * the access log names them. No row once the visit or the mandate no longer holds: the
 * session may then do nothing. Each kind of helper adds its branch here; a session of
 * any other channel has none.
 */
CREATE OR REPLACE FUNCTION portal.session_helper(p_session bytea)
RETURNS TABLE (acts text[], org_code text, officer text, officer_role text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	-- plpgsql: the branches live in files applied after this one (desk.sql, proxy.sql),
	-- checked when first called.
	RETURN QUERY SELECT * FROM portal.desk_session_helper(p_session)
		UNION ALL SELECT * FROM portal.proxy_session_helper(p_session);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.session_helper(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.session_helper(bytea) TO mado_app;

/*
 * Records one request of a helper's session in the person's log before it is served:
 * the helper's organisation and officer, channel desk or proxy, the themes it used as the
 * items. Returns the record's row, or NULL (nothing written) when the session is not a
 * helper's of this person or may not use these themes now: the request is then refused.
 */
CREATE OR REPLACE FUNCTION portal.record_helped(p_session bytea, p_person uuid, p_themes text[])
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_channel text;
	h record;
	v_used text[];
	v_row bigint;
BEGIN
	PERFORM portal.require_person(p_person);
	SELECT s.channel INTO v_channel FROM portal.sessions s
	WHERE s.id_hash = p_session AND s.person_id = p_person AND s.channel IN ('desk', 'proxy');
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	SELECT x.* INTO h FROM portal.session_helper(p_session) x;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	v_used := ARRAY(SELECT t FROM unnest(p_themes) t WHERE t = ANY (h.acts) ORDER BY t);
	IF cardinality(v_used) = 0 THEN
		RETURN NULL;
	END IF;
	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		gen_random_uuid(), p_person, now(), h.org_code, NULL,
		h.officer, h.officer_role, 'human', v_channel,
		CASE v_channel WHEN 'desk' THEN 'desk-visit' ELSE 'proxy-mandate' END,
		CASE v_channel WHEN 'desk' THEN 'desk-visit' ELSE 'proxy-mandate' END,
		NULL, v_used, NULL, 'served', NULL, NULL, NULL
	)::portal.access_record]) w;
	RETURN v_row;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.record_helped(bytea, uuid, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.record_helped(bytea, uuid, text[]) TO mado_app;

/*
 * A bounded batch of what ran out: pre-login sessions as soon as they expire (their
 * challenges with them), people's sessions an hour after, and failure counters a day
 * after. Each kind is found on its own index (sessions_prelogin_expires, sessions_expires),
 * oldest first. The plan is made once per connection, often while the tables are still
 * small, and then kept: planned without seq scans, it stays on the indexes as the tables
 * grow instead of reading every session on every challenge (the failure counters have no
 * such index and are read whole, as before). The cost that seq scans are given when off
 * would otherwise make it worth compiling (JIT): a second per call.
 */
CREATE OR REPLACE FUNCTION portal.auth_purge() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off SET jit = off AS $$
BEGIN
	DELETE FROM portal.sessions WHERE id_hash IN (SELECT x.id_hash FROM (
		(SELECT s.id_hash FROM portal.sessions s
		 WHERE s.person_id IS NULL AND s.expires_at < now()
		 ORDER BY s.expires_at LIMIT 64)
		UNION ALL
		(SELECT s.id_hash FROM portal.sessions s
		 WHERE s.expires_at < now() - interval '1 hour'
		 ORDER BY s.expires_at LIMIT 64)) x LIMIT 64);
	DELETE FROM portal.auth_failures WHERE (scope, key_hash) IN (SELECT f.scope, f.key_hash
		FROM portal.auth_failures f WHERE f.window_start < now() - interval '1 day' LIMIT 64);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.auth_purge() FROM PUBLIC;

/*
 * A browser's pre-login session and its challenge, in one call. p_csrf set: a new
 * pre-login session under p_key (p_shared: on a shared computer); NULL: the browser's own
 * session, whose pre-login session is marked shared or not (p_shared NULL: a person's
 * session, left as it is). p_nonce set: the session's challenge, replacing an earlier one.
 * Every call then clears a bounded batch of what ran out (portal.auth_purge), so
 * abandoned pre-login sessions cannot pile up.
 */
CREATE OR REPLACE FUNCTION portal.auth_prelogin(p_key bytea, p_csrf text, p_shared boolean,
	p_prelogin_s int, p_nonce text, p_challenge_s int)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_csrf IS NOT NULL THEN
		INSERT INTO portal.sessions (id_hash, csrf_token, expires_at, shared)
		VALUES (p_key, p_csrf, now() + make_interval(secs => p_prelogin_s), p_shared);
	ELSIF p_shared IS NOT NULL THEN
		UPDATE portal.sessions SET shared = p_shared
		WHERE id_hash = p_key AND person_id IS NULL;
	END IF;
	IF p_nonce IS NOT NULL THEN
		INSERT INTO portal.auth_challenges (session_hash, nonce, expires_at)
		VALUES (p_key, p_nonce, now() + make_interval(secs => p_challenge_s))
		ON CONFLICT (session_hash) DO UPDATE SET nonce = excluded.nonce,
			expires_at = excluded.expires_at;
	END IF;
	PERFORM portal.auth_purge();
END
$$;
REVOKE EXECUTE ON FUNCTION portal.auth_prelogin(bytea, text, boolean, int, text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.auth_prelogin(bytea, text, boolean, int, text, int) TO mado_app;

/*
 * A person's session opened at login, all in one transaction: the browser's pre-login
 * session p_prelogin is spent (a new id is issued at login), and a person's session it
 * still had (p_prior_person, of method p_prior_method) ends with a logout in that person's
 * history; the new session under p_key; when the card was used (p_card) and checked for
 * revocation (p_checked); the login in the person's history and its notice. The
 * transaction acts for the person logging in from here on.
 */
CREATE OR REPLACE FUNCTION portal.login_open(p_prelogin bytea, p_prior_person uuid,
	p_prior_method text, p_key bytea, p_person uuid, p_binding bigint, p_method text,
	p_csrf text, p_max_s int, p_shared boolean, p_net text, p_passkey bigint, p_card boolean,
	p_checked boolean)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF p_prelogin IS NOT NULL THEN
		DELETE FROM portal.sessions WHERE id_hash = p_prelogin;
		IF p_prior_person IS NOT NULL THEN
			PERFORM set_config('mado.person_id', p_prior_person::text, true);
			INSERT INTO portal.login_events (person_id, method, event, reason)
			VALUES (p_prior_person, coalesce(nullif(p_prior_method, ''), 'session'),
				'logout', NULL);
		END IF;
	END IF;
	INSERT INTO portal.sessions (id_hash, person_id, binding_id, method, csrf_token,
		expires_at, shared, client_net, passkey_id, card_at)
	VALUES (p_key, p_person, p_binding, p_method, p_csrf,
		now() + make_interval(secs => p_max_s), p_shared, nullif(p_net, ''), p_passkey,
		CASE WHEN p_card THEN now() END);
	IF p_checked OR p_card THEN
		UPDATE portal.card_bindings SET
			checked_at = CASE WHEN p_checked THEN now() ELSE checked_at END,
			last_used_at = CASE WHEN p_card THEN now() ELSE last_used_at END
		WHERE id = p_binding;
	END IF;
	PERFORM set_config('mado.person_id', p_person::text, true);
	INSERT INTO portal.login_events (person_id, method, event, reason)
	VALUES (p_person, p_method, 'login', NULL);
	-- A person holds at most 10 sessions of their own: the one used longest ago ends
	-- when another opens, with a logout in their history (a forgotten browser, or a
	-- stolen cookie kept alive, does not add up to a crowd).
	WITH old AS (
		DELETE FROM portal.sessions s
		WHERE s.id_hash IN (SELECT x.id_hash FROM portal.sessions x
				    WHERE x.person_id = p_person AND x.channel = 'self'
				    ORDER BY x.last_seen DESC, x.created_at DESC OFFSET 10)
		RETURNING s.method
	)
	INSERT INTO portal.login_events (person_id, method, event, reason)
	SELECT p_person, coalesce(o.method, 'session'), 'logout', 'session-limit' FROM old o;
	PERFORM portal.auth_notice(p_person, 'login', p_method);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.login_open(bytea, uuid, text, bytea, uuid, bigint, text, text,
	int, boolean, text, bigint, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.login_open(bytea, uuid, text, bytea, uuid, bigint, text, text,
	int, boolean, text, bigint, boolean, boolean) TO mado_app;

/*
 * A card login after its token's checks, in one call: the binding of the card (its
 * issuer's key and serial), and whether its key is bound to another person (asked only
 * when the checks passed, p_pass). When p_open and the login holds (checks passed, card
 * bound to one person, not revoked; the rule of auth__login_decision), the session is
 * opened as portal.login_open does and the card's failure counter p_card_key cleared:
 * logged_in says so. Otherwise nothing is written and the caller answers the failure.
 */
CREATE OR REPLACE FUNCTION portal.card_login(p_issuer_key text, p_serial text,
	p_key_hash text, p_pass boolean, p_open boolean, p_card_key text, p_prelogin bytea,
	p_prior_person uuid, p_prior_method text, p_key bytea, p_method text, p_csrf text,
	p_max_s int, p_shared boolean, p_net text, p_checked boolean)
RETURNS TABLE (o_id bigint, o_person uuid, o_revoked boolean, o_key_elsewhere boolean,
	o_logged_in boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_id bigint;
	v_person uuid;
	v_revoked boolean;
	v_elsewhere boolean := false;
BEGIN
	IF coalesce(p_issuer_key, '') = '' OR coalesce(p_serial, '') = '' THEN
		RETURN; -- no anchor signed it: no card of ours
	END IF;
	SELECT b.id, b.person_id, b.revoked_at IS NOT NULL INTO v_id, v_person, v_revoked
	FROM portal.card_bindings b WHERE b.issuer_key = p_issuer_key AND b.serial = p_serial;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF p_pass THEN
		v_elsewhere := EXISTS (SELECT 1 FROM portal.card_bindings b
			WHERE b.key_hash = p_key_hash AND b.person_id <> v_person);
	END IF;
	IF p_open AND p_pass AND NOT v_elsewhere AND NOT v_revoked THEN
		PERFORM portal.login_open(p_prelogin, p_prior_person, p_prior_method, p_key,
			v_person, v_id, p_method, p_csrf, p_max_s, p_shared, p_net, NULL, true,
			p_checked);
		DELETE FROM portal.auth_failures WHERE scope = 'card' AND key_hash = p_card_key;
		RETURN QUERY SELECT v_id, v_person, v_revoked, v_elsewhere, true;
		RETURN;
	END IF;
	RETURN QUERY SELECT v_id, v_person, v_revoked, v_elsewhere, false;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.card_login(text, text, text, boolean, boolean, text, bytea,
	uuid, text, bytea, text, text, int, boolean, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.card_login(text, text, text, boolean, boolean, text, bytea,
	uuid, text, bytea, text, text, int, boolean, text, boolean) TO mado_app;

/*
 * The operator ends sessions (mado end-sessions, as the schema owner): those of p_person,
 * or with NULL everyone's, staff terminals' too (each as a staff logout, which closes its
 * visits). A person's session that ends is a logout p_reason in their history
 * ('ended-by-operator', or 'account-disabled' from portal.account_disable). Returns how
 * many sessions ended.
 */
DROP FUNCTION IF EXISTS portal.sessions_end_by_operator(uuid);
CREATE OR REPLACE FUNCTION portal.sessions_end_by_operator(p_person uuid,
	p_reason text DEFAULT 'ended-by-operator') RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	r record;
	v_n integer := 0;
BEGIN
	IF p_person IS NULL THEN
		FOR r IN SELECT x.id_hash FROM portal.staff_sessions x LOOP
			PERFORM portal.staff_logout(r.id_hash);
			v_n := v_n + 1;
		END LOOP;
	END IF;
	FOR r IN
		DELETE FROM portal.sessions s
		WHERE s.person_id IS NOT NULL AND (p_person IS NULL OR s.person_id = p_person)
		RETURNING s.person_id, coalesce(s.method, 'session') AS method
	LOOP
		-- The history is the person's own (row-level security): one person at a time.
		PERFORM set_config('mado.person_id', r.person_id::text, true);
		INSERT INTO portal.login_events (person_id, method, event, reason)
		VALUES (r.person_id, r.method, 'logout', p_reason);
		v_n := v_n + 1;
	END LOOP;
	PERFORM set_config('mado.person_id', '', true);
	RETURN v_n;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.sessions_end_by_operator(uuid, text) FROM PUBLIC;

/*
 * The operator disables a person's account (mado account --disable, as the schema
 * owner): no session opens and no passkey is added for them while the hold is on
 * (portal.refuse_held_account, migrations 0028 and 0029), and every open session, their
 * own and helpers' acting for them, ends now as a logout 'account-disabled'. Their
 * history has the event with its reason. Returns the sessions ended, or -1 when the
 * account was already disabled (then nothing changes).
 */
CREATE OR REPLACE FUNCTION portal.account_disable(p_person uuid, p_reason text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO portal.account_holds (person_id, reason) VALUES (p_person, p_reason)
	ON CONFLICT (person_id) DO NOTHING;
	IF NOT FOUND THEN
		RETURN -1;
	END IF;
	PERFORM set_config('mado.person_id', p_person::text, true);
	INSERT INTO portal.login_events (person_id, method, event, reason)
	VALUES (p_person, 'operator', 'disabled', p_reason);
	RETURN portal.sessions_end_by_operator(p_person, 'account-disabled');
END
$$;
REVOKE EXECUTE ON FUNCTION portal.account_disable(uuid, text) FROM PUBLIC;

/* The operator lifts the hold (mado account --enable): false when there was none. */
CREATE OR REPLACE FUNCTION portal.account_enable(p_person uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	DELETE FROM portal.account_holds h WHERE h.person_id = p_person;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM set_config('mado.person_id', p_person::text, true);
	INSERT INTO portal.login_events (person_id, method, event, reason)
	VALUES (p_person, 'operator', 'enabled', NULL);
	PERFORM set_config('mado.person_id', '', true);
	RETURN true;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.account_enable(uuid) FROM PUBLIC;
