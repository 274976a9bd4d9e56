-- The SQL of one complete card login, as mado runs it (server/auth/auth_store.c and the
-- functions of sql/functions/auth.sql), for pgbench: the database's ceiling for
-- bench/login. Five round trips, as in mado. :cards bindings exist with ids 1..:cards;
-- the card's identity, which mado has from the certificate, is read in the same statement.
\set n random(1, :cards)
\set s random(1, 2000000000)
-- POST /api/v1/auth/challenge: the route's per-client limit ...
INSERT INTO portal.auth_failures AS f (scope, key_hash, window_start, failures)
  VALUES ('addr', 'bench-rate', now(), 1) ON CONFLICT (scope, key_hash) DO UPDATE SET
  failures = CASE WHEN f.window_start <= now() - make_interval(secs => 60) THEN 1 ELSE f.failures + 1 END,
  window_start = CASE WHEN f.window_start <= now() - make_interval(secs => 60) THEN now() ELSE f.window_start END
  RETURNING failures, greatest(1, ceil(extract(epoch FROM window_start + make_interval(secs => 60) - now())))::int;
-- ... and the pre-login session, its challenge and the purge of what ran out.
SELECT portal.auth_prelogin(sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8')), 'csrf', false,
  600, repeat('n', 44), 300);
-- POST /api/v1/auth/webeid: the gate reads the pre-login session ...
SELECT true AS found, s.person_id, s.binding_id, s.channel, coalesce(s.method, '') AS method,
  s.csrf_token AS csrf, s.shared,
  coalesce(s.card_at > now() - make_interval(secs => 900), false) AS card,
  coalesce(array_to_string(h.acts, ' '), '') AS helper_acts,
  coalesce(h.org_code, '') AS helper_org, coalesce(h.officer, '') AS helper_ref,
  s.expires_at <= now() OR s.last_seen <= now() - make_interval(secs =>
   CASE WHEN s.shared THEN 180 ELSE 900 END) AS expired,
  s.last_seen <= now() - make_interval(secs => least(30, (CASE WHEN s.shared THEN 180 ELSE 900 END) / 3)) AS touch_due,
  coalesce(b.revoked_at IS NOT NULL, false) AS revoked,
  b.id IS NOT NULL AND (b.checked_at IS NULL OR b.checked_at <= now() - make_interval(secs => 300)) AS recheck_due
  FROM portal.sessions s LEFT JOIN portal.card_bindings b ON b.id = s.binding_id
  LEFT JOIN LATERAL (SELECT * FROM portal.session_helper(s.id_hash) WHERE s.channel <> 'self' OFFSET 0) h ON true
  WHERE s.id_hash = sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8'));
-- ... takes the challenge (before the token's checks) ...
DELETE FROM portal.auth_challenges c USING portal.sessions s
  WHERE c.session_hash = sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8'))
  AND s.id_hash = c.session_hash AND s.person_id IS NULL RETURNING c.nonce, c.expires_at <= now() AS expired;
-- ... and after them, the binding and, the login holding, the session, the card's check
-- and use, the history, the notice and the card's counter.
SELECT true AS found, o_id::text AS id, o_person::text AS person_id, o_revoked AS revoked,
  o_key_elsewhere AS key_elsewhere, o_logged_in AS logged_in
  FROM portal.card_login((SELECT issuer_key FROM portal.card_bindings WHERE id = :n),
  (SELECT serial FROM portal.card_bindings WHERE id = :n), (SELECT key_hash FROM portal.card_bindings WHERE id = :n),
  true, true, 'bench-card', sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8')), NULL, NULL,
  sha256(convert_to('s-' || :client_id || '-' || :s, 'UTF8')), 'webeid', 'csrf', 28800, false, '127.0.0.0/24', true);
