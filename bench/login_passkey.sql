-- The SQL of one complete passkey login, as mado runs it (server/auth/auth_store.c,
-- server/passkey/passkey_store.c), for pgbench: the database's ceiling for the passkey
-- row of bench/login: seven round trips, as in mado. :cards passkeys exist with ids
-- 1..:cards.
\set n random(1, :cards)
\set s random(1, 2000000000)
-- POST /api/v1/auth/passkey/challenge: the route's per-client limit ...
INSERT INTO portal.auth_failures AS f (scope, key_hash, window_start, failures)
  VALUES ('addr', 'bench-rate', now(), 1) ON CONFLICT (scope, key_hash) DO UPDATE SET
  failures = CASE WHEN f.window_start <= now() - make_interval(secs => 60) THEN 1 ELSE f.failures + 1 END,
  window_start = CASE WHEN f.window_start <= now() - make_interval(secs => 60) THEN now() ELSE f.window_start END
  RETURNING failures, greatest(1, ceil(extract(epoch FROM window_start + make_interval(secs => 60) - now())))::int;
-- ... and the pre-login session, its challenge and the purge of what ran out.
SELECT portal.auth_prelogin(sha256(convert_to('pk-' || :client_id || '-' || :s, 'UTF8')), 'csrf', false,
  600, repeat('n', 44), 300);
-- POST /api/v1/auth/passkey: the gate reads the pre-login session ...
SELECT s.person_id, s.binding_id, s.channel, coalesce(s.method, ''), s.csrf_token,
  s.expires_at <= now() OR s.last_seen <= now() - make_interval(secs => 900),
  s.last_seen <= now() - interval '30 seconds', coalesce(b.revoked_at IS NOT NULL, false),
  b.id IS NOT NULL AND (b.checked_at IS NULL OR b.checked_at <= now() - make_interval(secs => 300))
  FROM portal.sessions s LEFT JOIN portal.card_bindings b ON b.id = s.binding_id
  WHERE s.id_hash = sha256(convert_to('pk-' || :client_id || '-' || :s, 'UTF8'));
-- ... the challenge taken, the passkey and its card's binding, the counter moved on ...
DELETE FROM portal.auth_challenges c USING portal.sessions s
  WHERE c.session_hash = sha256(convert_to('pk-' || :client_id || '-' || :s, 'UTF8'))
  AND s.id_hash = c.session_hash AND s.person_id IS NULL RETURNING c.nonce, c.expires_at <= now();
SELECT true, p.id::text, p.person_id::text, p.binding_id::text, p.public_key, p.alg, p.sign_count,
  b.revoked_at IS NOT NULL FROM portal.passkeys p JOIN portal.card_bindings b ON b.id = p.binding_id
  WHERE p.credential_id = (SELECT credential_id FROM portal.passkeys WHERE id = :n);
UPDATE portal.passkeys SET sign_count = sign_count + 1, last_used_at = now()
  WHERE id = :n AND sign_count < 4294967295;
-- ... and in one call the session, the history and the notice.
SELECT portal.login_open(sha256(convert_to('pk-' || :client_id || '-' || :s, 'UTF8')), NULL, NULL,
  sha256(convert_to('ps-' || :client_id || '-' || :s, 'UTF8')), person_id, binding_id, 'passkey', 'csrf',
  28800, false, '127.0.0.0/24', id, false, false) FROM portal.passkeys WHERE id = :n;
