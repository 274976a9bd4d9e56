-- The registers of legal bases, private-service registrations and organisation
-- certificates (migration "registers and seals"): proposals by the operator, decisions by
-- a supervisor staff member with another certificate, the versions they make, and the
-- tables the decisions read brought in line with the current version. And seals: whether
-- one holds now, the supervisor's confirmation, and the supervisor's overview.
SET LOCAL ROLE mado_owner;

-- Trigger function (migration): the tables the decisions read change only in an approval.
CREATE OR REPLACE FUNCTION portal.register_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF current_setting('mado.register_apply', true) IS DISTINCT FROM 'on' THEN
		RAISE EXCEPTION '% changes only through an approved register proposal', TG_TABLE_NAME
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.register_guard() FROM PUBLIC;

-- Trigger function (migration): sensitive items are never a private service's, whoever
-- writes the row.
CREATE OR REPLACE FUNCTION portal.rp_service_not_sensitive() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM portal.data_items d WHERE d.code = ANY (NEW.items) AND d.sensitive)
	THEN
		RAISE EXCEPTION 'a private service may not be registered for sensitive items'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.rp_service_not_sensitive() FROM PUBLIC;

-- Trigger function (migration): a decision's copies of the two keys are the real ones, so
-- that its CHECK (staff_key <> proposer_key) holds the two-person rule.
CREATE OR REPLACE FUNCTION portal.register_decision_check() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NEW.proposer_key IS DISTINCT FROM (SELECT p.proposer_key FROM portal.register_proposals p
					      WHERE p.id = NEW.proposal)
	   OR NOT EXISTS (SELECT 1 FROM portal.staff s WHERE s.id = NEW.staff_id
			  AND s.key_hash = NEW.staff_key AND s.ref = NEW.staff_ref) THEN
		RAISE EXCEPTION 'a decision names the proposal''s proposer and the staff member''s key'
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.register_decision_check() FROM PUBLIC;

-- A supervisor staff member by their pseudonymous reference: active, role supervisor, of
-- an organisation of kind supervisor. NULL id when not.
CREATE OR REPLACE FUNCTION portal.supervisor_staff(p_ref text)
RETURNS TABLE (id uuid, key_hash text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT s.id, s.key_hash FROM portal.staff s JOIN portal.organisations o ON o.code = s.org_code
	WHERE s.ref = p_ref AND s.revoked_at IS NULL AND s.role = 'supervisor'
	  AND o.kind = 'supervisor'
$$;
REVOKE EXECUTE ON FUNCTION portal.supervisor_staff(text) FROM PUBLIC;

-- Why a content cannot be registered (NULL when it can): the entry's key is made from it.
-- withdrawn ends a legal basis; revoked ends an organisation certificate.
CREATE OR REPLACE FUNCTION portal.register_check(p_kind text, p_content jsonb)
RETURNS TABLE (reason text, key text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c jsonb := p_content;
	v_org text := c->>'org';
	v_kind text;
	v_items text[];
BEGIN
	SELECT o.kind INTO v_kind FROM portal.organisations o WHERE o.code = v_org;
	IF p_kind = 'legal-basis' THEN
		IF v_kind IS NULL OR v_kind NOT IN ('agency', 'portal') THEN
			RETURN QUERY SELECT 'organisation'::text, NULL::text;
			RETURN;
		END IF;
		IF NOT EXISTS (SELECT 1 FROM portal.purposes p WHERE p.code = c->>'purpose') THEN
			RETURN QUERY SELECT 'purpose'::text, NULL::text;
			RETURN;
		END IF;
		IF jsonb_typeof(c->'items') IS DISTINCT FROM 'array'
		   OR coalesce(length(c->>'legal_ref'), 0) NOT BETWEEN 1 AND 200
		   OR jsonb_typeof(c->'sealable') IS DISTINCT FROM 'boolean'
		   OR jsonb_typeof(c->'law_ja') IS DISTINCT FROM 'string'
		   OR jsonb_typeof(c->'law_en') IS DISTINCT FROM 'string'
		   OR (c ? 'withdrawn' AND jsonb_typeof(c->'withdrawn') IS DISTINCT FROM 'boolean') THEN
			RETURN QUERY SELECT 'content'::text, NULL::text;
			RETURN;
		END IF;
		v_items := ARRAY(SELECT jsonb_array_elements_text(c->'items'));
		IF (cardinality(v_items) = 0 AND NOT coalesce((c->>'withdrawn')::boolean, false))
		   OR EXISTS (SELECT 1 FROM unnest(v_items) i
			      WHERE NOT EXISTS (SELECT 1 FROM portal.data_items d WHERE d.code = i)) THEN
			RETURN QUERY SELECT 'items'::text, NULL::text;
			RETURN;
		END IF;
		BEGIN
			PERFORM (c->>'valid_from')::date, (c->>'valid_until')::date;
		EXCEPTION WHEN others THEN
			RETURN QUERY SELECT 'content'::text, NULL::text;
			RETURN;
		END;
		RETURN QUERY SELECT NULL::text, v_org || '/' || (c->>'purpose') || '/' || (c->>'legal_ref');
	ELSIF p_kind = 'private-service' THEN
		IF v_org IS NULL OR v_org !~ '^[a-z][a-z0-9-]{1,39}$'
		   OR (v_kind IS NOT NULL AND v_kind <> 'private') THEN
			RETURN QUERY SELECT 'organisation'::text, NULL::text;
			RETURN;
		END IF;
		IF jsonb_typeof(c->'purposes') IS DISTINCT FROM 'array'
		   OR jsonb_typeof(c->'items') IS DISTINCT FROM 'array'
		   OR jsonb_typeof(c->'redirect_uris') IS DISTINCT FROM 'array'
		   OR jsonb_array_length(c->'redirect_uris') < 1
		   OR coalesce(length(c->>'name_ja'), 0) NOT BETWEEN 1 AND 200
		   OR coalesce(length(c->>'name_en'), 0) NOT BETWEEN 1 AND 200 THEN
			RETURN QUERY SELECT 'content'::text, NULL::text;
			RETURN;
		END IF;
		IF EXISTS (SELECT 1 FROM jsonb_array_elements_text(c->'purposes') p
			   WHERE NOT EXISTS (SELECT 1 FROM portal.purposes x WHERE x.code = p)) THEN
			RETURN QUERY SELECT 'purpose'::text, NULL::text;
			RETURN;
		END IF;
		IF EXISTS (SELECT 1 FROM jsonb_array_elements_text(c->'items') i
			   WHERE NOT EXISTS (SELECT 1 FROM portal.data_items d WHERE d.code = i)) THEN
			RETURN QUERY SELECT 'items'::text, NULL::text;
			RETURN;
		END IF;
		IF EXISTS (SELECT 1 FROM jsonb_array_elements_text(c->'items') i
			   JOIN portal.data_items d ON d.code = i WHERE d.sensitive) THEN
			RETURN QUERY SELECT 'sensitive-item'::text, NULL::text;
			RETURN;
		END IF;
		RETURN QUERY SELECT NULL::text, v_org;
	ELSIF p_kind = 'org-cert' THEN
		-- A new private service's certificate may be proposed with its registration; it
		-- is approved after it (its organisation exists by then).
		IF v_kind = 'portal' OR (v_kind IS NULL AND NOT EXISTS (
			SELECT 1 FROM portal.register_proposals p
			WHERE p.kind = 'private-service' AND p.key = v_org
			  AND NOT EXISTS (SELECT 1 FROM portal.register_decisions d
					  WHERE d.proposal = p.id))) THEN
			RETURN QUERY SELECT 'organisation'::text, NULL::text;
			RETURN;
		END IF;
		IF coalesce(c->>'key_hash', '') !~ '^[0-9a-f]{64}$'
		   OR jsonb_typeof(c->'revoked') IS DISTINCT FROM 'boolean' THEN
			RETURN QUERY SELECT 'content'::text, NULL::text;
			RETURN;
		END IF;
		IF EXISTS (SELECT 1 FROM portal.org_certs x WHERE x.key_hash = c->>'key_hash'
			   AND x.org_code <> v_org) THEN
			RETURN QUERY SELECT 'conflict'::text, NULL::text;
			RETURN;
		END IF;
		IF NOT (c->>'revoked')::boolean AND EXISTS (SELECT 1 FROM portal.org_certs x
			WHERE x.key_hash = c->>'key_hash' AND x.revoked_at IS NOT NULL) THEN
			RETURN QUERY SELECT 'revoked'::text, NULL::text;
			RETURN;
		END IF;
		RETURN QUERY SELECT NULL::text, c->>'key_hash';
	ELSE
		RETURN QUERY SELECT 'kind'::text, NULL::text;
	END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.register_check(text, jsonb) FROM PUBLIC;

/*
 * The operator proposes a change: the entry's whole new content. The proposer is named by
 * their certificate (subject and the SHA-256 of its public key), which may not be a
 * supervisor staff member's. Returns the proposal, or why not: the content's reason
 * (organisation, purpose, items, sensitive-item, content, conflict, revoked), proposer,
 * unchanged (the current version says the same; no proposal), or pending with the id of
 * the same proposal still undecided (none made again).
 */
CREATE OR REPLACE FUNCTION portal.register_propose(p_kind text, p_content jsonb, p_proposer text,
						   p_proposer_key text, p_note text)
RETURNS TABLE (proposal bigint, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_reason text;
	v_key text;
	v_id bigint;
BEGIN
	SELECT r.reason, r.key INTO v_reason, v_key FROM portal.register_check(p_kind, p_content) r;
	IF v_reason IS NOT NULL THEN
		RETURN QUERY SELECT NULL::bigint, v_reason;
		RETURN;
	END IF;
	IF EXISTS (SELECT 1 FROM portal.staff s JOIN portal.organisations o ON o.code = s.org_code
		   WHERE s.key_hash = p_proposer_key AND o.kind = 'supervisor') THEN
		RETURN QUERY SELECT NULL::bigint, 'proposer'::text;
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('register:' || p_kind || ':' || v_key));
	IF (SELECT v.content FROM portal.register_versions v WHERE v.kind = p_kind AND v.key = v_key
	    ORDER BY v.version DESC LIMIT 1) = p_content THEN
		RETURN QUERY SELECT NULL::bigint, 'unchanged'::text;
		RETURN;
	END IF;
	SELECT p.id INTO v_id FROM portal.register_proposals p
	WHERE p.kind = p_kind AND p.key = v_key AND p.content = p_content
	  AND NOT EXISTS (SELECT 1 FROM portal.register_decisions d WHERE d.proposal = p.id)
	ORDER BY p.id DESC LIMIT 1;
	IF v_id IS NOT NULL THEN
		RETURN QUERY SELECT v_id, 'pending'::text;
		RETURN;
	END IF;
	INSERT INTO portal.register_proposals (kind, key, content, proposer, proposer_key, note)
	VALUES (p_kind, v_key, p_content, p_proposer, p_proposer_key, coalesce(p_note, ''))
	RETURNING id INTO v_id;
	RETURN QUERY SELECT v_id, NULL::text;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.register_propose(text, jsonb, text, text, text) FROM PUBLIC;

-- Brings the decisions' tables in line with an approved version.
CREATE OR REPLACE FUNCTION portal.register_apply(p_version bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v portal.register_versions%ROWTYPE;
	c jsonb;
BEGIN
	SELECT * INTO v FROM portal.register_versions x WHERE x.id = p_version;
	c := v.content;
	PERFORM set_config('mado.register_apply', 'on', true);
	IF v.kind = 'legal-basis' THEN
		DELETE FROM portal.legal_bases b WHERE b.org_code = c->>'org'
		  AND b.purpose = c->>'purpose' AND b.legal_ref = c->>'legal_ref';
		IF NOT coalesce((c->>'withdrawn')::boolean, false) THEN
			INSERT INTO portal.legal_bases (org_code, item, purpose, legal_ref, law_ja, law_en,
							sealable, valid_from, valid_until,
							register_version)
			SELECT c->>'org', i, c->>'purpose', c->>'legal_ref', c->>'law_ja', c->>'law_en',
			       (c->>'sealable')::boolean,
			       coalesce((c->>'valid_from')::date, '2000-01-01'),
			       (c->>'valid_until')::date, v.id
			FROM jsonb_array_elements_text(c->'items') i;
		END IF;
	ELSIF v.kind = 'private-service' THEN
		INSERT INTO portal.organisations (code, kind, name_ja, name_en, gateway_since)
		VALUES (c->>'org', 'private', c->>'name_ja', c->>'name_en', current_date)
		ON CONFLICT (code) DO UPDATE SET name_ja = EXCLUDED.name_ja, name_en = EXCLUDED.name_en
		WHERE portal.organisations.kind = 'private';
		INSERT INTO portal.rp_services (org_code, purposes, items, redirect_uris,
						register_version)
		VALUES (c->>'org', ARRAY(SELECT jsonb_array_elements_text(c->'purposes')),
			ARRAY(SELECT jsonb_array_elements_text(c->'items')),
			ARRAY(SELECT jsonb_array_elements_text(c->'redirect_uris')), v.id)
		ON CONFLICT (org_code) DO UPDATE SET purposes = EXCLUDED.purposes,
			items = EXCLUDED.items, redirect_uris = EXCLUDED.redirect_uris,
			register_version = EXCLUDED.register_version, registered_at = now();
	ELSE
		INSERT INTO portal.org_certs (key_hash, org_code, register_version, revoked_at)
		VALUES (c->>'key_hash', c->>'org', v.id,
			CASE WHEN (c->>'revoked')::boolean THEN now() END)
		ON CONFLICT (key_hash) DO UPDATE SET register_version = EXCLUDED.register_version,
			revoked_at = coalesce(portal.org_certs.revoked_at, EXCLUDED.revoked_at);
	END IF;
	PERFORM set_config('mado.register_apply', 'off', true);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.register_apply(bigint) FROM PUBLIC;

/*
 * A supervisor staff member decides a proposal. Approval makes the entry's next version
 * and puts it in force at once. Refused (nothing written): proposal (none such), decided
 * (already), staff (not an active supervisor staff member), same-person (the staff
 * member's certificate is the proposer's), stale (a version of the entry was approved
 * after the proposal was made: propose again on what is in force now), or the content's
 * reason checked again now (sensitive-item, conflict, revoked, ...).
 */
CREATE OR REPLACE FUNCTION portal.register_decide(p_proposal bigint, p_approve boolean,
						  p_staff_ref text, p_note text)
RETURNS TABLE (reason text, version_id bigint, version integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	p portal.register_proposals%ROWTYPE;
	v_staff uuid;
	v_key text;
	v_reason text;
	v_next integer;
	v_id bigint;
BEGIN
	SELECT s.id, s.key_hash INTO v_staff, v_key FROM portal.supervisor_staff(p_staff_ref) s;
	IF v_staff IS NULL THEN
		RETURN QUERY SELECT 'staff'::text, NULL::bigint, NULL::integer;
		RETURN;
	END IF;
	SELECT * INTO p FROM portal.register_proposals x WHERE x.id = p_proposal;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'proposal'::text, NULL::bigint, NULL::integer;
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock(hashtext('register:' || p.kind || ':' || p.key));
	IF EXISTS (SELECT 1 FROM portal.register_decisions d WHERE d.proposal = p.id) THEN
		RETURN QUERY SELECT 'decided'::text, NULL::bigint, NULL::integer;
		RETURN;
	END IF;
	IF v_key = p.proposer_key THEN
		RETURN QUERY SELECT 'same-person'::text, NULL::bigint, NULL::integer;
		RETURN;
	END IF;
	IF p_approve THEN
		IF EXISTS (SELECT 1 FROM portal.register_versions v WHERE v.kind = p.kind
			   AND v.key = p.key AND v.approved_at > p.proposed_at) THEN
			RETURN QUERY SELECT 'stale'::text, NULL::bigint, NULL::integer;
			RETURN;
		END IF;
		SELECT r.reason INTO v_reason FROM portal.register_check(p.kind, p.content) r;
		-- A certificate proposed with a new service's registration waits for it.
		IF v_reason IS NULL AND p.kind = 'org-cert' AND NOT EXISTS (
			SELECT 1 FROM portal.organisations o WHERE o.code = p.content->>'org') THEN
			v_reason := 'organisation';
		END IF;
		IF v_reason IS NOT NULL THEN
			RETURN QUERY SELECT v_reason, NULL::bigint, NULL::integer;
			RETURN;
		END IF;
	END IF;
	INSERT INTO portal.register_decisions (proposal, approved, staff_id, staff_ref, staff_key,
					       proposer_key, note)
	VALUES (p.id, p_approve, v_staff, p_staff_ref, v_key, p.proposer_key, coalesce(p_note, ''));
	IF NOT p_approve THEN
		RETURN QUERY SELECT NULL::text, NULL::bigint, NULL::integer;
		RETURN;
	END IF;
	SELECT coalesce(max(v.version), 0) + 1 INTO v_next FROM portal.register_versions v
	WHERE v.kind = p.kind AND v.key = p.key;
	INSERT INTO portal.register_versions (kind, key, version, content, proposal)
	VALUES (p.kind, p.key, v_next, p.content, p.id) RETURNING id INTO v_id;
	PERFORM portal.register_apply(v_id);
	RETURN QUERY SELECT NULL::text, v_id, v_next;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.register_decide(bigint, boolean, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.register_decide(bigint, boolean, text, text) TO mado_app;

-- Whether the seal on an access entry holds now (its date not considered): confirmed, or
-- still in its grace period. An entry with a sealed_until but no seal row holds.
CREATE OR REPLACE FUNCTION portal.seal_holds(p_row bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce((SELECT s.grace_until > now()
				OR EXISTS (SELECT 1 FROM portal.seal_confirmations c
					   WHERE c.event_row = s.event_row)
			 FROM portal.seals s WHERE s.event_row = p_row), true)
$$;
REVOKE EXECUTE ON FUNCTION portal.seal_holds(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.seal_holds(bigint) TO mado_app;

-- Confirms the seal on p_row for a staff member or a sealing body's organisation: NULL,
-- or seal (none such), confirmed (already), opened (its grace period ended first).
CREATE OR REPLACE FUNCTION portal.seal_confirm_as(p_row bigint, p_staff uuid, p_org text,
						  p_note text)
RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	s portal.seals%ROWTYPE;
BEGIN
	SELECT * INTO s FROM portal.seals x WHERE x.event_row = p_row FOR SHARE;
	IF NOT FOUND THEN
		RETURN 'seal';
	END IF;
	IF EXISTS (SELECT 1 FROM portal.seal_confirmations c WHERE c.event_row = p_row) THEN
		RETURN 'confirmed';
	END IF;
	IF s.grace_until <= now() THEN
		RETURN 'opened';
	END IF;
	INSERT INTO portal.seal_confirmations (event_row, staff_id, org_code, note)
	VALUES (p_row, p_staff, p_org, coalesce(p_note, ''));
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.seal_confirm_as(bigint, uuid, text, text) FROM PUBLIC;

/*
 * The supervisor confirms a seal's approval reference: it then holds until its date.
 * Refused: staff (not supervisor staff), seal (none such), confirmed (already), opened
 * (its grace period ended first: the person may have seen the entry, so it is not sealed
 * again).
 */
CREATE OR REPLACE FUNCTION portal.seal_confirm(p_row bigint, p_staff_ref text, p_note text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_staff uuid;
BEGIN
	SELECT x.id INTO v_staff FROM portal.supervisor_staff(p_staff_ref) x;
	IF v_staff IS NULL THEN
		RETURN 'staff';
	END IF;
	RETURN portal.seal_confirm_as(p_row, v_staff, NULL, p_note);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.seal_confirm(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.seal_confirm(bigint, text, text) TO mado_app;

-- The sealing body a seal names confirms it, over its organisation's certificate, once the
-- supervisor named that organisation for the body. Any other organisation learns nothing:
-- seal, as for no seal at all.
CREATE OR REPLACE FUNCTION portal.seal_confirm_by_body(p_row bigint, p_org text, p_note text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM portal.seals s JOIN portal.sealing_bodies b
		       ON b.name = s.sealing_body
		       WHERE s.event_row = p_row AND b.org_code = p_org) THEN
		RETURN 'seal';
	END IF;
	RETURN portal.seal_confirm_as(p_row, NULL, p_org, p_note);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.seal_confirm_by_body(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.seal_confirm_by_body(bigint, text, text) TO mado_app;

-- The supervisor names the organisation that speaks for a sealing body (as seals name it).
-- Refused: staff, organisation (none, or a private service, desk or the portal),
-- conflict (the name is taken).
CREATE OR REPLACE FUNCTION portal.sealing_body_name(p_name text, p_org text, p_staff_ref text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_staff uuid;
BEGIN
	SELECT x.id INTO v_staff FROM portal.supervisor_staff(p_staff_ref) x;
	IF v_staff IS NULL THEN
		RETURN 'staff';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM portal.organisations o WHERE o.code = p_org
		       AND o.kind IN ('agency', 'supervisor')) THEN
		RETURN 'organisation';
	END IF;
	INSERT INTO portal.sealing_bodies (name, org_code, named_by)
	VALUES (p_name, p_org, v_staff) ON CONFLICT (name) DO NOTHING;
	RETURN CASE WHEN FOUND THEN NULL ELSE 'conflict' END;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.sealing_body_name(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.sealing_body_name(text, text, text) TO mado_app;

CREATE OR REPLACE FUNCTION portal.sealing_bodies_list()
RETURNS TABLE (name text, org_code text, named_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT b.name, b.org_code, b.named_at FROM portal.sealing_bodies b ORDER BY b.name
$$;
REVOKE EXECUTE ON FUNCTION portal.sealing_bodies_list() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.sealing_bodies_list() TO mado_app;

-- Seals still closed, per organisation: how many, how many of those await confirmation,
-- and since when the oldest of each has been closed. Counts only; no person.
CREATE OR REPLACE FUNCTION portal.seals_by_org(p_today date)
RETURNS TABLE (org_code text, open bigint, unconfirmed bigint, oldest_open timestamptz,
	       oldest_unconfirmed timestamptz, opened_by_grace bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT s.org_code,
	       count(*) FILTER (WHERE x.holds AND s.sealed_until > p_today),
	       count(*) FILTER (WHERE x.holds AND s.sealed_until > p_today AND NOT x.confirmed),
	       min(s.recorded_at) FILTER (WHERE x.holds AND s.sealed_until > p_today),
	       min(s.recorded_at) FILTER (WHERE x.holds AND s.sealed_until > p_today
					  AND NOT x.confirmed),
	       count(*) FILTER (WHERE NOT x.confirmed AND s.grace_until <= now())
	FROM portal.seals s
	CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM portal.seal_confirmations c
					   WHERE c.event_row = s.event_row) AS confirmed) c0
	CROSS JOIN LATERAL (SELECT c0.confirmed, c0.confirmed OR s.grace_until > now() AS holds) x
	GROUP BY s.org_code ORDER BY s.org_code
$$;
REVOKE EXECUTE ON FUNCTION portal.seals_by_org(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.seals_by_org(date) TO mado_app;

-- Seals awaiting the supervisor's confirmation (still in their grace period), oldest
-- first: the entry's row id, never the person.
CREATE OR REPLACE FUNCTION portal.seals_pending()
RETURNS TABLE (event_row bigint, org_code text, approval_ref text, sealing_body text,
	       sealed_until date, outcome text, recorded_at timestamptz, grace_until timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT s.event_row, s.org_code, s.approval_ref, s.sealing_body, s.sealed_until, s.outcome,
	       s.recorded_at, s.grace_until
	FROM portal.seals s
	WHERE s.grace_until > now()
	  AND NOT EXISTS (SELECT 1 FROM portal.seal_confirmations c WHERE c.event_row = s.event_row)
	ORDER BY s.recorded_at, s.event_row LIMIT 500
$$;
REVOKE EXECUTE ON FUNCTION portal.seals_pending() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.seals_pending() TO mado_app;
