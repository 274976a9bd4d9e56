-- A session gets a new id when the card confirms it (the step-up). Whoever had copied the
-- old cookie (the session as a passkey or a phone opened it) does not inherit what the
-- card opens: giving consent, adding a device, a mandate. What hangs on the session by its
-- id follows the new one: each reference to portal.sessions (id_hash) now cascades an
-- update as it already cascaded a delete.
SET LOCAL ROLE mado_owner;

DO $$
DECLARE
	r record;
BEGIN
	FOR r IN
		SELECT c.conname, c.conrelid::regclass AS tbl, a.attname AS col,
		       c.confdeltype AS on_delete
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.confrelid = 'portal.sessions'::regclass
		  AND cardinality(c.conkey) = 1
		  AND c.confkey[1] = (SELECT attnum FROM pg_attribute
				      WHERE attrelid = 'portal.sessions'::regclass
					AND attname = 'id_hash')
	LOOP
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
		EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%I) '
			       'REFERENCES portal.sessions (id_hash) ON UPDATE CASCADE ON DELETE %s',
			       r.tbl, r.conname, r.col,
			       CASE r.on_delete WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL'
						ELSE 'NO ACTION' END);
	END LOOP;
END
$$;
