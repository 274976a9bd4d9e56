-- A card whose key is already bound to another person is refused (one key, one person);
-- from here on it is also a case for the supervisor, of the new kind card-key
-- (portal.card_key_case in sql/functions/oversight.sql).
SET LOCAL ROLE mado_owner;

ALTER TABLE portal.anomalies DROP CONSTRAINT anomalies_kind_check;
ALTER TABLE portal.anomalies ADD CONSTRAINT anomalies_kind_check
	CHECK (kind IN ('many-people', 'night', 'official-spike', 'org-spike', 'refusals',
			'proxy-people', 'new-case-refs', 'card-key'));
