-- Demo values for one holder's items, for the people whose pseudonyms (the holder's, from
-- Mado's portal.pseudonyms) are in demo_pseudonyms(pseudonym text), which the caller has
-- loaded. psql variable org: residents-registry, tax-office, pension-service,
-- health-insurer or city-welfare. The values are those sql/demo/agencies.sql makes,
-- derived from the pseudonym instead of the person's id, so that they stay put between
-- runs. Safe to run again: values already there are kept.
--   psql -v org=tax-office -c 'CREATE TEMP TABLE demo_pseudonyms (pseudonym text)' \
--        -c '\copy demo_pseudonyms FROM pseudonyms.txt' -f sql/holder/demo.sql
SET client_min_messages = warning;
BEGIN;
SET LOCAL mado.demo_org = :'org';
DO $$
BEGIN
	IF current_setting('mado.demo_org') NOT IN ('residents-registry', 'tax-office',
		'pension-service', 'health-insurer', 'city-welfare') THEN
		RAISE EXCEPTION 'no demo values for organisation %', current_setting('mado.demo_org');
	END IF;
END
$$;

CREATE TEMP TABLE demo_holder_people ON COMMIT DROP AS
SELECT DISTINCT pseudonym, ('x' || substr(md5(pseudonym), 1, 8))::bit(32)::bigint AS h
FROM demo_pseudonyms
WHERE pseudonym IS NOT NULL AND pseudonym <> '';

CREATE TEMP TABLE demo_holder_values ON COMMIT DROP AS
SELECT pseudonym, 'residents-registry' AS holder, 'resident.name' AS item,
       jsonb_build_object('ja',
	(ARRAY['山田','佐藤','鈴木','高橋','田中','伊藤'])[h % 6 + 1] || ' ' ||
	(ARRAY['花子','太郎','陽菜','蓮','美咲','健'])[h / 7 % 6 + 1]) AS value,
       current_date AS as_of FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'residents-registry', 'resident.address', jsonb_build_object('ja',
	(ARRAY['東京都千代田区','大阪府大阪市北区','福岡県福岡市中央区','北海道札幌市中央区'])[h % 4 + 1]
	|| ' ' || (h % 9 + 1) || '-' || (h / 11 % 20 + 1)), current_date FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'residents-registry', 'resident.household',
       jsonb_build_object('members', h % 4 + 1), current_date FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'tax-office', 'tax.income',
       jsonb_build_object('year', 2025, 'yen', 2000000 + h % 6000000), date '2025-12-31'
FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'tax-office', 'tax.withholding',
       jsonb_build_object('year', 2025, 'yen', 100000 + h % 500000), date '2025-12-31'
FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'pension-service', 'pension.record',
       jsonb_build_object('months_paid', 120 + h % 360), current_date FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'pension-service', 'pension.benefit',
       jsonb_build_object('yen_per_month', h % 3 * 65000), current_date FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'health-insurer', 'health.coverage',
       jsonb_build_object('insured', true, 'since', '2015-04-01'), current_date
FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'health-insurer', 'health.claims', jsonb_build_object('claims_2025', h % 12),
       current_date FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'city-welfare', 'welfare.benefit', jsonb_build_object('receiving', h % 5 = 0),
       current_date FROM demo_holder_people
UNION ALL
SELECT pseudonym, 'city-welfare', 'welfare.disability',
       jsonb_build_object('certificate', h % 7 = 0), current_date FROM demo_holder_people;

INSERT INTO holder.holdings (pseudonym, item, value, as_of)
SELECT pseudonym, item, value, as_of FROM demo_holder_values WHERE holder = :'org'
ON CONFLICT DO NOTHING;

COMMIT;
