-- The transparency log (migration 0019): the records as leaves carry them, the
-- sequencer's steps, the witnesses' cosignatures and the reads of the public API, the
-- person's bundles and the audit.
SET LOCAL ROLE mado_owner;

-- A record's fields, as the functions below return them (columns a_* for an access
-- record, c_* for a consent event, NULL when the row is gone): the server builds the
-- record of the leaf from them (server/translog/record.c), times as microseconds since
-- the epoch, which it writes as the leaf's UTC text. Formatting in SQL (to_char) cost
-- more than the rest of a batch. Each record is found by its key (LATERAL: an index probe
-- in the one partition of its person), never by a scan of the whole log.

-- The sequencer's steps run only on the connection that holds the sequencer's advisory
-- lock (mado's translog module takes it): two processes never integrate at once.
CREATE OR REPLACE FUNCTION portal.tlog_require_sequencer() RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_locks l
		       WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()
			 AND l.classid = 1835099247 AND l.objid = 15 AND l.objsubid = 2
			 AND l.granted) THEN
		RAISE EXCEPTION 'this session is not the transparency log''s sequencer'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_require_sequencer() FROM PUBLIC;

-- The tree size integrated so far (the sequencer's state).
CREATE OR REPLACE FUNCTION portal.tlog_size() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT s.size FROM portal.tlog_state s
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_size() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_size() TO mado_app;

-- The next pending records, oldest first, with their records in the columns' own types:
-- the sequencer reads them in binary (server/translog/record.c), so the server formats
-- nothing. A batch's access records were written together, so their ids lie close: they
-- are found by one range of each partition's key, merged with the batch, instead of a
-- probe each (consent events likewise). A record whose id lies far above the batch's
-- lowest of its kind (written long after an old one that committed late) waits for a
-- later batch, so the range stays short. One
-- statement: the queue is read once (its head is where the rows just integrated lie dead
-- until a vacuum), and the range and the batch come from the same snapshot.
-- Its columns changed (their own types): dropped first, as a new return type needs.
DROP FUNCTION IF EXISTS portal.tlog_take(integer);
CREATE OR REPLACE FUNCTION portal.tlog_take(p_max integer)
RETURNS TABLE (seq bigint, kind text, record_id bigint, person_id uuid,
	       a_id bigint, a_event_id uuid, a_person_id uuid, a_occurred_at timestamptz,
	       a_recorded_at timestamptz, a_org_code text, a_relay_for text, a_officer text,
	       a_officer_role text, a_actor_kind text, a_channel text, a_purpose text,
	       a_legal_ref text, a_case_ref text, a_items text[], a_consent_id uuid, a_outcome text,
	       a_reason text, a_sealed_until date, a_sealing_body text, a_register_version bigint,
	       c_id bigint, c_consent_id uuid, c_person_id uuid, c_at timestamptz, c_actor text,
	       c_channel text, c_type text, c_prev_status text, c_new_status text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- The batch is gathered in memory before it is sent (a few hundred bytes a record), not
-- spilled to a temporary file.
SET work_mem = '64MB' AS $$
BEGIN
	PERFORM portal.tlog_require_sequencer();
	RETURN QUERY
	WITH p AS MATERIALIZED (
		SELECT x.seq, x.kind, x.record_id, x.person_id FROM portal.tlog_pending x
		ORDER BY x.seq LIMIT p_max
	), r AS (
		SELECT q.kind, min(q.record_id) AS lo,
		       least(max(q.record_id), min(q.record_id) + 4 * p_max) AS hi
		FROM p q GROUP BY q.kind
	)
	SELECT p.seq, p.kind, p.record_id, p.person_id,
	       e.id, e.event_id, e.person_id, e.occurred_at, e.recorded_at, e.org_code,
	       e.relay_for, e.officer, e.officer_role, e.actor_kind, e.channel, e.purpose,
	       e.legal_ref, e.case_ref, e.items, e.consent_id, e.outcome, e.reason,
	       e.sealed_until, e.sealing_body, e.register_version,
	       c.id, c.consent_id, c.person_id, c.at, c.actor, c.channel, c.type,
	       c.prev_status, c.new_status
	FROM p JOIN r ON r.kind = p.kind AND p.record_id <= r.hi
	LEFT JOIN (SELECT x.* FROM portal.access_events x, r
		   WHERE r.kind = 'access' AND x.id BETWEEN r.lo AND r.hi) e
	  ON p.kind = 'access' AND e.id = p.record_id AND e.person_id = p.person_id
	LEFT JOIN (SELECT y.* FROM portal.consent_events y, r
		   WHERE r.kind = 'consent' AND y.id BETWEEN r.lo AND r.hi) c
	  ON p.kind = 'consent' AND c.id = p.record_id
	ORDER BY p.seq;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_take(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_take(integer) TO mado_app;

-- Integrates one batch: the leaves from index p_size on (p_salts: 16 bytes each, in
-- order), and the pending rows taken (p_seqs) leave the queue. Refused unless p_size is
-- the tree's size, so an index is never handed out twice.
CREATE OR REPLACE FUNCTION portal.tlog_append(p_size bigint, p_seqs bigint[], p_kinds text[],
					      p_ids bigint[], p_people uuid[], p_salts bytea)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	v_size bigint;
	v_n bigint := coalesce(cardinality(p_kinds), 0);
BEGIN
	PERFORM portal.tlog_require_sequencer();
	SELECT s.size INTO v_size FROM portal.tlog_state s FOR UPDATE;
	IF v_size <> p_size OR length(p_salts) <> 16 * v_n OR cardinality(p_ids) <> v_n
	   OR cardinality(p_people) <> v_n THEN
		RAISE EXCEPTION 'the batch does not continue the tree at %', v_size
			USING ERRCODE = 'serialization_failure';
	END IF;
	INSERT INTO portal.tlog_leaves (idx, kind, record_id, person_id, salt)
	SELECT p_size + u.o - 1, u.k, u.id, u.pp, substring(p_salts FROM ((u.o - 1) * 16 + 1)::integer FOR 16)
	FROM unnest(p_kinds, p_ids, p_people) WITH ORDINALITY AS u(k, id, pp, o);
	DELETE FROM portal.tlog_pending q WHERE q.seq = ANY (p_seqs);
	UPDATE portal.tlog_state SET size = p_size + v_n, updated_at = now();
	RETURN p_size + v_n;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_append(bigint, bigint[], text[], bigint[], uuid[], bytea)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_append(bigint, bigint[], text[], bigint[], uuid[], bytea)
	TO mado_app;

-- Writes a batch's tiles as they are now (the triggers let a partial tile only grow):
-- tile i is level p_levels[i], index p_idx[i], the next p_widths[i] hashes of p_hashes.
DROP FUNCTION IF EXISTS portal.tlog_tile_put(smallint, bigint, bytea);
CREATE OR REPLACE FUNCTION portal.tlog_tiles_put(p_levels smallint[], p_idx bigint[],
						 p_widths smallint[], p_hashes bytea)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.tlog_require_sequencer();
	IF cardinality(p_idx) <> cardinality(p_levels) OR cardinality(p_widths) <> cardinality(p_levels)
	   OR length(p_hashes) <> 32 * (SELECT coalesce(sum(w), 0) FROM unnest(p_widths) w) THEN
		RAISE EXCEPTION 'the tiles do not add up' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	INSERT INTO portal.tlog_tiles AS t (level, idx, width, hashes)
	SELECT u.l, u.i, u.w,
	       substring(p_hashes FROM (32 * (sum(u.w) OVER (ORDER BY u.o) - u.w) + 1)::integer
			 FOR 32 * u.w)
	FROM unnest(p_levels, p_idx, p_widths) WITH ORDINALITY AS u(l, i, w, o)
	ORDER BY u.o
	ON CONFLICT (level, idx) DO UPDATE SET width = EXCLUDED.width, hashes = EXCLUDED.hashes
	WHERE t.hashes <> EXCLUDED.hashes;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_tiles_put(smallint[], bigint[], smallint[], bytea)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_tiles_put(smallint[], bigint[], smallint[], bytea)
	TO mado_app;

-- A tile as stored (public: hashes only).
-- PL/pgSQL, not SQL: every proof reads a tile, and a SQL function with SET clauses is
-- parsed and planned again on every call, where PL/pgSQL keeps its plan.
CREATE OR REPLACE FUNCTION portal.tlog_tile(p_level smallint, p_idx bigint)
RETURNS TABLE (width smallint, hashes bytea)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	RETURN QUERY SELECT t.width, t.hashes FROM portal.tlog_tiles t
	WHERE t.level = p_level AND t.idx = p_idx;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_tile(smallint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_tile(smallint, bigint) TO mado_app;

-- The signed checkpoint of the tree as the batch left it.
CREATE OR REPLACE FUNCTION portal.tlog_checkpoint_add(p_size bigint, p_root bytea, p_note text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.tlog_require_sequencer();
	IF p_size <> (SELECT s.size FROM portal.tlog_state s) THEN
		RAISE EXCEPTION 'a checkpoint of size % is not the tree''s', p_size
			USING ERRCODE = 'serialization_failure';
	END IF;
	INSERT INTO portal.tlog_checkpoints (size, root, note) VALUES (p_size, p_root, p_note);
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_checkpoint_add(bigint, bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_checkpoint_add(bigint, bytea, text) TO mado_app;

-- The newest checkpoint when it is not yet published (the witnesses' next work).
CREATE OR REPLACE FUNCTION portal.tlog_unpublished()
RETURNS TABLE (size bigint, note text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT c.size, c.note FROM portal.tlog_checkpoints c
	WHERE NOT c.published
	  AND c.size = (SELECT max(m.size) FROM portal.tlog_checkpoints m)
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_unpublished() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_unpublished() TO mado_app;

-- The size of the last checkpoint a witness cosigned (0: none), and of the last one it
-- was handed (0: none).
CREATE OR REPLACE FUNCTION portal.tlog_witness_last(p_witness text)
RETURNS TABLE (cosigned bigint, sent bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce((SELECT max(w.size) FROM portal.tlog_cosignatures w
			 WHERE w.witness = p_witness), 0),
	       coalesce((SELECT s.size FROM portal.tlog_witness_sent s
			 WHERE s.witness = p_witness), 0)
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_witness_last(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_witness_last(text) TO mado_app;

-- Notes that a checkpoint is being handed to a witness (before it is).
CREATE OR REPLACE FUNCTION portal.tlog_witness_sending(p_witness text, p_size bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.tlog_require_sequencer();
	INSERT INTO portal.tlog_witness_sent AS s (witness, size) VALUES (p_witness, p_size)
	ON CONFLICT (witness) DO UPDATE SET size = EXCLUDED.size;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_witness_sending(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_witness_sending(text, bigint) TO mado_app;

CREATE OR REPLACE FUNCTION portal.tlog_cosign_add(p_size bigint, p_witness text, p_line text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.tlog_require_sequencer();
	INSERT INTO portal.tlog_cosignatures (size, witness, line) VALUES (p_size, p_witness, p_line)
	ON CONFLICT DO NOTHING;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_cosign_add(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_cosign_add(bigint, text, text) TO mado_app;

-- Publishes the checkpoint once p_needed witnesses cosigned it; true when it is published.
-- Only a checkpoint newer than every published one is published.
CREATE OR REPLACE FUNCTION portal.tlog_publish(p_size bigint, p_needed integer) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.tlog_require_sequencer();
	UPDATE portal.tlog_checkpoints c SET published = true, published_at = now()
	WHERE c.size = p_size AND NOT c.published
	  AND (SELECT count(*) FROM portal.tlog_cosignatures w WHERE w.size = p_size) >= p_needed
	  AND NOT EXISTS (SELECT 1 FROM portal.tlog_checkpoints o
			  WHERE o.published AND o.size >= p_size);
	RETURN FOUND;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_publish(bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_publish(bigint, integer) TO mado_app;

-- A published checkpoint with its cosignatures: the latest (p_size NULL) or of a size.
CREATE OR REPLACE FUNCTION portal.tlog_checkpoint(p_size bigint)
RETURNS TABLE (size bigint, note text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
	SELECT c.size, c.note || coalesce((SELECT string_agg(w.line || E'\n', '' ORDER BY w.witness)
					   FROM portal.tlog_cosignatures w
					   WHERE w.size = c.size), '')
	FROM portal.tlog_checkpoints c
	WHERE c.published AND (p_size IS NULL OR c.size = p_size)
	ORDER BY c.size DESC LIMIT 1
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_checkpoint(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_checkpoint(bigint) TO mado_app;

-- The leaves of some of the person's records (p_ids), in index order: index, salt and
-- record, once sequenced. An access record under seal is listed without its record (its
-- bundle would show what the seal hides until it opens).
-- Its columns grew (register_version): dropped first, as a new return type needs.
DROP FUNCTION IF EXISTS portal.tlog_leaves_of(uuid, text, bigint[]);
CREATE OR REPLACE FUNCTION portal.tlog_leaves_of(p_person uuid, p_kind text, p_ids bigint[])
RETURNS TABLE (record_id bigint, idx bigint, salt text, sealed boolean,
	       a_id bigint, a_event_id uuid, a_person_id uuid, a_occurred_us bigint, a_recorded_us bigint,
	       a_org_code text, a_relay_for text, a_officer text, a_officer_role text,
	       a_actor_kind text, a_channel text, a_purpose text, a_legal_ref text, a_case_ref text,
	       a_items text, a_consent_id uuid, a_outcome text, a_reason text, a_sealed_until text,
	       a_sealing_body text, a_register_version bigint, c_id bigint, c_consent_id uuid, c_person_id uuid, c_at_us bigint,
	       c_actor text, c_channel text, c_type text, c_prev_status text, c_new_status text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM portal.require_person(p_person);
	RETURN QUERY
	SELECT l.record_id, l.idx, encode(l.salt, 'base64'),
	       coalesce(e.sealed_until > current_date, false),
	       e.id, e.event_id, e.person_id,
	       (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
	       (extract(epoch FROM e.recorded_at) * 1000000)::bigint,
	       e.org_code, e.relay_for, e.officer, e.officer_role, e.actor_kind, e.channel,
	       e.purpose, e.legal_ref, e.case_ref, array_to_json(e.items)::text, e.consent_id,
	       e.outcome, e.reason, to_char(e.sealed_until, 'YYYY-MM-DD'), e.sealing_body, e.register_version,
	       c.id, c.consent_id, c.person_id, (extract(epoch FROM c.at) * 1000000)::bigint,
	       c.actor, c.channel, c.type, c.prev_status, c.new_status
	FROM portal.tlog_leaves l
	LEFT JOIN LATERAL (SELECT * FROM portal.access_events x
			   WHERE l.kind = 'access' AND x.id = l.record_id
			     AND x.person_id = l.person_id) e ON true
	LEFT JOIN LATERAL (SELECT * FROM portal.consent_events y
			   WHERE l.kind = 'consent' AND y.id = l.record_id) c ON true
	WHERE l.kind = p_kind AND l.record_id = ANY (p_ids) AND l.person_id = p_person
	ORDER BY l.idx;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_leaves_of(uuid, text, bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION portal.tlog_leaves_of(uuid, text, bigint[]) TO mado_app;

-- The audit (mado tlog-audit, as the schema owner): leaves from index p_from on, with
-- their records as the rows hold them now (NULL when a row is gone).
-- Its columns grew (register_version): dropped first, as a new return type needs.
DROP FUNCTION IF EXISTS portal.tlog_audit_leaves(bigint, integer);
CREATE OR REPLACE FUNCTION portal.tlog_audit_leaves(p_from bigint, p_n integer)
RETURNS TABLE (idx bigint, kind text, salt bytea,
	       a_id bigint, a_event_id uuid, a_person_id uuid, a_occurred_us bigint, a_recorded_us bigint,
	       a_org_code text, a_relay_for text, a_officer text, a_officer_role text,
	       a_actor_kind text, a_channel text, a_purpose text, a_legal_ref text, a_case_ref text,
	       a_items text, a_consent_id uuid, a_outcome text, a_reason text, a_sealed_until text,
	       a_sealing_body text, a_register_version bigint, c_id bigint, c_consent_id uuid, c_person_id uuid, c_at_us bigint,
	       c_actor text, c_channel text, c_type text, c_prev_status text, c_new_status text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT l.idx, l.kind, l.salt,
	       e.id, e.event_id, e.person_id,
	       (extract(epoch FROM e.occurred_at) * 1000000)::bigint,
	       (extract(epoch FROM e.recorded_at) * 1000000)::bigint,
	       e.org_code, e.relay_for, e.officer, e.officer_role, e.actor_kind, e.channel,
	       e.purpose, e.legal_ref, e.case_ref, array_to_json(e.items)::text, e.consent_id,
	       e.outcome, e.reason, to_char(e.sealed_until, 'YYYY-MM-DD'), e.sealing_body, e.register_version,
	       c.id, c.consent_id, c.person_id, (extract(epoch FROM c.at) * 1000000)::bigint,
	       c.actor, c.channel, c.type, c.prev_status, c.new_status
	FROM (SELECT * FROM portal.tlog_leaves x WHERE x.idx >= p_from ORDER BY x.idx LIMIT p_n) l
	LEFT JOIN LATERAL (SELECT * FROM portal.access_events x
			   WHERE l.kind = 'access' AND x.id = l.record_id
			     AND x.person_id = l.person_id) e ON true
	LEFT JOIN LATERAL (SELECT * FROM portal.consent_events y
			   WHERE l.kind = 'consent' AND y.id = l.record_id) c ON true
	ORDER BY l.idx
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_audit_leaves(bigint, integer) FROM PUBLIC;
