-- What mado runs for GET /api/v1/me/access-log?limit=50, for pgbench: the database's
-- ceiling for bench/accesslog. The gate's session lookup (server/auth/auth_store.c), then
-- the page in a transaction as the person (server/accesslog/accesslog_store.c, Q_PAGE, with
-- the filters and the cursor unset), sent as one pipeline as mado sends it
-- (exec_as_person in server/db/pool.c, with the generic plan of a
-- MADO_DB_STMT_AS_PERSON_GENERIC statement). Keep both in step with the C.
\set n random(1, :sessions)
SELECT true AS found, s.person_id AS pid, s.binding_id AS bid, s.channel AS ch,
  coalesce(s.method, '') AS m, s.csrf_token AS csrf, s.shared AS sh,
  coalesce(s.card_at > now() - make_interval(secs => 900), false) AS card,
  coalesce(array_to_string(h.acts, ' '), '') AS hacts,
  coalesce(h.org_code, '') AS horg, coalesce(h.officer, '') AS href,
  s.expires_at <= now() OR s.last_seen <= now() - make_interval(secs =>
   CASE WHEN s.shared THEN 180 ELSE 900 END) AS ended,
  s.last_seen <= now() - make_interval(secs => least(30,
   (CASE WHEN s.shared THEN 180 ELSE 900 END) / 3)) AS touch,
  coalesce(b.revoked_at IS NOT NULL, false) AS revoked,
  b.id IS NOT NULL AND (b.checked_at IS NULL
   OR b.checked_at <= now() - make_interval(secs => 300)) AS recheck
  FROM portal.sessions s LEFT JOIN portal.card_bindings b ON b.id = s.binding_id
  LEFT JOIN LATERAL (SELECT * FROM portal.session_helper(s.id_hash)
   WHERE s.channel <> 'self' OFFSET 0) h ON true
  WHERE s.id_hash = sha256(convert_to('bench' || lpad(:n::text, 38, '0'), 'UTF8')) \gset
\startpipeline
BEGIN;
SELECT set_config('mado.person_id', :pid, true),
  set_config('plan_cache_mode', 'force_generic_plan', true);
SELECT e.id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
  (extract(epoch FROM e.recorded_at) * 1000000)::bigint,
  (CASE WHEN e.sealed_until > :today::date THEN portal.seal_holds(e.id) ELSE false END),
  e.org_code, e.relay_for, e.officer, e.officer_role, e.actor_kind, e.channel,
  e.purpose, e.legal_ref, e.case_ref, e.items::text, e.consent_id,
  e.outcome, e.reason, e.sealed_until::text, e.sealing_body, e.register_version::text,
  (SELECT json_agg(json_build_object('case_no', d.case_no, 'kind', d.kind,
   'status', d.status, 'supervisor', CASE WHEN o.case_no IS NOT NULL THEN
   json_build_object('outcome', o.outcome, 'finding', o.finding) END)
   ORDER BY d.created_at)::text FROM portal.disputes d
   LEFT JOIN portal.dispute_oversight o ON o.case_no = d.case_no
   WHERE d.person_id = e.person_id AND d.event_row = e.id)
  FROM portal.access_events e WHERE e.person_id = :pid::uuid
  AND (NULL::bigint IS NULL OR (e.occurred_at, e.id) < ('epoch'::timestamptz
   + NULL::bigint * interval '1 microsecond', NULL::bigint))
  AND (NULL::timestamptz IS NULL OR e.occurred_at >= NULL::timestamptz)
  AND (NULL::timestamptz IS NULL OR e.occurred_at < NULL::timestamptz)
  AND ((NULL::text IS NULL AND NULL::text IS NULL AND NULL::text IS NULL AND NULL::text IS NULL
        AND NULL::text IS NULL)
   OR ((e.sealed_until IS NULL OR NOT (CASE WHEN e.sealed_until > :today::date
         THEN portal.seal_holds(e.id) ELSE false END))
    AND (NULL::text IS NULL OR e.org_code = NULL) AND (NULL::text IS NULL OR e.channel = NULL)
    AND (NULL::text IS NULL OR e.purpose = NULL) AND (NULL::text IS NULL OR NULL = ANY (e.items))
    AND (NULL::text IS NULL OR e.outcome = NULL)))
  ORDER BY e.occurred_at DESC, e.id DESC LIMIT 51;
COMMIT;
\endpipeline
