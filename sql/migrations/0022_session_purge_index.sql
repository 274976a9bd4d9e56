-- The purge of what ran out, which every login challenge runs, finds its rows by index.
--
-- Every challenge deletes a bounded batch of expired sessions (pre-login sessions as soon
-- as they expire, people's sessions an hour after). Its condition, an OR over person_id
-- and expires_at, was answered by reading the whole sessions table, so each challenge cost
-- more as sessions grew (1.1 ms at 5,700 sessions). Pre-login sessions get a partial index
-- of their own, small since they live minutes; people's sessions are found on
-- sessions_expires.
SET LOCAL ROLE mado_owner;

CREATE INDEX sessions_prelogin_expires ON portal.sessions (expires_at) WHERE person_id IS NULL;
