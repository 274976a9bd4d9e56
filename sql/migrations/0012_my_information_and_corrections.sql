-- My information and corrections (issue 11).
--
-- The person reads what the holding organisations keep about them through Mado itself:
-- such a read is recorded like any other, with channel self, under the purpose own-data,
-- by the organisation "mado" (kind portal: it has no certificates and never comes through
-- the gateway). Each data item names its source (the register it comes from).
--
-- A correction request (kind correction) and "this is not mine" on an item are disputes
-- about an item rather than about an access-log entry: such a case names the item and no
-- entry, and reaches the item's holder through the same queue, answer and notices.
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.organisations DROP CONSTRAINT organisations_kind_check,
	ADD CONSTRAINT organisations_kind_check
	CHECK (kind IN ('agency', 'private', 'desk', 'supervisor', 'portal'));
INSERT INTO portal.organisations (code, kind, name_ja, name_en)
VALUES ('mado', 'portal', 'Mado（ご本人による確認）', 'Mado (your own check)')
ON CONFLICT (code) DO NOTHING;

INSERT INTO portal.purposes (code, name_ja, name_en, explain_ja, explain_en)
VALUES ('own-data', 'ご本人による確認', 'Your own check',
	'あなたが「わたしの情報」で、ご自分の情報を見たため。',
	'You looked at your own information in My information.')
ON CONFLICT (code) DO NOTHING;

ALTER TABLE portal.data_items
	ADD COLUMN source_ja text NOT NULL DEFAULT '' CHECK (length(source_ja) <= 200),
	ADD COLUMN source_en text NOT NULL DEFAULT '' CHECK (length(source_en) <= 200);

ALTER TABLE portal.disputes ALTER COLUMN event_row DROP NOT NULL,
	ADD COLUMN item text REFERENCES portal.data_items (code),
	DROP CONSTRAINT disputes_kind_check,
	ADD CONSTRAINT disputes_kind_check
	CHECK (kind IN ('not-recognised', 'not-mine', 'correction')),
	ADD CONSTRAINT disputes_entry_or_item CHECK ((event_row IS NULL) <> (item IS NULL)),
	ADD CONSTRAINT disputes_correction_on_item CHECK (kind <> 'correction' OR item IS NOT NULL);
CREATE INDEX disputes_item ON portal.disputes (person_id, item) WHERE item IS NOT NULL;

-- The data items a push programme's notices may speak of: while any of them is frozen for
-- a person, the programme's notices to that person are refused (and recorded), as the
-- gateway's queries and private services' fetches are. IF NOT EXISTS: the programme list
-- may gain the same column for its own reasons.
ALTER TABLE portal.push_programmes ADD COLUMN IF NOT EXISTS items text[] NOT NULL DEFAULT '{}';
