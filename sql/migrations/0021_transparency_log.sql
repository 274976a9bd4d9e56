-- The transparency log: every access record and every consent event becomes a leaf of
-- one Merkle tree (RFC 9162 hashing), stored as C2SP tlog-tiles, with signed and
-- witnessed checkpoints. See the README (Tamper-evident log).
--
-- How records reach the tree. The writer of a record (portal.record_access, and the
-- trigger on portal.consent_events) adds one small row to portal.tlog_pending in the
-- same transaction. The sequencer (one mado process at a time, by an advisory lock)
-- takes pending rows in batches, and in one transaction writes their leaves, the tiles
-- and a signed checkpoint and deletes the pending rows. A queue, rather than "every id
-- above the last sequenced one": identities are handed out in one order and committed in
-- another, so a reader of ids can pass over a row that commits later and never see it.
-- A pending row is taken whenever it becomes visible, however late it commits.
SET LOCAL ROLE mado_owner;

CREATE TABLE portal.tlog_pending (
	seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind      text NOT NULL CHECK (kind IN ('access', 'consent')),
	record_id bigint NOT NULL,
	person_id uuid NOT NULL
);

-- One row a leaf, never changed. The leaf's bytes are those of its record (as
-- portal.tlog_record_json writes it, encoded as docs/tlog.md says) and the salt; the
-- leaf hashes are in the level-0 tiles.
CREATE TABLE portal.tlog_leaves (
	idx       bigint PRIMARY KEY CHECK (idx >= 0),
	kind      text NOT NULL CHECK (kind IN ('access', 'consent')),
	record_id bigint NOT NULL,
	person_id uuid NOT NULL,
	salt      bytea NOT NULL CHECK (length(salt) = 16),
	UNIQUE (kind, record_id)
);

-- tlog-tiles: tile (level, idx) holds up to 256 hashes; level 0 the leaf hashes, level L
-- entry i the root of the full tile (L-1, i). Only the last tile of a level is partial; a
-- partial tile grows (its old hashes stay a prefix) until it is full, then never changes.
CREATE TABLE portal.tlog_tiles (
	level  smallint NOT NULL CHECK (level BETWEEN 0 AND 7),
	idx    bigint NOT NULL CHECK (idx >= 0),
	width  smallint NOT NULL CHECK (width BETWEEN 1 AND 256),
	hashes bytea NOT NULL,
	CHECK (length(hashes) = 32 * width),
	PRIMARY KEY (level, idx)
);

-- Every checkpoint the log signed, kept for ever so anyone can ask for consistency
-- between any two. published: the configured witnesses cosigned it and people see it.
CREATE TABLE portal.tlog_checkpoints (
	size         bigint PRIMARY KEY CHECK (size >= 0),
	root         bytea NOT NULL CHECK (length(root) = 32),
	note         text NOT NULL,
	created_at   timestamptz NOT NULL DEFAULT now(),
	published    boolean NOT NULL DEFAULT false,
	published_at timestamptz
);
CREATE INDEX tlog_checkpoints_published ON portal.tlog_checkpoints (size) WHERE published;

-- Witnesses' cosignatures: the signature line each added to a checkpoint.
CREATE TABLE portal.tlog_cosignatures (
	size       bigint NOT NULL REFERENCES portal.tlog_checkpoints (size),
	witness    text NOT NULL,
	line       text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (size, witness)
);

-- The last checkpoint handed to each witness, written before it is handed over: if mado
-- dies after the witness cosigned it but before the cosignature was stored, the witness
-- has moved on to it, and the next proof must start there.
CREATE TABLE portal.tlog_witness_sent (
	witness text PRIMARY KEY,
	size    bigint NOT NULL CHECK (size >= 0)
);

-- The sequencer's one row: the tree size it has integrated.
CREATE TABLE portal.tlog_state (
	one        boolean PRIMARY KEY DEFAULT true CHECK (one),
	size       bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
	updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO portal.tlog_state DEFAULT VALUES;

-- A full tile never changes; a partial one only grows, keeping its hashes as a prefix.
CREATE FUNCTION portal.tlog_tile_grow_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF OLD.width = 256 OR NEW.level <> OLD.level OR NEW.idx <> OLD.idx
	   OR NEW.width <= OLD.width
	   OR substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) <> OLD.hashes THEN
		RAISE EXCEPTION 'tlog_tiles only grow' USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END
$$;

-- A checkpoint changes only once: from unpublished to published.
CREATE FUNCTION portal.tlog_checkpoint_publish_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF OLD.published OR NOT NEW.published OR NEW.size <> OLD.size OR NEW.root <> OLD.root
	   OR NEW.note <> OLD.note OR NEW.created_at <> OLD.created_at THEN
		RAISE EXCEPTION 'tlog_checkpoints are append-only'
			USING ERRCODE = 'insufficient_privilege';
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER tlog_leaves_append_only BEFORE UPDATE OR DELETE ON portal.tlog_leaves
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER tlog_leaves_no_truncate BEFORE TRUNCATE ON portal.tlog_leaves
	FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER tlog_tiles_grow_only BEFORE UPDATE ON portal.tlog_tiles
	FOR EACH ROW EXECUTE FUNCTION portal.tlog_tile_grow_only();
CREATE TRIGGER tlog_tiles_no_delete BEFORE DELETE ON portal.tlog_tiles
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER tlog_tiles_no_truncate BEFORE TRUNCATE ON portal.tlog_tiles
	FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER tlog_checkpoints_publish_only BEFORE UPDATE ON portal.tlog_checkpoints
	FOR EACH ROW EXECUTE FUNCTION portal.tlog_checkpoint_publish_only();
CREATE TRIGGER tlog_checkpoints_no_delete BEFORE DELETE ON portal.tlog_checkpoints
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER tlog_checkpoints_no_truncate BEFORE TRUNCATE ON portal.tlog_checkpoints
	FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER tlog_cosignatures_append_only BEFORE UPDATE OR DELETE ON portal.tlog_cosignatures
	FOR EACH ROW EXECUTE FUNCTION portal.refuse_change();
CREATE TRIGGER tlog_cosignatures_no_truncate BEFORE TRUNCATE ON portal.tlog_cosignatures
	FOR EACH STATEMENT EXECUTE FUNCTION portal.refuse_change();

-- A consent event is queued by a trigger: it has four writers, and a trigger cannot be
-- forgotten by a fifth. (Access records are queued by portal.record_access itself, one
-- INSERT in its statement, cheaper than a row trigger on the partitioned log.)
CREATE FUNCTION portal.tlog_queue_consent() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	INSERT INTO portal.tlog_pending (kind, record_id, person_id)
	VALUES ('consent', NEW.id, NEW.person_id);
	RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION portal.tlog_queue_consent() FROM PUBLIC;
CREATE TRIGGER consent_events_tlog AFTER INSERT ON portal.consent_events
	FOR EACH ROW EXECUTE FUNCTION portal.tlog_queue_consent();

-- The records written before the log existed wait for the sequencer like new ones, in
-- the order they were written: access records first, then consent events.
INSERT INTO portal.tlog_pending (kind, record_id, person_id)
SELECT 'access', e.id, e.person_id FROM portal.access_events e ORDER BY e.id;
INSERT INTO portal.tlog_pending (kind, record_id, person_id)
SELECT 'consent', c.id, c.person_id FROM portal.consent_events c ORDER BY c.id;

-- The application role reaches all of it through the functions of
-- sql/functions/translog.sql only.
REVOKE ALL ON portal.tlog_pending, portal.tlog_leaves, portal.tlog_tiles,
	portal.tlog_checkpoints, portal.tlog_cosignatures, portal.tlog_state,
	portal.tlog_witness_sent FROM PUBLIC;
