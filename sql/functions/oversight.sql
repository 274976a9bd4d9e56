-- Oversight: whether the supervisor may ask an organisation to reveal who an accountable
-- official's pseudonymous id stands for (only a supervisor, only about an official the
-- organisation's records hold), whether the organisation may answer (only its own
-- requests, once), and who sees which requests.
SET LOCAL ROLE mado_owner;

-- A request names an official the organisation's records actually hold.
CREATE OR REPLACE FUNCTION portal.officer_reveal_request(p_supervisor text, p_org text,
							 p_officer text, p_reason text)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_id bigint;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM portal.organisations o
		       WHERE o.code = p_supervisor AND o.kind = 'supervisor')
	   OR NOT EXISTS (SELECT 1 FROM portal.access_events e
			  WHERE e.org_code = p_org AND e.officer = p_officer) THEN
		RETURN NULL;
	END IF;
	INSERT INTO portal.officer_reveals (supervisor, org_code, officer, reason)
	VALUES (p_supervisor, p_org, p_officer, p_reason) RETURNING id INTO v_id;
	RETURN v_id;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.officer_reveal_request(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.officer_reveal_request(text, text, text, text) TO mado_app;

-- An organisation answers a request addressed to it, once.
CREATE OR REPLACE FUNCTION portal.officer_reveal_answer(p_org text, p_id bigint, p_answer text)
RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	WITH a AS (
		UPDATE portal.officer_reveals r SET answer = p_answer, answered_at = now()
		WHERE r.id = p_id AND r.org_code = p_org AND r.answer IS NULL RETURNING 1
	)
	SELECT EXISTS (SELECT 1 FROM a)
$$;
REVOKE EXECUTE ON FUNCTION portal.officer_reveal_answer(text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.officer_reveal_answer(text, bigint, text) TO mado_app;

-- The requests addressed to an organisation, or made by it as the supervisor.
CREATE OR REPLACE FUNCTION portal.officer_reveal_list(p_org text)
RETURNS TABLE (id bigint, supervisor text, org_code text, officer text, reason text,
	       requested_at timestamptz, answer text, answered_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT r.id, r.supervisor, r.org_code, r.officer, r.reason, r.requested_at, r.answer,
	       r.answered_at
	FROM portal.officer_reveals r WHERE r.org_code = p_org OR r.supervisor = p_org
	ORDER BY r.requested_at DESC, r.id DESC LIMIT 500
$$;
REVOKE EXECUTE ON FUNCTION portal.officer_reveal_list(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.officer_reveal_list(text) TO mado_app;

/*
 * The access log's aggregates (portal.oversight_daily and the others): the rows recorded
 * since the last rollup, up to p_lag_s seconds ago (a transaction still open then has not
 * committed its rows yet, and its recorded_at is its start; the gateway's are short), each
 * organisation's through its (org_code, recorded_at) index. Returns the number of rows
 * counted. One at a time: the state row is locked. The scan runs it, and so do the
 * overview and the statistics before they read (what is left since the last is small).
 */
-- (jit off here and in the other aggregate readers: estimated on the whole log, their
-- plans would be compiled just in time, which costs more than running them.)
CREATE OR REPLACE FUNCTION portal.oversight_rollup(p_lag_s integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
	v_from timestamptz;
	v_to timestamptz := now() - make_interval(secs => p_lag_s);
	v_n bigint;
BEGIN
	-- Another rollup under way counts these rows: this one has nothing to do.
	SELECT s.rolled_to INTO v_from FROM portal.oversight_state s FOR UPDATE SKIP LOCKED;
	IF NOT FOUND OR v_from >= v_to THEN
		RETURN 0;
	END IF;
	WITH r AS MATERIALIZED (
		SELECT (e.occurred_at AT TIME ZONE 'Asia/Tokyo')::date AS day, e.org_code,
		       e.purpose, e.channel, e.outcome, coalesce(e.reason, '') AS reason,
		       e.actor_kind, e.officer, e.case_ref, e.sealed_until
		FROM portal.organisations o
		CROSS JOIN LATERAL (SELECT x.* FROM portal.access_events x
				    WHERE x.org_code = o.code AND x.recorded_at > v_from
				      AND x.recorded_at <= v_to) e
	), d AS (
		INSERT INTO portal.oversight_daily AS x (day, org_code, purpose, channel, outcome,
							 reason, actor_kind, n)
		SELECT r.day, r.org_code, r.purpose, r.channel, r.outcome, r.reason, r.actor_kind,
		       count(*)
		FROM r GROUP BY 1, 2, 3, 4, 5, 6, 7
		ON CONFLICT (day, org_code, purpose, channel, outcome, reason, actor_kind)
		DO UPDATE SET n = x.n + EXCLUDED.n
		RETURNING 1
	), od AS (
		INSERT INTO portal.oversight_officer_daily AS x (day, org_code, officer, n)
		SELECT r.day, r.org_code, r.officer, count(*) FROM r
		WHERE r.actor_kind = 'human' AND r.officer IS NOT NULL
		GROUP BY 1, 2, 3
		ON CONFLICT (org_code, officer, day) DO UPDATE SET n = x.n + EXCLUDED.n
		RETURNING 1
	), cr AS (
		INSERT INTO portal.oversight_case_refs AS x (org_code, case_ref, first_day)
		SELECT r.org_code, r.case_ref, min(r.day) FROM r WHERE r.case_ref IS NOT NULL
		GROUP BY 1, 2
		ON CONFLICT (org_code, case_ref) DO UPDATE SET first_day = EXCLUDED.first_day
		WHERE EXCLUDED.first_day < x.first_day
		RETURNING 1
	), se AS (
		INSERT INTO portal.oversight_seals AS x (org_code, sealed_until, n)
		SELECT r.org_code, r.sealed_until, count(*) FROM r WHERE r.sealed_until IS NOT NULL
		GROUP BY 1, 2
		ON CONFLICT (org_code, sealed_until) DO UPDATE SET n = x.n + EXCLUDED.n
		RETURNING 1
	)
	SELECT count(*) INTO v_n FROM r;
	UPDATE portal.oversight_state SET rolled_to = v_to;
	RETURN v_n;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_rollup(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.oversight_rollup(integer) TO mado_app;

-- A threshold of the configuration the server passes (p_cfg), or its default.
CREATE OR REPLACE FUNCTION portal.oversight_cfg(p_cfg jsonb, p_key text, p_default numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce((p_cfg ->> p_key)::numeric, p_default)
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_cfg(jsonb, text, numeric) FROM PUBLIC;

-- Records an anomaly found, or raises the measure of the case already found for the same
-- kind, organisation, subject and period. Returns 1 for a new case.
CREATE OR REPLACE FUNCTION portal.anomaly_found(p_kind text, p_org text, p_subject text,
						p_start timestamptz, p_end timestamptz,
						p_measure numeric, p_baseline numeric,
						p_threshold numeric)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_new boolean;
BEGIN
	INSERT INTO portal.anomalies AS a (kind, org_code, subject, period_start, period_end,
					   measure, baseline, threshold)
	VALUES (p_kind, p_org, coalesce(p_subject, ''), p_start, p_end, p_measure, p_baseline,
		p_threshold)
	ON CONFLICT (kind, org_code, subject, period_start) DO UPDATE
	SET measure = greatest(a.measure, EXCLUDED.measure),
	    period_end = greatest(a.period_end, EXCLUDED.period_end)
	RETURNING (xmax = 0) INTO v_new;
	RETURN CASE WHEN v_new THEN 1 ELSE 0 END;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.anomaly_found(text, text, text, timestamptz, timestamptz,
						numeric, numeric, numeric) FROM PUBLIC;

/*
 * A card whose key is bound to another person's card: one key for two people, as when a
 * card maker put the same key on several cards (Estonia, 2018). Mado refuses the card at
 * registration and at login; this makes it a case for the supervisor to take up with the
 * card issuer: kind card-key, organisation mado (the portal found it), the key's SHA-256 as
 * subject, found once a day (Japan time) per key. The measure is the number of people the
 * key is bound to, with the one presenting it: at least 2. Returns 1 for a new case.
 */
CREATE OR REPLACE FUNCTION portal.card_key_case(p_key_hash text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_day date := (now() AT TIME ZONE 'Asia/Tokyo')::date;
BEGIN
	IF p_key_hash IS NULL OR p_key_hash !~ '^[0-9a-f]{64}$' THEN
		RAISE EXCEPTION 'a card key is named by its SHA-256, 64 hexadecimal digits'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN portal.anomaly_found('card-key', 'mado', 'key ' || p_key_hash,
		v_day::timestamp AT TIME ZONE 'Asia/Tokyo',
		(v_day + 1)::timestamp AT TIME ZONE 'Asia/Tokyo',
		greatest(2, (SELECT count(DISTINCT b.person_id) FROM portal.card_bindings b
			     WHERE b.key_hash = p_key_hash)),
		NULL, 2);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.card_key_case(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.card_key_case(text) TO mado_app;

/*
 * The anomaly scan, on the server's schedule and on the supervisor's demand: the rollup,
 * then each detector over the last day; each finding is a case (portal.anomalies), found
 * once per kind, organisation, subject and period. The thresholds come from the server's
 * configuration (p_cfg; defaults here; lag_s: the rollup's distance from now). A baseline
 * is the subject's daily average over the days it was active in the 28 days before, used
 * only when it was active on at least 7 of them. Only one scan runs at a time; another
 * returns -1 at once. Returns the number of new cases.
 *
 *   many-people     one official (a human read) reading people_hour or more different
 *                   people within one clock hour
 *   night           one official's human reads in one night (night_from to night_to,
 *                   Japan time) reaching night_reads
 *   official-spike  one official's reads in a day at least spike_min and spike_factor
 *                   times their own baseline
 *   org-spike       an organisation's reads in a day at least org_spike_min and
 *                   spike_factor times its own baseline
 *   refusals        an organisation's requests refused in a day: refusal_pct percent or
 *                   more of at least refusal_min
 *   proxy-people    one proxy acting for proxy_people or more different people in a day
 *   new-case-refs   case references an organisation named for the first time in a day:
 *                   at least new_case_refs and spike_factor times its baseline
 */
CREATE OR REPLACE FUNCTION portal.oversight_scan(p_cfg jsonb) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET jit = off SET lock_timeout = '5s' AS $$
DECLARE
	v_people numeric := portal.oversight_cfg(p_cfg, 'people_hour', 200);
	v_night numeric := portal.oversight_cfg(p_cfg, 'night_reads', 5);
	v_from integer := portal.oversight_cfg(p_cfg, 'night_from', 22);
	v_to integer := portal.oversight_cfg(p_cfg, 'night_to', 6);
	v_factor numeric := portal.oversight_cfg(p_cfg, 'spike_factor', 5);
	v_spike numeric := portal.oversight_cfg(p_cfg, 'spike_min', 50);
	v_org_spike numeric := portal.oversight_cfg(p_cfg, 'org_spike_min', 1000);
	v_ref_pct numeric := portal.oversight_cfg(p_cfg, 'refusal_pct', 60);
	v_ref_min numeric := portal.oversight_cfg(p_cfg, 'refusal_min', 50);
	v_proxy numeric := portal.oversight_cfg(p_cfg, 'proxy_people', 5);
	v_cases numeric := portal.oversight_cfg(p_cfg, 'new_case_refs', 100);
	v_since timestamptz := now() - interval '25 hours';
	v_today date := (now() AT TIME ZONE 'Asia/Tokyo')::date;
	v_sup text;
	v_new integer := 0;
BEGIN
	IF NOT pg_try_advisory_xact_lock(hashtext('mado.oversight_scan')) THEN
		RETURN -1;
	END IF;
	PERFORM portal.oversight_rollup(portal.oversight_cfg(p_cfg, 'lag_s', 60)::integer);

	-- A proxy by the supervisor's pseudonym of them, never by who they are.
	SELECT o.code INTO v_sup FROM portal.organisations o WHERE o.kind = 'supervisor'
	ORDER BY o.code LIMIT 1;

	-- The recent rows (recorded in the last 25 hours, each organisation's by its index),
	-- read once for the detectors that need single rows.
	WITH recent AS MATERIALIZED (
		SELECT e.org_code, e.person_id, e.occurred_at, e.officer, e.actor_kind, e.channel,
		       e.occurred_at AT TIME ZONE 'Asia/Tokyo' AS local
		FROM portal.organisations o
		CROSS JOIN LATERAL (SELECT x.* FROM portal.access_events x
				    WHERE x.org_code = o.code AND x.recorded_at > v_since) e
	), found AS (
		SELECT 'many-people' AS kind, e.org_code, e.officer AS subject,
		       date_trunc('hour', e.occurred_at) AS p_start,
		       date_trunc('hour', e.occurred_at) + interval '1 hour' AS p_end,
		       count(DISTINCT e.person_id)::numeric AS measure, v_people AS threshold
		FROM recent e WHERE e.actor_kind = 'human' AND e.officer IS NOT NULL
		GROUP BY 2, 3, 4, 5 HAVING count(DISTINCT e.person_id) >= v_people
		UNION ALL
		SELECT 'night', n.org_code, n.officer,
		       (n.night + make_interval(hours => v_from)) AT TIME ZONE 'Asia/Tokyo',
		       (n.night + make_interval(hours => v_from + (v_to - v_from + 24) % 24))
			   AT TIME ZONE 'Asia/Tokyo',
		       count(*), v_night
		FROM (SELECT e.org_code, e.officer,
			     (e.local - make_interval(hours => v_to))::date::timestamp AS night
		      FROM recent e
		      WHERE e.actor_kind = 'human' AND e.officer IS NOT NULL
			AND CASE WHEN v_from > v_to
				 THEN extract(hour FROM e.local) >= v_from
				      OR extract(hour FROM e.local) < v_to
				 ELSE extract(hour FROM e.local) >= v_from
				      AND extract(hour FROM e.local) < v_to END) n
		GROUP BY 2, 3, 4, 5 HAVING count(*) >= v_night
		UNION ALL
		SELECT 'proxy-people', 'proxies', portal.pseudonym_of(v_sup, m.proxy_id),
		       e.local::date::timestamp AT TIME ZONE 'Asia/Tokyo',
		       (e.local::date + 1)::timestamp AT TIME ZONE 'Asia/Tokyo',
		       count(DISTINCT e.person_id), v_proxy
		FROM recent e JOIN portal.mandates m ON e.officer = 'proxy:' || m.id::text
		WHERE e.channel = 'proxy' AND m.proxy_id IS NOT NULL AND v_sup IS NOT NULL
		GROUP BY 2, 3, 4, 5 HAVING count(DISTINCT e.person_id) >= v_proxy
	)
	SELECT coalesce(sum(portal.anomaly_found(f.kind, f.org_code, f.subject, f.p_start,
						  f.p_end, f.measure, NULL, f.threshold)), 0)
	INTO v_new FROM found f;

	-- Spikes against the subject's own baseline, today and yesterday (Japan time).
	SELECT coalesce(sum(portal.anomaly_found('official-spike', t.org_code, t.officer,
		t.day::timestamp AT TIME ZONE 'Asia/Tokyo',
		(t.day + 1)::timestamp AT TIME ZONE 'Asia/Tokyo', t.n, b.avg, v_spike)), 0)
	       + v_new INTO v_new
	FROM portal.oversight_officer_daily t
	CROSS JOIN LATERAL (SELECT sum(x.n) / greatest(count(*), 1) AS avg, count(*) AS days
			    FROM portal.oversight_officer_daily x
			    WHERE x.org_code = t.org_code AND x.officer = t.officer
			      AND x.day >= t.day - 28 AND x.day < t.day) b
	WHERE t.day IN (v_today, v_today - 1) AND t.n >= v_spike AND b.days >= 7
	  AND t.n >= v_factor * b.avg;

	SELECT coalesce(sum(portal.anomaly_found('org-spike', t.org_code, '',
		t.day::timestamp AT TIME ZONE 'Asia/Tokyo',
		(t.day + 1)::timestamp AT TIME ZONE 'Asia/Tokyo', t.n, b.avg, v_org_spike)), 0)
	       + v_new INTO v_new
	FROM (SELECT d.org_code, d.day, sum(d.n) AS n FROM portal.oversight_daily d
	      WHERE d.day IN (v_today, v_today - 1) AND d.channel <> 'self'
	      GROUP BY 1, 2) t
	CROSS JOIN LATERAL (SELECT sum(x.n) / greatest(count(DISTINCT x.day), 1) AS avg,
					   count(DISTINCT x.day) AS days
			    FROM portal.oversight_daily x
			    WHERE x.org_code = t.org_code AND x.channel <> 'self'
			      AND x.day >= t.day - 28 AND x.day < t.day) b
	WHERE t.n >= v_org_spike AND b.days >= 7 AND t.n >= v_factor * b.avg;

	SELECT coalesce(sum(portal.anomaly_found('refusals', t.org_code, '',
		t.day::timestamp AT TIME ZONE 'Asia/Tokyo',
		(t.day + 1)::timestamp AT TIME ZONE 'Asia/Tokyo',
		round(100.0 * t.denied / t.n, 1), NULL, v_ref_pct)), 0) + v_new INTO v_new
	FROM (SELECT d.org_code, d.day, sum(d.n) AS n,
		     sum(d.n) FILTER (WHERE d.outcome = 'denied') AS denied
	      FROM portal.oversight_daily d
	      WHERE d.day IN (v_today, v_today - 1) AND d.channel IN ('gateway', 'private')
	      GROUP BY 1, 2) t
	WHERE t.n >= v_ref_min AND 100.0 * coalesce(t.denied, 0) / t.n >= v_ref_pct;

	SELECT coalesce(sum(portal.anomaly_found('new-case-refs', t.org_code, '',
		t.first_day::timestamp AT TIME ZONE 'Asia/Tokyo',
		(t.first_day + 1)::timestamp AT TIME ZONE 'Asia/Tokyo', t.n, b.avg, v_cases)), 0)
	       + v_new INTO v_new
	FROM (SELECT c.org_code, c.first_day, count(*) AS n FROM portal.oversight_case_refs c
	      WHERE c.first_day IN (v_today, v_today - 1) GROUP BY 1, 2) t
	CROSS JOIN LATERAL (SELECT count(*)::numeric / greatest(count(DISTINCT x.first_day), 1)
					   AS avg, count(DISTINCT x.first_day) AS days
			    FROM portal.oversight_case_refs x
			    WHERE x.org_code = t.org_code AND x.first_day >= t.first_day - 28
			      AND x.first_day < t.first_day) b
	WHERE t.n >= v_cases AND b.days >= 7 AND t.n >= v_factor * b.avg;

	UPDATE portal.oversight_state SET scanned_at = now();
	RETURN v_new;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_scan(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.oversight_scan(jsonb) TO mado_app;

-- The supervisor's staff: a staff reference of an organisation of kind supervisor.
CREATE OR REPLACE FUNCTION portal.oversight_staff_ok(p_sup text, p_staff text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT EXISTS (SELECT 1 FROM portal.staff s
		       JOIN portal.organisations o ON o.code = s.org_code AND o.kind = 'supervisor'
		       WHERE s.org_code = p_sup AND s.ref = p_staff AND s.role = 'supervisor'
			 AND s.revoked_at IS NULL)
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_staff_ok(text, text) FROM PUBLIC;

-- The anomaly cases, newest first; p_status NULL: every case not closed.
CREATE OR REPLACE FUNCTION portal.anomaly_list(p_status text)
RETURNS TABLE (id bigint, kind text, org_code text, subject text, period_start timestamptz,
	       period_end timestamptz, measure numeric, baseline numeric, threshold numeric,
	       found_at timestamptz, status text, closed_at timestamptz, finding text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT a.id, a.kind, a.org_code, a.subject, a.period_start, a.period_end, a.measure,
	       round(a.baseline, 2), a.threshold, a.found_at, a.status, a.closed_at, a.finding
	FROM portal.anomalies a
	WHERE (p_status IS NULL AND a.status <> 'closed') OR a.status = p_status
	ORDER BY a.found_at DESC, a.id DESC LIMIT 500
$$;
REVOKE EXECUTE ON FUNCTION portal.anomaly_list(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.anomaly_list(text) TO mado_app;

-- One case.
CREATE OR REPLACE FUNCTION portal.anomaly_get(p_id bigint)
RETURNS TABLE (id bigint, kind text, org_code text, subject text, period_start timestamptz,
	       period_end timestamptz, measure numeric, baseline numeric, threshold numeric,
	       found_at timestamptz, status text, closed_at timestamptz, finding text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT a.id, a.kind, a.org_code, a.subject, a.period_start, a.period_end, a.measure,
	       round(a.baseline, 2), a.threshold, a.found_at, a.status, a.closed_at, a.finding
	FROM portal.anomalies a WHERE a.id = p_id
$$;
REVOKE EXECUTE ON FUNCTION portal.anomaly_get(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.anomaly_get(bigint) TO mado_app;

-- One case's history, in order.
CREATE OR REPLACE FUNCTION portal.anomaly_history(p_id bigint)
RETURNS TABLE (id bigint, at timestamptz, author text, kind text, body text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT v.id, v.at, v.author, v.kind, v.body FROM portal.anomaly_events v
	WHERE v.anomaly_id = p_id ORDER BY v.id
$$;
REVOKE EXECUTE ON FUNCTION portal.anomaly_history(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.anomaly_history(bigint) TO mado_app;

/*
 * What the supervisor's staff do with a case: open it, add a note, ask the organisation
 * (a question it reads and answers over its gateway), close it with a finding. Returns
 * NULL when done, 'case' when there is no such case (or the staff member is not the
 * supervisor's), 'state' when the case is closed already (or, to close, has no finding;
 * to ask, is the portal's own).
 */
CREATE OR REPLACE FUNCTION portal.anomaly_act(p_sup text, p_staff text, p_id bigint,
					      p_action text, p_body text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	a portal.anomalies%ROWTYPE;
BEGIN
	IF NOT portal.oversight_staff_ok(p_sup, p_staff) THEN
		RETURN 'case';
	END IF;
	SELECT * INTO a FROM portal.anomalies x WHERE x.id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'case';
	END IF;
	IF a.status = 'closed' THEN
		RETURN 'state';
	END IF;
	IF p_action = 'open' THEN
		IF a.status <> 'new' THEN
			RETURN NULL; -- opened before: nothing new to record
		END IF;
		UPDATE portal.anomalies x SET status = 'open' WHERE x.id = p_id;
		INSERT INTO portal.anomaly_events (anomaly_id, author, kind) VALUES (p_id, p_staff, 'opened');
	ELSIF p_action = 'note' THEN
		UPDATE portal.anomalies x SET status = 'open' WHERE x.id = p_id AND x.status = 'new';
		INSERT INTO portal.anomaly_events (anomaly_id, author, kind, body)
		VALUES (p_id, p_staff, 'note', p_body);
	ELSIF p_action = 'question' THEN
		-- The portal's own cases (card-key) have no organisation to answer over a
		-- gateway: the supervisor takes them up with the card issuer and notes it.
		IF a.org_code = 'mado' THEN
			RETURN 'state';
		END IF;
		UPDATE portal.anomalies x SET status = 'asked' WHERE x.id = p_id;
		INSERT INTO portal.anomaly_events (anomaly_id, author, kind, body)
		VALUES (p_id, p_staff, 'question', p_body);
	ELSIF p_action = 'close' THEN
		UPDATE portal.anomalies x SET status = 'closed', closed_at = now(), finding = p_body
		WHERE x.id = p_id;
		INSERT INTO portal.anomaly_events (anomaly_id, author, kind, body)
		VALUES (p_id, p_staff, 'closed', p_body);
	ELSE
		RETURN 'state';
	END IF;
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.anomaly_act(text, text, bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.anomaly_act(text, text, bigint, text, text) TO mado_app;

-- The cases the supervisor asked an organisation about, with the questions and answers.
CREATE OR REPLACE FUNCTION portal.anomaly_asked_of(p_org text)
RETURNS TABLE (id bigint, kind text, subject text, period_start timestamptz,
	       period_end timestamptz, measure numeric, threshold numeric, status text,
	       questions jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT a.id, a.kind, a.subject, a.period_start, a.period_end, a.measure, a.threshold,
	       a.status,
	       (SELECT jsonb_agg(jsonb_build_object('kind', v.kind, 'body', v.body, 'at',
			to_char(v.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')) ORDER BY v.id)
		FROM portal.anomaly_events v
		WHERE v.anomaly_id = a.id AND v.kind IN ('question', 'answer'))
	FROM portal.anomalies a
	WHERE a.org_code = p_org
	  AND EXISTS (SELECT 1 FROM portal.anomaly_events v
		      WHERE v.anomaly_id = a.id AND v.kind = 'question')
	ORDER BY a.id DESC LIMIT 500
$$;
REVOKE EXECUTE ON FUNCTION portal.anomaly_asked_of(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.anomaly_asked_of(text) TO mado_app;

-- The organisation answers a question about one of its cases (while the case waits for
-- it). Returns true when taken.
CREATE OR REPLACE FUNCTION portal.anomaly_answer(p_org text, p_id bigint, p_answer text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	UPDATE portal.anomalies x SET status = 'answered'
	WHERE x.id = p_id AND x.org_code = p_org AND x.status = 'asked';
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	INSERT INTO portal.anomaly_events (anomaly_id, author, kind, body)
	VALUES (p_id, p_org, 'answer', p_answer);
	RETURN true;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.anomaly_answer(text, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.anomaly_answer(text, bigint, text) TO mado_app;

-- A dispute is overdue when the supervisor's deadline has passed with the case not
-- closed, or when it has waited p_due_days for the organisation's first answer. (Plain
-- values, not rows: a function file must apply to any schema version.)
CREATE OR REPLACE FUNCTION portal.dispute_overdue(p_status text, p_created timestamptz,
						  p_deadline date, p_closed timestamptz,
						  p_due_days integer)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT p_closed IS NULL
	       AND (p_deadline < (now() AT TIME ZONE 'Asia/Tokyo')::date
		    OR (p_deadline IS NULL AND p_status = 'open'
			AND p_created < now() - make_interval(days => p_due_days)))
$$;
REVOKE EXECUTE ON FUNCTION portal.dispute_overdue(text, timestamptz, date, timestamptz, integer)
	FROM PUBLIC;

/*
 * Statistics for the supervisor, aggregates only (no person, no official): accesses by
 * organisation, purpose, channel, outcome and day; refusals by reason; desk and proxy
 * activity by day; disputes opened and answered by day, and how many are open, answered
 * and overdue. From the rollup, days in Japan time, p_from to p_to inclusive.
 */
CREATE OR REPLACE FUNCTION portal.oversight_statistics(p_from date, p_to date, p_due_days integer)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET jit = off AS $$
	WITH d AS (
		SELECT * FROM portal.oversight_daily x WHERE x.day BETWEEN p_from AND p_to
		  AND x.channel <> 'self'
	), ds AS (
		SELECT x.*, portal.dispute_overdue(x.status, x.created_at, o.deadline, o.closed_at,
						   p_due_days) AS overdue
		FROM portal.disputes x LEFT JOIN portal.dispute_oversight o ON o.case_no = x.case_no
	)
	SELECT jsonb_build_object(
		'from', p_from, 'to', p_to,
		'rolled_to', (SELECT to_char(s.rolled_to AT TIME ZONE 'UTC',
					     'YYYY-MM-DD"T"HH24:MI:SS"Z"')
			      FROM portal.oversight_state s),
		'total', (SELECT coalesce(sum(n), 0) FROM d),
		'by_organisation', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'n', n,
				'denied', denied) ORDER BY n DESC, k), '[]')
			FROM (SELECT org_code AS k, sum(n) AS n,
				     coalesce(sum(n) FILTER (WHERE outcome = 'denied'), 0) AS denied
			      FROM d GROUP BY 1) x),
		'by_purpose', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'n', n)
				ORDER BY n DESC, k), '[]')
			FROM (SELECT purpose AS k, sum(n) AS n FROM d GROUP BY 1) x),
		'by_channel', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'n', n)
				ORDER BY n DESC, k), '[]')
			FROM (SELECT channel AS k, sum(n) AS n FROM d GROUP BY 1) x),
		'by_outcome', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'n', n)
				ORDER BY n DESC, k), '[]')
			FROM (SELECT outcome AS k, sum(n) AS n FROM d GROUP BY 1) x),
		'by_day', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'n', n,
				'denied', denied) ORDER BY k), '[]')
			FROM (SELECT day AS k, sum(n) AS n,
				     coalesce(sum(n) FILTER (WHERE outcome = 'denied'), 0) AS denied
			      FROM d GROUP BY 1) x),
		'refusals_by_reason', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'n', n)
				ORDER BY n DESC, k), '[]')
			FROM (SELECT reason AS k, sum(n) AS n FROM d WHERE outcome = 'denied'
			      GROUP BY 1) x),
		'desk_by_day', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'n', n)
				ORDER BY k), '[]')
			FROM (SELECT day AS k, sum(n) AS n FROM d WHERE channel = 'desk' GROUP BY 1) x),
		'proxy_by_day', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k, 'n', n)
				ORDER BY k), '[]')
			FROM (SELECT day AS k, sum(n) AS n FROM d WHERE channel = 'proxy' GROUP BY 1) x),
		'disputes_by_day', (SELECT coalesce(jsonb_agg(jsonb_build_object('key', k,
				'opened', opened, 'answered', answered) ORDER BY k), '[]')
			FROM (SELECT k, sum(opened) AS opened, sum(answered) AS answered
			      FROM (SELECT (created_at AT TIME ZONE 'Asia/Tokyo')::date AS k,
					   1 AS opened, 0 AS answered FROM ds
				    UNION ALL
				    SELECT (updated_at AT TIME ZONE 'Asia/Tokyo')::date, 0, 1 FROM ds
				    WHERE status <> 'open') u
			      WHERE k BETWEEN p_from AND p_to GROUP BY k) x),
		'disputes', (SELECT jsonb_build_object(
				'open', count(*) FILTER (WHERE status = 'open'),
				'answered', count(*) FILTER (WHERE status <> 'open'),
				'overdue', count(*) FILTER (WHERE overdue))
			FROM ds))
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_statistics(date, date, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.oversight_statistics(date, date, integer) TO mado_app;

-- The overview: the last 30 days' statistics, the cases waiting (by status, the newest
-- ten not closed), the overdue disputes and the seals still closed by organisation.
CREATE OR REPLACE FUNCTION portal.oversight_overview(p_due_days integer) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET jit = off AS $$
	SELECT jsonb_build_object(
		'statistics', portal.oversight_statistics(
			(now() AT TIME ZONE 'Asia/Tokyo')::date - 29,
			(now() AT TIME ZONE 'Asia/Tokyo')::date, p_due_days),
		'scanned_at', (SELECT to_char(s.scanned_at AT TIME ZONE 'UTC',
					      'YYYY-MM-DD"T"HH24:MI:SS"Z"')
			       FROM portal.oversight_state s),
		'anomalies', (SELECT coalesce(jsonb_object_agg(status, n), '{}')
			      FROM (SELECT a.status, count(*) AS n FROM portal.anomalies a
				    GROUP BY 1) x),
		'latest_anomalies', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', a.id,
				'kind', a.kind, 'organisation', a.org_code, 'subject', a.subject,
				'status', a.status, 'measure', a.measure, 'threshold', a.threshold,
				'period_start', to_char(a.period_start AT TIME ZONE 'UTC',
							'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
				ORDER BY a.found_at DESC, a.id DESC), '[]')
			FROM (SELECT * FROM portal.anomalies x WHERE x.status <> 'closed'
			      ORDER BY x.found_at DESC, x.id DESC LIMIT 10) a),
		'overdue_disputes', (SELECT coalesce(jsonb_agg(jsonb_build_object(
				'case_no', d.case_no, 'organisation', d.org_code, 'status', d.status,
				'deadline', o.deadline,
				'created_at', to_char(d.created_at AT TIME ZONE 'UTC',
						      'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
				ORDER BY d.created_at), '[]')
			FROM portal.disputes d
			LEFT JOIN portal.dispute_oversight o ON o.case_no = d.case_no
			WHERE portal.dispute_overdue(d.status, d.created_at, o.deadline, o.closed_at,
						     p_due_days)),
		'seals', (SELECT coalesce(jsonb_agg(jsonb_build_object('organisation', org_code,
				'pending', pending, 'opened', opened) ORDER BY org_code), '[]')
			FROM (SELECT s.org_code,
				     coalesce(sum(s.n) FILTER (WHERE s.sealed_until >
					(now() AT TIME ZONE 'Asia/Tokyo')::date), 0) AS pending,
				     coalesce(sum(s.n) FILTER (WHERE s.sealed_until <=
					(now() AT TIME ZONE 'Asia/Tokyo')::date), 0) AS opened
			      FROM portal.oversight_seals s GROUP BY 1) x))
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_overview(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.oversight_overview(integer) TO mado_app;

-- The dispute cases as the supervisor's queue: no person, no entry (opening one is a read
-- of a person's entries, recorded: portal.oversight_dispute_read).
CREATE OR REPLACE FUNCTION portal.oversight_disputes(p_filter text, p_due_days integer)
RETURNS TABLE (case_no text, kind text, status text, org_code text, created_at timestamptz,
	       updated_at timestamptz, taken_by text, deadline date, escalated_at timestamptz,
	       closed_at timestamptz, outcome text, overdue boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT * FROM (
		SELECT d.case_no, d.kind, d.status, d.org_code, d.created_at, d.updated_at,
		       o.taken_by, o.deadline, o.escalated_at, o.closed_at, o.outcome,
		       portal.dispute_overdue(d.status, d.created_at, o.deadline, o.closed_at,
					      p_due_days) AS overdue
		FROM portal.disputes d LEFT JOIN portal.dispute_oversight o ON o.case_no = d.case_no
	) x
	WHERE p_filter IS NULL
	   OR (p_filter = 'overdue' AND x.overdue)
	   OR (p_filter = 'taken' AND x.taken_by IS NOT NULL AND x.closed_at IS NULL)
	   OR (p_filter = 'closed' AND x.closed_at IS NOT NULL)
	   OR (p_filter = 'open' AND x.closed_at IS NULL)
	ORDER BY x.overdue DESC, x.created_at, x.case_no LIMIT 500
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_disputes(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.oversight_disputes(text, integer) TO mado_app;

/*
 * The supervisor's staff open a dispute case: the case and the entry it is about. This is
 * a read of one person's entries, so it is recorded first in that person's log (channel
 * supervisor, the staff member's reference as the official, purpose oversight.case, the
 * case number as the case reference); if it cannot be recorded, nothing is read. No row:
 * no such case, or the staff member is not the supervisor's.
 */
CREATE OR REPLACE FUNCTION portal.oversight_dispute_read(p_sup text, p_staff text, p_case text)
RETURNS TABLE (case_no text, kind text, status text, note text, answer text, org_code text,
	       created_at timestamptz, updated_at timestamptz, item text,
	       occurred_at timestamptz, items text[], purpose text, legal_ref text,
	       officer text, officer_role text, channel text, outcome text, reason text,
	       taken_by text, taken_at timestamptz, deadline date, escalated_at timestamptz,
	       escalation text, closed_at timestamptz, outcome_found text, finding text,
	       record_row bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET lock_timeout = '2s' AS $$
DECLARE
	d portal.disputes%ROWTYPE;
	e portal.access_events%ROWTYPE;
	v_row bigint;
BEGIN
	IF NOT portal.oversight_staff_ok(p_sup, p_staff) THEN
		RETURN;
	END IF;
	SELECT * INTO d FROM portal.disputes x WHERE x.case_no = p_case;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF d.event_row IS NOT NULL THEN
		SELECT * INTO e FROM portal.access_events x
		WHERE x.id = d.event_row AND x.person_id = d.person_id;
	END IF;
	SELECT w.id INTO v_row FROM portal.record_access(ARRAY[ROW(
		gen_random_uuid(), d.person_id, now(), p_sup, NULL, p_staff, 'supervisor', 'human',
		'supervisor', 'oversight.case', 'APPI-146', d.case_no,
		coalesce(e.items, ARRAY[d.item]), NULL, 'served', NULL, NULL, NULL
	)::portal.access_record]) w;
	IF v_row IS NULL THEN
		RAISE EXCEPTION 'the supervisor''s read of % was not recorded', p_case
			USING ERRCODE = 'unique_violation';
	END IF;
	RETURN QUERY
	SELECT d.case_no, d.kind, d.status, d.note, d.answer, d.org_code, d.created_at,
	       d.updated_at, d.item, e.occurred_at, e.items, e.purpose, e.legal_ref, e.officer,
	       e.officer_role, e.channel, e.outcome, e.reason, o.taken_by, o.taken_at,
	       o.deadline, o.escalated_at, o.escalation, o.closed_at, o.outcome, o.finding, v_row
	FROM (SELECT 1) one
	LEFT JOIN portal.dispute_oversight o ON o.case_no = d.case_no;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_dispute_read(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.oversight_dispute_read(text, text, text) TO mado_app;

/*
 * The supervisor acts on a dispute: takes it over (p_deadline optional), sets its
 * deadline, escalates it (p_text: to whom and why), closes it with an outcome (upheld,
 * not-upheld, resolved) and a finding (p_text) the person sees with their case; taking
 * over and closing each leave the person a notice. Returns NULL when done, 'case' when
 * there is no such case (or the staff member is not the supervisor's), 'state' when the
 * case is not taken over yet (or already closed).
 */
CREATE OR REPLACE FUNCTION portal.oversight_dispute_act(p_sup text, p_staff text, p_case text,
							p_action text, p_deadline date,
							p_text text, p_outcome text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	d portal.disputes%ROWTYPE;
	o portal.dispute_oversight%ROWTYPE;
BEGIN
	IF NOT portal.oversight_staff_ok(p_sup, p_staff) THEN
		RETURN 'case';
	END IF;
	SELECT * INTO d FROM portal.disputes x WHERE x.case_no = p_case FOR UPDATE;
	IF NOT FOUND THEN
		RETURN 'case';
	END IF;
	SELECT * INTO o FROM portal.dispute_oversight x WHERE x.case_no = p_case;
	IF FOUND AND o.closed_at IS NOT NULL THEN
		RETURN 'state';
	END IF;
	IF p_action = 'take' THEN
		IF o.case_no IS NOT NULL THEN
			RETURN 'state';
		END IF;
		INSERT INTO portal.dispute_oversight (case_no, person_id, supervisor, taken_by, deadline)
		VALUES (p_case, d.person_id, p_sup, p_staff, p_deadline);
		INSERT INTO portal.notices (person_id, kind, case_no, org_code)
		VALUES (d.person_id, 'dispute', p_case, p_sup);
		RETURN NULL;
	END IF;
	IF o.case_no IS NULL THEN
		RETURN 'state';
	END IF;
	IF p_action = 'deadline' AND p_deadline IS NOT NULL THEN
		UPDATE portal.dispute_oversight x SET deadline = p_deadline WHERE x.case_no = p_case;
	ELSIF p_action = 'escalate' AND p_text IS NOT NULL THEN
		UPDATE portal.dispute_oversight x SET escalated_at = now(), escalation = p_text
		WHERE x.case_no = p_case;
	ELSIF p_action = 'close' AND p_text IS NOT NULL AND p_outcome IS NOT NULL THEN
		UPDATE portal.dispute_oversight x
		SET closed_at = now(), closed_by = p_staff, outcome = p_outcome, finding = p_text
		WHERE x.case_no = p_case;
		INSERT INTO portal.notices (person_id, kind, case_no, org_code)
		VALUES (d.person_id, 'dispute', p_case, p_sup);
	ELSE
		RETURN 'state';
	END IF;
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.oversight_dispute_act(text, text, text, text, date, text, text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.oversight_dispute_act(text, text, text, text, date, text, text)
	TO mado_app;

/*
 * Public transparency: monthly totals (months in Japan time) per organisation and
 * purpose (accesses and refusals), disputes opened per organisation and how they ended,
 * and sealed entries opened and still sealed per organisation. A count below p_min (but
 * above zero) is never shown: it is null. A month's totals add up the cells shown only
 * (with the number of cells withheld), so that no withheld cell can be subtracted back.
 * Only organisations' accesses (not the person's own reads).
 */
CREATE OR REPLACE FUNCTION portal.transparency(p_min integer, p_months integer) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET jit = off AS $$
	WITH since AS (
		SELECT (date_trunc('month', now() AT TIME ZONE 'Asia/Tokyo')
			- make_interval(months => p_months - 1))::date AS m
	), cells AS (
		SELECT date_trunc('month', d.day)::date AS month, d.org_code, d.purpose,
		       sum(d.n) AS accesses,
		       coalesce(sum(d.n) FILTER (WHERE d.outcome = 'denied'), 0) AS refusals
		FROM portal.oversight_daily d, since
		WHERE d.day >= since.m AND d.channel NOT IN ('self', 'supervisor')
		GROUP BY 1, 2, 3
	), months AS (
		-- The totals of the cells shown: a withheld cell never counts in a total.
		SELECT c.month,
		       coalesce(sum(c.accesses) FILTER (WHERE c.accesses >= p_min), 0) AS accesses,
		       coalesce(sum(c.refusals) FILTER (WHERE c.refusals >= p_min), 0) AS refusals,
		       count(*) FILTER (WHERE c.accesses > 0 AND c.accesses < p_min
					OR c.refusals > 0 AND c.refusals < p_min) AS withheld
		FROM cells c GROUP BY 1
	), disputes AS (
		SELECT date_trunc('month', x.created_at AT TIME ZONE 'Asia/Tokyo')::date AS month,
		       x.org_code,
		       count(*) AS opened,
		       count(*) FILTER (WHERE x.status = 'open') AS open,
		       count(*) FILTER (WHERE x.status = 'acknowledged') AS acknowledged,
		       count(*) FILTER (WHERE x.status IN ('reverified', 'corrected')) AS corrected,
		       count(*) FILTER (WHERE x.status = 'rejected') AS rejected,
		       count(*) FILTER (WHERE o.outcome = 'upheld') AS upheld,
		       count(*) FILTER (WHERE o.outcome = 'not-upheld') AS not_upheld
		FROM portal.disputes x LEFT JOIN portal.dispute_oversight o ON o.case_no = x.case_no,
		     since
		WHERE x.created_at AT TIME ZONE 'Asia/Tokyo' >= since.m
		GROUP BY 1, 2
	), seals AS (
		SELECT s.org_code,
		       coalesce(sum(s.n) FILTER (WHERE s.sealed_until <=
			   (now() AT TIME ZONE 'Asia/Tokyo')::date), 0) AS opened,
		       coalesce(sum(s.n) FILTER (WHERE s.sealed_until >
			   (now() AT TIME ZONE 'Asia/Tokyo')::date), 0) AS pending
		FROM portal.oversight_seals s GROUP BY 1
	)
	SELECT jsonb_build_object(
		'min_cell', p_min,
		'months', (SELECT coalesce(jsonb_agg(jsonb_build_object('month', to_char(m.month, 'YYYY-MM'),
				'accesses', portal.transparency_cell(m.accesses, p_min),
				'refusals', portal.transparency_cell(m.refusals, p_min),
				'some_withheld', m.withheld > 0)
				ORDER BY m.month), '[]') FROM months m),
		'cells', (SELECT coalesce(jsonb_agg(jsonb_build_object('month', to_char(c.month, 'YYYY-MM'),
				'organisation', c.org_code, 'purpose', c.purpose,
				'accesses', portal.transparency_cell(c.accesses, p_min),
				'refusals', portal.transparency_cell(c.refusals, p_min))
				ORDER BY c.month, c.org_code, c.purpose), '[]') FROM cells c),
		'disputes', (SELECT coalesce(jsonb_agg(jsonb_build_object('month', to_char(x.month, 'YYYY-MM'),
				'organisation', x.org_code,
				'opened', portal.transparency_cell(x.opened, p_min),
				'open', portal.transparency_cell(x.open, p_min),
				'acknowledged', portal.transparency_cell(x.acknowledged, p_min),
				'corrected', portal.transparency_cell(x.corrected, p_min),
				'rejected', portal.transparency_cell(x.rejected, p_min),
				'upheld', portal.transparency_cell(x.upheld, p_min),
				'not_upheld', portal.transparency_cell(x.not_upheld, p_min))
				ORDER BY x.month, x.org_code), '[]') FROM disputes x),
		'seals', (SELECT coalesce(jsonb_agg(jsonb_build_object('organisation', s.org_code,
				'opened', portal.transparency_cell(s.opened, p_min),
				'pending', portal.transparency_cell(s.pending, p_min))
				ORDER BY s.org_code), '[]') FROM seals s))
$$;
REVOKE EXECUTE ON FUNCTION portal.transparency(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.transparency(integer, integer) TO mado_app;

-- One published count: the number, or null when it is above zero and below p_min, so
-- that no small group can be picked out.
CREATE OR REPLACE FUNCTION portal.transparency_cell(p_n numeric, p_min integer) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT CASE WHEN p_n = 0 THEN to_jsonb(0)
		    WHEN p_n < p_min THEN 'null'::jsonb
		    ELSE to_jsonb(p_n) END
$$;
REVOKE EXECUTE ON FUNCTION portal.transparency_cell(numeric, integer) FROM PUBLIC;
