-- The SQL of one complete login, as mado runs it (server/auth/auth_store.c), for pgbench:
-- the database's ceiling for bench/login. :cards bindings exist with ids 1..:cards.
\set n random(1, :cards)
\set s random(1, 2000000000)
-- POST /api/v1/auth/challenge: a pre-login session and its challenge.
INSERT INTO portal.sessions (id_hash, csrf_token, expires_at)
  VALUES (sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8')), 'csrf', now() + make_interval(secs => 600));
INSERT INTO portal.auth_challenges (session_hash, nonce, expires_at)
  VALUES (sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8')), repeat('n', 44), now() + make_interval(secs => 300))
  ON CONFLICT (session_hash) DO UPDATE SET nonce = excluded.nonce, expires_at = excluded.expires_at;
-- POST /api/v1/auth/webeid: the gate reads the pre-login session ...
SELECT s.person_id, s.binding_id, s.channel, coalesce(s.method, ''), s.csrf_token,
  s.expires_at <= now() OR s.last_seen <= now() - make_interval(secs => 900),
  s.last_seen <= now() - interval '30 seconds', coalesce(b.revoked_at IS NOT NULL, false),
  b.id IS NOT NULL AND (b.checked_at IS NULL OR b.checked_at <= now() - make_interval(secs => 300))
  FROM portal.sessions s LEFT JOIN portal.card_bindings b ON b.id = s.binding_id
  WHERE s.id_hash = sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8'));
-- ... the address limit, the challenge taken, the card's binding and key ...
SELECT failures FROM portal.auth_failures WHERE scope = 'addr' AND key_hash = 'bench'
  AND window_start > now() - make_interval(secs => 600);
DELETE FROM portal.auth_challenges c USING portal.sessions s
  WHERE c.session_hash = sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8'))
  AND s.id_hash = c.session_hash AND s.person_id IS NULL RETURNING c.nonce, c.expires_at <= now();
SELECT id, person_id, revoked_at IS NOT NULL FROM portal.card_bindings
  WHERE (issuer_hash, serial) = (SELECT issuer_hash, serial FROM portal.card_bindings WHERE id = :n);
SELECT 1 FROM portal.card_bindings WHERE key_hash = (SELECT key_hash FROM portal.card_bindings WHERE id = :n)
  AND person_id <> (SELECT person_id FROM portal.card_bindings WHERE id = :n) LIMIT 1;
-- ... and in one transaction the session, the check time and the history.
BEGIN;
DELETE FROM portal.sessions WHERE id_hash = sha256(convert_to('pre-' || :client_id || '-' || :s, 'UTF8'));
INSERT INTO portal.sessions (id_hash, person_id, binding_id, method, csrf_token, expires_at)
  SELECT sha256(convert_to('s-' || :client_id || '-' || :s, 'UTF8')), person_id, id, 'webeid', 'csrf',
  now() + make_interval(secs => 28800) FROM portal.card_bindings WHERE id = :n;
UPDATE portal.card_bindings SET checked_at = now() WHERE id = :n;
SELECT set_config('mado.person_id', (SELECT person_id::text FROM portal.card_bindings WHERE id = :n), true);
INSERT INTO portal.login_events (person_id, method, event, reason)
  SELECT person_id, 'webeid', 'login', NULL FROM portal.card_bindings WHERE id = :n;
COMMIT;
DELETE FROM portal.auth_failures WHERE scope = 'card' AND key_hash = 'bench';
