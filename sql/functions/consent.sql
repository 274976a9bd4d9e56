-- Consent: whether a private service may ask (within its registration), whether the
-- person's decision is theirs to make (own session only grants, widens or resumes; any
-- channel may help withdraw), whether a code becomes a grant, and whether a fetch is
-- served at this moment (active, not expired, items, period and frequency within the
-- consent), recorded through portal.record_access in the same transaction as the
-- decision; the data itself is the holders' (server/relay).
-- Also the signed receipt's content for a step.
SET LOCAL ROLE mado_owner;

-- Expires a consent whose time is up (at the moment of use, not by a job alone).
CREATE OR REPLACE FUNCTION portal.consent_expire_due(p_id uuid) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	WITH e AS (
		UPDATE portal.consents c SET status = 'expired', version = c.version + 1,
			updated_at = now()
		WHERE c.id = p_id AND c.status IN ('active', 'paused') AND c.valid_until <= now()
		RETURNING c.id, c.person_id
	)
	INSERT INTO portal.consent_events (consent_id, person_id, actor, channel, type,
		prev_status, new_status)
	SELECT e.id, e.person_id, 'system', 'system', 'expired', NULL, 'expired' FROM e
$$;
REVOKE EXECUTE ON FUNCTION portal.consent_expire_due(uuid) FROM PUBLIC;

-- Expires every consent of the person this transaction acts for (mado.person_id) whose
-- time is up, so that their list shows it expired without waiting for a use.
CREATE OR REPLACE FUNCTION portal.consents_expire_mine() RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_person uuid := nullif(current_setting('mado.person_id', true), '')::uuid;
	v_id uuid;
	n integer := 0;
BEGIN
	FOR v_id IN SELECT c.id FROM portal.consents c
		    WHERE c.person_id = v_person AND c.status IN ('active', 'paused')
		      AND c.valid_until <= now()
		    ORDER BY c.id FOR UPDATE LOOP
		PERFORM portal.consent_expire_due(v_id);
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.consents_expire_mine() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.consents_expire_mine() TO mado_app;

/*
 * A private service asks for consent. Returns the request id, or the first thing outside
 * its registration ('service', 'purpose', 'items', 'redirect_uri') as reason.
 */
CREATE OR REPLACE FUNCTION portal.consent_request_create(p_org text, p_purpose text,
	p_items text[], p_from date, p_to date, p_freq_unit text, p_freq_max integer, p_data_life integer,
	p_valid_days integer, p_redirect text, p_state text)
RETURNS TABLE (id uuid, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	s portal.rp_services%ROWTYPE;
	v_id uuid;
BEGIN
	SELECT * INTO s FROM portal.rp_services r WHERE r.org_code = p_org;
	IF NOT FOUND THEN
		RETURN QUERY SELECT NULL::uuid, 'service'::text;
	ELSIF NOT p_purpose = ANY (s.purposes) THEN
		RETURN QUERY SELECT NULL::uuid, 'purpose'::text;
	ELSIF NOT p_items <@ s.items THEN
		RETURN QUERY SELECT NULL::uuid, 'items'::text;
	ELSIF NOT p_redirect = ANY (s.redirect_uris) THEN
		RETURN QUERY SELECT NULL::uuid, 'redirect_uri'::text;
	ELSE
		INSERT INTO portal.consent_requests (recipient, purpose, items, data_from, data_to,
			freq_unit, freq_max, data_life_days, valid_days, redirect_uri, state)
		VALUES (p_org, p_purpose, p_items, p_from, p_to, p_freq_unit, p_freq_max,
			p_data_life, p_valid_days, p_redirect, p_state)
		RETURNING consent_requests.id INTO v_id;
		RETURN QUERY SELECT v_id, NULL::text;
	END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.consent_request_create(text, text, text[], date, date, text,
							 integer, integer, integer, text, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.consent_request_create(text, text, text[], date, date, text,
							integer, integer, integer, text, text)
	TO mado_app;

/*
 * The person decides on a request. Granting is the person's own act: any other channel
 * is refused here as well as in the server. p_items may narrow the request. Returns the
 * consent id (NULL when refused) and the redirect and state to send the browser back with.
 */
CREATE OR REPLACE FUNCTION portal.consent_request_decide(p_person uuid, p_request uuid,
	p_approve boolean, p_items text[], p_code_hash bytea, p_channel text)
RETURNS TABLE (consent_id uuid, redirect_uri text, state text, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	q portal.consent_requests%ROWTYPE;
	v_consent uuid;
BEGIN
	PERFORM portal.require_person(p_person);
	IF p_channel <> 'self' THEN
		RETURN QUERY SELECT NULL::uuid, NULL::text, NULL::text, 'channel'::text;
		RETURN;
	END IF;
	SELECT * INTO q FROM portal.consent_requests r WHERE r.id = p_request FOR UPDATE;
	IF NOT FOUND OR q.status <> 'pending' OR q.expires_at <= now() THEN
		RETURN QUERY SELECT NULL::uuid, NULL::text, NULL::text, 'request'::text;
		RETURN;
	END IF;
	IF NOT p_approve THEN
		UPDATE portal.consent_requests r SET status = 'refused', person_id = p_person
		WHERE r.id = p_request;
		RETURN QUERY SELECT NULL::uuid, q.redirect_uri, q.state, NULL::text;
		RETURN;
	END IF;
	IF cardinality(p_items) = 0 OR NOT p_items <@ q.items THEN
		RETURN QUERY SELECT NULL::uuid, NULL::text, NULL::text, 'items'::text;
		RETURN;
	END IF;
	INSERT INTO portal.consents (person_id, kind, recipient, purpose, items, data_from,
		data_to, freq_unit, freq_max, data_life_days, valid_until, status)
	VALUES (p_person, 'private_share', q.recipient, q.purpose, p_items, q.data_from,
		q.data_to, q.freq_unit, q.freq_max, q.data_life_days,
		now() + make_interval(days => q.valid_days), 'active')
	RETURNING id INTO v_consent;
	INSERT INTO portal.consent_events (consent_id, person_id, actor, channel, type,
		prev_status, new_status)
	VALUES (v_consent, p_person, 'person', p_channel, 'given', NULL, 'active');
	UPDATE portal.consent_requests r SET status = 'approved', person_id = p_person,
		consent_id = v_consent, code_hash = p_code_hash,
		code_expires = now() + interval '5 minutes'
	WHERE r.id = p_request;
	RETURN QUERY SELECT v_consent, q.redirect_uri, q.state, NULL::text;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.consent_request_decide(uuid, uuid, boolean, text[], bytea, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.consent_request_decide(uuid, uuid, boolean, text[], bytea, text)
	TO mado_app;

-- The service exchanges its one-time code for a grant (token hash chosen by the server).
CREATE OR REPLACE FUNCTION portal.consent_code_exchange(p_org text, p_code_hash bytea,
							p_token_hash bytea)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	q portal.consent_requests%ROWTYPE;
BEGIN
	SELECT * INTO q FROM portal.consent_requests r
	WHERE r.code_hash = p_code_hash AND r.recipient = p_org FOR UPDATE;
	IF NOT FOUND OR q.status <> 'approved' OR q.code_expires <= now() THEN
		RETURN NULL;
	END IF;
	UPDATE portal.consent_requests r SET status = 'exchanged' WHERE r.id = q.id;
	INSERT INTO portal.rp_grants (token_hash, consent_id, recipient)
	VALUES (p_token_hash, q.consent_id, p_org);
	RETURN q.consent_id;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.consent_code_exchange(text, bytea, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.consent_code_exchange(text, bytea, bytea) TO mado_app;

-- The person pauses, resumes or revokes. Only the person's own session may pause or
-- resume; revoking is allowed from any channel (helpers may help to withdraw).
CREATE OR REPLACE FUNCTION portal.consent_change(p_person uuid, p_consent uuid,
						 p_action text, p_channel text)
RETURNS TABLE (status text, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c portal.consents%ROWTYPE;
	v_new text;
BEGIN
	PERFORM portal.require_person(p_person);
	PERFORM portal.consent_expire_due(x.id) FROM portal.consents x
	WHERE x.id = p_consent AND x.person_id = p_person;
	SELECT * INTO c FROM portal.consents x WHERE x.id = p_consent AND x.person_id = p_person
	FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT NULL::text, 'not-found'::text;
		RETURN;
	END IF;
	IF p_action <> 'revoke' AND p_channel <> 'self' THEN
		RETURN QUERY SELECT c.status, 'channel'::text;
		RETURN;
	END IF;
	v_new := CASE
		WHEN p_action = 'pause' AND c.status = 'active' THEN 'paused'
		WHEN p_action = 'resume' AND c.status = 'paused' THEN 'active'
		WHEN p_action = 'revoke' AND c.status IN ('active', 'paused') THEN 'revoked'
	END;
	IF v_new IS NULL THEN
		RETURN QUERY SELECT c.status, 'state'::text;
		RETURN;
	END IF;
	UPDATE portal.consents x SET status = v_new, version = x.version + 1, updated_at = now()
	WHERE x.id = p_consent;
	INSERT INTO portal.consent_events (consent_id, person_id, actor, channel, type,
		prev_status, new_status)
	VALUES (p_consent, p_person, 'person', p_channel,
		CASE p_action WHEN 'pause' THEN 'paused' WHEN 'resume' THEN 'resumed'
			      ELSE 'revoked' END, c.status, v_new);
	RETURN QUERY SELECT v_new, NULL::text;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.consent_change(uuid, uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.consent_change(uuid, uuid, text, text) TO mado_app;

-- The person turns push notices of a programme on (their own session only), with at most
-- the programme's monthly number of notices.
CREATE OR REPLACE FUNCTION portal.consent_push_give(p_person uuid, p_programme text,
						    p_days integer, p_channel text)
RETURNS TABLE (consent_id uuid, reason text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	g portal.push_programmes%ROWTYPE;
	v_id uuid;
BEGIN
	PERFORM portal.require_person(p_person);
	IF p_channel <> 'self' THEN
		RETURN QUERY SELECT NULL::uuid, 'channel'::text;
		RETURN;
	END IF;
	SELECT * INTO g FROM portal.push_programmes x WHERE x.code = p_programme;
	IF NOT FOUND THEN
		RETURN QUERY SELECT NULL::uuid, 'programme'::text;
		RETURN;
	END IF;
	INSERT INTO portal.consents (person_id, kind, recipient, programme, purpose, freq_unit,
		freq_max, valid_until, status)
	VALUES (p_person, 'push_notice', g.org_code, g.code, g.purpose, 'month',
		g.max_per_month, now() + make_interval(days => p_days), 'active')
	RETURNING id INTO v_id;
	INSERT INTO portal.consent_events (consent_id, person_id, actor, channel, type,
		prev_status, new_status)
	VALUES (v_id, p_person, 'person', p_channel, 'given', NULL, 'active');
	RETURN QUERY SELECT v_id, NULL::text;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.consent_push_give(uuid, text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.consent_push_give(uuid, text, integer, text) TO mado_app;

/*
 * A private service's fetch: the decision against the consent at this moment and its
 * record, in one transaction. The service names the consent by its grant (a purpose, if
 * named, must be the consent's), or the person by its pseudonym and the purpose (then the
 * person's latest consent to this service for that purpose decides, and with none the
 * refusal is 'no-consent'). Every refusal about a known person is recorded. Reasons:
 * grant or person (invalid), no-consent, paused, revoked, expired, purpose, items, range,
 * items-frozen (a "not mine" dispute froze an item), frequency.
 *
 * The data period: the range asked for must lie within the consent's; an omitted bound
 * is the consent's. Served, the one row names the record (row_id, event_id), the
 * consent's purpose, the service's pseudonym for the person, the period in force
 * (data_from, data_to; NULL when unbounded) and the holders to ask (targets, as
 * portal.holder_targets gives them): Mado relays the fetch there once the record is
 * committed, and the holders return only values whose as_of date (the day the value is
 * about) lies in the period, none without one when a period is in force.
 */
DROP FUNCTION IF EXISTS portal.rp_fetch(text, bytea, text, text[], date, date, text);
CREATE FUNCTION portal.rp_fetch(p_org text, p_token_hash bytea, p_pseudonym text,
				p_items text[], p_from date, p_to date, p_purpose text)
RETURNS TABLE (outcome text, reason text, consent_id uuid, pseudonym text, row_id bigint,
	       event_id uuid, purpose text, data_from date, data_to date, targets jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	g portal.rp_grants%ROWTYPE;
	c portal.consents%ROWTYPE;
	v_reason text;
	v_used bigint;
	v_limit integer;
	v_window timestamptz;
	v_row bigint;
	v_event uuid := gen_random_uuid();
	v_pseud text;
	v_person uuid;
	v_consent uuid;
	v_from date;
	v_to date;
	v_try integer;
	-- The registration version in force: the record names it.
	v_version bigint := (SELECT r.register_version FROM portal.rp_services r
			     WHERE r.org_code = p_org);
BEGIN
	IF p_token_hash IS NOT NULL THEN
		SELECT * INTO g FROM portal.rp_grants x WHERE x.token_hash = p_token_hash
		  AND x.recipient = p_org;
		IF NOT FOUND THEN
			RETURN QUERY SELECT 'invalid'::text, 'grant'::text, NULL::uuid, NULL::text,
				NULL::bigint, NULL::uuid, NULL::text, NULL::date, NULL::date,
				NULL::jsonb;
			RETURN;
		END IF;
		v_consent := g.consent_id;
	ELSE
		SELECT s.person_id INTO v_person FROM portal.pseudonyms s
		WHERE s.org_code = p_org AND s.pseudonym = p_pseudonym;
		IF v_person IS NULL THEN
			RETURN QUERY SELECT 'invalid'::text, 'person'::text, NULL::uuid, NULL::text,
				NULL::bigint, NULL::uuid, NULL::text, NULL::date, NULL::date,
				NULL::jsonb;
			RETURN;
		END IF;
		SELECT x.id INTO v_consent FROM portal.consents x
		WHERE x.person_id = v_person AND x.recipient = p_org AND x.kind = 'private_share'
		  AND x.purpose = p_purpose
		ORDER BY x.created_at DESC LIMIT 1;
		IF v_consent IS NULL THEN
			-- Asked without any consent (or without saying for which purpose): refused,
			-- and the person sees that it was tried.
			v_reason := CASE WHEN p_purpose IS NULL THEN 'purpose' ELSE 'no-consent' END;
			SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
				v_event, v_person, now(), p_org, NULL,
				NULL, NULL, 'machine', 'private',
				'consent', 'consent', NULL, p_items, NULL,
				'denied', 'consent-' || v_reason, NULL, NULL
			)::portal.access_record], ARRAY[v_version]) w;
			RETURN QUERY SELECT 'denied'::text, v_reason, NULL::uuid, NULL::text, v_row,
				v_event, NULL::text, NULL::date, NULL::date, NULL::jsonb;
			RETURN;
		END IF;
	END IF;
	-- The decision reads the consent without a lock. A fetch that would be served then
	-- counts its use with one UPDATE whose WHERE repeats what may change under it (the
	-- status, the validity, the frequency): the row lock that UPDATE takes anyway is the
	-- only serialisation. Fetches under one consent take turns on it, a revocation waits
	-- for the fetch in flight, and a fetch that waited for a revocation finds the row
	-- changed, matches nothing and decides again on what the revocation left.
	FOR v_try IN 1 .. 3 LOOP
		SELECT * INTO c FROM portal.consents x WHERE x.id = v_consent;
		IF c.status IN ('active', 'paused') AND c.valid_until <= now() THEN
			PERFORM portal.consent_expire_due(c.id);
			c.status := 'expired';
		END IF;
		v_window := CASE c.freq_unit
				    WHEN 'day' THEN date_trunc('day', now() AT TIME ZONE 'Asia/Tokyo')
				    ELSE date_trunc('month', now() AT TIME ZONE 'Asia/Tokyo') END
			    AT TIME ZONE 'Asia/Tokyo';
		v_used := CASE WHEN c.freq_unit = 'once' THEN c.uses_total
			       WHEN c.window_start = v_window THEN c.window_uses ELSE 0 END;
		v_limit := CASE c.freq_unit WHEN 'once' THEN 1 ELSE c.freq_max END;
		-- The range in force: what was asked, each omitted bound the consent's.
		v_from := coalesce(p_from, c.data_from);
		v_to := coalesce(p_to, c.data_to);
		v_reason := NULL;
		IF c.status <> 'active' THEN
			v_reason := c.status;
		ELSIF now() < c.valid_from OR now() >= c.valid_until THEN
			v_reason := 'expired';
		ELSIF p_purpose <> c.purpose THEN
			v_reason := 'purpose';
		ELSIF NOT p_items <@ c.items THEN
			v_reason := 'items';
		-- Only what the registration in force allows, however wide the consent.
		ELSIF NOT EXISTS (SELECT 1 FROM portal.rp_services r WHERE r.org_code = p_org
				  AND p_items <@ r.items AND c.purpose = ANY (r.purposes)) THEN
			v_reason := 'items';
		ELSIF p_from < c.data_from OR p_to > c.data_to OR v_from > v_to THEN
			v_reason := 'range';
		ELSIF EXISTS (SELECT 1 FROM portal.item_freezes f
			      WHERE f.person_id = c.person_id AND f.item = ANY (p_items)
				AND f.lifted_at IS NULL) THEN
			v_reason := 'items-frozen';
		ELSIF v_used >= v_limit THEN
			v_reason := 'frequency';
		END IF;
		EXIT WHEN v_reason IS NOT NULL;
		UPDATE portal.consents x SET uses_total = x.uses_total + 1, window_start = v_window,
			window_uses = CASE WHEN x.window_start = v_window THEN x.window_uses ELSE 0 END + 1
		WHERE x.id = c.id AND x.status = 'active' AND x.valid_from <= now()
		  AND x.valid_until > now()
		  AND CASE WHEN x.freq_unit = 'once' THEN x.uses_total
			   WHEN x.window_start = v_window THEN x.window_uses ELSE 0 END
		      < CASE x.freq_unit WHEN 'once' THEN 1 ELSE x.freq_max END;
		EXIT WHEN FOUND;
		-- Changed since it was read: decide again on what is there now.
		v_reason := CASE WHEN v_try = 3 THEN 'frequency' END;
	END LOOP;

	-- The record, in the same transaction as the use counted above; the use points at
	-- its row.
	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		v_event, c.person_id, now(), p_org, NULL,
		NULL, NULL, 'machine', 'private',
		c.purpose, 'consent', NULL, p_items, c.id,
		CASE WHEN v_reason IS NULL THEN 'served' ELSE 'denied' END,
		CASE WHEN v_reason IS NULL THEN NULL ELSE 'consent-' || v_reason END, NULL, NULL
	)::portal.access_record], ARRAY[v_version]) w;
	IF v_reason IS NOT NULL THEN
		RETURN QUERY SELECT 'denied'::text, v_reason, c.id, NULL::text, v_row, v_event,
			NULL::text, NULL::date, NULL::date, NULL::jsonb;
		RETURN;
	END IF;
	-- A fresh random event id is never a recorded key; if it were, nothing may leave.
	IF v_row IS NULL THEN
		RAISE EXCEPTION 'access event % is already recorded', v_event
			USING ERRCODE = 'unique_violation';
	END IF;
	INSERT INTO portal.consent_uses (consent_id, person_id, event_row, items)
	VALUES (c.id, c.person_id, v_row, p_items);
	SELECT s.pseudonym INTO v_pseud FROM portal.pseudonyms s
	WHERE s.person_id = c.person_id AND s.org_code = p_org;
	RETURN QUERY SELECT 'served'::text, NULL::text, c.id, v_pseud, v_row, v_event, c.purpose,
		v_from, v_to, portal.holder_targets(c.person_id, p_items);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.rp_fetch(text, bytea, text, text[], date, date, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.rp_fetch(text, bytea, text, text[], date, date, text)
	TO mado_app;

-- Consent receipts: what the server signs for each step of a consent. The receipt names
-- the person only by the recipient's pseudonym for them.
CREATE OR REPLACE FUNCTION portal.consent_receipt(p_person uuid, p_consent uuid,
						  p_event bigint)
RETURNS TABLE (consent_id uuid, kind text, recipient text, programme text, purpose text,
	       items text[], data_from date, data_to date, freq_unit text, freq_max integer,
	       data_life_days integer, valid_from timestamptz, valid_until timestamptz,
	       event_id bigint, event_type text, event_at timestamptz, event_channel text,
	       event_status text, current_status text, uses bigint, principal text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.require_person(p_person);
	-- The status now (as of the receipt's issue), beside the status the step left.
	PERFORM portal.consent_expire_due(x.id) FROM portal.consents x
	WHERE x.id = p_consent AND x.person_id = p_person;
	RETURN QUERY
	SELECT c.id, c.kind, c.recipient, c.programme, c.purpose, c.items, c.data_from,
	       c.data_to, c.freq_unit, c.freq_max, c.data_life_days, c.valid_from, c.valid_until,
	       e.id, e.type, e.at, e.channel, e.new_status, c.status,
	       (SELECT count(*) FROM portal.consent_uses u WHERE u.consent_id = c.id
		  AND u.at <= coalesce((SELECT min(n.at) FROM portal.consent_events n
					WHERE n.consent_id = c.id AND n.id > e.id), 'infinity')),
	       (SELECT s.pseudonym FROM portal.pseudonyms s
		WHERE s.person_id = c.person_id AND s.org_code = c.recipient)
	FROM portal.consents c JOIN portal.consent_events e ON e.consent_id = c.id
	WHERE c.id = p_consent AND c.person_id = p_person
	  AND (p_event IS NULL OR e.id = p_event)
	ORDER BY e.id DESC LIMIT 1;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.consent_receipt(uuid, uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.consent_receipt(uuid, uuid, bigint) TO mado_app;
