-- The SQL of one complete passkey login, as mado runs it (server/auth/auth_store.c,
-- server/passkey/passkey_store.c), for pgbench: the database's ceiling for the passkey
-- row of bench/login. :cards passkeys exist with ids 1..:cards.
\set n random(1, :cards)
\set s random(1, 2000000000)
-- POST /api/v1/auth/passkey/challenge: a pre-login session and its challenge.
INSERT INTO portal.sessions (id_hash, csrf_token, expires_at)
  VALUES (sha256(convert_to('pk-' || :client_id || '-' || :s, 'UTF8')), 'csrf', now() + make_interval(secs => 600));
INSERT INTO portal.auth_challenges (session_hash, nonce, expires_at)
  VALUES (sha256(convert_to('pk-' || :client_id || '-' || :s, 'UTF8')), repeat('n', 44), now() + make_interval(secs => 300))
  ON CONFLICT (session_hash) DO UPDATE SET nonce = excluded.nonce, expires_at = excluded.expires_at;
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
-- ... and in one transaction the session and the history.
BEGIN;
DELETE FROM portal.sessions WHERE id_hash = sha256(convert_to('pk-' || :client_id || '-' || :s, 'UTF8'));
INSERT INTO portal.sessions (id_hash, person_id, binding_id, method, passkey_id, csrf_token, expires_at)
  SELECT sha256(convert_to('ps-' || :client_id || '-' || :s, 'UTF8')), person_id, binding_id, 'passkey', id,
  'csrf', now() + make_interval(secs => 28800) FROM portal.passkeys WHERE id = :n;
SELECT set_config('mado.person_id', (SELECT person_id::text FROM portal.passkeys WHERE id = :n), true);
INSERT INTO portal.login_events (person_id, method, event, reason)
  SELECT person_id, 'passkey', 'login', NULL FROM portal.passkeys WHERE id = :n;
COMMIT;
